//! `canary-judge`: the command line of the canary-judge crate.

mod judge_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Decide whether a canary release is healthy.
#[derive(Debug, Parser)]
#[command(name = "canary-judge", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Judge a Kayenta remote-judge request
    /// `{"canaryConfig", "scoreThresholds", "metricSetPairList"}` and print the
    /// `CanaryJudgeResult` JSON.
    ///
    /// Exit codes: 0 a verdict was computed (and, with --fail-on, did not trip it);
    /// 1 the verdict tripped --fail-on; 2 invalid input (the message on stderr names the problem).
    Judge(judge_cmd::JudgeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Judge(args) => judge_cmd::run(&args),
    }
}

//! `canary-judge`: the command line of the canary-judge crate.

mod analyze_cmd;
mod backtest_cmd;
mod fetch;
mod files;
mod judge_cmd;
mod options;
mod pipeline;
mod replay_cmd;
mod report_cmd;
mod serve;

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
    /// Fetch a canary's metrics from Prometheus or Datadog for the scopes of a Kayenta
    /// execution request, pair them, judge them and print the `CanaryJudgeResult`.
    ///
    /// Exit codes: 0 a verdict was computed (and, with --fail-on, did not trip it); 1 the
    /// verdict tripped --fail-on; 2 invalid config or request; 3 the data could not be fetched.
    Analyze(analyze_cmd::AnalyzeArgs),
    /// Serve the judge over HTTP: Kayenta's remote judge (`POST /judge`), fetch-and-judge for
    /// controllers and pipelines (`POST /v1/judge`), and health routes.
    Serve(serve::ServeArgs),
    /// Replay recorded metric set pairs as Kayenta's standalone canary analysis: judgements over
    /// growing (or sliding) windows, stopping at the first score at or below marginal, and the
    /// final pass/fail. Exit code 0 passed, 1 did not pass, 2 invalid input.
    Replay(replay_cmd::ReplayArgs),
    /// Judge recorded data and write one self-contained HTML page explaining the verdict: per
    /// metric, worst first, the series over time, their distributions, the interval against the
    /// margin, and the reason in words.
    Report(report_cmd::ReportArgs),
    /// Estimate a config's false-alarm and detection rates on healthy recorded history: seeded
    /// no-change splits, and the same splits with injected regressions.
    Backtest(backtest_cmd::BacktestArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // TLS for the metric sources: rustls with the ring provider. Failing here only means a
    // provider was installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    match cli.command {
        Command::Judge(args) => judge_cmd::run(&args),
        Command::Analyze(args) => analyze_cmd::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Replay(args) => replay_cmd::run(&args),
        Command::Report(args) => report_cmd::run(&args),
        Command::Backtest(args) => backtest_cmd::run(&args),
    }
}

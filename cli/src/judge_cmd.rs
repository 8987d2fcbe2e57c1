//! `canary-judge judge`.

use canary_judge::judge::KNOWN_JUDGES;
use canary_judge::{judge_with, parse_request, CanaryJudgeResult, Verdict};
use clap::{Args, ValueEnum};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `canary-judge judge`.
#[derive(Debug, Args)]
pub(crate) struct JudgeArgs {
    /// The request file; `-` or nothing reads standard input.
    #[arg(default_value = "-")]
    input: PathBuf,
    /// Pretty-print the result (ignored with --jsonl, whose output is one result per line).
    #[arg(long)]
    pretty: bool,
    /// Read one request per line and write one result per line, in order. A bad line yields
    /// `{"error": {...}}` on its output line and processing continues; the exit code is then 2.
    #[arg(long)]
    jsonl: bool,
    /// Exit with 1 when the verdict is at or below this level (any line, with --jsonl).
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Use this judge instead of the config's `judge.name`.
    #[arg(long = "judge", value_name = "NAME")]
    judge_name: Option<String>,
    /// With --jsonl, judge on this many threads, 1 to 1024 (default: one per core). Output order
    /// is input order whatever the count. A single request always runs on the calling thread.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,
}

/// Verdict levels for `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    /// Exit 1 on Marginal or Fail.
    Marginal,
    /// Exit 1 on Fail.
    Fail,
}

impl FailOn {
    fn trips(self, verdict: Verdict) -> bool {
        match self {
            FailOn::Marginal => verdict != Verdict::Pass,
            FailOn::Fail => verdict == Verdict::Fail,
        }
    }
}

const EXIT_TRIPPED: u8 = 1;
const EXIT_INVALID: u8 = 2;

/// One request's failure, as the message and the JSON error object.
struct Failure {
    kind: &'static str,
    message: String,
    path: Option<String>,
}

impl Failure {
    fn to_json(&self, line: Option<usize>) -> serde_json::Value {
        let mut error = serde_json::json!({"kind": self.kind, "message": self.message});
        if let Some(path) = &self.path {
            error["path"] = serde_json::Value::String(path.clone());
        }
        let mut out = serde_json::json!({ "error": error });
        if let Some(line) = line {
            out["line"] = serde_json::Value::from(line);
        }
        out
    }
}

fn judge_text(text: &str, judge_name: Option<&str>) -> Result<CanaryJudgeResult, Failure> {
    let request = parse_request(text).map_err(|e| Failure {
        kind: "parse",
        path: Some(e.path().to_string()),
        message: e.to_string(),
    })?;
    judge_with(judge_name, &request).map_err(|e| Failure {
        kind: "judge",
        path: None,
        message: e.to_string(),
    })
}

fn open_input(path: &PathBuf) -> io::Result<Box<dyn Read>> {
    if path.as_os_str() == "-" {
        Ok(Box::new(io::stdin().lock()))
    } else {
        Ok(Box::new(File::open(path)?))
    }
}

/// Runs the command and returns the process exit code.
pub(crate) fn run(args: &JudgeArgs) -> ExitCode {
    if let Some(name) = &args.judge_name {
        if !KNOWN_JUDGES.contains(&name.as_str()) {
            eprintln!(
                "canary-judge: unknown judge '{name}'; known judges: {}",
                KNOWN_JUDGES.join(", ")
            );
            return ExitCode::from(EXIT_INVALID);
        }
    }
    let input = match open_input(&args.input) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("canary-judge: cannot read {}: {e}", args.input.display());
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let outcome = if args.jsonl {
        run_jsonl(args, input)
    } else {
        run_single(args, input)
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("canary-judge: {e}");
            ExitCode::from(EXIT_INVALID)
        }
    }
}

/// Prints a result (compact, or indented with `pretty`) and returns the exit code for it:
/// 1 when the verdict trips `fail_on`, else 0.
pub(crate) fn print_result(
    result: &CanaryJudgeResult,
    pretty: bool,
    fail_on: Option<FailOn>,
) -> ExitCode {
    let json = if pretty {
        serde_json::to_string_pretty(result)
    } else {
        serde_json::to_string(result)
    };
    let written = json.map_err(io::Error::other).and_then(|json| {
        let mut out = io::stdout().lock();
        writeln!(out, "{json}")?;
        out.flush()
    });
    if let Err(e) = written {
        eprintln!("canary-judge: cannot write the result: {e}");
        return ExitCode::from(EXIT_INVALID);
    }
    if fail_on.is_some_and(|f| f.trips(result.score.classification)) {
        ExitCode::from(EXIT_TRIPPED)
    } else {
        ExitCode::SUCCESS
    }
}

fn run_single(args: &JudgeArgs, mut input: Box<dyn Read>) -> io::Result<ExitCode> {
    let mut text = String::new();
    if let Err(e) = input.read_to_string(&mut text) {
        eprintln!("canary-judge: cannot read {}: {e}", args.input.display());
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    match judge_text(&text, args.judge_name.as_deref()) {
        Ok(result) => Ok(print_result(&result, args.pretty, args.fail_on)),
        Err(failure) => {
            eprintln!("canary-judge: invalid input: {}", failure.message);
            Ok(ExitCode::from(EXIT_INVALID))
        }
    }
}

/// Lines judged per parallel batch: large enough to keep every thread busy, small enough to
/// keep memory flat on long inputs.
const BATCH: usize = 512;

/// One output line for one input line, and what it says about the exit code.
struct LineOutcome {
    json: String,
    invalid: bool,
    tripped: bool,
}

fn judge_line(line_no: usize, line: &str, args: &JudgeArgs) -> LineOutcome {
    match judge_text(line, args.judge_name.as_deref()) {
        Ok(result) => LineOutcome {
            tripped: args
                .fail_on
                .is_some_and(|f| f.trips(result.score.classification)),
            json: serde_json::to_string(&result).unwrap_or_else(|e| {
                Failure {
                    kind: "serialize",
                    message: e.to_string(),
                    path: None,
                }
                .to_json(Some(line_no))
                .to_string()
            }),
            invalid: false,
        },
        Err(failure) => {
            eprintln!("canary-judge: line {line_no}: {}", failure.message);
            LineOutcome {
                json: failure.to_json(Some(line_no)).to_string(),
                invalid: true,
                tripped: false,
            }
        }
    }
}

fn run_jsonl(args: &JudgeArgs, input: Box<dyn Read>) -> io::Result<ExitCode> {
    use rayon::prelude::*;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.map_or(0, usize::from))
        .build()
        .map_err(io::Error::other)?;
    let reader = BufReader::with_capacity(1 << 20, input);
    let mut out = BufWriter::with_capacity(1 << 20, io::stdout().lock());
    let (mut invalid, mut tripped) = (false, false);
    let mut batch: Vec<(usize, String)> = Vec::with_capacity(BATCH);
    let mut lines = reader.lines().enumerate();
    loop {
        batch.clear();
        for (i, line) in lines.by_ref() {
            let line = line?;
            if !line.trim().is_empty() {
                batch.push((i + 1, line));
                if batch.len() == BATCH {
                    break;
                }
            }
        }
        if batch.is_empty() {
            break;
        }
        let outcomes: Vec<LineOutcome> = pool.install(|| {
            batch
                .par_iter()
                .map(|(line_no, line)| judge_line(*line_no, line, args))
                .collect()
        });
        for o in outcomes {
            invalid |= o.invalid;
            tripped |= o.tripped;
            out.write_all(o.json.as_bytes())?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(if invalid {
        ExitCode::from(EXIT_INVALID)
    } else if tripped {
        ExitCode::from(EXIT_TRIPPED)
    } else {
        ExitCode::SUCCESS
    })
}

//! `canary-judge replay`: Kayenta's standalone canary analysis over recorded data, offline.

use crate::files::{iso, read, read_pairs};
use canary_judge::analysis::{
    did_pass_thresholds, has_few_points, pairs_in_window, recorded_range, schedule, stops_analysis,
    JudgementWindow, ScheduleRequest, FEW_POINTS_WARNING,
};
use canary_judge::model::{CanaryConfig, MetricSetPair};
use canary_judge::{judge_with, CanaryJudgeResult, JudgeRequest, ScoreThresholds};
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[path = "sequential_replay.rs"]
mod sequential_replay;
mod stream;

/// Arguments of `canary-judge replay`.
#[derive(Debug, Args)]
pub(crate) struct ReplayArgs {
    /// The canary config.
    #[arg(long)]
    config: PathBuf,
    /// Recorded metric set pairs: a JSON list (Kayenta's archive shape) or a remote-judge request;
    /// each pair's `scopes.control` and `scopes.experiment` give `startTimeMillis` and
    /// `stepMillis`.
    #[arg(long, required_unless_present_any = ["csv", "prometheus_dumps"])]
    pairs: Option<PathBuf>,
    /// A metric recorded as two CSV files of `timestamp,value` rows (as in NAB's files):
    /// `METRIC=BASELINE.csv,CANARY.csv`; repeatable. The step is the smallest gap between the
    /// first 8 rows; gaps of whole steps become NaN; unsorted or repeated timestamps and
    /// irregular steps are errors naming the file and line. With only CSV inputs the files are
    /// streamed (see --in-memory).
    #[arg(long = "csv", value_name = "METRIC=BASELINE.csv,CANARY.csv")]
    csv: Vec<String>,
    /// A metric recorded as two saved Prometheus `query_range` responses:
    /// `METRIC=BASELINE.json,CANARY.json`; repeatable. Series are paired by their labels, as
    /// Kayenta's mixer pairs them. Samples are placed by their timestamps (the step is the
    /// smallest gap; missing samples become NaN; unsorted, repeated or off-grid timestamps are
    /// errors naming the file and series).
    #[arg(
        long = "prometheus-dump",
        value_name = "METRIC=BASELINE.json,CANARY.json"
    )]
    prometheus_dumps: Vec<String>,
    /// Pass threshold.
    #[arg(long)]
    pass: f64,
    /// Marginal threshold; a judgement at or below it stops the analysis.
    #[arg(long)]
    marginal: f64,
    /// Minutes between judgements (default: one judgement over the whole recording).
    #[arg(long)]
    interval_mins: Option<i64>,
    /// Judge only the last this-many minutes of each window (sliding); default growing windows.
    #[arg(long, default_value_t = 0)]
    lookback_mins: i64,
    /// Skip this many minutes at the start of the recording (warm-up).
    #[arg(long, default_value_t = 0)]
    begin_after_mins: i64,
    /// Compare with the baseline this many minutes earlier.
    #[arg(long, default_value_t = 0)]
    control_offset_mins: i64,
    /// Use this judge instead of the config's `judge.name`.
    #[arg(long = "judge", value_name = "NAME")]
    judge_name: Option<String>,
    /// Print Kayenta's `CanaryAnalysisExecutionResult` JSON instead of the timeline table.
    /// Judgements are written as they are made: after an input error found part-way through a
    /// streamed recording, standard output holds an incomplete document (the exit code is 2).
    #[arg(long)]
    json: bool,
    /// Read every input whole before judging. By default CSV-only recordings (`--csv`) are
    /// streamed: the files are read in time order, holding per series only the samples that the
    /// coming windows need, and reading stops when the analysis stops. The output is the same.
    #[arg(long)]
    in_memory: bool,
    /// Walk the recording look by look with the anytime-valid judge
    /// (`canary-judge-sequential-v1`, growing windows from the start) and report the first look
    /// at which it would have stopped (Fail-now or Pass-now), and why. Exit code 1 on Fail-now.
    /// Reads the recording whole.
    #[arg(long)]
    sequential: bool,
    /// With --sequential: minutes between looks (default: every step of the recording).
    #[arg(long, requires = "sequential")]
    look_every_mins: Option<i64>,
}

/// Pairs from `--csv METRIC=BASELINE.csv,CANARY.csv` options.
fn csv_pairs(specs: &[String]) -> Result<Vec<MetricSetPair>, String> {
    use canary_judge::source::csv::parse_series;
    use rayon::prelude::*;
    // Files are read and parsed across cores; the first error (in option order) is reported.
    let parsed = specs
        .par_iter()
        .map(|spec| {
            let (metric, baseline, canary) = split_spec("--csv", spec)?;
            let series = |file: &str| {
                let path = Path::new(file);
                parse_series(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))
            };
            Ok((metric, series(baseline)?, series(canary)?))
        })
        .collect::<Vec<Result<_, String>>>();
    let mut out = Vec::new();
    for result in parsed {
        let (metric, control, experiment) = result?;
        let scope = |s: &canary_judge::source::csv::RegularSeries| serde_json::json!({"startTimeIso": iso(s.start_ms), "startTimeMillis": s.start_ms, "stepMillis": s.step_ms});
        out.push(MetricSetPair {
            name: metric.to_string(),
            id: Some(metric.to_string()),
            scopes: Some(
                serde_json::json!({"control": scope(&control), "experiment": scope(&experiment)}),
            ),
            values: canary_judge::model::MetricSetPairValues {
                control: control.values,
                experiment: experiment.values,
            },
            ..MetricSetPair::default()
        });
    }
    Ok(out)
}

/// `METRIC=A,B` into its three parts.
fn split_spec<'a>(option: &str, spec: &'a str) -> Result<(&'a str, &'a str, &'a str), String> {
    let bad = || format!("{option} {spec:?}: expected METRIC=BASELINE,CANARY");
    let (metric, files) = spec.split_once('=').ok_or_else(bad)?;
    let (a, b) = files.split_once(',').ok_or_else(bad)?;
    Ok((metric, a, b))
}

/// Pairs from `--prometheus-dump METRIC=BASELINE.json,CANARY.json` options, mixed as Kayenta mixes.
fn dump_pairs(specs: &[String], config: &CanaryConfig) -> Result<Vec<MetricSetPair>, String> {
    use canary_judge::source::{mix_all, prometheus::parse_range_response_on_grid};
    let mut out = Vec::new();
    for spec in specs {
        let (metric, baseline, canary) = split_spec("--prometheus-dump", spec)?;
        let sets = |file: &str| -> Result<Vec<canary_judge::model::MetricSet>, String> {
            let path = Path::new(file);
            let mut sets = parse_range_response_on_grid(&read(path)?)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            if sets.is_empty() {
                return Err(format!("{}: the response holds no series", path.display()));
            }
            for s in &mut sets {
                s.name = Some(metric.to_string());
            }
            Ok(sets)
        };
        let metrics: Vec<_> = config
            .metrics
            .iter()
            .filter(|m| m.name == metric)
            .cloned()
            .collect();
        if metrics.is_empty() {
            return Err(format!(
                "--prometheus-dump: the config has no metric named '{metric}'"
            ));
        }
        out.extend(
            mix_all(&metrics[..1], &sets(baseline)?, &sets(canary)?).map_err(|e| e.to_string())?,
        );
    }
    Ok(out)
}

/// The metrics of a judgement that did not pass and were not muted, as `name (Label), …`; empty
/// when all passed.
pub(crate) fn not_passing(result: &CanaryJudgeResult) -> String {
    result
        .results
        .iter()
        .filter(|r| r.classification != canary_judge::Classification::Pass && !r.muted)
        .map(|r| format!("{} ({})", r.name, r.classification))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A progress bar is drawn (on a terminal) from this many judgements on.
const PROGRESS_FROM: usize = 50;

/// Runs the command: 0 when the replayed canary passed its thresholds, 1 when it did not, 2 for
/// invalid input.
pub(crate) fn run(args: &ReplayArgs) -> ExitCode {
    match replay(args) {
        Ok(passed) => {
            if passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("canary-judge: invalid input: {e}");
            ExitCode::from(2)
        }
    }
}

/// True when the recording is read as a stream: CSV files only, and not `--in-memory`.
fn streams(args: &ReplayArgs) -> bool {
    !args.in_memory && args.pairs.is_none() && args.prometheus_dumps.is_empty()
}

fn replay(args: &ReplayArgs) -> Result<bool, String> {
    let config: CanaryConfig = canary_judge::parse_json(&read(&args.config)?)
        .map_err(|e| format!("{}: {e}", args.config.display()))?;
    crate::options::thresholds(args.pass, args.marginal)?;
    for (option, minutes) in [
        ("--interval-mins", args.interval_mins.unwrap_or(0)),
        ("--lookback-mins", args.lookback_mins),
        ("--begin-after-mins", args.begin_after_mins),
        ("--control-offset-mins", args.control_offset_mins),
    ] {
        if minutes < 0 {
            return Err(format!("{option} must not be negative, got {minutes}"));
        }
    }
    if args.sequential {
        let pairs = all_pairs(args, &config)?;
        return sequential_replay::run(&sequential_replay::SequentialReplay {
            config: &config,
            pairs: &pairs,
            thresholds: ScoreThresholds {
                pass: args.pass,
                marginal: args.marginal,
            },
            look_every_mins: args.look_every_mins,
            begin_after_mins: args.begin_after_mins,
            control_offset_mins: args.control_offset_mins,
            judge_name: args.judge_name.as_deref(),
            json: args.json,
        });
    }
    let mut timeline = Timeline::new(args);
    if streams(args) {
        stream::replay(args, &config, &mut timeline)?;
    } else {
        replay_in_memory(args, &config, &mut timeline)?;
    }
    timeline.finish()
}

/// The schedule's request for a recording that starts at `start_ms` (its first canary sample).
fn schedule_request(args: &ReplayArgs, start_ms: i64, lifetime: Option<i64>) -> ScheduleRequest {
    ScheduleRequest {
        start_ms: Some(start_ms),
        end_ms: None,
        lifetime_mins: lifetime,
        interval_mins: args.interval_mins,
        begin_after_mins: args.begin_after_mins,
        lookback_mins: args.lookback_mins,
        control_offset_mins: args.control_offset_mins,
    }
}

/// The analysis' lifetime in minutes for a recording over `[start_ms, end_ms)`: whole minutes
/// after the warm-up.
fn lifetime(args: &ReplayArgs, start_ms: i64, end_ms: i64) -> Result<i64, String> {
    let lifetime = (end_ms - start_ms) / 60_000 - args.begin_after_mins;
    if lifetime <= 0 {
        return Err(format!(
            "the recording spans {} minutes; nothing is left after --begin-after-mins {}",
            (end_ms - start_ms) / 60_000,
            args.begin_after_mins
        ));
    }
    Ok(lifetime)
}

/// The judge's request for one window's pairs.
fn judge_window(
    args: &ReplayArgs,
    config: &CanaryConfig,
    pairs: Vec<MetricSetPair>,
) -> Result<CanaryJudgeResult, String> {
    let judge_request = JudgeRequest {
        canary_config: config.clone(),
        score_thresholds: ScoreThresholds {
            pass: args.pass,
            marginal: args.marginal,
        },
        metric_set_pair_list: pairs,
    };
    judge_with(args.judge_name.as_deref(), &judge_request).map_err(|e| e.to_string())
}

/// Every input read whole: `--pairs`, then `--csv`, then `--prometheus-dump`.
fn all_pairs(args: &ReplayArgs, config: &CanaryConfig) -> Result<Vec<MetricSetPair>, String> {
    let mut pairs = match &args.pairs {
        Some(path) => read_pairs(path)?,
        None => Vec::new(),
    };
    pairs.extend(csv_pairs(&args.csv)?);
    pairs.extend(dump_pairs(&args.prometheus_dumps, config)?);
    Ok(pairs)
}

/// The whole recording in memory (`--pairs`, `--prometheus-dump`, `--in-memory`): every window
/// judged across cores, then the timeline up to the first stop.
fn replay_in_memory(
    args: &ReplayArgs,
    config: &CanaryConfig,
    timeline: &mut Timeline,
) -> Result<(), String> {
    let pairs = all_pairs(args, config)?;
    let (start, end) = recorded_range(&pairs).map_err(|e| e.to_string())?;
    let request = schedule_request(args, start, Some(lifetime(args, start, end)?));
    let windows = schedule(&request, start).map_err(|e| e.to_string())?;
    // Judgements are independent, so they run across cores; the analysis then stops at the
    // first score at or below marginal, as Kayenta's does (later ones are discarded).
    let progress = (windows.len() >= PROGRESS_FROM
        && std::io::IsTerminal::is_terminal(&std::io::stderr()))
    .then(|| indicatif::ProgressBar::new(windows.len() as u64));
    let judged: Vec<Result<(JudgementWindow, CanaryJudgeResult), String>> = {
        use rayon::prelude::*;
        windows
            .into_par_iter()
            .map(|window| {
                let in_window = pairs_in_window(&pairs, &window).map_err(|e| e.to_string())?;
                let result = judge_window(args, config, in_window)?;
                if let Some(bar) = &progress {
                    bar.inc(1);
                }
                Ok((window, result))
            })
            .collect()
    };
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    for judgement in judged {
        let (window, result) = judgement?;
        if timeline.push(&window, &result)? {
            break;
        }
    }
    Ok(())
}

/// The replay's output, judgement by judgement in order: the timeline table (kept, a line a
/// judgement, and printed at the end), or Kayenta's `CanaryAnalysisExecutionResult` JSON, whose
/// judgements are written as they come so that a long replay does not hold them all.
///
/// Both paths (in memory and streaming) write through this, so their output is the same. The
/// JSON is written by hand in the order `serde_json` prints its (sorted) maps; a test compares
/// it with `serde_json::to_string_pretty` of the whole document.
pub(crate) struct Timeline {
    json: bool,
    pass: f64,
    marginal: f64,
    out: std::io::BufWriter<std::io::Stdout>,
    /// Table lines, one a judgement.
    rows: Vec<String>,
    scores: Vec<f64>,
    warnings: bool,
    stopped: bool,
}

/// Writing the output failed.
fn write_error(e: std::io::Error) -> String {
    format!("cannot write the output: {e}")
}

impl Timeline {
    fn new(args: &ReplayArgs) -> Self {
        Self {
            json: args.json,
            pass: args.pass,
            marginal: args.marginal,
            out: std::io::BufWriter::new(std::io::stdout()),
            rows: Vec::new(),
            scores: Vec::new(),
            warnings: false,
            stopped: false,
        }
    }

    /// Adds the next judgement; true when it stops the analysis (a score at or below marginal),
    /// after which nothing more may be pushed.
    fn push(
        &mut self,
        window: &JudgementWindow,
        result: &CanaryJudgeResult,
    ) -> Result<bool, String> {
        let stop = stops_analysis(result.score.score, Some(self.marginal));
        let few = has_few_points(result);
        if self.json {
            let element = serde_json::json!({
                "executionStatus": if stop { "TERMINAL" } else { "SUCCEEDED" },
                "judgementStartTimeIso": iso(window.experiment_start_ms),
                "judgementStartTimeMillis": window.experiment_start_ms,
                "judgementEndTimeIso": iso(window.experiment_end_ms),
                "judgementEndTimeMillis": window.experiment_end_ms,
                // Not in Kayenta's shape: the baseline window, so that `report --replay`
                // can re-judge this judgement when a control offset was used.
                "controlStartTimeMillis": window.control_start_ms,
                "controlEndTimeMillis": window.control_end_ms,
                "warnings": if few { vec![FEW_POINTS_WARNING] } else { vec![] },
                "result": {"judgeResult": result},
            });
            let text = serde_json::to_string_pretty(&element).map_err(|e| e.to_string())?;
            let out = &mut self.out;
            let head = if self.scores.is_empty() {
                "{\n  \"canaryAnalysisExecutionResult\": {\n    \"canaryExecutionResults\": [\n"
            } else {
                ",\n"
            };
            out.write_all(head.as_bytes()).map_err(write_error)?;
            write_indented(out, &text, "      ").map_err(write_error)?;
        } else {
            self.rows.push(format!(
                "{:>3}  {:<24}  {:<24}  {:>6.2}  {:<8}  {}",
                window.index,
                iso(window.experiment_start_ms),
                iso(window.experiment_end_ms),
                result.score.score,
                result.score.classification,
                not_passing(result)
            ));
        }
        self.scores.push(result.score.score);
        self.warnings |= few;
        self.stopped = stop;
        Ok(stop)
    }

    /// Writes the rest (the table, or the JSON's summary) and returns whether the canary
    /// passed.
    fn finish(mut self) -> Result<bool, String> {
        let (passed, message) = did_pass_thresholds(
            self.scores.last().copied(),
            Some(self.pass),
            Some(self.marginal),
        );
        let out = &mut self.out;
        if self.json {
            let value = |v: serde_json::Value| v.to_string();
            let mut text = String::new();
            if self.scores.is_empty() {
                text.push_str(
                    "{\n  \"canaryAnalysisExecutionResult\": {\n    \"canaryExecutionResults\": [],\n",
                );
            } else {
                text.push_str("\n    ],\n");
            }
            text.push_str(&format!(
                "    \"canaryScoreMessage\": {},\n",
                value(message.clone().into())
            ));
            if self.scores.is_empty() {
                text.push_str("    \"canaryScores\": [],\n");
            } else {
                let scores: Vec<String> = self
                    .scores
                    .iter()
                    .map(|&s| format!("      {}", value(s.into())))
                    .collect();
                text.push_str(&format!(
                    "    \"canaryScores\": [\n{}\n    ],\n",
                    scores.join(",\n")
                ));
            }
            text.push_str(&format!(
                "    \"didPassThresholds\": {passed},\n    \"hasWarnings\": {}\n  }},\n  \"executionStatus\": {}\n}}\n",
                self.warnings,
                value(if self.stopped { "TERMINAL" } else { "SUCCEEDED" }.into())
            ));
            out.write_all(text.as_bytes()).map_err(write_error)?;
        } else {
            writeln!(
                out,
                "{:>3}  {:<24}  {:<24}  {:>6}  {:<8}  not passing",
                "#", "window start", "window end", "score", "verdict"
            )
            .map_err(write_error)?;
            for row in &self.rows {
                writeln!(out, "{row}").map_err(write_error)?;
            }
            if self.stopped {
                writeln!(
                    out,
                    "stopped: a score at or below the marginal threshold ({})",
                    self.marginal
                )
                .map_err(write_error)?;
            }
            if self.warnings {
                writeln!(out, "warning: {FEW_POINTS_WARNING}").map_err(write_error)?;
            }
            writeln!(out, "{} {}", if passed { "PASS" } else { "FAIL" }, message)
                .map_err(write_error)?;
        }
        out.flush().map_err(write_error)?;
        Ok(passed)
    }
}

/// Writes pretty-printed JSON with every line indented (JSON strings hold no raw line breaks, so
/// each line break is the printer's).
fn write_indented(out: &mut impl Write, text: &str, indent: &str) -> std::io::Result<()> {
    for (k, line) in text.split('\n').enumerate() {
        if k > 0 {
            out.write_all(b"\n")?;
        }
        out.write_all(indent.as_bytes())?;
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

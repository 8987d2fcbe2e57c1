//! `canary-judge replay`: Kayenta's standalone canary analysis over recorded data, offline.

use crate::files::{iso, read, read_pairs};
use canary_judge::analysis::{
    did_pass_thresholds, has_few_points, pair_in_window, recorded_range, schedule, stops_analysis,
    ScheduleRequest, FEW_POINTS_WARNING,
};
use canary_judge::model::{CanaryConfig, MetricSetPair};
use canary_judge::{judge_with, CanaryJudgeResult, JudgeRequest, ScoreThresholds};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[path = "sequential_replay.rs"]
mod sequential_replay;

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
    /// `METRIC=BASELINE.csv,CANARY.csv`; repeatable. Gaps of whole steps become NaN; unsorted or
    /// repeated timestamps and irregular steps are errors naming the file and line.
    #[arg(long = "csv", value_name = "METRIC=BASELINE.csv,CANARY.csv")]
    csv: Vec<String>,
    /// A metric recorded as two saved Prometheus `query_range` responses:
    /// `METRIC=BASELINE.json,CANARY.json`; repeatable. Series are paired by their labels, as
    /// Kayenta's mixer pairs them.
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
    #[arg(long)]
    json: bool,
    /// Walk the recording look by look with the anytime-valid judge
    /// (`canary-judge-sequential-v1`, growing windows from the start) and report the first look
    /// at which it would have stopped (Fail-now or Pass-now), and why. Exit code 1 on Fail-now.
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
    use canary_judge::source::{mix_all, prometheus::parse_range_response};
    let mut out = Vec::new();
    for spec in specs {
        let (metric, baseline, canary) = split_spec("--prometheus-dump", spec)?;
        let sets = |file: &str| -> Result<Vec<canary_judge::model::MetricSet>, String> {
            let path = Path::new(file);
            let mut sets = parse_range_response(&read(path)?)
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

struct Judgement {
    window: canary_judge::analysis::JudgementWindow,
    result: CanaryJudgeResult,
}

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

fn replay(args: &ReplayArgs) -> Result<bool, String> {
    let config: CanaryConfig = canary_judge::parse_json(&read(&args.config)?)
        .map_err(|e| format!("{}: {e}", args.config.display()))?;
    let mut pairs = match &args.pairs {
        Some(path) => read_pairs(path)?,
        None => Vec::new(),
    };
    pairs.extend(csv_pairs(&args.csv)?);
    pairs.extend(dump_pairs(&args.prometheus_dumps, &config)?);
    if !(args.pass.is_finite() && args.marginal.is_finite()) {
        return Err("--pass and --marginal must be finite numbers".into());
    }
    if args.begin_after_mins < 0 || args.lookback_mins < 0 || args.control_offset_mins < 0 {
        return Err("minutes must not be negative".into());
    }
    if args.sequential {
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
    let (start, end) = recorded_range(&pairs).map_err(|e| e.to_string())?;
    let lifetime = (end - start) / 60_000 - args.begin_after_mins;
    if lifetime <= 0 {
        return Err(format!(
            "the recording spans {} minutes; nothing is left after --begin-after-mins {}",
            (end - start) / 60_000,
            args.begin_after_mins
        ));
    }
    let request = ScheduleRequest {
        start_ms: Some(start),
        end_ms: None,
        lifetime_mins: Some(lifetime),
        interval_mins: args.interval_mins,
        begin_after_mins: args.begin_after_mins,
        lookback_mins: args.lookback_mins,
        control_offset_mins: args.control_offset_mins,
    };
    let windows = schedule(&request, start).map_err(|e| e.to_string())?;
    let thresholds = ScoreThresholds {
        pass: args.pass,
        marginal: args.marginal,
    };
    // Judgements are independent, so they run across cores; the analysis then stops at the
    // first score at or below marginal, as Kayenta's does (later ones are discarded).
    let progress = (windows.len() >= PROGRESS_FROM
        && std::io::IsTerminal::is_terminal(&std::io::stderr()))
    .then(|| indicatif::ProgressBar::new(windows.len() as u64));
    let judged: Vec<Result<Judgement, String>> = {
        use rayon::prelude::*;
        windows
            .into_par_iter()
            .map(|window| {
                let in_window = pairs
                    .iter()
                    .map(|p| pair_in_window(p, &window))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?;
                let judge_request = JudgeRequest {
                    canary_config: config.clone(),
                    score_thresholds: thresholds,
                    metric_set_pair_list: in_window,
                };
                let result = judge_with(args.judge_name.as_deref(), &judge_request)
                    .map_err(|e| e.to_string())?;
                if let Some(bar) = &progress {
                    bar.inc(1);
                }
                Ok(Judgement { window, result })
            })
            .collect()
    };
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let mut judgements: Vec<Judgement> = Vec::new();
    for judgement in judged {
        let judgement = judgement?;
        let stop = stops_analysis(judgement.result.score.score, Some(args.marginal));
        judgements.push(judgement);
        if stop {
            break;
        }
    }
    let scores: Vec<f64> = judgements.iter().map(|j| j.result.score.score).collect();
    let (passed, message) =
        did_pass_thresholds(scores.last().copied(), Some(args.pass), Some(args.marginal));
    let stopped_early = judgements
        .last()
        .is_some_and(|j| stops_analysis(j.result.score.score, Some(args.marginal)));
    let warnings = judgements.iter().any(|j| has_few_points(&j.result));
    if args.json {
        let results: Vec<serde_json::Value> = judgements
            .iter()
            .map(|j| {
                serde_json::json!({
                    "executionStatus": if stops_analysis(j.result.score.score, Some(args.marginal)) { "TERMINAL" } else { "SUCCEEDED" },
                    "judgementStartTimeIso": iso(j.window.experiment_start_ms),
                    "judgementStartTimeMillis": j.window.experiment_start_ms,
                    "judgementEndTimeIso": iso(j.window.experiment_end_ms),
                    "judgementEndTimeMillis": j.window.experiment_end_ms,
                    // Not in Kayenta's shape: the baseline window, so that `report --replay`
                    // can re-judge this judgement when a control offset was used.
                    "controlStartTimeMillis": j.window.control_start_ms,
                    "controlEndTimeMillis": j.window.control_end_ms,
                    "warnings": if has_few_points(&j.result) { vec![FEW_POINTS_WARNING] } else { vec![] },
                    "result": {"judgeResult": j.result},
                })
            })
            .collect();
        let out = serde_json::json!({
            "executionStatus": if stopped_early { "TERMINAL" } else { "SUCCEEDED" },
            "canaryAnalysisExecutionResult": {
                "didPassThresholds": passed,
                "hasWarnings": warnings,
                "canaryScoreMessage": message,
                "canaryScores": scores,
                "canaryExecutionResults": results,
            }
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "{:>3}  {:<24}  {:<24}  {:>6}  {:<8}  not passing",
            "#", "window start", "window end", "score", "verdict"
        );
        for j in &judgements {
            println!(
                "{:>3}  {:<24}  {:<24}  {:>6.2}  {:<8}  {}",
                j.window.index,
                iso(j.window.experiment_start_ms),
                iso(j.window.experiment_end_ms),
                j.result.score.score,
                j.result.score.classification,
                not_passing(&j.result)
            );
        }
        if stopped_early {
            println!(
                "stopped: a score at or below the marginal threshold ({})",
                args.marginal
            );
        }
        if warnings {
            println!("warning: {FEW_POINTS_WARNING}");
        }
        println!("{} {}", if passed { "PASS" } else { "FAIL" }, message);
    }
    Ok(passed)
}

//! `canary-judge replay --sequential`: walk a recorded canary look by look with the anytime-valid
//! judge (`canary-judge-sequential-v1`) and report the first look at which it would have stopped
//! (Fail-now or Pass-now), and why.

use crate::files::iso;
use canary_judge::analysis::{pairs_in_window, recorded_range, recorded_span, JudgementWindow};
use canary_judge::judge::sequential::{SequentialDecision, CANARY_JUDGE_SEQUENTIAL_V1};
use canary_judge::model::{CanaryConfig, MetricSetPair};
use canary_judge::{judge_with, CanaryJudgeResult, JudgeRequest, ScoreThresholds};

/// What the sequential walk needs from `replay`'s options.
pub(crate) struct SequentialReplay<'a> {
    /// The canary config (its judge name is overridden).
    pub(crate) config: &'a CanaryConfig,
    /// The recording.
    pub(crate) pairs: &'a [MetricSetPair],
    /// Score thresholds (the judge's Marginal score for Continue is the marginal threshold).
    pub(crate) thresholds: ScoreThresholds,
    /// Minutes between looks; `None`: every step of the recording.
    pub(crate) look_every_mins: Option<i64>,
    /// Skip this many minutes at the start of the recording.
    pub(crate) begin_after_mins: i64,
    /// Compare with the baseline this many minutes earlier.
    pub(crate) control_offset_mins: i64,
    /// `--judge`, which must be the sequential judge when given.
    pub(crate) judge_name: Option<&'a str>,
    /// Print JSON instead of the table.
    pub(crate) json: bool,
}

struct Look {
    window: JudgementWindow,
    decision: SequentialDecision,
    result: CanaryJudgeResult,
}

/// The metrics that did not continue (or, when all continue, none) as `name (rule)`.
fn deciding(result: &CanaryJudgeResult) -> String {
    result
        .results
        .iter()
        .filter(|r| !r.muted)
        .filter_map(|r| {
            let rule = r
                .result_metadata
                .as_ref()
                .and_then(|m| m.evidence.as_ref())
                .map(|e| e.rule.as_str())?;
            (rule == "fail-now" || rule == "pass-now").then(|| format!("{} ({rule})", r.name))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Walks the recording; `Ok(true)` unless the canary failed (Fail-now at some look).
pub(crate) fn run(opts: &SequentialReplay<'_>) -> Result<bool, String> {
    if let Some(name) = opts.judge_name {
        if name != CANARY_JUDGE_SEQUENTIAL_V1 {
            return Err(format!(
                "--sequential uses {CANARY_JUDGE_SEQUENTIAL_V1}; --judge {name} cannot be combined with it"
            ));
        }
    }
    let (start, end) = recorded_range(opts.pairs).map_err(|e| e.to_string())?;
    let step_ms = match opts.look_every_mins {
        Some(m) if m > 0 => m.saturating_mul(60_000),
        Some(m) => return Err(format!("--look-every-mins must be positive, got {m}")),
        None => opts
            .pairs
            .iter()
            .map(|p| recorded_span(p, "experiment").map(|s| s.step_ms))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?
            .into_iter()
            .min()
            .unwrap_or(60_000),
    };
    let from = start.saturating_add(opts.begin_after_mins.saturating_mul(60_000));
    let offset = opts.control_offset_mins.saturating_mul(60_000);
    if from >= end {
        return Err(format!(
            "the recording spans {} minutes; nothing is left after --begin-after-mins {}",
            (end - start) / 60_000,
            opts.begin_after_mins
        ));
    }
    let mut config = opts.config.clone();
    let judge = config.judge.get_or_insert_with(Default::default);
    judge.name = Some(CANARY_JUDGE_SEQUENTIAL_V1.to_string());

    let mut looks: Vec<Look> = Vec::new();
    let mut index = 0i64;
    let mut at = from;
    while at < end {
        at = at.saturating_add(step_ms).min(end);
        index += 1;
        let window = JudgementWindow {
            index,
            experiment_start_ms: from,
            experiment_end_ms: at,
            control_start_ms: from - offset,
            control_end_ms: at - offset,
        };
        let in_window = pairs_in_window(opts.pairs, &window).map_err(|e| e.to_string())?;
        let request = JudgeRequest {
            canary_config: config.clone(),
            score_thresholds: opts.thresholds,
            metric_set_pair_list: in_window,
        };
        let result = judge_with(None, &request).map_err(|e| e.to_string())?;
        let decision = SequentialDecision::of_result(&result);
        looks.push(Look {
            window,
            decision,
            result,
        });
        if decision != SequentialDecision::Continue {
            break;
        }
    }
    let last = looks.last();
    let stopped = last.filter(|l| l.decision != SequentialDecision::Continue);
    let failed = stopped.is_some_and(|l| l.decision == SequentialDecision::FailNow);
    if opts.json {
        let out = serde_json::json!({
            "judge": CANARY_JUDGE_SEQUENTIAL_V1,
            "looks": looks.iter().map(|l| serde_json::json!({
                "look": l.window.index,
                "endTimeIso": iso(l.window.experiment_end_ms),
                "endTimeMillis": l.window.experiment_end_ms,
                "minutes": (l.window.experiment_end_ms - from) / 60_000,
                "decision": l.decision.as_str(),
                "result": l.result,
            })).collect::<Vec<_>>(),
            "stop": stopped.map(|l| serde_json::json!({
                "look": l.window.index,
                "minutes": (l.window.experiment_end_ms - from) / 60_000,
                "decision": l.decision.as_str(),
                "reason": l.result.score.classification_reason,
            })),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
        );
        return Ok(!failed);
    }
    println!(
        "{:>4}  {:<24}  {:>7}  {:<9}  stopping metrics",
        "look", "data up to", "minutes", "decision"
    );
    for l in &looks {
        println!(
            "{:>4}  {:<24}  {:>7}  {:<9}  {}",
            l.window.index,
            iso(l.window.experiment_end_ms),
            (l.window.experiment_end_ms - from) / 60_000,
            l.decision.as_str(),
            deciding(&l.result)
        );
    }
    match (stopped, last) {
        (Some(l), _) => println!(
            "stopped at look {} ({} minutes in, data up to {}): {} — {}",
            l.window.index,
            (l.window.experiment_end_ms - from) / 60_000,
            iso(l.window.experiment_end_ms),
            if failed { "FAIL now" } else { "PASS now" },
            l.result.score.classification_reason
        ),
        (None, Some(l)) => println!(
            "no stop after {} looks ({} minutes): still Continue — {}",
            l.window.index,
            (l.window.experiment_end_ms - from) / 60_000,
            l.result.score.classification_reason
        ),
        (None, None) => println!("no looks"),
    }
    Ok(!failed)
}

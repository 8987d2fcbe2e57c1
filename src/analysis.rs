//! Kayenta's standalone canary analysis, without IO (spec §9.2): the schedule of judgements over
//! a canary's lifetime, and the final pass/fail decision over their scores.
//!
//! Times are epoch milliseconds; the caller supplies "now", so every function here is pure.
//!
//! [`stream`] holds what a replay needs to judge a recording while reading it in time order:
//! which judgements can be made so far, and per series only the samples they need.

use crate::model::CanaryJudgeResult;
use thiserror::Error;

pub mod stream;

const MINUTE_MS: i64 = 60_000;

/// What an analysis request says about time (Kayenta's `CanaryAnalysisExecutionRequest` and its
/// first scope).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScheduleRequest {
    /// `startTimeIso`, if given.
    pub start_ms: Option<i64>,
    /// `endTimeIso`, if given.
    pub end_ms: Option<i64>,
    /// `lifetimeDurationMins`, required when there is no end time.
    pub lifetime_mins: Option<i64>,
    /// `analysisIntervalMins`; missing, 0 or longer than the lifetime means the lifetime.
    pub interval_mins: Option<i64>,
    /// `beginAfterMins`: a warm-up wait.
    pub begin_after_mins: i64,
    /// `lookbackMins`: when > 0, each judgement covers only its last this-many minutes.
    pub lookback_mins: i64,
    /// `controlOffsetInMinutes`: the control window is this much earlier.
    pub control_offset_mins: i64,
}

/// Why no schedule can be made.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScheduleError {
    /// Neither an end time nor a lifetime was given (Kayenta's message).
    #[error(
        "Canary StageExecution configuration must include either `endTime` or `lifetimeDuration`."
    )]
    NoLifetime,
    /// The end is not after the start, or the lifetime is not positive.
    #[error("the canary's lifetime must be positive")]
    EmptyLifetime,
    /// A lifetime or offset longer than ten years (surely a unit mistake).
    #[error("lifetimes, warm-ups, look-backs and offsets are limited to ten years ({MAX_MINUTES} minutes)")]
    TooLong,
}

/// Ten years in minutes: the longest lifetime, warm-up, look-back or offset accepted.
pub const MAX_MINUTES: i64 = 10 * 366 * 24 * 60;

/// One judgement's windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JudgementWindow {
    /// 1-based number of the judgement.
    pub index: i64,
    /// Canary window start.
    pub experiment_start_ms: i64,
    /// Canary window end.
    pub experiment_end_ms: i64,
    /// Baseline window start (shifted back by the control offset).
    pub control_start_ms: i64,
    /// Baseline window end.
    pub control_end_ms: i64,
}

/// Refuses a warm-up, look-back or control offset longer than [`MAX_MINUTES`].
pub(crate) fn check_offsets(request: &ScheduleRequest) -> Result<(), ScheduleError> {
    let offsets = [
        request.begin_after_mins,
        request.lookback_mins,
        request.control_offset_mins,
    ];
    if offsets
        .iter()
        .any(|m| m.unsigned_abs() > MAX_MINUTES.unsigned_abs())
    {
        return Err(ScheduleError::TooLong);
    }
    Ok(())
}

/// The lifetime in whole minutes: from start to end when an end is given, else
/// `lifetime_mins`.
///
/// # Errors
/// [`ScheduleError::NoLifetime`] with neither; [`ScheduleError::EmptyLifetime`] when ≤ 0.
pub fn lifetime_mins(request: &ScheduleRequest, now_ms: i64) -> Result<i64, ScheduleError> {
    check_offsets(request)?;
    let minutes = match (request.end_ms, request.lifetime_mins) {
        (Some(end), _) => end.saturating_sub(request.start_ms.unwrap_or(now_ms)) / MINUTE_MS,
        (None, Some(l)) => l,
        (None, None) => return Err(ScheduleError::NoLifetime),
    };
    if minutes <= 0 {
        return Err(ScheduleError::EmptyLifetime);
    }
    if minutes > MAX_MINUTES {
        return Err(ScheduleError::TooLong);
    }
    Ok(minutes)
}

/// The interval between judgements in minutes (the lifetime when missing, 0 or longer).
pub fn interval_mins(request: &ScheduleRequest, lifetime: i64) -> i64 {
    match request.interval_mins {
        Some(i) if i > 0 && i <= lifetime => i,
        _ => lifetime,
    }
}

/// Judgement `index` (1-based)'s windows, as Kayenta computes them: `[start, start + i·interval]`
/// (growing); with no end time both ends shift by `beginAfterMins`; with `lookbackMins > 0` the
/// start becomes `end − lookback`; the control window is shifted back by the control offset.
pub fn judgement_window(
    request: &ScheduleRequest,
    index: i64,
    interval: i64,
    now_ms: i64,
) -> JudgementWindow {
    let start = request.start_ms.unwrap_or(now_ms);
    let warmup = if request.end_ms.is_none() {
        request.begin_after_mins * MINUTE_MS
    } else {
        0
    };
    let end = start + warmup + index * interval * MINUTE_MS;
    let begin = if request.lookback_mins > 0 {
        end - request.lookback_mins * MINUTE_MS
    } else {
        start + warmup
    };
    let offset = request.control_offset_mins * MINUTE_MS;
    JudgementWindow {
        index,
        experiment_start_ms: begin,
        experiment_end_ms: end,
        control_start_ms: begin - offset,
        control_end_ms: end - offset,
    }
}

/// Every judgement's windows: `⌊lifetime / interval⌋` of them.
///
/// # Errors
/// As [`lifetime_mins`].
pub fn schedule(
    request: &ScheduleRequest,
    now_ms: i64,
) -> Result<Vec<JudgementWindow>, ScheduleError> {
    let lifetime = lifetime_mins(request, now_ms)?;
    let interval = interval_mins(request, lifetime);
    Ok((1..=lifetime / interval)
        .map(|i| judgement_window(request, i, interval, now_ms))
        .collect())
}

/// A judgement at or below the marginal threshold stops the analysis (Kayenta: TERMINAL).
pub fn stops_analysis(score: f64, marginal: Option<f64>) -> bool {
    marginal.is_some_and(|m| score <= m)
}

/// Java's `Double.toString` for the scores quoted in messages (`100.0`, `33.33`, `1.0E-5`).
pub fn java_double(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "NaN".into()
        } else if x > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let a = x.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        return format!("{x:?}");
    }
    // Scientific: Java writes at least one fraction digit and an upper-case E.
    let sci = format!("{x:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.to_string()
    } else {
        format!("{mantissa}.0")
    };
    format!("{mantissa}E{exponent}")
}

/// Kayenta's final decision on the **last** judgement's score, with its exact message.
/// With no score (no judgement succeeded): `false`, "There were no successful canary judgements
/// to aggregate".
pub fn did_pass_thresholds(
    final_score: Option<f64>,
    pass: Option<f64>,
    marginal: Option<f64>,
) -> (bool, String) {
    let Some(score) = final_score else {
        return (
            false,
            "There were no successful canary judgements to aggregate".into(),
        );
    };
    let shown = java_double(score);
    match (marginal, pass) {
        (None, None) => (true, "No score thresholds were specified.".into()),
        (Some(m), _) if score <= m => (
            false,
            format!("Final canary score {shown} is not above the marginal score threshold."),
        ),
        (_, None) => (true, "No pass score threshold was specified.".into()),
        (_, Some(p)) if score < p => (
            false,
            format!("Final canary score {shown} is below the pass score threshold."),
        ),
        _ => (
            true,
            format!("Final canary score {shown} met or exceeded the pass score threshold."),
        ),
    }
}

/// Kayenta's warning when a baseline series is short (not given for Datadog accounts).
pub const FEW_POINTS_WARNING: &str =
    "One of the metrics returned fewer than 50 data points, which can reduce confidence in the final canary score.";

/// True when any result's baseline has fewer than 50 points.
pub fn has_few_points(result: &CanaryJudgeResult) -> bool {
    result
        .results
        .iter()
        .any(|r| r.control_metadata.stats.count < 50)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_double_strings() {
        assert_eq!(java_double(100.0), "100.0");
        assert_eq!(java_double(0.0), "0.0");
        assert_eq!(java_double(33.33), "33.33");
        assert_eq!(java_double(1e-5), "1.0E-5");
        assert_eq!(java_double(1.5e7), "1.5E7");
        assert_eq!(java_double(f64::NAN), "NaN");
    }

    #[test]
    fn windows_slice_by_time() {
        let scope = serde_json::json!({"startTimeMillis": 60_000, "stepMillis": 60_000});
        let pair = crate::model::MetricSetPair {
            name: "m".into(),
            values: crate::model::MetricSetPairValues {
                control: (0..10).map(f64::from).collect(),
                experiment: (0..10).map(f64::from).collect(),
            },
            scopes: Some(serde_json::json!({"control": scope, "experiment": scope})),
            ..Default::default()
        };
        let window = |from: i64, to: i64| JudgementWindow {
            index: 1,
            experiment_start_ms: from,
            experiment_end_ms: to,
            control_start_ms: from,
            control_end_ms: to,
        };
        let got = |from, to| {
            pair_in_window(&pair, &window(from, to))
                .expect("slices")
                .values
                .experiment
        };
        assert_eq!(got(0, 180_000), [0.0, 1.0]); // samples at 60 s and 120 s
        assert_eq!(got(120_000, 240_000), [1.0, 2.0]); // start inclusive, end exclusive
        assert_eq!(got(121_000, 240_001), [2.0, 3.0]);
        assert!(got(700_000, 900_000).is_empty()); // after the data
        assert!(got(-900_000, 0).is_empty()); // before it
        assert_eq!(got(i64::MIN, i64::MAX).len(), 10);
    }

    #[test]
    fn schedule_counts_whole_intervals() {
        let request = ScheduleRequest {
            start_ms: Some(0),
            lifetime_mins: Some(10),
            interval_mins: Some(3),
            ..ScheduleRequest::default()
        };
        let windows = schedule(&request, 0).expect("schedule");
        assert_eq!(windows.len(), 3);
        assert_eq!(windows[2].experiment_end_ms, 9 * MINUTE_MS);
        let no_interval = ScheduleRequest {
            interval_mins: Some(0),
            ..request
        };
        assert_eq!(schedule(&no_interval, 0).expect("schedule").len(), 1);
        assert_eq!(
            schedule(&ScheduleRequest::default(), 0),
            Err(ScheduleError::NoLifetime)
        );
    }
}

/// Why recorded data cannot be replayed.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum ReplayError {
    /// A pair lacks `scopes.<side>.startTimeMillis` or a positive `stepMillis`.
    #[error(
        "metric '{metric}': scopes.{side} must give startTimeMillis and a positive stepMillis"
    )]
    MissingScope {
        /// The pair's metric.
        metric: String,
        /// `control` or `experiment`.
        side: &'static str,
    },
    /// There is no data to replay.
    #[error("no recorded data to replay")]
    Empty,
}

/// Where one side of a recorded pair sits in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordedSpan {
    /// Time of the first sample.
    pub start_ms: i64,
    /// Time between samples.
    pub step_ms: i64,
}

impl RecordedSpan {
    /// The index of the first sample at or after `t_ms` (0 before the start): sample `k` is at
    /// `start + k·step`, so the window `[from, to)` holds the samples `first_at_or_after(from)`
    /// up to, not including, `first_at_or_after(to)` (as many as were recorded). Found by
    /// arithmetic rather than a scan, and shared by [`pair_in_window`] and the streaming
    /// [`stream::SeriesWindow`], so that both cut a window the same way.
    ///
    /// A step ≤ 0 (which [`recorded_span`] never gives) is taken as 1 ms.
    pub fn first_at_or_after(&self, t_ms: i64) -> u64 {
        let step = self.step_ms.max(1);
        let offset = t_ms.saturating_sub(self.start_ms);
        if offset <= 0 {
            return 0;
        }
        (offset / step + i64::from(offset % step != 0)).unsigned_abs()
    }
}

/// The recorded span of `side` (`control` or `experiment`) of a pair, from its `scopes`.
///
/// # Errors
/// [`ReplayError::MissingScope`] when the start or a positive step is missing.
pub fn recorded_span(
    pair: &crate::model::MetricSetPair,
    side: &'static str,
) -> Result<RecordedSpan, ReplayError> {
    let scope = pair.scopes.as_ref().and_then(|s| s.get(side));
    let field = |k: &str| {
        scope
            .and_then(|s| s.get(k))
            .and_then(serde_json::Value::as_i64)
    };
    match (field("startTimeMillis"), field("stepMillis")) {
        (Some(start_ms), Some(step_ms)) if step_ms > 0 => Ok(RecordedSpan { start_ms, step_ms }),
        _ => Err(ReplayError::MissingScope {
            metric: pair.name.clone(),
            side,
        }),
    }
}

/// The experiment time range covered by recorded pairs: `(first sample, end of the last step)`.
///
/// # Errors
/// [`ReplayError`] for a pair without a usable scope, or when there is no data.
pub fn recorded_range(pairs: &[crate::model::MetricSetPair]) -> Result<(i64, i64), ReplayError> {
    let mut range: Option<(i64, i64)> = None;
    for pair in pairs {
        let span = recorded_span(pair, "experiment")?;
        let end = span.start_ms + span.step_ms * pair.values.experiment.len() as i64;
        range = Some(match range {
            None => (span.start_ms, end),
            Some((a, b)) => (a.min(span.start_ms), b.max(end)),
        });
    }
    range.filter(|(a, b)| b > a).ok_or(ReplayError::Empty)
}

/// The samples of a recorded pair that fall in a judgement's windows: the experiment's in
/// `[experiment_start, experiment_end)`, the control's in `[control_start, control_end)`, each
/// sample timed `start + k·step` from its side's scope.
///
/// # Errors
/// [`ReplayError::MissingScope`] when a side has no usable scope.
pub fn pair_in_window(
    pair: &crate::model::MetricSetPair,
    window: &JudgementWindow,
) -> Result<crate::model::MetricSetPair, ReplayError> {
    let slice = |values: &[f64], span: RecordedSpan, from: i64, to: i64| -> Vec<f64> {
        let index = |t: i64| -> usize {
            usize::try_from(span.first_at_or_after(t))
                .unwrap_or(usize::MAX)
                .min(values.len())
        };
        let (a, b) = (index(from), index(to));
        values
            .get(a..b.max(a))
            .map(<[f64]>::to_vec)
            .unwrap_or_default()
    };
    let control = recorded_span(pair, "control")?;
    let experiment = recorded_span(pair, "experiment")?;
    // Everything but the values is copied; the values are only the window's (cloning the
    // whole recording per judgement made a year's replay copy terabytes).
    Ok(crate::model::MetricSetPair {
        name: pair.name.clone(),
        id: pair.id.clone(),
        tags: pair.tags.clone(),
        values: crate::model::MetricSetPairValues {
            control: slice(
                &pair.values.control,
                control,
                window.control_start_ms,
                window.control_end_ms,
            ),
            experiment: slice(
                &pair.values.experiment,
                experiment,
                window.experiment_start_ms,
                window.experiment_end_ms,
            ),
        },
        scopes: pair.scopes.clone(),
        attributes: pair.attributes.clone(),
    })
}

/// [`pair_in_window`] for every pair of a recording, in order (the request one judgement sees).
///
/// # Errors
/// The first pair's [`ReplayError`].
pub fn pairs_in_window(
    pairs: &[crate::model::MetricSetPair],
    window: &JudgementWindow,
) -> Result<Vec<crate::model::MetricSetPair>, ReplayError> {
    pairs.iter().map(|p| pair_in_window(p, window)).collect()
}

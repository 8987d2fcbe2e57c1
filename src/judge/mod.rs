//! The judges: preprocessing, classifiers, scoring, and the judges by name.

mod classifier;
mod netflix;
mod rounding;
mod scorer;
pub mod sequential;
mod settings;
mod transform;
pub mod v1;

pub use classifier::{
    classify_mean_inequality, ClassifierPath, ClassifyArgs, ClassifyError, MannWhitneyClassifier,
    MetricClassification, MetricLabels,
};
pub use netflix::{judge_metric, JudgedMetric, PARALLEL_MIN_POINTS};
pub use rounding::round_half_up;
pub use scorer::{score, ScoredMetric, Scores};
pub use settings::{Direction, EffectSizeBounds, EffectSizeMeasure, MetricSettings, NanStrategy};
pub use transform::CleanSeries;

use crate::error::JudgeError;
use crate::model::{
    CanaryClassifierConfig, CanaryConfig, CanaryJudgeResult, CanaryMetricConfig, JudgeRequest,
    MetricSetPair,
};

/// Kayenta's Mann-Whitney judge, reproduced exactly (see the crate docs for the differences).
pub const NETFLIX_ACA_JUDGE: &str = "NetflixACAJudge-v1.0";

/// Every judge this crate knows, by the name a config gives in `judge.name`.
pub const KNOWN_JUDGES: &[&str] = &[
    NETFLIX_ACA_JUDGE,
    v1::CANARY_JUDGE_V1,
    sequential::CANARY_JUDGE_SEQUENTIAL_V1,
];

/// The judge used when a config names none.
pub const DEFAULT_JUDGE: &str = NETFLIX_ACA_JUDGE;

/// Judges a request with the judge its config names (`canaryConfig.judge.name`), or the default
/// judge when it names none.
///
/// # Errors
/// [`JudgeError`] where Kayenta would fail the whole judgement (see [`judge_with`]).
pub fn judge(request: &JudgeRequest) -> Result<CanaryJudgeResult, JudgeError> {
    judge_with(None, request)
}

/// Judges a request with the judge called `name` if given (as Kayenta's `/judges/comparison`
/// override does), else the one the config names, else the default.
///
/// # Errors
/// - [`JudgeError::UnknownJudge`] for a name not in [`KNOWN_JUDGES`];
/// - whatever that judge reports (for `NetflixACAJudge-v1.0`, see [`netflix_aca_judge`]).
pub fn judge_with(
    name: Option<&str>,
    request: &JudgeRequest,
) -> Result<CanaryJudgeResult, JudgeError> {
    let configured = request
        .canary_config
        .judge
        .as_ref()
        .and_then(|j| j.name.as_deref());
    let name = name.or(configured).unwrap_or(DEFAULT_JUDGE);
    match name {
        NETFLIX_ACA_JUDGE => netflix_aca_judge(request),
        v1::CANARY_JUDGE_V1 => v1::canary_judge_v1(request),
        sequential::CANARY_JUDGE_SEQUENTIAL_V1 => sequential::canary_judge_sequential(request),
        other => Err(JudgeError::UnknownJudge {
            name: other.to_string(),
            known: KNOWN_JUDGES.to_vec(),
        }),
    }
}

pub use netflix::netflix_aca_judge;

/// The request's classifier config, after the checks both judges make: finite score thresholds,
/// a `classifier`, finite group weights.
pub(crate) fn checked_classifier(
    request: &JudgeRequest,
) -> Result<&CanaryClassifierConfig, JudgeError> {
    let thresholds = request.score_thresholds;
    for (field, value) in [("pass", thresholds.pass), ("marginal", thresholds.marginal)] {
        if !value.is_finite() {
            return Err(JudgeError::InvalidThreshold {
                field,
                value: value.to_string(),
            });
        }
    }
    let classifier = request
        .canary_config
        .classifier
        .as_ref()
        .ok_or(JudgeError::MissingClassifier)?;
    if let Some((group, w)) = classifier
        .group_weights
        .0
        .iter()
        .find(|(_, w)| !w.is_finite())
    {
        return Err(JudgeError::InvalidGroupWeight {
            group: group.clone(),
            value: w.to_string(),
        });
    }
    Ok(classifier)
}

/// Refuses a pair with a ±∞ sample (NaN is missing data and is fine).
pub(crate) fn check_finite(index: usize, pair: &MetricSetPair) -> Result<(), JudgeError> {
    for (side, values) in [
        ("control", &pair.values.control),
        ("experiment", &pair.values.experiment),
    ] {
        if let Some(position) = values.iter().position(|v| v.is_infinite()) {
            return Err(JudgeError::NonFiniteValue {
                index,
                metric: pair.name.clone(),
                side,
                position,
                value: if values[position] > 0.0 {
                    "Infinity"
                } else {
                    "-Infinity"
                },
            });
        }
    }
    Ok(())
}

/// The first metric config named like the pair at `index` ("Could not find metric config").
pub(crate) fn metric_config<'a>(
    config: &'a CanaryConfig,
    index: usize,
    pair: &MetricSetPair,
) -> Result<&'a CanaryMetricConfig, JudgeError> {
    config
        .metrics
        .iter()
        .find(|m| m.name == pair.name)
        .ok_or_else(|| JudgeError::MissingMetricConfig {
            index,
            metric: pair.name.clone(),
        })
}

/// The metric config's `groups`, which every judge requires ([`JudgeError::MissingGroups`]).
pub(crate) fn metric_groups(
    config: &CanaryMetricConfig,
    metric: &str,
) -> Result<Vec<String>, JudgeError> {
    config
        .groups
        .clone()
        .ok_or_else(|| JudgeError::MissingGroups {
            metric: metric.to_string(),
        })
}

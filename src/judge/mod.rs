//! The judges: preprocessing, classifiers, scoring, and the judges by name.

mod classifier;
mod netflix;
mod rounding;
mod scorer;
mod settings;
mod transform;

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
use crate::model::{CanaryJudgeResult, JudgeRequest};

/// Kayenta's Mann-Whitney judge, reproduced exactly (see the crate docs for the differences).
pub const NETFLIX_ACA_JUDGE: &str = "NetflixACAJudge-v1.0";

/// Every judge this crate knows, by the name a config gives in `judge.name`.
pub const KNOWN_JUDGES: &[&str] = &[NETFLIX_ACA_JUDGE];

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
        other => Err(JudgeError::UnknownJudge {
            name: other.to_string(),
            known: KNOWN_JUDGES.to_vec(),
        }),
    }
}

pub use netflix::netflix_aca_judge;

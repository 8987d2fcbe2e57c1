//! Wire types: the JSON that Kayenta and its callers exchange, read and written as Kayenta's
//! Jackson mapper does (unknown keys ignored, nulls omitted, non-finite doubles as strings).
//!
//! Parsing never judges: a wrongly typed *setting* inside `analysisConfigurations` is kept as raw
//! JSON here and reported by the judge, with the metric's name, when it reads it.

mod config;
mod execution;
pub(crate) use config::json_kind as config_json_kind;
pub(crate) mod float;
mod metric_set;
mod request;
mod result;

pub use config::{
    CanaryClassifierConfig, CanaryConfig, CanaryJudgeConfig, CanaryMetricConfig, GroupWeights,
};
pub use execution::{CanaryExecutionRequest, CanaryScope, CanaryScopePair, ScopeError};
pub use metric_set::{MetricSet, MetricSetPair, MetricSetPairValues};
pub use request::{parse_request, JudgeRequest, ScoreThresholds};
pub use result::{
    CanaryAnalysisResult, CanaryJudgeGroupScore, CanaryJudgeResult, CanaryJudgeScore, Check,
    Classification, Evidence, ResultMetadata, SideMetadata, SummaryStats, Verdict,
};

use serde::{Deserialize, Deserializer};

/// Reads `null` as the type's default (Jackson leaves such fields at their default too).
pub(crate) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

//! The remote-judge request `{canaryConfig, scoreThresholds, metricSetPairList}`.

use super::config::CanaryConfig;
use super::float;
use super::metric_set::MetricSetPair;
use serde::{Deserialize, Serialize};

/// What Kayenta's `RemoteJudge-v1.0` posts to `<endpoint>/judge`, and what `canary-judge judge`
/// reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JudgeRequest {
    /// The canary config.
    pub canary_config: CanaryConfig,
    /// Verdict thresholds; the config's own `classifier.scoreThresholds` is ignored, as in Kayenta.
    pub score_thresholds: ScoreThresholds,
    /// The data, one entry per metric and tag combination.
    pub metric_set_pair_list: Vec<MetricSetPair>,
}

/// `{"pass": number, "marginal": number}`. Both are required.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoreThresholds {
    /// A score at or above this is `Pass`.
    #[serde(with = "float::lenient")]
    pub pass: f64,
    /// A score at or above this (and below `pass`) is `Marginal`.
    #[serde(with = "float::lenient")]
    pub marginal: f64,
}

impl Default for ScoreThresholds {
    /// Kayenta's documented defaults: pass 95, marginal 75.
    fn default() -> Self {
        ScoreThresholds {
            pass: 95.0,
            marginal: 75.0,
        }
    }
}

/// Parses a [`JudgeRequest`] from JSON text without building an intermediate `serde_json::Value`
/// for the series.
///
/// # Errors
/// [`ParseError`](crate::ParseError) with the JSON path of the problem
/// (e.g. `metricSetPairList[2].values.control[7]`), the line and the column.
pub fn parse_request(text: &str) -> Result<JudgeRequest, crate::ParseError> {
    crate::error::parse_json(text)
}

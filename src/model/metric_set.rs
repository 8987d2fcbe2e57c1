//! `MetricSetPair`: the judge's data input (spec §2.4).

use super::float;
use super::null_as_default;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One metric's control and experiment series for one tag combination.
///
/// A metric config can yield several pairs (one per tag combination); each is judged and scored
/// as a separate metric.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricSetPair {
    /// The metric config's name.
    pub name: String,
    /// An id made by the mixer (a random UUID in Kayenta), copied to the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Series labels; `{}` when none.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: BTreeMap<String, String>,
    /// The two series. Both keys are required, as in Kayenta.
    pub values: MetricSetPairValues,
    /// Time scopes of each side; passed through untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<serde_json::Value>,
    /// Source attributes (e.g. the query run); passed through untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<serde_json::Value>,
}

/// `values` of a [`MetricSetPair`]: NaN marks a missing sample (`"NaN"` on the wire).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricSetPairValues {
    /// Baseline samples.
    #[serde(with = "float::series")]
    pub control: Vec<f64>,
    /// Canary samples.
    #[serde(with = "float::series")]
    pub experiment: Vec<f64>,
}

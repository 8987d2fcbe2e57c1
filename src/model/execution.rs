//! `CanaryExecutionRequest` and `CanaryScope` (spec §9.1): what a caller asks Kayenta's
//! `/canary` to fetch and judge, and what `canary-judge analyze` reads.

use super::null_as_default;
use super::request::ScoreThresholds;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A time window of one side (control or experiment) of one scope.
///
/// Read leniently, as Jackson does: an empty string for `start`, `end` or `scope` is absent, and
/// `step` may be a number or a numeric string (`"step": "1"`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryScope {
    /// What to select (e.g. a server group); `${scope}` in templates.
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub scope: Option<String>,
    /// Region or zone; `${location}` in templates.
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub location: Option<String>,
    /// Start instant, ISO-8601.
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub start: Option<String>,
    /// End instant, ISO-8601.
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub end: Option<String>,
    /// Step in seconds.
    #[serde(
        default,
        deserialize_with = "lenient_step",
        skip_serializing_if = "Option::is_none"
    )]
    pub step: Option<u64>,
    /// Provider-specific parameters (e.g. `project`, `resourceType`), also template variables.
    #[serde(default, deserialize_with = "null_as_default")]
    pub extended_scope_params: BTreeMap<String, String>,
}

impl CanaryScope {
    /// The start as epoch milliseconds.
    ///
    /// # Errors
    /// [`ScopeError`] when `start` is missing or not an ISO-8601 instant.
    pub fn start_millis(&self) -> Result<i64, ScopeError> {
        instant_millis(self.start.as_deref(), "start")
    }

    /// The end as epoch milliseconds.
    ///
    /// # Errors
    /// [`ScopeError`] when `end` is missing or not an ISO-8601 instant.
    pub fn end_millis(&self) -> Result<i64, ScopeError> {
        instant_millis(self.end.as_deref(), "end")
    }
}

/// A scope that cannot be used to fetch data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    /// A required field is missing.
    #[error("scope field '{0}' is missing")]
    Missing(&'static str),
    /// `start` or `end` is not an ISO-8601 instant.
    #[error("scope field '{field}' is not an ISO-8601 instant: {value:?}")]
    BadInstant {
        /// `start` or `end`.
        field: &'static str,
        /// The text given.
        value: String,
    },
}

fn instant_millis(text: Option<&str>, field: &'static str) -> Result<i64, ScopeError> {
    let text = text.ok_or(ScopeError::Missing(field))?;
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|_| ScopeError::BadInstant {
            field,
            value: text.to_string(),
        })
}

fn empty_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

fn lenient_step<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| de::Error::custom(format!("step must be whole seconds, got {n}"))),
        Some(serde_json::Value::String(s)) if s.is_empty() => Ok(None),
        Some(serde_json::Value::String(s)) => s
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| de::Error::custom(format!("step must be whole seconds, got {s:?}"))),
        Some(other) => Err(de::Error::custom(format!(
            "step must be a number, got {other}"
        ))),
    }
}

/// The control and experiment scopes of one scope name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryScopePair {
    /// The baseline's window.
    pub control_scope: CanaryScope,
    /// The canary's window.
    pub experiment_scope: CanaryScope,
}

/// Kayenta's `CanaryExecutionRequest`: scopes by name, and the verdict thresholds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryExecutionRequest {
    /// Scopes by name; every metric's `scopeName` must be a key.
    #[serde(default, deserialize_with = "null_as_default")]
    pub scopes: BTreeMap<String, CanaryScopePair>,
    /// Required by Kayenta ("Execution request must contain thresholds").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<ScoreThresholds>,
    /// Free-form metadata; passed through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    /// Opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_local: Option<serde_json::Value>,
}

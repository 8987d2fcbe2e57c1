//! `CanaryConfig` and its parts (spec §2.1–§2.2).

use super::float;
use super::null_as_default;
use super::request::ScoreThresholds;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A canary configuration, as Kayenta stores it.
///
/// Unknown keys (including the legacy `extensions`, `services` and `service`) are ignored.
/// `configVersion` may be a JSON string or number; a number is kept as its text (`1.0` → `"1.0"`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryConfig {
    /// Store-assigned id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Config name (the store accepts `[A-Za-z0-9,_-]*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Version text; a JSON number is read as its decimal text.
    #[serde(
        default,
        deserialize_with = "config_version",
        skip_serializing_if = "Option::is_none"
    )]
    pub config_version: Option<String>,
    /// Epoch milliseconds, set by the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_timestamp: Option<i64>,
    /// Epoch milliseconds, set by the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_timestamp: Option<i64>,
    /// ISO-8601, set by the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_timestamp_iso: Option<String>,
    /// ISO-8601, set by the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_timestamp_iso: Option<String>,
    /// Applications the config belongs to.
    #[serde(default, deserialize_with = "null_as_default")]
    pub applications: Vec<String>,
    /// Which judge to run; absent means the default judge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<CanaryJudgeConfig>,
    /// The metrics; pairs are joined to the first metric of the same name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metrics: Vec<CanaryMetricConfig>,
    /// Named query filter templates.
    #[serde(default, deserialize_with = "null_as_default")]
    pub templates: BTreeMap<String, String>,
    /// Group weights; required by the judge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifier: Option<CanaryClassifierConfig>,
}

impl CanaryConfig {
    /// Checks what Kayenta's config store checks: at least one metric, and metric names that are
    /// non-empty and unique.
    ///
    /// The judge does not require this (duplicate names make every pair use the first config, as
    /// in Kayenta); call it where configs are accepted for storage or use.
    ///
    /// # Errors
    /// [`ConfigError`](crate::ConfigError) naming the offending metric.
    pub fn validate(&self) -> Result<(), crate::ConfigError> {
        if self.metrics.is_empty() {
            return Err(crate::ConfigError::NoMetrics);
        }
        let mut seen = std::collections::HashSet::new();
        for (index, m) in self.metrics.iter().enumerate() {
            if m.name.is_empty() {
                return Err(crate::ConfigError::EmptyMetricName { index });
            }
            if !seen.insert(m.name.as_str()) {
                return Err(crate::ConfigError::DuplicateMetricName {
                    name: m.name.clone(),
                });
            }
        }
        Ok(())
    }
}

fn config_version<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(de::Error::invalid_type(
            de::Unexpected::Other(json_kind(&other)),
            &"a string or a number",
        )),
    }
}

pub(crate) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// `canaryConfig.judge`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryJudgeConfig {
    /// The judge's name, e.g. `NetflixACAJudge-v1.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Always `{}` in practice; kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge_configurations: Option<serde_json::Value>,
}

/// One metric of a canary config (spec §2.2).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryMetricConfig {
    /// Joins to `MetricSetPair.name`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// The source query, polymorphic on `"type"`; opaque to the judge.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub query: serde_json::Value,
    /// Groups the metric scores in. Kayenta requires the key; the judge reports a missing one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// Raw `analysisConfigurations`; only `canary` is read, by the judge, which reports wrongly
    /// typed settings with the metric's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis_configurations: Option<serde_json::Value>,
    /// Names an entry of the execution request's `scopes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_name: Option<String>,
}

/// `canaryConfig.classifier`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryClassifierConfig {
    /// Weights per group; `null` reads as empty.
    #[serde(default, deserialize_with = "null_as_default")]
    pub group_weights: GroupWeights,
    /// Ignored by the judge (the request's thresholds decide), kept for round trips.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_thresholds: Option<ScoreThresholds>,
    /// Every other key (e.g. the improved judge's `multipleTesting` and `confidence`), kept as
    /// given; Kayenta's judge ignores them.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// Group weights in the order the JSON gives them (the order of the floating-point sum).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupWeights(pub Vec<(String, f64)>);

impl GroupWeights {
    /// The weight configured for `group`, if any (the first, should a name repeat).
    pub fn get(&self, group: &str) -> Option<f64> {
        self.0.iter().find(|(g, _)| g == group).map(|(_, w)| *w)
    }

    /// The plain left-to-right sum of every configured weight.
    pub fn total(&self) -> f64 {
        self.0.iter().fold(0.0, |acc, (_, w)| acc + w)
    }
}

impl Serialize for GroupWeights {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct W(f64);
        impl Serialize for W {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                float::lenient::serialize(&self.0, s)
            }
        }
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, &W(*v))?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for GroupWeights {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Weight(f64);
        impl<'de> Deserialize<'de> for Weight {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                float::lenient::deserialize(d).map(Weight)
            }
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GroupWeights;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of group name to number")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<GroupWeights, A::Error> {
                let mut out: Vec<(String, f64)> = Vec::new();
                let mut seen = std::collections::HashSet::new();
                while let Some((k, Weight(w))) = map.next_entry::<String, Weight>()? {
                    // Jackson would keep the last; a repeated group is nearly always a mistake
                    // (and as with repeated fields elsewhere, we refuse rather than guess).
                    if !seen.insert(k.clone()) {
                        return Err(de::Error::custom(format!(
                            "group '{k}' is given more than once"
                        )));
                    }
                    out.push((k, w));
                }
                Ok(GroupWeights(out))
            }
        }
        d.deserialize_map(V)
    }
}

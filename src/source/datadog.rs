//! Datadog (`query.type = "datadog"`, spec §10.2): query building, the `GET /api/v1/query`
//! parameters, and response parsing into NaN-filled slots.

use super::prometheus::{custom_filter, excerpt, placeholder, query_settings, template_vars};
use super::SourceError;
use crate::model::{CanaryMetricConfig, CanaryScope, MetricSet};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

const SOURCE: &str = "datadog";

/// A metric's Datadog query settings (`canaryConfig.metrics[].query`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatadogQuery {
    /// The metric, queried as `<metricName>{<scope>}` without a template.
    #[serde(default)]
    pub metric_name: Option<String>,
    /// A query template given inline; wins over `customFilterTemplate`.
    #[serde(default)]
    pub custom_inline_template: Option<String>,
    /// The name of an entry of `canaryConfig.templates`.
    #[serde(default)]
    pub custom_filter_template: Option<String>,
}

impl DatadogQuery {
    /// Reads the `query` object of a metric config.
    ///
    /// # Errors
    /// [`SourceError::InvalidQuery`] when it has the wrong shape or names another source type.
    pub fn from_metric(metric: &CanaryMetricConfig) -> Result<Self, SourceError> {
        query_settings(metric, SOURCE)
    }
}

/// The Datadog query: the expanded template if there is one, else `<metricName>{<scope>}`.
///
/// # Errors
/// An undefined template or variable, or no `metricName` without a template.
pub fn build_query(
    metric: &str,
    query: &DatadogQuery,
    templates: &BTreeMap<String, String>,
    scope: &CanaryScope,
) -> Result<String, SourceError> {
    let vars = template_vars(scope, None);
    if let Some(q) = custom_filter(
        query.custom_inline_template.as_deref(),
        query.custom_filter_template.as_deref(),
        templates,
        &vars,
    )? {
        return Ok(q);
    }
    let name = query
        .metric_name
        .as_deref()
        .ok_or_else(|| SourceError::InvalidQuery {
            metric: metric.to_string(),
            field: "metricName".into(),
            problem: "is required without a template".into(),
        })?;
    Ok(format!(
        "{name}{{{}}}",
        scope.scope.as_deref().unwrap_or_default()
    ))
}

/// The query parameters of `GET /api/v1/query`: `from` and `to` in epoch seconds, and `query`.
/// (The keys go in the `DD-API-KEY` and `DD-APPLICATION-KEY` headers.)
///
/// # Errors
/// [`SourceError::InvalidQuery`] when the scope's start or end is missing or not ISO-8601.
pub fn query_params(
    metric: &str,
    query: &str,
    scope: &CanaryScope,
) -> Result<Vec<(&'static str, String)>, SourceError> {
    let bad = |e: crate::model::ScopeError| SourceError::InvalidQuery {
        metric: metric.to_string(),
        field: "scope".into(),
        problem: e.to_string(),
    };
    Ok(vec![
        (
            "from",
            (scope.start_millis().map_err(bad)? / 1000).to_string(),
        ),
        ("to", (scope.end_millis().map_err(bad)? / 1000).to_string()),
        ("query", query.to_string()),
    ])
}

#[derive(Deserialize)]
struct Envelope {
    status: Option<String>,
    error: Option<String>,
    #[serde(default)]
    errors: Vec<String>,
    #[serde(default)]
    series: Vec<Series>,
}

#[derive(Deserialize)]
struct Series {
    start: f64,
    end: f64,
    interval: f64,
    #[serde(default)]
    pointlist: Vec<(f64, Option<f64>)>,
}

/// One slot per `interval` from `start` to `end` inclusive (milliseconds, interval in seconds):
/// the point at that exact time, or NaN where the point is missing or `null`.
///
/// # Edge cases
/// - a non-positive interval gives no slots; `end < start` gives none;
/// - a span longer than ten years ([`MAX_MINUTES`](crate::analysis::MAX_MINUTES)) gives none
///   (an absurd response must not allocate without bound; [`metric_sets`] refuses it);
/// - a point off the slot grid is ignored, as Kayenta ignores it.
///
/// ```
/// use canary_judge::source::datadog::fill_slots;
/// let v = fill_slots(0, 10_000, 5, &[(0.0, Some(1.0)), (10_000.0, None)]);
/// assert_eq!(v.len(), 3);
/// assert!(v[1].is_nan() && v[2].is_nan());
/// ```
pub fn fill_slots(
    start: i64,
    end: i64,
    interval_secs: i64,
    points: &[(f64, Option<f64>)],
) -> Vec<f64> {
    if interval_secs <= 0 || end < start || !within_ten_years(start, end) {
        return Vec::new();
    }
    let by_time: HashMap<i64, f64> = points
        .iter()
        .filter_map(|&(t, v)| v.map(|v| (t as i64, v)))
        .collect();
    // No overflow: the span is at most ten years, and a larger step leaves one slot.
    let step = interval_secs.saturating_mul(1000);
    let slots = (end - start) / step + 1;
    (0..slots)
        .map(|k| {
            by_time
                .get(&(start + k * step))
                .copied()
                .unwrap_or(f64::NAN)
        })
        .collect()
}

/// True when `end − start` (milliseconds) is at most ten years.
fn within_ten_years(start: i64, end: i64) -> bool {
    end.saturating_sub(start) <= crate::analysis::MAX_MINUTES * 60_000
}

/// The metric sets for `metric` from a response body, one per series with **no tags** (so only
/// the first series of each side is paired, as in Kayenta), values from [`fill_slots`]; an
/// empty response gives one empty placeholder with a 1 s step.
///
/// # Errors
/// [`SourceError::QueryFailed`] when `status` is not `"ok"` or `errors` is non-empty,
/// [`SourceError::BadResponse`] for a body that is not Datadog's JSON, or a series spanning more
/// than ten years.
pub fn metric_sets(
    metric: &str,
    query: &str,
    scope: &CanaryScope,
    body: &str,
) -> Result<Vec<MetricSet>, SourceError> {
    let envelope: Envelope = serde_json::from_str(body).map_err(|e| SourceError::BadResponse {
        source_name: SOURCE,
        problem: format!("not Datadog JSON ({e}): {}", excerpt(body)),
    })?;
    if !envelope.errors.is_empty() || envelope.status.as_deref().is_some_and(|s| s != "ok") {
        let error = if envelope.errors.is_empty() {
            envelope.error.unwrap_or_default()
        } else {
            envelope.errors.join("; ")
        };
        return Err(SourceError::QueryFailed {
            source_name: SOURCE,
            error_type: envelope.status.unwrap_or_else(|| "error".into()),
            error,
        });
    }
    let mut sets: Vec<MetricSet> = envelope
        .series
        .iter()
        .map(|s| {
            let (start, end, interval) = (s.start as i64, s.end as i64, s.interval as i64);
            if !within_ten_years(start, end) {
                return Err(SourceError::BadResponse {
                    source_name: SOURCE,
                    problem: format!("a series runs from {start} to {end} ms, more than ten years"),
                });
            }
            Ok(MetricSet {
                values: fill_slots(start, end, interval, &s.pointlist),
                start_time_millis: start,
                end_time_millis: end,
                step_millis: interval.saturating_mul(1000),
                ..MetricSet::default()
            })
        })
        .collect::<Result<_, _>>()?;
    if sets.is_empty() {
        let mut p = placeholder(scope, 1000);
        p.step_millis = 1000;
        sets.push(p);
    }
    for s in &mut sets {
        s.name = Some(metric.to_string());
        s.attributes.insert("query".into(), query.to_string());
    }
    Ok(sets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_spans_allocate_nothing() {
        // Ten years at a one-second interval would be 3e8 slots; beyond that, nothing.
        assert!(fill_slots(0, i64::MAX, 1, &[]).is_empty());
        assert!(fill_slots(i64::MIN, i64::MAX, i64::MAX, &[]).is_empty());
        assert_eq!(
            fill_slots(0, 60_000, i64::MAX, &[(0.0, Some(1.0))]),
            vec![1.0]
        );
        let body = r#"{"status": "ok", "series": [{"start": 0, "end": 1e18, "interval": 1,
            "pointlist": [[0, 1.0]]}]}"#;
        let scope = CanaryScope::default();
        let e = metric_sets("m", "q", &scope, body)
            .expect_err("refused")
            .to_string();
        assert!(e.contains("more than ten years"), "{e}");
    }
}

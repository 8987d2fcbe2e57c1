//! Prometheus (`query.type = "prometheus"`, spec §10.1): PromQL building, the `query_range`
//! request parameters, and response parsing.

use super::{expand_template, SourceError};
use crate::model::{CanaryMetricConfig, CanaryScope, MetricSet};
use serde::Deserialize;
use std::collections::BTreeMap;

const SOURCE: &str = "prometheus";

/// The label that selects a scope for `gce_instance` when the account names none.
pub const DEFAULT_SCOPE_LABEL: &str = "instance";

/// A metric's Prometheus query settings (`canaryConfig.metrics[].query`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusQuery {
    /// The metric to average when no `PromQL:` template is given.
    #[serde(default)]
    pub metric_name: Option<String>,
    /// Extra `label=value` filters, appended after a custom filter.
    #[serde(default)]
    pub label_bindings: Option<Vec<String>>,
    /// `by (...)` fields.
    #[serde(default)]
    pub group_by_fields: Option<Vec<String>>,
    /// `gce_instance`, `aws_ec2_instance`, or absent with a custom filter.
    #[serde(default)]
    pub resource_type: Option<String>,
    /// A filter template given inline; wins over `customFilterTemplate`. Empty counts as absent.
    #[serde(default)]
    pub custom_inline_template: Option<String>,
    /// The name of an entry of `canaryConfig.templates`.
    #[serde(default)]
    pub custom_filter_template: Option<String>,
    /// Deprecated in Kayenta, which rejects it.
    #[serde(default)]
    pub custom_filter: Option<String>,
}

impl PrometheusQuery {
    /// Reads the `query` object of a metric config.
    ///
    /// # Errors
    /// [`SourceError::InvalidQuery`] when the object does not have the expected shape, names
    /// another source type, or uses the deprecated `customFilter`.
    pub fn from_metric(metric: &CanaryMetricConfig) -> Result<Self, SourceError> {
        let q: PrometheusQuery = query_settings(metric, SOURCE)?;
        if q.custom_filter.is_some() {
            return Err(SourceError::InvalidQuery {
                metric: metric.name.clone(),
                field: "customFilter".into(),
                problem: "is deprecated; use customInlineTemplate or customFilterTemplate".into(),
            });
        }
        Ok(q)
    }
}

/// Reads a metric's `query` object as a source's settings, checking its `type` when it has one.
pub(crate) fn query_settings<T: serde::de::DeserializeOwned>(
    metric: &CanaryMetricConfig,
    source: &str,
) -> Result<T, SourceError> {
    let invalid = |field: &str, problem: String| SourceError::InvalidQuery {
        metric: metric.name.clone(),
        field: field.to_string(),
        problem,
    };
    if let Some(t) = metric.query.get("type").and_then(|t| t.as_str()) {
        if t != source {
            return Err(invalid("type", format!("expected {source:?}, got {t:?}")));
        }
    }
    serde_json::from_value(metric.query.clone()).map_err(|e| invalid("", e.to_string()))
}

/// The variables a template may use: `scope`, `location`, `project`, `resourceType`, and every
/// `extendedScopeParams` key.
pub fn template_vars(scope: &CanaryScope, resource_type: Option<&str>) -> BTreeMap<String, String> {
    let mut vars = scope.extended_scope_params.clone();
    if let Some(s) = &scope.scope {
        vars.insert("scope".into(), s.clone());
    }
    if let Some(l) = &scope.location {
        vars.insert("location".into(), l.clone());
    }
    if let Some(r) = resource_type.filter(|r| !r.is_empty()) {
        vars.entry("resourceType".into())
            .or_insert_with(|| r.to_string());
    }
    vars
}

/// The custom filter text after template expansion, if the query has one.
pub(crate) fn custom_filter(
    inline: Option<&str>,
    named: Option<&str>,
    templates: &BTreeMap<String, String>,
    vars: &BTreeMap<String, String>,
) -> Result<Option<String>, SourceError> {
    let template = match (
        inline.filter(|t| !t.is_empty()),
        named.filter(|t| !t.is_empty()),
    ) {
        (Some(t), _) => t,
        (None, Some(name)) => templates
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| SourceError::MissingTemplate(name.to_string()))?,
        (None, None) => return Ok(None),
    };
    expand_template(template, vars).map(Some)
}

/// Builds the PromQL for `metric` in `scope`, as Kayenta does:
///
/// 1. expand the custom filter template (inline wins over named), if any;
/// 2. if it starts with `PromQL:`, the rest is the query, verbatim;
/// 3. otherwise `avg(<metricName>{<filters>})`, plus ` by (<fields>)` with `groupByFields`. The
///    filters are the custom filter split on `,`, then the `labelBindings`; with no custom filter,
///    the `labelBindings` then the resource type's scope filters (`gce_instance`:
///    `<scopeLabel>=~"<scope>-.{4}"` and `zone=~".+/[projects/<project>/]zones/<location>-.{1}"`;
///    `aws_ec2_instance`: `asg_groupName="<scope>"` and `zone=~"<location>.{1}"`).
///
/// # Errors
/// An undefined template variable or template, a missing or unsupported resource type without
/// a custom filter, or a missing `metricName` where one is needed.
pub fn build_query(
    metric: &str,
    query: &PrometheusQuery,
    templates: &BTreeMap<String, String>,
    scope: &CanaryScope,
    scope_label: &str,
) -> Result<String, SourceError> {
    let vars = template_vars(scope, query.resource_type.as_deref());
    let custom = custom_filter(
        query.custom_inline_template.as_deref(),
        query.custom_filter_template.as_deref(),
        templates,
        &vars,
    )?;
    if let Some(promql) = custom.as_deref().and_then(|c| c.strip_prefix("PromQL:")) {
        return Ok(promql.to_string());
    }
    let metric_name = query
        .metric_name
        .as_deref()
        .ok_or_else(|| SourceError::InvalidQuery {
            metric: metric.to_string(),
            field: "metricName".into(),
            problem: "is required unless the template starts with PromQL:".into(),
        })?;
    let bindings = query.label_bindings.as_deref().unwrap_or_default();
    let mut filters: Vec<String> = Vec::new();
    match &custom {
        Some(c) => {
            filters.extend(c.split(',').map(str::to_string));
            filters.extend(bindings.iter().cloned());
        }
        None => {
            filters.extend(bindings.iter().cloned());
            let scope_name = scope.scope.as_deref().unwrap_or_default();
            let location = scope.location.as_deref().unwrap_or_default();
            match query.resource_type.as_deref().unwrap_or_default() {
                "gce_instance" => {
                    filters.push(format!("{scope_label}=~\"{scope_name}-.{{4}}\""));
                    let project = scope
                        .extended_scope_params
                        .get("project")
                        .map(|p| format!("projects/{p}/"))
                        .unwrap_or_default();
                    filters.push(format!("zone=~\".+/{project}zones/{location}-.{{1}}\""));
                }
                "aws_ec2_instance" => {
                    filters.push(format!("asg_groupName=\"{scope_name}\""));
                    filters.push(format!("zone=~\"{location}.{{1}}\""));
                }
                "" => return Err(SourceError::ResourceTypeRequired(metric.to_string())),
                other => {
                    return Err(SourceError::UnsupportedResourceType {
                        metric: metric.to_string(),
                        resource_type: other.to_string(),
                    })
                }
            }
        }
    }
    let mut q = format!("avg({metric_name}{{{}}})", filters.join(","));
    if let Some(fields) = query.group_by_fields.as_deref().filter(|f| !f.is_empty()) {
        q.push_str(&format!(" by ({})", fields.join(",")));
    }
    Ok(q)
}

/// The query parameters of `GET /api/v1/query_range`: `query`, `start` and `end` (the scope's
/// ISO instants) and `step` (whole seconds).
///
/// # Errors
/// [`SourceError::InvalidQuery`] when the scope lacks `start`, `end` or `step`.
pub fn range_query_params(
    metric: &str,
    query: &str,
    scope: &CanaryScope,
) -> Result<Vec<(&'static str, String)>, SourceError> {
    let missing = |field: &str| SourceError::InvalidQuery {
        metric: metric.to_string(),
        field: format!("scope.{field}"),
        problem: "is required to fetch data".into(),
    };
    Ok(vec![
        ("query", query.to_string()),
        (
            "start",
            scope.start.clone().ok_or_else(|| missing("start"))?,
        ),
        ("end", scope.end.clone().ok_or_else(|| missing("end"))?),
        (
            "step",
            scope.step.ok_or_else(|| missing("step"))?.to_string(),
        ),
    ])
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    status: Option<String>,
    data: Option<Data>,
    error_type: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    result: Vec<Series>,
}

#[derive(Deserialize)]
struct Series {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    /// `[seconds, "value"]` pairs. Native histograms (`histograms`) are skipped.
    #[serde(default)]
    values: Vec<(f64, String)>,
    /// Present for native-histogram series (Prometheus 3); only its presence is read.
    #[serde(default)]
    histograms: Option<serde::de::IgnoredAny>,
}

/// Prometheus's sample text: a number, or `NaN`, `+Inf`, `-Inf`.
fn sample_value(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        t => t.parse::<f64>().ok().filter(|v| v.is_finite()),
    }
}

/// Parses a `query_range` response body into metric sets (without a name), one per series:
/// tags are the labels less `__name__`; values parse `NaN`/`+Inf`/`-Inf`; start = first
/// timestamp × 1000 truncated; step = the first gap in whole seconds (0 for one point);
/// end = start + n·step. Gaps are not filled. An empty result gives an empty list.
///
/// # Errors
/// [`SourceError::QueryFailed`] for `"status": "error"`, [`SourceError::BadResponse`] for a body
/// that is not Prometheus's JSON (HTML from a proxy, a truncated body, a bad sample).
///
/// `warnings` and `infos` are ignored; series holding only native histograms are skipped.
pub fn parse_range_response(body: &str) -> Result<Vec<MetricSet>, SourceError> {
    Ok(parse_timed(body)?.into_iter().map(|(set, _)| set).collect())
}

/// [`parse_range_response`] for recorded responses replayed over time: each series' samples are
/// placed on its grid by their timestamps, so that a gap is NaN rather than shifting every later
/// sample back. The step is the smallest gap between samples; start = the first timestamp (in
/// milliseconds, rounded); end = start + n·step. Samples `NaN`, `+Inf`, `-Inf` are kept as the
/// plain parse reads them; an empty result gives an empty list.
///
/// # Errors
/// As [`parse_range_response`], and [`SourceError::BadResponse`] naming the series and the
/// sample for: a timestamp not after the one before (unsorted or repeated), a gap that is not a
/// whole number of steps, a series reaching more than ten years past its first sample, or a
/// series of one sample (no step can be known).
pub fn parse_range_response_on_grid(body: &str) -> Result<Vec<MetricSet>, SourceError> {
    parse_timed(body)?
        .into_iter()
        .map(|(mut set, times)| {
            let bad = |problem: String| SourceError::BadResponse {
                source_name: SOURCE,
                problem: format!("series {:?}: {problem}", set.tags),
            };
            let ms: Vec<i64> = times.iter().map(|t| (t * 1000.0).round() as i64).collect();
            if ms.len() < 2 {
                return Err(bad(format!(
                    "{} sample(s): at least two are needed to know the step",
                    ms.len()
                )));
            }
            if let Some(i) = (1..ms.len()).find(|&i| ms[i] <= ms[i - 1]) {
                return Err(bad(format!(
                    "sample {i} (timestamp {}) is not after the one before; the samples must be \
                     sorted, without repeats",
                    times[i]
                )));
            }
            // Checked before any other difference is taken: timestamps far out saturate.
            let ten_years_ms = crate::analysis::MAX_MINUTES * 60_000;
            if ms[ms.len() - 1].saturating_sub(ms[0]) > ten_years_ms {
                return Err(bad("the samples span more than ten years".into()));
            }
            let step = (1..ms.len()).map(|i| ms[i] - ms[i - 1]).min().unwrap_or(1);
            if let Some(i) = (1..ms.len()).find(|&i| (ms[i] - ms[i - 1]) % step != 0) {
                return Err(bad(format!(
                    "sample {i} (timestamp {}): the gap from the one before ({} ms) is not a \
                     multiple of the step ({step} ms, the smallest gap)",
                    times[i],
                    ms[i] - ms[i - 1]
                )));
            }
            let slots = usize::try_from((ms[ms.len() - 1] - ms[0]) / step + 1)
                .map_err(|_| bad("the samples span too many steps".into()))?;
            let mut values = vec![f64::NAN; slots];
            for (t, v) in ms.iter().zip(&set.values) {
                // In range: t − start is a whole number of steps, at most the last slot.
                values[((t - ms[0]) / step) as usize] = *v;
            }
            set.start_time_millis = ms[0];
            set.step_millis = step;
            set.end_time_millis = ms[0] + slots as i64 * step;
            set.values = values;
            Ok(set)
        })
        .collect()
}

/// The sets of a response body, each with its samples' timestamps (seconds).
fn parse_timed(body: &str) -> Result<Vec<(MetricSet, Vec<f64>)>, SourceError> {
    let envelope: Envelope = serde_json::from_str(body).map_err(|e| SourceError::BadResponse {
        source_name: SOURCE,
        problem: format!("not Prometheus JSON ({e}): {}", excerpt(body)),
    })?;
    if envelope.status.as_deref() != Some("success") {
        return Err(SourceError::QueryFailed {
            source_name: SOURCE,
            error_type: envelope.error_type.unwrap_or_else(|| "unknown".into()),
            error: envelope
                .error
                .unwrap_or_else(|| format!("status {:?}", envelope.status)),
        });
    }
    let data = envelope.data.ok_or_else(|| SourceError::BadResponse {
        source_name: SOURCE,
        problem: "no \"data\" in a successful response".into(),
    })?;
    data.result
        .into_iter()
        // A series of native histograms only has no float samples to judge: skip it.
        .filter(|series| !(series.values.is_empty() && series.histograms.is_some()))
        .map(|series| {
            let mut tags = series.metric;
            tags.remove("__name__");
            let values = series
                .values
                .iter()
                .map(|(_, v)| {
                    sample_value(v).ok_or_else(|| SourceError::BadResponse {
                        source_name: SOURCE,
                        problem: format!("sample {v:?} is not a number"),
                    })
                })
                .collect::<Result<Vec<f64>, _>>()?;
            let start = series
                .values
                .first()
                .map_or(0, |(t, _)| (t * 1000.0) as i64);
            let step_secs = match (series.values.first(), series.values.get(1)) {
                (Some((a, _)), Some((b, _))) => (b - a) as i64,
                _ => 0,
            };
            // Saturating: timestamps come from the input and may be absurd.
            let step = step_secs.saturating_mul(1000);
            let times = series.values.iter().map(|(t, _)| *t).collect();
            let span = i64::try_from(values.len())
                .unwrap_or(i64::MAX)
                .saturating_mul(step);
            Ok((
                MetricSet {
                    tags,
                    start_time_millis: start,
                    end_time_millis: start.saturating_add(span),
                    step_millis: step,
                    values,
                    ..MetricSet::default()
                },
                times,
            ))
        })
        .collect()
}

/// The metric sets for `metric` from a response body: [`parse_range_response`], named, with the
/// query in `attributes`, and a single empty placeholder spanning the scope when nothing matched.
///
/// # Errors
/// As [`parse_range_response`].
pub fn metric_sets(
    metric: &str,
    query: &str,
    scope: &CanaryScope,
    body: &str,
) -> Result<Vec<MetricSet>, SourceError> {
    let mut sets = parse_range_response(body)?;
    if sets.is_empty() {
        sets.push(placeholder(scope, 1000));
    }
    for s in &mut sets {
        s.name = Some(metric.to_string());
        s.attributes.insert("query".into(), query.to_string());
    }
    Ok(sets)
}

/// An empty metric set spanning `scope` (step from the scope, else `default_step_millis`).
pub(crate) fn placeholder(scope: &CanaryScope, default_step_millis: i64) -> MetricSet {
    let start = scope.start_millis().unwrap_or(0);
    let end = scope.end_millis().unwrap_or(start);
    MetricSet {
        start_time_millis: start,
        start_time_iso: scope.start.clone(),
        end_time_millis: end,
        end_time_iso: scope.end.clone(),
        step_millis: scope
            .step
            .and_then(|s| i64::try_from(s).ok())
            .map_or(default_step_millis, |s| s * 1000),
        ..MetricSet::default()
    }
}

/// The first 200 characters of a body, for error messages.
pub(crate) fn excerpt(body: &str) -> String {
    let cut: String = body.chars().take(200).collect();
    if cut.len() < body.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(samples: &[(f64, &str)]) -> String {
        let values: Vec<serde_json::Value> = samples
            .iter()
            .map(|(t, v)| serde_json::json!([t, v]))
            .collect();
        serde_json::json!({"status": "success", "data": {"resultType": "matrix", "result": [
            {"metric": {"__name__": "latency", "instance": "a"}, "values": values}
        ]}})
        .to_string()
    }

    #[test]
    fn on_grid_is_the_plain_parse_without_gaps() {
        let b = body(&[
            (1_700_000_000.0, "1"),
            (1_700_000_060.0, "2"),
            (1_700_000_120.0, "NaN"),
        ]);
        let plain = parse_range_response(&b).expect("parses");
        let grid = parse_range_response_on_grid(&b).expect("parses");
        assert_eq!(grid.len(), 1);
        assert_eq!(grid[0].tags, plain[0].tags);
        assert_eq!(grid[0].start_time_millis, plain[0].start_time_millis);
        assert_eq!(grid[0].step_millis, 60_000);
        assert_eq!(grid[0].end_time_millis, plain[0].end_time_millis);
        assert_eq!(grid[0].values[..2], plain[0].values[..2]);
        assert!(grid[0].values[2].is_nan());
    }

    #[test]
    fn on_grid_fills_gaps_with_nan() {
        // Millisecond timestamps as Prometheus writes them; 2 and 3 minutes missing.
        let b = body(&[
            (1_700_000_000.5, "1"),
            (1_700_000_060.5, "2"),
            (1_700_000_240.5, "5"),
        ]);
        let plain = parse_range_response(&b).expect("parses");
        assert_eq!(
            plain[0].values,
            vec![1.0, 2.0, 5.0],
            "Kayenta's parse shifts the 5 back"
        );
        let grid = parse_range_response_on_grid(&b).expect("parses");
        let v = &grid[0].values;
        assert_eq!(v.len(), 5);
        assert_eq!((v[0], v[1], v[4]), (1.0, 2.0, 5.0));
        assert!(v[2].is_nan() && v[3].is_nan());
        assert_eq!(grid[0].start_time_millis, 1_700_000_000_500);
        assert_eq!(grid[0].end_time_millis, 1_700_000_000_500 + 5 * 60_000);
    }

    #[test]
    fn on_grid_refuses_what_cannot_be_placed() {
        let err = |samples: &[(f64, &str)]| {
            parse_range_response_on_grid(&body(samples))
                .expect_err("refused")
                .to_string()
        };
        let e = err(&[(100.0, "1"), (160.0, "2"), (160.0, "3")]);
        assert!(
            e.contains("sample 2 (timestamp 160) is not after the one before"),
            "{e}"
        );
        assert!(e.contains("\"instance\": \"a\""), "names the series: {e}");
        let e = err(&[(100.0, "1"), (220.0, "2"), (160.0, "3")]);
        assert!(e.contains("sample 2 (timestamp 160) is not after"), "{e}");
        let e = err(&[(100.0, "1"), (160.0, "2"), (227.0, "3")]);
        assert!(e.contains("sample 2 (timestamp 227): the gap from the one before (67000 ms) is not a multiple of the step (60000 ms"), "{e}");
        let e = err(&[(100.0, "1")]);
        assert!(e.contains("1 sample(s): at least two are needed"), "{e}");
        let e = err(&[(1.7e9, "1"), (1.7e9 + 60.0, "2"), (4.1e9, "3")]);
        assert!(e.contains("more than ten years"), "{e}");
        let e = err(&[(-1e300, "1"), (1e300, "2")]);
        assert!(
            e.contains("more than ten years"),
            "saturated timestamps: {e}"
        );
        // The plain parse takes them too, without overflowing (it had panicked in debug builds).
        let plain = parse_range_response(&body(&[(-1e300, "1"), (1e300, "2")])).expect("parses");
        assert_eq!(plain[0].values, vec![1.0, 2.0]);
        // An empty result is no series, as in the plain parse.
        let empty = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        assert!(parse_range_response_on_grid(empty)
            .expect("parses")
            .is_empty());
    }
}

//! Metric sources: `metricsource-prometheus-cases.json` (response parsing and 14 PromQL
//! building cases), `metricsource-datadog-cases.json` (NaN-filled slots) and
//! `metricset-mixer-cases.json` (pairing control and experiment sets).

use super::{fixtures, load_case_file, nums, same_bits, Tally};
use crate::check;
use canary_judge::model::{CanaryMetricConfig, CanaryScope, MetricSet};
use canary_judge::source::{datadog, mix_all, mix_one, prometheus};
use serde_json::Value;
use std::collections::BTreeMap;

fn same_values(got: &[f64], want: &[f64]) -> bool {
    got.len() == want.len() && got.iter().zip(want).all(|(a, b)| same_bits(*a, *b))
}

fn string_map(v: &Value) -> BTreeMap<String, String> {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

#[test]
fn prometheus_response_parsing() {
    const FILE: &str = "metricsource-prometheus-cases.json";
    let data = load_case_file(FILE);
    let cases = data["responseParsing"].as_array().expect("cases");
    let mut tally = Tally::new(FILE, "responseParsing");
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let body = match case.get("responseFile").and_then(Value::as_str) {
            Some(file) => std::fs::read_to_string(fixtures().join("kayenta").join(file))
                .expect("response file"),
            None => case["response"].to_string(),
        };
        let mut problems = Vec::new();
        let sets =
            prometheus::parse_range_response(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        match &case["expected"] {
            Value::Null => check!(
                problems,
                sets.is_empty(),
                "expected no series, got {}",
                sets.len()
            ),
            Value::Array(want) => {
                check!(
                    problems,
                    sets.len() == want.len(),
                    "{} series, expected {}",
                    sets.len(),
                    want.len()
                );
                for (got, want) in sets.iter().zip(want) {
                    check!(
                        problems,
                        Some(got.start_time_millis) == want["startTimeMillis"].as_i64(),
                        "start {} vs {}",
                        got.start_time_millis,
                        want["startTimeMillis"]
                    );
                    check!(
                        problems,
                        Some(got.end_time_millis) == want["endTimeMillis"].as_i64(),
                        "end {} vs {}",
                        got.end_time_millis,
                        want["endTimeMillis"]
                    );
                    check!(
                        problems,
                        Some(got.step_millis / 1000) == want["stepSecs"].as_i64(),
                        "step {} vs {}",
                        got.step_millis,
                        want["stepSecs"]
                    );
                    check!(
                        problems,
                        got.tags == string_map(&want["tags"]),
                        "tags {:?} vs {}",
                        got.tags,
                        want["tags"]
                    );
                    check!(
                        problems,
                        same_values(&got.values, &nums(&want["values"])),
                        "values differ"
                    );
                }
            }
            other => panic!("{name}: unexpected expectation {other}"),
        }
        tally.case(name, problems);
    }
    tally.finish(cases.len());
}

#[test]
fn prometheus_empty_result_gives_a_placeholder_spanning_the_scope() {
    let scope = CanaryScope {
        start: Some("2026-01-01T00:00:00Z".into()),
        end: Some("2026-01-01T00:04:00Z".into()),
        step: Some(60),
        ..CanaryScope::default()
    };
    let body = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
    let sets = prometheus::metric_sets("cpu", "avg(cpu{})", &scope, body).expect("parses");
    assert_eq!(sets.len(), 1);
    assert!(sets[0].values.is_empty());
    assert_eq!(sets[0].expected_data_points(), 4);
    assert_eq!(sets[0].name.as_deref(), Some("cpu"));
}

#[test]
fn prometheus_query_building() {
    const FILE: &str = "metricsource-prometheus-cases.json";
    let data = load_case_file(FILE);
    let q = &data["queryBuilding"];
    let templates = string_map(&q["templates"]);
    let scope_label = q["scopeLabel"].as_str().expect("scopeLabel");
    let cases = q["cases"].as_array().expect("cases");
    let mut tally = Tally::new(FILE, "queryBuilding");
    for (i, case) in cases.iter().enumerate() {
        let mut problems = Vec::new();
        let query = prometheus::PrometheusQuery {
            metric_name: q["metricName"].as_str().map(str::to_string),
            label_bindings: serde_json::from_value(case["labelBindings"].clone())
                .expect("bindings"),
            resource_type: case["resourceType"].as_str().map(str::to_string),
            custom_inline_template: case["customInlineTemplate"].as_str().map(str::to_string),
            custom_filter_template: case["customFilterTemplate"].as_str().map(str::to_string),
            ..Default::default()
        };
        let scope = CanaryScope {
            scope: case["scope"].as_str().map(str::to_string),
            location: q["scopeLocation"].as_str().map(str::to_string),
            extended_scope_params: string_map(&case["extendedScopeParams"]),
            ..CanaryScope::default()
        };
        let want = case["expectedQuery"].as_str().expect("expectedQuery");
        match prometheus::build_query("m", &query, &templates, &scope, scope_label) {
            Ok(got) => check!(problems, got == want, "got {got}, expected {want}"),
            Err(e) => problems.push(format!("error {e}, expected {want}")),
        }
        tally.case(&format!("query {i}"), problems);
    }
    tally.finish(cases.len());
}

#[test]
fn prometheus_query_errors() {
    let scope = CanaryScope {
        scope: Some("s".into()),
        ..CanaryScope::default()
    };
    let templates = BTreeMap::new();
    let base = prometheus::PrometheusQuery {
        metric_name: Some("cpu".into()),
        ..Default::default()
    };
    let err = prometheus::build_query("cpu", &base, &templates, &scope, "instance")
        .expect_err("no resource type");
    assert!(
        err.to_string()
            .contains("either a resource type or a custom filter is required"),
        "{err}"
    );
    let odd = prometheus::PrometheusQuery {
        resource_type: Some("k8s_pod".into()),
        ..base.clone()
    };
    let err = prometheus::build_query("cpu", &odd, &templates, &scope, "instance")
        .expect_err("unsupported");
    assert!(err.to_string().contains("k8s_pod"), "{err}");
    let undefined = prometheus::PrometheusQuery {
        custom_inline_template: Some("x=${nothing}".into()),
        ..base.clone()
    };
    let err = prometheus::build_query("cpu", &undefined, &templates, &scope, "instance")
        .expect_err("undefined");
    assert!(
        err.to_string()
            .contains("problem evaluating custom filter template"),
        "{err}"
    );
    let missing = prometheus::PrometheusQuery {
        custom_filter_template: Some("absent".into()),
        ..base
    };
    let err = prometheus::build_query("cpu", &missing, &templates, &scope, "instance")
        .expect_err("missing");
    assert!(err.to_string().contains("'absent'"), "{err}");
    let deprecated: CanaryMetricConfig = serde_json::from_value(serde_json::json!({
        "name": "cpu", "query": {"type": "prometheus", "customFilter": "a=b"}, "groups": []
    }))
    .expect("config");
    let err = prometheus::PrometheusQuery::from_metric(&deprecated).expect_err("deprecated");
    assert!(err.to_string().contains("deprecated"), "{err}");
}

#[test]
fn prometheus_error_bodies() {
    let err = prometheus::parse_range_response(
        r#"{"status":"error","errorType":"bad_data","error":"1:24: parse error: unexpected end of input"}"#,
    )
    .expect_err("error envelope");
    assert!(
        err.to_string().contains("bad_data") && err.to_string().contains("parse error"),
        "{err}"
    );
    let err = prometheus::parse_range_response("<html>502 Bad Gateway</html>").expect_err("html");
    assert!(err.to_string().contains("502 Bad Gateway"), "{err}");
    let err = prometheus::parse_range_response(
        r#"{"status":"success","data":{"result":[{"metric":{},"values":[[1,"1"#,
    )
    .expect_err("truncated");
    assert!(err.to_string().contains("not Prometheus JSON"), "{err}");
    let err = prometheus::parse_range_response(
        r#"{"status":"success","data":{"result":[{"metric":{},"values":[[1,"x"]]}]}}"#,
    )
    .expect_err("bad sample");
    assert!(err.to_string().contains("\"x\""), "{err}");
    let sets = prometheus::parse_range_response(
        r#"{"status":"success","data":{"result":[{"metric":{"__name__":"up","job":"a"},"values":[[1,"NaN"],[2,"+Inf"],[3,"-Inf"]]}]}}"#,
    )
    .expect("special values");
    assert_eq!(
        sets[0].tags,
        BTreeMap::from([("job".to_string(), "a".to_string())])
    );
    assert!(
        sets[0].values[0].is_nan()
            && sets[0].values[1] == f64::INFINITY
            && sets[0].values[2] == f64::NEG_INFINITY
    );
}

#[test]
fn prometheus_warnings_fractional_times_and_histograms() {
    let body = r#"{"status":"success","warnings":["PromQL info: metric might not be a counter"],
        "data":{"resultType":"matrix","result":[
          {"metric":{"le":"x"},"histograms":[[1.5,{"count":"3","sum":"4"}]]},
          {"metric":{"version":"a"},"values":[[1795485900.5,"110"],[1795485960.5,"1.5e-07"]]}]}}"#;
    let sets = prometheus::parse_range_response(body).expect("parses");
    assert_eq!(sets.len(), 1, "the histogram-only series is skipped");
    assert_eq!(sets[0].start_time_millis, 1_795_485_900_500);
    assert_eq!(sets[0].step_millis, 60_000);
    assert_eq!(sets[0].values, [110.0, 1.5e-7]);
}

#[test]
fn datadog_cases() {
    const FILE: &str = "metricsource-datadog-cases.json";
    let data = load_case_file(FILE);
    let cases = data["cases"].as_array().expect("cases");
    let mut tally = Tally::new(FILE, "cases");
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let mut problems = Vec::new();
        let points: Vec<(f64, Option<f64>)> =
            serde_json::from_value(case["pointlist"].clone()).expect("pointlist");
        let got = datadog::fill_slots(
            case["start"].as_i64().expect("start"),
            case["end"].as_i64().expect("end"),
            case["interval"].as_i64().expect("interval"),
            &points,
        );
        let want = nums(&case["expected"]);
        check!(
            problems,
            same_values(&got, &want),
            "{got:?}, expected {want:?}"
        );
        // The same through a whole response body.
        let body = serde_json::json!({"status": "ok", "series": [{
            "start": case["start"], "end": case["end"], "interval": case["interval"], "pointlist": case["pointlist"],
        }]});
        let sets = datadog::metric_sets("m", "q", &CanaryScope::default(), &body.to_string())
            .expect("parses");
        check!(
            problems,
            sets.len() == 1 && same_values(&sets[0].values, &want) && sets[0].tags.is_empty(),
            "response parse differs"
        );
        tally.case(name, problems);
    }
    tally.finish(cases.len());
}

#[test]
fn datadog_errors_and_empty() {
    let err = datadog::metric_sets(
        "m",
        "q",
        &CanaryScope::default(),
        r#"{"errors":["Forbidden"]}"#,
    )
    .expect_err("403 body");
    assert!(err.to_string().contains("Forbidden"), "{err}");
    let err = datadog::metric_sets(
        "m",
        "q",
        &CanaryScope::default(),
        r#"{"status":"error","error":"bad query"}"#,
    )
    .expect_err("status");
    assert!(err.to_string().contains("bad query"), "{err}");
    let sets = datadog::metric_sets(
        "m",
        "q",
        &CanaryScope::default(),
        r#"{"status":"ok","series":[]}"#,
    )
    .expect("empty");
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0].step_millis, 1000);
    assert!(sets[0].values.is_empty());
}

fn metric_set(v: &Value) -> MetricSet {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("metric set {v}: {e}"))
}

#[test]
fn mixer_cases() {
    const FILE: &str = "metricset-mixer-cases.json";
    let data = load_case_file(FILE);
    let cases = data["cases"].as_array().expect("cases");
    let mut tally = Tally::new(FILE, "cases");
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let mut problems = Vec::new();
        let outcome = if case.get("control").is_some() {
            mix_one(
                &metric_set(&case["control"]),
                &metric_set(&case["experiment"]),
            )
            .map(|p| vec![p])
        } else {
            let control: Vec<MetricSet> = case["controlList"]
                .as_array()
                .expect("list")
                .iter()
                .map(metric_set)
                .collect();
            let experiment: Vec<MetricSet> = case["experimentList"]
                .as_array()
                .expect("list")
                .iter()
                .map(metric_set)
                .collect();
            let mut names: Vec<String> = control
                .iter()
                .chain(&experiment)
                .filter_map(|s| s.name.clone())
                .collect();
            names.dedup();
            let metrics: Vec<CanaryMetricConfig> = names
                .into_iter()
                .map(|n| CanaryMetricConfig {
                    name: n,
                    groups: Some(vec![]),
                    ..Default::default()
                })
                .collect();
            mix_all(&metrics, &control, &experiment)
        };
        match (outcome, case.get("expectedError").and_then(Value::as_str)) {
            (Err(e), Some(want)) => check!(
                problems,
                e.to_string().contains(want),
                "error {e}, expected one containing {want:?}"
            ),
            (Ok(pairs), Some(want)) => problems.push(format!(
                "mixed {} pairs, expected error {want:?}",
                pairs.len()
            )),
            (Err(e), None) => problems.push(format!("unexpected error {e}")),
            (Ok(pairs), None) => {
                let expected: Vec<&Value> = match &case["expected"] {
                    Value::Array(list) => list.iter().collect(),
                    one => vec![one],
                };
                check!(
                    problems,
                    pairs.len() == expected.len(),
                    "{} pairs, expected {}",
                    pairs.len(),
                    expected.len()
                );
                for (got, want) in pairs.iter().zip(expected) {
                    if let Some(n) = want.get("name").and_then(Value::as_str) {
                        check!(problems, got.name == n, "name {} vs {n}", got.name);
                    }
                    if let Some(t) = want.get("tags") {
                        check!(
                            problems,
                            got.tags == string_map(t),
                            "tags {:?} vs {t}",
                            got.tags
                        );
                    }
                    let v = &want["values"];
                    check!(
                        problems,
                        same_values(&got.values.control, &nums(&v["control"])),
                        "control {:?} vs {}",
                        got.values.control,
                        v["control"]
                    );
                    check!(
                        problems,
                        same_values(&got.values.experiment, &nums(&v["experiment"])),
                        "experiment {:?} vs {}",
                        got.values.experiment,
                        v["experiment"]
                    );
                    if let Some(a) = want.get("attributes") {
                        check!(
                            problems,
                            got.attributes.as_ref() == Some(a),
                            "attributes {:?} vs {a}",
                            got.attributes
                        );
                    }
                    if want.get("idNonEmpty").and_then(Value::as_bool) == Some(true) {
                        check!(
                            problems,
                            got.id.as_deref().is_some_and(|id| !id.is_empty()),
                            "id empty"
                        );
                    }
                }
            }
        }
        tally.case(name, problems);
    }
    tally.finish(cases.len());
}

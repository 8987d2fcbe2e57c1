//! The wire format: Kayenta's JSON read and written as its Jackson mapper does, and every kind of
//! bad input answered by a typed error that names the field.

use canary_judge::{judge, parse_request, CanaryConfig, JudgeError, JudgeRequest, ParseError};
use serde_json::{json, Value};

fn request(metric_config: Value, values: Value) -> Value {
    json!({
        "canaryConfig": {
            "name": "wire",
            "configVersion": 1.0,
            "extensions": {"legacy": true},
            "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
            "metrics": [metric_config],
            "classifier": {"groupWeights": {"g": 100}}
        },
        "scoreThresholds": {"pass": 95, "marginal": 75},
        "metricSetPairList": [{"name": "m", "id": "id-1", "tags": {"pod": "a"}, "values": values}],
        "somethingNew": [1, 2, 3]
    })
}

fn metric(canary: Value) -> Value {
    json!({"name": "m", "groups": ["g"], "analysisConfigurations": {"canary": canary}, "scopeName": "default"})
}

fn parse(v: &Value) -> Result<JudgeRequest, ParseError> {
    parse_request(&v.to_string())
}

fn judged(v: &Value) -> Result<canary_judge::CanaryJudgeResult, JudgeError> {
    judge(&parse(v).expect("parses"))
}

#[test]
fn nan_strings_read_and_write() {
    let v = request(
        metric(json!({})),
        json!({"control": [1.0, "NaN", 2.0, 0.0], "experiment": [0.0, "NaN", 0.0, 0.0]}),
    );
    let req = parse(&v).expect("parses");
    assert!(req.metric_set_pair_list[0].values.control[1].is_nan());
    // Round trip of the request writes "NaN" back, not null.
    let text = serde_json::to_string(&req).expect("writes");
    assert!(text.contains(r#"[1.0,"NaN",2.0,0.0]"#), "{text}");
    // A zero mean makes the ratio NaN, written as the string "NaN".
    let result = judge(&req).expect("judges");
    let out = serde_json::to_value(&result).expect("writes");
    assert_eq!(out["results"][0]["resultMetadata"]["ratio"], json!("NaN"));
}

#[test]
fn infinity_strings_read_and_are_refused_by_the_judge() {
    let v = request(
        metric(json!({})),
        json!({"control": [1.0, 2.0], "experiment": [1.0, "Infinity"]}),
    );
    let req = parse(&v).expect("the wire accepts Jackson's Infinity");
    assert_eq!(
        req.metric_set_pair_list[0].values.experiment[1],
        f64::INFINITY
    );
    let err = judge(&req).expect_err("the judge refuses ±∞");
    assert!(
        matches!(
            err,
            JudgeError::NonFiniteValue {
                side: "experiment",
                position: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("values.experiment[1]"), "{err}");
}

#[test]
fn unknown_keys_ignored_and_nulls_omitted() {
    let v = request(
        metric(json!({"futureSetting": {"x": 1}})),
        json!({"control": [1.0, 2.0, 3.0], "experiment": [1.0, 2.0, 3.0]}),
    );
    let result = judged(&v).expect("judges");
    let out = serde_json::to_value(&result).expect("writes");
    let r = &out["results"][0];
    assert_eq!(r["classification"], "Pass");
    assert_eq!(
        r["classificationReason"],
        "The Canary and Baseline data are identical"
    );
    assert_eq!(r["tags"], json!({"pod": "a"}));
    assert_eq!(r["critical"], json!(false));
    assert_eq!(r["muted"], json!(false));
    // A Pass without a reason omits the key entirely.
    let v = request(
        metric(json!({})),
        json!({"control": [1.0, 2.0, 3.0, 4.0], "experiment": [1.5, 2.5, 3.5, 4.0]}),
    );
    let out = serde_json::to_value(judged(&v).expect("judges")).expect("writes");
    assert!(
        out["results"][0].get("classificationReason").is_none(),
        "{out}"
    );
    // Field order as Jackson writes it.
    let text = serde_json::to_string(&judged(&v).expect("judges")).expect("writes");
    let order = [
        "\"judgeName\"",
        "\"results\"",
        "\"groupScores\"",
        "\"score\"",
    ];
    let positions: Vec<usize> = order.iter().map(|k| text.find(k).expect(k)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[test]
fn config_version_string_or_number() {
    let a: CanaryConfig =
        serde_json::from_value(json!({"configVersion": "1", "metrics": []})).expect("string");
    let b: CanaryConfig =
        serde_json::from_value(json!({"configVersion": 1.0, "metrics": []})).expect("number");
    let c: CanaryConfig =
        serde_json::from_value(json!({"configVersion": 2, "metrics": []})).expect("integer");
    assert_eq!(a.config_version.as_deref(), Some("1"));
    assert_eq!(b.config_version.as_deref(), Some("1.0"));
    assert_eq!(c.config_version.as_deref(), Some("2"));
    let err =
        serde_json::from_value::<CanaryConfig>(json!({"configVersion": [1]})).expect_err("array");
    assert!(err.to_string().contains("a string or a number"), "{err}");
}

fn parse_error(text: &str) -> ParseError {
    parse_request(text).expect_err("must not parse")
}

#[test]
fn malformed_json_is_a_parse_error() {
    let err = parse_error("{\"canaryConfig\": ");
    assert!(err.to_string().contains("line 1"), "{err}");
    let err = parse_error("not json");
    assert!(err.to_string().contains("expected"), "{err}");
    let good = request(
        metric(json!({})),
        json!({"control": [1.0], "experiment": [2.0]}),
    );
    assert!(parse(&good).is_ok());
    let err = parse_error(&format!("{good} trailing"));
    assert!(err.to_string().contains("trailing"), "{err}");
    let err = parse_error("\"text\"");
    assert!(err.to_string().contains("invalid type"), "{err}");
}

#[test]
fn missing_fields_are_named() {
    let mut v = request(
        metric(json!({})),
        json!({"control": [1.0], "experiment": [2.0]}),
    );
    v["metricSetPairList"][0]["values"]
        .as_object_mut()
        .expect("values")
        .remove("control");
    let err = parse(&v).expect_err("values.control is required");
    assert_eq!(err.path(), "metricSetPairList[0].values");
    assert!(err.to_string().contains("missing field `control`"), "{err}");

    let mut v = request(
        metric(json!({})),
        json!({"control": [1.0], "experiment": [2.0]}),
    );
    v["metricSetPairList"][0]
        .as_object_mut()
        .expect("pair")
        .remove("values");
    let err = parse(&v).expect_err("values is required");
    assert!(err.to_string().contains("missing field `values`"), "{err}");

    let mut v = request(
        metric(json!({})),
        json!({"control": [1.0], "experiment": [2.0]}),
    );
    v["scoreThresholds"]
        .as_object_mut()
        .expect("thresholds")
        .remove("marginal");
    let err = parse(&v).expect_err("thresholds are required");
    assert_eq!(err.path(), "scoreThresholds");
    assert!(
        err.to_string().contains("missing field `marginal`"),
        "{err}"
    );

    let mut v = request(
        metric(json!({})),
        json!({"control": [1.0], "experiment": [2.0]}),
    );
    v.as_object_mut()
        .expect("request")
        .remove("scoreThresholds");
    let err = parse(&v).expect_err("thresholds are required");
    assert!(err.to_string().contains("scoreThresholds"), "{err}");
}

#[test]
fn wrong_types_are_named() {
    let v = request(
        metric(json!({})),
        json!({"control": [1.0, null], "experiment": [2.0]}),
    );
    let err = parse(&v).expect_err("null sample");
    assert_eq!(err.path(), "metricSetPairList[0].values.control[1]");

    let v = request(
        metric(json!({})),
        json!({"control": [1.0, "abc"], "experiment": [2.0]}),
    );
    let err = parse(&v).expect_err("text sample");
    assert_eq!(err.path(), "metricSetPairList[0].values.control[1]");

    let v = request(
        metric(json!({})),
        json!({"control": "1,2,3", "experiment": [2.0]}),
    );
    let err = parse(&v).expect_err("not an array");
    assert_eq!(err.path(), "metricSetPairList[0].values.control");

    let mut v = request(
        metric(json!({})),
        json!({"control": [1.0], "experiment": [2.0]}),
    );
    v["scoreThresholds"]["pass"] = json!(true);
    let err = parse(&v).expect_err("boolean threshold");
    assert_eq!(err.path(), "scoreThresholds.pass");

    let mut v = request(
        metric(json!({})),
        json!({"control": [1.0], "experiment": [2.0]}),
    );
    v["canaryConfig"]["classifier"]["groupWeights"]["g"] = json!("heavy");
    let err = parse(&v).expect_err("text weight");
    assert_eq!(err.path(), "canaryConfig.classifier.groupWeights.g");

    // A repeated group (JSON text: a `Value` cannot hold one) is refused, naming it.
    let text = serde_json::to_string(&request(
        metric(json!({})),
        json!({"control": [1.0], "experiment": [2.0]}),
    ))
    .expect("json")
    .replace(
        r#""groupWeights":{"g":100}"#,
        r#""groupWeights":{"g":30,"h":40,"g":30}"#,
    );
    assert!(text.contains(r#""g":30,"h":40,"g":30"#), "{text}");
    let err = canary_judge::parse_request(&text).expect_err("repeated group");
    assert_eq!(err.path(), "canaryConfig.classifier.groupWeights");
    assert!(
        err.to_string()
            .contains("group 'g' is given more than once"),
        "{err}"
    );
}

fn setting_error(canary: Value) -> JudgeError {
    let v = request(
        metric(canary),
        json!({"control": [1.0, 2.0], "experiment": [3.0, 4.0]}),
    );
    judged(&v).expect_err("setting must be refused")
}

#[test]
fn wrongly_typed_settings_name_metric_and_key() {
    let cases = [
        (json!({"critical": "true"}), "critical"),
        (json!({"mustHaveData": 1}), "mustHaveData"),
        (json!({"muted": null}), "muted"),
        (json!({"direction": null}), "direction"),
        (json!({"direction": 3}), "direction"),
        (json!({"nanStrategy": ["remove"]}), "nanStrategy"),
        (
            json!({"effectSize": {"allowedIncrease": "1.2"}}),
            "effectSize.allowedIncrease",
        ),
        (
            json!({"effectSize": {"measure": null}}),
            "effectSize.measure",
        ),
        (
            json!({"effectSize": [{"allowedIncrease": 1.2}]}),
            "effectSize",
        ),
        (
            json!({"outliers": {"outlierFactor": "3"}}),
            "outliers.outlierFactor",
        ),
    ];
    for (canary, field) in cases {
        let err = setting_error(canary.clone());
        match &err {
            JudgeError::InvalidSetting {
                metric, field: f, ..
            } => {
                assert_eq!(metric, "m", "{canary}");
                assert_eq!(f, field, "{canary}");
            }
            other => panic!("{canary}: unexpected {other}"),
        }
        let text = err.to_string();
        assert!(
            text.contains("metric 'm'") && text.contains(field),
            "{text}"
        );
    }
    let v = request(
        json!({"name": "m", "groups": ["g"], "analysisConfigurations": {"canary": [1]}}),
        json!({"control": [1.0], "experiment": [2.0]}),
    );
    assert!(matches!(judged(&v), Err(JudgeError::InvalidSetting { .. })));
}

#[test]
fn kayenta_lenient_setting_rules() {
    // Unknown strings fall back to the default; a null effect size reads as 0.0.
    let v = request(
        metric(
            json!({"direction": "INCREASE", "nanStrategy": "Replace", "effectSize": {"allowedIncrease": null}}),
        ),
        json!({"control": [1.0, 2.0, 3.0, 4.0, 5.0], "experiment": [1.0, 2.0, 3.0, 4.0, 5.0]}),
    );
    assert!(judged(&v).is_ok());
}

#[test]
fn whole_judgement_errors() {
    // A pair without a metric config.
    let mut v = request(
        metric(json!({})),
        json!({"control": [1.0], "experiment": [2.0]}),
    );
    v["metricSetPairList"][0]["name"] = json!("unknown");
    let err = judged(&v).expect_err("no config");
    assert_eq!(
        err,
        JudgeError::MissingMetricConfig {
            index: 0,
            metric: "unknown".into()
        }
    );
    assert!(err
        .to_string()
        .contains("could not find metric config for 'unknown'"));

    // No classifier.
    let mut v = request(
        metric(json!({})),
        json!({"control": [1.0], "experiment": [2.0]}),
    );
    v["canaryConfig"]
        .as_object_mut()
        .expect("config")
        .remove("classifier");
    assert_eq!(
        judged(&v).expect_err("no classifier"),
        JudgeError::MissingClassifier
    );

    // No groups.
    let v = request(
        json!({"name": "m"}),
        json!({"control": [1.0], "experiment": [2.0]}),
    );
    assert!(matches!(judged(&v), Err(JudgeError::MissingGroups { .. })));

    // Non-finite thresholds and weights.
    let mut v = request(
        metric(json!({})),
        json!({"control": [1.0], "experiment": [2.0]}),
    );
    v["scoreThresholds"]["pass"] = json!("NaN");
    assert!(matches!(
        judged(&v),
        Err(JudgeError::InvalidThreshold { field: "pass", .. })
    ));
    let mut v = request(
        metric(json!({})),
        json!({"control": [1.0], "experiment": [2.0]}),
    );
    v["canaryConfig"]["classifier"]["groupWeights"]["g"] = json!("Infinity");
    assert!(matches!(
        judged(&v),
        Err(JudgeError::InvalidGroupWeight { .. })
    ));

    // An unknown judge lists the known ones.
    let mut v = request(
        metric(json!({})),
        json!({"control": [1.0], "experiment": [2.0]}),
    );
    v["canaryConfig"]["judge"]["name"] = json!("dredd-v1.0");
    let err = judged(&v).expect_err("unknown judge");
    assert!(
        err.to_string().contains("dredd-v1.0") && err.to_string().contains("NetflixACAJudge-v1.0"),
        "{err}"
    );
}

#[test]
fn duplicate_metric_names_use_the_first_config() {
    let mut v = request(
        metric(json!({"direction": "decrease"})),
        json!({"control": [1.0, 1.1, 1.2, 1.3, 1.4, 1.5], "experiment": [5.0, 5.1, 5.2, 5.3, 5.4, 5.5]}),
    );
    v["canaryConfig"]["metrics"]
        .as_array_mut()
        .expect("metrics")
        .push(metric(json!({"direction": "increase"})));
    let result = judged(&v).expect("judges");
    // The first config says decrease, so a big increase passes.
    assert_eq!(result.results[0].classification.as_str(), "Pass");
}

//! Behaviour pinned from Kayenta's issues and the spec's edge-case table (§4.4, §11): each test
//! names where the behaviour comes from.

use canary_judge::judge::{
    ClassifierPath, ClassifyArgs, CleanSeries, Direction, MannWhitneyClassifier, MetricLabels,
    MetricSettings, NanStrategy,
};
use canary_judge::model::Classification;
use canary_judge::{judge, parse_request, Verdict};
use serde_json::{json, Value};

fn classify(
    control: &[f64],
    experiment: &[f64],
) -> Result<canary_judge::judge::MetricClassification, canary_judge::judge::ClassifyError> {
    let settings = MetricSettings::default();
    MannWhitneyClassifier::for_judge(&settings).classify(
        &CleanSeries::prepare(control, NanStrategy::Remove, None),
        &CleanSeries::prepare(experiment, NanStrategy::Remove, None),
        ClassifyArgs::from(&settings),
        MetricLabels::judge("m"),
    )
}

fn label(control: &[f64], experiment: &[f64]) -> Classification {
    classify(control, experiment)
        .expect("classifies")
        .classification
}

/// spinnaker/spinnaker#6278: 7 of 10 points at 100 against a baseline of 1s passes; 8 of 10 is High.
#[test]
fn spinnaker_6278_shape_changes() {
    let control = [1.0; 10];
    let mut seven = [1.0; 10];
    seven[..7].fill(100.0);
    let mut eight = [1.0; 10];
    eight[..8].fill(100.0);
    assert_eq!(label(&control, &seven), Classification::Pass);
    assert_eq!(label(&control, &eight), Classification::High);
}

/// spinnaker/kayenta#426, spinnaker#5622: errors against an all-zero baseline pass, ratio NaN.
#[test]
fn kayenta_426_zero_inflated_errors_pass() {
    let control = [0.0; 10];
    let mut experiment = [0.0; 10];
    experiment[9] = 100.0;
    let c = classify(&control, &experiment).expect("classifies");
    assert_eq!(c.classification, Classification::Pass);
    assert!(c.deviation.is_nan());
    assert_eq!(c.interval.expect("interval").estimate, 0.0);
}

/// §4.4: fully separated tiny samples clamp to [muMin, muMax] and are decisive.
#[test]
fn tiny_separated_samples() {
    let c = classify(&[1.0, 2.0], &[3.0, 4.0]).expect("classifies");
    let mw = c.interval.expect("interval");
    assert_eq!((mw.lower, mw.upper), (1.0, 3.0));
    assert_eq!(c.classification, Classification::High);
    assert_eq!(label(&[1.0, 1.5, 1.2], &[2.0]), Classification::High);
}

/// §4.1, deliberate difference: both sides constant and different. Kayenta adds unseeded noise;
/// we decide by the sign, deterministically, and report the clean ratio.
#[test]
fn constant_sides_are_deterministic() {
    for _ in 0..3 {
        let up = classify(&[5.0, 5.0, 5.0], &[7.0, 7.0]).expect("classifies");
        assert_eq!(up.classification, Classification::High);
        assert_eq!(up.path, ClassifierPath::ConstantSides);
        assert_eq!(up.deviation, 7.0 / 5.0);
        let down = classify(&[7.0, 7.0], &[5.0, 5.0, 5.0]).expect("classifies");
        assert_eq!(down.classification, Classification::Low);
    }
    // A zero side: ratio NaN, effect-size filter skipped, still decided by the sign.
    let z = classify(&[0.0, 0.0], &[3.0, 3.0]).expect("classifies");
    assert_eq!(z.classification, Classification::High);
    assert!(z.deviation.is_nan());
    // Direction still applies.
    let settings = MetricSettings {
        direction: Direction::Decrease,
        ..MetricSettings::default()
    };
    let c = MannWhitneyClassifier::for_judge(&settings)
        .classify(
            &CleanSeries::prepare(&[5.0, 5.0], NanStrategy::Remove, None),
            &CleanSeries::prepare(&[7.0, 7.0], NanStrategy::Remove, None),
            ClassifyArgs::from(&settings),
            MetricLabels::judge("m"),
        )
        .expect("classifies");
    assert_eq!(c.classification, Classification::Pass);
}

/// §3 step 7 / §11: one value on each side, different: always an error (Kayenta: almost always).
#[test]
fn one_value_each_side_is_an_error() {
    assert!(classify(&[1.0], &[2.0]).is_err());
    assert!(classify(&[1.0], &[10.0]).is_err());
    assert!(classify(&[0.0], &[3.0]).is_err());
}

fn request(metrics: Value, pairs: Value, weights: Value) -> canary_judge::JudgeRequest {
    parse_request(
        &json!({
            "canaryConfig": {"metrics": metrics, "classifier": {"groupWeights": weights}},
            "scoreThresholds": {"pass": 90, "marginal": 50},
            "metricSetPairList": pairs,
        })
        .to_string(),
    )
    .expect("parses")
}

fn pair(name: &str, control: Value, experiment: Value) -> Value {
    json!({"name": name, "id": name, "tags": {}, "values": {"control": control, "experiment": experiment}})
}

/// §11: the judge reports `Error` for a 1-vs-1 metric, without `resultMetadata`, and leaves it
/// out of the group score.
#[test]
fn error_result_shape() {
    let req = request(
        json!([{"name": "a", "groups": ["g"]}, {"name": "b", "groups": ["g"]}]),
        json!([
            pair("a", json!([1.0]), json!([2.0])),
            pair("b", json!([1, 2, 3]), json!([1, 2, 3]))
        ]),
        json!({}),
    );
    let result = judge(&req).expect("judges");
    let out = serde_json::to_value(&result).expect("writes");
    assert_eq!(out["results"][0]["classification"], "Error");
    assert_eq!(
        out["results"][0]["classificationReason"],
        "Metric Classification Failed"
    );
    assert!(out["results"][0].get("resultMetadata").is_none());
    assert_eq!(result.score.score, 100.0);
}

/// §7 step 3: a critical metric with no data fails the canary with its reason.
#[test]
fn critical_nodata_fails_the_canary() {
    let req = request(
        json!([{"name": "a", "groups": ["g"], "analysisConfigurations": {"canary": {"critical": true}}},
               {"name": "b", "groups": ["g"]}]),
        json!([
            pair("a", json!(["NaN", "NaN"]), json!([1.0])),
            pair("b", json!([1, 2, 3]), json!([1, 2, 3]))
        ]),
        json!({}),
    );
    let result = judge(&req).expect("judges");
    assert_eq!(result.score.score, 0.0);
    assert_eq!(result.score.classification, Verdict::Fail);
    assert_eq!(
        result.score.classification_reason,
        "Canary Failed: Missing data for a"
    );
}

/// §7 step 4: 50% or more Nodata fails; NodataFailMetric does not count there.
#[test]
fn half_nodata_fails() {
    let req = request(
        json!([{"name": "a", "groups": ["g"]}, {"name": "b", "groups": ["g"]}]),
        json!([
            pair("a", json!(["NaN"]), json!([1.0])),
            pair("b", json!([1, 2, 3]), json!([1, 2, 3]))
        ]),
        json!({}),
    );
    let result = judge(&req).expect("judges");
    assert_eq!(result.score.score, 0.0);
    assert_eq!(
        result.score.classification_reason,
        "Canary Failed: 50% or more metrics returned NODATA"
    );
}

/// §11: every metric muted: summary 0.0, reason "", verdict Fail.
#[test]
fn all_muted() {
    let req = request(
        json!([{"name": "a", "groups": ["g"], "analysisConfigurations": {"canary": {"muted": true}}}]),
        json!([pair("a", json!([1, 2, 3]), json!([10, 20, 30]))]),
        json!({"g": 100}),
    );
    let result = judge(&req).expect("judges");
    assert!(result.results[0].muted);
    assert_eq!(result.score.score, 0.0);
    assert_eq!(result.score.classification_reason, "");
    assert_eq!(result.score.classification, Verdict::Fail);
    assert!(result.group_scores.is_empty());
}

/// §7: unweighted groups share what the configured weights leave; 1 of 3 rounds half-up.
#[test]
fn default_weights_and_rounding() {
    let req = request(
        json!([{"name": "a", "groups": ["x"]}, {"name": "b", "groups": ["y"]},
               {"name": "c", "groups": ["y"]}, {"name": "d", "groups": ["y"]}]),
        json!([
            pair("a", json!([1, 2, 3, 4]), json!([1, 2, 3, 4])),
            pair("b", json!([1, 2, 3, 4, 5, 6]), json!([1, 2, 3, 4, 5, 6])),
            pair(
                "c",
                json!([1, 2, 3, 4, 5, 6]),
                json!([50, 60, 70, 80, 90, 99])
            ),
            pair(
                "d",
                json!([1, 2, 3, 4, 5, 6]),
                json!([50, 60, 70, 80, 90, 99])
            )
        ]),
        json!({"x": 50}),
    );
    let result = judge(&req).expect("judges");
    // x: 100 × 50/100; y: 33.33… × 50/100 → 66.666… → 66.67.
    assert_eq!(result.score.score, 66.67);
    assert_eq!(result.score.classification, Verdict::Marginal);
}

/// §2.3: replace turns missing data into zeros; an all-NaN pair is then identical.
#[test]
fn replace_all_nan_is_identical() {
    let req = request(
        json!([{"name": "a", "groups": ["g"], "analysisConfigurations": {"canary": {"nanStrategy": "replace", "mustHaveData": true}}}]),
        json!([pair("a", json!(["NaN", "NaN"]), json!(["NaN", "NaN"]))]),
        json!({}),
    );
    let result = judge(&req).expect("judges");
    assert_eq!(result.results[0].classification, Classification::Pass);
    assert_eq!(
        result.results[0].classification_reason.as_deref(),
        Some("The Canary and Baseline data are identical")
    );
}

/// A request large enough to be judged across threads (with the `parallel` feature, which the
/// workspace build turns on) gives the same results, in order, as judging each metric alone; and
/// the error reported is the first in input order.
#[test]
fn large_requests_judge_the_same_in_parallel() {
    let points = canary_judge::judge::PARALLEL_MIN_POINTS / 4 + 1;
    let series = |seed: u64, shift: f64| -> Vec<f64> {
        let mut s = seed;
        (0..points)
            .map(|_| {
                s = s
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                100.0 + shift + ((s >> 33) % 1000) as f64 / 100.0
            })
            .collect()
    };
    let names = ["a", "b", "c"];
    let metrics: Vec<Value> = names
        .iter()
        .map(|n| json!({"name": n, "groups": ["g"]}))
        .collect();
    let pairs: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(k, n)| {
            pair(
                n,
                json!(series(k as u64, 0.0)),
                json!(series(k as u64 + 10, k as f64)),
            )
        })
        .collect();
    let req = request(json!(metrics), json!(pairs), json!({}));
    assert!(
        req.metric_set_pair_list
            .iter()
            .map(|p| p.values.control.len() + p.values.experiment.len())
            .sum::<usize>()
            >= canary_judge::judge::PARALLEL_MIN_POINTS
    );
    let result = judge(&req).expect("judges");
    for (k, p) in req.metric_set_pair_list.iter().enumerate() {
        let alone =
            canary_judge::judge::judge_metric(k, p, &req.canary_config.metrics[k]).expect("judges");
        assert_eq!(result.results[k], alone.result, "metric {k}");
    }
    // Two bad pairs: the first one in input order is reported.
    let mut bad = req.clone();
    bad.metric_set_pair_list[1].name = "missing-1".into();
    bad.metric_set_pair_list[2].name = "missing-2".into();
    let err = judge(&bad).expect_err("no config");
    assert!(err.to_string().contains("missing-1"), "{err}");
}

//! `canary-judge-v1`: what Kayenta's judge misses (zero-inflated errors, tails), data
//! sufficiency, multiple testing, tag weights, thresholds, explanations, bad settings, and the
//! symmetry and monotonicity properties.

use canary_judge::judge::v1::canary_judge_v1;
use canary_judge::judge::{judge_with, netflix_aca_judge};
use canary_judge::model::{CanaryJudgeResult, Classification, Evidence};
use canary_judge::{JudgeError, JudgeRequest, Verdict};
use proptest::prelude::*;
use serde_json::{json, Value};

/// A deterministic pseudo-random stream (splitmix64), so the tests need no RNG crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Roughly normal (sum of 12 uniforms − 6).
    fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.next()).sum::<f64>() - 6.0
    }

    fn series(&mut self, n: usize, mean: f64, sd: f64) -> Vec<f64> {
        (0..n).map(|_| mean + sd * self.normal()).collect()
    }
}

#[derive(Clone)]
struct Metric {
    name: &'static str,
    canary: Value,
    groups: Vec<&'static str>,
}

fn metric(name: &'static str, canary: Value) -> Metric {
    Metric {
        name,
        canary,
        groups: vec!["g"],
    }
}

fn request(
    metrics: &[Metric],
    pairs: &[(&str, Value, &[f64], &[f64])],
    classifier: Value,
) -> JudgeRequest {
    let mut classifier_json = json!({"groupWeights": {}});
    if let (Some(obj), Some(extra)) = (classifier_json.as_object_mut(), classifier.as_object()) {
        for (k, v) in extra {
            obj.insert(k.clone(), v.clone());
        }
    }
    let body = json!({
        "canaryConfig": {
            "judge": {"name": "canary-judge-v1"},
            "classifier": classifier_json,
            "metrics": metrics.iter().map(|m| json!({
                "name": m.name,
                "query": {},
                "groups": m.groups,
                "analysisConfigurations": {"canary": m.canary},
            })).collect::<Vec<_>>(),
        },
        "scoreThresholds": {"pass": 95, "marginal": 75},
        "metricSetPairList": pairs.iter().map(|(name, tags, control, experiment)| json!({
            "name": name,
            "tags": tags,
            "values": {"control": control, "experiment": experiment},
        })).collect::<Vec<_>>(),
    });
    serde_json::from_value(body).expect("test request")
}

fn evidence(result: &CanaryJudgeResult, i: usize) -> &Evidence {
    result.results[i]
        .result_metadata
        .as_ref()
        .and_then(|m| m.evidence.as_deref())
        .expect("v1 results carry evidence")
}

/// An `errors` metric (the same counts on both sides) judged by its rate over `requests`
/// (muted), the canary's traffic given apart.
fn errors_over_requests(
    errors: &[f64],
    requests: &[f64],
    canary_requests: &[f64],
) -> CanaryJudgeResult {
    let metrics = [
        metric("errors", json!({"denominator": "requests"})),
        metric("requests", json!({"muted": true})),
    ];
    let pairs: [(&str, Value, &[f64], &[f64]); 2] = [
        ("errors", json!({}), errors, errors),
        ("requests", json!({}), requests, canary_requests),
    ];
    canary_judge_v1(&request(&metrics, &pairs, json!({}))).expect("judged")
}

/// The first result's reason, asserting that it is an `Error`.
fn error_reason(r: &CanaryJudgeResult) -> String {
    let reason = r.results[0]
        .classification_reason
        .clone()
        .unwrap_or_default();
    assert_eq!(
        r.results[0].classification,
        Classification::Error,
        "{reason}"
    );
    reason
}

#[test]
fn selected_by_name_and_reports_its_name() {
    let mut rng = Rng(1);
    let (b, c) = (rng.series(60, 100.0, 5.0), rng.series(60, 100.0, 5.0));
    let req = request(
        &[metric("latency", json!({}))],
        &[("latency", json!({}), &b, &c)],
        json!({}),
    );
    let result = judge_with(None, &req).expect("judged");
    assert_eq!(result.judge_name, "canary-judge-v1");
    assert_eq!(result.results[0].classification, Classification::Pass);
    assert_eq!(result.score.classification, Verdict::Pass);
    // Kayenta's judge is still the default when the config names none.
    let mut kayenta = req.clone();
    kayenta.canary_config.judge = None;
    assert_eq!(
        judge_with(None, &kayenta).expect("judged").judge_name,
        "NetflixACAJudge-v1.0"
    );
}

#[test]
fn errors_with_an_all_zero_baseline_fail_when_traffic_makes_it_significant() {
    // 60 intervals of 200 requests: the baseline has no errors, the canary 1 error in 4 intervals.
    let requests = vec![200.0; 60];
    let base_errors = vec![0.0; 60];
    let canary_errors: Vec<f64> = (0..60)
        .map(|i| if i % 4 == 0 { 1.0 } else { 0.0 })
        .collect();
    let metrics = [
        metric("errors", json!({"denominator": "requests"})),
        metric("requests", json!({"muted": true})),
    ];
    let pairs: [(&str, Value, &[f64], &[f64]); 2] = [
        ("errors", json!({}), &base_errors, &canary_errors),
        ("requests", json!({}), &requests, &requests),
    ];
    let req = request(&metrics, &pairs, json!({}));
    let result = canary_judge_v1(&req).expect("judged");
    let e = evidence(&result, 0);
    assert_eq!(e.test, "rate");
    assert_eq!(
        result.results[0].classification,
        Classification::High,
        "{e:?}"
    );
    assert_eq!(result.score.classification, Verdict::Fail);
    let reason = result.results[0]
        .classification_reason
        .as_deref()
        .unwrap_or("");
    assert!(
        reason.contains("error rate ×∞")
            && reason.contains("15 / 12000 canary vs 0 / 12000 baseline"),
        "{reason}"
    );
    assert!(
        result.score.classification_reason.contains("errors"),
        "{}",
        result.score.classification_reason
    );

    // Kayenta's judge passes the same data: the Mann-Whitney estimate is 0.
    let mut kayenta = req.clone();
    kayenta.canary_config.judge = None;
    let k = netflix_aca_judge(&kayenta).expect("judged");
    assert_eq!(k.results[0].classification, Classification::Pass);

    // One error in 12 000 requests against none is not significant: Pass.
    let mut one = vec![0.0; 60];
    one[7] = 1.0;
    let pairs: [(&str, Value, &[f64], &[f64]); 2] = [
        ("errors", json!({}), &base_errors, &one),
        ("requests", json!({}), &requests, &requests),
    ];
    let result = canary_judge_v1(&request(&metrics, &pairs, json!({}))).expect("judged");
    assert_eq!(result.results[0].classification, Classification::Pass);
    assert_eq!(evidence(&result, 0).rule, "not-significant");
}

#[test]
fn zero_inflated_counts_without_a_denominator_are_caught() {
    let base = vec![0.0; 60];
    let canary: Vec<f64> = (0..60)
        .map(|i| if i % 3 == 0 { 2.0 } else { 0.0 })
        .collect();
    let req = request(
        &[metric("errors", json!({}))],
        &[("errors", json!({}), &base, &canary)],
        json!({}),
    );
    let result = canary_judge_v1(&req).expect("judged");
    assert_eq!(
        result.results[0].classification,
        Classification::High,
        "{:?}",
        result.results[0]
    );
    let mut kayenta = req.clone();
    kayenta.canary_config.judge = None;
    assert_eq!(
        netflix_aca_judge(&kayenta).expect("judged").results[0].classification,
        Classification::Pass
    );
}

#[test]
fn a_tail_change_is_caught() {
    // The same bulk; the canary's top fifth is three times slower.
    let mut rng = Rng(7);
    let base = rng.series(200, 100.0, 5.0);
    let mut canary = rng.series(200, 100.0, 5.0);
    let mut sorted = canary.clone();
    sorted.sort_by(f64::total_cmp);
    let p80 = sorted[160];
    for v in &mut canary {
        if *v > p80 {
            *v = p80 + (*v - p80) * 3.0 + 30.0;
        }
    }
    let req = request(
        &[metric("latency", json!({"direction": "increase"}))],
        &[("latency", json!({}), &base, &canary)],
        json!({}),
    );
    let result = canary_judge_v1(&req).expect("judged");
    assert_eq!(
        result.results[0].classification,
        Classification::High,
        "{:?}",
        result.results[0]
    );
    assert_eq!(evidence(&result, 0).test, "distribution");
}

#[test]
fn too_little_data_is_not_yet_never_a_verdict() {
    let mut rng = Rng(3);
    let (b, c) = (rng.series(12, 100.0, 5.0), rng.series(9, 300.0, 5.0));
    let req = request(
        &[metric("latency", json!({"critical": true}))],
        &[("latency", json!({}), &b, &c)],
        json!({}),
    );
    let result = canary_judge_v1(&req).expect("judged");
    assert_eq!(result.results[0].classification, Classification::Nodata);
    let e = evidence(&result, 0);
    assert_eq!(e.rule, "insufficient-data");
    assert_eq!((e.control_count, e.experiment_count), (12.0, 9.0));
    assert_eq!(result.score.classification, Verdict::Marginal);
    assert_eq!(result.score.score, 75.0);
    assert!(
        result.score.classification_reason.starts_with("Not yet"),
        "{}",
        result.score.classification_reason
    );
    assert!(result
        .score
        .classification_reason
        .contains("12 baseline and 9 canary points"));

    // A metric with no data at all is still Kayenta's Nodata, and fails at 50%.
    let req = request(
        &[metric("latency", json!({}))],
        &[("latency", json!({}), &[], &c)],
        json!({}),
    );
    let result = canary_judge_v1(&req).expect("judged");
    assert_eq!(evidence(&result, 0).rule, "no-data");
    assert_eq!(result.score.classification, Verdict::Fail);

    // minSamples is configurable.
    let req = request(
        &[metric("latency", json!({"minSamples": 5}))],
        &[("latency", json!({}), &b, &c)],
        json!({}),
    );
    let result = canary_judge_v1(&req).expect("judged");
    assert_eq!(result.results[0].classification, Classification::High);
}

#[test]
fn holm_keeps_many_borderline_metrics_from_failing() {
    // Ten metrics, each shifted by a small amount that is "significant" on its own at 1%.
    let mut rng = Rng(11);
    let names = ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"];
    let data: Vec<(Vec<f64>, Vec<f64>)> = (0..10)
        .map(|i| {
            let b = rng.series(60, 100.0, 5.0);
            let shift = if i == 0 { 2.6 } else { 0.0 };
            (b, rng.series(60, 100.0 + shift, 5.0))
        })
        .collect();
    let metrics: Vec<Metric> = names
        .iter()
        .map(|n| metric(n, json!({"test": "rank"})))
        .collect();
    let pairs: Vec<(&str, Value, &[f64], &[f64])> = names
        .iter()
        .zip(&data)
        .map(|(n, (b, c))| (*n, json!({}), b.as_slice(), c.as_slice()))
        .collect();
    let none = canary_judge_v1(&request(
        &metrics,
        &pairs,
        json!({"multipleTesting": "none"}),
    ))
    .expect("judged");
    let holm = canary_judge_v1(&request(&metrics, &pairs, json!({}))).expect("judged");
    let p0 = evidence(&none, 0).p_value.unwrap_or(1.0);
    let adj = evidence(&holm, 0).adjusted_p_value.unwrap_or(0.0);
    assert!(adj >= p0 && adj <= (10.0 * p0).min(1.0), "{p0} {adj}");
    // Each adjusted p is at least the raw one, and Holm never flags more than none.
    let flagged = |r: &CanaryJudgeResult| {
        r.results
            .iter()
            .filter(|m| m.classification != Classification::Pass)
            .count()
    };
    assert!(flagged(&holm) <= flagged(&none));
    for i in 0..10 {
        assert!(evidence(&holm, i).adjusted_p_value >= evidence(&holm, i).p_value);
    }
}

#[test]
fn margins_decide_and_equivalence_is_reported() {
    let mut rng = Rng(5);
    let base = rng.series(100, 200.0, 4.0);
    let up8: Vec<f64> = base.iter().map(|v| v * 1.08).collect();
    let up12: Vec<f64> = base.iter().map(|v| v * 1.12 + 0.01).collect();
    let same: Vec<f64> = rng.series(100, 200.0, 4.0);
    let cfg =
        json!({"effectSize": {"allowedIncrease": 1.1, "allowedDecrease": 0.9}, "test": "rank"});
    let judge = |canary: &[f64]| {
        let r = canary_judge_v1(&request(
            &[metric("latency", cfg.clone())],
            &[("latency", json!({}), &base, canary)],
            json!({}),
        ))
        .expect("judged");
        (
            r.results[0].classification,
            evidence(&r, 0).rule.clone(),
            r.results[0]
                .classification_reason
                .clone()
                .unwrap_or_default(),
        )
    };
    let (label, rule, reason) = judge(&up12);
    assert_eq!(
        (label, rule.as_str()),
        (Classification::High, "significant-beyond-margin"),
        "{reason}"
    );
    assert!(
        reason.starts_with("latency: canary +12.")
            && reason.contains("99% CI")
            && reason.contains("n = 100/100")
            && reason.contains("allowed −10.0% … +10.0% → High"),
        "{reason}"
    );
    let (label, rule, _) = judge(&up8);
    assert_eq!(
        (label, rule.as_str()),
        (Classification::Pass, "within-margin")
    );
    let (label, rule, reason) = judge(&same);
    assert_eq!(
        (label, rule.as_str()),
        (Classification::Pass, "equivalent"),
        "{reason}"
    );
}

#[test]
fn thresholds_check_the_canary_alone() {
    let base = vec![100.0; 60];
    let canary: Vec<f64> = (0..60).map(|i| 100.0 + f64::from(i)).collect();
    let cfg = json!({"test": "threshold", "threshold": {"aggregate": "p99", "max": 150}});
    let r = canary_judge_v1(&request(
        &[metric("latency", cfg)],
        &[("latency", json!({}), &base, &canary)],
        json!({}),
    ))
    .expect("judged");
    assert_eq!(r.results[0].classification, Classification::High);
    let reason = r.results[0]
        .classification_reason
        .clone()
        .unwrap_or_default();
    assert!(
        reason.contains("p99 = 158.4") && reason.contains("above the maximum 150"),
        "{reason}"
    );
    let cfg =
        json!({"test": "threshold", "threshold": {"aggregate": "mean", "min": 10, "max": 200}});
    let r = canary_judge_v1(&request(
        &[metric("latency", cfg)],
        &[("latency", json!({}), &base, &canary)],
        json!({}),
    ))
    .expect("judged");
    assert_eq!(r.results[0].classification, Classification::Pass);
}

#[test]
fn tag_weights_weight_results_in_their_group() {
    let mut rng = Rng(9);
    let base = rng.series(60, 100.0, 2.0);
    let bad: Vec<f64> = base.iter().map(|v| v * 1.5).collect();
    let cfg = json!({"test": "rank", "tagWeights": {"tag": "endpoint", "weights": {"/login": 3}}});
    let pairs: [(&str, Value, &[f64], &[f64]); 2] = [
        ("latency", json!({"endpoint": "/login"}), &base, &bad),
        ("latency", json!({"endpoint": "/search"}), &base, &base),
    ];
    let r =
        canary_judge_v1(&request(&[metric("latency", cfg)], &pairs, json!({}))).expect("judged");
    // /login (weight 3) fails, /search (weight 1) passes: 100 × 1 / 4.
    assert_eq!(r.group_scores[0].score, 25.0);
    assert_eq!(r.score.score, 25.0);
    assert_eq!(r.group_scores[0].classification, "Fail");
    assert!(
        r.group_scores[0]
            .classification_reason
            .contains("1 of 2 metrics passed; failed: latency (High)"),
        "{}",
        r.group_scores[0].classification_reason
    );
    assert_eq!(evidence(&r, 0).weight, Some(3.0));
}

#[test]
fn bad_settings_are_named() {
    let b = vec![1.0; 60];
    let judge = |canary: Value, classifier: Value| {
        canary_judge_v1(&request(
            &[metric("m", canary)],
            &[("m", json!({}), &b, &b)],
            classifier,
        ))
    };
    let err = |r: Result<CanaryJudgeResult, JudgeError>| r.expect_err("refused").to_string();
    assert!(err(judge(json!({"test": "magic"}), json!({})))
        .contains("analysisConfigurations.canary.test"));
    assert!(err(judge(json!({"test": "rate"}), json!({}))).contains("denominator"));
    assert!(err(judge(json!({"denominator": "requests"}), json!({})))
        .contains("no pair of the denominator metric 'requests'"));
    assert!(err(judge(json!({"minSamples": 0}), json!({}))).contains("minSamples"));
    assert!(err(judge(json!({"minSamples": "50"}), json!({}))).contains("minSamples"));
    assert!(err(judge(
        json!({"effectSize": {"allowedIncrease": 0.5}}),
        json!({})
    ))
    .contains("effectSize.allowedIncrease"));
    assert!(err(judge(
        json!({"effectSize": {"allowedIncrease": 1.5, "criticalIncrease": 1.2}}),
        json!({})
    ))
    .contains("effectSize.criticalIncrease: must allow at least as much change"));
    assert!(err(judge(
        json!({"effectSize": {"allowedDecrease": 0.5, "criticalDecrease": 0.8}}),
        json!({})
    ))
    .contains("effectSize.criticalDecrease: must allow at least as much change"));
    for ratio in [0.0, -3.0, 1.5] {
        assert!(err(judge(
            json!({"effectSize": {"allowedDecrease": ratio, "criticalDecrease": 0.5}}),
            json!({})
        ))
        .contains("effectSize.allowedDecrease: must be a ratio in (0, 1]"));
        assert!(err(judge(
            json!({"effectSize": {"criticalDecrease": ratio}}),
            json!({})
        ))
        .contains("effectSize.criticalDecrease"));
    }
    assert!(
        err(judge(json!({"threshold": {"aggregate": "p0"}}), json!({})))
            .contains("threshold.aggregate")
    );
    assert!(err(judge(
        json!({"tagWeights": {"tag": "x", "weights": {"a": -1}}}),
        json!({})
    ))
    .contains("tagWeights.weights.a"));
    assert!(
        err(judge(json!({}), json!({"multipleTesting": "bonferroni"})))
            .contains("classifier.multipleTesting")
    );
    assert!(err(judge(json!({}), json!({"confidence": 1.5}))).contains("classifier.confidence"));
}

#[test]
fn group_weights_that_would_leave_0_to_100_are_refused() {
    let mut rng = Rng(21);
    let base = rng.series(60, 100.0, 2.0);
    let canary = rng.series(60, 100.0, 2.0);
    let mut a = metric("a", json!({}));
    a.groups = vec!["g1"];
    let mut b = metric("b", json!({}));
    b.groups = vec!["g2"];
    let pairs: [(&str, Value, &[f64], &[f64]); 2] = [
        ("a", json!({}), &base, &canary),
        ("b", json!({}), &base, &canary),
    ];
    let with = |weights: Value| {
        request(
            &[a.clone(), b.clone()],
            &pairs,
            json!({"groupWeights": weights}),
        )
    };
    let refused = |weights: Value, needle: &str, kayenta_score: f64| {
        let req = with(weights);
        for name in ["canary-judge-v1", "canary-judge-sequential-v1"] {
            let e = judge_with(Some(name), &req)
                .expect_err("refused")
                .to_string();
            assert!(
                e.contains("canaryConfig.classifier.groupWeights") && e.contains(needle),
                "{name}: {e}"
            );
        }
        // Kayenta's judge takes them, as Kayenta does, and scores both passing groups with
        // them as weights: nonsense like 45 or 120 for a canary that passed everything.
        let k = netflix_aca_judge(&req).expect("Kayenta's judge accepts them");
        assert_eq!(k.score.score, kayenta_score, "{needle}");
    };
    refused(json!({"g1": -5, "g2": 50}), "group 'g1' is -5", 45.0);
    refused(
        json!({"g1": 60, "g2": 60}),
        "add up to 120, more than 100",
        120.0,
    );
    refused(json!({"g1": 1e308, "g2": 0}), "add up to 1e308", 1e308);

    // Up to 100 is judged; so is less (unweighted groups share the rest, or it is lost).
    for weights in [
        json!({"g1": 33.33, "g2": 66.67}),
        json!({"g1": 0, "g2": 100}),
        json!({"g1": 40}),
    ] {
        let r = canary_judge_v1(&with(weights.clone())).expect("judged");
        assert!(
            (0.0..=100.0).contains(&r.score.score),
            "{weights}: {}",
            r.score.score
        );
    }
    // Tenths that add up to 100 exactly in decimal, but to 100.00000000000001 in doubles (in
    // the order of the keys, which is the order of the sum).
    let tenths = [27.6, 16.0, 13.8, 21.8, 6.4, 14.4];
    assert!(tenths.iter().fold(0.0, |acc, w| acc + w) > 100.0);
    let weights = json!({"g1": 27.6, "g2": 16.0, "g3": 13.8, "g4": 21.8, "g5": 6.4, "g6": 14.4});
    canary_judge_v1(&with(weights)).expect("weights adding up to 100 in decimal are judged");
}

#[test]
fn a_threshold_on_values_near_the_largest_double_is_checked() {
    // ±f64::MAX alternating: the median's interpolation overflowed to ∞ (or 0 × ∞ = NaN), and a
    // non-finite aggregate was read as "within its threshold". The median is 0.
    let max = f64::MAX;
    let base = vec![1.0; 60];
    let canary: Vec<f64> = (0..60)
        .map(|i| if i % 2 == 0 { max } else { -max })
        .collect();
    for (rule, label) in [
        (json!({"aggregate": "p50", "min": 1}), Classification::Low),
        (json!({"aggregate": "p50", "max": -1}), Classification::High),
    ] {
        let cfg = json!({"test": "threshold", "threshold": rule.clone()});
        let r = canary_judge_v1(&request(
            &[metric("m", cfg)],
            &[("m", json!({}), &base, &canary)],
            json!({}),
        ))
        .expect("judged");
        let reason = r.results[0]
            .classification_reason
            .clone()
            .unwrap_or_default();
        assert_eq!(r.results[0].classification, label, "{rule}: {reason}");
        assert!(reason.contains("p50 = 0"), "{reason}");
    }
}

#[test]
fn a_metric_that_cannot_be_classified_does_not_pass_the_canary() {
    // Event totals past 9e15 are not exact counts in doubles: the rate test cannot run. The
    // metric is Error, and (unlike in Kayenta's scoring) it counts as not passing.
    let requests = vec![1e300; 60];
    let errors = vec![1e300; 60];
    let r = errors_over_requests(&errors, &requests, &requests);
    let reason = error_reason(&r);
    assert!(
        reason.contains("event totals must be whole counts from 0 to 9e15"),
        "{reason}"
    );
    assert_eq!(r.score.score, 0.0);
    assert_eq!(r.score.classification, Verdict::Fail);
    assert!(
        r.score
            .classification_reason
            .contains("1 of 1 metrics failing")
            && r.score.classification_reason.contains("event totals"),
        "{}",
        r.score.classification_reason
    );
    assert!(r.group_scores[0]
        .classification_reason
        .contains("failed: errors (Error)"));
}

#[test]
fn equivalence_is_not_read_from_a_zero_width_interval() {
    // Mostly zeros: the median shift and its interval are exactly 0, the means differ by +350%.
    // The interval [0, 0] says nothing about the mean change, so equivalence within ±10% is not
    // shown (it had been: "equivalence shown … +350.0% … → Pass").
    let base: Vec<f64> = (0..200).map(|i| if i < 10 { 1.0 } else { 0.0 }).collect();
    let canary: Vec<f64> = (0..200).map(|i| if i < 15 { 3.0 } else { 0.0 }).collect();
    let cfg = json!({"effectSize": {"allowedIncrease": 1.1, "allowedDecrease": 0.9}});
    let r = canary_judge_v1(&request(
        &[metric("m", cfg)],
        &[("m", json!({}), &base, &canary)],
        json!({}),
    ))
    .expect("judged");
    let e = evidence(&r, 0);
    let reason = r.results[0]
        .classification_reason
        .clone()
        .unwrap_or_default();
    assert_ne!(e.rule, "equivalent", "{reason}");
    assert!(
        reason.contains("+350.0%") && reason.contains("no interval"),
        "{reason}"
    );
    assert_eq!((e.lower, e.upper), (None, None));
}

#[test]
fn a_rate_threshold_with_events_and_no_traffic_is_crossed() {
    // 300 canary errors over no requests (zeros, or all NaN): the rate is ∞, above any maximum.
    // It had passed as "within its threshold" (NaN traffic summed to −0, so the rate was −∞).
    let errors = vec![5.0; 60];
    let requests = vec![100.0; 60];
    for traffic in [vec![0.0; 60], vec![f64::NAN; 60]] {
        let metrics = [
            metric(
                "errors",
                json!({"denominator": "requests", "test": "threshold",
                       "threshold": {"aggregate": "rate", "max": 0.01}}),
            ),
            metric("requests", json!({"muted": true})),
        ];
        let pairs: [(&str, Value, &[f64], &[f64]); 2] = [
            ("errors", json!({}), &errors, &errors),
            ("requests", json!({}), &requests, &requests),
        ];
        // Set after building: JSON has no NaN literal.
        let mut req = request(&metrics, &pairs, json!({}));
        req.metric_set_pair_list[1].values.experiment = traffic.clone();
        let r = canary_judge_v1(&req).expect("judged");
        let reason = r.results[0]
            .classification_reason
            .clone()
            .unwrap_or_default();
        assert_eq!(
            r.results[0].classification,
            Classification::High,
            "{reason}"
        );
        assert!(
            reason.contains("rate = ∞ above the maximum 0.01"),
            "{reason}"
        );
        for text in r
            .results
            .iter()
            .filter_map(|x| x.classification_reason.as_deref())
        {
            assert!(!text.contains("-0"), "no −0 in reasons: {text}");
        }
    }
}

#[test]
fn a_critical_metric_short_of_data_holds_back_a_pass() {
    // "b" passes on 60 points; critical "a" has 5 points a side (+100%): not judged yet. The
    // canary had passed with 100; it is "not yet" (Marginal) until "a" can be judged.
    let mut rng = Rng(31);
    let base = rng.series(60, 100.0, 2.0);
    let same = rng.series(60, 100.0, 2.0);
    let short: Vec<f64> = base[..5].to_vec();
    let doubled: Vec<f64> = short.iter().map(|v| v * 2.0).collect();
    let metrics = [
        metric("a", json!({"critical": true})),
        metric("b", json!({})),
    ];
    let pairs: [(&str, Value, &[f64], &[f64]); 2] = [
        ("a", json!({}), &short, &doubled),
        ("b", json!({}), &base, &same),
    ];
    let r = canary_judge_v1(&request(&metrics, &pairs, json!({}))).expect("judged");
    assert_eq!(r.results[1].classification, Classification::Pass);
    assert_eq!(r.score.classification, Verdict::Marginal, "{:?}", r.score);
    assert_eq!(r.score.score, 75.0);
    assert!(
        r.score
            .classification_reason
            .starts_with("Not yet: a critical metric needs more data: a:"),
        "{}",
        r.score.classification_reason
    );
    // Not critical: the canary passes on what could be judged, naming what could not.
    let metrics = [metric("a", json!({})), metric("b", json!({}))];
    let r = canary_judge_v1(&request(&metrics, &pairs, json!({}))).expect("judged");
    assert_eq!(r.score.classification, Verdict::Pass);
    assert!(r
        .score
        .classification_reason
        .contains("Not judged yet for lack of data: a"));
}

#[test]
fn a_rate_test_too_large_to_run_exactly_is_an_error() {
    // 1e13 errors an interval over 60 intervals: the exact test would hold a core for about 45 s.
    let errors = vec![1e13; 60];
    let requests = vec![1e14; 60];
    let r = errors_over_requests(&errors, &requests, &requests);
    let reason = error_reason(&r);
    assert!(
        reason.contains("1.200e15 events in all is more than the exact rate test takes"),
        "{reason}"
    );
}

#[test]
fn negative_traffic_is_an_error_naming_it() {
    let errors = vec![1.0; 60];
    let requests = vec![100.0; 60];
    let negative = vec![-100.0; 60];
    let r = errors_over_requests(&errors, &requests, &negative);
    let reason = error_reason(&r);
    assert!(
        reason.contains("the denominator's values must not be negative, got -100"),
        "{reason}"
    );
}

#[test]
fn tag_weights_of_zero_everywhere_score_nothing() {
    // Every pair weighted 0: the +50% pair had "failed" while the canary scored 100 Pass ("Score
    // 100 with 1 of 2 metrics failing"). Nothing is scored: Marginal, saying why.
    let mut rng = Rng(9);
    let base = rng.series(60, 100.0, 2.0);
    let bad: Vec<f64> = base.iter().map(|v| v * 1.5).collect();
    let cfg =
        json!({"test": "rank", "tagWeights": {"tag": "endpoint", "weights": {}, "default": 0}});
    let pairs: [(&str, Value, &[f64], &[f64]); 2] = [
        ("latency", json!({"endpoint": "/login"}), &base, &bad),
        ("latency", json!({"endpoint": "/search"}), &base, &base),
    ];
    let r =
        canary_judge_v1(&request(&[metric("latency", cfg)], &pairs, json!({}))).expect("judged");
    assert_eq!(r.results[0].classification, Classification::High);
    assert_eq!(r.score.classification, Verdict::Marginal, "{:?}", r.score);
    assert!(
        r.score
            .classification_reason
            .starts_with("Nothing was scored: every judged result has weight 0"),
        "{}",
        r.score.classification_reason
    );
}

#[test]
fn thresholds_out_of_order_or_range_are_refused() {
    // Ten points a side: "not yet", whose score is the marginal threshold. With marginal above
    // pass that read as a Pass; with marginal 1e308 or -5 the score left 0–100.
    let mut rng = Rng(5);
    let base = rng.series(10, 100.0, 2.0);
    let with = |pass: f64, marginal: f64| {
        let mut req = request(
            &[metric("m", json!({}))],
            &[("m", json!({}), &base, &base)],
            json!({}),
        );
        req.score_thresholds = canary_judge::model::ScoreThresholds { pass, marginal };
        req
    };
    for (pass, marginal, needle) in [
        (50.0, 75.0, "marginal (75) is above pass (50)"),
        (95.0, 1e308, "marginal is 1e308, outside 0–100"),
        (95.0, -5.0, "marginal is -5, outside 0–100"),
        (101.0, 75.0, "pass is 101, outside 0–100"),
    ] {
        let req = with(pass, marginal);
        for name in ["canary-judge-v1", "canary-judge-sequential-v1"] {
            let error = judge_with(Some(name), &req).expect_err("refused");
            assert_eq!(error.field().as_deref(), Some("scoreThresholds"));
            let e = error.to_string();
            assert!(
                e.starts_with("scoreThresholds: ") && e.contains(needle),
                "{name}: {e}"
            );
        }
        netflix_aca_judge(&req).expect("Kayenta's judge takes any finite thresholds");
    }
    // No pairs at all: refused (the sequential judge had said "Pass now: every metric is
    // muted", v1 "Fail" with no reason); Kayenta's judge scores it 0.
    let mut empty = with(95.0, 75.0);
    empty.metric_set_pair_list.clear();
    for name in ["canary-judge-v1", "canary-judge-sequential-v1"] {
        let e = judge_with(Some(name), &empty)
            .expect_err("refused")
            .to_string();
        assert!(e.contains("metricSetPairList is empty"), "{name}: {e}");
    }
    assert_eq!(netflix_aca_judge(&empty).expect("judged").score.score, 0.0);
    // In range and in order, "not yet" scores the marginal threshold and is Marginal, even
    // where that score reaches the pass threshold.
    for (pass, marginal) in [(95.0, 75.0), (75.0, 75.0), (100.0, 0.0), (0.0, 0.0)] {
        let r = canary_judge_v1(&with(pass, marginal)).expect("judged");
        assert_eq!(r.score.score, marginal);
        assert_eq!(
            r.score.classification,
            Verdict::Marginal,
            "{pass}/{marginal}"
        );
        assert!(r.score.classification_reason.starts_with("Not yet"));
    }
}

#[test]
fn values_near_the_largest_double_are_explained_in_numbers() {
    // Both signs at ±f64::MAX: plain sums overflow (∞ − ∞), and the reason once read
    // "canary NaN". One more +MAX in the canary is no significant change.
    let max = f64::MAX;
    let base: Vec<f64> = (0..60).map(|i| if i < 30 { max } else { -max }).collect();
    let canary: Vec<f64> = (0..60).map(|i| if i < 31 { max } else { -max }).collect();
    let r = canary_judge_v1(&request(
        &[metric("m", json!({"test": "rank"}))],
        &[("m", json!({}), &base, &canary)],
        json!({}),
    ))
    .expect("judged");
    let result = &r.results[0];
    let reason = result.classification_reason.as_deref().unwrap_or("");
    assert_eq!(result.classification, Classification::Pass, "{reason}");
    assert!(!reason.contains("NaN"), "{reason}");
    let e = evidence(&r, 0);
    assert!(e.estimate.is_some_and(f64::is_finite), "{e:?}");
}

#[test]
fn output_is_deterministic_and_round_trips() {
    let mut rng = Rng(21);
    let (b, c) = (rng.series(80, 50.0, 3.0), rng.series(80, 53.0, 3.0));
    let req = request(
        &[metric("latency", json!({}))],
        &[("latency", json!({}), &b, &c)],
        json!({}),
    );
    let one = serde_json::to_string(&canary_judge_v1(&req).expect("judged")).expect("json");
    let two = serde_json::to_string(&canary_judge_v1(&req).expect("judged")).expect("json");
    assert_eq!(one, two);
    let back: CanaryJudgeResult = serde_json::from_str(&one).expect("parses back");
    assert_eq!(serde_json::to_string(&back).expect("json"), one);
    assert!(
        one.contains("\"pValue\"")
            && one.contains("\"adjustedPValue\"")
            && one.contains("\"checks\"")
    );
}

fn mirrored(c: Classification) -> Classification {
    match c {
        Classification::High => Classification::Low,
        Classification::Low => Classification::High,
        other => other,
    }
}

fn label(base: &[f64], canary: &[f64], cfg: &Value) -> Classification {
    let req = request(
        &[metric("m", cfg.clone())],
        &[("m", json!({}), base, canary)],
        json!({}),
    );
    canary_judge_v1(&req).map_or(Classification::Error, |r| r.results[0].classification)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Swapping baseline and canary mirrors High and Low (rank test, symmetric margins).
    #[test]
    fn swapping_sides_mirrors_the_label(seed in any::<u64>(), shift in -10.0..10.0f64, n in 50usize..120) {
        let mut rng = Rng(seed);
        let base = rng.series(n, 100.0, 5.0);
        let canary: Vec<f64> = rng.series(n, 100.0 + shift, 5.0);
        let cfg = json!({"test": "rank"});
        prop_assert_eq!(label(&canary, &base, &cfg), mirrored(label(&base, &canary, &cfg)));
    }

    /// A larger injected shift never turns High into Pass.
    #[test]
    fn a_larger_shift_never_passes_what_a_smaller_failed(seed in any::<u64>(), shift in 0.0..0.2f64, more in 0.0..0.5f64) {
        let mut rng = Rng(seed);
        let base = rng.series(60, 100.0, 5.0);
        let noise = rng.series(60, 100.0, 5.0);
        let cfg = json!({"effectSize": {"allowedIncrease": 1.02}});
        let small: Vec<f64> = noise.iter().map(|v| v * (1.0 + shift)).collect();
        let large: Vec<f64> = noise.iter().map(|v| v * (1.0 + shift + more)).collect();
        if label(&base, &small, &cfg) == Classification::High {
            prop_assert_eq!(label(&base, &large, &cfg), Classification::High);
        }
    }
}

//! `judge-classifier-cases.json`: Kayenta's ClassifierSuite plus the `kayentaOracle` outputs of
//! Kayenta's own classifier code, which must match to the last bit.

use super::{load_case_file, num, nums, same_bits, Tally};
use crate::check;
use canary_judge::judge::{
    classify_mean_inequality, ClassifierPath, ClassifyArgs, CleanSeries, Direction,
    EffectSizeBounds, EffectSizeMeasure, MannWhitneyClassifier, MetricLabels, NanStrategy,
};
use serde_json::Value;

const FILE: &str = "judge-classifier-cases.json";

fn bounds(v: Option<&Value>) -> EffectSizeBounds {
    match v {
        Some(b) => EffectSizeBounds {
            decrease: num(&b["decrease"]),
            increase: num(&b["increase"]),
        },
        // MannWhitneyClassifier's constructor default.
        None => EffectSizeBounds {
            decrease: 1.0,
            increase: 1.0,
        },
    }
}

fn direction(s: &str) -> Direction {
    match s {
        "increase" => Direction::Increase,
        "decrease" => Direction::Decrease,
        "either" => Direction::Either,
        other => panic!("unknown direction {other}"),
    }
}

fn path_name(p: ClassifierPath) -> &'static str {
    match p {
        ClassifierPath::Nodata => "nodata",
        ClassifierPath::Identical => "identical",
        ClassifierPath::SingleValue => "single",
        ClassifierPath::ConstantSides => "noise",
        ClassifierPath::RankTest => "mw",
    }
}

#[test]
fn classifier_cases() {
    let data = load_case_file(FILE);
    let cases = data["cases"].as_array().expect("cases");
    let mut tally = Tally::new(FILE, "cases");
    let mut expected_count = 0;
    for case in cases {
        let name = case["name"].as_str().expect("name");
        if tally.excluded(name) {
            continue;
        }
        expected_count += 1;
        let mut problems = Vec::new();
        let params = &case["classifierParams"];
        let args = &case["classifyArgs"];
        let exp_values = nums(&case["experiment"]["values"]);
        let ctl_values = nums(&case["control"]["values"]);
        assert!(
            exp_values.iter().chain(&ctl_values).all(|v| !v.is_nan()),
            "{name}: classifier inputs are passed as-is and hold no NaN"
        );
        let labels = MetricLabels {
            name: case["experiment"]["name"].as_str().expect("metric name"),
            experiment: case["experiment"]["label"].as_str().expect("label"),
            control: case["control"]["label"].as_str().expect("label"),
        };
        let dir = direction(args["direction"].as_str().expect("direction"));
        let oracle = &case["kayentaOracle"];
        let expected = &case["expected"];

        let (classification, critical, reason, deviation, path, interval, effect) =
            match case["classifier"].as_str() {
                Some("MannWhitneyClassifier") => {
                    let classifier = MannWhitneyClassifier {
                        tolerance: params.get("tolerance").map_or(0.25, num),
                        confidence_level: params.get("confLevel").map_or(0.95, num),
                        allowed: bounds(params.get("effectSizeThresholds")),
                        critical: bounds(params.get("criticalThresholds")),
                        measure: match params.get("effectSizeMeasure").and_then(Value::as_str) {
                            Some("cles") => EffectSizeMeasure::Cles,
                            _ => EffectSizeMeasure::MeanRatio,
                        },
                    };
                    let nan = match args["nanStrategy"].as_str() {
                        Some("replace") => NanStrategy::Replace,
                        _ => NanStrategy::Remove,
                    };
                    let classify_args = ClassifyArgs {
                        direction: dir,
                        nan_strategy: nan,
                        critical: args["isCriticalMetric"].as_bool().expect("critical"),
                        must_have_data: args["isDataRequired"].as_bool().expect("data"),
                    };
                    let experiment = CleanSeries::prepare(&exp_values, nan, None);
                    let control = CleanSeries::prepare(&ctl_values, nan, None);
                    let c = classifier
                        .classify(&control, &experiment, classify_args, labels)
                        .unwrap_or_else(|e| panic!("{name}: {e}"));
                    (
                        c.classification,
                        c.critical,
                        c.reason,
                        c.deviation,
                        Some(path_name(c.path)),
                        c.interval,
                        c.effect_size,
                    )
                }
                Some("MeanInequalityClassifier") => {
                    let c = classify_mean_inequality(&ctl_values, &exp_values, dir, labels);
                    (
                        c.classification,
                        c.critical,
                        c.reason,
                        c.deviation,
                        None,
                        None,
                        None,
                    )
                }
                other => panic!("{name}: unknown classifier {other:?}"),
            };

        // What Kayenta's test asserts.
        if let Some(want) = expected.get("classification") {
            check!(
                problems,
                want == classification.as_str(),
                "classification {classification}, expected {want}"
            );
        }
        if let Some(want) = expected.get("critical") {
            check!(
                problems,
                want.as_bool() == Some(critical),
                "critical {critical}, expected {want}"
            );
        }
        if let Some(want) = expected.get("deviation") {
            check!(
                problems,
                same_bits(deviation, num(want)),
                "deviation {deviation}, expected {want}"
            );
        }
        if expected.get("deviationIsNaN").and_then(Value::as_bool) == Some(true) {
            check!(
                problems,
                deviation.is_nan(),
                "deviation {deviation}, expected NaN"
            );
        }
        if expected.get("reasonNonEmpty").and_then(Value::as_bool) == Some(true) {
            check!(
                problems,
                reason.as_deref().is_some_and(|r| !r.is_empty()),
                "reason empty"
            );
        }

        // What Kayenta's own code returned, exactly.
        let noise = oracle.get("path").and_then(Value::as_str) == Some("noise");
        check!(
            problems,
            oracle["classification"] == classification.as_str(),
            "oracle classification {}, got {classification}",
            oracle["classification"]
        );
        check!(
            problems,
            oracle["critical"].as_bool() == Some(critical),
            "oracle critical {}, got {critical}",
            oracle["critical"]
        );
        if let (Some(want), Some(got)) = (oracle.get("path").and_then(Value::as_str), path) {
            check!(problems, want == got, "oracle path {want}, got {got}");
        }
        if !noise {
            let want_reason = oracle.get("reason").and_then(Value::as_str);
            check!(
                problems,
                want_reason == reason.as_deref(),
                "oracle reason {want_reason:?}, got {reason:?}"
            );
            if let Some(want) = oracle.get("deviation") {
                check!(
                    problems,
                    same_bits(deviation, num(want)),
                    "oracle deviation {want}, got {deviation:e}"
                );
            }
            if let Some(want) = oracle.get("effectSize") {
                let got = effect.unwrap_or(f64::NAN);
                check!(
                    problems,
                    same_bits(got, num(want)),
                    "oracle effectSize {want}, got {got:e}"
                );
            }
            for (key, got) in [
                ("mwLowerConfidence", interval.map(|i| i.lower)),
                ("mwUpperConfidence", interval.map(|i| i.upper)),
                ("mwEstimate", interval.map(|i| i.estimate)),
            ] {
                if let Some(want) = oracle.get(key) {
                    let got = got.unwrap_or(f64::NAN);
                    check!(
                        problems,
                        same_bits(got, num(want)),
                        "oracle {key} {want}, got {got:e}"
                    );
                }
            }
        } else {
            // Kayenta's noise path carries ~1e-5 relative jitter; only the label is stable.
            if let Some(want) = oracle.get("deviation") {
                let want = num(want);
                check!(
                    problems,
                    (deviation - want).abs() <= 1e-4 * want.abs(),
                    "noise-path deviation {deviation} too far from {want}"
                );
            }
        }
        tally.case(name, problems);
    }
    tally.finish(expected_count);
}

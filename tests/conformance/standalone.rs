//! `standalone-cases.json`: Kayenta's standalone canary analysis: the final pass/fail decision
//! and its messages, the judgement windows, the lifetime rules, and the three end-to-end
//! integration scenarios (random data in Kayenta; seeded uniform data here, checked for the
//! qualitative outcome the file says is stable).

use super::{fixtures, load_case_file, num, Tally};
use crate::check;
use canary_judge::analysis::{
    did_pass_thresholds, has_few_points, judgement_window, lifetime_mins, stops_analysis,
    ScheduleRequest,
};
use canary_judge::model::{MetricSetPair, MetricSetPairValues};
use canary_judge::{judge, CanaryConfig, JudgeRequest, ScoreThresholds};
use serde_json::Value;

const FILE: &str = "standalone-cases.json";
const NOW: i64 = 1_700_000_000_000;
const MIN: i64 = 60_000;

fn opt_num(v: &Value) -> Option<f64> {
    (!v.is_null()).then(|| num(v))
}

fn iso_ms(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("ISO instant")
        .timestamp_millis()
}

fn ms_iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .expect("instant")
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

#[test]
fn aggregated_judgement() {
    let data = load_case_file(FILE);
    let cases = data["aggregatedJudgement"]["cases"]
        .as_array()
        .expect("cases");
    let mut tally = Tally::new(FILE, "aggregatedJudgement");
    for (i, case) in cases.iter().enumerate() {
        let mut problems = Vec::new();
        let (pass, message) = did_pass_thresholds(
            Some(num(&case["finalScore"])),
            opt_num(&case["pass"]),
            opt_num(&case["marginal"]),
        );
        check!(
            problems,
            Some(pass) == case["expectedDidPass"].as_bool(),
            "didPass {pass}"
        );
        check!(
            problems,
            Some(message.as_str()) == case["expectedMessage"].as_str(),
            "message {message:?}"
        );
        tally.case(&format!("aggregate {i}"), problems);
    }
    tally.finish(cases.len());
    assert!(!did_pass_thresholds(None, Some(95.0), Some(75.0)).0);
}

#[test]
fn judgement_windows() {
    let data = load_case_file(FILE);
    let cases = data["judgementWindows"]["cases"].as_array().expect("cases");
    let mut tally = Tally::new(FILE, "judgementWindows");
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let mut problems = Vec::new();
        let int = |k: &str| case.get(k).and_then(Value::as_i64);
        let request = ScheduleRequest {
            start_ms: case
                .get("startTimeIso")
                .and_then(Value::as_str)
                .map(iso_ms)
                .or_else(|| int("startOffsetFromNowMins").map(|m| NOW + m * MIN)),
            end_ms: case
                .get("endTimeIso")
                .and_then(Value::as_str)
                .map(iso_ms)
                .or_else(|| int("endOffsetFromNowMins").map(|m| NOW + m * MIN)),
            begin_after_mins: int("beginAfterMins").unwrap_or(0),
            lookback_mins: int("lookbackMins").unwrap_or(0),
            control_offset_mins: int("controlOffsetInMinutes").unwrap_or(0),
            ..ScheduleRequest::default()
        };
        let interval = int("intervalMins").expect("interval");
        match &case["expected"] {
            Value::Array(list) => {
                for e in list {
                    let i = e["i"].as_i64().expect("i");
                    let w = judgement_window(&request, i, interval, NOW);
                    let got = (
                        (w.experiment_start_ms - NOW) / MIN,
                        (w.experiment_end_ms - NOW) / MIN,
                    );
                    let want = (
                        e["startOffsetMins"].as_i64().expect("start"),
                        e["endOffsetMins"].as_i64().expect("end"),
                    );
                    check!(
                        problems,
                        got == want,
                        "judgement {i}: {got:?}, expected {want:?}"
                    );
                }
            }
            Value::Object(e) => {
                let w = judgement_window(&request, int("judgement").unwrap_or(1), interval, NOW);
                for (key, got) in [
                    ("start", w.experiment_start_ms),
                    ("end", w.experiment_end_ms),
                    ("experimentStart", w.experiment_start_ms),
                    ("controlStart", w.control_start_ms),
                ] {
                    if let Some(want) = e.get(key).and_then(Value::as_str) {
                        check!(
                            problems,
                            ms_iso(got) == want,
                            "{key}: {}, expected {want}",
                            ms_iso(got)
                        );
                    }
                }
            }
            other => panic!("{name}: unexpected {other}"),
        }
        tally.case(name, problems);
    }
    tally.finish(cases.len());
}

#[test]
fn lifetimes() {
    let data = load_case_file(FILE);
    let cases = data["judgementWindows"]["lifetime"]
        .as_array()
        .expect("cases");
    let mut tally = Tally::new(FILE, "lifetime");
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let mut problems = Vec::new();
        let request = ScheduleRequest {
            start_ms: Some(NOW),
            end_ms: case
                .get("startToEndMins")
                .and_then(Value::as_i64)
                .map(|m| NOW + m * MIN),
            lifetime_mins: case.get("lifetimeDurationMins").and_then(Value::as_i64),
            ..ScheduleRequest::default()
        };
        match (
            lifetime_mins(&request, NOW),
            case.get("expectedError").and_then(Value::as_str),
        ) {
            (Ok(got), None) => check!(
                problems,
                Some(got) == case["expectedLifetimeMins"].as_i64(),
                "lifetime {got}"
            ),
            (Err(e), Some(want)) => check!(
                problems,
                want.contains(&e.to_string()),
                "error {e}, expected {want}"
            ),
            (got, want) => problems.push(format!("{got:?}, expected {want:?}")),
        }
        tally.case(name, problems);
    }
    tally.finish(cases.len());
}

/// Seeded uniform values in `[lo, hi]`.
fn uniform(seed: u64, n: usize, lo: f64, hi: f64) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            let u = ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64;
            lo + u * (hi - lo)
        })
        .collect()
}

fn range(v: &Value) -> (f64, f64) {
    let r = v["uniform"].as_array().expect("uniform");
    (num(&r[0]), num(&r[1]))
}

#[test]
fn integration_scenarios() {
    let data = load_case_file(FILE);
    let cases = data["integrationScenarios"]["cases"]
        .as_array()
        .expect("cases");
    let mut tally = Tally::new(FILE, "integrationScenarios");
    for (k, case) in cases.iter().enumerate() {
        let name = case["name"].as_str().expect("name");
        let mut problems = Vec::new();
        let path = fixtures()
            .join("kayenta")
            .join(case["config"].as_str().expect("config"));
        let config: CanaryConfig =
            serde_json::from_str(&std::fs::read_to_string(path).expect("config")).expect("parses");
        // One judgement over 1 minute of 1-second samples, thresholds marginal 50 / pass 75.
        let pairs: Vec<MetricSetPair> = config
            .metrics
            .iter()
            .enumerate()
            .map(|(m, metric)| {
                let spec = case.get("metrics").map_or(case, |all| &all[&metric.name]);
                let ((cl, ch), (el, eh)) = (range(&spec["control"]), range(&spec["experiment"]));
                MetricSetPair {
                    name: metric.name.clone(),
                    values: MetricSetPairValues {
                        control: uniform(7 + k as u64 * 100 + m as u64, 60, cl, ch),
                        experiment: uniform(1007 + k as u64 * 100 + m as u64, 60, el, eh),
                    },
                    ..Default::default()
                }
            })
            .collect();
        let thresholds = ScoreThresholds {
            pass: 75.0,
            marginal: 50.0,
        };
        let result = judge(&JudgeRequest {
            canary_config: config,
            score_thresholds: thresholds,
            metric_set_pair_list: pairs,
        })
        .expect("judges");
        let score = result.score.score;
        let status = if stops_analysis(score, Some(thresholds.marginal)) {
            "TERMINAL"
        } else {
            "SUCCEEDED"
        };
        let (did_pass, message) = did_pass_thresholds(
            Some(score),
            Some(thresholds.pass),
            Some(thresholds.marginal),
        );
        let e = &case["expected"];
        check!(
            problems,
            Some(status) == e["executionStatus"].as_str(),
            "status {status} (score {score})"
        );
        check!(
            problems,
            Some(did_pass) == e["didPassThresholds"].as_bool(),
            "didPass {did_pass}"
        );
        check!(
            problems,
            Some(has_few_points(&result)) == e["hasWarnings"].as_bool(),
            "warnings"
        );
        if let Some(want) = e.get("canaryScoreMessage").and_then(Value::as_str) {
            check!(problems, message == want, "message {message:?}");
        }
        for (metric, want) in e["metricClassification"]
            .as_object()
            .expect("classifications")
        {
            let got = result
                .results
                .iter()
                .find(|r| &r.name == metric)
                .map(|r| r.classification.as_str());
            check!(
                problems,
                got == want.as_str(),
                "{metric}: {got:?}, expected {want}"
            );
        }
        tally.case(name, problems);
    }
    tally.finish(cases.len());
}

//! `judge-scorer-cases.json`: Kayenta's ScorerSuite.

use super::{load_case_file, num, same_bits, Tally};
use crate::check;
use canary_judge::judge::{score, ScoredMetric};
use canary_judge::model::{Classification, GroupWeights};
use canary_judge::ScoreThresholds;
use serde_json::Value;

const FILE: &str = "judge-scorer-cases.json";

fn classification(s: &str) -> Classification {
    serde_json::from_value(Value::String(s.to_string()))
        .unwrap_or_else(|e| panic!("classification {s}: {e}"))
}

#[test]
fn scorer_cases() {
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
        let weights: GroupWeights =
            serde_json::from_value(case["groupWeights"].clone()).expect("weights");
        let results = case["results"].as_array().expect("results");
        let groups: Vec<Vec<String>> = results
            .iter()
            .map(|r| serde_json::from_value(r["groups"].clone()).expect("groups"))
            .collect();
        let metrics: Vec<ScoredMetric<'_>> = results
            .iter()
            .zip(&groups)
            .map(|(r, g)| ScoredMetric {
                classification: classification(r["classification"].as_str().expect("label")),
                groups: g,
                critical: r["critical"].as_bool().expect("critical"),
                muted: false,
                reason: None,
            })
            .collect();
        let scores = score(&metrics, &weights, ScoreThresholds::default());
        let expected = &case["expected"];
        let want = num(&expected["summaryScore"]);
        check!(
            problems,
            same_bits(scores.summary.score, want),
            "summary {}, expected {want}",
            scores.summary.score
        );
        if let Some(Value::Object(groups)) = expected.get("groupScores") {
            for (group, want) in groups {
                let got = scores
                    .group_scores
                    .iter()
                    .find(|g| &g.name == group)
                    .map(|g| g.score);
                check!(
                    problems,
                    got == Some(num(want)),
                    "group {group}: {got:?}, expected {want}"
                );
            }
        }
        if let Some(sorted) = expected.get("groupScoresSorted") {
            let mut got: Vec<f64> = scores.group_scores.iter().map(|g| g.score).collect();
            got.sort_by(f64::total_cmp);
            let want: Vec<f64> = super::nums(sorted);
            check!(
                problems,
                got == want,
                "group scores {got:?}, expected {want:?}"
            );
        }
        tally.case(name, problems);
    }
    tally.finish(expected_count);
}

//! `derived-judge-end-to-end.json`: a four-metric request and the exact `CanaryJudgeResult`
//! Kayenta's judge code returns for it. Compared field for field, numbers bit for bit,
//! `groupScores` as a set.

use super::{load_case_file, Tally};
use canary_judge::{judge, JudgeRequest};
use serde_json::Value;

const FILE: &str = "derived-judge-end-to-end.json";

fn sort_group_scores(v: &mut Value) {
    if let Some(Value::Array(groups)) = v.get_mut("groupScores") {
        groups.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    }
}

#[test]
fn derived_end_to_end() {
    let data = load_case_file(FILE);
    let mut tally = Tally::new(FILE, "request");
    let request = serde_json::json!({
        "canaryConfig": data["canaryConfig"],
        "scoreThresholds": data["scoreThresholds"],
        "metricSetPairList": data["metricSetPairList"],
    });
    let request: JudgeRequest =
        canary_judge::parse_request(&request.to_string()).expect("request parses");
    let result = judge(&request).expect("judges");
    // Through text, as a caller sees it: serde_json's Value compares numbers exactly.
    let text = serde_json::to_string(&result).expect("serialises");
    let mut got: Value = serde_json::from_str(&text).expect("valid JSON");
    let mut want = data["expectedResult"].clone();
    sort_group_scores(&mut got);
    sort_group_scores(&mut want);
    let mut problems = Vec::new();
    if got != want {
        problems.push(format!(
            "result differs:\n got  {}\n want {}",
            serde_json::to_string_pretty(&got).unwrap_or_default(),
            serde_json::to_string_pretty(&want).unwrap_or_default()
        ));
    }
    tally.case("derived request", problems);
    tally.finish(1);
}

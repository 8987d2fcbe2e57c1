//! `judge-statistics-cases.json`: Kayenta's StatisticSuite (summary stats, R-7 percentiles,
//! effect sizes). A case without a tolerance is compared exactly.

use super::{load_case_file, num, nums, same_bits, within, Tally};
use crate::check;
use canary_judge::stats::{cles, cohen_d, mean_ratio, percentile, summary_stats, SortedSample};
use serde_json::Value;

const FILE: &str = "judge-statistics-cases.json";

fn close(got: f64, want: f64, tol: Option<f64>) -> bool {
    match tol {
        Some(t) => within(got, want, t),
        None => same_bits(got, want),
    }
}

fn cases<'a>(data: &'a Value, section: &str) -> &'a Vec<Value> {
    data[section].as_array().expect("section")
}

#[test]
fn summary_cases() {
    let data = load_case_file(FILE);
    let mut tally = Tally::new(FILE, "summary");
    for case in cases(&data, "summary") {
        let name = case["name"].as_str().expect("name");
        let mut problems = Vec::new();
        let s = summary_stats(&nums(&case["values"]));
        let e = &case["expected"];
        let tol = |k: &str| case.get("tolerance").and_then(|t| t.get(k)).map(num);
        check!(
            problems,
            Some(s.count) == e["count"].as_u64(),
            "count {}",
            s.count
        );
        for (key, got) in [
            ("min", s.min),
            ("max", s.max),
            ("mean", s.mean),
            ("std", s.std),
        ] {
            let want = num(&e[key]);
            check!(
                problems,
                close(got, want, tol(key)),
                "{key} {got}, expected {want}"
            );
        }
        tally.case(name, problems);
    }
    tally.finish(cases(&data, "summary").len());
}

#[test]
fn percentile_cases() {
    let data = load_case_file(FILE);
    let mut tally = Tally::new(FILE, "percentile");
    for case in cases(&data, "percentile") {
        let name = case["name"].as_str().expect("name");
        let mut problems = Vec::new();
        let sample = SortedSample::new(nums(&case["values"])).expect("sample");
        let got = percentile(&sample, num(&case["p"])).expect("percentile");
        let want = num(&case["expected"]);
        let tol = case.get("tolerance").map(num);
        check!(
            problems,
            close(got, want, tol),
            "P{} = {got}, expected {want}",
            case["p"]
        );
        tally.case(name, problems);
    }
    tally.finish(cases(&data, "percentile").len());
}

#[test]
fn effect_size_cases() {
    let data = load_case_file(FILE);
    let mut tally = Tally::new(FILE, "effectSize");
    for case in cases(&data, "effectSize") {
        let name = case["name"].as_str().expect("name");
        let mut problems = Vec::new();
        let (e, c) = (nums(&case["experiment"]), nums(&case["control"]));
        let got = match case["measure"].as_str().expect("measure") {
            "meanRatio" => mean_ratio(&e, &c),
            "cohenD" => cohen_d(&e, &c),
            "cles" => cles(
                &SortedSample::new(e).expect("sample"),
                &SortedSample::new(c).expect("sample"),
            ),
            other => panic!("unknown measure {other}"),
        };
        let want = num(&case["expected"]);
        let tol = case.get("tolerance").map(num);
        check!(
            problems,
            close(got, want, tol),
            "{} = {got}, expected {want}",
            case["measure"]
        );
        tally.case(name, problems);
    }
    tally.finish(cases(&data, "effectSize").len());
}

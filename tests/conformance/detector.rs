//! `judge-detector-cases.json`: Kayenta's DetectorSuite (IQR and k-sigma outlier flags).

use super::{load_case_file, num, nums, Tally};
use crate::check;
use canary_judge::stats::{iqr_outliers, ksigma_outliers};

const FILE: &str = "judge-detector-cases.json";

#[test]
fn detector_cases() {
    let data = load_case_file(FILE);
    let cases = data["cases"].as_array().expect("cases");
    let mut tally = Tally::new(FILE, "cases");
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let mut problems = Vec::new();
        let values = nums(&case["values"]);
        let got = match case["detector"].as_str().expect("detector") {
            "iqr" => iqr_outliers(
                &values,
                num(&case["factor"]),
                case["reduceSensitivity"].as_bool().unwrap_or(false),
            ),
            "ksigma" => ksigma_outliers(&values, num(&case["k"])),
            other => panic!("unknown detector {other}"),
        };
        let want: Vec<bool> = case["expectedOutlier"]
            .as_array()
            .expect("flags")
            .iter()
            .map(|v| v.as_bool().expect("bool"))
            .collect();
        check!(problems, got == want, "flags {got:?}, expected {want:?}");
        tally.case(name, problems);
    }
    tally.finish(cases.len());
}

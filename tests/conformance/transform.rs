//! `judge-transform-cases.json`: Kayenta's TransformSuite (NaN removal and replacement, outlier
//! removal).

use super::{load_case_file, num, nums, same_bits, Tally};
use crate::check;
use canary_judge::judge::{CleanSeries, NanStrategy};
use canary_judge::stats::{iqr_outliers, ksigma_outliers};

const FILE: &str = "judge-transform-cases.json";

#[test]
fn transform_cases() {
    let data = load_case_file(FILE);
    let cases = data["cases"].as_array().expect("cases");
    let mut tally = Tally::new(FILE, "cases");
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let mut problems = Vec::new();
        let values = nums(&case["values"]);
        let got: Vec<f64> = match case["op"].as_str().expect("op") {
            "removeNaNs" => CleanSeries::prepare(&values, NanStrategy::Remove, None)
                .values()
                .to_vec(),
            "replaceNaNs" => {
                assert_eq!(
                    num(&case["replacement"]),
                    0.0,
                    "the judge replaces NaN with 0.0"
                );
                CleanSeries::prepare(&values, NanStrategy::Replace, None)
                    .values()
                    .to_vec()
            }
            "removeOutliers" => {
                let flags = match case["detector"].as_str().expect("detector") {
                    "iqr" => iqr_outliers(
                        &values,
                        num(&case["factor"]),
                        case["reduceSensitivity"].as_bool().unwrap_or(false),
                    ),
                    "ksigma" => ksigma_outliers(&values, num(&case["k"])),
                    other => panic!("unknown detector {other}"),
                };
                values
                    .iter()
                    .zip(flags)
                    .filter(|(_, out)| !out)
                    .map(|(v, _)| *v)
                    .collect()
            }
            other => panic!("unknown op {other}"),
        };
        let want = nums(&case["expected"]);
        let equal =
            got.len() == want.len() && got.iter().zip(&want).all(|(a, b)| same_bits(*a, *b));
        check!(problems, equal, "{got:?}, expected {want:?}");
        tally.case(name, problems);
    }
    tally.finish(cases.len());
}

/// The judge's own outlier path (reduced sensitivity) keeps what the plain detector keeps on
/// these data, in input order.
#[test]
fn judge_outlier_removal_keeps_order() {
    let values = [21.0, 23.0, 24.0, 25.0, 500.0, 29.0, 23.0, 21.0];
    let clean = CleanSeries::prepare(&values, NanStrategy::Remove, Some(1.5));
    assert_eq!(clean.values(), &[21.0, 23.0, 24.0, 25.0, 29.0, 23.0, 21.0]);
    assert_eq!(
        clean.sorted().as_slice(),
        &[21.0, 21.0, 23.0, 23.0, 24.0, 25.0, 29.0]
    );
}

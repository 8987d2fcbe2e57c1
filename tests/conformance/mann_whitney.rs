//! `mannwhitney-cases.json`: Kayenta's MannWhitneySuite plus the `kayentaOracle` outputs of
//! Kayenta's own Mann-Whitney code (exact to the last bit, evaluation count included).

use super::{load_case_file, num, nums, same_bits, within, Tally};
use crate::check;
use canary_judge::stats::{
    kayenta_interval, kayenta_interval_direct, normal_quantile, wilcoxon_z, wilcoxon_z_direct,
    SortedSample,
};
use serde_json::Value;

const FILE: &str = "mannwhitney-cases.json";

fn sample(v: &Value) -> SortedSample {
    SortedSample::new(nums(v)).expect("no NaN in Mann-Whitney data")
}

fn tolerance(case: &Value, key: &str) -> f64 {
    match &case["tolerance"] {
        Value::Object(map) => num(&map[key]),
        other => num(other),
    }
}

#[test]
fn mann_whitney_cases() {
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
        match case["kind"].as_str().expect("kind") {
            "wilcoxonDiff" => {
                let (x, y) = (sample(&case["x"]), sample(&case["y"]));
                let tol = tolerance(case, "");
                for call in case["calls"].as_array().expect("calls") {
                    let (mu, zq, want) =
                        (num(&call["mu"]), num(&call["zq"]), num(&call["expected"]));
                    let got = wilcoxon_z(&x, &y, mu, zq).expect("z");
                    let direct = wilcoxon_z_direct(x.as_slice(), y.as_slice(), mu, zq).expect("z");
                    check!(
                        problems,
                        within(got, want, tol),
                        "W({mu}, {zq}) = {got}, expected {want} ± {tol}"
                    );
                    check!(
                        problems,
                        same_bits(got, direct),
                        "merged {got:e} != direct {direct:e}"
                    );
                }
            }
            "normalQuantile" => {
                let got = normal_quantile(num(&case["p"])).expect("quantile");
                let want = num(&case["expected"]);
                let tol = tolerance(case, "");
                check!(
                    problems,
                    within(got, want, tol),
                    "quantile {got}, expected {want} ± {tol}"
                );
            }
            "mannWhitneyUTest" => {
                let (x, y) = (sample(&case["x"]), sample(&case["y"]));
                let level = num(&case["confidenceLevel"]);
                let mw = kayenta_interval(&x, &y, level).expect("interval");
                let direct = kayenta_interval_direct(&x, &y, level).expect("interval");
                check!(problems, mw == direct, "merged {mw:?} != direct {direct:?}");
                let expected = &case["expected"];
                let (tol_ci, tol_est) = (tolerance(case, "ci"), tolerance(case, "estimate"));
                for (key, got, tol) in [
                    ("ciLower", mw.lower, tol_ci),
                    ("ciUpper", mw.upper, tol_ci),
                    ("estimate", mw.estimate, tol_est),
                ] {
                    let want = num(&expected[key]);
                    check!(
                        problems,
                        within(got, want, tol),
                        "{key} {got}, expected {want} ± {tol}"
                    );
                    let oracle = num(&case["kayentaOracle"][key]);
                    check!(
                        problems,
                        same_bits(got, oracle),
                        "{key} {got:e}, Kayenta gives {oracle:e}"
                    );
                }
                let evals = case["kayentaOracle"]["zeroFunctionEvaluations"].as_u64();
                check!(
                    problems,
                    evals == Some(u64::from(mw.evaluations)),
                    "{} z evaluations, Kayenta made {evals:?}",
                    mw.evaluations
                );
            }
            "intermediates" => {
                let (x, y) = (sample(&case["x"]), sample(&case["y"]));
                let level = num(&case["confidenceLevel"]);
                let e = &case["expected"];
                let tol = tolerance(case, "");
                let mw = kayenta_interval(&x, &y, level).expect("interval");
                let zq_upper = normal_quantile((1.0 - level) / 2.0).expect("quantile");
                let zq_lower = -zq_upper;
                let w = |d: f64, zq: f64| wilcoxon_z(&x, &y, d, zq).expect("z");
                for (key, got) in [
                    ("muMin", mw.mu_min),
                    ("muMax", mw.mu_max),
                    ("zqLower", zq_lower),
                    ("zqUpper", zq_upper),
                    ("fLower1_wilcoxonDiff_muMin_zqLower", w(mw.mu_min, zq_lower)),
                    ("fUpper1_wilcoxonDiff_muMax_zqLower", w(mw.mu_max, zq_lower)),
                    ("fLower2_wilcoxonDiff_muMin_zqUpper", w(mw.mu_min, zq_upper)),
                    ("fUpper2_wilcoxonDiff_muMax_zqUpper", w(mw.mu_max, zq_upper)),
                    ("ciLower_brent_zqLower", mw.lower),
                    ("ciUpper_brent_zqUpper", mw.upper),
                    ("estimate_brent_zq0", mw.estimate),
                ] {
                    let want = num(&e[key]);
                    check!(
                        problems,
                        within(got, want, tol),
                        "{key} {got}, expected {want} ± {tol}"
                    );
                }
                check!(
                    problems,
                    mw.lower > mw.upper,
                    "the interval should come back inverted on this data"
                );
            }
            other => panic!("{name}: unknown kind {other}"),
        }
        tally.case(name, problems);
    }
    tally.finish(expected_count);
}

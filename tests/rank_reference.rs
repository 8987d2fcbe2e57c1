//! `rank_test` against R 4.2.2's `wilcox.test` (`fixtures/reference/r-wilcox.json`, written by
//! `scripts/r-reference/wilcox.R`), plus properties: order statistics of the pairwise
//! differences bit for bit against sorting them all, the exact-branch interval and estimate
//! against brute force, and the swap symmetry.
//!
//! Tolerances, and why:
//! - [`P_REL`]: p-values to 1e-9 relative in both branches. The normal branch uses ports of R's
//!   own `pnorm`/`qnorm` (identical bits); the exact branch divides exact integer counts where R
//!   sums rounded terms (~1e-13 apart), so anything above 1e-9 is a real difference.
//! - [`EXACT_REL`]: the exact branch's interval and estimate are order statistics of the same
//!   `fl(x_i − y_j)` R sorts (the estimate a mean of two), so 1e-9 relative is loose.
//! - [`R_ROOT_TOL`]: the normal branch's interval is where R's `uniroot(tol = 1e-4)` stops, i.e.
//!   within `tol + 4ε|root|` of the step we compute exactly (R's `zeroin` stopping rule).
//! - The normal-branch estimate for an even number of pairs is any point of the gap between the
//!   two middle differences in R (the first `uniroot` iterate landing there); we take the
//!   midpoint, so R's value is checked to lie in the gap (± [`R_ROOT_TOL`]), and to be within
//!   [`R_ROOT_TOL`] of ours when the gap is narrower than 2·[`R_ROOT_TOL`].

use canary_judge::stats::{kth_pairwise_difference, rank_test, RankTestError};
use proptest::prelude::*;
use serde_json::Value;

#[path = "../src/test_support.rs"]
mod test_support;

const P_REL: f64 = 1e-9;
const EXACT_REL: f64 = 1e-9;
const R_ROOT_TOL: f64 = 1e-4;

fn load(name: &str) -> Value {
    let path = format!("{}/fixtures/reference/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn f(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {}", v["name"]))
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|e| e.as_f64().unwrap_or_else(|| panic!("not a number: {e}")))
        .collect()
}

/// Relative difference, 0 for equal values.
fn rel_diff(ours: f64, r: f64) -> f64 {
    if ours == r {
        return 0.0;
    }
    (ours - r).abs() / ours.abs().max(r.abs())
}

/// R's `zeroin` stops once the bracket is within `tol + 4ε|b|`.
fn root_tol(r: f64) -> f64 {
    R_ROOT_TOL + 4.0 * f64::EPSILON * r.abs()
}

/// All `fl(x_i − y_j)`, sorted by `total_cmp`: the definition the selection must match.
fn brute_differences(x: &[f64], y: &[f64]) -> Vec<f64> {
    let mut d: Vec<f64> = x
        .iter()
        .flat_map(|&a| y.iter().map(move |&b| a - b))
        .collect();
    d.sort_by(f64::total_cmp);
    d
}

#[test]
fn matches_r_wilcox_test() {
    let doc = load("r-wilcox.json");
    let cases = doc["cases"].as_array().expect("cases");
    let (mut n_exact, mut n_normal, mut n_gap) = (0, 0, 0);
    let (mut p_max, mut exact_max, mut ci_max, mut est_max) = (0f64, 0f64, 0f64, 0f64);
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let (x, y) = (floats(&case["x"]), floats(&case["y"]));
        let conf = f(case, "conf_level");
        let t = rank_test(&x, &y, conf).unwrap_or_else(|e| panic!("{name}: {e}"));
        let r_exact = case["exact"].as_bool().expect("exact");
        let r_ci = floats(&case["conf_int"]);
        let r_est = f(case, "estimate");
        let mut check = |what: &str, ok: bool, detail: String| {
            if !ok {
                failures.push(format!("{name}: {what}: {detail}"));
            }
        };
        check(
            "branch",
            t.exact == r_exact,
            format!("{} vs {r_exact}", t.exact),
        );
        check(
            "statistic",
            t.statistic == f(case, "statistic"),
            format!("{} vs {}", t.statistic, f(case, "statistic")),
        );
        for (what, ours, key) in [
            ("p two-sided", t.p_value, "p_two_sided"),
            ("p greater", t.p_greater, "p_greater"),
            ("p less", t.p_less, "p_less"),
        ] {
            let d = rel_diff(ours, f(case, key));
            p_max = p_max.max(d);
            check(what, d <= P_REL, format!("{ours:e} vs {:e}", f(case, key)));
        }
        if r_exact {
            n_exact += 1;
            for (what, ours, r) in [
                ("lower", t.lower, r_ci[0]),
                ("upper", t.upper, r_ci[1]),
                ("estimate", t.estimate, r_est),
            ] {
                let d = rel_diff(ours, r);
                exact_max = exact_max.max(d);
                check(what, d <= EXACT_REL, format!("{ours:e} vs {r:e}"));
            }
        } else {
            n_normal += 1;
            for (what, ours, r) in [("lower", t.lower, r_ci[0]), ("upper", t.upper, r_ci[1])] {
                let d = (ours - r).abs();
                ci_max = ci_max.max(d);
                check(
                    what,
                    d <= root_tol(r),
                    format!("{ours} vs {r} (|d| = {d:e})"),
                );
            }
            let pairs = x.len() * y.len();
            let d = (t.estimate - r_est).abs();
            if pairs % 2 == 0 {
                let a = kth_pairwise_difference(&x, &y, pairs / 2);
                let b = kth_pairwise_difference(&x, &y, pairs / 2 + 1);
                if b - a >= 2.0 * R_ROOT_TOL {
                    // R's root is some point of the flat zero stretch (a, b).
                    n_gap += 1;
                    println!(
                        "{name}: estimate gap [{a}, {b}] (width {:.3e}); R {r_est}, ours {} \
                         (|d| = {d:.3e})",
                        b - a,
                        t.estimate
                    );
                    check(
                        "estimate in gap",
                        r_est >= a - root_tol(a) && r_est <= b + root_tol(b),
                        format!("R {r_est} outside [{a}, {b}]"),
                    );
                    continue;
                }
            }
            est_max = est_max.max(d);
            check(
                "estimate",
                d <= root_tol(r_est),
                format!("{} vs {r_est} (|d| = {d:e})", t.estimate),
            );
        }
    }
    println!(
        "r-wilcox.json: {} cases ({n_exact} exact branch, {n_normal} normal branch); \
         max p-value rel. deviation {p_max:.2e}; exact-branch interval/estimate max rel. \
         deviation {exact_max:.2e}; normal-branch interval max abs. deviation {ci_max:.2e}, \
         estimate {est_max:.2e} ({n_gap} estimates checked as lying in R's zero gap)",
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(cases.len() >= 25 && n_exact >= 10 && n_normal >= 10);
}

#[test]
fn errors_name_the_side() {
    let ok = [1.0, 2.0];
    let cases: [(&[f64], &[f64], f64, &str); 5] = [
        (&[], &ok, 0.95, "the canary (x) sample is empty"),
        (&ok, &[], 0.95, "the baseline (y) sample is empty"),
        (
            &ok,
            &[1.0, f64::NAN],
            0.95,
            "the baseline (y) sample has a non-finite value (NaN or infinity) at position 1",
        ),
        (
            &[2.0, 1.0],
            &ok,
            0.95,
            "the canary (x) sample is not sorted in ascending order",
        ),
        (
            &ok,
            &ok,
            1.0,
            "confidence level 1 is not strictly between 0 and 1",
        ),
    ];
    for (x, y, c, msg) in cases {
        let err = rank_test(x, y, c).expect_err(msg);
        assert_eq!(err.to_string(), msg);
    }
    assert!(matches!(
        rank_test(&ok, &ok, f64::NAN),
        Err(RankTestError::BadConfidence(_))
    ));
    // -0.0 and 0.0 in either order are sorted.
    assert!(rank_test(&[0.0, -0.0], &[-0.0, 0.0], 0.95).is_ok());
}

#[test]
fn degenerate_inputs() {
    // Everything tied: R gives p = NaN and stops on conf.int; we give 1 and the single shift.
    let t = rank_test(&[3.0, 3.0], &[3.0, 3.0, 3.0], 0.95).expect("all tied");
    assert!(!t.exact);
    assert_eq!((t.p_value, t.p_greater, t.p_less), (1.0, 1.0, 1.0));
    assert_eq!((t.lower, t.estimate, t.upper), (0.0, 0.0, 0.0));
    // Both constant, different.
    let t = rank_test(&[5.0; 4], &[2.0; 3], 0.95).expect("constant");
    assert_eq!((t.lower, t.estimate, t.upper), (3.0, 3.0, 3.0));
    assert!(t.p_greater < 0.05);
    // n = m = 1, no tie: exact, the whole (one-point) range.
    let t = rank_test(&[1.5], &[0.25], 0.95).expect("1x1");
    assert!(t.exact);
    assert_eq!(
        (t.p_value, t.lower, t.upper, t.estimate),
        (1.0, 1.25, 1.25, 1.25)
    );
}

/// Finite values with many ties, zeros of both signs, negatives.
fn tied_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => (-4i32..5).prop_map(f64::from),
        2 => (-20i32..20).prop_map(|v| f64::from(v) * 0.1),
        1 => Just(0.0),
        1 => Just(-0.0),
        2 => -1e3..1e3f64,
        1 => Just(1e308),
        1 => Just(-1e308),
        1 => Just(5e-324),
    ]
}

/// Sorted numerically with a stable sort, so `-0.0` and `0.0` stay in generation order.
fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v
}

fn sample(max: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(tied_value(), 1..max).prop_map(sorted)
}

/// Distinct values (no ties in the pooled sample), for the exact branch.
fn distinct_pair(max: usize) -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (
        prop::collection::btree_set(-5000i32..5000, 2..2 * max),
        any::<u64>(),
    )
        .prop_map(move |(set, seed)| {
            let mut x = Vec::new();
            let mut y = Vec::new();
            for (i, v) in set.into_iter().enumerate() {
                let v = f64::from(v) * 0.37;
                let bit = (seed.rotate_left(i as u32 % 64) ^ (i as u64 / 64)) & 1;
                if (bit == 0 || y.len() >= max - 1) && x.len() < max - 1 {
                    x.push(v);
                } else if y.len() < max - 1 {
                    y.push(v);
                }
            }
            if x.is_empty() {
                x.push(1e4);
            }
            if y.is_empty() {
                y.push(-1e4);
            }
            (x, y)
        })
}

/// R's `cwilcox` recursion and `qwilcox` (summing rounded terms as R does), independent of the
/// library's q-binomial counts.
fn r_qwilcox(p: f64, n: usize, m: usize) -> usize {
    let top = n * m;
    // counts[a][b][k]: arrangements of a x's and b y's with W = k.
    let mut counts = vec![vec![Vec::<f64>::new(); m + 1]; n + 1];
    for a in 0..=n {
        for b in 0..=m {
            let mut c = vec![0.0; a * b + 1];
            if a == 0 || b == 0 {
                c[0] = 1.0;
            } else {
                // The largest value is an x (beating all b y's) or a y.
                for (k, ck) in c.iter_mut().enumerate() {
                    let with_x = if k >= b {
                        counts[a - 1][b].get(k - b).copied().unwrap_or(0.0)
                    } else {
                        0.0
                    };
                    let with_y = counts[a][b - 1].get(k).copied().unwrap_or(0.0);
                    *ck = with_x + with_y;
                }
            }
            counts[a][b] = c;
        }
    }
    let dist = &counts[n][m];
    let total: f64 = dist.iter().sum();
    let target = p - 10.0 * f64::EPSILON;
    let mut acc = 0.0;
    for (q, c) in dist.iter().enumerate() {
        acc += c / total;
        if acc >= target {
            return q;
        }
    }
    top
}

proptest! {
    #![proptest_config(test_support::soaked(400))]

    /// The k-th pairwise difference equals the sorted list's, bit for bit.
    #[test]
    fn kth_matches_sorting_everything(
        x in sample(60),
        y in sample(60),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 6),
    ) {
        let all = brute_differences(&x, &y);
        let mut ks = vec![1, all.len(), all.len().div_ceil(2)];
        ks.extend(picks.iter().map(|p| p.index(all.len()) + 1));
        for k in ks {
            let ours = kth_pairwise_difference(&x, &y, k);
            prop_assert_eq!(ours.to_bits(), all[k - 1].to_bits(), "k = {} of {}", k, all.len());
        }
        prop_assert!(kth_pairwise_difference(&x, &y, 0).is_nan());
        prop_assert!(kth_pairwise_difference(&x, &y, all.len() + 1).is_nan());
    }

    /// Exact branch: interval = R's order statistics (qwilcox by an independent recursion),
    /// estimate = the median of all differences.
    #[test]
    fn exact_branch_equals_brute_force(
        (x, y) in distinct_pair(50),
        conf in prop::sample::select(vec![0.8, 0.9, 0.95, 0.98, 0.99]),
    ) {
        let t = rank_test(&x, &y, conf).expect("valid");
        prop_assert!(t.exact);
        let all = brute_differences(&x, &y);
        let qu = r_qwilcox((1.0 - conf) / 2.0, x.len(), y.len()).max(1);
        let ql = all.len() - qu;
        prop_assert_eq!(t.lower.to_bits(), all[qu - 1].to_bits());
        prop_assert_eq!(t.upper.to_bits(), all[ql].to_bits());
        let h = all.len() / 2;
        let median = if all.len() % 2 == 1 { all[h] } else { (all[h - 1] + all[h]) / 2.0 };
        prop_assert_eq!(t.estimate.to_bits(), median.to_bits());
        let w = x.iter().map(|a| y.iter().filter(|b| a > *b).count()).sum::<usize>();
        prop_assert_eq!(t.statistic, w as f64);
    }

    /// Swapping the samples negates the shift and swaps the one-sided p-values.
    #[test]
    fn swapping_samples_negates_the_shift(
        x in sample(70),
        y in sample(70),
        conf in prop::sample::select(vec![0.9, 0.95, 0.98, 0.99]),
    ) {
        let a = rank_test(&x, &y, conf).expect("valid");
        let b = rank_test(&y, &x, conf).expect("valid");
        prop_assert_eq!(a.exact, b.exact);
        prop_assert_eq!(b.estimate, -a.estimate);
        prop_assert_eq!(b.lower, -a.upper);
        prop_assert_eq!(b.upper, -a.lower);
        prop_assert_eq!(b.p_value, a.p_value);
        prop_assert_eq!(b.p_greater, a.p_less);
        prop_assert_eq!(b.p_less, a.p_greater);
        prop_assert!(a.lower <= a.estimate && a.estimate <= a.upper);
        prop_assert!((0.0..=1.0).contains(&a.p_value));
    }
}

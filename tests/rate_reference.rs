//! The rate test, the two-sample KS test and the quantile intervals against R 4.2.2
//! (`fixtures/reference/r-{rate,ks,quantile}.json`, written by `scripts/r-reference/*.R`), plus
//! properties (proptest) and a seeded coverage simulation for the quantile intervals.
//!
//! Tolerances, and why:
//! - [`P_REL`], [`CI_REL`]: p-values, intervals and estimates to 1e-9 relative. R's `pbinom`
//!   and `qbeta` (TOMS 708) and our summed Loader densities are both accurate to ~1e-14, so
//!   anything above 1e-9 is a real difference, not rounding.
//! - [`KS_EXACT_ABS`]: R divides the exact path count by `exp(lgamma(N+1) − …)`, which is off
//!   by ~1e-13 relative; after `1 − ratio` that is an absolute error, so small exact p-values
//!   are compared to 1e-12 absolute (or 1e-9 relative).
//! - [`KS_ASYMPTOTIC_ABS`]: R's own tolerance for the Kolmogorov series (`tol = 1e-6`).
//! - [`STAT_ABS`]: R accumulates the KS statistic as a long-double cumulative sum of ±1/n, we
//!   take the exact rational once rounded; they differ by an ulp or so (and R reports 5.6e-17 for
//!   an all-tied pair where the exact value is 0).

use canary_judge::stats::{
    ks_test, order_statistic_ranks, quantile_interval, quantile_shift, rate_test, QuantileInterval,
};
use proptest::prelude::*;
use serde_json::Value;

const P_REL: f64 = 1e-9;
const CI_REL: f64 = 1e-9;
const KS_EXACT_ABS: f64 = 1e-12;
const KS_ASYMPTOTIC_ABS: f64 = 1e-6;
const STAT_ABS: f64 = 1e-14;

fn load(name: &str) -> Value {
    let path = format!("{}/fixtures/reference/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A number as the R scripts write it: a JSON number, "Infinity", "-Infinity", "NaN" or null.
fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            "NaN" => Some(f64::NAN),
            other => panic!("unexpected number string {other}"),
        },
        Value::Null => None,
        other => panic!("not a number: {other}"),
    }
}

fn f(v: &Value, key: &str) -> f64 {
    num(&v[key]).unwrap_or_else(|| panic!("{key} missing in {v}"))
}

/// Relative difference, with equal values (incl. both infinite, both NaN) at 0.
fn rel_diff(ours: f64, r: f64) -> f64 {
    if ours == r || (ours.is_nan() && r.is_nan()) {
        return 0.0;
    }
    if !ours.is_finite() || !r.is_finite() {
        return f64::INFINITY;
    }
    (ours - r).abs() / r.abs().max(f64::MIN_POSITIVE)
}

#[derive(Default)]
struct MaxDev {
    worst: f64,
    at: String,
}

impl MaxDev {
    fn see(&mut self, dev: f64, at: impl FnOnce() -> String) {
        if dev > self.worst || (dev.is_nan() && !self.worst.is_nan()) {
            self.worst = dev;
            self.at = at();
        }
    }
}

#[test]
fn rate_test_matches_r_poisson_test() {
    let data = load("r-rate.json");
    let cases = data["cases"].as_array().expect("cases");
    let (mut p_dev, mut ci_dev) = (MaxDev::default(), MaxDev::default());
    for c in cases {
        let x = c["canary_events"].as_u64().expect("canary_events");
        let y = c["baseline_events"].as_u64().expect("baseline_events");
        let (tx, ty, conf) = (
            f(c, "canary_exposure"),
            f(c, "baseline_exposure"),
            f(c, "confidence"),
        );
        let t = rate_test(x, tx, y, ty, conf).expect("valid input");
        let label = || format!("rate_test({x}, {tx}, {y}, {ty}, {conf})");
        for (ours, key) in [
            (t.p_value, "p_value"),
            (t.p_greater, "p_greater"),
            (t.p_less, "p_less"),
        ] {
            let r = f(c, key);
            let d = rel_diff(ours, r);
            assert!(d <= P_REL, "{}: {key} {ours:e} vs R {r:e}", label());
            p_dev.see(d, || format!("{} {key}", label()));
        }
        for (ours, key) in [(t.ratio, "ratio"), (t.lower, "lower"), (t.upper, "upper")] {
            let r = f(c, key);
            let d = rel_diff(ours, r);
            assert!(d <= CI_REL, "{}: {key} {ours:e} vs R {r:e}", label());
            ci_dev.see(d, || format!("{} {key}", label()));
        }
    }
    println!(
        "rate: {} cases vs {}; max rel dev p-values {:.2e} ({}), ratio/interval {:.2e} ({})",
        cases.len(),
        data["r_version"],
        p_dev.worst,
        p_dev.at,
        ci_dev.worst,
        ci_dev.at
    );
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|e| num(e).expect("number"))
        .collect()
}

#[test]
fn ks_test_matches_r_ks_test() {
    let data = load("r-ks.json");
    let cases = data["cases"].as_array().expect("cases");
    let (mut exact_dev, mut asym_dev, mut stat_dev) =
        (MaxDev::default(), MaxDev::default(), MaxDev::default());
    for c in cases {
        let name = c["name"].as_str().expect("name");
        let (x, y) = (floats(&c["x"]), floats(&c["y"]));
        let t = ks_test(&x, &y).expect("valid input");
        let exact = c["exact"].as_bool().expect("exact");
        assert_eq!(t.exact, exact, "{name}: exact");
        let r_stat = f(c, "statistic");
        let sd = (t.statistic - r_stat).abs();
        assert!(sd <= STAT_ABS, "{name}: D {} vs R {r_stat}", t.statistic);
        stat_dev.see(sd, || name.to_string());
        let r_p = f(c, "p_value");
        let abs = (t.p_value - r_p).abs();
        if exact {
            assert!(
                abs <= KS_EXACT_ABS || rel_diff(t.p_value, r_p) <= P_REL,
                "{name}: p {:e} vs R {r_p:e}",
                t.p_value
            );
            exact_dev.see(abs, || name.to_string());
        } else {
            assert!(
                abs <= KS_ASYMPTOTIC_ABS,
                "{name}: p {:e} vs R {r_p:e}",
                t.p_value
            );
            asym_dev.see(abs, || name.to_string());
        }
    }
    println!(
        "ks: {} cases vs {}; max abs dev D {:.2e} ({}), exact p {:.2e} ({}), asymptotic p {:.2e} ({})",
        cases.len(),
        data["r_version"],
        stat_dev.worst,
        stat_dev.at,
        exact_dev.worst,
        exact_dev.at,
        asym_dev.worst,
        asym_dev.at
    );
}

fn check_interval(label: &str, ours: &QuantileInterval, r: &Value, dev: &mut MaxDev) {
    for (o, key) in [
        (Some(ours.estimate), "estimate"),
        (ours.lower, "lower"),
        (ours.upper, "upper"),
    ] {
        let rv = num(&r[key]);
        match (o, rv) {
            (Some(a), Some(b)) => {
                let d = rel_diff(a, b);
                assert!(d <= CI_REL, "{label}: {key} {a} vs R {b}");
                dev.see(d, || format!("{label} {key}"));
            }
            (None, None) => {}
            _ => panic!("{label}: {key} {o:?} vs R {rv:?}"),
        }
    }
}

#[test]
fn quantile_intervals_match_r() {
    let data = load("r-quantile.json");
    let samples = &data["samples"];
    let mut dev = MaxDev::default();
    let intervals = data["intervals"].as_array().expect("intervals");
    for c in intervals {
        let name = c["sample"].as_str().expect("sample");
        let x = floats(&samples[name]);
        let (q, conf) = (f(c, "q"), f(c, "confidence"));
        let label = format!("{name} q={q} conf={conf}");
        let r = &c["interval"];
        let ranks = order_statistic_ranks(x.len(), q, conf);
        let r_ranks = (
            r["l"].as_u64().map(|v| v as usize),
            r["u"].as_u64().map(|v| v as usize),
        );
        assert_eq!(ranks, r_ranks, "{label}: ranks");
        let ours = quantile_interval(&x, q, conf).expect("valid input");
        check_interval(&label, &ours, r, &mut dev);
    }
    let shifts = data["shifts"].as_array().expect("shifts");
    for c in shifts {
        let name = c["name"].as_str().expect("name");
        let pair = &data["shift_samples"][name];
        let (cx, bx) = (floats(&pair["canary"]), floats(&pair["baseline"]));
        let (q, conf) = (f(c, "q"), f(c, "confidence"));
        let label = format!("shift {name} q={q} conf={conf}");
        let s = quantile_shift(&cx, &bx, q, conf).expect("valid input");
        check_interval(&label, &s.canary, &c["canary"], &mut dev);
        check_interval(&label, &s.baseline, &c["baseline"], &mut dev);
        let whole = QuantileInterval {
            estimate: s.estimate,
            lower: s.lower,
            upper: s.upper,
            confidence: conf,
        };
        check_interval(&label, &whole, c, &mut dev);
    }
    println!(
        "quantile: {} intervals and {} shifts vs {}; ranks identical; max rel dev {:.2e} ({})",
        intervals.len(),
        shifts.len(),
        data["r_version"],
        dev.worst,
        dev.at
    );
}

/// SplitMix64: a tiny seeded generator, so the simulation needs no extra dependency.
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform on (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1_u64 << 53) as f64
    }
    /// A sorted sample of `n` from the Exp(1) distribution (right-skewed), plus `shift`.
    fn exp_sample(&mut self, n: usize, shift: f64) -> Vec<f64> {
        let mut v: Vec<f64> = (0..n).map(|_| shift - self.uniform().ln()).collect();
        v.sort_by(f64::total_cmp);
        v
    }
}

fn covers(lower: Option<f64>, upper: Option<f64>, truth: f64) -> bool {
    lower.is_none_or(|l| l <= truth) && upper.is_none_or(|u| u >= truth)
}

const REPLICATES: usize = 2000;

/// The coverage floor: `confidence − 3` binomial standard errors over [`REPLICATES`].
fn floor(confidence: f64) -> f64 {
    confidence - 3.0 * (confidence * (1.0 - confidence) / REPLICATES as f64).sqrt()
}

#[test]
fn quantile_interval_coverage_simulation() {
    let mut rng = SplitMix(0x5EED_0001);
    let confidence = 0.95;
    for n in [60, 500] {
        for q in [0.5_f64, 0.9, 0.99] {
            let truth = -(1.0 - q).ln();
            let hits = (0..REPLICATES)
                .filter(|_| {
                    let x = rng.exp_sample(n, 0.0);
                    let iv = quantile_interval(&x, q, confidence).expect("valid");
                    covers(iv.lower, iv.upper, truth)
                })
                .count();
            let coverage = hits as f64 / REPLICATES as f64;
            println!(
                "coverage n={n} q={q}: {coverage:.4} (floor {:.4})",
                floor(confidence)
            );
            assert!(coverage >= floor(confidence), "n={n} q={q}: {coverage}");
        }
    }
}

#[test]
fn quantile_shift_coverage_simulation() {
    let mut rng = SplitMix(0x5EED_0002);
    let confidence = 0.95;
    let shift = 0.3;
    for n in [60, 500] {
        for q in [0.5, 0.9] {
            let hits = (0..REPLICATES)
                .filter(|_| {
                    let c = rng.exp_sample(n, shift);
                    let b = rng.exp_sample(n, 0.0);
                    let s = quantile_shift(&c, &b, q, confidence).expect("valid");
                    covers(s.lower, s.upper, shift)
                })
                .count();
            let coverage = hits as f64 / REPLICATES as f64;
            println!(
                "shift coverage n={n} q={q}: {coverage:.4} (floor {:.4})",
                floor(confidence)
            );
            assert!(coverage >= floor(confidence), "n={n} q={q}: {coverage}");
        }
    }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    a == b || (a - b).abs() <= rel * a.abs().max(b.abs())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Swapping canary and baseline inverts the ratio and its interval and swaps the one-sided
    /// p-values; the two-sided p-value stays.
    #[test]
    fn rate_test_is_symmetric(
        x in 0_u64..3000, y in 0_u64..3000,
        tx in 1e-2_f64..1e6, ty in 1e-2_f64..1e6,
        conf in prop::sample::select(vec![0.9, 0.95, 0.98, 0.99]),
    ) {
        prop_assume!(x + y > 0);
        let a = rate_test(x, tx, y, ty, conf).unwrap();
        let b = rate_test(y, ty, x, tx, conf).unwrap();
        prop_assert!(close(a.ratio, 1.0 / b.ratio, 1e-12), "{a:?} {b:?}");
        prop_assert!(close(a.lower, 1.0 / b.upper, 1e-9), "{a:?} {b:?}");
        prop_assert!(close(a.upper, 1.0 / b.lower, 1e-9), "{a:?} {b:?}");
        prop_assert!(close(a.p_greater, b.p_less, 1e-9), "{a:?} {b:?}");
        prop_assert!(close(a.p_less, b.p_greater, 1e-9), "{a:?} {b:?}");
        prop_assert!(close(a.p_value, b.p_value, 1e-9), "{a:?} {b:?}");
    }

    /// p-values lie in [0, 1]; the two one-sided ones overlap at the observed count (sum ≥ 1);
    /// the two-sided one is at least the smaller one-sided one; the interval holds the ratio.
    #[test]
    fn rate_test_is_coherent(
        x in 0_u64..5000, y in 0_u64..5000,
        tx in 1e-2_f64..1e6, ty in 1e-2_f64..1e6,
        conf in 0.5_f64..0.999,
    ) {
        prop_assume!(x + y > 0);
        let t = rate_test(x, tx, y, ty, conf).unwrap();
        for p in [t.p_value, t.p_greater, t.p_less] {
            prop_assert!((0.0..=1.0).contains(&p), "{t:?}");
        }
        prop_assert!(t.p_greater + t.p_less >= 1.0 - 1e-12, "{t:?}");
        prop_assert!(t.p_value >= t.p_greater.min(t.p_less) * (1.0 - 1e-12), "{t:?}");
        prop_assert!(t.lower <= t.ratio && t.ratio <= t.upper, "{t:?}");
        prop_assert!(t.lower >= 0.0, "{t:?}");
    }

    /// One more canary event never lowers `p_less`, `lower` or `upper`, and never raises
    /// `p_greater`; more canary exposure for the same counts never lowers `p_greater`.
    #[test]
    fn rate_test_is_monotone(
        x in 0_u64..3000, y in 0_u64..3000,
        tx in 1e-2_f64..1e6, ty in 1e-2_f64..1e6,
        grow in 1.0_f64..10.0,
    ) {
        let a = rate_test(x, tx, y, ty, 0.95).unwrap();
        let b = rate_test(x + 1, tx, y, ty, 0.95).unwrap();
        let slack = 1e-12;
        prop_assert!(b.p_less >= a.p_less * (1.0 - slack), "{a:?} {b:?}");
        prop_assert!(b.p_greater <= a.p_greater * (1.0 + slack), "{a:?} {b:?}");
        prop_assert!(b.lower >= a.lower * (1.0 - slack), "{a:?} {b:?}");
        prop_assert!(b.upper >= a.upper * (1.0 - slack), "{a:?} {b:?}");
        let c = rate_test(x, tx * grow, y, ty, 0.95).unwrap();
        prop_assert!(c.p_greater >= a.p_greater * (1.0 - slack), "{a:?} {c:?}");
    }

    /// The KS statistic and p-value do not depend on which sample is called x.
    #[test]
    fn ks_test_is_symmetric(
        mut x in prop::collection::vec(-5.0_f64..5.0, 1..60),
        mut y in prop::collection::vec(-5.0_f64..5.0, 1..60),
        round in any::<bool>(),
    ) {
        if round {
            // Force ties.
            x.iter_mut().for_each(|v| *v = v.round());
            y.iter_mut().for_each(|v| *v = v.round());
        }
        x.sort_by(f64::total_cmp);
        y.sort_by(f64::total_cmp);
        let a = ks_test(&x, &y).unwrap();
        let b = ks_test(&y, &x).unwrap();
        prop_assert_eq!(a.statistic, b.statistic);
        prop_assert!(close(a.p_value, b.p_value, 1e-9) || (a.p_value - b.p_value).abs() < 1e-12);
        prop_assert!((0.0..=1.0).contains(&a.p_value));
        prop_assert!((0.0..=1.0).contains(&a.statistic));
    }

    /// Ends are ordered, and a higher confidence never narrows the interval. (The type-7
    /// estimate itself may fall outside a low-confidence interval of a tiny sample, e.g. n = 2,
    /// q = 0.01 at 50%: the upper end is the minimum, the estimate interpolates towards the
    /// maximum.)
    #[test]
    fn quantile_intervals_are_nested(
        mut x in prop::collection::vec(0.0_f64..1e3, 1..300),
        q in 0.01_f64..0.99,
        conf in 0.5_f64..0.99,
        wider in 0.0_f64..1.0,
    ) {
        x.sort_by(f64::total_cmp);
        let a = quantile_interval(&x, q, conf).unwrap();
        let b = quantile_interval(&x, q, conf + (0.999 - conf) * wider).unwrap();
        if let (Some(l), Some(u)) = (a.lower, a.upper) {
            prop_assert!(l <= u);
        }
        prop_assert!(b.lower.is_none_or(|l| a.lower.is_some_and(|al| l <= al)));
        prop_assert!(b.upper.is_none_or(|u| a.upper.is_some_and(|au| u >= au)));
    }
}

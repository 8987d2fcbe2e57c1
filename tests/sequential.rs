//! `canary-judge-sequential-v1` and its anytime-valid statistics.
//!
//! - The closed forms and quadratures of `stats::sequential` are checked against a second,
//!   direct implementation: tanh-sinh (double-exponential) quadrature of the defining mixture
//!   integrals, in log space, with the endpoints' distances computed exactly.
//! - Coverage and false-alarm rates are checked by seeded simulations, asked at every look.
//! - Decisions on synthetic data: early fail, early pass with a margin, continue, no data.
//!
//! Tolerances: the mixture integrals are compared on the log scale with `LN_TOL` (absolute),
//! which is far below what moves a decision (`ln(1/α)` is about 3–8).

use canary_judge::judge::judge_with;
use canary_judge::judge::sequential::{SequentialDecision, CANARY_JUDGE_SEQUENTIAL_V1};
use canary_judge::model::{Classification, Verdict};
use canary_judge::stats::{
    quantile_bounds, quantile_increase_ln_e, quantile_mixture_ln_e, CountInterval,
    RateRatioSequence, Side, SortedSample, QUANTILE_PRIOR_CONCENTRATION as C, RATE_PRIOR_SHAPE,
};
use canary_judge::{CanaryJudgeResult, JudgeRequest};
use serde_json::{json, Value};

/// Absolute tolerance on log mixtures (quadrature against continued fraction / Simpson).
const LN_TOL: f64 = 1e-7;

// ------------------------------------------------------------------------------------------
// The second implementation: tanh-sinh quadrature in log space.

fn ln_gamma_ref(x: f64) -> f64 {
    // Stirling's series after shifting x above 30 (independent of the crate's Lanczos).
    let mut x = x;
    let mut acc = 0.0;
    while x < 30.0 {
        acc -= x.ln();
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    acc + (x - 0.5) * x.ln() - x
        + 0.5 * (2.0 * std::f64::consts::PI).ln()
        + inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 / 1680.0)))
}

/// `ln ∫_lo^hi exp(f(x, x − lo, hi − x)) dx` by tanh-sinh quadrature; `f` receives the point
/// and its exact distances to both ends, so endpoint singularities are integrated accurately.
fn ln_integral(lo: f64, hi: f64, f: impl Fn(f64, f64, f64) -> f64) -> f64 {
    let h = 1.0 / 512.0;
    let half = std::f64::consts::FRAC_PI_2;
    let mut terms = Vec::new();
    let mut k = -(6.5 / h) as i64;
    while (k as f64) * h <= 6.5 {
        let t = k as f64 * h;
        let u = half * t.sinh();
        let width = hi - lo;
        let d_lo = width / (1.0 + (-2.0 * u).exp());
        let d_hi = width / (1.0 + (2.0 * u).exp());
        let ln_w = (width / 2.0).ln() + (half * t.cosh()).ln() - 2.0 * u.cosh().ln();
        if d_lo > 0.0 && d_hi > 0.0 && ln_w.is_finite() {
            let x = lo + d_lo;
            terms.push(ln_w + f(x, d_lo, d_hi));
        }
        k += 1;
    }
    let max = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    max + (terms.iter().map(|t| (t - max).exp()).sum::<f64>() * h).ln()
}

/// The one-sided quantile mixture, straight from its definition.
fn quantile_mixture_direct(n: u64, s: u64, p: f64, side: Side) -> f64 {
    let (a, b) = (C * p, C * (1.0 - p));
    let (sf, ff) = (s as f64, (n - s) as f64);
    let prior = |r: f64, one_minus_r: f64| (a - 1.0) * r.ln() + (b - 1.0) * one_minus_r.ln();
    let lr =
        |r: f64, one_minus_r: f64| sf * (r / p).ln() + ff * (one_minus_r.ln() - (1.0 - p).ln());
    let (lo, hi) = match side {
        Side::Above => (p, 1.0),
        _ => (0.0, p),
    };
    let one_minus = |x: f64, d_hi: f64| if hi == 1.0 { d_hi } else { 1.0 - x };
    let r_of = |x: f64, d_lo: f64| if lo == 0.0 { d_lo } else { x };
    let num = ln_integral(lo, hi, |x, dl, dh| {
        let (r, q) = (r_of(x, dl), one_minus(x, dh));
        prior(r, q) + lr(r, q)
    });
    let den = ln_integral(lo, hi, |x, dl, dh| prior(r_of(x, dl), one_minus(x, dh)));
    num - den
}

/// The rate-ratio mixture `∫ L(ρ) π(dρ)` over `θ̃ = ρ/(1+ρ) ~ Beta(a, a)`, from its definition.
fn rate_mixture_direct(intervals: &[CountInterval]) -> f64 {
    let a = RATE_PRIOR_SHAPE;
    let ln_b = 2.0 * ln_gamma_ref(a) - ln_gamma_ref(2.0 * a);
    ln_integral(0.0, 1.0, |_, t, one_minus_t| {
        let mut total = (a - 1.0) * t.ln() + (a - 1.0) * one_minus_t.ln() - ln_b;
        for iv in intervals {
            if iv.canary_exposure == 0.0 || iv.baseline_exposure == 0.0 {
                continue;
            }
            // θ = ρ tc / (ρ tc + tb) with ρ = t / (1 − t).
            let num_c = t * iv.canary_exposure;
            let num_b = one_minus_t * iv.baseline_exposure;
            let ln_den = (num_c + num_b).ln();
            total += iv.canary_events as f64 * (num_c.ln() - ln_den)
                + iv.baseline_events as f64 * (num_b.ln() - ln_den);
        }
        total
    })
}

fn rate_likelihood_direct(intervals: &[CountInterval], rho: f64) -> f64 {
    intervals
        .iter()
        .filter(|iv| iv.canary_exposure > 0.0 && iv.baseline_exposure > 0.0)
        .map(|iv| {
            let theta =
                rho * iv.canary_exposure / (rho * iv.canary_exposure + iv.baseline_exposure);
            iv.canary_events as f64 * theta.ln() + iv.baseline_events as f64 * (1.0 - theta).ln()
        })
        .sum()
}

// ------------------------------------------------------------------------------------------
// Seeded data.

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
    fn poisson(&mut self, mean: f64) -> u64 {
        let limit = (-mean).exp();
        let (mut k, mut p) = (0, self.uniform());
        while p > limit {
            k += 1;
            p *= self.uniform();
        }
        k
    }
}

// ------------------------------------------------------------------------------------------
// Reference values.

#[test]
fn quantile_mixture_matches_direct_integration() {
    let cases: &[(u64, u64, f64)] = &[
        (1, 0, 0.5),
        (1, 1, 0.5),
        (10, 7, 0.5),
        (50, 20, 0.5),
        (60, 58, 0.9),
        (100, 100, 0.99),
        (100, 95, 0.99),
        (200, 150, 0.9),
        (400, 230, 0.5),
        (1000, 985, 0.99),
        (3000, 2600, 0.9),
    ];
    for &(n, s, p) in cases {
        for side in [Side::Above, Side::Below] {
            let ours = quantile_mixture_ln_e(n, s, p, side, C).unwrap();
            let direct = quantile_mixture_direct(n, s, p, side);
            assert!(
                (ours - direct).abs() < LN_TOL * direct.abs().max(1.0),
                "n={n} s={s} p={p} {side:?}: {ours} vs {direct}"
            );
        }
    }
}

#[test]
fn rate_mixture_matches_direct_integration() {
    let equal = |c: u64, b: u64| CountInterval {
        canary_events: c,
        baseline_events: b,
        canary_exposure: 1.0,
        baseline_exposure: 1.0,
    };
    let mut rng = Rng(7);
    let varied: Vec<CountInterval> = (0..120)
        .map(|k| {
            let tc = 200.0 + 150.0 * (k as f64 / 9.0).sin() + 40.0 * rng.uniform();
            let tb = 900.0 + 100.0 * rng.uniform();
            CountInterval {
                canary_events: rng.poisson(tc * 0.01 * 1.7),
                baseline_events: rng.poisson(tb * 0.01),
                canary_exposure: tc,
                baseline_exposure: tb,
            }
        })
        .collect();
    let cases: Vec<Vec<CountInterval>> = vec![
        // Equal exposures: the beta-binomial closed form.
        vec![equal(0, 0)],
        vec![equal(1, 0)],
        vec![equal(3, 5), equal(2, 0)],
        vec![equal(40, 12)],
        (0..200).map(|k| equal(k % 3, (k + 1) % 2)).collect(),
        vec![equal(5000, 4800)],
        // A constant split other than 1:1 (traffic share 10%), and varying exposures.
        vec![CountInterval {
            canary_events: 30,
            baseline_events: 200,
            canary_exposure: 0.1,
            baseline_exposure: 0.9,
        }],
        varied[..10].to_vec(),
        varied.clone(),
        // Skipped intervals (no exposure on a side) among informative ones.
        vec![
            CountInterval {
                canary_events: 4,
                baseline_events: 0,
                canary_exposure: 10.0,
                baseline_exposure: 0.0,
            },
            CountInterval {
                canary_events: 4,
                baseline_events: 9,
                canary_exposure: 10.0,
                baseline_exposure: 30.0,
            },
        ],
    ];
    for (i, intervals) in cases.iter().enumerate() {
        let seq = RateRatioSequence::new(intervals).unwrap();
        let direct = rate_mixture_direct(intervals);
        let ours = seq.ln_mixture();
        assert!(
            (ours - direct).abs() < LN_TOL * direct.abs().max(1.0),
            "case {i}: {ours} vs {direct}"
        );
        for rho in [0.25, 1.0, 1.7, 6.0] {
            let l = rate_likelihood_direct(intervals, rho);
            assert!((seq.ln_likelihood(rho) - l).abs() < 1e-9 * l.abs().max(1.0));
            assert!((seq.ln_e_value(rho) - (direct - l)).abs() < 1e-6 * l.abs().max(1.0));
        }
    }
}

#[test]
fn rate_interval_ends_are_where_the_e_value_crosses_one_over_alpha() {
    let intervals: Vec<CountInterval> = (0..60)
        .map(|k| CountInterval {
            canary_events: (k % 4) as u64,
            baseline_events: (k % 3) as u64,
            canary_exposure: 100.0 + k as f64,
            baseline_exposure: 120.0,
        })
        .collect();
    let seq = RateRatioSequence::new(&intervals).unwrap();
    for alpha in [0.05, 0.01, 0.001] {
        let cs = seq.confidence_sequence(alpha).unwrap();
        assert!(cs.lower < cs.estimate && cs.estimate < cs.upper, "{cs:?}");
        for end in [cs.lower, cs.upper] {
            assert!(
                (seq.ln_e_value(end) - (1.0 / alpha).ln()).abs() < 1e-6,
                "{alpha} {end}"
            );
        }
        // The band e-value reaches 1/α exactly when the interval misses the band.
        assert!(seq.ln_e_value_outside(0.0, cs.lower * 0.999) > (1.0 / alpha).ln());
        assert!(seq.ln_e_value_outside(0.0, cs.lower * 1.001) < (1.0 / alpha).ln());
        assert!(seq.ln_e_value_outside(cs.upper * 1.001, f64::INFINITY) > (1.0 / alpha).ln());
    }
    // No events: no information.
    let none = RateRatioSequence::new(&[]).unwrap();
    let cs = none.confidence_sequence(0.05).unwrap();
    assert_eq!((cs.lower, cs.upper), (0.0, f64::INFINITY));
    assert!(cs.estimate.is_nan());
    assert_eq!(none.ln_e_value_outside(0.0, 1.0), 0.0);
    // Only canary events: unbounded above, and strong evidence against ρ ≤ 1 once many.
    let only = RateRatioSequence::new(&[CountInterval {
        canary_events: 30,
        baseline_events: 0,
        canary_exposure: 1.0,
        baseline_exposure: 1.0,
    }])
    .unwrap();
    let cs = only.confidence_sequence(0.05).unwrap();
    assert_eq!(cs.upper, f64::INFINITY);
    assert!(cs.lower > 1.0);
    assert!(RateRatioSequence::new(&[CountInterval {
        canary_events: 1,
        baseline_events: 1,
        canary_exposure: f64::NAN,
        baseline_exposure: 1.0,
    }])
    .is_err());
}

/// The p-value scan agrees with the bounds: `ln e ≥ ln(1/α)` exactly when the canary's lower
/// bound is above `up` of the baseline's upper bound.
#[test]
fn quantile_evidence_agrees_with_the_bounds() {
    let mut rng = Rng(11);
    let up = |q: f64| if q >= 0.0 { q * 1.1 } else { q / 1.1 };
    let mut fired = 0;
    for case in 0..300 {
        let (nb, nc) = (5 + rng.next_u64() % 200, 5 + rng.next_u64() % 200);
        let shift = 1.0 + (case % 5) as f64 * 0.15;
        let discrete = case % 3 == 0;
        let mut draw = |scale: f64| {
            let x = 50.0 + 10.0 * rng.normal();
            let x = x * scale;
            if discrete {
                x.round()
            } else {
                x
            }
        };
        let b = SortedSample::new((0..nb).map(|_| draw(1.0)).collect()).unwrap();
        let c = SortedSample::new((0..nc).map(|_| draw(shift)).collect()).unwrap();
        for p in [0.5, 0.9, 0.99] {
            let ln_e = quantile_increase_ln_e(&c, &b, p, C, up).unwrap();
            for alpha in [0.05, 0.01, 0.001] {
                let cb = quantile_bounds(&c, p, alpha, C).unwrap();
                let bb = quantile_bounds(&b, p, alpha, C).unwrap();
                let by_bounds = matches!((cb.lower, bb.upper), (Some(l), Some(u)) if l > up(u));
                let by_e = ln_e >= (1.0 / alpha).ln();
                assert_eq!(
                    by_bounds, by_e,
                    "case {case} p={p} alpha={alpha}: ln e {ln_e}"
                );
                fired += usize::from(by_e);
            }
        }
    }
    assert!(fired > 100, "the shifted cases should fire often: {fired}");
}

#[test]
fn quantile_bounds_edge_cases() {
    let one = SortedSample::new(vec![3.0]).unwrap();
    let b = quantile_bounds(&one, 0.5, 0.05, C).unwrap();
    assert_eq!((b.estimate, b.lower, b.upper), (3.0, None, None));
    assert!(quantile_bounds(&SortedSample::default(), 0.5, 0.05, C).is_err());
    assert!(quantile_bounds(&one, 1.0, 0.05, C).is_err());
    assert!(quantile_bounds(&one, f64::NAN, 0.05, C).is_err());
    assert!(quantile_bounds(&one, 0.5, 0.0, C).is_err());
    // All ties: both bounds are the tied value once there are enough points.
    let tied = SortedSample::new(vec![7.0; 200]).unwrap();
    let b = quantile_bounds(&tied, 0.9, 0.01, C).unwrap();
    assert_eq!((b.lower, b.upper), (Some(7.0), Some(7.0)));
    // Bounds widen as α shrinks, and tighten as n grows.
    let s = |n: usize| SortedSample::new((0..n).map(|i| i as f64 / n as f64).collect()).unwrap();
    let wide = quantile_bounds(&s(300), 0.5, 0.001, C).unwrap();
    let narrow = quantile_bounds(&s(300), 0.5, 0.05, C).unwrap();
    assert!(wide.lower < narrow.lower && wide.upper > narrow.upper);
    let big = quantile_bounds(&s(3000), 0.5, 0.05, C).unwrap();
    assert!(
        big.upper.unwrap() - big.lower.unwrap() < narrow.upper.unwrap() - narrow.lower.unwrap()
    );
}

/// Time-uniform coverage: over 300 looks per run, the share of runs in which a one-sided bound
/// ever misses the true quantile stays below its level.
#[test]
fn quantile_bounds_cover_at_every_look() {
    let alpha = 0.05;
    let runs = 300;
    for (p, truth) in [(0.5, std::f64::consts::LN_2), (0.9, 10f64.ln())] {
        let mut missed = 0;
        let mut rng = Rng(100 + (p * 10.0) as u64);
        for _ in 0..runs {
            let mut xs: Vec<f64> = Vec::new();
            let mut miss = false;
            for _ in 0..300 {
                xs.push(-rng.uniform().ln()); // exponential(1): q_p = −ln(1 − p)
                let s = SortedSample::new(xs.clone()).unwrap();
                let b = quantile_bounds(&s, p, alpha / 2.0, C).unwrap();
                if b.lower.is_some_and(|l| l > truth) || b.upper.is_some_and(|u| u < truth) {
                    miss = true;
                    break;
                }
            }
            missed += usize::from(miss);
        }
        let rate = missed as f64 / runs as f64;
        println!("p{p}: miscoverage over 300 looks {rate:.3} (level {alpha})");
        assert!(rate <= alpha, "p{p}: {rate}");
    }
}

#[test]
fn rate_interval_covers_at_every_look() {
    let alpha = 0.05;
    let runs = 300;
    let mut missed = 0;
    let mut rng = Rng(5);
    for _ in 0..runs {
        let mut intervals = Vec::new();
        let mut miss = false;
        for k in 0..150 {
            let (tc, tb) = (50.0 + (k % 7) as f64 * 10.0, 100.0);
            intervals.push(CountInterval {
                canary_events: rng.poisson(tc * 0.02 * 1.5),
                baseline_events: rng.poisson(tb * 0.02),
                canary_exposure: tc,
                baseline_exposure: tb,
            });
            let cs = RateRatioSequence::new(&intervals)
                .unwrap()
                .confidence_sequence(alpha)
                .unwrap();
            if cs.lower > 1.5 || cs.upper < 1.5 {
                miss = true;
                break;
            }
        }
        missed += usize::from(miss);
    }
    let rate = missed as f64 / runs as f64;
    println!("rate ratio: miscoverage over 150 looks {rate:.3} (level {alpha})");
    assert!(rate <= alpha, "{rate}");
}

// ------------------------------------------------------------------------------------------
// The judge.

fn config(metrics: Value) -> Value {
    json!({
        "judge": {"name": CANARY_JUDGE_SEQUENTIAL_V1},
        "metrics": metrics,
        "classifier": {"groupWeights": {}}
    })
}

fn metric(name: &str, canary: Value) -> Value {
    json!({"name": name, "query": {"type": "prometheus"}, "groups": ["g"], "analysisConfigurations": {"canary": canary}})
}

fn pair(name: &str, control: &[f64], experiment: &[f64]) -> Value {
    json!({"name": name, "tags": {}, "values": {"control": control, "experiment": experiment},
           "scopes": {"control": {"startTimeMillis": 0, "stepMillis": 60000},
                      "experiment": {"startTimeMillis": 0, "stepMillis": 60000}}})
}

fn request(config: Value, pairs: Vec<Value>) -> JudgeRequest {
    serde_json::from_value(json!({
        "canaryConfig": config,
        "scoreThresholds": {"pass": 95, "marginal": 75},
        "metricSetPairList": pairs
    }))
    .unwrap()
}

fn judge(req: &JudgeRequest) -> CanaryJudgeResult {
    judge_with(None, req).unwrap()
}

fn rule(result: &CanaryJudgeResult, i: usize) -> String {
    result.results[i]
        .result_metadata
        .as_ref()
        .and_then(|m| m.evidence.as_ref())
        .map(|e| e.rule.clone())
        .unwrap_or_default()
}

/// The first look (1-based, one point a side per look) at which the judge stops, and how.
fn first_stop(
    cfg: &Value,
    names: &[&str],
    series: &[(Vec<f64>, Vec<f64>)],
) -> Option<(usize, SequentialDecision)> {
    let looks = series[0].0.len();
    for n in 1..=looks {
        let pairs = names
            .iter()
            .zip(series)
            .map(|(name, (b, c))| pair(name, &b[..n], &c[..n]))
            .collect();
        let result = judge(&request(cfg.clone(), pairs));
        let d = SequentialDecision::of_result(&result);
        if d != SequentialDecision::Continue {
            return Some((n, d));
        }
    }
    None
}

fn normal_series(rng: &mut Rng, n: usize, mean: f64, sd: f64) -> Vec<f64> {
    (0..n).map(|_| mean + sd * rng.normal()).collect()
}

#[test]
fn fails_early_on_a_big_regression() {
    let mut rng = Rng(1);
    let cfg = config(json!([metric("latency", json!({"direction": "increase"}))]));
    let b = normal_series(&mut rng, 60, 100.0, 10.0);
    let c = normal_series(&mut rng, 60, 160.0, 10.0);
    let stop = first_stop(&cfg, &["latency"], &[(b.clone(), c.clone())]);
    let (look, decision) = stop.expect("stops");
    assert_eq!(decision, SequentialDecision::FailNow);
    assert!(look <= 15, "stopped at look {look}");
    let result = judge(&request(cfg, vec![pair("latency", &b[..look], &c[..look])]));
    assert_eq!(result.judge_name, CANARY_JUDGE_SEQUENTIAL_V1);
    assert_eq!(result.score.classification, Verdict::Fail);
    assert_eq!(result.score.score, 0.0);
    assert_eq!(result.results[0].classification, Classification::High);
    assert_eq!(rule(&result, 0), "fail-now");
    assert!(
        result
            .score
            .classification_reason
            .starts_with("Fail now: latency: fail now: p"),
        "{}",
        result.score.classification_reason
    );
    let e = result.results[0]
        .result_metadata
        .as_ref()
        .unwrap()
        .evidence
        .as_ref()
        .unwrap();
    assert!(e.p_value.unwrap() <= e.alpha.unwrap());
    assert_eq!(e.checks.len(), 3);
}

#[test]
fn passes_early_with_a_margin_on_identical_data() {
    let mut rng = Rng(2);
    let cfg = config(json!([metric(
        "latency",
        json!({"effectSize": {"allowedIncrease": 1.2, "allowedDecrease": 0.8},
               "sequential": {"quantiles": [0.5, 0.9]}})
    )]));
    let b = normal_series(&mut rng, 200, 100.0, 10.0);
    let c = normal_series(&mut rng, 200, 100.0, 10.0);
    let (look, decision) =
        first_stop(&cfg, &["latency"], &[(b.clone(), c.clone())]).expect("stops");
    assert_eq!(decision, SequentialDecision::PassNow);
    assert!(look <= 120, "passed at look {look}");
    let result = judge(&request(cfg, vec![pair("latency", &b[..look], &c[..look])]));
    assert_eq!(result.score.classification, Verdict::Pass);
    assert_eq!(result.score.score, 100.0);
    assert_eq!(rule(&result, 0), "pass-now");
    assert!(result.score.classification_reason.starts_with("Pass now:"));
}

#[test]
fn continues_when_unclear_and_without_enough_data() {
    let mut rng = Rng(3);
    let b = normal_series(&mut rng, 12, 100.0, 10.0);
    let c = normal_series(&mut rng, 12, 104.0, 10.0);
    let cfg = config(json!([metric("latency", json!({}))]));
    let result = judge(&request(cfg, vec![pair("latency", &b, &c)]));
    assert_eq!(result.score.classification, Verdict::Marginal);
    assert_eq!(result.score.score, 75.0);
    assert_eq!(rule(&result, 0), "continue");
    assert_eq!(result.results[0].classification, Classification::Nodata);
    assert!(result
        .score
        .classification_reason
        .starts_with("Continue: more data needed: latency: continue, more data needed"));

    let cfg = config(json!([metric("latency", json!({"minSamples": 20}))]));
    let result = judge(&request(cfg.clone(), vec![pair("latency", &b, &c)]));
    assert_eq!(rule(&result, 0), "insufficient-data");
    assert_eq!(result.score.classification, Verdict::Marginal);
    let result = judge(&request(cfg, vec![pair("latency", &[], &[])]));
    assert_eq!(rule(&result, 0), "no-data");
    assert_eq!(result.score.classification, Verdict::Marginal);
}

#[test]
fn counts_fail_fast_on_a_tenfold_error_rate_and_pass_with_a_margin() {
    let mut rng = Rng(4);
    let cfg = config(json!([metric(
        "errors",
        json!({"sequential": {"test": "count"}})
    )]));
    let b: Vec<f64> = (0..60).map(|_| rng.poisson(0.5) as f64).collect();
    let c: Vec<f64> = (0..60).map(|_| rng.poisson(5.0) as f64).collect();
    let (look, decision) = first_stop(&cfg, &["errors"], &[(b.clone(), c.clone())]).expect("stops");
    assert_eq!(decision, SequentialDecision::FailNow);
    assert!(look <= 10, "stopped at look {look}");
    let result = judge(&request(cfg, vec![pair("errors", &b[..look], &c[..look])]));
    let e = result.results[0]
        .result_metadata
        .as_ref()
        .unwrap()
        .evidence
        .as_ref()
        .unwrap();
    assert_eq!(e.test, "count");
    assert!(e.e_value.unwrap() >= 1.0 / e.alpha.unwrap());
    assert_eq!(result.results[0].classification, Classification::High);

    // Same rate with a denominator, allowed ×2: equivalence is shown eventually.
    let cfg = config(json!([
        metric(
            "errors",
            json!({"denominator": "requests", "effectSize": {"allowedIncrease": 2.0}})
        ),
        metric("requests", json!({"muted": true})),
    ]));
    let requests: Vec<f64> = (0..400)
        .map(|k| 1000.0 + 300.0 * (k as f64 / 20.0).sin())
        .collect();
    let errs = |rng: &mut Rng| -> Vec<f64> {
        requests
            .iter()
            .map(|r| rng.poisson(r * 0.002) as f64)
            .collect()
    };
    let (b, c) = (errs(&mut rng), errs(&mut rng));
    let (look, decision) = first_stop(
        &cfg,
        &["errors", "requests"],
        &[(b, c), (requests.clone(), requests.clone())],
    )
    .expect("stops");
    assert_eq!(decision, SequentialDecision::PassNow);
    assert!(look <= 200, "passed at look {look}");
}

/// Stateless: each look is judged from the request alone, the same request gives the same
/// result, and on no-change data asked at every one of 100 looks the canary-level false-alarm
/// rate (two metrics) stays at or below 5%.
#[test]
fn no_change_false_alarms_stay_below_alpha_at_every_look() {
    let cfg = config(json!([
        metric("latency", json!({})),
        metric("errors", json!({"sequential": {"test": "count"}})),
    ]));
    let runs = 60;
    let mut alarms = 0;
    let mut rng = Rng(9);
    for _ in 0..runs {
        let lat = (
            normal_series(&mut rng, 100, 100.0, 10.0),
            normal_series(&mut rng, 100, 100.0, 10.0),
        );
        let err: (Vec<f64>, Vec<f64>) = (
            (0..100).map(|_| rng.poisson(1.0) as f64).collect(),
            (0..100).map(|_| rng.poisson(1.0) as f64).collect(),
        );
        if let Some((_, SequentialDecision::FailNow)) =
            first_stop(&cfg, &["latency", "errors"], &[lat, err])
        {
            alarms += 1;
        }
    }
    assert!(alarms as f64 / runs as f64 <= 0.05, "{alarms} of {runs}");

    let b = vec![1.0, 2.0, 3.0, 4.0];
    let req = request(cfg, vec![pair("latency", &b, &b), pair("errors", &b, &b)]);
    assert_eq!(judge(&req), judge(&req));
}

#[test]
fn settings_errors_name_the_key() {
    let check = |canary: Value, needle: &str| {
        let req = request(
            config(json!([metric("m", canary)])),
            vec![pair("m", &[1.0], &[1.0])],
        );
        let e = judge_with(None, &req).unwrap_err().to_string();
        assert!(e.contains(needle), "{e}");
    };
    check(
        json!({"sequential": {"quantiles": [0.5, 1.5]}}),
        "sequential.quantiles[1]",
    );
    check(
        json!({"sequential": {"tests": "count"}}),
        "sequential.tests",
    );
    check(json!({"sequential": {"test": "rank"}}), "sequential.test");
    check(
        json!({"sequential": {"trafficShare": 1.0}}),
        "sequential.trafficShare",
    );
    check(json!({"threshold": {"max": 3}}), "threshold");
    let req = request(
        config(json!([metric("m", json!({}))])),
        vec![pair("m", &[1.0], &[1.0])],
    );
    assert!(judge_with(Some("nope"), &req)
        .unwrap_err()
        .to_string()
        .contains(CANARY_JUDGE_SEQUENTIAL_V1));
}

#[test]
fn count_totals_past_exact_doubles_are_an_error_not_a_verdict() {
    // 4e15 events an interval on both sides, 50 intervals: 2e17 in all, past what doubles hold
    // exactly. The e-value had swung to ∞ and failed identical counts ("→ Low").
    let cfg = config(json!([metric(
        "errors",
        json!({"sequential": {"test": "count"}})
    )]));
    let huge = vec![4e15; 50];
    let r = judge(&request(cfg.clone(), vec![pair("errors", &huge, &huge)]));
    let reason = r.results[0]
        .classification_reason
        .clone()
        .unwrap_or_default();
    assert_eq!(
        r.results[0].classification,
        Classification::Error,
        "{reason}"
    );
    assert!(
        reason.contains("event totals must stay below 9e15"),
        "{reason}"
    );
    assert_eq!(r.score.classification, canary_judge::Verdict::Marginal);
    // Just below the bound, identical counts continue.
    let large = vec![1.7e14; 50];
    let r = judge(&request(cfg, vec![pair("errors", &large, &large)]));
    assert_ne!(r.results[0].classification, Classification::Error);
    assert_eq!(r.score.classification, canary_judge::Verdict::Marginal);
}

//! Anytime-valid statistics: e-processes and confidence sequences whose error guarantee holds at
//! every look, however often the data are checked (and whenever the checking stops).
//!
//! Two families, both deterministic (no randomness, fixed numerical rules):
//!
//! - **Counts** ([`RateRatioSequence`]): the test of two Poisson processes of Lindon & Malek
//!   (NeurIPS 2022, "Anytime-valid inference for multinomial count data"). Per interval `k` the
//!   canary has `x_ck` events with exposure `t_ck` (requests, or a traffic share) and the baseline
//!   `x_bk` with `t_bk`. Conditional on the interval's total, each event is the canary's with
//!   probability `θ_k(ρ) = ρ t_ck / (ρ t_ck + t_bk)`, where `ρ` is the ratio of the canary's rate
//!   to the baseline's. The e-value against `ρ0` is the mixture likelihood ratio
//!   `E(ρ0) = ∫ L(ρ) π(dρ) / L(ρ0)` with `L(ρ) = Π_k θ_k(ρ)^x_ck (1 − θ_k(ρ))^x_bk` and the prior
//!   `π`: `ρ / (1 + ρ) ~ Beta(a, a)` ([`RATE_PRIOR_SHAPE`]). Under `ρ0` it is a test martingale,
//!   so by Ville's inequality `P(∃ look: E(ρ0) ≥ 1/α) ≤ α`, and `{ρ0 : E(ρ0) < 1/α}` is a
//!   confidence sequence (an interval, as `ln L` is concave in `ln ρ`). The mixture is the
//!   beta-binomial closed form when every interval has equal exposures, and otherwise a
//!   deterministic quadrature in `ln ρ` (the trapezoid rule, halving its step until the sum
//!   settles to 1e-12, over the region where the integrand is within `e^-60` of its peak).
//! - **Quantiles** ([`quantile_bounds`], [`quantile_increase_ln_e`]): Howard & Ramdas (Bernoulli
//!   2022, "Sequential estimation of quantiles with applications to A/B-testing and best-arm
//!   identification"), Theorem 2's one-sided beta-binomial confidence sequence. For the
//!   `p`-quantile `q`, the counts `#{X_i < q}` and `#{X_i ≤ q}` are binomial with success
//!   probability at most and at least `p`; a one-sided Beta mixture of likelihood ratios
//!   (prior `Beta(c p, c (1 − p))` truncated to one side of `p`, `c` =
//!   [`QUANTILE_PRIOR_CONCENTRATION`]) is a supermartingale for each, and the order statistics
//!   where it crosses `1/α` bound `q` at every look. Ties and discrete data are handled (the
//!   bounds stay valid); the data must be independent draws from one distribution per side.
//!
//! # Edge cases
//! - Empty input: [`quantile_bounds`] gives [`SequentialError::EmptySample`]; a
//!   [`RateRatioSequence`] without events has e-value 1 everywhere and the interval `(0, ∞)`.
//! - NaN: refused by the types ([`SortedSample`] holds no NaN) or with
//!   [`SequentialError::Exposure`] for exposures.
//! - ±∞ samples sort to the ends and are ordinary order statistics.
//! - Ties: counted with `<` for upper bounds and `≤` for lower bounds, which keeps coverage.
//!
//! # Floating point
//! `ln Γ` is Lanczos' approximation (relative error about 1e-15); the incomplete beta integral is
//! Lentz's continued fraction to 1e-15. Decisions compare log e-values with `ln(1/α)`, so these
//! errors only matter within about 1e-9 of a boundary.

use super::SortedSample;
use thiserror::Error;

/// The shape `a` of the rate-ratio prior `ρ / (1 + ρ) ~ Beta(a, a)`: with `a = 1` the canary's
/// share of events at equal exposure is uniform on (0, 1) (the log ratio has a logistic law with
/// standard deviation 1.81).
pub const RATE_PRIOR_SHAPE: f64 = 1.0;

/// The concentration `c` of the quantile prior `Beta(c p, c (1 − p))`. Larger values tighten the
/// bounds for large samples and loosen them for small ones; with 8 the median is bounded from 20
/// points a side at the levels a canary uses, and large samples lose little.
pub const QUANTILE_PRIOR_CONCENTRATION: f64 = 8.0;

/// Why an anytime-valid statistic could not be computed.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum SequentialError {
    /// A quantile's probability is not strictly between 0 and 1 (or is NaN).
    #[error("quantile probability {0} is outside (0, 1)")]
    Probability(f64),
    /// An error level is not strictly between 0 and 1 (or is NaN).
    #[error("error level {0} is outside (0, 1)")]
    Alpha(f64),
    /// A prior parameter is not finite and positive.
    #[error("prior parameter {0} must be finite and positive")]
    Prior(f64),
    /// A sample had no points where at least one is needed.
    #[error("the sample is empty")]
    EmptySample,
    /// An interval's exposure is NaN, infinite or negative.
    #[error("interval {index}: exposures must be finite and not negative, got canary {canary} and baseline {baseline}")]
    Exposure {
        /// Position of the interval.
        index: usize,
        /// The canary's exposure.
        canary: f64,
        /// The baseline's exposure.
        baseline: f64,
    },
}

// ---------------------------------------------------------------------------------------------
// Special functions.

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, 9 terms).
pub(crate) fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 − x) = π / sin(π x).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// `ln B(a, b)`.
pub(crate) fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// `ln(1 − e^y)` for `y ≤ 0`, accurate at both ends.
fn ln_one_minus_exp(y: f64) -> f64 {
    if y > -std::f64::consts::LN_2 {
        (-y.exp_m1()).ln()
    } else {
        (-y.exp()).ln_1p()
    }
}

/// Lentz's continued fraction for the incomplete beta function (converges fast for
/// `x < (a + 1) / (a + b + 2)`).
fn beta_continued_fraction(x: f64, a: f64, b: f64) -> f64 {
    const MAX_ITERATIONS: usize = 100_000;
    const EPS: f64 = 1e-15;
    const TINY: f64 = 1e-300;
    /// One modified-Lentz update with the partial numerator `aa`: the factor it multiplies
    /// into the fraction (`c` and `d` kept away from 0).
    fn lentz_step(aa: f64, c: &mut f64, d: &mut f64) -> f64 {
        *d = 1.0 + aa * *d;
        if d.abs() < TINY {
            *d = TINY;
        }
        *c = 1.0 + aa / *c;
        if c.abs() < TINY {
            *c = TINY;
        }
        *d = 1.0 / *d;
        *d * *c
    }
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=MAX_ITERATIONS {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        h *= lentz_step(aa, &mut c, &mut d);
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        let del = lentz_step(aa, &mut c, &mut d);
        h *= del;
        if (del - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// `ln ∫_0^x t^(a−1) (1 − t)^(b−1) dt` for `a, b > 0` (−∞ at `x ≤ 0`, `ln B(a, b)` at `x ≥ 1`).
pub(crate) fn ln_beta_lower(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if x >= 1.0 {
        return ln_beta(a, b);
    }
    if x < (a + 1.0) / (a + b + 2.0) {
        a * x.ln() + b * (-x).ln_1p() - a.ln() + beta_continued_fraction(x, a, b).ln()
    } else {
        let total = ln_beta(a, b);
        let upper =
            b * (-x).ln_1p() + a * x.ln() - b.ln() + beta_continued_fraction(1.0 - x, b, a).ln();
        total + ln_one_minus_exp((upper - total).min(0.0))
    }
}

/// `ln ∫_x^1 t^(a−1) (1 − t)^(b−1) dt`.
pub(crate) fn ln_beta_upper(x: f64, a: f64, b: f64) -> f64 {
    ln_beta_lower(1.0 - x, b, a)
}

// ---------------------------------------------------------------------------------------------
// Quantiles.

fn check_probability(p: f64) -> Result<(), SequentialError> {
    if p > 0.0 && p < 1.0 {
        Ok(())
    } else {
        Err(SequentialError::Probability(p))
    }
}

fn check_alpha(alpha: f64) -> Result<(), SequentialError> {
    if alpha > 0.0 && alpha < 1.0 {
        Ok(())
    } else {
        Err(SequentialError::Alpha(alpha))
    }
}

/// Which side of `p` a one-sided quantile mixture bets on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Side {
    /// Success probabilities above `p` (evidence that more than a share `p` of points lie below
    /// a value: the value is above the `p`-quantile).
    Above,
    /// Success probabilities below `p`.
    Below,
}

/// `ln E_n(s)`: the log of the one-sided beta-binomial mixture e-value for `s` successes in `n`
/// Bernoulli trials against success probability `p`,
/// `∫ (r/p)^s ((1−r)/(1−p))^(n−s) π(dr)`, with `π` the `Beta(c p, c (1 − p))` prior restricted to
/// `r > p` ([`Side::Above`]) or `r < p` ([`Side::Below`]).
///
/// For `Above` it is a supermartingale whenever the true probability is at most `p`, and it
/// increases with `s`; for `Below`, whenever it is at least `p`, and it decreases with `s`.
///
/// # Edge cases
/// `n = 0` gives 0 (e-value 1). `s > n` is clamped to `n`.
///
/// ```
/// use canary_judge::stats::{quantile_mixture_ln_e, Side, QUANTILE_PRIOR_CONCENTRATION as C};
/// assert_eq!(quantile_mixture_ln_e(0, 0, 0.5, Side::Above, C).unwrap(), 0.0);
/// // 90 of 100 below a value: strong evidence that it is above the median.
/// assert!(quantile_mixture_ln_e(100, 90, 0.5, Side::Above, C).unwrap() > 20.0);
/// ```
///
/// # Errors
/// [`SequentialError::Probability`] for `p` outside (0, 1); [`SequentialError::Prior`] for a
/// concentration that is not finite and positive.
pub fn quantile_mixture_ln_e(
    n: u64,
    s: u64,
    p: f64,
    side: Side,
    concentration: f64,
) -> Result<f64, SequentialError> {
    check_probability(p)?;
    if !(concentration.is_finite() && concentration > 0.0) {
        return Err(SequentialError::Prior(concentration));
    }
    Ok(mixture_ln_e(n, s.min(n), p, side, concentration))
}

fn mixture_ln_e(n: u64, s: u64, p: f64, side: Side, c: f64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let (a, b) = (c * p, c * (1.0 - p));
    let (sf, ff) = (s as f64, (n - s) as f64);
    let null = sf * p.ln() + ff * (-p).ln_1p();
    let (num, den) = match side {
        Side::Above => (ln_beta_upper(p, a + sf, b + ff), ln_beta_upper(p, a, b)),
        Side::Below => (ln_beta_lower(p, a + sf, b + ff), ln_beta_lower(p, a, b)),
    };
    num - den - null
}

/// The smallest count `k` (1-based) with `ln E_n(k) ≥ ln(1/α)` for [`Side::Above`]: the upper
/// bound of the `p`-quantile is the `k`-th smallest point. `None` when no count reaches it.
fn upper_index(n: u64, p: f64, alpha: f64, c: f64) -> Option<u64> {
    let target = -alpha.ln();
    if n == 0 || mixture_ln_e(n, n, p, Side::Above, c) < target {
        return None;
    }
    let (mut lo, mut hi) = (0u64, n); // E(lo) < target ≤ E(hi)
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if mixture_ln_e(n, mid, p, Side::Above, c) >= target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// `1 + max{s : ln E_n(s) ≥ ln(1/α)}` for [`Side::Below`]: the lower bound of the `p`-quantile is
/// the point of that rank. `None` when no count reaches it.
fn lower_index(n: u64, p: f64, alpha: f64, c: f64) -> Option<u64> {
    let target = -alpha.ln();
    if n == 0 || mixture_ln_e(n, 0, p, Side::Below, c) < target {
        return None;
    }
    let (mut lo, mut hi) = (0u64, n); // E(lo) ≥ target > E(hi) (E(n) ≤ 1 always)
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if mixture_ln_e(n, mid, p, Side::Below, c) >= target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(lo + 1)
}

/// A time-uniform confidence interval for one quantile of one sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantileBounds {
    /// The sample quantile (the `⌈n p⌉`-th smallest point).
    pub estimate: f64,
    /// The lower bound, `None` while the data cannot bound the quantile from below.
    pub lower: Option<f64>,
    /// The upper bound, `None` while the data cannot bound it from above.
    pub upper: Option<f64>,
}

/// Howard & Ramdas' confidence sequence for the `p`-quantile of the distribution `sorted` is
/// drawn from: with probability at least `1 − 2α`, at every sample size `lower ≤ q_p ≤ upper`
/// (each one-sided bound fails with probability at most `α` over all looks).
///
/// Both bounds are order statistics; which ones depends only on `n`, `p`, `α` and the prior
/// concentration, so a bound moves only when the data do. With few points a side stays unbounded
/// (`None`): the upper bound of p99 needs several hundred points.
///
/// # Edge cases
/// Empty input is an error; one point gives `None` bounds at usual levels. Ties: the bounds are
/// order statistics and remain valid for discrete data. ±∞ points are ordinary order statistics.
///
/// ```
/// use canary_judge::stats::{quantile_bounds, SortedSample, QUANTILE_PRIOR_CONCENTRATION as C};
/// let s = SortedSample::new((1..=400).map(f64::from).collect()).unwrap();
/// let b = quantile_bounds(&s, 0.5, 0.025, C).unwrap();
/// assert_eq!(b.estimate, 200.0);
/// assert!(b.lower.unwrap() < 200.0 && b.upper.unwrap() > 200.0);
/// ```
///
/// # Errors
/// [`SequentialError::EmptySample`], [`SequentialError::Probability`],
/// [`SequentialError::Alpha`], [`SequentialError::Prior`].
pub fn quantile_bounds(
    sorted: &SortedSample,
    p: f64,
    alpha: f64,
    concentration: f64,
) -> Result<QuantileBounds, SequentialError> {
    check_probability(p)?;
    check_alpha(alpha)?;
    if !(concentration.is_finite() && concentration > 0.0) {
        return Err(SequentialError::Prior(concentration));
    }
    let x = sorted.as_slice();
    if x.is_empty() {
        return Err(SequentialError::EmptySample);
    }
    let n = x.len() as u64;
    let at = |rank: u64| x.get(rank as usize - 1).copied();
    let est_rank = ((n as f64 * p).ceil() as u64).clamp(1, n);
    Ok(QuantileBounds {
        estimate: x[est_rank as usize - 1],
        lower: lower_index(n, p, alpha, concentration).and_then(at),
        upper: upper_index(n, p, alpha, concentration).and_then(at),
    })
}

/// The log e-value that the canary's `p`-quantile exceeds `allowed(q_b)`, where `q_b` is the
/// baseline's `p`-quantile and `allowed` is a non-decreasing function (the allowed change).
///
/// It is `max_i min(ln E_b(i), ln E_c(i))` over the baseline's order statistics `b_(i)`, with
/// `E_b(i)` the [`Side::Above`] mixture for `#{b ≤ b_(i)}` (evidence that `q_b < b_(i)`) and
/// `E_c(i)` the [`Side::Below`] mixture for `#{c ≤ allowed(b_(i))}` (evidence that
/// `q_c > allowed(b_(i))`). By construction `ln e ≥ ln(1/α)` exactly when the canary's lower
/// bound at level `α` (see [`quantile_bounds`]) is above `allowed` of the baseline's upper bound
/// at level `α`, so `min(1, 1/e)` is the smallest such `α`: an always-valid p-value per
/// one-sided bound (the probability that it ever falls to `α` or below, while the canary's
/// quantile is within the allowed change, is at most `2α`).
///
/// # Edge cases
/// An empty side gives `ln e = 0` (no evidence). NaN from `allowed` counts no canary points.
///
/// ```
/// use canary_judge::stats::{quantile_increase_ln_e, SortedSample, QUANTILE_PRIOR_CONCENTRATION as C};
/// let b = SortedSample::new((0..200).map(|i| f64::from(i % 20)).collect()).unwrap();
/// let c = SortedSample::new((0..200).map(|i| f64::from(i % 20) + 30.0).collect()).unwrap();
/// let ln_e = quantile_increase_ln_e(&c, &b, 0.5, C, |q| q * 1.1).unwrap();
/// assert!(ln_e > (1.0f64 / 0.001).ln()); // the canary's median is far above
/// ```
///
/// # Errors
/// [`SequentialError::Probability`] or [`SequentialError::Prior`].
pub fn quantile_increase_ln_e(
    canary: &SortedSample,
    baseline: &SortedSample,
    p: f64,
    concentration: f64,
    allowed: impl Fn(f64) -> f64,
) -> Result<f64, SequentialError> {
    check_probability(p)?;
    if !(concentration.is_finite() && concentration > 0.0) {
        return Err(SequentialError::Prior(concentration));
    }
    Ok(increase_ln_e(
        canary.as_slice(),
        baseline.as_slice(),
        p,
        concentration,
        &allowed,
    ))
}

fn increase_ln_e(c: &[f64], b: &[f64], p: f64, conc: f64, allowed: &dyn Fn(f64) -> f64) -> f64 {
    let (nc, nb) = (c.len() as u64, b.len() as u64);
    if nc == 0 || nb == 0 {
        return 0.0;
    }
    // i is a 0-based index into b; A(i) non-decreasing, B(i) non-increasing.
    let a_of = |i: usize| {
        let v = b[i];
        let count = b.partition_point(|x| *x <= v) as u64;
        mixture_ln_e(nb, count, p, Side::Above, conc)
    };
    let b_of = |i: usize| {
        let w = allowed(b[i]);
        let count = c.partition_point(|x| *x <= w) as u64;
        mixture_ln_e(nc, count, p, Side::Below, conc)
    };
    // The first i with A(i) ≥ B(i); the maximum of min(A, B) is there or just before.
    let (mut lo, mut hi) = (0usize, b.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if a_of(mid) >= b_of(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let mut best = f64::NEG_INFINITY;
    for i in [lo.checked_sub(1), (lo < b.len()).then_some(lo)]
        .into_iter()
        .flatten()
    {
        best = best.max(a_of(i).min(b_of(i)));
    }
    best.max(0.0)
}

// ---------------------------------------------------------------------------------------------
// Counts.

/// One interval's counts and exposures for [`RateRatioSequence`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountInterval {
    /// Events on the canary.
    pub canary_events: u64,
    /// Events on the baseline.
    pub baseline_events: u64,
    /// The canary's exposure (requests, or its traffic share).
    pub canary_exposure: f64,
    /// The baseline's exposure.
    pub baseline_exposure: f64,
}

/// A time-uniform interval for the rate ratio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioInterval {
    /// The maximum-likelihood ratio (0 or ∞ when one side has no events; NaN with none at all).
    pub estimate: f64,
    /// Lower end (0 when unbounded below).
    pub lower: f64,
    /// Upper end (∞ when unbounded above).
    pub upper: f64,
}

/// The e-process of Lindon & Malek for the ratio `ρ` of the canary's event rate to the
/// baseline's (see the module docs), over the intervals seen so far.
///
/// Intervals with no events, or with no exposure on a side, carry no information about `ρ` and
/// are skipped. Intervals are grouped by their exposure split, so the cost is one pass over the
/// data plus a quadrature over the distinct splits (none when all splits are equal).
#[derive(Debug, Clone, PartialEq)]
pub struct RateRatioSequence {
    /// (ln split, canary events, baseline events), one per distinct split.
    groups: Vec<(f64, f64, f64)>,
    canary_events: f64,
    baseline_events: f64,
    prior: f64,
    ln_mixture: f64,
    /// MLE of ln ρ: ±∞ when a side has no events, NaN with none.
    mle: f64,
}

fn softplus(z: f64) -> f64 {
    if z == f64::INFINITY {
        return f64::INFINITY;
    }
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// The root of a decreasing `f` (given with its derivative) by Newton's method, safeguarded by
/// a bracket that is widened until it holds the root (and bisected when a step leaves it).
fn newton_root(f: impl Fn(f64) -> (f64, f64)) -> f64 {
    let (mut lo, mut hi) = (-1.0, 1.0);
    while f(lo).0 <= 0.0 && lo > -2.0 * LN_RATIO_LIMIT {
        lo *= 2.0;
    }
    while f(hi).0 > 0.0 && hi < 2.0 * LN_RATIO_LIMIT {
        hi *= 2.0;
    }
    let mut u = 0.5 * (lo + hi);
    for _ in 0..200 {
        let (v, dv) = f(u);
        if v > 0.0 {
            lo = u;
        } else {
            hi = u;
        }
        let mut next = u - v / dv;
        if !(next > lo && next < hi) {
            next = 0.5 * (lo + hi);
        }
        if (next - u).abs() <= 1e-14 * u.abs().max(1.0) || hi - lo <= 1e-14 * u.abs().max(1.0) {
            return next;
        }
        u = next;
    }
    u
}

/// Log-ratios beyond this are reported as 0 or ∞.
const LN_RATIO_LIMIT: f64 = 700.0;

impl RateRatioSequence {
    /// Builds the e-process from the intervals so far, with the prior shape
    /// [`RATE_PRIOR_SHAPE`].
    ///
    /// # Errors
    /// [`SequentialError::Exposure`] for a NaN, infinite or negative exposure.
    pub fn new(intervals: &[CountInterval]) -> Result<Self, SequentialError> {
        Self::with_prior(intervals, RATE_PRIOR_SHAPE)
    }

    /// As [`new`](Self::new), with the prior `ρ / (1 + ρ) ~ Beta(shape, shape)`.
    ///
    /// # Errors
    /// As [`new`](Self::new), and [`SequentialError::Prior`] for a shape that is not finite and
    /// positive.
    pub fn with_prior(intervals: &[CountInterval], shape: f64) -> Result<Self, SequentialError> {
        if !(shape.is_finite() && shape > 0.0) {
            return Err(SequentialError::Prior(shape));
        }
        let mut splits: Vec<(f64, f64, f64)> = Vec::new();
        for (index, iv) in intervals.iter().enumerate() {
            let (tc, tb) = (iv.canary_exposure, iv.baseline_exposure);
            if !(tc.is_finite() && tb.is_finite() && tc >= 0.0 && tb >= 0.0) {
                return Err(SequentialError::Exposure {
                    index,
                    canary: tc,
                    baseline: tb,
                });
            }
            if tc == 0.0 || tb == 0.0 || iv.canary_events + iv.baseline_events == 0 {
                continue;
            }
            splits.push((
                tc.ln() - tb.ln(),
                iv.canary_events as f64,
                iv.baseline_events as f64,
            ));
        }
        splits.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut groups: Vec<(f64, f64, f64)> = Vec::new();
        for (s, xc, xb) in splits {
            match groups.last_mut() {
                Some(g) if g.0 == s => {
                    g.1 += xc;
                    g.2 += xb;
                }
                _ => groups.push((s, xc, xb)),
            }
        }
        let canary_events = groups.iter().map(|g| g.1).sum();
        let baseline_events = groups.iter().map(|g| g.2).sum();
        let mut seq = RateRatioSequence {
            groups,
            canary_events,
            baseline_events,
            prior: shape,
            ln_mixture: 0.0,
            mle: f64::NAN,
        };
        seq.ln_mixture = seq.compute_ln_mixture();
        seq.mle = seq.compute_mle();
        Ok(seq)
    }

    /// Total canary events in informative intervals.
    pub fn canary_events(&self) -> f64 {
        self.canary_events
    }

    /// Total baseline events in informative intervals.
    pub fn baseline_events(&self) -> f64 {
        self.baseline_events
    }

    /// `ln L(ρ)` at `ln ρ = u`, the conditional log-likelihood (0 without events); `u` may be ±∞.
    fn ln_lik(&self, u: f64) -> f64 {
        if u.is_finite() {
            return self.lik3(u).0;
        }
        let mut total = 0.0;
        for &(s, xc, xb) in &self.groups {
            let z = u + s;
            if xc > 0.0 {
                total -= xc * softplus(-z);
            }
            if xb > 0.0 {
                total -= xb * softplus(z);
            }
        }
        total
    }

    /// `(ln L, d/du ln L, d²/du² ln L)` at a finite `u = ln ρ`, one exponential per group.
    fn lik3(&self, u: f64) -> (f64, f64, f64) {
        let (mut l, mut d1, mut d2) = (0.0, 0.0, 0.0);
        for &(s, xc, xb) in &self.groups {
            let z = u + s;
            // softplus(z) = ln(1 + e^z); ln σ(z) = z − softplus(z), ln σ(−z) = −softplus(z).
            let e = (-z.abs()).exp();
            let sp = z.max(0.0) + e.ln_1p();
            let theta = if z >= 0.0 {
                1.0 / (1.0 + e)
            } else {
                e / (1.0 + e)
            };
            l += xc * (z - sp) - xb * sp;
            d1 += xc * (1.0 - theta) - xb * theta;
            d2 -= (xc + xb) * theta * (1.0 - theta);
        }
        (l, d1, d2)
    }

    fn ln_prior(&self, u: f64) -> f64 {
        let a = self.prior;
        -a * softplus(-u) - a * softplus(u) - ln_beta(a, a)
    }

    fn compute_ln_mixture(&self) -> f64 {
        let a = self.prior;
        match self.groups.as_slice() {
            [] => 0.0,
            // Equal exposures: θ = ρ / (1 + ρ) ~ Beta(a, a), the beta-binomial closed form.
            [(s, xc, xb)] if *s == 0.0 => ln_beta(a + xc, a + xb) - ln_beta(a, a),
            _ => {
                // g(u) = ln L + ln prior, strictly concave in u = ln ρ.
                let g3 = |u: f64| {
                    let (l, d1, d2) = self.lik3(u);
                    let sg = sigmoid(u);
                    (
                        l + self.ln_prior(u),
                        d1 + a * (1.0 - 2.0 * sg),
                        d2 - 2.0 * a * sg * (1.0 - sg),
                    )
                };
                let mode = newton_root(|u| {
                    let (_, d1, d2) = g3(u);
                    (d1, d2)
                });
                let (peak, _, curvature) = g3(mode);
                let g = |u: f64| g3(u).0;
                let sd = (-1.0 / curvature).sqrt().clamp(1e-12, 1e3);
                // Out to where the integrand is e^-60 of its peak (log-concave: it only falls).
                let reach = |dir: f64| {
                    let mut w = 8.0 * sd;
                    while g(mode + dir * w) > peak - 60.0 && w < 4.0 * LN_RATIO_LIMIT {
                        w *= 1.5;
                    }
                    w
                };
                let (left, right) = (mode - reach(-1.0), mode + reach(1.0));
                // The trapezoid rule is spectrally accurate for a smooth integrand that is
                // negligible at both ends: halve the step until the sum settles.
                let f = |u: f64| (g(u) - peak).exp();
                let mut n = (((right - left) / (0.5 * sd)).ceil() as usize).clamp(16, 4096);
                let mut h = (right - left) / n as f64;
                let mut sum = 0.5 * (f(left) + f(right))
                    + (1..n).map(|i| f(left + h * i as f64)).sum::<f64>();
                let mut estimate = sum * h;
                for _ in 0..6 {
                    let mid: f64 = (0..n).map(|i| f(left + h * (i as f64 + 0.5))).sum();
                    sum += mid;
                    n *= 2;
                    h *= 0.5;
                    let refined = sum * h;
                    let settled = (refined - estimate).abs() <= 1e-12 * refined;
                    estimate = refined;
                    if settled {
                        break;
                    }
                }
                peak + estimate.ln()
            }
        }
    }

    fn compute_mle(&self) -> f64 {
        match (self.canary_events > 0.0, self.baseline_events > 0.0) {
            (false, false) => f64::NAN,
            (false, true) => f64::NEG_INFINITY,
            (true, false) => f64::INFINITY,
            (true, true) => newton_root(|u| {
                let (_, d1, d2) = self.lik3(u);
                (d1, d2)
            }),
        }
    }

    /// `ln ∫ L(ρ) π(dρ)`, the log of the mixture's likelihood (0 without events).
    pub fn ln_mixture(&self) -> f64 {
        self.ln_mixture
    }

    /// `ln L(ρ)`: the conditional log-likelihood of the canary/baseline split of the events at
    /// ratio `ρ` (0 without events; −∞ where impossible, e.g. ρ = 0 with canary events).
    ///
    /// # Edge cases
    /// NaN `ρ` gives NaN; `ρ ≤ 0` is read as 0.
    pub fn ln_likelihood(&self, ratio: f64) -> f64 {
        if ratio.is_nan() {
            return f64::NAN;
        }
        self.ln_lik(if ratio > 0.0 {
            ratio.ln()
        } else {
            f64::NEG_INFINITY
        })
    }

    /// `ln E(ρ0)`: the log e-value against the point null `ρ = ρ0`.
    pub fn ln_e_value(&self, ratio: f64) -> f64 {
        self.ln_mixture - self.ln_likelihood(ratio)
    }

    /// The log e-value against the composite null `lower ≤ ρ ≤ upper` (`lower` may be 0 and
    /// `upper` ∞): `ln M − sup ln L` over the band. It reaches `ln(1/α)` exactly when the
    /// [`confidence_sequence`](Self::confidence_sequence) at `α` misses the band.
    ///
    /// # Edge cases
    /// A band containing the maximum-likelihood ratio gives the smallest value, `ln M − ln L̂ ≤ 0`;
    /// no events gives 0. NaN bounds give NaN.
    pub fn ln_e_value_outside(&self, lower: f64, upper: f64) -> f64 {
        if lower.is_nan() || upper.is_nan() {
            return f64::NAN;
        }
        let to_u = |r: f64| if r > 0.0 { r.ln() } else { f64::NEG_INFINITY };
        let (lo, hi) = (to_u(lower), to_u(upper));
        if self.mle.is_nan() {
            return 0.0;
        }
        let best = self.mle.clamp(lo.min(hi), hi.max(lo));
        self.ln_mixture - self.ln_lik(best)
    }

    /// The always-valid maximum-likelihood ratio.
    pub fn estimate(&self) -> f64 {
        self.mle.exp()
    }

    /// The confidence sequence `{ρ0 : E(ρ0) < 1/α}` at this look: with probability at least
    /// `1 − α` it holds the true ratio at every look.
    ///
    /// # Edge cases
    /// No events: `(0, ∞)` and estimate NaN. No canary events: lower end 0; no baseline events:
    /// upper end ∞.
    ///
    /// # Errors
    /// [`SequentialError::Alpha`] for `α` outside (0, 1).
    pub fn confidence_sequence(&self, alpha: f64) -> Result<RatioInterval, SequentialError> {
        check_alpha(alpha)?;
        let threshold = self.ln_mixture + alpha.ln();
        let above = |u: f64| self.ln_lik(u) - threshold;
        if self.mle.is_nan() {
            return Ok(RatioInterval {
                estimate: f64::NAN,
                lower: 0.0,
                upper: f64::INFINITY,
            });
        }
        // A point inside the set (ln L is largest at the MLE).
        let inside = if self.mle.is_finite() {
            self.mle
        } else {
            let mut u = self.mle.signum();
            while above(u) <= 0.0 && u.abs() < 4.0 * LN_RATIO_LIMIT {
                u *= 2.0;
            }
            u
        };
        let end = |dir: f64| -> f64 {
            let mut w = 1.0;
            while above(inside + dir * w) > 0.0 {
                if w > 2.0 * LN_RATIO_LIMIT {
                    return dir * f64::INFINITY;
                }
                w *= 2.0;
            }
            // Newton from outside: ln L is concave, so the iterates approach the end from
            // outside (the interval is never reported narrower than it is).
            let mut u = inside + dir * w;
            for _ in 0..200 {
                let (l, d1, _) = self.lik3(u);
                let step = -(l - threshold) / d1;
                if !step.is_finite() {
                    break;
                }
                u += step;
                if step.abs() <= 1e-13 * u.abs().max(1.0) {
                    break;
                }
            }
            u
        };
        Ok(RatioInterval {
            estimate: self.mle.exp(),
            lower: end(-1.0).exp(),
            upper: end(1.0).exp(),
        })
    }
}

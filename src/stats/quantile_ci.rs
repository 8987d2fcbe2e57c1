//! Distribution-free confidence intervals for a quantile, and for the difference of one quantile
//! between two samples (latency tails of canary and baseline).

use super::binomial::binom_tails;
use super::sample::{sample_problem, SampleProblem};
use thiserror::Error;

/// A quantile of one sample with its distribution-free confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantileInterval {
    /// The sample quantile by R's default rule (`quantile(x, q, type = 7)`): linear
    /// interpolation between the order statistics at `1 + (n − 1)·q`.
    pub estimate: f64,
    /// The lower end, an order statistic of the sample; `None` when the sample is too small to
    /// bound the quantile from below at this level (even the minimum exceeds the quantile with
    /// probability above `(1 − confidence)/2`, i.e. `(1 − q)^n > (1 − confidence)/2`).
    pub lower: Option<f64>,
    /// The upper end, an order statistic; `None` when even the maximum is below the quantile
    /// too often (`q^n > (1 − confidence)/2`).
    pub upper: Option<f64>,
    /// The confidence level this interval was built for.
    pub confidence: f64,
}

/// The difference of one quantile between canary and baseline, `canary − baseline`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantileShift {
    /// The quantile compared, in (0, 1).
    pub q: f64,
    /// The canary's quantile, with its interval at level `√confidence`.
    pub canary: QuantileInterval,
    /// The baseline's quantile, with its interval at level `√confidence`.
    pub baseline: QuantileInterval,
    /// `canary.estimate − baseline.estimate`.
    pub estimate: f64,
    /// `canary.lower − baseline.upper`, or `None` when either is `None`.
    pub lower: Option<f64>,
    /// `canary.upper − baseline.lower`, or `None` when either is `None`.
    pub upper: Option<f64>,
}

/// Why a quantile interval could not be computed.
///
/// Non-exhaustive so that new input checks can be added without a breaking change.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum QuantileError {
    /// A sample had no values.
    #[error("the {which} sample is empty")]
    EmptySample {
        /// `sample`, `canary` or `baseline`.
        which: &'static str,
    },
    /// A sample held NaN or ±∞.
    #[error("the {which} sample holds a non-finite value at index {index}")]
    NonFinite {
        /// `sample`, `canary` or `baseline`.
        which: &'static str,
        /// The position of the first non-finite value.
        index: usize,
    },
    /// A sample was not sorted in ascending order.
    #[error("the {which} sample is not sorted: index {index} is smaller than the value before it")]
    Unsorted {
        /// `sample`, `canary` or `baseline`.
        which: &'static str,
        /// The first position whose value is below its predecessor.
        index: usize,
    },
    /// The quantile was NaN or outside the open interval (0, 1).
    #[error("quantile {0} is outside (0, 1)")]
    BadQuantile(f64),
    /// The confidence level was NaN or outside the open interval (0, 1).
    #[error("confidence {0} is outside (0, 1)")]
    BadConfidence(f64),
}

fn check_sample(which: &'static str, s: &[f64]) -> Result<(), QuantileError> {
    match sample_problem(s, |v| !v.is_finite()) {
        None => Ok(()),
        Some(SampleProblem::Empty) => Err(QuantileError::EmptySample { which }),
        Some(SampleProblem::Refused(index)) => Err(QuantileError::NonFinite { which, index }),
        Some(SampleProblem::Unsorted(index)) => Err(QuantileError::Unsorted { which, index }),
    }
}

fn check_levels(q: f64, confidence: f64) -> Result<(), QuantileError> {
    if !(q > 0.0 && q < 1.0) {
        return Err(QuantileError::BadQuantile(q));
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(QuantileError::BadConfidence(confidence));
    }
    Ok(())
}

/// The 1-based ranks `(l, u)` of the order statistics that bound the `q`-quantile of a sample of
/// `n` at `confidence`, by the equal-tailed binomial rule. With `B ~ Bin(n, q)` and
/// `α = (1 − confidence)/2`:
/// - `l` is the largest rank in `1..=n` with `P(B ≤ l − 1) ≤ α`, or `None` when `P(B = 0) > α`;
/// - `u` is the smallest rank in `1..=n` with `P(B ≥ u) ≤ α`, or `None` when `P(B = n) > α`.
///
/// Since `X₍ₗ₎` exceeds the true quantile only when fewer than `l` values fall at or below it,
/// and `X₍ᵤ₎` falls below it only when at least `u` values lie below it, each end misses with
/// probability at most `α` for *any* distribution (ties and discrete data only make the interval
/// more conservative), so `[X₍ₗ₎, X₍ᵤ₎]` covers with probability at least `confidence`.
///
/// R computes the same ranks as `max(which(pbinom(0:(n-1), n, q) <= α))` and
/// `min(which(pbinom(0:(n-1), n, q, lower.tail = FALSE) <= α))`
/// (`scripts/r-reference/quantile.R`).
///
/// # Edge cases
/// `n = 0` gives `(None, None)`. `q` and `confidence` are not checked here: outside (0, 1) the
/// result is meaningless (use [`quantile_interval`], which checks them).
///
/// # Example
/// ```
/// use canary_judge::stats::order_statistic_ranks;
/// // The median of 20 values at 95%: the 6th and 15th order statistics.
/// assert_eq!(order_statistic_ranks(20, 0.5, 0.95), (Some(6), Some(15)));
/// // Too few values to bound the 99th percentile from above.
/// assert_eq!(order_statistic_ranks(20, 0.99, 0.95).1, None);
/// ```
pub fn order_statistic_ranks(n: usize, q: f64, confidence: f64) -> (Option<usize>, Option<usize>) {
    if n == 0 {
        return (None, None);
    }
    let alpha = (1.0 - confidence) / 2.0;
    let nn = n as u64;
    // Lower: largest j = l − 1 in 0..n with P(B ≤ j) ≤ α (increasing in j).
    let lower = if binom_tails(0, nn, q).0 > alpha {
        None
    } else {
        let (mut lo, mut hi) = (0_u64, nn - 1); // invariant: P(B ≤ lo) ≤ α
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if binom_tails(mid, nn, q).0 <= alpha {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Some(lo as usize + 1)
    };
    // Upper: smallest j = u − 1 in 0..n with P(B > j) ≤ α (decreasing in j).
    let upper = if binom_tails(nn - 1, nn, q).1 > alpha {
        None
    } else {
        let (mut lo, mut hi) = (0_u64, nn - 1); // invariant: P(B > hi) ≤ α
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if binom_tails(mid, nn, q).1 <= alpha {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Some(hi as usize + 1)
    };
    (lower, upper)
}

/// R's `quantile(x, q, type = 7)` on a sorted, non-empty, finite sample, in R's order of
/// operations: `h = index − lo`, `(1 − h)·x[lo] + h·x[hi]`, only when `x[hi] != x[lo]`.
fn type7(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let index = 1.0 + (n - 1) as f64 * q;
    let lo = index.floor();
    let hi = index.ceil();
    let (lo_i, hi_i) = ((lo as usize).clamp(1, n), (hi as usize).clamp(1, n));
    let qs = sorted[lo_i - 1];
    let x_hi = sorted[hi_i - 1];
    if index > lo && x_hi != qs {
        let h = index - lo;
        (1.0 - h) * qs + h * x_hi
    } else {
        qs
    }
}

fn interval(sorted: &[f64], q: f64, confidence: f64) -> QuantileInterval {
    let (l, u) = order_statistic_ranks(sorted.len(), q, confidence);
    QuantileInterval {
        estimate: type7(sorted, q),
        lower: l.and_then(|r| sorted.get(r - 1)).copied(),
        upper: u.and_then(|r| sorted.get(r - 1)).copied(),
        confidence,
    }
}

/// The `q`-quantile of a sorted sample with a distribution-free confidence interval: the
/// estimate is R's `quantile(x, q, type = 7)`, the interval `[X₍ₗ₎, X₍ᵤ₎]` is a pair of order
/// statistics chosen by the equal-tailed binomial rule of [`order_statistic_ranks`], which
/// covers the true quantile with probability at least `confidence` for any distribution.
///
/// Checked against R 4.2.2 (`fixtures/reference/r-quantile.json`) and by a coverage simulation
/// (`tests/rate_reference.rs`).
///
/// # Edge cases
/// - empty sample, NaN or ±∞: an error (below);
/// - one value: the estimate is that value; each end is `None` unless `(1 − q)` (lower) or `q`
///   (upper) is at most `(1 − confidence)/2`;
/// - small samples: an end is `None` when no order statistic bounds the quantile at this level
///   (e.g. the upper end of the 99th percentile needs `0.99^n ≤ 0.025`, so `n ≥ 368` at 95%);
/// - ties: allowed; ends may coincide with the estimate, and coverage only grows.
/// - the estimate need not lie inside the interval: the ends are order statistics chosen for
///   coverage, the estimate interpolates, so for a tiny sample at low confidence (say `n = 2`,
///   `q = 0.01`, 50%) the upper end is the minimum while the estimate lies above it.
///
/// # Errors
/// [`QuantileError::EmptySample`], [`QuantileError::NonFinite`], [`QuantileError::Unsorted`],
/// [`QuantileError::BadQuantile`] for `q` outside (0, 1), [`QuantileError::BadConfidence`] for a
/// confidence outside (0, 1).
///
/// # Example
/// ```
/// use canary_judge::stats::quantile_interval;
/// let x: Vec<f64> = (1..=20).map(f64::from).collect();
/// let m = quantile_interval(&x, 0.5, 0.95)?;
/// assert_eq!(m.estimate, 10.5);
/// assert_eq!((m.lower, m.upper), (Some(6.0), Some(15.0)));
/// assert_eq!(quantile_interval(&x, 0.99, 0.95)?.upper, None);
/// assert_eq!(quantile_interval(&[7.0], 0.5, 0.95)?.estimate, 7.0);
/// assert!(quantile_interval(&[], 0.5, 0.95).is_err());
/// assert!(quantile_interval(&[2.0, 1.0], 0.5, 0.95).is_err());
/// assert!(quantile_interval(&[f64::NAN], 0.5, 0.95).is_err());
/// # Ok::<(), canary_judge::stats::QuantileError>(())
/// ```
pub fn quantile_interval(
    sorted: &[f64],
    q: f64,
    confidence: f64,
) -> Result<QuantileInterval, QuantileError> {
    check_levels(q, confidence)?;
    check_sample("sample", sorted)?;
    Ok(interval(sorted, q, confidence))
}

/// The shift of the `q`-quantile from baseline to canary (`canary − baseline`), with a
/// conservative confidence interval.
///
/// Each sample gets a [`quantile_interval`] at level `√confidence`; the shift's interval is
/// `[L_c − U_b, U_c − L_b]`. When both sample intervals cover (probability at least
/// `√confidence · √confidence = confidence`, the samples being independent), the difference
/// interval covers the true shift, so its coverage is at least `confidence`, usually more
/// (it can also cover when one of them misses). An end is `None` when either sample's end it
/// needs is `None`.
///
/// # Edge cases
/// As [`quantile_interval`] for each sample; the error names the sample (`canary` or
/// `baseline`). Identical samples give estimate `0` and an interval around `0`.
///
/// # Errors
/// As [`quantile_interval`].
///
/// # Example
/// ```
/// use canary_judge::stats::quantile_shift;
/// let baseline: Vec<f64> = (1..=100).map(f64::from).collect();
/// let canary: Vec<f64> = baseline.iter().map(|v| v + 50.0).collect();
/// let s = quantile_shift(&canary, &baseline, 0.9, 0.95)?;
/// assert!((s.estimate - 50.0).abs() < 1e-12);
/// assert!(s.lower.unwrap() < 50.0 && s.upper.unwrap() > 50.0);
/// assert!((s.canary.confidence - 0.95_f64.sqrt()).abs() < 1e-15);
/// # Ok::<(), canary_judge::stats::QuantileError>(())
/// ```
pub fn quantile_shift(
    canary_sorted: &[f64],
    baseline_sorted: &[f64],
    q: f64,
    confidence: f64,
) -> Result<QuantileShift, QuantileError> {
    check_levels(q, confidence)?;
    check_sample("canary", canary_sorted)?;
    check_sample("baseline", baseline_sorted)?;
    let level = confidence.sqrt();
    let canary = interval(canary_sorted, q, level);
    let baseline = interval(baseline_sorted, q, level);
    Ok(QuantileShift {
        q,
        canary,
        baseline,
        estimate: canary.estimate - baseline.estimate,
        lower: canary.lower.zip(baseline.upper).map(|(c, b)| c - b),
        upper: canary.upper.zip(baseline.lower).map(|(c, b)| c - b),
    })
}

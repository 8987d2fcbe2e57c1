//! Comparing two Poisson event rates: R's `poisson.test` for two samples.

use super::binomial::{binom_tails, clopper_pearson_lower, clopper_pearson_upper, dbinom};
use thiserror::Error;

/// The largest total event count accepted: `2^53`, where `u64` counts stop being exact doubles.
pub const RATE_TEST_MAX_EVENTS: u64 = 1 << 53;

/// The result of [`rate_test`]: the canary's event rate against the baseline's.
///
/// Every field is what R's `poisson.test(c(canary_events, baseline_events),
/// c(canary_exposure, baseline_exposure), conf.level = confidence, alternative = …)` reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateTest {
    /// The rate ratio `(canary_events / canary_exposure) / (baseline_events / baseline_exposure)`:
    /// `+∞` when only the baseline has no events, `0` when only the canary has none, NaN when
    /// neither has any.
    pub ratio: f64,
    /// The lower end of the two-sided interval for the ratio at the requested confidence; `0`
    /// when the canary has no events.
    pub lower: f64,
    /// The upper end of the two-sided interval; `f64::INFINITY` when the baseline has no events
    /// (the data cannot bound the ratio from above).
    pub upper: f64,
    /// The two-sided p-value for "the rates are equal" (R's `binom.test` rule: the probability of
    /// every split of the total at most `1 + 1e-7` times as likely as the observed one).
    pub p_value: f64,
    /// The one-sided p-value for "the canary's rate is greater" (`alternative = "greater"`):
    /// small when the canary has many more events than its share of the exposure predicts.
    pub p_greater: f64,
    /// The one-sided p-value for "the canary's rate is less" (`alternative = "less"`).
    pub p_less: f64,
}

/// Why [`rate_test`] refused its input.
///
/// Non-exhaustive so that new input checks can be added without a breaking change.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum RateTestError {
    /// An exposure (traffic, time, request count) was NaN, ±∞, zero or negative.
    #[error("the {which} exposure {value} is not a finite number > 0")]
    BadExposure {
        /// `canary` or `baseline`.
        which: &'static str,
        /// The value given.
        value: f64,
    },
    /// The confidence level was NaN or outside the open interval (0, 1).
    #[error("confidence {0} is outside (0, 1)")]
    BadConfidence(f64),
    /// The two event counts add up to more than [`RATE_TEST_MAX_EVENTS`] (or overflow `u64`).
    #[error("the total event count exceeds 2^53")]
    TooManyEvents,
}

/// Compares the canary's event rate (errors per unit of exposure) with the baseline's, treating
/// both counts as Poisson: the exact conditional test of R's `poisson.test` for two samples.
///
/// Given the total `n = canary_events + baseline_events`, the canary's count is
/// `Bin(n, p0)` under equal rates, with `p0 = canary_exposure / (canary_exposure +
/// baseline_exposure)`. Then, as R's `binom.test`:
/// - `p_less = P(X ≤ x)`, `p_greater = P(X ≥ x)`;
/// - `p_value` sums the probabilities of every count `i` with `P(X = i) ≤ (1 + 1e-7)·P(X = x)`
///   (the observed tail plus the matching far tail; `1` when `x = n·p0` exactly);
/// - the interval is the Clopper–Pearson interval `[pL, pU]` for the binomial proportion
///   (`qbeta(α/2, x, n − x + 1)`, `qbeta(1 − α/2, x + 1, n − x)`, with `pL = 0` when `x = 0`
///   and `pU = 1` when `x = n`) mapped to the ratio as `p/(1 − p) · baseline_exposure /
///   canary_exposure`, so `pU = 1` gives `+∞`.
///
/// Densities are Loader's (R's `dbinom`), tails are summed from them, and the beta quantiles are
/// the roots of binomial tails found by a safeguarded Newton search (see the module
/// `binomial`). Checked against R 4.2.2 to 1e-9 relative (`tests/rate_reference.rs`,
/// `fixtures/reference/r-rate.json`). The work grows as `√(n·p0·(1 − p0))`: about a millisecond
/// per tail at `n = 10^7`.
///
/// # Edge cases
/// - no events on either side (`n = 0`), where R's `poisson.test` stops with an error: defined
///   here as `ratio = NaN`, interval `[0, +∞]`, and all three p-values `1` (no evidence either
///   way);
/// - baseline without events: `ratio = +∞`, `upper = +∞`; canary without events: `ratio = 0`,
///   `lower = 0`, `p_greater = 1`;
/// - p-values below about 1e-300 may come out as `0` where R returns a subnormal number such as
///   1e-322 (its `pbeta` works in log space; our densities underflow first); both mean "never";
/// - exposures must be finite and positive; their ratio enters only through `p0`, so exposures
///   so lopsided that `p0` rounds to `0` or `1` give the degenerate test R gives for `p = 0` or
///   `p = 1`.
///
/// # Errors
/// [`RateTestError::BadExposure`] for an exposure that is not finite and positive,
/// [`RateTestError::BadConfidence`] for a confidence outside (0, 1), and
/// [`RateTestError::TooManyEvents`] for more than 2^53 events in all.
///
/// # Example
/// ```
/// use canary_judge::stats::rate_test;
///
/// // 30 errors in 10 000 canary requests against 100 in 100 000 baseline requests.
/// let t = rate_test(30, 10_000.0, 100, 100_000.0, 0.95)?;
/// assert!((t.ratio - 3.0).abs() < 1e-12);
/// assert!(t.lower > 1.0 && t.p_greater < 1e-5);
///
/// // No baseline errors: the ratio and its upper end are infinite.
/// let t = rate_test(5, 1_000.0, 0, 1_000.0, 0.95)?;
/// assert!(t.ratio.is_infinite() && t.upper.is_infinite());
///
/// // No errors at all: nothing to judge.
/// let t = rate_test(0, 1_000.0, 0, 1_000.0, 0.95)?;
/// assert!(t.ratio.is_nan() && t.p_value == 1.0);
///
/// assert!(rate_test(1, 0.0, 1, 1.0, 0.95).is_err());
/// assert!(rate_test(1, 1.0, 1, 1.0, 1.0).is_err());
/// # Ok::<(), canary_judge::stats::RateTestError>(())
/// ```
pub fn rate_test(
    canary_events: u64,
    canary_exposure: f64,
    baseline_events: u64,
    baseline_exposure: f64,
    confidence: f64,
) -> Result<RateTest, RateTestError> {
    for (which, value) in [("canary", canary_exposure), ("baseline", baseline_exposure)] {
        if !(value.is_finite() && value > 0.0) {
            return Err(RateTestError::BadExposure { which, value });
        }
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(RateTestError::BadConfidence(confidence));
    }
    let n = canary_events
        .checked_add(baseline_events)
        .filter(|&n| n <= RATE_TEST_MAX_EVENTS)
        .ok_or(RateTestError::TooManyEvents)?;
    if n == 0 {
        return Ok(RateTest {
            ratio: f64::NAN,
            lower: 0.0,
            upper: f64::INFINITY,
            p_value: 1.0,
            p_greater: 1.0,
            p_less: 1.0,
        });
    }
    let x = canary_events;
    // R: r * T[1] / (r * T[1] + T[2]) with r = 1.
    let p = canary_exposure / (canary_exposure + baseline_exposure);

    let p_less = binom_tails(x, n, p).0;
    let p_greater = if x == 0 {
        1.0
    } else {
        binom_tails(x - 1, n, p).1
    };
    let p_value = two_sided_p(x, n, p);

    let alpha = (1.0 - confidence) / 2.0;
    let p_lower = if x == 0 {
        0.0
    } else {
        clopper_pearson_lower(x, n, alpha)
    };
    let p_upper = if x == n {
        1.0
    } else {
        clopper_pearson_upper(x, n, alpha)
    };
    // R: pp / (1 - pp) * T[2] / T[1], left to right.
    let to_ratio = |pp: f64| pp / (1.0 - pp) * baseline_exposure / canary_exposure;

    Ok(RateTest {
        ratio: (x as f64 / canary_exposure) / (baseline_events as f64 / baseline_exposure),
        lower: to_ratio(p_lower),
        upper: to_ratio(p_upper),
        p_value: p_value.min(1.0),
        p_greater,
        p_less,
    })
}

/// R's `binom.test(x, n, p)$p.value` for `alternative = "two.sided"`.
///
/// R counts, by a linear scan over the far side of the mean, the counts whose density is at most
/// `d·(1 + 1e-7)`; the density is monotone on that side (the mode `⌊(n + 1)p⌋` is at most
/// `⌈n·p⌉` and at least `⌊n·p⌋`), so a binary search finds the same boundary in `O(log n)`
/// densities.
fn two_sided_p(x: u64, n: u64, p: f64) -> f64 {
    if p == 0.0 {
        return if x == 0 { 1.0 } else { 0.0 };
    }
    if p == 1.0 {
        return if x == n { 1.0 } else { 0.0 };
    }
    const REL_ERR: f64 = 1.0 + 1e-7;
    let d = dbinom(x, n, p);
    let m = n as f64 * p;
    let xf = x as f64;
    if xf == m {
        return 1.0;
    }
    let threshold = d * REL_ERR;
    if xf < m {
        // i in ceil(m)..=n, density non-increasing: find the first i with density ≤ threshold.
        let start = (m.ceil() as u64).min(n);
        let (mut lo, mut hi) = (start, n + 1); // answer in [lo, hi]; hi = n + 1 means none
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if dbinom(mid, n, p) <= threshold {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let y = n + 1 - lo; // how many of ceil(m)..=n are at most the threshold
        let (lower_x, _) = binom_tails(x, n, p);
        // pbinom(n - y, n, p, lower.tail = FALSE) = P(X > n − y)
        let far = if y == 0 {
            0.0
        } else {
            binom_tails(n - y, n, p).1
        };
        lower_x + far
    } else {
        // i in 0..=floor(m), density non-decreasing: y = first i with density > threshold.
        let end = (m.floor() as u64).min(n);
        let (mut lo, mut hi) = (0_u64, end + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if dbinom(mid, n, p) <= threshold {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let y = lo;
        // pbinom(y - 1, n, p) + pbinom(x - 1, n, p, lower.tail = FALSE); x > m ≥ 0 so x ≥ 1.
        let far = if y == 0 {
            0.0
        } else {
            binom_tails(y - 1, n, p).0
        };
        far + binom_tails(x - 1, n, p).1
    }
}

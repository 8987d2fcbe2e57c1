//! The two-sample Kolmogorov–Smirnov test, as R 4.2.2's `ks.test(x, y)` (two-sided).

use super::sample::{sample_problem, SampleProblem};
use thiserror::Error;

/// Below this product of the sample sizes the p-value is exact (R: `n.x * n.y < 10000`).
pub const KS_EXACT_LIMIT: f64 = 10_000.0;

/// The result of [`ks_test`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsTest {
    /// `D = max |F_x(t) − F_y(t)|` over all `t`, the largest distance between the two empirical
    /// distribution functions, in `[0, 1]`.
    pub statistic: f64,
    /// The two-sided p-value for "both samples come from one continuous distribution", in
    /// `[0, 1]`.
    pub p_value: f64,
    /// Whether `p_value` is exact (`n·m < 10000`, ties allowed) or from the asymptotic
    /// Kolmogorov distribution.
    pub exact: bool,
}

/// Why [`ks_test`] refused its input.
///
/// Non-exhaustive so that new input checks can be added without a breaking change.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum KsTestError {
    /// A sample had no values.
    #[error("the {which} sample is empty")]
    EmptySample {
        /// `x` or `y`.
        which: &'static str,
    },
    /// A sample held a NaN (R drops NA and NaN before testing; callers here must drop them).
    #[error("the {which} sample contains NaN at index {index}")]
    NaN {
        /// `x` or `y`.
        which: &'static str,
        /// The position of the first NaN.
        index: usize,
    },
    /// A sample was not sorted in ascending order.
    #[error("the {which} sample is not sorted: index {index} is smaller than the value before it")]
    Unsorted {
        /// `x` or `y`.
        which: &'static str,
        /// The first position whose value is below its predecessor.
        index: usize,
    },
}

fn check(which: &'static str, s: &[f64]) -> Result<(), KsTestError> {
    match sample_problem(s, f64::is_nan) {
        None => Ok(()),
        Some(SampleProblem::Empty) => Err(KsTestError::EmptySample { which }),
        Some(SampleProblem::Refused(index)) => Err(KsTestError::NaN { which, index }),
        Some(SampleProblem::Unsorted(index)) => Err(KsTestError::Unsorted { which, index }),
    }
}

/// The two-sample, two-sided Kolmogorov–Smirnov test of R 4.2.2's `ks.test(x, y)`.
///
/// Both samples must be sorted ascending. The statistic is the largest gap between the
/// empirical distribution functions, taken only where the pooled sorted sample changes value
/// (so tied values count once, as in R). The p-value is:
/// - **exact** when `n·m < 10000` ([`KS_EXACT_LIMIT`]): R 4.2.2's `psmirnov` lattice-path count
///   (Schröer and Trenkler 1995), which also handles ties: the paths that stay strictly inside
///   `|u/n − v/m| < q` at every point where the pooled sample changes value, divided by
///   `C(n + m, n)`, with `q = (0.5 + ⌊D·n·m − 1e-7⌋)/(n·m)` so rounding cannot turn an equality
///   into an inequality. The path counts are added in R's order, so they agree exactly; the
///   divisor is the product form of `C(n + m, n)` where R uses `exp(lgamma …)`, which differs by
///   about 1e-13 relative, so the p-value agrees with R to about 1e-13 absolute.
/// - **asymptotic** otherwise: `1 − K(√(n·m/(n + m))·D)` with Kolmogorov's limiting
///   distribution `K` evaluated as R's `pkstwo` (`C_pKS2`) with `tol = 1e-6`: the same series
///   and the same truncation, so the result agrees with R's to rounding, while it is itself an
///   approximation to within about 1e-6. `D` below `f64::EPSILON` gives `p = 1`, as in R.
///
/// Before R 4.2.0 ties forced the asymptotic p-value; R 4.2.2 (whose behaviour this is) computes
/// the exact conditional p-value with ties whenever `n·m < 10000`.
///
/// # Edge cases
/// - empty sample: [`KsTestError::EmptySample`];
/// - one value on each side: `D` is `0` or `1` and `p = 1` (exact);
/// - NaN: [`KsTestError::NaN`] (R silently drops them);
/// - ±∞: allowed, ordered as usual; equal infinities are ties (R 4.2.2 stops with an error on
///   tied infinities in the exact case, because `Inf − Inf` is NaN);
/// - all values tied across both samples: `D = 0`, `p = 1`.
///
/// # Errors
/// [`KsTestError::EmptySample`], [`KsTestError::NaN`], or [`KsTestError::Unsorted`] when a
/// sample is not in ascending order.
///
/// # Example
/// ```
/// use canary_judge::stats::ks_test;
///
/// let x = [0.1, 0.4, 0.7, 1.2, 1.5];
/// let y = [2.0, 2.1, 2.5, 3.3, 4.0];
/// let t = ks_test(&x, &y)?;
/// assert_eq!(t.statistic, 1.0);
/// assert!(t.exact);
/// assert!((t.p_value - 2.0 / 252.0).abs() < 1e-12); // 2 / C(10, 5)
///
/// assert_eq!(ks_test(&[1.0], &[1.0])?.p_value, 1.0); // all tied
/// assert!(ks_test(&[], &[1.0]).is_err());
/// assert!(ks_test(&[2.0, 1.0], &[1.0]).is_err());
/// assert!(ks_test(&[f64::NAN], &[1.0]).is_err());
/// # Ok::<(), canary_judge::stats::KsTestError>(())
/// ```
pub fn ks_test(x_sorted: &[f64], y_sorted: &[f64]) -> Result<KsTest, KsTestError> {
    check("x", x_sorted)?;
    check("y", y_sorted)?;
    let (nx, ny) = (x_sorted.len(), y_sorted.len());
    let (nxf, nyf) = (nx as f64, ny as f64);

    // Merge as R's `order(c(x, y))` does: stable, so x comes first among equal values. `changes[k]`
    // says whether pooled position k (0-based) is the last of its value.
    let total = nx + ny;
    let mut from_x = Vec::with_capacity(total);
    let mut values = Vec::with_capacity(total);
    let (mut i, mut j) = (0, 0);
    while i < nx || j < ny {
        if j == ny || (i < nx && x_sorted[i] <= y_sorted[j]) {
            from_x.push(true);
            values.push(x_sorted[i]);
            i += 1;
        } else {
            from_x.push(false);
            values.push(y_sorted[j]);
            j += 1;
        }
    }
    let changes: Vec<bool> = (0..total)
        .map(|k| k + 1 == total || values[k + 1] != values[k])
        .collect();

    // D from exact integer counts: |a/nx − b/ny| = |a·ny − b·nx| / (nx·ny), rounded once.
    // (R accumulates ±1/n in long double; the two agree to an ulp or so, far below the 1e-7
    // slack R's p-value computation allows.)
    let (mut a, mut b) = (0_u128, 0_u128);
    let mut best = 0_u128;
    for k in 0..total {
        if from_x[k] {
            a += 1;
        } else {
            b += 1;
        }
        if changes[k] {
            let gap = (a * ny as u128).abs_diff(b * nx as u128);
            best = best.max(gap);
        }
    }
    let statistic = best as f64 / (nxf * nyf);

    let exact = nxf * nyf < KS_EXACT_LIMIT;
    let p = if exact {
        1.0 - exact_paths(statistic, nx, ny, &changes) / binomial_coefficient(total, nx)
    } else {
        let n = nxf * nyf / (nxf + nyf);
        if statistic < f64::EPSILON {
            1.0
        } else {
            1.0 - pkstwo(n.sqrt() * statistic, 1e-6)
        }
    };
    Ok(KsTest {
        statistic,
        p_value: p.clamp(0.0, 1.0),
        exact,
    })
}

/// R 4.2.2's `psmirnov(…, exact = TRUE, two.sided = TRUE)` before the division: the number of
/// monotone lattice paths from `(0, 0)` to `(nx, ny)` that satisfy `q > |u/nx − v/ny|` at every
/// step `k` (1-based, `u + v = k`) where `changes[k − 1]` holds.
fn exact_paths(statistic: f64, nx: usize, ny: usize, changes: &[bool]) -> f64 {
    let (nxf, nyf) = (nx as f64, ny as f64);
    let q = (0.5 + (statistic * nxf * nyf - 1e-7).floor()) / (nxf * nyf);
    // diag[i] holds the count for u = u_min + i on the current anti-diagonal.
    let mut diag: Vec<f64> = vec![1.0];
    let mut u_min = 0_usize;
    let mut next: Vec<f64> = Vec::with_capacity(nx + 1);
    for k in 1..=(nx + ny) {
        // Valid u on anti-diagonal k: max(0, k − ny) ..= min(k, nx).
        let new_min = k.saturating_sub(ny);
        let new_max = k.min(nx);
        next.clear();
        for u in new_min..=new_max {
            // From (u, k − 1 − u) by a step in v, and from (u − 1, k − u) by a step in u;
            // R adds them as c(diag, 0) + c(0, diag): same-u term first.
            let same = u
                .checked_sub(u_min)
                .and_then(|i| diag.get(i))
                .copied()
                .unwrap_or(0.0);
            let left = u
                .checked_sub(1)
                .and_then(|w| w.checked_sub(u_min))
                .and_then(|i| diag.get(i))
                .copied()
                .unwrap_or(0.0);
            let mut count = same + left;
            if changes[k - 1] {
                let v = k - u;
                // R keeps the path when `q > d`; d is never NaN here.
                let d = (u as f64 / nxf - v as f64 / nyf).abs();
                if q <= d {
                    count = 0.0;
                }
            }
            next.push(count);
        }
        std::mem::swap(&mut diag, &mut next);
        u_min = new_min;
    }
    diag.first().copied().unwrap_or(0.0)
}

/// `C(n, k)` as a product of ratios, `Π_{i=1..k} (n − k + i)/i`, accurate to a few ulps per
/// factor.
fn binomial_coefficient(n: usize, k: usize) -> f64 {
    let k = k.min(n - k);
    let mut c = 1.0_f64;
    for i in 1..=k {
        c = c * (n - k + i) as f64 / i as f64;
    }
    c
}

/// Kolmogorov's limiting distribution `P(K ≤ x)`, as R's `pkstwo` (stats/src/ks.c): for
/// `x < 1`, `√(2π)/x · Σ_{k odd < k_max} exp(−k²π²/(8x²))` with `k_max = ⌊√(2 − log tol)⌋`;
/// otherwise `1 + 2 Σ (−1)^k exp(−2k²x²)` until successive partial sums differ by at most
/// `tol`.
fn pkstwo(x: f64, tol: f64) -> f64 {
    use std::f64::consts::{FRAC_PI_2, FRAC_PI_4};
    const M_1_SQRT_2PI: f64 = 0.398_942_280_401_432_677_939_946_059_934;
    let k_max = (2.0 - tol.ln()).sqrt() as i64;
    if x < 1.0 {
        let z = -(FRAC_PI_2 * FRAC_PI_4) / (x * x);
        let w = x.ln();
        let mut s = 0.0;
        let mut k = 1_i64;
        while k < k_max {
            s += ((k * k) as f64 * z - w).exp();
            k += 2;
        }
        s / M_1_SQRT_2PI
    } else {
        let z = -2.0 * x * x;
        let mut s = -1.0;
        let mut k = 1_i64;
        let mut old = 0.0_f64;
        let mut new = 1.0;
        while (old - new).abs() > tol {
            old = new;
            new += 2.0 * s * (z * k as f64 * k as f64).exp();
            s *= -1.0;
            k += 1;
        }
        new
    }
}

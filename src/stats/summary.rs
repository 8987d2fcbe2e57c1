//! Mean, variance and summary statistics as commons-math computes them (spec §5.1).

use crate::model::SummaryStats;

/// commons-math's two-pass corrected mean: `m0 = Σx/n`, then `m0 + Σ(x − m0)/n`, both sums taken
/// left to right in input order (the order changes the last bits; Kayenta's is the reference).
///
/// # Edge cases
/// - empty: NaN;
/// - one value: that value;
/// - NaN anywhere: NaN; ±∞: ±∞ or NaN, as IEEE arithmetic gives.
///
/// ```
/// use canary_judge::stats::mean;
/// assert!(mean(&[]).is_nan());
/// assert_eq!(mean(&[4.0]), 4.0);
/// assert_eq!(mean(&[1.0, 1.0, 1.0, 10.0, 10.0, 10.0]), 5.5);
/// ```
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    corrected_mean(values, values.iter().fold(0.0, |acc, &x| acc + x))
}

/// [`mean`]'s second pass, given the first pass's left-to-right `sum` of a non-empty `values`.
fn corrected_mean(values: &[f64], sum: f64) -> f64 {
    let n = values.len() as f64;
    let m0 = sum / n;
    let correction = values.iter().fold(0.0, |acc, &x| acc + (x - m0));
    m0 + correction / n
}

/// Sample variance (n − 1) around `mean`, as commons-math's bias-corrected `Variance`:
/// `(Σd² − (Σd)²/n)/(n − 1)` with `d = x − mean`.
///
/// # Edge cases
/// - empty: NaN; one value: 0.0;
/// - NaN anywhere: NaN. All values equal: 0.0.
///
/// ```
/// use canary_judge::stats::{mean, variance};
/// let v = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
/// assert!((variance(&v, mean(&v)) - 32.0 / 7.0).abs() < 1e-12);
/// assert_eq!(variance(&[3.0], 3.0), 0.0);
/// ```
pub fn variance(values: &[f64], mean: f64) -> f64 {
    match values.len() {
        0 => f64::NAN,
        1 => 0.0,
        len => {
            let (mut sq, mut sum) = (0.0, 0.0);
            for &x in values {
                let d = x - mean;
                sq += d * d;
                sum += d;
            }
            let n = len as f64;
            (sq - (sum * sum / n)) / (n - 1.0)
        }
    }
}

/// `{count, mean, min, std, max}` of a series in its input order, as Kayenta reports them.
///
/// # Edge cases
/// - empty: every field 0 (`count` 0), as Kayenta writes it;
/// - one value: `std` 0;
/// - NaN: propagates into `mean` and `std`; min/max ignore NaN. The judge removes or replaces
///   NaN before calling this.
///
/// ```
/// use canary_judge::stats::summary_stats;
/// let s = summary_stats(&[]);
/// assert_eq!((s.count, s.mean, s.std), (0, 0.0, 0.0));
/// let s = summary_stats(&[1.0, 1.0, 1.0, 10.0, 10.0, 10.0]);
/// assert_eq!((s.min, s.max, s.mean), (1.0, 10.0, 5.5));
/// ```
pub fn summary_stats(values: &[f64]) -> SummaryStats {
    if values.is_empty() {
        return SummaryStats {
            count: 0,
            mean: 0.0,
            min: 0.0,
            std: 0.0,
            max: 0.0,
        };
    }
    // The mean's first sum and both extremes in one loop: three chains of dependent operations
    // side by side instead of one after another, each in input order as in separate folds.
    let (mut sum, mut min, mut max) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
    for &x in values {
        sum += x;
        min = f64::min(min, x);
        max = f64::max(max, x);
    }
    let m = corrected_mean(values, sum);
    SummaryStats {
        count: values.len() as u64,
        mean: m,
        min,
        std: variance(values, m).sqrt(),
        max,
    }
}

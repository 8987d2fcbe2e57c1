//! Outlier detectors (spec §6).

use super::{mean, percentile, SortedSample};

/// Flags outliers with Tukey's IQR fences: `Q1 − f·IQR` and `Q3 + f·IQR`, R-7 quartiles.
///
/// With `reduce_sensitivity` (what the judge uses), the fences widen to at least the 1st and
/// 99th percentiles: `low = min(P1, Q1 − f·IQR)`, `high = max(P99, Q3 + f·IQR)`. A value is an
/// outlier when strictly outside the fences. Flags are returned in the order of `values`.
///
/// # Edge cases
/// - empty: no flags; one value or all values tied: nothing is an outlier;
/// - NaN values are never flagged (comparisons with NaN are false), and are ignored when
///   computing the quartiles.
///
/// ```
/// use canary_judge::stats::iqr_outliers;
/// let v = [21.0, 23.0, 24.0, 25.0, 50.0, 29.0, 23.0, 21.0];
/// assert_eq!(iqr_outliers(&v, 1.5, false)[4], true);
/// assert!(iqr_outliers(&[], 1.5, true).is_empty());
/// ```
pub fn iqr_outliers(values: &[f64], factor: f64, reduce_sensitivity: bool) -> Vec<bool> {
    let sorted = match SortedSample::new(values.iter().copied().filter(|v| !v.is_nan()).collect()) {
        Ok(s) if !s.is_empty() => s,
        _ => return vec![false; values.len()],
    };
    let (low, high) = iqr_fences(&sorted, factor, reduce_sensitivity);
    values.iter().map(|&v| v > high || v < low).collect()
}

/// The fences of [`iqr_outliers`] for a non-empty sorted sample.
pub(crate) fn iqr_fences(
    sorted: &SortedSample,
    factor: f64,
    reduce_sensitivity: bool,
) -> (f64, f64) {
    // p in (0, 100] is always valid, so these cannot fail; NaN stands in should they ever.
    let pct = |p: f64| percentile(sorted, p).unwrap_or(f64::NAN);
    let q1 = pct(25.0);
    let q3 = pct(75.0);
    let iqr = q3 - q1;
    let low_iqr = q1 - factor * iqr;
    let high_iqr = q3 + factor * iqr;
    if reduce_sensitivity {
        (pct(1.0).min(low_iqr), pct(99.0).max(high_iqr))
    } else {
        (low_iqr, high_iqr)
    }
}

/// Flags values farther than `k` population standard deviations from the mean. Not used by the
/// judge; kept for Kayenta's detector tests.
///
/// # Edge cases
/// - empty: no flags; all values tied: nothing is flagged (the deviation is 0 and `>` is strict);
/// - NaN anywhere makes the mean NaN, so nothing is flagged.
///
/// ```
/// use canary_judge::stats::ksigma_outliers;
/// let v = [1.0, 1.0, 1.0, 5.0, -1.0, -1.0, -1.0, -5.0];
/// assert_eq!(ksigma_outliers(&v, 1.0), [false, false, false, true, false, false, false, true]);
/// ```
pub fn ksigma_outliers(values: &[f64], k: f64) -> Vec<bool> {
    if values.is_empty() {
        return Vec::new();
    }
    let m = mean(values);
    let n = values.len() as f64;
    let var = values.iter().fold(0.0, |acc, &x| acc + (x - m) * (x - m)) / n;
    let limit = k * var.sqrt();
    values.iter().map(|&x| (x - m).abs() > limit).collect()
}

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
    let n = values.len() as f64;
    let m0 = values.iter().fold(0.0, |acc, &x| acc + x) / n;
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
    let sums = values
        .iter()
        .fold((0.0, 0.0), |sums, &x| add_deviation(sums, x, mean));
    variance_from_sums(values.len(), sums)
}

/// `(Σd², Σd)` with `x`'s deviation `d = x − mean` added: [`variance`]'s step.
fn add_deviation((sq, sum): (f64, f64), x: f64, mean: f64) -> (f64, f64) {
    let d = x - mean;
    (sq + d * d, sum + d)
}

/// [`variance`] of `len` values from their sums `(Σd², Σd)`.
fn variance_from_sums(len: usize, (sq, sum): (f64, f64)) -> f64 {
    match len {
        0 => f64::NAN,
        1 => 0.0,
        len => {
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
/// - NaN: propagates into `mean` and `std`; min/max skip NaN (NaN only when every value is).
///   The judge removes or replaces NaN before calling this;
/// - ties: of `-0.0` and `0.0`, min and max report the later in input order, as commons-math's
///   `Min` and `Max` do (`min = min < x ? min : x`).
///
/// ```
/// use canary_judge::stats::summary_stats;
/// let s = summary_stats(&[]);
/// assert_eq!((s.count, s.mean, s.std), (0, 0.0, 0.0));
/// let s = summary_stats(&[1.0, 1.0, 1.0, 10.0, 10.0, 10.0]);
/// assert_eq!((s.min, s.max, s.mean), (1.0, 10.0, 5.5));
/// ```
pub fn summary_stats(values: &[f64]) -> SummaryStats {
    summary_stats_pair(values, &[]).0
}

/// [`summary_stats`] of two series at once, bit for bit the same as two calls.
///
/// Each statistic is a chain of dependent additions in input order (the order Kayenta's sums
/// take), so one series' passes cannot be split; two series' chains run side by side instead,
/// which takes about half the time of one series after the other when they are about as long.
///
/// # Edge cases
/// As [`summary_stats`], for each series; the two may differ in length or be empty.
///
/// ```
/// use canary_judge::stats::{summary_stats, summary_stats_pair};
/// let (a, b) = ([1.0, 2.0, 4.0], [3.0]);
/// assert_eq!(summary_stats_pair(&a, &b), (summary_stats(&a), summary_stats(&b)));
/// ```
pub fn summary_stats_pair(a: &[f64], b: &[f64]) -> (SummaryStats, SummaryStats) {
    // The mean's first sum (as in `mean`) and both extremes (as in `extreme`).
    let start = (0.0, f64::NAN, f64::NAN);
    let ((sum_a, min_a, max_a), (sum_b, min_b, max_b)) =
        side_by_side(a, b, start, ((), ()), |(sum, min, max), x, ()| {
            let (min, max) = (extreme(min, x, |m, x| m < x), extreme(max, x, |m, x| m > x));
            (sum + x, min, max)
        });
    // The mean's correction, as in `mean`.
    let (m0_a, m0_b) = (sum_a / a.len() as f64, sum_b / b.len() as f64);
    let (c_a, c_b) = side_by_side(a, b, 0.0, (m0_a, m0_b), |c, x, m0| c + (x - m0));
    let (mean_a, mean_b) = (m0_a + c_a / a.len() as f64, m0_b + c_b / b.len() as f64);
    // The sums of deviations and of their squares, as in `variance`.
    let (dev_a, dev_b) = side_by_side(a, b, (0.0, 0.0), (mean_a, mean_b), add_deviation);
    let summary = |values: &[f64], mean: f64, min: f64, max: f64, sums: (f64, f64)| {
        if values.is_empty() {
            return SummaryStats::default();
        }
        SummaryStats {
            count: values.len() as u64,
            mean,
            min,
            std: variance_from_sums(values.len(), sums).sqrt(),
            max,
        }
    };
    (
        summary(a, mean_a, min_a, max_a, dev_a),
        summary(b, mean_b, min_b, max_b, dev_b),
    )
}

/// One step of commons-math's `Min` (`beats` = `m < x`) or `Max` (`m > x`): `x` replaces the
/// extreme so far `m` unless `m` beats it or `x` is NaN, so NaN is skipped, a NaN start gives way
/// to the first other value, and of values that compare equal (`-0.0` and `0.0`) the later in
/// input order is kept.
///
/// Written out rather than `f64::min`/`f64::max`, which leave the sign of a zero result
/// unspecified: the compiler may pick either zero, and did differently in two places of one
/// build.
fn extreme(m: f64, x: f64, beats: impl Fn(f64, f64) -> bool) -> f64 {
    if x.is_nan() || beats(m, x) {
        m
    } else {
        x
    }
}

/// Folds `a` with `step` from `start` (with the parameter `pa`) and `b` likewise (with `pb`):
/// one loop over their common length, the two chains side by side, then each one's remainder.
/// Each fold sees its series' values in order, as a fold of its own would.
fn side_by_side<S: Copy, P: Copy>(
    a: &[f64],
    b: &[f64],
    start: S,
    (pa, pb): (P, P),
    step: impl Fn(S, f64, P) -> S,
) -> (S, S) {
    let common = a.len().min(b.len());
    let (head_a, tail_a) = a.split_at(common);
    let (head_b, tail_b) = b.split_at(common);
    let (mut sa, mut sb) = (start, start);
    for (&x, &y) in head_a.iter().zip(head_b) {
        sa = step(sa, x, pa);
        sb = step(sb, y, pb);
    }
    for &x in tail_a {
        sa = step(sa, x, pa);
    }
    for &y in tail_b {
        sb = step(sb, y, pb);
    }
    (sa, sb)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Signed zeros and NaN in the extremes, as commons-math's `Min` and `Max` give them.
    #[test]
    fn extremes_keep_the_later_of_equal_zeros_and_skip_nan() {
        let bits = |s: SummaryStats| (s.min.to_bits(), s.max.to_bits());
        let (zero, negative_zero) = (0.0f64.to_bits(), (-0.0f64).to_bits());
        assert_eq!(
            bits(summary_stats(&[0.0, -0.0])),
            (negative_zero, negative_zero)
        );
        assert_eq!(bits(summary_stats(&[-0.0, 0.0])), (zero, zero));
        assert_eq!(
            bits(summary_stats(&[1.0, -0.0, 0.0, -1.0])),
            ((-1.0f64).to_bits(), 1.0f64.to_bits())
        );
        // Both sides of a pair, of different lengths, the same as apart.
        let (a, b) = summary_stats_pair(&[0.0, -0.0, 0.0], &[-0.0]);
        assert_eq!(
            (bits(a), bits(b)),
            ((zero, zero), (negative_zero, negative_zero))
        );
        let s = summary_stats(&[f64::NAN, 2.0, f64::NAN, -3.0]);
        assert_eq!((s.min, s.max), (-3.0, 2.0));
        let s = summary_stats(&[f64::NAN]);
        assert!(s.min.is_nan() && s.max.is_nan());
    }
}

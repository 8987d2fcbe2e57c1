//! Effect sizes (spec §5.2–§5.4).

use super::{mean, variance, SortedSample};
use std::cmp::Ordering;

/// `mean(experiment) / mean(control)`, with [`mean`]'s two-pass means. This is Kayenta's
/// "deviation", reported as `ratio`.
///
/// # Edge cases
/// - either mean exactly 0 (including both samples all zeros): NaN;
/// - empty input: NaN (the mean of nothing is NaN);
/// - negative means give a negative ratio; NaN and ±∞ propagate.
///
/// ```
/// use canary_judge::stats::mean_ratio;
/// assert_eq!(mean_ratio(&[10.0; 5], &[1.0; 5]), 10.0);
/// assert!(mean_ratio(&[10.0; 5], &[0.0; 5]).is_nan());
/// ```
pub fn mean_ratio(experiment: &[f64], control: &[f64]) -> f64 {
    ratio_of_means(mean(experiment), mean(control))
}

/// [`mean_ratio`] from the two means themselves (e.g. those a
/// [`CleanSeries`](crate::judge::CleanSeries) keeps): `experiment / control`.
///
/// # Edge cases
/// - either mean exactly 0: NaN;
/// - NaN (the mean of an empty sample) and ±∞ propagate.
///
/// ```
/// use canary_judge::stats::ratio_of_means;
/// assert_eq!(ratio_of_means(10.0, 4.0), 2.5);
/// assert!(ratio_of_means(10.0, 0.0).is_nan());
/// assert!(ratio_of_means(f64::NAN, 1.0).is_nan());
/// ```
pub fn ratio_of_means(experiment: f64, control: f64) -> f64 {
    if experiment == 0.0 || control == 0.0 {
        f64::NAN
    } else {
        experiment / control
    }
}

/// The common-language effect size (Vargha–Delaney A): P(experiment > control) + ½·P(tie),
/// from the average-rank sum `r1` of the experiment in the pooled ranking:
/// `(2·r1 − m(m+1)) / (2·n·m)`, m = |experiment|, n = |control|.
///
/// Computed in f64 throughout: Kayenta computes `m(m+1)` and `2nm` in 32-bit integers, which
/// overflow past about 32 768 points a side; we do not copy that.
///
/// # Edge cases
/// - either sample empty: NaN;
/// - identical samples: 0.5; every experiment value below every control value: 0.0;
/// - ties count ½ (`-0.0` and `0.0` are distinct values, as in Kayenta's ranking).
///
/// ```
/// use canary_judge::stats::{cles, SortedSample};
/// let a = SortedSample::new(vec![1.0, 2.0, 3.0]).unwrap();
/// assert_eq!(cles(&a, &a), 0.5);
/// let b = SortedSample::new(vec![10.0, 20.0]).unwrap();
/// assert_eq!(cles(&a, &b), 0.0);
/// ```
pub fn cles(experiment: &SortedSample, control: &SortedSample) -> f64 {
    let (x, y) = (experiment.as_slice(), control.as_slice());
    if x.is_empty() || y.is_empty() {
        return f64::NAN;
    }
    // Twice the experiment's rank sum, by one merge.
    let (mut i, mut j, mut pos) = (0usize, 0usize, 0u128);
    let mut r2: u128 = 0;
    while i < x.len() || j < y.len() {
        let v = if j >= y.len() || (i < x.len() && x[i].total_cmp(&y[j]) != Ordering::Greater) {
            x[i]
        } else {
            y[j]
        };
        let mut cx: u128 = 0;
        while i < x.len() && x[i].total_cmp(&v) == Ordering::Equal {
            cx += 1;
            i += 1;
        }
        let mut cy: u128 = 0;
        while j < y.len() && y[j].total_cmp(&v) == Ordering::Equal {
            cy += 1;
            j += 1;
        }
        let t = cx + cy;
        r2 += cx * (2 * pos + t + 1);
        pos += t;
    }
    let m = x.len() as f64;
    let n = y.len() as f64;
    (r2 as f64 - m * (m + 1.0)) / (2.0 * n * m)
}

/// Cohen's d: `|mean(b) − mean(a)|` over the pooled sample standard deviation
/// `√(((n_a − 1)s_a² + (n_b − 1)s_b²)/(n_a + n_b − 2))`. Symmetric. Not used by the judge.
///
/// # Edge cases
/// - fewer than two values in all (`n_a + n_b < 3`) or both samples constant: NaN or ∞ (0/0 or
///   x/0), as IEEE arithmetic gives; empty samples give NaN.
///
/// ```
/// use canary_judge::stats::cohen_d;
/// let d = cohen_d(&[1.0, 1.0, 1.0, 2.0, 2.0, 2.0], &[5.0, 5.0, 5.0, 10.0, 10.0, 10.0]);
/// assert!((d - 3.03821).abs() < 1e-5);
/// ```
pub fn cohen_d(a: &[f64], b: &[f64]) -> f64 {
    let (ma, mb) = (mean(a), mean(b));
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let pooled =
        (((na - 1.0) * variance(a, ma) + (nb - 1.0) * variance(b, mb)) / (na + nb - 2.0)).sqrt();
    (mb - ma).abs() / pooled
}

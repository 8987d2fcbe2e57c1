//! Average ranks, as commons-math's `NaturalRanking(NaNStrategy.MAXIMAL, TiesStrategy.AVERAGE)`.

/// 1-based ranks of `values` with ties given the average of their positions.
///
/// Order and ties follow Java's `Double.compare` (`f64::total_cmp`): `-0.0` ranks below `0.0`
/// and the two are not tied; NaN ranks as the maximum (NaNs tie with each other).
///
/// # Edge cases
/// - empty: empty; one value: `[1.0]`; all tied: every rank is `(n + 1)/2`.
///
/// ```
/// use canary_judge::stats::average_ranks;
/// assert_eq!(average_ranks(&[10.0, 20.0, 10.0]), [1.5, 3.0, 1.5]);
/// assert!(average_ranks(&[]).is_empty());
/// ```
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    let key = |v: f64| {
        if v.is_nan() {
            f64::NAN.copysign(1.0)
        } else {
            v
        }
    };
    order.sort_by(|&a, &b| key(values[a]).total_cmp(&key(values[b])));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let v = key(values[order[start]]);
        let mut end = start + 1;
        while end < order.len() && key(values[order[end]]).total_cmp(&v).is_eq() {
            end += 1;
        }
        // positions start+1 ..= end share the average rank
        let avg = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = avg;
        }
        start = end;
    }
    ranks
}

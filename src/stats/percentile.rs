//! R-7 percentiles, as commons-math's `Percentile` with `EstimationType.R_7` (spec §6).

use super::{SortedSample, StatsError};

/// The `p`-th percentile (p in (0, 100]) of a sorted sample, by linear interpolation between
/// order statistics (R's default, type 7): `pos = 1 + (n − 1)·p/100` (exactly `n` when
/// `p/100 == 1`), then `w[k−1] + f·(w[k] − w[k−1])` with `k = ⌊pos⌋`, `f = pos − k`.
///
/// # Edge cases
/// - empty: NaN; one value: that value;
/// - ties: no special handling (interpolating between equal values gives that value);
/// - NaN cannot occur ([`SortedSample`] excludes it); ±∞ may give ±∞ or NaN.
///
/// # Errors
/// [`StatsError::PercentileOutOfRange`] for p ≤ 0, p > 100 or NaN.
///
/// ```
/// use canary_judge::stats::{percentile, SortedSample};
/// let s = SortedSample::new(vec![3.0, 1.0, 2.0, 4.0]).unwrap();
/// assert_eq!(percentile(&s, 50.0).unwrap(), 2.5);
/// assert_eq!(percentile(&s, 100.0).unwrap(), 4.0);
/// assert!(percentile(&SortedSample::default(), 50.0).unwrap().is_nan());
/// assert!(percentile(&s, 0.0).is_err());
/// ```
pub fn percentile(sample: &SortedSample, p: f64) -> Result<f64, StatsError> {
    if !(p > 0.0 && p <= 100.0) {
        return Err(StatsError::PercentileOutOfRange(p));
    }
    let w = sample.as_slice();
    let n = w.len();
    match n {
        0 => return Ok(f64::NAN),
        1 => return Ok(w[0]),
        _ => {}
    }
    let q = p / 100.0;
    let len = n as f64;
    let pos = if q == 1.0 { len } else { 1.0 + (len - 1.0) * q };
    if pos < 1.0 {
        return Ok(w[0]);
    }
    if pos >= len {
        return Ok(w[n - 1]);
    }
    let fpos = pos.floor();
    let k = fpos as usize; // 1 <= k < n here
    let dif = pos - fpos;
    let lower = w[k - 1];
    let upper = w[k];
    Ok(lower + dif * (upper - lower))
}

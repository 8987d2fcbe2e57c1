//! The standard normal quantile exactly as commons-math 3.6.1 computes it.

use super::StatsError;

/// `Φ⁻¹(p)` computed as commons-math's `NormalDistribution(0, 1).inverseCumulativeProbability`:
/// `√2 · erfInv(2p − 1)`, with [`erf_inv`].
///
/// This is **not** always the correctly rounded quantile: at `p = 0.01` it returns
/// `-2.326347874040841`, one ulp from the exact `-2.3263478740408408`. Kayenta's 98% interval
/// uses this value, so a bit-compatible judge must too.
///
/// # Errors
/// [`StatsError::ProbabilityOutOfRange`] unless `0 < p < 1` (0 and 1 would give ∓∞; NaN is
/// refused).
///
/// ```
/// use canary_judge::stats::normal_quantile;
/// assert_eq!(normal_quantile(0.01).unwrap().to_bits(), 0xc0029c5c4630ff0f);
/// assert_eq!(normal_quantile(0.5).unwrap(), 0.0);
/// assert!(normal_quantile(1.0).is_err());
/// ```
pub fn normal_quantile(p: f64) -> Result<f64, StatsError> {
    if !(p > 0.0 && p < 1.0) {
        return Err(StatsError::ProbabilityOutOfRange(p));
    }
    Ok(std::f64::consts::SQRT_2 * erf_inv(2.0 * p - 1.0))
}

/// The inverse error function by M. Giles, "Approximating the erfinv function" (GPU Computing
/// Gems 2, 2010), double-precision version, evaluated in the same order as commons-math.
///
/// Uses the platform's `ln`, where commons-math uses `FastMath.log`; the two agree on the
/// probabilities Kayenta uses (checked in tests), but may differ by an ulp elsewhere.
///
/// # Edge cases
/// - `x = ±1`: ±∞; `|x| > 1` or NaN: NaN; `x = 0`: 0.
///
/// ```
/// use canary_judge::stats::erf_inv;
/// assert_eq!(erf_inv(0.0), 0.0);
/// assert_eq!(erf_inv(1.0), f64::INFINITY);
/// assert!(erf_inv(2.0).is_nan());
/// ```
pub fn erf_inv(x: f64) -> f64 {
    // The log argument must be (1 − x)(1 + x), not 1 − x², to keep accuracy near ±1.
    let mut w = -((1.0 - x) * (1.0 + x)).ln();
    let p = if w < 6.25 {
        w -= 3.125;
        horner(w, &CENTRAL)
    } else if w < 16.0 {
        w = w.sqrt() - 3.25;
        horner(w, &TAIL)
    } else if w.is_finite() {
        w = w.sqrt() - 5.0;
        horner(w, &FAR_TAIL)
    } else if w.is_nan() {
        f64::NAN
    } else {
        f64::INFINITY
    };
    p * x
}

/// `p = c[0]; p = c[i] + p·w` for the rest: the order commons-math writes it in.
fn horner(w: f64, c: &[f64]) -> f64 {
    c[1..].iter().fold(c[0], |p, &ci| ci + p * w)
}

// Giles' published coefficients, highest degree first.
#[allow(clippy::excessive_precision)]
const CENTRAL: [f64; 23] = [
    -3.6444120640178196996e-21,
    -1.685059138182016589e-19,
    1.2858480715256400167e-18,
    1.115787767802518096e-17,
    -1.333171662854620906e-16,
    2.0972767875968561637e-17,
    6.6376381343583238325e-15,
    -4.0545662729752068639e-14,
    -8.1519341976054721522e-14,
    2.6335093153082322977e-12,
    -1.2975133253453532498e-11,
    -5.4154120542946279317e-11,
    1.051212273321532285e-09,
    -4.1126339803469836976e-09,
    -2.9070369957882005086e-08,
    4.2347877827932403518e-07,
    -1.3654692000834678645e-06,
    -1.3882523362786468719e-05,
    0.0001867342080340571352,
    -0.00074070253416626697512,
    -0.0060336708714301490533,
    0.24015818242558961693,
    1.6536545626831027356,
];

#[allow(clippy::excessive_precision)]
const TAIL: [f64; 19] = [
    2.2137376921775787049e-09,
    9.0756561938885390979e-08,
    -2.7517406297064545428e-07,
    1.8239629214389227755e-08,
    1.5027403968909827627e-06,
    -4.013867526981545969e-06,
    2.9234449089955446044e-06,
    1.2475304481671778723e-05,
    -4.7318229009055733981e-05,
    6.8284851459573175448e-05,
    2.4031110387097893999e-05,
    -0.0003550375203628474796,
    0.00095328937973738049703,
    -0.0016882755560235047313,
    0.0024914420961078508066,
    -0.0037512085075692412107,
    0.005370914553590063617,
    1.0052589676941592334,
    3.0838856104922207635,
];

#[allow(clippy::excessive_precision)]
const FAR_TAIL: [f64; 17] = [
    -2.7109920616438573243e-11,
    -2.5556418169965252055e-10,
    1.5076572693500548083e-09,
    -3.7894654401267369937e-09,
    7.6157012080783393804e-09,
    -1.4960026627149240478e-08,
    2.9147953450901080826e-08,
    -6.7711997758452339498e-08,
    2.2900482228026654717e-07,
    -9.9298272942317002539e-07,
    4.5260625972231537039e-06,
    -1.9681778105531670567e-05,
    7.5995277030017761139e-05,
    -0.00021503011930044477347,
    -0.00013871931833623122026,
    1.0103004648645343977,
    4.8499064014085844221,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kayenta_quantiles_are_bit_exact() {
        // 0.98 → alpha 0.020000000000000018 → p = alpha / 2.
        let alpha98 = 1.0 - 0.98;
        assert_eq!(alpha98, 0.020000000000000018);
        assert_eq!(
            normal_quantile(alpha98 / 2.0).unwrap().to_bits(),
            0xc0029c5c4630ff0f
        );
        let alpha95 = 1.0 - 0.95;
        assert_eq!(alpha95, 0.050000000000000044);
        assert_eq!(normal_quantile(alpha95 / 2.0).unwrap(), -1.959963984540054);
    }

    #[test]
    fn symmetric_and_monotone() {
        for &p in &[1e-10, 1e-5, 0.001, 0.1, 0.3] {
            let lo = normal_quantile(p).unwrap();
            let hi = normal_quantile(1.0 - p).unwrap();
            assert!(lo < 0.0 && hi > 0.0);
            assert!((lo + hi).abs() < 1e-9);
        }
    }
}

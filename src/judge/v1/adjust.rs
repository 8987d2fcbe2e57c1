//! Multiple-testing adjustment of a judgement's p-values (`classifier.multipleTesting`).

use super::settings::MultipleTesting;

/// Adjusted p-values, in the input order.
///
/// - `Holm`: step-down, `p̃(i) = max_{j ≤ i} min(1, (m − j + 1) p(j))` over the p-values sorted
///   ascending; controls the family-wise error rate.
/// - `Bh`: Benjamini–Hochberg step-up, `p̃(i) = min_{j ≥ i} min(1, m p(j) / j)`; controls the
///   false discovery rate.
/// - `None`: unchanged.
///
/// Ties keep their input order (a stable sort), so the result is deterministic. NaN p-values
/// are treated as 1. Empty input gives an empty output.
pub fn adjust_p_values(p: &[f64], method: MultipleTesting) -> Vec<f64> {
    adjust_with_multipliers(p, method).0
}

/// Adjusted p-values and, for each, the multiplier its own rank gives it (Holm: `m − j + 1`,
/// BH: `m / j`, none: 1), in the input order. The multiplier lets a metric's component tests be
/// judged at the same level as the metric.
pub(crate) fn adjust_with_multipliers(p: &[f64], method: MultipleTesting) -> (Vec<f64>, Vec<f64>) {
    let clean: Vec<f64> = p
        .iter()
        .map(|&x| if x.is_nan() { 1.0 } else { x.clamp(0.0, 1.0) })
        .collect();
    let m = clean.len();
    if m == 0 || method == MultipleTesting::None {
        return (clean, vec![1.0; m]);
    }
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| clean[a].total_cmp(&clean[b]));
    let mut adjusted = vec![1.0; m];
    let mut multipliers = vec![1.0; m];
    match method {
        MultipleTesting::Holm => {
            let mut running = 0.0_f64;
            for (rank, &i) in order.iter().enumerate() {
                multipliers[i] = (m - rank) as f64;
                let v = ((m - rank) as f64 * clean[i]).min(1.0);
                running = running.max(v);
                adjusted[i] = running;
            }
        }
        MultipleTesting::Bh => {
            let mut running = 1.0_f64;
            for (rank, &i) in order.iter().enumerate().rev() {
                multipliers[i] = m as f64 / (rank + 1) as f64;
                let v = (m as f64 * clean[i] / (rank + 1) as f64).min(1.0);
                running = running.min(v);
                adjusted[i] = running;
            }
        }
        MultipleTesting::None => {}
    }
    (adjusted, multipliers)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values: R's p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") and "BH".
    #[test]
    fn matches_r_p_adjust() {
        let p = [0.01, 0.04, 0.03, 0.005];
        let holm = adjust_p_values(&p, MultipleTesting::Holm);
        for (a, b) in holm.iter().zip([0.03, 0.06, 0.06, 0.02]) {
            assert!((a - b).abs() < 1e-15, "{holm:?}");
        }
        let bh = adjust_p_values(&p, MultipleTesting::Bh);
        for (a, b) in bh.iter().zip([0.02, 0.04, 0.04, 0.02]) {
            assert!((a - b).abs() < 1e-15, "{bh:?}");
        }
        assert_eq!(adjust_p_values(&p, MultipleTesting::None), p.to_vec());
        assert!(adjust_p_values(&[], MultipleTesting::Holm).is_empty());
        assert_eq!(
            adjust_p_values(&[f64::NAN], MultipleTesting::Holm),
            vec![1.0]
        );
    }
}

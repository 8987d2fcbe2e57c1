//! TEMPORARY STUB (not committed).
#![allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantileInterval {
    pub estimate: f64,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub confidence: f64,
}
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantileShift {
    pub q: f64,
    pub canary: QuantileInterval,
    pub baseline: QuantileInterval,
    pub estimate: f64,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}
pub fn quantile_interval(s: &[f64], q: f64, confidence: f64) -> QuantileInterval {
    let n = s.len();
    let h = (n as f64 - 1.0) * q;
    let lo = h.floor() as usize;
    let est = s[lo] + (h - lo as f64) * (s[(lo + 1).min(n - 1)] - s[lo]);
    let sd = (n as f64 * q * (1.0 - q)).sqrt() * 2.0;
    let l = (n as f64 * q - sd).floor();
    let u = (n as f64 * q + sd).ceil();
    QuantileInterval {
        estimate: est,
        lower: (l >= 1.0).then(|| s[l as usize - 1]),
        upper: (u <= n as f64).then(|| s[(u as usize).max(1) - 1]),
        confidence,
    }
}
pub fn quantile_shift(c: &[f64], b: &[f64], q: f64, confidence: f64) -> QuantileShift {
    let ci = quantile_interval(c, q, confidence.sqrt());
    let bi = quantile_interval(b, q, confidence.sqrt());
    QuantileShift {
        q,
        canary: ci,
        baseline: bi,
        estimate: ci.estimate - bi.estimate,
        lower: ci.lower.zip(bi.upper).map(|(a, b)| a - b),
        upper: ci.upper.zip(bi.lower).map(|(a, b)| a - b),
    }
}

//! TEMPORARY STUB (not committed).
#![allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsTest {
    pub statistic: f64,
    pub p_value: f64,
    pub exact: bool,
}
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum KsTestError {
    #[error("empty")]
    Empty,
}
pub fn ks_test(x: &[f64], y: &[f64]) -> Result<KsTest, KsTestError> {
    if x.is_empty() || y.is_empty() {
        return Err(KsTestError::Empty);
    }
    let (mut i, mut j, mut d) = (0usize, 0usize, 0f64);
    while i < x.len() && j < y.len() {
        let v = x[i].min(y[j]);
        while i < x.len() && x[i] <= v {
            i += 1
        }
        while j < y.len() && y[j] <= v {
            j += 1
        }
        d = d.max((i as f64 / x.len() as f64 - j as f64 / y.len() as f64).abs());
    }
    let ne = (x.len() * y.len()) as f64 / (x.len() + y.len()) as f64;
    let l = ne.sqrt() * d;
    let mut p = 0.0;
    for k in 1..100 {
        let k = k as f64;
        p += 2.0 * (-1f64).powf(k - 1.0) * (-2.0 * k * k * l * l).exp();
    }
    Ok(KsTest {
        statistic: d,
        p_value: p.clamp(0.0, 1.0),
        exact: false,
    })
}

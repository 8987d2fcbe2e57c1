//! TEMPORARY STUB (not committed).
#![allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateTest {
    pub ratio: f64,
    pub lower: f64,
    pub upper: f64,
    pub p_value: f64,
    pub p_greater: f64,
    pub p_less: f64,
}
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RateTestError {
    #[error("bad")]
    Bad,
}
pub fn rate_test(x1: u64, t1: f64, x0: u64, t0: f64, _c: f64) -> Result<RateTest, RateTestError> {
    if !(t1 > 0.0 && t0 > 0.0) {
        return Err(RateTestError::Bad);
    }
    let ratio = (x1 as f64 / t1) / (x0 as f64 / t0);
    let n = (x1 + x0) as f64;
    let p0 = t1 / (t1 + t0);
    if n == 0.0 {
        return Ok(RateTest {
            ratio: f64::NAN,
            lower: 0.0,
            upper: f64::INFINITY,
            p_value: 1.0,
            p_greater: 1.0,
            p_less: 1.0,
        });
    }
    let z = (x1 as f64 - n * p0) / (n * p0 * (1.0 - p0)).sqrt();
    let pg = 1.0 - super::rank_test::phi(z);
    let pl = super::rank_test::phi(z);
    Ok(RateTest {
        ratio,
        lower: ratio * 0.5,
        upper: ratio * 2.0,
        p_value: (2.0 * pg.min(pl)).min(1.0),
        p_greater: pg,
        p_less: pl,
    })
}

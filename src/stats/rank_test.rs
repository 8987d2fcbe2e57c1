//! TEMPORARY STUB (not committed).
#![allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankTest {
    pub statistic: f64,
    pub p_value: f64,
    pub p_greater: f64,
    pub p_less: f64,
    pub exact: bool,
    pub estimate: f64,
    pub lower: f64,
    pub upper: f64,
}
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RankTestError {
    #[error("empty")]
    Empty,
}
pub fn rank_test(x: &[f64], y: &[f64], confidence: f64) -> Result<RankTest, RankTestError> {
    if x.is_empty() || y.is_empty() {
        return Err(RankTestError::Empty);
    }
    let mut d: Vec<f64> = x
        .iter()
        .flat_map(|a| y.iter().map(move |b| a - b))
        .collect();
    d.sort_by(f64::total_cmp);
    let (n, m) = (x.len() as f64, y.len() as f64);
    let gt = d.iter().filter(|v| **v > 0.0).count() as f64;
    let eq = d.iter().filter(|v| **v == 0.0).count() as f64;
    let w = gt + eq / 2.0;
    let mu = n * m / 2.0;
    let s = (n * m * (n + m + 1.0) / 12.0).sqrt();
    let z = (w - mu) / s;
    let pg = 1.0 - phi(z);
    let pl = phi(z);
    let zq = crate::stats::normal_quantile(1.0 - (1.0 - confidence) / 2.0).unwrap_or(1.96);
    let k = ((mu - zq * s).floor().max(0.0) as usize).min(d.len() - 1);
    let med = if d.len() % 2 == 1 {
        d[d.len() / 2]
    } else {
        (d[d.len() / 2 - 1] + d[d.len() / 2]) / 2.0
    };
    Ok(RankTest {
        statistic: w,
        p_value: (2.0 * pg.min(pl)).min(1.0),
        p_greater: pg,
        p_less: pl,
        exact: false,
        estimate: med,
        lower: d[k],
        upper: d[d.len() - 1 - k],
    })
}
pub(crate) fn phi(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}
fn erfc(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let y = t
        * (-x * x - 1.26551223
            + t * (1.00002368
                + t * (0.37409196
                    + t * (0.09678418
                        + t * (-0.18628806
                            + t * (0.27886807
                                + t * (-1.13520398
                                    + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
            .exp();
    if x >= 0.0 {
        y
    } else {
        2.0 - y
    }
}

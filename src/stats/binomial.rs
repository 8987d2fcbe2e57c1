//! The binomial distribution for integer counts, computed as R's nmath does where that matters:
//! Loader's saddle-point density (`dbinom_raw` with `stirlerr` and `bd0`), tails summed from
//! that density, and the Clopper–Pearson beta quantiles found by a safeguarded Newton search on
//! the tails.
//!
//! For integer shapes the regularized incomplete beta is a binomial tail,
//! `I_p(a, b) = P(Bin(a + b − 1, p) ≥ a)`, so every beta quantile the rate test needs
//! (`qbeta(α, x, n − x + 1)` and `qbeta(1 − α, x + 1, n − x)`) is the root in `p` of a binomial
//! tail. R computes the same tails with TOMS 708 (`pbeta`); summing Loader's density instead
//! agrees to about 1e-14 relative (each term is accurate to a few ulps and at most about
//! `10·√(n·p·q)` terms are added, far less than one ulp each of the total).
//!
//! Private to the crate; the public tests are in `rate_test`, `quantile_ci` and
//! `tests/rate_reference.rs`.

/// `log(2π)`.
const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// `stirlerr(n) = log(n!) − log(√(2πn)·(n/e)^n)` for integer `n ≥ 0`, R's `stirlerr` (nmath,
/// as in R 4.2): the stored values for `n ≤ 15`, the Stirling series beyond.
fn stirlerr(n: f64) -> f64 {
    // Values at n = 0, 0.5, 1, …, 15, from R's `sferr_halves` (index 2n), digits as R has them
    // (they round to the same doubles). Only integers are used.
    #[allow(clippy::excessive_precision)]
    const SFERR_HALVES: [f64; 31] = [
        0.0,
        0.153_426_409_720_027_345_291_384_8,
        0.081_061_466_795_327_258_219_670_2,
        0.054_814_121_051_917_653_896_139_0,
        0.041_340_695_955_409_294_093_822_1,
        0.033_162_873_519_936_287_485_110_48,
        0.027_677_925_684_998_339_148_789_29,
        0.023_746_163_656_297_495_971_329_20,
        0.020_790_672_103_765_093_111_522_77,
        0.018_488_450_532_673_185_230_779_34,
        0.016_644_691_189_821_192_163_194_87,
        0.015_134_973_221_917_378_873_512_55,
        0.013_876_128_823_070_747_998_745_73,
        0.012_810_465_242_920_226_924_249_86,
        0.011_896_709_945_891_770_095_055_72,
        0.011_104_559_758_206_917_326_629_91,
        0.010_411_265_261_972_096_497_478_567,
        0.009_799_416_126_158_803_298_389_475,
        0.009_255_462_182_712_732_917_728_637,
        0.008_768_700_134_139_385_462_952_823,
        0.008_330_563_433_362_871_256_469_318,
        0.007_934_114_564_314_020_547_248_1,
        0.007_573_675_487_951_840_794_972_024,
        0.007_244_554_301_320_383_179_543_912,
        0.006_942_840_107_209_529_865_664_152,
        0.006_665_247_032_707_682_442_354_394,
        0.006_408_994_188_004_207_068_439_631,
        0.006_171_712_263_039_457_647_532_867,
        0.005_951_370_112_758_847_735_624_416,
        0.005_746_216_513_010_115_682_023_589,
        0.005_554_733_551_962_801_371_038_69,
    ];
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    if n <= 15.0 {
        // Callers pass integers only, so 2n indexes the table exactly.
        return SFERR_HALVES[(n + n) as usize];
    }
    let nn = n * n;
    if n > 500.0 {
        return (S0 - S1 / nn) / n;
    }
    if n > 80.0 {
        return (S0 - (S1 - S2 / nn) / nn) / n;
    }
    if n > 35.0 {
        return (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n;
    }
    (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n
}

/// The deviance term `bd0(x, np) = x·log(x/np) + np − x`, evaluated stably as R's `bd0`
/// (Loader; the Taylor series in `v = (x − np)/(x + np)` when `x` is close to `np`).
fn bd0(x: f64, np: f64) -> f64 {
    if !x.is_finite() || !np.is_finite() || np == 0.0 {
        return f64::NAN;
    }
    if (x - np).abs() < 0.1 * (x + np) {
        let mut v = (x - np) / (x + np);
        let mut s = (x - np) * v;
        if s.abs() < f64::MIN_POSITIVE {
            return s;
        }
        let mut ej = 2.0 * x * v;
        v *= v;
        for j in 1..1000 {
            ej *= v;
            let previous = s;
            s += ej / f64::from((j << 1) + 1);
            if s == previous {
                return s;
            }
        }
    }
    x * (x / np).ln() + np - x
}

/// `P(X = x)` for `X ~ Bin(n, p)`, given `q = 1 − p` separately: R's `dbinom_raw(x, n, p, q,
/// FALSE)`, term for term.
pub(crate) fn dbinom_raw(x: f64, n: f64, p: f64, q: f64) -> f64 {
    if p == 0.0 {
        return if x == 0.0 { 1.0 } else { 0.0 };
    }
    if q == 0.0 {
        return if x == n { 1.0 } else { 0.0 };
    }
    if x == 0.0 {
        if n == 0.0 {
            return 1.0;
        }
        let lc = if p < 0.1 {
            -bd0(n, n * q) - n * p
        } else {
            n * q.ln()
        };
        return lc.exp();
    }
    if x == n {
        let lc = if q < 0.1 {
            -bd0(n, n * p) - n * q
        } else {
            n * p.ln()
        };
        return lc.exp();
    }
    if x < 0.0 || x > n {
        return 0.0;
    }
    let lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, n * p) - bd0(n - x, n * q);
    let lf = LN_2PI + x.ln() + (-x / n).ln_1p();
    (lc - 0.5 * lf).exp()
}

/// `P(X = x)` for `X ~ Bin(n, p)`, as R's `dbinom(x, n, p)` (which passes `q = 1 − p`).
pub(crate) fn dbinom(x: u64, n: u64, p: f64) -> f64 {
    dbinom_raw(x as f64, n as f64, p, 1.0 - p)
}

/// Both tails at `k`: `(P(X ≤ k), P(X > k))` for `X ~ Bin(n, p)`, `0 ≤ p ≤ 1`.
///
/// The tail on the far side of the mode `⌊(n + 1)p⌋` is summed from Loader's density, starting
/// next to `k` and moving away from the mode (so terms only shrink) until a term no longer changes
/// the sum; the other tail is one minus it, and is then at least about 0.3, so both are accurate
/// relative to their size. `k ≥ n` gives `(1, 0)`.
pub(crate) fn binom_tails(k: u64, n: u64, p: f64) -> (f64, f64) {
    if k >= n {
        return (1.0, 0.0);
    }
    let q = 1.0 - p;
    let nf = n as f64;
    // `(n + 1)·p` is exact enough for choosing a side: either choice is correct near the mode,
    // only the number of terms differs.
    let mode = ((nf + 1.0) * p).floor().min(nf);
    let term = |i: u64| dbinom_raw(i as f64, nf, p, q);
    if (k as f64) < mode {
        // Lower tail: i = k, k − 1, …, 0 with decreasing terms.
        let mut sum = 0.0;
        let mut i = k;
        loop {
            let t = term(i);
            let next = sum + t;
            if next == sum || i == 0 {
                sum = next;
                break;
            }
            sum = next;
            i -= 1;
        }
        let lower = sum.min(1.0);
        (lower, 1.0 - lower)
    } else {
        // Upper tail: i = k + 1, …, n with decreasing terms.
        let mut sum = 0.0;
        let mut i = k + 1;
        loop {
            let t = term(i);
            let next = sum + t;
            if next == sum || i == n {
                sum = next;
                break;
            }
            sum = next;
            i += 1;
        }
        let upper = sum.min(1.0);
        (1.0 - upper, upper)
    }
}

/// Which binomial tail a beta quantile is the root of.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tail {
    /// `P(Bin(n, p) ≥ k) = target`, increasing in `p`; `k ≥ 1`.
    AtLeast,
    /// `P(Bin(n, p) ≤ k) = target`, decreasing in `p`; `k < n`.
    AtMost,
}

/// The root `p ∈ (0, 1)` of `tail(k; n, p) = target` for `0 < target < 1`.
///
/// Newton's method on `log tail(p) − log target` (the derivative of a tail is
/// `±n·dbinom(k − 1 or k; n − 1, p)`), kept inside a bracket that every evaluation narrows; when a
/// Newton step leaves the bracket or fails to shrink it fast enough, the bracket is bisected
/// (geometrically while it spans orders of magnitude). Stops when the bracket holds no double
/// between its ends or a Newton step is below 2 ulps of `p`.
fn tail_root(tail: Tail, k: u64, n: u64, target: f64) -> f64 {
    let nf = n as f64;
    let eval = |p: f64| -> (f64, f64) {
        // (tail value, its derivative in p)
        match tail {
            Tail::AtLeast => {
                let (_, upper) = binom_tails(k - 1, n, p);
                (upper, nf * dbinom_raw((k - 1) as f64, nf - 1.0, p, 1.0 - p))
            }
            Tail::AtMost => {
                let (lower, _) = binom_tails(k, n, p);
                (lower, -nf * dbinom_raw(k as f64, nf - 1.0, p, 1.0 - p))
            }
        }
    };
    let increasing = tail == Tail::AtLeast;
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    // Start at the point estimate, nudged to the side the root lies on.
    let mut p = match tail {
        Tail::AtLeast => k as f64 / nf,
        Tail::AtMost => (k as f64 + 1.0) / nf,
    }
    .clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0);
    let log_target = target.ln();
    for _ in 0..400 {
        let (g, dg) = eval(p);
        if g == target {
            return p;
        }
        // Below the root when the tail is on the wrong side of the target.
        if (g < target) == increasing {
            lo = p;
        } else {
            hi = p;
        }
        let mut next = f64::NAN;
        if g > 0.0 && dg != 0.0 && dg.is_finite() {
            // d log g / dp = dg / g
            let step = (g.ln() - log_target) * g / dg;
            next = p - step;
            if step.abs() <= 2.0 * f64::EPSILON * p {
                return if next > lo && next < hi { next } else { p };
            }
        }
        if !(next > lo && next < hi) {
            next = if lo > 0.0 && hi / lo > 4.0 {
                (lo * hi).sqrt()
            } else if lo == 0.0 && hi < 0.25 {
                hi / 16.0
            } else {
                lo + (hi - lo) / 2.0
            };
        }
        if next <= lo || next >= hi {
            // No double strictly inside the bracket: it has converged.
            return if (g < target) == increasing { hi } else { lo };
        }
        p = next;
    }
    p
}

/// `qbeta(alpha, x, n − x + 1)`: the Clopper–Pearson lower end for `x` successes in `n` trials,
/// the `p` with `P(Bin(n, p) ≥ x) = alpha`. Requires `1 ≤ x ≤ n`, `0 < alpha < 1`.
pub(crate) fn clopper_pearson_lower(x: u64, n: u64, alpha: f64) -> f64 {
    tail_root(Tail::AtLeast, x, n, alpha)
}

/// `qbeta(1 − alpha, x + 1, n − x)`: the Clopper–Pearson upper end, the `p` with
/// `P(Bin(n, p) ≤ x) = alpha`. Requires `x < n`, `0 < alpha < 1`.
pub(crate) fn clopper_pearson_upper(x: u64, n: u64, alpha: f64) -> f64 {
    tail_root(Tail::AtMost, x, n, alpha)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn density_sums_to_one_and_matches_small_cases() {
        let total: f64 = (0..=20).map(|i| dbinom(i, 20, 0.3)).sum();
        assert!((total - 1.0).abs() < 1e-14);
        // C(5,2)·0.5^5
        assert!((dbinom(2, 5, 0.5) - 10.0 / 32.0).abs() < 1e-16);
        assert_eq!(dbinom(0, 0, 0.5), 1.0);
    }

    #[test]
    fn tails_complement() {
        for k in 0..30 {
            let (lo, up) = binom_tails(k, 30, 0.37);
            let direct: f64 = (0..=k).map(|i| dbinom(i, 30, 0.37)).sum();
            assert!((lo - direct).abs() < 1e-14, "k={k}");
            assert!((lo + up - 1.0).abs() < 1e-15);
        }
    }

    #[test]
    fn quantile_roots() {
        // x = n: P(X ≥ n) = p^n, so the lower end is alpha^(1/n).
        let p = clopper_pearson_lower(10, 10, 0.025);
        assert!((p / 0.025_f64.powf(0.1) - 1.0).abs() < 1e-14);
        // x = 0: P(X ≤ 0) = (1 − p)^n.
        let p = clopper_pearson_upper(0, 10, 0.025);
        assert!((p / (1.0 - 0.025_f64.powf(0.1)) - 1.0).abs() < 1e-14);
    }
}

//! Brent's root finder, an exact port of the operation sequence of R's `R_zeroin2`
//! (`src/library/stats/src/zeroin.c`), which Kayenta's Mann-Whitney uses.
//!
//! The rank-sum z-function is a step function with plateaus, so which iterates are visited
//! decides the last bits of the answer: the order of every floating-point operation below is
//! deliberate. Do not "simplify" it.

/// Absolute tolerance Kayenta uses (`1e-4`).
pub const ZEROIN_TOLERANCE: f64 = 1e-4;
/// Iteration limit Kayenta uses (the loop runs this many times plus one).
pub const ZEROIN_MAX_ITERATIONS: u32 = 1000;

const EPSILON: f64 = f64::EPSILON; // 2.220446049250313e-16, R's DBL_EPSILON

/// What [`zeroin`] found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZeroinOutcome {
    /// The approximation of the root (the last `b` when iterations ran out).
    pub root: f64,
    /// Number of times `f` was called.
    pub evaluations: u32,
    /// False when the iteration limit was reached; the root is then the last iterate, as R and
    /// Kayenta return it without an error.
    pub converged: bool,
}

/// True for ±0 and the smallest subnormals: Kayenta's "equal to 0 within 1 ulp"
/// (`Precision.equals(x, 0.0)`).
fn is_zero_within_ulp(v: f64) -> bool {
    v.abs() <= f64::from_bits(1)
}

/// Finds a zero of `f` in `[ax, bx]` given `fa = f(ax)` and `fb = f(bx)`, with R's `R_zeroin2`
/// steps: inverse quadratic or secant interpolation with a bisection fallback, absolute
/// tolerance `tol`, at most `max_iter + 1` iterations.
///
/// There is no check that `fa` and `fb` bracket a root (neither R's C routine nor Kayenta makes
/// one); without a sign change the result is some point of the interval.
///
/// # Edge cases
/// - returns `ax` when `fa` is 0 (within 1 ulp), else `bx` when `fb` is;
/// - NaN from `f` makes the comparisons false, so the search bisects on and ends by iteration
///   count or tolerance; it never loops forever.
///
/// # Errors
/// Whatever `f` returns.
///
/// ```
/// use canary_judge::stats::zeroin;
/// let out = zeroin(0.0, 2.0, -2.0, 2.0, |x| Ok::<_, ()>(x * x - 2.0), 1e-12, 1000).unwrap();
/// assert!((out.root - 2f64.sqrt()).abs() < 1e-11);
/// ```
pub fn zeroin<E>(
    ax: f64,
    bx: f64,
    fa: f64,
    fb: f64,
    mut f: impl FnMut(f64) -> Result<f64, E>,
    tol: f64,
    max_iter: u32,
) -> Result<ZeroinOutcome, E> {
    let (mut a, mut b) = (ax, bx);
    let (mut fa, mut fb) = (fa, fb);
    let (mut c, mut fc) = (a, fa);
    let mut evaluations = 0;

    if is_zero_within_ulp(fa) {
        return Ok(ZeroinOutcome {
            root: a,
            evaluations,
            converged: true,
        });
    }
    if is_zero_within_ulp(fb) {
        return Ok(ZeroinOutcome {
            root: b,
            evaluations,
            converged: true,
        });
    }

    for _ in 0..=max_iter {
        let prev_step = b - a;

        if fc.abs() < fb.abs() {
            // Swap so that b is the best approximation.
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol_act = 2.0 * EPSILON * b.abs() + tol / 2.0;
        let mut new_step = (c - b) / 2.0;

        if new_step.abs() <= tol_act || is_zero_within_ulp(fb) {
            return Ok(ZeroinOutcome {
                root: b,
                evaluations,
                converged: true,
            });
        }

        // Interpolate if the previous step was large enough and in the right direction.
        if prev_step.abs() >= tol_act && fa.abs() > fb.abs() {
            let cb = c - b;
            let (mut p, mut q);
            if a == c {
                // Only two distinct points: linear interpolation.
                let t1 = fb / fa;
                p = cb * t1;
                q = 1.0 - t1;
            } else {
                // Inverse quadratic interpolation.
                let qa = fa / fc;
                let t1 = fb / fc;
                let t2 = fb / fa;
                p = t2 * (cb * qa * (qa - t1) - (b - a) * (t1 - 1.0));
                q = (qa - 1.0) * (t1 - 1.0) * (t2 - 1.0);
            }
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if p < (0.75 * cb * q - (tol_act * q).abs() / 2.0) && p < (prev_step * q / 2.0).abs() {
                new_step = p / q;
            }
        }

        if new_step.abs() < tol_act {
            new_step = if new_step > 0.0 { tol_act } else { -tol_act };
        }
        a = b;
        fa = fb;
        b += new_step;
        fb = f(b)?;
        evaluations += 1;
        if (fb > 0.0 && fc > 0.0) || (fb < 0.0 && fc < 0.0) {
            // Keep c on the other side of the root from b.
            c = a;
            fc = fa;
        }
    }
    Ok(ZeroinOutcome {
        root: b,
        evaluations,
        converged: false,
    })
}

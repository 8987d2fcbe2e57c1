//! The shifts around an answered shift `r` at which nothing changes: every run of `x` keeps its
//! place among the runs of `y` and meets none of them.
//!
//! On tied data (values on a grid, as exporters print them) the pair differences cluster on a
//! grid too, and Brent's method often creeps towards a root in steps smaller than that grid,
//! one evaluation after another, while its bracket stays wide. Between two grid points the
//! statistics are constant, so once the nearest differences on either side of `r` are known,
//! every shift strictly between them is answered at no cost.
//!
//! With `v = fl(x − r)` for each run of `x` at place `p`, let `G⁺` be the least `y[p] − v` and
//! `G⁻` the least `v − y[p − 1]`, over the runs (computed in binary64). For a shift `d` below `r`
//! with `r − d < G⁺ − ε`, or above it with `d − r < G⁻ − ε` (ε as in [`super::bands`]:
//! 16·M·2⁻⁵², `M` the largest |value|, |r|, |d| ≤ 2M), `fl(x − d)` stays strictly between
//! `y[p − 1]` and `y[p]` for every run: it differs from `v` by at most |d − r| plus two
//! roundings of at most 3M·2⁻⁵³ each, the computed gaps and bounds carry at most a few more such
//! roundings, and all of them together stay under ε = 32M·2⁻⁵³. So every comparison
//! `y < x − d` goes as at `r` and no `x − d` equals a `y`: when nothing was tied at `r` either,
//! the statistics at `d` are those at `r`, exactly.

use super::runs::Sides;
use super::Counts;

/// An open interval of shifts on one side of `shift` (up to it) that share its statistics.
#[derive(Debug, Clone, Copy)]
pub(super) struct Quiet {
    pub(super) shift: f64,
    /// True when the interval lies below `shift`.
    pub(super) below: bool,
    lo: f64,
    hi: f64,
    stats: Counts,
}

impl Quiet {
    /// The interval on `d`'s side of `r` (with statistics `stats`, no `x − r` equal to a `y`),
    /// from the places of the runs of `x` there (`places[i]` = runs of `y` below `x_i − r`),
    /// kept within ±2M where the error bound holds (`magnitude` = M). Only one gap matters on
    /// each side (below `r` every `x − d` grows towards the `y` above it), and the walk stops as
    /// soon as a gap shows that `d` will lie outside: the interval is then empty, as it is when
    /// a difference lies within ε of `r` or the places do not fit these samples.
    pub(super) fn towards(
        d: f64,
        sides: &Sides,
        (r, stats): (f64, Counts),
        places: &[u32],
        (magnitude, eps): (f64, f64),
    ) -> Quiet {
        let (xv, yv) = (sides.x.values(), sides.y.values());
        let below = d < r;
        let empty = Quiet {
            shift: r,
            below,
            lo: r,
            hi: r,
            stats,
        };
        // (A tie at `r` would also make the least gap 0 and the interval empty.)
        if places.len() != xv.len() || stats.equal != 0 {
            return empty;
        }
        // A gap this small or smaller leaves `d` outside (the final bounds decide; this only
        // stops the walk early).
        let enough = (d - r).abs() + eps;
        let mut gap = f64::INFINITY;
        for (&x, &p) in xv.iter().zip(places) {
            let v = x - r;
            let p = p as usize;
            // Below `r`, `x − d` rises towards the `y` at its place; above, it falls towards
            // the one before.
            let y = if below {
                yv.get(p)
            } else {
                p.checked_sub(1).and_then(|k| yv.get(k))
            };
            if let Some(&y) = y {
                gap = gap.min(if below { y - v } else { v - y });
                if gap <= enough {
                    return empty;
                }
            }
        }
        let room = gap - eps;
        if room <= 0.0 || room.is_nan() {
            return empty;
        }
        if below {
            Quiet {
                lo: (r - room).max(-2.0 * magnitude),
                ..empty
            }
        } else {
            Quiet {
                hi: (r + room).min(2.0 * magnitude),
                ..empty
            }
        }
    }

    /// True when `d` lies strictly inside the interval.
    pub(super) fn holds(&self, d: f64) -> bool {
        self.lo < d && d < self.hi
    }

    /// The statistics at `d`, if it lies strictly inside the interval.
    pub(super) fn stats(&self, d: f64) -> Option<Counts> {
        self.holds(d).then_some(self.stats)
    }
}

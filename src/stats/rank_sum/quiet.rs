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
//! `G⁻` the least `v − y[p − 1]`, over the runs (computed in binary64). For a shift `d` with
//! `r − d < G⁺ − ε` and `d − r < G⁻ − ε` (ε as in [`super::bands`]: 16·M·2⁻⁵², `M` the largest
//! |value|, |r|, |d| ≤ 2M), `fl(x − d)` stays strictly between `y[p − 1]` and `y[p]` for every
//! run: it differs from `v` by at most |d − r| plus two roundings of at most 3M·2⁻⁵³ each, the
//! computed gaps and bounds carry at most a few more such roundings, and all of them together
//! stay under ε = 32M·2⁻⁵³. So every comparison `y < x − d` goes as at `r` and no `x − d` equals
//! a `y`: when nothing was tied at `r` either, the statistics at `d` are those at `r`, exactly.

use super::runs::Sides;
use super::RankStats;

/// The open interval of shifts around `shift` that share its statistics.
#[derive(Debug, Clone, Copy)]
pub(super) struct Quiet {
    pub(super) shift: f64,
    lo: f64,
    hi: f64,
    stats: RankStats,
}

impl Quiet {
    /// The interval around `r` (with statistics `stats`, no `x − r` equal to a `y`), from the
    /// places of the runs of `x` there (`places[i]` = runs of `y` below `x_i − r`), kept within
    /// ±2M where the error bound holds (`magnitude` = M). Empty when a difference lies within ε
    /// of `r`, or when the places do not fit these samples.
    pub(super) fn around(
        sides: &Sides,
        (r, stats): (f64, RankStats),
        places: &[u32],
        (magnitude, eps): (f64, f64),
    ) -> Quiet {
        let (xv, yv) = (sides.x.values(), sides.y.values());
        let empty = Quiet {
            shift: r,
            lo: r,
            hi: r,
            stats,
        };
        // (A tie at `r` would also make the least gap 0 and the interval empty.)
        if places.len() != xv.len() || stats.equal != 0 {
            return empty;
        }
        let (mut up, mut down) = (f64::INFINITY, f64::INFINITY);
        for (&x, &p) in xv.iter().zip(places) {
            let v = x - r;
            let p = p as usize;
            if let Some(&y) = yv.get(p) {
                up = up.min(y - v);
            }
            if let Some(&y) = p.checked_sub(1).and_then(|k| yv.get(k)) {
                down = down.min(v - y);
            }
        }
        let (below, above) = (up - eps, down - eps);
        if !(below > 0.0 && above > 0.0) {
            return empty;
        }
        Quiet {
            lo: (r - below).max(-2.0 * magnitude),
            hi: (r + above).min(2.0 * magnitude),
            ..empty
        }
    }

    /// True when `d` lies strictly inside the interval.
    pub(super) fn holds(&self, d: f64) -> bool {
        self.lo < d && d < self.hi
    }

    /// The statistics at `d`, if it lies strictly inside the interval.
    pub(super) fn stats(&self, d: f64) -> Option<RankStats> {
        self.holds(d).then_some(self.stats)
    }
}

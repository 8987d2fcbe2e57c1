//! The counting pass as a merge: one walk over the runs of `x − d` and `y` in step, cut into
//! [`LANES`] independent chains. Used when the bucket index does not fit the data (values packed
//! so tightly somewhere that a bucket would hold more than a few runs).

use super::runs::Sides;
use super::RankStats;

/// Independent merge chains.
const LANES: usize = 4;
/// Runs of `x` from which the pass uses several chains.
const ONE_LANE_BELOW: usize = 256;
/// Runs of `y` compared with one `x − d` per step.
const STRIDE: usize = 4;

/// The rank statistics at `d` by merging, or `None` when the pass cannot vouch for them (the
/// caller then takes the general merge). Assumes what [`super::RankSumEvaluator`] checks first:
/// every `x − d` finite and distinct runs of `x` still distinct after subtracting `d`.
///
/// With `places` (one entry per run of `x`), the pass also writes there, for each run of `x`,
/// the number of runs of `y` below its `x − d`.
pub(super) fn count(sides: &Sides, d: f64, places: Option<&mut [u32]>) -> Option<RankStats> {
    match places {
        Some(places) if places.len() == sides.x.len() => {
            merge::<false, true>(sides, d, places).or_else(|| merge::<true, true>(sides, d, places))
        }
        Some(_) => None,
        None => merge::<false, false>(sides, d, &mut [])
            .or_else(|| merge::<true, false>(sides, d, &mut [])),
    }
}

/// One pass over the runs of `x` and `y` in step: each step either consumes a `y` run lying
/// below the current `x − d`, or scores the current `x` run against the `y` below it.
///
/// A merge is a chain of dependent loads and compares, so the runs of `x` are cut into
/// [`LANES`] segments merged in lockstep, each starting at its first `y` run by binary
/// search: independent chains let the processor overlap them (about 3× faster than one chain
/// here). The sums are integers, so the order in which lanes add them does not matter.
///
/// With `TIES == false` the pass returns `None` when it met an `x − d` equal to a `y`
/// (rare away from the bracket ends), so the caller runs it again with `TIES == true`, which
/// also counts those pairs and their tie groups (each `x` run meets at most one `y` run, since
/// runs of `x` stay distinct).
///
/// With `PLACE`, each step also stores the current `y` run index at the current `x` run in
/// `places`: the last store for a run is made when the run is scored, so it is the run's place.
fn merge<const TIES: bool, const PLACE: bool>(
    sides: &Sides,
    d: f64,
    places: &mut [u32],
) -> Option<RankStats> {
    let xv = sides.x.values.as_slice();
    let xc = sides.x.counts.as_slice();
    let yv = sides.y_padded.as_slice();
    let yb = sides.y.below.as_slice();
    let m = sides.y.len();
    let mut equal: u128 = 0;
    let mut ties = sides.base_ties();
    // `yv` holds the y runs then +∞ sentinels, `yb` one entry per y run plus one.
    if yv.len() < m + STRIDE || yb.len() != m + 1 || yv[m] != f64::INFINITY || xv.len() != xc.len()
    {
        return None;
    }
    if PLACE && (places.len() != xv.len() || u32::try_from(m).is_err()) {
        return None;
    }
    let runs = xv.len();
    // Small samples run as one chain (the last lane): setting the others up would cost more
    // than it saves.
    let one_lane = runs < ONE_LANE_BELOW;
    let bound = |lane: usize| match lane {
        LANES.. => runs,
        _ if one_lane => 0,
        _ => runs * lane / LANES,
    };
    let start = |lane: usize| {
        let i = bound(lane);
        let p = match xv.get(i) {
            Some(&x) if i < bound(lane + 1) => {
                let v = x - d;
                yv[..=m].partition_point(|&y| y < v)
            }
            _ => 0,
        };
        (i, p)
    };

    // One merge step of a lane: `i` indexes the x runs, `p` the y runs, `acc` sums A.
    // (Four lanes keep every index, end and sum in a register; more lanes spill.)
    //
    // SAFETY of the unchecked reads: every loop running a step first checks `i < end` for
    // its lane, with `end ≤ runs == xv.len() == xc.len()`. `p` starts at a partition point of
    // `yv[..=m]`, whose last entry is +∞, and grows only while `yv[p] < x − d`, which the
    // sentinel at `m` never is (every `x − d` is finite); so `p ≤ m < yb.len() ≤ yv.len()`.
    // With `PLACE`, `places.len() == runs` and `m` fits a `u32` (checked above).
    macro_rules! step {
        ($i:ident, $p:ident, $acc:ident, $tied:ident) => {{
            debug_assert!($i < runs && $p <= m);
            // SAFETY: see above.
            let v = unsafe { *xv.get_unchecked($i) } - d;
            // How many of the next STRIDE runs of y lie below v: they are sorted, so these are
            // the first `c` of them, and when c < STRIDE the place of v is found.
            // SAFETY: `p ≤ m` and `yv` has at least STRIDE entries from `m` on.
            let c = unsafe {
                usize::from(*yv.get_unchecked($p) < v)
                    + usize::from(*yv.get_unchecked($p + 1) < v)
                    + usize::from(*yv.get_unchecked($p + 2) < v)
                    + usize::from(*yv.get_unchecked($p + 3) < v)
            };
            let done = c < STRIDE;
            $p += c;
            // SAFETY: see above (`p` still ≤ m: the sentinel at `m` is never below v).
            let (y, score) = unsafe {
                (
                    *yv.get_unchecked($p),
                    *xc.get_unchecked($i) * *yb.get_unchecked($p),
                )
            };
            $acc += u64::from(done) * score;
            let equal_here = done & (y == v);
            $tied |= equal_here;
            if PLACE {
                // SAFETY: see above; `p ≤ m ≤ u32::MAX`.
                unsafe { *places.get_unchecked_mut($i) = $p as u32 };
            }
            if TIES && equal_here {
                // A run of y equal to v is a real run (the sentinel is +∞, v is finite).
                let (e, t) = sides.joined_ties($i, $p);
                equal += e;
                ties += t;
            }
            $i += usize::from(done);
        }};
    }

    let ((mut i0, mut p0), (mut i1, mut p1)) = (start(0), start(1));
    let ((mut i2, mut p2), (mut i3, mut p3)) = (start(2), start(3));
    let (e0, e1, e2, e3) = (bound(1), bound(2), bound(3), runs);
    let (mut a0, mut a1, mut a2, mut a3) = (0u64, 0u64, 0u64, 0u64);
    let mut tied = false;
    while i0 < e0 && i1 < e1 && i2 < e2 && i3 < e3 {
        step!(i0, p0, a0, tied);
        step!(i1, p1, a1, tied);
        step!(i2, p2, a2, tied);
        step!(i3, p3, a3, tied);
    }
    while i0 < e0 {
        step!(i0, p0, a0, tied);
    }
    while i1 < e1 {
        step!(i1, p1, a1, tied);
    }
    while i2 < e2 {
        step!(i2, p2, a2, tied);
    }
    while i3 < e3 {
        step!(i3, p3, a3, tied);
    }
    if tied && !TIES {
        return None;
    }
    let less = u128::from(a0) + u128::from(a1) + u128::from(a2) + u128::from(a3);
    Some(RankStats { less, equal, ties })
}

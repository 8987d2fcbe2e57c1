//! Shifts inside a narrow band: once two answered shifts `lo < hi` have few pairs between
//! them, the pairs of runs whose difference lies in the band are gathered once, and every later
//! shift in the band is answered from them without a pass.
//!
//! Why this is exact: for a pair of runs `(x, y)` with `s = fl(x − y)`, whether `y < fl(x − d)`
//! can differ between two shifts `a ≤ b` only when `s` lies within `ε` of `[a, b]`, and
//! `fl(x − d) == y` only when `s` lies within `ε` of `d`, for `ε = 16·M·2⁻⁵²` with `M` the largest
//! |value| and |d| ≤ 2M: `s`, `fl(x − d)` and the bounds below each carry a rounding error of at
//! most 3M·2⁻⁵³, far inside ε. So the statistics at `d` are those at a known shift `r`, corrected
//! by the band's pairs between `r` and `d`, each compared at both shifts exactly as the full
//! pass compares it.
//!
//! A band is kept in one of two forms:
//! - **clustered**, when all its pairs share one difference up to rounding (values on a grid:
//!   with 10⁵ points a side on a 0.001 grid, tens of thousands of pairs tie at each difference,
//!   and Brent's method brackets that one jump for many steps): only the differences' range and
//!   the pairs' total weight are kept. A shift clear of the range by ε sees every pair on the
//!   same side, so it costs nothing; one within ε of it gets no answer here (a pass answers it).
//! - **listed**, otherwise, when there are at most a budget of pairs: sorted by difference; a
//!   shift costs a binary search and the pairs between it and the nearer known shift.

use super::runs::Sides;
use super::RankStats;

/// A pair of runs and its rounded difference.
#[derive(Debug, Clone, Copy)]
struct Pair {
    s: f64,
    x: u32,
    y: u32,
}

/// The pairs of runs that can change between two answered shifts, in one of two forms.
#[derive(Debug, Clone)]
pub(super) struct Band {
    lo: f64,
    hi: f64,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// Every pair, sorted by `s`.
    Listed(Vec<Pair>),
    /// Every pair has `s` in `[min, max]`, with `max − min ≤ 2ε`; `weight` is the sum over the
    /// pairs of the product of the two run sizes.
    Cluster { min: f64, max: f64, weight: u128 },
}

impl Band {
    /// Gathers the pairs of the band `[lo, hi]` from the places of every run of `x` at both
    /// shifts (`at_lo`, `at_hi`: runs of `y` below `x − lo`, `x − hi`). The pairs that can change
    /// between `lo` and `hi` are, for each run of `x`, the runs of `y` from its place at `hi` up
    /// to its place at `lo`, that last one only when it equals `x − lo` (which can happen only
    /// when `lo_met`: some `x − lo` equals a `y`).
    ///
    /// A cluster when all pairs share one difference (within 2ε), else a listed band when there
    /// are at most `limit` pairs, else `None` — found out as soon as both are ruled out.
    pub(super) fn gather(
        sides: &Sides,
        (lo, at_lo, lo_met): (f64, &[u32], bool),
        (hi, at_hi): (f64, &[u32]),
        limit: usize,
        eps: f64,
    ) -> Option<Band> {
        let (xv, yv, yb) = (sides.x.values(), sides.y.values(), &sides.y.below);
        if at_lo.len() != xv.len() || at_hi.len() != xv.len() {
            return None;
        }
        // The y runs of x run `i` in the band.
        let span = |i: usize, x: f64| {
            let (from, mut to) = (at_hi[i] as usize, at_lo[i] as usize);
            if lo_met && yv.get(to) == Some(&(x - lo)) {
                to += 1;
            }
            from..to
        };
        // First walk: the range of differences, the number of pairs and their total weight,
        // each run's share from its first and last pair alone (differences fall as `y` rises,
        // and rounding keeps that order). Most runs of x have no pair in the band.
        let (mut min, mut max, mut weight, mut count) =
            (f64::INFINITY, f64::NEG_INFINITY, 0u128, 0usize);
        // The runs of x with pairs in the band, for the second walk (only while they can all be
        // listed: a band with more pairs is a cluster or not gathered).
        let mut with_pairs: Vec<u32> = Vec::new();
        let mut i = 0;
        while let Some(&x) = xv.get(i) {
            // Without `lo_met`, a run has pairs only where its places differ: eight runs
            // with equal places are passed over at once.
            if !lo_met {
                if let (Some(a), Some(b)) = (at_hi.get(i..i + 8), at_lo.get(i..i + 8)) {
                    if a.iter().zip(b).fold(0, |acc, (p, q)| acc | (p ^ q)) == 0 {
                        i += 8;
                        continue;
                    }
                }
            }
            let ys = span(i, x);
            let run = i;
            i += 1;
            if ys.is_empty() {
                continue;
            }
            let (first, last) = (yv.get(ys.start)?, yv.get(ys.end - 1)?);
            (min, max) = (min.min(x - last), max.max(x - first));
            let y_values = yb.get(ys.end)? - yb.get(ys.start)?;
            weight += u128::from(sides.x.count(run)) * u128::from(y_values);
            count += ys.len();
            if count <= limit {
                with_pairs.push(u32::try_from(run).ok()?);
            }
            if count > limit && max - min > 2.0 * eps {
                return None;
            }
        }
        if weight > 0 && max - min <= 2.0 * eps {
            let kind = Kind::Cluster { min, max, weight };
            return Some(Band { lo, hi, kind });
        }
        if count > limit {
            return None;
        }
        // Second walk: list them.
        let mut pairs = Vec::with_capacity(count);
        for i in with_pairs {
            let i = i as usize;
            let x = *xv.get(i)?;
            for k in span(i, x) {
                let s = x - *yv.get(k)?;
                let (x, y) = (u32::try_from(i).ok()?, u32::try_from(k).ok()?);
                pairs.push(Pair { s, x, y });
            }
        }
        pairs.sort_unstable_by(|a, b| a.s.total_cmp(&b.s));
        let kind = Kind::Listed(pairs);
        Some(Band { lo, hi, kind })
    }

    /// True when the band holds every pair that can matter between `lo` and `hi`.
    pub(super) fn covers(&self, lo: f64, hi: f64) -> bool {
        self.lo <= lo && hi <= self.hi
    }

    /// True for a clustered band.
    #[cfg(test)]
    pub(super) fn is_cluster(&self) -> bool {
        matches!(self.kind, Kind::Cluster { .. })
    }

    /// Number of pairs held.
    pub(super) fn len(&self) -> usize {
        match &self.kind {
            Kind::Listed(pairs) => pairs.len(),
            Kind::Cluster { .. } => 0,
        }
    }

    /// The statistics at `d`, from those at one of the known shifts `lo < d < hi` (both inside
    /// the band); `None` for a shift within ε of a cluster.
    pub(super) fn stats(
        &self,
        sides: &Sides,
        d: f64,
        lo: (f64, RankStats),
        hi: (f64, RankStats),
        eps: f64,
    ) -> Option<RankStats> {
        match &self.kind {
            Kind::Listed(pairs) => Some(listed_stats(pairs, sides, d, lo, hi, eps)),
            &Kind::Cluster { min, max, weight } => {
                // Whether every pair counts as below `x − v` at `v` (`None`: too close to tell).
                let below_all = |v: f64| {
                    if v < min - eps {
                        Some(true)
                    } else if v > max + eps {
                        Some(false)
                    } else {
                        None
                    }
                };
                let at_d = below_all(d)?;
                let (known, at_r) = [lo, hi]
                    .into_iter()
                    .find_map(|(r, known)| Some((known, below_all(r)?)))?;
                let less = match (at_d, at_r) {
                    (true, false) => known.less + weight,
                    (false, true) => known.less - weight,
                    _ => known.less,
                };
                // No pair lies within ε of d, so nothing ties there.
                Some(RankStats {
                    less,
                    equal: 0,
                    ties: sides.base_ties(),
                })
            }
        }
    }
}

/// [`Band::stats`] for listed pairs: from whichever known shift has fewer pairs between it and
/// `d`.
fn listed_stats(
    pairs: &[Pair],
    sides: &Sides,
    d: f64,
    lo: (f64, RankStats),
    hi: (f64, RankStats),
    eps: f64,
) -> RankStats {
    let at = |v: f64| pairs.partition_point(|p| p.s < v);
    let after = |v: f64| pairs.partition_point(|p| p.s <= v);
    let (below_lo, above_d) = (at(lo.0 - eps), after(d + eps));
    let (below_d, above_hi) = (at(d - eps), after(hi.0 + eps));
    let (reference, range) = if above_d - below_lo <= above_hi - below_d {
        (lo, below_lo..above_d)
    } else {
        (hi, below_d..above_hi)
    };
    let (r, known) = reference;
    let (mut gained, mut lost, mut equal) = (0u128, 0u128, 0u128);
    let mut ties = sides.base_ties();
    for p in &pairs[range] {
        let (i, k) = (p.x as usize, p.y as usize);
        let (x, y) = (sides.x.values()[i], sides.y.values()[k]);
        let w = u128::from(sides.x.count(i)) * u128::from(sides.y.count(k));
        let (at_d, at_r) = (x - d, x - r);
        if y < at_d {
            gained += w;
        }
        if y < at_r {
            lost += w;
        }
        if y == at_d {
            let (e, t) = sides.joined_ties(i, k);
            equal += e;
            ties += t;
        }
    }
    RankStats {
        less: known.less + gained - lost,
        equal,
        ties,
    }
}

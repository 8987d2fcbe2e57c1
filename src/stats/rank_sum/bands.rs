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
//! - **listed**, otherwise, when there are at most a budget of pairs: a shift costs a scan of
//!   their differences and the pairs between it and the nearer known shift.

use super::runs::Sides;
use super::Counts;

/// The pairs of runs that can change between two answered shifts, in one of two forms.
#[derive(Debug, Clone)]
pub(super) struct Band {
    lo: f64,
    hi: f64,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// Every pair: its rounded difference `s = fl(x − y)` and its runs (of `x`, of `y`), in the
    /// order gathered. Not sorted: a band answers a few shifts (on latency-like data about nine
    /// a band at 60 points a side, five or six at 1 000, one to five at 10 000), and scanning
    /// its differences for each costs less than sorting them once (one interval from sorted
    /// sides, throwaway loop, alternating builds: continuous data at 10 000 points a side
    /// 366–370 → 290 µs, at 60 points 6.1 → 5.5 µs, latency-like at 60 points 6.9 → 6.1 µs,
    /// but 2–3% slower at 10 000, where a band of ~3 000 pairs answers five shifts).
    Listed {
        diffs: Vec<f64>,
        runs: Vec<(u32, u32)>,
    },
    /// Every pair has `s` in `[min, max]`, with `max − min ≤ 2ε`; `weight` is the sum over the
    /// pairs of the product of the two run sizes.
    Cluster { min: f64, max: f64, weight: u64 },
}

impl Band {
    /// Gathers the pairs of the band `[lo, hi]` from the places of every run of `x` at both
    /// shifts (`at_lo`, `at_hi`: runs of `y` below `x − lo`, `x − hi`). The pairs that can change
    /// between `lo` and `hi` are, for each run of `x`, the runs of `y` from its place at `hi` up
    /// to its place at `lo`, that last one only when it equals `x − lo` (which can happen only
    /// when `lo_met`: some `x − lo` equals a `y`).
    ///
    /// A cluster when all pairs share one difference (within 2ε), else a listed band when there
    /// are at most `limit` pairs, else `None` — found out as soon as both are ruled out, which
    /// is at once for a band with differences apart when the caller knows it has more pairs
    /// than `limit` (`listable` false). `scratch` is working space; its contents are replaced.
    pub(super) fn gather(
        sides: &Sides,
        (lo, at_lo, lo_met): (f64, &[u32], bool),
        (hi, at_hi): (f64, &[u32]),
        (limit, listable): (usize, bool),
        eps: f64,
        scratch: &mut Vec<u32>,
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
            (f64::INFINITY, f64::NEG_INFINITY, 0u64, 0usize);
        // The runs of x with pairs in the band, for the second walk (only while they can all be
        // listed: a band with more pairs is a cluster or not gathered), in the caller's vector,
        // kept from band to band, with room for a typical band's runs at once (capped, as
        // `limit` can be large): a new vector per band, grown from empty, took several
        // allocations each time.
        let with_pairs = scratch;
        with_pairs.clear();
        with_pairs.reserve(limit.min(256));
        for run in Candidates::new(at_hi, at_lo, lo_met) {
            let x = *xv.get(run)?;
            let ys = span(run, x);
            if ys.is_empty() {
                continue;
            }
            let (first, last) = (yv.get(ys.start)?, yv.get(ys.end - 1)?);
            (min, max) = (min.min(x - last), max.max(x - first));
            let y_values = yb.get(ys.end)? - yb.get(ys.start)?;
            weight += sides.x.count(run) * y_values;
            count += ys.len();
            if count <= limit {
                with_pairs.push(u32::try_from(run).ok()?);
            }
            if (count > limit || !listable) && max - min > 2.0 * eps {
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
        let (mut diffs, mut runs) = (Vec::with_capacity(count), Vec::with_capacity(count));
        for &i in with_pairs.iter() {
            let run = i as usize;
            let x = *xv.get(run)?;
            for k in span(run, x) {
                diffs.push(x - *yv.get(k)?);
                runs.push((i, u32::try_from(k).ok()?));
            }
        }
        let kind = Kind::Listed { diffs, runs };
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
            Kind::Listed { diffs, .. } => diffs.len(),
            Kind::Cluster { .. } => 0,
        }
    }

    /// The statistics at `d`, from those at one of the known shifts `lo < d < hi` (both inside
    /// the band); `None` for a shift within ε of a cluster.
    pub(super) fn stats(
        &self,
        sides: &Sides,
        d: f64,
        lo: (f64, Counts),
        hi: (f64, Counts),
        eps: f64,
    ) -> Option<Counts> {
        match &self.kind {
            Kind::Listed { diffs, runs } => {
                Some(listed_stats((diffs, runs), sides, d, lo, hi, eps))
            }
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
                Some(Counts {
                    less,
                    equal: 0,
                    ties: sides.base_ties(),
                })
            }
        }
    }
}

/// [`Band::stats`] for listed pairs: from the nearer known shift (either gives the same
/// statistics; the nearer one usually has fewer pairs between it and `d` to correct for).
fn listed_stats(
    (diffs, runs): (&[f64], &[(u32, u32)]),
    sides: &Sides,
    d: f64,
    lo: (f64, Counts),
    hi: (f64, Counts),
    eps: f64,
) -> Counts {
    // The pairs that can change between the nearer known shift and `d`: those whose difference
    // lies between them, widened by ε at both ends.
    let ((r, known), (from, to)) = if d - lo.0 <= hi.0 - d {
        (lo, (lo.0 - eps, d + eps))
    } else {
        (hi, (d - eps, hi.0 + eps))
    };
    let (mut gained, mut lost, mut equal) = (0u64, 0u64, 0u64);
    let mut ties = sides.base_ties();
    for (&s, &(i, k)) in diffs.iter().zip(runs) {
        if s < from || s > to {
            continue;
        }
        let (i, k) = (i as usize, k as usize);
        let (x, y) = (sides.x.values()[i], sides.y.values()[k]);
        let w = sides.x.count(i) * sides.y.count(k);
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
    Counts {
        less: known.less + gained - lost,
        equal,
        ties,
    }
}

/// The runs of `x` that can have pairs in a band: without `lo_met`, those whose places at the
/// two shifts differ, found 64 at a time as a bit mask (most runs have none, and a branch per
/// run would mispredict at each that has); with it, every run.
struct Candidates<'p> {
    at_hi: &'p [u32],
    at_lo: &'p [u32],
    every: bool,
    /// The first run of the current group of 64, and which of them are candidates not yet
    /// returned.
    base: usize,
    bits: u64,
    /// The next run to look at.
    next: usize,
}

impl<'p> Candidates<'p> {
    /// The candidates among the runs placed by both lists (all of them when `every`).
    fn new(at_hi: &'p [u32], at_lo: &'p [u32], every: bool) -> Self {
        Candidates {
            at_hi,
            at_lo,
            every,
            base: 0,
            bits: 0,
            next: 0,
        }
    }
}

impl Iterator for Candidates<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let runs = self.at_hi.len().min(self.at_lo.len());
        if self.every {
            let run = self.next;
            self.next += 1;
            return (run < runs).then_some(run);
        }
        while self.bits == 0 {
            let start = self.next;
            let end = runs.min(start + 64);
            if start >= end {
                return None;
            }
            let (hi, lo) = (&self.at_hi[start..end], &self.at_lo[start..end]);
            self.bits = differ(hi, lo);
            self.base = start;
            self.next = end;
        }
        let k = self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Some(self.base + k)
    }
}

/// Bit `k` set where `a[k] != b[k]`, for `k` below 64 and both lengths (entries past those are
/// ignored).
fn differ(a: &[u32], b: &[u32]) -> u64 {
    // Whether each pair differs, as bytes (vectorised), then eight bytes at a time packed into
    // eight bits by one multiplication (each 0/1 byte moved to its own bit of the top byte).
    let mut ne = [0u8; 64];
    for ((d, x), y) in ne.iter_mut().zip(a).zip(b) {
        *d = u8::from(x != y);
    }
    let mut bits = 0u64;
    for (j, chunk) in ne.chunks_exact(8).enumerate() {
        let word = u64::from_le_bytes([
            chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
        ]);
        bits |= (word.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * j);
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The candidates are exactly the runs whose places differ (every run with `lo_met`), in
    /// order, for lengths around multiples of 64 and differences at every position of a word.
    #[test]
    fn candidates_are_the_runs_whose_places_differ() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for len in [0usize, 1, 7, 8, 63, 64, 65, 127, 128, 129, 200] {
            for density in [0u64, 1, 8, 32, 64] {
                let at_hi: Vec<u32> = (0..len as u32).collect();
                let at_lo: Vec<u32> = at_hi
                    .iter()
                    .map(|&p| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        p + u32::from(state % 64 < density)
                    })
                    .collect();
                let differing: Vec<usize> = (0..len).filter(|&k| at_hi[k] != at_lo[k]).collect();
                let found: Vec<usize> = Candidates::new(&at_hi, &at_lo, false).collect();
                assert_eq!(found, differing, "len {len} density {density}");
                let every: Vec<usize> = Candidates::new(&at_hi, &at_lo, true).collect();
                assert_eq!(every, (0..len).collect::<Vec<_>>());
            }
        }
        for k in 0..64 {
            let (a, mut b) = ([5u32; 64], [5u32; 64]);
            b[k] = 6;
            assert_eq!(differ(&a, &b), 1 << k);
        }
    }
}

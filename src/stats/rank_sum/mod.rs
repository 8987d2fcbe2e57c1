//! The rank statistics of `x − d` against `y` for many shifts `d`, after one sort: what every
//! evaluation of the Mann-Whitney z-function needs.
//!
//! For a shift `d`, with `v_i = x_i − d` computed in binary64, the z-function needs
//! - twice the rank sum of the `v` in the pooled sample (average ranks), and
//! - Σ(t³ − t) over the pooled sample's groups of equal values.
//!
//! Twice the rank sum is `n(n + 1) + 2A + B`, where `A` counts pairs with `y_j < v_i` and `B`
//! pairs with `y_j == v_i`: the ranks of the `x` among themselves always add to `n(n + 1)/2`.
//! Both are exact integers, so the results are bit-identical to ranking afresh.
//!
//! [`RankSumEvaluator`] answers the shifts of one root search after another and remembers each
//! answer but those from a band or a quiet interval already made (Kayenta's three searches
//! share their two starting shifts, and later searches land between shifts the earlier ones
//! answered). A new shift is answered in one of four ways, all exact:
//! - near the ends (`min(x) − max(y)`, `max(x) − min(y)`): all but a few runs of `x − d` lie
//!   above (below) every `y`; those few are placed by binary search, the others at once;
//! - from a [`bands::Band`], when the two answered shifts around it have few pairs between them
//!   (the last steps of each search, where Brent's method creeps up on the root): the pairs of
//!   runs whose difference lies in that band are gathered once — listed, or, when they all
//!   share one difference, summed — and each later shift in the band costs a scan of the
//!   listed differences and the pairs near it, or nothing;
//! - from a [`quiet::Quiet`] interval, when it lies between an answered shift and the nearest
//!   pair difference on its side, where nothing changes: on data on a grid Brent's method
//!   often creeps in steps smaller than the grid while its bracket is still wide. An interval
//!   costs at most one loop over the places of the runs of `x` (it stops as soon as it sees the
//!   shift will fall outside) and is tried only for a shift closer to an answered one than any
//!   two values of a sample are to each other;
//! - otherwise by one counting pass over the runs of both samples, [`lanes`], which also notes
//!   where each run of `x` falls among the runs of `y`: those places, kept for the last
//!   [`BAND_PASSES`] passes (more on heavily tied data, see [`passes_kept`]), are what bands
//!   and quiet intervals are formed from.
//!
//! The fast answers assume distinct `x` values stay distinct after subtracting `d` and that the
//! two zeros do not meet, and they count in 64 bits ([`Counts`]); the evaluator checks first
//! that all of this holds (every count fits for any samples that fit in memory, unless over a
//! million values a side are nearly all tied) and otherwise takes the general merge, which
//! handles every case in 128 bits: [`merged_rank_stats`] over the runs of both samples, in
//! O(n' + m') (`merged_run_stats`). Memory beyond the runs: the places of two passes (a `u32`
//! per run of `x`; on heavily tied data as many passes' as fit 4 KB, up to 16) and at most
//! `(n' + m')/4` listed pairs (at least 64; 16 bytes each), for `n'`, `m'` runs.
//! Time: a band is gathered only when it holds about [`CLUSTER_READ`] × (n' + m')
//! pairs of runs or fewer, so gathering costs about a pass or two.

mod bands;
mod lanes;
mod places;
mod quiet;
mod runs;

use super::sample::order_key;
use bands::Band;
use places::KeptPlaces;
use quiet::Quiet;
use runs::Sides;
use std::cmp::Ordering;

/// The counts behind the z-function at one shift `d`: in 128 bits (the default) wherever any
/// sample sizes must be handled, in 64 ([`Counts`]) in the evaluator's fast answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RankStats<T = u128> {
    /// Pairs `(i, j)` with `y_j < x_i − d`.
    pub(crate) less: T,
    /// Pairs `(i, j)` with `y_j == x_i − d`.
    pub(crate) equal: T,
    /// Σ(t³ − t) over the pooled sample's groups of equal values.
    pub(crate) ties: T,
}

impl RankStats {
    /// Twice the rank sum of `x − d`, for an `x` of `n` values.
    pub(crate) fn rank_sum_twice(&self, n: u128) -> u128 {
        n * (n + 1) + 2 * self.less + self.equal
    }
}

/// [`RankStats`] in 64 bits, as the evaluator's fast answers count and keep them: half the
/// size to move and store, one register an addition. They fit whenever those answers are
/// taken (see [`RankSumEvaluator::new`]). Made fresh 20 × 60 requests 2–3% faster than
/// counting in 128 bits.
pub(super) type Counts = RankStats<u64>;

impl Counts {
    /// The same counts in 128 bits.
    pub(super) fn widen(self) -> RankStats {
        RankStats {
            less: self.less.into(),
            equal: self.equal.into(),
            ties: self.ties.into(),
        }
    }
}

/// The rank statistics of `x − d`, by merging the sorted samples. Exact for any input: ties are
/// decided by `total_cmp` after the subtraction.
pub(crate) fn merged_rank_stats(x: &[f64], y: &[f64], d: f64) -> RankStats {
    merge_weighted((x, |_| 1), (y, |_| 1, |j| j as u128), d)
}

/// [`tie_term`] in 64 bits, for the fast answers, where `t³` fits (see [`RankSumEvaluator::new`]).
fn narrow_tie_term(t: u64) -> u64 {
    t * t * t - t
}

/// [`merged_rank_stats`] over the runs of both samples: the same statistics, exact for any
/// samples the runs were built from, in O(n' + m') for n', m' runs. Runs of `x` that meet after
/// subtracting `d` are joined as values would be; `-0.0` and `0.0` are two runs, as `total_cmp`
/// tells them apart.
fn merged_run_stats(sides: &Sides, d: f64) -> RankStats {
    let (xs, ys) = (&sides.x, &sides.y);
    let x = (xs.values(), |i| u128::from(xs.count(i)));
    let below = |j: usize| ys.below.get(j).map_or(0, |&b| u128::from(b));
    merge_weighted(x, (ys.values(), |j| u128::from(ys.count(j)), below), d)
}

/// The merge of [`merged_rank_stats`] and [`merged_run_stats`]: `x` and `y` sorted by
/// `total_cmp`, each entry standing for `weight(i)` equal values, and `below(j)` the values of
/// `y` below entry `j` (all of them for `j` = its length). Entries of `x` equal after
/// subtracting `d` are joined, as are equal entries of `y`.
fn merge_weighted(
    (x, x_weight): (&[f64], impl Fn(usize) -> u128),
    (y, y_weight, below): (&[f64], impl Fn(usize) -> u128, impl Fn(usize) -> u128),
    d: f64,
) -> RankStats {
    let (n, m) = (x.len(), y.len());
    let (mut i, mut j) = (0usize, 0usize);
    let mut stats = RankStats {
        less: 0,
        equal: 0,
        ties: 0,
    };
    while i < n || j < m {
        let xv = if i < n { x[i] - d } else { f64::NAN };
        let v = if j >= m || (i < n && xv.total_cmp(&y[j]) != Ordering::Greater) {
            xv
        } else {
            y[j]
        };
        let y_below = below(j);
        let mut cx: u128 = 0;
        while i < n && (x[i] - d).total_cmp(&v) == Ordering::Equal {
            cx += x_weight(i);
            i += 1;
        }
        let mut cy: u128 = 0;
        while j < m && y[j].total_cmp(&v) == Ordering::Equal {
            cy += y_weight(j);
            j += 1;
        }
        let t = cx + cy;
        stats.less += cx * y_below;
        stats.equal += cx * cy;
        stats.ties += t * t * t - t;
    }
    stats
}

/// `t³ − t`, a tie group's share of the rank-sum variance correction (0 for t = 0 or 1).
pub(crate) fn tie_term(t: u64) -> u128 {
    // In 64 bits while t³ fits (t < 2²¹), as it nearly always does.
    if t < 1 << 21 {
        u128::from(t * t * t - t)
    } else {
        let t = u128::from(t);
        t * t * t - t
    }
}

/// A band is gathered only when at most this many times `n' + m'` pairs can lie in it (it may
/// then be a cluster, see [`bands`]); reading them costs about as much as a few passes.
const CLUSTER_READ: u64 = 4;

/// Most runs of `x` placed one at a time near the ends of the searches' range, where the other
/// runs all lie above or below every `y` (see [`near_the_ends`]).
const NEAR_END_RUNS: usize = 32;

/// The last passes whose places a band may be gathered from: keeping more made bands gather
/// more often, and over about 30 runs a side that costs more than the passes it saves (on
/// latency-like data at 1 000 points, 49 → 52 µs an interval, though 6% fewer passes).
const BAND_PASSES: usize = 2;

/// Bytes of places kept on heavily tied data (see [`passes_kept`]).
const PLACES_BYTES: usize = 4096;

/// Most passes whose places are kept.
const PLACES_MOST: usize = 16;

/// How many passes' places the evaluator keeps ([`KeptPlaces`]), for samples of `values` held
/// in `runs`: on heavily tied data (four or more values a run on average, as in counts and
/// flags) as many as fit [`PLACES_BYTES`], from [`BAND_PASSES`] to [`PLACES_MOST`]; otherwise
/// [`BAND_PASSES`]. On such data the pair differences lie on a coarse grid, Brent's three
/// searches keep coming back near shifts answered many passes before, and a quiet interval
/// from such a pass's places saves a pass (1 000-point zero-inflated counts: 24 passes an
/// interval → 13). On lightly tied data the older places mostly went unused, and keeping them
/// made fresh 20 × 60 requests 3–5% slower.
fn passes_kept(runs: (usize, usize), values: (usize, usize)) -> usize {
    let tied = 4 * (runs.0 + runs.1) <= values.0 + values.1;
    if tied {
        (PLACES_BYTES / (4 * runs.0.max(1))).clamp(BAND_PASSES, PLACES_MOST)
    } else {
        BAND_PASSES
    }
}

/// Answers [`merged_rank_stats`] for many shifts of the same two sorted samples, remembering
/// the shifts it has answered (but those answered from a band or from a quiet interval already
/// made: that answers them again).
#[derive(Debug, Clone)]
pub(crate) struct RankSumEvaluator {
    sides: Sides,
    /// Shifts answered by the fast passes, sorted, with their statistics; not those answered
    /// from a band or from a quiet interval already made, which answers them again. Each
    /// remembered shift costs two ordered inserts: on zero-inflated counts two answers in
    /// three come from quiet intervals (1 000-point intervals 5.8–5.9 → 4.4–4.5 µs without
    /// them), on fresh 20 × 60 requests 22 of a metric's 47 from bands (305 → 293 µs a request
    /// without them); on both, the same passes and bands were taken either way.
    known: Vec<(f64, Counts)>,
    /// The shifts of `known` as `total_cmp` order keys, searched instead of `known` (8 bytes a
    /// shift instead of a whole record, integer comparisons). The shift is kept in both: taking
    /// it back from the key wherever a neighbour is read, with the statistics alone in `known`,
    /// made fresh 20 × 60 requests 1.5% slower.
    known_keys: Vec<u64>,
    bands: Vec<Band>,
    /// The places of the runs of `x` (runs of `y` below each `x − d`) at recent passes' shifts.
    kept: KeptPlaces,
    /// Intervals of shifts around answered shifts where nothing changes.
    quiet: Vec<Quiet>,
    /// The pairs between the shifts of the last band that could not be gathered: no band with
    /// as many is tried again.
    failed_gather: u64,
    /// `ε` of [`bands`], or `None` when the values are too large or too small for bands.
    eps: Option<f64>,
    fast_possible: bool,
    /// Runs of `x` that [`near_the_ends`] may place one at a time: about as many as cost a pass
    /// (a binary search costs about log₂ m' steps, a pass about n'/4), at least 1, at most
    /// [`NEAR_END_RUNS`], and fewer than the runs of `x`.
    near_end_runs: usize,
    /// Working space of band gathering, kept from one gathering to the next.
    scratch: Vec<u32>,
}

impl RankSumEvaluator {
    /// Prepares for two samples sorted by `total_cmp` and free of NaN.
    pub(crate) fn new(x: &[f64], y: &[f64]) -> Self {
        let sides = Sides::new(x, y);
        // Sorted and free of NaN: all finite when the ends are.
        let finite = |s: &[f64]| s.first().into_iter().chain(s.last()).all(|v| v.is_finite());
        let all_finite = finite(x) && finite(y);
        // The fast passes compare with `<` and `==`, which agree with `total_cmp` as long as the
        // two zeros never meet; with no -0.0 in either sample, `x − d` is never -0.0 either.
        let no_negative_zero = !sides.x.has_negative_zero && !sides.y.has_negative_zero;
        // The fast answers count in 64 bits (`Counts`): pairs, at most n·m, and the tie term.
        // Runs of `x` stay distinct there, so a group of equal values joins at most a run of
        // each sample, t ≤ Lx + Ly for the largest runs, and Σ(t³ − t) < (Lx + Ly)²·(n + m).
        let (n, m) = (x.len() as u128, y.len() as u128);
        let joined = u128::from(sides.x.largest) + u128::from(sides.y.largest);
        let tie_bound = joined
            .checked_mul(joined)
            .and_then(|j| j.checked_mul(n + m));
        let fits = n * m < 1 << 62 && tie_bound.is_some_and(|b| b <= u128::from(u64::MAX));
        let fast_possible = all_finite && no_negative_zero && fits;
        let magnitude = sides.max_abs();
        // Bands need ε = 16·M·2⁻⁵² a normal number and |x − d| ≤ 3M finite.
        let eps = 16.0 * magnitude * f64::EPSILON;
        let eps = (eps >= f64::MIN_POSITIVE && magnitude <= 1e300).then_some(eps);
        let (runs_x, runs_y) = (sides.x.len(), sides.y.len());
        let searches = runs_x / (4 * (usize::BITS - runs_y.leading_zeros()).max(1) as usize);
        let near_end_runs = searches
            .clamp(1, NEAR_END_RUNS)
            .min(runs_x.saturating_sub(1));
        RankSumEvaluator {
            sides,
            // Kayenta's three searches take 30–50 evaluations in all.
            known: Vec::with_capacity(64),
            known_keys: Vec::with_capacity(64),
            bands: Vec::new(),
            quiet: Vec::new(),
            failed_gather: u64::MAX,
            eps,
            fast_possible,
            near_end_runs,
            kept: KeptPlaces::new(runs_x, passes_kept((runs_x, runs_y), (x.len(), y.len()))),
            scratch: Vec::new(),
        }
    }

    /// `(2 × rank sum of x − d, Σ(t³ − t))`, exactly as [`merged_rank_stats`] computes them.
    pub(crate) fn rank_stats(&mut self, d: f64) -> (u128, u128) {
        let stats = self.stats(d);
        (
            stats.rank_sum_twice(u128::from(self.sides.x.total())),
            stats.ties,
        )
    }

    fn stats(&mut self, d: f64) -> RankStats {
        if self.fast_applies(d) {
            if let Some(counts) = self.fast_stats(d) {
                return counts.widen();
            }
        }
        merged_run_stats(&self.sides, d)
    }

    /// The statistics at `d` from the fast answers, remembered unless answered from a band or
    /// from a quiet interval already made; `None` when the counting pass cannot vouch for them.
    /// `d` must be one where [`RankSumEvaluator::fast_applies`].
    fn fast_stats(&mut self, d: f64) -> Option<Counts> {
        if let Some(stats) = self.quiet.iter().find_map(|q| q.stats(d)) {
            return Some(stats);
        }
        let key = order_key(d);
        let at = self.known_keys.partition_point(|&k| k < key);
        if self.known_keys.get(at) == Some(&key) {
            if let Some(&(_, stats)) = self.known.get(at) {
                return Some(stats);
            }
        }
        if let Some(stats) = self.in_band(d, at) {
            return Some(stats);
        }
        let stats = match self.new_quiet(d, at) {
            Some(stats) => stats,
            None => self.pass(d)?,
        };
        self.known.insert(at, (d, stats));
        self.known_keys.insert(at, key);
        Some(stats)
    }

    /// One counting pass at `d`, keeping the places of the runs of `x` for gathering bands and
    /// quiet intervals later (replacing the oldest pass's places kept, see [`passes_kept`]).
    fn pass(&mut self, d: f64) -> Option<Counts> {
        let places = self.kept.begin();
        let stats = match near_the_ends(&self.sides, self.near_end_runs, d, places) {
            Some(stats) => stats,
            None => lanes::count(&self.sides, d, places)?,
        };
        self.kept.commit(d);
        Some(stats)
    }

    /// The statistics at `d` from a band between the known shifts around it (`known[at − 1]`
    /// and `known[at]`), gathering that band first when it is narrow enough and both shifts'
    /// places are kept; `None` when there is no such band or it cannot answer `d`.
    fn in_band(&mut self, d: f64, at: usize) -> Option<Counts> {
        let eps = self.eps?;
        let lo = *self.known.get(at.checked_sub(1)?)?;
        let hi = *self.known.get(at)?;
        if !(self.near(lo.0) && self.near(hi.0) && self.near(d)) {
            return None;
        }
        let band = match self.bands.iter().position(|b| b.covers(lo.0, hi.0)) {
            Some(found) => found,
            None => {
                // Pairs of values that can change between lo and hi; divided by the mean
                // weight of a pair of runs, about the pairs of runs gathering the band reads.
                let between = (lo.1.less + lo.1.equal).saturating_sub(hi.1.less);
                // (Below 2⁶⁴: n·m < 2⁶², see `new`.)
                let (runs_x, runs_y) = (self.sides.x.len() as u64, self.sides.y.len() as u64);
                let weight = (self.sides.x.total() * self.sides.y.total())
                    .checked_div(runs_x * runs_y)
                    .unwrap_or(1);
                let readable = CLUSTER_READ.saturating_mul(runs_x + runs_y);
                if between > readable.saturating_mul(weight.max(1)) || between >= self.failed_gather
                {
                    return None;
                }
                let held: usize = self.bands.iter().map(Band::len).sum();
                let room = self.band_capacity().saturating_sub(held);
                let limit = self.band_budget().min(room);
                // `between` is the pairs' total weight, and no pair of runs weighs more than
                // the two largest runs: past this many pairs, only a cluster can be gathered.
                let heaviest = self.sides.x.largest * self.sides.y.largest;
                let listable = between <= (limit as u64).saturating_mul(heaviest);
                let (at_lo, at_hi) = (self.kept_at(lo.0)?, self.kept_at(hi.0)?);
                if !self.kept.is_recent(at_lo, BAND_PASSES)
                    || !self.kept.is_recent(at_hi, BAND_PASSES)
                {
                    return None;
                }
                let Some(band) = Band::gather(
                    &self.sides,
                    (lo.0, self.kept.places(at_lo), lo.1.equal > 0),
                    (hi.0, self.kept.places(at_hi)),
                    (limit, listable),
                    eps,
                    &mut self.scratch,
                ) else {
                    // Too many pairs, and not one difference: a band with as many pairs will most
                    // likely fail too, so none is tried again.
                    self.failed_gather = between;
                    return None;
                };
                self.bands.push(band);
                self.bands.len() - 1
            }
        };
        self.bands[band].stats(&self.sides, d, lo, hi, eps)
    }

    /// The slot of [`KeptPlaces`] holding the places at the shift `v`: those of its pass, or, for
    /// a shift answered inside a quiet interval, those of the interval's shift (the same places).
    fn kept_at(&self, v: f64) -> Option<usize> {
        let kept = &self.kept;
        kept.slot_of(v)
            .or_else(|| kept.slot_of(self.quiet.iter().find(|q| q.holds(v))?.shift))
    }

    /// True for a shift within ±2M, `M` the largest |value|: where the error bounds of bands
    /// and quiet intervals hold.
    fn near(&self, v: f64) -> bool {
        v.abs() * 0.5 <= self.sides.max_abs()
    }

    /// The statistics at `d` from a new quiet interval from one of the known shifts around it
    /// towards `d` (the nearer first, then the other): one closer to `d` than any two distinct
    /// values of either sample are to each other (the sign of data on a grid, where such
    /// intervals are wide), whose places are kept (its own pass's, or those of the quiet
    /// interval it was answered from) and with no interval on that side yet; `None` when
    /// neither gives an interval holding `d`. (Trying only the nearer one failed whenever it
    /// had been answered from a quiet interval: Brent's bisection steps often land halfway
    /// between such a shift and a pass.)
    fn new_quiet(&mut self, d: f64, at: usize) -> Option<Counts> {
        let eps = self.eps?;
        let gate = self.sides.x.min_gap.min(self.sides.y.min_gap);
        let neighbours = [
            at.checked_sub(1).and_then(|k| self.known.get(k)),
            self.known.get(at),
        ];
        let usable =
            |&&(r, _): &&(f64, Counts)| (r - d).abs() < gate && self.near(r) && self.near(d);
        let [mut first, mut second] = neighbours.map(|k| k.filter(usable).copied());
        if let (Some(a), Some(b)) = (first, second) {
            if (b.0 - d).abs() < (a.0 - d).abs() {
                (first, second) = (second, first);
            }
        }
        for (r, stats) in [first, second].into_iter().flatten() {
            let below = d < r;
            if self
                .quiet
                .iter()
                .any(|q| q.shift.to_bits() == r.to_bits() && q.below == below)
            {
                continue;
            }
            let Some(kept) = self.kept_at(r) else {
                continue;
            };
            let places = self.kept.places(kept);
            let bounds = (self.sides.max_abs(), eps);
            let quiet = Quiet::towards(d, &self.sides, (r, stats), places, bounds);
            self.quiet.push(quiet);
            if let Some(stats) = quiet.stats(d) {
                return Some(stats);
            }
        }
        None
    }

    /// Most pairs listed for one band: an eighth of the runs of both samples, at least 32. A
    /// listed band's pairs are scanned at every shift it answers, and larger bands cost more
    /// than the passes they save (one interval from sorted sides, throwaway loop, alternating
    /// builds, with half, a quarter, an eighth and a sixteenth of the runs: an eighth took
    /// 1 000-point latency-like data 39.4–41.0 → 37.7–39.4 µs, continuous data at 10 000
    /// points 288–317 → 241–249 µs and at 10⁵ (sides' sorts included) 8.3–8.6 → 7.8–7.9 ms,
    /// against half).
    fn band_budget(&self) -> usize {
        ((self.sides.x.len() + self.sides.y.len()) / 8).max(32)
    }

    /// Most pairs held in all bands together, which bounds their memory.
    fn band_capacity(&self) -> usize {
        2 * self.band_budget()
    }

    /// True when no two distinct `x` values can round to the same `x − d` and every `x − d` is
    /// finite: then the runs of `x` stay runs and the fast answers are exact.
    fn fast_applies(&self, d: f64) -> bool {
        if !self.fast_possible || !d.is_finite() {
            return false;
        }
        let (Some(&lo), Some(&hi)) = (self.sides.x.values().first(), self.sides.x.values().last())
        else {
            return false;
        };
        let (a, b) = (lo - d, hi - d);
        if !a.is_finite() || !b.is_finite() {
            return false;
        }
        // fl(p − d) == fl(q − d) for p < q needs q − p ≤ ulp(max |x − d|) ≤ 2⁻⁵²·max|x − d|.
        let magnitude = a.abs().max(b.abs());
        self.sides.x.min_gap > magnitude * f64::EPSILON
    }
}

/// The statistics at a shift that puts all but at most `few` (at most [`NEAR_END_RUNS`]) runs
/// of `x − d` above every `y` (near the searches' lower end `min(x) − max(y)`) or below every
/// `y` (near the upper end `max(x) − min(y)`), where they need no pass: those runs are placed
/// one at a time by binary search, the others all at once. (At the ends themselves rounding
/// can leave `max(x) − d` just above `min(y)` or `min(x) − d` just below `max(y)`.) `None` for
/// any other shift. Also writes the place of every run of `x` to `places`.
fn near_the_ends(sides: &Sides, few: usize, d: f64, places: &mut [u32]) -> Option<Counts> {
    let (xv, yv) = (sides.x.values(), sides.y.values());
    let (&y_min, &y_max) = (yv.first()?, yv.last()?);
    // Near the lower end when the run `few` places from the first is above every y, near
    // the upper one when the run `few` places from the last is below every y.
    let lower = *xv.get(few)? - d > y_max;
    if !lower && *xv.get(xv.len().checked_sub(few + 1)?)? - d >= y_min {
        return None;
    }
    let (xb, yb) = (&sides.x.below, &sides.y.below);
    let mut stats = Counts {
        less: 0,
        equal: 0,
        ties: sides.base_ties(),
    };
    // Places run `i` at `v = x_i − d` and scores it, with its ties; at or beyond an end of
    // `y` (the searches' ends themselves, typically) without a search.
    let mut place = |i: usize, v: f64| -> Option<u32> {
        let p = if v <= y_min {
            0
        } else if v >= y_max {
            yv.len() - usize::from(v == y_max)
        } else {
            yv.partition_point(|&y| y < v)
        };
        stats.less += sides.x.count(i) * *yb.get(p)?;
        if yv.get(p) == Some(&v) {
            let (equal, ties) = sides.joined_ties(i, p);
            stats.equal += equal;
            stats.ties += ties;
        }
        u32::try_from(p).ok()
    };
    if lower {
        // Runs from the first above every y are above all of them.
        places.fill(u32::try_from(yv.len()).ok()?);
        let above = (0..xv.len()).find(|&i| xv[i] - d > y_max)?;
        for (i, at) in places.iter_mut().enumerate().take(above) {
            *at = place(i, xv[i] - d)?;
        }
        let values_above = xb.last()? - xb.get(above)?;
        stats.less += values_above * *yb.last()?;
    } else {
        // Runs up to the last below every y have none below them.
        places.fill(0);
        let below = (0..xv.len()).rev().find(|&i| xv[i] - d < y_min);
        let first = below.map_or(0, |i| i + 1);
        for (i, at) in places.iter_mut().enumerate().skip(first) {
            *at = place(i, xv[i] - d)?;
        }
    }
    Some(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(x: &[f64], y: &[f64], d: f64) {
        let mut e = RankSumEvaluator::new(x, y);
        assert_eq!(
            e.stats(d),
            merged_rank_stats(x, y, d),
            "x {x:?} y {y:?} d {d}"
        );
    }

    /// Bisects towards `target` from the ends, checking every answer against the merge.
    fn bisect(e: &mut RankSumEvaluator, x: &[f64], y: &[f64], target: f64, steps: usize) {
        let (mut lo, mut hi) = (x[0] - y[y.len() - 1], x[x.len() - 1] - y[0]);
        for d in [lo, hi] {
            assert_eq!(e.stats(d), merged_rank_stats(x, y, d), "end {d}");
        }
        for _ in 0..steps {
            let d = lo + (hi - lo) * 0.5;
            assert_eq!(e.stats(d), merged_rank_stats(x, y, d), "d {d}");
            if d < target {
                lo = d;
            } else {
                hi = d;
            }
        }
    }

    fn spread(n: usize, seed: u64, step: f64) -> Vec<f64> {
        let mut state = seed;
        let mut v: Vec<f64> = (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((state >> 33) % 5000) as f64 * step
            })
            .collect();
        v.sort_by(f64::total_cmp);
        v
    }

    /// Over a million values a side, all tied: the tie term at 0 (t³ − t for t = 2.8·10⁶) is
    /// past 64 bits, so the evaluator counts with the general merge (over runs) rather than
    /// overflow.
    #[test]
    fn tie_terms_past_64_bits_take_the_general_merge() {
        let (x, y) = (vec![1.0; 1_400_000], vec![1.0; 1_400_000]);
        assert!(merged_rank_stats(&x, &y, 0.0).ties > u128::from(u64::MAX));
        let mut e = RankSumEvaluator::new(&x, &y);
        for d in [0.0, 0.5, -0.5, 0.0] {
            assert_eq!(e.stats(d), merged_rank_stats(&x, &y, d), "d {d}");
        }
    }

    #[test]
    fn tie_terms_on_both_sides_of_64_bits() {
        for t in [
            0u64,
            1,
            2,
            3,
            (1 << 21) - 1,
            1 << 21,
            (1 << 21) + 1,
            1 << 40,
            u64::MAX >> 22,
        ] {
            let wide = u128::from(t);
            assert_eq!(tie_term(t), wide * wide * wide - wide, "t = {t}");
        }
    }

    #[test]
    fn fast_path_matches_the_merge() {
        let x = [1.0, 2.0, 2.0, 3.0, 7.5];
        let y = [0.5, 1.0, 2.0, 2.0, 2.0, 4.0];
        for d in [-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 7.0, 10.0] {
            check(&x, &y, d);
        }
    }

    #[test]
    fn subtraction_can_create_ties() {
        // Distinct x values that round together once d is large: the fast path must step aside.
        let x = [1.0, 1.0 + f64::EPSILON];
        let y = [-1e17, 5.0];
        let e = RankSumEvaluator::new(&x, &y);
        assert!(!e.fast_applies(-1e17));
        check(&x, &y, -1e17);
        check(&x, &y, 0.0);
    }

    #[test]
    fn negative_zero_takes_the_general_path() {
        let x = [-0.0, 1.0];
        let y = [0.0, 2.0];
        check(&x, &y, 0.0);
        check(&x, &y, -0.0);
        check(&y, &x, 0.0);
    }

    #[test]
    fn narrow_brackets_are_answered_from_bands() {
        // Values on a 0.001 grid: many differences tie exactly, so a bisection lands on them.
        let (x, y) = (spread(2000, 1, 0.001), spread(1500, 2, 0.001));
        let mut e = RankSumEvaluator::new(&x, &y);
        bisect(&mut e, &x, &y, 0.1234, 40);
        bisect(&mut e, &x, &y, -0.5, 40);
        assert!(!e.bands.is_empty(), "the narrow brackets were listed");
        assert!(e.bands.iter().map(Band::len).sum::<usize>() <= e.band_capacity());
    }

    #[test]
    fn pairs_tied_at_one_difference_form_a_cluster() {
        // 6 000 values a side on a 0.01 grid over 0–10: each difference is shared by thousands
        // of pairs, more than a listed band may hold.
        let grid = |n: usize, seed: u64| -> Vec<f64> {
            spread(n, seed, 1.0)
                .iter()
                .map(|v| (v % 1000.0) * 0.01)
                .collect::<Vec<_>>()
        };
        let (mut x, mut y) = (grid(6000, 5), grid(6000, 6));
        x.sort_by(f64::total_cmp);
        y.sort_by(f64::total_cmp);
        let mut e = RankSumEvaluator::new(&x, &y);
        // Bisect towards a point just off the grid difference 0.3, then step around it.
        bisect(&mut e, &x, &y, 0.3 + 1e-7, 50);
        assert!(
            e.bands.iter().any(Band::is_cluster),
            "a clustered band was gathered"
        );
        for d in [
            0.3,
            0.30000000000001,
            0.29999999999999,
            0.3 + 1e-9,
            0.3 - 1e-9,
            0.31,
        ] {
            assert_eq!(e.stats(d), merged_rank_stats(&x, &y, d), "d {d}");
        }
    }

    #[test]
    fn steps_between_grid_differences_are_quiet() {
        // Values on a 0.001 grid: differences cluster at multiples of 0.001 (up to rounding), so
        // steps of 1e-4 from a shift between two of them change nothing until they cross one.
        let (x, y) = (spread(3000, 7, 0.001), spread(2500, 8, 0.001));
        let mut e = RankSumEvaluator::new(&x, &y);
        bisect(&mut e, &x, &y, 1.2345, 6);
        let start = 1.23456;
        assert_eq!(e.stats(start), merged_rank_stats(&x, &y, start));
        for k in 1..30 {
            for d in [start + f64::from(k) * 1e-4, start - f64::from(k) * 1e-4] {
                assert_eq!(e.stats(d), merged_rank_stats(&x, &y, d), "d {d}");
            }
        }
        // Landing exactly on a difference, and next to it.
        for d in [1.235, 1.234, 1.235 + 1e-12, 1.234 - 1e-12] {
            assert_eq!(e.stats(d), merged_rank_stats(&x, &y, d), "d {d}");
        }
        assert!(
            e.quiet.iter().any(|q| q.holds(start + 1e-4)),
            "a quiet interval was formed around the start"
        );
    }

    #[test]
    fn values_too_large_for_bands_take_passes() {
        // Beyond 1e300 the band's error bound no longer holds: every shift is a pass.
        let x: Vec<f64> = spread(300, 3, 1.0).iter().map(|v| v * 1e297).collect();
        let y: Vec<f64> = spread(200, 4, 1.0).iter().map(|v| v * 1e297).collect();
        let mut e = RankSumEvaluator::new(&x, &y);
        assert!(e.eps.is_none());
        bisect(&mut e, &x, &y, 1.5e300, 60);
        assert!(e.bands.is_empty());
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            3 => (-6i32..7).prop_map(f64::from),
            2 => (-30i32..30).prop_map(|v| f64::from(v) * 0.25),
            2 => -1e3..1e3f64,
            1 => Just(0.0),
            1 => (1i32..4).prop_map(|k| 1.0 + f64::from(k) * f64::EPSILON),
        ]
    }

    fn shift() -> impl Strategy<Value = f64> {
        prop_oneof![
            3 => (-12i32..12).prop_map(|v| f64::from(v) * 0.25),
            2 => -50.0..50.0f64,
            1 => Just(0.0),
            1 => prop_oneof![Just(1e16), Just(-1e16), Just(-4.5e15), Just(3e17)],
        ]
    }

    /// Samples with ties, near-ties, values on a grid and a spread of sizes.
    fn sample(max: usize) -> impl Strategy<Value = Vec<f64>> {
        prop_oneof![
            prop::collection::vec(value(), 1..max),
            prop::collection::vec((-400i32..400).prop_map(|v| f64::from(v) * 0.001), 1..max),
            prop::collection::vec(-1e2..1e2f64, 1..max),
        ]
        .prop_map(|mut v| {
            v.sort_by(f64::total_cmp);
            v
        })
    }

    fn any_value() -> impl Strategy<Value = f64> {
        prop_oneof![
            6 => value(),
            1 => Just(-0.0),
            1 => Just(f64::INFINITY),
            1 => Just(f64::NEG_INFINITY),
        ]
    }

    proptest! {
        #![proptest_config(crate::test_support::soaked(2000))]

        /// The merge over runs equals the merge over values, bit for bit, for any samples
        /// (empty, both zeros, infinities) and shifts, including those where distinct `x`
        /// values meet after the subtraction (±10¹⁶ against values near 1).
        #[test]
        fn run_merge_equals_value_merge(
            mut x in prop::collection::vec(any_value(), 0..80),
            mut y in prop::collection::vec(any_value(), 0..80),
            d in prop_oneof![4 => shift(), 1 => Just(-0.0)],
        ) {
            x.sort_by(f64::total_cmp);
            y.sort_by(f64::total_cmp);
            let sides = Sides::new(&x, &y);
            prop_assert_eq!(merged_run_stats(&sides, d), merged_rank_stats(&x, &y, d));
        }

        /// Every way of answering one shift equals the plain merge, bit for bit.
        #[test]
        fn evaluator_equals_merge(
            mut x in prop::collection::vec(value(), 1..120),
            mut y in prop::collection::vec(value(), 1..120),
            d in shift(),
        ) {
            x.sort_by(f64::total_cmp);
            y.sort_by(f64::total_cmp);
            let mut e = RankSumEvaluator::new(&x, &y);
            prop_assert_eq!(e.stats(d), merged_rank_stats(&x, &y, d));
        }
    }

    proptest! {
        #![proptest_config(crate::test_support::soaked(300))]

        /// Brent-like creeping: many small steps from a shift, smaller and larger than the gaps
        /// between values, some landing on exact differences; quiet intervals, bands and passes
        /// all equal the plain merge.
        #[test]
        fn creeping_equals_merge(
            x in sample(400),
            y in sample(400),
            start in 0.0..1.0f64,
            steps in prop::collection::vec((-4i32..5, 0usize..3), 1..40),
        ) {
            let mut e = RankSumEvaluator::new(&x, &y);
            let (lo0, hi0) = (x[0] - y[y.len() - 1], x[x.len() - 1] - y[0]);
            let mut d = lo0 + (hi0 - lo0) * start;
            for (step, (k, scale)) in steps.into_iter().enumerate() {
                prop_assert_eq!(e.stats(d), merged_rank_stats(&x, &y, d), "d {}", d);
                let size = [1e-4, 3e-4, 1e-9][scale];
                let next = d + f64::from(k) * size;
                d = if k == 0 {
                    // An exact difference near d, when there is one.
                    difference_within(&x, &y, d - 1e-3, d + 1e-3, step).unwrap_or(next)
                } else {
                    next
                };
            }
        }
    }

    proptest! {
        #![proptest_config(crate::test_support::soaked(500))]

        /// Shifts near either end of the range (the smallest and largest pair differences, a
        /// few ulps off them) answered without a pass equal the plain merge, with the places a
        /// pass writes.
        #[test]
        fn near_the_ends_equal_merge(
            x in sample(200),
            y in sample(200),
            picks in prop::collection::vec((0usize..48, -2i32..3, any::<bool>()), 1..20),
        ) {
            let mut differences: Vec<f64> =
                x.iter().flat_map(|&a| y.iter().map(move |&b| a - b)).collect();
            differences.sort_by(f64::total_cmp);
            let e = RankSumEvaluator::new(&x, &y);
            let last = differences.len() - 1;
            for (k, ulps, top) in picks {
                let s = differences[if top { last - k.min(last) } else { k.min(last) }];
                let d = s + f64::from(ulps) * s.abs().max(1.0) * f64::EPSILON;
                if !e.fast_applies(d) {
                    continue;
                }
                let mut places = vec![0; e.sides.x.len()];
                if let Some(stats) = near_the_ends(&e.sides, e.near_end_runs, d, &mut places) {
                    prop_assert_eq!(stats.widen(), merged_rank_stats(&x, &y, d), "d {}", d);
                    let mut passed = vec![0; e.sides.x.len()];
                    if let Some(counted) = lanes::count(&e.sides, d, &mut passed) {
                        prop_assert_eq!(counted, stats);
                        prop_assert_eq!(&places, &passed, "d {}", d);
                    }
                }
            }
        }
    }

    /// Some `x_i − y_k` strictly inside `(lo, hi)` (the `pick`-th found, cyclically), if any.
    fn difference_within(x: &[f64], y: &[f64], lo: f64, hi: f64, pick: usize) -> Option<f64> {
        let found: Vec<f64> = x
            .iter()
            .flat_map(|&xv| {
                let from = y.partition_point(|&yv| xv - yv >= hi);
                let to = y.partition_point(|&yv| xv - yv > lo);
                y[from..to.max(from)].iter().map(move |&yv| xv - yv)
            })
            .filter(|&s| lo < s && s < hi)
            .take(64)
            .collect();
        (!found.is_empty()).then(|| found[pick % found.len()])
    }

    proptest! {
        #![proptest_config(crate::test_support::soaked(300))]

        /// Root-search-like sequences of shifts (brackets that narrow towards a point, steps of
        /// a few ulps, several searches over the same samples), answered from remembered
        /// shifts, bands and passes, equal the plain merge at every step.
        #[test]
        fn searches_equal_merge(
            x in sample(700),
            y in sample(700),
            targets in prop::collection::vec(0.0..1.0f64, 1..4),
            nudges in prop::collection::vec(-3i32..4, 8),
        ) {
            let mut e = RankSumEvaluator::new(&x, &y);
            let (lo0, hi0) = (x[0] - y[y.len() - 1], x[x.len() - 1] - y[0]);
            for d in [lo0, hi0] {
                prop_assert_eq!(e.stats(d), merged_rank_stats(&x, &y, d));
            }
            for t in targets {
                let target = lo0 + (hi0 - lo0) * t;
                let (mut lo, mut hi) = (lo0, hi0);
                for step in 0..60 {
                    let mut d = lo + (hi - lo) * 0.5;
                    if step > 8 && step % 2 == 0 {
                        // Land on an exact difference inside the bracket, or a few ulps off it:
                        // there `x − d` ties a `y`.
                        let k = nudges[step % nudges.len()];
                        if let Some(s) = difference_within(&x, &y, lo, hi, step) {
                            let off = s + f64::from(k) * s.abs() * f64::EPSILON;
                            d = if k.abs() < 2 || !(lo < off && off < hi) { s } else { off };
                        }
                    }
                    prop_assert_eq!(e.stats(d), merged_rank_stats(&x, &y, d), "d {}", d);
                    if d < target { lo = d } else { hi = d }
                }
            }
        }
    }
}

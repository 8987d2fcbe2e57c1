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
//! [`RankSumEvaluator`] keeps both samples as runs of equal values and answers each shift in one
//! pass over the runs, with no allocation. Its fast path assumes distinct `x` values stay
//! distinct after subtracting `d` and that the two zeros do not meet; it checks both before it
//! runs and otherwise takes the general merge, [`merged_rank_stats`], which handles every case.

use std::cmp::Ordering;

/// Rank sum of `x − d` (twice, an integer) and Σ(t³ − t) over tie groups, by merging the sorted
/// samples. Exact for any input: ties are decided by `total_cmp` after the subtraction.
pub(crate) fn merged_rank_stats(x: &[f64], y: &[f64], d: f64) -> (u128, u128) {
    let (n, m) = (x.len(), y.len());
    let (mut i, mut j) = (0usize, 0usize);
    let mut pos: u128 = 0;
    let mut rank_sum_twice: u128 = 0;
    let mut ties: u128 = 0;
    while i < n || j < m {
        let xv = if i < n { x[i] - d } else { f64::NAN };
        let v = if j >= m || (i < n && xv.total_cmp(&y[j]) != Ordering::Greater) {
            xv
        } else {
            y[j]
        };
        let mut cx: u128 = 0;
        while i < n && (x[i] - d).total_cmp(&v) == Ordering::Equal {
            cx += 1;
            i += 1;
        }
        let mut cy: u128 = 0;
        while j < m && y[j].total_cmp(&v) == Ordering::Equal {
            cy += 1;
            j += 1;
        }
        let t = cx + cy;
        // Positions pos+1 ..= pos+t share the rank pos + (t + 1)/2.
        rank_sum_twice += cx * (2 * pos + t + 1);
        ties += t * t * t - t;
        pos += t;
    }
    (rank_sum_twice, ties)
}

/// `t³ − t`, a tie group's share of the rank-sum variance correction (0 for t = 0 or 1).
pub(crate) fn tie_term(t: u64) -> u128 {
    let t = u128::from(t);
    t * t * t - t
}

/// A sorted sample as runs of identical values (`total_cmp`-equal, i.e. the same bits).
#[derive(Debug, Clone, Default)]
struct Runs {
    values: Vec<f64>,
    counts: Vec<u64>,
    /// `below[k]` = number of values strictly below `values[k]`; one extra entry holds the total.
    below: Vec<u64>,
    /// Σ(t³ − t) over the runs.
    ties: u128,
    /// Smallest gap between consecutive distinct values (rounded down by halving), or +∞.
    min_gap: f64,
    has_negative_zero: bool,
}

impl Runs {
    fn new(sorted: &[f64]) -> Runs {
        let mut r = Runs {
            min_gap: f64::INFINITY,
            ..Runs::default()
        };
        let mut seen: u64 = 0;
        for &v in sorted {
            r.has_negative_zero |= v == 0.0 && v.is_sign_negative();
            match r.values.last() {
                Some(last) if last.to_bits() == v.to_bits() => {
                    if let Some(c) = r.counts.last_mut() {
                        *c += 1;
                    }
                }
                last => {
                    if let Some(&last) = last {
                        // Halved: the rounded difference may exceed the exact one by half an ulp.
                        r.min_gap = r.min_gap.min((v - last) * 0.5);
                    }
                    r.values.push(v);
                    r.counts.push(1);
                    r.below.push(seen);
                }
            }
            seen += 1;
        }
        r.below.push(seen);
        r.ties = r.counts.iter().map(|&c| tie_term(c)).sum();
        r
    }
}

/// Answers [`merged_rank_stats`] for many shifts of the same two sorted samples.
#[derive(Debug, Clone)]
pub(crate) struct RankSumEvaluator<'a> {
    x: &'a [f64],
    y: &'a [f64],
    xr: Runs,
    yr: Runs,
    /// The values of the runs of `y`, then a +∞ sentinel that stops every merge (the matching
    /// last entry of `yr.below` is |y|).
    y_values: Vec<f64>,
    n_term: u128,
    fast_possible: bool,
}

impl<'a> RankSumEvaluator<'a> {
    /// Prepares for two samples sorted by `total_cmp` and free of NaN.
    pub(crate) fn new(x: &'a [f64], y: &'a [f64]) -> Self {
        let xr = Runs::new(x);
        let yr = Runs::new(y);
        let mut y_values = yr.values.clone();
        y_values.push(f64::INFINITY);
        let n = x.len() as u128;
        let all_finite = x.iter().chain(y).all(|v| v.is_finite());
        // The fast path compares with `<` and `==`, which agree with `total_cmp` as long as the
        // two zeros never meet; with no -0.0 in either sample, `x − d` is never -0.0 either.
        let fast_possible = all_finite && !xr.has_negative_zero && !yr.has_negative_zero;
        // Counts of pairs fit a u64 in the fast pass.
        let small = (x.len() as u128) * (y.len() as u128) < (1u128 << 62);
        let fast_possible = fast_possible && small;
        RankSumEvaluator {
            x,
            y,
            y_values,
            xr,
            yr,
            n_term: n * (n + 1),
            fast_possible,
        }
    }

    /// `(2 × rank sum of x − d, Σ(t³ − t))`, exactly as [`merged_rank_stats`] computes them.
    pub(crate) fn rank_stats(&self, d: f64) -> (u128, u128) {
        if !self.fast_applies(d) {
            return merged_rank_stats(self.x, self.y, d);
        }
        self.fast::<false>(d)
            .or_else(|| self.fast::<true>(d))
            .unwrap_or_else(|| merged_rank_stats(self.x, self.y, d))
    }

    /// True when no two distinct `x` values can round to the same `x − d` and every `x − d` is
    /// finite: then the runs of `x` stay runs and the fast pass is exact.
    fn fast_applies(&self, d: f64) -> bool {
        if !self.fast_possible || !d.is_finite() {
            return false;
        }
        let (Some(&lo), Some(&hi)) = (self.x.first(), self.x.last()) else {
            return false;
        };
        let (a, b) = (lo - d, hi - d);
        if !a.is_finite() || !b.is_finite() {
            return false;
        }
        // fl(p − d) == fl(q − d) for p < q needs q − p ≤ ulp(max |x − d|) ≤ 2⁻⁵²·max|x − d|.
        let magnitude = a.abs().max(b.abs());
        self.xr.min_gap > magnitude * f64::EPSILON
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
    /// also counts
    /// those pairs and their tie groups (each `x` run meets at most one `y` run, since runs of
    /// `x` stay distinct under `fast_applies`).
    fn fast<const TIES: bool>(&self, d: f64) -> Option<(u128, u128)> {
        let xv = self.xr.values.as_slice();
        let xc = self.xr.counts.as_slice();
        let yv = self.y_values.as_slice();
        let yb = self.yr.below.as_slice();
        let yc = self.yr.counts.as_slice();
        let mut equal: u128 = 0; // B
        let mut ties = self.xr.ties + self.yr.ties;
        // `yv` ends with the +∞ sentinel and `yb` with |y|: one entry per y run plus one.
        if yv.len() != yb.len() || yv.last() != Some(&f64::INFINITY) || xv.len() != xc.len() {
            return None;
        }
        let runs = xv.len();
        let bound = |lane: usize| runs * lane / LANES;
        let start = |lane: usize| {
            let i = bound(lane);
            let p = match xv.get(i) {
                Some(&x) if i < bound(lane + 1) => {
                    let v = x - d;
                    yv.partition_point(|&y| y < v)
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
        // `yv` below its +∞ sentinel (every `x − d` is finite: checked by `fast_applies`), and
        // grows only while `yv[p] < x − d`, which the sentinel never is; so
        // `p < yv.len() == yb.len()`.
        macro_rules! step {
            ($i:ident, $p:ident, $acc:ident, $tied:ident) => {{
                debug_assert!($i < runs && $p < yv.len());
                // SAFETY: see above.
                let v = unsafe { *xv.get_unchecked($i) } - d;
                let y = unsafe { *yv.get_unchecked($p) };
                let take_y = y < v;
                // SAFETY: see above. (The product is formed apart from the comparison so that
                // the mask multiply becomes a select; the other order measured 4× slower.)
                let score = unsafe { *xc.get_unchecked($i) * *yb.get_unchecked($p) };
                $acc += u64::from(!take_y) * score;
                $tied |= y == v;
                if TIES && y == v {
                    // A run of y equal to v is a real run (the sentinel is +∞, v is finite).
                    let (cx, cy) = (xc[$i], yc.get($p).copied().unwrap_or(0));
                    equal += u128::from(cx) * u128::from(cy);
                    ties += tie_term(cx + cy) - tie_term(cx) - tie_term(cy);
                }
                $p += usize::from(take_y);
                $i += usize::from(!take_y);
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
        Some((self.n_term + 2 * less + equal, ties))
    }
}

/// Independent merge chains in [`RankSumEvaluator`]'s fast pass.
const LANES: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;

    fn check(x: &[f64], y: &[f64], d: f64) {
        let e = RankSumEvaluator::new(x, y);
        assert_eq!(
            e.rank_stats(d),
            merged_rank_stats(x, y, d),
            "x {x:?} y {y:?} d {d}"
        );
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

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// The lane-merged fast pass (and its fallbacks) equals the plain merge, bit for bit.
        #[test]
        fn evaluator_equals_merge(
            mut x in prop::collection::vec(value(), 1..120),
            mut y in prop::collection::vec(value(), 1..120),
            d in shift(),
        ) {
            x.sort_by(f64::total_cmp);
            y.sort_by(f64::total_cmp);
            let e = RankSumEvaluator::new(&x, &y);
            prop_assert_eq!(e.rank_stats(d), merged_rank_stats(&x, &y, d));
        }
    }
}

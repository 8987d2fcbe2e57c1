//! The counting pass: one merge of the runs of `x − d` with those of `y`, cut into [`LANES`]
//! independent chains, noting where each run of `x` falls among the runs of `y`.
//!
//! Two kinds of step advance a chain: a single step compares one `x − d` with the next
//! [`STRIDE`] runs of `y` (any processor); where AVX2 is available, a block step compares
//! [`BLOCK_X`] consecutive `x − d` with the next [`BLOCK_Y`] runs of `y` at once and places all
//! of them that fall inside. Lightly tied data has about as many runs of `y` as of `x`, so a
//! single step places at most one run of `x` while a block step nearly always places four: a
//! block step costs about twice as much and does four times the work (a pass at 10³ points
//! a side went from 2.0 to 1.3 µs, at 10⁴ from 18.7 to 12.0 µs).

use super::runs::Sides;
use super::Counts;

/// Independent merge chains.
const LANES: usize = 4;
/// Runs of `y` compared with one `x − d` per step (2 and 8 measured slower, 8 also as one
/// AVX-512 comparison), in one AVX2 comparison where the processor has it.
const STRIDE: usize = 4;
/// Runs of `x` placed per block step (one AVX2 vector of `x − d`).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
const BLOCK_X: usize = 4;
/// Runs of `y` compared with the [`BLOCK_X`] values of `x − d` per block step: enough that four
/// runs of `x` nearly always fall inside (4 fell outside too often; 12 and 16 cost more
/// comparisons than they save steps).
pub(super) const BLOCK_Y: usize = 8;
const _: () = assert!(BLOCK_Y >= STRIDE);

/// The rank statistics at `d` by merging, or `None` when the pass cannot vouch for them (the
/// caller then takes the general merge). Assumes what [`super::RankSumEvaluator`] checks first:
/// every `x − d` finite and distinct runs of `x` still distinct after subtracting `d`.
///
/// Also writes to `places` (one entry per run of `x`), for each run of `x`, the number of runs
/// of `y` below its `x − d`.
pub(super) fn count(sides: &Sides, d: f64, places: &mut [u32]) -> Option<Counts> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor supports AVX2 (checked just above).
        return unsafe { avx2::count(sides, d, places) };
    }
    scalar(sides, d, places)
}

/// [`count`] with scalar comparisons: where AVX2 is missing (and in tests).
fn scalar(sides: &Sides, d: f64, places: &mut [u32]) -> Option<Counts> {
    // SAFETY: scalar comparisons need nothing beyond the baseline instruction set.
    unsafe { untied::<Scalar>(sides, d, places).or_else(|| tied::<Scalar>(sides, d, places)) }
}

/// The comparison of one `x − d` with the [`STRIDE`] runs of `y` from a position.
///
/// # Safety
/// Every method may use instructions beyond the baseline: call them only where the processor
/// supports the implementation's (AVX2 for [`avx2::Avx2`]; nothing for [`Scalar`]).
trait Compare {
    /// The shift, in the form the comparison takes it.
    type Shift: Copy;
    /// Whether any comparison so far met a `y` equal to its `x − d`.
    type Met: Copy;

    /// `d` in the form [`Compare::below`] takes it.
    unsafe fn shift(d: f64) -> Self::Shift;

    /// No `y` met yet.
    unsafe fn unmet() -> Self::Met;

    /// True when some comparison met a `y` equal to its `x − d`.
    unsafe fn any_met(met: Self::Met) -> bool;

    /// How many of the [`STRIDE`] values of `ys` from `at` are below `x − d`; also notes in
    /// `met` whether one of them equals it.
    ///
    /// # Safety
    /// `at..at + STRIDE` must lie within `ys`.
    unsafe fn below(ys: &[f64], at: usize, x: &f64, d: Self::Shift, met: &mut Self::Met) -> usize;
}

/// Scalar comparisons.
struct Scalar;

impl Compare for Scalar {
    type Shift = f64;
    type Met = bool;

    unsafe fn shift(d: f64) -> f64 {
        d
    }

    unsafe fn unmet() -> bool {
        false
    }

    unsafe fn any_met(met: bool) -> bool {
        met
    }

    #[inline(always)]
    unsafe fn below(ys: &[f64], at: usize, x: &f64, d: f64, met: &mut bool) -> usize {
        let v = x - d;
        let mut below = 0;
        for j in 0..STRIDE {
            // SAFETY: `at + j < at + STRIDE ≤ ys.len()` (the caller's contract).
            let y = unsafe { *ys.get_unchecked(at + j) };
            below += usize::from(y < v);
            *met |= y == v;
        }
        below
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{
        single_step, tied, untied, Checked, Compare, Counts, Sides, BLOCK_X, BLOCK_Y, STRIDE,
    };
    use std::arch::x86_64::{
        __m128i, __m256d, __m256i, _mm256_add_epi64, _mm256_and_si256, _mm256_broadcast_sd,
        _mm256_castpd_si256, _mm256_castsi256_si128, _mm256_cmp_pd, _mm256_cmpgt_epi64,
        _mm256_extract_epi64, _mm256_loadu_pd, _mm256_loadu_si256, _mm256_movemask_pd,
        _mm256_mul_epu32, _mm256_or_pd, _mm256_permutevar8x32_epi32, _mm256_set1_epi64x,
        _mm256_set1_pd, _mm256_setr_epi32, _mm256_setzero_pd, _mm256_setzero_si256,
        _mm256_storeu_si256, _mm256_sub_epi64, _mm256_sub_pd, _mm256_xor_pd, _mm_storeu_si128,
        _CMP_EQ_OQ, _CMP_LE_OQ, _CMP_LT_OQ,
    };

    /// Four comparisons in one: `<` and `≤` of four values with a broadcast `x − d`; a value
    /// equal to `x − d` is the one where the two masks differ, kept in a vector register.
    pub(super) struct Avx2;

    impl Compare for Avx2 {
        type Shift = __m256d;
        type Met = __m256d;

        // SAFETY (the intrinsics in every method): the trait's contract, the processor
        // supports AVX2.
        #[inline(always)]
        unsafe fn shift(d: f64) -> __m256d {
            unsafe { _mm256_set1_pd(d) }
        }

        #[inline(always)]
        unsafe fn unmet() -> __m256d {
            unsafe { _mm256_setzero_pd() }
        }

        #[inline(always)]
        unsafe fn any_met(met: __m256d) -> bool {
            unsafe { _mm256_movemask_pd(met) != 0 }
        }

        #[inline(always)]
        unsafe fn below(ys: &[f64], at: usize, x: &f64, d: __m256d, met: &mut __m256d) -> usize {
            const _: () = assert!(STRIDE == 4);
            // SAFETY: `at..at + 4` lies within `ys`, and the processor supports AVX2 (the
            // contracts of this method and of the trait).
            unsafe {
                let v = _mm256_sub_pd(_mm256_broadcast_sd(x), d);
                let four = _mm256_loadu_pd(ys.as_ptr().add(at));
                let lower = _mm256_cmp_pd::<_CMP_LT_OQ>(four, v);
                let not_above = _mm256_cmp_pd::<_CMP_LE_OQ>(four, v);
                *met = _mm256_or_pd(*met, _mm256_xor_pd(lower, not_above));
                _mm256_movemask_pd(lower).count_ones() as usize
            }
        }
    }

    /// [`super::count`] with AVX2 comparisons: in block steps where [`Checked::blocks_fit`],
    /// else in single steps.
    ///
    /// # Safety
    /// The processor must support AVX2.
    #[target_feature(enable = "avx2,popcnt")]
    pub(super) unsafe fn count(sides: &Sides, d: f64, places: &mut [u32]) -> Option<Counts> {
        // SAFETY: the processor supports AVX2 (this function's contract).
        unsafe {
            let untied = match Checked::new(sides, places) {
                Some(runs) if runs.blocks_fit => blocks(sides, &runs, d, places),
                _ => untied::<Avx2>(sides, d, places),
            };
            untied.or_else(|| tied::<Avx2>(sides, d, places))
        }
    }

    /// The state of a pass in block steps: the shift, whether some `x − d` met an equal `y`,
    /// and the pairs with `y` below `x − d` summed per vector lane.
    struct Block {
        d: __m256d,
        met: __m256d,
        less: __m256i,
    }

    impl Block {
        /// One block step of a chain at x run `i` and y run `p`: compares the [`BLOCK_X`] values
        /// `x − d` from run `i` with the [`BLOCK_Y`] runs of `y` from `p`. A value with fewer
        /// than all of them below has found its place: its run is scored and its place stored.
        /// Values are sorted, so those placed come first; `i` moves past them and `p` past the
        /// runs of `y` below the last value (all [`BLOCK_Y`] of them when it was not placed).
        /// The places of values not placed are stored too, and overwritten by a later step.
        ///
        /// # Safety
        /// The processor supports AVX2; `runs.blocks_fit`; `i + BLOCK_X ≤ runs.xv.len()`,
        /// `p ≤ runs.m`, and `places.len() == runs.xv.len()`.
        #[inline(always)]
        unsafe fn step(
            &mut self,
            runs: &Checked,
            i: &mut usize,
            p: &mut usize,
            places: &mut [u32],
        ) {
            const _: () = assert!(BLOCK_X == 4 && BLOCK_Y == 8);
            // SAFETY: reads `xv[i..i + 4]`, `xb[i..i + 5]` (one entry more than runs),
            // `yv[p..p + 8]`, `yb32[p..p + 8]` (padded by 8 past `m`, see `Checked::new`);
            // writes `places[i..i + 4]` (the contract).
            unsafe {
                let x = _mm256_sub_pd(_mm256_loadu_pd(runs.xv.as_ptr().add(*i)), self.d);
                // (Helpers, not closures: a closure does not inherit AVX2, so its intrinsics
                // need not be inlined.)
                let y = runs.yv.as_ptr().add(*p);
                let ys = [
                    broadcast(y),
                    broadcast(y.add(1)),
                    broadcast(y.add(2)),
                    broadcast(y.add(3)),
                    broadcast(y.add(4)),
                    broadcast(y.add(5)),
                    broadcast(y.add(6)),
                    broadcast(y.add(7)),
                ];
                // Masks are −1 where true: their sum is minus the count below, per value.
                // (A plain loop: measured as fast as an explicit tree of additions.)
                let (mut minus_below, mut any_eq) = (_mm256_setzero_si256(), _mm256_setzero_pd());
                for y in ys {
                    minus_below = _mm256_add_epi64(minus_below, lt(y, x));
                    any_eq = _mm256_or_pd(any_eq, eq(y, x));
                }
                self.met = _mm256_or_pd(self.met, any_eq);
                let below = _mm256_sub_epi64(_mm256_setzero_si256(), minus_below);
                let placed = _mm256_cmpgt_epi64(_mm256_set1_epi64x(BLOCK_Y as i64), below);
                // Placed: not above the last y of the window (the same comparison as `lt(7)`).
                let not_above_last =
                    !_mm256_movemask_pd(_mm256_cmp_pd::<_CMP_LT_OQ>(ys[7], x)) & 0b1111;
                // The places, narrowed to 32 bits (`m` fits, see `Checked::new`).
                let at = _mm256_add_epi64(_mm256_set1_epi64x(*p as i64), below);
                let low_halves = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
                let at = _mm256_permutevar8x32_epi32(at, low_halves);
                _mm_storeu_si128(
                    places.as_mut_ptr().add(*i).cast::<__m128i>(),
                    _mm256_castsi256_si128(at),
                );
                // Score: the run's size times the values of y below its place, picked from
                // the window of `yb32` by the count below (32-bit lanes; a lane's upper half
                // picks entry 0 and is ignored by the 32 × 32-bit multiplication).
                let window = _mm256_loadu_si256(runs.yb32.as_ptr().add(*p).cast::<__m256i>());
                let y_below = _mm256_permutevar8x32_epi32(window, below);
                let xb = runs.xb.as_ptr().add(*i);
                let sizes = _mm256_sub_epi64(
                    _mm256_loadu_si256(xb.add(1).cast::<__m256i>()),
                    _mm256_loadu_si256(xb.cast::<__m256i>()),
                );
                let score = _mm256_and_si256(_mm256_mul_epu32(sizes, y_below), placed);
                self.less = _mm256_add_epi64(self.less, score);
                *p += _mm256_extract_epi64::<3>(below) as usize;
                *i += not_above_last.count_ones() as usize;
            }
        }
    }

    /// The value at `at` in every lane.
    ///
    /// # Safety
    /// The processor must support AVX2; `at` must be valid for reads.
    #[inline(always)]
    unsafe fn broadcast(at: *const f64) -> __m256d {
        // SAFETY: the contract.
        unsafe { _mm256_broadcast_sd(&*at) }
    }

    /// `y < x` per lane, as a mask of −1 (true) or 0.
    ///
    /// # Safety
    /// The processor must support AVX2.
    #[inline(always)]
    unsafe fn lt(y: __m256d, x: __m256d) -> __m256i {
        // SAFETY: the processor supports AVX2 (the contract).
        unsafe { _mm256_castpd_si256(_mm256_cmp_pd::<_CMP_LT_OQ>(y, x)) }
    }

    /// `y == x` per lane, as a mask.
    ///
    /// # Safety
    /// The processor must support AVX2.
    #[inline(always)]
    unsafe fn eq(y: __m256d, x: __m256d) -> __m256d {
        // SAFETY: the processor supports AVX2 (the contract).
        unsafe { _mm256_cmp_pd::<_CMP_EQ_OQ>(y, x) }
    }

    /// [`super::untied`] in block steps, each chain finishing its last runs (fewer than
    /// [`BLOCK_X`]) in single steps.
    ///
    /// # Safety
    /// The processor must support AVX2; `runs` is checked for `sides` and `places`, and
    /// `runs.blocks_fit`.
    #[inline(always)]
    unsafe fn blocks(sides: &Sides, runs: &Checked, d: f64, places: &mut [u32]) -> Option<Counts> {
        // SAFETY (every intrinsic and `Avx2` method): the processor supports AVX2. Block steps
        // run only while `i + BLOCK_X ≤ end ≤ xv.len()`; `p` stays at most `m` (as in
        // `untied`: it moves only past values below a finite `x − d`, and `yv[m]` is +∞).
        unsafe {
            let mut block = Block {
                d: _mm256_set1_pd(d),
                met: _mm256_setzero_pd(),
                less: _mm256_setzero_si256(),
            };
            let mut lanes = runs.lanes(d);
            // Lockstep rounds while every lane has a whole block left (a step places at most
            // BLOCK_X runs), then each lane's remaining blocks.
            loop {
                let rounds = lanes
                    .iter()
                    .map(|&(i, _, end)| (end - i) / BLOCK_X)
                    .min()
                    .unwrap_or(0);
                if rounds == 0 {
                    break;
                }
                for _ in 0..rounds {
                    for (i, p, _) in lanes.iter_mut() {
                        block.step(runs, i, p, places);
                    }
                }
            }
            let mut less: u64 = 0;
            for (mut i, mut p, end) in lanes {
                while i + BLOCK_X <= end {
                    block.step(runs, &mut i, &mut p, places);
                }
                while i < end {
                    single_step::<Avx2>(
                        runs,
                        (&mut i, &mut p),
                        block.d,
                        &mut block.met,
                        &mut less,
                        places,
                    );
                }
            }
            if Avx2::any_met(block.met) {
                return None;
            }
            let mut per_lane = [0u64; 4];
            _mm256_storeu_si256(per_lane.as_mut_ptr().cast::<__m256i>(), block.less);
            Some(Counts {
                less: less + per_lane.iter().sum::<u64>(),
                equal: 0,
                ties: sides.base_ties(),
            })
        }
    }
}

/// The runs of both samples, checked for what the passes read without bounds checks.
struct Checked<'s> {
    /// Run values of `x`.
    xv: &'s [f64],
    /// Values of `x` below each run, one entry more than runs.
    xb: &'s [u64],
    /// Run values of `y`, then at least [`BLOCK_Y`] copies of +∞.
    yv: &'s [f64],
    /// Values of `y` below each run, one entry more than runs.
    yb: &'s [u64],
    /// `yb` in 32 bits, then [`BLOCK_Y`] more entries (empty unless `blocks_fit`).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    yb32: &'s [u32],
    /// Number of runs of `y`.
    m: usize,
    /// True when block steps may run: both samples have fewer than 2³² values (sizes and
    /// counts fit the 32-bit multiplication) and `yb32` is there.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    blocks_fit: bool,
}

impl<'s> Checked<'s> {
    fn new(sides: &'s Sides, places: &[u32]) -> Option<Self> {
        let xv = sides.x.values();
        let xb = sides.x.below.as_slice();
        let yv = sides.y.padded();
        let yb = sides.y.below.as_slice();
        let yb32 = sides.yb32.as_slice();
        let m = sides.y.len();
        let ok = yv.len() >= m + BLOCK_Y
            && yb.len() == m + 1
            && yv[m] == f64::INFINITY
            && xb.len() == xv.len() + 1
            && places.len() == xv.len()
            && u32::try_from(m).is_ok();
        let fits_32 = |b: &[u64]| b.last().is_some_and(|&total| total < 1 << 32);
        let blocks_fit = fits_32(xb) && fits_32(yb) && yb32.len() >= m + 1 + BLOCK_Y;
        ok.then_some(Checked {
            xv,
            xb,
            yv,
            yb,
            yb32,
            m,
            blocks_fit,
        })
    }

    /// The x run each lane starts at, that run's place, and the lane's end.
    ///
    /// The places come from one binary search per lane, run in lockstep so that the four
    /// chains of dependent reads overlap (one after another they took a twentieth of a pass
    /// at 10³ points). An empty lane starts at place 0.
    fn lanes(&self, d: f64) -> [(usize, usize, usize); LANES] {
        let runs = self.xv.len();
        let bound = |lane: usize| runs * lane / LANES;
        // The first x − d of each lane; −∞ (below every y) for an empty lane.
        let v: [f64; LANES] = std::array::from_fn(|lane| match self.xv.get(bound(lane)) {
            Some(&x) if bound(lane) < bound(lane + 1) => x - d,
            _ => f64::NEG_INFINITY,
        });
        // Runs of `y` below each v, in `ys` (ending in +∞, above every finite v): each place
        // lies in `base..=base + n`; halving `n` keeps that true.
        let ys = &self.yv[..=self.m];
        let mut base = [0usize; LANES];
        let mut n = ys.len();
        while n > 1 {
            let half = n / 2;
            for (b, &v) in base.iter_mut().zip(&v) {
                // A conditional move, not a branch: on data the processor has not seen
                // before each comparison is a coin toss (a plain `if` compiled to a branch cost
                // 4% of a 20 × 60 request judged on fresh data).
                *b += std::hint::select_unpredictable(ys[*b + half - 1] < v, half, 0);
            }
            n -= half;
        }
        std::array::from_fn(|lane| {
            let p = base[lane] + usize::from(ys[base[lane]] < v[lane]);
            (bound(lane), p, bound(lane + 1))
        })
    }

    /// The size of x run `i` times the values of `y` below y run `p`.
    ///
    /// # Safety
    /// `i < xv.len()` and `p ≤ m`.
    #[inline(always)]
    unsafe fn score(&self, i: usize, p: usize) -> u64 {
        debug_assert!(i < self.xv.len() && p <= self.m);
        // SAFETY: `i + 1 < xb.len()`, `p < yb.len()` (the caller's contract and `new`).
        unsafe {
            (*self.xb.get_unchecked(i + 1) - *self.xb.get_unchecked(i)) * *self.yb.get_unchecked(p)
        }
    }
}

/// Runs `step(i, p)` over [`LANES`] lanes in lockstep, each from its `(i, p, end)` until its
/// `i` reaches its end; `step` advances `i` by at most one.
///
/// A merge is a chain of dependent loads and compares, so the runs of `x` are cut into
/// [`LANES`] segments merged in lockstep, each starting at its first `y` run by binary search:
/// independent chains let the processor overlap them (about 3× faster than one chain here,
/// and faster than one chain even at 60 runs). The lockstep loop runs in rounds of as many
/// steps as the least advanced lane has runs left, so it tests one counter, not four ends.
#[inline(always)]
fn in_lanes(lanes: [(usize, usize, usize); LANES], mut step: impl FnMut(&mut usize, &mut usize)) {
    let [(mut i0, mut p0, e0), (mut i1, mut p1, e1), (mut i2, mut p2, e2), (mut i3, mut p3, e3)] =
        lanes;
    loop {
        let rounds = (e0 - i0).min(e1 - i1).min(e2 - i2).min(e3 - i3);
        if rounds == 0 {
            break;
        }
        for _ in 0..rounds {
            step(&mut i0, &mut p0);
            step(&mut i1, &mut p1);
            step(&mut i2, &mut p2);
            step(&mut i3, &mut p3);
        }
    }
    for (mut i, mut p, end) in [(i0, p0, e0), (i1, p1, e1), (i2, p2, e2), (i3, p3, e3)] {
        while i < end {
            step(&mut i, &mut p);
        }
    }
}

/// One pass over the runs of `x` and `y` in step: each step compares the current `x − d` with
/// the next [`STRIDE`] runs of `y`, moves past those below it, and when fewer than all of them
/// were, has found its place and scores the `x` run against the `y` below it. Each step also
/// stores the current `y` run index at the current `x` run in `places`: the last store for a
/// run is made when the run is scored, so it is the run's place.
///
/// Returns `None` when some `x − d` equals a `y` (rare away from the bracket ends): the
/// caller then runs [`tied`], which also counts those pairs and their tie groups. Only A is
/// summed here, in one accumulator shared by the lanes: an add is not what limits a step, and
/// registers are short (a pass with a sum and an end per lane, which also read the value at
/// each place once more to look for ties, spilled registers to the stack; this one made whole
/// intervals 1.2–1.3× faster at 10³–10⁴ points).
///
/// # Safety
/// The processor must support `C`'s instructions.
#[inline(always)]
unsafe fn untied<C: Compare>(sides: &Sides, d: f64, places: &mut [u32]) -> Option<Counts> {
    let runs = Checked::new(sides, places)?;
    // SAFETY (every method of `C` here): the processor supports `C`'s instructions.
    let (dv, mut met) = unsafe { (C::shift(d), C::unmet()) };
    let mut less: u64 = 0;
    // SAFETY of the unchecked accesses (and of `C::below`'s reads): `in_lanes` calls `step` only
    // with `i` below its lane's end, at most `xv.len() == places.len()`. `p` starts at a
    // partition point of `yv[..=m]`, whose last entry is +∞, and grows only past values below a
    // finite `x − d`, so `p ≤ m`, and `yv` has STRIDE entries from `m` on. `m` fits a `u32`
    // (checked by `Checked::new`).
    in_lanes(runs.lanes(d), |i, p| unsafe {
        single_step::<C>(&runs, (i, p), dv, &mut met, &mut less, places);
    });
    if unsafe { C::any_met(met) } {
        return None;
    }
    Some(Counts {
        less,
        equal: 0,
        ties: sides.base_ties(),
    })
}

/// One step of [`untied`] for the chain at x run `i` and y run `p`: moves past the runs of `y`
/// below `x − d` among the next [`STRIDE`], and when fewer than all of them were, adds the run's
/// score to `less`, stores its place and moves on to the next run (the place is stored at every
/// step; the last store is the run's place).
///
/// # Safety
/// The processor must support `C`'s instructions; `i < runs.xv.len() == places.len()` and
/// `p ≤ runs.m`, as `in_lanes` and the block steps' tails keep them.
#[inline(always)]
unsafe fn single_step<C: Compare>(
    runs: &Checked,
    (i, p): (&mut usize, &mut usize),
    d: C::Shift,
    met: &mut C::Met,
    less: &mut u64,
    places: &mut [u32],
) {
    // SAFETY: `yv` has STRIDE entries from `p ≤ m` on (`Checked::new`), `i` is in bounds and
    // the processor supports `C`'s instructions (the contract).
    unsafe {
        let c = C::below(runs.yv, *p, runs.xv.get_unchecked(*i), d, met);
        let done = c < STRIDE;
        *p += c;
        let score = runs.score(*i, *p);
        *less += if done { score } else { 0 };
        *places.get_unchecked_mut(*i) = *p as u32;
        *i += usize::from(done);
    }
}

/// [`untied`] when some `x − d` equals a `y`: also sums the pairs of equal values and the
/// change in the tie term for each run of `x` that joins a run of `y` (each joins at most one,
/// since runs of `x` stay distinct).
///
/// # Safety
/// As [`untied`].
#[inline(always)]
unsafe fn tied<C: Compare>(sides: &Sides, d: f64, places: &mut [u32]) -> Option<Counts> {
    let runs = Checked::new(sides, places)?;
    // SAFETY (every method of `C` here): the processor supports `C`'s instructions.
    let (dv, mut met) = unsafe { (C::shift(d), C::unmet()) };
    let (mut less, mut equal): (u64, u64) = (0, 0);
    let mut ties = sides.base_ties();
    // SAFETY: as in `untied`.
    // Inlined by force: a closure does not inherit AVX2 from `avx2::count`, and this one, larger
    // than `untied`'s, was left out of line, where `C::below`'s intrinsics became a call each (a
    // pass at 1 000 runs a side with ties: 67 µs; inlined, 4 µs).
    in_lanes(
        runs.lanes(d),
        #[inline(always)]
        |i, p| unsafe {
            let x = runs.xv.get_unchecked(*i);
            let c = C::below(runs.yv, *p, x, dv, &mut met);
            let done = c < STRIDE;
            *p += c;
            if done {
                less += runs.score(*i, *p);
                // A run of y equal to x − d is a real run (the sentinel is +∞, x − d finite).
                if *runs.yv.get_unchecked(*p) == x - d {
                    let (e, t) = sides.joined_ties(*i, *p);
                    equal += e;
                    ties += t;
                }
            }
            *places.get_unchecked_mut(*i) = *p as u32;
            *i += usize::from(done);
        },
    );
    Some(Counts { less, equal, ties })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::rank_sum::merged_rank_stats;
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;

    /// The scalar pass and the pass this machine takes give the merge's statistics at `d`, and
    /// the same places.
    fn passes_equal_merge(x: &[f64], y: &[f64], d: f64) -> Result<(), TestCaseError> {
        let sides = Sides::new(x, y);
        let (mut a, mut b) = (vec![0; sides.x.len()], vec![0; sides.x.len()]);
        let expected = merged_rank_stats(x, y, d);
        prop_assert_eq!(scalar(&sides, d, &mut a).map(Counts::widen), Some(expected));
        prop_assert_eq!(count(&sides, d, &mut b).map(Counts::widen), Some(expected));
        prop_assert_eq!(a, b);
        Ok(())
    }

    proptest! {
        #![proptest_config(crate::test_support::soaked(1000))]

        /// The scalar comparisons (taken where AVX2 is missing) and the pass this machine takes
        /// give the plain merge's statistics and the same places.
        #[test]
        fn scalar_and_detected_passes_equal_merge(
            mut x in prop::collection::vec((-40i32..40).prop_map(|v| f64::from(v) * 0.25), 1..150),
            mut y in prop::collection::vec((-40i32..40).prop_map(|v| f64::from(v) * 0.25), 1..150),
            d in (-30i32..30).prop_map(|v| f64::from(v) * 0.125),
        ) {
            x.sort_by(f64::total_cmp);
            y.sort_by(f64::total_cmp);
            passes_equal_merge(&x, &y, d)?;
        }

        /// The same on lightly tied samples where one side is up to 16 times as dense as the
        /// other, so that block steps place four runs of `x`, fewer, or none (runs of `y`
        /// crowding the window), and lanes end on whole blocks or not; the shift is off the
        /// grid (no ties: the block result stands) or on it (ties: the tied pass answers).
        #[test]
        fn block_steps_equal_merge(
            x in prop::collection::vec(0u32..20_000, 1..700),
            y in prop::collection::vec(0u32..20_000, 1..700),
            (spread_x, spread_y) in (1u32..=16, 1u32..=16),
            (d, off_grid) in (-5_000i32..5_000, any::<bool>()),
        ) {
            let values = |v: &[u32], spread: u32| {
                let mut v: Vec<f64> = v.iter().map(|&k| f64::from(k * spread) * 0.01).collect();
                v.sort_by(f64::total_cmp);
                v
            };
            let (x, y) = (values(&x, spread_x), values(&y, spread_y));
            let d = f64::from(d) * 0.01 + if off_grid { 0.0037 } else { 0.0 };
            passes_equal_merge(&x, &y, d)?;
        }
    }
}

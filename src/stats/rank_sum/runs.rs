//! Both samples as runs of identical values: the form every counting pass works on.

use super::{narrow_tie_term, tie_term};

/// Sample sizes up to which [`Runs::new`] allocates for as many runs as values rather than
/// counting them first: 64 KB a vector, well under the C library's threshold for taking memory
/// straight from the kernel (128 KB).
const UNCOUNTED: usize = 8192;

/// A sorted sample as runs of identical values (`total_cmp`-equal, i.e. the same bits).
#[derive(Debug, Clone, Default)]
pub(super) struct Runs {
    /// The run values, then [`Runs::PADDING`] copies of +∞, so that a counting pass may read a
    /// fixed number of entries past any position.
    padded: Vec<f64>,
    /// `below[k]` = number of values strictly below run `k`; one extra entry holds the total.
    pub(super) below: Vec<u64>,
    /// Σ(t³ − t) over the runs.
    pub(super) ties: u128,
    /// Size of the largest run (0 for an empty sample).
    pub(super) largest: u64,
    /// Smallest gap between consecutive distinct values (rounded down by halving), or +∞.
    pub(super) min_gap: f64,
    /// Largest |value| (0 for an empty sample).
    pub(super) max_abs: f64,
    pub(super) has_negative_zero: bool,
}

impl Runs {
    /// Sentinels after the run values: the merge reads this many entries past a position.
    pub(super) const PADDING: usize = super::lanes::BLOCK_Y;

    /// The runs of a sample sorted by `total_cmp` and free of NaN (±∞ allowed). An empty
    /// sample has no runs (only the padding); equal values are those with the same bits, so
    /// -0.0 and 0.0 are two runs.
    pub(super) fn new(sorted: &[f64]) -> Runs {
        let Some((&first, &last)) = sorted.first().zip(sorted.last()) else {
            return Runs {
                padded: vec![f64::INFINITY; Self::PADDING],
                below: vec![0],
                min_gap: f64::INFINITY,
                ..Runs::default()
            };
        };
        // Each vector allocated once. Up to `UNCOUNTED` values for as many runs as values:
        // counting the runs first was a pass as long as the rest on tied data. Past that the
        // runs are counted first: vectors sized for every value of a large sample with few
        // runs came from fresh pages of the kernel at every call (0.1-grid data, 10⁵ values a
        // side: intervals 135 → 210–350 µs).
        let capacity = if sorted.len() <= UNCOUNTED {
            sorted.len()
        } else {
            1 + sorted
                .windows(2)
                .filter(|w| w[0].to_bits() != w[1].to_bits())
                .count()
        };
        let mut padded = Vec::with_capacity(capacity + Self::PADDING);
        let mut below = Vec::with_capacity(capacity + 1);
        // Copied in stretches of distinct values between the tied runs (most data has few):
        // a scan for the next equal neighbours, then one copy per stretch.
        let (mut ties, mut largest): (u128, u64) = (0, 1);
        let mut from = 0usize;
        while from < sorted.len() {
            let rest = &sorted[from..];
            let distinct = first_tie(rest);
            padded.extend_from_slice(&rest[..distinct]);
            below.extend(from as u64..(from + distinct) as u64);
            from += distinct;
            // A tied run starts at `from` (unless the sample ended).
            if let Some(&value) = sorted.get(from) {
                let size = run_length(&sorted[from..]);
                padded.push(value);
                below.push(from as u64);
                ties += tie_term(size as u64);
                largest = largest.max(size as u64);
                from += size;
            }
        }
        below.push(sorted.len() as u64);
        let runs = padded.len();
        padded.resize(runs + Self::PADDING, f64::INFINITY);
        let values = &padded[..runs];
        let min_gap = min_gap(values);
        Runs {
            // Halved: the rounded difference may exceed the exact one by half an ulp.
            min_gap: min_gap * 0.5,
            // -0.0 sorts just before 0.0, so a search finds it.
            has_negative_zero: sorted.binary_search_by(|v| v.total_cmp(&-0.0)).is_ok(),
            max_abs: first.abs().max(last.abs()),
            padded,
            below,
            ties,
            largest,
        }
    }

    /// Number of runs.
    pub(super) fn len(&self) -> usize {
        self.below.len() - 1
    }

    /// Number of values (all runs together).
    pub(super) fn total(&self) -> u64 {
        self.below.last().copied().unwrap_or(0)
    }

    /// The run values, ascending.
    pub(super) fn values(&self) -> &[f64] {
        &self.padded[..self.len()]
    }

    /// The run values followed by [`Runs::PADDING`] copies of +∞.
    pub(super) fn padded(&self) -> &[f64] {
        &self.padded
    }

    /// Size of run `k` (0 past the end).
    pub(super) fn count(&self, k: usize) -> u64 {
        match (self.below.get(k), self.below.get(k + 1)) {
            (Some(a), Some(b)) => b - a,
            _ => 0,
        }
    }
}

/// The first position of a sorted slice whose value equals the next one (its length when none
/// does), comparing bits: four neighbours at a time.
fn first_tie(v: &[f64]) -> usize {
    let same = |k: usize| v[k].to_bits() == v[k + 1].to_bits();
    let mut k = 0;
    while k + 4 < v.len() && !(same(k) | same(k + 1) | same(k + 2) | same(k + 3)) {
        k += 4;
    }
    while k + 1 < v.len() {
        if same(k) {
            return k;
        }
        k += 1;
    }
    v.len()
}

/// The number of values at the start of a slice sorted by `total_cmp` that equal its first
/// (the same bits), 0 for an empty slice: by galloping, in O(log t) for a run of `t`, so a run of
/// nearly the whole sample (zeros of an error count, a 0/1 flag) costs a few dozen comparisons,
/// not one per value.
fn run_length(sorted: &[f64]) -> usize {
    let Some(&first) = sorted.first() else {
        return 0;
    };
    let same = |v: &f64| v.to_bits() == first.to_bits();
    // Sorted by `total_cmp`, so equal bits are contiguous: find a step past the run, doubling,
    // then search the last stretch.
    let mut step = 1;
    while sorted.get(step).is_some_and(same) {
        step *= 2;
    }
    let from = step / 2;
    let upto = step.min(sorted.len());
    from + sorted[from..upto].partition_point(same)
}

/// The smallest difference between consecutive values of a sorted slice, +∞ for fewer than two
/// values. NaN differences (∞ − ∞) are skipped.
fn min_gap(values: &[f64]) -> f64 {
    // Four running minima over four differences at a time (one running minimum is a chain of
    // dependent `min`s); `if g < m` keeps `m` when `g` is NaN.
    let mut mins = [f64::INFINITY; 4];
    let (lower, upper) = (
        values.chunks_exact(4),
        values.get(1..).unwrap_or(&[]).chunks_exact(4),
    );
    let whole = lower.len().min(upper.len());
    for (lo, hi) in lower.zip(upper) {
        for l in 0..4 {
            let g = hi[l] - lo[l];
            mins[l] = if g < mins[l] { g } else { mins[l] };
        }
    }
    let tail = values.get(4 * whole..).unwrap_or(&[]);
    for w in tail.windows(2) {
        let g = w[1] - w[0];
        mins[0] = if g < mins[0] { g } else { mins[0] };
    }
    mins.into_iter().fold(f64::INFINITY, f64::min)
}

/// The two samples of an evaluator as runs.
#[derive(Debug, Clone)]
pub(super) struct Sides {
    pub(super) x: Runs,
    pub(super) y: Runs,
    /// `y.below` in 32 bits, then [`Runs::PADDING`] copies of the total, for the block steps
    /// of the counting pass; empty when `y` has 2³² values or more.
    pub(super) yb32: Vec<u32>,
}

impl Sides {
    /// The runs of two samples sorted by `total_cmp` and free of NaN.
    pub(super) fn new(x: &[f64], y: &[f64]) -> Sides {
        let y = Runs::new(y);
        // `below` rises to its total: all entries fit 32 bits when the total does.
        let yb32 = match y.below.last().map(|&total| u32::try_from(total)) {
            Some(Ok(total)) => {
                let mut yb32 = Vec::with_capacity(y.below.len() + Runs::PADDING);
                yb32.extend(y.below.iter().map(|&b| b as u32));
                yb32.resize(y.below.len() + Runs::PADDING, total);
                yb32
            }
            _ => Vec::new(),
        };
        Sides {
            x: Runs::new(x),
            y,
            yb32,
        }
    }

    /// Largest |value| of either sample (0 when both are empty).
    pub(super) fn max_abs(&self) -> f64 {
        self.x.max_abs.max(self.y.max_abs)
    }

    /// Σ(t³ − t) of the two samples apart, the tie term at a shift where no `x − d` meets a `y`,
    /// in 64 bits as the fast answers count it (it fits wherever they are taken; `u64::MAX`
    /// otherwise).
    pub(super) fn base_ties(&self) -> u64 {
        u64::try_from(self.x.ties + self.y.ties).unwrap_or(u64::MAX)
    }

    /// The pairs of equal values and the tie-term change when the `x` run `i` (shifted) joins
    /// the `y` run `k`, in 64 bits as the fast answers count them.
    pub(super) fn joined_ties(&self, i: usize, k: usize) -> (u64, u64) {
        let (cx, cy) = (self.x.count(i), self.y.count(k));
        let joined = narrow_tie_term(cx + cy) - narrow_tie_term(cx) - narrow_tie_term(cy);
        (cx * cy, joined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pattern of ties in samples of up to 13 values (each value equal to the one before
    /// or not), against runs counted one value at a time.
    #[test]
    fn runs_of_every_tie_pattern() {
        for len in 0..14usize {
            for pattern in 0u32..1 << len.saturating_sub(1) {
                let mut sample = Vec::with_capacity(len);
                for k in 0..len {
                    let tied = k > 0 && pattern >> (k - 1) & 1 == 1;
                    let next = match sample.last() {
                        Some(&v) if tied => v,
                        Some(&v) => v + 1.0,
                        None => 0.5,
                    };
                    sample.push(next);
                }
                let (mut values, mut below, mut ties) = (Vec::new(), Vec::new(), 0u128);
                for (k, &v) in sample.iter().enumerate() {
                    if values.last() != Some(&v) {
                        values.push(v);
                        below.push(k as u64);
                    }
                }
                below.push(len as u64);
                let mut largest = 0;
                for w in below.windows(2) {
                    ties += tie_term(w[1] - w[0]);
                    largest = largest.max(w[1] - w[0]);
                }
                let r = Runs::new(&sample);
                assert_eq!(r.values(), values.as_slice(), "{sample:?}");
                assert_eq!(r.below, below, "{sample:?}");
                assert_eq!(r.ties, ties, "{sample:?}");
                assert_eq!(r.largest, largest, "{sample:?}");
                assert_eq!(r.padded().len(), values.len() + Runs::PADDING);
            }
        }
    }

    /// Long runs, which the galloping search crosses in steps past every power of two: each
    /// length up to 600 at the start, the middle and the end of a sample, against counting.
    #[test]
    fn long_runs_measured_by_galloping() {
        for t in 0..600usize {
            for (before, after) in [(0, 0), (0, 3), (5, 0), (2, 7)] {
                let sample: Vec<f64> = (0..before)
                    .map(|k| -1.0 - k as f64)
                    .rev()
                    .chain(std::iter::repeat_n(0.0, t))
                    .chain((0..after).map(|k| 1.0 + k as f64))
                    .collect();
                assert_eq!(run_length(&sample[before..]), t.max(usize::from(after > 0)));
                let r = Runs::new(&sample);
                assert_eq!(r.largest, (t as u64).max(u64::from(!sample.is_empty())));
                assert_eq!(
                    r.len(),
                    before + after + usize::from(t > 0),
                    "{before} {t} {after}"
                );
                assert_eq!(r.total(), sample.len() as u64);
            }
        }
        // -0.0 and 0.0 are two runs: the search compares bits.
        let signed = [-0.0, -0.0, -0.0, 0.0, 0.0];
        assert_eq!(run_length(&signed), 3);
        assert_eq!(run_length(&signed[3..]), 2);
    }

    #[test]
    fn runs_of_a_tied_sample() {
        let r = Runs::new(&[-1.0, -0.0, 0.0, 0.0, 2.5, 2.5, 2.5, 4.0]);
        // -0.0 and 0.0 are different bits, so different runs.
        assert_eq!(r.values(), &[-1.0, -0.0, 0.0, 2.5, 4.0]);
        assert!(r.values()[1].is_sign_negative() && r.values()[2].is_sign_positive());
        assert_eq!(r.below, vec![0, 1, 2, 4, 7, 8]);
        assert_eq!(
            (0..6).map(|k| r.count(k)).collect::<Vec<_>>(),
            [1, 1, 2, 3, 1, 0]
        );
        assert_eq!(r.ties, 6 + 24);
        assert_eq!(r.largest, 3);
        assert!(r.has_negative_zero);
        // Gaps: 1, 0 (−0.0 to 0.0), 2.5, 1.5; halved.
        assert_eq!(r.min_gap, 0.0);
        assert_eq!(r.max_abs, 4.0);
        assert_eq!(&r.padded()[5..], &[f64::INFINITY; Runs::PADDING]);
    }

    #[test]
    fn least_gaps_of_every_length_and_position() {
        // The least gap placed at every position of slices of every length up to 11, so that
        // it falls in each of the four minima and in the tail.
        for len in 0..12usize {
            for at in 0..len.saturating_sub(1).max(1) {
                let values: Vec<f64> = (0..len)
                    .map(|k| 10.0 * k as f64 - if k > at { 9.5 } else { 0.0 })
                    .collect();
                let naive = values
                    .windows(2)
                    .map(|w| w[1] - w[0])
                    .fold(f64::INFINITY, f64::min);
                assert_eq!(min_gap(&values), naive, "len {len} at {at}");
            }
        }
    }

    #[test]
    fn runs_of_distinct_and_empty_samples() {
        let r = Runs::new(&[1.0, 1.25, 3.0, 7.0]);
        assert_eq!(r.len(), 4);
        assert_eq!(r.ties, 0);
        assert_eq!(r.min_gap, 0.125);
        assert!(!r.has_negative_zero);
        let e = Runs::new(&[]);
        assert_eq!((e.len(), e.ties, e.max_abs), (0, 0, 0.0));
        assert_eq!(e.min_gap, f64::INFINITY);
        assert_eq!(e.padded(), &[f64::INFINITY; Runs::PADDING]);
    }
}

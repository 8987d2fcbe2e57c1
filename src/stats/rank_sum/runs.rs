//! Both samples as runs of identical values: the form every counting pass works on.

use super::tie_term;

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
    /// Smallest gap between consecutive distinct values (rounded down by halving), or +∞.
    pub(super) min_gap: f64,
    /// Largest |value| (0 for an empty sample).
    pub(super) max_abs: f64,
    pub(super) has_negative_zero: bool,
}

impl Runs {
    /// Sentinels after the run values: the merge reads this many entries past a position.
    pub(super) const PADDING: usize = super::lanes::STRIDE;

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
        // Counted first so that each vector is allocated once, at its final size.
        let runs = 1 + sorted
            .windows(2)
            .filter(|w| w[0].to_bits() != w[1].to_bits())
            .count();
        // Filled without a branch per value (whether a value starts a run is data-dependent
        // and mispredicts on lightly tied data): every value is written at the current run,
        // which moves on when the value differs from the one before.
        let mut padded = vec![f64::INFINITY; runs + Self::PADDING];
        let mut below = vec![0u64; runs + 1];
        padded[0] = first;
        let (mut run, mut start) = (0usize, 0u64);
        for (k, w) in (1u64..).zip(sorted.windows(2)) {
            let starts = w[0].to_bits() != w[1].to_bits();
            run += usize::from(starts);
            start = if starts { k } else { start };
            // `run` counts the run starts so far, at most `runs − 1`.
            if let (Some(v), Some(b)) = (padded.get_mut(run), below.get_mut(run)) {
                *v = w[1];
                *b = start;
            }
        }
        below[runs] = sorted.len() as u64;
        let values = &padded[..runs];
        let min_gap = min_gap(values);
        let sizes = below.windows(2).map(|w| w[1] - w[0]);
        let ties = if sorted.len() < 1 << 21 {
            // Σ(t³ − t) ≤ n³ < 2⁶³: the sum fits 64 bits.
            u128::from(sizes.map(|t| t * t * t - t).sum::<u64>())
        } else {
            sizes.map(tie_term).sum()
        };
        Runs {
            // Halved: the rounded difference may exceed the exact one by half an ulp.
            min_gap: min_gap * 0.5,
            // -0.0 sorts just before 0.0, so a search finds it.
            has_negative_zero: sorted.binary_search_by(|v| v.total_cmp(&-0.0)).is_ok(),
            max_abs: first.abs().max(last.abs()),
            padded,
            below,
            ties,
        }
    }

    /// Number of runs.
    pub(super) fn len(&self) -> usize {
        self.below.len() - 1
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
}

impl Sides {
    pub(super) fn new(x: &[f64], y: &[f64]) -> Sides {
        Sides {
            x: Runs::new(x),
            y: Runs::new(y),
        }
    }

    /// Largest |value| of either sample (0 when both are empty).
    pub(super) fn max_abs(&self) -> f64 {
        self.x.max_abs.max(self.y.max_abs)
    }

    /// Σ(t³ − t) of the two samples apart, the tie term at a shift where no `x − d` meets a `y`.
    pub(super) fn base_ties(&self) -> u128 {
        self.x.ties + self.y.ties
    }

    /// The tie-term change when the `x` run `i` (shifted) joins the `y` run `k`.
    pub(super) fn joined_ties(&self, i: usize, k: usize) -> (u128, u128) {
        let (cx, cy) = (self.x.count(i), self.y.count(k));
        let equal = u128::from(cx) * u128::from(cy);
        (equal, tie_term(cx + cy) - tie_term(cx) - tie_term(cy))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

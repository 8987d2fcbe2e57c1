//! Both samples as runs of identical values: the form every counting pass works on.

use super::tie_term;

/// A sorted sample as runs of identical values (`total_cmp`-equal, i.e. the same bits).
#[derive(Debug, Clone, Default)]
pub(super) struct Runs {
    pub(super) values: Vec<f64>,
    pub(super) counts: Vec<u64>,
    /// `below[k]` = number of values strictly below `values[k]`; one extra entry holds the total.
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
    pub(super) fn new(sorted: &[f64]) -> Runs {
        // Counted first so that each vector is allocated once, at its final size.
        let runs = 1 + sorted
            .windows(2)
            .filter(|w| w[0].to_bits() != w[1].to_bits())
            .count();
        let mut r = Runs {
            values: Vec::with_capacity(runs),
            counts: Vec::with_capacity(runs),
            below: Vec::with_capacity(runs + 1),
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
        r.max_abs = match (sorted.first(), sorted.last()) {
            (Some(a), Some(b)) => a.abs().max(b.abs()),
            _ => 0.0,
        };
        r
    }

    /// Number of runs.
    pub(super) fn len(&self) -> usize {
        self.values.len()
    }
}

/// The two samples of an evaluator as runs, with the `y` values padded by +∞ sentinels so that
/// every counting pass may read a fixed number of entries past any position.
#[derive(Debug, Clone)]
pub(super) struct Sides {
    pub(super) x: Runs,
    pub(super) y: Runs,
    /// The values of the runs of `y`, then [`Sides::PADDING`] copies of +∞.
    pub(super) y_padded: Vec<f64>,
}

impl Sides {
    /// Sentinels after the `y` run values: the merge reads this many entries past a position.
    pub(super) const PADDING: usize = super::lanes::STRIDE;

    pub(super) fn new(x: &[f64], y: &[f64]) -> Sides {
        let (x, y) = (Runs::new(x), Runs::new(y));
        let mut y_padded = Vec::with_capacity(y.len() + Self::PADDING);
        y_padded.extend_from_slice(&y.values);
        y_padded.extend(std::iter::repeat(f64::INFINITY).take(Self::PADDING));
        Sides { x, y, y_padded }
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
        let (cx, cy) = (self.x.counts[i], self.y.counts[k]);
        let equal = u128::from(cx) * u128::from(cy);
        (equal, tie_term(cx + cy) - tie_term(cx) - tie_term(cy))
    }
}

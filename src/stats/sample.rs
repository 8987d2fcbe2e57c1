//! [`SortedSample`]: the invariant type the rank statistics take.

use super::StatsError;

/// A sample sorted ascending with no NaN.
///
/// Sorting uses IEEE 754 `totalOrder` (`f64::total_cmp`), the order of Java's `Double.compare`
/// that Kayenta's ranking uses, so `-0.0` sorts below `0.0` and the two are *not* tied.
/// ±∞ are allowed here (they sort to the ends); the judge refuses them earlier.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SortedSample {
    values: Vec<f64>,
}

impl SortedSample {
    /// Sorts `values` (one `sort_unstable_by(total_cmp)`).
    ///
    /// # Errors
    /// [`StatsError::NaN`] if any value is NaN.
    pub fn new(mut values: Vec<f64>) -> Result<Self, StatsError> {
        if values.iter().any(|v| v.is_nan()) {
            return Err(StatsError::NaN);
        }
        values.sort_unstable_by(f64::total_cmp);
        Ok(SortedSample { values })
    }

    /// Wraps values already sorted by `total_cmp` and free of NaN, checking both in O(n).
    ///
    /// # Errors
    /// [`StatsError::NaN`] if the slice is not NaN-free and sorted.
    pub fn from_sorted(values: Vec<f64>) -> Result<Self, StatsError> {
        let ok = values.iter().all(|v| !v.is_nan())
            && values.windows(2).all(|w| w[0].total_cmp(&w[1]).is_le());
        if ok {
            Ok(SortedSample { values })
        } else {
            Err(StatsError::NaN)
        }
    }

    /// The sorted values.
    pub fn as_slice(&self) -> &[f64] {
        &self.values
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when there are no values.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Smallest value, `None` when empty.
    pub fn min(&self) -> Option<f64> {
        self.values.first().copied()
    }

    /// Largest value, `None` when empty.
    pub fn max(&self) -> Option<f64> {
        self.values.last().copied()
    }

    /// True when the sample holds exactly one distinct value (bitwise, so `-0.0` and `0.0`
    /// differ, like Java's `Double.equals`). False when empty.
    pub fn is_constant(&self) -> bool {
        match (self.values.first(), self.values.last()) {
            (Some(a), Some(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }

    /// Keeps the values for which `keep` is true; the order, and so the invariant, is preserved.
    pub(crate) fn retain(&mut self, keep: impl FnMut(&f64) -> bool) {
        self.values.retain(keep);
    }
}

/// The first thing wrong with a sample that must be non-empty and sorted ascending (the checks
/// of the test functions that take sorted slices).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SampleProblem {
    /// No values.
    Empty,
    /// The value at this position is refused by the caller's rule (NaN, or any non-finite).
    Refused(usize),
    /// The value at this position is below the one before it.
    Unsorted(usize),
}

/// Checks `s` in the order empty, refused values (`refuse`), order; `None` when it is fine.
pub(crate) fn sample_problem(s: &[f64], refuse: impl Fn(f64) -> bool) -> Option<SampleProblem> {
    if s.is_empty() {
        return Some(SampleProblem::Empty);
    }
    if let Some(i) = s.iter().position(|&v| refuse(v)) {
        return Some(SampleProblem::Refused(i));
    }
    s.windows(2)
        .position(|w| w[1] < w[0])
        .map(|i| SampleProblem::Unsorted(i + 1))
}

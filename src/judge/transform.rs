//! Preprocessing (spec §3 step 4): raw series → [`CleanSeries`].

use super::settings::NanStrategy;
use crate::model::SummaryStats;
use crate::stats::{summary_stats, summary_stats_pair, SortedSample, StatsError};
use std::borrow::Cow;

/// A series after NaN handling and optional outlier removal: no NaN, kept both in input order
/// (for Kayenta's order-dependent sums) and sorted once (for everything rank-based).
///
/// Only [`CleanSeries::prepare`] builds one, so the classifiers can rely on the invariant. When
/// preparation changes nothing (no NaN, no outlier removed), the input-order values borrow the
/// raw series, so the only copy made is the sorted one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CleanSeries<'a> {
    values: Cow<'a, [f64]>,
    sorted: SortedSample,
    /// [`summary_stats`] of `values`, computed once: the judges report it and take the ratio
    /// of the means from it.
    summary: SummaryStats,
}

impl<'a> CleanSeries<'a> {
    /// Applies the NaN strategy, then, with `outlier_factor`, drops the values outside the IQR
    /// fences in reduced-sensitivity mode (see [`crate::stats::iqr_outliers`]).
    ///
    /// # Edge cases
    /// - empty or all-NaN input with `Remove`: an empty series;
    /// - `Replace` turns each NaN into 0.0;
    /// - ±∞ are kept (the judge refuses them before this point);
    /// - outlier removal on an empty series does nothing.
    pub fn prepare(raw: &'a [f64], nan: NanStrategy, outlier_factor: Option<f64>) -> Self {
        let mut series = Self::unsummarised(raw, nan, outlier_factor);
        series.summary = summary_stats(&series.values);
        series
    }

    /// [`CleanSeries::prepare`] of two series, an experiment and a control, with the same
    /// settings: the same two series, their summaries computed side by side (see
    /// [`summary_stats_pair`]), which is what a judge needs of each metric. The two may differ
    /// in length; either may be empty (its summary is then all zeros).
    pub fn prepare_pair(
        experiment: &'a [f64],
        control: &'a [f64],
        nan: NanStrategy,
        outlier_factor: Option<f64>,
    ) -> (Self, Self) {
        let mut e = Self::unsummarised(experiment, nan, outlier_factor);
        let mut c = Self::unsummarised(control, nan, outlier_factor);
        (e.summary, c.summary) = summary_stats_pair(&e.values, &c.values);
        (e, c)
    }

    /// [`CleanSeries::prepare`] with the summary left at its default.
    fn unsummarised(raw: &'a [f64], nan: NanStrategy, outlier_factor: Option<f64>) -> Self {
        let values: Cow<'a, [f64]> = if !raw.iter().any(|v| v.is_nan()) {
            Cow::Borrowed(raw)
        } else {
            match nan {
                NanStrategy::Remove => raw.iter().copied().filter(|v| !v.is_nan()).collect(),
                NanStrategy::Replace => raw
                    .iter()
                    .map(|&v| if v.is_nan() { 0.0 } else { v })
                    .collect(),
            }
        };
        let sorted = match SortedSample::new(values.to_vec()) {
            Ok(s) => s,
            // Unreachable: NaN was just removed or replaced.
            Err(StatsError::NaN) | Err(_) => SortedSample::default(),
        };
        let mut series = CleanSeries {
            values,
            sorted,
            summary: SummaryStats::default(),
        };
        if let Some(factor) = outlier_factor {
            series.remove_outliers(factor);
        }
        series
    }

    fn remove_outliers(&mut self, factor: f64) {
        if self.sorted.is_empty() {
            return;
        }
        let (low, high) = crate::stats::outliers_fences(&self.sorted, factor, true);
        let keep = |v: &f64| !(*v > high || *v < low);
        if self.values.iter().all(keep) {
            return;
        }
        self.values.to_mut().retain(keep);
        self.sorted.retain(keep);
    }

    /// The values in input order.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The values sorted ascending (`total_cmp`).
    pub fn sorted(&self) -> &SortedSample {
        &self.sorted
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when no values are left.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// [`summary_stats`] of the values (all zeros when empty), computed when the series was
    /// prepared.
    pub fn summary(&self) -> SummaryStats {
        self.summary
    }

    /// [`crate::stats::mean`] of the values: NaN when empty (where [`CleanSeries::summary`]
    /// reports 0).
    pub fn mean(&self) -> f64 {
        if self.is_empty() {
            f64::NAN
        } else {
            self.summary.mean
        }
    }
}

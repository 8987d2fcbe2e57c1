//! Metric classifiers (spec §3.1, §4.1–§4.2, §12).

use super::settings::{
    Direction, EffectSizeBounds, EffectSizeMeasure, MetricSettings, NanStrategy,
};
use super::transform::CleanSeries;
use crate::model::Classification;
use crate::stats::{self, MannWhitneyInterval, StatsError};
use thiserror::Error;

/// Names used in reason strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricLabels<'a> {
    /// The metric's name.
    pub name: &'a str,
    /// The canary's label: `"Canary"` in the judge.
    pub experiment: &'a str,
    /// The baseline's label: `"Baseline"` in the judge.
    pub control: &'a str,
}

impl<'a> MetricLabels<'a> {
    /// The labels the judge uses: `Canary` and `Baseline`.
    pub fn judge(name: &'a str) -> Self {
        MetricLabels {
            name,
            experiment: "Canary",
            control: "Baseline",
        }
    }
}

/// The per-metric arguments of `classify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClassifyArgs {
    /// Which change counts.
    pub direction: Direction,
    /// How NaN was handled (it decides what missing data means).
    pub nan_strategy: NanStrategy,
    /// Whether the metric is critical.
    pub critical: bool,
    /// Whether missing data is a failure.
    pub must_have_data: bool,
}

impl From<&MetricSettings> for ClassifyArgs {
    fn from(s: &MetricSettings) -> Self {
        ClassifyArgs {
            direction: s.direction,
            nan_strategy: s.nan_strategy,
            critical: s.critical,
            must_have_data: s.must_have_data,
        }
    }
}

/// Which branch of the decision order produced a classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClassifierPath {
    /// A side was empty.
    Nodata,
    /// Both sides hold the same multiset of values.
    Identical,
    /// One distinct value across both sides.
    SingleValue,
    /// Each side constant, the two different: decided by the sign of the difference (Kayenta adds
    /// random noise here instead; see [`MannWhitneyClassifier::classify`]).
    ConstantSides,
    /// The Mann-Whitney interval.
    RankTest,
}

/// A classifier's answer for one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricClassification {
    /// The label.
    pub classification: Classification,
    /// The reason text, when Kayenta gives one.
    pub reason: Option<String>,
    /// The mean ratio reported as `ratio` (1.0 on the no-data, identical and single-value paths).
    pub deviation: f64,
    /// True only for a critical High/Low past the critical threshold, or critical missing data.
    pub critical: bool,
    /// The branch taken.
    pub path: ClassifierPath,
    /// The interval and estimate, on the rank-test and constant-sides paths.
    pub interval: Option<MannWhitneyInterval>,
    /// The effect size compared with the thresholds, on the same paths.
    pub effect_size: Option<f64>,
}

/// Why a metric could not be classified; the judge reports it as `Error` /
/// "Metric Classification Failed".
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClassifyError {
    /// The rank statistics failed (e.g. all observations tied at a shift tried).
    #[error(transparent)]
    Stats(#[from] StatsError),
    /// One value on each side, and they differ: no interval can be formed. Kayenta fails here
    /// too, almost always.
    #[error("one observation on each side: cannot compute a confidence interval")]
    SingleObservations,
}

/// Kayenta's `MannWhitneyClassifier`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitneyClassifier {
    /// Fraction of |estimate| the interval must clear (0.25 in the judge).
    pub tolerance: f64,
    /// Confidence level of the interval (0.98 in the judge).
    pub confidence_level: f64,
    /// Effect-size thresholds a High/Low must also meet.
    pub allowed: EffectSizeBounds,
    /// Effect-size thresholds past which a critical metric fails the canary.
    pub critical: EffectSizeBounds,
    /// How the effect size is measured.
    pub measure: EffectSizeMeasure,
}

impl MannWhitneyClassifier {
    /// Tolerance the judge uses (fixed in Kayenta's code).
    pub const JUDGE_TOLERANCE: f64 = 0.25;
    /// Confidence level the judge uses (fixed in Kayenta's code).
    pub const JUDGE_CONFIDENCE_LEVEL: f64 = 0.98;

    /// The classifier `NetflixACAJudge-v1.0` builds for a metric.
    pub fn for_judge(settings: &MetricSettings) -> Self {
        MannWhitneyClassifier {
            tolerance: Self::JUDGE_TOLERANCE,
            confidence_level: Self::JUDGE_CONFIDENCE_LEVEL,
            allowed: settings.allowed,
            critical: settings.critical_bounds,
            measure: settings.measure,
        }
    }

    /// Classifies `experiment` against `control`, in Kayenta's decision order:
    ///
    /// 1. **No data** (either side empty): with `Remove`, `NodataFailMetric` if `must_have_data`
    ///    and not critical, else `Nodata` carrying the metric's `critical` flag; with `Replace`,
    ///    `Pass`. Reason "Missing data for &lt;name&gt;" (none for `Replace`), deviation 1.0.
    /// 2. **Identical** multisets: `Pass`, "The &lt;canary&gt; and &lt;baseline&gt; data are identical".
    /// 3. **One distinct value** across both sides: `Pass`, no reason.
    /// 4. **Both sides constant**, different values. Kayenta adds Gaussian noise (sd = value ×
    ///    1e-5) from an unseeded generator and runs the rank test, so its answer is not
    ///    reproducible. **Deliberate difference:** we decide by the sign of canary − baseline
    ///    (High if greater, Low if smaller, subject to direction and effect size, as the noisy
    ///    test nearly always does), with the ratio and effect size of the clean data, and report
    ///    the degenerate interval `[c − b, c − b]`. With one value on each side Kayenta almost
    ///    always fails; we always return [`ClassifyError::SingleObservations`].
    /// 5. **Rank test**: High when the direction allows it, the interval's lower end is above
    ///    `tolerance·|estimate|`, and the effect size is NaN or ≥ `allowed.increase`; Low
    ///    mirrored; else Pass.
    /// 6. **Critical escalation**: for a critical metric, a High with effect size NaN or ≥
    ///    `critical.increase` (Low: ≤ `critical.decrease`) becomes critical with the reason
    ///    "The metric &lt;name&gt; was classified as High (Critical)".
    ///
    /// # Edge cases
    /// - a mean of exactly 0 on either side makes the deviation NaN; with `meanRatio` the
    ///   effect-size filter is then skipped (NaN counts as "threshold met");
    /// - ties: heavy ties can invert the interval (lower > upper); this is reported as found.
    ///
    /// # Errors
    /// [`ClassifyError`] when no interval can be formed.
    pub fn classify(
        &self,
        control: &CleanSeries,
        experiment: &CleanSeries,
        args: ClassifyArgs,
        labels: MetricLabels<'_>,
    ) -> Result<MetricClassification, ClassifyError> {
        let simple =
            |classification, reason: Option<String>, critical, path| MetricClassification {
                classification,
                reason,
                deviation: 1.0,
                critical,
                path,
                interval: None,
                effect_size: None,
            };

        if experiment.is_empty() || control.is_empty() {
            let missing = format!("Missing data for {}", labels.name);
            return Ok(match args.nan_strategy {
                NanStrategy::Remove if args.must_have_data && !args.critical => simple(
                    Classification::NodataFailMetric,
                    Some(missing),
                    false,
                    ClassifierPath::Nodata,
                ),
                NanStrategy::Remove => simple(
                    Classification::Nodata,
                    Some(missing),
                    args.critical,
                    ClassifierPath::Nodata,
                ),
                NanStrategy::Replace => {
                    simple(Classification::Pass, None, false, ClassifierPath::Nodata)
                }
            });
        }

        let (x, y) = (experiment.sorted(), control.sorted());
        if x.len() == y.len() && x.as_slice().iter().zip(y.as_slice()).all(|(a, b)| a == b) {
            let reason = format!(
                "The {} and {} data are identical",
                labels.experiment, labels.control
            );
            return Ok(simple(
                Classification::Pass,
                Some(reason),
                false,
                ClassifierPath::Identical,
            ));
        }

        let (x_const, y_const) = (x.is_constant(), y.is_constant());
        if x_const && y_const && x.as_slice()[0].to_bits() == y.as_slice()[0].to_bits() {
            return Ok(simple(
                Classification::Pass,
                None,
                false,
                ClassifierPath::SingleValue,
            ));
        }

        let deviation = stats::ratio_of_means(experiment.mean(), control.mean());
        let effect = match self.measure {
            EffectSizeMeasure::MeanRatio => deviation,
            EffectSizeMeasure::Cles => stats::cles(x, y),
        };

        let (comparison, interval, path) = if x_const && y_const {
            if x.len() == 1 && y.len() == 1 {
                return Err(ClassifyError::SingleObservations);
            }
            let (e, c) = (x.as_slice()[0], y.as_slice()[0]);
            let shift = e - c;
            let high = args.direction.allows_increase() && e > c && self.effect_allows_high(effect);
            let low = args.direction.allows_decrease() && e < c && self.effect_allows_low(effect);
            let interval = MannWhitneyInterval {
                lower: shift,
                upper: shift,
                estimate: shift,
                mu_min: shift,
                mu_max: shift,
                evaluations: 0,
            };
            (pick(high, low), interval, ClassifierPath::ConstantSides)
        } else {
            let mw = stats::kayenta_interval(x, y, self.confidence_level)?;
            let bound = self.tolerance * mw.estimate.abs();
            let high = args.direction.allows_increase()
                && mw.lower > bound
                && self.effect_allows_high(effect);
            let low = args.direction.allows_decrease()
                && mw.upper < -bound
                && self.effect_allows_low(effect);
            (pick(high, low), mw, ClassifierPath::RankTest)
        };

        let (reason, critical) = match comparison {
            Classification::High
                if args.critical && (effect.is_nan() || effect >= self.critical.increase) =>
            {
                (
                    Some(format!(
                        "The metric {} was classified as High (Critical)",
                        labels.name
                    )),
                    true,
                )
            }
            Classification::Low
                if args.critical && (effect.is_nan() || effect <= self.critical.decrease) =>
            {
                (
                    Some(format!(
                        "The metric {} was classified as Low (Critical)",
                        labels.name
                    )),
                    true,
                )
            }
            Classification::High | Classification::Low => (
                Some(format!("{} was classified as {}", labels.name, comparison)),
                false,
            ),
            _ => (None, false),
        };

        Ok(MetricClassification {
            classification: comparison,
            reason,
            deviation,
            critical,
            path,
            interval: Some(interval),
            effect_size: Some(effect),
        })
    }

    fn effect_allows_high(&self, effect: f64) -> bool {
        effect.is_nan() || effect >= self.allowed.increase
    }

    fn effect_allows_low(&self, effect: f64) -> bool {
        effect.is_nan() || effect <= self.allowed.decrease
    }
}

fn pick(high: bool, low: bool) -> Classification {
    if high {
        Classification::High
    } else if low {
        Classification::Low
    } else {
        Classification::Pass
    }
}

/// Kayenta's `MeanInequalityClassifier`: High if mean(canary) > mean(baseline) and the direction
/// allows it, Low if smaller, else Pass. Kept for benchmarking and Kayenta's tests; the judge
/// does not use it.
///
/// # Edge cases
/// - either side empty: `Nodata` with deviation 0.0;
/// - NaN means (NaN in the data): neither comparison holds, so `Pass`.
pub fn classify_mean_inequality(
    control: &[f64],
    experiment: &[f64],
    direction: Direction,
    labels: MetricLabels<'_>,
) -> MetricClassification {
    let result = |classification, reason: Option<String>, deviation| MetricClassification {
        classification,
        reason,
        deviation,
        critical: false,
        path: ClassifierPath::RankTest,
        interval: None,
        effect_size: None,
    };
    if control.is_empty() || experiment.is_empty() {
        return result(Classification::Nodata, None, 0.0);
    }
    let (e, c) = (stats::mean(experiment), stats::mean(control));
    let ratio = e / c;
    if direction.allows_increase() && e > c {
        let reason = format!(
            "The {} mean was greater than the {} mean",
            labels.experiment, labels.control
        );
        result(Classification::High, Some(reason), ratio)
    } else if direction.allows_decrease() && e < c {
        let reason = format!(
            "The {} mean was less than the {} mean",
            labels.experiment, labels.control
        );
        result(Classification::Low, Some(reason), ratio)
    } else {
        result(Classification::Pass, None, ratio)
    }
}

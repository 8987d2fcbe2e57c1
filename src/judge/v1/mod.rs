//! `canary-judge-v1`: the improved judge. Same config and request as Kayenta's judge; selected
//! with `canaryConfig.judge.name = "canary-judge-v1"` (or `--judge`).
//!
//! # Tests, per metric (`analysisConfigurations.canary.test`)
//! - `auto` (default): `rate` when the metric names a `denominator`, else `rank` **and**
//!   `distribution` together (the metric's p-value is Bonferroni over the two: `min(1, 2·min p)`);
//! - `rank`: Mann-Whitney (exact null distribution for small samples without ties, else the
//!   tie-corrected normal approximation, as R's `wilcox.test`) with the Hodges–Lehmann shift and
//!   its interval;
//! - `distribution`: two-sample Kolmogorov–Smirnov for significance; the change is the quantile
//!   (p10, p50, p90, and p99 from 100 points a side) that moved most relative to the baseline
//!   in an allowed direction, with a distribution-free interval;
//! - `rate`: errors over traffic, `Σ metric` (rounded to whole events) over `Σ denominator` a
//!   side, the exact conditional test of two Poisson rates and the rate ratio's interval;
//!   a `rate` metric without `direction` counts only increases;
//! - `threshold`: `{"aggregate": "mean" | "pNN" | "rate", "min": …, "max": …}` on the canary
//!   alone; also checked under the other tests when configured.
//!
//! # The decision rule
//! With confidence `c` (`classifier.confidence`, default 0.99) and `α = 1 − c`, the metrics'
//! p-values are adjusted across the judgement's non-muted tested metrics
//! (`classifier.multipleTesting`: `holm`, the default, `bh` or `none`). A metric is **High**
//! (Low) only when
//! 1. its adjusted p-value is at most `α` (the change is real), and
//! 2. the estimated change, relative to the baseline's level, is above
//!    `allowedIncrease − 1` (below `−(1 − allowedDecrease)`) in a direction the metric's
//!    `direction` allows (the change is larger than the allowed margin).
//!
//! Otherwise it is **Pass**, with rule `within-margin` (real but small), `equivalent` (not
//! significant and the interval lies inside the margins: equivalence shown) or
//! `not-significant`. Rank changes are relative to the baseline's median (its mean when the
//! median is 0; a baseline level of 0 makes any increase infinitely large); rate changes are the
//! rate ratio − 1. Margins default to 0 (Kayenta's 1.0).
//!
//! Worked example (run as a doctest): latency may rise by 10% (`allowedIncrease: 1.1`, direction
//! `increase`), CPU by ±10%; 60 points a side. Latency's Hodges–Lehmann shift is +12.3% of the
//! baseline's median with a 99% interval of +8.9% … +15.5% and p < 0.0001, so the change is real
//! (Holm over the two metrics still leaves p ≤ 0.01) and larger than the allowed +10%: High. CPU's
//! interval −1.9% … +1.9% lies inside ±10%: Pass, equivalence shown. Had latency's shift been +8%,
//! it would Pass with rule `within-margin`.
//!
//! ```
//! use canary_judge::{judge, parse_request, Verdict};
//! use canary_judge::model::Classification;
//! use serde_json::json;
//!
//! let wave = |k: i32, scale: f64| -> Vec<f64> {
//!     (0..60).map(|i| ((200 + (i * k) % 41 - 20) as f64 * scale * 10.0).round() / 10.0).collect()
//! };
//! let cpu = |k: i32| -> Vec<f64> { (0..60).map(|i| 10.0 + f64::from((i * k) % 11) * 0.1).collect() };
//! let request = parse_request(&json!({
//!     "canaryConfig": {
//!         "judge": {"name": "canary-judge-v1"},
//!         "classifier": {"groupWeights": {}},
//!         "metrics": [
//!             {"name": "latency", "groups": ["latency"], "analysisConfigurations": {"canary":
//!                 {"direction": "increase", "effectSize": {"allowedIncrease": 1.1}}}},
//!             {"name": "cpu", "groups": ["system"], "analysisConfigurations": {"canary":
//!                 {"effectSize": {"allowedIncrease": 1.1, "allowedDecrease": 0.9}}}}]},
//!     "scoreThresholds": {"pass": 95, "marginal": 75},
//!     "metricSetPairList": [
//!         {"name": "latency", "values": {"control": wave(37, 1.0), "experiment": wave(53, 1.124)}},
//!         {"name": "cpu", "values": {"control": cpu(7), "experiment": cpu(5)}}]
//! }).to_string())?;
//! let result = judge(&request)?;
//! let latency = &result.results[0];
//! assert_eq!(latency.classification, Classification::High);
//! assert_eq!(
//!     latency.classification_reason.as_deref(),
//!     Some("latency: canary +12.3% (99% CI +8.9% … +15.5%), p < 0.0001, n = 60/60; \
//!           allowed +10.0%, decreases ignored → High")
//! );
//! let cpu = result.results[1].result_metadata.as_ref().and_then(|m| m.evidence.as_deref());
//! assert_eq!(cpu.map(|e| e.rule.as_str()), Some("equivalent"));
//! assert_eq!(result.score.classification, Verdict::Fail);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Data sufficiency
//! Fewer than `minSamples` points on a side (default 50; 1 for `threshold`), or for `rate` fewer
//! than `minRequests` (default 100) of the denominator on a side, gives `Nodata` with rule
//! `insufficient-data` and a reason with the counts: never High, Low or Pass. No points at all
//! gives `Nodata` (rule `no-data`; `NodataFailMetric` with `mustHaveData`); a failed
//! classification gives `Error` (rule `error`).
//!
//! # Scoring
//! As Kayenta's, with these differences: each result has a weight (`tagWeights`, default 1) in
//! its group's score; a metric that could not be classified (`Error`) counts as not passing in
//! its group (Kayenta leaves it out, so a canary whose only metric errored scores 100);
//! insufficient data is neither counted in groups nor in the "50% NODATA" rule, and does not
//! fail a critical metric; when nothing at all could be scored because data are short, or the
//! canary would pass while a critical metric is short of data, the canary is "not yet": score =
//! the marginal threshold, verdict Marginal, a reason with the counts. Groups get a verdict and
//! a reason; the summary reason names failing metrics.
//! Group weights must be 0 or more and add up to at most 100, so that the score stays within
//! 0–100 ([`JudgeError::InvalidClassifierSetting`] on `groupWeights` otherwise), and the score
//! thresholds within 0–100 with `marginal` at most `pass` ([`JudgeError::ThresholdsOutOfRange`]);
//! Kayenta's judge takes any finite weights and thresholds.
//!
//! # Determinism
//! No randomness and no parallel reductions: the same request gives the same result, bit for
//! bit, everywhere.

mod adjust;
pub(crate) mod analyse;
mod decide;
pub(crate) mod explain;
pub(crate) mod score;
mod settings;

pub use adjust::adjust_p_values;
pub use settings::{
    Aggregate, MultipleTesting, TagWeights, TestChoice, ThresholdRule, V1ClassifierSettings,
    V1MetricSettings, DEFAULT_CONFIDENCE, DEFAULT_MARGIN, DEFAULT_MIN_REQUESTS,
    DEFAULT_MIN_SAMPLES,
};

use super::{check_finite, checked_classifier, CleanSeries};
use crate::error::JudgeError;
use crate::model::{
    CanaryAnalysisResult, CanaryJudgeResult, CanaryMetricConfig, JudgeRequest, MetricSetPair,
    ResultMetadata, SideMetadata,
};
use crate::stats::ratio_of_means;
use analyse::{Analysis, Outcome};
use decide::{decide, Context};

/// The improved judge's name.
pub const CANARY_JUDGE_V1: &str = "canary-judge-v1";

/// One pair prepared for deciding.
struct Prepared<'a> {
    pair: &'a MetricSetPair,
    settings: V1MetricSettings,
    groups: Vec<String>,
    outcome: Outcome,
    analysis: Analysis,
    stats: (SideMetadata, SideMetadata, f64),
}

/// The checks both improved judges make before judging: Kayenta's judge's
/// ([`checked_classifier`]), then group weights of 0 or more adding up to at most 100, score
/// thresholds within 0–100 in order, and at least one metric pair.
pub(crate) fn checked_for_improved_judges(
    request: &JudgeRequest,
) -> Result<&crate::model::CanaryClassifierConfig, JudgeError> {
    let classifier = checked_classifier(request)?;
    score::check_weights(&classifier.group_weights)?;
    score::check_thresholds(request.score_thresholds)?;
    if request.metric_set_pair_list.is_empty() {
        return Err(JudgeError::NoMetricPairs);
    }
    Ok(classifier)
}

/// Runs `canary-judge-v1` on a request (see the module docs for the rules).
///
/// # Errors
/// The checks of Kayenta's judge (thresholds, classifier, group weights, metric configs,
/// groups, ±∞ samples), plus [`JudgeError::InvalidSetting`] /
/// [`JudgeError::InvalidClassifierSetting`] for the new settings and for group weights below 0
/// or adding up to more than 100, [`JudgeError::ThresholdsOutOfRange`] for score thresholds
/// outside 0–100 or out of order, [`JudgeError::NoMetricPairs`] for an empty
/// `metricSetPairList`, and [`JudgeError::MissingDenominator`] when a `rate` metric's
/// denominator has no pair with the same tags.
pub fn canary_judge_v1(request: &JudgeRequest) -> Result<CanaryJudgeResult, JudgeError> {
    let classifier = checked_for_improved_judges(request)?;
    let judgement = V1ClassifierSettings::read(&classifier.other)?;
    let confidence = judgement.confidence;
    let alpha = 1.0 - confidence;
    let config = &request.canary_config;
    let pairs = &request.metric_set_pair_list;

    let mut prepared = Vec::with_capacity(pairs.len());
    for (index, pair) in pairs.iter().enumerate() {
        let metric_config = crate::judge::metric_config(config, index, pair)?;
        prepared.push(prepare(index, pair, metric_config, pairs, confidence)?);
    }

    // The judgement's family: non-muted metrics whose tests gave p-values.
    let family: Vec<usize> = prepared
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            !p.settings.base.muted
                && matches!(&p.outcome, Outcome::Tested { components, .. } if !components.is_empty())
        })
        .map(|(i, _)| i)
        .collect();
    let raw: Vec<f64> = family
        .iter()
        .map(|&i| match &prepared[i].outcome {
            Outcome::Tested { p, .. } => *p,
            _ => 1.0,
        })
        .collect();
    let (adjusted_values, multipliers) =
        adjust::adjust_with_multipliers(&raw, judgement.multiple_testing);
    let mut adjusted = vec![None; prepared.len()];
    for ((&i, &a), &k) in family.iter().zip(&adjusted_values).zip(&multipliers) {
        adjusted[i] = Some((a, k));
    }

    let weights = result_weights(&prepared);
    let mut results = Vec::with_capacity(prepared.len());
    for ((p, adjusted), weight) in prepared.into_iter().zip(adjusted).zip(weights) {
        let ctx = Context {
            name: &p.pair.name,
            settings: &p.settings,
            alpha,
            confidence,
            adjusted,
        };
        let mut d = decide(&ctx, p.outcome, p.analysis);
        d.evidence.weight = Some(weight);
        let (experiment_metadata, control_metadata, ratio) = p.stats;
        results.push(CanaryAnalysisResult {
            name: p.pair.name.clone(),
            tags: p.pair.tags.clone(),
            id: p.pair.id.clone(),
            classification: d.classification,
            classification_reason: Some(d.reason),
            groups: p.groups,
            experiment_metadata,
            control_metadata,
            result_metadata: Some(ResultMetadata {
                ratio,
                evidence: Some(Box::new(d.evidence)),
            }),
            critical: d.critical,
            muted: p.settings.base.muted,
        });
    }

    let scored: Vec<score::Scored<'_>> = results
        .iter()
        .map(|r| {
            let evidence = r
                .result_metadata
                .as_ref()
                .and_then(|m| m.evidence.as_deref());
            score::Scored {
                name: &r.name,
                classification: r.classification,
                rule: evidence.map_or("", |e| e.rule.as_str()),
                groups: &r.groups,
                critical: r.critical,
                muted: r.muted,
                weight: evidence.and_then(|e| e.weight).unwrap_or(1.0),
                reason: r.classification_reason.as_deref().unwrap_or(""),
            }
        })
        .collect();
    let (group_scores, summary) =
        score::score(&scored, &classifier.group_weights, request.score_thresholds);
    Ok(CanaryJudgeResult {
        judge_name: CANARY_JUDGE_V1.to_string(),
        results,
        group_scores,
        score: summary,
    })
}

fn prepare<'a>(
    index: usize,
    pair: &'a MetricSetPair,
    config: &'a CanaryMetricConfig,
    pairs: &'a [MetricSetPair],
    confidence: f64,
) -> Result<Prepared<'a>, JudgeError> {
    let name = pair.name.as_str();
    let groups = crate::judge::metric_groups(config, name)?;
    let settings = V1MetricSettings::read(name, config.analysis_configurations.as_ref())?;
    check_finite(index, pair)?;
    let base = &settings.base;
    let (experiment, control) = base.clean_pair(&pair.values.experiment, &pair.values.control);

    let denominator = match &settings.denominator {
        None => None,
        Some(d) => Some(denominator_pair(index, pair, d, pairs)?),
    };
    let mut analysis = Analysis::default();
    let outcome = match (settings.test, denominator) {
        (TestChoice::Threshold, den) => {
            analysis.control_count = control.len() as f64;
            analysis.experiment_count = experiment.len() as f64;
            if experiment.is_empty() {
                Outcome::NoData
            } else if experiment.len() < settings.min_samples {
                Outcome::Insufficient(format!(
                    "{} canary points, at least {} needed",
                    experiment.len(),
                    settings.min_samples
                ))
            } else {
                Outcome::Tested {
                    p: 1.0,
                    components: Vec::new(),
                }
            }
            .with_threshold(&settings, &experiment, den, &mut analysis)
        }
        (TestChoice::Rate | TestChoice::Auto, Some(den)) => analyse::rate(
            &settings,
            (&control, &experiment),
            (&den.values.control, &den.values.experiment),
            confidence,
            &mut analysis,
        )
        .with_threshold(&settings, &experiment, Some(den), &mut analysis),
        (_, den) => {
            analyse::continuous(&settings, &control, &experiment, confidence, &mut analysis)
                .with_threshold(&settings, &experiment, den, &mut analysis)
        }
    };
    let stats = (
        SideMetadata {
            stats: experiment.summary(),
        },
        SideMetadata {
            stats: control.summary(),
        },
        ratio_of_means(experiment.mean(), control.mean()),
    );
    Ok(Prepared {
        pair,
        settings,
        groups,
        outcome,
        analysis,
        stats,
    })
}

impl Outcome {
    /// Checks the threshold, when one is configured and the canary has enough points for it.
    fn with_threshold(
        self,
        settings: &V1MetricSettings,
        experiment: &CleanSeries<'_>,
        denominator: Option<&MetricSetPair>,
        analysis: &mut Analysis,
    ) -> Outcome {
        let needed = if settings.test == TestChoice::Threshold {
            settings.min_samples
        } else {
            1
        };
        if let Some(rule) = &settings.threshold {
            if experiment.len() >= needed {
                analysis.threshold = analyse::threshold(
                    rule,
                    experiment,
                    denominator.map(|d| d.values.experiment.as_slice()),
                    analysis,
                );
            }
        }
        self
    }
}

/// The denominator's pair: the same tags, else the only pair of that name.
pub(crate) fn denominator_pair<'a>(
    index: usize,
    pair: &MetricSetPair,
    denominator: &str,
    pairs: &'a [MetricSetPair],
) -> Result<&'a MetricSetPair, JudgeError> {
    let named: Vec<&MetricSetPair> = pairs.iter().filter(|p| p.name == denominator).collect();
    named
        .iter()
        .find(|p| p.tags == pair.tags)
        .or(if named.len() == 1 {
            named.first()
        } else {
            None
        })
        .copied()
        .ok_or_else(|| JudgeError::MissingDenominator {
            index,
            metric: pair.name.clone(),
            denominator: denominator.to_string(),
        })
}

/// Each result's scoring weight: its tag weight, shared within the metric when `perMetric`.
fn result_weights(prepared: &[Prepared<'_>]) -> Vec<f64> {
    let raw: Vec<f64> = prepared
        .iter()
        .map(|p| {
            p.settings
                .tag_weights
                .as_ref()
                .map_or(1.0, |t| t.weight_of(&p.pair.tags))
        })
        .collect();
    // Each metric's total, summed once in input order.
    let mut totals: std::collections::BTreeMap<&str, f64> = std::collections::BTreeMap::new();
    for (p, &w) in prepared.iter().zip(&raw) {
        *totals.entry(p.pair.name.as_str()).or_insert(0.0) += w;
    }
    prepared
        .iter()
        .zip(&raw)
        .map(|(p, &w)| match &p.settings.tag_weights {
            Some(t) if t.per_metric => match totals.get(p.pair.name.as_str()) {
                Some(&total) if total > 0.0 => w / total,
                _ => 0.0,
            },
            _ => w,
        })
        .collect()
}

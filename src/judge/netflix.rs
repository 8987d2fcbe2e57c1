//! `NetflixACAJudge-v1.0` (spec §3, §7, §8).

use super::classifier::{ClassifyArgs, MannWhitneyClassifier, MetricClassification, MetricLabels};
use super::scorer::{score, ScoredMetric};
use super::settings::MetricSettings;
use super::{check_finite, checked_classifier, NETFLIX_ACA_JUDGE};
use crate::error::JudgeError;
use crate::model::{
    CanaryAnalysisResult, CanaryJudgeResult, CanaryMetricConfig, Classification, JudgeRequest,
    MetricSetPair, ResultMetadata, SideMetadata,
};

/// One judged metric: the wire result plus what the classifier found (interval, effect size,
/// branch), for callers that explain verdicts.
#[derive(Debug, Clone, PartialEq)]
pub struct JudgedMetric {
    /// The result as Kayenta reports it.
    pub result: CanaryAnalysisResult,
    /// The classifier's full answer; `None` when classification failed (`Error`).
    pub classification: Option<MetricClassification>,
    /// The settings read from the metric's config.
    pub settings: MetricSettings,
}

/// Classifies one metric set pair against its metric config, as `NetflixACAJudge-v1.0` does.
///
/// `index` is the pair's position in `metricSetPairList`, used in error messages.
///
/// # Errors
/// - [`JudgeError::MissingGroups`] when the config has no `groups` list;
/// - [`JudgeError::InvalidSetting`] for a wrongly typed setting;
/// - [`JudgeError::NonFiniteValue`] for a ±∞ sample (NaN is fine: it is missing data).
pub fn judge_metric(
    index: usize,
    pair: &MetricSetPair,
    config: &CanaryMetricConfig,
) -> Result<JudgedMetric, JudgeError> {
    let name = pair.name.as_str();
    let groups = super::metric_groups(config, name)?;
    let settings = MetricSettings::from_analysis_configurations(
        name,
        config.analysis_configurations.as_ref(),
    )?;
    check_finite(index, pair)?;

    let (experiment, control) = settings.clean_pair(&pair.values.experiment, &pair.values.control);
    let classifier = MannWhitneyClassifier::for_judge(&settings);
    let outcome = classifier.classify(
        &control,
        &experiment,
        ClassifyArgs::from(&settings),
        MetricLabels::judge(name),
    );

    let (classification, reason, critical, result_metadata, details) = match outcome {
        Ok(c) => (
            c.classification,
            c.reason.clone(),
            c.critical,
            Some(ResultMetadata::ratio(c.deviation)),
            Some(c),
        ),
        Err(_) => (
            Classification::Error,
            Some("Metric Classification Failed".to_string()),
            false,
            None,
            None,
        ),
    };

    Ok(JudgedMetric {
        result: CanaryAnalysisResult {
            name: pair.name.clone(),
            tags: pair.tags.clone(),
            id: pair.id.clone(),
            classification,
            classification_reason: reason,
            groups,
            experiment_metadata: SideMetadata {
                stats: experiment.summary(),
            },
            control_metadata: SideMetadata {
                stats: control.summary(),
            },
            result_metadata,
            critical,
            muted: settings.muted,
        },
        classification: details,
        settings,
    })
}

/// Below this many points in all, a request is judged on the calling thread.
pub const PARALLEL_MIN_POINTS: usize = 200_000;

/// True when the `parallel` feature is on and the request is large enough to share out.
fn parallel_worthwhile(pairs: &[MetricSetPair]) -> bool {
    cfg!(feature = "parallel")
        && pairs.len() > 1
        && pairs
            .iter()
            .map(|p| p.values.control.len() + p.values.experiment.len())
            .sum::<usize>()
            >= PARALLEL_MIN_POINTS
}

/// Runs `NetflixACAJudge-v1.0` on a request: every pair is classified against the first metric
/// config of the same name, then the results are scored. With the `parallel` feature, a request
/// of at least [`PARALLEL_MIN_POINTS`] points judges its metrics across rayon's threads; the
/// results (and which error is reported) are the same either way.
///
/// # Errors
/// The whole judgement fails, as in Kayenta, on:
/// - a threshold that is not finite ([`JudgeError::InvalidThreshold`]; Kayenta would accept it —
///   a deliberate difference);
/// - a missing `classifier` ([`JudgeError::MissingClassifier`]) or a non-finite group weight
///   ([`JudgeError::InvalidGroupWeight`], also a deliberate difference);
/// - a pair without a metric config ([`JudgeError::MissingMetricConfig`]);
/// - any error of [`judge_metric`].
pub fn netflix_aca_judge(request: &JudgeRequest) -> Result<CanaryJudgeResult, JudgeError> {
    let thresholds = request.score_thresholds;
    let config = &request.canary_config;
    let classifier = checked_classifier(request)?;

    let one = |(index, pair): (usize, &MetricSetPair)| -> Result<CanaryAnalysisResult, JudgeError> {
        let metric_config = crate::judge::metric_config(config, index, pair)?;
        Ok(judge_metric(index, pair, metric_config)?.result)
    };
    let pairs = &request.metric_set_pair_list;
    // Results and the first error, both in input order, whichever way they were computed.
    let results: Vec<CanaryAnalysisResult> = if parallel_worthwhile(pairs) {
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            let computed: Vec<Result<CanaryAnalysisResult, JudgeError>> =
                pairs.par_iter().enumerate().map(one).collect();
            computed.into_iter().collect::<Result<_, _>>()?
        }
        #[cfg(not(feature = "parallel"))]
        {
            pairs
                .iter()
                .enumerate()
                .map(one)
                .collect::<Result<_, _>>()?
        }
    } else {
        pairs
            .iter()
            .enumerate()
            .map(one)
            .collect::<Result<_, _>>()?
    };

    let scored: Vec<ScoredMetric<'_>> = results
        .iter()
        .map(|r| ScoredMetric {
            classification: r.classification,
            groups: &r.groups,
            critical: r.critical,
            muted: r.muted,
            reason: r.classification_reason.as_deref(),
        })
        .collect();
    let scores = score(&scored, &classifier.group_weights, thresholds);

    Ok(CanaryJudgeResult {
        judge_name: NETFLIX_ACA_JUDGE.to_string(),
        results,
        group_scores: scores.group_scores,
        score: scores.summary,
    })
}

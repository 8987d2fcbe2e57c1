//! `CanaryJudgeResult` and its parts (spec §8), serialised in Jackson's field order.

use super::float;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A metric's classification label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Classification {
    /// No significant change, or too little to matter.
    Pass,
    /// The canary is significantly higher.
    High,
    /// The canary is significantly lower.
    Low,
    /// A side had no data; left out of group scores.
    Nodata,
    /// A side had no data and the metric must have data; counts as a failure.
    NodataFailMetric,
    /// Classification failed (e.g. all observations tied at the bracket end); left out of scores.
    Error,
}

impl Classification {
    /// The label text used on the wire and in reasons.
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Pass => "Pass",
            Classification::High => "High",
            Classification::Low => "Low",
            Classification::Nodata => "Nodata",
            Classification::NodataFailMetric => "NodataFailMetric",
            Classification::Error => "Error",
        }
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Verdict {
    /// Score at or above the pass threshold.
    Pass,
    /// Score at or above the marginal threshold, below pass.
    Marginal,
    /// Score below the marginal threshold.
    Fail,
}

impl Verdict {
    /// The label text used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "Pass",
            Verdict::Marginal => "Marginal",
            Verdict::Fail => "Fail",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The judge's whole answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryJudgeResult {
    /// The judge that produced it.
    pub judge_name: String,
    /// One result per metric set pair, in input order.
    pub results: Vec<CanaryAnalysisResult>,
    /// One score per group, in order of first appearance (Kayenta's order is a hash map's).
    pub group_scores: Vec<CanaryJudgeGroupScore>,
    /// The summary score and verdict.
    pub score: CanaryJudgeScore,
}

/// One metric's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryAnalysisResult {
    /// Metric name.
    pub name: String,
    /// The pair's tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// The pair's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The label.
    pub classification: Classification,
    /// Why, when there is a reason (omitted when `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification_reason: Option<String>,
    /// The metric config's groups.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Canary summary statistics (after transforms).
    pub experiment_metadata: SideMetadata,
    /// Baseline summary statistics (after transforms).
    pub control_metadata: SideMetadata,
    /// `{"ratio": …}`; absent for `Error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_metadata: Option<ResultMetadata>,
    /// Whether this result fails the canary on its own.
    pub critical: bool,
    /// Muted results are reported but not scored.
    pub muted: bool,
}

/// `{"stats": {...}}` for one side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideMetadata {
    /// The side's summary statistics.
    pub stats: SummaryStats,
}

/// Summary statistics of one transformed series (spec §5.1).
///
/// Empty input gives all zeros (the `Default`). Computed with Kayenta's two-pass mean and
/// left-to-right sums.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SummaryStats {
    /// Number of values.
    pub count: u64,
    /// Two-pass corrected mean.
    #[serde(with = "float::lenient")]
    pub mean: f64,
    /// Minimum.
    #[serde(with = "float::lenient")]
    pub min: f64,
    /// Sample standard deviation (n − 1); 0 for fewer than two values.
    #[serde(with = "float::lenient")]
    pub std: f64,
    /// Maximum.
    #[serde(with = "float::lenient")]
    pub max: f64,
}

/// `resultMetadata`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultMetadata {
    /// mean(canary) / mean(baseline): the "deviation". NaN (`"NaN"`) if either mean is 0.
    #[serde(with = "float::lenient")]
    pub ratio: f64,
    /// What an improved judge found, as fields beside `ratio` (absent for Kayenta's judge, so
    /// its output is unchanged).
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Box<Evidence>>,
}

impl ResultMetadata {
    /// Kayenta's metadata: the ratio alone.
    pub fn ratio(ratio: f64) -> Self {
        ResultMetadata {
            ratio,
            evidence: None,
        }
    }
}

/// The evidence behind one metric's label, written by the improved judges into
/// `resultMetadata` (spec §14: "expose the interval, estimate, p-value, n and thresholds").
///
/// Changes are canary − baseline. Relative values are fractions of the baseline's level
/// (0.124 = +12.4%); they are absent when the baseline's level is 0. Non-finite numbers are
/// written as the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (e.g. a rate ratio with no
/// baseline errors).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// The test that decided: `rank`, `distribution`, `rate`, `threshold`, or for `auto` the
    /// component that decided (`checks` lists every component).
    pub test: String,
    /// The rule that gave the label, e.g. `significant-beyond-margin`, `equivalent`,
    /// `not-significant`, `within-margin`, `insufficient-data`, `no-data`, `threshold`.
    pub rule: String,
    /// Baseline points used (for `rate`: the baseline's total of the denominator).
    pub control_count: f64,
    /// Canary points used (for `rate`: the canary's total of the denominator).
    pub experiment_count: f64,
    /// The estimated change (rank: Hodges–Lehmann shift; rate: rate ratio; distribution: the
    /// quantile difference that decided; threshold: the canary's aggregate).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub estimate: Option<f64>,
    /// Lower end of the interval for `estimate`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub lower: Option<f64>,
    /// Upper end of the interval for `estimate`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub upper: Option<f64>,
    /// `estimate` relative to the baseline (rate: ratio − 1).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub relative_estimate: Option<f64>,
    /// `lower` relative to the baseline.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub relative_lower: Option<f64>,
    /// `upper` relative to the baseline.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub relative_upper: Option<f64>,
    /// Confidence of the interval.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub confidence: Option<f64>,
    /// The metric's p-value (for `auto`, Bonferroni over its components).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub p_value: Option<f64>,
    /// The p-value after the judgement's multiple-testing adjustment.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub adjusted_p_value: Option<f64>,
    /// The significance level the adjusted p-value was compared with.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub alpha: Option<f64>,
    /// The allowed relative increase applied (0.1 = +10%).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub allowed_increase: Option<f64>,
    /// The allowed relative decrease applied (0.1 = −10%).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub allowed_decrease: Option<f64>,
    /// The e-value, for anytime-valid judges.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub e_value: Option<f64>,
    /// The scoring weight of this result (tag weights; 1 by default).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub weight: Option<f64>,
    /// Every component test that ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
}

/// One component test of a metric (`resultMetadata.checks[]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// `rank`, `ks`, `quantile(0.9)`, `rate`, `threshold(mean)`, …
    pub test: String,
    /// The test statistic (rank: W; ks: D).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub statistic: Option<f64>,
    /// Its p-value, for tests that give one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub p_value: Option<f64>,
    /// The change it estimates (canary − baseline, or the ratio for `rate`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub estimate: Option<f64>,
    /// Lower end of its interval.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub lower: Option<f64>,
    /// Upper end of its interval.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub upper: Option<f64>,
    /// The change relative to the baseline.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "float::opt_lenient"
    )]
    pub relative_estimate: Option<f64>,
}

/// A group's score. `classification` and `classificationReason` are always `""`, as in Kayenta.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryJudgeGroupScore {
    /// Group name.
    pub name: String,
    /// 100 × Pass / (Pass + High + Low + NodataFailMetric); 0 when nothing counts.
    #[serde(with = "float::lenient")]
    pub score: f64,
    /// Always `""`.
    #[serde(default)]
    pub classification: String,
    /// Always `""`.
    #[serde(default)]
    pub classification_reason: String,
}

/// The summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryJudgeScore {
    /// Weighted score, rounded to 2 decimals half-up.
    #[serde(with = "float::lenient")]
    pub score: f64,
    /// The verdict label.
    pub classification: Verdict,
    /// `""`, or why the canary failed outright.
    #[serde(default)]
    pub classification_reason: String,
}

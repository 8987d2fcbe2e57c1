//! The sequential judge's settings: everything `canary-judge-v1` reads, plus
//! `analysisConfigurations.canary.sequential` and the judgement's error level.

use super::super::settings::Reader;
use super::super::v1::{MultipleTesting, TestChoice, V1ClassifierSettings, V1MetricSettings};
use crate::error::JudgeError;
use serde_json::{Map, Value};

/// The canary-level false-alarm budget when `classifier.confidence` is not given: 0.95, i.e.
/// `α = 0.05`.
pub const DEFAULT_SEQUENTIAL_CONFIDENCE: f64 = 0.95;

/// The quantiles compared for a continuous metric unless `sequential.quantiles` says otherwise.
pub const DEFAULT_QUANTILES: [f64; 3] = [0.5, 0.9, 0.99];

/// The anytime-valid test a metric gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SequentialTest {
    /// Event counts per interval: Lindon & Malek's rate-ratio e-process.
    Count,
    /// Continuous values: Howard & Ramdas' quantile confidence sequences on both sides.
    Quantiles,
}

/// One metric's settings for `canary-judge-sequential-v1`.
#[derive(Debug, Clone, PartialEq)]
pub struct SequentialMetricSettings {
    /// What `canary-judge-v1` reads (direction, NaN strategy, margins, denominator, muted, …).
    pub v1: V1MetricSettings,
    /// The test, from `sequential.test` (`auto`, `count`, `quantiles`): `auto` (the default) is
    /// `count` when the metric names a `denominator` or has `test: "rate"`, else `quantiles`.
    pub test: SequentialTest,
    /// `sequential.quantiles`: probabilities in (0, 1), default [`DEFAULT_QUANTILES`].
    pub quantiles: Vec<f64>,
    /// `sequential.trafficShare`: the canary's constant share of the traffic, in (0, 1), for a
    /// `count` metric without a denominator (the baseline has the rest). Without it the two
    /// sides are taken to get equal traffic.
    pub traffic_share: Option<f64>,
    /// `minSamples` when given (points a side before anything is decided), else 1: the
    /// confidence sequences are valid from the first point, so no minimum is needed.
    pub min_samples: usize,
    /// `minRequests` when given (a `count` metric's denominator total a side before anything
    /// is decided), else 0.
    pub min_requests: f64,
}

impl SequentialMetricSettings {
    /// Reads one metric's settings.
    ///
    /// # Errors
    /// Whatever [`V1MetricSettings::read`] reports, and [`JudgeError::InvalidSetting`] for
    /// `test: "threshold"` or a `threshold` check (not anytime-valid), an unknown key or
    /// wrongly typed value under `sequential`, a quantile outside (0, 1), or a `trafficShare`
    /// outside (0, 1) or given with a denominator.
    pub fn read(metric: &str, analysis_configurations: Option<&Value>) -> Result<Self, JudgeError> {
        let v1 = V1MetricSettings::read(metric, analysis_configurations)?;
        let reader = Reader { metric };
        let canary = analysis_configurations
            .and_then(|a| a.get("canary"))
            .and_then(Value::as_object);
        let given = |key: &str| canary.is_some_and(|c| c.contains_key(key));
        if v1.test == TestChoice::Threshold || v1.threshold.is_some() {
            return Err(reader.invalid(
                if given("threshold") { "threshold" } else { "test" },
                "threshold checks are not anytime-valid and are not supported by canary-judge-sequential-v1 (use canary-judge-v1)".into(),
            ));
        }
        let sequential = reader.object(canary.and_then(|c| c.get("sequential")), "sequential")?;
        if let Some(map) = sequential {
            if let Some(key) = map
                .keys()
                .find(|k| !matches!(k.as_str(), "test" | "quantiles" | "trafficShare"))
            {
                return Err(reader.invalid(
                    &format!("sequential.{key}"),
                    "unknown key (known: test, quantiles, trafficShare)".into(),
                ));
            }
        }
        let get = |key: &str| sequential.and_then(|m| m.get(key));
        let auto = if v1.denominator.is_some() || v1.test == TestChoice::Rate {
            SequentialTest::Count
        } else {
            SequentialTest::Quantiles
        };
        let test = match reader.string(get("test"), "sequential.test")? {
            None | Some("auto") => auto,
            Some("count") => SequentialTest::Count,
            Some("quantiles") => SequentialTest::Quantiles,
            Some(other) => {
                return Err(reader.invalid(
                    "sequential.test",
                    format!("must be \"auto\", \"count\" or \"quantiles\", got \"{other}\""),
                ))
            }
        };
        let quantiles = match get("quantiles") {
            None | Some(Value::Null) => DEFAULT_QUANTILES.to_vec(),
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item.as_f64() {
                        Some(q) if q > 0.0 && q < 1.0 => out.push(q),
                        _ => {
                            return Err(reader.invalid(
                                &format!("sequential.quantiles[{i}]"),
                                format!("must be a probability in (0, 1), got {item}"),
                            ))
                        }
                    }
                }
                if out.is_empty() {
                    return Err(reader.invalid(
                        "sequential.quantiles",
                        "must list at least one probability".into(),
                    ));
                }
                out.sort_by(f64::total_cmp);
                out.dedup();
                out
            }
            Some(other) => {
                return Err(reader.wrong_type("sequential.quantiles", "a list of numbers", other))
            }
        };
        let traffic_share = match reader.number(get("trafficShare"), "sequential.trafficShare")? {
            None => None,
            Some(s) if s > 0.0 && s < 1.0 => Some(s),
            Some(s) => {
                return Err(reader.invalid(
                    "sequential.trafficShare",
                    format!("must be in (0, 1), got {s}"),
                ))
            }
        };
        if traffic_share.is_some() && v1.denominator.is_some() {
            return Err(reader.invalid(
                "sequential.trafficShare",
                "cannot be given with a denominator, whose counts give each interval's exposure"
                    .into(),
            ));
        }
        let min_samples = if given("minSamples") {
            v1.min_samples
        } else {
            1
        };
        let min_requests = if given("minRequests") {
            v1.min_requests
        } else {
            0.0
        };
        Ok(SequentialMetricSettings {
            v1,
            test,
            quantiles,
            traffic_share,
            min_samples,
            min_requests,
        })
    }
}

/// How the metrics' error budgets are combined (`classifier.multipleTesting`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Combination {
    /// Each of the `m` non-muted metrics is tested at `α / m` (e-value Bonferroni): the
    /// canary-level false-alarm rate stays at `α`. Used for `holm` (the default) and `bh`.
    Bonferroni,
    /// Each metric at `α` (`multipleTesting: "none"`): the canary-level rate can reach `m α`.
    None,
}

/// The judgement-wide settings under `canaryConfig.classifier`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SequentialClassifierSettings {
    /// `confidence` (default [`DEFAULT_SEQUENTIAL_CONFIDENCE`]); `α = 1 − confidence`.
    pub confidence: f64,
    /// From `multipleTesting`.
    pub combination: Combination,
}

impl SequentialClassifierSettings {
    /// Reads `classifier.confidence` and `classifier.multipleTesting` with v1's rules.
    ///
    /// # Errors
    /// [`JudgeError::InvalidClassifierSetting`] as [`V1ClassifierSettings::read`].
    pub fn read(other: &Map<String, Value>) -> Result<Self, JudgeError> {
        let v1 = V1ClassifierSettings::read(other)?;
        let confidence = match other.get("confidence") {
            None | Some(Value::Null) => DEFAULT_SEQUENTIAL_CONFIDENCE,
            Some(_) => v1.confidence,
        };
        let combination = if v1.multiple_testing == MultipleTesting::None {
            Combination::None
        } else {
            Combination::Bonferroni
        };
        Ok(SequentialClassifierSettings {
            confidence,
            combination,
        })
    }
}

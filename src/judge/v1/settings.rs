//! The improved judge's settings: Kayenta's keys (read by [`MetricSettings`]) plus new keys under
//! `analysisConfigurations.canary.*` and `classifier.*`, which Kayenta ignores.

use super::super::settings::{EffectSizeMeasure, MetricSettings, Reader};
use crate::error::JudgeError;
use crate::model::config_json_kind;
use serde_json::{Map, Value};

/// Points per side below which a metric is "insufficient data" (the usual guidance).
pub const DEFAULT_MIN_SAMPLES: usize = 50;
/// Denominator total per side below which a `rate` metric is "insufficient data".
pub const DEFAULT_MIN_REQUESTS: f64 = 100.0;
/// The judgement's default confidence: the whole canary's false-alarm budget is 1 − this.
pub const DEFAULT_CONFIDENCE: f64 = 0.99;
/// The allowed relative change when a config sets no `effectSize.allowedIncrease` /
/// `allowedDecrease` (Kayenta's 1.0, i.e. no margin).
pub const DEFAULT_MARGIN: f64 = 0.0;

/// `analysisConfigurations.canary.test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TestChoice {
    /// `rate` when the metric names a denominator, else `rank` and `distribution` together.
    #[default]
    Auto,
    /// Mann-Whitney with the Hodges–Lehmann shift.
    Rank,
    /// Kolmogorov–Smirnov plus quantile shifts (p10, p50, p90, p99).
    Distribution,
    /// Errors over traffic: the exact conditional Poisson rate-ratio test.
    Rate,
    /// An absolute check of the canary alone (`threshold`).
    Threshold,
}

/// The aggregate a `threshold` check compares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Aggregate {
    /// The mean of the canary's points.
    Mean,
    /// A percentile (0–100] of the canary's points, Kayenta's interpolation.
    Percentile(f64),
    /// Σ metric / Σ denominator over the canary's points.
    Rate,
}

/// `analysisConfigurations.canary.threshold`: `{"aggregate": "mean" | "pNN" | "rate", "min": x, "max": y}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThresholdRule {
    /// What is compared.
    pub aggregate: Aggregate,
    /// Low when the aggregate is below this.
    pub min: Option<f64>,
    /// High when the aggregate is above this.
    pub max: Option<f64>,
}

/// `analysisConfigurations.canary.tagWeights`: `{"tag": "endpoint", "weights": {"/login": 3},
/// "default": 1, "perMetric": false}`.
#[derive(Debug, Clone, PartialEq)]
pub struct TagWeights {
    /// The tag whose value picks the weight.
    pub tag: String,
    /// Weight per tag value.
    pub weights: Vec<(String, f64)>,
    /// Weight of a value not listed (1 unless given).
    pub default: f64,
    /// When true, the metric's pairs share one unit of weight in proportion to their tag
    /// weights (a metric split into ten endpoints then counts as much as a metric with one).
    pub per_metric: bool,
}

impl TagWeights {
    /// The weight of a pair with these tags.
    pub fn weight_of(&self, tags: &std::collections::BTreeMap<String, String>) -> f64 {
        tags.get(&self.tag)
            .and_then(|v| self.weights.iter().find(|(k, _)| k == v))
            .map_or(self.default, |(_, w)| *w)
    }
}

/// Everything the improved judge reads for one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct V1MetricSettings {
    /// Kayenta's settings (direction, NaN strategy, critical, muted, mustHaveData, outliers,
    /// effect sizes).
    pub base: MetricSettings,
    /// `test` (default `auto`).
    pub test: TestChoice,
    /// `minSamples`: points per side needed for a decisive result (default 50; 1 for `threshold`).
    pub min_samples: usize,
    /// `denominator`: the metric holding the traffic this metric's counts are a share of.
    pub denominator: Option<String>,
    /// `minRequests`: the denominator total per side needed for a decisive `rate` result.
    pub min_requests: f64,
    /// `threshold`.
    pub threshold: Option<ThresholdRule>,
    /// `tagWeights`.
    pub tag_weights: Option<TagWeights>,
    /// Allowed relative increase (from `effectSize.allowedIncrease`, 1.1 → 0.1).
    pub allowed_increase: f64,
    /// Allowed relative decrease (from `effectSize.allowedDecrease`, 0.9 → 0.1).
    pub allowed_decrease: f64,
    /// Critical relative increase, when `effectSize.criticalIncrease` is set.
    pub critical_increase: Option<f64>,
    /// Critical relative decrease, when `effectSize.criticalDecrease` is set.
    pub critical_decrease: Option<f64>,
    /// Whether `direction` was given (a `rate` metric defaults to `increase` when it was not).
    pub direction_given: bool,
}

/// How p-values are adjusted across a judgement's metrics (`classifier.multipleTesting`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MultipleTesting {
    /// Holm's step-down: the family-wise error rate stays at 1 − confidence (the default).
    #[default]
    Holm,
    /// Benjamini–Hochberg: the false discovery rate stays at 1 − confidence.
    Bh,
    /// No adjustment: each metric at 1 − confidence.
    None,
}

/// The judgement-wide settings under `canaryConfig.classifier`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct V1ClassifierSettings {
    /// `multipleTesting` (default `holm`).
    pub multiple_testing: MultipleTesting,
    /// `confidence` in (0.5, 1) (default [`DEFAULT_CONFIDENCE`]).
    pub confidence: f64,
}

impl V1ClassifierSettings {
    /// Reads `classifier.multipleTesting` and `classifier.confidence`.
    ///
    /// # Errors
    /// [`JudgeError::InvalidClassifierSetting`] for an unknown method, a confidence outside
    /// (0.5, 1) or a wrongly typed value.
    pub fn read(other: &Map<String, Value>) -> Result<Self, JudgeError> {
        let invalid = |field: &'static str, problem: String| JudgeError::InvalidClassifierSetting {
            field,
            problem,
        };
        let multiple_testing = match other.get("multipleTesting") {
            None | Some(Value::Null) => MultipleTesting::Holm,
            Some(Value::String(s)) => match s.as_str() {
                "holm" => MultipleTesting::Holm,
                "bh" => MultipleTesting::Bh,
                "none" => MultipleTesting::None,
                other => {
                    return Err(invalid(
                        "multipleTesting",
                        format!("must be \"holm\", \"bh\" or \"none\", got \"{other}\""),
                    ))
                }
            },
            Some(v) => {
                return Err(invalid(
                    "multipleTesting",
                    format!("must be a string, got {}", config_json_kind(v)),
                ))
            }
        };
        let confidence = match other.get("confidence") {
            None | Some(Value::Null) => DEFAULT_CONFIDENCE,
            Some(Value::Number(n)) => match n.as_f64() {
                Some(c) if c > 0.5 && c < 1.0 => c,
                _ => {
                    return Err(invalid(
                        "confidence",
                        format!("must be a number in (0.5, 1), got {n}"),
                    ))
                }
            },
            Some(v) => {
                return Err(invalid(
                    "confidence",
                    format!("must be a number, got {}", config_json_kind(v)),
                ))
            }
        };
        Ok(V1ClassifierSettings {
            multiple_testing,
            confidence,
        })
    }
}

impl V1MetricSettings {
    /// Reads one metric's settings.
    ///
    /// Effect sizes are ratios as in Kayenta (`allowedIncrease: 1.1` allows +10%); when absent
    /// the margin is [`DEFAULT_MARGIN`]. `effectSize.measure: "cles"` is refused: this judge
    /// measures changes relative to the baseline's level.
    ///
    /// # Errors
    /// [`JudgeError::InvalidSetting`] naming the metric and key for a wrongly typed or
    /// out-of-range value, an unknown `test`, `test: "rate"` without `denominator`, or
    /// `test: "threshold"` without `threshold`.
    pub fn read(metric: &str, analysis_configurations: Option<&Value>) -> Result<Self, JudgeError> {
        let base = MetricSettings::from_analysis_configurations(metric, analysis_configurations)?;
        let reader = Reader { metric };
        // `from_analysis_configurations` has checked the shapes up to `canary`.
        let canary = analysis_configurations
            .and_then(|a| a.get("canary"))
            .and_then(Value::as_object);
        let get = |key: &str| canary.and_then(|c| c.get(key));

        if base.measure == EffectSizeMeasure::Cles {
            return Err(reader.invalid(
                "effectSize.measure",
                "\"cles\" is not supported by canary-judge-v1, which reads allowed and critical effect sizes as ratios to the baseline".into(),
            ));
        }
        let test = match reader.string(get("test"), "test")? {
            None | Some("auto") => TestChoice::Auto,
            Some("rank") => TestChoice::Rank,
            Some("distribution") => TestChoice::Distribution,
            Some("rate") => TestChoice::Rate,
            Some("threshold") => TestChoice::Threshold,
            Some(other) => {
                return Err(reader.invalid(
                    "test",
                    format!(
                        "must be one of auto, rank, distribution, rate, threshold; got \"{other}\""
                    ),
                ))
            }
        };
        let denominator = reader
            .string(get("denominator"), "denominator")?
            .map(str::to_string);
        if test == TestChoice::Rate && denominator.is_none() {
            return Err(reader.invalid(
                "denominator",
                "test \"rate\" needs the name of the metric holding the traffic (e.g. \"requests\")".into(),
            ));
        }
        let threshold = threshold_rule(&reader, get("threshold"))?;
        if test == TestChoice::Threshold && threshold.is_none() {
            return Err(reader.invalid(
                "threshold",
                "test \"threshold\" needs {\"aggregate\": …, \"min\": …, \"max\": …}".into(),
            ));
        }
        if matches!(
            threshold,
            Some(ThresholdRule {
                aggregate: Aggregate::Rate,
                ..
            })
        ) && denominator.is_none()
        {
            return Err(reader.invalid(
                "threshold.aggregate",
                "\"rate\" needs a denominator metric".into(),
            ));
        }
        let default_min = if test == TestChoice::Threshold {
            1
        } else {
            DEFAULT_MIN_SAMPLES
        };
        let min_samples = match reader.number(get("minSamples"), "minSamples")? {
            None => default_min,
            Some(v) if v.is_finite() && v >= 1.0 && v.fract() == 0.0 && v <= 1e15 => v as usize,
            Some(v) => {
                return Err(
                    reader.invalid("minSamples", format!("must be a whole number ≥ 1, got {v}"))
                )
            }
        };
        let min_requests = match reader.number(get("minRequests"), "minRequests")? {
            None => DEFAULT_MIN_REQUESTS,
            Some(v) if v.is_finite() && v >= 0.0 => v,
            Some(v) => {
                return Err(reader.invalid("minRequests", format!("must be a number ≥ 0, got {v}")))
            }
        };
        let tag_weights = tag_weights(&reader, get("tagWeights"))?;

        let effect = get("effectSize").and_then(Value::as_object);
        let given = |key: &str| effect.is_some_and(|e| e.contains_key(key));
        let margin = |key: &str, ratio: f64, up: bool| -> Result<f64, JudgeError> {
            if !given(key) {
                return Ok(DEFAULT_MARGIN);
            }
            let m = if up { ratio - 1.0 } else { 1.0 - ratio };
            // A decrease ratio of 0 or less would allow a fall of 100% or more.
            if !(m.is_finite() && m >= 0.0 && (up || ratio > 0.0)) {
                return Err(reader.invalid(
                    &format!("effectSize.{key}"),
                    format!(
                        "must be a ratio {} (e.g. {}), got {ratio}",
                        if up { "≥ 1" } else { "in (0, 1]" },
                        if up { "1.1 for +10%" } else { "0.9 for −10%" }
                    ),
                ));
            }
            Ok(m)
        };
        let allowed_increase = margin("allowedIncrease", base.allowed.increase, true)?;
        let allowed_decrease = margin("allowedDecrease", base.allowed.decrease, false)?;
        let critical_increase = given("criticalIncrease")
            .then(|| margin("criticalIncrease", base.critical_bounds.increase, true))
            .transpose()?;
        let critical_decrease = given("criticalDecrease")
            .then(|| margin("criticalDecrease", base.critical_bounds.decrease, false))
            .transpose()?;
        // A critical bound inside the allowed one could never be reached without first being
        // allowed: refused (a +33% change passed with criticalIncrease 1.2, allowedIncrease 1.5).
        for (key, critical, allowed) in [
            ("criticalIncrease", critical_increase, allowed_increase),
            ("criticalDecrease", critical_decrease, allowed_decrease),
        ] {
            if critical.is_some_and(|c| c < allowed) {
                return Err(reader.invalid(
                    &format!("effectSize.{key}"),
                    "must allow at least as much change as the allowed bound".into(),
                ));
            }
        }
        Ok(V1MetricSettings {
            base,
            test,
            min_samples,
            denominator,
            min_requests,
            threshold,
            tag_weights,
            allowed_increase,
            allowed_decrease,
            critical_increase,
            critical_decrease,
            direction_given: get("direction").is_some(),
        })
    }
}

fn threshold_rule(
    reader: &Reader<'_>,
    v: Option<&Value>,
) -> Result<Option<ThresholdRule>, JudgeError> {
    let Some(map) = reader.object(v, "threshold")? else {
        return Ok(None);
    };
    let aggregate = match reader.string(map.get("aggregate"), "threshold.aggregate")? {
        None | Some("mean") => Aggregate::Mean,
        Some("rate") => Aggregate::Rate,
        Some(p) => match p.strip_prefix('p').and_then(|n| n.parse::<f64>().ok()) {
            Some(n) if n > 0.0 && n <= 100.0 => Aggregate::Percentile(n),
            _ => {
                return Err(reader.invalid(
                    "threshold.aggregate",
                    format!(
                        "must be \"mean\", \"rate\" or a percentile such as \"p99\", got \"{p}\""
                    ),
                ))
            }
        },
    };
    let bound = |key: &str| -> Result<Option<f64>, JudgeError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) if x.is_finite() => Ok(Some(x)),
                _ => Err(reader.invalid(
                    &format!("threshold.{key}"),
                    format!("must be finite, got {n}"),
                )),
            },
            Some(other) => Err(reader.wrong_type(&format!("threshold.{key}"), "a number", other)),
        }
    };
    let (min, max) = (bound("min")?, bound("max")?);
    if min.is_none() && max.is_none() {
        return Err(reader.invalid("threshold", "needs \"min\", \"max\" or both".into()));
    }
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo > hi {
            return Err(reader.invalid("threshold", format!("min {lo} is above max {hi}")));
        }
    }
    Ok(Some(ThresholdRule {
        aggregate,
        min,
        max,
    }))
}

fn tag_weights(reader: &Reader<'_>, v: Option<&Value>) -> Result<Option<TagWeights>, JudgeError> {
    let Some(map) = reader.object(v, "tagWeights")? else {
        return Ok(None);
    };
    let Some(tag) = reader.string(map.get("tag"), "tagWeights.tag")? else {
        return Err(reader.invalid(
            "tagWeights.tag",
            "is required: the tag whose values are weighted".into(),
        ));
    };
    let weight = |field: &str, v: &Value| -> Result<f64, JudgeError> {
        match v.as_f64() {
            Some(w) if w.is_finite() && w >= 0.0 => Ok(w),
            _ => Err(reader.invalid(field, format!("must be a number ≥ 0, got {v}"))),
        }
    };
    let mut weights = Vec::new();
    if let Some(ws) = reader.object(map.get("weights"), "tagWeights.weights")? {
        for (k, v) in ws {
            weights.push((k.clone(), weight(&format!("tagWeights.weights.{k}"), v)?));
        }
    }
    let default = match map.get("default") {
        None | Some(Value::Null) => 1.0,
        Some(v) => weight("tagWeights.default", v)?,
    };
    let per_metric = match map.get("perMetric") {
        None => false,
        Some(v) => reader.boolean(Some(v), "tagWeights.perMetric")?,
    };
    Ok(Some(TagWeights {
        tag: tag.to_string(),
        weights,
        default,
        per_metric,
    }))
}

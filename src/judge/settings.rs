//! The per-metric settings under `analysisConfigurations.canary` (spec §2.3), read with
//! Kayenta's rules and defaults, and with an error naming the metric and the key where Kayenta
//! would throw.

use super::transform::CleanSeries;
use crate::error::JudgeError;
use crate::model::config_json_kind;
use serde_json::Value;

/// Which change counts against the canary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// Only an increase can be High.
    Increase,
    /// Only a decrease can be Low.
    Decrease,
    /// Both (the default; also any unrecognised string, as in Kayenta).
    #[default]
    Either,
}

impl Direction {
    /// True when a High classification is allowed.
    pub fn allows_increase(self) -> bool {
        matches!(self, Direction::Increase | Direction::Either)
    }

    /// True when a Low classification is allowed.
    pub fn allows_decrease(self) -> bool {
        matches!(self, Direction::Decrease | Direction::Either)
    }
}

/// What to do with NaN samples (missing data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NanStrategy {
    /// Drop them (the default; also any value other than exactly `"replace"`).
    #[default]
    Remove,
    /// Replace each with 0.0.
    Replace,
}

/// How the size of a change is measured for the effect-size thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EffectSizeMeasure {
    /// mean(canary) / mean(baseline) (the default; also any string other than `"cles"`).
    #[default]
    MeanRatio,
    /// Common-language effect size, P(canary > baseline) + ½ P(tie).
    Cles,
}

impl EffectSizeMeasure {
    /// Kayenta's default threshold for this measure: 1.0 for the mean ratio, 0.5 for CLES.
    pub fn neutral(self) -> f64 {
        match self {
            EffectSizeMeasure::MeanRatio => 1.0,
            EffectSizeMeasure::Cles => 0.5,
        }
    }
}

/// A pair of effect-size limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EffectSizeBounds {
    /// Low requires an effect size at or below this (or NaN).
    pub decrease: f64,
    /// High requires an effect size at or above this (or NaN).
    pub increase: f64,
}

/// Everything the judge reads from one metric's `analysisConfigurations.canary`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricSettings {
    /// `direction`.
    pub direction: Direction,
    /// `nanStrategy`.
    pub nan_strategy: NanStrategy,
    /// `critical`: a non-Pass result of this metric fails the canary.
    pub critical: bool,
    /// `mustHaveData`: missing data counts as a failure (only with `remove`).
    pub must_have_data: bool,
    /// `muted`: reported but not scored.
    pub muted: bool,
    /// `effectSize.measure`.
    pub measure: EffectSizeMeasure,
    /// `effectSize.allowedDecrease` / `allowedIncrease`.
    pub allowed: EffectSizeBounds,
    /// `effectSize.criticalDecrease` / `criticalIncrease`.
    pub critical_bounds: EffectSizeBounds,
    /// `outliers.outlierFactor` when `outliers.strategy` is `"remove"`, else `None`.
    pub outlier_factor: Option<f64>,
}

impl Default for MetricSettings {
    fn default() -> Self {
        let neutral = EffectSizeMeasure::MeanRatio.neutral();
        let bounds = EffectSizeBounds {
            decrease: neutral,
            increase: neutral,
        };
        MetricSettings {
            direction: Direction::Either,
            nan_strategy: NanStrategy::Remove,
            critical: false,
            must_have_data: false,
            muted: false,
            measure: EffectSizeMeasure::MeanRatio,
            allowed: bounds,
            critical_bounds: bounds,
            outlier_factor: None,
        }
    }
}

impl MetricSettings {
    /// A metric's experiment and control series, in that order, after this metric's
    /// `nanStrategy` and outlier removal, their summaries computed together (see
    /// [`CleanSeries::prepare_pair`]: NaN removed or replaced by 0.0; empty input stays empty;
    /// the two may differ in length).
    pub fn clean_pair<'a>(
        &self,
        experiment: &'a [f64],
        control: &'a [f64],
    ) -> (CleanSeries<'a>, CleanSeries<'a>) {
        CleanSeries::prepare_pair(experiment, control, self.nan_strategy, self.outlier_factor)
    }

    /// Reads the settings of `metric` from its raw `analysisConfigurations` (absent or `{}` gives
    /// the defaults).
    ///
    /// Rules, as Kayenta's: unrecognised strings fall back to the default; a `null` effect-size
    /// number (or `outlierFactor`) reads as 0.0; the effect-size defaults depend on the measure.
    ///
    /// # Errors
    /// [`JudgeError::InvalidSetting`] where Kayenta would throw: a boolean setting that is not a
    /// JSON boolean, a string setting that is `null` or not a string, a number setting that is
    /// not a number, an object on the path that is not an object (e.g. a list).
    pub fn from_analysis_configurations(
        metric: &str,
        analysis_configurations: Option<&Value>,
    ) -> Result<Self, JudgeError> {
        let reader = Reader { metric };
        let canary = match analysis_configurations {
            None | Some(Value::Null) => None,
            Some(Value::Object(map)) => reader.object(map.get("canary"), "")?,
            Some(other) => {
                return Err(reader.invalid(
                    "",
                    format!(
                        "analysisConfigurations must be an object, got {}",
                        config_json_kind(other)
                    ),
                ))
            }
        };
        let Some(canary) = canary else {
            return Ok(MetricSettings::default());
        };
        let get = |key: &str| canary.get(key);

        let direction = match reader.string(get("direction"), "direction")? {
            Some("increase") => Direction::Increase,
            Some("decrease") => Direction::Decrease,
            _ => Direction::Either,
        };
        let nan_strategy = match reader.string(get("nanStrategy"), "nanStrategy")? {
            Some("replace") => NanStrategy::Replace,
            _ => NanStrategy::Remove,
        };
        let critical = reader.boolean(get("critical"), "critical")?;
        let must_have_data = reader.boolean(get("mustHaveData"), "mustHaveData")?;
        let muted = reader.boolean(get("muted"), "muted")?;

        let effect = reader.object(get("effectSize"), "effectSize")?;
        let effect_get = |key: &str| effect.and_then(|e| e.get(key));
        let measure = match reader.string(effect_get("measure"), "effectSize.measure")? {
            Some("cles") => EffectSizeMeasure::Cles,
            _ => EffectSizeMeasure::MeanRatio,
        };
        let neutral = measure.neutral();
        // The field's whole name spelled out: it is only needed for an error message.
        let number = |key: &str, field: &str| -> Result<f64, JudgeError> {
            Ok(reader.number(effect_get(key), field)?.unwrap_or(neutral))
        };
        let allowed = EffectSizeBounds {
            decrease: number("allowedDecrease", "effectSize.allowedDecrease")?,
            increase: number("allowedIncrease", "effectSize.allowedIncrease")?,
        };
        let critical_bounds = EffectSizeBounds {
            decrease: number("criticalDecrease", "effectSize.criticalDecrease")?,
            increase: number("criticalIncrease", "effectSize.criticalIncrease")?,
        };

        let outliers = reader.object(get("outliers"), "outliers")?;
        let outliers_get = |key: &str| outliers.and_then(|o| o.get(key));
        let remove =
            reader.string(outliers_get("strategy"), "outliers.strategy")? == Some("remove");
        let factor = reader
            .number(outliers_get("outlierFactor"), "outliers.outlierFactor")?
            .unwrap_or(3.0);

        Ok(MetricSettings {
            direction,
            nan_strategy,
            critical,
            must_have_data,
            muted,
            measure,
            allowed,
            critical_bounds,
            outlier_factor: remove.then_some(factor),
        })
    }
}

pub(super) struct Reader<'a> {
    pub(super) metric: &'a str,
}

impl Reader<'_> {
    pub(super) fn invalid(&self, field: &str, problem: String) -> JudgeError {
        JudgeError::InvalidSetting {
            metric: self.metric.to_string(),
            field: field.to_string(),
            problem,
        }
    }

    pub(super) fn wrong_type(&self, field: &str, expected: &str, got: &Value) -> JudgeError {
        self.invalid(
            field,
            format!("must be {expected}, got {}", config_json_kind(got)),
        )
    }

    /// An optional object; `null` counts as absent.
    pub(super) fn object<'v>(
        &self,
        v: Option<&'v Value>,
        field: &str,
    ) -> Result<Option<&'v serde_json::Map<String, Value>>, JudgeError> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(other) => Err(self.wrong_type(
                if field.is_empty() { "canary" } else { field },
                "an object",
                other,
            )),
        }
    }

    /// An optional string; `null` is an error, as in Kayenta.
    pub(super) fn string<'v>(
        &self,
        v: Option<&'v Value>,
        field: &str,
    ) -> Result<Option<&'v str>, JudgeError> {
        match v {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.wrong_type(field, "a string", other)),
        }
    }

    /// An optional boolean, default false; anything but a JSON boolean is an error.
    pub(super) fn boolean(&self, v: Option<&Value>, field: &str) -> Result<bool, JudgeError> {
        match v {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(self.wrong_type(field, "a boolean (true or false)", other)),
        }
    }

    /// An optional number; `null` reads as 0.0 (Jackson unboxes it so).
    pub(super) fn number(&self, v: Option<&Value>, field: &str) -> Result<Option<f64>, JudgeError> {
        match v {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(0.0)),
            Some(Value::Number(n)) => n
                .as_f64()
                .map(Some)
                .ok_or_else(|| self.invalid(field, "is not representable as a double".into())),
            Some(other) => Err(self.wrong_type(field, "a number", other)),
        }
    }
}

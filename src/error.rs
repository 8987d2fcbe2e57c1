//! Error types, one `#[non_exhaustive]` enum per area, so that new cases can be added without a
//! breaking change.

use thiserror::Error;

/// The JSON text could not be read as the expected type.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Malformed JSON, a missing required field, or a value of the wrong type. `path` is the JSON
    /// path of the offending value, e.g. `metricSetPairList[0].values.control[3]` (`.` for the
    /// document itself).
    #[error("{path}: {message} (line {line}, column {column})")]
    Json {
        /// JSON path of the problem.
        path: String,
        /// serde_json's description.
        message: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
}

impl ParseError {
    /// The JSON path of the problem.
    pub fn path(&self) -> &str {
        match self {
            ParseError::Json { path, .. } => path,
        }
    }
}

/// Parses `text` as any wire type `T`, reporting the JSON path of any problem (see
/// [`parse_request`](crate::parse_request) for the remote-judge request).
///
/// # Errors
/// [`ParseError`] with the JSON path, line and column of the first problem.
///
/// Valid input is parsed once, without path tracking (which costs about a tenth of the parse);
/// only on an error is the text parsed again with tracking, to name where the problem is.
pub fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ParseError> {
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        from_serde(path, e.into_inner())
    })?;
    // Trailing characters after the document.
    de.end().map_err(|e| from_serde(".".to_string(), e))?;
    Ok(value)
}

fn from_serde(path: String, e: serde_json::Error) -> ParseError {
    ParseError::Json {
        path,
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    }
}

/// serde_json appends " at line L column C"; we report those separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// A canary config that Kayenta's config store would reject.
#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum ConfigError {
    /// `metrics` is empty.
    #[error("canaryConfig.metrics: the canary config must specify at least one metric")]
    NoMetrics,
    /// `metrics[index].name` is empty.
    #[error("canaryConfig.metrics[{index}].name: metric names must not be empty")]
    EmptyMetricName {
        /// Index of the metric in `metrics`.
        index: usize,
    },
    /// Two metrics share a name.
    #[error("canaryConfig.metrics: duplicate metric name '{name}'")]
    DuplicateMetricName {
        /// The repeated name.
        name: String,
    },
}

/// A judgement that cannot be made: Kayenta would fail the whole request in each of these cases.
/// Messages name the metric and the field.
#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum JudgeError {
    /// A pair's name matches no metric config ("Could not find metric config for &lt;name&gt;").
    #[error("metricSetPairList[{index}]: could not find metric config for '{metric}'")]
    MissingMetricConfig {
        /// Index of the pair.
        index: usize,
        /// The pair's name.
        metric: String,
    },
    /// `canaryConfig.classifier` is missing.
    #[error("canaryConfig.classifier is missing")]
    MissingClassifier,
    /// A metric config has no `groups` list.
    #[error("metric '{metric}': canaryConfig.metrics[].groups is missing")]
    MissingGroups {
        /// The metric.
        metric: String,
    },
    /// A setting under `analysisConfigurations.canary` has the wrong type.
    #[error("metric '{metric}': analysisConfigurations.canary.{field}: {problem}")]
    InvalidSetting {
        /// The metric.
        metric: String,
        /// Path below `analysisConfigurations.canary`, e.g. `effectSize.allowedIncrease`.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A sample is ±∞. NaN is a missing sample and is handled by `nanStrategy`; infinities make
    /// Kayenta's interval undefined, so they are refused.
    #[error("metricSetPairList[{index}] ('{metric}'): values.{side}[{position}] is {value}; only finite numbers and \"NaN\" are accepted")]
    NonFiniteValue {
        /// Index of the pair.
        index: usize,
        /// The metric.
        metric: String,
        /// `control` or `experiment`.
        side: &'static str,
        /// Position in the series.
        position: usize,
        /// `Infinity` or `-Infinity`.
        value: &'static str,
    },
    /// A judgement-wide setting of the improved judges under `canaryConfig.classifier` is
    /// wrongly typed or out of range.
    #[error("canaryConfig.classifier.{field}: {problem}")]
    InvalidClassifierSetting {
        /// The key, e.g. `multipleTesting`.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// A `rate` metric's denominator has no pair with the same tags.
    #[error("metricSetPairList[{index}] ('{metric}'): no pair of the denominator metric '{denominator}' with the same tags")]
    MissingDenominator {
        /// The numerator pair's position.
        index: usize,
        /// The numerator metric.
        metric: String,
        /// The denominator metric named by its config.
        denominator: String,
    },
    /// A score threshold is not a finite number.
    #[error("scoreThresholds.{field} must be a finite number, got {value}")]
    InvalidThreshold {
        /// `pass` or `marginal`.
        field: &'static str,
        /// The value's text.
        value: String,
    },
    /// An improved judge was given no metric pairs (Kayenta's judge scores that 0).
    #[error("metricSetPairList is empty: there is nothing to judge")]
    NoMetricPairs,
    /// Score thresholds an improved judge cannot use: outside 0–100, or `marginal` above `pass`
    /// (Kayenta's judge takes any finite thresholds).
    #[error("scoreThresholds: {problem}")]
    ThresholdsOutOfRange {
        /// What is wrong with them.
        problem: String,
    },
    /// A group weight is not a finite number.
    #[error("canaryConfig.classifier.groupWeights.{group} must be a finite number, got {value}")]
    InvalidGroupWeight {
        /// The group.
        group: String,
        /// The value's text.
        value: String,
    },
    /// The requested judge is not known.
    #[error("unable to resolve canary judge '{name}'; known judges: {}", known.join(", "))]
    UnknownJudge {
        /// The name asked for.
        name: String,
        /// The names that exist.
        known: Vec<&'static str>,
    },
}

impl JudgeError {
    /// The field of the remote-judge request at fault, as a path (`scoreThresholds.pass`,
    /// `canaryConfig.classifier.groupWeights`, `metricSetPairList[3]`), where one field is; `None`
    /// for errors about a metric's settings (the message names the metric) or the judge's name.
    pub fn field(&self) -> Option<String> {
        match self {
            JudgeError::MissingMetricConfig { index, .. }
            | JudgeError::NonFiniteValue { index, .. }
            | JudgeError::MissingDenominator { index, .. } => {
                Some(format!("metricSetPairList[{index}]"))
            }
            JudgeError::MissingClassifier => Some("canaryConfig.classifier".into()),
            JudgeError::InvalidClassifierSetting { field, .. } => {
                Some(format!("canaryConfig.classifier.{field}"))
            }
            JudgeError::InvalidThreshold { field, .. } => Some(format!("scoreThresholds.{field}")),
            JudgeError::NoMetricPairs => Some("metricSetPairList".into()),
            JudgeError::ThresholdsOutOfRange { .. } => Some("scoreThresholds".into()),
            JudgeError::InvalidGroupWeight { group, .. } => {
                Some(format!("canaryConfig.classifier.groupWeights.{group}"))
            }
            JudgeError::MissingGroups { .. }
            | JudgeError::InvalidSetting { .. }
            | JudgeError::UnknownJudge { .. } => None,
        }
    }
}

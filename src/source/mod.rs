//! Metric sources without IO: building each source's query, turning its HTTP response body into
//! [`MetricSet`](crate::model::MetricSet)s, and mixing control and experiment sets into
//! [`MetricSetPair`](crate::model::MetricSetPair)s (spec §10).
//!
//! A controller can run these with its own HTTP client; `canary-judge analyze` (in the CLI crate)
//! is the thin fetching shell around them.

pub mod csv;
pub mod datadog;
mod mixer;
pub mod prometheus;
mod template;

pub use mixer::{mix_all, mix_one, pair_id};
pub use template::expand_template;

use thiserror::Error;

/// Why a query could not be built, a response not read, or metric sets not mixed. Messages name
/// the source and the metric where known.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum SourceError {
    /// A template refers to a variable that is not defined ("Problem evaluating custom filter
    /// template" in Kayenta).
    #[error("problem evaluating custom filter template: variable '{variable}' is not defined in {template:?}")]
    UndefinedVariable {
        /// The template text.
        template: String,
        /// The missing variable.
        variable: String,
    },
    /// `customFilterTemplate` names a template that `canaryConfig.templates` does not have.
    #[error("custom filter template '{0}' is not defined in canaryConfig.templates")]
    MissingTemplate(String),
    /// The metric's `query` object is not what the source expects.
    #[error("metric '{metric}': query.{field}: {problem}")]
    InvalidQuery {
        /// The metric.
        metric: String,
        /// The query field.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// Prometheus: neither a custom filter nor a resource type was given.
    #[error("metric '{0}': either a resource type or a custom filter is required")]
    ResourceTypeRequired(String),
    /// Prometheus: a resource type other than `gce_instance` or `aws_ec2_instance` without a
    /// custom filter.
    #[error("metric '{metric}': resource type '{resource_type}' is not supported without a custom filter")]
    UnsupportedResourceType {
        /// The metric.
        metric: String,
        /// The resource type given.
        resource_type: String,
    },
    /// A response body is not what the source's API returns.
    #[error("{source_name}: unexpected response: {problem}")]
    BadResponse {
        /// `prometheus` or `datadog`.
        source_name: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The source answered with its error envelope.
    #[error("{source_name}: query failed ({error_type}): {error}")]
    QueryFailed {
        /// `prometheus` or `datadog`.
        source_name: &'static str,
        /// The source's error type (e.g. `bad_data`).
        error_type: String,
        /// The source's message.
        error: String,
    },
    /// Control and experiment metric sets cannot be paired (Kayenta's mixer messages).
    #[error("{0}")]
    Mix(String),
}

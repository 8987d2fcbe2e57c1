//! Fetch, pair and prepare a judgement: the part of `analyze` that `serve`'s `/v1/judge` shares.

use crate::fetch::{fetch, Auth, FetchError, HttpSettings, Planned, Source};
use canary_judge::model::{CanaryConfig, CanaryExecutionRequest, CanaryScope, MetricSet};
use canary_judge::source::{datadog, mix_all, prometheus, SourceError};
use canary_judge::JudgeRequest;
use std::sync::Arc;
use thiserror::Error;

/// The metric-source accounts a run may use.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sources {
    prometheus: Option<Arc<Source>>,
    datadog: Option<Arc<Source>>,
    scope_label: String,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `Name: value` header options.
pub(crate) fn parse_headers(raw: &[String]) -> Result<Vec<(String, String)>, String> {
    raw.iter()
        .map(|h| match h.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() => {
                Ok((name.trim().to_string(), value.trim().to_string()))
            }
            _ => Err(format!("header {h:?}: expected \"Name: value\"")),
        })
        .collect()
}

impl Sources {
    /// Sources from options, with credentials from the environment: PROMETHEUS_BEARER_TOKEN, or
    /// PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD; DD_API_KEY and DD_APP_KEY (or
    /// DD_APPLICATION_KEY).
    pub(crate) fn new(
        prometheus_url: Option<&str>,
        prometheus_headers: &[String],
        scope_label: &str,
        datadog_site: Option<&str>,
    ) -> Result<Self, String> {
        let headers = parse_headers(prometheus_headers)?;
        let auth = if let Some(token) = env("PROMETHEUS_BEARER_TOKEN") {
            Auth::Bearer(token)
        } else if let (Some(user), Some(password)) =
            (env("PROMETHEUS_USERNAME"), env("PROMETHEUS_PASSWORD"))
        {
            Auth::Basic { user, password }
        } else {
            Auth::None
        };
        let prometheus = prometheus_url.map(|url| {
            Arc::new(Source::Prometheus {
                base_url: url.to_string(),
                auth,
                headers,
            })
        });
        let datadog = match datadog_site {
            None => None,
            Some(site) => {
                let api_key =
                    env("DD_API_KEY").ok_or("DD_API_KEY is not set (needed for Datadog)")?;
                let application_key = env("DD_APP_KEY")
                    .or_else(|| env("DD_APPLICATION_KEY"))
                    .ok_or("DD_APP_KEY is not set (needed for Datadog)")?;
                let base_url = if site.contains("://") {
                    site.to_string()
                } else {
                    format!("https://api.{site}")
                };
                Some(Arc::new(Source::Datadog {
                    base_url,
                    api_key,
                    application_key,
                }))
            }
        };
        Ok(Sources {
            prometheus,
            datadog,
            scope_label: scope_label.to_string(),
        })
    }
}

/// A metric's query settings, by source.
enum MetricQuery {
    Prometheus(prometheus::PrometheusQuery),
    Datadog(datadog::DatadogQuery),
}

/// One metric side to fetch: which source, and the planned query.
pub(crate) struct Job {
    source: Arc<Source>,
    planned: Planned,
    control: bool,
}

/// A config or execution request that cannot be used: what is wrong, and the field of the
/// service's request body at fault where there is one (`executionRequest.thresholds`).
#[derive(Debug, Error)]
#[error("{message}")]
pub(crate) struct Invalid {
    pub(crate) message: String,
    pub(crate) path: Option<String>,
}

impl From<String> for Invalid {
    fn from(message: String) -> Self {
        Invalid {
            message,
            path: None,
        }
    }
}

/// Why a fetch-and-pair could not be done.
#[derive(Debug, Error)]
pub(crate) enum PipelineError {
    /// The config or execution request cannot be used (a 4xx for the service).
    #[error("{0}")]
    Invalid(Invalid),
    /// A metric source failed.
    #[error("fetch failed: {0}")]
    Fetch(#[from] FetchError),
    /// The fetched data cannot be paired.
    #[error("cannot pair the fetched data: {0}")]
    Mix(SourceError),
}

/// A scope must give a window to fetch: `start` and `end` instants in order, and (for
/// Prometheus, which takes one) a step.
fn check_scope(
    metric: &str,
    side: &str,
    scope: &CanaryScope,
    needs_step: bool,
) -> Result<(), Invalid> {
    let path = format!("executionRequest.scopes.{side}");
    let problem = |p: String| Invalid {
        message: format!("metric '{metric}': {path}: {p}"),
        path: Some(path.clone()),
    };
    let start = scope.start_millis().map_err(|e| problem(e.to_string()))?;
    let end = scope.end_millis().map_err(|e| problem(e.to_string()))?;
    if end <= start {
        return Err(problem("end must be after start".into()));
    }
    if needs_step && scope.step.unwrap_or(0) == 0 {
        return Err(problem("step must be a positive number of seconds".into()));
    }
    Ok(())
}

/// What can be checked before any window is known: the config as Kayenta's config store checks
/// it (at least one metric, names non-empty and unique), and a scope in the execution request
/// for every metric's `scopeName`. `/v1/analyses` checks this when an analysis is submitted.
///
/// # Errors
/// A message naming the metric or the config's problem.
pub(crate) fn check_config_and_scopes(
    config: &CanaryConfig,
    request: &CanaryExecutionRequest,
) -> Result<(), String> {
    config.validate().map_err(|e| e.to_string())?;
    for metric in &config.metrics {
        scope_pair(
            metric,
            metric.scope_name.as_deref().unwrap_or("default"),
            request,
        )?;
    }
    Ok(())
}

/// The execution request's scopes for `metric`'s scope name.
fn scope_pair<'a>(
    metric: &canary_judge::model::CanaryMetricConfig,
    scope_name: &str,
    request: &'a CanaryExecutionRequest,
) -> Result<&'a canary_judge::model::CanaryScopePair, String> {
    request.scopes.get(scope_name).ok_or_else(|| {
        format!(
            "metric '{}': scope '{scope_name}' is not in the execution request's scopes ({})",
            metric.name,
            request
                .scopes
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// Plans every query: each metric of the config, control and experiment side.
pub(crate) fn plan(
    sources: &Sources,
    config: &CanaryConfig,
    request: &CanaryExecutionRequest,
) -> Result<Vec<Job>, Invalid> {
    check_config_and_scopes(config, request)?;
    let mut jobs = Vec::new();
    for metric in &config.metrics {
        let scope_name = metric.scope_name.as_deref().unwrap_or("default");
        let scopes = scope_pair(metric, scope_name, request)?;
        let pick = |want: &str, source: &Option<Arc<Source>>, how: &str| {
            source
                .clone()
                .ok_or_else(|| format!("metric '{}' is a {want} metric: {how}", metric.name))
        };
        let (source, query) = match metric.query.get("type").and_then(|t| t.as_str()) {
            Some("datadog") => (
                pick(
                    "datadog",
                    &sources.datadog,
                    "no Datadog site is configured (--datadog-site)",
                )?,
                MetricQuery::Datadog(
                    datadog::DatadogQuery::from_metric(metric).map_err(|e| e.to_string())?,
                ),
            ),
            Some("prometheus") | None => (
                pick(
                    "prometheus",
                    &sources.prometheus,
                    "no Prometheus URL is configured (--prometheus-url)",
                )?,
                MetricQuery::Prometheus(
                    prometheus::PrometheusQuery::from_metric(metric).map_err(|e| e.to_string())?,
                ),
            ),
            Some(other) => {
                return Err(format!(
                    "metric '{}': query type '{other}' is not supported (prometheus, datadog)",
                    metric.name
                )
                .into())
            }
        };
        let build = |scope: &CanaryScope| -> Result<String, String> {
            match &query {
                MetricQuery::Prometheus(q) => prometheus::build_query(
                    &metric.name,
                    q,
                    &config.templates,
                    scope,
                    &sources.scope_label,
                ),
                MetricQuery::Datadog(q) => {
                    datadog::build_query(&metric.name, q, &config.templates, scope)
                }
            }
            .map_err(|e| e.to_string())
        };
        for (control, scope) in [
            (true, &scopes.control_scope),
            (false, &scopes.experiment_scope),
        ] {
            let side = if control {
                "controlScope"
            } else {
                "experimentScope"
            };
            let needs_step = matches!(query, MetricQuery::Prometheus(_));
            check_scope(&metric.name, side, scope, needs_step)?;
            jobs.push(Job {
                source: source.clone(),
                planned: Planned {
                    metric: metric.name.clone(),
                    query: build(scope)?,
                    scope: scope.clone(),
                },
                control,
            });
        }
    }
    Ok(jobs)
}

/// Runs the planned queries, at most `limit`'s permits at once (shared across callers).
pub(crate) async fn fetch_all(
    client: &reqwest::Client,
    jobs: Vec<Job>,
    http: &HttpSettings,
    limit: &Arc<tokio::sync::Semaphore>,
) -> Result<(Vec<MetricSet>, Vec<MetricSet>), FetchError> {
    let http = Arc::new(http.clone());
    let mut handles = Vec::with_capacity(jobs.len());
    for job in jobs {
        let (client, limit, http) = (client.clone(), limit.clone(), http.clone());
        handles.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await.ok();
            let sets = fetch(&client, &job.source, &http, &job.planned).await;
            (job.control, sets)
        }));
    }
    let (mut control, mut experiment) = (Vec::new(), Vec::new());
    for handle in handles {
        let (is_control, sets) = handle.await.map_err(|e| FetchError::Transport {
            source_name: "http",
            metric: String::new(),
            query: String::new(),
            message: format!("fetch task failed: {e}"),
            attempts: 0,
        })?;
        if is_control {
            control.extend(sets?);
        } else {
            experiment.extend(sets?);
        }
    }
    Ok((control, experiment))
}

/// Plans, fetches and pairs: the judge request for a config and an execution request.
pub(crate) async fn fetch_and_pair(
    client: &reqwest::Client,
    sources: &Sources,
    config: CanaryConfig,
    request: &CanaryExecutionRequest,
    http: &HttpSettings,
    limit: &Arc<tokio::sync::Semaphore>,
) -> Result<JudgeRequest, PipelineError> {
    let thresholds = request.thresholds.ok_or_else(|| {
        PipelineError::Invalid(Invalid {
            message: "execution request must contain thresholds".into(),
            path: Some("executionRequest.thresholds".into()),
        })
    })?;
    let jobs = plan(sources, &config, request).map_err(PipelineError::Invalid)?;
    let (control, experiment) = fetch_all(client, jobs, http, limit).await?;
    let pairs = mix_all(&config.metrics, &control, &experiment).map_err(PipelineError::Mix)?;
    Ok(JudgeRequest {
        canary_config: config,
        score_thresholds: thresholds,
        metric_set_pair_list: pairs,
    })
}

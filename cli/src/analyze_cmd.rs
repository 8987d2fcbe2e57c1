//! `canary-judge analyze`: fetch a canary's metrics from Prometheus or Datadog, mix, judge.

use crate::fetch::{fetch, Auth, FetchError, HttpSettings, Planned, Source};
use crate::judge_cmd::{print_result, FailOn};
use canary_judge::model::{CanaryConfig, CanaryExecutionRequest, CanaryScope, MetricSet};
use canary_judge::source::{datadog, mix_all, prometheus};
use canary_judge::{judge_with, JudgeRequest};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `canary-judge analyze`.
#[derive(Debug, Args)]
pub(crate) struct AnalyzeArgs {
    /// The canary config (Kayenta's `CanaryConfig` JSON).
    #[arg(long)]
    config: PathBuf,
    /// The execution request (Kayenta's `CanaryExecutionRequest` JSON: scopes and thresholds).
    #[arg(long)]
    request: PathBuf,
    /// Prometheus base URL, for metrics whose query type is `prometheus`. Credentials come from
    /// PROMETHEUS_BEARER_TOKEN, or PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD.
    #[arg(long, value_name = "URL")]
    prometheus_url: Option<String>,
    /// An extra header for every Prometheus request, `Name: value` (e.g. `X-Scope-OrgID: team`
    /// for Mimir or Cortex); repeatable.
    #[arg(long = "prometheus-header", value_name = "NAME: VALUE")]
    prometheus_headers: Vec<String>,
    /// The label that selects a scope for `gce_instance` queries.
    #[arg(long, default_value = prometheus::DEFAULT_SCOPE_LABEL)]
    prometheus_scope_label: String,
    /// Datadog site (e.g. `datadoghq.eu`, queried at `https://api.<site>`) or a full base URL,
    /// for metrics whose query type is `datadog`. Keys come from DD_API_KEY and DD_APP_KEY
    /// (or DD_APPLICATION_KEY).
    #[arg(long, value_name = "SITE|URL")]
    datadog_site: Option<String>,
    /// Write the fetched data as a remote-judge request, to replay with `canary-judge judge`.
    #[arg(long, value_name = "FILE")]
    save_pairs: Option<PathBuf>,
    /// Pretty-print the result.
    #[arg(long)]
    pretty: bool,
    /// Exit with 1 when the verdict is at or below this level.
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Use this judge instead of the config's `judge.name`.
    #[arg(long = "judge", value_name = "NAME")]
    judge_name: Option<String>,
    /// Queries in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30)]
    timeout_secs: u64,
    /// Retries after a connection error, timeout, 429 or 5xx.
    #[arg(long, default_value_t = 3)]
    retries: u32,
    /// First retry delay in milliseconds (doubles per retry).
    #[arg(long, default_value_t = 250)]
    retry_backoff_ms: u64,
}

const EXIT_INVALID: u8 = 2;
const EXIT_FETCH: u8 = 3;

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {what} {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{what} {}: {e}", path.display()))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn prometheus_auth() -> Auth {
    if let Some(token) = env("PROMETHEUS_BEARER_TOKEN") {
        Auth::Bearer(token)
    } else if let (Some(user), Some(password)) =
        (env("PROMETHEUS_USERNAME"), env("PROMETHEUS_PASSWORD"))
    {
        Auth::Basic { user, password }
    } else {
        Auth::None
    }
}

/// A metric's query settings, by source.
enum MetricQuery {
    Prometheus(prometheus::PrometheusQuery),
    Datadog(datadog::DatadogQuery),
}

/// One metric side to fetch: which source, and the planned query.
struct Job {
    source: Arc<Source>,
    planned: Planned,
    control: bool,
}

fn parse_headers(raw: &[String]) -> Result<Vec<(String, String)>, String> {
    raw.iter()
        .map(|h| match h.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() => {
                Ok((name.trim().to_string(), value.trim().to_string()))
            }
            _ => Err(format!(
                "--prometheus-header {h:?}: expected \"Name: value\""
            )),
        })
        .collect()
}

fn plan(
    args: &AnalyzeArgs,
    config: &CanaryConfig,
    request: &CanaryExecutionRequest,
) -> Result<Vec<Job>, String> {
    let headers = parse_headers(&args.prometheus_headers)?;
    let prom = args.prometheus_url.as_ref().map(|url| {
        Arc::new(Source::Prometheus {
            base_url: url.clone(),
            auth: prometheus_auth(),
            headers: headers.clone(),
        })
    });
    let dd = match &args.datadog_site {
        None => None,
        Some(site) => {
            let api_key =
                env("DD_API_KEY").ok_or("DD_API_KEY is not set (needed for --datadog-site)")?;
            let application_key = env("DD_APP_KEY")
                .or_else(|| env("DD_APPLICATION_KEY"))
                .ok_or("DD_APP_KEY is not set (needed for --datadog-site)")?;
            let base_url = if site.contains("://") {
                site.clone()
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
    if config.metrics.is_empty() {
        return Err(
            "canaryConfig.metrics: the canary config must specify at least one metric".into(),
        );
    }
    let mut jobs = Vec::new();
    for metric in &config.metrics {
        let scope_name = metric.scope_name.as_deref().unwrap_or("default");
        let scopes =
            request.scopes.get(scope_name).ok_or_else(|| {
                format!(
                "metric '{}': scope '{scope_name}' is not in the execution request's scopes ({})",
                metric.name,
                request.scopes.keys().cloned().collect::<Vec<_>>().join(", ")
            )
            })?;
        let kind = metric.query.get("type").and_then(|t| t.as_str());
        let pick = |want: &str, source: &Option<Arc<Source>>, flag: &str| {
            source
                .clone()
                .ok_or_else(|| format!("metric '{}' is a {want} metric: give {flag}", metric.name))
        };
        let (source, query) = match kind {
            Some("datadog") => (
                pick("datadog", &dd, "--datadog-site")?,
                MetricQuery::Datadog(
                    datadog::DatadogQuery::from_metric(metric).map_err(|e| e.to_string())?,
                ),
            ),
            Some("prometheus") | None => (
                pick("prometheus", &prom, "--prometheus-url")?,
                MetricQuery::Prometheus(
                    prometheus::PrometheusQuery::from_metric(metric).map_err(|e| e.to_string())?,
                ),
            ),
            Some(other) => {
                return Err(format!(
                    "metric '{}': query type '{other}' is not supported (prometheus, datadog)",
                    metric.name
                ))
            }
        };
        let build = |scope: &CanaryScope| -> Result<String, String> {
            match &query {
                MetricQuery::Prometheus(q) => prometheus::build_query(
                    &metric.name,
                    q,
                    &config.templates,
                    scope,
                    &args.prometheus_scope_label,
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

async fn fetch_all(
    jobs: Vec<Job>,
    http: HttpSettings,
    concurrency: usize,
) -> Result<(Vec<MetricSet>, Vec<MetricSet>), FetchError> {
    let client = reqwest::Client::builder()
        .build()
        .map_err(|e| FetchError::Transport {
            source_name: "http",
            metric: String::new(),
            query: String::new(),
            message: e.to_string(),
            attempts: 0,
        })?;
    let limit = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let http = Arc::new(http);
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

/// Runs the command and returns the process exit code: 0 a verdict (not tripping --fail-on),
/// 1 the verdict tripped --fail-on, 2 invalid config or request, 3 the data could not be fetched.
pub(crate) fn run(args: &AnalyzeArgs) -> ExitCode {
    let invalid = |msg: String| {
        eprintln!("canary-judge: invalid input: {msg}");
        ExitCode::from(EXIT_INVALID)
    };
    let config: CanaryConfig = match read_json(&args.config, "config") {
        Ok(c) => c,
        Err(e) => return invalid(e),
    };
    let request: CanaryExecutionRequest = match read_json(&args.request, "execution request") {
        Ok(r) => r,
        Err(e) => return invalid(e),
    };
    let Some(thresholds) = request.thresholds else {
        return invalid("execution request must contain thresholds".into());
    };
    let jobs = match plan(args, &config, &request) {
        Ok(j) => j,
        Err(e) => return invalid(e),
    };
    let http = HttpSettings {
        timeout: Duration::from_secs(args.timeout_secs),
        retries: args.retries,
        backoff: Duration::from_millis(args.retry_backoff_ms),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("canary-judge: cannot start the runtime: {e}");
            return ExitCode::from(EXIT_FETCH);
        }
    };
    let (control, experiment) = match runtime.block_on(fetch_all(jobs, http, args.concurrency)) {
        Ok(sets) => sets,
        Err(e) => {
            eprintln!("canary-judge: fetch failed: {e}");
            return ExitCode::from(EXIT_FETCH);
        }
    };
    let pairs = match mix_all(&config.metrics, &control, &experiment) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("canary-judge: cannot pair the fetched data: {e}");
            return ExitCode::from(EXIT_FETCH);
        }
    };
    let judge_request = JudgeRequest {
        canary_config: config,
        score_thresholds: thresholds,
        metric_set_pair_list: pairs,
    };
    if let Some(path) = &args.save_pairs {
        let written = serde_json::to_string(&judge_request)
            .map_err(|e| e.to_string())
            .and_then(|text| std::fs::write(path, text).map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("canary-judge: cannot write {}: {e}", path.display());
            return ExitCode::from(EXIT_FETCH);
        }
    }
    match judge_with(args.judge_name.as_deref(), &judge_request) {
        Ok(result) => print_result(&result, args.pretty, args.fail_on),
        Err(e) => invalid(e.to_string()),
    }
}

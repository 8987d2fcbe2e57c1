//! Fetching metric sets over HTTP: the thin IO shell around `canary_judge::source`.
//!
//! Every request has a timeout and a bounded retry with exponential backoff on connection
//! errors, timeouts, 429 and 5xx; other statuses fail at once. Credentials are sent
//! pre-emptively and never appear in errors or logs.

use canary_judge::model::{CanaryScope, MetricSet};
use canary_judge::source::{datadog, prometheus, SourceError};
use std::time::Duration;
use thiserror::Error;

/// How requests are made.
#[derive(Debug, Clone)]
pub(crate) struct HttpSettings {
    /// Per-request timeout.
    pub(crate) timeout: Duration,
    /// Retries after the first attempt.
    pub(crate) retries: u32,
    /// First backoff; doubles per retry, capped at 10 s.
    pub(crate) backoff: Duration,
}

/// Prometheus credentials.
#[derive(Clone)]
pub(crate) enum Auth {
    None,
    Bearer(String),
    Basic { user: String, password: String },
}

impl std::fmt::Debug for Auth {
    // Never print secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::None => "Auth::None",
            Auth::Bearer(_) => "Auth::Bearer(…)",
            Auth::Basic { .. } => "Auth::Basic(…)",
        })
    }
}

/// Where a metric's data comes from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    Prometheus {
        base_url: String,
        auth: Auth,
        /// Static extra headers (e.g. a tenant id).
        headers: Vec<(String, String)>,
    },
    Datadog {
        base_url: String,
        api_key: String,
        application_key: String,
    },
}

impl Source {
    fn name(&self) -> &'static str {
        match self {
            Source::Prometheus { .. } => "prometheus",
            Source::Datadog { .. } => "datadog",
        }
    }
}

/// A fetch that failed; the message names the source, the metric, the query and what went wrong.
#[derive(Debug, Error)]
pub(crate) enum FetchError {
    #[error("{source_name}: metric '{metric}': query {query:?}: HTTP {status}{hint}: {detail}")]
    Status {
        source_name: &'static str,
        metric: String,
        query: String,
        status: u16,
        hint: &'static str,
        detail: String,
    },
    #[error(
        "{source_name}: metric '{metric}': query {query:?}: {message} (after {attempts} attempts)"
    )]
    Transport {
        source_name: &'static str,
        metric: String,
        query: String,
        message: String,
        attempts: u32,
    },
    #[error("metric '{metric}': query {query:?}: {error}")]
    Source {
        metric: String,
        query: String,
        error: SourceError,
    },
}

/// One metric's query for one side, ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub(crate) metric: String,
    pub(crate) query: String,
    pub(crate) scope: CanaryScope,
}

fn retryable(status: u16) -> bool {
    status == 429 || status >= 500
}

fn hint(status: u16) -> &'static str {
    match status {
        401 | 403 => " (check the credentials)",
        429 => " (rate limited)",
        _ => "",
    }
}

/// Seconds to wait that the server asked for (`Retry-After` or Datadog's `X-RateLimit-Reset`).
fn requested_wait(resp: &reqwest::Response) -> Option<Duration> {
    ["retry-after", "x-ratelimit-reset"]
        .iter()
        .find_map(|h| {
            resp.headers()
                .get(*h)?
                .to_str()
                .ok()?
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|s| Duration::from_secs(s.min(30)))
}

/// Fetches and parses one planned query.
pub(crate) async fn fetch(
    client: &reqwest::Client,
    source: &Source,
    http: &HttpSettings,
    planned: &Planned,
) -> Result<Vec<MetricSet>, FetchError> {
    let source_name = source.name();
    let source_error = |error: SourceError| FetchError::Source {
        metric: planned.metric.clone(),
        query: planned.query.clone(),
        error,
    };
    let request = || -> Result<reqwest::RequestBuilder, SourceError> {
        Ok(match source {
            Source::Prometheus {
                base_url,
                auth,
                headers,
            } => {
                let params = prometheus::range_query_params(
                    &planned.metric,
                    &planned.query,
                    &planned.scope,
                )?;
                let mut req = client
                    .get(format!(
                        "{}/api/v1/query_range",
                        base_url.trim_end_matches('/')
                    ))
                    .query(&params);
                for (name, value) in headers {
                    req = req.header(name.as_str(), value.as_str());
                }
                match auth {
                    Auth::None => req,
                    Auth::Bearer(token) => req.bearer_auth(token),
                    Auth::Basic { user, password } => req.basic_auth(user, Some(password)),
                }
            }
            Source::Datadog {
                base_url,
                api_key,
                application_key,
            } => {
                let params =
                    datadog::query_params(&planned.metric, &planned.query, &planned.scope)?;
                client
                    .get(format!("{}/api/v1/query", base_url.trim_end_matches('/')))
                    .query(&params)
                    .header("DD-API-KEY", api_key)
                    .header("DD-APPLICATION-KEY", application_key)
                    .header("Accept", "application/json")
            }
        })
    };

    let attempts = http.retries + 1;
    let mut wait = http.backoff;
    let mut attempt = 0;
    let body = loop {
        attempt += 1;
        let last = attempt >= attempts;
        let outcome = request()
            .map_err(source_error)?
            .timeout(http.timeout)
            .send()
            .await;
        let failure = match outcome {
            Ok(resp) => {
                let status = resp.status().as_u16();
                if resp.status().is_success() {
                    match resp.text().await {
                        Ok(text) => break text,
                        Err(e) => format!("reading the body failed: {e}"),
                    }
                } else {
                    let asked = requested_wait(&resp);
                    let text = resp.text().await.unwrap_or_default();
                    if !retryable(status) || last {
                        // Prometheus and Datadog describe the problem in their JSON error body.
                        let detail = match source {
                            Source::Prometheus { .. } => prometheus::parse_range_response(&text)
                                .err()
                                .map(|e| e.to_string()),
                            Source::Datadog { .. } => datadog::metric_sets(
                                &planned.metric,
                                &planned.query,
                                &planned.scope,
                                &text,
                            )
                            .err()
                            .map(|e| e.to_string()),
                        }
                        .unwrap_or_else(|| text.chars().take(200).collect());
                        return Err(FetchError::Status {
                            source_name,
                            metric: planned.metric.clone(),
                            query: planned.query.clone(),
                            status,
                            hint: hint(status),
                            detail,
                        });
                    }
                    if let Some(asked) = asked {
                        wait = wait.max(asked);
                    }
                    format!("HTTP {status}")
                }
            }
            Err(e) => {
                let kind = if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "could not connect"
                } else {
                    "request failed"
                };
                format!("{kind}: {e}")
            }
        };
        if last {
            return Err(FetchError::Transport {
                source_name,
                metric: planned.metric.clone(),
                query: planned.query.clone(),
                message: failure,
                attempts,
            });
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(10));
    };

    match source {
        Source::Prometheus { .. } => {
            prometheus::metric_sets(&planned.metric, &planned.query, &planned.scope, &body)
        }
        Source::Datadog { .. } => {
            datadog::metric_sets(&planned.metric, &planned.query, &planned.scope, &body)
        }
    }
    .map_err(source_error)
}

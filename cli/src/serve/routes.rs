//! The routes, their state and their layers.

use super::error::ApiError;
use crate::fetch::HttpSettings;
use crate::pipeline::{fetch_and_pair, PipelineError, Sources};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use canary_judge::model::{CanaryConfig, CanaryExecutionRequest};
use canary_judge::{judge_with, parse_json, parse_request, CanaryJudgeResult, Verdict};
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

/// What every handler shares.
pub(crate) struct AppState {
    pub(crate) sources: Sources,
    pub(crate) client: reqwest::Client,
    pub(crate) http: HttpSettings,
    /// Metric-source requests in flight, across all requests.
    pub(crate) source_limit: Arc<tokio::sync::Semaphore>,
    /// Judgements computed at once.
    pub(crate) judge_limit: Arc<tokio::sync::Semaphore>,
    /// Bearer token required on `/v1/*`, if set.
    pub(crate) token: Option<Arc<str>>,
    pub(crate) config_dir: Option<PathBuf>,
    pub(crate) max_body_bytes: usize,
    pub(crate) judge_timeout: Duration,
    pub(crate) fetch_judge_timeout: Duration,
    /// Long analyses, when a data directory is configured.
    pub(crate) analyses: Option<Arc<super::analyses::Store>>,
    /// Renders `/metrics`; `None` when no recorder could be installed.
    pub(crate) metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
}

type Shared = Arc<AppState>;

/// Request ids: a process-wide counter, in `x-request-id` on the response and in the logs.
#[derive(Clone, Default)]
struct Counter(Arc<AtomicU64>);

impl MakeRequestId for Counter {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        HeaderValue::from_str(&format!("cj-{n}"))
            .ok()
            .map(RequestId::new)
    }
}

/// The router with every route and layer.
pub(crate) fn app(state: Shared) -> Router {
    let v1 = Router::new()
        .route("/v1/judge", post(v1_judge))
        .route("/v1/analyses", post(super::analyses::start))
        .route("/v1/analyses/{id}", get(super::analyses::status))
        .route("/v1/analyses/{id}/cancel", post(super::analyses::cancel))
        .route("/openapi.json", get(openapi))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    // Flagger cannot send headers: its route checks the token itself (header or metadata.token).
    let flagger = Router::new().route("/v1/flagger/{hook}", post(super::flagger::hook));
    let routes = Router::new()
        .route("/judge", post(remote_judge))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/health", get(health))
        .route("/metrics", get(render_metrics))
        .merge(v1)
        .merge(flagger);
    with_layers(routes, state.max_body_bytes).with_state(state)
}

/// The layers every route gets: JSON 404/405, the body cap, request metrics, panic catching,
/// request ids and tracing.
fn with_layers<S: Clone + Send + Sync + 'static>(
    routes: Router<S>,
    max_body_bytes: usize,
) -> Router<S> {
    routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(middleware::from_fn(record_request))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", id, method = %req.method(), path = %req.uri().path())
                })
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::x_request_id(Counter::default()))
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked; answered 500");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error (a bug); the server is still running",
    )
    .into_response()
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed on this route",
    )
}

/// Equal-time comparison, so the token cannot be guessed byte by byte from response times.
pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn require_token(State(state): State<Shared>, request: Request, next: Next) -> Response {
    if let Some(token) = &state.token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| constant_time_eq(g.trim().as_bytes(), token.as_bytes())) {
            let mut response =
                ApiError::new(StatusCode::UNAUTHORIZED, "missing or wrong bearer token")
                    .into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return response;
        }
    }
    next.run(request).await
}

/// Runs CPU-bound work off the async threads, with a permit from the judge limit and a time limit.
async fn judge_work<T: Send + 'static>(
    state: &AppState,
    limit: Duration,
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let timed_out = || {
        ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            format!("the judgement took longer than {} s", limit.as_secs()),
        )
    };
    let run = async {
        let _permit = state
            .judge_limit
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "shutting down"))?;
        let started = std::time::Instant::now();
        let outcome = tokio::task::spawn_blocking(work).await;
        metrics::histogram!("canary_judge_judgement_duration_seconds")
            .record(started.elapsed().as_secs_f64());
        outcome.map_err(|e| {
            tracing::error!(error = %e, "judgement task failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error (a bug); the server is still running",
            )
        })?
    };
    tokio::time::timeout(limit, run)
        .await
        .map_err(|_| timed_out())?
}

/// `POST /judge`: Kayenta's remote judge. Body `{canaryConfig, scoreThresholds,
/// metricSetPairList}`, reply a bare `CanaryJudgeResult`. No authentication.
async fn remote_judge(
    State(state): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CanaryJudgeResult>, ApiError> {
    let body = body?;
    let limit = state.judge_timeout;
    let result = judge_work(&state, limit, move || {
        let text = std::str::from_utf8(&body)
            .map_err(|e| ApiError::bad_request(format!("the body is not UTF-8: {e}")))?;
        let request = parse_request(text)
            .map_err(|e| ApiError::bad_request(e.to_string()).with_path(e.path()))?;
        canary_judge::judge(&request)
            .map_err(|e| ApiError::bad_request(e.to_string()).with_path_if(e.field()))
    })
    .await?;
    record_verdict(&result);
    Ok(Json(result))
}

/// `POST /v1/judge` body. Our own shape, so an unknown field (a typo, or a field of another
/// route) is refused rather than ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct V1Request {
    /// The config inline…
    #[serde(default)]
    canary_config: Option<CanaryConfig>,
    /// …or the name of `<config-dir>/<name>.json`.
    #[serde(default)]
    canary_config_name: Option<String>,
    /// Scopes and thresholds.
    execution_request: CanaryExecutionRequest,
    /// Overrides the config's judge name.
    #[serde(default)]
    judge: Option<String>,
    /// Fills every scope's missing `start` and `end` with the last this-many minutes (for
    /// callers such as Argo Rollouts that cannot compute instants).
    #[serde(default)]
    lookback_mins: Option<u32>,
}

/// Sets `start`/`end` of scopes that lack them to `[now − minutes, now]`, whole seconds, UTC.
fn fill_lookback(request: &mut CanaryExecutionRequest, minutes: u32) {
    let now = chrono::Utc::now();
    let end = now.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let start = (now - chrono::Duration::minutes(i64::from(minutes)))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    for pair in request.scopes.values_mut() {
        for scope in [&mut pair.control_scope, &mut pair.experiment_scope] {
            scope.start.get_or_insert_with(|| start.clone());
            scope.end.get_or_insert_with(|| end.clone());
        }
    }
}

#[derive(Debug, Deserialize)]
struct V1Query {
    /// Answer a `Fail` verdict with this status (e.g. 412 for Flagger or Spinnaker).
    #[serde(rename = "failStatus")]
    fail_status: Option<u16>,
}

/// Kayenta's config store accepts `[A-Za-z0-9,_-]*`; anything else could walk the file system.
fn valid_config_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b',' | b'_' | b'-'))
}

pub(super) fn load_config(state: &AppState, name: &str) -> Result<CanaryConfig, ApiError> {
    if !valid_config_name(name) {
        return Err(ApiError::bad_request(
            "canaryConfigName may only hold letters, digits, ',', '_' and '-'",
        )
        .with_path("canaryConfigName"));
    }
    let dir = state.config_dir.as_ref().ok_or_else(|| {
        ApiError::bad_request(
            "this server has no config directory (--config-dir); send canaryConfig inline",
        )
        .with_path("canaryConfigName")
    })?;
    let path = dir.join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no canary config named '{name}'"),
        )
        .with_path("canaryConfigName")
    })?;
    parse_json(&text).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("stored config '{name}' is invalid: {e}"),
        )
    })
}

/// Why a verdict came out as it did, in words: the summary reason, then each metric that did not
/// pass.
pub(super) fn reasons(result: &CanaryJudgeResult) -> Vec<String> {
    let mut out = Vec::new();
    if !result.score.classification_reason.is_empty() {
        out.push(result.score.classification_reason.clone());
    }
    for r in &result.results {
        if r.classification != canary_judge::Classification::Pass && !r.muted {
            let reason = r.classification_reason.as_deref().unwrap_or("");
            out.push(
                format!("{}: {} {}", r.name, r.classification, reason)
                    .trim_end()
                    .to_string(),
            );
        }
    }
    out
}

/// Fetches, pairs and judges within `--fetch-judge-timeout-secs`. A failing metric source is
/// answered with `source_error` (502 for `/v1/judge`, 503 for Flagger, which retries it).
pub(super) async fn fetch_and_judge(
    state: &AppState,
    config: CanaryConfig,
    execution_request: &CanaryExecutionRequest,
    judge_name: Option<String>,
    source_error: StatusCode,
) -> Result<CanaryJudgeResult, ApiError> {
    let limit = state.fetch_judge_timeout;
    let work = async {
        let judge_request = fetch_and_pair(
            &state.client,
            &state.sources,
            config,
            execution_request,
            &state.http,
            &state.source_limit,
        )
        .await
        .map_err(|e| match e {
            PipelineError::Invalid(invalid) => {
                ApiError::bad_request(invalid.message).with_path_if(invalid.path)
            }
            other => {
                metrics::counter!("canary_judge_source_errors_total").increment(1);
                ApiError::new(source_error, other.to_string())
            }
        })?;
        judge_work(state, limit, move || {
            judge_with(judge_name.as_deref(), &judge_request).map_err(|e| {
                // The judge request is built here: only the config's and the thresholds'
                // fields are the caller's (the thresholds come from the execution request).
                let path = e.field().and_then(|f| {
                    if let Some(rest) = f.strip_prefix("scoreThresholds") {
                        Some(format!("executionRequest.thresholds{rest}"))
                    } else {
                        f.starts_with("canaryConfig").then_some(f)
                    }
                });
                ApiError::bad_request(e.to_string()).with_path_if(path)
            })
        })
        .await
    };
    let result = tokio::time::timeout(limit, work).await.map_err(|_| {
        ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            format!(
                "fetching and judging took longer than {} s (a slow metric source?)",
                limit.as_secs()
            ),
        )
    })??;
    record_verdict(&result);
    Ok(result)
}

/// `POST /v1/judge`: fetch from the configured sources, pair, judge.
async fn v1_judge(
    State(state): State<Shared>,
    query: Result<Query<V1Query>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    // A bad query string gets the JSON error shape too (axum's own rejection is plain text).
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let body = body?;
    if let Some(s) = query.fail_status {
        if !(400..=599).contains(&s) {
            return Err(
                ApiError::bad_request("failStatus must be a 4xx or 5xx status")
                    .with_path("failStatus"),
            );
        }
    }
    let text = std::str::from_utf8(&body)
        .map_err(|e| ApiError::bad_request(format!("the body is not UTF-8: {e}")))?;
    let mut request: V1Request =
        parse_json(text).map_err(|e| ApiError::bad_request(e.to_string()).with_path(e.path()))?;
    if let Some(minutes) = request.lookback_mins {
        if minutes == 0 {
            return Err(
                ApiError::bad_request("lookbackMins must be at least 1").with_path("lookbackMins")
            );
        }
        fill_lookback(&mut request.execution_request, minutes);
    }
    let config = match (request.canary_config, request.canary_config_name.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(
                ApiError::bad_request("give canaryConfig or canaryConfigName, not both")
                    .with_path("canaryConfigName"),
            )
        }
        (Some(c), None) => c,
        (None, Some(name)) => load_config(&state, name)?,
        (None, None) => {
            return Err(
                ApiError::bad_request("give canaryConfig or canaryConfigName")
                    .with_path("canaryConfig"),
            )
        }
    };
    let result = fetch_and_judge(
        &state,
        config,
        &request.execution_request,
        request.judge.clone(),
        StatusCode::BAD_GATEWAY,
    )
    .await?;
    let verdict = result.score.classification;
    let body = serde_json::json!({
        "score": result.score.score,
        "verdict": verdict.as_str(),
        "pass": verdict == Verdict::Pass,
        "reasons": reasons(&result),
        "result": result,
    });
    let status = match (verdict, query.fail_status) {
        (Verdict::Fail, Some(s)) => {
            StatusCode::from_u16(s).unwrap_or(StatusCode::PRECONDITION_FAILED)
        }
        _ => StatusCode::OK,
    };
    Ok((status, Json(body)).into_response())
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// Ready when the config directory, if any, can be read.
async fn readyz(State(state): State<Shared>) -> Response {
    match &state.config_dir {
        Some(dir) if std::fs::read_dir(dir).is_err() => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the config directory {} cannot be read", dir.display()),
        )
        .into_response(),
        _ => Json(serde_json::json!({"status": "ready"})).into_response(),
    }
}

/// Counts every request by route and status, and times it.
async fn record_request(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("canary_judge_http_requests_total", "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("canary_judge_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Counts a verdict.
pub(super) fn record_verdict(result: &CanaryJudgeResult) {
    metrics::counter!("canary_judge_verdicts_total", "verdict" => result.score.classification.as_str()).increment(1);
}

/// `GET /metrics`: Prometheus text exposition.
async fn render_metrics(State(state): State<Shared>) -> Response {
    match &state.metrics {
        Some(handle) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render(),
        )
            .into_response(),
        None => ApiError::new(StatusCode::NOT_FOUND, "metrics are not enabled").into_response(),
    }
}

/// The routes' OpenAPI description (kept by hand; a test checks it lists every route).
pub(crate) const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// Spinnaker's convention.
async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "UP"}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    /// A panic in any handler is answered 500 with a JSON body, and the service keeps serving.
    #[tokio::test]
    async fn panics_become_500() {
        let app = with_layers(
            Router::new()
                .route(
                    "/boom",
                    get(|| async {
                        if std::hint::black_box(true) {
                            panic!("a bug");
                        }
                        "unreachable"
                    }),
                )
                .route("/fine", get(|| async { "ok" })),
            1024,
        );
        let boom = app
            .clone()
            .oneshot(
                axum::http::Request::get("/boom")
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        assert_eq!(boom.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(boom.into_body(), 1 << 16)
            .await
            .expect("body");
        let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON error body");
        assert_eq!(json["error"]["status"], 500);
        let fine = app
            .oneshot(
                axum::http::Request::get("/fine")
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        assert_eq!(fine.status(), StatusCode::OK);
    }
}

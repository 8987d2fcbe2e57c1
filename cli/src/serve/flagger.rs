//! `POST /v1/flagger/{hook}`: Flagger's webhooks (integrations spec §4.1).
//!
//! Flagger posts `{name, namespace, phase, checksum, metadata}` with string metadata, and passes a
//! check when the status is 200–202. We read:
//! - `metadata.config` (required): a canary config in the config directory;
//! - `metadata.lookback` (Go duration, default `10m`): the window judged, ending now;
//! - `metadata.baseline` / `metadata.canary` (default `<name>-primary` / `<name>`): the scopes;
//! - `metadata.step` (seconds, default 60), `metadata.pass` / `metadata.marginal` (default 95/75);
//! - `metadata.token`: the bearer token, when the server requires one (Flagger sends no headers).
//!
//! `rollout`, `pre-rollout` and the `confirm-*` hooks answer 200 on Pass and 412 with the reasons
//! on Marginal or Fail, except that with the sequential judge `rollout` and `pre-rollout` also
//! answer 200 on its Continue (Marginal); `rollback` is inverted (200 = roll back now, on Fail; 409 otherwise);
//! `post-rollout` and `event` are acknowledged without judging. A metric source that fails gives
//! 503, which Flagger retries and then counts as a failed check.

use super::error::ApiError;
use super::routes::{constant_time_eq, fetch_and_judge, load_config, reasons, AppState};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use canary_judge::judge::sequential::CANARY_JUDGE_SEQUENTIAL_V1;
use canary_judge::model::{CanaryExecutionRequest, CanaryScope, CanaryScopePair};
use canary_judge::{parse_json, ScoreThresholds, Verdict};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Flagger's `CanaryWebhookPayload`.
#[derive(Debug, Deserialize)]
pub(super) struct Payload {
    name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    phase: String,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

/// A Go duration (`10m`, `1h30m`, `1.5h`, `90s`, `2500ms`; units `ns`, `us`/`µs`, `ms`, `s`, `m`,
/// `h`) in whole seconds, rounded; `None` unless it is at least one second and at most ten years.
fn go_duration_secs(text: &str) -> Option<u64> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0_f64;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(digits);
        let n: f64 = number.parse().ok()?;
        let letters = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(letters);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += n * scale;
        rest = tail;
    }
    let ten_years = (canary_judge::analysis::MAX_MINUTES * 60) as f64;
    (total >= 1.0 && total <= ten_years).then(|| total.round() as u64)
}

fn meta_number(meta: &BTreeMap<String, String>, key: &str, default: f64) -> Result<f64, ApiError> {
    match meta.get(key) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| {
                ApiError::bad_request(format!("metadata.{key} must be a number, got {v:?}"))
                    .with_path(format!("metadata.{key}"))
            }),
    }
}

fn execution_request(payload: &Payload) -> Result<CanaryExecutionRequest, ApiError> {
    if payload.name.trim().is_empty() {
        return Err(ApiError::bad_request(
            "name must name the canary (it gives the scopes <name> and <name>-primary)",
        )
        .with_path("name"));
    }
    let meta = &payload.metadata;
    let lookback = meta.get("lookback").map_or("10m", String::as_str);
    let secs = go_duration_secs(lookback).ok_or_else(|| {
        ApiError::bad_request(format!(
            "metadata.lookback must be a Go duration from 1s to ten years, such as \"10m\" or \
             \"1.5h\", got {lookback:?}"
        ))
        .with_path("metadata.lookback")
    })?;
    let step = meta_number(meta, "step", 60.0)?;
    if step < 1.0 || step.fract() != 0.0 {
        return Err(
            ApiError::bad_request("metadata.step must be whole seconds").with_path("metadata.step")
        );
    }
    let now = chrono::Utc::now();
    let format = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let end = format(now);
    let start =
        format(now - chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 2)));
    let scope = |name: String| CanaryScope {
        scope: Some(name),
        location: Some(payload.namespace.clone()),
        start: Some(start.clone()),
        end: Some(end.clone()),
        step: Some(step as u64),
        extended_scope_params: BTreeMap::from([
            ("namespace".to_string(), payload.namespace.clone()),
            ("name".to_string(), payload.name.clone()),
        ]),
    };
    let baseline = meta
        .get("baseline")
        .cloned()
        .unwrap_or_else(|| format!("{}-primary", payload.name));
    let canary = meta
        .get("canary")
        .cloned()
        .unwrap_or_else(|| payload.name.clone());
    Ok(CanaryExecutionRequest {
        scopes: BTreeMap::from([(
            "default".to_string(),
            CanaryScopePair {
                control_scope: scope(baseline),
                experiment_scope: scope(canary),
            },
        )]),
        thresholds: Some(ScoreThresholds {
            pass: meta_number(meta, "pass", 95.0)?,
            marginal: meta_number(meta, "marginal", 75.0)?,
        }),
        metadata: None,
        site_local: None,
    })
}

fn authorized(state: &AppState, headers: &HeaderMap, payload: &Payload) -> bool {
    let Some(token) = &state.token else {
        return true;
    };
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let given = from_header.or(payload.metadata.get("token").map(String::as_str));
    given.is_some_and(|g| constant_time_eq(g.trim().as_bytes(), token.as_bytes()))
}

/// The handler.
pub(super) async fn hook(
    State(state): State<Arc<AppState>>,
    Path(hook): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let judging = matches!(
        hook.as_str(),
        "rollout"
            | "pre-rollout"
            | "confirm-rollout"
            | "confirm-traffic-increase"
            | "confirm-promotion"
            | "rollback"
    );
    if !judging && !matches!(hook.as_str(), "post-rollout" | "event") {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("unknown Flagger hook '{hook}'"),
        ));
    }
    let body = body?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| ApiError::bad_request(format!("the body is not UTF-8: {e}")))?;
    let payload: Payload =
        parse_json(text).map_err(|e| ApiError::bad_request(e.to_string()).with_path(e.path()))?;
    if !authorized(&state, &headers, &payload) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing or wrong token (Authorization header or metadata.token)",
        ));
    }
    if !judging {
        tracing::info!(hook, name = %payload.name, phase = %payload.phase, "flagger notification");
        return Ok(Json(serde_json::json!({"acknowledged": true})).into_response());
    }
    let config_name = payload.metadata.get("config").ok_or_else(|| {
        ApiError::bad_request("metadata.config must name a canary config")
            .with_path("metadata.config")
    })?;
    let config = load_config(&state, config_name)?;
    let request = execution_request(&payload)?;
    let result = fetch_and_judge(
        &state,
        config,
        &request,
        None,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await?;
    let verdict = result.score.classification;
    let summary = serde_json::json!({
        "score": result.score.score,
        "verdict": verdict.as_str(),
        "reasons": reasons(&result),
    });
    // The sequential judge's Marginal is Continue ("ask again with more data"): the rollout
    // goes on, so `rollout` and `pre-rollout` pass it; `confirm-*` hooks still wait for Pass.
    let continues = result.judge_name == CANARY_JUDGE_SEQUENTIAL_V1 && verdict == Verdict::Marginal;
    let status = match (hook.as_str(), verdict) {
        ("rollback", Verdict::Fail) => StatusCode::OK,
        ("rollback", _) => StatusCode::CONFLICT,
        (_, Verdict::Pass) => StatusCode::OK,
        ("rollout" | "pre-rollout", _) if continues => StatusCode::OK,
        _ => StatusCode::PRECONDITION_FAILED,
    };
    Ok((status, Json(summary)).into_response())
}

#[cfg(test)]
mod tests {
    use super::go_duration_secs;

    #[test]
    fn go_durations() {
        assert_eq!(go_duration_secs("5m"), Some(300));
        assert_eq!(go_duration_secs("1h30m"), Some(5400));
        assert_eq!(go_duration_secs("90s"), Some(90));
        assert_eq!(go_duration_secs("5"), None);
        assert_eq!(go_duration_secs("m"), None);
        assert_eq!(go_duration_secs("0m"), None);
        assert_eq!(go_duration_secs("5d"), None);
        assert_eq!(go_duration_secs("99999999999999999999h"), None);
        // Go's fractions and small units.
        assert_eq!(go_duration_secs("1.5h"), Some(5400));
        assert_eq!(go_duration_secs("2500ms"), Some(3));
        assert_eq!(go_duration_secs("1m30.5s"), Some(91));
        assert_eq!(go_duration_secs("90000000000us"), Some(90000));
        assert_eq!(go_duration_secs("500ms"), None, "under a second");
        assert_eq!(go_duration_secs("100000000h"), None, "over ten years");
        assert_eq!(go_duration_secs("1.2.3h"), None);
        assert_eq!(go_duration_secs("-5m"), None);
    }
}

//! Long analyses for Spinnaker's asynchronous webhook stage: `POST /v1/analyses` starts one,
//! `GET /v1/analyses/{id}` reports it, `POST /v1/analyses/{id}/cancel` stops it.
//!
//! An analysis is Kayenta's standalone canary analysis (spec §9.2, [`canary_judge::analysis`]):
//! judgements over growing (or, with `lookbackMins`, sliding) windows every
//! `analysisIntervalMins`, stopping at the first score at or below the marginal threshold, and a
//! final pass/fail on the last score. Every step is written to SQLite before the next begins, and
//! the schedule is computed from the instant the analysis was created, so after a restart or a
//! crash the server resumes each running analysis where it stopped and reaches the same result.
//!
//! `status` is one of `RUNNING`, `SUCCEEDED` (finished and passed), `TERMINAL` (failed, or could
//! not be judged) and `CANCELED`: a string, as Spinnaker's stage reads it (a number at
//! `statusJsonPath` would never end the stage).

use super::error::ApiError;
use super::routes::{fetch_and_judge, load_config, AppState};
use crate::files::iso;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use canary_judge::analysis::{
    did_pass_thresholds, interval_mins, judgement_window, lifetime_mins, stops_analysis,
    ScheduleRequest,
};
use canary_judge::model::{CanaryConfig, CanaryExecutionRequest};
use canary_judge::{parse_json, CanaryJudgeResult};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::path::Path as FsPath;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// `POST /v1/analyses` body (stored as given, with the config resolved inline). An unknown
/// field is refused rather than ignored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AnalysisRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    canary_config: Option<CanaryConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    canary_config_name: Option<String>,
    /// Scopes (scope, location, step, extendedScopeParams; start and end are set per judgement)
    /// and thresholds.
    execution_request: CanaryExecutionRequest,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start_time_iso: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end_time_iso: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lifetime_duration_mins: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    analysis_interval_mins: Option<i64>,
    #[serde(default)]
    begin_after_mins: i64,
    #[serde(default)]
    lookback_mins: i64,
    #[serde(default)]
    control_offset_in_minutes: i64,
}

fn instant(text: &Option<String>, field: &str) -> Result<Option<i64>, ApiError> {
    text.as_deref()
        .map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .map(|d| d.timestamp_millis())
                .map_err(|_| {
                    ApiError::bad_request(format!("{field} is not an ISO-8601 instant: {t:?}"))
                        .with_path(field)
                })
        })
        .transpose()
}

impl AnalysisRequest {
    fn schedule(&self) -> Result<ScheduleRequest, ApiError> {
        if self.begin_after_mins < 0 || self.lookback_mins < 0 || self.control_offset_in_minutes < 0
        {
            return Err(ApiError::bad_request(
                "beginAfterMins, lookbackMins and controlOffsetInMinutes must not be negative",
            ));
        }
        Ok(ScheduleRequest {
            start_ms: instant(&self.start_time_iso, "startTimeIso")?,
            end_ms: instant(&self.end_time_iso, "endTimeIso")?,
            lifetime_mins: self.lifetime_duration_mins,
            interval_mins: self.analysis_interval_mins,
            begin_after_mins: self.begin_after_mins,
            lookback_mins: self.lookback_mins,
            control_offset_mins: self.control_offset_in_minutes,
        })
    }
}

/// The analyses table.
pub(crate) struct Store {
    db: Mutex<Connection>,
    ids: AtomicU64,
}

/// One analysis as stored.
#[derive(Debug, Clone)]
struct Row {
    id: String,
    request: String,
    created_ms: i64,
    status: String,
    done: i64,
    total: i64,
    scores: String,
    result: Option<String>,
    message: Option<String>,
    did_pass: Option<bool>,
    error: Option<String>,
}

fn db_error(e: rusqlite::Error) -> ApiError {
    tracing::error!(error = %e, "analysis store");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the analysis store failed",
    )
}

impl Store {
    /// Opens (or creates) `<dir>/analyses.sqlite3`.
    pub(crate) fn open(dir: &FsPath) -> Result<Store, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let path = dir.join("analyses.sqlite3");
        let db =
            Connection::open(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS analyses (
               id TEXT PRIMARY KEY, request TEXT NOT NULL, created_ms INTEGER NOT NULL,
               status TEXT NOT NULL, done INTEGER NOT NULL, total INTEGER NOT NULL,
               scores TEXT NOT NULL, result TEXT, message TEXT, did_pass INTEGER, error TEXT);",
        )
        .map_err(|e| format!("cannot set up {}: {e}", path.display()))?;
        Ok(Store {
            db: Mutex::new(db),
            ids: AtomicU64::new(0),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, ApiError> {
        let db = self.db.lock().map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the analysis store is unavailable",
            )
        })?;
        f(&db).map_err(db_error)
    }

    fn new_id(&self, now_ms: i64) -> String {
        let n = self.ids.fetch_add(1, Ordering::Relaxed);
        format!("{now_ms:x}-{:x}-{n}", std::process::id())
    }

    fn get(&self, id: &str) -> Result<Option<Row>, ApiError> {
        self.with(|db| {
            db.query_row(
                "SELECT id, request, created_ms, status, done, total, scores, result, message, did_pass, error
                 FROM analyses WHERE id = ?1",
                params![id],
                |r| {
                    Ok(Row {
                        id: r.get(0)?,
                        request: r.get(1)?,
                        created_ms: r.get(2)?,
                        status: r.get(3)?,
                        done: r.get(4)?,
                        total: r.get(5)?,
                        scores: r.get(6)?,
                        result: r.get(7)?,
                        message: r.get(8)?,
                        did_pass: r.get(9)?,
                        error: r.get(10)?,
                    })
                },
            )
            .optional()
        })
    }

    fn running(&self) -> Result<Vec<String>, ApiError> {
        self.with(|db| {
            let mut st = db.prepare("SELECT id FROM analyses WHERE status = 'RUNNING'")?;
            let ids = st
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(ids)
        })
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The store, or a 404 saying how to enable analyses.
fn store_of(state: &AppState) -> Result<Arc<Store>, ApiError> {
    state.analyses.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "analyses are disabled: start the server with --data-dir",
        )
    })
}

/// The analysis `id`, or a 404 (which ends Spinnaker's stage at once, as an unknown id should).
fn known(store: &Store, id: &str) -> Result<Row, ApiError> {
    store
        .get(id)?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no analysis '{id}'")))
}

/// `POST /v1/analyses`.
pub(super) async fn start(
    State(state): State<Arc<AppState>>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let store = store_of(&state)?;
    let body = body?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| ApiError::bad_request(format!("the body is not UTF-8: {e}")))?;
    let mut request: AnalysisRequest =
        parse_json(text).map_err(|e| ApiError::bad_request(e.to_string()).with_path(e.path()))?;
    if request.canary_config.is_some() && request.canary_config_name.is_some() {
        return Err(
            ApiError::bad_request("give canaryConfig or canaryConfigName, not both")
                .with_path("canaryConfigName"),
        );
    }
    if request.canary_config.is_none() {
        let name = request.canary_config_name.as_deref().ok_or_else(|| {
            ApiError::bad_request("give canaryConfig or canaryConfigName").with_path("canaryConfig")
        })?;
        request.canary_config = Some(load_config(&state, name)?);
    }
    if request.execution_request.thresholds.is_none() {
        return Err(
            ApiError::bad_request("executionRequest.thresholds is required")
                .with_path("executionRequest.thresholds"),
        );
    }
    // What can be refused now is refused now, not after the analysis's lifetime.
    if let Some(config) = &request.canary_config {
        crate::pipeline::check_config_and_scopes(config, &request.execution_request)
            .map_err(ApiError::bad_request)?;
    }
    let created = now_ms();
    let schedule = request.schedule()?;
    let lifetime =
        lifetime_mins(&schedule, created).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let total = lifetime / interval_mins(&schedule, lifetime);
    let id = store.new_id(created);
    let stored =
        serde_json::to_string(&request).map_err(|e| ApiError::bad_request(e.to_string()))?;
    store.with(|db| {
        db.execute(
            "INSERT INTO analyses (id, request, created_ms, status, done, total, scores) VALUES (?1, ?2, ?3, 'RUNNING', 0, ?4, '[]')",
            params![id, stored, created, total],
        )
    })?;
    tokio::spawn(run(state.clone(), store, id.clone()));
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    // The path as the caller sent it, so a --base-path prefix is kept.
    let status_url = format!("http://{host}{}/{id}", uri.path().trim_end_matches('/'));
    let mut response = (
        StatusCode::ACCEPTED,
        Json(serde_json::json!({"id": id, "status": "RUNNING", "statusUrl": status_url})),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&status_url) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

fn report(row: &Row) -> serde_json::Value {
    let scores: serde_json::Value = serde_json::from_str(&row.scores).unwrap_or_default();
    let result: Option<serde_json::Value> = row
        .result
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok());
    let last = result.as_ref().map(|r| {
        (
            r["score"]["score"].clone(),
            r["score"]["classification"].clone(),
        )
    });
    serde_json::json!({
        "id": row.id,
        "status": row.status,
        "progressMessage": format!("judgement {}/{}", row.done, row.total),
        "judgementsDone": row.done,
        "judgementsTotal": row.total,
        "scores": scores,
        "score": last.as_ref().map(|l| l.0.clone()),
        "verdict": last.as_ref().map(|l| l.1.clone()),
        "didPassThresholds": row.did_pass,
        "canaryScoreMessage": row.message,
        "error": row.error,
        "result": result,
    })
}

/// `GET /v1/analyses/{id}`: 404 only for an unknown id (which ends Spinnaker's stage at once).
pub(super) async fn status(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let store = store_of(&state)?;
    Ok(Json(report(&known(&store, &id)?)))
}

/// `POST /v1/analyses/{id}/cancel`.
pub(super) async fn cancel(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let store = store_of(&state)?;
    let changed = store.with(|db| {
        db.execute(
            "UPDATE analyses SET status = 'CANCELED' WHERE id = ?1 AND status = 'RUNNING'",
            params![id],
        )
    })?;
    let row = known(&store, &id)?;
    let status = if changed > 0 {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report(&row))).into_response())
}

/// Resumes every analysis left running by an earlier process.
pub(crate) fn resume_all(state: Arc<AppState>) {
    let Some(store) = state.analyses.clone() else {
        return;
    };
    match store.running() {
        Ok(ids) => {
            for id in ids {
                tracing::info!(%id, "resuming analysis");
                tokio::spawn(run(state.clone(), store.clone(), id));
            }
        }
        Err(e) => tracing::error!(error = ?e, "cannot list running analyses"),
    }
}

fn finish(
    store: &Store,
    id: &str,
    status: &str,
    message: Option<&str>,
    did_pass: Option<bool>,
    error: Option<&str>,
) {
    let _ = store.with(|db| {
        db.execute(
            "UPDATE analyses SET status = ?2, message = ?3, did_pass = ?4, error = ?5 WHERE id = ?1 AND status = 'RUNNING'",
            params![id, status, message, did_pass, error],
        )
    });
}

/// Runs (or resumes) one analysis to its end.
async fn run(state: Arc<AppState>, store: Arc<Store>, id: String) {
    loop {
        let row = match store.get(&id) {
            Ok(Some(r)) if r.status == "RUNNING" => r,
            _ => return,
        };
        let request: AnalysisRequest = match serde_json::from_str(&row.request) {
            Ok(r) => r,
            Err(e) => {
                return finish(
                    &store,
                    &id,
                    "TERMINAL",
                    None,
                    None,
                    Some(&format!("stored request unreadable: {e}")),
                )
            }
        };
        let Ok(schedule) = request.schedule() else {
            return finish(
                &store,
                &id,
                "TERMINAL",
                None,
                None,
                Some("stored schedule unreadable"),
            );
        };
        let thresholds = request.execution_request.thresholds;
        let (pass, marginal) = (thresholds.map(|t| t.pass), thresholds.map(|t| t.marginal));
        let scores: Vec<f64> = serde_json::from_str(&row.scores).unwrap_or_default();
        if row.done >= row.total {
            let (did_pass, message) = did_pass_thresholds(scores.last().copied(), pass, marginal);
            let status = if did_pass { "SUCCEEDED" } else { "TERMINAL" };
            return finish(&store, &id, status, Some(&message), Some(did_pass), None);
        }
        let Ok(lifetime) = lifetime_mins(&schedule, row.created_ms) else {
            return finish(&store, &id, "TERMINAL", None, None, Some("no lifetime"));
        };
        let window = judgement_window(
            &schedule,
            row.done + 1,
            interval_mins(&schedule, lifetime),
            row.created_ms,
        );
        // Wait for the warm-up (always, as Kayenta does) and for the window to close.
        let ready_at = window
            .experiment_end_ms
            .max(row.created_ms + schedule.begin_after_mins * 60_000);
        let wait = ready_at - now_ms();
        if wait > 0 {
            tokio::time::sleep(Duration::from_millis(wait.min(1000) as u64)).await;
            continue; // re-read: the analysis may have been canceled meanwhile
        }
        let mut execution = request.execution_request.clone();
        for pair in execution.scopes.values_mut() {
            pair.experiment_scope.start = Some(iso(window.experiment_start_ms));
            pair.experiment_scope.end = Some(iso(window.experiment_end_ms));
            pair.control_scope.start = Some(iso(window.control_start_ms));
            pair.control_scope.end = Some(iso(window.control_end_ms));
        }
        let Some(config) = request.canary_config.clone() else {
            return finish(
                &store,
                &id,
                "TERMINAL",
                None,
                None,
                Some("no canary config"),
            );
        };
        let outcome: Result<CanaryJudgeResult, ApiError> =
            fetch_and_judge(&state, config, &execution, None, StatusCode::BAD_GATEWAY).await;
        match outcome {
            Ok(result) => {
                let score = result.score.score;
                let mut scores = scores;
                scores.push(score);
                let saved = serde_json::to_string(&scores).unwrap_or_else(|_| "[]".into());
                let result_text = serde_json::to_string(&result).ok();
                let _ = store.with(|db| {
                    db.execute(
                        "UPDATE analyses SET done = ?2, scores = ?3, result = ?4 WHERE id = ?1 AND status = 'RUNNING'",
                        params![id, row.done + 1, saved, result_text],
                    )
                });
                if stops_analysis(score, marginal) {
                    let (did_pass, message) = did_pass_thresholds(Some(score), pass, marginal);
                    return finish(
                        &store,
                        &id,
                        "TERMINAL",
                        Some(&message),
                        Some(did_pass),
                        None,
                    );
                }
            }
            Err(e) => {
                return finish(&store, &id, "TERMINAL", None, Some(false), Some(&e.message));
            }
        }
    }
}

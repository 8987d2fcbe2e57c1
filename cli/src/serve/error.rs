//! The service's one error type: every failure is a JSON body with the status repeated, a
//! message a person can act on, and the JSON path or field when one is at fault.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error answered as `{"error": {"status": …, "message": …, "path": …}}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    pub(crate) path: Option<String>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            path: None,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// [`with_path`](Self::with_path) when the field at fault is known; unchanged otherwise.
    pub(crate) fn with_path_if(mut self, path: Option<String>) -> Self {
        if path.is_some() {
            self.path = path;
        }
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = serde_json::json!({
            "status": self.status.as_u16(),
            "message": self.message,
        });
        if let Some(path) = self.path {
            error["path"] = serde_json::Value::String(path);
        }
        (self.status, Json(serde_json::json!({ "error": error }))).into_response()
    }
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(r: axum::extract::rejection::BytesRejection) -> Self {
        let status = r.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "request body is larger than the server's limit (--max-body-bytes)".to_string()
        } else {
            format!("cannot read the request body: {r}")
        };
        ApiError::new(status, message)
    }
}

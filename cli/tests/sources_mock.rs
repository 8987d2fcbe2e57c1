//! `canary-judge analyze` against local mock servers (wiremock on 127.0.0.1): every failure
//! mode of the fetch gets a message a person can act on, and credentials never leak.

use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Command, Output};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const START: &str = "2026-01-01T00:00:00Z";
const END: &str = "2026-01-01T00:09:00Z";

struct Inputs {
    dir: PathBuf,
    config: PathBuf,
    request: PathBuf,
}

impl Drop for Inputs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn inputs(tag: &str, query: Value) -> Inputs {
    let dir = std::env::temp_dir().join(format!("canary-judge-mock-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let config = json!({
        "metrics": [{"name": "latency", "query": query, "groups": ["g"], "scopeName": "default"}],
        "classifier": {"groupWeights": {}}
    });
    let scope =
        |s: &str| json!({"scope": s, "location": "here", "start": START, "end": END, "step": 60});
    let request = json!({
        "scopes": {"default": {"controlScope": scope("baseline"), "experimentScope": scope("canary")}},
        "thresholds": {"pass": 95, "marginal": 75}
    });
    let (c, r) = (dir.join("config.json"), dir.join("request.json"));
    std::fs::write(&c, config.to_string()).expect("write");
    std::fs::write(&r, request.to_string()).expect("write");
    Inputs {
        dir,
        config: c,
        request: r,
    }
}

fn prometheus_query() -> Value {
    json!({"type": "prometheus", "customInlineTemplate": "PromQL:avg(latency{version=\"${scope}\"})"})
}

fn run(inputs: &Inputs, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_canary-judge"));
    cmd.args([
        "analyze",
        "--retry-backoff-ms",
        "10",
        "--timeout-secs",
        "5",
        "--config",
    ])
    .arg(&inputs.config)
    .arg("--request")
    .arg(&inputs.request)
    .args(extra);
    for var in [
        "PROMETHEUS_BEARER_TOKEN",
        "PROMETHEUS_USERNAME",
        "PROMETHEUS_PASSWORD",
        "DD_API_KEY",
        "DD_APP_KEY",
        "DD_APPLICATION_KEY",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn matrix(values: &[&str]) -> Value {
    let points: Vec<Value> = values
        .iter()
        .enumerate()
        .map(|(k, v)| json!([1_767_225_600 + 60 * k as i64, v]))
        .collect();
    json!({"status": "success", "data": {"resultType": "matrix", "result": [{"metric": {}, "values": points}]}})
}

#[tokio::test(flavor = "multi_thread")]
async fn prometheus_success_with_bearer_token_that_never_leaks() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/query_range"))
        .and(header("authorization", "Bearer s3cret-token"))
        .and(query_param("step", "60"))
        .and(query_param("start", START))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(matrix(&["1", "2", "3", "NaN", "5"])),
        )
        .expect(2)
        .mount(&server)
        .await;
    let inputs = inputs("bearer", prometheus_query());
    let out = run(
        &inputs,
        &["--prometheus-url", &server.uri()],
        &[("PROMETHEUS_BEARER_TOKEN", "s3cret-token")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let result: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(result["results"][0]["classification"], "Pass");
    // Missing samples stay NaN and are removed by the default strategy; the window holds 9.
    assert_eq!(result["results"][0]["controlMetadata"]["stats"]["count"], 4);
    assert!(!stderr(&out).contains("s3cret"));
}

#[tokio::test(flavor = "multi_thread")]
async fn prometheus_static_headers() {
    let server = MockServer::start().await;
    Mock::given(header("X-Scope-OrgID", "team-a"))
        .respond_with(ResponseTemplate::new(200).set_body_json(matrix(&["1", "2"])))
        .expect(2)
        .mount(&server)
        .await;
    let inputs = inputs("headers", prometheus_query());
    let out = run(
        &inputs,
        &[
            "--prometheus-url",
            &server.uri(),
            "--prometheus-header",
            "X-Scope-OrgID: team-a",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(
        &inputs,
        &[
            "--prometheus-url",
            &server.uri(),
            "--prometheus-header",
            "no colon",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn thresholds_are_required() {
    let inputs = inputs("nothresholds", prometheus_query());
    let mut request: Value =
        serde_json::from_str(&std::fs::read_to_string(&inputs.request).expect("read"))
            .expect("json");
    request
        .as_object_mut()
        .expect("object")
        .remove("thresholds");
    std::fs::write(&inputs.request, request.to_string()).expect("write");
    let out = run(&inputs, &["--prometheus-url", "http://127.0.0.1:9"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("must contain thresholds"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn prometheus_basic_auth() {
    let server = MockServer::start().await;
    // "canary:pw" in base64.
    Mock::given(header("authorization", "Basic Y2FuYXJ5OnB3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(matrix(&["1", "2"])))
        .expect(2)
        .mount(&server)
        .await;
    let inputs = inputs("basic", prometheus_query());
    let out = run(
        &inputs,
        &["--prometheus-url", &server.uri()],
        &[
            ("PROMETHEUS_USERNAME", "canary"),
            ("PROMETHEUS_PASSWORD", "pw"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn prometheus_bad_query_is_permanent_and_explained() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/query_range"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "status": "error", "errorType": "bad_data", "error": "1:24: parse error: unexpected end of input inside braces"
        })))
        // At most one per side, no retries; the second side's fetch may be cancelled once the
        // first has failed, so one request is fine too.
        .expect(1..=2)
        .mount(&server)
        .await;
    let inputs = inputs("400", prometheus_query());
    let out = run(&inputs, &["--prometheus-url", &server.uri()], &[]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("HTTP 400") && err.contains("bad_data") && err.contains("parse error"),
        "{err}"
    );
    assert!(
        err.contains("metric 'latency'") && err.contains("avg(latency{version="),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn prometheus_execution_error_422() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/query_range"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "status": "error", "errorType": "execution", "error": "found duplicate series for the match group"
        })))
        .expect(1..=2) // at most one per side (see above)
        .mount(&server)
        .await;
    let inputs = inputs("422", prometheus_query());
    let out = run(&inputs, &["--prometheus-url", &server.uri()], &[]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("HTTP 422") && err.contains("execution") && err.contains("duplicate series"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn prometheus_unauthorized_plain_text() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/query_range"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_string("Unauthorized")
                .insert_header("Www-Authenticate", "Basic"),
        )
        .mount(&server)
        .await;
    let inputs = inputs("401", prometheus_query());
    let out = run(
        &inputs,
        &["--prometheus-url", &server.uri()],
        &[("PROMETHEUS_BEARER_TOKEN", "wrong-token-xyz")],
    );
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("HTTP 401 (check the credentials)") && err.contains("Unauthorized"),
        "{err}"
    );
    assert!(!err.contains("wrong-token-xyz"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn prometheus_retries_503_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/query_range"))
        .respond_with(ResponseTemplate::new(503).set_body_json(
            json!({"status": "error", "errorType": "timeout", "error": "query timed out"}),
        ))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/query_range"))
        .respond_with(ResponseTemplate::new(200).set_body_json(matrix(&["1", "2", "3"])))
        .mount(&server)
        .await;
    let inputs = inputs("503", prometheus_query());
    let out = run(
        &inputs,
        &["--prometheus-url", &server.uri(), "--concurrency", "1"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn prometheus_gives_up_after_retries() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/query_range"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .mount(&server)
        .await;
    let inputs = inputs("502", prometheus_query());
    let out = run(
        &inputs,
        &["--prometheus-url", &server.uri(), "--retries", "2"],
        &[],
    );
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("HTTP 502") && err.contains("Bad Gateway"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn prometheus_non_json_and_truncated_bodies() {
    for (tag, body) in [
        ("html", "<html>login page</html>"),
        (
            "truncated",
            "{\"status\":\"success\",\"data\":{\"result\":[{\"metric\":{},\"values\":[[1,\"1",
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(path("/api/v1/query_range"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
        let inputs = inputs(tag, prometheus_query());
        let out = run(&inputs, &["--prometheus-url", &server.uri()], &[]);
        assert_eq!(out.status.code(), Some(3), "{tag}");
        let err = stderr(&out);
        assert!(err.contains("not Prometheus JSON"), "{tag}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn prometheus_unreachable() {
    // Bind and drop a listener: nothing listens on that port now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let inputs = inputs("refused", prometheus_query());
    let out = run(
        &inputs,
        &[
            "--prometheus-url",
            &format!("http://127.0.0.1:{port}"),
            "--retries",
            "1",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("could not connect") && err.contains("after 2 attempts"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_source_or_scope_is_invalid_input() {
    let inputs = inputs("nosource", prometheus_query());
    let out = run(&inputs, &[], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--prometheus-url"),
        "{}",
        stderr(&out)
    );
    let out = run(&inputs, &["--datadog-site", "http://127.0.0.1:9"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("DD_API_KEY"), "{}", stderr(&out));
}

fn datadog_query() -> Value {
    json!({"type": "datadog", "metricName": "trace.http.request.duration"})
}

fn datadog_body(points: Value) -> Value {
    json!({"status": "ok", "res_type": "time_series", "series": [{
        "metric": "trace.http.request.duration", "scope": "x", "tag_set": [], "aggr": null,
        "unit": [null, null], "interval": 60,
        "start": 1_767_225_600_000.0, "end": 1_767_225_600_000.0 + 4.0 * 60_000.0,
        "pointlist": points
    }]})
}

#[tokio::test(flavor = "multi_thread")]
async fn datadog_sparse_series_with_nulls() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/query"))
        .and(header("DD-API-KEY", "api-key-1"))
        .and(header("DD-APPLICATION-KEY", "app-key-2"))
        .and(query_param("from", "1767225600"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(datadog_body(json!([
                [1_767_225_600_000.0, 1.0],
                [1_767_225_660_000.0, null],
                [1_767_225_840_000.0, 3.0]
            ]))),
        )
        .expect(2)
        .mount(&server)
        .await;
    let inputs = inputs("ddsparse", datadog_query());
    let out = run(
        &inputs,
        &["--datadog-site", &server.uri()],
        &[("DD_API_KEY", "api-key-1"), ("DD_APP_KEY", "app-key-2")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let result: Value = serde_json::from_slice(&out.stdout).expect("json");
    // 5 slots, 2 of them with data: the rest are NaN and removed.
    assert_eq!(result["results"][0]["controlMetadata"]["stats"]["count"], 2);
    assert!(!stderr(&out).contains("api-key-1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn datadog_rate_limit_then_ok() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/query"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("X-RateLimit-Reset", "1")
                .set_body_json(json!({"errors": ["Rate limit exceeded"]})),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/query"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(datadog_body(json!([
                [1_767_225_600_000.0, 1.0],
                [1_767_225_660_000.0, 2.0]
            ]))),
        )
        .mount(&server)
        .await;
    let inputs = inputs("dd429", datadog_query());
    let out = run(
        &inputs,
        &["--datadog-site", &server.uri(), "--concurrency", "1"],
        &[("DD_API_KEY", "a"), ("DD_APP_KEY", "b")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn datadog_forbidden() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v1/query"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"errors": ["Forbidden"]})))
        .mount(&server)
        .await;
    let inputs = inputs("dd403", datadog_query());
    let out = run(
        &inputs,
        &["--datadog-site", &server.uri()],
        &[("DD_API_KEY", "a"), ("DD_APP_KEY", "b")],
    );
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("HTTP 403 (check the credentials)") && err.contains("Forbidden"),
        "{err}"
    );
}

//! `/v1/analyses` over real HTTP: a full analysis, the early stop, cancel, and a server killed
//! in the middle of an analysis that resumes after a restart and reaches the same result.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use wiremock::matchers::{path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod common;
use common::{client, spawn_server, Server};

fn serve(prometheus: &str, data_dir: Option<&Path>) -> Server {
    let mut args = vec!["--prometheus-url", prometheus, "--source-retries", "0"];
    let dir = data_dir.map(|d| d.to_string_lossy().into_owned());
    if let Some(dir) = &dir {
        args.extend(["--data-dir", dir.as_str()]);
    }
    spawn_server(&args, &[], None)
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "canary-judge-analyses-{tag}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

fn matrix(values: &[f64]) -> Value {
    let points: Vec<Value> = values
        .iter()
        .enumerate()
        .map(|(k, v)| json!([1_767_225_600 + 60 * k as i64, v.to_string()]))
        .collect();
    json!({"status": "success", "data": {"resultType": "matrix", "result": [{"metric": {}, "values": points}]}})
}

async fn prometheus(canary_factor: f64, delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    let base: Vec<f64> = (0..20).map(|k| 100.0 + f64::from(k % 7)).collect();
    for (version, factor) in [("baseline", 1.0), ("canary", canary_factor)] {
        let values: Vec<f64> = base.iter().map(|v| v * factor).collect();
        Mock::given(path("/api/v1/query_range"))
            .and(query_param(
                "query",
                format!("avg(latency{{version=\"{version}\"}})"),
            ))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(matrix(&values))
                    .set_delay(delay),
            )
            .mount(&server)
            .await;
    }
    server
}

fn analysis_body(judgements: i64) -> Value {
    json!({
        "canaryConfig": {
            "metrics": [{"name": "latency", "groups": ["latency"], "scopeName": "default",
                         "query": {"type": "prometheus", "customInlineTemplate": "PromQL:avg(latency{version=\"${scope}\"})"},
                         "analysisConfigurations": {"canary": {"direction": "increase"}}}],
            "classifier": {"groupWeights": {"latency": 100}}
        },
        "executionRequest": {
            "scopes": {"default": {"controlScope": {"scope": "baseline", "step": 60}, "experimentScope": {"scope": "canary", "step": 60}}},
            "thresholds": {"pass": 95, "marginal": 75}
        },
        // A window in the past: no real-time waiting.
        "startTimeIso": "2026-01-01T00:00:00Z",
        "lifetimeDurationMins": judgements * 10,
        "analysisIntervalMins": 10
    })
}

async fn start(client: &reqwest::Client, base: &str, body: &Value) -> (u16, Value, Option<String>) {
    let resp = client
        .post(format!("{base}/v1/analyses"))
        .body(body.to_string())
        .send()
        .await
        .expect("response");
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body: Value = serde_json::from_str(&resp.text().await.expect("text")).expect("json");
    (status, body, location)
}

async fn get(client: &reqwest::Client, url: &str) -> (u16, Value) {
    let resp = client.get(url).send().await.expect("response");
    let status = resp.status().as_u16();
    (
        status,
        serde_json::from_str(&resp.text().await.expect("text")).expect("json"),
    )
}

async fn wait_until(client: &reqwest::Client, url: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = get(client, url).await;
        assert_eq!(status, 200, "{body}");
        if done(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "timed out waiting: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn analysis_runs_to_the_end_and_survives_a_crash() {
    let prom = prometheus(1.0, Duration::from_millis(700)).await;
    let client = client();

    // Uninterrupted: three judgements, all Pass.
    let dir = temp_dir("whole");
    let server = serve(&prom.uri(), Some(&dir));
    let (status, body, location) = start(&client, &server.base, &analysis_body(3)).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "RUNNING");
    let url = location.expect("Location header");
    assert!(url.starts_with("http://"), "absolute for Spinnaker: {url}");
    let whole = wait_until(&client, &url, |b| b["status"] != "RUNNING").await;
    assert_eq!(whole["status"], "SUCCEEDED", "{whole}");
    assert_eq!(whole["judgementsDone"], 3);
    assert_eq!(whole["didPassThresholds"], true);
    assert_eq!(
        whole["canaryScoreMessage"],
        "Final canary score 100.0 met or exceeded the pass score threshold."
    );
    drop(server);

    // Killed after the first judgement, restarted on the same data directory.
    let dir = temp_dir("crash");
    let server = serve(&prom.uri(), Some(&dir));
    let (_, body, _) = start(&client, &server.base, &analysis_body(3)).await;
    let id = body["id"].as_str().expect("id").to_string();
    let url = format!("{}/v1/analyses/{id}", server.base);
    let partial = wait_until(&client, &url, |b| b["judgementsDone"].as_i64() >= Some(1)).await;
    assert_eq!(
        partial["status"], "RUNNING",
        "killed too late to test anything: {partial}"
    );
    drop(server); // SIGKILL: no graceful shutdown
    let server = serve(&prom.uri(), Some(&dir));
    let url = format!("{}/v1/analyses/{id}", server.base);
    let resumed = wait_until(&client, &url, |b| b["status"] != "RUNNING").await;
    for key in [
        "status",
        "judgementsDone",
        "scores",
        "didPassThresholds",
        "canaryScoreMessage",
        "result",
    ] {
        assert_eq!(resumed[key], whole[key], "{key} differs after the restart");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_canary_stops_early() {
    let prom = prometheus(1.5, Duration::ZERO).await;
    let dir = temp_dir("fail");
    let server = serve(&prom.uri(), Some(&dir));
    let client = client();
    let (_, body, location) = start(&client, &server.base, &analysis_body(3)).await;
    assert_eq!(body["status"], "RUNNING");
    let done = wait_until(&client, &location.expect("location"), |b| {
        b["status"] != "RUNNING"
    })
    .await;
    assert_eq!(done["status"], "TERMINAL", "{done}");
    assert_eq!(
        done["judgementsDone"], 1,
        "stops at the first score at or below marginal"
    );
    assert_eq!(
        done["canaryScoreMessage"],
        "Final canary score 0.0 is not above the marginal score threshold."
    );
    assert_eq!(done["verdict"], "Fail");
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_unknown_and_invalid() {
    let prom = prometheus(1.0, Duration::from_millis(500)).await;
    let dir = temp_dir("cancel");
    let server = serve(&prom.uri(), Some(&dir));
    let client = client();
    let (_, body, _) = start(&client, &server.base, &analysis_body(5)).await;
    let id = body["id"].as_str().expect("id");
    let resp = client
        .post(format!("{}/v1/analyses/{id}/cancel", server.base))
        .send()
        .await
        .expect("response");
    assert_eq!(resp.status().as_u16(), 202);
    let (_, after) = get(&client, &format!("{}/v1/analyses/{id}", server.base)).await;
    assert_eq!(after["status"], "CANCELED");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, later) = get(&client, &format!("{}/v1/analyses/{id}", server.base)).await;
    assert_eq!(
        later["status"], "CANCELED",
        "a canceled analysis stays canceled: {later}"
    );
    let (status, _) = get(&client, &format!("{}/v1/analyses/nope", server.base)).await;
    assert_eq!(status, 404);
    let mut no_lifetime = analysis_body(1);
    no_lifetime
        .as_object_mut()
        .expect("object")
        .remove("lifetimeDurationMins");
    let (status, body, _) = start(&client, &server.base, &no_lifetime).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("lifetimeDuration"),
        "{body}"
    );
    // What can be refused at once is (it had been accepted with 202 and failed after the
    // analysis's lifetime): no metrics, a metric whose scope is not in the request.
    let mut no_metrics = analysis_body(1);
    no_metrics["canaryConfig"]["metrics"] = json!([]);
    let mut wrong_scope = analysis_body(1);
    wrong_scope["canaryConfig"]["metrics"][0]["scopeName"] = json!("elsewhere");
    let mut unknown = analysis_body(1);
    unknown["judge"] = json!("nope");
    for (body, needle) in [
        (no_metrics, "metric"),
        (
            wrong_scope,
            "scope 'elsewhere' is not in the execution request's scopes",
        ),
        (unknown, "unknown field `judge`"),
    ] {
        let (status, answer, _) = start(&client, &server.base, &body).await;
        assert_eq!(status, 400, "{answer}");
        let message = answer["error"]["message"].as_str().expect("message");
        assert!(message.contains(needle), "{answer}");
    }
    // Without a data directory the routes say how to enable them.
    let bare = serve(&prom.uri(), None);
    let (status, body, _) = start(&client, &bare.base, &analysis_body(1)).await;
    assert_eq!(status, 404);
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .contains("--data-dir"));
}

/// What orca's `MonitorWebhookTask` does with a poll response (integrations spec §2.1): the value
/// at `statusJsonPath` must be a string (a number other than the integer 100 keeps the stage
/// RUNNING forever), upper-cased and looked up in the stage's status lists.
fn orca_stage_status(poll: &Value) -> &'static str {
    match &poll["status"] {
        Value::String(s) => match s.to_uppercase().as_str() {
            "SUCCEEDED" => "SUCCEEDED",
            "TERMINAL" => "TERMINAL",
            "CANCELED" => "CANCELED",
            _ => "RUNNING",
        },
        Value::Bool(_) => "RUNNING",
        Value::Number(n) if n.as_i64() == Some(100) => "SUCCEEDED",
        Value::Number(_) => "RUNNING",
        _ => "TERMINAL", // path not found or not a scalar
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn spinnaker_webhook_stage_emulation() {
    let prom = prometheus(1.0, Duration::ZERO).await;
    let dir = temp_dir("orca");
    let server = serve(&prom.uri(), Some(&dir));
    let client = client();
    // The create call: 2xx, and an absolute Location (orca uses it verbatim).
    let (status, _, location) = start(&client, &server.base, &analysis_body(2)).await;
    assert!((200..300).contains(&status));
    let url = location.expect("Location");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    // Polls until the stage would end; progressJsonPath must resolve to a string.
    let deadline = Instant::now() + Duration::from_secs(30);
    let end = loop {
        let (code, poll) = get(&client, &url).await;
        assert_eq!(code, 200);
        assert!(poll["progressMessage"].is_string(), "{poll}");
        let stage = orca_stage_status(&poll);
        if stage != "RUNNING" {
            break stage;
        }
        assert!(Instant::now() < deadline, "the stage never ended: {poll}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(end, "SUCCEEDED");
    // An unknown id is a 4xx, which orca treats as TERMINAL at once.
    let (code, _) = get(&client, &format!("{}/v1/analyses/unknown", server.base)).await;
    assert_eq!(code, 404);
}

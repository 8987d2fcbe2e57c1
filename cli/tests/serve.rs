//! `canary-judge serve` over real HTTP on 127.0.0.1: each route's contract, the token, the
//! limits, malformed bodies, a slow metric source, concurrent requests.

use serde_json::{json, Value};
use std::process::Command;
use std::time::{Duration, Instant};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

mod common;
use common::{client, root, spawn_server, Server};

fn serve(args: &[&str], env: &[(&str, &str)]) -> Server {
    spawn_server(args, env, None)
}

fn fixture_request() -> String {
    std::fs::read_to_string(root().join("fixtures/requests/derived-end-to-end.json"))
        .expect("fixture")
}

fn expected_result() -> Value {
    let text = std::fs::read_to_string(
        root().join("fixtures/kayenta/cases/derived-judge-end-to-end.json"),
    )
    .expect("fixture");
    let v: Value = serde_json::from_str(&text).expect("json");
    v["expectedResult"].clone()
}

fn sorted_groups(mut v: Value) -> Value {
    if let Some(Value::Array(g)) = v.get_mut("groupScores") {
        g.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    }
    v
}

async fn post(client: &reqwest::Client, url: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let resp = client
        .post(url)
        .header("content-type", "application/json; charset=UTF-8")
        .body(body)
        .send()
        .await
        .expect("response");
    answer(resp).await
}

/// [`post`] with a bearer token.
async fn post_with_token(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: String,
) -> (u16, Value) {
    let resp = client
        .post(url)
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .expect("response");
    answer(resp).await
}

/// The status and the JSON body of a response (panics on a body that is not JSON).
async fn answer(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn remote_judge_contract() {
    let server = serve(&[], &[("CANARY_JUDGE_TOKEN", "t0ken")]);
    let client = client();
    // Kayenta sends no auth header: /judge works without one even when a token is set.
    let (status, body) = post(
        &client,
        &format!("{}/judge", server.base),
        fixture_request(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        sorted_groups(body.clone()),
        sorted_groups(expected_result())
    );
    for r in body["results"].as_array().expect("results") {
        assert!(
            r["controlMetadata"]["stats"]["count"].is_u64(),
            "Kayenta's orca reads this"
        );
    }
    // Integer thresholds and unknown fields are fine.
    let mut req: Value = serde_json::from_str(&fixture_request()).expect("json");
    req["scoreThresholds"] = json!({"pass": 75, "marginal": 50});
    req["somethingNew"] = json!({"a": 1});
    let (status, _) = post(&client, &format!("{}/judge", server.base), req.to_string()).await;
    assert_eq!(status, 200);

    // A config naming the improved judge gets it, evidence and all; its bad settings are a 400
    // naming the key.
    let v1 =
        std::fs::read_to_string(root().join("fixtures/requests/v1-nab.json")).expect("fixture");
    let (status, body) = post(&client, &format!("{}/judge", server.base), v1.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["judgeName"], "canary-judge-v1");
    assert_eq!(
        body["results"][0]["resultMetadata"]["rule"],
        "significant-beyond-margin"
    );
    let mut bad: Value = serde_json::from_str(&v1).expect("json");
    bad["canaryConfig"]["metrics"][0]["analysisConfigurations"]["canary"]["test"] = json!("magic");
    let (status, body) = post(&client, &format!("{}/judge", server.base), bad.to_string()).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.to_string()
            .contains("analysisConfigurations.canary.test"),
        "{body}"
    );
    // Group weights adding up to more than 100 would let its score leave 0–100.
    let mut bad: Value = serde_json::from_str(&v1).expect("json");
    bad["canaryConfig"]["classifier"]["groupWeights"]["errors"] = json!(60);
    let (status, body) = post(&client, &format!("{}/judge", server.base), bad.to_string()).await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("canaryConfig.classifier.groupWeights")
            && message.contains("add up to 130"),
        "{body}"
    );
    assert_eq!(
        body["error"]["path"],
        "canaryConfig.classifier.groupWeights"
    );
    // Thresholds out of order: the path names them.
    let mut bad: Value = serde_json::from_str(&v1).expect("json");
    bad["scoreThresholds"] = json!({"pass": 50, "marginal": 80});
    let (status, body) = post(&client, &format!("{}/judge", server.base), bad.to_string()).await;
    assert_eq!(
        (status, body["error"]["path"].as_str()),
        (400, Some("scoreThresholds")),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_a_4xx_naming_the_problem() {
    let server = serve(&["--max-body-bytes", "20000"], &[]);
    let client = client();
    let url = format!("{}/judge", server.base);
    let (status, body) = post(&client, &url, "{\"canaryConfig\": ").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = post(&client, &url, json!({"canaryConfig": {}, "scoreThresholds": {"pass": "x", "marginal": 1}, "metricSetPairList": []}).to_string()).await;
    assert_eq!(
        (status, body["error"]["path"].as_str()),
        (400, Some("scoreThresholds.pass")),
        "{body}"
    );
    let mut req: Value = serde_json::from_str(&fixture_request()).expect("json");
    req["metricSetPairList"][0]["name"] = json!("nope");
    let (status, body) = post(&client, &url, req.to_string()).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("could not find metric config for 'nope'"),
        "{body}"
    );
    let (status, body) = post(&client, &url, vec![0xff_u8, 0xfe, b'{']).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("UTF-8"),
        "{body}"
    );
    // Over the cap: 413 with a JSON body.
    let mut big: Value = serde_json::from_str(&fixture_request()).expect("json");
    big["padding"] = json!("x".repeat(30_000));
    let (status, body) = post(&client, &url, big.to_string()).await;
    assert_eq!(status, 413, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .contains("--max-body-bytes"));
    let resp = client
        .get(format!("{}/nowhere", server.base))
        .send()
        .await
        .expect("response");
    assert_eq!(resp.status().as_u16(), 404);
    let resp = client.get(&url).send().await.expect("response");
    assert_eq!(resp.status().as_u16(), 405);
}

#[tokio::test(flavor = "multi_thread")]
async fn health_routes() {
    let server = serve(&[], &[]);
    let client = client();
    for (route, want) in [("healthz", "ok"), ("readyz", "ready"), ("health", "UP")] {
        let resp = client
            .get(format!("{}/{route}", server.base))
            .send()
            .await
            .expect("response");
        assert_eq!(resp.status().as_u16(), 200);
        assert!(resp.headers().contains_key("x-request-id"));
        let body: Value = serde_json::from_str(&resp.text().await.expect("body")).expect("json");
        assert_eq!(body["status"], want);
    }
    // Metrics count what was served, by route and status, plus verdicts and judgement times.
    let (status, _) = post(
        &client,
        &format!("{}/judge", server.base),
        fixture_request(),
    )
    .await;
    assert_eq!(status, 200);
    let text = client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .expect("response")
        .text()
        .await
        .expect("text");
    assert!(
        text.contains("canary_judge_http_requests_total{route=\"/judge\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("canary_judge_verdicts_total{verdict=\"Marginal\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("canary_judge_judgement_duration_seconds_bucket"),
        "{text}"
    );
    let broken = serve(&["--config-dir", "/nonexistent/dir"], &[]);
    let resp = client
        .get(format!("{}/readyz", broken.base))
        .send()
        .await
        .expect("response");
    assert_eq!(resp.status().as_u16(), 503);
}

fn matrix(values: &[f64]) -> Value {
    let points: Vec<Value> = values
        .iter()
        .enumerate()
        .map(|(k, v)| json!([1_767_225_600 + 60 * k as i64, v.to_string()]))
        .collect();
    json!({"status": "success", "data": {"resultType": "matrix", "result": [{"metric": {}, "values": points}]}})
}

fn v1_body(config_inline: bool) -> Value {
    let config = json!({
        "metrics": [{"name": "latency", "groups": ["latency"], "scopeName": "default",
                     "query": {"type": "prometheus", "customInlineTemplate": "PromQL:avg(latency{version=\"${scope}\"})"},
                     "analysisConfigurations": {"canary": {"direction": "increase"}}}],
        "classifier": {"groupWeights": {"latency": 100}}
    });
    let scope = |s: &str| json!({"scope": s, "start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:20:00Z", "step": 60});
    let mut body = json!({"executionRequest": {
        "scopes": {"default": {"controlScope": scope("baseline"), "experimentScope": scope("canary")}},
        "thresholds": {"pass": 95, "marginal": 75}
    }});
    if config_inline {
        body["canaryConfig"] = config;
    } else {
        body["canaryConfigName"] = json!("latency-canary");
    }
    body
}

async fn mock_prometheus(baseline: &[f64], canary: &[f64], delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    for (version, values) in [("baseline", baseline), ("canary", canary)] {
        Mock::given(path("/api/v1/query_range"))
            .and(wiremock::matchers::query_param(
                "query",
                format!("avg(latency{{version=\"{version}\"}})"),
            ))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(matrix(values))
                    .set_delay(delay),
            )
            .mount(&server)
            .await;
    }
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn v1_judge_fetches_and_judges() {
    let baseline: Vec<f64> = (0..20).map(|k| 100.0 + f64::from(k % 7)).collect();
    let slower: Vec<f64> = baseline.iter().map(|v| v * 1.5).collect();
    let prom = mock_prometheus(&baseline, &slower, Duration::ZERO).await;
    let dir = std::env::temp_dir().join(format!("canary-judge-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("latency-canary.json"),
        v1_body(true)["canaryConfig"].to_string(),
    )
    .expect("config");
    let token_file = dir.join("token");
    std::fs::write(&token_file, "s3cret\n").expect("token");
    let server = serve(
        &[
            "--prometheus-url",
            &prom.uri(),
            "--config-dir",
            dir.to_str().expect("dir"),
            "--token-file",
            token_file.to_str().expect("path"),
        ],
        &[],
    );
    let client = client();
    let url = format!("{}/v1/judge", server.base);
    // The token is required here.
    let resp = client
        .post(&url)
        .body(v1_body(true).to_string())
        .send()
        .await
        .expect("response");
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    let resp = client
        .post(&url)
        .bearer_auth("wrong")
        .body(v1_body(true).to_string())
        .send()
        .await
        .expect("response");
    assert_eq!(resp.status().as_u16(), 401);
    // Inline config and named config give the same answer.
    for inline in [true, false] {
        let resp = client
            .post(&url)
            .bearer_auth("s3cret")
            .body(v1_body(inline).to_string())
            .send()
            .await
            .expect("response");
        assert_eq!(resp.status().as_u16(), 200);
        let body: Value = serde_json::from_str(&resp.text().await.expect("body")).expect("json");
        assert_eq!(body["verdict"], "Fail", "{body}");
        assert_eq!(body["pass"], false);
        assert_eq!(body["score"], 0.0);
        assert!(
            body["reasons"][0]
                .as_str()
                .expect("reason")
                .contains("latency: High"),
            "{body}"
        );
        assert_eq!(body["result"]["results"][0]["classification"], "High");
    }
    // ?failStatus=412 turns a Fail into a 412 for Flagger and Spinnaker.
    let resp = client
        .post(format!("{url}?failStatus=412"))
        .bearer_auth("s3cret")
        .body(v1_body(true).to_string())
        .send()
        .await
        .expect("response");
    assert_eq!(resp.status().as_u16(), 412);
    // A bad query string is a 400 with the JSON error shape, naming the parameter.
    for bad in ["abc", "99999"] {
        let with_query = format!("{url}?failStatus={bad}");
        let (status, body) =
            post_with_token(&client, &with_query, "s3cret", v1_body(true).to_string()).await;
        assert_eq!(status, 400);
        let message = body["error"]["message"].as_str().expect("message");
        assert!(message.contains("failStatus"), "{body}");
    }
    // Our own body shape: an unknown field (a typo) and both ways of giving the config are
    // refused, naming the field (they had been ignored).
    let mut typo = v1_body(true);
    typo["lookbackMinutes"] = json!(10);
    let mut both = v1_body(true);
    both["canaryConfigName"] = json!("latency-canary");
    for (body, field) in [(typo, "lookbackMinutes"), (both, "canaryConfigName")] {
        let (status, answer) = post_with_token(&client, &url, "s3cret", body.to_string()).await;
        assert_eq!(status, 400);
        assert!(answer.to_string().contains(field), "{answer}");
    }
    // Problems found when planning the fetch name their field too.
    let mut no_thresholds = v1_body(true);
    no_thresholds["executionRequest"]
        .as_object_mut()
        .expect("object")
        .remove("thresholds");
    let mut backwards = v1_body(true);
    backwards["executionRequest"]["scopes"]["default"]["controlScope"]["end"] =
        json!("2025-12-31T00:00:00Z");
    for (body, path) in [
        (no_thresholds, "executionRequest.thresholds"),
        (backwards, "executionRequest.scopes.controlScope"),
    ] {
        let (status, answer) = post_with_token(&client, &url, "s3cret", body.to_string()).await;
        assert_eq!(status, 400);
        assert_eq!(answer["error"]["path"], path, "{answer}");
    }
    // Names that could leave the directory are refused.
    let mut body = v1_body(false);
    body["canaryConfigName"] = json!("../etc/passwd");
    let resp = client
        .post(&url)
        .bearer_auth("s3cret")
        .body(body.to_string())
        .send()
        .await
        .expect("response");
    assert_eq!(resp.status().as_u16(), 400);
    let mut body = v1_body(false);
    body["canaryConfigName"] = json!("absent");
    let resp = client
        .post(&url)
        .bearer_auth("s3cret")
        .body(body.to_string())
        .send()
        .await
        .expect("response");
    assert_eq!(resp.status().as_u16(), 404);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn v1_judge_pass_and_source_errors() {
    let baseline: Vec<f64> = (0..20).map(|k| 100.0 + f64::from(k % 7)).collect();
    let prom = mock_prometheus(&baseline, &baseline, Duration::ZERO).await;
    let server = serve(&["--prometheus-url", &prom.uri()], &[]);
    let client = client();
    let (status, body) = post(
        &client,
        &format!("{}/v1/judge?failStatus=412", server.base),
        v1_body(true).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["verdict"], "Pass");
    assert_eq!(body["pass"], true);
    // No Prometheus configured: a 400 that says so.
    let bare = serve(&[], &[]);
    let (status, body) = post(
        &client,
        &format!("{}/v1/judge", bare.base),
        v1_body(true).to_string(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("--prometheus-url"),
        "{body}"
    );
    // A source that answers 500: 502 naming the source.
    let failing = MockServer::start().await;
    Mock::given(path("/api/v1/query_range"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&failing)
        .await;
    let server = serve(
        &["--prometheus-url", &failing.uri(), "--source-retries", "0"],
        &[],
    );
    let (status, body) = post(
        &client,
        &format!("{}/v1/judge", server.base),
        v1_body(true).to_string(),
    )
    .await;
    assert_eq!(status, 502, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("HTTP 500"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn v1_judge_lookback_fills_the_window() {
    let baseline: Vec<f64> = (0..20).map(|k| 100.0 + f64::from(k % 7)).collect();
    let prom = mock_prometheus(&baseline, &baseline, Duration::ZERO).await;
    let server = serve(&["--prometheus-url", &prom.uri()], &[]);
    let mut body = v1_body(true);
    for side in ["controlScope", "experimentScope"] {
        let scope = body["executionRequest"]["scopes"]["default"][side]
            .as_object_mut()
            .expect("scope");
        scope.remove("start");
        scope.remove("end");
    }
    let client = client();
    let (status, reply) = post(
        &client,
        &format!("{}/v1/judge", server.base),
        body.to_string(),
    )
    .await;
    assert_eq!(status, 400, "no window and no lookback: {reply}");
    assert!(
        reply["error"]["message"]
            .as_str()
            .expect("message")
            .contains("start"),
        "{reply}"
    );
    body["lookbackMins"] = json!(30);
    let (status, reply) = post(
        &client,
        &format!("{}/v1/judge", server.base),
        body.to_string(),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["verdict"], "Pass");
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_metric_source_times_out_in_time() {
    let baseline: Vec<f64> = (0..20).map(f64::from).collect();
    let prom = mock_prometheus(&baseline, &baseline, Duration::from_secs(5)).await;
    let server = serve(
        &[
            "--prometheus-url",
            &prom.uri(),
            "--fetch-judge-timeout-secs",
            "1",
        ],
        &[],
    );
    let client = client();
    let started = Instant::now();
    let (status, body) = post(
        &client,
        &format!("{}/v1/judge", server.base),
        v1_body(true).to_string(),
    )
    .await;
    assert_eq!(status, 504, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "answered after {:?}",
        started.elapsed()
    );
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .contains("slow metric source"));
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_requests_agree() {
    let server = serve(&[], &[]);
    let client = client();
    let url = format!("{}/judge", server.base);
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            post(&client, &url, fixture_request()).await
        }));
    }
    let want = sorted_groups(expected_result());
    for t in tasks {
        let (status, body) = t.await.expect("task");
        assert_eq!(status, 200);
        assert_eq!(sorted_groups(body), want);
    }
}

async fn mock_named(series: &[(&str, Vec<f64>)]) -> MockServer {
    let server = MockServer::start().await;
    for (version, values) in series {
        Mock::given(path("/api/v1/query_range"))
            .and(wiremock::matchers::query_param(
                "query",
                format!("avg(latency{{version=\"{version}\"}})"),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(matrix(values)))
            .mount(&server)
            .await;
    }
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn flagger_webhooks() {
    let base: Vec<f64> = (0..20).map(|k| 100.0 + f64::from(k % 7)).collect();
    let slow: Vec<f64> = base.iter().map(|v| v * 1.5).collect();
    let prom = mock_named(&[
        ("podinfo-primary", base.clone()),
        ("podinfo", base.clone()),
        ("broken", slow),
    ])
    .await;
    let dir = std::env::temp_dir().join(format!("canary-judge-flagger-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("latency.json"),
        v1_body(true)["canaryConfig"].to_string(),
    )
    .expect("config");
    let mut sequential = v1_body(true)["canaryConfig"].clone();
    sequential["judge"] = json!({"name": "canary-judge-sequential-v1"});
    std::fs::write(dir.join("latency-seq.json"), sequential.to_string()).expect("config");
    let server = serve(
        &[
            "--prometheus-url",
            &prom.uri(),
            "--config-dir",
            dir.to_str().expect("dir"),
        ],
        &[("CANARY_JUDGE_TOKEN", "flag")],
    );
    let client = client();
    let payload = |canary: &str, token: &str| {
        json!({"name": "podinfo", "namespace": "test", "phase": "Progressing", "checksum": "85d557f47b",
               "metadata": {"config": "latency", "lookback": "20m", "canary": canary, "token": token}})
        .to_string()
    };
    let url = |hook: &str| format!("{}/v1/flagger/{hook}", server.base);
    // Pass: 200 for a rollout gate; for rollback, 409 (do not roll back).
    let (status, body) = post(&client, &url("rollout"), payload("podinfo", "flag")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["verdict"], "Pass");
    let (status, _) = post(&client, &url("rollback"), payload("podinfo", "flag")).await;
    assert_eq!(status, 409);
    // Fail: 412 with the reasons; rollback says yes with 200.
    let (status, body) = post(&client, &url("rollout"), payload("broken", "flag")).await;
    assert_eq!(status, 412, "{body}");
    assert!(
        body["reasons"][0]
            .as_str()
            .expect("reason")
            .contains("latency: High"),
        "{body}"
    );
    let (status, _) = post(&client, &url("rollback"), payload("broken", "flag")).await;
    assert_eq!(status, 200);
    // The sequential judge's Continue (Marginal) lets the rollout go on; a confirm hook waits
    // for Pass; rollback says no.
    let seq = json!({"name": "podinfo", "namespace": "test", "phase": "Progressing",
        "metadata": {"config": "latency-seq", "lookback": "20m", "token": "flag"}})
    .to_string();
    for (hook, expected) in [
        ("rollout", 200),
        ("pre-rollout", 200),
        ("confirm-promotion", 412),
        ("rollback", 409),
    ] {
        let (status, body) = post(&client, &url(hook), seq.clone()).await;
        assert_eq!(status, expected, "{hook}: {body}");
        if hook != "rollback" {
            assert_eq!(body["verdict"], "Marginal", "{hook}: {body}");
            assert!(
                body["reasons"].to_string().contains("Continue"),
                "{hook}: {body}"
            );
        }
    }
    // Notifications are acknowledged without judging; unknown hooks are 404.
    let (status, _) = post(&client, &url("event"), payload("podinfo", "flag")).await;
    assert_eq!(status, 200);
    let (status, _) = post(&client, &url("nonsense"), payload("podinfo", "flag")).await;
    assert_eq!(status, 404);
    // The token: in metadata (Flagger sends no headers) or the Authorization header.
    let (status, _) = post(&client, &url("rollout"), payload("podinfo", "wrong")).await;
    assert_eq!(status, 401);
    // Bad metadata is a 400 naming the key.
    let bad = json!({"name": "podinfo", "metadata": {"config": "latency", "lookback": "soon", "token": "flag"}}).to_string();
    let (status, body) = post(&client, &url("rollout"), bad).await;
    assert_eq!(
        (status, body["error"]["path"].as_str()),
        (400, Some("metadata.lookback")),
        "{body}"
    );
    // Go's fractional durations are durations; an empty name is not a canary.
    let fractional = json!({"name": "podinfo", "metadata": {"config": "latency", "lookback": "0.3h", "token": "flag"}}).to_string();
    let (status, body) = post(&client, &url("rollout"), fractional).await;
    assert_eq!(status, 200, "{body}");
    let nameless =
        json!({"name": "", "metadata": {"config": "latency", "token": "flag"}}).to_string();
    let (status, body) = post(&client, &url("rollout"), nameless).await;
    assert_eq!(
        (status, body["error"]["path"].as_str()),
        (400, Some("name")),
        "{body}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn flagger_source_down_is_503() {
    let failing = MockServer::start().await;
    Mock::given(path("/api/v1/query_range"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&failing)
        .await;
    let dir = std::env::temp_dir().join(format!("canary-judge-flagger503-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("latency.json"),
        v1_body(true)["canaryConfig"].to_string(),
    )
    .expect("config");
    let server = serve(
        &[
            "--prometheus-url",
            &failing.uri(),
            "--config-dir",
            dir.to_str().expect("dir"),
            "--source-retries",
            "0",
        ],
        &[],
    );
    let body = json!({"name": "podinfo", "namespace": "test", "metadata": {"config": "latency"}})
        .to_string();
    let (status, reply) = post(
        &client(),
        &format!("{}/v1/flagger/rollout", server.base),
        body,
    )
    .await;
    assert_eq!(status, 503, "{reply}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_file() {
    let dir = std::env::temp_dir().join(format!("canary-judge-settings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("canary-judge.toml");
    std::fs::write(&file, "max-body-bytes = 2000\njudge-timeout-secs = 30\n").expect("write");
    let server = serve(&["--config-file", file.to_str().expect("path")], &[]);
    let (status, _) = post(
        &client(),
        &format!("{}/judge", server.base),
        fixture_request(),
    )
    .await;
    assert_eq!(status, 413, "the file's body limit applies");
    // A flag beats the file.
    let server = serve(
        &[
            "--config-file",
            file.to_str().expect("path"),
            "--max-body-bytes",
            "100000",
        ],
        &[],
    );
    let (status, _) = post(
        &client(),
        &format!("{}/judge", server.base),
        fixture_request(),
    )
    .await;
    assert_eq!(status, 200);
    // A typo is an error at start-up, not a silent default.
    std::fs::write(&file, "max-body-byte = 2000\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_canary-judge"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--config-file",
            file.to_str().expect("path"),
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("max-body-byte"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn openapi_lists_every_route() {
    let server = serve(&[], &[]);
    let text = client()
        .get(format!("{}/openapi.json", server.base))
        .send()
        .await
        .expect("response")
        .text()
        .await
        .expect("text");
    let doc: Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    let routes_rs =
        std::fs::read_to_string(root().join("cli/src/serve/routes.rs")).expect("source");
    // Every `.route("…"` in the router (not its unit tests) is documented, and nothing else.
    let router_code = routes_rs.split("#[cfg(test)]").next().expect("code");
    let mut in_code: Vec<&str> = router_code
        .split(".route(\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    in_code.sort_unstable();
    in_code.dedup();
    let mut documented: Vec<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    documented.sort_unstable();
    assert_eq!(documented, in_code);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_drains_requests_in_flight() {
    let baseline: Vec<f64> = (0..20).map(|k| 100.0 + f64::from(k % 7)).collect();
    let prom = mock_prometheus(&baseline, &baseline, Duration::from_millis(1500)).await;
    let mut server = serve(&["--prometheus-url", &prom.uri()], &[]);
    let url = format!("{}/v1/judge", server.base);
    let in_flight =
        tokio::spawn(async move { post(&client(), &url, v1_body(true).to_string()).await });
    tokio::time::sleep(Duration::from_millis(400)).await;
    let pid = server.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    // The request that was in flight still gets its answer…
    let (status, body) = in_flight.await.expect("task");
    assert_eq!(status, 200, "{body}");
    // …and the server then exits cleanly.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(code) = server.child.try_wait().expect("wait") {
            assert!(code.success(), "exit status {code}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn base_path_for_a_kayenta_base_url_with_a_path() {
    // Kayenta's baseUrl `http://host/canary` makes it POST `http://host/canary/judge`.
    let server = serve(&["--base-path", "/canary/"], &[]);
    let (status, body) = post(
        &client(),
        &format!("{}/canary/judge", server.base),
        fixture_request(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let resp = client()
        .post(format!("{}/judge", server.base))
        .body(fixture_request())
        .send()
        .await
        .expect("response");
    assert_eq!(resp.status().as_u16(), 404);
    let resp = client()
        .get(format!("{}/canary/healthz", server.base))
        .send()
        .await
        .expect("response");
    assert_eq!(resp.status().as_u16(), 200);
}

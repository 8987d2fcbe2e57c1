//! Malformed and adversarial bodies against every route of `canary-judge serve` (over real
//! HTTP): deep nesting, huge numbers, wrong types, truncation, invalid UTF-8, random bytes.
//! Every answer must be below 500, and the server must still be healthy afterwards.

use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::OnceLock;

mod common;
use common::{spawn_server, Server};

/// A mock Prometheus answering every query with the same small series.
fn prometheus() -> &'static wiremock::MockServer {
    static PROM: OnceLock<wiremock::MockServer> = OnceLock::new();
    PROM.get_or_init(|| {
        runtime().block_on(async {
            let server = wiremock::MockServer::start().await;
            let points: Vec<Value> = (0..10).map(|k| json!([1_767_225_600 + 60 * k, (100 + k % 3).to_string()])).collect();
            wiremock::Mock::given(wiremock::matchers::path("/api/v1/query_range"))
                .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(json!({
                    "status": "success", "data": {"resultType": "matrix", "result": [{"metric": {}, "values": points}]}
                })))
                .mount(&server)
                .await;
            server
        })
    })
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let prom = prometheus().uri();
        let log = std::env::temp_dir().join("canary-judge-fuzz-server.log");
        let server = spawn_server(
            &[
                "--prometheus-url",
                &prom,
                "--source-retries",
                "0",
                "--source-timeout-secs",
                "2",
            ],
            &[],
            Some(log),
        );
        // Shared by every test here and never dropped, so killed when the process exits.
        #[cfg(unix)]
        common::kill_at_exit(&server);
        server
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Runtime::new().expect("runtime"))
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(common::client)
}

fn status_of(method: &str, route: &str, body: Vec<u8>) -> u16 {
    let url = format!("{}{route}", server().base);
    runtime().block_on(async {
        let req = match method {
            "GET" => client().get(&url),
            _ => client().post(&url),
        };
        match req
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
        {
            Ok(r) => r.status().as_u16(),
            Err(e) => {
                // A server may answer before reading a body it does not need (404, 405, 413) and
                // close the connection, which the client sees as a reset while still sending.
                // That is fine as long as the server is alive: check, and report 0.
                let health = client()
                    .get(format!("{}/healthz", server().base))
                    .send()
                    .await
                    .map(|r| r.status().as_u16());
                assert_eq!(
                    health.ok(),
                    Some(200),
                    "the server is down after {method} {route}: {e}"
                );
                0
            }
        }
    })
}

fn fixture() -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/requests/derived-end-to-end.json");
    serde_json::from_str(&std::fs::read_to_string(p).expect("fixture")).expect("json")
}

fn v1_body() -> Value {
    let mut f = fixture();
    for m in f["canaryConfig"]["metrics"]
        .as_array_mut()
        .expect("metrics")
    {
        m["query"] = json!({"type": "prometheus", "customInlineTemplate": "PromQL:avg(up{job=\"${scope}\"})"});
    }
    json!({"canaryConfig": f["canaryConfig"], "executionRequest": {
        "scopes": {"default": {"controlScope": {"scope": "a", "start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:10:00Z", "step": 60},
                               "experimentScope": {"scope": "b", "start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:10:00Z", "step": 60}}},
        "thresholds": {"pass": 95, "marginal": 75}}})
}

/// Every JSON path of a document (object keys and array indices), for mutations.
fn paths(v: &Value, prefix: Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let mut p = prefix.clone();
                p.push(Value::String(k.clone()));
                paths(child, p, out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate().take(3) {
                let mut p = prefix.clone();
                p.push(Value::from(i));
                paths(child, p, out);
            }
        }
        _ => {}
    }
}

fn replace_at(v: &mut Value, path: &[Value], with: Value) {
    let Some((first, rest)) = path.split_first() else {
        *v = with;
        return;
    };
    let child = match (v, first) {
        (Value::Object(m), Value::String(k)) => m.get_mut(k),
        (Value::Array(a), Value::Number(i)) => i.as_u64().and_then(|i| a.get_mut(i as usize)),
        _ => None,
    };
    if let Some(c) = child {
        replace_at(c, rest, with);
    }
}

fn weird_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
        Just(json!("NaN")),
        Just(json!("-Infinity")),
        Just(json!([])),
        Just(json!({})),
        Just(json!([null, "x", {}])),
        Just(json!({"canary": [{"a": 1}]})),
    ]
}

fn raw_adversarial() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        (1usize..20_000).prop_map(|d| format!("{}{}", "[".repeat(d), "]".repeat(d)).into_bytes()),
        (1usize..5_000)
            .prop_map(|d| format!("{}1{}", "{\"a\":".repeat(d), "}".repeat(d)).into_bytes()),
        Just(b"1e999999".to_vec()),
        Just(b"{\"scoreThresholds\":{\"pass\":1e400,\"marginal\":-1e400}}".to_vec()),
        Just(b"123456789012345678901234567890123456789".to_vec()),
        Just(vec![0xff, 0xfe, 0xfd]),
        Just(b"{\"canaryConfig\":\"\xc3\x28\"}".to_vec()),
        Just(Vec::new()),
    ]
}

const ROUTES: [(&str, &str); 10] = [
    ("POST", "/judge"),
    ("POST", "/v1/judge"),
    ("POST", "/v1/judge?failStatus=abc"),
    ("POST", "/v1/flagger/rollout"),
    ("POST", "/v1/analyses"),
    ("GET", "/v1/analyses/%2e%2e%2f"),
    ("POST", "/v1/analyses/x/cancel"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/health"),
];

fn analysis_body() -> Value {
    let mut v = v1_body();
    let obj = v.as_object_mut().expect("object");
    obj.insert("startTimeIso".into(), json!("2026-01-01T00:00:00Z"));
    obj.insert("lifetimeDurationMins".into(), json!(20));
    obj.insert("analysisIntervalMins".into(), json!(10));
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn raw_bodies_never_5xx(body in raw_adversarial(), route in 0usize..ROUTES.len()) {
        let (method, path) = ROUTES[route];
        let status = status_of(method, path, body);
        prop_assert!(status < 500, "{method} {path} answered {status}");
    }

    #[test]
    fn mutated_judge_requests_never_5xx(pick in any::<prop::sample::Index>(), with in weird_value()) {
        let mut doc = fixture();
        let mut all = Vec::new();
        paths(&doc, Vec::new(), &mut all);
        let path = pick.get(&all).clone();
        replace_at(&mut doc, &path, with);
        let status = status_of("POST", "/judge", doc.to_string().into_bytes());
        prop_assert!(status < 500, "mutating {:?} gave {status}", path);
    }

    #[test]
    fn mutated_v1_requests_never_5xx(pick in any::<prop::sample::Index>(), with in weird_value()) {
        let mut doc = v1_body();
        let mut all = Vec::new();
        paths(&doc, Vec::new(), &mut all);
        let path = pick.get(&all).clone();
        replace_at(&mut doc, &path, with);
        let status = status_of("POST", "/v1/judge", doc.to_string().into_bytes());
        prop_assert!(status < 500, "mutating {:?} gave {status}", path);
    }

    #[test]
    fn mutated_analysis_requests_never_5xx(pick in any::<prop::sample::Index>(), with in prop_oneof![weird_value(), Just(json!(i64::MAX)), Just(json!(i64::MIN)), Just(json!(-1))]) {
        let mut doc = analysis_body();
        let mut all = Vec::new();
        paths(&doc, Vec::new(), &mut all);
        let path = pick.get(&all).clone();
        replace_at(&mut doc, &path, with);
        let status = status_of("POST", "/v1/analyses", doc.to_string().into_bytes());
        prop_assert!(status < 500, "mutating {:?} gave {status}", path);
    }

    #[test]
    fn truncated_bodies_never_5xx(cut in 0usize..6_000) {
        let text = fixture().to_string();
        let cut = cut.min(text.len());
        let status = status_of("POST", "/judge", text.as_bytes()[..cut].to_vec());
        prop_assert!(status < 500, "truncated at {cut}: {status}");
    }
}

#[test]
fn unmutated_requests_succeed() {
    // The mutations start from requests that work, so each case probes one change.
    assert_eq!(
        status_of("POST", "/judge", fixture().to_string().into_bytes()),
        200
    );
    assert_eq!(
        status_of("POST", "/v1/judge", v1_body().to_string().into_bytes()),
        200
    );
}

#[test]
fn still_healthy_afterwards() {
    // Runs alongside the properties; a crash anywhere would fail this or them.
    assert_eq!(status_of("GET", "/healthz", Vec::new()), 200);
}

//! `canary-judge analyze` against a real Prometheus on 127.0.0.1.
//!
//! The test backfills recorded latency from `fixtures/nab/` with `promtool tsdb
//! create-blocks-from openmetrics` as three series, a baseline and two canaries, starts
//! `prometheus` on a free port with that storage, and runs `analyze` twice: the unchanged canary
//! must pass, the one with an injected 20% latency regression must fail. The fetched data is
//! saved and replayed offline with `canary-judge judge`, which must agree.
//!
//! Needs the `prometheus` and `promtool` binaries (Debian package `prometheus`). Without them the
//! test is skipped with a message, unless `CANARY_REQUIRE_PROMETHEUS=1` (set by `.ci/run`), in
//! which case it fails.

use serde_json::{json, Value};
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn available(binary: &str) -> bool {
    Command::new(binary)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A Prometheus child process, killed on drop.
struct Prometheus {
    child: Child,
    port: u16,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

fn start_prometheus(dir: &Path) -> Prometheus {
    std::fs::write(
        dir.join("prometheus.yml"),
        "global:\n  scrape_interval: 1m\nscrape_configs: []\n",
    )
    .expect("config");
    let port = free_port();
    let log = std::fs::File::create(dir.join("prometheus.log")).expect("log file");
    let child = Command::new("prometheus")
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--storage.tsdb.retention.time=3650d")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("prometheus starts");
    let server = Prometheus { child, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if ready(port) {
            return server;
        }
        assert!(
            Instant::now() < deadline,
            "prometheus not ready after 30 s; log: {}",
            std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `GET /-/ready` answers 200.
fn ready(port: u16) -> bool {
    use std::io::Read;
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /-/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.0 200") || buf.starts_with("HTTP/1.1 200")
}

/// The recorded latency series.
fn nab_latency() -> Vec<f64> {
    let text =
        std::fs::read_to_string(root().join("fixtures/nab/ec2_request_latency_system_failure.csv"))
            .expect("NAB fixture");
    text.lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1)?.trim().parse().ok())
        .collect()
}

const POINTS: usize = 120;
const STEP: u64 = 60;

/// Writes the OpenMetrics file and backfills it; returns (start, end) in epoch seconds.
fn backfill(dir: &Path) -> (u64, u64) {
    let latency = nab_latency();
    assert!(latency.len() >= 2 * POINTS);
    // Interleave one window of the recording: even points are the baseline, odd points the
    // canary, so both come from the same distribution. The regressed canary is 20% slower.
    let baseline: Vec<f64> = latency.iter().step_by(2).take(POINTS).copied().collect();
    let canary: Vec<f64> = latency
        .iter()
        .skip(1)
        .step_by(2)
        .take(POINTS)
        .copied()
        .collect();
    let regressed: Vec<f64> = canary.iter().map(|v| v * 1.2).collect();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let end = (now / 60) * 60 - 2 * 3600; // older than the head block
    let start = end - (POINTS as u64 - 1) * STEP;
    let mut om = String::from(
        "# HELP request_latency_ms Request latency.\n# TYPE request_latency_ms gauge\n",
    );
    for (version, series) in [
        ("baseline", &baseline),
        ("canary", &canary),
        ("regressed", &regressed),
    ] {
        for (k, v) in series.iter().enumerate() {
            om.push_str(&format!(
                "request_latency_ms{{app=\"demo\",version=\"{version}\"}} {v} {}\n",
                start + k as u64 * STEP
            ));
        }
    }
    om.push_str("# EOF\n");
    std::fs::write(dir.join("metrics.om"), om).expect("openmetrics file");
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(dir.join("metrics.om"))
        .arg(dir.join("data"))
        .output()
        .expect("promtool runs");
    assert!(
        out.status.success(),
        "backfill failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (start, end)
}

fn iso(secs: u64) -> String {
    // Minimal RFC 3339 formatting in UTC, without a date crate.
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if mo <= 2 { y + 1 } else { y };
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}Z")
}

fn write_inputs(dir: &Path, experiment: &str, start: u64, end: u64) -> (PathBuf, PathBuf) {
    let config = json!({
        "name": "latency-canary",
        "judge": {"name": "NetflixACAJudge-v1.0"},
        "metrics": [{
            "name": "latency",
            "query": {"type": "prometheus", "customInlineTemplate": "PromQL:avg(request_latency_ms{app=\"demo\",version=\"${scope}\"})"},
            "groups": ["latency"],
            "scopeName": "default",
            "analysisConfigurations": {"canary": {"direction": "increase", "critical": true}}
        }],
        "classifier": {"groupWeights": {"latency": 100}}
    });
    let scope = |name: &str| json!({"scope": name, "location": "local", "start": iso(start), "end": iso(end), "step": STEP});
    let request = json!({
        "scopes": {"default": {"controlScope": scope("baseline"), "experimentScope": scope(experiment)}},
        "thresholds": {"pass": 95, "marginal": 75}
    });
    let (c, r) = (
        dir.join(format!("config-{experiment}.json")),
        dir.join(format!("request-{experiment}.json")),
    );
    std::fs::write(&c, config.to_string()).expect("config");
    std::fs::write(&r, request.to_string()).expect("request");
    (c, r)
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_canary-judge"))
        .args(args)
        .output()
        .expect("runs")
}

#[test]
fn analyze_against_a_real_prometheus() {
    if !available("prometheus") || !available("promtool") {
        assert!(
            std::env::var("CANARY_REQUIRE_PROMETHEUS").as_deref() != Ok("1"),
            "CANARY_REQUIRE_PROMETHEUS=1 but prometheus/promtool are not installed"
        );
        eprintln!(
            "skipped: prometheus and promtool are not installed (apt-get install prometheus)"
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("canary-judge-prom-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (start, end) = backfill(&dir);
    let server = start_prometheus(&dir);
    let url = format!("http://127.0.0.1:{}", server.port);

    let mut verdicts = Vec::new();
    for experiment in ["canary", "regressed"] {
        let (config, request) = write_inputs(&dir, experiment, start, end);
        let saved = dir.join(format!("pairs-{experiment}.json"));
        let out = run(&[
            "analyze",
            "--config",
            config.to_str().expect("path"),
            "--request",
            request.to_str().expect("path"),
            "--prometheus-url",
            &url,
            "--save-pairs",
            saved.to_str().expect("path"),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "analyze {experiment}: {stderr}");
        let result: Value = serde_json::from_slice(&out.stdout).expect("result JSON");
        let metric = &result["results"][0];
        assert_eq!(
            metric["experimentMetadata"]["stats"]["count"], POINTS,
            "{result}"
        );
        assert_eq!(
            metric["controlMetadata"]["stats"]["count"], POINTS,
            "{result}"
        );
        println!(
            "{experiment}: {} {} score {} {}",
            metric["classification"],
            metric["resultMetadata"]["ratio"],
            result["score"]["score"],
            result["score"]["classification"]
        );
        // The saved data replays offline to the same result.
        let replay = run(&["judge", saved.to_str().expect("path")]);
        assert_eq!(replay.status.code(), Some(0));
        let replayed: Value = serde_json::from_slice(&replay.stdout).expect("replay JSON");
        assert_eq!(replayed, result, "offline replay differs");
        verdicts.push(result["score"]["classification"].clone());
    }
    assert_eq!(verdicts, [json!("Pass"), json!("Fail")]);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

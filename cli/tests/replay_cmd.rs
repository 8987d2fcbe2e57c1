//! `canary-judge replay` on the NAB-built recording shipped in `fixtures/replay/`.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn replay(extra: &[&str], pairs: Option<&str>) -> Output {
    let default_pairs = root().join("fixtures/replay/nab-latency-pairs.json");
    Command::new(env!("CARGO_BIN_EXE_canary-judge"))
        .arg("replay")
        .arg("--config")
        .arg(root().join("fixtures/replay/nab-latency-config.json"))
        .arg("--pairs")
        .arg(pairs.map_or(default_pairs, PathBuf::from))
        .args(["--pass", "95", "--marginal", "75"])
        .args(extra)
        .output()
        .expect("runs")
}

#[test]
fn sliding_windows_catch_the_injected_regression() {
    let out = replay(&["--interval-mins", "30", "--lookback-mins", "60"], None);
    assert_eq!(out.status.code(), Some(1), "did not pass");
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[4].contains("Fail") && lines[4].contains("latency (High)"),
        "{text}"
    );
    assert!(
        text.contains("stopped: a score at or below the marginal threshold"),
        "{text}"
    );
    assert!(
        text.contains("FAIL Final canary score 0.0 is not above the marginal score threshold."),
        "{text}"
    );

    let out = replay(
        &["--interval-mins", "30", "--lookback-mins", "60", "--json"],
        None,
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["executionStatus"], "TERMINAL");
    let r = &json["canaryAnalysisExecutionResult"];
    assert_eq!(
        r["canaryScores"],
        serde_json::json!([100.0, 100.0, 100.0, 0.0])
    );
    assert_eq!(r["didPassThresholds"], false);
    assert_eq!(
        r["hasWarnings"], true,
        "12 points a side is under Kayenta's 50"
    );
    let results = r["canaryExecutionResults"].as_array().expect("results");
    assert_eq!(results.len(), 4);
    assert_eq!(
        results[3]["judgementStartTimeIso"],
        "2026-01-01T01:00:00.000Z"
    );
    assert_eq!(
        results[3]["result"]["judgeResult"]["results"][0]["classification"],
        "High"
    );
}

#[test]
fn growing_windows_dilute_it() {
    // Kayenta's default (growing windows): by the last judgement half the canary is slow, and
    // the rank test does not call it High. Replay shows it before the config gates a release.
    let out = replay(&["--interval-mins", "30"], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("PASS Final canary score 100.0"));
}

#[test]
fn bad_recordings_are_explained() {
    let dir = std::env::temp_dir().join(format!("canary-judge-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut pairs: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/replay/nab-latency-pairs.json"))
            .expect("fixture"),
    )
    .expect("json");
    pairs[0]["scopes"]["experiment"]["stepMillis"] = Value::from(0);
    let bad = dir.join("bad.json");
    std::fs::write(&bad, pairs.to_string()).expect("write");
    let out = replay(&[], bad.to_str());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("metric 'latency'") && err.contains("scopes.experiment"),
        "{err}"
    );
    let out = replay(&["--begin-after-mins", "500"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing is left"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The same recording as CSV files of `timestamp,value` rows.
fn write_csvs(dir: &std::path::Path) -> (PathBuf, PathBuf) {
    let pairs: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/replay/nab-latency-pairs.json"))
            .expect("fixture"),
    )
    .expect("json");
    let rows = |values: &Value| -> String {
        let mut out = String::from("timestamp,value\n");
        for (k, v) in values.as_array().expect("values").iter().enumerate() {
            // 2026-01-01 00:00:00 plus 5-minute steps, NAB's format.
            let minutes = k * 5;
            out.push_str(&format!(
                "2026-01-01 {:02}:{:02}:00,{}\n",
                minutes / 60,
                minutes % 60,
                v
            ));
        }
        out
    };
    let (b, c) = (dir.join("baseline.csv"), dir.join("canary.csv"));
    std::fs::write(&b, rows(&pairs[0]["values"]["control"])).expect("write");
    std::fs::write(&c, rows(&pairs[0]["values"]["experiment"])).expect("write");
    (b, c)
}

#[test]
fn csv_recordings_replay_like_pairs() {
    let dir = std::env::temp_dir().join(format!("canary-judge-replay-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (b, c) = write_csvs(&dir);
    let spec = format!("latency={},{}", b.display(), c.display());
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_canary-judge"))
            .arg("replay")
            .arg("--config")
            .arg(root().join("fixtures/replay/nab-latency-config.json"))
            .args([
                "--pass",
                "95",
                "--marginal",
                "75",
                "--interval-mins",
                "30",
                "--lookback-mins",
                "60",
                "--json",
            ])
            .args(extra)
            .output()
            .expect("runs")
    };
    let from_csv = run(&["--csv", &spec]);
    assert_eq!(
        from_csv.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&from_csv.stderr)
    );
    let from_pairs = run(&[
        "--pairs",
        root()
            .join("fixtures/replay/nab-latency-pairs.json")
            .to_str()
            .expect("path"),
    ]);
    let (a, b2): (Value, Value) = (
        serde_json::from_slice(&from_csv.stdout).expect("json"),
        serde_json::from_slice(&from_pairs.stdout).expect("json"),
    );
    assert_eq!(
        a["canaryAnalysisExecutionResult"]["canaryScores"],
        b2["canaryAnalysisExecutionResult"]["canaryScores"]
    );

    // Unsorted rows: an error naming the file and the line.
    let text = std::fs::read_to_string(&b).expect("read");
    let mut lines: Vec<&str> = text.lines().collect();
    lines.swap(2, 3);
    std::fs::write(&b, lines.join("\n")).expect("write");
    let out = run(&["--csv", &spec]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("baseline.csv: line 4") && err.contains("not after the previous row"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn prometheus_dumps_replay() {
    let dir = std::env::temp_dir().join(format!("canary-judge-replay-dump-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let dump = |factor: f64| {
        let values: Vec<Value> = (0..30)
            .map(|k| {
                serde_json::json!([
                    1_767_225_600 + 60 * k,
                    format!("{}", (100 + k % 7) as f64 * factor)
                ])
            })
            .collect();
        serde_json::json!({"status": "success", "data": {"resultType": "matrix",
            "result": [{"metric": {"pod": "a"}, "values": values}]}})
        .to_string()
    };
    let (b, c) = (dir.join("baseline.json"), dir.join("canary.json"));
    std::fs::write(&b, dump(1.0)).expect("write");
    std::fs::write(&c, dump(1.5)).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_canary-judge"))
        .arg("replay")
        .arg("--config")
        .arg(root().join("fixtures/replay/nab-latency-config.json"))
        .arg("--prometheus-dump")
        .arg(format!("latency={},{}", b.display(), c.display()))
        .args(["--pass", "95", "--marginal", "75", "--interval-mins", "10"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("latency (High)"), "{text}");
    // A file that is not a Prometheus response: named in the error.
    let out = Command::new(env!("CARGO_BIN_EXE_canary-judge"))
        .arg("replay")
        .arg("--config")
        .arg(root().join("fixtures/replay/nab-latency-config.json"))
        .arg("--prometheus-dump")
        .arg(format!(
            "latency={},{}",
            b.display(),
            root().join("README.md").display()
        ))
        .args(["--pass", "95", "--marginal", "75"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("README.md: prometheus: unexpected response")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

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
    // Thresholds that are not scores in order (the timeline had printed 100.00 "Fail").
    let out = Command::new(env!("CARGO_BIN_EXE_canary-judge"))
        .arg("replay")
        .arg("--config")
        .arg(root().join("fixtures/replay/nab-latency-config.json"))
        .arg("--pairs")
        .arg(root().join("fixtures/replay/nab-latency-pairs.json"))
        .args(["--pass", "200", "--marginal", "300"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--pass must be a score from 0 to 100"));
    for option in ["--interval-mins", "--lookback-mins", "--begin-after-mins"] {
        let out = replay(&[&format!("{option}=-5")], None);
        assert_eq!(out.status.code(), Some(2), "{option}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("{option} must not be negative, got -5")),
            "{err}"
        );
    }
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

    // A canary that was down for minutes 10–19 and came back at three times the latency: the
    // samples are placed by their timestamps, so the second ten-minute window has no canary
    // data (Kayenta's judge: Nodata, 50% of metrics, score 0) instead of the later samples
    // shifted back into it.
    let values: Vec<Value> = (0..30)
        .filter(|k| !(10..20).contains(k))
        .map(|k| {
            let factor = if k < 10 { 1.0 } else { 3.0 };
            serde_json::json!([
                1_767_225_600 + 60 * k,
                format!("{}", (100 + k % 7) as f64 * factor)
            ])
        })
        .collect();
    let gap = dir.join("canary-gap.json");
    let config = root().join("fixtures/replay/nab-latency-config.json");
    let write_canary = |values: Vec<Value>| {
        let body = serde_json::json!({"status": "success", "data": {"resultType": "matrix",
            "result": [{"metric": {"pod": "a"}, "values": values}]}});
        std::fs::write(&gap, body.to_string()).expect("write");
        vec![
            "--prometheus-dump".to_string(),
            format!("latency={},{}", b.display(), gap.display()),
        ]
    };
    let mut args = write_canary(values);
    args.extend(strings(&["--interval-mins", "10", "--lookback-mins", "10"]));
    let out = replay_with(&config, &args);
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(rows[0].contains("Pass"), "{text}");
    assert!(rows[1].contains("latency (Nodata)"), "{text}");
    assert!(!text.contains("High"), "{text}");
    // A repeated timestamp: refused, naming the file and the sample.
    let repeated: Vec<Value> = [0, 1, 1, 2]
        .iter()
        .map(|k| serde_json::json!([1_767_225_600 + 60 * k, "1"]))
        .collect();
    let out = replay_with(&config, &write_canary(repeated));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("canary-gap.json") && err.contains("sample 2") && err.contains("not after"),
        "{err}"
    );
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

/// A scratch directory for one test, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("canary-judge-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `replay --config CONFIG --pass 95 --marginal 75 ARGS`.
fn replay_with(config: &std::path::Path, args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_canary-judge"))
        .arg("replay")
        .arg("--config")
        .arg(config)
        .args(["--pass", "95", "--marginal", "75"])
        .args(args)
        .output()
        .expect("runs")
}

/// Runs `args` streamed and `--in-memory`, and asserts the same exit code, standard output and
/// standard error, byte for byte; returns the streamed run.
fn assert_stream_is_in_memory(config: &std::path::Path, args: &[String]) -> Output {
    let streamed = replay_with(config, args);
    let mut in_memory_args = args.to_vec();
    in_memory_args.push("--in-memory".into());
    let in_memory = replay_with(config, &in_memory_args);
    let context = format!(
        "{args:?}\nstreamed:\n{}{}\nin memory:\n{}{}",
        String::from_utf8_lossy(&streamed.stdout),
        String::from_utf8_lossy(&streamed.stderr),
        String::from_utf8_lossy(&in_memory.stdout),
        String::from_utf8_lossy(&in_memory.stderr)
    );
    assert_eq!(streamed.status.code(), in_memory.status.code(), "{context}");
    assert!(streamed.stdout == in_memory.stdout, "{context}");
    assert!(streamed.stderr == in_memory.stderr, "{context}");
    streamed
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn streamed_csv_is_the_in_memory_replay_of_the_fixture() {
    let dir = Scratch::new("replay-stream-fixture");
    let (b, c) = write_csvs(&dir.0);
    let spec = format!("latency={},{}", b.display(), c.display());
    let config = root().join("fixtures/replay/nab-latency-config.json");
    for extra in [
        &["--interval-mins", "30", "--lookback-mins", "60"][..],
        &["--interval-mins", "30"],
        &["--interval-mins", "15", "--lookback-mins", "60"],
        &[],
        &["--interval-mins", "500"],
        &[
            "--interval-mins",
            "10",
            "--lookback-mins",
            "20",
            "--control-offset-mins",
            "5",
            "--begin-after-mins",
            "10",
        ],
    ] {
        for json in [false, true] {
            let mut args = strings(extra);
            args.extend(["--csv".to_string(), spec.clone()]);
            if json {
                args.push("--json".into());
            }
            let out = assert_stream_is_in_memory(&config, &args);
            assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?}");
            if json {
                // The JSON, written a judgement at a time, is serde_json's pretty printing of
                // the whole document.
                let text = String::from_utf8_lossy(&out.stdout);
                let value: Value = serde_json::from_str(&text).expect("json");
                let pretty = serde_json::to_string_pretty(&value).expect("prints");
                assert_eq!(format!("{pretty}\n"), text);
            }
        }
    }
}

/// A small deterministic generator (no dependency for a test's noise).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Three metrics × two days of 1-minute data, with missing rows and NaN values; metric `m1`'s
/// canary is 30% slower from hour 40 on, metric `m2`'s files start 90 minutes after the others'
/// and have a 2-minute step. Returns the config path and the `--csv` options.
fn write_multi_window_case(dir: &std::path::Path) -> (PathBuf, Vec<String>) {
    let mut gaps = Lcg(7);
    let start = 1_767_225_600_i64;
    let mut args = Vec::new();
    for m in 0..3 {
        let (offset, step) = if m == 2 { (90 * 60, 120) } else { (0, 60) };
        let mut files = Vec::new();
        for side in ["baseline", "canary"] {
            // The same values a side (no false alarms), but missing rows and NaN differ.
            let mut noise = Lcg(m);
            let mut text = String::from("timestamp,value\n");
            let mut k = 0;
            while offset + k * step < 2 * 86_400 {
                let t = start + offset + k * step;
                let level = 100.0 * (1.0 + 0.1 * ((k as f64) / 200.0).sin());
                let slow = side == "canary" && m == 1 && t - start >= 40 * 3600;
                let v = level * if slow { 1.3 } else { 1.0 } + 10.0 * noise.next();
                match gaps.next() {
                    _ if k < 8 => text.push_str(&format!("{t},{v:.3}\n")), // the step is learnt first
                    r if r < 0.01 => {}                                    // a missing row
                    r if r < 0.02 => text.push_str(&format!("{t},NaN\n")),
                    _ => text.push_str(&format!("{t},{v:.3}\n")),
                }
                k += 1;
            }
            let path = dir.join(format!("m{m}-{side}.csv"));
            std::fs::write(&path, text).expect("write");
            files.push(path);
        }
        args.push("--csv".to_string());
        args.push(format!(
            "m{m}={},{}",
            files[0].display(),
            files[1].display()
        ));
    }
    let metric = |m: usize| {
        serde_json::json!({"name": format!("m{m}"), "query": {"type": "prometheus", "metricName": format!("m{m}")},
            "groups": ["all"], "scopeName": "default",
            "analysisConfigurations": {"canary": {"direction": "increase"}}})
    };
    let config = serde_json::json!({"name": "multi", "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
        "metrics": [metric(0), metric(1), metric(2)], "classifier": {"groupWeights": {"all": 100}}});
    let path = dir.join("config.json");
    std::fs::write(&path, config.to_string()).expect("write");
    (path, args)
}

#[test]
fn streamed_csv_is_the_in_memory_replay_over_many_windows() {
    let dir = Scratch::new("replay-stream-multi");
    let (config, csv) = write_multi_window_case(&dir.0);
    for extra in [
        &["--interval-mins", "60", "--lookback-mins", "60"][..],
        &[
            "--interval-mins",
            "7",
            "--lookback-mins",
            "45",
            "--control-offset-mins",
            "30",
            "--begin-after-mins",
            "100",
        ],
        &["--interval-mins", "30", "--lookback-mins", "120", "--json"],
        &["--interval-mins", "240"],
        &["--interval-mins", "5000"],
        &[],
    ] {
        let mut args = strings(extra);
        args.extend(csv.iter().cloned());
        let out = assert_stream_is_in_memory(&config, &args);
        if extra.first() == Some(&"--interval-mins") && extra[1] == "60" {
            // Hourly sliding windows: the slow canary is caught at the hour it starts.
            let text = String::from_utf8_lossy(&out.stdout);
            assert_eq!(out.status.code(), Some(1), "{text}");
            assert!(
                text.contains(" 41  2026-01-02T16:00:00.000Z  2026-01-02T17:00:00.000Z"),
                "{text}"
            );
            assert!(text.contains("m1 (High)"), "{text}");
        }
    }
}

/// The fixture as CSV with one line changed (`line` is 1-based) or cut off after it.
fn csv_with(dir: &std::path::Path, line: usize, replacement: Option<&str>) -> String {
    let (b, c) = write_csvs(dir);
    let text = std::fs::read_to_string(&c).expect("read");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    match replacement {
        Some(r) => lines[line - 1] = r.to_string(),
        None => lines.truncate(line),
    }
    std::fs::write(&c, lines.join("\n") + "\n").expect("write");
    format!("latency={},{}", b.display(), c.display())
}

#[test]
fn streamed_csv_errors_name_the_file_and_line() {
    let dir = Scratch::new("replay-stream-errors");
    let config = root().join("fixtures/replay/nab-latency-config.json");
    // Growing windows run to the end of the data, so each problem is met by both paths.
    // Line 14 is 01:00, line 15 01:05.
    let cases: [(usize, Option<&str>, &str); 7] = [
        (
            15,
            Some("2026-01-01 01:10:00,fast"),
            "canary.csv: line 15: value \"fast\" is not a finite number or NaN",
        ),
        (
            15,
            Some("2026-01-01 01:10:00"),
            "canary.csv: line 15: expected two columns, timestamp,value",
        ),
        (
            15,
            Some("soon,1"),
            "canary.csv: line 15: timestamp \"soon\" is not YYYY-MM-DD HH:MM:SS",
        ),
        (
            15,
            Some("2026-01-01 01:00:00,1"),
            "canary.csv: line 15: timestamp 2026-01-01 01:00:00 is not after the previous row's",
        ),
        (
            15,
            Some("2026-01-01 00:50:00,1"),
            "canary.csv: line 15: timestamp 2026-01-01 00:50:00 is not after the previous row's",
        ),
        (
            15,
            Some("2026-01-01 01:07:00,1"),
            "canary.csv: line 15: the gap from the previous row (420000 ms) is not a multiple of the step (300000 ms",
        ),
        (
            15,
            Some("2099-01-01 01:10:00,1"),
            "canary.csv: line 15: timestamp 2099-01-01 01:10:00 is more than ten years after the first row's",
        ),
    ];
    for (line, replacement, expected) in cases {
        let spec = csv_with(&dir.0, line, replacement);
        for extra in [&["--interval-mins", "30"][..], &["--json"]] {
            let mut args = strings(extra);
            args.extend(["--csv".to_string(), spec.clone()]);
            let out = assert_stream_is_in_memory(&config, &args);
            assert_eq!(out.status.code(), Some(2));
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(expected), "{expected}\n{err}");
        }
        // The sequential replay reads the same files (it had filled a wrong year's gap with
        // NaN until memory ran out).
        let mut args = strings(&["--sequential", "--csv"]);
        args.push(spec.clone());
        let out = replay_with(&config, &args);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "--sequential: {expected}\n{err}");
    }
    // Too short, a window outside the data, a missing file.
    let spec = csv_with(&dir.0, 2, None);
    let out = assert_stream_is_in_memory(&config, &strings(&["--csv", &spec]));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("canary.csv: at least two rows are needed")
    );
    let spec = csv_with(&dir.0, 25, Some(""));
    let out = assert_stream_is_in_memory(
        &config,
        &strings(&["--csv", &spec, "--begin-after-mins", "120"]),
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "the recording spans 115 minutes; nothing is left after --begin-after-mins 120"
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let missing = dir.0.join("missing.csv");
    let out = assert_stream_is_in_memory(
        &config,
        &strings(&[
            "--csv",
            &format!("latency={},{}", missing.display(), missing.display()),
        ]),
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.csv"));
}

#[test]
fn streaming_stops_reading_when_the_analysis_stops() {
    // Sliding windows stop at the regression in the second hour; a bad row after that is never
    // read by the stream, while the in-memory path, which reads everything first, refuses it.
    let dir = Scratch::new("replay-stream-stop");
    let config = root().join("fixtures/replay/nab-latency-config.json");
    let (b, c) = write_csvs(&dir.0);
    let mut text = std::fs::read_to_string(&c).expect("read");
    for k in 0..200 {
        text.push_str(&format!(
            "2026-01-01 {:02}:{:02}:00,1\n",
            2 + k / 12,
            (k % 12) * 5
        ));
    }
    text.push_str("2026-01-01 19:00:00,broken\n");
    std::fs::write(&c, text).expect("write");
    let args = [
        "--interval-mins".to_string(),
        "30".into(),
        "--lookback-mins".into(),
        "60".into(),
        "--csv".into(),
        format!("latency={},{}", b.display(), c.display()),
    ];
    let streamed = replay_with(&config, &args);
    assert_eq!(streamed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&streamed.stdout).contains("stopped: a score at or below"));
    let mut in_memory = args.to_vec();
    in_memory.push("--in-memory".into());
    let out = replay_with(&config, &in_memory);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("canary.csv: line 226: value \"broken\""));
}

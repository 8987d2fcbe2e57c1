//! `canary-judge judge`, run as a process.

use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn request_path() -> PathBuf {
    root().join("fixtures/requests/derived-end-to-end.json")
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_canary-judge"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    {
        let mut pipe = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            // A command refused before it reads (a bad option) may close its input first.
            if let Err(e) = pipe.write_all(text.as_bytes()) {
                assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
            }
        }
    }
    child.wait_with_output().expect("finishes")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8")
}

fn expected_result() -> Value {
    let text = std::fs::read_to_string(
        root().join("fixtures/kayenta/cases/derived-judge-end-to-end.json"),
    )
    .expect("fixture");
    let case: Value = serde_json::from_str(&text).expect("json");
    case["expectedResult"].clone()
}

fn by_name(v: &mut Value) {
    if let Some(Value::Array(g)) = v.get_mut("groupScores") {
        g.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    }
}

#[test]
fn judges_a_file_compactly() {
    let path = request_path();
    let out = run(&["judge", path.to_str().expect("path")], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "compact output is one line");
    let mut got: Value = serde_json::from_str(&text).expect("json");
    let mut want = expected_result();
    by_name(&mut got);
    by_name(&mut want);
    assert_eq!(got, want);
}

#[test]
fn pretty_and_stdin() {
    let text = std::fs::read_to_string(request_path()).expect("fixture");
    let out = run(&["judge", "--pretty", "-"], Some(&text));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).lines().count() > 10);
    let got: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(got["score"]["classification"], "Marginal");
    // No argument reads standard input too.
    let out = run(&["judge"], Some(&text));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn fail_on_reflects_the_verdict() {
    let path = request_path();
    let p = path.to_str().expect("path");
    // The fixture's verdict is Marginal.
    assert_eq!(
        run(&["judge", p, "--fail-on", "marginal"], None)
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        run(&["judge", p, "--fail-on", "fail"], None).status.code(),
        Some(0)
    );
}

#[test]
fn invalid_input_exits_2_and_names_the_problem() {
    let out = run(
        &["judge", "-"],
        Some("{\"canaryConfig\": {}, \"scoreThresholds\": {\"pass\": 1}}"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("scoreThresholds"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());

    let out = run(&["judge", "/nonexistent/request.json"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("/nonexistent/request.json"),
        "{}",
        stderr(&out)
    );

    let mut req: Value =
        serde_json::from_str(&std::fs::read_to_string(request_path()).expect("fixture"))
            .expect("json");
    req["canaryConfig"]["metrics"][0]["analysisConfigurations"]["canary"]["critical"] =
        Value::from("yes");
    let out = run(&["judge", "-"], Some(&req.to_string()));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("metric 'latency'") && err.contains("critical"),
        "{err}"
    );
}

#[test]
fn unknown_judge_lists_the_known_ones() {
    let path = request_path();
    let out = run(
        &[
            "judge",
            "--judge",
            "dredd-v1.0",
            path.to_str().expect("path"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("dredd-v1.0") && err.contains("NetflixACAJudge-v1.0"),
        "{err}"
    );
    // The config's own name is checked the same way.
    let mut req: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json");
    req["canaryConfig"]["judge"]["name"] = Value::from("dredd-v1.0");
    let out = run(&["judge", "-"], Some(&req.to_string()));
    assert_eq!(out.status.code(), Some(2));
    // --judge overrides it.
    let out = run(
        &["judge", "--judge", "NetflixACAJudge-v1.0", "-"],
        Some(&req.to_string()),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn jsonl_keeps_going_past_bad_lines() {
    let req: Value =
        serde_json::from_str(&std::fs::read_to_string(request_path()).expect("fixture"))
            .expect("json");
    let line = req.to_string();
    let input = format!("{line}\n{{not json\n\n{line}\n{{\"canaryConfig\": {{}}}}\n");
    let out = run(&["judge", "--jsonl", "-"], Some(&input));
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bad line makes the exit code 2"
    );
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each output line is JSON"))
        .collect();
    assert_eq!(lines.len(), 4, "one output line per non-empty input line");
    assert_eq!(lines[0]["score"]["score"], 50.0);
    assert_eq!(lines[1]["error"]["kind"], "parse");
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[2]["score"]["score"], 50.0);
    assert_eq!(lines[3]["error"]["kind"], "parse");
    assert!(lines[3]["error"]["message"]
        .as_str()
        .expect("message")
        .contains("missing field"));

    // All good: exit 0, or 1 with --fail-on.
    let input = format!("{line}\n{line}\n");
    let out = run(&["judge", "--jsonl"], Some(&input));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out).lines().count(), 2);
    let out = run(&["judge", "--jsonl", "--fail-on", "marginal"], Some(&input));
    assert_eq!(out.status.code(), Some(1));

    // Thread counts: 1 to 1024 (9 000 threads had been started for a one-line file).
    let out = run(&["judge", "--jsonl", "--threads", "1024"], Some(&input));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for bad in ["0", "9000", "-1"] {
        let arg = format!("--threads={bad}");
        let out = run(&["judge", "--jsonl", &arg], Some(&input));
        assert_eq!(out.status.code(), Some(2), "--threads {bad}");
        assert!(stderr(&out).contains("--threads"), "{}", stderr(&out));
    }
}

/// The improved judge on a request built from real NAB series (scripts/make-v1-request.py):
/// latency +15%, errors at 4× the baseline's rate per request, CPU unchanged.
#[test]
fn improved_judge_explains_its_verdict() {
    let path = root().join("fixtures/requests/v1-nab.json");
    let out = run(&["judge", path.to_str().expect("path")], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let result: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(result["judgeName"], "canary-judge-v1");
    let labels: Vec<&str> = result["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["classification"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(labels[..3], ["High", "Pass", "High"]);
    let latency = &result["results"][0];
    let reason = latency["classificationReason"].as_str().unwrap_or("");
    assert!(
        reason.starts_with("request_latency_ms: canary +15.")
            && reason.contains("99% CI")
            && reason.contains("n = 120/120"),
        "{reason}"
    );
    assert_eq!(
        latency["resultMetadata"]["rule"],
        "significant-beyond-margin"
    );
    assert!(latency["resultMetadata"]["pValue"]
        .as_f64()
        .is_some_and(|p| p < 1e-6));
    let errors = &result["results"][2];
    assert_eq!(errors["resultMetadata"]["test"], "rate");
    assert!(errors["classificationReason"]
        .as_str()
        .unwrap_or("")
        .contains("44 / 5630 canary vs 10 / 7549 baseline"));
    assert_eq!(result["score"]["classification"], "Fail");
    assert!(result["score"]["classificationReason"]
        .as_str()
        .unwrap_or("")
        .contains("request_latency_ms"));
    assert_eq!(result["groupScores"][1]["classification"], "Pass");

    // The same data through Kayenta's judge, by --judge.
    let out = run(
        &[
            "judge",
            "--judge",
            "NetflixACAJudge-v1.0",
            path.to_str().expect("path"),
        ],
        None,
    );
    let kayenta: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(kayenta["judgeName"], "NetflixACAJudge-v1.0");
    assert!(kayenta["results"][0]["resultMetadata"]
        .get("rule")
        .is_none());
}

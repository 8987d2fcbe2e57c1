//! `canary-judge report`: a self-contained HTML page, rendered in a real headless Chromium.
//!
//! The Chromium check needs Debian's `chromium`; without it the check is skipped with a
//! message, unless `CANARY_REQUIRE_CHROMIUM=1` (set by `.ci/run`), in which case it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn temp(tag: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("canary-judge-report-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// Writes the config part of the shipped request to a file, and reports on the request.
fn derived_report(dir: &Path) -> PathBuf {
    let request: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/requests/derived-end-to-end.json"))
            .expect("fixture"),
    )
    .expect("json");
    let config = dir.join("config.json");
    std::fs::write(&config, request["canaryConfig"].to_string()).expect("write");
    let out = dir.join("report.html");
    let status = Command::new(env!("CARGO_BIN_EXE_canary-judge"))
        .arg("report")
        .arg("--config")
        .arg(&config)
        .arg("--pairs")
        .arg(root().join("fixtures/requests/derived-end-to-end.json"))
        .args(["--pass", "75", "--marginal", "50", "--out"])
        .arg(&out)
        .status()
        .expect("runs");
    assert!(status.success());
    out
}

#[test]
fn report_is_self_contained_and_explains() {
    let dir = temp("html");
    let html = std::fs::read_to_string(derived_report(&dir)).expect("html");
    assert!(
        html.contains(r#"id="verdict">Marginal<"#),
        "verdict at the top"
    );
    assert!(
        !html.contains("<script") && !html.contains("src=") && !html.contains("href=\"http"),
        "no scripts, no fetches"
    );
    // Worst first: the High latency before the passing metrics.
    let (latency, cpu) = (
        html.find("<h2>latency").expect("latency"),
        html.find("<h2>cpu").expect("cpu"),
    );
    assert!(latency < cpu);
    assert!(
        html.contains("the canary is significantly higher"),
        "explained in words"
    );
    assert!(html.contains("One side has no data, and the metric must have data"));
    assert!(html.matches("<svg").count() >= 8);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn report_renders_in_headless_chromium() {
    let available = Command::new("chromium")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            std::env::var("CANARY_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
            "CANARY_REQUIRE_CHROMIUM=1 but chromium is not installed"
        );
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
        return;
    }
    let dir = temp("chromium");
    let page = derived_report(&dir);
    let url = format!("file://{}", page.display());
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ];
    let profile = format!("--user-data-dir={}", dir.join("profile").display());
    let dom = Command::new("chromium")
        .args(flags)
        .arg(&profile)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let text = String::from_utf8_lossy(&dom.stdout);
    assert!(
        text.contains(r#"id="verdict">Marginal<"#),
        "the rendered page shows the verdict"
    );
    assert!(text.contains("latency") && text.contains("NodataFailMetric"));
    let shot = dir.join("report.png");
    let status = Command::new("chromium")
        .args(flags)
        .arg(&profile)
        .arg("--window-size=1000,1300")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(status.status.success());
    let png = std::fs::read(&shot).expect("screenshot");
    assert!(
        png.len() > 10_000 && png.starts_with(b"\x89PNG"),
        "a real screenshot"
    );
    // The page over a saved replay renders too.
    let replay_page = dir.join("replay-report.html");
    let (code, page) = replay_report(&dir, &saved_replay(&dir), true, &[]);
    assert_eq!(code, 0, "{page}");
    let dom = Command::new("chromium")
        .args(flags)
        .arg(&profile)
        .arg("--dump-dom")
        .arg(format!("file://{}", replay_page.display()))
        .output()
        .expect("chromium runs");
    assert!(dom.status.success());
    let text = String::from_utf8_lossy(&dom.stdout);
    assert!(text.contains(r#"id="decision">FAIL<"#) && text.contains(r#"id="timeline""#));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `canary-judge` with `args`; returns (exit code, stdout, stderr).
fn run(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_canary-judge"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Replays the shipped NAB recording (sliding hour, every 15 minutes) and saves the JSON.
fn saved_replay(dir: &Path) -> PathBuf {
    let config = root().join("fixtures/replay/nab-latency-config.json");
    let pairs = root().join("fixtures/replay/nab-latency-pairs.json");
    let (code, stdout, stderr) = run(&[
        "replay".as_ref(),
        "--config".as_ref(),
        config.as_os_str(),
        "--pairs".as_ref(),
        pairs.as_os_str(),
        "--pass".as_ref(),
        "95".as_ref(),
        "--marginal".as_ref(),
        "75".as_ref(),
        "--interval-mins".as_ref(),
        "15".as_ref(),
        "--lookback-mins".as_ref(),
        "60".as_ref(),
        "--json".as_ref(),
    ]);
    assert_eq!(code, 1, "the recorded canary fails: {stderr}");
    let path = dir.join("replay.json");
    std::fs::write(&path, stdout).expect("write");
    path
}

/// `report --replay`: returns (exit code, page or stderr).
fn replay_report(dir: &Path, replay: &Path, with_pairs: bool, extra: &[&str]) -> (i32, String) {
    let config = root().join("fixtures/replay/nab-latency-config.json");
    let pairs = root().join("fixtures/replay/nab-latency-pairs.json");
    let out = dir.join("replay-report.html");
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "report".as_ref(),
        "--config".as_ref(),
        config.as_os_str(),
        "--replay".as_ref(),
        replay.as_os_str(),
        "--pass".as_ref(),
        "95".as_ref(),
        "--marginal".as_ref(),
        "75".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    if with_pairs {
        args.extend(["--pairs".as_ref(), pairs.as_os_str()]);
    }
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    let (code, _, stderr) = run(&args);
    if code == 0 {
        (code, std::fs::read_to_string(&out).expect("html"))
    } else {
        (code, stderr)
    }
}

#[test]
fn report_over_a_saved_replay_shows_the_timeline_and_the_deciding_judgement() {
    let dir = temp("replay");
    let replay = saved_replay(&dir);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&replay).expect("read")).expect("json");
    let runs = saved["canaryAnalysisExecutionResult"]["canaryExecutionResults"]
        .as_array()
        .expect("judgements")
        .len();
    let (code, html) = replay_report(&dir, &replay, true, &[]);
    assert_eq!(code, 0, "{html}");
    assert!(
        html.contains(r#"id="decision">FAIL<"#),
        "the replay's decision on top"
    );
    assert!(html.contains("Final canary score 0.0 is not above the marginal score threshold."));
    // One row per judgement (plus the header), the last one highlighted and detailed.
    let table = &html[html.find(r#"id="timeline""#).expect("timeline")..];
    let table = &table[..table.find("</table>").expect("end")];
    assert_eq!(table.matches("<tr").count(), runs + 1);
    assert!(table.contains(&format!(r#"<tr class="detail"><td>{runs}</td>"#)));
    assert!(html.contains(&format!("<h1>Judgement {runs}</h1>")));
    assert!(html.contains(r#"id="verdict">Fail<"#));
    assert!(html.contains("the canary is significantly higher"));
    assert!(
        html.matches("<svg").count() >= 4,
        "score chart and the metric's pictures"
    );

    // An earlier judgement: re-judged on its own window, which passed.
    let (code, html) = replay_report(&dir, &replay, true, &["--judgement", "1"]);
    assert_eq!(code, 0, "{html}");
    assert!(html.contains("<h1>Judgement 1</h1>") && html.contains(r#"id="verdict">Pass<"#));

    // Without the recording: the saved reasons, no data pictures.
    let (code, html) = replay_report(&dir, &replay, false, &[]);
    assert_eq!(code, 0, "{html}");
    assert!(html.contains("Give --pairs with the recording"));
    assert!(html.contains(r#"id="verdict">Fail<"#));
    assert_eq!(html.matches("<svg").count(), 1, "only the score chart");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn report_refuses_a_replay_that_the_data_do_not_reproduce() {
    let dir = temp("replay-bad");
    let replay = saved_replay(&dir);
    let mut saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&replay).expect("read")).expect("json");
    let runs = saved["canaryAnalysisExecutionResult"]["canaryExecutionResults"]
        .as_array_mut()
        .expect("judgements");
    let last = runs.len();
    runs[last - 1]["result"]["judgeResult"]["score"]["score"] = serde_json::json!(42.0);
    let tampered = dir.join("tampered.json");
    std::fs::write(&tampered, saved.to_string()).expect("write");
    let (code, stderr) = replay_report(&dir, &tampered, true, &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(&format!("judgement {last}: the replay saved score 42")),
        "{stderr}"
    );
    let (code, stderr) = replay_report(&dir, &replay, true, &["--judgement", "0"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--judgement 0: the replay has judgements 1 to"),
        "{stderr}"
    );
    let not_a_replay = root().join("fixtures/replay/nab-latency-config.json");
    let (code, stderr) = replay_report(&dir, &not_a_replay, true, &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not a saved replay"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A config naming the improved judge: the page explains its labels (reasons with numbers, the
/// rule in words) and draws its interval against the allowed change.
#[test]
fn report_explains_the_improved_judge() {
    let dir = temp("v1");
    let path = root().join("fixtures/requests/v1-nab.json");
    let request: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json");
    let config = dir.join("config.json");
    std::fs::write(&config, request["canaryConfig"].to_string()).expect("write");
    let out = dir.join("report.html");
    let (code, _, stderr) = run(&[
        "report".as_ref(),
        "--config".as_ref(),
        config.as_os_str(),
        "--pairs".as_ref(),
        path.as_os_str(),
        "--pass".as_ref(),
        "95".as_ref(),
        "--marginal".as_ref(),
        "75".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let html = std::fs::read_to_string(&out).expect("html");
    assert!(html.contains(r#"id="verdict">Fail<"#));
    assert!(
        html.contains("request_latency_ms: canary +15."),
        "the improved judge's reason"
    );
    assert!(
        html.contains("larger than the allowed change"),
        "the rule in words"
    );
    assert!(html.contains("confidence interval of the change relative to the baseline"));
    assert!(
        !html.contains("a quarter of the estimate"),
        "no Kayenta explanation for a v1 label"
    );
}

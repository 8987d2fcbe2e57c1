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
    let _ = std::fs::remove_dir_all(&dir);
}

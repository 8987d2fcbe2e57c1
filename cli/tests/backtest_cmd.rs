//! `canary-judge backtest` on the recorded NAB latency (its healthy first two days).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The first `rows` data rows of the NAB file. Its first 556 come before a daylight-saving glitch
/// (a 64-minute gap, then 03:00:00 repeated), which the CSV reader refuses, as it should.
fn history(rows: usize) -> PathBuf {
    let text =
        std::fs::read_to_string(root().join("fixtures/nab/ec2_request_latency_system_failure.csv"))
            .expect("fixture");
    let kept: Vec<&str> = text.lines().take(rows + 1).collect();
    let path = std::env::temp_dir().join(format!(
        "canary-judge-history-{rows}-{}.csv",
        std::process::id()
    ));
    std::fs::write(&path, kept.join("\n")).expect("write");
    path
}

fn backtest(history: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_canary-judge"))
        .arg("backtest")
        .arg("--config")
        .arg(root().join("fixtures/replay/nab-latency-config.json"))
        .arg("--history")
        .arg(format!("latency={}", history.display()))
        .args(["--window-points", "60", "--trials", "200"])
        .args(extra)
        .output()
        .expect("runs")
}

/// The canary's false-alarm rate (percent) and its standard error, from the summary line.
fn false_alarms(out: &Output) -> (f64, f64) {
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("false-alarm rate"))
        .expect("summary line");
    let nums: Vec<f64> = line
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|t| t.parse().ok())
        .collect();
    (nums[0], nums[1])
}

#[test]
fn rates_are_reproducible_and_consistent() {
    let h = history(556);
    let a = backtest(&h, &["--seed", "1"]);
    assert!(
        a.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    let text = String::from_utf8_lossy(&a.stdout).into_owned();
    assert!(
        text.contains("no change") && text.contains("+25%") && text.contains("tail ×2"),
        "{text}"
    );
    // The same seed gives the same figures.
    assert_eq!(backtest(&h, &["--seed", "1"]).stdout, a.stdout);
    // Another seed draws other splits; the no-change rates agree within sampling error.
    let b = backtest(&h, &["--seed", "2"]);
    let ((ra, sa), (rb, sb)) = (false_alarms(&a), false_alarms(&b));
    assert!(
        (ra - rb).abs() <= 3.0 * (sa * sa + sb * sb).sqrt().max(1.0),
        "{ra}±{sa} vs {rb}±{sb}"
    );
    // A +50% level shift is caught nearly always.
    let row = text
        .lines()
        .find(|l| l.starts_with("latency"))
        .expect("metric row");
    let cells: Vec<f64> = row
        .split_whitespace()
        .skip(1)
        .map(|c| c.trim_end_matches('%').parse().expect("percent"))
        .collect();
    assert!(cells[4] >= 95.0, "{row}");
}

#[test]
fn bad_history_is_explained() {
    // Past the daylight-saving glitch (01:56:00 then 03:00:00 on line 558, repeated on line
    // 559): the reader names the first line that is wrong.
    let out = backtest(&history(600), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("line 558: the gap from the previous row (3840000 ms) is not a multiple"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Too short for two windows.
    let out = backtest(&history(100), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least two windows"));
}

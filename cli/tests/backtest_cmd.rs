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

#[test]
fn nonsense_options_are_refused_naming_them() {
    let h = history(400);
    for (args, needle) in [
        (
            &["--pass=10", "--marginal=90"][..],
            "--marginal (90) must not be above --pass (10)",
        ),
        (
            &["--pass=200"],
            "--pass must be a score from 0 to 100, got 200",
        ),
        (
            &["--shift-pct=NaN"],
            "--shift-pct must be a percentage above -100, got NaN",
        ),
        (
            &["--shift-pct=5,-100"],
            "--shift-pct must be a percentage above -100, got -100",
        ),
        (
            &["--tail-factor=-1"],
            "--tail-factor must be a positive factor, got -1",
        ),
        (
            &["--error-factor=0.5"],
            "--error-factor must be a factor from 1 to 1000, got 0.5",
        ),
        (
            &["--max-false-alarm-pct=-5"],
            "--max-false-alarm-pct must be a percentage from 0 to 100",
        ),
        (
            &["--tail-factor=1e308"],
            "the scenario tail ×1e308 makes metric 'latency' overflow to ±∞: inject a smaller change",
        ),
    ] {
        let out = backtest(&h, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

/// A count metric (errors per minute, mostly zero, seeded): the event-rate scenarios appear,
/// a tenfold rate is caught, and the improved judge stays quiet without a change.
#[test]
fn event_rate_scenarios_on_counts() {
    let mut state = 7u64;
    let mut uniform = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut rows = vec!["timestamp,value".to_string()];
    for i in 0..2000u64 {
        // Poisson(0.2) by Knuth's method.
        let (limit, mut k, mut p) = ((-0.2f64).exp(), 0, uniform());
        while p > limit {
            k += 1;
            p *= uniform();
        }
        rows.push(format!("{},{k}", 1_700_000_000 + 60 * i));
    }
    let dir = std::env::temp_dir().join(format!("canary-judge-events-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let history = dir.join("errors.csv");
    std::fs::write(&history, rows.join("\n")).expect("write");
    let config = dir.join("config.json");
    std::fs::write(
        &config,
        r#"{"judge": {"name": "canary-judge-v1"}, "classifier": {"groupWeights": {}},
            "metrics": [{"name": "errors", "groups": ["errors"],
                         "analysisConfigurations": {"canary": {"direction": "increase"}}}]}"#,
    )
    .expect("write");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_canary-judge"))
            .arg("backtest")
            .arg("--config")
            .arg(&config)
            .arg("--history")
            .arg(format!("errors={}", history.display()))
            .args([
                "--window-points",
                "120",
                "--trials",
                "200",
                "--error-factor",
                "2,10",
            ])
            .output()
            .expect("runs")
    };
    let out = run();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("events ×2") && text.contains("events ×10"),
        "{text}"
    );
    assert_eq!(run().stdout, out.stdout, "seeded: the same figures again");
    let row = text
        .lines()
        .find(|l| l.starts_with("errors"))
        .expect("metric row");
    let cells: Vec<f64> = row
        .split_whitespace()
        .skip(1)
        .map(|c| c.trim_end_matches('%').parse().expect("percent"))
        .collect();
    // Columns: no change, four shifts, tail, events ×2, events ×10.
    assert!(cells[0] <= 5.0, "false alarms on counts: {row}");
    assert!(cells[7] >= 90.0, "a tenfold error rate is caught: {row}");
    assert!(cells[7] >= cells[6], "{row}");
}

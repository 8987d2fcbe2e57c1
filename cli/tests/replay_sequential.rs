//! `canary-judge replay --sequential`: the first look at which the anytime-valid judge stops.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Deterministic noise in [−1, 1).
fn noise(k: u64, salt: u64) -> f64 {
    let mut z = (k.wrapping_mul(0x9e37_79b9_7f4a_7c15)) ^ salt.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

/// A recording of `n` one-minute points a side; the canary is `factor` times slower.
fn write_recording(dir: &Path, n: u64, factor: f64, canary: Value) -> (PathBuf, PathBuf) {
    let series = |salt: u64, f: f64| -> Vec<f64> {
        (0..n)
            .map(|k| f * (100.0 + 10.0 * noise(k, salt)))
            .collect()
    };
    let scope = json!({"startTimeMillis": 1_767_225_600_000i64, "stepMillis": 60_000});
    let pairs = json!([{
        "name": "latency", "tags": {},
        "values": {"control": series(1, 1.0), "experiment": series(2, factor)},
        "scopes": {"control": scope, "experiment": scope}
    }]);
    let config = json!({
        "name": "seq", "judge": {"name": "NetflixACAJudge-v1.0"},
        "metrics": [{"name": "latency", "query": {"type": "prometheus"}, "groups": ["latency"],
                     "analysisConfigurations": {"canary": canary}}],
        "classifier": {"groupWeights": {"latency": 100}}
    });
    std::fs::create_dir_all(dir).expect("dir");
    let (c, p) = (dir.join("config.json"), dir.join("pairs.json"));
    std::fs::write(&c, config.to_string()).expect("write");
    std::fs::write(&p, pairs.to_string()).expect("write");
    (c, p)
}

fn replay(config: &Path, pairs: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_canary-judge"))
        .arg("replay")
        .arg("--config")
        .arg(config)
        .arg("--pairs")
        .arg(pairs)
        .args(["--pass", "95", "--marginal", "75", "--sequential"])
        .args(extra)
        .output()
        .expect("runs")
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("canary-judge-seq-{name}-{}", std::process::id()))
}

#[test]
fn stops_at_the_first_look_that_shows_a_regression() {
    let dir = temp("fail");
    let (config, pairs) = write_recording(&dir, 120, 1.6, json!({"direction": "increase"}));
    let out = replay(&config, &pairs, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let stop = text
        .lines()
        .find(|l| l.starts_with("stopped at look"))
        .expect(&text);
    assert!(
        stop.contains("FAIL now — Fail now: latency: fail now:"),
        "{stop}"
    );
    let look: usize = stop["stopped at look ".len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("look number");
    assert!(look <= 20, "{text}");
    // One table row per look up to the stop, the last one the stop.
    assert_eq!(
        text.lines().filter(|l| l.contains("continue")).count(),
        look - 1
    );

    // Every 5 minutes: the stop is at a multiple of 5 minutes, no earlier than every step's.
    let out = replay(&config, &pairs, &["--look-every-mins", "5", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["stop"]["decision"], "fail-now");
    let minutes = json["stop"]["minutes"].as_i64().expect("minutes");
    assert_eq!(minutes % 5, 0);
    assert!(minutes as usize >= look);
    let looks = json["looks"].as_array().expect("looks");
    assert_eq!(looks.len() as i64, minutes / 5);
    assert_eq!(
        looks[0]["result"]["judgeName"],
        "canary-judge-sequential-v1"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn passes_early_with_a_margin_and_continues_without_one() {
    let dir = temp("pass");
    let margin = json!({"effectSize": {"allowedIncrease": 1.2, "allowedDecrease": 0.8},
                        "sequential": {"quantiles": [0.5, 0.9]}});
    let (config, pairs) = write_recording(&dir, 240, 1.0, margin);
    let out = replay(&config, &pairs, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("PASS now — Pass now:"), "{text}");

    let (config, pairs) = write_recording(&dir, 30, 1.0, json!({}));
    let out = replay(&config, &pairs, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(
            "no stop after 30 looks (30 minutes): still Continue — Continue: more data needed"
        ),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_options_are_refused() {
    let config = root().join("fixtures/replay/nab-latency-config.json");
    let pairs = root().join("fixtures/replay/nab-latency-pairs.json");
    let out = replay(&config, &pairs, &["--look-every-mins", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--look-every-mins"));
    let out = replay(&config, &pairs, &["--judge", "canary-judge-v1"]);
    assert_eq!(out.status.code(), Some(2));
    // The shipped recording (12 five-minute points of a 25% slower canary in its second hour)
    // replays; with so few points the anytime-valid judge does not stop.
    let out = replay(&config, &pairs, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("look  data up to"), "{text}");
}

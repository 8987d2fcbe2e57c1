//! How often each judge raises a false alarm on healthy canaries and how often it catches a
//! regression, on real recorded series (`fixtures/nab/`, NAB, MIT licence):
//!
//! ```text
//! cargo run --release --example evaluate -- [TRIALS] [SEED] [V1_SETTINGS]
//! ```
//!
//! `V1_SETTINGS` is JSON for `canary-judge-v1`'s `analysisConfigurations.canary` on the
//! continuous metrics (default `{}`), e.g. `'{"effectSize": {"allowedIncrease": 1.05,
//! "allowedDecrease": 0.95}}'`, to see how a margin trades false alarms for detection.
//!
//! A canary is built from one series, as a canary runs beside its baseline: a stretch of 2n
//! consecutive points (outside NAB's labelled anomaly windows) is dealt at random into two halves,
//! baseline and canary, so both sides see the same load at the same time. A harsher no-change
//! row splits the stretch into even and odd points instead: several NAB CPU series alternate
//! between two levels every step, so their sides then really differ, as two hosts out of phase
//! would.
//! Then, on the canary side only:
//! - **no change**: nothing (every alarm is false);
//! - **level shift +x%**: every canary point × (1 + x);
//! - **tail ×k**: the canary's points above its own 80th percentile move k times as far above it
//!   (the median is untouched);
//! - **errors ×k**: zero-inflated error counts drawn from a Poisson law with mean
//!   `rate × requests` per interval (requests from NAB's request-count and taxi series, the
//!   baseline's rate set so that it sees 0.1 errors per interval on average), the canary's rate
//!   k times the baseline's; ×1 is the no-change case for counts.
//!
//! Both judges run with their defaults (Kayenta's `NetflixACAJudge-v1.0`, and `canary-judge-v1`
//! with `auto`); for error counts `canary-judge-v1` runs twice, on the counts alone and with the
//! requests named as `denominator`. A canary "alarms" when its verdict is not Pass (one metric per
//! canary, thresholds 95/75). Every draw comes from one seeded generator: same arguments, same
//! table.

use canary_judge::judge::judge_with;
use canary_judge::{JudgeRequest, Verdict};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Knuth's method (the means here are small).
    fn poisson(&mut self, mean: f64) -> f64 {
        let limit = (-mean).exp();
        let (mut k, mut p) = (0.0, self.uniform());
        while p > limit {
            k += 1.0;
            p *= self.uniform();
        }
        k
    }
}

struct Series {
    name: String,
    timestamps: Vec<String>,
    values: Vec<f64>,
    /// Labelled anomaly windows `[start, end]` (same timestamp format, compared as text).
    anomalies: Vec<(String, String)>,
}

impl Series {
    /// A start index of `len` consecutive points that overlap no anomaly window.
    fn clean_start(&self, len: usize, rng: &mut Rng) -> Option<usize> {
        if self.values.len() < len {
            return None;
        }
        for _ in 0..100 {
            let start = rng.below(self.values.len() - len + 1);
            let (a, b) = (&self.timestamps[start], &self.timestamps[start + len - 1]);
            let overlaps = self
                .anomalies
                .iter()
                .any(|(s, e)| a.as_str() <= e.as_str() && b.as_str() >= s.as_str());
            if !overlaps {
                return Some(start);
            }
        }
        None
    }
}

fn load(root: &Path) -> Result<Vec<Series>, Box<dyn std::error::Error>> {
    let windows: Value = serde_json::from_str(&std::fs::read_to_string(
        root.join("combined_windows.json"),
    )?)?;
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for dir in ["realAWSCloudwatch", "realKnownCause"] {
        for entry in std::fs::read_dir(root.join("data").join(dir))? {
            let path = entry?.path();
            let name = format!(
                "{dir}/{}",
                path.file_name().unwrap_or_default().to_string_lossy()
            );
            files.push((name, path));
        }
    }
    files.push((
        "realKnownCause/ec2_request_latency_system_failure.csv".into(),
        root.join("ec2_request_latency_system_failure.csv"),
    ));
    files.sort();
    let mut out = Vec::new();
    for (name, path) in files {
        let text = std::fs::read_to_string(&path)?;
        let mut timestamps = Vec::new();
        let mut values = Vec::new();
        for (line, row) in text.lines().enumerate().skip(1) {
            let (t, v) = row.split_once(',').ok_or_else(|| {
                format!("{}:{}: expected timestamp,value", path.display(), line + 1)
            })?;
            timestamps.push(t.to_string());
            values.push(
                v.trim()
                    .parse::<f64>()
                    .map_err(|e| format!("{}:{}: {e}", path.display(), line + 1))?,
            );
        }
        let anomalies = windows
            .get(&name)
            .and_then(Value::as_array)
            .map(|ws| {
                ws.iter()
                    .filter_map(|w| {
                        Some((
                            w.get(0)?.as_str()?.to_string(),
                            w.get(1)?.as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(Series {
            name,
            timestamps,
            values,
            anomalies,
        });
    }
    Ok(out)
}

/// `len` consecutive points from `start`, dealt at random into two halves (each kept in time
/// order): baseline and canary then see the same load over the same time.
fn split(values: &[f64], start: usize, len: usize, rng: &mut Rng) -> (Vec<f64>, Vec<f64>) {
    let mut order: Vec<usize> = (0..len).collect();
    for i in (1..len).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let (a, b) = order.split_at(len / 2);
    let side = |idx: &[usize]| {
        let mut idx = idx.to_vec();
        idx.sort_unstable();
        idx.iter().map(|&i| values[start + i]).collect::<Vec<f64>>()
    };
    (side(a), side(b))
}

/// The even and odd points of `len` consecutive points from `start`: a harsher no-change case,
/// since a metric with a period of two steps then differs between the sides.
fn interleave(values: &[f64], start: usize, len: usize) -> (Vec<f64>, Vec<f64>) {
    let window = &values[start..start + len];
    (
        window.iter().step_by(2).copied().collect(),
        window.iter().skip(1).step_by(2).copied().collect(),
    )
}

fn request(judge: &str, pairs: Vec<(&str, Value, &[f64], &[f64])>) -> JudgeRequest {
    let metrics: Vec<Value> = pairs
        .iter()
        .map(|(name, canary, _, _)| {
            json!({"name": name, "query": {}, "groups": ["g"], "analysisConfigurations": {"canary": canary}})
        })
        .collect();
    let body = json!({
        "canaryConfig": {"judge": {"name": judge}, "classifier": {"groupWeights": {}}, "metrics": metrics},
        "scoreThresholds": {"pass": 95, "marginal": 75},
        "metricSetPairList": pairs.iter().map(|(name, _, c, e)| json!({
            "name": name, "tags": {}, "values": {"control": c, "experiment": e}
        })).collect::<Vec<_>>(),
    });
    serde_json::from_value(body).unwrap_or_default()
}

/// True when the judge's verdict is not Pass (errors count as alarms, and are reported).
fn alarms(req: &JudgeRequest, errors: &mut usize) -> bool {
    match judge_with(None, req) {
        Ok(r) => r.score.classification != Verdict::Pass,
        Err(_) => {
            *errors += 1;
            true
        }
    }
}

/// A change made to the canary's points.
type Injection = Box<dyn Fn(&mut Vec<f64>)>;

#[derive(Default)]
struct Tally {
    kayenta: usize,
    v1: usize,
    v1_rate: usize,
    trials: usize,
}

fn row(label: &str, t: &Tally, with_rate: bool) {
    let pct = |k: usize| 100.0 * k as f64 / t.trials.max(1) as f64;
    let se = |k: usize| {
        let p = k as f64 / t.trials.max(1) as f64;
        100.0 * (p * (1.0 - p) / t.trials.max(1) as f64).sqrt()
    };
    let rate = if with_rate {
        format!("{:>6.1}% ± {:>3.1}", pct(t.v1_rate), se(t.v1_rate))
    } else {
        "         –".to_string()
    };
    println!(
        "| {label:<28} | {:>6} | {:>6.1}% ± {:>3.1} | {:>6.1}% ± {:>3.1} | {rate} |",
        t.trials,
        pct(t.kayenta),
        se(t.kayenta),
        pct(t.v1),
        se(t.v1)
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let trials: usize = args.first().map_or(Ok(1000), |a| a.parse())?;
    let seed: u64 = args.get(1).map_or(Ok(1), |a| a.parse())?;
    let v1_settings: Value = args
        .get(2)
        .map_or(Ok(json!({})), |a| serde_json::from_str(a))?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/nab");
    let series = load(&root)?;
    let traffic: Vec<&Series> = series
        .iter()
        .filter(|s| s.name.contains("elb_request_count") || s.name.contains("nyc_taxi"))
        .collect();
    let mut rng = Rng(seed);
    let mut errors = 0usize;
    println!(
        "canary-judge evaluation: {} NAB series, {trials} canaries per row (2× for no change), seed {seed}, v1 settings {v1_settings}",
        series.len()
    );
    println!("Alarm rate (verdict not Pass), ± one standard error.\n");
    for n in [60usize, 200] {
        println!("n = {n} points a side\n");
        println!("| canary                       | trials | Kayenta judge   | canary-judge-v1 | v1 + denominator |");
        println!("| ---------------------------- | -----: | --------------: | --------------: | ---------------: |");
        let continuous: Vec<(String, Injection, usize)> = vec![
            (
                "no change".into(),
                Box::new(|_: &mut Vec<f64>| {}),
                2 * trials,
            ),
            (
                "no change, even/odd split".into(),
                Box::new(|_: &mut Vec<f64>| {}),
                trials,
            ),
            (
                "level shift +5%".into(),
                Box::new(|c: &mut Vec<f64>| c.iter_mut().for_each(|v| *v *= 1.05)),
                trials,
            ),
            (
                "level shift +10%".into(),
                Box::new(|c: &mut Vec<f64>| c.iter_mut().for_each(|v| *v *= 1.10)),
                trials,
            ),
            (
                "level shift +20%".into(),
                Box::new(|c: &mut Vec<f64>| c.iter_mut().for_each(|v| *v *= 1.20)),
                trials,
            ),
            (
                "level shift +50%".into(),
                Box::new(|c: &mut Vec<f64>| c.iter_mut().for_each(|v| *v *= 1.50)),
                trials,
            ),
            (
                "tail ×2 (above p80)".into(),
                Box::new(|c: &mut Vec<f64>| stretch_tail(c, 2.0)),
                trials,
            ),
            (
                "tail ×4 (above p80)".into(),
                Box::new(|c: &mut Vec<f64>| stretch_tail(c, 4.0)),
                trials,
            ),
        ];
        for (label, inject, count) in &continuous {
            let mut t = Tally::default();
            while t.trials < *count {
                let s = &series[rng.below(series.len())];
                let Some(start) = s.clean_start(2 * n, &mut rng) else {
                    continue;
                };
                let (base, mut canary) = if label.contains("even/odd") {
                    interleave(&s.values, start, 2 * n)
                } else {
                    split(&s.values, start, 2 * n, &mut rng)
                };
                inject(&mut canary);
                t.trials += 1;
                let pairs = |settings: &Value| {
                    vec![("m", settings.clone(), base.as_slice(), canary.as_slice())]
                };
                t.kayenta += usize::from(alarms(
                    &request("NetflixACAJudge-v1.0", pairs(&json!({}))),
                    &mut errors,
                ));
                t.v1 += usize::from(alarms(
                    &request("canary-judge-v1", pairs(&v1_settings)),
                    &mut errors,
                ));
            }
            row(label, &t, false);
        }
        for k in [1.0, 2.0, 5.0, 10.0, 20.0] {
            let mut t = Tally::default();
            while t.trials < if k == 1.0 { 2 * trials } else { trials } {
                let s = traffic[rng.below(traffic.len())];
                let Some(start) = s.clean_start(2 * n, &mut rng) else {
                    continue;
                };
                let scale = if s.name.contains("nyc_taxi") {
                    0.01
                } else {
                    1.0
                };
                let (mut req_b, mut req_c) = split(&s.values, start, 2 * n, &mut rng);
                req_b
                    .iter_mut()
                    .chain(req_c.iter_mut())
                    .for_each(|v| *v = (*v * scale).round().max(1.0));
                let mean_requests = req_b.iter().sum::<f64>() / n as f64;
                let rate = 0.1 / mean_requests;
                let err_b: Vec<f64> = req_b.iter().map(|r| rng.poisson(rate * r)).collect();
                let err_c: Vec<f64> = req_c.iter().map(|r| rng.poisson(k * rate * r)).collect();
                t.trials += 1;
                let alone = || vec![("errors", json!({}), err_b.as_slice(), err_c.as_slice())];
                t.kayenta += usize::from(alarms(
                    &request("NetflixACAJudge-v1.0", alone()),
                    &mut errors,
                ));
                t.v1 += usize::from(alarms(&request("canary-judge-v1", alone()), &mut errors));
                let with_den = vec![
                    (
                        "errors",
                        json!({"denominator": "requests"}),
                        err_b.as_slice(),
                        err_c.as_slice(),
                    ),
                    (
                        "requests",
                        json!({"muted": true}),
                        req_b.as_slice(),
                        req_c.as_slice(),
                    ),
                ];
                t.v1_rate +=
                    usize::from(alarms(&request("canary-judge-v1", with_den), &mut errors));
            }
            let label = if k == 1.0 {
                "errors, no change".to_string()
            } else {
                format!("errors ×{k}")
            };
            row(&label, &t, true);
        }
        println!();
    }
    if errors > 0 {
        println!("{errors} judgements returned an error (counted as alarms)");
    }
    Ok(())
}

/// Moves the points above the 80th percentile `k` times as far above it.
fn stretch_tail(values: &mut [f64], k: f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let p80 = sorted[(sorted.len() * 4) / 5];
    for v in values.iter_mut() {
        if *v > p80 {
            *v = p80 + (*v - p80) * k;
        }
    }
}

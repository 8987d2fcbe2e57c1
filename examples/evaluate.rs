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

#[path = "common/nab.rs"]
mod nab;

use nab::{split, stretch_tail, Rng};

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
    let series = nab::load_fixtures()?;
    let traffic = nab::traffic(&series);
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
                let c = nab::error_canary(s, start, n, 0.1, k, &mut rng);
                let ((req_b, req_c), (err_b, err_c)) = (c.requests, c.errors);
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

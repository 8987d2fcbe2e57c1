//! How `canary-judge-sequential-v1` behaves when a controller asks at every look, next to a
//! fixed-sample Mann-Whitney test re-run at every look, in the same run on the same data:
//!
//! ```text
//! cargo run --release --example sequential -- [TRIALS] [SEED] [LOOKS] [POINTS_PER_LOOK]
//! ```
//!
//! Defaults: 200 canaries per row, seed 1, 120 looks, 2 points a side per look (240 a side at
//! the end). Every draw comes from one seeded generator: same arguments, same table.
//!
//! Canaries, as `examples/evaluate.rs` builds them:
//! - **NAB** rows: a stretch of consecutive points of one recorded series (`fixtures/nab/`, NAB,
//!   MIT licence; outside its labelled anomaly windows) dealt at random into baseline and canary,
//!   each kept in time order; look `t` sees the first `t × POINTS_PER_LOOK` points of each side.
//! - **synthetic** rows: log-normal latencies (median 100, σ = 0.3), independent draws.
//! - injected on the canary only: level shifts (every point × (1 + x)); tail changes (points
//!   above the canary's own 80th percentile moved k times as far above it; the median does not
//!   move); error counts per interval drawn from a Poisson law with mean `rate × requests`
//!   (requests from NAB's request-count and taxi series; the baseline sees 0.5 errors per
//!   interval on average), the canary's rate k times the baseline's, judged as a `count` metric
//!   with the requests as denominator.
//!
//! Columns:
//! - **seq. Fail-now**: canaries the sequential judge (α = 0.05, defaults: no margin,
//!   `direction: increase`, quantiles p50/p90/p99) failed at some look: false alarms on the
//!   no-change rows, detections otherwise; **median look** of those stops.
//! - **seq. Pass-now (+25%)**: on the no-change rows, the same data judged with an allowed
//!   increase of 25% (quantiles p50/p90; ×1.25 for counts): canaries passed early, and the median
//!   look at which they passed.
//! - **MW every look**: a fixed-sample two-sided Mann-Whitney test at 5% (normal approximation,
//!   tie-corrected) re-run at every look; an alarm at any look counts.
//! - **MW at the end**: the same test once, at the last look: a fixed-duration judgement.

use canary_judge::judge::judge_with;
use canary_judge::judge::sequential::SequentialDecision;
use canary_judge::model::{MetricSetPair, MetricSetPairValues};
use canary_judge::stats::{average_ranks, normal_quantile};
use canary_judge::JudgeRequest;
use serde_json::{json, Value};

#[path = "common/nab.rs"]
mod nab;

use nab::{split, stretch_tail, Rng};

/// Two-sided Mann-Whitney at 5% (normal approximation with the tie correction).
fn mann_whitney_rejects(a: &[f64], b: &[f64], z_crit: f64) -> bool {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let pooled: Vec<f64> = a.iter().chain(b).copied().collect();
    let ranks = average_ranks(&pooled);
    let w: f64 = ranks[..a.len()].iter().sum();
    let u = w - n1 * (n1 + 1.0) / 2.0;
    let n = n1 + n2;
    let mut sorted = pooled.clone();
    sorted.sort_by(f64::total_cmp);
    let mut ties = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j] == sorted[i] {
            j += 1;
        }
        let t = (j - i) as f64;
        ties += t * t * t - t;
        i = j;
    }
    let var = n1 * n2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)));
    if var <= 0.0 {
        return false;
    }
    ((u - n1 * n2 / 2.0) / var.sqrt()).abs() > z_crit
}

/// A request template for one canary: the metrics' configs, the pairs filled per look.
struct Judge {
    request: JudgeRequest,
}

impl Judge {
    fn new(metrics: &[(&str, Value)]) -> Self {
        let cfg = json!({
            "judge": {"name": "canary-judge-sequential-v1"},
            "classifier": {"groupWeights": {}},
            "metrics": metrics.iter().map(|(name, canary)| json!({
                "name": name, "query": {}, "groups": ["g"],
                "analysisConfigurations": {"canary": canary}
            })).collect::<Vec<_>>(),
        });
        let request = serde_json::from_value(json!({
            "canaryConfig": cfg,
            "scoreThresholds": {"pass": 95, "marginal": 75},
            "metricSetPairList": [],
        }))
        .unwrap_or_default();
        Judge { request }
    }

    /// The first look at which the judge stops, and how; `None` if it never does.
    fn first_stop(
        &mut self,
        sides: &[(&str, &[f64], &[f64])],
        looks: usize,
        per_look: usize,
    ) -> Option<(usize, SequentialDecision)> {
        for look in 1..=looks {
            let n = look * per_look;
            self.request.metric_set_pair_list = sides
                .iter()
                .map(|(name, b, c)| MetricSetPair {
                    name: name.to_string(),
                    values: MetricSetPairValues {
                        control: b[..n].to_vec(),
                        experiment: c[..n].to_vec(),
                    },
                    ..MetricSetPair::default()
                })
                .collect();
            let decision = match judge_with(None, &self.request) {
                Ok(r) => SequentialDecision::of_result(&r),
                Err(e) => {
                    eprintln!("judge error: {e}");
                    SequentialDecision::Continue
                }
            };
            if decision != SequentialDecision::Continue {
                return Some((look, decision));
            }
        }
        None
    }
}

#[derive(Default)]
struct Tally {
    trials: usize,
    fails: Vec<usize>,
    passes: Vec<usize>,
    mw_any: usize,
    mw_end: usize,
}

fn median(v: &[usize]) -> String {
    if v.is_empty() {
        return "–".into();
    }
    let mut s = v.to_vec();
    s.sort_unstable();
    format!("{}", s[s.len() / 2])
}

fn pct(k: usize, n: usize) -> String {
    let p = k as f64 / n.max(1) as f64;
    let se = (p * (1.0 - p) / n.max(1) as f64).sqrt();
    format!("{:5.1}% ± {:3.1}", 100.0 * p, 100.0 * se)
}

fn row(label: &str, t: &Tally, with_pass: bool) {
    let pass = if with_pass {
        format!(
            "{} | {:>6}",
            pct(t.passes.len(), t.trials),
            median(&t.passes)
        )
    } else {
        "            – |      –".to_string()
    };
    println!(
        "| {label:<26} | {:>6} | {} | {:>6} | {pass} | {} | {} |",
        t.trials,
        pct(t.fails.len(), t.trials),
        median(&t.fails),
        pct(t.mw_any, t.trials),
        pct(t.mw_end, t.trials),
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let trials: usize = args.first().map_or(Ok(200), |a| a.parse())?;
    let seed: u64 = args.get(1).map_or(Ok(1), |a| a.parse())?;
    let looks: usize = args.get(2).map_or(Ok(120), |a| a.parse())?;
    let per_look: usize = args.get(3).map_or(Ok(2), |a| a.parse())?;
    let n = looks * per_look;
    let z_crit = normal_quantile(0.975)?;
    let series = nab::load_fixtures()?;
    let traffic = nab::traffic(&series);
    let mut rng = Rng(seed);
    println!(
        "canary-judge-sequential-v1: {trials} canaries per row, seed {seed}, {looks} looks × {per_look} points a side ({n} at the end), α = 0.05"
    );
    println!("Rates ± one standard error; looks are 1…{looks}; the fixed-duration judgement is at look {looks}.\n");
    println!("| canary                     | trials | seq. Fail-now  | median look | seq. Pass-now (+25%) | median look | MW every look  | MW at the end  |");
    println!("| -------------------------- | -----: | -------------: | ----------: | -------------------: | ----------: | -------------: | -------------: |");

    let latency = json!({"direction": "increase"});
    let latency_margin = json!({"direction": "increase", "effectSize": {"allowedIncrease": 1.25},
                                "sequential": {"quantiles": [0.5, 0.9]}});
    type Inject = Box<dyn Fn(&mut Vec<f64>)>;
    let continuous: Vec<(&str, bool, Inject)> = vec![
        ("NAB no change", true, Box::new(|_| {})),
        ("synthetic no change", false, Box::new(|_| {})),
        (
            "NAB level shift +10%",
            true,
            Box::new(|c| c.iter_mut().for_each(|v| *v *= 1.10)),
        ),
        (
            "NAB level shift +25%",
            true,
            Box::new(|c| c.iter_mut().for_each(|v| *v *= 1.25)),
        ),
        (
            "NAB level shift +50%",
            true,
            Box::new(|c| c.iter_mut().for_each(|v| *v *= 1.50)),
        ),
        (
            "synthetic shift +10%",
            false,
            Box::new(|c| c.iter_mut().for_each(|v| *v *= 1.10)),
        ),
        (
            "NAB tail ×2 (above p80)",
            true,
            Box::new(|c| stretch_tail(c, 2.0)),
        ),
        (
            "NAB tail ×4 (above p80)",
            true,
            Box::new(|c| stretch_tail(c, 4.0)),
        ),
        (
            "synthetic tail ×2",
            false,
            Box::new(|c| stretch_tail(c, 2.0)),
        ),
    ];
    for (label, nab, inject) in &continuous {
        let no_change = label.contains("no change");
        let mut t = Tally::default();
        let mut judge = Judge::new(&[("latency", latency.clone())]);
        let mut judge_margin = Judge::new(&[("latency", latency_margin.clone())]);
        while t.trials < trials {
            let (base, mut canary) = if *nab {
                let s = &series[rng.below(series.len())];
                let Some(start) = s.clean_start(2 * n, &mut rng) else {
                    continue;
                };
                split(&s.values, start, 2 * n, &mut rng)
            } else {
                let mut draw = || 100.0 * (0.3 * rng.normal()).exp();
                let b: Vec<f64> = (0..n).map(|_| draw()).collect();
                let c: Vec<f64> = (0..n).map(|_| draw()).collect();
                (b, c)
            };
            // The injected change applies to the whole canary; each look sees its prefix.
            inject(&mut canary);
            t.trials += 1;
            let sides = [("latency", base.as_slice(), canary.as_slice())];
            if let Some((look, SequentialDecision::FailNow)) =
                judge.first_stop(&sides, looks, per_look)
            {
                t.fails.push(look);
            }
            if no_change {
                if let Some((look, SequentialDecision::PassNow)) =
                    judge_margin.first_stop(&sides, looks, per_look)
                {
                    t.passes.push(look);
                }
            }
            t.mw_any += usize::from((1..=looks).any(|look| {
                let m = look * per_look;
                mann_whitney_rejects(&base[..m], &canary[..m], z_crit)
            }));
            t.mw_end += usize::from(mann_whitney_rejects(&base, &canary, z_crit));
        }
        row(label, &t, no_change);
    }

    for k in [1.0, 2.0, 5.0, 20.0] {
        let mut t = Tally::default();
        let mut judge = Judge::new(&[
            ("errors", json!({"denominator": "requests"})),
            ("requests", json!({"muted": true})),
        ]);
        let mut judge_margin = Judge::new(&[
            (
                "errors",
                json!({"denominator": "requests", "effectSize": {"allowedIncrease": 1.25}}),
            ),
            ("requests", json!({"muted": true})),
        ]);
        while t.trials < trials {
            let s = traffic[rng.below(traffic.len())];
            let Some(start) = s.clean_start(2 * n, &mut rng) else {
                continue;
            };
            let c = nab::error_canary(s, start, n, 0.5, k, &mut rng);
            let ((req_b, req_c), (err_b, err_c)) = (c.requests, c.errors);
            t.trials += 1;
            let sides = [
                ("errors", err_b.as_slice(), err_c.as_slice()),
                ("requests", req_b.as_slice(), req_c.as_slice()),
            ];
            if let Some((look, SequentialDecision::FailNow)) =
                judge.first_stop(&sides, looks, per_look)
            {
                t.fails.push(look);
            }
            if k == 1.0 {
                if let Some((look, SequentialDecision::PassNow)) =
                    judge_margin.first_stop(&sides, looks, per_look)
                {
                    t.passes.push(look);
                }
            }
            t.mw_any += usize::from((1..=looks).any(|look| {
                let m = look * per_look;
                mann_whitney_rejects(&err_b[..m], &err_c[..m], z_crit)
            }));
            t.mw_end += usize::from(mann_whitney_rejects(&err_b, &err_c, z_crit));
        }
        let label = if k == 1.0 {
            "NAB errors, no change".to_string()
        } else {
            format!("NAB errors ×{k}")
        };
        row(&label, &t, k == 1.0);
    }
    Ok(())
}

//! `canary-judge backtest`: how would a config behave on this service's own healthy history?
//!
//! From recorded history with no deployment in it, the command draws pairs of windows (seeded,
//! reproducible): baseline from one stretch, canary from another, non-overlapping. Judged as they
//! are, they measure the **false-alarm rate** (a metric called High or Low although nothing
//! changed; a canary not passing). With a regression injected into the canary window (level
//! shift +x%; the top tenth of values scaled: a tail change; or, on count metrics, the event rate
//! multiplied by k: extra events drawn from a Poisson law) they measure the **detection rate**. Where a metric raises too many false alarms, it suggests the effect-size margin that
//! would have kept 95% of the no-change splits quiet.

use crate::files::read;
use canary_judge::model::{CanaryConfig, Classification, MetricSetPair, MetricSetPairValues};
use canary_judge::source::csv::parse_series;
use canary_judge::{judge_with, JudgeRequest, Verdict};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `canary-judge backtest`.
#[derive(Debug, Args)]
pub(crate) struct BacktestArgs {
    /// The canary config.
    #[arg(long)]
    config: PathBuf,
    /// A metric's healthy history as CSV (`timestamp,value` rows): `METRIC=FILE.csv`; repeatable.
    #[arg(long = "history", value_name = "METRIC=FILE.csv", required = true)]
    history: Vec<String>,
    /// Points per window (each side).
    #[arg(long, default_value_t = 60)]
    window_points: usize,
    /// Splits drawn per scenario.
    #[arg(long, default_value_t = 200)]
    trials: usize,
    /// Seed of the draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Injected level shifts, in percent, comma-separated.
    #[arg(long, default_value = "5,10,25,50", value_delimiter = ',')]
    shift_pct: Vec<f64>,
    /// Scale factor of the injected tail change (the canary's top tenth multiplied by it).
    #[arg(long, default_value_t = 2.0)]
    tail_factor: f64,
    /// Injected event-rate factors for count metrics (histories of whole numbers ≥ 0, e.g.
    /// errors per interval), comma-separated: each canary point gets Poisson((k − 1) × the
    /// window's mean rate) extra events. Other metrics are left as they are in these scenarios.
    #[arg(long, default_value = "2,5,10", value_delimiter = ',')]
    error_factor: Vec<f64>,
    /// Pass threshold.
    #[arg(long, default_value_t = 95.0)]
    pass: f64,
    /// Marginal threshold.
    #[arg(long, default_value_t = 75.0)]
    marginal: f64,
    /// A metric's false-alarm rate above this (in percent) gets a suggested margin.
    #[arg(long, default_value_t = 5.0)]
    max_false_alarm_pct: f64,
}

/// splitmix64: seeded, reproducible draws.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A Poisson draw: Knuth's product method for small means, a rounded normal (Box–Muller)
    /// above 30.
    fn poisson(&mut self, mean: f64) -> f64 {
        if mean.is_nan() || mean <= 0.0 {
            return 0.0;
        }
        if mean > 30.0 {
            let (u, v) = (self.uniform().max(f64::MIN_POSITIVE), self.uniform());
            let z = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos();
            return (mean + mean.sqrt() * z).round().max(0.0);
        }
        let limit = (-mean).exp();
        let (mut k, mut p) = (0.0, self.uniform());
        while p > limit {
            k += 1.0;
            p *= self.uniform();
        }
        k
    }
}

/// True for a history of counts: every finite value a whole number ≥ 0.
fn is_counts(values: &[f64]) -> bool {
    values
        .iter()
        .filter(|v| v.is_finite())
        .all(|v| *v >= 0.0 && v.fract() == 0.0)
}

/// A change applied to the canary window.
#[derive(Debug, Clone, Copy)]
enum Scenario {
    NoChange,
    Shift(f64),
    Tail(f64),
    EventRate(f64),
}

impl Scenario {
    fn label(self) -> String {
        match self {
            Scenario::NoChange => "no change".into(),
            Scenario::Shift(p) => format!("+{p}%"),
            // `{:e}` past a million: 1e308 would print as 309 digits.
            Scenario::Tail(f) if f.abs() >= 1e6 => format!("tail ×{f:e}"),
            Scenario::Tail(f) => format!("tail ×{f}"),
            Scenario::EventRate(k) => format!("events ×{k}"),
        }
    }

    /// Applies the change to one metric's canary window; `counts` says whether the metric's
    /// history is counts, `rng` draws the extra events.
    fn apply(self, window: &mut [f64], counts: bool, rng: &mut Rng) {
        match self {
            Scenario::NoChange => {}
            Scenario::EventRate(k) => {
                if !counts {
                    return;
                }
                let finite: Vec<f64> = window.iter().copied().filter(|v| v.is_finite()).collect();
                let rate = finite.iter().sum::<f64>() / finite.len().max(1) as f64;
                for v in window.iter_mut().filter(|v| v.is_finite()) {
                    *v += rng.poisson((k - 1.0) * rate);
                }
            }
            Scenario::Shift(p) => window.iter_mut().for_each(|v| *v *= 1.0 + p / 100.0),
            Scenario::Tail(f) => {
                let mut sorted: Vec<f64> =
                    window.iter().copied().filter(|v| v.is_finite()).collect();
                sorted.sort_by(f64::total_cmp);
                if let Some(&cut) = sorted.get(sorted.len() * 9 / 10) {
                    window
                        .iter_mut()
                        .filter(|v| **v >= cut)
                        .for_each(|v| *v *= f);
                }
            }
        }
    }
}

/// Counts for one scenario.
#[derive(Default, Clone)]
struct Tally {
    per_metric_flagged: Vec<usize>,
    canary_not_passing: usize,
    /// |mean ratio − 1| of each no-change split, per metric.
    ratio_spread: Vec<Vec<f64>>,
}

fn pct(count: usize, of: usize) -> f64 {
    100.0 * count as f64 / of.max(1) as f64
}

/// Runs the command: 0 when every metric's false-alarm rate is within the limit, 1 otherwise,
/// 2 for invalid input.
pub(crate) fn run(args: &BacktestArgs) -> ExitCode {
    match backtest(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("canary-judge: invalid input: {e}");
            ExitCode::from(2)
        }
    }
}

fn backtest(args: &BacktestArgs) -> Result<bool, String> {
    let config: CanaryConfig = canary_judge::parse_json(&read(&args.config)?)
        .map_err(|e| format!("{}: {e}", args.config.display()))?;
    let mut histories: Vec<(String, Vec<f64>)> = Vec::new();
    for spec in &args.history {
        let (metric, file) = spec
            .split_once('=')
            .ok_or_else(|| format!("--history {spec:?}: expected METRIC=FILE.csv"))?;
        if !config.metrics.iter().any(|m| m.name == metric) {
            return Err(format!(
                "--history: the config has no metric named '{metric}'"
            ));
        }
        let series = parse_series(&read(Path::new(file))?).map_err(|e| format!("{file}: {e}"))?;
        histories.push((metric.to_string(), series.values));
    }
    let w = args.window_points;
    let shortest = histories.iter().map(|(_, v)| v.len()).min().unwrap_or(0);
    if w < 2 || shortest < 2 * w {
        return Err(format!(
            "each history needs at least two windows of --window-points {w} (the shortest has {shortest} points)"
        ));
    }
    if args.trials == 0 {
        return Err("--trials must be at least 1".into());
    }
    let thresholds = crate::options::thresholds(args.pass, args.marginal)?;
    use crate::options::check;
    for &p in &args.shift_pct {
        check("--shift-pct", p, |p| p > -100.0, "a percentage above -100")?;
    }
    check(
        "--tail-factor",
        args.tail_factor,
        |f| f > 0.0,
        "a positive factor",
    )?;
    for &k in &args.error_factor {
        check(
            "--error-factor",
            k,
            |k| (1.0..=1000.0).contains(&k),
            "a factor from 1 to 1000",
        )?;
    }
    check(
        "--max-false-alarm-pct",
        args.max_false_alarm_pct,
        |p| (0.0..=100.0).contains(&p),
        "a percentage from 0 to 100",
    )?;
    let mut scenarios = vec![Scenario::NoChange];
    scenarios.extend(args.shift_pct.iter().map(|&p| Scenario::Shift(p)));
    scenarios.push(Scenario::Tail(args.tail_factor));
    let counts: Vec<bool> = histories.iter().map(|(_, v)| is_counts(v)).collect();
    if counts.iter().any(|&c| c) {
        scenarios.extend(args.error_factor.iter().map(|&k| Scenario::EventRate(k)));
    }
    if args
        .error_factor
        .iter()
        .any(|k| !(k.is_finite() && *k >= 1.0))
    {
        return Err("--error-factor values must be numbers ≥ 1".into());
    }

    // The same seeded splits for every scenario, so rates are comparable.
    let mut rng = Rng(args.seed);
    let splits: Vec<(usize, usize)> = (0..args.trials)
        .map(|_| {
            // Two non-overlapping windows: the baseline, then the canary somewhere after it.
            let a = rng.below(shortest - 2 * w + 1);
            let b = a + w + rng.below(shortest - a - 2 * w + 1);
            (a, b)
        })
        .collect();

    let mut tallies = Vec::new();
    for (scenario_index, scenario) in scenarios.iter().enumerate() {
        let mut tally = Tally {
            per_metric_flagged: vec![0; histories.len()],
            ratio_spread: vec![Vec::new(); histories.len()],
            ..Tally::default()
        };
        // Splits are independent: judged across cores, then counted in order.
        let judged: Vec<Result<canary_judge::CanaryJudgeResult, String>> = {
            use rayon::prelude::*;
            splits
                .par_iter()
                .enumerate()
                .map(|(split_index, &(a, b))| {
                    // Each split draws its own events from a seed of its own, so results do
                    // not depend on how the splits are shared between threads.
                    let mut draws = Rng(args.seed
                        ^ (split_index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                        ^ (scenario_index as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
                    let pairs: Vec<MetricSetPair> = histories
                        .iter()
                        .zip(&counts)
                        .map(|((name, values), &is_counts)| {
                            let mut canary = values[b..b + w].to_vec();
                            scenario.apply(&mut canary, is_counts, &mut draws);
                            MetricSetPair {
                                name: name.clone(),
                                values: MetricSetPairValues {
                                    control: values[a..a + w].to_vec(),
                                    experiment: canary,
                                },
                                ..MetricSetPair::default()
                            }
                        })
                        .collect();
                    let request = JudgeRequest {
                        canary_config: config.clone(),
                        score_thresholds: thresholds,
                        metric_set_pair_list: pairs,
                    };
                    judge_with(None, &request).map_err(|e| match e {
                        // Only the injected change can make a recorded value infinite.
                        canary_judge::JudgeError::NonFiniteValue { metric, .. } => format!(
                            "the scenario {} makes metric '{metric}' overflow to ±∞: inject a \
                             smaller change",
                            scenario.label()
                        ),
                        other => other.to_string(),
                    })
                })
                .collect()
        };
        for result in judged {
            let result = result?;
            if result.score.classification != Verdict::Pass {
                tally.canary_not_passing += 1;
            }
            for (k, r) in result.results.iter().enumerate() {
                if matches!(r.classification, Classification::High | Classification::Low) {
                    tally.per_metric_flagged[k] += 1;
                }
                if let Some(ratio) = r
                    .result_metadata
                    .as_ref()
                    .map(|m| m.ratio)
                    .filter(|x| x.is_finite())
                {
                    tally.ratio_spread[k].push((ratio - 1.0).abs());
                }
            }
        }
        tallies.push(tally);
    }

    let n = args.trials;
    println!(
        "backtest: {} splits of {} points a side, seed {}, thresholds pass {} / marginal {}",
        n, w, args.seed, args.pass, args.marginal
    );
    let header: Vec<String> = scenarios.iter().map(|s| s.label()).collect();
    println!(
        "{:<20} {}",
        "metric: High/Low %",
        header
            .iter()
            .map(|h| format!("{h:>11}"))
            .collect::<String>()
    );
    let mut quiet = true;
    for (k, (name, _)) in histories.iter().enumerate() {
        let cells: String = tallies
            .iter()
            .map(|t| format!("{:>10.1}%", pct(t.per_metric_flagged[k], n)))
            .collect();
        println!("{name:<20} {cells}");
        let false_alarms = pct(tallies[0].per_metric_flagged[k], n);
        if false_alarms > args.max_false_alarm_pct {
            quiet = false;
            let mut spread = tallies[0].ratio_spread[k].clone();
            spread.sort_by(f64::total_cmp);
            if let Some(&p95) =
                spread.get((spread.len() * 95 / 100).min(spread.len().saturating_sub(1)))
            {
                println!(
                    "  ↳ {false_alarms:.1}% false alarms: with effectSize allowedIncrease {:.3} and allowedDecrease {:.3} (the 95th percentile of the no-change mean ratios) 95% of these splits would have passed",
                    1.0 + p95,
                    1.0 / (1.0 + p95)
                );
            }
        }
    }
    let canary: String = tallies
        .iter()
        .map(|t| format!("{:>10.1}%", pct(t.canary_not_passing, n)))
        .collect();
    println!("{:<20} {canary}", "canary not Pass");
    let se = (pct(tallies[0].canary_not_passing, n) / 100.0
        * (1.0 - pct(tallies[0].canary_not_passing, n) / 100.0)
        / n as f64)
        .sqrt()
        * 100.0;
    println!(
        "false-alarm rate of the canary: {:.1}% ± {:.1}% (one standard error)",
        pct(tallies[0].canary_not_passing, n),
        se
    );
    Ok(quiet)
}

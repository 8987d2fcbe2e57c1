//! Judge performance (issue: one sort per metric, then linear work).
//!
//! - `interval/<n>`: the Mann-Whitney interval and estimate of one metric, sorting both sides
//!   included (copy, sort, [`kayenta_interval`]): the figure the 2× target is about.
//! - `classify/<n>`: one metric's classification (transform, sort, Mann-Whitney interval and
//!   estimate, effect size, stats) at n = m, next to `sort_2n/<n>`, a plain
//!   `sort_unstable_by(f64::total_cmp)` of the same 2n values, and `direct/<n>`, the interval by
//!   re-ranking the pooled sample at every z-function evaluation (the test oracle; run up to
//!   n = 100 000, as it costs dozens of full sorts).
//! - `request_20x60`: parse + judge + serialise a typical remote-judge request: the same request
//!   every iteration (`20x60_parse_judge_serialize`), and [`DISTINCT_REQUESTS`] different ones
//!   in turn (`20x60_distinct`). Judging the same data thousands of times trains the
//!   processor's branch predictor on it; distinct requests, as a service sees them, cost more.
//! - `metric_distinct/interval/<n>` and `metric_distinct/sort_2n/<n>`: the interval and the
//!   plain sort as above, on [`DISTINCT_SETS`] different data sets in turn: the interval's
//!   passes and sorts meet data the branch predictor has not learned, as they do in use.
//! - `metric_kinds/interval/<kind>` and `metric_kinds/sort_2n/<kind>`: the same at 1 000 points
//!   on other kinds of series ([`data::KINDS`]: continuous, on a coarse grid, small counts, 0/1
//!   flags…), where ties and few distinct values make the plain sort fast.
//! - `side/<n>`: one side sorted as the interval sorts it (`SortedSample::new`: integer keys,
//!   bucketed from 256 to 8 192 values), next to `side_std/<n>`, a plain
//!   `sort_unstable_by(f64::total_cmp)` of the same values, both from a copy.
//!
//! After criterion's own report, a table of ratios is printed from its estimates.

mod data;

use canary_judge::judge::{
    ClassifyArgs, CleanSeries, MannWhitneyClassifier, MetricLabels, MetricSettings, NanStrategy,
};
use canary_judge::stats::{kayenta_interval, kayenta_interval_direct, SortedSample};
use canary_judge::{judge, parse_request};
use criterion::measurement::WallTime;
use criterion::{black_box, BenchmarkGroup, BenchmarkId, Criterion};
use std::time::Duration;

const SIZES: [usize; 5] = [60, 1_000, 10_000, 100_000, 1_000_000];
const DIRECT_MAX: usize = 100_000;

fn inputs(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut rng = data::Rng::new(7 + n as u64);
    (
        data::latency(&mut rng, n, 100.0),
        data::latency(&mut rng, n, 102.0),
    )
}

fn classify(control: &[f64], experiment: &[f64]) -> canary_judge::model::Classification {
    let settings = MetricSettings::default();
    let (e, c) = CleanSeries::prepare_pair(experiment, control, NanStrategy::Remove, None);
    MannWhitneyClassifier::for_judge(&settings)
        .classify(
            &c,
            &e,
            ClassifyArgs::from(&settings),
            MetricLabels::judge("m"),
        )
        .map(|r| r.classification)
        .unwrap_or(canary_judge::model::Classification::Error)
}

/// The reference: a plain sort of both sides' values together.
fn sort_2n(control: &[f64], experiment: &[f64]) -> Vec<f64> {
    let mut all: Vec<f64> = control.iter().chain(experiment).copied().collect();
    all.sort_unstable_by(f64::total_cmp);
    all
}

/// The interval and estimate from unsorted data: each side copied and sorted, then
/// [`kayenta_interval`].
fn interval(
    control: &[f64],
    experiment: &[f64],
) -> Result<canary_judge::stats::MannWhitneyInterval, canary_judge::stats::StatsError> {
    let x = SortedSample::new(experiment.to_vec()).expect("no NaN");
    let y = SortedSample::new(control.to_vec()).expect("no NaN");
    kayenta_interval(&x, &y, 0.98)
}

fn bench_classify(c: &mut Criterion) {
    let mut group = c.benchmark_group("metric");
    for &n in &SIZES {
        let (control, experiment) = inputs(n);
        if n >= 100_000 {
            group
                .sample_size(10)
                .measurement_time(Duration::from_secs(4));
        } else {
            group
                .sample_size(30)
                .measurement_time(Duration::from_secs(2));
        }
        group.bench_with_input(BenchmarkId::new("sort_2n", n), &n, |b, _| {
            b.iter(|| black_box(sort_2n(&control, &experiment)))
        });
        group.bench_with_input(BenchmarkId::new("interval", n), &n, |b, _| {
            b.iter(|| black_box(interval(&control, &experiment)))
        });
        group.bench_with_input(BenchmarkId::new("classify", n), &n, |b, _| {
            b.iter(|| black_box(classify(black_box(&control), black_box(&experiment))))
        });
        if n <= DIRECT_MAX {
            group.bench_with_input(BenchmarkId::new("direct", n), &n, |b, _| {
                b.iter(|| {
                    let x = SortedSample::new(experiment.clone()).expect("no NaN");
                    let y = SortedSample::new(control.clone()).expect("no NaN");
                    black_box(kayenta_interval_direct(&x, &y, 0.98))
                })
            });
        }
    }
    group.finish();
}

/// Sizes of the distinct-data benches.
const DISTINCT_SIZES: [usize; 2] = [1_000, 10_000];
/// Data sets the distinct-data benches take in turn.
const DISTINCT_SETS: usize = 16;

fn bench_distinct(c: &mut Criterion) {
    let mut group = c.benchmark_group("metric_distinct");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(2));
    for &n in &DISTINCT_SIZES {
        let sets: Vec<(Vec<f64>, Vec<f64>)> = (0..DISTINCT_SETS as u64)
            .map(|k| {
                let mut rng = data::Rng::new(1_000 + k);
                (
                    data::latency(&mut rng, n, 100.0),
                    data::latency(&mut rng, n, 102.0),
                )
            })
            .collect();
        bench_sets_in_turn(&mut group, n, &sets);
    }
    group.finish();
}

/// Size of the data-kind benches.
const KIND_SIZE: usize = 1_000;
/// Data sets each data-kind bench takes in turn; in every other, the experiment's level is 5%
/// higher.
const KIND_SETS: u64 = 8;

fn bench_kinds(c: &mut Criterion) {
    let mut group = c.benchmark_group("metric_kinds");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(1));
    for kind in data::KINDS {
        let sets: Vec<(Vec<f64>, Vec<f64>)> = (0..KIND_SETS)
            .map(|k| {
                let mut rng = data::Rng::new(2_000 + k);
                let shift = if k % 2 == 0 { 1.05 } else { 1.0 };
                (
                    data::kind(kind, &mut rng, KIND_SIZE, 1.0),
                    data::kind(kind, &mut rng, KIND_SIZE, shift),
                )
            })
            .collect();
        bench_sets_in_turn(&mut group, kind, &sets);
    }
    group.finish();
}

/// `sort_2n/<param>` and `interval/<param>` in `group`, each taking the data sets in turn.
fn bench_sets_in_turn(
    group: &mut BenchmarkGroup<'_, WallTime>,
    param: impl std::fmt::Display,
    sets: &[(Vec<f64>, Vec<f64>)],
) {
    bench_in_turn(group, BenchmarkId::new("sort_2n", &param), sets, sort_2n);
    bench_in_turn(group, BenchmarkId::new("interval", &param), sets, interval);
}

fn bench_in_turn<R>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: BenchmarkId,
    sets: &[(Vec<f64>, Vec<f64>)],
    f: impl Fn(&[f64], &[f64]) -> R,
) {
    let mut next = 0;
    group.bench_function(id, |b| {
        b.iter(|| {
            next = (next + 1) % sets.len();
            let (control, experiment) = &sets[next];
            black_box(f(control, experiment))
        })
    });
}

/// Sizes of the one-side sort benches: inside the bucketed range and just past it.
const SIDE_SIZES: [usize; 3] = [1_000, 5_000, 10_000];

fn bench_side(c: &mut Criterion) {
    let mut group = c.benchmark_group("sort");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(2));
    for &n in &SIDE_SIZES {
        let (control, _) = inputs(n);
        group.bench_with_input(BenchmarkId::new("side", n), &n, |b, _| {
            b.iter(|| black_box(SortedSample::new(control.clone()).expect("no NaN")))
        });
        group.bench_with_input(BenchmarkId::new("side_std", n), &n, |b, _| {
            b.iter(|| {
                let mut v = control.clone();
                v.sort_unstable_by(f64::total_cmp);
                black_box(v)
            })
        });
    }
    group.finish();
}

/// Different requests the `20x60_distinct` bench judges in turn.
const DISTINCT_REQUESTS: usize = 64;

fn bench_request(c: &mut Criterion) {
    let text = data::request_json(11, 20, 60);
    let mut group = c.benchmark_group("request");
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(3));
    group.bench_function("20x60_parse_only", |b| {
        b.iter(|| {
            let request = parse_request(black_box(&text)).expect("parses");
            black_box(request.metric_set_pair_list.len())
        })
    });
    group.bench_function("20x60_parse_judge_serialize", |b| {
        b.iter(|| {
            let request = parse_request(black_box(&text)).expect("parses");
            let result = judge(&request).expect("judges");
            black_box(serde_json::to_string(&result).expect("serialises"))
        })
    });
    let texts: Vec<String> = (0..DISTINCT_REQUESTS as u64)
        .map(|k| data::request_json(100 + k, 20, 60))
        .collect();
    let mut next = 0;
    group.bench_function("20x60_distinct", |b| {
        b.iter(|| {
            next = (next + 1) % texts.len();
            let request = parse_request(black_box(&texts[next])).expect("parses");
            let result = judge(&request).expect("judges");
            black_box(serde_json::to_string(&result).expect("serialises"))
        })
    });
    group.finish();
}

/// Criterion's point estimate (mean, ns) for a benchmark, read from its output folder.
fn estimate(path: &str) -> Option<f64> {
    let dir = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let file = format!("{dir}/criterion/{path}/new/estimates.json");
    let text = std::fs::read_to_string(file).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

/// The estimates of two benchmarks, when both ran.
fn estimates(a: &str, b: &str) -> Option<(f64, f64)> {
    estimate(a).zip(estimate(b))
}

fn print_table() {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("\nJudge performance ({cores} cores available; one core used)");
    println!(
        "{:>9} | {:>11} | {:>11} | {:>8} | {:>11} | {:>8} | {:>11} | {:>9}",
        "n = m", "sort 2n", "interval", "/sort", "classify", "/sort", "direct", "speed-up"
    );
    for &n in &SIZES {
        let sort = estimate(&format!("metric/sort_2n/{n}"));
        let interval = estimate(&format!("metric/interval/{n}"));
        let ours = estimate(&format!("metric/classify/{n}"));
        let direct = estimate(&format!("metric/direct/{n}"));
        let fmt = |v: Option<f64>| v.map_or("-".to_string(), |ns| format!("{:.3} ms", ns / 1e6));
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => format!("{:.2}×", a / b),
            _ => "-".to_string(),
        };
        println!(
            "{:>9} | {:>11} | {:>11} | {:>8} | {:>11} | {:>8} | {:>11} | {:>9}",
            n,
            fmt(sort),
            fmt(interval),
            ratio(interval, sort),
            fmt(ours),
            ratio(ours, sort),
            fmt(direct),
            ratio(direct, interval)
        );
    }
    let in_turn = DISTINCT_SIZES
        .iter()
        .map(|n| {
            let what = format!("n = m = {n}, {DISTINCT_SETS} latency-like data sets");
            ("metric_distinct", n.to_string(), what)
        })
        .chain(data::KINDS.iter().map(|kind| {
            let what = format!("n = m = {KIND_SIZE}, {KIND_SETS} {kind} data sets");
            ("metric_kinds", kind.to_string(), what)
        }));
    for (group, param, what) in in_turn {
        let interval_and_sort = estimates(
            &format!("{group}/interval/{param}"),
            &format!("{group}/sort_2n/{param}"),
        );
        if let Some((interval, sort)) = interval_and_sort {
            println!(
                "{what} in turn: interval {:.3} ms, sort 2n {:.3} ms ({:.2}×)",
                interval / 1e6,
                sort / 1e6,
                interval / sort
            );
        }
    }
    for (name, what) in [
        ("request/20x60_parse_only", "parse only"),
        (
            "request/20x60_parse_judge_serialize",
            "parse + judge + serialise",
        ),
        (
            "request/20x60_distinct",
            "parse + judge + serialise, 64 distinct requests in turn",
        ),
    ] {
        if let Some(ns) = estimate(name) {
            println!("request 20 metrics × 60 points, {what}: {:.1} µs", ns / 1e3);
        }
    }
    for &n in &SIDE_SIZES {
        if let Some((ours, plain)) =
            estimates(&format!("sort/side/{n}"), &format!("sort/side_std/{n}"))
        {
            println!(
                "one side of {n} sorted: {:.1} µs, sort_unstable_by(total_cmp) {:.1} µs ({:.2}×)",
                ours / 1e3,
                plain / 1e3,
                ours / plain
            );
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_classify(&mut c);
    bench_distinct(&mut c);
    bench_kinds(&mut c);
    bench_request(&mut c);
    bench_side(&mut c);
    c.final_summary();
    print_table();
}

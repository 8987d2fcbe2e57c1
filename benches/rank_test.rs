//! `rank_test` (R's `wilcox.test` with the Hodges–Lehmann interval, normal branch at these
//! sizes) at n = m, next to `sort_2n/<n>`: a plain `sort_unstable_by(f64::total_cmp)` of the same
//! 2n values, the cost every caller pays anyway to get sorted input.
//!
//! Inputs are seeded latency-like series rounded to 0.001 (so there are ties), sorted once
//! outside the timed loop. Run: `cargo bench -p canary-judge --bench rank_test`.

mod data;

use canary_judge::stats::rank_test;
use criterion::{black_box, BenchmarkId, Criterion};
use std::time::Duration;

const SIZES: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];

fn inputs(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut rng = data::Rng::new(11 + n as u64);
    let mut x = data::latency(&mut rng, n, 102.0);
    let mut y = data::latency(&mut rng, n, 100.0);
    x.sort_unstable_by(f64::total_cmp);
    y.sort_unstable_by(f64::total_cmp);
    (x, y)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("rank_test");
    for &n in &SIZES {
        let (x, y) = inputs(n);
        let pooled: Vec<f64> = x.iter().chain(&y).copied().collect();
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(if n >= 100_000 { 3 } else { 1 }))
            .warm_up_time(Duration::from_millis(300));
        group.bench_with_input(BenchmarkId::new("rank_test", n), &n, |b, _| {
            b.iter(|| rank_test(black_box(&x), black_box(&y), 0.95))
        });
        group.bench_with_input(BenchmarkId::new("sort_2n", n), &n, |b, _| {
            b.iter_batched_ref(
                || pooled.clone(),
                |v| v.sort_unstable_by(f64::total_cmp),
                criterion::BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}

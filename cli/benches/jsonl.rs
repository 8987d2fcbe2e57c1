//! `canary-judge judge --jsonl` throughput: 10 000 typical requests (20 metrics × 60 points a
//! side) through the release binary, on one thread and on every core.

#[path = "../../benches/data.rs"]
mod data;

use criterion::{BenchmarkId, Criterion, Throughput};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

const REQUESTS: usize = 10_000;

fn main() {
    let dir = std::env::temp_dir().join(format!("canary-judge-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("requests.jsonl");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        for k in 0..REQUESTS {
            writeln!(f, "{}", data::request_json(k as u64, 20, 60)).expect("write");
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut c = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .configure_from_args();
    let mut group = c.benchmark_group("jsonl");
    group.throughput(Throughput::Elements(REQUESTS as u64));
    for threads in [1, cores] {
        group.bench_with_input(BenchmarkId::new("threads", threads), &threads, |b, &t| {
            b.iter(|| {
                let status = Command::new(env!("CARGO_BIN_EXE_canary-judge"))
                    .args(["judge", "--jsonl", "--threads", &t.to_string()])
                    .arg(&path)
                    .stdout(Stdio::null())
                    .status()
                    .expect("runs");
                assert!(status.success());
            })
        });
    }
    group.finish();
    c.final_summary();
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "../target".into());
    println!(
        "\n--jsonl throughput, {REQUESTS} requests of 20 metrics × 60 points ({cores} cores):"
    );
    for threads in [1, cores] {
        let file = format!("{target}/criterion/jsonl/threads/{threads}/new/estimates.json");
        let mean = std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["mean"]["point_estimate"].as_f64());
        if let Some(ns) = mean {
            println!(
                "  {threads} thread(s): {:.2} s, {:.0} requests/s",
                ns / 1e9,
                REQUESTS as f64 / (ns / 1e9)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

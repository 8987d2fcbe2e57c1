//! Writes seeded remote-judge requests, one per line, for throughput and memory measurements:
//!
//! ```text
//! cargo run --release --example generate -- COUNT METRICS POINTS > requests.jsonl
//! ```
//!
//! Each request has METRICS latency-like metrics of POINTS points per side (the benches' inputs).

#[path = "../benches/data.rs"]
mod data;

use std::io::{BufWriter, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let [count, metrics, points] = args[..] else {
        return Err("usage: generate COUNT METRICS POINTS".into());
    };
    let mut out = BufWriter::new(std::io::stdout().lock());
    for k in 0..count {
        writeln!(out, "{}", data::request_json(k as u64, metrics, points))?;
    }
    out.flush()?;
    Ok(())
}

//! What `examples/evaluate.rs` and `examples/sequential.rs` share: a seeded generator, the NAB
//! series of `fixtures/nab/` with their labelled anomaly windows, and the ways canaries are
//! built from them.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// splitmix64: every draw of an evaluation comes from one seeded stream.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1): never 0, so its logarithm is finite.
    pub(crate) fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Standard normal (Box–Muller).
    #[allow(dead_code)]
    pub(crate) fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    /// Poisson by Knuth's method (the means here are small).
    pub(crate) fn poisson(&mut self, mean: f64) -> f64 {
        let limit = (-mean).exp();
        let (mut k, mut p) = (0.0, self.uniform());
        while p > limit {
            k += 1.0;
            p *= self.uniform();
        }
        k
    }
}

/// One recorded series.
pub(crate) struct Series {
    /// `realAWSCloudwatch/…csv` or `realKnownCause/…csv`, as NAB names it.
    pub(crate) name: String,
    pub(crate) timestamps: Vec<String>,
    pub(crate) values: Vec<f64>,
    /// Labelled anomaly windows `[start, end]` (same timestamp format, compared as text).
    pub(crate) anomalies: Vec<(String, String)>,
}

impl Series {
    /// A start index of `len` consecutive points that overlap no anomaly window.
    pub(crate) fn clean_start(&self, len: usize, rng: &mut Rng) -> Option<usize> {
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

/// Every series of the shipped `fixtures/nab/`, sorted by name, with its anomaly windows.
pub(crate) fn load_fixtures() -> Result<Vec<Series>, Box<dyn std::error::Error>> {
    load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/nab"))
}

/// The series that count traffic (ELB requests, taxi rides): denominators for error counts.
pub(crate) fn traffic(series: &[Series]) -> Vec<&Series> {
    series
        .iter()
        .filter(|s| s.name.contains("elb_request_count") || s.name.contains("nyc_taxi"))
        .collect()
}

/// Every series under `root` (`fixtures/nab/`), sorted by name, with its anomaly windows.
pub(crate) fn load(root: &Path) -> Result<Vec<Series>, Box<dyn std::error::Error>> {
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
        let (mut timestamps, mut values) = (Vec::new(), Vec::new());
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
pub(crate) fn split(
    values: &[f64],
    start: usize,
    len: usize,
    rng: &mut Rng,
) -> (Vec<f64>, Vec<f64>) {
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

/// Moves the points above the 80th percentile `k` times as far above it (the median stays).
pub(crate) fn stretch_tail(values: &mut [f64], k: f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let p80 = sorted[(sorted.len() * 4) / 5];
    for v in values.iter_mut() {
        if *v > p80 {
            *v = p80 + (*v - p80) * k;
        }
    }
}

/// A canary's requests and error counts built from a traffic series: `2n` points from `start`
/// dealt into two sides (NAB's taxi series scaled by 1/100 to request-like counts, at least 1 a
/// point), errors drawn per interval from a Poisson law with mean `rate × requests`, the
/// baseline's rate set for `per_interval` errors per interval on average, the canary's `k`
/// times that.
pub(crate) struct ErrorCanary {
    pub(crate) requests: (Vec<f64>, Vec<f64>),
    pub(crate) errors: (Vec<f64>, Vec<f64>),
}

pub(crate) fn error_canary(
    s: &Series,
    start: usize,
    n: usize,
    per_interval: f64,
    k: f64,
    rng: &mut Rng,
) -> ErrorCanary {
    let scale = if s.name.contains("nyc_taxi") {
        0.01
    } else {
        1.0
    };
    let (mut req_b, mut req_c) = split(&s.values, start, 2 * n, rng);
    req_b
        .iter_mut()
        .chain(req_c.iter_mut())
        .for_each(|v| *v = (*v * scale).round().max(1.0));
    let mean_requests = req_b.iter().sum::<f64>() / n as f64;
    let rate = per_interval / mean_requests;
    let err_b: Vec<f64> = req_b.iter().map(|r| rng.poisson(rate * r)).collect();
    let err_c: Vec<f64> = req_c.iter().map(|r| rng.poisson(k * rate * r)).collect();
    ErrorCanary {
        requests: (req_b, req_c),
        errors: (err_b, err_c),
    }
}

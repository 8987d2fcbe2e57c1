//! Seeded inputs shared by the benches: latency-like series (log-normal, rounded to 0.001 as
//! exporters print them, so some values tie).

// Each user (benches, examples) takes a different part of this file.
#![allow(dead_code)]

/// splitmix64: small, seeded, good enough for bench inputs.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    pub(crate) fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// `n` latency-like values around `median` milliseconds.
pub(crate) fn latency(rng: &mut Rng, n: usize, median: f64) -> Vec<f64> {
    (0..n)
        .map(|_| (median * (0.25 * rng.normal()).exp() * 1000.0).round() / 1000.0)
        .collect()
}

/// A typical remote-judge request: `metrics` metrics × `points` points per side, as JSON text.
pub(crate) fn request_json(seed: u64, metrics: usize, points: usize) -> String {
    let mut rng = Rng::new(seed);
    let mut configs = Vec::new();
    let mut pairs = Vec::new();
    for k in 0..metrics {
        let name = format!("metric-{k}");
        let group = ["latency", "errors", "system", "saturation"][k % 4];
        configs.push(serde_json::json!({
            "name": name,
            "query": {"type": "prometheus", "metricName": name},
            "groups": [group],
            "scopeName": "default",
            "analysisConfigurations": {"canary": {"direction": if k % 2 == 0 { "increase" } else { "either" }}}
        }));
        let shift = if k % 5 == 0 { 1.05 } else { 1.0 };
        let control = latency(&mut rng, points, 100.0);
        let experiment = latency(&mut rng, points, 100.0 * shift);
        pairs.push(serde_json::json!({
            "name": name, "id": format!("{k:08}"), "tags": {"pod": "p"},
            "values": {"control": control, "experiment": experiment},
        }));
    }
    serde_json::json!({
        "canaryConfig": {
            "name": "bench", "judge": {"name": "NetflixACAJudge-v1.0"},
            "metrics": configs,
            "classifier": {"groupWeights": {"latency": 40, "errors": 30}}
        },
        "scoreThresholds": {"pass": 95, "marginal": 75},
        "metricSetPairList": pairs,
    })
    .to_string()
}

/// Kinds of series other than latency, for the data-kind benches: how ties and few distinct
/// values change the interval's cost against the plain sort's.
pub(crate) const KINDS: [&str; 6] = [
    "continuous",
    "coarse",
    "counts",
    "tiny_counts",
    "zero_inflated",
    "flags",
];

/// `n` values of a [`KINDS`] series whose level is scaled by `shift` (1.0 for a baseline):
/// `continuous`, normal around 100 (all distinct); `coarse`, the same on a 0.1 grid;
/// `counts`, normal around 5, rounded, at least 0 (about a dozen values); `tiny_counts`, around
/// 1 (about five values); `zero_inflated`, 90% zeros, the rest up to about 30; `flags`, 0 or 1,
/// 1 in about 1% (an error flag per request).
pub(crate) fn kind(name: &str, rng: &mut Rng, n: usize, shift: f64) -> Vec<f64> {
    let mut one = || match name {
        "continuous" => 100.0 * shift + 10.0 * rng.normal(),
        "coarse" => ((100.0 * shift + 10.0 * rng.normal()) * 10.0).round() / 10.0,
        "counts" => (5.0 * shift + 2.0 * rng.normal()).max(0.0).round(),
        "tiny_counts" => (shift + 0.8 * rng.normal()).max(0.0).round(),
        "zero_inflated" if rng.uniform() < 0.9 => 0.0,
        "zero_inflated" => (30.0 * shift * rng.uniform()).round(),
        "flags" => f64::from(u8::from(rng.uniform() < 0.01 * shift)),
        _ => panic!("unknown data kind {name}"),
    };
    (0..n).map(|_| one()).collect()
}

//! A canary-release judge: compares a canary's metrics with a baseline's, classifies every
//! metric, weights the classifications into a score and returns a verdict. This crate is the pure
//! core: it does no IO, starts no threads and pulls in no HTTP stack or async runtime.
//!
//! ```
//! use canary_judge::{judge, parse_request, Verdict};
//!
//! let request = parse_request(r#"{
//!   "canaryConfig": {
//!     "judge": {"name": "NetflixACAJudge-v1.0"},
//!     "metrics": [{"name": "latency", "groups": ["latency"],
//!                  "analysisConfigurations": {"canary": {"direction": "increase"}}}],
//!     "classifier": {"groupWeights": {"latency": 100}}
//!   },
//!   "scoreThresholds": {"pass": 95, "marginal": 75},
//!   "metricSetPairList": [{
//!     "name": "latency", "id": "1", "tags": {},
//!     "values": {"control":    [10.1, 10.4, 9.8, 10.0, 10.2, 9.9, 10.3, 10.1],
//!                "experiment": [15.2, 15.9, 14.8, 15.5, 16.1, 15.0, 15.4, "NaN"]}
//!   }]
//! }"#)?;
//! let result = judge(&request)?;
//! assert_eq!(result.results[0].classification.as_str(), "High");
//! assert_eq!(result.score.score, 0.0);
//! assert_eq!(result.score.classification, Verdict::Fail);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Overview
//! - [`model`]: the wire types of Kayenta's JSON (`CanaryConfig`, `MetricSetPair`,
//!   `CanaryJudgeResult`, …), read and written as Kayenta's Jackson mapper does;
//! - [`stats`]: the statistics, written to reproduce Kayenta's binary64 results: two-pass means,
//!   R-7 percentiles, the Mann-Whitney interval with R's `zeroin`, effect sizes;
//! - [`mod@judge`]: preprocessing, the Mann-Whitney classifier, the weighted-sum scorer, and the judges
//!   by name ([`judge::KNOWN_JUDGES`]): Kayenta's `NetflixACAJudge-v1.0` (the default), and the
//!   improved [`judge::v1`] (`canary-judge-v1`: the right test per metric, decisions by
//!   intervals and margins, data sufficiency, multiple testing, explanations);
//! - [`source`]: metric sources without IO: Prometheus and Datadog query building and response
//!   parsing, and Kayenta's mixer that pairs control and experiment series. A controller brings
//!   its own HTTP client; the `canary-judge` binary's `analyze` command is one such shell.
//!
//! # Edge-case policy
//! - NaN is missing data: `nanStrategy` removes it (default) or replaces it with 0.0. The wire
//!   carries it as the string `"NaN"`.
//! - ±∞ samples are refused with [`JudgeError::NonFiniteValue`]: Kayenta keeps them and its
//!   interval is then undefined.
//! - Malformed JSON, missing required fields and wrong types give a [`ParseError`] naming the JSON
//!   path; wrongly typed settings give a [`JudgeError`] naming the metric and the key. Nothing
//!   in this crate panics on input data.
//! - Every numeric function documents empty input, NaN and ties.
//!
//! # Compatibility
//! `NetflixACAJudge-v1.0` follows Kayenta at commit `a69573be` (2025-04-08), whose judge has not
//! changed in substance since December 2020. It reproduces Kayenta bit for bit: the Mann-Whitney
//! interval and estimate (R's `zeroin` iteration order, commons-math's normal quantile), means and
//! standard deviations (left-to-right sums), the HALF_UP rounding of the score, the reason strings
//! and the `"NaN"` strings. The conformance suite in `tests/conformance/` checks every case
//! Kayenta's own tests and code give.
//!
//! Deliberate differences, each documented where it is made:
//! - both sides constant with different values: Kayenta adds unseeded random noise; we decide by
//!   the sign of the difference (deterministic), and one value on each side is always `Error`
//!   ([`judge::MannWhitneyClassifier::classify`]);
//! - ±∞ samples, non-finite thresholds and non-finite group weights are refused;
//! - CLES is computed in f64 (Kayenta overflows 32-bit integers past ~32 768 points a side);
//! - `groupScores` are listed in order of first appearance (Kayenta's order is a hash map's).
//!
//! # Errors
//! [`ParseError`] (reading JSON), [`JudgeError`] (a judgement Kayenta would refuse),
//! [`ConfigError`] (config-store validation), [`stats::StatsError`] (a statistic that cannot be
//! computed), [`source::SourceError`] (a query, response or pairing problem). All are
//! `#[non_exhaustive]`.
//!
//! # Limitations
//! - Bit-exactness of the tie correction holds while Σ(t³ − t) < 2⁵³ (any n + m up to about
//!   208 000); beyond, Kayenta's own sum depends on hash-map order.
//! - Rounding uses the shortest decimal text of the score; JDKs before 19 occasionally print a
//!   longer one, which could round differently in the last place.

pub mod analysis;
pub mod judge;
pub mod model;
pub mod source;
pub mod stats;

mod error;
#[cfg(test)]
mod test_support;

pub use error::{parse_json, ConfigError, JudgeError, ParseError};
pub use judge::{judge, judge_with};
pub use model::{
    parse_request, CanaryConfig, CanaryJudgeResult, Classification, JudgeRequest, MetricSetPair,
    ScoreThresholds, Verdict,
};

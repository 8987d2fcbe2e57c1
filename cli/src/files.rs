//! Inputs read from files by the offline commands (`replay`, `report`, `backtest`), and the
//! timestamp format they print.

use canary_judge::model::MetricSetPair;
use std::path::Path;

/// A file's text, or an error naming the file.
pub(crate) fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The metric set pairs in a file: a JSON list of pairs, or a remote-judge request (its
/// `metricSetPairList`). Errors name the file.
pub(crate) fn read_pairs(path: &Path) -> Result<Vec<MetricSetPair>, String> {
    let doc: serde_json::Value =
        serde_json::from_str(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))?;
    let list = match doc.get("metricSetPairList") {
        Some(list) => list.clone(),
        None => doc,
    };
    serde_json::from_value(list).map_err(|e| format!("{}: {e}", path.display()))
}

/// Milliseconds since the epoch as Kayenta prints instants (`2026-01-01T00:00:00.000Z`); empty
/// when out of chrono's range.
pub(crate) fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

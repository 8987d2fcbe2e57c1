//! Judges a Kayenta remote-judge request shipped in `fixtures/` with the library alone, and
//! prints one line per metric and the verdict.
//!
//! ```text
//! cargo run --example judge_request [REQUEST.json]
//! ```

use canary_judge::{judge, parse_request};
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fixtures/requests/derived-end-to-end.json".to_string());
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let request = parse_request(&text)?;
    let result = judge(&request)?;
    for r in &result.results {
        let ratio = r.result_metadata.as_ref().map_or(f64::NAN, |m| m.ratio);
        println!(
            "{:<12} {:<17} ratio {:>8.4}  {}",
            r.name,
            r.classification,
            ratio,
            r.classification_reason.as_deref().unwrap_or("")
        );
    }
    println!(
        "score {} → {} {}",
        result.score.score, result.score.classification, result.score.classification_reason
    );
    Ok(())
}

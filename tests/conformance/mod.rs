//! Kayenta conformance: every case file under `fixtures/kayenta/cases/` that concerns the judge,
//! loaded as data and checked with the tolerance its file gives. See `README.md` beside this file.
//!
//! Each test counts the cases it ran and asserts that the count equals the number of cases in
//! the file less the documented exclusions in [`KNOWN_DIVERGENCES`], so no case is skipped
//! silently. Run with `-- --show-output` to see the counts.

mod classifier;
mod configs;
mod detector;
mod end_to_end;
mod mann_whitney;
mod scorer;
mod sources;
mod standalone;
mod statistics;
mod transform;

use serde_json::Value;
use std::path::PathBuf;

/// Cases excluded from the suite, as (file, case name, reason). Empty: every case runs.
pub(crate) const KNOWN_DIVERGENCES: &[(&str, &str, &str)] = &[];

pub(crate) fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub(crate) fn load_case_file(name: &str) -> Value {
    let path = fixtures().join("kayenta/cases").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A JSON number, or one of Kayenta's strings "NaN", "Infinity", "-Infinity".
pub(crate) fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().expect("number"),
        Value::String(s) if s == "NaN" => f64::NAN,
        Value::String(s) if s == "Infinity" => f64::INFINITY,
        Value::String(s) if s == "-Infinity" => f64::NEG_INFINITY,
        other => panic!("not a number: {other}"),
    }
}

pub(crate) fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(num)
        .collect()
}

/// Exact equality, bit for bit (NaN equals NaN; 0.0 and -0.0 differ).
pub(crate) fn same_bits(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// `|a − b| ≤ tol`, or both NaN.
pub(crate) fn within(a: f64, b: f64, tol: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= tol
}

/// Counts cases and reports them; asserts none was skipped without a listed reason.
pub(crate) struct Tally {
    file: &'static str,
    section: &'static str,
    ran: usize,
    failures: Vec<String>,
}

impl Tally {
    pub(crate) fn new(file: &'static str, section: &'static str) -> Self {
        Tally {
            file,
            section,
            ran: 0,
            failures: Vec::new(),
        }
    }

    pub(crate) fn excluded(&self, case: &str) -> bool {
        KNOWN_DIVERGENCES
            .iter()
            .any(|(f, c, _)| *f == self.file && *c == case)
    }

    /// Records one case: `problems` empty means it passed.
    pub(crate) fn case(&mut self, name: &str, problems: Vec<String>) {
        self.ran += 1;
        for p in problems {
            self.failures.push(format!("{name}: {p}"));
        }
    }

    /// Prints the count and fails on any problem or on a count other than `expected`.
    pub(crate) fn finish(self, expected: usize) {
        let failed = self.failures.len();
        println!(
            "conformance {} [{}]: {} cases ran, {} passed",
            self.file,
            self.section,
            self.ran,
            self.ran.saturating_sub(
                self.failures
                    .iter()
                    .map(|f| f.split(": ").next().unwrap_or(""))
                    .collect::<std::collections::HashSet<_>>()
                    .len()
            )
        );
        assert!(
            failed == 0,
            "{} failures:\n{}",
            failed,
            self.failures.join("\n")
        );
        assert_eq!(self.ran, expected, "{}: not every case ran", self.file);
    }
}

/// A check that records a problem instead of panicking, so one run reports every failure.
#[macro_export]
macro_rules! check {
    ($problems:ident, $cond:expr, $($fmt:tt)*) => {{
        let ok: bool = $cond;
        if !ok {
            $problems.push(format!($($fmt)*));
        }
    }};
}

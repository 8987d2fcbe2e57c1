//! Recorded series as CSV (`timestamp,value` per row, as in NAB's files): parsing, with errors
//! naming the line, into a regular series that replay can window.

use thiserror::Error;

/// A CSV series on a regular grid: the sample at `start_ms + k·step_ms` is `values[k]` (NaN where a
/// row was missing).
#[derive(Debug, Clone, PartialEq)]
pub struct RegularSeries {
    /// Time of the first sample.
    pub start_ms: i64,
    /// Distance between samples (the smallest gap between rows).
    pub step_ms: i64,
    /// Samples; NaN fills missing grid points.
    pub values: Vec<f64>,
}

/// A CSV that cannot be read as a regular series. `line` is 1-based.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum CsvError {
    /// A row is not `timestamp,value`, or one of the two does not parse.
    #[error("line {line}: {problem}")]
    BadRow {
        /// The row's line.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// A timestamp is not after the previous one (the rows must be sorted, without repeats).
    #[error("line {line}: timestamp {timestamp} is not after the previous row's; sort the file and remove repeated timestamps")]
    NotIncreasing {
        /// The row's line.
        line: usize,
        /// Its timestamp text.
        timestamp: String,
    },
    /// A gap between rows is not a whole number of steps.
    #[error("line {line}: the gap from the previous row ({gap_ms} ms) is not a multiple of the step ({step_ms} ms)")]
    IrregularStep {
        /// The row's line.
        line: usize,
        /// The gap.
        gap_ms: i64,
        /// The step (the smallest gap).
        step_ms: i64,
    },
    /// Fewer than two rows: no step can be known.
    #[error("at least two rows are needed")]
    TooShort,
}

/// A timestamp: `YYYY-MM-DD HH:MM:SS` (NAB, taken as UTC), RFC 3339, or epoch seconds.
fn timestamp_ms(text: &str) -> Option<i64> {
    let t = text.trim();
    // Epoch seconds first: the cheapest test, and no RFC 3339 or NAB timestamp is a number.
    if let Some(ms) = t
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && s.abs() < 1e13)
        .map(|s| (s * 1000.0).round() as i64)
    {
        return Some(ms);
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(d.timestamp_millis());
    }
    if let Ok(d) = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S") {
        return Some(d.and_utc().timestamp_millis());
    }
    None
}

/// Parses `timestamp,value` rows (an optional header line whose value column is not a number is
/// skipped; blank lines are ignored) into a regular series. The step is the smallest gap between
/// rows; larger gaps must be whole multiples of it and are filled with NaN (missing samples).
///
/// # Edge cases
/// - values may be `NaN` (a missing sample); other non-numbers are errors;
/// - unsorted or repeated timestamps are errors naming the line (sort the file first);
/// - fewer than two data rows: [`CsvError::TooShort`].
///
/// # Errors
/// [`CsvError`], naming the line.
///
/// ```
/// use canary_judge::source::csv::parse_series;
/// let s = parse_series("timestamp,value\n2026-01-01 00:00:00,1\n2026-01-01 00:05:00,2\n2026-01-01 00:15:00,4\n").unwrap();
/// assert_eq!(s.step_ms, 300_000);
/// assert_eq!(s.values.len(), 4);
/// assert!(s.values[2].is_nan());
/// ```
pub fn parse_series(text: &str) -> Result<RegularSeries, CsvError> {
    let mut rows: Vec<(usize, i64, f64)> = Vec::new();
    for (k, raw) in text.lines().enumerate() {
        let line = k + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let mut fields = raw.split(',');
        let (Some(ts), Some(value), None) = (fields.next(), fields.next(), fields.next()) else {
            return Err(CsvError::BadRow {
                line,
                problem: "expected two columns, timestamp,value".into(),
            });
        };
        let value = value.trim();
        let parsed = if value == "NaN" {
            Some(f64::NAN)
        } else {
            value.parse::<f64>().ok().filter(|v| v.is_finite())
        };
        let Some(v) = parsed else {
            if rows.is_empty() && timestamp_ms(ts).is_none() {
                continue; // the header
            }
            return Err(CsvError::BadRow {
                line,
                problem: format!("value {value:?} is not a finite number or NaN"),
            });
        };
        let t = timestamp_ms(ts).ok_or_else(|| CsvError::BadRow {
            line,
            problem: format!(
                "timestamp {:?} is not YYYY-MM-DD HH:MM:SS, RFC 3339 or epoch seconds",
                ts.trim()
            ),
        })?;
        if let Some(&(_, previous, _)) = rows.last() {
            if t <= previous {
                return Err(CsvError::NotIncreasing {
                    line,
                    timestamp: ts.trim().to_string(),
                });
            }
        }
        rows.push((line, t, v));
    }
    if rows.len() < 2 {
        return Err(CsvError::TooShort);
    }
    let step = rows.windows(2).map(|w| w[1].1 - w[0].1).min().unwrap_or(1);
    let start = rows[0].1;
    let mut values = Vec::with_capacity(rows.len());
    let mut previous = start - step;
    for &(line, t, v) in &rows {
        let gap = t - previous;
        if gap % step != 0 {
            return Err(CsvError::IrregularStep {
                line,
                gap_ms: gap,
                step_ms: step,
            });
        }
        for _ in 1..gap / step {
            values.push(f64::NAN);
        }
        values.push(v);
        previous = t;
    }
    Ok(RegularSeries {
        start_ms: start,
        step_ms: step,
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_line() {
        let e = parse_series("t,v\n1,1\n2,x\n").unwrap_err();
        assert_eq!(
            e,
            CsvError::BadRow {
                line: 3,
                problem: "value \"x\" is not a finite number or NaN".into()
            }
        );
        let e = parse_series("1,1\n3,1\n2,1\n").unwrap_err();
        assert!(matches!(e, CsvError::NotIncreasing { line: 3, .. }), "{e}");
        let e = parse_series("1,1\n1,2\n").unwrap_err();
        assert!(matches!(e, CsvError::NotIncreasing { line: 2, .. }), "{e}");
        let e = parse_series("0,1\n60,1\n150,1\n").unwrap_err();
        assert!(matches!(e, CsvError::IrregularStep { line: 3, .. }), "{e}");
        assert_eq!(parse_series("1,1\n").unwrap_err(), CsvError::TooShort);
        let e = parse_series("1,1,1\n").unwrap_err();
        assert!(matches!(e, CsvError::BadRow { line: 1, .. }));
        let e = parse_series("yesterday,1\n2,1\n").unwrap_err();
        assert!(matches!(e, CsvError::BadRow { line: 1, .. }), "{e}");
    }

    #[test]
    fn epoch_and_rfc3339_and_nan() {
        let s = parse_series("0,1\n60,NaN\n120,3\n").unwrap();
        assert_eq!((s.start_ms, s.step_ms, s.values.len()), (0, 60_000, 3));
        assert!(s.values[1].is_nan());
        let s = parse_series("2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,2\n").unwrap();
        assert_eq!(s.step_ms, 60_000);
    }
}

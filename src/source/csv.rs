//! Recorded series as CSV (`timestamp,value` per row, as in NAB's files): parsing, with errors
//! naming the line, into a regular series that replay can window: the whole text at once
//! ([`parse_series`]), or line by line ([`SeriesParser`]) for a file read as a stream.

use thiserror::Error;

/// A CSV series on a regular grid: the sample at `start_ms + k·step_ms` is `values[k]` (NaN where a
/// row was missing).
#[derive(Debug, Clone, PartialEq)]
pub struct RegularSeries {
    /// Time of the first sample.
    pub start_ms: i64,
    /// Distance between samples (the smallest gap between the first [`STEP_ROWS`] rows).
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
    #[error("line {line}: the gap from the previous row ({gap_ms} ms) is not a multiple of the step ({step_ms} ms, the smallest gap between the first rows)")]
    IrregularStep {
        /// The row's line.
        line: usize,
        /// The gap.
        gap_ms: i64,
        /// The step (the smallest gap between the first [`STEP_ROWS`] rows).
        step_ms: i64,
    },
    /// A row more than ten years ([`MAX_MINUTES`](crate::analysis::MAX_MINUTES)) after the
    /// first: surely a wrong timestamp, and its gap would be filled with that many NaN.
    #[error("line {line}: timestamp {timestamp} is more than ten years after the first row's")]
    TooLong {
        /// The row's line.
        line: usize,
        /// Its timestamp text.
        timestamp: String,
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

/// How many data rows the step is learnt from: the smallest gap between the first this-many
/// rows (all rows of a shorter file). Later gaps must be whole multiples of it.
///
/// A bounded look-ahead lets [`SeriesParser`] read a file in one pass with memory bounded by the
/// window being judged: the step must be known before the first sample can be placed in time.
/// Eight rows tolerate a few missing samples at the start of a file.
pub const STEP_ROWS: usize = 8;

/// Parses `timestamp,value` rows (an optional header line whose value column is not a number is
/// skipped; blank lines are ignored) into a regular series. The step is the smallest gap between
/// the first [`STEP_ROWS`] data rows; every gap must be a whole multiple of it, and larger gaps
/// are filled with NaN (missing samples).
///
/// This is [`SeriesParser`] over the whole text: a file parsed here and one read line by line
/// give the same series, or the same first error.
///
/// # Edge cases
/// - values may be `NaN` (a missing sample); other non-numbers are errors;
/// - unsorted or repeated timestamps are errors naming the line (sort the file first);
/// - a gap that is not a multiple of the step, even one smaller than the step after the first
///   [`STEP_ROWS`] rows, is an error naming the line;
/// - fewer than two data rows: [`CsvError::TooShort`].
///
/// # Errors
/// [`CsvError`], naming the line; the first problem by line is reported.
///
/// ```
/// use canary_judge::source::csv::parse_series;
/// let s = parse_series("timestamp,value\n2026-01-01 00:00:00,1\n2026-01-01 00:05:00,2\n2026-01-01 00:15:00,4\n").unwrap();
/// assert_eq!(s.step_ms, 300_000);
/// assert_eq!(s.values.len(), 4);
/// assert!(s.values[2].is_nan());
/// ```
pub fn parse_series(text: &str) -> Result<RegularSeries, CsvError> {
    let mut parser = SeriesParser::new();
    let mut values = Vec::new();
    for line in text.lines() {
        parser.push_line(line, &mut values)?;
    }
    parser.finish(&mut values)?;
    let (Some(start_ms), Some(step_ms)) = (parser.start_ms(), parser.step_ms()) else {
        return Err(CsvError::TooShort); // unreachable: `finish` succeeded
    };
    Ok(RegularSeries {
        start_ms,
        step_ms,
        values,
    })
}

/// A `timestamp,value` CSV read one line at a time, without IO: lines in, samples on the regular
/// grid out (NaN for missing grid points), with [`parse_series`]'s rules and errors.
///
/// The first [`STEP_ROWS`] data rows are held until the step is known; from then on every row
/// yields its samples at once, so a caller reading a file in time order holds only what it keeps.
///
/// ```
/// use canary_judge::source::csv::SeriesParser;
/// let mut parser = SeriesParser::new();
/// let mut samples = Vec::new();
/// for line in ["timestamp,value", "0,1", "60,2", "180,4"] {
///     parser.push_line(line, &mut samples).unwrap();
/// }
/// assert!(samples.is_empty()); // the step is not known yet
/// parser.finish(&mut samples).unwrap(); // end of input: the step is the smallest gap, 60 s
/// assert_eq!(parser.step_ms(), Some(60_000));
/// assert_eq!(samples.len(), 4);
/// assert!(samples[2].is_nan());
/// ```
#[derive(Debug, Clone, Default)]
pub struct SeriesParser {
    /// Lines consumed so far (the last line's 1-based number).
    line: usize,
    /// Data rows seen so far.
    rows: u64,
    /// The first data row's time.
    start_ms: Option<i64>,
    /// The step, once known.
    step_ms: Option<i64>,
    /// The previous data row's time.
    previous_ms: Option<i64>,
    /// Data rows held until the step is known: `(line, time, value)`.
    pending: Vec<(usize, i64, f64)>,
    /// The last placed row's time (the grid's end so far).
    placed_ms: Option<i64>,
    /// Samples given out so far.
    samples: u64,
}

impl SeriesParser {
    /// A parser before the first line.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the next line (without its line ending) and appends the samples it completes to
    /// `out`: nothing while the step is being learnt, then NaN for each missing grid point
    /// before the row, and the row's value.
    ///
    /// # Errors
    /// [`CsvError`] naming the line, as [`parse_series`]. After an error the parser should not
    /// be used further.
    pub fn push_line(&mut self, raw: &str, out: &mut Vec<f64>) -> Result<(), CsvError> {
        self.line += 1;
        let line = self.line;
        if raw.trim().is_empty() {
            return Ok(());
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
            if self.rows == 0 && timestamp_ms(ts).is_none() {
                return Ok(()); // the header
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
        if self.previous_ms.is_some_and(|previous| t <= previous) {
            return Err(CsvError::NotIncreasing {
                line,
                timestamp: ts.trim().to_string(),
            });
        }
        let ten_years_ms = crate::analysis::MAX_MINUTES * 60_000;
        if self
            .start_ms
            .is_some_and(|start| t.saturating_sub(start) > ten_years_ms)
        {
            return Err(CsvError::TooLong {
                line,
                timestamp: ts.trim().to_string(),
            });
        }
        self.previous_ms = Some(t);
        self.rows += 1;
        if self.start_ms.is_none() {
            self.start_ms = Some(t);
        }
        match self.step_ms {
            Some(step) => self.place(line, t, v, step, out),
            None => {
                self.pending.push((line, t, v));
                if self.pending.len() >= STEP_ROWS {
                    self.learn_step(out)?;
                }
                Ok(())
            }
        }
    }

    /// The end of the input: places the rows still held (the step is then the smallest gap
    /// between all rows read).
    ///
    /// # Errors
    /// [`CsvError::TooShort`] with fewer than two data rows; [`CsvError::IrregularStep`] for a
    /// held row off the grid.
    pub fn finish(&mut self, out: &mut Vec<f64>) -> Result<(), CsvError> {
        if self.step_ms.is_none() {
            if self.pending.len() < 2 {
                return Err(CsvError::TooShort);
            }
            self.learn_step(out)?;
        }
        Ok(())
    }

    /// Sets the step from the held rows and places them.
    fn learn_step(&mut self, out: &mut Vec<f64>) -> Result<(), CsvError> {
        let step = self
            .pending
            .windows(2)
            .map(|w| w[1].1 - w[0].1)
            .min()
            .ok_or(CsvError::TooShort)?;
        self.step_ms = Some(step);
        for (line, t, v) in std::mem::take(&mut self.pending) {
            self.place(line, t, v, step, out)?;
        }
        Ok(())
    }

    /// Places a row on the grid: NaN for the grid points skipped since the last row, then `v`.
    fn place(
        &mut self,
        line: usize,
        t: i64,
        v: f64,
        step: i64,
        out: &mut Vec<f64>,
    ) -> Result<(), CsvError> {
        let gap = match self.placed_ms {
            Some(previous) => t - previous,
            None => step,
        };
        if gap % step != 0 {
            return Err(CsvError::IrregularStep {
                line,
                gap_ms: gap,
                step_ms: step,
            });
        }
        for _ in 1..gap / step {
            out.push(f64::NAN);
        }
        out.push(v);
        self.samples += (gap / step).unsigned_abs();
        self.placed_ms = Some(t);
        Ok(())
    }

    /// The time of the first data row, once one was read.
    pub fn start_ms(&self) -> Option<i64> {
        self.start_ms
    }

    /// The step, once learnt (after [`STEP_ROWS`] data rows, or at [`finish`](Self::finish)).
    pub fn step_ms(&self) -> Option<i64> {
        self.step_ms
    }

    /// Samples given out so far (rows placed and the NaN filling their gaps).
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Lines read so far (the last line's 1-based number).
    pub fn line(&self) -> usize {
        self.line
    }
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
        // 2099 after 2015 (a wrong year): refused at that row, before its gap is filled.
        let e =
            parse_series("2015-01-01 00:00:00,1\n2015-01-01 00:05:00,2\n2099-01-01 00:00:00,3\n")
                .unwrap_err();
        assert!(matches!(e, CsvError::TooLong { line: 3, .. }), "{e}");
        assert!(e.to_string().contains("more than ten years"), "{e}");
        // Nine years is fine (NaN between), as far as the parser goes.
        let s = parse_series("0,1\n86400,2\n283996800,3\n").expect("nine years");
        assert_eq!(s.values.len(), 283_996_800 / 86_400 + 1);
        let e = parse_series("1,1,1\n").unwrap_err();
        assert!(matches!(e, CsvError::BadRow { line: 1, .. }));
        let e = parse_series("yesterday,1\n2,1\n").unwrap_err();
        assert!(matches!(e, CsvError::BadRow { line: 1, .. }), "{e}");
    }

    #[test]
    fn the_step_is_learnt_from_the_first_rows() {
        // A missing second sample: the first gap is two steps, the smallest of the first rows one.
        let s = parse_series("0,1\n120,1\n180,1\n240,1\n").unwrap();
        assert_eq!((s.step_ms, s.values.len()), (60_000, 5));
        assert!(s.values[1].is_nan());
        // A gap smaller than the step after the first STEP_ROWS rows is an error naming its line.
        let mut text: String = (0..STEP_ROWS).map(|k| format!("{},1\n", 60 * k)).collect();
        text.push_str("450,1\n");
        let e = parse_series(&text).unwrap_err();
        assert_eq!(
            e,
            CsvError::IrregularStep {
                line: STEP_ROWS + 1,
                gap_ms: 30_000,
                step_ms: 60_000
            }
        );
        // Off-grid rows among the first ones are reported once the step is known, by line.
        let e = parse_series("0,1\n60,1\n100,1\n160,1\n").unwrap_err();
        assert!(matches!(e, CsvError::IrregularStep { line: 2, .. }), "{e}");
    }

    #[test]
    fn line_by_line_is_parse_series() {
        let text =
            "timestamp,value\n\n0,1\n60,2\n\n240,NaN\n300,5\n360,6\n420,7\n480,8\n540,9\n600,1\n";
        let whole = parse_series(text).unwrap();
        let mut parser = SeriesParser::new();
        let mut values = Vec::new();
        let mut seen = Vec::new();
        for line in text.lines() {
            parser.push_line(line, &mut values).unwrap();
            seen.push(values.len());
        }
        parser.finish(&mut values).unwrap();
        assert_eq!(format!("{values:?}"), format!("{:?}", whole.values));
        assert_eq!(parser.samples(), values.len() as u64);
        assert_eq!(parser.line(), 12);
        // Nothing comes out until the eighth data row (line 11), then every row at once.
        assert_eq!(seen, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 11]);
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

//! Judging a recording while reading it in time order, without IO: which judgements can be made
//! so far ([`StreamSchedule`]), and per series only the samples that the judgements still to come
//! need ([`SeriesWindow`]).
//!
//! A caller (`canary-judge replay` over CSV files) reads every series in lockstep, line by line:
//! it feeds each [`SeriesWindow`] until it [has the samples up to](SeriesWindow::has_until) the
//! end of the next judgements' windows, cuts those windows out
//! ([`SeriesWindow::window`]), judges them, and then [drops](SeriesWindow::discard_before) what
//! no later window needs ([`StreamSchedule::keep_from`]). The windows and their contents are the
//! ones [`schedule`](super::schedule) and [`pair_in_window`](super::pair_in_window) give over the
//! whole recording, so both paths judge the same data.
//!
//! # Memory
//! - Sliding windows (`lookbackMins > 0`): a series holds the samples from the next window's
//!   start to the end of the windows being judged: one window plus the batch judged at once,
//!   whatever the length of the recording.
//! - Growing windows (Kayenta's default): every judgement starts at the beginning, so the samples
//!   from the start (after the warm-up) are kept to the end: memory is bounded by the largest
//!   window, which is the whole analysis.
//! - No interval (one judgement over the whole recording), or an interval longer than the
//!   recording: the lifetime, and so the only window, is known only at the end of the canary's
//!   data, which is read whole.
//!
//! # Differences from reading the whole recording first
//! - The lifetime (and so the number of judgements) is the recording's, as in
//!   [`schedule`](super::schedule); but a judgement is known to exist as soon as the canary data
//!   reach its end, so judgements are made before the end is read.
//! - A recording longer than [`MAX_MINUTES`] is refused once the reading
//!   passes that length ([`StreamSchedule::check_recorded_until`]), which may be after some
//!   judgements were made.

use super::{
    interval_mins, judgement_window, lifetime_mins, JudgementWindow, RecordedSpan, ScheduleError,
    ScheduleRequest, MAX_MINUTES, MINUTE_MS,
};
use crate::source::csv::{CsvError, SeriesParser};

/// One recorded series read line by line (a `timestamp,value` CSV, as
/// [`parse_series`](crate::source::csv::parse_series) reads it), holding only the samples from a
/// moving point in time on.
///
/// Samples are on the regular grid `start + k·step` of [`span`](Self::span); the series holds
/// the grid indices `first..samples_read()`.
///
/// ```
/// use canary_judge::analysis::stream::SeriesWindow;
/// let mut series = SeriesWindow::new();
/// for line in ["timestamp,value", "0,1", "60,2", "120,3", "180,4"] {
///     series.push_line(line).unwrap();
/// }
/// series.finish().unwrap();
/// assert_eq!(series.window(60_000, 180_000), Some(vec![2.0, 3.0]));
/// series.discard_before(120_000);
/// assert_eq!(series.held(), 2);
/// assert_eq!(series.window(60_000, 180_000), None); // 60 s was dropped
/// ```
#[derive(Debug, Clone, Default)]
pub struct SeriesWindow {
    parser: SeriesParser,
    /// Grid index of `values[0]`.
    first: u64,
    values: Vec<f64>,
    done: bool,
}

impl SeriesWindow {
    /// A series before its first line.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the next line (without its line ending).
    ///
    /// # Errors
    /// [`CsvError`] naming the line, as [`parse_series`](crate::source::csv::parse_series).
    pub fn push_line(&mut self, line: &str) -> Result<(), CsvError> {
        self.parser.push_line(line, &mut self.values)
    }

    /// The end of the input.
    ///
    /// # Errors
    /// [`CsvError::TooShort`] with fewer than two data rows, or a held row off the grid.
    pub fn finish(&mut self) -> Result<(), CsvError> {
        if !self.done {
            self.parser.finish(&mut self.values)?;
            self.done = true;
        }
        Ok(())
    }

    /// True once [`finish`](Self::finish) succeeded.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The first sample's time and the step, once the step is known.
    pub fn span(&self) -> Option<RecordedSpan> {
        match (self.parser.start_ms(), self.parser.step_ms()) {
            (Some(start_ms), Some(step_ms)) => Some(RecordedSpan { start_ms, step_ms }),
            _ => None,
        }
    }

    /// Samples read so far (including those dropped).
    pub fn samples_read(&self) -> u64 {
        self.parser.samples()
    }

    /// Lines read so far.
    pub fn line(&self) -> usize {
        self.parser.line()
    }

    /// Samples held now.
    pub fn held(&self) -> usize {
        self.values.len()
    }

    /// The end of the last step read: `start + step·samples` (as
    /// [`recorded_range`](super::recorded_range) computes a recording's end); `None` before the
    /// step is known.
    pub fn end_ms(&self) -> Option<i64> {
        let span = self.span()?;
        let samples = i64::try_from(self.samples_read()).unwrap_or(i64::MAX);
        Some(
            span.start_ms
                .saturating_add(span.step_ms.saturating_mul(samples)),
        )
    }

    /// True when every sample before `to_ms` has been read (or the series is finished): a
    /// window ending at `to_ms` can be cut.
    pub fn has_until(&self, to_ms: i64) -> bool {
        self.done
            || self
                .span()
                .is_some_and(|span| self.samples_read() >= span.first_at_or_after(to_ms))
    }

    /// The samples timed in `[from_ms, to_ms)`, as
    /// [`pair_in_window`](super::pair_in_window) cuts them from the whole series, provided the
    /// series [has them](Self::has_until).
    ///
    /// `None` when some were already dropped, or the step is not known yet.
    pub fn window(&self, from_ms: i64, to_ms: i64) -> Option<Vec<f64>> {
        let span = self.span()?;
        let total = self.samples_read();
        let a = span.first_at_or_after(from_ms).min(total);
        let b = span.first_at_or_after(to_ms).min(total).max(a);
        if a < self.first {
            return None;
        }
        let offset = |k: u64| usize::try_from(k - self.first).ok();
        self.values.get(offset(a)?..offset(b)?).map(<[f64]>::to_vec)
    }

    /// Drops the samples timed before `from_ms` (all of them for `i64::MAX`).
    pub fn discard_before(&mut self, from_ms: i64) {
        let Some(span) = self.span() else {
            return;
        };
        let k = span.first_at_or_after(from_ms).min(self.samples_read());
        if k > self.first {
            let n = usize::try_from(k - self.first)
                .unwrap_or(usize::MAX)
                .min(self.values.len());
            self.values.drain(..n);
            self.first += n as u64;
        }
    }
}

/// The judgements of a replay as its recording is read: the windows of
/// [`schedule`](super::schedule) over a lifetime that is known only at the end of the recording.
///
/// With an interval (`analysisIntervalMins`), judgement `i` exists when the lifetime is at least
/// `i` intervals, that is when the canary data reach its window's end; the caller judges it once
/// every series has its samples. Without one (or when the recording turns out shorter than one
/// interval) the single judgement waits for [`set_lifetime`](Self::set_lifetime).
///
/// ```
/// use canary_judge::analysis::{stream::StreamSchedule, ScheduleRequest};
/// let request = ScheduleRequest { interval_mins: Some(60), lookback_mins: 60, ..ScheduleRequest::default() };
/// let mut schedule = StreamSchedule::new(0, request).unwrap();
/// let first = schedule.upcoming(2);
/// assert_eq!((first[0].experiment_start_ms, first[1].experiment_end_ms), (0, 7_200_000));
/// schedule.judged(2);
/// assert_eq!(schedule.keep_from(), (7_200_000, 7_200_000)); // judgement 3 starts at 2 h
/// schedule.set_lifetime(150).unwrap(); // the recording lasts 2½ hours: no third judgement
/// assert!(schedule.is_finished());
/// ```
#[derive(Debug, Clone)]
pub struct StreamSchedule {
    request: ScheduleRequest,
    start_ms: i64,
    /// The next judgement's 1-based index.
    next: i64,
    /// `(interval, number of judgements)` once the lifetime is known.
    known: Option<(i64, i64)>,
}

impl StreamSchedule {
    /// A schedule from the recording's start (the first canary sample). `request.start_ms`,
    /// `end_ms` and `lifetime_mins` are ignored: the lifetime is the recording's, set at its end.
    ///
    /// # Errors
    /// [`ScheduleError::TooLong`] for a warm-up, look-back or offset over ten years.
    pub fn new(start_ms: i64, request: ScheduleRequest) -> Result<Self, ScheduleError> {
        let request = ScheduleRequest {
            start_ms: Some(start_ms),
            end_ms: None,
            lifetime_mins: None,
            ..request
        };
        super::check_offsets(&request)?;
        Ok(Self {
            request,
            start_ms,
            next: 1,
            known: None,
        })
    }

    /// The interval the windows use before the lifetime is known: the requested one when it is
    /// positive (and at most ten years, the longest lifetime).
    fn tentative_interval(&self) -> Option<i64> {
        self.request
            .interval_mins
            .filter(|&i| i > 0 && i <= MAX_MINUTES)
    }

    /// True when no judgement can be placed before the lifetime is known (no usable interval):
    /// the caller must read the canary data to their end and call
    /// [`set_lifetime`](Self::set_lifetime).
    pub fn needs_lifetime(&self) -> bool {
        self.known.is_none() && self.tentative_interval().is_none()
    }

    /// The lifetime is known: `lifetime_mins` whole minutes after the warm-up, as
    /// [`schedule`](super::schedule) takes it.
    ///
    /// # Errors
    /// As [`lifetime_mins`]: [`ScheduleError::EmptyLifetime`] when ≤ 0,
    /// [`ScheduleError::TooLong`] over ten years.
    pub fn set_lifetime(&mut self, lifetime: i64) -> Result<(), ScheduleError> {
        let request = ScheduleRequest {
            lifetime_mins: Some(lifetime),
            ..self.request
        };
        let lifetime = lifetime_mins(&request, self.start_ms)?;
        let interval = interval_mins(&request, lifetime);
        self.request = request;
        self.known = Some((interval, lifetime / interval));
        Ok(())
    }

    /// The lifetime, once set.
    pub fn lifetime(&self) -> Option<i64> {
        self.known.and(self.request.lifetime_mins)
    }

    /// Refuses a recording that already runs past ten years of lifetime once it has reached
    /// `end_ms` (so that a unit mistake is not judged for ever).
    ///
    /// # Errors
    /// [`ScheduleError::TooLong`].
    pub fn check_recorded_until(&self, end_ms: i64) -> Result<(), ScheduleError> {
        let minutes =
            end_ms.saturating_sub(self.start_ms) / MINUTE_MS - self.request.begin_after_mins;
        if minutes > MAX_MINUTES {
            return Err(ScheduleError::TooLong);
        }
        Ok(())
    }

    /// The next at most `max` judgements not yet made. With the lifetime known, those of
    /// [`schedule`](super::schedule); before, those the requested interval places (each exists
    /// once the canary data reach its experiment window's end); empty when
    /// [`needs_lifetime`](Self::needs_lifetime) or [`is_finished`](Self::is_finished).
    pub fn upcoming(&self, max: usize) -> Vec<JudgementWindow> {
        let (interval, last) = match (self.known, self.tentative_interval()) {
            (Some((interval, count)), _) => (interval, count),
            (None, Some(interval)) => (interval, MAX_MINUTES / interval),
            (None, None) => return Vec::new(),
        };
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        (self.next..=last.min(self.next.saturating_add(max) - 1))
            .map(|i| judgement_window(&self.request, i, interval, self.start_ms))
            .collect()
    }

    /// `n` more judgements were made.
    pub fn judged(&mut self, n: usize) {
        self.next = self
            .next
            .saturating_add(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// True when the lifetime is known and every judgement was made.
    pub fn is_finished(&self) -> bool {
        self.known.is_some_and(|(_, count)| self.next > count)
    }

    /// `(control, experiment)`: no judgement still to come needs samples timed before these.
    /// Before the first judgement, the earliest a first window can start (after the warm-up,
    /// less the look-back); then the next window's starts; `i64::MAX` when finished.
    pub fn keep_from(&self) -> (i64, i64) {
        if self.is_finished() {
            return (i64::MAX, i64::MAX);
        }
        let offset = self.request.control_offset_mins.saturating_mul(MINUTE_MS);
        let experiment = match self.upcoming(1).first() {
            Some(window) if self.next > 1 => window.experiment_start_ms,
            _ => {
                let warmup = self.start_ms + self.request.begin_after_mins * MINUTE_MS;
                warmup - self.request.lookback_mins.max(0) * MINUTE_MS
            }
        };
        (experiment.saturating_sub(offset), experiment)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{pair_in_window, schedule};
    use super::*;
    use crate::source::csv::parse_series;

    fn series(text: &str) -> SeriesWindow {
        let mut s = SeriesWindow::new();
        for line in text.lines() {
            s.push_line(line).expect("line");
        }
        s
    }

    #[test]
    fn windows_match_the_whole_series() {
        let text: String = (0..40)
            .filter(|k| k % 7 != 3)
            .map(|k| format!("{},{k}\n", 60 * k))
            .collect();
        let whole = parse_series(&text).expect("parses");
        let scope =
            serde_json::json!({"startTimeMillis": whole.start_ms, "stepMillis": whole.step_ms});
        let pair = crate::model::MetricSetPair {
            values: crate::model::MetricSetPairValues {
                control: whole.values.clone(),
                experiment: whole.values.clone(),
            },
            scopes: Some(serde_json::json!({"control": scope, "experiment": scope})),
            ..Default::default()
        };
        let mut streamed = series(&text);
        streamed.finish().expect("finish");
        for (from, to) in [(0, 600_000), (-60_000, 90_000), (1_000_000, 9_000_000)] {
            let window = JudgementWindow {
                index: 1,
                experiment_start_ms: from,
                experiment_end_ms: to,
                control_start_ms: from,
                control_end_ms: to,
            };
            let expected = pair_in_window(&pair, &window).expect("slices");
            let got = streamed.window(from, to).expect("held");
            assert_eq!(
                format!("{got:?}"),
                format!("{:?}", expected.values.experiment)
            );
        }
    }

    #[test]
    fn has_until_waits_for_the_step_and_the_data() {
        let mut s = series("0,1\n60,2\n120,3\n");
        assert!(!s.has_until(0), "the step is not known before 8 rows");
        assert_eq!(s.held(), 0);
        for k in 3..8 {
            s.push_line(&format!("{},1", 60 * k)).expect("line");
        }
        assert_eq!(
            s.span(),
            Some(RecordedSpan {
                start_ms: 0,
                step_ms: 60_000
            })
        );
        assert!(s.has_until(480_000) && !s.has_until(480_001));
        assert_eq!(s.end_ms(), Some(480_000));
        s.finish().expect("finish");
        assert!(s.has_until(i64::MAX));
        s.discard_before(i64::MAX);
        assert_eq!(s.held(), 0);
        assert_eq!(s.window(480_000, 600_000), Some(vec![]));
    }

    #[test]
    fn tentative_windows_are_the_schedule() {
        let request = ScheduleRequest {
            interval_mins: Some(7),
            lookback_mins: 10,
            begin_after_mins: 3,
            control_offset_mins: 2,
            ..ScheduleRequest::default()
        };
        let mut stream = StreamSchedule::new(600_000, request).expect("new");
        let tentative = stream.upcoming(4);
        let whole = schedule(
            &ScheduleRequest {
                start_ms: Some(600_000),
                lifetime_mins: Some(30),
                ..request
            },
            600_000,
        )
        .expect("schedule");
        assert_eq!(whole.len(), 4);
        assert_eq!(tentative, whole);
        assert_eq!(
            stream.keep_from(),
            (
                600_000 + (3 - 10 - 2) * MINUTE_MS,
                600_000 + (3 - 10) * MINUTE_MS
            )
        );
        stream.judged(2);
        stream.set_lifetime(30).expect("lifetime");
        assert_eq!(stream.upcoming(10), whole[2..]);
        assert_eq!(
            stream.keep_from(),
            (whole[2].control_start_ms, whole[2].experiment_start_ms)
        );
        stream.judged(2);
        assert!(stream.is_finished());
        assert!(stream.upcoming(1).is_empty());
    }

    #[test]
    fn short_recordings_and_no_interval_wait_for_the_lifetime() {
        let mut stream = StreamSchedule::new(0, ScheduleRequest::default()).expect("new");
        assert!(stream.needs_lifetime() && stream.upcoming(1).is_empty());
        stream.set_lifetime(90).expect("lifetime");
        assert_eq!(stream.upcoming(5).len(), 1);
        assert_eq!(stream.upcoming(5)[0].experiment_end_ms, 90 * MINUTE_MS);
        let mut stream = StreamSchedule::new(
            0,
            ScheduleRequest {
                interval_mins: Some(60),
                ..ScheduleRequest::default()
            },
        )
        .expect("new");
        assert!(!stream.needs_lifetime());
        stream.set_lifetime(45).expect("lifetime"); // shorter than one interval
        assert_eq!(stream.upcoming(5)[0].experiment_end_ms, 45 * MINUTE_MS);
        assert_eq!(stream.set_lifetime(0), Err(ScheduleError::EmptyLifetime));
        assert_eq!(
            stream.check_recorded_until((MAX_MINUTES + 1) * MINUTE_MS),
            Err(ScheduleError::TooLong)
        );
        assert!(StreamSchedule::new(
            0,
            ScheduleRequest {
                lookback_mins: MAX_MINUTES + 1,
                ..ScheduleRequest::default()
            }
        )
        .is_err());
    }
}

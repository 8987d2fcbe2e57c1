//! `replay` over CSV files without loading them: every file is read in time order, in lockstep,
//! through a buffered reader; per series only the samples the coming windows need are held
//! ([`SeriesWindow`]); a batch of ready judgements is judged across cores and reported in order;
//! reading stops when the analysis stops.
//!
//! The windows, their samples, and so the output are those of the in-memory path (tested byte
//! for byte in `cli/tests/replay_cmd.rs`). What differs is when input errors are found: a file
//! is read only as far as the analysis goes (to its end when the analysis runs to its end, but
//! not past a stop), and the first error met in time order is reported rather than the first in
//! option order.

use super::{judge_window, lifetime, schedule_request, split_spec, ReplayArgs, Timeline};
use crate::files::iso;
use canary_judge::analysis::stream::{SeriesWindow, StreamSchedule};
use canary_judge::analysis::{JudgementWindow, ReplayError};
use canary_judge::model::{CanaryConfig, MetricSetPair, MetricSetPairValues};
use canary_judge::CanaryJudgeResult;
use rayon::prelude::*;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

/// Judgements judged at once, per thread: enough to keep the cores busy between reads, few
/// enough that the samples held stay about one window.
const BATCH_PER_THREAD: usize = 32;

/// At most this many samples (all series together) are cut out for one batch, unless a single
/// judgement needs more (large growing windows are then judged one at a time).
const BATCH_POINTS: u64 = 1 << 22;

/// While reading, samples no longer needed are dropped whenever this many more are held.
const DISCARD_EVERY: usize = 1 << 16;

/// One CSV file being read.
struct SeriesFile {
    path: PathBuf,
    reader: BufReader<File>,
    line: String,
    series: SeriesWindow,
    /// True for a canary (experiment) series, false for a baseline (control) one.
    canary: bool,
    /// Bytes read so far.
    bytes: u64,
    /// Held samples at which reading next drops what is no longer needed.
    discard_at: usize,
}

impl SeriesFile {
    fn open(path: &str, canary: bool) -> Result<Self, String> {
        let path = PathBuf::from(path);
        let file = File::open(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Ok(Self {
            reader: BufReader::with_capacity(1 << 16, file),
            path,
            line: String::new(),
            series: SeriesWindow::new(),
            canary,
            bytes: 0,
            discard_at: DISCARD_EVERY,
        })
    }

    /// Reads until the series holds every sample before `until_ms` (or is at its end),
    /// dropping on the way the samples before `keep_from_ms`.
    fn read_until(&mut self, until_ms: i64, keep_from_ms: i64) -> Result<(), String> {
        while !self.series.has_until(until_ms) {
            if self.series.held() >= self.discard_at {
                self.series.discard_before(keep_from_ms);
                self.discard_at = self.series.held() + DISCARD_EVERY;
            }
            self.line.clear();
            let n = self.reader.read_line(&mut self.line).map_err(|e| {
                format!(
                    "cannot read {}: line {}: {e}",
                    self.path.display(),
                    self.series.line() + 1
                )
            })?;
            let pushed = if n == 0 {
                self.series.finish()
            } else {
                self.bytes += n as u64;
                self.series.push_line(strip_line_ending(&self.line))
            };
            pushed.map_err(|e| format!("{}: {e}", self.path.display()))?;
        }
        Ok(())
    }

    /// The window of this series' side.
    fn cut(&self, window: &JudgementWindow) -> Result<Vec<f64>, String> {
        let (from, to) = self.side(window);
        self.series.window(from, to).ok_or_else(|| {
            format!(
                "internal error: {}: samples from {} were dropped before they were judged",
                self.path.display(),
                iso(from)
            )
        })
    }

    /// `[from, to)` of this series' side of a judgement.
    fn side(&self, window: &JudgementWindow) -> (i64, i64) {
        if self.canary {
            (window.experiment_start_ms, window.experiment_end_ms)
        } else {
            (window.control_start_ms, window.control_end_ms)
        }
    }
}

/// A line as `str::lines` gives it: without `\n`, or `\r\n`.
fn strip_line_ending(line: &str) -> &str {
    match line.strip_suffix('\n') {
        Some(line) => line.strip_suffix('\r').unwrap_or(line),
        None => line,
    }
}

/// Reads every file (across cores) up to the `(until, keep_from)` that `target` gives it; the
/// first error in option order is reported.
fn read_all(
    files: &mut [SeriesFile],
    target: impl Fn(&SeriesFile) -> (i64, i64) + Sync,
) -> Result<(), String> {
    let results: Vec<Result<(), String>> = files
        .par_iter_mut()
        .map(|f| {
            let (until, keep_from) = target(f);
            f.read_until(until, keep_from)
        })
        .collect();
    results.into_iter().collect()
}

/// The end of the canary data read so far (the latest of the canary series).
fn canary_end(files: &[SeriesFile]) -> i64 {
    files
        .iter()
        .filter(|f| f.canary)
        .filter_map(|f| f.series.end_ms())
        .max()
        .unwrap_or(i64::MIN)
}

/// The first judgements of `upcoming` whose samples, all series together, stay within
/// [`BATCH_POINTS`] (at least one).
fn plan(upcoming: Vec<JudgementWindow>, files: &[SeriesFile]) -> Vec<JudgementWindow> {
    let mut points = 0u64;
    let mut batch = Vec::new();
    for window in upcoming {
        let needed: u64 = files
            .iter()
            .filter_map(|f| {
                let span = f.series.span()?;
                let (from, to) = f.side(&window);
                Some(
                    span.first_at_or_after(to)
                        .saturating_sub(span.first_at_or_after(from)),
                )
            })
            .fold(0, u64::saturating_add);
        if !batch.is_empty() && points.saturating_add(needed) > BATCH_POINTS {
            break;
        }
        points = points.saturating_add(needed);
        batch.push(window);
    }
    batch
}

/// Replays `--csv` recordings as a stream, pushing the judgements to `timeline`.
pub(super) fn replay(
    args: &ReplayArgs,
    config: &CanaryConfig,
    timeline: &mut Timeline,
) -> Result<(), String> {
    let mut metrics = Vec::new();
    let mut files = Vec::new();
    for spec in &args.csv {
        let (metric, baseline, canary) = split_spec("--csv", spec)?;
        metrics.push(metric.to_string());
        files.push(SeriesFile::open(baseline, false)?);
        files.push(SeriesFile::open(canary, true)?);
    }
    if files.is_empty() {
        return Err(ReplayError::Empty.to_string());
    }
    let total_bytes: u64 = files
        .iter()
        .filter_map(|f| f.reader.get_ref().metadata().ok())
        .map(|m| m.len())
        .sum();
    // Every series' start and step (its first rows).
    read_all(&mut files, |_| (i64::MIN, i64::MIN))?;
    let mut spans = Vec::new();
    for f in &files {
        let span = f.series.span().ok_or_else(|| {
            format!(
                "internal error: {}: no step after the first rows",
                f.path.display()
            )
        })?;
        spans.push(span);
    }
    let start = files
        .iter()
        .zip(&spans)
        .filter(|(f, _)| f.canary)
        .map(|(_, s)| s.start_ms)
        .min()
        .ok_or_else(|| ReplayError::Empty.to_string())?;
    // Spans come in (baseline, canary) pairs, one pair per `--csv` metric.
    let scopes: Vec<serde_json::Value> = spans
        .chunks_exact(2)
        .map(|pair| {
            let scope = |s: &canary_judge::analysis::RecordedSpan| serde_json::json!({"startTimeIso": iso(s.start_ms), "startTimeMillis": s.start_ms, "stepMillis": s.step_ms});
            serde_json::json!({"control": scope(&pair[0]), "experiment": scope(&pair[1])})
        })
        .collect();
    let mut schedule = StreamSchedule::new(start, schedule_request(args, start, None))
        .map_err(|e| e.to_string())?;
    let progress = (std::io::IsTerminal::is_terminal(&std::io::stderr())
        && !(args.json && std::io::IsTerminal::is_terminal(&std::io::stdout())))
    .then(|| {
        // Cleared however the replay ends.
        indicatif::ProgressBar::new(total_bytes).with_finish(indicatif::ProgressFinish::AndClear)
    });
    let batch_size = BATCH_PER_THREAD * rayon::current_num_threads().max(1);
    // Reading the next batch's samples overlaps judging the batch before it (`in_flight`, its
    // windows cut out already), so that the cores are busy during both.
    let mut in_flight: Option<Batch> = None;
    while !schedule.is_finished() {
        let (keep_control, keep_experiment) = schedule.keep_from();
        let keep = move |f: &SeriesFile| {
            if f.canary {
                keep_experiment
            } else {
                keep_control
            }
        };
        let batch = plan(schedule.upcoming(batch_size), &files);
        let Some(last) = batch.last() else {
            if schedule.lifetime().is_some() {
                break; // (not reached: a known, unfinished schedule has a next judgement)
            }
            // No interval (or none usable): the lifetime, and so the only window, is known at
            // the end of the canary data.
            let read = judge_while(in_flight.take(), args, config, timeline, || {
                read_all(&mut files, |f| {
                    (if f.canary { i64::MAX } else { i64::MIN }, keep(f))
                })
            })?;
            let Some(read) = read else {
                return Ok(()); // the analysis stopped
            };
            read?;
            schedule
                .set_lifetime(lifetime(args, start, canary_end(&files))?)
                .map_err(|e| e.to_string())?;
            continue;
        };
        let (until_control, until_experiment) = (last.control_end_ms, last.experiment_end_ms);
        let read = judge_while(in_flight.take(), args, config, timeline, || {
            read_all(&mut files, |f| {
                let until = if f.canary {
                    until_experiment
                } else {
                    until_control
                };
                (until, keep(f))
            })
        })?;
        let Some(read) = read else {
            return Ok(()); // the analysis stopped: nothing more is read
        };
        if let Err(e) = read {
            // A bad row somewhere in the batch's span: the judgements before it are still made,
            // and if one of them stops the analysis the row is not reported, as if reading had
            // stopped there.
            let exists = |w: &&JudgementWindow| {
                schedule.lifetime().is_some() || canary_end(&files) >= w.experiment_end_ms
            };
            let ready: Vec<JudgementWindow> = batch
                .iter()
                .take_while(|w| {
                    exists(w)
                        && files.iter().all(|f| {
                            let (_, to) = f.side(w);
                            f.series.has_until(to)
                        })
                })
                .copied()
                .collect();
            let pairs = cut_batch(&ready, &metrics, &files, &scopes)?;
            let batch = Batch {
                windows: ready,
                pairs,
            };
            if judge_while(Some(batch), args, config, timeline, || ())?.is_none() {
                return Ok(());
            }
            return Err(e);
        }
        if let Some(bar) = &progress {
            bar.set_position(files.iter().map(|f| f.bytes).sum());
        }
        if schedule.lifetime().is_none() {
            if files
                .iter()
                .filter(|f| f.canary)
                .all(|f| f.series.is_done())
            {
                // The recording's end is known: the batch is re-planned on the real schedule
                // (nothing it needs was dropped).
                schedule
                    .set_lifetime(lifetime(args, start, canary_end(&files))?)
                    .map_err(|e| e.to_string())?;
                continue;
            }
            // A canary series goes on past the batch, so every judgement in it exists.
            schedule
                .check_recorded_until(canary_end(&files))
                .map_err(|e| e.to_string())?;
        }
        // Every series has the batch's samples: they are cut out, and no longer needed.
        let pairs = cut_batch(&batch, &metrics, &files, &scopes)?;
        schedule.judged(batch.len());
        let (keep_control, keep_experiment) = schedule.keep_from();
        for f in &mut files {
            f.series.discard_before(if f.canary {
                keep_experiment
            } else {
                keep_control
            });
        }
        in_flight = Some(Batch {
            windows: batch,
            pairs,
        });
    }
    if judge_while(in_flight, args, config, timeline, || ())?.is_none() {
        return Ok(()); // the last batch stopped the analysis
    }
    // The analysis ran to its end: the rest of every file is read (and dropped), so that a bad
    // row anywhere is reported, as when the files are read whole.
    read_all(&mut files, |_| (i64::MAX, i64::MAX))
}

/// Cuts the windows of `batch` out of every series (each has their samples): per judgement, its
/// metric set pairs, as `csv_pairs` and `pair_in_window` make them from whole files.
fn cut_batch(
    batch: &[JudgementWindow],
    metrics: &[String],
    files: &[SeriesFile],
    scopes: &[serde_json::Value],
) -> Result<Vec<Vec<MetricSetPair>>, String> {
    batch
        .par_iter()
        .map(|window| {
            metrics
                .iter()
                .zip(files.chunks(2))
                .zip(scopes)
                .map(|((name, sides), scope)| {
                    let (Some(control), Some(experiment)) = (sides.first(), sides.get(1)) else {
                        return Err("internal error: a metric without two series".to_string());
                    };
                    Ok(MetricSetPair {
                        name: name.clone(),
                        id: Some(name.clone()),
                        scopes: Some(scope.clone()),
                        values: MetricSetPairValues {
                            control: control.cut(window)?,
                            experiment: experiment.cut(window)?,
                        },
                        ..MetricSetPair::default()
                    })
                })
                .collect::<Result<Vec<_>, String>>()
        })
        .collect()
}

/// Judgements cut out and waiting to be judged.
struct Batch {
    windows: Vec<JudgementWindow>,
    /// Per judgement, its metric set pairs.
    pairs: Vec<Vec<MetricSetPair>>,
}

/// Judges `batch` across cores while `read` runs, then pushes the judgements in order: `None`
/// when one stopped the analysis (whatever `read` found is then moot), else what `read` gave.
fn judge_while<R: Send>(
    batch: Option<Batch>,
    args: &ReplayArgs,
    config: &CanaryConfig,
    timeline: &mut Timeline,
    read: impl FnOnce() -> R + Send,
) -> Result<Option<R>, String> {
    let (judged, read) = rayon::join(
        || {
            batch.map(|batch| {
                let results: Vec<Result<CanaryJudgeResult, String>> = batch
                    .pairs
                    .into_par_iter()
                    .map(|pairs| judge_window(args, config, pairs))
                    .collect();
                (batch.windows, results)
            })
        },
        read,
    );
    if let Some((windows, results)) = judged {
        for (window, result) in windows.iter().zip(results) {
            if timeline.push(window, &result?)? {
                return Ok(None);
            }
        }
    }
    Ok(Some(read))
}

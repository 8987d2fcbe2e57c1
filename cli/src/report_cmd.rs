//! `canary-judge report`: one self-contained HTML page (inline SVG, no scripts, no fetches)
//! that shows a person why a canary passed or failed.

use crate::files::{iso, read, read_pairs};
use crate::replay_cmd::not_passing;
use canary_judge::analysis::{pairs_in_window, JudgementWindow};
use canary_judge::judge::{judge_metric, ClassifierPath, JudgedMetric, MetricSettings};
use canary_judge::model::Evidence;
use canary_judge::model::{CanaryAnalysisResult, CanaryConfig, Classification, MetricSetPair};
use canary_judge::{judge_with, CanaryJudgeResult, JudgeRequest, ScoreThresholds};
use clap::Args;
use serde::Deserialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `canary-judge report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The canary config.
    #[arg(long)]
    config: PathBuf,
    /// The data: a JSON list of metric set pairs, or a remote-judge request. With `--replay`, the
    /// recording the replay ran over: the detailed judgement is re-judged on its window.
    #[arg(long, required_unless_present = "replay")]
    pairs: Option<PathBuf>,
    /// A saved replay (`canary-judge replay --json` output): the page then starts with the
    /// replay's decision and timeline, and details one judgement (see `--judgement`).
    #[arg(long)]
    replay: Option<PathBuf>,
    /// Which judgement of the replay to detail (1-based); default the last, the one that decided.
    #[arg(long, requires = "replay")]
    judgement: Option<usize>,
    /// Pass threshold.
    #[arg(long)]
    pass: f64,
    /// Marginal threshold.
    #[arg(long)]
    marginal: f64,
    /// Where to write the HTML.
    #[arg(long)]
    out: PathBuf,
}

/// Runs the command: 0 when the report was written, 2 for invalid input.
pub(crate) fn run(args: &ReportArgs) -> ExitCode {
    match report(args) {
        Ok(verdict) => {
            println!("{} written: {verdict}", args.out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("canary-judge: invalid input: {e}");
            ExitCode::from(2)
        }
    }
}

/// A saved replay, as `canary-judge replay --json` writes it (Kayenta's
/// `CanaryAnalysisExecutionResponse` shape; unknown keys are ignored).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedReplay {
    canary_analysis_execution_result: SavedAnalysis,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedAnalysis {
    did_pass_thresholds: bool,
    #[serde(default)]
    canary_score_message: Option<String>,
    canary_execution_results: Vec<SavedExecution>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedExecution {
    judgement_start_time_millis: i64,
    judgement_end_time_millis: i64,
    /// Written by our replay; absent in Kayenta's own output, where the baseline window is
    /// taken to be the canary's (no control offset).
    #[serde(default)]
    control_start_time_millis: Option<i64>,
    #[serde(default)]
    control_end_time_millis: Option<i64>,
    result: SavedJudgement,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedJudgement {
    judge_result: CanaryJudgeResult,
}

fn read_replay(path: &Path) -> Result<SavedReplay, String> {
    let saved: SavedReplay = serde_json::from_str(&read(path)?).map_err(|e| {
        format!(
            "{}: not a saved replay (replay --json output): {e}",
            path.display()
        )
    })?;
    if saved
        .canary_analysis_execution_result
        .canary_execution_results
        .is_empty()
    {
        return Err(format!(
            "{}: the replay holds no judgements",
            path.display()
        ));
    }
    Ok(saved)
}

/// Judges each pair on its own for the explanations and pictures. When `result` comes from
/// an improved judge, its per-metric results (label, reason, evidence) replace Kayenta's, so the
/// page explains the verdict that was given.
fn details<'a>(
    config: &CanaryConfig,
    pairs: &'a [MetricSetPair],
    result: &CanaryJudgeResult,
) -> Result<Vec<(&'a MetricSetPair, JudgedMetric)>, String> {
    pairs
        .iter()
        .enumerate()
        .map(|(index, pair)| {
            let metric = config
                .metrics
                .iter()
                .find(|m| m.name == pair.name)
                .ok_or_else(|| format!("no metric config for '{}'", pair.name))?;
            let mut judged = judge_metric(index, pair, metric).map_err(|e| e.to_string())?;
            if let Some(r) = result.results.get(index).filter(|r| evidence(r).is_some()) {
                judged.result = r.clone();
            }
            Ok((pair, judged))
        })
        .collect()
}

/// The improved judges' evidence of a result, if any.
fn evidence(r: &CanaryAnalysisResult) -> Option<&Evidence> {
    r.result_metadata
        .as_ref()
        .and_then(|m| m.evidence.as_deref())
}

/// What an improved judge's rule means, in a sentence.
fn rule_words(rule: &str) -> &'static str {
    match rule {
        "significant-beyond-margin" => "The change is statistically significant, after adjusting for the number of metrics judged, and larger than the allowed change.",
        "within-margin" => "The change is real but within the allowed change, so the metric passes.",
        "equivalent" => "The whole confidence interval lies within the allowed change: the canary is shown to be equivalent.",
        "not-significant" => "The data do not show a change at this confidence; more data would narrow the interval.",
        "insufficient-data" => "Too few points to judge: the metric is left out of the score until it has enough.",
        "no-data" => "One side has no data.",
        "threshold" => "An absolute limit on the canary alone was crossed.",
        "threshold-met" => "The canary stays within its absolute limits.",
        "error" => "The classification failed; the metric counts as not passing in its group.",
        _ => "",
    }
}

fn report(args: &ReportArgs) -> Result<String, String> {
    let config: CanaryConfig = canary_judge::parse_json(&read(&args.config)?)
        .map_err(|e| format!("{}: {e}", args.config.display()))?;
    let thresholds = crate::options::thresholds(args.pass, args.marginal)?;
    let pairs = args.pairs.as_deref().map(read_pairs).transpose()?;
    let mut html = String::from(HEAD);
    let summary = match (&args.replay, pairs) {
        (None, Some(pairs)) => {
            let request = JudgeRequest {
                canary_config: config.clone(),
                score_thresholds: thresholds,
                metric_set_pair_list: pairs.clone(),
            };
            let result = judge_with(None, &request).map_err(|e| e.to_string())?;
            let details = details(&config, &pairs, &result)?;
            verdict_section(&mut html, "Canary report", &result, thresholds);
            metric_sections(&mut html, &details);
            format!("{} ({})", result.score.classification, result.score.score)
        }
        (Some(path), pairs) => {
            let saved = read_replay(path)?;
            let analysis = &saved.canary_analysis_execution_result;
            let runs = &analysis.canary_execution_results;
            let number = args.judgement.unwrap_or(runs.len());
            let run = number
                .checked_sub(1)
                .and_then(|k| runs.get(k))
                .ok_or_else(|| {
                    format!(
                        "--judgement {number}: the replay has judgements 1 to {}",
                        runs.len()
                    )
                })?;
            replay_section(&mut html, analysis, thresholds, number);
            let saved_result = &run.result.judge_result;
            let title = format!("Judgement {number}");
            match pairs {
                Some(pairs) => {
                    let window = JudgementWindow {
                        index: i64::try_from(number).unwrap_or(i64::MAX),
                        experiment_start_ms: run.judgement_start_time_millis,
                        experiment_end_ms: run.judgement_end_time_millis,
                        control_start_ms: run
                            .control_start_time_millis
                            .unwrap_or(run.judgement_start_time_millis),
                        control_end_ms: run
                            .control_end_time_millis
                            .unwrap_or(run.judgement_end_time_millis),
                    };
                    let in_window = pairs_in_window(&pairs, &window).map_err(|e| e.to_string())?;
                    let request = JudgeRequest {
                        canary_config: config.clone(),
                        score_thresholds: thresholds,
                        metric_set_pair_list: in_window.clone(),
                    };
                    let result = judge_with(Some(&saved_result.judge_name), &request)
                        .map_err(|e| e.to_string())?;
                    // The recording and config must be the ones the replay ran on, or the
                    // pictures would explain some other verdict.
                    let (now, then) = (result.score.score, saved_result.score.score);
                    if now.to_bits() != then.to_bits() && !(now.is_nan() && then.is_nan()) {
                        return Err(format!(
                            "judgement {number}: the replay saved score {} but --pairs and --config give {} on its window; are they the recording and config the replay ran on?",
                            saved_result.score.score, result.score.score
                        ));
                    }
                    verdict_section(&mut html, &title, &result, thresholds);
                    metric_sections(&mut html, &details(&config, &in_window, &result)?);
                }
                None => {
                    verdict_section(&mut html, &title, saved_result, thresholds);
                    saved_metric_sections(&mut html, saved_result);
                }
            }
            format!(
                "{} {}",
                if analysis.did_pass_thresholds {
                    "PASS"
                } else {
                    "FAIL"
                },
                analysis.canary_score_message.as_deref().unwrap_or("")
            )
        }
        (None, None) => return Err("give --pairs, --replay, or both".into()),
    };
    html.push_str("</body></html>\n");
    std::fs::write(&args.out, html)
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    Ok(summary)
}

/// HTML-escapes text.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn num(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let a = x.abs();
    if a != 0.0 && !(0.01..1e6).contains(&a) {
        format!("{x:.3e}")
    } else {
        format!("{x:.3}")
    }
}

/// How bad a label is, for ordering: critical failures, failures, no verdict, passes.
fn rank(r: &CanaryAnalysisResult) -> u8 {
    match r.classification {
        Classification::High | Classification::Low if r.critical => 0,
        Classification::High | Classification::Low | Classification::NodataFailMetric => 1,
        Classification::Error | Classification::Nodata => 2,
        Classification::Pass => 3,
    }
}

/// How bad a result is, for ordering: failures first, then by how far the ratio is from 1.
fn severity(r: &JudgedMetric) -> (u8, f64) {
    // Muted metrics count for nothing: last.
    let rank = if r.result.muted { 4 } else { rank(&r.result) };
    let ratio = r.result.result_metadata.as_ref().map_or(1.0, |m| m.ratio);
    let distance = if ratio.is_finite() {
        (ratio - 1.0).abs()
    } else {
        0.0
    };
    (rank, -distance)
}

/// The explanation of one metric's classification, in words.
fn explain(j: &JudgedMetric) -> String {
    let r = &j.result;
    if let Some(e) = evidence(r) {
        return format!(
            "{}. {}",
            r.classification_reason.as_deref().unwrap_or(""),
            rule_words(&e.rule)
        );
    }
    let s: &MetricSettings = &j.settings;
    let (cm, em) = (r.control_metadata.stats, r.experiment_metadata.stats);
    let means = format!(
        "The canary's mean is {} against the baseline's {} ({} points against {}).",
        num(em.mean),
        num(cm.mean),
        em.count,
        cm.count
    );
    let Some(c) = &j.classification else {
        return "The classification failed: with a single value on each side no confidence interval can be formed. This metric counts neither for nor against the canary.".into();
    };
    match c.path {
        ClassifierPath::Nodata => match r.classification {
            Classification::NodataFailMetric => "One side has no data, and the metric must have data: this counts as a failure.".into(),
            Classification::Nodata if r.critical => "One side has no data and the metric is critical: the whole canary fails.".into(),
            Classification::Nodata => "One side has no data: the metric is left out of its group's score (if half the metrics have no data, the canary fails).".into(),
            _ => "One side has no data; missing values are replaced by zeros for this metric, so it passes.".into(),
        },
        ClassifierPath::Identical => "Both sides hold exactly the same values: Pass.".into(),
        ClassifierPath::SingleValue => "Both sides hold one and the same value throughout: Pass.".into(),
        ClassifierPath::ConstantSides | ClassifierPath::RankTest => {
            let Some(mw) = c.interval else { return means };
            let bound = 0.25 * mw.estimate.abs();
            let effect = c.effect_size.unwrap_or(f64::NAN);
            let measure = match s.measure {
                canary_judge::judge::EffectSizeMeasure::MeanRatio => "mean ratio",
                canary_judge::judge::EffectSizeMeasure::Cles => "probability that a canary value exceeds a baseline value (CLES)",
            };
            let mut text = format!(
                "{means} The shift canary − baseline is estimated at {} with a 98% confidence interval of [{}, {}]. ",
                num(mw.estimate),
                num(mw.lower),
                num(mw.upper)
            );
            match r.classification {
                Classification::High => {
                    let _ = write!(
                        text,
                        "The whole interval lies above +{} (a quarter of the estimate), so the canary is significantly higher; the {measure} is {}, at least the allowed {}: High.",
                        num(bound),
                        num(effect),
                        num(s.allowed.increase)
                    );
                }
                Classification::Low => {
                    let _ = write!(
                        text,
                        "The whole interval lies below −{} (a quarter of the estimate), so the canary is significantly lower; the {measure} is {}, at most the allowed {}: Low.",
                        num(bound),
                        num(effect),
                        num(s.allowed.decrease)
                    );
                }
                _ => {
                    let significant_up = mw.lower > bound;
                    let significant_down = mw.upper < -bound;
                    if significant_up || significant_down {
                        let _ = write!(
                            text,
                            "The interval clears a quarter of the estimate ({}), but either the direction setting ({:?}) does not count this change or the {measure}, {}, is within the allowed [{}, {}]: Pass.",
                            num(bound),
                            s.direction,
                            num(effect),
                            num(s.allowed.decrease),
                            num(s.allowed.increase)
                        );
                    } else {
                        let _ = write!(
                            text,
                            "The interval reaches within a quarter of the estimate (±{}) of no change, so the difference is not significant: Pass.",
                            num(bound)
                        );
                    }
                }
            }
            if r.critical {
                text.push_str(" The metric is critical and past its critical threshold: the whole canary fails.");
            }
            text
        }
    }
}

const W: f64 = 520.0;
const H: f64 = 160.0;
const PAD: f64 = 28.0;

fn finite(values: &[f64]) -> Vec<f64> {
    values.iter().copied().filter(|v| v.is_finite()).collect()
}

fn range(series: &[&[f64]]) -> (f64, f64) {
    let all: Vec<f64> = series.iter().flat_map(|s| finite(s)).collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() {
        (0.0, 1.0)
    } else if hi > lo {
        (lo, hi)
    } else {
        (lo - 1.0, hi + 1.0)
    }
}

fn y_of(v: f64, (lo, hi): (f64, f64)) -> f64 {
    H - PAD - (v - lo) / (hi - lo) * (H - 2.0 * PAD)
}

fn axis_labels(svg: &mut String, (lo, hi): (f64, f64)) {
    let _ = write!(
        svg,
        r##"<text x="2" y="{:.1}" class="ax">{}</text><text x="2" y="{:.1}" class="ax">{}</text>"##,
        y_of(hi, (lo, hi)) + 4.0,
        num(hi),
        y_of(lo, (lo, hi)) + 4.0,
        num(lo)
    );
}

/// Baseline and canary over time (sample index), NaN as gaps.
fn time_chart(control: &[f64], experiment: &[f64]) -> String {
    let r = range(&[control, experiment]);
    let mut svg = format!(
        r#"<svg viewBox="0 0 {W} {H}" class="chart" role="img" aria-label="baseline and canary over time">"#
    );
    axis_labels(&mut svg, r);
    let n = control.len().max(experiment.len()).max(2) as f64;
    for (values, class) in [(control, "base"), (experiment, "canary")] {
        let mut d = String::new();
        let mut pen_up = true;
        for (k, v) in values.iter().enumerate() {
            if !v.is_finite() {
                pen_up = true;
                continue;
            }
            let x = PAD + 40.0 + k as f64 / (n - 1.0) * (W - 2.0 * PAD - 40.0);
            let _ = write!(
                d,
                "{}{x:.1},{:.1} ",
                if pen_up { "M" } else { "L" },
                y_of(*v, r)
            );
            pen_up = false;
        }
        let _ = write!(svg, r#"<path d="{d}" class="{class}"/>"#);
    }
    svg.push_str("</svg>");
    svg
}

/// The two empirical distribution functions.
fn ecdf_chart(control: &[f64], experiment: &[f64]) -> String {
    let r = range(&[control, experiment]);
    let x_of = |v: f64| PAD + 40.0 + (v - r.0) / (r.1 - r.0) * (W - 2.0 * PAD - 40.0);
    let mut svg = format!(
        r#"<svg viewBox="0 0 {W} {H}" class="chart" role="img" aria-label="distributions">"#
    );
    for (values, class) in [(control, "base"), (experiment, "canary")] {
        let mut v = finite(values);
        if v.is_empty() {
            continue;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len() as f64;
        let y = |p: f64| H - PAD - p * (H - 2.0 * PAD);
        let mut d = format!("M{:.1},{:.1} ", x_of(v[0]), y(0.0));
        for (k, value) in v.iter().enumerate() {
            let _ = write!(
                d,
                "L{:.1},{:.1} L{:.1},{:.1} ",
                x_of(*value),
                y(k as f64 / n),
                x_of(*value),
                y((k + 1) as f64 / n)
            );
        }
        let _ = write!(svg, r#"<path d="{d}" class="{class}"/>"#);
    }
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" class="ax">{}</text><text x="{:.1}" y="{:.1}" class="ax" text-anchor="end">{}</text></svg>"#,
        PAD + 40.0,
        H - 6.0,
        num(r.0),
        W - PAD,
        H - 6.0,
        num(r.1)
    );
    svg
}

/// The interval against the ±25% margin of the estimate, on a number line.
/// An interval to draw: estimate, ends, and the shaded band around no change.
struct IntervalView {
    estimate: f64,
    lower: f64,
    upper: f64,
    band: (f64, f64),
    caption: String,
}

fn interval_view(j: &JudgedMetric) -> Option<IntervalView> {
    if let Some(e) = evidence(&j.result) {
        let pct = |x: Option<f64>| x.filter(|v| v.is_finite()).map(|v| v * 100.0);
        let (estimate, lower, upper) = (
            pct(e.relative_estimate)?,
            pct(e.relative_lower)?,
            pct(e.relative_upper)?,
        );
        let (dec, inc) = (
            e.allowed_decrease.unwrap_or(0.0) * 100.0,
            e.allowed_increase.unwrap_or(0.0) * 100.0,
        );
        return Some(IntervalView {
            estimate,
            lower,
            upper,
            band: (-dec, inc),
            caption: format!(
                "{}% confidence interval of the change relative to the baseline, in % (black), its estimate (dot), and the allowed change (shaded)",
                e.confidence.unwrap_or(0.0) * 100.0
            ),
        });
    }
    let mw = j.classification.as_ref().and_then(|c| c.interval)?;
    let bound = 0.25 * mw.estimate.abs();
    Some(IntervalView {
        estimate: mw.estimate,
        lower: mw.lower,
        upper: mw.upper,
        band: (-bound, bound),
        caption: "98% confidence interval of the shift (black), its estimate (dot), and the ±25% margin around no change (shaded)".into(),
    })
}

fn interval_chart(view: &IntervalView) -> String {
    let mw = view;
    let (band_lo, band_hi) = view.band;
    let lo = mw.lower.min(mw.upper).min(band_lo).min(0.0);
    let hi = mw.lower.max(mw.upper).max(band_hi).max(0.0);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (lo, hi) = (lo - 0.1 * span, hi + 0.1 * span);
    let x = |v: f64| PAD + (v - lo) / (hi - lo) * (W - 2.0 * PAD);
    let h = 70.0;
    format!(
        r#"<svg viewBox="0 0 {W} {h}" class="chart small" role="img" aria-label="confidence interval">
<rect x="{:.1}" y="18" width="{:.1}" height="22" class="margin"/>
<line x1="{:.1}" y1="12" x2="{:.1}" y2="46" class="zero"/>
<line x1="{:.1}" y1="29" x2="{:.1}" y2="29" class="ci"/>
<circle cx="{:.1}" cy="29" r="4" class="est"/>
<text x="{:.1}" y="62" class="ax" text-anchor="middle">0</text>
<text x="{:.1}" y="62" class="ax" text-anchor="middle">{}</text>
<text x="{:.1}" y="62" class="ax" text-anchor="middle">{}</text>
</svg>"#,
        x(band_lo),
        (x(band_hi) - x(band_lo)).max(1.0),
        x(0.0),
        x(0.0),
        x(mw.lower),
        x(mw.upper),
        x(mw.estimate),
        x(0.0),
        x(mw.lower),
        num(mw.lower),
        x(mw.upper),
        num(mw.upper),
    )
}

/// The three pictures of a metric, each with a caption; none when there is no data at all.
fn charts(pair: &MetricSetPair, j: &JudgedMetric) -> String {
    let (c, e) = (&pair.values.control, &pair.values.experiment);
    if finite(c).is_empty() && finite(e).is_empty() {
        return "<p><em>No data on either side.</em></p>".into();
    }
    let interval = interval_view(j)
        .map(|v| {
            format!(
                "<figure>{}<figcaption>{}</figcaption></figure>",
                interval_chart(&v),
                esc(&v.caption)
            )
        })
        .unwrap_or_default();
    format!(
        r#"<div class="charts"><figure>{}<figcaption>Over time (sample by sample)</figcaption></figure><figure>{}<figcaption>Distribution: share of values at or below each level</figcaption></figure></div>{}"#,
        time_chart(c, e),
        ecdf_chart(c, e),
        interval
    )
}

fn badge(c: Classification) -> &'static str {
    match c {
        Classification::Pass => "pass",
        Classification::High | Classification::Low | Classification::NodataFailMetric => "fail",
        _ => "neutral",
    }
}

const HEAD: &str = r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Canary report</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
.verdict{font-size:2rem;font-weight:700;padding:.5rem 1rem;border-radius:.4rem;display:inline-block}
.Pass,.PASS{background:#d8f5d8}.Marginal{background:#fff0c2}.Fail,.FAIL{background:#fcd5d5}
.metric{border-top:1px solid #ddd;margin-top:1.5rem;padding-top:1rem}
.badge{padding:.1rem .5rem;border-radius:.3rem;font-size:.9rem}
.badge.pass{background:#d8f5d8}.badge.fail{background:#fcd5d5}.badge.neutral{background:#eee}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.chart{width:100%;max-width:30rem;height:auto;background:#fafafa}
.chart.small{max-width:30rem}
path{fill:none;stroke-width:1.5}.base{stroke:#2b6cb0}.canary{stroke:#dd6b20}
.margin{fill:#e2e8f0}.zero{stroke:#999;stroke-dasharray:3 3}.ci{stroke:#222;stroke-width:4}.est{fill:#dd6b20}
.ax{font-size:10px;fill:#666}figure{margin:0}figcaption{font-size:.8rem;color:#555}.legend span{margin-right:1rem}.sw{display:inline-block;width:1rem;height:.3rem;vertical-align:middle;margin-right:.3rem}
.score{stroke:#222}.pt{fill:#222}.pt.detail{fill:#dd6b20}.line-pass{stroke:#38a169;stroke-dasharray:4 3}.line-marginal{stroke:#d69e2e;stroke-dasharray:4 3}
tr.detail{font-weight:700}
table{border-collapse:collapse}td,th{padding:.2rem .6rem;text-align:left}
</style></head><body>
"#;

/// The verdict, score and group scores of one judgement.
fn verdict_section(html: &mut String, title: &str, result: &CanaryJudgeResult, t: ScoreThresholds) {
    let _ = write!(
        html,
        r#"<h1>{title}</h1><p><span class="verdict {v}" id="verdict">{v}</span> &nbsp; score <strong id="score">{s}</strong> (pass at {p}, marginal at {m}).</p>"#,
        title = esc(title),
        v = result.score.classification.as_str(),
        s = num(result.score.score),
        p = num(t.pass),
        m = num(t.marginal)
    );
    if !result.score.classification_reason.is_empty() {
        let _ = write!(
            html,
            "<p><strong>{}</strong></p>",
            esc(&result.score.classification_reason)
        );
    }
    html.push_str("<table><tr><th>group</th><th>score</th></tr>");
    for g in &result.group_scores {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td></tr>",
            esc(&g.name),
            num(g.score)
        );
    }
    html.push_str("</table>");
}

/// A saved replay's decision, its scores over the judgements against the thresholds, and a
/// table of the judgements; `detailed` (1-based) is highlighted.
fn replay_section(
    html: &mut String,
    analysis: &SavedAnalysis,
    t: ScoreThresholds,
    detailed: usize,
) {
    let decision = if analysis.did_pass_thresholds {
        "PASS"
    } else {
        "FAIL"
    };
    let runs = &analysis.canary_execution_results;
    let _ = write!(
        html,
        r#"<h1>Canary replay</h1><p><span class="verdict {decision}" id="decision">{decision}</span> &nbsp; {message}</p><p>{n} judgement{s}; the decision rests on the last one.</p>"#,
        message = esc(analysis.canary_score_message.as_deref().unwrap_or("")),
        n = runs.len(),
        s = if runs.len() == 1 { "" } else { "s" },
    );
    // Scores over the judgements, on a fixed 0-100 axis with the two thresholds drawn.
    let r = (0.0, 100.0);
    let n = runs.len().max(2) as f64;
    let x = |k: usize| PAD + 40.0 + k as f64 / (n - 1.0) * (W - 2.0 * PAD - 40.0);
    let mut svg = format!(
        r#"<figure><svg viewBox="0 0 {W} {H}" class="chart" role="img" aria-label="score per judgement">"#
    );
    axis_labels(&mut svg, r);
    for (value, class) in [(t.pass, "line-pass"), (t.marginal, "line-marginal")] {
        if (0.0..=100.0).contains(&value) {
            let _ = write!(
                svg,
                r#"<line x1="{:.1}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" class="{class}"/>"#,
                PAD + 40.0,
                W - PAD,
                y = y_of(value, r)
            );
        }
    }
    let mut d = String::new();
    for (k, run) in runs.iter().enumerate() {
        let score = run.result.judge_result.score.score;
        if score.is_finite() {
            let _ = write!(
                d,
                "{}{:.1},{:.1} ",
                if d.is_empty() { "M" } else { "L" },
                x(k),
                y_of(score.clamp(0.0, 100.0), r)
            );
        }
    }
    let _ = write!(svg, r#"<path d="{d}" class="score"/>"#);
    for (k, run) in runs.iter().enumerate() {
        let score = run.result.judge_result.score.score;
        if score.is_finite() {
            let _ = write!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" class="pt{}"/>"#,
                x(k),
                y_of(score.clamp(0.0, 100.0), r),
                if k + 1 == detailed { " detail" } else { "" }
            );
        }
    }
    svg.push_str("</svg><figcaption>Score per judgement; dashed: pass (green) and marginal (amber) thresholds</figcaption></figure>");
    html.push_str(&svg);
    html.push_str(r#"<table id="timeline"><tr><th>#</th><th>canary window</th><th>score</th><th>verdict</th><th>not passing</th></tr>"#);
    for (k, run) in runs.iter().enumerate() {
        let result = &run.result.judge_result;
        let _ = write!(
            html,
            r#"<tr{cls}><td>{n}</td><td>{from} – {to}</td><td>{score}</td><td><span class="badge {b}">{v}</span></td><td>{failing}</td></tr>"#,
            cls = if k + 1 == detailed {
                r#" class="detail""#
            } else {
                ""
            },
            n = k + 1,
            from = iso(run.judgement_start_time_millis),
            to = iso(run.judgement_end_time_millis),
            score = num(result.score.score),
            b = match result.score.classification.as_str() {
                "Pass" => "pass",
                "Fail" => "fail",
                _ => "neutral",
            },
            v = esc(result.score.classification.as_str()),
            failing = esc(&not_passing(result)),
        );
    }
    html.push_str("</table>");
}

/// Per-metric sections from a saved judgement alone (no data to draw): label and reason.
fn saved_metric_sections(html: &mut String, result: &CanaryJudgeResult) {
    html.push_str("<p><em>Give --pairs with the recording to see each metric's data.</em></p>");
    let mut order: Vec<_> = result.results.iter().collect();
    order.sort_by_key(|r| rank(r));
    for r in order {
        let _ = write!(
            html,
            r#"<section class="metric"><h2>{name} <span class="badge {b}">{c}</span></h2><p>{why} Baseline mean {cm}, canary mean {em}.</p></section>"#,
            name = esc(&r.name),
            b = badge(r.classification),
            c = r.classification.as_str(),
            why = esc(r.classification_reason.as_deref().unwrap_or("")),
            cm = num(r.control_metadata.stats.mean),
            em = num(r.experiment_metadata.stats.mean),
        );
    }
}

/// One section per metric, worst first, with the explanation and the pictures.
fn metric_sections(html: &mut String, details: &[(&MetricSetPair, JudgedMetric)]) {
    let mut order: Vec<&(&MetricSetPair, JudgedMetric)> = details.iter().collect();
    order.sort_by(|a, b| {
        severity(&a.1)
            .partial_cmp(&severity(&b.1))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    html.push_str(r#"<p class="legend"><span><i class="sw" style="background:#2b6cb0"></i>baseline</span><span><i class="sw" style="background:#dd6b20"></i>canary</span><span><i class="sw" style="background:#e2e8f0;height:.8rem"></i>margin around no change</span></p>"#);
    for (pair, j) in order {
        let r = &j.result;
        let tags: Vec<String> = r.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = write!(
            html,
            r#"<section class="metric"><h2>{name}{tags} <span class="badge {b}">{c}</span>{crit}{muted}</h2><p>{why}</p>{charts}</section>"#,
            name = esc(&r.name),
            tags = if tags.is_empty() {
                String::new()
            } else {
                format!(" <small>{}</small>", esc(&tags.join(", ")))
            },
            b = badge(r.classification),
            c = r.classification.as_str(),
            crit = if r.critical {
                " <span class=\"badge fail\">critical</span>"
            } else {
                ""
            },
            muted = if r.muted {
                " <span class=\"badge neutral\">muted</span>"
            } else {
                ""
            },
            why = esc(&explain(j)),
            charts = charts(pair, j),
        );
    }
}

//! `canary-judge-sequential-v1`: an anytime-valid judge for controllers that ask again and again
//! as data arrive. Same config and request as the other judges; selected with
//! `canaryConfig.judge.name = "canary-judge-sequential-v1"` (or `--judge`).
//!
//! Re-running a fixed-sample test at every look inflates false alarms: every look is another
//! chance to cross the line by luck. This judge's per-metric tests are confidence sequences and
//! e-processes, whose guarantee holds at every look at once, however often the judge is asked
//! and whenever the controller stops asking. A bad canary can therefore be stopped at the first
//! look where the evidence suffices, and a good one passed as soon as equivalence is shown.
//!
//! # Stateless
//! The request carries all the data so far (the same `metricSetPairList`; point `k` of each side
//! is the `k`-th interval, at `start + k·step` of its scope). Nothing is remembered between
//! calls: any controller can call at each interval, and each answer is valid on its own.
//!
//! # Per metric: Fail-now, Pass-now or Continue
//! With `α = 1 − classifier.confidence` (default confidence 0.95) and `m` non-muted metrics,
//! each metric gets `α_m = α / m` (e-value Bonferroni; `classifier.multipleTesting: "none"`
//! gives each metric `α`). The allowed change is v1's: `effectSize.allowedIncrease` (1.1 = +10%)
//! and `allowedDecrease` (0.9 = −10%), none by default, in the directions `direction` allows.
//!
//! - **Counts** (`sequential.test: "count"`; the default when the metric names a
//!   `denominator` or has `test: "rate"`): per interval, the canary's and baseline's event
//!   counts (rounded to whole events; an interval with NaN on either side is skipped, or read as
//!   0 with `nanStrategy: "replace"`) and exposures (the denominator's values, else the
//!   `sequential.trafficShare` split, else equal). Lindon & Malek's e-process for the rate ratio
//!   `ρ` ([`RateRatioSequence`]) gives the always-valid
//!   interval for `ρ` at `α_m` and the e-value against "`ρ` within the allowed band"
//!   (`[1 − allowedDecrease margin, 1 + allowedIncrease margin]`, open on a side the direction
//!   ignores; a count metric without `direction` only counts increases). **Fail-now** when the
//!   e-value reaches `1/α_m` (the interval misses the band: High above it, Low below);
//!   **Pass-now** when the interval lies inside the band; else **Continue**.
//! - **Continuous values** (`sequential.test: "quantiles"`; the default otherwise): for each
//!   quantile in `sequential.quantiles` (default p50, p90, p99), Howard & Ramdas' confidence
//!   sequences on each side ([`quantile_bounds`]), each one-sided
//!   bound at `α_m / (2 Q d)` for `Q` quantiles and `d` allowed directions (so a false Fail-now,
//!   and a false Pass-now, each have probability at most `α_m`). With `up(q) = q (1 + inc)` and
//!   `down(q) = q (1 − dec)` for `q ≥ 0` (for `q < 0`: `q / (1 + inc)` and `q / (1 − dec)`, so
//!   both stay increasing): **Fail-now** High when for some quantile the canary's lower bound is
//!   above `up` of the baseline's upper bound (Low: the canary's upper bound below `down` of the
//!   baseline's lower bound); **Pass-now** when for every quantile the canary's interval lies
//!   within `[down(baseline lower bound), up(baseline upper bound)]` read from the inside:
//!   canary upper ≤ `up(baseline lower)` and canary lower ≥ `down(baseline upper)` (the allowed
//!   band around *every* baseline quantile the data allow); else **Continue**. Shifts of the
//!   median and tail-only changes are both seen; the p99 bounds need several hundred points a
//!   side (drop 0.99 from `quantiles` to pass sooner with fewer points).
//!
//! Each metric's evidence (`resultMetadata`) has the rule (`fail-now`, `pass-now`, `continue`,
//! `no-data`, `insufficient-data`, `error`), the interval of the deciding comparison
//! (`estimate`, `lower`, `upper`, and relative to the baseline), the always-valid p-value for
//! "regression beyond the allowed change" (`pValue`; `adjustedPValue` = `min(1, m p)`),
//! `eValue` for counts, `alpha` = `α_m`, and one `checks` entry per quantile or count test.
//! Without a margin Pass-now is unreachable: equivalence with no tolerance cannot be shown.
//!
//! # The canary's answer
//! - Some non-muted metric Fail-now: summary **Fail** (score 0), reason `Fail now: …`.
//! - Every non-muted metric Pass-now: **Pass** (score 100), reason `Pass now: …`.
//! - Otherwise **Marginal** with score = the marginal threshold, reason
//!   `Continue: more data needed: …` (no data, too few points and failed tests also continue).
//!
//! Metric labels: Fail-now is High or Low, Pass-now is Pass, everything else Nodata (the rule
//! tells which). Group scores are v1's (Continue counts as "not enough data").
//!
//! # Controllers
//! - **Argo Rollouts** (`web` provider, `/v1/judge`): `successCondition: result.verdict ==
//!   "Pass"`, `failureCondition: result.verdict == "Fail"`. A Continue answer is then
//!   Inconclusive; set `inconclusiveLimit` high enough (or `count` measurements with
//!   `interval` = the look interval) so that the analysis keeps measuring, and decide what the
//!   last Inconclusive means (Argo pauses the rollout for a human by default).
//! - **Flagger** (`rollout` webhook): answer 200 on Pass-now *and on Continue* (let the canary
//!   advance while no regression is shown), 412 on Fail-now (counts towards
//!   `analysis.threshold`; set `threshold: 1` to roll back at the first Fail-now). To gate
//!   promotion on Pass-now instead, use a `confirm-promotion` hook that answers 200 only on
//!   Pass.
//! - **Spinnaker / Kayenta-style**: Fail maps to a score at or below marginal (stop), Pass to a
//!   passing score, Continue to Marginal.
//!
//! # Determinism
//! No randomness; the same request gives the same result, bit for bit.

mod settings;

pub use settings::{
    Combination, SequentialClassifierSettings, SequentialMetricSettings, SequentialTest,
    DEFAULT_QUANTILES, DEFAULT_SEQUENTIAL_CONFIDENCE,
};

use super::settings::NanStrategy;
use super::v1::analyse::{direction, finite, number, relative};
use super::v1::explain::{level, pct, sig, times};
use super::v1::score;
use super::{check_finite, CleanSeries};
use crate::error::JudgeError;
use crate::model::{
    CanaryAnalysisResult, CanaryJudgeResult, CanaryJudgeScore, Check, Classification, Evidence,
    JudgeRequest, MetricSetPair, ResultMetadata, SideMetadata, Verdict,
};
use crate::stats::{
    quantile_bounds, quantile_increase_ln_e, ratio_of_means, CountInterval, QuantileBounds,
    RateRatioSequence, SortedSample, QUANTILE_PRIOR_CONCENTRATION,
};

/// The sequential judge's name.
pub const CANARY_JUDGE_SEQUENTIAL_V1: &str = "canary-judge-sequential-v1";

/// What one metric's look decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SequentialDecision {
    /// A regression beyond the allowed change is shown: stop and fail.
    FailNow,
    /// Equivalence within the allowed change is shown: stop and pass.
    PassNow,
    /// Neither yet: ask again with more data.
    Continue,
}

impl SequentialDecision {
    /// Fail-now when a regression is shown, else Pass-now when equivalence is, else Continue.
    fn from_evidence(regression_shown: bool, equivalence_shown: bool) -> Self {
        if regression_shown {
            SequentialDecision::FailNow
        } else if equivalence_shown {
            SequentialDecision::PassNow
        } else {
            SequentialDecision::Continue
        }
    }

    /// The metric's label: High or Low (by `higher`) for Fail-now, Pass for Pass-now, Nodata
    /// for Continue (not yet judged).
    fn label(self, higher: bool) -> Classification {
        match self {
            SequentialDecision::FailNow if higher => Classification::High,
            SequentialDecision::FailNow => Classification::Low,
            SequentialDecision::PassNow => Classification::Pass,
            SequentialDecision::Continue => Classification::Nodata,
        }
    }

    /// `fail-now`, `pass-now` or `continue`.
    pub fn as_str(self) -> &'static str {
        match self {
            SequentialDecision::FailNow => "fail-now",
            SequentialDecision::PassNow => "pass-now",
            SequentialDecision::Continue => "continue",
        }
    }

    /// The decision a [`CanaryJudgeResult`] of this judge carries in its summary: Fail is
    /// Fail-now, Pass is Pass-now, Marginal is Continue.
    pub fn of_result(result: &CanaryJudgeResult) -> Self {
        match result.score.classification {
            Verdict::Fail => SequentialDecision::FailNow,
            Verdict::Pass => SequentialDecision::PassNow,
            Verdict::Marginal => SequentialDecision::Continue,
        }
    }
}

/// One metric's outcome.
struct Judged {
    decision: SequentialDecision,
    classification: Classification,
    reason: String,
    evidence: Evidence,
}

/// Runs `canary-judge-sequential-v1` on a request (see the module docs for the rules).
///
/// # Errors
/// The checks of `canary-judge-v1` (thresholds, classifier, group weights, metric configs,
/// groups, ±∞ samples, settings, a missing denominator pair) and the sequential settings'
/// ([`SequentialMetricSettings::read`]).
pub fn canary_judge_sequential(request: &JudgeRequest) -> Result<CanaryJudgeResult, JudgeError> {
    let classifier = super::v1::checked_for_improved_judges(request)?;
    let judgement = SequentialClassifierSettings::read(&classifier.other)?;
    let alpha = 1.0 - judgement.confidence;
    let config = &request.canary_config;
    let pairs = &request.metric_set_pair_list;

    let mut prepared = Vec::with_capacity(pairs.len());
    for (index, pair) in pairs.iter().enumerate() {
        let metric_config = crate::judge::metric_config(config, index, pair)?;
        let groups = crate::judge::metric_groups(metric_config, &pair.name)?;
        let settings = SequentialMetricSettings::read(
            &pair.name,
            metric_config.analysis_configurations.as_ref(),
        )?;
        check_finite(index, pair)?;
        let denominator = match &settings.v1.denominator {
            Some(d) if settings.test == SequentialTest::Count => {
                Some(crate::judge::v1::denominator_pair(index, pair, d, pairs)?)
            }
            _ => None,
        };
        prepared.push((pair, groups, settings, denominator));
    }
    let m = prepared
        .iter()
        .filter(|p| !p.2.v1.base.muted)
        .count()
        .max(1);
    let (alpha_m, family) = match judgement.combination {
        Combination::Bonferroni => (alpha / m as f64, m as f64),
        Combination::None => (alpha, 1.0),
    };

    let mut results = Vec::with_capacity(prepared.len());
    let mut decisions = Vec::with_capacity(prepared.len());
    for (pair, groups, settings, denominator) in prepared {
        let base = &settings.v1.base;
        let (experiment, control) = base.clean_pair(&pair.values.experiment, &pair.values.control);
        let ctx = Ctx {
            name: &pair.name,
            settings: &settings,
            alpha_m,
            family,
        };
        let mut judged = match settings.test {
            SequentialTest::Quantiles => judge_quantiles(&ctx, &control, &experiment),
            SequentialTest::Count => judge_counts(&ctx, pair, denominator),
        };
        judged.evidence.alpha = Some(alpha_m);
        judged.evidence.confidence = Some(1.0 - alpha_m);
        judged.evidence.allowed_increase = Some(settings.v1.allowed_increase);
        judged.evidence.allowed_decrease = Some(settings.v1.allowed_decrease);
        judged.evidence.weight = Some(1.0);
        decisions.push(judged.decision);
        results.push(CanaryAnalysisResult {
            name: pair.name.clone(),
            tags: pair.tags.clone(),
            id: pair.id.clone(),
            classification: judged.classification,
            classification_reason: Some(judged.reason),
            groups,
            experiment_metadata: SideMetadata {
                stats: experiment.summary(),
            },
            control_metadata: SideMetadata {
                stats: control.summary(),
            },
            result_metadata: Some(ResultMetadata {
                ratio: ratio_of_means(experiment.mean(), control.mean()),
                evidence: Some(Box::new(judged.evidence)),
            }),
            critical: base.critical,
            muted: base.muted,
        });
    }

    let scored: Vec<score::Scored<'_>> = results
        .iter()
        .zip(&decisions)
        .map(|(r, d)| score::Scored {
            name: &r.name,
            classification: r.classification,
            rule: if *d == SequentialDecision::Continue {
                "insufficient-data"
            } else {
                ""
            },
            groups: &r.groups,
            critical: false,
            muted: r.muted,
            weight: 1.0,
            reason: r.classification_reason.as_deref().unwrap_or(""),
        })
        .collect();
    let (group_scores, _) =
        score::score(&scored, &classifier.group_weights, request.score_thresholds);

    let active: Vec<(&CanaryAnalysisResult, SequentialDecision)> = results
        .iter()
        .zip(decisions.iter().copied())
        .filter(|(r, _)| !r.muted)
        .collect();
    let reasons = |want: SequentialDecision| -> String {
        active
            .iter()
            .filter(|(_, d)| *d == want)
            .map(|(r, _)| r.classification_reason.as_deref().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let summary = if active
        .iter()
        .any(|(_, d)| *d == SequentialDecision::FailNow)
    {
        CanaryJudgeScore {
            score: 0.0,
            classification: Verdict::Fail,
            classification_reason: format!("Fail now: {}", reasons(SequentialDecision::FailNow)),
        }
    } else if active
        .iter()
        .all(|(_, d)| *d == SequentialDecision::PassNow)
    {
        CanaryJudgeScore {
            score: 100.0,
            classification: Verdict::Pass,
            classification_reason: if active.is_empty() {
                "Pass now: every metric is muted".to_string()
            } else {
                format!(
                    "Pass now: equivalence shown for every metric: {}",
                    reasons(SequentialDecision::PassNow)
                )
            },
        }
    } else {
        CanaryJudgeScore {
            score: request.score_thresholds.marginal,
            classification: Verdict::Marginal,
            classification_reason: format!(
                "Continue: more data needed: {}",
                reasons(SequentialDecision::Continue)
            ),
        }
    };
    Ok(CanaryJudgeResult {
        judge_name: CANARY_JUDGE_SEQUENTIAL_V1.to_string(),
        results,
        group_scores,
        score: summary,
    })
}

struct Ctx<'a> {
    name: &'a str,
    settings: &'a SequentialMetricSettings,
    /// The metric's error budget.
    alpha_m: f64,
    /// The Bonferroni factor (1 without adjustment).
    family: f64,
}

impl Ctx<'_> {
    fn evidence(&self, test: &str, rule: &str, control: f64, experiment: f64) -> Evidence {
        Evidence {
            test: test.into(),
            rule: rule.into(),
            control_count: control,
            experiment_count: experiment,
            ..Evidence::default()
        }
    }

    fn waiting(&self, test: &str, rule: &str, why: String, counts: (f64, f64)) -> Judged {
        Judged {
            decision: SequentialDecision::Continue,
            classification: Classification::Nodata,
            reason: format!("{}: continue, {why}", self.name),
            evidence: self.evidence(test, rule, counts.0, counts.1),
        }
    }

    /// "allowed −10.0% … +10.0%" in the directions the metric cares about.
    fn allowed(&self, counts: bool) -> String {
        let s = &self.settings.v1;
        let d = direction(s, counts);
        let (inc, dec) = (s.allowed_increase, s.allowed_decrease);
        let f = |up: bool, m: f64| {
            if counts {
                times(if up { 1.0 + m } else { 1.0 - m })
            } else {
                pct(if up { m } else { -m })
            }
        };
        match (d.allows_increase(), d.allows_decrease()) {
            (true, false) => format!("allowed up to {}, decreases ignored", f(true, inc)),
            (false, true) => format!("allowed down to {}, increases ignored", f(false, dec)),
            _ => format!("allowed {} … {}", f(false, dec), f(true, inc)),
        }
    }
}

/// Always-valid p-value text.
/// `= 0.0123` or `< 0.0001`, to follow "p".
fn p_text(p: f64) -> String {
    if p < 1e-4 {
        "< 0.0001".into()
    } else {
        format!("= {}", sig(p))
    }
}

/// The adjusted p-value inside parentheses: `0.0123` or `< 0.0001`.
fn adjusted_text(p: f64) -> String {
    p_text(p).trim_start_matches("= ").to_string()
}

fn up(m: f64) -> impl Fn(f64) -> f64 {
    move |q| {
        if q >= 0.0 {
            q * (1.0 + m)
        } else {
            q / (1.0 + m)
        }
    }
}

fn down(m: f64) -> impl Fn(f64) -> f64 {
    move |q| {
        if q >= 0.0 {
            q * (1.0 - m)
        } else {
            q / (1.0 - m)
        }
    }
}

/// One quantile's comparison.
struct QuantileLook {
    p: f64,
    canary: QuantileBounds,
    baseline: QuantileBounds,
    /// Always-valid p-values (Bonferroni within the metric) for an increase / a decrease beyond
    /// the allowed change.
    p_high: f64,
    p_low: f64,
    equivalent: bool,
}

impl QuantileLook {
    fn name(&self) -> String {
        format!("p{}", sig(self.p * 100.0))
    }

    fn difference(&self) -> (f64, Option<f64>, Option<f64>) {
        let (c, b) = (&self.canary, &self.baseline);
        let lower = match (c.lower, b.upper) {
            (Some(l), Some(u)) => Some(l - u),
            _ => None,
        };
        let upper = match (c.upper, b.lower) {
            (Some(u), Some(l)) => Some(u - l),
            _ => None,
        };
        (c.estimate - b.estimate, lower, upper)
    }

    /// Relative interval (canary / baseline − 1), where the baseline's bounds are positive.
    fn relative(&self) -> (f64, Option<f64>, Option<f64>) {
        let (c, b) = (&self.canary, &self.baseline);
        let lower = match (c.lower, b.upper) {
            (Some(l), Some(u)) if u > 0.0 && l >= 0.0 => Some(l / u - 1.0),
            _ => None,
        };
        let upper = match (c.upper, b.lower) {
            (Some(u), Some(l)) if l > 0.0 => Some(u / l - 1.0),
            _ => None,
        };
        (relative(c.estimate - b.estimate, b.estimate), lower, upper)
    }

    fn text(&self) -> String {
        let (rel, lo, hi) = self.relative();
        let bound = |b: Option<f64>| b.map_or("unbounded".to_string(), pct);
        if rel.is_finite() {
            format!(
                "{} canary {} (CS {} … {})",
                self.name(),
                pct(rel),
                bound(lo),
                bound(hi)
            )
        } else {
            let (d, lo, hi) = self.difference();
            let bound = |b: Option<f64>| b.map_or("unbounded".to_string(), sig);
            format!(
                "{} canary {}{} (CS {} … {})",
                self.name(),
                if d >= 0.0 { "+" } else { "" },
                sig(d),
                bound(lo),
                bound(hi)
            )
        }
    }
}

fn judge_quantiles(
    ctx: &Ctx<'_>,
    control: &CleanSeries<'_>,
    experiment: &CleanSeries<'_>,
) -> Judged {
    let s = &ctx.settings.v1;
    let (nc, ne) = (control.len(), experiment.len());
    let counts = (nc as f64, ne as f64);
    if nc == 0 || ne == 0 {
        return ctx.waiting(
            "quantiles",
            "no-data",
            format!("no data yet (n = {nc}/{ne})"),
            counts,
        );
    }
    if nc.min(ne) < ctx.settings.min_samples {
        return ctx.waiting(
            "quantiles",
            "insufficient-data",
            format!(
                "more data needed: {nc} baseline and {ne} canary points, at least {} a side before deciding",
                ctx.settings.min_samples
            ),
            counts,
        );
    }
    let d = direction(s, false);
    let (inc, dec) = (d.allows_increase(), d.allows_decrease());
    let q = ctx.settings.quantiles.len() as f64;
    let directions = f64::from(u8::from(inc) + u8::from(dec)).max(1.0);
    let k = 2.0 * q * directions;
    let alpha_b = ctx.alpha_m / k;
    let c_sorted = experiment.sorted();
    let b_sorted = control.sorted();
    let negate = |x: &SortedSample| SortedSample::new(x.as_slice().iter().map(|v| -v).collect());
    let (c_neg, b_neg) = if dec {
        match (negate(c_sorted), negate(b_sorted)) {
            (Ok(c), Ok(b)) => (Some(c), Some(b)),
            _ => (None, None),
        }
    } else {
        (None, None)
    };
    let (up, down) = (up(s.allowed_increase), down(s.allowed_decrease));
    let mirrored_down = |x: f64| -down(-x);
    let mut looks = Vec::with_capacity(ctx.settings.quantiles.len());
    for &p in &ctx.settings.quantiles {
        let bounds = (
            quantile_bounds(c_sorted, p, alpha_b, QUANTILE_PRIOR_CONCENTRATION),
            quantile_bounds(b_sorted, p, alpha_b, QUANTILE_PRIOR_CONCENTRATION),
        );
        let (Ok(canary), Ok(baseline)) = bounds else {
            return Judged {
                decision: SequentialDecision::Continue,
                classification: Classification::Error,
                reason: format!("{}: continue, the quantile test failed", ctx.name),
                evidence: ctx.evidence("quantiles", "error", counts.0, counts.1),
            };
        };
        let ln_e_high = if inc {
            quantile_increase_ln_e(c_sorted, b_sorted, p, QUANTILE_PRIOR_CONCENTRATION, &up)
                .unwrap_or(0.0)
        } else {
            0.0
        };
        let ln_e_low = match (&c_neg, &b_neg) {
            (Some(c), Some(b)) => {
                quantile_increase_ln_e(c, b, 1.0 - p, QUANTILE_PRIOR_CONCENTRATION, mirrored_down)
                    .unwrap_or(0.0)
            }
            _ => 0.0,
        };
        let p_of = |ln_e: f64| (k * (-ln_e).exp()).min(1.0);
        let within_up =
            !inc || matches!((canary.upper, baseline.lower), (Some(u), Some(l)) if u <= up(l));
        let within_down =
            !dec || matches!((canary.lower, baseline.upper), (Some(l), Some(u)) if l >= down(u));
        looks.push(QuantileLook {
            p,
            canary,
            baseline,
            p_high: p_of(ln_e_high),
            p_low: p_of(ln_e_low),
            equivalent: within_up && within_down,
        });
    }
    let checks: Vec<Check> = looks
        .iter()
        .map(|l| {
            let (est, lo, hi) = l.difference();
            Check {
                test: format!("quantile({})", l.name()),
                statistic: None,
                p_value: Some(l.p_high.min(l.p_low)),
                estimate: Some(est),
                lower: lo,
                upper: hi,
                relative_estimate: finite(l.relative().0),
            }
        })
        .collect();
    // The quantile with the strongest evidence of a regression.
    let mut best = 0;
    let mut best_p = f64::INFINITY;
    for (i, l) in looks.iter().enumerate() {
        let p = l.p_high.min(l.p_low);
        if p < best_p {
            best_p = p;
            best = i;
        }
    }
    let fail = best_p <= ctx.alpha_m;
    let all_equivalent = looks.iter().all(|l| l.equivalent);
    let high = looks.get(best).is_some_and(|l| l.p_high <= l.p_low);
    let decision = SequentialDecision::from_evidence(fail, all_equivalent);
    let (classification, rule) = (decision.label(high), decision.as_str());
    let shown = if fail {
        best
    } else if all_equivalent {
        0
    } else {
        looks.iter().position(|l| !l.equivalent).unwrap_or(0)
    };
    let l = &looks[shown];
    let (est, lo, hi) = l.difference();
    let (rel, rel_lo, rel_hi) = l.relative();
    let adjusted = (best_p * ctx.family).min(1.0);
    let mut evidence = ctx.evidence(&format!("quantile({})", l.name()), rule, counts.0, counts.1);
    evidence.estimate = Some(est);
    evidence.lower = lo;
    evidence.upper = hi;
    evidence.relative_estimate = finite(rel);
    evidence.relative_lower = rel_lo.and_then(finite);
    evidence.relative_upper = rel_hi.and_then(finite);
    evidence.p_value = Some(best_p);
    evidence.adjusted_p_value = Some(adjusted);
    evidence.checks = checks;
    let n_text = format!("n = {nc}/{ne}");
    let lvl = level(1.0 - ctx.alpha_m);
    let reason = match decision {
        SequentialDecision::FailNow => format!(
            "{}: fail now: {}, always-valid p {} (adjusted {}), {n_text}; {} → {classification}",
            ctx.name,
            looks[best].text(),
            p_text(best_p),
            adjusted_text(adjusted),
            ctx.allowed(false)
        ),
        SequentialDecision::PassNow => format!(
            "{}: pass now, every quantile within the allowed change ({lvl} anytime): {}; {n_text}; {}",
            ctx.name,
            looks.iter().map(QuantileLook::text).collect::<Vec<_>>().join(", "),
            ctx.allowed(false)
        ),
        SequentialDecision::Continue => format!(
            "{}: continue, more data needed: {}; no regression shown (always-valid p {}), {n_text}; {}",
            ctx.name,
            looks.iter().map(QuantileLook::text).collect::<Vec<_>>().join(", "),
            p_text(best_p),
            ctx.allowed(false)
        ),
    };
    Judged {
        decision,
        classification,
        reason,
        evidence,
    }
}

fn judge_counts(
    ctx: &Ctx<'_>,
    pair: &MetricSetPair,
    denominator: Option<&MetricSetPair>,
) -> Judged {
    let s = ctx.settings;
    let replace = s.v1.base.nan_strategy == NanStrategy::Replace;
    let (ev_c, ev_e) = (&pair.values.control, &pair.values.experiment);
    let len = ev_c.len().min(ev_e.len());
    let mut intervals = Vec::with_capacity(len);
    let (mut exposure_c, mut exposure_e) = (0.0, 0.0);
    let (mut total_c, mut total_e) = (0u64, 0u64);
    let whole = |x: f64| -> Option<Option<u64>> {
        if x.is_nan() {
            return Some(replace.then_some(0));
        }
        let r = x.round();
        (0.0..9.0e15).contains(&r).then_some(Some(r as u64))
    };
    for k in 0..len {
        let (Some(xc), Some(xe)) = (whole(ev_c[k]), whole(ev_e[k])) else {
            return Judged {
                decision: SequentialDecision::Continue,
                classification: Classification::Error,
                reason: format!(
                    "{}: continue, cannot judge: interval {k} has a negative or too large count ({} baseline, {} canary)",
                    ctx.name,
                    sig(ev_c[k]),
                    sig(ev_e[k])
                ),
                evidence: ctx.evidence("count", "error", 0.0, 0.0),
            };
        };
        let (Some(xc), Some(xe)) = (xc, xe) else {
            continue;
        };
        let (tc, te) = match (denominator, s.traffic_share) {
            (Some(d), _) => {
                let get = |v: &[f64]| v.get(k).copied().unwrap_or(f64::NAN);
                let (tc, te) = (get(&d.values.control), get(&d.values.experiment));
                if !(tc.is_finite() && te.is_finite() && tc >= 0.0 && te >= 0.0) {
                    continue;
                }
                (tc, te)
            }
            (None, Some(share)) => (1.0 - share, share),
            (None, None) => (1.0, 1.0),
        };
        exposure_c += tc;
        exposure_e += te;
        total_c = total_c.saturating_add(xc);
        total_e = total_e.saturating_add(xe);
        intervals.push(CountInterval {
            canary_events: xe,
            baseline_events: xc,
            canary_exposure: te,
            baseline_exposure: tc,
        });
    }
    // Totals past 9e15 are not exact in doubles, and the e-value's arithmetic breaks down
    // before that (identical canary and baseline counts of 4e15 an interval had failed).
    if total_c.max(total_e) >= 9_000_000_000_000_000 {
        return Judged {
            decision: SequentialDecision::Continue,
            classification: Classification::Error,
            reason: format!(
                "{}: continue, cannot judge: event totals must stay below 9e15 ({} baseline, {} \
                 canary)",
                ctx.name,
                sig(total_c as f64),
                sig(total_e as f64)
            ),
            evidence: ctx.evidence("count", "error", 0.0, 0.0),
        };
    }
    let with_denominator = denominator.is_some();
    let counts = if with_denominator {
        (exposure_c, exposure_e)
    } else {
        (intervals.len() as f64, intervals.len() as f64)
    };
    if intervals.is_empty() {
        return ctx.waiting(
            "count",
            "no-data",
            "no intervals with data yet".into(),
            counts,
        );
    }
    if with_denominator && exposure_c.min(exposure_e) < s.min_requests {
        return ctx.waiting(
            "count",
            "insufficient-data",
            format!(
                "more data needed: {} baseline and {} canary requests, at least {} a side before deciding",
                number(exposure_c),
                number(exposure_e),
                number(s.min_requests)
            ),
            counts,
        );
    }
    if intervals.len() < s.min_samples {
        return ctx.waiting(
            "count",
            "insufficient-data",
            format!(
                "more data needed: {} intervals, at least {} before deciding",
                intervals.len(),
                s.min_samples
            ),
            counts,
        );
    }
    let seq = match RateRatioSequence::new(&intervals) {
        Ok(seq) => seq,
        Err(e) => {
            return Judged {
                decision: SequentialDecision::Continue,
                classification: Classification::Error,
                reason: format!("{}: continue, cannot judge: {e}", ctx.name),
                evidence: ctx.evidence("count", "error", counts.0, counts.1),
            }
        }
    };
    let d = direction(&s.v1, true);
    let lo = if d.allows_decrease() {
        1.0 - s.v1.allowed_decrease
    } else {
        0.0
    };
    let hi = if d.allows_increase() {
        1.0 + s.v1.allowed_increase
    } else {
        f64::INFINITY
    };
    let ln_e = seq.ln_e_value_outside(lo, hi);
    let e = ln_e.exp();
    let p = (-ln_e).exp().min(1.0);
    let adjusted = (p * ctx.family).min(1.0);
    let cs = seq
        .confidence_sequence(ctx.alpha_m)
        .unwrap_or(crate::stats::RatioInterval {
            estimate: f64::NAN,
            lower: 0.0,
            upper: f64::INFINITY,
        });
    let fail = ln_e >= -ctx.alpha_m.ln();
    let pass = !fail && cs.lower >= lo && cs.upper <= hi;
    let decision = SequentialDecision::from_evidence(fail, pass);
    let (classification, rule) = (decision.label(cs.estimate > hi), decision.as_str());
    let mut evidence = ctx.evidence("count", rule, counts.0, counts.1);
    evidence.estimate = Some(cs.estimate);
    evidence.lower = Some(cs.lower);
    evidence.upper = Some(cs.upper);
    evidence.relative_estimate = finite(cs.estimate - 1.0);
    evidence.relative_lower = finite(cs.lower - 1.0);
    evidence.relative_upper = finite(cs.upper - 1.0);
    evidence.p_value = Some(p);
    evidence.adjusted_p_value = Some(adjusted);
    evidence.e_value = Some(e);
    evidence.checks = vec![Check {
        test: "count".into(),
        statistic: Some(seq.canary_events()),
        p_value: Some(p),
        estimate: Some(cs.estimate),
        lower: Some(cs.lower),
        upper: Some(cs.upper),
        relative_estimate: finite(cs.estimate - 1.0),
    }];
    let ratio = |r: f64| {
        if r.is_nan() {
            "unknown (no events)".to_string()
        } else {
            times(r)
        }
    };
    let change = format!(
        "event rate {} (anytime {} CS {} … {}), e = {} against the allowed band, always-valid p {} (adjusted {}); {} canary vs {} baseline events over {} intervals",
        ratio(cs.estimate),
        level(1.0 - ctx.alpha_m),
        times(cs.lower),
        times(cs.upper),
        sig(e),
        p_text(p),
        adjusted_text(adjusted),
        number(seq.canary_events()),
        number(seq.baseline_events()),
        intervals.len()
    );
    let allowed = ctx.allowed(true);
    let reason = match decision {
        SequentialDecision::FailNow => {
            format!(
                "{}: fail now: {change}; {allowed} → {classification}",
                ctx.name
            )
        }
        SequentialDecision::PassNow => format!(
            "{}: pass now, the rate ratio is within the allowed change: {change}; {allowed}",
            ctx.name
        ),
        SequentialDecision::Continue => format!(
            "{}: continue, more data needed: {change}; {allowed}",
            ctx.name
        ),
    };
    Judged {
        decision,
        classification,
        reason,
        evidence,
    }
}

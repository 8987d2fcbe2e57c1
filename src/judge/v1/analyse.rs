//! One metric's tests, before the judgement-wide multiple-testing adjustment.

use super::settings::{Aggregate, TestChoice, ThresholdRule, V1MetricSettings};
use crate::judge::settings::Direction;
use crate::judge::CleanSeries;
use crate::model::Check;
use crate::stats::{
    ks_test, mean, percentile_no_overflow, quantile_shift, rank_test, rate_test, SortedSample,
};

/// Quantiles compared by the `distribution` test; p99 only with at least this many points a side.
const QUANTILES: [f64; 3] = [0.1, 0.5, 0.9];
const P99_MIN_POINTS: usize = 100;

/// One component test's view of the change, in the units the decision uses.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Component {
    /// `rank`, `distribution` or `rate`.
    pub test: &'static str,
    /// Its p-value for the configured direction.
    pub p: f64,
    /// Absolute change (rate: the ratio).
    pub estimate: f64,
    /// Interval for `estimate`, where one exists.
    pub lower: Option<f64>,
    /// Interval for `estimate`, where one exists.
    pub upper: Option<f64>,
    /// The change relative to the baseline (±∞ when the baseline's level is 0).
    pub relative: f64,
    /// Relative interval.
    pub relative_lower: Option<f64>,
    /// Relative interval.
    pub relative_upper: Option<f64>,
    /// What to say about it (`p90`, `KS D = 0.41`), for the reason.
    pub detail: String,
}

/// What the tests of one metric found.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Outcome {
    /// A side has no points.
    NoData,
    /// Fewer points (or requests) than the settings require.
    Insufficient(String),
    /// Tests with p-values, to be adjusted across metrics; the metric's p is Bonferroni over
    /// the components.
    Tested {
        /// min(1, k × min p) over the k components.
        p: f64,
        /// Components in decision order (rank before distribution).
        components: Vec<Component>,
    },
    /// The classification failed (e.g. a side's differences overflow).
    Failed(String),
}

/// Counts and checks gathered for the evidence.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Analysis {
    pub control_count: f64,
    pub experiment_count: f64,
    pub checks: Vec<Check>,
    /// The threshold check's verdict: `Some(true)` above max, `Some(false)` below min.
    pub threshold: Option<ThresholdHit>,
}

/// A threshold the canary's aggregate crossed.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ThresholdHit {
    /// True when above the maximum (High), false when below the minimum (Low).
    pub above: bool,
    /// The aggregate's value.
    pub value: f64,
    /// The bound crossed.
    pub bound: f64,
    /// `mean`, `p99`, `rate`.
    pub aggregate: String,
}

/// The effective direction: a `rate` metric without `direction` counts only increases.
pub(crate) fn direction(settings: &V1MetricSettings, rate: bool) -> Direction {
    if rate && !settings.direction_given {
        Direction::Increase
    } else {
        settings.base.direction
    }
}

fn p_for(direction: Direction, two_sided: f64, greater: f64, less: f64) -> f64 {
    match direction {
        Direction::Either => two_sided,
        Direction::Increase => greater,
        Direction::Decrease => less,
    }
}

/// Change relative to `level`: ±∞ (or 0) when the level is 0.
pub(crate) fn relative(change: f64, level: f64) -> f64 {
    if level != 0.0 {
        change / level.abs()
    } else if change > 0.0 {
        f64::INFINITY
    } else if change < 0.0 {
        f64::NEG_INFINITY
    } else {
        0.0
    }
}

/// The mean of finite values, never overflowing: Kayenta's [`mean`] when its sums stay finite,
/// else the sum of `x / n` (values near ±1.8e308 of both signs, where the plain sum gives ±∞
/// or NaN and an explanation would read "canary NaN"). Empty: NaN.
fn finite_values_mean(values: &[f64]) -> f64 {
    let m = mean(values);
    if m.is_finite() || values.is_empty() {
        return m;
    }
    let n = values.len() as f64;
    values.iter().fold(0.0, |acc, &x| acc + x / n)
}

/// The baseline's level for relative changes: its median, or its mean when the median is 0.
fn level(sorted: &SortedSample, values: &[f64]) -> f64 {
    let median = percentile_no_overflow(sorted, 50.0).unwrap_or(f64::NAN);
    if median != 0.0 {
        median
    } else {
        finite_values_mean(values)
    }
}

/// The most events (baseline and canary together) the exact rate test is run on: its cost
/// grows with the square root of the count (6e9 events a side took 0.2 s, 6e11 1.8 s, 6e14 43 s
/// on the project's VM), and a request must not hold a core for minutes.
pub(crate) const MAX_RATE_EVENTS: u64 = 100_000_000_000;

/// Runs the continuous tests (`rank`, `distribution`) of one metric.
pub(super) fn continuous(
    settings: &V1MetricSettings,
    control: &CleanSeries<'_>,
    experiment: &CleanSeries<'_>,
    confidence: f64,
    analysis: &mut Analysis,
) -> Outcome {
    analysis.control_count = control.len() as f64;
    analysis.experiment_count = experiment.len() as f64;
    if control.is_empty() || experiment.is_empty() {
        return Outcome::NoData;
    }
    let (nc, ne) = (control.len(), experiment.len());
    if nc.min(ne) < settings.min_samples {
        return Outcome::Insufficient(format!(
            "{nc} baseline and {ne} canary points, at least {} a side needed",
            settings.min_samples
        ));
    }
    let direction = direction(settings, false);
    let base = control.sorted().as_slice();
    let canary = experiment.sorted().as_slice();
    let level = level(control.sorted(), control.values());
    let mut components = Vec::new();
    let (run_rank, run_distribution) = match settings.test {
        TestChoice::Rank => (true, false),
        TestChoice::Distribution => (false, true),
        _ => (true, true),
    };
    if run_rank {
        match rank_test(canary, base, confidence) {
            Ok(r) => {
                let p = p_for(direction, r.p_value, r.p_greater, r.p_less);
                analysis.checks.push(Check {
                    test: "rank".into(),
                    statistic: Some(r.statistic),
                    p_value: Some(p),
                    estimate: Some(r.estimate),
                    lower: Some(r.lower),
                    upper: Some(r.upper),
                    relative_estimate: finite(relative(r.estimate, level)),
                });
                // Ties can make the Hodges–Lehmann shift exactly 0 while the ranks differ
                // (zero-inflated counts: most pairwise differences are 0 − 0). The change is
                // then measured by the means, so a real change is not read as "no change".
                let mean_change = r.estimate == 0.0 && r.lower <= 0.0 && r.upper >= 0.0;
                let component = if mean_change {
                    let (mc, mb) = (
                        finite_values_mean(experiment.values()),
                        finite_values_mean(control.values()),
                    );
                    // A median-shift interval of exactly [0, 0] says nothing about the mean
                    // change: it is left out, so that equivalence is not read from it (a +350%
                    // mean change was "shown equivalent" within ±10% on [0, 0]). A wider one
                    // still bounds the shift and is kept (equivalence then also needs the
                    // estimate within the margins: `decide`).
                    let (lower, upper) = if r.lower == r.upper {
                        (None, None)
                    } else {
                        (Some(r.lower), Some(r.upper))
                    };
                    Component {
                        test: "rank",
                        p,
                        estimate: mc - mb,
                        lower,
                        upper,
                        relative: relative(mc - mb, mb),
                        relative_lower: lower.map(|b| relative(b, mb)),
                        relative_upper: upper.map(|b| relative(b, mb)),
                        detail: "mean change (the median shift is 0)".into(),
                    }
                } else {
                    Component {
                        test: "rank",
                        p,
                        estimate: r.estimate,
                        lower: Some(r.lower),
                        upper: Some(r.upper),
                        relative: relative(r.estimate, level),
                        relative_lower: Some(relative(r.lower, level)),
                        relative_upper: Some(relative(r.upper, level)),
                        detail: "median shift".into(),
                    }
                };
                components.push(component);
            }
            Err(e) => return Outcome::Failed(e.to_string()),
        }
    }
    if run_distribution {
        let ks = match ks_test(canary, base) {
            Ok(k) => k,
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        analysis.checks.push(Check {
            test: "ks".into(),
            statistic: Some(ks.statistic),
            p_value: Some(ks.p_value),
            ..Check::default()
        });
        // Tail rank tests, in the directions the metric cares about; the distribution's p is
        // Bonferroni over KS and the tails.
        let mut shape_p = vec![ks.p_value];
        for upper in [true, false] {
            let wanted = if upper {
                direction.allows_increase()
            } else {
                direction.allows_decrease()
            };
            if !wanted {
                continue;
            }
            if let Some(t) = tail_rank_test(canary, base, upper, confidence) {
                let p = if upper { t.p_greater } else { t.p_less };
                analysis.checks.push(Check {
                    test: if upper {
                        "tail(upper 20%)"
                    } else {
                        "tail(lower 20%)"
                    }
                    .into(),
                    statistic: Some(t.statistic),
                    p_value: Some(p),
                    estimate: Some(t.estimate),
                    lower: Some(t.lower),
                    upper: Some(t.upper),
                    relative_estimate: None,
                });
                shape_p.push(p);
            }
        }
        let shape =
            (shape_p.len() as f64 * shape_p.iter().copied().fold(1.0_f64, f64::min)).min(1.0);
        // The quantile that moved most, relative to the baseline, in an allowed direction.
        let mut quantiles = QUANTILES.to_vec();
        if nc.min(ne) >= P99_MIN_POINTS {
            quantiles.push(0.99);
        }
        let mut best: Option<Component> = None;
        for q in quantiles {
            let shift = match quantile_shift(canary, base, q, confidence) {
                Ok(s) => s,
                Err(e) => return Outcome::Failed(e.to_string()),
            };
            let rel = relative(shift.estimate, shift.baseline.estimate);
            let name = format!("p{}", q * 100.0);
            analysis.checks.push(Check {
                test: format!("quantile({name})"),
                estimate: Some(shift.estimate),
                lower: shift.lower,
                upper: shift.upper,
                relative_estimate: finite(rel),
                ..Check::default()
            });
            let allowed = (rel > 0.0 && direction.allows_increase())
                || (rel < 0.0 && direction.allows_decrease());
            if allowed && best.as_ref().is_none_or(|b| rel.abs() > b.relative.abs()) {
                best = Some(Component {
                    test: "distribution",
                    p: shape,
                    estimate: shift.estimate,
                    lower: shift.lower,
                    upper: shift.upper,
                    relative: rel,
                    relative_lower: shift.lower.map(|l| relative(l, shift.baseline.estimate)),
                    relative_upper: shift.upper.map(|u| relative(u, shift.baseline.estimate)),
                    detail: format!("{name} (KS D = {:.3})", ks.statistic),
                });
            }
        }
        components.push(best.unwrap_or(Component {
            test: "distribution",
            p: shape,
            estimate: 0.0,
            lower: None,
            upper: None,
            relative: 0.0,
            relative_lower: None,
            relative_upper: None,
            detail: format!(
                "no quantile moved in an allowed direction (KS D = {:.3})",
                ks.statistic
            ),
        }));
    }
    let k = components.len() as f64;
    let p = components.iter().map(|c| c.p).fold(1.0_f64, f64::min);
    Outcome::Tested {
        p: (k * p).min(1.0),
        components,
    }
}

/// Share of the pooled sample a tail rank test looks at.
const TAIL_SHARE: f64 = 0.2;
/// Points a side the tail must hold for its test to run.
const TAIL_MIN_POINTS: usize = 5;

/// Mann-Whitney on the pooled upper (or lower) 20% of the points: is the canary's tail further
/// out than the baseline's? The subset is chosen from the pooled values alone (every point at or
/// beyond the pooled 80th percentile), so under no change the labels within it are still
/// exchangeable and the test keeps its level; it sees tails that stretch while the bulk stays
/// put, which neither the whole-sample rank test nor KS see well. `None` when either side has
/// fewer than 5 points in the tail.
fn tail_rank_test(
    canary: &[f64],
    base: &[f64],
    upper: bool,
    confidence: f64,
) -> Option<crate::stats::RankTest> {
    let total = canary.len() + base.len();
    let k = ((total as f64) * TAIL_SHARE).ceil() as usize;
    if k == 0 || k > total {
        return None;
    }
    // The pooled k-th largest (or smallest) value, by merging from the chosen end.
    let (mut i, mut j) = (0usize, 0usize);
    let mut cut = f64::NAN;
    for _ in 0..k {
        let from_canary = if upper {
            let (a, b) = (
                canary.len().checked_sub(i + 1),
                base.len().checked_sub(j + 1),
            );
            match (a, b) {
                (Some(a), Some(b)) => canary[a] >= base[b],
                (Some(_), None) => true,
                _ => false,
            }
        } else {
            match (canary.get(i), base.get(j)) {
                (Some(a), Some(b)) => a <= b,
                (Some(_), None) => true,
                _ => false,
            }
        };
        if from_canary {
            cut = if upper {
                canary[canary.len() - 1 - i]
            } else {
                canary[i]
            };
            i += 1;
        } else {
            cut = if upper {
                base[base.len() - 1 - j]
            } else {
                base[j]
            };
            j += 1;
        }
    }
    let (c, b) = if upper {
        (
            &canary[canary.partition_point(|v| *v < cut)..],
            &base[base.partition_point(|v| *v < cut)..],
        )
    } else {
        (
            &canary[..canary.partition_point(|v| *v <= cut)],
            &base[..base.partition_point(|v| *v <= cut)],
        )
    };
    if c.len() < TAIL_MIN_POINTS || b.len() < TAIL_MIN_POINTS {
        return None;
    }
    rank_test(c, b, confidence).ok()
}

/// Runs the `rate` test: Σ metric (rounded to whole events) over Σ denominator, per side.
pub(super) fn rate(
    settings: &V1MetricSettings,
    events: (&CleanSeries<'_>, &CleanSeries<'_>),
    exposure: (&[f64], &[f64]),
    confidence: f64,
    analysis: &mut Analysis,
) -> Outcome {
    let (control, experiment) = events;
    if let Some(x) = exposure.0.iter().chain(exposure.1).find(|x| **x < 0.0) {
        return Outcome::Failed(format!(
            "the denominator's values must not be negative, got {}",
            number(*x)
        ));
    }
    let sum = |v: &[f64]| v.iter().filter(|x| !x.is_nan()).sum::<f64>() + 0.0;
    let (tc, te) = (sum(exposure.0), sum(exposure.1));
    analysis.control_count = tc;
    analysis.experiment_count = te;
    if control.is_empty() || experiment.is_empty() || tc <= 0.0 || te <= 0.0 {
        return Outcome::NoData;
    }
    if tc.min(te) < settings.min_requests {
        return Outcome::Insufficient(format!(
            "{} baseline and {} canary requests, at least {} a side needed",
            number(tc),
            number(te),
            number(settings.min_requests)
        ));
    }
    let total = |s: &CleanSeries<'_>| s.values().iter().sum::<f64>().round();
    let count = |t: f64| (0.0..9.0e15).contains(&t).then_some(t as u64);
    let (tc_events, te_events) = (total(control), total(experiment));
    let (Some(xc), Some(xe)) = (count(tc_events), count(te_events)) else {
        return Outcome::Failed(format!(
            "event totals must be whole counts from 0 to 9e15 (exact in doubles), got {} \
             baseline and {} canary",
            number(tc_events),
            number(te_events)
        ));
    };
    // The exact test sums binomial terms over a few standard deviations, √n of them, at each
    // of its root-finding steps: 1e11 events take about a second, 1e15 over a minute.
    if xc.saturating_add(xe) > MAX_RATE_EVENTS {
        return Outcome::Failed(format!(
            "{} events in all is more than the exact rate test takes ({}): count coarser events",
            super::explain::sig(xc.saturating_add(xe) as f64),
            super::explain::sig(MAX_RATE_EVENTS as f64)
        ));
    }
    let r = match rate_test(xe, te, xc, tc, confidence) {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let direction = direction(settings, true);
    let p = p_for(direction, r.p_value, r.p_greater, r.p_less);
    analysis.checks.push(Check {
        test: "rate".into(),
        statistic: Some(xe as f64),
        p_value: Some(p),
        estimate: Some(r.ratio),
        lower: Some(r.lower),
        upper: Some(r.upper),
        relative_estimate: finite(r.ratio - 1.0),
    });
    let rel = if r.ratio.is_nan() { 0.0 } else { r.ratio - 1.0 };
    Outcome::Tested {
        p,
        components: vec![Component {
            test: "rate",
            p,
            estimate: r.ratio,
            lower: Some(r.lower),
            upper: Some(r.upper),
            relative: rel,
            relative_lower: Some(r.lower - 1.0),
            relative_upper: Some(r.upper - 1.0),
            detail: format!(
                "{xe} / {} canary vs {xc} / {} baseline",
                number(te),
                number(tc)
            ),
        }],
    }
}

/// Checks the canary's aggregate against a threshold rule; `None` when within bounds.
pub(super) fn threshold(
    rule: &ThresholdRule,
    experiment: &CleanSeries<'_>,
    denominator: Option<&[f64]>,
    analysis: &mut Analysis,
) -> Option<ThresholdHit> {
    let (value, name) = match rule.aggregate {
        Aggregate::Mean => (finite_values_mean(experiment.values()), "mean".to_string()),
        Aggregate::Percentile(p) => (
            percentile_no_overflow(experiment.sorted(), p).unwrap_or(f64::NAN),
            format!("p{p}"),
        ),
        Aggregate::Rate => {
            // `+ 0.0`: an empty float sum is −0, and events over −0 traffic would be −∞.
            let den: f64 = denominator
                .unwrap_or(&[])
                .iter()
                .filter(|x| !x.is_nan())
                .sum::<f64>()
                + 0.0;
            (
                experiment.values().iter().sum::<f64>() / den,
                "rate".to_string(),
            )
        }
    };
    analysis.checks.push(Check {
        test: format!("threshold({name})"),
        estimate: finite(value),
        ..Check::default()
    });
    // NaN (no data, or no traffic and no events) is not a crossing. ±∞ is: events over no
    // traffic are above any maximum (they had passed as "within").
    if value.is_nan() {
        return None;
    }
    let hit = match (rule.min, rule.max) {
        (_, Some(max)) if value > max => Some((true, max)),
        (Some(min), _) if value < min => Some((false, min)),
        _ => None,
    };
    hit.map(|(above, bound)| ThresholdHit {
        above,
        value,
        bound,
        aggregate: name,
    })
}

/// `Some(x)` for finite x.
pub(crate) fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// A count or total for reasons: whole numbers without decimals.
pub(crate) fn number(x: f64) -> String {
    let x = x + 0.0; // −0 (an empty float sum) prints as 0
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        super::explain::sig(x)
    }
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn counts_print_without_a_negative_zero() {
        // An empty float sum is −0 (all-NaN traffic): "requests = -0/-0" had been printed.
        let empty: f64 = std::iter::empty::<f64>().sum();
        assert!(empty.is_sign_negative());
        assert_eq!(number(empty), "0");
        assert_eq!(number(6000.0), "6000");
        assert_eq!(number(-6000.0), "-6000");
    }
}

//! From test results to a label, a reason in words and the evidence (the rule of the crate docs).

use super::analyse::{finite, number, Analysis, Component, Outcome, ThresholdHit};
use super::explain::{level, pct, pval, sig, times};
use super::settings::V1MetricSettings;
use crate::model::{Classification, Evidence};

/// One metric's decision.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Decision {
    pub classification: Classification,
    pub reason: String,
    pub evidence: Evidence,
    pub critical: bool,
}

/// What the decision needs besides the metric's own results.
pub(super) struct Context<'a> {
    pub name: &'a str,
    pub settings: &'a V1MetricSettings,
    pub alpha: f64,
    pub confidence: f64,
    /// The metric's adjusted p-value and its multiple-testing multiplier (present for a tested,
    /// non-muted metric).
    pub adjusted: Option<(f64, f64)>,
}

/// Decides one metric. Order: a failed classification is `Error`; a crossed threshold is
/// High/Low; no data is `Nodata` (`NodataFailMetric` with `mustHaveData`); too little data is
/// `Nodata` with rule `insufficient-data`; otherwise the tests decide (see the crate docs).
pub(super) fn decide(ctx: &Context<'_>, outcome: Outcome, analysis: Analysis) -> Decision {
    let s = ctx.settings;
    let name = ctx.name;
    let counts = format!(
        "{} = {}/{}",
        if s.denominator.is_some() && s.test != super::settings::TestChoice::Threshold {
            "requests"
        } else {
            "n"
        },
        number(analysis.control_count),
        number(analysis.experiment_count)
    );
    let mut evidence = Evidence {
        test: String::new(),
        rule: String::new(),
        control_count: analysis.control_count,
        experiment_count: analysis.experiment_count,
        confidence: Some(ctx.confidence),
        alpha: Some(ctx.alpha),
        allowed_increase: Some(s.allowed_increase),
        allowed_decrease: Some(s.allowed_decrease),
        checks: analysis.checks,
        ..Evidence::default()
    };
    let done = |classification: Classification,
                reason: String,
                evidence: Evidence,
                critical: bool| Decision {
        classification,
        reason,
        evidence,
        critical: critical || s.base.critical,
    };

    if let Outcome::Failed(why) = &outcome {
        evidence.test = test_name(s).into();
        evidence.rule = "error".into();
        return done(
            Classification::Error,
            format!("{name}: classification failed: {why}"),
            evidence,
            false,
        );
    }
    if let Some(hit) = analysis.threshold {
        return threshold_decision(name, hit, evidence, done);
    }
    let (p, components) = match outcome {
        Outcome::NoData => {
            evidence.test = test_name(s).into();
            evidence.rule = "no-data".into();
            let label = if s.base.must_have_data {
                Classification::NodataFailMetric
            } else {
                Classification::Nodata
            };
            return done(
                label,
                format!("{name}: no data ({counts})"),
                evidence,
                false,
            );
        }
        Outcome::Insufficient(why) => {
            evidence.test = test_name(s).into();
            evidence.rule = "insufficient-data".into();
            return done(
                Classification::Nodata,
                format!("{name}: not enough data to judge yet: {why}"),
                evidence,
                false,
            );
        }
        Outcome::Tested { p, components } if !components.is_empty() => (p, components),
        // `Failed` returned above.
        Outcome::Tested { .. } | Outcome::Failed(_) => {
            // Only a threshold ran, and it was met.
            evidence.test = "threshold".into();
            evidence.rule = "threshold-met".into();
            return done(
                Classification::Pass,
                format!("{name}: within its threshold ({counts})"),
                evidence,
                false,
            );
        }
    };
    let (adjusted, multiplier) = ctx.adjusted.unwrap_or((p, 1.0));
    evidence.p_value = Some(p);
    evidence.adjusted_p_value = Some(adjusted);
    let k = components.len() as f64;
    // A component is judged at its metric's level: Bonferroni within the metric, times the
    // metric's multiple-testing factor — its own multiplier (Holm's running maximum belongs to
    // the metric's significance, not to this factor), or less where BH's step-up gave less.
    let factor = if p > 0.0 {
        multiplier.min(adjusted / p)
    } else {
        multiplier
    };
    let component_adjusted = |c: &Component| -> f64 { (k * c.p * factor).min(1.0) };
    let significant = adjusted <= ctx.alpha;
    let p_text = if pval(adjusted) != pval(p) {
        format!(
            "p {} (adjusted {})",
            pval(p),
            pval(adjusted).trim_start_matches("= ")
        )
    } else {
        format!("p {}", pval(p))
    };

    let beyond = |c: &Component| -> Option<Classification> {
        let rel = c.relative;
        if rel > s.allowed_increase && s_allows(s, c, true) {
            Some(Classification::High)
        } else if rel < -s.allowed_decrease && s_allows(s, c, false) {
            Some(Classification::Low)
        } else {
            None
        }
    };
    if significant {
        for c in &components {
            if component_adjusted(c) > ctx.alpha {
                continue;
            }
            if let Some(label) = beyond(c) {
                fill(&mut evidence, c, "significant-beyond-margin");
                let critical = match label {
                    Classification::High => s.critical_increase.is_some_and(|m| c.relative > m),
                    _ => s.critical_decrease.is_some_and(|m| c.relative < -m),
                };
                let reason = format!(
                    "{name}: {}, {p_text}, {counts}; {} → {label}",
                    change(c, ctx.confidence),
                    allowed(s, c)
                );
                return done(label, reason, evidence, critical);
            }
        }
        // Report the component that was significant.
        let c = components
            .iter()
            .find(|c| component_adjusted(c) <= ctx.alpha)
            .unwrap_or(&components[0]);
        fill(&mut evidence, c, "within-margin");
        let reason = format!(
            "{name}: significant but within the allowed change: {}, {p_text}, {counts}; {} → Pass",
            change(c, ctx.confidence),
            allowed(s, c)
        );
        return done(Classification::Pass, reason, evidence, false);
    }
    let c = &components[0];
    let inside = |bound: Option<f64>, lo: f64, hi: f64| bound.is_some_and(|b| b >= lo && b <= hi);
    let has_margin = s.allowed_increase > 0.0 || s.allowed_decrease > 0.0;
    let equivalent = has_margin
        && inside(c.relative_lower, -s.allowed_decrease, s.allowed_increase)
        && inside(c.relative_upper, -s.allowed_decrease, s.allowed_increase)
        && inside(Some(c.relative), -s.allowed_decrease, s.allowed_increase);
    let (rule, words) = if equivalent {
        (
            "equivalent",
            "equivalence shown, the interval lies within the allowed change",
        )
    } else {
        ("not-significant", "no significant change")
    };
    fill(&mut evidence, c, rule);
    let reason = format!(
        "{name}: {words}: {}, {p_text}, {counts}; {} → Pass",
        change(c, ctx.confidence),
        allowed(s, c)
    );
    done(Classification::Pass, reason, evidence, false)
}

fn s_allows(s: &V1MetricSettings, c: &Component, up: bool) -> bool {
    let d = super::analyse::direction(s, c.test == "rate");
    if up {
        d.allows_increase()
    } else {
        d.allows_decrease()
    }
}

fn test_name(s: &V1MetricSettings) -> &'static str {
    use super::settings::TestChoice::*;
    match s.test {
        Auto if s.denominator.is_some() => "rate",
        Auto => "auto",
        Rank => "rank",
        Distribution => "distribution",
        Rate => "rate",
        Threshold => "threshold",
    }
}

fn fill(e: &mut Evidence, c: &Component, rule: &str) {
    e.test = c.test.into();
    e.rule = rule.into();
    e.estimate = Some(c.estimate);
    e.lower = c.lower;
    e.upper = c.upper;
    e.relative_estimate = finite(c.relative);
    e.relative_lower = c.relative_lower.and_then(finite);
    e.relative_upper = c.relative_upper.and_then(finite);
}

/// "canary +12.4% (99% CI +8.1% … +16.0%)", "error rate ×3.2 (…)", "p90: canary +35% (…)".
fn change(c: &Component, confidence: f64) -> String {
    let lvl = level(confidence);
    if c.test == "rate" {
        let bound = |b: Option<f64>| b.map_or("?".to_string(), times);
        return format!(
            "error rate {} ({lvl} CI {} … {}; {})",
            if c.estimate.is_nan() {
                "unchanged (no errors)".to_string()
            } else {
                times(c.estimate)
            },
            bound(c.lower),
            bound(c.upper),
            c.detail
        );
    }
    let rel_bound = |b: Option<f64>| b.map_or("unbounded".to_string(), pct);
    let abs_bound = |b: Option<f64>| b.map_or("unbounded".to_string(), sig);
    let what = if c.test == "distribution" {
        format!("{}: canary", c.detail)
    } else {
        "canary".to_string()
    };
    if c.lower.is_none() && c.upper.is_none() && c.test == "rank" {
        // The mean change, which has no interval of its own.
        let change = if c.relative.is_finite() {
            pct(c.relative)
        } else {
            format!(
                "{}{}",
                if c.estimate >= 0.0 { "+" } else { "" },
                sig(c.estimate)
            )
        };
        return format!("{what} {change} ({}, no interval)", c.detail);
    }
    if c.relative.is_finite() {
        format!(
            "{what} {} ({lvl} CI {} … {})",
            pct(c.relative),
            rel_bound(c.relative_lower.filter(|x| x.is_finite())),
            rel_bound(c.relative_upper.filter(|x| x.is_finite()))
        )
    } else {
        format!(
            "{what} {}{} against a baseline level of 0 ({lvl} CI {} … {})",
            if c.estimate >= 0.0 { "+" } else { "" },
            sig(c.estimate),
            abs_bound(c.lower),
            abs_bound(c.upper)
        )
    }
}

/// "allowed −10.0% … +10.0%", "allowed +10.0%", "allowed ×1.1".
fn allowed(s: &V1MetricSettings, c: &Component) -> String {
    let d = super::analyse::direction(s, c.test == "rate");
    if c.test == "rate" {
        if s.allowed_increase == 0.0 && s.allowed_decrease == 0.0 {
            return if d.allows_decrease() {
                "no margin"
            } else {
                "no margin, decreases ignored"
            }
            .into();
        }
        return match (d.allows_increase(), d.allows_decrease()) {
            (true, false) => format!("allowed up to {}", times(1.0 + s.allowed_increase)),
            (false, true) => format!("allowed down to {}", times(1.0 - s.allowed_decrease)),
            _ => format!(
                "allowed {} … {}",
                times(1.0 - s.allowed_decrease),
                times(1.0 + s.allowed_increase)
            ),
        };
    }
    if s.allowed_increase == 0.0 && s.allowed_decrease == 0.0 {
        return match (d.allows_increase(), d.allows_decrease()) {
            (true, false) => "no margin, decreases ignored".into(),
            (false, true) => "no margin, increases ignored".into(),
            _ => "no margin".into(),
        };
    }
    match (d.allows_increase(), d.allows_decrease()) {
        (true, false) => format!("allowed {}, decreases ignored", pct(s.allowed_increase)),
        (false, true) => format!("allowed {}, increases ignored", pct(-s.allowed_decrease)),
        _ => format!(
            "allowed {} … {}",
            pct(-s.allowed_decrease),
            pct(s.allowed_increase)
        ),
    }
}

fn threshold_decision(
    name: &str,
    hit: ThresholdHit,
    mut evidence: Evidence,
    done: impl Fn(Classification, String, Evidence, bool) -> Decision,
) -> Decision {
    evidence.test = "threshold".into();
    evidence.rule = "threshold".into();
    evidence.estimate = Some(hit.value);
    let (label, word) = if hit.above {
        (Classification::High, "above the maximum")
    } else {
        (Classification::Low, "below the minimum")
    };
    let reason = format!(
        "{name}: canary {} = {} {word} {} → {label}",
        hit.aggregate,
        sig(hit.value),
        sig(hit.bound)
    );
    done(label, reason, evidence, false)
}

//! The improved judge's scoring: Kayenta's weighted group sum, with result weights, group
//! verdicts and reasons, and "not yet" instead of a failure when nothing could be judged.

use super::explain::sig;
use crate::error::JudgeError;
use crate::judge::round_half_up;
use crate::model::{
    CanaryJudgeGroupScore, CanaryJudgeScore, Classification, GroupWeights, ScoreThresholds, Verdict,
};

/// What scoring needs of one result.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scored<'a> {
    pub(crate) name: &'a str,
    pub(crate) classification: Classification,
    /// `rule` of the evidence: tells insufficient data from no data.
    pub(crate) rule: &'a str,
    pub(crate) groups: &'a [String],
    pub(crate) critical: bool,
    pub(crate) muted: bool,
    pub(crate) weight: f64,
    pub(crate) reason: &'a str,
}

impl Scored<'_> {
    fn insufficient(&self) -> bool {
        self.rule == "insufficient-data"
    }

    /// Scored in its group: a verdict, `NodataFailMetric`, or `Error` (a metric that could not
    /// be classified counts as not passing; Kayenta leaves it out, so that a canary whose only
    /// metric failed to classify scored 100), with a weight above 0 (`tagWeights` can give 0).
    fn counted(&self) -> bool {
        self.judged() && self.weight > 0.0
    }

    /// A verdict, `NodataFailMetric` or `Error`, whatever the weight.
    fn judged(&self) -> bool {
        matches!(
            self.classification,
            Classification::Pass
                | Classification::High
                | Classification::Low
                | Classification::NodataFailMetric
                | Classification::Error
        )
    }

    fn failed(&self) -> bool {
        self.counted() && self.classification != Classification::Pass
    }

    fn label(&self) -> String {
        if self.insufficient() {
            format!("{} (not enough data)", self.name)
        } else {
            format!("{} ({})", self.name, self.classification)
        }
    }
}

/// Refuses group weights the improved judges cannot score with: a negative weight, or configured
/// weights adding up to more than 100 (with a slack of 10⁻⁸ for decimal weights whose sum in
/// doubles is 100.00000000000001, as tenths can be). Either would let the score leave 0–100,
/// so that the thresholds no longer mean what they say; Kayenta's judge accepts both. Weights
/// adding up to less than 100 are taken as Kayenta takes them: unweighted groups share the
/// rest, and with none the rest is lost. The weights are finite here
/// ([`checked_classifier`](crate::judge::checked_classifier)); a sum that overflows is `inf`,
/// more than 100.
///
/// # Errors
/// [`JudgeError::InvalidClassifierSetting`] on `groupWeights`, naming the group or the total.
pub(crate) fn check_weights(weights: &GroupWeights) -> Result<(), JudgeError> {
    if let Some((group, w)) = weights.0.iter().find(|(_, w)| *w < 0.0) {
        return Err(JudgeError::InvalidClassifierSetting {
            field: "groupWeights",
            problem: format!(
                "the weight of group '{group}' is {}, below 0: the score would not stay within 0–100",
                plain(*w)
            ),
        });
    }
    let total = weights.total();
    if total > 100.0 * (1.0 + 1e-10) {
        return Err(JudgeError::InvalidClassifierSetting {
            field: "groupWeights",
            problem: format!(
                "the weights add up to {}, more than 100: the score would not stay within 0–100",
                plain(total)
            ),
        });
    }
    Ok(())
}

/// Refuses score thresholds the improved judges cannot use: either outside 0–100, or `marginal`
/// above `pass`. With those, "not yet" (score = marginal) could be a Pass or leave 0–100, and a
/// verdict could skip Marginal. Kayenta's judge accepts any finite thresholds. Equal thresholds
/// are fine (no Marginal band). They are finite here
/// ([`checked_classifier`](crate::judge::checked_classifier)).
///
/// # Errors
/// [`JudgeError::ThresholdsOutOfRange`], naming the threshold or both.
pub(crate) fn check_thresholds(thresholds: ScoreThresholds) -> Result<(), JudgeError> {
    for (field, value) in [("pass", thresholds.pass), ("marginal", thresholds.marginal)] {
        if !(0.0..=100.0).contains(&value) {
            return Err(JudgeError::ThresholdsOutOfRange {
                problem: format!("{field} is {}, outside 0–100", plain(value)),
            });
        }
    }
    if thresholds.marginal > thresholds.pass {
        return Err(JudgeError::ThresholdsOutOfRange {
            problem: format!(
                "marginal ({}) is above pass ({})",
                plain(thresholds.marginal),
                plain(thresholds.pass)
            ),
        });
    }
    Ok(())
}

/// A weight or threshold as the config would write it: `120`, `-5`, `33.335`, `1e308`.
fn plain(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:?}")
    }
}

/// The canary cannot be decided yet (`reason` says why): the marginal threshold as the score,
/// and Marginal as the verdict even when `pass` equals `marginal` ("not yet" is never a Pass).
fn undecided(thresholds: ScoreThresholds, reason: String) -> CanaryJudgeScore {
    CanaryJudgeScore {
        score: thresholds.marginal,
        classification: Verdict::Marginal,
        classification_reason: reason,
    }
}

fn verdict(score: f64, thresholds: ScoreThresholds) -> Verdict {
    if score >= thresholds.pass {
        Verdict::Pass
    } else if score >= thresholds.marginal {
        Verdict::Marginal
    } else {
        Verdict::Fail
    }
}

/// Scores a judgement's results (documented in the crate docs, "Scoring"):
///
/// 1. muted results are dropped;
/// 2. a critical result that is High, Low, NodataFailMetric, Error or without data (not merely
///    short of data) fails the canary: score 0, reason `Canary Failed: <its reason>`;
/// 3. 50% or more results without data (insufficient data does not count here) fail it;
/// 4. when no result could be scored and some are short of data, or when the canary would pass
///    with a critical result short of data, the canary is "not yet"; when results were judged
///    but every one has weight 0, nothing was scored: either way score = the marginal
///    threshold, verdict Marginal (also when it equals the pass threshold), a reason;
/// 5. otherwise each group scores `100 × Σw(Pass) / Σw(Pass, High, Low, NodataFailMetric,
///    Error)` with each result's weight `w`, and the summary is Kayenta's weighted sum of group
///    scores (groups with nothing scored count as 100), rounded half-up to 2 decimals.
pub(crate) fn score(
    metrics: &[Scored<'_>],
    weights: &GroupWeights,
    thresholds: ScoreThresholds,
) -> (Vec<CanaryJudgeGroupScore>, CanaryJudgeScore) {
    let active: Vec<&Scored<'_>> = metrics.iter().filter(|m| !m.muted).collect();

    // (name, pass weight, counted weight, members)
    let mut groups: Vec<(&str, f64, f64, Vec<&Scored<'_>>)> = Vec::new();
    for m in &active {
        for g in m.groups {
            let idx = match groups.iter().position(|(name, ..)| *name == g.as_str()) {
                Some(i) => i,
                None => {
                    groups.push((g.as_str(), 0.0, 0.0, Vec::new()));
                    groups.len() - 1
                }
            };
            let entry = &mut groups[idx];
            if m.counted() {
                entry.2 += m.weight;
                if m.classification == Classification::Pass {
                    entry.1 += m.weight;
                }
            }
            entry.3.push(m);
        }
    }
    let group_score = |pass: f64, counted: f64| (counted > 0.0).then(|| pass / counted * 100.0);
    let group_scores = groups
        .iter()
        .map(|(name, pass, counted, members)| {
            let score = group_score(*pass, *counted);
            let failed: Vec<String> = members
                .iter()
                .filter(|m| m.failed())
                .map(|m| m.label())
                .collect();
            let scored = members.iter().filter(|m| m.counted()).count();
            let passed = members
                .iter()
                .filter(|m| m.classification == Classification::Pass)
                .count();
            let (classification, reason) = match score {
                None => (
                    "Nodata".to_string(),
                    format!(
                        "nothing to score: {}",
                        members
                            .iter()
                            .map(|m| m.label())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
                Some(s) => {
                    let mut reason = format!("{passed} of {scored} metrics passed");
                    if !failed.is_empty() {
                        reason.push_str(&format!("; failed: {}", failed.join(", ")));
                    }
                    (verdict(s, thresholds).as_str().to_string(), reason)
                }
            };
            CanaryJudgeGroupScore {
                name: name.to_string(),
                score: score.unwrap_or(0.0),
                classification,
                classification_reason: reason,
            }
        })
        .collect();

    let critical_failure = active
        .iter()
        .find(|m| m.critical && !m.insufficient() && m.classification != Classification::Pass);
    let nodata = active
        .iter()
        .filter(|m| m.classification == Classification::Nodata && !m.insufficient())
        .count();
    let nothing_scored = !active.iter().any(|m| m.counted());
    let short: Vec<&&Scored<'_>> = active.iter().filter(|m| m.insufficient()).collect();

    let (score, reason) = if let Some(m) = critical_failure {
        (0.0, format!("Canary Failed: {}", m.reason))
    } else if !active.is_empty() && nodata as f64 / active.len() as f64 * 100.0 >= 50.0 {
        (
            0.0,
            "Canary Failed: 50% or more metrics returned NODATA".to_string(),
        )
    } else if nothing_scored && short.is_empty() && active.iter().any(|m| m.judged()) {
        // Judged, but every judged result has weight 0 (`tagWeights`): nothing to decide on.
        let names: Vec<String> = active
            .iter()
            .filter(|m| m.judged())
            .map(|m| m.label())
            .collect();
        return (
            group_scores,
            undecided(
                thresholds,
                format!(
                    "Nothing was scored: every judged result has weight 0 (tagWeights): {}",
                    names.join(", ")
                ),
            ),
        );
    } else if nothing_scored && !short.is_empty() {
        let reasons: Vec<&str> = short.iter().map(|m| m.reason).collect();
        return (
            group_scores,
            undecided(
                thresholds,
                format!(
                    "Not yet: more data needed before judging: {}",
                    reasons.join("; ")
                ),
            ),
        );
    } else {
        let unweighted = groups
            .iter()
            .filter(|(name, ..)| weights.get(name).is_none())
            .count();
        let default_weight = if unweighted > 0 {
            (100.0 - weights.total()) / unweighted as f64
        } else {
            0.0
        };
        let sum = groups.iter().fold(0.0, |acc, (name, pass, counted, _)| {
            let s = group_score(*pass, *counted).unwrap_or(100.0);
            let w = weights.get(name).unwrap_or(default_weight);
            acc + s * (w / 100.0)
        });
        let score = round_half_up(sum, 2);
        let failed: Vec<&&Scored<'_>> = active.iter().filter(|m| m.failed()).collect();
        let reason = if failed.is_empty() {
            if short.is_empty() {
                String::new()
            } else {
                format!(
                    "Not judged yet for lack of data: {}",
                    short.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
                )
            }
        } else {
            format!(
                "Score {} with {} of {} metrics failing: {}",
                sig(score),
                failed.len(),
                active.iter().filter(|m| m.counted()).count(),
                failed
                    .iter()
                    .map(|m| m.reason)
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        };
        // A critical metric short of data holds back a Pass: the canary is "not yet", as when
        // nothing could be scored (it had passed with the critical metric unjudged).
        let critical_short: Vec<&&Scored<'_>> =
            short.iter().filter(|m| m.critical).copied().collect();
        if !critical_short.is_empty() && verdict(score, thresholds) == Verdict::Pass {
            let reasons: Vec<&str> = critical_short.iter().map(|m| m.reason).collect();
            return (
                group_scores,
                undecided(
                    thresholds,
                    format!(
                        "Not yet: a critical metric needs more data: {}",
                        reasons.join("; ")
                    ),
                ),
            );
        }
        (score, reason)
    };
    (
        group_scores,
        CanaryJudgeScore {
            score,
            classification: verdict(score, thresholds),
            classification_reason: reason,
        },
    )
}

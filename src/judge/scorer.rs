//! Kayenta's `WeightedSumScorer` with its `ScoringHelper` rules (spec §7).

use super::rounding::round_half_up;
use crate::model::{
    CanaryJudgeGroupScore, CanaryJudgeScore, Classification, GroupWeights, ScoreThresholds, Verdict,
};

/// What the scorer needs of one metric result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredMetric<'a> {
    /// The label.
    pub classification: Classification,
    /// The groups it counts in.
    pub groups: &'a [String],
    /// Whether it fails the canary on its own when not Pass.
    pub critical: bool,
    /// Muted results count for nothing.
    pub muted: bool,
    /// Its reason, quoted in a critical failure's summary reason.
    pub reason: Option<&'a str>,
}

/// The scorer's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// One per group present in a non-muted result, in order of first appearance.
    pub group_scores: Vec<CanaryJudgeGroupScore>,
    /// The summary score, verdict and reason.
    pub summary: CanaryJudgeScore,
}

/// Scores classified metrics:
///
/// 1. muted results are dropped;
/// 2. each group scores `100 × Pass / (Pass + High + Low + NodataFailMetric)`; `Nodata` and
///    `Error` are not counted, and a group with nothing counted shows 0.0 but counts as 100 in
///    the summary;
/// 3. any critical non-Pass result makes the summary 0 with reason
///    `Canary Failed: <its reason>` (`null` when it has none, as Kayenta prints it);
/// 4. 50% or more `Nodata` results makes it 0 with `Canary Failed: 50% or more metrics returned NODATA`;
/// 5. otherwise the summary is `Σ score × weight/100`, where groups without a configured weight
///    share `100 − Σ(configured weights)` equally, rounded half-up to 2 decimals
///    ([`round_half_up`]);
/// 6. verdict: `Pass` at or above `thresholds.pass`, `Marginal` at or above
///    `thresholds.marginal`, else `Fail`.
///
/// # Edge cases
/// - no non-muted results: summary 0.0, reason `""`, so the verdict is `Fail` unless a threshold
///   is ≤ 0;
/// - no groups at all: summary 0.0;
/// - weights are not checked to sum to 100; a weighted group without results loses its share.
pub fn score(
    metrics: &[ScoredMetric<'_>],
    weights: &GroupWeights,
    thresholds: ScoreThresholds,
) -> Scores {
    let active: Vec<&ScoredMetric<'_>> = metrics.iter().filter(|m| !m.muted).collect();

    // Group tallies in order of first appearance: (name, pass, counted).
    let mut groups: Vec<(&str, u64, u64)> = Vec::new();
    for m in &active {
        for g in m.groups {
            let idx = match groups.iter().position(|(name, _, _)| *name == g.as_str()) {
                Some(i) => i,
                None => {
                    groups.push((g.as_str(), 0, 0));
                    groups.len() - 1
                }
            };
            let entry = &mut groups[idx];
            match m.classification {
                Classification::Pass => {
                    entry.1 += 1;
                    entry.2 += 1;
                }
                Classification::High | Classification::Low | Classification::NodataFailMetric => {
                    entry.2 += 1
                }
                Classification::Nodata | Classification::Error => {}
            }
        }
    }
    let group_score = |pass: u64, counted: u64| -> Option<f64> {
        (counted > 0).then(|| (pass as f64 / counted as f64) * 100.0)
    };
    let group_scores = groups
        .iter()
        .map(|&(name, pass, counted)| CanaryJudgeGroupScore {
            name: name.to_string(),
            score: group_score(pass, counted).unwrap_or(0.0),
            classification: String::new(),
            classification_reason: String::new(),
        })
        .collect();

    let critical_failure = active
        .iter()
        .find(|m| m.critical && m.classification != Classification::Pass);
    let nodata = active
        .iter()
        .filter(|m| m.classification == Classification::Nodata)
        .count();
    let nodata_percent = nodata as f64 / active.len() as f64 * 100.0;

    let (score, reason) = if let Some(m) = critical_failure {
        (
            0.0,
            format!("Canary Failed: {}", m.reason.unwrap_or("null")),
        )
    } else if nodata_percent >= 50.0 {
        (
            0.0,
            "Canary Failed: 50% or more metrics returned NODATA".to_string(),
        )
    } else {
        let unweighted = groups
            .iter()
            .filter(|(name, _, _)| weights.get(name).is_none())
            .count();
        let default_weight = if unweighted > 0 {
            (100.0 - weights.total()) / unweighted as f64
        } else {
            0.0
        };
        let sum = groups.iter().fold(0.0, |acc, &(name, pass, counted)| {
            let s = group_score(pass, counted).unwrap_or(100.0);
            let w = weights.get(name).unwrap_or(default_weight);
            acc + s * (w / 100.0)
        });
        (round_half_up(sum, 2), String::new())
    };

    let verdict = if score >= thresholds.pass {
        Verdict::Pass
    } else if score >= thresholds.marginal {
        Verdict::Marginal
    } else {
        Verdict::Fail
    };

    Scores {
        group_scores,
        summary: CanaryJudgeScore {
            score,
            classification: verdict,
            classification_reason: reason,
        },
    }
}

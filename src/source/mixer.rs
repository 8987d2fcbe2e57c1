//! Kayenta's `MetricSetMixerService` (spec §10.3): control and experiment metric sets into
//! metric set pairs.

use super::SourceError;
use crate::model::{CanaryMetricConfig, MetricSet, MetricSetPair, MetricSetPairValues};
use std::collections::{BTreeMap, BTreeSet};

fn java_map(tags: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", inner.join(", "))
}

/// A deterministic id for a pair, in UUID form: FNV-1a over the metric name and tags (Kayenta
/// uses a random UUID; a stable one makes replays comparable).
pub fn pair_id(name: &str, tags: &BTreeMap<String, String>) -> String {
    let mut text = name.to_string();
    for (k, v) in tags {
        text.push('\u{1f}');
        text.push_str(k);
        text.push('=');
        text.push_str(v);
    }
    let fnv = |seed: u64| {
        text.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let (a, b) = (fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142));
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

fn padded(set: &MetricSet) -> Vec<f64> {
    let mut v = set.values.clone();
    let expected = set.expected_data_points();
    if expected > v.len() {
        v.resize(expected, f64::NAN);
    }
    v
}

fn scope_json(set: &MetricSet) -> serde_json::Value {
    let mut scope = serde_json::json!({
        "startTimeMillis": set.start_time_millis,
        "stepMillis": set.step_millis,
    });
    if let Some(iso) = &set.start_time_iso {
        scope["startTimeIso"] = serde_json::Value::String(iso.clone());
    }
    scope
}

/// Pairs one control set with one experiment set. Names must be set and equal, tags equal; each
/// side is padded with NaN up to its expected number of points.
///
/// # Errors
/// [`SourceError::Mix`] with Kayenta's messages ("Control metric set name was not set.", "…
/// does not match experiment metric set name …", "… do not match experiment metric set tags …").
pub fn mix_one(control: &MetricSet, experiment: &MetricSet) -> Result<MetricSetPair, SourceError> {
    let control_name = control.name.as_deref().filter(|n| !n.is_empty());
    let experiment_name = experiment.name.as_deref().filter(|n| !n.is_empty());
    let (Some(name), Some(experiment_name)) = (control_name, experiment_name) else {
        return Err(SourceError::Mix(if control_name.is_none() {
            "Control metric set name was not set.".into()
        } else {
            "Experiment metric set name was not set.".into()
        }));
    };
    if name != experiment_name {
        return Err(SourceError::Mix(format!(
            "Control metric set name '{name}' does not match experiment metric set name '{experiment_name}'."
        )));
    }
    if control.tags != experiment.tags {
        return Err(SourceError::Mix(format!(
            "Control metric set tags {} do not match experiment metric set tags {}.",
            java_map(&control.tags),
            java_map(&experiment.tags)
        )));
    }
    Ok(MetricSetPair {
        name: name.to_string(),
        id: Some(pair_id(name, &control.tags)),
        tags: control.tags.clone(),
        values: MetricSetPairValues {
            control: padded(control),
            experiment: padded(experiment),
        },
        scopes: Some(serde_json::json!({
            "control": scope_json(control),
            "experiment": scope_json(experiment),
        })),
        attributes: Some(serde_json::json!({
            "control": control.attributes,
            "experiment": experiment.attributes,
        })),
    })
}

/// A NaN-filled stand-in with `template`'s name, times and attributes and the given tags.
fn template_for(template: &MetricSet, tags: &BTreeMap<String, String>) -> MetricSet {
    MetricSet {
        values: vec![f64::NAN; template.expected_data_points()],
        tags: tags.clone(),
        ..template.clone()
    }
}

/// Pairs one metric's control and experiment sets by tags. When one side has a set with empty
/// tags and the other does not, the empty-tag side's data is dropped and every set of the other
/// side gets a NaN template; otherwise sets are matched tag for tag (in sorted tag order; Kayenta
/// uses hash order), a missing side getting a template.
fn mix_one_metric(
    control: &[MetricSet],
    experiment: &[MetricSet],
) -> Result<Vec<MetricSetPair>, SourceError> {
    let (Some(control_template), Some(experiment_template)) = (control.first(), experiment.first())
    else {
        return Ok(Vec::new());
    };
    let control_empty = control.iter().any(|s| s.tags.is_empty());
    let experiment_empty = experiment.iter().any(|s| s.tags.is_empty());
    if control_empty && !experiment_empty {
        return experiment
            .iter()
            .map(|e| mix_one(&template_for(control_template, &e.tags), e))
            .collect();
    }
    if !control_empty && experiment_empty {
        return control
            .iter()
            .map(|c| mix_one(c, &template_for(experiment_template, &c.tags)))
            .collect();
    }
    let all_tags: BTreeSet<&BTreeMap<String, String>> =
        control.iter().chain(experiment).map(|s| &s.tags).collect();
    all_tags
        .into_iter()
        .map(|tags| {
            let c = control
                .iter()
                .find(|s| &s.tags == tags)
                .cloned()
                .unwrap_or_else(|| template_for(control_template, tags));
            let e = experiment
                .iter()
                .find(|s| &s.tags == tags)
                .cloned()
                .unwrap_or_else(|| template_for(experiment_template, tags));
            mix_one(&c, &e)
        })
        .collect()
}

/// Mixes every metric of a config, in config order: each metric's sets are found by name and
/// paired by tags (see [`mix_one`]).
///
/// # Errors
/// [`SourceError::Mix`] when a side has no set for a metric ("No control metrics found for …"),
/// when the two sides use different tag keys, or from [`mix_one`].
pub fn mix_all(
    metrics: &[CanaryMetricConfig],
    control: &[MetricSet],
    experiment: &[MetricSet],
) -> Result<Vec<MetricSetPair>, SourceError> {
    let mut out = Vec::new();
    for metric in metrics {
        let name = metric.name.as_str();
        let named = |sets: &[MetricSet]| -> Vec<MetricSet> {
            sets.iter()
                .filter(|s| s.name.as_deref() == Some(name))
                .cloned()
                .collect()
        };
        let (c, e) = (named(control), named(experiment));
        if c.is_empty() {
            return Err(SourceError::Mix(format!(
                "No control metrics found for {name} and the metric service did not create a placeholder."
            )));
        }
        if e.is_empty() {
            return Err(SourceError::Mix(format!(
                "No experiment metrics found for {name} and the metric service did not create a placeholder."
            )));
        }
        let keys = |sets: &[MetricSet]| -> BTreeSet<String> {
            sets.iter().flat_map(|s| s.tags.keys().cloned()).collect()
        };
        let (ck, ek) = (keys(&c), keys(&e));
        if !ck.is_empty() && !ek.is_empty() && ck != ek {
            return Err(SourceError::Mix(format!(
                "Control metrics have different tag keys than the experiment tag set ({ck:?} != {ek:?})."
            )));
        }
        out.extend(mix_one_metric(&c, &e)?);
    }
    Ok(out)
}

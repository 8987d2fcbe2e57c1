//! Every canary-config JSON file under `fixtures/kayenta/` parses (unknown keys ignored,
//! `configVersion` a string or a number), and the invalid `duplicated-metric-name.json` fails
//! validation with a clear error.

use super::fixtures;
use canary_judge::{CanaryConfig, ConfigError, MetricSetPair};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// A canary config is an object with `metrics` and either `classifier` or `judge`; an ad-hoc
/// request wraps one in `canaryConfig`.
fn config_in(doc: &Value) -> Option<&Value> {
    if let Some(inner) = doc.get("canaryConfig") {
        return Some(inner);
    }
    let is_config = doc.get("metrics").is_some()
        && (doc.get("classifier").is_some() || doc.get("judge").is_some());
    is_config.then_some(doc)
}

#[test]
fn every_canary_config_parses() {
    let mut files = Vec::new();
    json_files(&fixtures().join("kayenta"), &mut files);
    files.sort();
    let mut parsed = 0;
    for path in &files {
        if path.components().any(|c| c.as_os_str() == "cases") {
            continue;
        }
        let text = std::fs::read_to_string(path).expect("readable");
        let doc: Value = serde_json::from_str(&text).expect("valid JSON");
        let Some(config) = config_in(&doc) else {
            continue;
        };
        let config: CanaryConfig = serde_json::from_value(config.clone())
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
        assert!(
            !config.metrics.is_empty(),
            "{}: no metrics read",
            path.display()
        );
        // Round trip: what we write reads back the same.
        let again: CanaryConfig =
            serde_json::from_str(&serde_json::to_string(&config).expect("writes")).expect("reads");
        assert_eq!(config, again, "{}: round trip", path.display());
        parsed += 1;
    }
    println!("conformance canary configs: {parsed} files parsed");
    assert!(
        parsed >= 20,
        "expected the fixtures' 20+ configs, parsed {parsed}"
    );
}

#[test]
fn config_version_may_be_a_number() {
    let path = fixtures().join("kayenta/kayenta-judge/src/test/resources/test-config.json");
    let config: CanaryConfig =
        serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("parses");
    assert_eq!(config.config_version.as_deref(), Some("1.0"));
}

#[test]
fn duplicated_metric_name_is_rejected() {
    let path = fixtures()
        .join("kayenta/kayenta-web/src/test/resources/canary-configs/duplicated-metric-name.json");
    let config: CanaryConfig =
        serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("parses");
    let err = config
        .validate()
        .expect_err("duplicate names must not validate");
    assert_eq!(
        err,
        ConfigError::DuplicateMetricName {
            name: "mem".to_string()
        }
    );
    assert!(
        err.to_string().contains("duplicate metric name 'mem'"),
        "{err}"
    );
}

#[test]
fn metric_set_pair_archive_parses() {
    let path = fixtures().join("kayenta/json-formats/metric-set-pair-list-archive-example.json");
    let pairs: Vec<MetricSetPair> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("parses");
    assert!(!pairs.is_empty());
    assert!(pairs.iter().all(|p| !p.name.is_empty()));
}

#[test]
fn adhoc_execution_request_reads_leniently() {
    let path = fixtures().join("kayenta/scratch/newrelic_adhoc_canary.json");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("json");
    let request: canary_judge::model::CanaryExecutionRequest =
        serde_json::from_value(doc["executionRequest"].clone()).expect("parses");
    let scope = &request.scopes["default"].control_scope;
    // "start": "" reads as absent and "step": "1" as 1, as Jackson reads them.
    assert_eq!(scope.start, None);
    assert_eq!(scope.step, Some(1));
    assert_eq!(scope.extended_scope_params["_scope_key"], "build_version");
    assert_eq!(request.thresholds.map(|t| t.pass), Some(95.0));
}

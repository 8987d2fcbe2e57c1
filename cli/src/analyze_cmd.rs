//! `canary-judge analyze`: fetch a canary's metrics from Prometheus or Datadog, mix, judge.

use crate::fetch::HttpSettings;
use crate::judge_cmd::{print_result, FailOn};
use crate::pipeline::{fetch_and_pair, PipelineError, Sources};
use canary_judge::judge_with;
use canary_judge::model::{CanaryConfig, CanaryExecutionRequest};
use canary_judge::source::prometheus;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `canary-judge analyze`.
#[derive(Debug, Args)]
pub(crate) struct AnalyzeArgs {
    /// The canary config (Kayenta's `CanaryConfig` JSON).
    #[arg(long)]
    config: PathBuf,
    /// The execution request (Kayenta's `CanaryExecutionRequest` JSON: scopes and thresholds).
    #[arg(long)]
    request: PathBuf,
    /// Prometheus base URL, for metrics whose query type is `prometheus`. Credentials come from
    /// PROMETHEUS_BEARER_TOKEN, or PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD.
    #[arg(long, value_name = "URL")]
    prometheus_url: Option<String>,
    /// An extra header for every Prometheus request, `Name: value` (e.g. `X-Scope-OrgID: team`
    /// for Mimir or Cortex); repeatable.
    #[arg(long = "prometheus-header", value_name = "NAME: VALUE")]
    prometheus_headers: Vec<String>,
    /// The label that selects a scope for `gce_instance` queries.
    #[arg(long, default_value = prometheus::DEFAULT_SCOPE_LABEL)]
    prometheus_scope_label: String,
    /// Datadog site (e.g. `datadoghq.eu`, queried at `https://api.<site>`) or a full base URL,
    /// for metrics whose query type is `datadog`. Keys come from DD_API_KEY and DD_APP_KEY
    /// (or DD_APPLICATION_KEY).
    #[arg(long, value_name = "SITE|URL")]
    datadog_site: Option<String>,
    /// Write the fetched data as a remote-judge request, to replay with `canary-judge judge`.
    #[arg(long, value_name = "FILE")]
    save_pairs: Option<PathBuf>,
    /// Pretty-print the result.
    #[arg(long)]
    pretty: bool,
    /// Exit with 1 when the verdict is at or below this level.
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Use this judge instead of the config's `judge.name`.
    #[arg(long = "judge", value_name = "NAME")]
    judge_name: Option<String>,
    /// Queries in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30)]
    timeout_secs: u64,
    /// Retries after a connection error, timeout, 429 or 5xx.
    #[arg(long, default_value_t = 3)]
    retries: u32,
    /// First retry delay in milliseconds (doubles per retry).
    #[arg(long, default_value_t = 250)]
    retry_backoff_ms: u64,
}

const EXIT_INVALID: u8 = 2;
const EXIT_FETCH: u8 = 3;

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {what} {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{what} {}: {e}", path.display()))
}

/// Runs the command and returns the process exit code: 0 a verdict (not tripping --fail-on),
/// 1 the verdict tripped --fail-on, 2 invalid config or request, 3 the data could not be fetched.
pub(crate) fn run(args: &AnalyzeArgs) -> ExitCode {
    let invalid = |msg: String| {
        eprintln!("canary-judge: invalid input: {msg}");
        ExitCode::from(EXIT_INVALID)
    };
    let config: CanaryConfig = match read_json(&args.config, "config") {
        Ok(c) => c,
        Err(e) => return invalid(e),
    };
    let request: CanaryExecutionRequest = match read_json(&args.request, "execution request") {
        Ok(r) => r,
        Err(e) => return invalid(e),
    };
    let sources = match Sources::new(
        args.prometheus_url.as_deref(),
        &args.prometheus_headers,
        &args.prometheus_scope_label,
        args.datadog_site.as_deref(),
    ) {
        Ok(s) => s,
        Err(e) => return invalid(e),
    };
    let http = HttpSettings {
        timeout: Duration::from_secs(args.timeout_secs),
        retries: args.retries,
        backoff: Duration::from_millis(args.retry_backoff_ms),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("canary-judge: cannot start the runtime: {e}");
            return ExitCode::from(EXIT_FETCH);
        }
    };
    let client = reqwest::Client::new();
    let limit = Arc::new(tokio::sync::Semaphore::new(args.concurrency.max(1)));
    let outcome = runtime.block_on(fetch_and_pair(
        &client, &sources, config, &request, &http, &limit,
    ));
    let judge_request = match outcome {
        Ok(r) => r,
        Err(PipelineError::Invalid(e)) => return invalid(e.message),
        Err(e) => {
            eprintln!("canary-judge: {e}");
            return ExitCode::from(EXIT_FETCH);
        }
    };
    if let Some(path) = &args.save_pairs {
        let written = serde_json::to_string(&judge_request)
            .map_err(|e| e.to_string())
            .and_then(|text| std::fs::write(path, text).map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("canary-judge: cannot write {}: {e}", path.display());
            return ExitCode::from(EXIT_FETCH);
        }
    }
    match judge_with(args.judge_name.as_deref(), &judge_request) {
        Ok(result) => print_result(&result, args.pretty, args.fail_on),
        Err(e) => invalid(e.to_string()),
    }
}

//! `canary-judge serve`: the judge over HTTP (axum on tokio).
//!
//! - `POST /judge`: Kayenta's remote-judge contract (`RemoteJudge-v1.0`), no authentication
//!   (Kayenta sends none);
//! - `POST /v1/judge`: fetch from the configured metric sources, judge, answer
//!   `{score, verdict, pass, reasons, result}` (Argo Rollouts `web` metric, Spinnaker webhook);
//! - `POST /v1/flagger/{hook}`: Flagger's webhooks;
//! - `GET /healthz`, `/readyz`, `/health`, and `/metrics` (Prometheus text).
//!
//! Every body is capped, every judgement bounded in time and concurrency, every error JSON, and
//! a panic in a handler is answered 500 without taking the server down.

mod analyses;
mod error;
mod flagger;
mod routes;

use crate::fetch::HttpSettings;
use crate::pipeline::Sources;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use routes::{app, AppState};

/// Arguments of `canary-judge serve`. Each can also come from the environment or from
/// `--config-file` (TOML, the same names in kebab-case); a flag beats the environment, which
/// beats the file, which beats the built-in default.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// A TOML file of settings, e.g. `listen = "0.0.0.0:8080"`, `prometheus-url = "…"`.
    #[arg(long, env = "CANARY_JUDGE_CONFIG_FILE")]
    config_file: Option<PathBuf>,
    /// Log lines as `text` (default) or `json` (one object per line, with the request id).
    #[arg(long, env = "CANARY_JUDGE_LOG_FORMAT", value_parser = ["text", "json"], default_value = "text")]
    log_format: String,
    /// Address to listen on (`127.0.0.1:0` picks a free port; the bound address is printed).
    /// Default `127.0.0.1:8080`.
    #[arg(long, env = "CANARY_JUDGE_LISTEN")]
    listen: Option<String>,
    /// Serve every route under this path (e.g. `/canary`, so Kayenta's `baseUrl` may carry a
    /// path: `http://host/canary` → `POST /canary/judge`). Default: the root.
    #[arg(long, env = "CANARY_JUDGE_BASE_PATH")]
    base_path: Option<String>,
    /// Prometheus base URL for `/v1/judge`, Flagger hooks and analyses.
    #[arg(long, env = "CANARY_JUDGE_PROMETHEUS_URL", value_name = "URL")]
    prometheus_url: Option<String>,
    /// An extra header for every Prometheus request, `Name: value`; repeatable.
    #[arg(long = "prometheus-header", value_name = "NAME: VALUE")]
    prometheus_headers: Vec<String>,
    /// The label that selects a scope for `gce_instance` queries. Default `instance`.
    #[arg(long)]
    prometheus_scope_label: Option<String>,
    /// Datadog site or base URL (keys from DD_API_KEY and DD_APP_KEY).
    #[arg(long, env = "CANARY_JUDGE_DATADOG_SITE", value_name = "SITE|URL")]
    datadog_site: Option<String>,
    /// A directory of canary configs (`<name>.json`) that requests can name.
    #[arg(long, env = "CANARY_JUDGE_CONFIG_DIR")]
    config_dir: Option<PathBuf>,
    /// A file holding the bearer token required on `/v1/*` (also CANARY_JUDGE_TOKEN). `/judge`,
    /// the health routes and `/metrics` never require it.
    #[arg(long, env = "CANARY_JUDGE_TOKEN_FILE")]
    token_file: Option<PathBuf>,
    /// Where analyses are kept (SQLite); without it `/v1/analyses` is disabled.
    #[arg(long, env = "CANARY_JUDGE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Largest request body accepted; larger ones get 413. Default 32 MiB.
    #[arg(long)]
    max_body_bytes: Option<usize>,
    /// Time limit for `/judge` (Kayenta waits 90 s). Default 60.
    #[arg(long)]
    judge_timeout_secs: Option<u64>,
    /// Time limit for fetch-and-judge routes (Argo Rollouts waits 10 s by default). Default 9.
    #[arg(long)]
    fetch_judge_timeout_secs: Option<u64>,
    /// Judgements computed at once. Default: two per core.
    #[arg(long)]
    judge_concurrency: Option<usize>,
    /// Metric-source requests in flight at once, across all requests. Default 16.
    #[arg(long)]
    source_concurrency: Option<usize>,
    /// Timeout of one metric-source request, in seconds. Default 5.
    #[arg(long)]
    source_timeout_secs: Option<u64>,
    /// Retries of a metric-source request after a connection error, timeout, 429 or 5xx.
    /// Default 1.
    #[arg(long)]
    source_retries: Option<u32>,
}

/// The settings file: every option of [`ServeArgs`], in kebab-case. Unknown keys are errors, so a
/// typo does not silently fall back to a default.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileSettings {
    listen: Option<String>,
    base_path: Option<String>,
    prometheus_url: Option<String>,
    prometheus_headers: Option<Vec<String>>,
    prometheus_scope_label: Option<String>,
    datadog_site: Option<String>,
    config_dir: Option<PathBuf>,
    token_file: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    max_body_bytes: Option<usize>,
    judge_timeout_secs: Option<u64>,
    fetch_judge_timeout_secs: Option<u64>,
    judge_concurrency: Option<usize>,
    source_concurrency: Option<usize>,
    source_timeout_secs: Option<u64>,
    source_retries: Option<u32>,
}

/// Resolved settings.
#[derive(Debug)]
struct Settings {
    listen: String,
    base_path: Option<String>,
    prometheus_url: Option<String>,
    prometheus_headers: Vec<String>,
    prometheus_scope_label: String,
    datadog_site: Option<String>,
    config_dir: Option<PathBuf>,
    token_file: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    max_body_bytes: usize,
    judge_timeout_secs: u64,
    fetch_judge_timeout_secs: u64,
    judge_concurrency: Option<usize>,
    source_concurrency: usize,
    source_timeout_secs: u64,
    source_retries: u32,
}

impl Settings {
    fn resolve(args: &ServeArgs) -> Result<Settings, String> {
        let file: FileSettings = match &args.config_file {
            None => FileSettings::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
        };
        let base_path = match args.base_path.clone().or(file.base_path) {
            None => None,
            Some(p) => {
                let p = p.trim_end_matches('/');
                if p.is_empty() {
                    None
                } else if !p.starts_with('/') || p.contains("//") || p.contains('{') {
                    return Err(format!("base path {p:?} must look like /a/b"));
                } else {
                    Some(p.to_string())
                }
            }
        };
        Ok(Settings {
            base_path,
            listen: args
                .listen
                .clone()
                .or(file.listen)
                .unwrap_or_else(|| "127.0.0.1:8080".into()),
            prometheus_url: args.prometheus_url.clone().or(file.prometheus_url),
            prometheus_headers: if args.prometheus_headers.is_empty() {
                file.prometheus_headers.unwrap_or_default()
            } else {
                args.prometheus_headers.clone()
            },
            prometheus_scope_label: args
                .prometheus_scope_label
                .clone()
                .or(file.prometheus_scope_label)
                .unwrap_or_else(|| canary_judge::source::prometheus::DEFAULT_SCOPE_LABEL.into()),
            datadog_site: args.datadog_site.clone().or(file.datadog_site),
            config_dir: args.config_dir.clone().or(file.config_dir),
            token_file: args.token_file.clone().or(file.token_file),
            data_dir: args.data_dir.clone().or(file.data_dir),
            max_body_bytes: args
                .max_body_bytes
                .or(file.max_body_bytes)
                .unwrap_or(32 * 1024 * 1024),
            judge_timeout_secs: args
                .judge_timeout_secs
                .or(file.judge_timeout_secs)
                .unwrap_or(60),
            fetch_judge_timeout_secs: args
                .fetch_judge_timeout_secs
                .or(file.fetch_judge_timeout_secs)
                .unwrap_or(9),
            judge_concurrency: args.judge_concurrency.or(file.judge_concurrency),
            source_concurrency: args
                .source_concurrency
                .or(file.source_concurrency)
                .unwrap_or(16),
            source_timeout_secs: args
                .source_timeout_secs
                .or(file.source_timeout_secs)
                .unwrap_or(5),
            source_retries: args.source_retries.or(file.source_retries).unwrap_or(1),
        })
    }
}

fn token(args: &Settings) -> Result<Option<String>, String> {
    if let Some(path) = &args.token_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the token file {}: {e}", path.display()))?;
        let token = text.trim().to_string();
        if token.is_empty() {
            return Err(format!("the token file {} is empty", path.display()));
        }
        return Ok(Some(token));
    }
    Ok(std::env::var("CANARY_JUDGE_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty()))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Runs the server until SIGTERM or Ctrl-C.
pub(crate) fn run(args: &ServeArgs) -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if args.log_format == "json" {
        logs.json().try_init()
    } else {
        logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init()
    };
    let fail = |msg: String| {
        eprintln!("canary-judge: {msg}");
        ExitCode::from(2)
    };
    let args = &match Settings::resolve(args) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let sources = match Sources::new(
        args.prometheus_url.as_deref(),
        &args.prometheus_headers,
        &args.prometheus_scope_label,
        args.datadog_site.as_deref(),
    ) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let token = match token(args) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let analyses = match &args.data_dir {
        Some(dir) => match analyses::Store::open(dir) {
            Ok(store) => Some(Arc::new(store)),
            Err(e) => return fail(e),
        },
        None => None,
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let buckets = [
        0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&buckets)
        .and_then(|b| b.install_recorder())
        .map_err(|e| tracing::warn!(error = %e, "metrics are disabled"))
        .ok();
    let state = AppState {
        sources,
        client: reqwest::Client::new(),
        http: HttpSettings {
            timeout: Duration::from_secs(args.source_timeout_secs),
            retries: args.source_retries,
            backoff: Duration::from_millis(200),
        },
        source_limit: Arc::new(tokio::sync::Semaphore::new(args.source_concurrency.max(1))),
        judge_limit: Arc::new(tokio::sync::Semaphore::new(
            args.judge_concurrency.unwrap_or(2 * cores).max(1),
        )),
        token: token.map(Arc::from),
        config_dir: args.config_dir.clone(),
        max_body_bytes: args.max_body_bytes,
        judge_timeout: Duration::from_secs(args.judge_timeout_secs),
        fetch_judge_timeout: Duration::from_secs(args.fetch_judge_timeout_secs),
        metrics,
        analyses,
    };
    let state_metrics = state.metrics.clone();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    runtime.block_on(async {
        // Histogram samples wait in a buffer until drained: drain it every 5 s, scraped or not,
        // so memory stays flat under load.
        if let Some(handle) = state_metrics.clone() {
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(5));
                loop {
                    tick.tick().await;
                    handle.run_upkeep();
                }
            });
        }
        let listener = match tokio::net::TcpListener::bind(&args.listen).await {
            Ok(l) => l,
            Err(e) => return fail(format!("cannot listen on {}: {e}", args.listen)),
        };
        match listener.local_addr() {
            Ok(addr) => {
                // The first line of standard output, for scripts and tests.
                println!("listening on {addr}");
                tracing::info!(%addr, "canary-judge serving");
            }
            Err(e) => return fail(format!("no local address: {e}")),
        }
        let state = Arc::new(state);
        analyses::resume_all(state.clone());
        let router = match &args.base_path {
            Some(prefix) => axum::Router::new().nest(prefix, app(state)),
            None => app(state),
        };
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown_signal())
            .await;
        match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(format!("server error: {e}")),
        }
    })
}

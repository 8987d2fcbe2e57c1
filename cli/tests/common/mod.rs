//! Helpers shared by the service's integration tests: a server process on 127.0.0.1 and an HTTP
//! client. (Each test binary uses a different subset.)
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The repository root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A running `canary-judge serve`, killed (SIGKILL) on drop.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `canary-judge serve --listen 127.0.0.1:0 ARGS` with ENV, and waits for the address it
/// prints. Its logs go to `log`, if given.
pub(crate) fn spawn_server(args: &[&str], env: &[(&str, &str)], log: Option<PathBuf>) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_canary-judge"));
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("CANARY_JUDGE_TOKEN")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(match log.and_then(|p| std::fs::File::create(p).ok()) {
            Some(f) => Stdio::from(f),
            None => Stdio::null(),
        });
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("server starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening line")
        .to_string();
    Server {
        child,
        base: format!("http://{addr}"),
    }
}

/// An HTTP client (plain HTTP here, but reqwest wants a TLS provider chosen).
pub(crate) fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

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

/// Kills `server` (SIGKILL) when the test process exits. For a server kept in a `static` and
/// shared by a binary's tests: statics are never dropped, so without this it would outlive the
/// run, one more idle process after every `cargo test`.
#[cfg(unix)]
pub(crate) fn kill_at_exit(server: &Server) {
    use std::ffi::c_int;
    use std::sync::Mutex;

    static PIDS: Mutex<Vec<i32>> = Mutex::new(Vec::new());
    unsafe extern "C" {
        fn atexit(callback: extern "C" fn()) -> c_int;
        fn kill(pid: i32, signal: c_int) -> c_int;
    }
    extern "C" fn kill_all() {
        if let Ok(pids) = PIDS.lock() {
            for &pid in pids.iter() {
                // SAFETY: kill(2) takes any pid and signal; at worst it fails.
                unsafe { kill(pid, 9) };
            }
        }
    }
    let Ok(pid) = i32::try_from(server.child.id()) else {
        return;
    };
    let Ok(mut pids) = PIDS.lock() else {
        return;
    };
    if pids.is_empty() {
        // SAFETY: `kill_all` is a plain function that stays valid until the process ends.
        unsafe { atexit(kill_all) };
    }
    pids.push(pid);
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

//! Helpers for cookie-warden's end-to-end tests: start the real `cookie-warden` binary, real
//! upstreams on 127.0.0.1 (OS-chosen ports), real clients, and read what the proxy prints and logs.
//!
//! # Finding the binary
//!
//! `env!("CARGO_BIN_EXE_cookie-warden")` only exists in the binary's own package, and artifact
//! dependencies are unstable, so [`binary`] runs `cargo build -p cookie-warden --bin
//! cookie-warden` once per test process (a no-op when it is up to date, so a stale binary is never
//! tested) with the same `cargo` and target directory as the test run, and returns
//! `<target dir>/<profile>/cookie-warden`. The target directory is the test executable's
//! grandparent (`target/debug/deps/<test>` → `target/debug`). `COOKIE_WARDEN_BIN` overrides all
//! of this with a path to a binary built elsewhere.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub mod browser;
pub mod fuzz;
pub mod http_client;
pub mod load;
pub mod upstream;

/// How long a started binary may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The `cookie-warden` binary, built if needed (see the crate docs).
///
/// # Panics
/// When the build fails or the binary is not where cargo put it.
pub fn binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            if let Some(path) = std::env::var_os("COOKIE_WARDEN_BIN") {
                return PathBuf::from(path);
            }
            let exe = std::env::current_exe().expect("the test executable has a path");
            // target/<profile>/deps/<test executable>
            let profile_dir = exe
                .parent()
                .and_then(Path::parent)
                .expect("the test runs from target/<profile>/deps");
            let target_dir = profile_dir.parent().expect("target/<profile> has a parent");
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let mut build = Command::new(cargo);
            build.args([
                "build",
                "--quiet",
                "-p",
                "cookie-warden",
                "--bin",
                "cookie-warden",
            ]);
            build.env("CARGO_TARGET_DIR", target_dir);
            if profile_dir.file_name().is_some_and(|name| name == "release") {
                build.arg("--release");
            }
            let status = build.status().expect("cargo runs");
            assert!(status.success(), "cargo build -p cookie-warden failed: {status}");
            let binary = profile_dir.join("cookie-warden");
            assert!(binary.is_file(), "no binary at {}", binary.display());
            binary
        })
        .clone()
}

/// Lines a child printed, shared with the threads that read them.
type Lines = Arc<Mutex<Vec<String>>>;

/// A running `cookie-warden` process; killed when dropped.
#[derive(Debug)]
pub struct Running {
    child: Child,
    stdout: Lines,
    stderr: Lines,
    /// The address it printed (`listening on http://ADDR`).
    pub address: SocketAddr,
}

impl Running {
    /// Starts `cookie-warden ARGS…` with extra environment variables and waits (bounded) until
    /// it prints `listening on …`.
    ///
    /// # Panics
    /// When it cannot start, exits early, or prints no address in time (with its output).
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(binary());
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Only what the test passes may configure the process: no filter or policy override
        // from the environment the tests run in.
        command.env_remove("RUST_LOG");
        for (key, _) in std::env::vars_os() {
            if key.to_str().is_some_and(|key| key.starts_with("COOKIE_WARDEN_")) {
                command.env_remove(key);
            }
        }
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("cookie-warden starts");
        let stdout = read_lines(child.stdout.take().expect("piped stdout"));
        let stderr = read_lines(child.stderr.take().expect("piped stderr"));
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let printed = printed_address(&stdout.lock().unwrap(), "listening on ");
            if let Some(address) = printed {
                return Self {
                    child,
                    stdout,
                    stderr,
                    address,
                };
            }
            if let Ok(Some(status)) = child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "cookie-warden {args:?} exited with {status} before listening\nstdout:\n{}\nstderr:\n{}",
                    stdout.lock().unwrap().join("\n"),
                    stderr.lock().unwrap().join("\n")
                );
            }
            assert!(
                Instant::now() < deadline,
                "cookie-warden {args:?} printed no address in time"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://ADDR` of the proxy.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Another address it printed, after `prefix` (e.g. `metrics on `).
    pub fn printed(&self, prefix: &str) -> Option<SocketAddr> {
        printed_address(&self.stdout.lock().unwrap(), prefix)
    }

    /// Everything it printed on stdout so far.
    pub fn stdout(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    /// Everything it logged on stderr so far.
    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits (bounded) for a stderr line containing `needle`, looking at lines after the first
    /// `skip`; returns it.
    pub fn wait_for_log(&self, needle: &str, skip: usize, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self
                .stderr
                .lock()
                .unwrap()
                .iter()
                .skip(skip)
                .find(|l| l.contains(needle))
            {
                return Some(line.clone());
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits (bounded) until one of the JSON lines on stderr after the first `skip` is `wanted`,
    /// and returns them all (at the deadline, those there are: the caller's assertion then shows
    /// what came). Events are written after the response has left, so a test that has its reply
    /// must wait for them.
    pub fn wait_for_event(
        &self,
        wanted: impl Fn(&serde_json::Value) -> bool,
        skip: usize,
        timeout: Duration,
    ) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let events = json_lines(self.stderr().get(skip..).unwrap_or_default());
            if events.iter().any(&wanted) || Instant::now() >= deadline {
                return events;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends a signal.
    ///
    /// # Panics
    /// When the signal cannot be sent.
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.pid()).expect("pids fit in i32"));
        nix::sys::signal::kill(pid, signal).expect("signal sent");
    }

    /// Waits (bounded) for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A field of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
    ///
    /// # Panics
    /// When the process is gone or the field is missing.
    pub fn memory_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("/proc status");
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc/{}/status", self.pid()))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_lines(stream: impl std::io::Read + Send + 'static) -> Lines {
    let lines: Lines = Arc::default();
    let shared = Arc::clone(&lines);
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            shared.lock().unwrap().push(line);
        }
    });
    lines
}

fn printed_address(lines: &[String], prefix: &str) -> Option<SocketAddr> {
    lines.iter().find_map(|line| {
        let rest = line.strip_prefix(prefix)?;
        let rest = rest
            .strip_prefix("http://")
            .or_else(|| rest.strip_prefix("https://"))?;
        rest.split('/').next()?.parse().ok()
    })
}

/// A directory under the system temp dir, removed when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh, empty directory.
    ///
    /// # Panics
    /// When it cannot be created.
    pub fn new() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("cookie-warden-tests-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temp dir");
        Self(path)
    }

    /// A path inside the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes a file and returns its path.
    ///
    /// # Panics
    /// When it cannot be written.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write temp file");
        path
    }
}

impl Default for TempDir {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Parses JSON log lines; lines that are not JSON objects are skipped.
pub fn json_lines(lines: &[String]) -> Vec<serde_json::Value> {
    lines
        .iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .collect()
}

/// The path of a file under the workspace root (`config/fora.toml`).
pub fn workspace_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(relative)
}

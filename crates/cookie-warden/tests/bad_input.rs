//! Bad input everywhere, through the built binary: policy files, CLI arguments, HAR files and
//! environment overrides. Each gets exit code 2 and a short, clear error naming what is wrong and
//! where; never a panic, a backtrace, or an error as long as the input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The largest error output accepted for any bad input, however large the input.
const MAX_ERROR_BYTES: usize = 64 * 1024;

fn fora() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/fora.toml"))
}

/// A fresh directory for this test's files, removed when dropped (also when the test fails).
fn scratch(test: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("cookie-warden-bad-{test}-"))
        .tempdir()
        .unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Runs the binary with `args` (stdin empty), with no `COOKIE_WARDEN_` variable but `env`.
fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cookie-warden"));
    command.args(args).stdin(Stdio::null());
    for (key, _) in std::env::vars() {
        if key.starts_with("COOKIE_WARDEN_") {
            command.env_remove(key);
        }
    }
    // A backtrace would show if anything panicked.
    command.env("RUST_BACKTRACE", "1");
    command.envs(env.iter().copied());
    command.output().expect("the cookie-warden binary runs")
}

/// Asserts exit code 2, no panic, a bounded error that contains every one of `needles` (ignoring
/// case); returns stderr.
fn assert_usage_error(out: &Output, needles: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let shown: String = stderr.chars().take(2000).collect();
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(!stderr.contains("panicked at"), "{shown}");
    // The binary's own panic hook (src/panic_hook.rs) says this instead.
    assert!(!stderr.contains("internal error"), "{shown}");
    assert!(!stderr.contains("RUST_BACKTRACE"), "{shown}");
    assert!(!stderr.contains("stack backtrace"), "{shown}");
    assert!(
        out.stderr.len() + out.stdout.len() <= MAX_ERROR_BYTES,
        "{} bytes of error: {shown}",
        out.stderr.len()
    );
    let lowercase = stderr.to_lowercase();
    for needle in needles {
        assert!(
            lowercase.contains(&needle.to_lowercase()),
            "{needle:?} not in: {shown}"
        );
    }
    stderr
}

fn check(path: &Path, needles: &[&str]) -> String {
    let out = run(&["check", "--config", path.to_str().unwrap()], &[]);
    assert_usage_error(&out, needles)
}

#[test]
fn an_empty_policy_file_is_named_in_the_error() {
    let temp = scratch("empty");
    let dir = temp.path();
    let path = write(dir, "empty.toml", b"");
    // Regression: the missing `version` was attributed to "policy", not to the file.
    check(&path, &["empty.toml: version: missing key `version`"]);
}

#[test]
fn binary_garbage_and_invalid_utf8_are_named() {
    let temp = scratch("garbage");
    let dir = temp.path();
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let path = write(dir, "garbage.toml", &garbage);
    check(&path, &["garbage.toml", "utf-8"]);
    let path = write(
        dir,
        "latin1.toml",
        b"version = 1\n[[cookie]]\nname = \"caf\xe9\"\n",
    );
    check(&path, &["latin1.toml", "utf-8"]);
}

#[test]
fn a_50_mb_policy_file_gets_a_short_error() {
    let temp = scratch("huge");
    let dir = temp.path();
    let mut text = b"version = 1\n".to_vec();
    text.extend(std::iter::repeat_n(b'x', 50 * 1024 * 1024));
    let path = write(dir, "huge.toml", &text);
    // Regression: the TOML error quoted the whole 50 MB line (and a 50 MB caret line): 100 MB of
    // stderr. Lines of messages are now clipped.
    check(&path, &["huge.toml", "line 2"]);
}

#[test]
fn deeply_nested_tables_and_arrays_are_errors_not_crashes() {
    let temp = scratch("deep");
    let dir = temp.path();
    let arrays = format!(
        "version = 1\na = {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    check(&write(dir, "arrays.toml", arrays.as_bytes()), &["arrays.toml"]);
    let tables = format!(
        "version = 1\na = {}1{}\n",
        "{ b = ".repeat(100_000),
        " }".repeat(100_000)
    );
    check(&write(dir, "tables.toml", tables.as_bytes()), &["tables.toml"]);
    let headers = format!("version = 1\n[{}]\n", vec!["t"; 20_000].join("."));
    check(&write(dir, "headers.toml", headers.as_bytes()), &["headers.toml"]);
}

#[test]
fn wrong_types_and_unknown_keys_are_each_named_with_their_key() {
    let temp = scratch("types");
    let dir = temp.path();
    let path = write(
        dir,
        "types.toml",
        b"version = \"one\"\nnope = 1\n[enforcement]\nmode = 5\nfoo = true\n[[cookie]]\nname = [1]\n",
    );
    check(
        &path,
        &[
            "types.toml: version: wrong type",
            "types.toml: nope: unknown key",
            "types.toml: enforcement.mode: wrong type",
            "types.toml: enforcement.foo: unknown key",
            "types.toml: cookie[0].name",
        ],
    );
}

#[test]
fn missing_files_and_directories_are_named() {
    let temp = scratch("missing");
    let dir = temp.path();
    let missing = dir.join("nope.toml");
    check(&missing, &["nope.toml", "no such file"]);
    check(dir, &["it is a directory"]);
    let fora = fora();
    let fora = fora.to_str().unwrap();
    let har = dir.join("nope.har");
    let out = run(&["audit", "--config", fora, har.to_str().unwrap()], &[]);
    let stderr = assert_usage_error(&out, &["nope.har", "no such file"]);
    // Regression: the I/O error was printed twice (in the message and as its source).
    assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");
    let out = run(&["audit", "--config", fora, dir.to_str().unwrap()], &[]);
    assert_usage_error(&out, &["it is a directory"]);
    let out = run(&["discover", dir.to_str().unwrap()], &[]);
    assert_usage_error(&out, &["it is a directory"]);
    let out = run(&["render", "--config", missing.to_str().unwrap()], &[]);
    assert_usage_error(&out, &["nope.toml"]);
    let out = run(
        &[
            "proxy",
            "--config",
            fora,
            "--upstream",
            "http://127.0.0.1:9",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            missing.to_str().unwrap(),
            "--tls-key",
            missing.to_str().unwrap(),
        ],
        &[],
    );
    assert_usage_error(&out, &["nope.toml"]);
}

#[test]
fn bad_cli_arguments_exit_2_naming_the_argument() {
    let fora = fora();
    let fora = fora.to_str().unwrap();
    let cases: [(&[&str], &[&str]); 12] = [
        (&[], &["Usage"]),
        (&["bogus"], &["bogus"]),
        (&["proxy"], &["--config", "--upstream"]),
        (&["proxy", "--config", fora], &["--upstream"]),
        (&["check", "--config", fora, "--bogus"], &["--bogus"]),
        (&["proxy", "--config", fora, "--upstream", "nope"], &["nope"]),
        // (An https:// upstream is valid since the proxy speaks TLS to upstreams.)
        (
            &["proxy", "--config", fora, "--upstream", "ftp://example.com"],
            &["ftp://example.com", "http:// and https://"],
        ),
        (
            &[
                "proxy",
                "--config",
                fora,
                "--upstream",
                "http://127.0.0.1:9",
                "--listen",
                "bogus",
            ],
            &["--listen", "bogus"],
        ),
        (
            &[
                "proxy",
                "--config",
                fora,
                "--upstream",
                "http://127.0.0.1:9",
                "--listen",
                "192.0.2.1:80",
            ],
            &["192.0.2.1:80"],
        ),
        (
            &[
                "proxy",
                "--config",
                fora,
                "--upstream",
                "http://127.0.0.1:9",
                "--connect-timeout",
                "soon",
            ],
            &["--connect-timeout", "soon"],
        ),
        (
            &["eval", "--config", fora, "--url", "fora.se/"],
            &["--url", "fora.se/"],
        ),
        (
            &[
                "eval",
                "--config",
                fora,
                "--url",
                "https://fora.se/",
                "--header",
                "no colon",
            ],
            &["--header", "no colon"],
        ),
    ];
    for (args, needles) in cases {
        let out = run(args, &[]);
        assert_usage_error(&out, needles);
    }
}

#[test]
fn bad_har_files_are_named_with_the_json_path() {
    let temp = scratch("har");
    let dir = temp.path();
    let fora = fora();
    let fora = fora.to_str().unwrap();
    let cases: [(&str, &[u8], &str); 5] = [
        ("truncated.har", br#"{"log": {"entries": ["#, "log.entries"),
        ("text.har", b"not json at all", "line 1"),
        ("types.har", br#"{"log": {"entries": 5}}"#, "log.entries"),
        (
            "fields.har",
            br#"{"log": {"entries": [{"request": {}}]}}"#,
            "log.entries[0].request",
        ),
        ("binary.har", b"\xff\xfe\x00\x01{", "binary.har"),
    ];
    for (name, bytes, place) in cases {
        let path = write(dir, name, bytes);
        let out = run(&["audit", "--config", fora, path.to_str().unwrap()], &[]);
        assert_usage_error(&out, &[name, place]);
        let out = run(&["discover", path.to_str().unwrap()], &[]);
        assert_usage_error(&out, &[name, place]);
    }
}

#[test]
fn har_files_with_huge_strings_are_judged_without_panic() {
    let temp = scratch("har-huge");
    let dir = temp.path();
    let value = "v".repeat(8 * 1024 * 1024);
    let har = format!(
        r#"{{"log": {{"version": "1.2", "creator": {{"name": "t", "version": "1"}}, "entries": [{{
  "startedDateTime": "2024-01-01T00:00:00Z", "time": 1,
  "request": {{"method": "GET", "url": "https://fora.se/", "httpVersion": "HTTP/1.1", "cookies": [], "headers": [], "queryString": [], "headersSize": -1, "bodySize": 0}},
  "response": {{"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "cookies": [], "headers": [{{"name": "Set-Cookie", "value": "x={value}"}}, {{"name": "{value}", "value": "1"}}], "content": {{"size": 0, "mimeType": "text/plain"}}, "redirectURL": "", "headersSize": -1, "bodySize": 0}},
  "cache": {{}}, "timings": {{"send": 0, "wait": 0, "receive": 0}}}}]}}}}"#
    );
    let path = write(dir, "huge.har", har.as_bytes());
    let out = run(
        &[
            "audit",
            "--config",
            fora().to_str().unwrap(),
            path.to_str().unwrap(),
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    // An oversize, unlisted cookie: a finding (exit 1), never a crash, and its value never shown.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        stderr.chars().take(2000).collect::<String>()
    );
    assert!(!stderr.contains("panicked at"));
    assert!(
        out.stdout.len() + out.stderr.len() < MAX_ERROR_BYTES,
        "{} bytes",
        out.stdout.len()
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("vvvvvvvv"));
}

#[test]
fn bad_environment_overrides_name_the_variable() {
    let fora = fora();
    let fora = fora.to_str().unwrap();
    let out = run(
        &["check", "--config", fora],
        &[("COOKIE_WARDEN_ENFORCEMENT__MODE", "bogus")],
    );
    assert_usage_error(
        &out,
        &["COOKIE_WARDEN_ENFORCEMENT__MODE", "enforcement.mode", "bogus"],
    );
    // An unknown key in the override form is an error naming the variable.
    let out = run(&["check", "--config", fora], &[("COOKIE_WARDEN_NOPE__X", "1")]);
    assert_usage_error(&out, &["COOKIE_WARDEN_NOPE__*", "nope: unknown key"]);
    let out = run(
        &["check", "--config", fora],
        &[("COOKIE_WARDEN_POLICY__NOPE", "1")],
    );
    assert_usage_error(&out, &["COOKIE_WARDEN_POLICY__NOPE", "nope: unknown key"]);
    let out = run(
        &["check", "--config", fora],
        &[("COOKIE_WARDEN_POLICY__ENFORCEMENT", "strict")],
    );
    assert_usage_error(&out, &["COOKIE_WARDEN_POLICY__ENFORCEMENT", "enforcement"]);
    let out = run(
        &["check", "--config", fora],
        &[("COOKIE_WARDEN_ENFORCEMENT__BLOCK_STATUS", "200")],
    );
    assert_usage_error(&out, &["COOKIE_WARDEN_ENFORCEMENT__BLOCK_STATUS", "block_status"]);
    let out = run(
        &[
            "proxy",
            "--config",
            fora,
            "--upstream",
            "http://127.0.0.1:9",
            "--listen",
            "127.0.0.1:0",
        ],
        &[("COOKIE_WARDEN_DEFAULTS__SAME_SITE", "sometimes")],
    );
    assert_usage_error(&out, &["COOKIE_WARDEN_DEFAULTS__SAME_SITE", "defaults.same_site"]);
    // The tools' own variables are not policy overrides.
    let out = run(
        &["check", "--config", fora],
        &[("COOKIE_WARDEN_LOG", "debug"), ("COOKIE_WARDEN_BIN", "/x")],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What the kubelet injects into every pod of a namespace that has a Service named
/// `cookie-warden` (cluster IP 10.0.0.1) with a port `http` 8080 and a port `metrics` 9090.
const KUBELET_SERVICE_VARIABLES: [(&str, &str); 13] = [
    ("COOKIE_WARDEN_SERVICE_HOST", "10.0.0.1"),
    ("COOKIE_WARDEN_SERVICE_PORT", "8080"),
    ("COOKIE_WARDEN_SERVICE_PORT_HTTP", "8080"),
    ("COOKIE_WARDEN_SERVICE_PORT_METRICS", "9090"),
    ("COOKIE_WARDEN_PORT", "tcp://10.0.0.1:8080"),
    ("COOKIE_WARDEN_PORT_8080_TCP", "tcp://10.0.0.1:8080"),
    ("COOKIE_WARDEN_PORT_8080_TCP_PROTO", "tcp"),
    ("COOKIE_WARDEN_PORT_8080_TCP_PORT", "8080"),
    ("COOKIE_WARDEN_PORT_8080_TCP_ADDR", "10.0.0.1"),
    ("COOKIE_WARDEN_PORT_9090_TCP", "tcp://10.0.0.1:9090"),
    ("COOKIE_WARDEN_PORT_9090_TCP_PROTO", "tcp"),
    ("COOKIE_WARDEN_PORT_9090_TCP_PORT", "9090"),
    ("COOKIE_WARDEN_PORT_9090_TCP_ADDR", "10.0.0.1"),
];

#[test]
fn check_runs_next_to_a_kubernetes_service_named_cookie_warden() {
    let fora = fora();
    let fora = fora.to_str().unwrap();
    let out = run(&["check", "--config", fora], &KUBELET_SERVICE_VARIABLES);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("COOKIE_WARDEN_"), "{stderr}");
    // The documented override still works among them.
    let mut env = KUBELET_SERVICE_VARIABLES.to_vec();
    env.push(("COOKIE_WARDEN_ENFORCEMENT__MODE", "report-only"));
    let out = run(&["check", "--config", fora], &env);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("mode report-only"));
    // And a misspelt one is still an error naming it.
    env.push(("COOKIE_WARDEN_ENFORCEMENT__MOOD", "enforce"));
    let out = run(&["check", "--config", fora], &env);
    assert_usage_error(
        &out,
        &[
            "COOKIE_WARDEN_ENFORCEMENT__MOOD",
            "enforcement.mood: unknown key `mood`",
        ],
    );
}

//! `cookie-warden check --config F`, end to end with the built binary.

use std::path::PathBuf;
use std::process::{Command, Output};

fn config(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config")).join(name)
}

fn check(path: &std::path::Path, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cookie-warden"));
    command.arg("check").arg("--config").arg(path);
    // A policy override in the test runner's environment must not leak into these runs.
    for (key, _) in std::env::vars() {
        if key.starts_with("COOKIE_WARDEN_") {
            command.env_remove(key);
        }
    }
    command.envs(env.iter().copied());
    command.output().expect("the cookie-warden binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh directory for this test's policy files, removed when dropped (also when the test fails).
fn scratch(test: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("cookie-warden-check-{test}-"))
        .tempdir()
        .unwrap()
}

#[test]
fn fora_policy_passes_with_a_summary_and_its_lint_warnings() {
    let out = check(&config("fora.toml"), &[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("16 rules (13 exact, 2 templates, 1 glob), 4 scopes, mode enforce"),
        "{stdout}"
    );
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("warning: ")).count(),
        3,
        "{stderr}"
    );
    assert!(
        stderr.contains("cookie[11].category: `ai_session` is a statistics cookie"),
        "{stderr}"
    );
}

#[test]
fn minimal_policy_passes_cleanly() {
    let out = check(&config("minimal.toml"), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("2 rules"), "{}", text(&out.stdout));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn env_overrides_show_in_the_summary_and_unrelated_variables_are_ignored() {
    let out = check(
        &config("minimal.toml"),
        &[
            ("COOKIE_WARDEN_ENFORCEMENT__MODE", "report-only"),
            ("COOKIE_WARDEN_LOG", "debug"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("mode report-only"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_broken_policy_exits_2_listing_every_error() {
    let temp = scratch("broken");
    let dir = temp.path();
    let path = dir.join("broken.toml");
    std::fs::write(
        &path,
        r#"
version = 1
[enforcement]
max_lifetime = "2 years"
[[scope]]
id = "app"
hosts = ["https://app.example.com"]
[[cookie]]
name = "__Host-sid"
scopes = ["ap"]
domains = ["example.com"]
lifetime = "session"
colour = "blue"
"#,
    )
    .unwrap();
    let out = check(&path, &[("COOKIE_WARDEN_ENFORCEMENT__BLOCK_STATUS", "200")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(text(&out.stdout), "");
    for expected in [
        "broken.toml: enforcement.max_lifetime: max_lifetime `2 years` is over 400 days",
        "broken.toml: scope[0].hosts[0]: invalid host `https://app.example.com`",
        "broken.toml: cookie[0].scopes[0]: scope `ap` is not declared",
        "broken.toml: cookie[0].domains: `__Host-sid` is a __Host- cookie: it cannot have domains",
        "broken.toml: cookie[0].colour: unknown key `colour`",
        "environment variable COOKIE_WARDEN_ENFORCEMENT__BLOCK_STATUS: enforcement.block_status: block_status 200",
        "invalid policy, 6 errors",
    ] {
        assert!(stderr.contains(expected), "missing {expected:?} in:\n{stderr}");
    }
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error: ")).count(),
        6,
        "{stderr}"
    );
}

#[test]
fn a_missing_or_unparsable_file_exits_2_naming_it() {
    let temp = scratch("missing");
    let dir = temp.path();
    let out = check(&dir.join("absent.toml"), &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot read policy file") && stderr.contains("absent.toml"),
        "{stderr}"
    );

    let out = check(dir, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("it is a directory"),
        "{}",
        text(&out.stderr)
    );

    let path = dir.join("syntax.toml");
    std::fs::write(&path, "version = 1\n[[cookie]\n").unwrap();
    let out = check(&path, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("syntax.toml"), "{stderr}");
}

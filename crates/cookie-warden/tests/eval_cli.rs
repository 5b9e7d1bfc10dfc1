//! End-to-end tests of `cookie-warden eval`: the built binary, real stdin and stdout.
//!
//! Over `config/fora.toml`: every cookie of the seed (`fora-cookie-declaration.txt`), set as its
//! rule requires, is allowed in its own scope and stripped as `out_of_scope` in another. Then the
//! output format, non-UTF-8 input, report-only, consent and GPC, the `Date` header, and bad usage.

use std::collections::BTreeSet;
mod common;

use std::path::PathBuf;
use std::process::Output;

use cookie_warden_core::policy::load::from_toml_str;
use cookie_warden_core::policy::model::SameSiteMin;
use cookie_warden_core::policy::{CompiledPolicy, CompiledRule, Lifetime, NameMatch};
use serde_json::Value;

const FORA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/fora.toml");
const DATE: &str = "Date: Tue, 14 Nov 2023 22:13:20 GMT";

/// Every cookie the seed page lists, by the name the policy gives it; patterns as a concrete
/// name a browser would see.
const SEED_COOKIES: [&str; 16] = [
    "_pk_testcookie",
    "__RequestVerificationToken",
    "accepted_cookies",
    "PortalAlias",
    "com.sap.engine.security.authentication.original_application_url",
    "saplb_PORTAL",
    "react-router-scroll-positions",
    "msal.token.keys.0a1b2c3d-1234-4abc-8def-0123456789ab",
    "msal.token.keys",
    "partnerNumberOrganization",
    "refreshToken_5560012345_SAPEP",
    "ai_session",
    "ai_user",
    "i18next",
    "refreshToken_VERIFIED_USER",
    "TS01e88579",
];

/// Runs `cookie-warden eval ARGS` with `stdin` and the extra environment `env`.
fn run(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    let args: Vec<&str> = std::iter::once("eval").chain(args.iter().copied()).collect();
    common::run_with_stdin(&args, env, stdin)
}

fn json_lines(output: &Output) -> Vec<Value> {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone())
        .expect("stdout is UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each stdout line is JSON"))
        .collect()
}

fn kinds(line: &Value) -> Vec<&str> {
    line["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["kind"].as_str().unwrap())
        .collect()
}

fn fora() -> CompiledPolicy {
    from_toml_str("fora.toml", &std::fs::read_to_string(FORA).unwrap())
        .expect("config/fora.toml loads")
        .policy
}

/// A URL inside scope `index` of the policy: its first host (a `*.` host gets a subdomain) and
/// first path.
fn scope_url(policy: &CompiledPolicy, index: usize) -> String {
    let scope = &policy.source().scopes[index];
    let host = scope.hosts[0].replace("*.", "a.");
    let path = scope.paths.first().map_or("/", String::as_str);
    format!("https://{host}{path}")
}

/// A header that meets every requirement of `rule`.
fn compliant_header(name: &str, rule: &CompiledRule) -> String {
    let mut header = format!("{name}=v1");
    if let Some(path) = rule.path() {
        header.push_str(&format!("; Path={path}"));
    }
    match rule.lifetime() {
        Lifetime::Session => {}
        Lifetime::Persistent => header.push_str("; Max-Age=86400"),
        Lifetime::AtMost(seconds) => header.push_str(&format!("; Max-Age={seconds}")),
    }
    if rule.secure() {
        header.push_str("; Secure");
    }
    if rule.http_only() {
        header.push_str("; HttpOnly");
    }
    header.push_str(match rule.same_site() {
        SameSiteMin::Strict => "; SameSite=Strict",
        SameSiteMin::Lax | SameSiteMin::None => "; SameSite=Lax",
    });
    header
}

#[test]
fn every_seed_cookie_is_allowed_in_its_scope_and_stripped_elsewhere() {
    let policy = fora();
    let mut rules_seen = BTreeSet::new();
    for name in SEED_COOKIES {
        let rule = match policy.match_name(name.as_bytes(), None) {
            NameMatch::InScope(rule) | NameMatch::OutOfScope(rule) => rule,
            NameMatch::Unlisted => panic!("{name}: no rule of config/fora.toml matches it"),
        };
        rules_seen.insert(rule.name().to_owned());
        let header = compliant_header(name, rule);
        let scopes = rule
            .scopes()
            .expect("every seed cookie belongs to a part of the site");

        let home = scope_url(&policy, scopes[0].index());
        let out = run(
            &["--config", FORA, "--url", &home, "--header", DATE],
            &[],
            format!("{header}\n").as_bytes(),
        );
        let lines = json_lines(&out);
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["verdict"], "allow", "{name} at {home}: {line}");
        assert_eq!(
            line["output"],
            header.as_str(),
            "{name}: an allowed header leaves byte for byte"
        );
        assert_eq!(line["name"], name);
        assert_eq!(line["rule"], rule.name());
        assert_eq!(line["scope"], policy.scope_name(scopes[0]));
        assert!(kinds(line).is_empty());

        let elsewhere = policy
            .scope_ids()
            .find(|s| !scopes.contains(s))
            .expect("a scope the cookie is not in");
        let away = scope_url(&policy, elsewhere.index());
        let out = run(
            &["--config", FORA, "--url", &away, "--header", DATE],
            &[],
            format!("{header}\n").as_bytes(),
        );
        let line = &json_lines(&out)[0];
        assert_eq!(line["verdict"], "strip", "{name} at {away}: {line}");
        assert_eq!(kinds(line), ["out_of_scope"], "{name} at {away}");
        assert_eq!(line["output"], Value::Null);
        assert_eq!(line["scope"], policy.scope_name(elsewhere));
    }
    let all: BTreeSet<String> = policy.rules().iter().map(|r| r.name().to_owned()).collect();
    assert_eq!(
        rules_seen, all,
        "the seed list and config/fora.toml must name the same cookies"
    );
}

#[test]
fn each_line_has_exactly_the_designed_fields() {
    let stdin = b"__RequestVerificationToken=abc; Max-Age=60\nrogue=1\n\n";
    let out = run(
        &[
            "--config",
            FORA,
            "--url",
            "https://www.fora.se/",
            "--header",
            DATE,
        ],
        &[],
        stdin,
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3);
    for line in &lines {
        let keys: Vec<&str> = line.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected = [
            "input",
            "proven",
            "name",
            "rule",
            "scope",
            "verdict",
            "output",
            "violations",
        ];
        expected.sort_unstable();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(keys, expected, "{line}");
        for v in line["violations"].as_array().unwrap() {
            let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, ["detail", "kind"]);
        }
    }
    assert_eq!(lines[0]["verdict"], "fix");
    assert_eq!(
        lines[0]["output"], "__RequestVerificationToken=abc; Secure; HttpOnly; SameSite=Lax",
        "a fix leaves in canonical form"
    );
    assert_eq!(
        kinds(&lines[0]),
        [
            "not_session",
            "missing_secure",
            "missing_http_only",
            "weak_same_site"
        ]
    );
    assert_eq!(
        (lines[1]["verdict"].as_str(), lines[1]["rule"].clone()),
        (Some("strip"), Value::Null)
    );
    // An empty line is not a cookie at all.
    assert_eq!(
        (lines[2]["verdict"].as_str(), kinds(&lines[2])),
        (Some("strip"), vec!["malformed"])
    );
}

#[test]
fn bytes_that_are_not_utf8_are_hex() {
    // A name and value with Latin-1 bytes; the same through --input hex, plus a CR the text form
    // cannot carry.
    let header = b"caf\xe9=cr\xe8me; Secure";
    let text = run(
        &[
            "--config",
            FORA,
            "--url",
            "https://www.fora.se/",
            "--header",
            DATE,
        ],
        &[],
        &[header, &b"\n"[..]].concat(),
    );
    let line = &json_lines(&text)[0];
    assert_eq!(line["input"], Value::Null);
    assert_eq!(line["input_hex"], "636166e93d6372e86d653b20536563757265");
    assert_eq!(line["name"], Value::Null);
    assert_eq!(line["name_hex"], "636166e9");
    assert_eq!(line["verdict"], "strip");

    let hex = "5f5f52657175657374566572696669636174696f6e546f6b656e3d6f6b3b205365637572653b20487474704f6e6c793b2053616d65536974653d4c6178\n0d0a\n";
    let out = run(
        &[
            "--config",
            FORA,
            "--url",
            "https://www.fora.se/",
            "--input",
            "hex",
            "--header",
            DATE,
        ],
        &[],
        hex.as_bytes(),
    );
    let lines = json_lines(&out);
    assert_eq!(lines[0]["verdict"], "allow");
    assert_eq!(
        lines[0]["output"],
        "__RequestVerificationToken=ok; Secure; HttpOnly; SameSite=Lax"
    );
    assert_eq!(lines[0]["input"], hex.lines().next().unwrap());
    assert_eq!(
        (lines[1]["verdict"].as_str(), kinds(&lines[1])),
        (Some("strip"), vec!["malformed"])
    );
}

#[test]
fn report_only_decides_but_lets_the_header_leave() {
    let stdin = b"rogue=1; Secure\n__RequestVerificationToken=abc\n";
    let args = [
        "--config",
        FORA,
        "--url",
        "https://www.fora.se/",
        "--header",
        DATE,
    ];
    let out = run(
        &args,
        &[("COOKIE_WARDEN_ENFORCEMENT__MODE", "report-only")],
        stdin,
    );
    let lines = json_lines(&out);
    assert_eq!(
        (lines[0]["verdict"].as_str(), lines[0]["output"].as_str()),
        (Some("strip"), Some("rogue=1; Secure"))
    );
    assert_eq!(
        (lines[1]["verdict"].as_str(), lines[1]["output"].as_str()),
        (Some("fix"), Some("__RequestVerificationToken=abc"))
    );
}

/// A policy file in the temporary directory, removed when dropped.
struct TempPolicy(PathBuf);

impl TempPolicy {
    fn new(tag: &str, text: &str) -> Self {
        let path = std::env::temp_dir().join(format!("cookie-warden-eval-{}-{tag}.toml", std::process::id()));
        std::fs::write(&path, text).unwrap();
        TempPolicy(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempPolicy {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

const CONSENT_POLICY: &str = r#"
version = 1
[[cookie]]
name = "consent"
lifetime = "persistent"
http_only = false
[[cookie]]
name = "_ga"
category = "statistics"
lifetime = "1h"
http_only = false
[consent]
cookie = "consent"
format = "json"
honor_gpc = true
"#;

#[test]
fn consent_and_gpc_come_from_the_request_headers() {
    let policy = TempPolicy::new("consent", CONSENT_POLICY);
    let stdin = b"_ga=1; Max-Age=600; Secure; SameSite=Lax\n";
    let base = [
        "--config",
        policy.path(),
        "--url",
        "https://example.com/",
        "--header",
        DATE,
    ];
    let decide = |extra: &[&str]| {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let out = run(&args, &[], stdin);
        let line = json_lines(&out).remove(0);
        (
            line["verdict"].as_str().unwrap().to_owned(),
            kinds(&line).join(","),
        )
    };
    let granted = "Cookie: a=1; consent=%7B%22statistics%22%3Atrue%7D";
    assert_eq!(decide(&[]), ("strip".to_owned(), "consent_missing".to_owned()));
    assert_eq!(
        decide(&["--header", granted]),
        ("allow".to_owned(), String::new())
    );
    assert_eq!(
        decide(&[
            "--header",
            "Cookie: a=1",
            "--header",
            "Cookie: consent={\"statistics\":true}"
        ])
        .0,
        "allow"
    );
    assert_eq!(
        decide(&["--header", granted, "--header", "Sec-GPC: 1"]).0,
        "strip"
    );
    assert_eq!(
        decide(&["--header", "Cookie: consent={\"statistics\":\"yes\"}"]).0,
        "strip"
    );
}

#[test]
fn the_date_header_is_the_clock() {
    let without_consent = CONSENT_POLICY.split("[consent]").next().unwrap();
    let policy = TempPolicy::new("date", without_consent);
    // Expires one hour after the Date: exactly `_ga`'s 1h, allowed. Two hours after: fixed.
    let stdin = b"_ga=1; Expires=Tue, 14 Nov 2023 23:13:20 GMT; Secure; SameSite=Lax\n";
    let verdict = |date: &str| {
        let out = run(
            &[
                "--config",
                policy.path(),
                "--url",
                "https://example.com/",
                "--header",
                date,
            ],
            &[],
            stdin,
        );
        json_lines(&out)[0].clone()
    };
    assert_eq!(verdict(DATE)["verdict"], "allow");
    assert_eq!(verdict(DATE)["proven"], true);
    assert_eq!(verdict(DATE)["output"], verdict(DATE)["input"]);
    assert_eq!(verdict("Date: Tue, 14 Nov 2023 21:13:20 GMT")["verdict"], "fix");
    let deletion = verdict("date: Wed, 15 Nov 2023 00:00:00 GMT");
    assert_eq!(
        (&deletion["verdict"], &deletion["proven"], &deletion["output"]),
        (
            &"allow".into(),
            &false.into(),
            &"_ga=; Max-Age=0; Secure; SameSite=Lax".into()
        ),
        "after the Expires it is a deletion, which leaves canonical"
    );
}

/// Class 3 of issue 14: a `Date` browsers read leniently is accepted as the proxy accepts it (it
/// used to be refused here while the proxy silently used its clock): the clock is the time, and the
/// Expires leaves as a Max-Age against it, whatever the `Date` says.
#[test]
fn a_lenient_date_is_taken_as_the_proxy_takes_it() {
    let without_consent = CONSENT_POLICY.split("[consent]").next().unwrap();
    let policy = TempPolicy::new("lenient-date", without_consent);
    for date in [
        "Date: Tue, 14 Nov 2023 22:13:20 UTC",
        "Date: yesterday",
        "Date: Tuesday, 14-Nov-23 22:13:20 GMT",
    ] {
        let out = run(
            &["--config", policy.path(), "--url", "https://example.com/", "--header", date],
            &[],
            b"_ga=1; Max-Age=60; Secure; SameSite=Lax\n_ga=1; Expires=Fri, 01 Jan 9999 00:00:00 GMT; Secure; SameSite=Lax\n",
        );
        assert_eq!(out.status.code(), Some(0), "{date}");
        let lines = json_lines(&out);
        assert_eq!(
            (&lines[0]["verdict"], &lines[0]["proven"], &lines[0]["output"]),
            (&"allow".into(), &true.into(), &lines[0]["input"]),
            "{date}: no Expires, the Date does not matter"
        );
        assert_eq!(lines[1]["proven"], false, "{date}");
        assert_eq!(
            lines[1]["output"], "_ga=1; Max-Age=3600; Secure; SameSite=Lax",
            "{date}: the Expires leaves as a Max-Age"
        );
    }
}

#[test]
fn the_host_header_chooses_the_scope() {
    let out = run(
        &[
            "--config",
            FORA,
            "--url",
            "https://www.fora.se/irj/portal",
            "--header",
            "Host: minasidor.fora.se:443",
            "--header",
            DATE,
        ],
        &[],
        b"PortalAlias=x; Secure; HttpOnly; SameSite=Lax\n",
    );
    let line = &json_lines(&out)[0];
    assert_eq!(
        (line["scope"].as_str(), line["verdict"].as_str()),
        (Some("login"), Some("allow"))
    );
}

#[test]
fn bad_usage_exits_2_with_a_clear_error() {
    let bad_policy = TempPolicy::new(
        "bad",
        "version = 1\n[[cookie]]\nname = \"x\"\nlifetime = \"forever\"\n",
    );
    let cases: [(&[&str], &str); 8] = [
        (&["--config", FORA], "--url"),
        (&["--config", FORA, "--url", "ftp://x/"], "unsupported scheme"),
        (
            &[
                "--config",
                FORA,
                "--url",
                "https://fora.se/",
                "--header",
                "X-Thing: 1",
            ],
            "eval reads only",
        ),
        (
            &[
                "--config",
                FORA,
                "--url",
                "https://fora.se/",
                "--header",
                "no colon",
            ],
            "Name: value",
        ),
        (
            &[
                "--config",
                FORA,
                "--url",
                "https://fora.se/",
                "--header",
                "Cookie=secretvalue",
            ],
            "Name: value",
        ),
        (
            &[
                "--config",
                "/nonexistent/policy.toml",
                "--url",
                "https://fora.se/",
            ],
            "cannot read policy file",
        ),
        (
            &["--config", bad_policy.path(), "--url", "https://fora.se/"],
            "cookie[0].lifetime",
        ),
        (
            &["--config", FORA, "--url", "https://fora.se/", "--input", "hex"],
            "not hex",
        ),
    ];
    for (args, needle) in cases {
        let out = run(args, &[], b"zz\n");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {needle:?} not in {stderr}");
        assert!(
            !stderr.contains("zz"),
            "{args:?}: stdin echoed on stderr: {stderr}"
        );
    }
}

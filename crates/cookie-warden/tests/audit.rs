//! `cookie-warden audit`: HAR files judged against a policy.

mod har_fixture;

use har_fixture::{Exchange, har, run, scratch, texts, write};
use serde_json::{Value, json};

const POLICY: &str = r#"
version = 1

[[scope]]
id = "public"
hosts = ["www.example.se"]

[[scope]]
id = "login"
hosts = ["login.example.se"]
paths = ["/auth"]

[[cookie]]
name = "lang"
scopes = ["public"]
lifetime = "persistent"

[[cookie]]
name = "sid"
scopes = ["login"]
lifetime = "session"

[[cookie]]
name = "saplb_*"
scopes = ["login"]
lifetime = "session"

[[cookie]]
name = "ai_user"
scopes = ["public"]
category = "statistics"
lifetime = "12 months"
"#;

/// Every cookie value in the fixtures contains this, so that a test can prove none is printed.
const SECRET: &str = "VALUE-SECRET";

fn traffic() -> Vec<Exchange> {
    let good = "Secure; HttpOnly; SameSite=Lax";
    vec![
        Exchange::get(
            "https://www.example.se/?token=QUERY-SECRET",
            &[
                &format!("lang={SECRET}1; Max-Age=86400; Path=/; {good}"),
                &format!("tracker={SECRET}2; Max-Age=999; Secure"),
                // Expires one month after the response's Date: fine for a 12-month rule when `now`
                // is the Date header, a violation if `now` were the (earlier) startedDateTime.
                &format!("ai_user={SECRET}3; Expires=Tue, 29 Dec 2026 10:00:00 GMT; {good}"),
                &format!("old={SECRET}; Max-Age=0"),
            ],
        ),
        Exchange {
            started: "2025-06-01T00:00:00.000Z".to_owned(),
            ..Exchange::get(
                "https://www.example.se/about",
                &[&format!(
                    "ai_user={SECRET}4; Expires=Tue, 29 Dec 2026 10:00:00 GMT; {good}"
                )],
            )
        },
        Exchange::get(
            "https://login.example.se/auth/start",
            &[
                &format!("sid={SECRET}5; Path=/; {good}"),
                &format!("saplb_PD={SECRET}6; {good}"),
                &format!("lang={SECRET}7; Max-Age=60; {good}"),
            ],
        ),
        // One header entry holding two values joined by a newline, as some exporters write them.
        Exchange::get(
            "https://login.example.se/auth/step2",
            &[&format!(
                "saplb_AB={SECRET}8; {good}\nrogue_joined={SECRET}9; {good}"
            )],
        ),
        // Noncompliant: a rule allows it, its attributes do not (fix).
        Exchange::get(
            "https://login.example.se/auth/done",
            &[&format!("sid={SECRET}10; Path=/; Secure")],
        ),
        // No cookies at all, and a scheme that cannot carry any.
        Exchange::get("https://www.example.se/style.css", &[]),
        Exchange::get("data:image/png;base64,iVBORw0KGgo=", &[]),
    ]
}

fn audit_json(dir: &std::path::Path, exchanges: &[Exchange]) -> (i32, Value, String) {
    let policy = write(dir, "policy.toml", POLICY);
    let file = write(dir, "traffic.har", &har(exchanges).to_string());
    let output = run([
        "audit".as_ref(),
        "--config".as_ref(),
        policy.as_os_str(),
        file.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    let (stdout, stderr) = texts(&output);
    assert!(
        !stdout.contains(SECRET) && !stderr.contains(SECRET),
        "a cookie value leaked:\n{stdout}\n{stderr}"
    );
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (output.status.code().unwrap(), report, stderr)
}

fn flagged(report: &Value) -> Vec<(String, String, Vec<String>)> {
    report["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["worst"] != "allow")
        .map(|c| {
            let kinds = c["violations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["kind"].as_str().unwrap().to_owned());
            (
                c["name"].as_str().unwrap().to_owned(),
                c["worst"].as_str().unwrap().to_owned(),
                kinds.collect(),
            )
        })
        .collect()
}

#[test]
fn audit_finds_exactly_the_rogue_cookies() {
    let dir = scratch("audit_finds_exactly_the_rogue_cookies");
    let (code, report, _) = audit_json(&dir, &traffic());
    assert_eq!(code, 1, "violations exit 1");
    let mut found = flagged(&report);
    found.sort();
    let s = |v: &str| v.to_owned();
    assert_eq!(
        found,
        [
            (s("lang"), s("strip"), vec![s("out_of_scope")]),
            (s("rogue_joined"), s("strip"), vec![s("unlisted")]),
            (
                s("sid"),
                s("fix"),
                vec![s("missing_http_only"), s("weak_same_site")]
            ),
            (s("tracker"), s("strip"), vec![s("unlisted")]),
        ]
    );
    let summary = &report["summary"];
    assert_eq!(summary["entries"], 7);
    assert_eq!(summary["responses"], 5);
    assert_eq!(summary["set_cookie_headers"], 11);
    assert_eq!(
        summary["verdicts"],
        json!({ "allow": 7, "fix": 1, "strip": 3, "block": 0 })
    );

    let allowed: Vec<&str> = report["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["worst"] == "allow")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for name in ["ai_user", "old", "saplb_AB", "saplb_PD"] {
        assert!(allowed.contains(&name), "{name} passes: {allowed:?}");
    }
    let cookie = |name: &str| {
        report["cookies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()
            .clone()
    };
    let lang = cookie("lang");
    assert_eq!(
        lang["verdicts"],
        json!({ "allow": 1, "fix": 0, "strip": 1, "block": 0 }),
        "in scope here, not there"
    );
    assert_eq!(lang["scopes"], json!(["login", "public"]));
    assert_eq!(
        lang["examples"],
        json!(["https://login.example.se/auth/start", "https://www.example.se/"])
    );
    assert_eq!(cookie("ai_user")["count"], 2);
    let tracker = cookie("tracker");
    assert_eq!(
        tracker["examples"],
        json!(["https://www.example.se/"]),
        "examples drop the query"
    );
    assert_eq!(tracker["scopes"], json!(["public"]));
}

#[test]
fn clean_traffic_exits_zero() {
    let dir = scratch("clean_traffic_exits_zero");
    let clean = [
        traffic()[1].clone(),
        Exchange::get(
            "https://login.example.se/auth",
            &[&format!(
                "sid={SECRET}; Path=/; Secure; HttpOnly; SameSite=Strict"
            )],
        ),
    ];
    let (code, report, _) = audit_json(&dir, &clean);
    assert!(flagged(&report).is_empty(), "{report:#}");
    assert_eq!(code, 0);
}

#[test]
fn table_groups_by_cookie_without_colour_when_piped() {
    let dir = scratch("table_groups_by_cookie_without_colour_when_piped");
    let policy = write(&dir, "policy.toml", POLICY);
    let file = write(&dir, "traffic.har", &har(&traffic()).to_string());
    let output = run([
        "audit".as_ref(),
        "--config".as_ref(),
        policy.as_os_str(),
        file.as_os_str(),
    ]);
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stdout.contains('\u{1b}'), "no colour codes in a pipe:\n{stdout}");
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET) && !stdout.contains("QUERY-SECRET"));
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("VERDICT") && lines[0].contains("VIOLATIONS"),
        "{stdout}"
    );
    // Worst first: the three stripped cookies, then the fixed one, then the allowed ones.
    let verdicts: Vec<&str> = lines[1..]
        .iter()
        .filter(|l| !l.starts_with(' ') && !l.is_empty())
        .map(|l| l.split_whitespace().next().unwrap())
        .take(5)
        .collect();
    assert_eq!(verdicts, ["strip", "strip", "strip", "fix", "allow"], "{stdout}");
    let tracker = lines.iter().position(|l| l.contains("tracker")).unwrap();
    assert!(lines[tracker].contains("unlisted×1"), "{stdout}");
    assert_eq!(lines[tracker + 1].trim(), "e.g. https://www.example.se/");
    assert!(
        stdout.contains("11 Set-Cookie headers: 7 allow, 1 fix, 3 strip, 0 block."),
        "{stdout}"
    );
}

#[test]
fn response_cookies_are_a_fallback_with_a_warning() {
    let dir = scratch("response_cookies_are_a_fallback_with_a_warning");
    let mut sanitized = Exchange::get("https://www.example.se/", &[]).without_response_header("set-cookie");
    sanitized.response_cookies = vec![json!({
        "name": "fallback_rogue", "value": format!("{SECRET}11"), "path": "/", "domain": "www.example.se",
        "expires": "2026-12-01T10:00:00.000Z", "httpOnly": true, "secure": true, "sameSite": "Lax"
    })];
    // With Set-Cookie headers present, response.cookies is not read.
    let mut both = Exchange::get(
        "https://www.example.se/",
        &[&format!("lang={SECRET}12; Secure; HttpOnly; SameSite=Lax")],
    );
    both.response_cookies = vec![json!({ "name": "ignored_duplicate", "value": SECRET })];
    let (code, report, stderr) = audit_json(&dir, &[sanitized, both]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("1 response(s) had no Set-Cookie header but listed response.cookies"),
        "{stderr}"
    );
    assert!(stderr.contains("traffic.har"), "{stderr}");
    let names: Vec<&str> = report["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["fallback_rogue", "lang"]);
    assert_eq!(report["warnings"].as_array().unwrap().len(), 1);
}

#[test]
fn consent_is_read_from_the_request_cookie_header() {
    let dir = scratch("consent_is_read_from_the_request_cookie_header");
    let policy = write(
        &dir,
        "policy.toml",
        &format!("{POLICY}\n[consent]\ncookie = \"consent\"\n"),
    );
    let set = format!("ai_user={SECRET}; Max-Age=600; Secure; HttpOnly; SameSite=Lax");
    let granted = Exchange::get("https://www.example.se/", &[&set])
        .with_request_header("cookie", "a=1; consent=necessary%2Cstatistics");
    let declined =
        Exchange::get("https://www.example.se/x", &[&set]).with_request_header("cookie", "consent=necessary");
    let file = write(&dir, "traffic.har", &har(&[granted, declined]).to_string());
    let output = run([
        "audit".as_ref(),
        "--config".as_ref(),
        policy.as_os_str(),
        file.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let ai_user = &report["cookies"][0];
    assert_eq!(
        ai_user["verdicts"],
        json!({ "allow": 1, "fix": 0, "strip": 1, "block": 0 }),
        "{report:#}"
    );
    assert_eq!(ai_user["violations"][0]["kind"], "consent_missing");
    assert_eq!(
        ai_user["examples"],
        json!(["https://www.example.se/x", "https://www.example.se/"])
    );
}

#[test]
fn a_har_without_any_cookie_is_suspicious() {
    let dir = scratch("a_har_without_any_cookie_is_suspicious");
    let (code, report, stderr) = audit_json(&dir, &[Exchange::get("https://www.example.se/", &[])]);
    assert_eq!(code, 0);
    assert!(
        stderr.contains("no response in 1 entries sets a cookie"),
        "{stderr}"
    );
    assert_eq!(report["warnings"].as_array().unwrap().len(), 1);
}

#[test]
fn several_files_add_up() {
    let dir = scratch("several_files_add_up");
    let policy = write(&dir, "policy.toml", POLICY);
    let one = write(&dir, "one.har", &har(&traffic()[..1]).to_string());
    let two = write(&dir, "two.har", &har(&traffic()[2..3]).to_string());
    let output = run([
        "audit".as_ref(),
        "--config".as_ref(),
        policy.as_os_str(),
        one.as_os_str(),
        two.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["files"].as_array().unwrap().len(), 2);
    assert_eq!(report["summary"]["set_cookie_headers"], 7);
}

#[test]
fn loopback_http_counts_as_secure_as_browsers_do() {
    let dir = scratch("loopback_http_counts_as_secure_as_browsers_do");
    let policy = write(
        &dir,
        "policy.toml",
        "version = 1\n[[cookie]]\nname = \"sid\"\nlifetime = \"session\"\n",
    );
    let set = format!("sid={SECRET}; Path=/; Secure; HttpOnly; SameSite=Lax");
    let verdict = |url: &str| {
        let file = write(
            &dir,
            "traffic.har",
            &har(&[Exchange::get(url, &[&set])]).to_string(),
        );
        let output = run([
            "audit".as_ref(),
            "--config".as_ref(),
            policy.as_os_str(),
            file.as_os_str(),
            "--format".as_ref(),
            "json".as_ref(),
        ]);
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        (
            output.status.code().unwrap(),
            report["cookies"][0]["worst"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(verdict("http://localhost:8080/"), (0, "allow".to_owned()));
    assert_eq!(verdict("http://127.0.0.1:8080/app"), (0, "allow".to_owned()));
    // A browser drops a Secure cookie from a plain-http origin.
    assert_eq!(verdict("http://www.example.se/"), (1, "strip".to_owned()));
}

//! `cookie-warden discover`: a draft policy from HAR files, which `check` accepts and against
//! which `audit` of the same traffic finds nothing.

mod har_fixture;

use har_fixture::{Exchange, har, run, scratch, texts, write};
use serde_json::Value;

const SECRET: &str = "VALUE-SECRET";

fn traffic() -> Vec<Exchange> {
    let strict = "Secure; HttpOnly; SameSite=Strict";
    vec![
        Exchange::get(
            "https://www.example.se/?q=1",
            &[
                &format!("__RequestVerificationToken={SECRET}; Path=/; {strict}"),
                &format!("accepted_cookies={SECRET}; Max-Age=31536000; Path=/; Secure; SameSite=Lax"),
                &format!("_pk_testcookie={SECRET}; Max-Age=60; Path=/; SameSite=Lax"),
            ],
        ),
        Exchange::get(
            "https://www.example.se/om-oss",
            &[&format!("__RequestVerificationToken={SECRET}; Path=/; {strict}")],
        ),
        // The sign-in pages: a family of load-balancer cookies, and one set without SameSite.
        Exchange::get(
            "https://minasidor.example.se/irj/portal",
            &[
                &format!("saplb_PD={SECRET}; Path=/; Secure; HttpOnly"),
                &format!("saplb_*={SECRET}; Path=/; Secure; HttpOnly"),
                &format!("PortalAlias={SECRET}; Path=/irj; Secure; HttpOnly; SameSite=Lax"),
            ],
        ),
        Exchange::get(
            "https://minasidor.example.se/irj/logon",
            &[
                &format!("saplb_AB={SECRET}; Path=/; Secure; HttpOnly; SameSite=None"),
                &format!("saplb_XY={SECRET}; Path=/; Secure; HttpOnly; SameSite=Lax"),
                // A browser drops this one: a __Host- cookie must be Secure.
                &format!("__Host-bad={SECRET}; Path=/"),
                // Only ever deleted.
                &format!("legacy={SECRET}; Max-Age=0; Path=/"),
            ],
        ),
        // The e-services under another first path segment set other cookies.
        Exchange::get(
            "https://minasidor.example.se/manadsrapportering/start",
            &[
                &format!("refreshToken_ORG_SAPEP={SECRET}; Max-Age=3600; Path=/; Secure; SameSite=Lax"),
                &format!(
                    "ai_session={SECRET}; Expires=Sun, 29 Nov 2026 10:25:00 GMT; Path=/; Secure; SameSite=Lax"
                ),
                &format!(
                    "ai_user={SECRET}; Max-Age=31536000; Domain=example.se; Path=/; Secure; SameSite=None"
                ),
                &format!("lang={SECRET}; Path=/; Secure; HttpOnly; SameSite=Lax"),
            ],
        ),
        Exchange::get(
            "https://minasidor.example.se/manadsrapportering/rapport",
            &[&format!(
                "lang={SECRET}; Max-Age=600; Path=/; Secure; HttpOnly; SameSite=Lax"
            )],
        ),
        Exchange::get(
            "https://etjanster.example.se/",
            &[&format!(
                "ai_user={SECRET}; Max-Age=3600; Domain=example.se; Path=/; Secure; SameSite=None"
            )],
        ),
    ]
}

#[test]
fn discover_then_check_then_audit_finds_nothing() {
    let dir = scratch("discover_then_check_then_audit_finds_nothing");
    let file = write(&dir, "session.har", &har(&traffic()).to_string());
    let output = run(["discover".as_ref(), file.as_os_str()]);
    let (draft, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        !draft.contains(SECRET) && !stderr.contains(SECRET),
        "a cookie value leaked:\n{draft}"
    );

    let has = |line: &str| draft.lines().any(|l| l == line);
    // A family of names becomes one glob; its members are not listed again.
    assert!(has("name = \"saplb_*\""), "{draft}");
    assert!(!has("name = \"saplb_PD\""), "{draft}");
    assert!(
        draft.contains("as 3 names (saplb_AB, saplb_PD, saplb_XY)"),
        "{draft}"
    );
    // A name holding a pattern character cannot be a rule of its own (the glob allows it here).
    assert!(
        draft.contains("cannot spell exactly (empty, `*`, `{`, `}`, controls): \"saplb_*\"."),
        "{draft}"
    );
    // Lifetimes rounded up to clean durations, or session / persistent.
    let rule = |name: &str| -> String {
        let start = draft
            .find(&format!("name = \"{name}\"\n"))
            .unwrap_or_else(|| panic!("a rule for {name}:\n{draft}"));
        draft[start..].split("\n\n").next().unwrap().to_owned()
    };
    assert!(rule("refreshToken_ORG_SAPEP").contains("lifetime = \"1h\""));
    assert!(rule("ai_session").contains("lifetime = \"30m\""));
    assert!(rule("ai_user").contains("lifetime = \"365d\""));
    assert!(rule("_pk_testcookie").contains("lifetime = \"1m\""));
    assert!(rule("__RequestVerificationToken").contains("lifetime = \"session\""));
    assert!(
        rule("lang").contains("lifetime = \"persistent\""),
        "seen with and without an expiry"
    );
    // Attributes as seen: the weakest SameSite, HttpOnly only when always set, the Domain seen.
    assert!(rule("__RequestVerificationToken").contains("same_site = \"strict\"\n"));
    assert!(rule("saplb_*").contains("same_site = \"none\"\n"));
    assert!(rule("accepted_cookies").contains("http_only = false\n"));
    assert!(rule("ai_user").contains("domains = [\"example.se\"]\n"));
    assert!(rule("PortalAlias").contains("path = \"/irj\"\n"));
    // Scopes: minasidor's first segments set different cookies, so they are split.
    assert!(
        has("paths = [\"/irj\"]") && has("paths = [\"/manadsrapportering\"]"),
        "{draft}"
    );
    assert!(
        rule("saplb_*").contains("scopes = [\"minasidor-example-se-irj\"]"),
        "{draft}"
    );
    assert!(
        rule("ai_user")
            .contains("scopes = [\"minasidor-example-se-manadsrapportering\", \"etjanster-example-se\"]"),
        "{draft}"
    );
    // Comments say how often and where.
    assert!(
        draft.contains(
            "# Seen 2 time(s) in 1 file(s), at https://www.example.se/, https://www.example.se/om-oss;"
        ),
        "{draft}"
    );
    assert!(draft.contains("# Left out: 1 header(s) that a browser drops."));
    assert!(
        draft.contains("# Only ever deleted (deletions pass by default, so no rule is needed): \"legacy\".")
    );

    let policy = write(&dir, "draft.toml", &draft);
    let output = run(["check".as_ref(), "--config".as_ref(), policy.as_os_str()]);
    let (check_out, check_err) = texts(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "check accepts the draft:\n{check_out}\n{check_err}\n{draft}"
    );

    let output = run([
        "audit".as_ref(),
        "--config".as_ref(),
        policy.as_os_str(),
        file.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    let (audit_out, audit_err) = texts(&output);
    let report: Value =
        serde_json::from_str(&audit_out).unwrap_or_else(|e| panic!("{e}: {audit_out}{audit_err}"));
    let flagged: Vec<&Value> = report["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["worst"] != "allow")
        .collect();
    // The header a browser drops is the only one the draft cannot allow.
    assert_eq!(flagged.len(), 1, "{report:#}\n{draft}");
    assert_eq!(flagged[0]["name"], "__Host-bad");
    assert_eq!(flagged[0]["violations"][0]["kind"], "prefix_violation");
}

#[test]
fn discover_on_clean_traffic_audits_clean() {
    let dir = scratch("discover_on_clean_traffic_audits_clean");
    let mut exchanges = traffic();
    exchanges[2] = Exchange::get(
        "https://minasidor.example.se/irj/portal",
        &[&format!("saplb_PD={SECRET}; Path=/; Secure; HttpOnly")],
    );
    exchanges[3] = Exchange::get(
        "https://minasidor.example.se/irj/logon",
        &[&format!(
            "saplb_AB={SECRET}; Path=/; Secure; HttpOnly; SameSite=None"
        )],
    );
    let file = write(&dir, "session.har", &har(&exchanges).to_string());
    let output = run(["discover".as_ref(), file.as_os_str()]);
    let policy = write(&dir, "draft.toml", &texts(&output).0);
    let output = run([
        "audit".as_ref(),
        "--config".as_ref(),
        policy.as_os_str(),
        file.as_os_str(),
    ]);
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("0 fix, 0 strip, 0 block."), "{stdout}");
}

#[test]
fn discover_needs_a_readable_har() {
    let dir = scratch("discover_needs_a_readable_har");
    let file = write(
        &dir,
        "broken.har",
        "{\"log\": {\"entries\": [ {\"request\": 5 } ] } }",
    );
    let output = run(["discover".as_ref(), file.as_os_str()]);
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("broken.har") && stderr.contains("log.entries[0]"),
        "{stderr}"
    );
}

//! `cookie-warden render`: the public declaration from a policy file.

mod har_fixture;

use cookie_warden_core::policy::{CompiledPolicy, NameMatch, from_toml_str};
use har_fixture::{run, scratch, texts, write};
use serde_json::Value;

const FORA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/fora.toml");
const SEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/seeds/fora-cookie-declaration.txt"
);

/// Every cookie of the seed page as the page names it, and its type as the page says it, in
/// cookie-warden's words.
const SEED_COOKIES: [(&str, &str); 15] = [
    ("_pk_testcookie", "Permanent cookie"),
    ("__RequestVerificationToken", "Sessionscookie"),
    ("accepted_cookies", "Permanent cookie"),
    ("Portal Alias", "Sessionscookie"),
    (
        "som.sap.engine.Security.authentication.original_application_url",
        "Sessionscookie",
    ),
    ("saplb_*", "Sessionscookie"),
    ("react-router-scroll-positions", "Sessionscookie"),
    ("msal.token.keys", "Temporär cookie (försvinner efter 1 timme)"),
    ("partnerNumberOrganization", "Sessionscookie"),
    (
        "refreshToken_ORGANIZATION_SAPEP",
        "Temporär cookie (försvinner efter 1 timme)",
    ),
    ("ai_session", "Temporär cookie (försvinner efter 30 minuter)"),
    ("ai_user", "Temporär cookie (försvinner efter 12 månader)"),
    ("i18next", "Sessionscookie"),
    (
        "refreshToken_VERIFIED_USER",
        "Temporär cookie (försvinner efter 1 timme)",
    ),
    ("TS01e88579", "Sessionscookie"),
];

/// Names the page spells in a way no server sets; `config/fora.toml` says why each was chosen.
fn policy_spelling(seed_name: &str) -> &str {
    match seed_name {
        "Portal Alias" => "PortalAlias",
        "som.sap.engine.Security.authentication.original_application_url" => {
            "com.sap.engine.security.authentication.original_application_url"
        }
        other => other,
    }
}

/// The rule that allows `name` in some scope of the policy (the rule's name as written).
fn rule_for(policy: &CompiledPolicy, name: &str) -> String {
    let name = policy_spelling(name);
    if policy.rules().iter().any(|r| r.name() == name) {
        return name.to_owned();
    }
    policy
        .scope_ids()
        .find_map(|scope| match policy.match_name(name.as_bytes(), Some(scope)) {
            NameMatch::InScope(rule) => Some(rule.name().to_owned()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("config/fora.toml has no rule for the seed's {name}"))
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn render(args: &[&str]) -> String {
    let output = run(args);
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    stdout
}

#[test]
fn fora_in_swedish_lists_every_seed_cookie_with_its_description_and_type() {
    let policy = from_toml_str("fora.toml", &std::fs::read_to_string(FORA).unwrap())
        .unwrap()
        .policy;
    let seed = squash(&std::fs::read_to_string(SEED).unwrap());
    let json: Value = serde_json::from_str(&render(&[
        "render", "--config", FORA, "--lang", "sv", "--format", "json",
    ]))
    .unwrap();
    let html = render(&["render", "--config", FORA, "--lang", "sv"]);
    assert!(html.contains(r#"<html xmlns="http://www.w3.org/1999/xhtml" lang="sv" xml:lang="sv">"#));
    // Names carry line-break opportunities after their separators.
    let html_without_wbr = html.replace("<wbr />", "");
    let rows: Vec<&str> = html_without_wbr.split("<tr>").skip(1).collect();

    for (seed_name, seed_type) in SEED_COOKIES {
        let rule = rule_for(&policy, seed_name);
        let cookie = json["sections"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["cookies"].as_array().unwrap())
            .find(|c| c["name"] == rule.as_str())
            .unwrap_or_else(|| panic!("{rule} is on the page"));
        let kind = cookie["lifetime_text"].as_str().unwrap();
        assert!(
            kind.starts_with(seed_type),
            "{seed_name}: {kind:?} should say {seed_type:?}"
        );
        let purpose = cookie["purpose"]
            .as_str()
            .unwrap_or_else(|| panic!("{seed_name} has a description"));
        // The seed describes all but the three sign-in cookies; there the description must be its own.
        if !["Portal Alias", "saplb_*"].contains(&seed_name) && !seed_name.starts_with("som.") {
            assert!(
                seed.contains(&squash(purpose)),
                "{seed_name}: {purpose:?} is the seed's description"
            );
        }
        let row = rows
            .iter()
            .find(|row| row.contains(&format!("<code>{}</code>", escape(&rule))))
            .unwrap_or_else(|| panic!("{rule} has a row in the HTML"));
        assert!(
            row.contains(&escape(purpose)) && row.contains(&escape(kind)),
            "{seed_name}'s row: {row}"
        );
    }
    for title in [
        "Cookies på fora.se (ej inloggat kundmöte)",
        "Cookies vid inloggning till Mina sidor",
        "E-tjänster utanför Mina sidor",
    ] {
        assert!(
            html.contains(&format!(">{}</h2>", escape(title))),
            "section {title}"
        );
    }
}

#[test]
fn formats_and_languages() {
    let md = render(&["render", "--config", FORA, "--format", "md", "--lang", "en"]);
    assert!(md.starts_with("# About cookies\n"), "{md}");
    assert!(md.contains("| Name | Purpose | Type | Category | Provider |"));
    assert!(
        md.contains("| `saplb_*` (name pattern: \\* stands for any text) |"),
        "{md}"
    );
    let markdown = render(&["render", "--config", FORA, "--format", "markdown"]);
    assert_eq!(
        markdown, md,
        "`markdown` is an alias of `md`; English is the default"
    );

    let json: Value =
        serde_json::from_str(&render(&["render", "--config", FORA, "--format", "json"])).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["lang"], "en");

    let html = render(&["render", "--config", FORA]);
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains(r#"lang="en""#),
        "HTML is the default"
    );
}

#[test]
fn bad_arguments_and_policies_exit_2() {
    let output = run(["render", "--config", FORA, "--lang", "fi"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(texts(&output).1.contains("fi"));

    let dir = scratch("render_bad_policy");
    let bad = write(
        &dir,
        "bad.toml",
        "version = 1\n[[cookie]]\nname = \"a\"\nlifetime = \"forever\"\n",
    );
    let output = run(["render".as_ref(), "--config".as_ref(), bad.as_os_str()]);
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("forever"), "{stderr}");
}

//! Loading policies through figment: a TOML file, then `COOKIE_WARDEN_` environment overrides
//! split on `__`, with every problem attributed to the file or the variable.

#![expect(
    clippy::result_large_err,
    reason = "figment::Jail's closures must return figment::Error, which is large"
)]

use std::path::Path;

use cookie_warden_core::policy::load::with_env_overrides;
use cookie_warden_core::policy::model::{Mode, StripOrBlock};
use cookie_warden_core::policy::{Lifetime, Source, from_figment};
use figment::Figment;
use figment::providers::{Format, Toml};

fn standard(path: &str) -> Figment {
    with_env_overrides(Figment::new().merge(Toml::file_exact(path)))
}

/// What the kubelet injects into every pod of a namespace that has a Service named
/// `cookie-warden` (cluster IP 10.0.0.1) with a port `http` 8080 and a port `metrics` 9090
/// (pkg/kubelet/envvars: `{SVC}_SERVICE_HOST`, `{SVC}_SERVICE_PORT`, one
/// `{SVC}_SERVICE_PORT_{NAME}` per named port, and the Docker-links variables).
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
fn the_variables_kubernetes_injects_for_a_service_named_cookie_warden_are_not_overrides() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("policy.toml", POLICY)?;
        for (name, value) in KUBELET_SERVICE_VARIABLES {
            jail.set_env(name, value);
        }
        // The tools' own variables neither.
        jail.set_env("COOKIE_WARDEN_LOG", "debug");
        jail.set_env("COOKIE_WARDEN_BIN", "/usr/local/bin/cookie-warden");
        let loaded = from_figment(&standard("policy.toml")).map_err(|e| e.to_string())?;
        assert_eq!(loaded.policy.mode(), Mode::Enforce);
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);

        // Next to them, an override still applies, and a misspelt one is still an error.
        jail.set_env("COOKIE_WARDEN_ENFORCEMENT__MODE", "report-only");
        let loaded = from_figment(&standard("policy.toml")).map_err(|e| e.to_string())?;
        assert_eq!(loaded.policy.mode(), Mode::ReportOnly);
        jail.set_env("COOKIE_WARDEN_ENFORCMENT__MODE", "report-only");
        let errors = from_figment(&standard("policy.toml")).unwrap_err();
        let text = errors.to_string();
        assert!(
            text.contains(
                "environment variable COOKIE_WARDEN_ENFORCMENT__*: enforcment: unknown key `enforcment`"
            ),
            "{text}"
        );
        assert_eq!(errors.len(), 1, "{text}");
        Ok(())
    });
}

#[test]
fn the_rooted_form_reaches_top_level_keys_and_wins() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("policy.toml", POLICY)?;
        // A whole table as one value, and a nested key, both under COOKIE_WARDEN_POLICY__.
        jail.set_env("COOKIE_WARDEN_POLICY__ENFORCEMENT", "{ mode = \"report-only\" }");
        let loaded = from_figment(&standard("policy.toml")).map_err(|e| e.to_string())?;
        assert_eq!(loaded.policy.mode(), Mode::ReportOnly);
        // Where both forms set a key, the rooted one wins.
        jail.set_env("COOKIE_WARDEN_POLICY__ENFORCEMENT", "{}");
        jail.set_env("COOKIE_WARDEN_ENFORCEMENT__UNLISTED", "strip");
        jail.set_env("COOKIE_WARDEN_POLICY__ENFORCEMENT__UNLISTED", "block");
        let loaded = from_figment(&standard("policy.toml")).map_err(|e| e.to_string())?;
        assert_eq!(loaded.policy.enforcement().unlisted, StripOrBlock::Block);

        jail.set_env("COOKIE_WARDEN_POLICY__VERSION", "2");
        let errors = from_figment(&standard("policy.toml")).unwrap_err();
        let text = errors.to_string();
        let version = errors
            .errors()
            .iter()
            .find(|e| e.key.to_string() == "version")
            .expect(&text);
        assert_eq!(
            version.source,
            Source::Env("COOKIE_WARDEN_POLICY__VERSION".into()),
            "{text}"
        );
        jail.set_env("COOKIE_WARDEN_POLICY__VERSION", "1");
        jail.set_env("COOKIE_WARDEN_POLICY__COLOUR", "blue");
        let text = from_figment(&standard("policy.toml")).unwrap_err().to_string();
        assert!(
            text.contains("environment variable COOKIE_WARDEN_POLICY__COLOUR: colour: unknown key `colour`"),
            "{text}"
        );
        Ok(())
    });
}

const POLICY: &str = r#"
version = 1

[enforcement]
mode = "enforce"
unlisted = "strip"
max_lifetime = "400d"

[[scope]]
id = "public"
hosts = ["example.com"]

[[cookie]]
name = "sid"
lifetime = "1h"
"#;

#[test]
fn file_values_load_and_env_overrides_win() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("policy.toml", POLICY)?;
        let loaded = from_figment(&standard("policy.toml")).map_err(|e| e.to_string())?;
        assert_eq!(loaded.policy.mode(), Mode::Enforce);

        jail.set_env("COOKIE_WARDEN_ENFORCEMENT__MODE", "report-only");
        jail.set_env("COOKIE_WARDEN_ENFORCEMENT__UNLISTED", "block");
        jail.set_env("COOKIE_WARDEN_ENFORCEMENT__BLOCK_STATUS", "503");
        jail.set_env("COOKIE_WARDEN_ENFORCEMENT__MAX_LIFETIME", "30d");
        let loaded = from_figment(&standard("policy.toml")).map_err(|e| e.to_string())?;
        let e = loaded.policy.enforcement();
        assert_eq!(e.mode, Mode::ReportOnly);
        assert_eq!(e.unlisted, StripOrBlock::Block);
        assert_eq!(e.block_status, 503);
        assert_eq!(e.max_lifetime, 30 * 86_400);
        assert_eq!(loaded.policy.rules()[0].lifetime(), Lifetime::AtMost(3_600));
        Ok(())
    });
}

#[test]
fn a_bad_env_override_names_the_variable() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("policy.toml", POLICY)?;
        jail.set_env("COOKIE_WARDEN_ENFORCEMENT__MODE", "relaxed");
        jail.set_env("COOKIE_WARDEN_ENFORCEMENT__BLOCK_STATUS", "302");
        let errors = from_figment(&standard("policy.toml")).unwrap_err();
        let text = errors.to_string();
        let mode = errors
            .errors()
            .iter()
            .find(|e| e.key.to_string() == "enforcement.mode")
            .expect(&text);
        assert_eq!(
            mode.source,
            Source::Env("COOKIE_WARDEN_ENFORCEMENT__MODE".into()),
            "{text}"
        );
        assert!(
            mode.message.contains("`relaxed`") && mode.message.contains("report-only"),
            "{text}"
        );
        let status = errors
            .errors()
            .iter()
            .find(|e| e.key.to_string() == "enforcement.block_status")
            .expect(&text);
        assert_eq!(
            status.source,
            Source::Env("COOKIE_WARDEN_ENFORCEMENT__BLOCK_STATUS".into()),
            "{text}"
        );
        assert!(status.message.contains("302"), "{text}");
        Ok(())
    });
}

#[test]
fn checks_caused_by_env_overrides_name_the_variable() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "policy.toml",
            "version = 1\n[[cookie]]\nname = \"__Host-sid\"\nlifetime = \"session\"\n",
        )?;
        jail.set_env("COOKIE_WARDEN_ENFORCEMENT__MAX_LIFETIME", "2y");
        jail.set_env("COOKIE_WARDEN_DEFAULTS__SECURE", "false");
        let errors = from_figment(&standard("policy.toml")).unwrap_err();
        let text = errors.to_string();
        assert!(
            text.contains("environment variable COOKIE_WARDEN_ENFORCEMENT__MAX_LIFETIME: enforcement.max_lifetime: max_lifetime `2y` is over 400 days"),
            "{text}"
        );
        assert!(
            text.contains("environment variable COOKIE_WARDEN_DEFAULTS__SECURE: cookie[0].secure: `__Host-sid` is a __Host- cookie"),
            "{text}"
        );
        Ok(())
    });
}

#[test]
fn an_unknown_env_key_is_an_error() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("policy.toml", POLICY)?;
        jail.set_env("COOKIE_WARDEN_ENFORCEMENT__MOOD", "enforce");
        let errors = from_figment(&standard("policy.toml")).unwrap_err();
        let text = errors.to_string();
        assert!(
            text.contains(
                "environment variable COOKIE_WARDEN_ENFORCEMENT__MOOD: enforcement.mood: unknown key `mood`"
            ),
            "{text}"
        );
        Ok(())
    });
}

#[test]
fn file_errors_name_the_file() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "broken.toml",
            "version = 1\n[[cookie]]\nname = \"a\"\nlifetime = \"forever\"\n",
        )?;
        let errors = from_figment(&standard("broken.toml")).unwrap_err();
        let error = &errors.errors()[0];
        match &error.source {
            Source::File(path) => assert!(path.ends_with("broken.toml"), "{path:?}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(error.key.to_string(), "cookie[0].lifetime");
        Ok(())
    });
}

#[test]
fn toml_syntax_errors_and_missing_files_are_errors() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("syntax.toml", "version = 1\n[[cookie]\n")?;
        let errors = from_figment(&standard("syntax.toml")).unwrap_err();
        assert!(
            matches!(&errors.errors()[0].source, Source::File(p) if p.ends_with("syntax.toml")),
            "{errors}"
        );
        let line = errors.errors()[0].to_string();
        assert!(line.contains("syntax.toml: TOML parse error at line 2"), "{line}");

        let errors = from_figment(&standard("absent.toml")).unwrap_err();
        assert!(errors.to_string().contains("absent.toml"), "{errors}");
        assert!(!Path::new("absent.toml").exists());
        Ok(())
    });
}

#[test]
fn env_overrides_reach_defaults_and_apply_to_rules() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("policy.toml", POLICY)?;
        jail.set_env("COOKIE_WARDEN_DEFAULTS__HTTP_ONLY", "false");
        jail.set_env("COOKIE_WARDEN_DEFAULTS__SAME_SITE", "strict");
        let loaded = from_figment(&standard("policy.toml")).map_err(|e| e.to_string())?;
        let rule = &loaded.policy.rules()[0];
        assert!(!rule.http_only());
        assert!(rule.secure());
        assert_eq!(
            rule.same_site(),
            cookie_warden_core::policy::model::SameSiteMin::Strict
        );
        Ok(())
    });
}

/// `from_toml_str` (which needs no figment) and a figment holding the same text give the same
/// errors, key for key and word for word: one set of checks, whichever way the text comes in.
#[test]
fn toml_text_and_a_figment_of_it_give_the_same_errors() {
    let cases = [
        "version = 1\ncolour = \"blue\"\n",
        "version = \"one\"\n[enforcement]\nmode = \"loud\"\nblock_status = 70000\n",
        "version = 1\n[[cookie]]\nname = \"sid\"\nlifetime = \"forever\"\nsecure = \"yes\"\n[[cookie]]\nscopes = [1, \"x\"]\n",
        "version = 1\n[[scope]]\nid = \"a\"\nhosts = [\"a.example\", 7]\nwhen = 1979-05-27T07:32:00Z\n",
        "version = 1\n[defaults]\nsame_site = 3\n[events]\nfixed = [\"info\"]\n",
        "[[cookie]]\nname = \"sid\"\n",
        "version = 1\n[enforcement\n",
        "",
    ];
    for text in cases {
        let plain = cookie_warden_core::policy::from_toml_str("policy", text)
            .expect_err(text)
            .into_iter()
            .map(|d| (d.key.to_string(), d.message))
            .collect::<Vec<_>>();
        let through_figment = from_figment(&Figment::from(Toml::string(text)))
            .expect_err(text)
            .into_iter()
            .map(|d| (d.key.to_string(), d.message))
            .collect::<Vec<_>>();
        assert!(!plain.is_empty(), "{text}");
        assert_eq!(plain, through_figment, "{text}");
    }
    let fine = "version = 1\n[[cookie]]\nname = \"sid\"\nlifetime = \"1h\"\n";
    let plain = cookie_warden_core::policy::from_toml_str("policy", fine).unwrap();
    let through_figment = from_figment(&Figment::from(Toml::string(fine))).unwrap();
    assert_eq!(plain.policy.source(), through_figment.policy.source());
}

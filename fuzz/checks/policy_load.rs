//! The body of the `policy_load` fuzz target, shared with its replay over the seed corpus as an
//! ordinary test (`tests/tests/fuzz_bodies.rs`): arbitrary bytes as a policy file. Loading never
//! panics; an error names at least one problem, each with a message; a policy that loads compiles,
//! renders its declaration in both languages and formats, and decides a few headers for each of its
//! scopes' hosts, every fix a valid header value.

use cookie_warden_core::decision::Verdict;
use cookie_warden_core::declaration::{self, Lang};
use cookie_warden_core::policy::load::from_toml_str;
use cookie_warden_core::request::{RequestContext, RequestUrl};

/// A few `Set-Cookie` headers every policy that loads must decide.
const HEADERS: [&[u8]; 5] = [
    b"sid=1",
    b"sid=1; Secure; HttpOnly; SameSite=Lax; Path=/",
    b"__Host-x=1; Secure; Path=/",
    b"a=b; Max-Age=0",
    b"=v; Domain=example.com",
];

/// Loads `data` as a policy and asserts the invariants.
pub(crate) fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        // The binary reports invalid UTF-8 itself (figment reads files as text); the core's entry
        // point takes text. Lossy text still must not panic the loader.
        let _ = from_toml_str("fuzz.toml", &String::from_utf8_lossy(data));
        return;
    };
    let loaded = match from_toml_str("fuzz.toml", text) {
        Ok(loaded) => loaded,
        Err(errors) => {
            assert!(!errors.errors().is_empty(), "an error without a diagnostic");
            let shown = errors.to_string();
            assert!(!shown.trim().is_empty(), "an error that says nothing");
            for diagnostic in errors.errors() {
                assert!(!diagnostic.message.is_empty(), "a diagnostic without a message");
            }
            return;
        }
    };
    for lint in &loaded.warnings {
        let _ = lint.to_string();
    }
    let policy = &loaded.policy;
    for lang in [Lang::Sv, Lang::En] {
        let _ = declaration::render_html(policy, lang);
        let _ = declaration::render_markdown(policy, lang);
        let _ = declaration::render_json(policy, lang);
    }
    let mut hosts: Vec<(&str, &str)> = vec![("example.com", "/")];
    for scope in &policy.source().scopes {
        for host in &scope.hosts {
            for path in scope.paths.iter().map(String::as_str).chain(["/"]) {
                hosts.push((host.as_str(), path));
            }
        }
    }
    for rule in policy.rules() {
        let _ = policy.match_name(rule.name().as_bytes(), None);
    }
    for (host, path) in hosts.into_iter().take(32) {
        if !path.starts_with('/') || host.is_empty() {
            continue;
        }
        for secure in [true, false] {
            let request = RequestContext {
                url: RequestUrl { secure, host, path },
                method: "GET",
                gpc: secure,
                consent_cookie: None,
            };
            let judge = policy.judge(&request);
            for header in HEADERS {
                let decision = judge.decide(header, 1_700_000_000);
                if decision.verdict == Verdict::Fix {
                    let fixed = decision
                        .rewritten
                        .as_deref()
                        .expect("a fix carries the fixed header");
                    assert!(
                        http::HeaderValue::from_bytes(fixed).is_ok(),
                        "a fix is not a valid header value"
                    );
                }
            }
            for rule in policy.rules() {
                let _ = judge.request_cookie(rule.name().as_bytes());
            }
        }
    }
}

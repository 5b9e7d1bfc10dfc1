//! Table-driven decision tests: every violation kind from at least two inputs, every verdict under
//! every `[enforcement]` setting, deletions, report-only, scopes, templates and globs, consent.
//!
//! The policy is `decide_policy.toml` next to this file; each table row names the request URL, the
//! consent it carries, the `Set-Cookie` value, and the expected verdict, violation kinds and output.

use cookie_warden_core::decision::{Decision, Verdict, ViolationKind};
use cookie_warden_core::policy::CompiledPolicy;
use cookie_warden_core::policy::load::from_toml_str;
use cookie_warden_core::request::{ConsentCookie, RequestContext, RequestUrlBuf};
use cookie_warden_core::set_cookie::parse;

use ViolationKind::*;

const POLICY: &str = include_str!("decide_policy.toml");

/// Tue, 14 Nov 2023 22:13:20 GMT
const NOW: i64 = 1_700_000_000;

const PUBLIC: &str = "https://www.example.com/";
const ESERVICES: &str = "https://www.example.com/e-tjanster/rapport";
const LOGIN: &str = "https://login.example.com/login";
const NO_SCOPE: &str = "https://other.example.net/";
const HTTP_PUBLIC: &str = "http://www.example.com/";

const ALL_CONSENT: Option<&str> = Some("necessary,functional,statistics,marketing");

/// The test policy with extra `[enforcement]` lines.
fn policy(enforcement: &str) -> CompiledPolicy {
    let text = POLICY.replacen("[enforcement]\n", &format!("[enforcement]\n{enforcement}\n"), 1);
    from_toml_str("decide_policy.toml", &text)
        .expect("the test policy loads")
        .policy
}

/// One row: a header in a request context and what must come of it.
#[derive(Debug, Clone, Copy)]
struct Case {
    id: &'static str,
    url: &'static str,
    consent: Option<&'static str>,
    gpc: bool,
    header: &'static str,
    verdict: Verdict,
    kinds: &'static [ViolationKind],
    /// For `fix`, and for `allow` outside the proven subset, the canonical header that must leave.
    output: Option<&'static str>,
}

const fn case(
    id: &'static str,
    url: &'static str,
    header: &'static str,
    verdict: Verdict,
    kinds: &'static [ViolationKind],
    output: Option<&'static str>,
) -> Case {
    Case {
        id,
        url,
        consent: ALL_CONSENT,
        gpc: false,
        header,
        verdict,
        kinds,
        output,
    }
}

fn decide<'p, 'h>(policy: &'p CompiledPolicy, c: &Case, header: &'h [u8], now: i64) -> Decision<'p, 'h> {
    let url = RequestUrlBuf::parse(c.url).expect("test url parses");
    let context = RequestContext {
        url: url.as_url(),
        method: "GET",
        gpc: c.gpc,
        consent_cookie: c.consent.map(|v| ConsentCookie(v.as_bytes())),
    };
    policy.judge(&context).decide(header, now)
}

fn check(policy: &CompiledPolicy, c: &Case) {
    let d = decide(policy, c, c.header.as_bytes(), NOW);
    let mut kinds: Vec<ViolationKind> = d.violations.iter().map(|v| v.kind).collect();
    kinds.sort();
    let mut expected = c.kinds.to_vec();
    expected.sort();
    assert_eq!((d.verdict, &kinds), (c.verdict, &expected), "{}: {d:?}", c.id);
    let output = d
        .rewritten
        .as_deref()
        .map(|b| String::from_utf8_lossy(b).into_owned());
    assert_eq!(output.as_deref(), c.output, "{}: rewritten", c.id);
    // Canonical or proven: a fix is rewritten, an allow only when it is outside the proven subset.
    let url = RequestUrlBuf::parse(c.url).expect("test url parses");
    let proven = parse(c.header.as_bytes(), &url.as_url()).proven(NOW);
    let rewritten = match d.verdict {
        Verdict::Fix => true,
        Verdict::Allow => !proven,
        Verdict::Strip | Verdict::Block => false,
    };
    assert_eq!(
        d.rewritten.is_some(),
        rewritten,
        "{}: rewritten for fix and for allow outside the subset",
        c.id
    );
    for v in &d.violations {
        assert!(
            !v.detail.to_string().is_empty(),
            "{}: {:?} has no detail",
            c.id,
            v.kind
        );
    }
}

#[rustfmt::skip]
const ALLOW: &[Case] = &[
    case("allow-exact", PUBLIC, "sid=abc; Secure; HttpOnly; SameSite=Lax", Verdict::Allow, &[], None),
    case("allow-strict", ESERVICES, "sid=abc; Path=/; Secure; HttpOnly; SameSite=Strict", Verdict::Allow, &[], None),
    case("allow-glob", LOGIN, "saplb_PORTAL=(J2EE1)1; Secure; HttpOnly; SameSite=Lax", Verdict::Allow, &[], None),
    case("allow-template", LOGIN, "refreshToken_FORA_SAPEP=x; Max-Age=3600; Secure; SameSite=Lax", Verdict::Allow, &[], None),
    case("allow-glob-duration", PUBLIC, "_pk_id.1.ab=x; Max-Age=31536000; Secure; SameSite=Lax", Verdict::Allow, &[], None),
    case("allow-domain", PUBLIC, "lang=sv; Domain=example.com; Max-Age=3600; Secure; SameSite=Lax", Verdict::Allow, &[], None),
    case("allow-domain-dot", PUBLIC, "lang=sv; Domain=.EXAMPLE.com; Secure; SameSite=Lax", Verdict::Allow, &[], Some("lang=sv; Domain=example.com; Secure; SameSite=Lax")),
    case("allow-host-only-where-domains-listed", PUBLIC, "lang=sv; Secure; SameSite=Strict", Verdict::Allow, &[], None),
    case("allow-host-prefix", PUBLIC, "__Host-csrf=t; Path=/; Secure; HttpOnly; SameSite=Lax", Verdict::Allow, &[], None),
    case("allow-unscoped-rule-in-no-scope", NO_SCOPE, "__Host-csrf=t; Path=/; Secure; HttpOnly; SameSite=Strict", Verdict::Allow, &[], None),
    case("allow-expires-within", PUBLIC, "ai_session=x; Expires=Tue, 14 Nov 2023 22:33:20 GMT; Secure; SameSite=Lax", Verdict::Allow, &[], None),
    case("allow-persistent-session", PUBLIC, "__Secure-pref=dark; Secure; SameSite=Strict", Verdict::Allow, &[], None),
    case("allow-insecure-rule", HTTP_PUBLIC, "plain=1; SameSite=Lax", Verdict::Allow, &[], None),
    case("allow-default-path-is-rule-path", "https://www.example.com/app/page", "app_state=1; Secure; HttpOnly; SameSite=Lax", Verdict::Allow, &[], None),
    case("allow-unknown-attributes", PUBLIC, "sid=abc; Priority=High; Secure; HttpOnly; SameSite=Lax; Secure", Verdict::Allow, &[], Some("sid=abc; Secure; HttpOnly; SameSite=Lax")),
    case("allow-scope-first-match", ESERVICES, "MYSAPSSO2=t; Secure; HttpOnly; SameSite=Lax", Verdict::Allow, &[], None),
];

#[rustfmt::skip]
const UNLISTED: &[Case] = &[
    case("unlisted-name", PUBLIC, "tracker=1; Secure; HttpOnly; SameSite=Lax", Verdict::Strip, &[Unlisted], None),
    case("unlisted-case-sensitive", PUBLIC, "SID=abc; Secure; HttpOnly; SameSite=Lax", Verdict::Strip, &[Unlisted], None),
    case("unlisted-template-placeholder", LOGIN, "refreshToken_fora_SAPEP=x; Max-Age=60; Secure; SameSite=Lax", Verdict::Strip, &[Unlisted], None),
    case("unlisted-glob-literal", LOGIN, "saplb-x=1; Secure; HttpOnly; SameSite=Lax", Verdict::Strip, &[Unlisted], None),
    case("unlisted-nameless", PUBLIC, "justavalue; Secure; HttpOnly; SameSite=Lax", Verdict::Strip, &[Unlisted], None),
];

#[rustfmt::skip]
const OUT_OF_SCOPE: &[Case] = &[
    case("scope-glob-on-public", PUBLIC, "saplb_PORTAL=1; Secure; HttpOnly; SameSite=Lax", Verdict::Strip, &[OutOfScope], None),
    case("scope-exact-on-login", LOGIN, "sid=abc; Secure; HttpOnly; SameSite=Lax", Verdict::Strip, &[OutOfScope], None),
    case("scope-no-scope", NO_SCOPE, "sid=abc; Secure; HttpOnly; SameSite=Lax", Verdict::Strip, &[OutOfScope], None),
    case("scope-segment-boundary", "https://www.example.com/e-tjanster-old/x", "MYSAPSSO2=t; Secure; HttpOnly; SameSite=Lax", Verdict::Strip, &[OutOfScope], None),
    case("scope-template-on-public", PUBLIC, "refreshToken_FORA_SAPEP=x; Max-Age=60; Secure; SameSite=Lax", Verdict::Strip, &[OutOfScope], None),
];

#[rustfmt::skip]
const MALFORMED: &[Case] = &[
    case("malformed-control", PUBLIC, "sid=a\u{1}b; Secure; HttpOnly; SameSite=Lax", Verdict::Strip, &[Malformed], None),
    case("malformed-empty", PUBLIC, "=; Secure", Verdict::Strip, &[Malformed], None),
    case("malformed-blank", PUBLIC, "", Verdict::Strip, &[Malformed], None),
    case("malformed-domain-mismatch", PUBLIC, "sid=abc; Domain=evil.com; Secure; HttpOnly; SameSite=Lax", Verdict::Strip, &[Malformed], None),
    case("malformed-secure-from-http", HTTP_PUBLIC, "sid=abc; Secure; HttpOnly; SameSite=Lax", Verdict::Strip, &[Malformed], None),
    case("malformed-partitioned", PUBLIC, "sid=abc; Partitioned; HttpOnly; SameSite=Lax", Verdict::Strip, &[Malformed], None),
    case("malformed-public-suffix", PUBLIC, "lang=sv; Domain=com; Secure; SameSite=Lax", Verdict::Strip, &[Malformed], None),
];

#[rustfmt::skip]
const OVERSIZE_PATH: &str = concat!(
    "sid=abc; Secure; HttpOnly; SameSite=Lax; Path=/",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
);

#[rustfmt::skip]
const NONCOMPLIANT: &[Case] = &[
    // oversize: an attribute value over 1024 bytes is left out (browsers ignore it).
    case("oversize-path", PUBLIC, OVERSIZE_PATH, Verdict::Fix, &[Oversize], Some("sid=abc; Secure; HttpOnly; SameSite=Lax")),
    // not_session
    case("not-session-max-age", PUBLIC, "sid=abc; Max-Age=3600; Secure; HttpOnly; SameSite=Lax", Verdict::Fix, &[NotSession], Some("sid=abc; Secure; HttpOnly; SameSite=Lax")),
    case("not-session-expires", PUBLIC, "sid=abc; Expires=Wed, 15 Nov 2023 22:13:20 GMT; Secure; HttpOnly; SameSite=Lax", Verdict::Fix, &[NotSession], Some("sid=abc; Secure; HttpOnly; SameSite=Lax")),
    case("not-session-glob", LOGIN, "saplb_X=1; Max-Age=60; Secure; HttpOnly; SameSite=Lax", Verdict::Fix, &[NotSession], Some("saplb_X=1; Secure; HttpOnly; SameSite=Lax")),
    // lifetime_exceeded
    case("lifetime-template", LOGIN, "refreshToken_FORA_SAPEP=x; Max-Age=7200; Secure; SameSite=Lax", Verdict::Fix, &[LifetimeExceeded], Some("refreshToken_FORA_SAPEP=x; Max-Age=3600; Secure; SameSite=Lax")),
    case("lifetime-expires", PUBLIC, "ai_session=x; Expires=Tue, 14 Nov 2023 23:13:20 GMT; Secure; SameSite=Lax", Verdict::Fix, &[LifetimeExceeded], Some("ai_session=x; Max-Age=1800; Secure; SameSite=Lax")),
    case("lifetime-months", PUBLIC, "_pk_id.1.ab=x; Max-Age=34560000; Secure; SameSite=Lax", Verdict::Fix, &[LifetimeExceeded], Some("_pk_id.1.ab=x; Max-Age=31557600; Secure; SameSite=Lax")),
    // missing_expiry
    case("missing-expiry", PUBLIC, "ai_session=x; Secure; SameSite=Lax", Verdict::Fix, &[MissingExpiry], Some("ai_session=x; Max-Age=1800; Secure; SameSite=Lax")),
    case("missing-expiry-invalid-max-age", LOGIN, "refreshToken_ABC_SAPEP=x; Max-Age=soon; Secure; SameSite=Lax", Verdict::Fix, &[MissingExpiry], Some("refreshToken_ABC_SAPEP=x; Max-Age=3600; Secure; SameSite=Lax")),
    // missing_secure
    case("missing-secure", PUBLIC, "sid=abc; HttpOnly; SameSite=Lax", Verdict::Fix, &[MissingSecure], Some("sid=abc; Secure; HttpOnly; SameSite=Lax")),
    case("missing-secure-domain", PUBLIC, "lang=sv; Domain=example.com; Max-Age=60; SameSite=Lax", Verdict::Fix, &[MissingSecure], Some("lang=sv; Domain=example.com; Max-Age=60; Secure; SameSite=Lax")),
    // A browser rejects Secure from http: the fix cannot work, so the header is stripped.
    case("missing-secure-on-http", HTTP_PUBLIC, "sid=abc; HttpOnly; SameSite=Lax", Verdict::Strip, &[MissingSecure], None),
    // missing_http_only
    case("missing-http-only", PUBLIC, "sid=abc; Secure; SameSite=Lax", Verdict::Fix, &[MissingHttpOnly], Some("sid=abc; Secure; HttpOnly; SameSite=Lax")),
    case("missing-http-only-host", PUBLIC, "__Host-csrf=t; Path=/; Secure; SameSite=Strict", Verdict::Fix, &[MissingHttpOnly], Some("__Host-csrf=t; Path=/; Secure; HttpOnly; SameSite=Strict")),
    // weak_same_site
    case("weak-same-site-absent", PUBLIC, "sid=abc; Secure; HttpOnly", Verdict::Fix, &[WeakSameSite], Some("sid=abc; Secure; HttpOnly; SameSite=Lax")),
    case("weak-same-site-none", PUBLIC, "sid=abc; Secure; HttpOnly; SameSite=None", Verdict::Fix, &[WeakSameSite], Some("sid=abc; Secure; HttpOnly; SameSite=Lax")),
    case("weak-same-site-strict-rule", PUBLIC, "__Secure-pref=x; Secure; SameSite=Lax", Verdict::Fix, &[WeakSameSite], Some("__Secure-pref=x; Secure; SameSite=Strict")),
    case("weak-same-site-unknown", PUBLIC, "sid=abc; Secure; HttpOnly; SameSite=Lax; SameSite=bogus", Verdict::Fix, &[WeakSameSite], Some("sid=abc; Secure; HttpOnly; SameSite=Lax")),
    // path_mismatch
    case("path-other", PUBLIC, "app_state=1; Path=/other; Secure; HttpOnly; SameSite=Lax", Verdict::Fix, &[PathMismatch], Some("app_state=1; Path=/app; Secure; HttpOnly; SameSite=Lax")),
    case("path-default", "https://www.example.com/index", "app_state=1; Secure; HttpOnly; SameSite=Lax", Verdict::Fix, &[PathMismatch], Some("app_state=1; Path=/app; Secure; HttpOnly; SameSite=Lax")),
    // domain_not_allowed
    case("domain-host-only-rule", PUBLIC, "sid=abc; Domain=example.com; Secure; HttpOnly; SameSite=Lax", Verdict::Fix, &[DomainNotAllowed], Some("sid=abc; Secure; HttpOnly; SameSite=Lax")),
    case("domain-own-host", PUBLIC, "sid=abc; Domain=www.example.com; Secure; HttpOnly; SameSite=Lax", Verdict::Fix, &[DomainNotAllowed], Some("sid=abc; Secure; HttpOnly; SameSite=Lax")),
    case("domain-not-listed", "https://sub.example.com/", "lang=sv; Domain=sub.example.com; Max-Age=60; Secure; SameSite=Lax", Verdict::Fix, &[DomainNotAllowed], Some("lang=sv; Max-Age=60; Secure; SameSite=Lax")),
    // several at once
    case("everything-wrong", PUBLIC, "sid=abc; Max-Age=60; Domain=example.com; SameSite=None; Secure", Verdict::Fix, &[NotSession, MissingHttpOnly, WeakSameSite, DomainNotAllowed], Some("sid=abc; Secure; HttpOnly; SameSite=Lax")),
];

#[rustfmt::skip]
const REJECTED_KINDS: &[Case] = &[
    // oversize: name and value over 4096 bytes, the browser drops the line.
    // (built at run time: see `oversize_name_value_is_dropped`)
    // same_site_none_insecure
    case("none-insecure-listed", PUBLIC, "trk=1; SameSite=None; Max-Age=60; HttpOnly", Verdict::Strip, &[SameSiteNoneInsecure], None),
    case("none-insecure-unlisted", PUBLIC, "tracker=1; SameSite=none", Verdict::Strip, &[SameSiteNoneInsecure], None),
    // prefix_violation
    case("prefix-host-domain", PUBLIC, "__Host-csrf=t; Path=/; Secure; Domain=example.com; HttpOnly; SameSite=Lax", Verdict::Strip, &[PrefixViolation], None),
    case("prefix-secure-missing", PUBLIC, "__Secure-pref=dark; SameSite=Strict", Verdict::Strip, &[PrefixViolation], None),
    case("prefix-host-any-case", PUBLIC, "__HOST-csrf=t; Path=/; HttpOnly; SameSite=Lax", Verdict::Strip, &[PrefixViolation], None),
    case("prefix-nameless", PUBLIC, "__Host-x; Secure; Path=/", Verdict::Strip, &[PrefixViolation], None),
];

#[rustfmt::skip]
const AMBIGUOUS: &[Case] = &[
    case("ambiguous-plus-max-age", PUBLIC, "sid=abc; Max-Age=+60; Secure; HttpOnly; SameSite=Lax", Verdict::Fix, &[Ambiguous], Some("sid=abc; Secure; HttpOnly; SameSite=Lax")),
    case("ambiguous-invalid-after-valid", LOGIN, "refreshToken_AB_SAPEP=x; Max-Age=120; Max-Age=abc; Secure; SameSite=Lax", Verdict::Fix, &[Ambiguous], Some("refreshToken_AB_SAPEP=x; Max-Age=120; Secure; SameSite=Lax")),
    case("ambiguous-expires-after-valid", PUBLIC, "ai_session=x; Expires=Tue, 14 Nov 2023 22:33:20 GMT; Expires=garbage; Secure; SameSite=Lax", Verdict::Fix, &[Ambiguous], Some("ai_session=x; Expires=Tue, 14 Nov 2023 22:33:20 GMT; Secure; SameSite=Lax")),
    case("ambiguous-year-1600", PUBLIC, "ai_session=x; Max-Age=600; Expires=Fri, 01 Jan 1600 00:00:00 GMT; Secure; SameSite=Lax", Verdict::Fix, &[Ambiguous], Some("ai_session=x; Max-Age=600; Secure; SameSite=Lax")),
    case("ambiguous-host-without-path", PUBLIC, "__Host-csrf=t; Secure; HttpOnly; SameSite=Lax", Verdict::Fix, &[Ambiguous], Some("__Host-csrf=t; Path=/; Secure; HttpOnly; SameSite=Lax")),
    case("ambiguous-host-relative-path", PUBLIC, "__Host-csrf=t; Path=foo; Secure; HttpOnly; SameSite=Lax", Verdict::Fix, &[Ambiguous], Some("__Host-csrf=t; Path=/; Secure; HttpOnly; SameSite=Lax")),
    // The draft ignores a year-1600 Expires, Chromium deletes: judged and written as a deletion.
    case("ambiguous-year-1600-deletion", PUBLIC, "sid=; Expires=Fri, 01 Jan 1600 00:00:00 GMT", Verdict::Fix, &[Ambiguous], Some("sid=; Max-Age=0")),
    case("ambiguous-year-1600-unlisted", PUBLIC, "tracker=x; Path=/; Expires=Sat, 01 Jan 1000 00:00:00 GMT", Verdict::Fix, &[Ambiguous], Some("tracker=; Path=/; Max-Age=0")),
    // No canonical form: stripped.
    case("ambiguous-tab-in-value", PUBLIC, "sid=a\tb; Secure; HttpOnly; SameSite=Lax", Verdict::Strip, &[Ambiguous], None),
    case("ambiguous-tab-in-name", PUBLIC, "s\tid=ab; Secure; HttpOnly; SameSite=Lax", Verdict::Strip, &[Unlisted], None),
    // Ambiguity plus an attribute violation: one fix for both.
    case("ambiguous-and-missing-secure", PUBLIC, "sid=abc; Max-Age=+60; HttpOnly; SameSite=Lax", Verdict::Fix, &[Ambiguous, MissingSecure], Some("sid=abc; Secure; HttpOnly; SameSite=Lax")),
];

#[rustfmt::skip]
const CONSENT: &[Case] = &[
    Case { consent: Some("necessary"), ..case("consent-statistics-not-granted", PUBLIC, "_pk_id.1.ab=x; Max-Age=600; Secure; SameSite=Lax", Verdict::Strip, &[ConsentMissing], None) },
    Case { consent: None, ..case("consent-cookie-absent", PUBLIC, "ai_session=x; Max-Age=600; Secure; SameSite=Lax", Verdict::Strip, &[ConsentMissing], None) },
    Case { consent: Some("{\"statistics\":true}"), ..case("consent-cookie-malformed", PUBLIC, "ai_session=x; Max-Age=600; Secure; SameSite=Lax", Verdict::Strip, &[ConsentMissing], None) },
    Case { gpc: true, ..case("consent-gpc-marketing", PUBLIC, "trk=1; Max-Age=60; Secure; HttpOnly; SameSite=None", Verdict::Strip, &[ConsentMissing], None) },
    Case { gpc: true, ..case("consent-gpc-functional", PUBLIC, "lang=sv; Max-Age=60; Secure; SameSite=Lax", Verdict::Strip, &[ConsentMissing], None) },
    Case { gpc: true, consent: None, ..case("consent-gpc-necessary", PUBLIC, "sid=abc; Secure; HttpOnly; SameSite=Lax", Verdict::Allow, &[], None) },
    Case { consent: Some("statistics"), ..case("consent-granted", PUBLIC, "ai_session=x; Max-Age=600; Secure; SameSite=Lax", Verdict::Allow, &[], None) },
    Case { consent: Some("statistics%2Cmarketing"), ..case("consent-granted-encoded", PUBLIC, "trk=1; Max-Age=60; Secure; HttpOnly; SameSite=None", Verdict::Allow, &[], None) },
    // Without consent, attribute violations are still reported; the cookie is stripped.
    Case { consent: None, ..case("consent-and-noncompliant", PUBLIC, "ai_session=x; Max-Age=6000; SameSite=Lax", Verdict::Strip, &[ConsentMissing, LifetimeExceeded, MissingSecure], None) },
];

#[rustfmt::skip]
const DELETIONS: &[Case] = &[
    case("deletion-unlisted", PUBLIC, "tracker=; Max-Age=0", Verdict::Allow, &[], None),
    case("deletion-unlisted-parent-domain", PUBLIC, "tracker=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; Path=/x", Verdict::Allow, &[], Some("tracker=; Path=/x; Domain=example.com; Max-Age=0")),
    case("deletion-negative-max-age", PUBLIC, "sid=x; Max-Age=-5; Path=/", Verdict::Allow, &[], Some("sid=; Path=/; Max-Age=0")),
    case("deletion-out-of-scope-expires-vs-now", LOGIN, "sid=; Expires=Tue, 14 Nov 2023 22:13:19 GMT", Verdict::Allow, &[], Some("sid=; Max-Age=0")),
    case("deletion-expires-now", LOGIN, "sid=; Expires=Tue, 14 Nov 2023 22:13:20 GMT", Verdict::Allow, &[], Some("sid=; Max-Age=0")),
    Case { consent: None, ..case("deletion-without-consent", PUBLIC, "ai_session=; Expires=Tue, 14 Nov 2023 22:13:10 GMT", Verdict::Allow, &[], Some("ai_session=; Max-Age=0")) },
    case("deletion-ambiguous", PUBLIC, "sid=; Max-Age=0; Max-Age=abc", Verdict::Fix, &[Ambiguous], Some("sid=; Max-Age=0")),
    case("deletion-ambiguous-unlisted", PUBLIC, "tracker=; Domain=example.com; Max-Age=0; Max-Age=", Verdict::Fix, &[Ambiguous], Some("tracker=; Domain=example.com; Max-Age=0")),
    case("deletion-tab", PUBLIC, "t\tx=; Max-Age=0", Verdict::Strip, &[Ambiguous], None),
    case("deletion-rejected-is-no-deletion", PUBLIC, "sid=; Max-Age=0; Domain=evil.com", Verdict::Strip, &[Malformed], None),
    case("deletion-rejected-prefix", PUBLIC, "__Host-csrf=; Max-Age=0; Path=/", Verdict::Strip, &[PrefixViolation], None),
    // Not a deletion: a future Expires, and a positive Max-Age that wins over a past Expires.
    case("no-deletion-future", PUBLIC, "tracker=; Expires=Tue, 14 Nov 2023 22:13:21 GMT", Verdict::Strip, &[Unlisted], None),
    case("no-deletion-max-age-wins", PUBLIC, "tracker=; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT", Verdict::Strip, &[Unlisted], None),
];

#[test]
fn allowed_headers_pass_unchanged() {
    let p = policy("");
    for c in ALLOW {
        check(&p, c);
    }
}

#[test]
fn unlisted_names_are_stripped() {
    let p = policy("");
    for c in UNLISTED {
        check(&p, c);
    }
}

#[test]
fn names_out_of_their_scope_are_stripped() {
    let p = policy("");
    for c in OUT_OF_SCOPE {
        check(&p, c);
    }
}

#[test]
fn lines_browsers_drop_are_stripped() {
    let p = policy("");
    for c in MALFORMED.iter().chain(REJECTED_KINDS) {
        check(&p, c);
    }
}

#[test]
fn oversize_name_value_is_dropped() {
    let p = policy("");
    for header in [
        format!("sid={}; Secure; HttpOnly", "v".repeat(4094)),
        format!("{}=v", "n".repeat(4096)),
    ] {
        let c = case(
            "oversize-name-value",
            PUBLIC,
            "",
            Verdict::Strip,
            &[Oversize],
            None,
        );
        let d = decide(&p, &c, header.as_bytes(), NOW);
        assert_eq!(d.verdict, Verdict::Strip);
        assert_eq!(
            d.violations.iter().map(|v| v.kind).collect::<Vec<_>>(),
            [Oversize]
        );
    }
}

#[test]
fn noncompliant_attributes_are_fixed() {
    let p = policy("");
    for c in NONCOMPLIANT {
        check(&p, c);
    }
}

#[test]
fn ambiguous_headers_leave_in_canonical_form_or_not_at_all() {
    let p = policy("");
    for c in AMBIGUOUS {
        check(&p, c);
    }
}

#[test]
fn consent_decides_non_necessary_cookies() {
    let p = policy("");
    for c in CONSENT {
        check(&p, c);
    }
}

#[test]
fn deletions_of_any_name_pass() {
    let p = policy("");
    for c in DELETIONS {
        check(&p, c);
    }
}

#[test]
fn deletions_under_apply_rules_are_judged_but_for_lifetime_and_consent() {
    let p = policy("deletions = \"apply-rules\"");
    let cases = [
        case(
            "apply-unlisted",
            PUBLIC,
            "tracker=; Max-Age=0",
            Verdict::Strip,
            &[Unlisted],
            None,
        ),
        case(
            "apply-out-of-scope",
            LOGIN,
            "sid=; Max-Age=0; Secure; HttpOnly; SameSite=Lax",
            Verdict::Strip,
            &[OutOfScope],
            None,
        ),
        case(
            "apply-compliant",
            PUBLIC,
            "sid=; Max-Age=0; Secure; HttpOnly; SameSite=Lax",
            Verdict::Allow,
            &[],
            None,
        ),
        case(
            "apply-attributes",
            PUBLIC,
            "sid=; Max-Age=0",
            Verdict::Fix,
            &[MissingSecure, MissingHttpOnly, WeakSameSite],
            Some("sid=; Max-Age=0; Secure; HttpOnly; SameSite=Lax"),
        ),
        Case {
            consent: None,
            ..case(
                "apply-no-consent-needed",
                PUBLIC,
                "ai_session=; Max-Age=0; Secure; SameSite=Lax",
                Verdict::Allow,
                &[],
                None,
            )
        },
        case(
            "apply-domain",
            PUBLIC,
            "sid=; Max-Age=0; Domain=example.com; Secure; HttpOnly; SameSite=Lax",
            Verdict::Fix,
            &[DomainNotAllowed],
            Some("sid=; Max-Age=0; Secure; HttpOnly; SameSite=Lax"),
        ),
    ];
    for c in &cases {
        check(&p, c);
    }
}

#[test]
fn max_lifetime_bounds_persistent_cookies() {
    let p = policy("max_lifetime = \"380d\"");
    let cases = [
        case(
            "persistent-over-max",
            PUBLIC,
            "__Secure-pref=x; Max-Age=34000000; Secure; SameSite=Strict",
            Verdict::Fix,
            &[LifetimeExceeded],
            Some("__Secure-pref=x; Max-Age=32832000; Secure; SameSite=Strict"),
        ),
        case(
            "persistent-expires-over-max",
            PUBLIC,
            "lang=sv; Expires=Fri, 01 Jan 2100 00:00:00 GMT; Secure; SameSite=Lax",
            Verdict::Fix,
            &[LifetimeExceeded],
            Some("lang=sv; Max-Age=32832000; Secure; SameSite=Lax"),
        ),
        case(
            "persistent-within-max",
            PUBLIC,
            "__Secure-pref=x; Max-Age=32832000; Secure; SameSite=Strict",
            Verdict::Allow,
            &[],
            None,
        ),
    ];
    for c in &cases {
        check(&p, c);
    }
}

/// One representative header per class of violation, and the verdict expected under each
/// `[enforcement]` setting (explicit rows, not a formula).
#[test]
fn every_verdict_under_every_enforcement_setting() {
    const UNLISTED_H: &str = "tracker=1; Secure; HttpOnly; SameSite=Lax";
    const OUT_OF_SCOPE_H: &str = "saplb_X=1; Secure; HttpOnly; SameSite=Lax";
    const MALFORMED_H: &str = "=";
    const NONCOMPLIANT_H: &str = "sid=abc; Secure";
    const AMBIGUOUS_H: &str = "sid=abc; Max-Age=+1; Secure; HttpOnly; SameSite=Lax";
    const UNFIXABLE_H: &str = "sid=a\tb; Secure; HttpOnly; SameSite=Lax";
    const ALLOWED_H: &str = "sid=abc; Secure; HttpOnly; SameSite=Lax";
    const DELETION_H: &str = "tracker=; Max-Age=0";
    use Verdict::{Allow, Block, Fix, Strip};
    #[rustfmt::skip]
    let rows: &[(&str, [Verdict; 8])] = &[
        //                                   unlisted out     malformed noncompl ambig unfixable allowed deletion
        ("",                                 [Strip,  Strip,  Strip,    Fix,     Fix,  Strip,    Allow, Allow]),
        ("unlisted = \"block\"",             [Block,  Block,  Strip,    Fix,     Fix,  Strip,    Allow, Allow]),
        ("malformed = \"block\"",            [Strip,  Strip,  Block,    Fix,     Fix,  Strip,    Allow, Allow]),
        ("noncompliant = \"strip\"",         [Strip,  Strip,  Strip,    Strip,   Strip, Strip,   Allow, Allow]),
        ("noncompliant = \"block\"",         [Strip,  Strip,  Strip,    Block,   Block, Block,   Allow, Allow]),
        ("deletions = \"apply-rules\"",      [Strip,  Strip,  Strip,    Fix,     Fix,  Strip,    Allow, Strip]),
        ("unlisted = \"block\"\ndeletions = \"apply-rules\"", [Block, Block, Strip, Fix, Fix, Strip, Allow, Block]),
        ("mode = \"report-only\"",           [Strip,  Strip,  Strip,    Fix,     Fix,  Strip,    Allow, Allow]),
        ("request_cookies = \"strip\"",      [Strip,  Strip,  Strip,    Fix,     Fix,  Strip,    Allow, Allow]),
    ];
    let headers = [
        UNLISTED_H,
        OUT_OF_SCOPE_H,
        MALFORMED_H,
        NONCOMPLIANT_H,
        AMBIGUOUS_H,
        UNFIXABLE_H,
        ALLOWED_H,
        DELETION_H,
    ];
    for (settings, verdicts) in rows {
        let p = policy(settings);
        let report_only = settings.contains("report-only");
        for (header, expected) in headers.iter().zip(verdicts) {
            let c = case("matrix", PUBLIC, header, *expected, &[], None);
            let d = decide(&p, &c, header.as_bytes(), NOW);
            assert_eq!(d.verdict, *expected, "[{settings}] {header:?}: {d:?}");
            assert_eq!(d.enforced, !report_only, "[{settings}] {header:?}");
            assert_eq!(
                d.violations.is_empty(),
                d.verdict == Verdict::Allow,
                "[{settings}] {header:?}"
            );
        }
    }
}

#[test]
fn a_block_anywhere_wins() {
    // Consent missing (strip) plus a noncompliant attribute under noncompliant = "block".
    let p = policy("noncompliant = \"block\"");
    let c = Case {
        consent: None,
        ..case(
            "block-wins",
            PUBLIC,
            "ai_session=x; Max-Age=60; SameSite=Lax",
            Verdict::Block,
            &[ConsentMissing, MissingSecure],
            None,
        )
    };
    check(&p, &c);
}

#[test]
fn report_only_decides_the_same_but_does_not_enforce() {
    let enforce = policy("");
    let report = policy("mode = \"report-only\"");
    let all = [
        ALLOW,
        UNLISTED,
        OUT_OF_SCOPE,
        MALFORMED,
        REJECTED_KINDS,
        NONCOMPLIANT,
        AMBIGUOUS,
        CONSENT,
        DELETIONS,
    ];
    for c in all.iter().flat_map(|cases| cases.iter()) {
        let a = decide(&enforce, c, c.header.as_bytes(), NOW);
        let b = decide(&report, c, c.header.as_bytes(), NOW);
        assert!(a.enforced && !b.enforced, "{}", c.id);
        assert_eq!(
            (a.verdict, &a.violations, &a.rewritten),
            (b.verdict, &b.violations, &b.rewritten),
            "{}",
            c.id
        );
    }
}

#[test]
fn decisions_name_rule_scope_and_category() {
    let p = policy("");
    let c = case(
        "names",
        LOGIN,
        "refreshToken_FORA_SAPEP=x; Max-Age=60; Secure; SameSite=Lax",
        Verdict::Allow,
        &[],
        None,
    );
    let d = decide(&p, &c, c.header.as_bytes(), NOW);
    assert_eq!(d.name, b"refreshToken_FORA_SAPEP");
    assert_eq!(d.rule, Some("refreshToken_{realm}_SAPEP"));
    assert_eq!(d.scope, Some("login"));
    assert_eq!(d.category.map(|c| c.as_str()), Some("necessary"));

    let c = case("out", PUBLIC, "saplb_X=1", Verdict::Strip, &[OutOfScope], None);
    let d = decide(&p, &c, c.header.as_bytes(), NOW);
    assert_eq!((d.rule, d.scope), (Some("saplb_*"), Some("public")));
    let detail = d.violations[0].detail.to_string();
    assert!(detail.contains("saplb_*") && detail.contains("public"));

    let c = case("none", NO_SCOPE, "tracker=1", Verdict::Strip, &[Unlisted], None);
    let d = decide(&p, &c, c.header.as_bytes(), NOW);
    assert_eq!((d.rule, d.scope, d.category), (None, None, None));
}

#[test]
fn details_name_the_rule_and_the_attribute() {
    let p = policy("");
    let c = case(
        "detail",
        PUBLIC,
        "sid=abc; Max-Age=60; Domain=example.com",
        Verdict::Fix,
        &[],
        None,
    );
    let d = decide(&p, &c, c.header.as_bytes(), NOW);
    let text: Vec<String> = d
        .violations
        .iter()
        .map(|v| format!("{}: {}", v.kind, v.detail))
        .collect();
    let joined = text.join("\n");
    for needle in [
        "not_session: rule `sid`",
        "Max-Age",
        "missing_secure: rule `sid` requires Secure",
        "HttpOnly",
        "SameSite=Lax",
        "Domain=example.com",
    ] {
        assert!(joined.contains(needle), "{needle:?} not in\n{joined}");
    }
}

#[test]
fn the_response_date_is_the_clock() {
    let p = policy("");
    let c = case(
        "date",
        PUBLIC,
        "ai_session=x; Expires=Tue, 14 Nov 2023 22:33:20 GMT; Secure; SameSite=Lax",
        Verdict::Allow,
        &[],
        None,
    );
    // 20 minutes before the Expires: within 30m. An hour before: exceeded. After it: a deletion.
    assert_eq!(decide(&p, &c, c.header.as_bytes(), NOW).verdict, Verdict::Allow);
    assert_eq!(
        decide(&p, &c, c.header.as_bytes(), NOW - 3600).verdict,
        Verdict::Fix
    );
    let after = decide(&p, &c, c.header.as_bytes(), NOW + 7200);
    assert_eq!((after.verdict, after.violations.len()), (Verdict::Allow, 0));
}

mod request_side {
    use cookie_warden_core::cookie_header::{join, pairs};
    use cookie_warden_core::decide::{RequestCookieAction, RequestCookieReason};
    use cookie_warden_core::decision::Verdict;
    use cookie_warden_core::request::{ConsentCookie, RequestContext, RequestUrlBuf};

    use super::{ALL_CONSENT, ESERVICES, LOGIN, NOW, PUBLIC, policy};
    use RequestCookieAction::{Keep, Report, Strip};
    use RequestCookieReason::{ConsentWithdrawn, OutOfScope, Unlisted};

    fn context<'u>(url: &'u RequestUrlBuf, consent: Option<&'static str>, gpc: bool) -> RequestContext<'u> {
        RequestContext {
            url: url.as_url(),
            method: "GET",
            gpc,
            consent_cookie: consent.map(|v| ConsentCookie(v.as_bytes())),
        }
    }

    /// (url, consent, gpc, name, reason, action under pass, report, strip)
    type Row = (
        &'static str,
        Option<&'static str>,
        bool,
        &'static str,
        Option<RequestCookieReason>,
        [RequestCookieAction; 3],
    );

    #[rustfmt::skip]
    const ROWS: &[Row] = &[
        (PUBLIC, ALL_CONSENT, false, "sid", None, [Keep, Keep, Keep]),
        (PUBLIC, ALL_CONSENT, false, "tracker", Some(Unlisted), [Keep, Report, Strip]),
        (PUBLIC, ALL_CONSENT, false, "", Some(Unlisted), [Keep, Report, Strip]),
        (PUBLIC, ALL_CONSENT, false, "saplb_X", Some(OutOfScope), [Keep, Report, Strip]),
        (LOGIN, ALL_CONSENT, false, "saplb_X", None, [Keep, Keep, Keep]),
        (ESERVICES, ALL_CONSENT, false, "MYSAPSSO2", None, [Keep, Keep, Keep]),
        (PUBLIC, ALL_CONSENT, false, "MYSAPSSO2", Some(OutOfScope), [Keep, Report, Strip]),
        (PUBLIC, ALL_CONSENT, false, "_pk_id.1.x", None, [Keep, Keep, Keep]),
        (PUBLIC, None, false, "_pk_id.1.x", Some(ConsentWithdrawn), [Keep, Report, Strip]),
        (PUBLIC, Some("necessary"), false, "ai_session", Some(ConsentWithdrawn), [Keep, Report, Strip]),
        (PUBLIC, ALL_CONSENT, true, "trk", Some(ConsentWithdrawn), [Keep, Report, Strip]),
        (PUBLIC, ALL_CONSENT, true, "lang", Some(ConsentWithdrawn), [Keep, Report, Strip]),
        (PUBLIC, None, true, "sid", None, [Keep, Keep, Keep]),
        (PUBLIC, None, true, "cw_consent", None, [Keep, Keep, Keep]),
    ];

    #[test]
    fn request_cookies_by_setting_scope_and_consent() {
        let settings = [
            "request_cookies = \"pass\"",
            "request_cookies = \"report\"",
            "request_cookies = \"strip\"",
        ];
        for (i, setting) in settings.iter().enumerate() {
            let p = policy(setting);
            for (url, consent, gpc, name, reason, actions) in ROWS {
                let url = RequestUrlBuf::parse(url).unwrap();
                let judge = p.judge(&context(&url, *consent, *gpc));
                let verdict = judge.request_cookie(name.as_bytes());
                assert_eq!(
                    (verdict.reason, verdict.action),
                    (*reason, actions[i]),
                    "[{setting}] {name:?} {consent:?} gpc={gpc}"
                );
                assert_eq!(
                    verdict.purge,
                    *reason == Some(ConsentWithdrawn),
                    "[{setting}] {name:?}: purge"
                );
            }
        }
    }

    #[test]
    fn stripping_keeps_the_other_pairs_byte_for_byte() {
        let p = policy("request_cookies = \"strip\"");
        let url = RequestUrlBuf::parse(PUBLIC).unwrap();
        let judge = p.judge(&context(&url, Some("necessary"), false));
        let header = b"sid=a b; tracker=1;_pk_id.1.x=2; cw_consent=necessary;  lang=sv ; x";
        let mut out = Vec::new();
        join(
            pairs(header).filter(|pair| judge.request_cookie(pair.name).action != Strip),
            &mut out,
        );
        assert_eq!(out, b"sid=a b; cw_consent=necessary");
    }

    #[test]
    fn purge_names_withdrawn_cookies_once() {
        let p = policy("");
        let url = RequestUrlBuf::parse(PUBLIC).unwrap();
        let judge = p.judge(&context(&url, Some("necessary"), false));
        let header = b"sid=1; _pk_id.1.x=2; lang=sv; tracker=3; _pk_id.1.x=4; ai_session=5";
        let names = judge.purge_list(header);
        assert_eq!(names, [&b"_pk_id.1.x"[..], b"lang", b"ai_session"]);

        let granted = p.judge(&context(&url, ALL_CONSENT, false));
        assert!(granted.purge_list(header).is_empty());
        let gpc = p.judge(&context(&url, ALL_CONSENT, true));
        assert_eq!(
            gpc.purge_list(header),
            [&b"_pk_id.1.x"[..], b"lang", b"ai_session"]
        );

        let text = super::POLICY.replace("purge = true", "purge = false");
        let no_purge = cookie_warden_core::policy::load::from_toml_str("p.toml", &text)
            .unwrap()
            .policy;
        let judge = no_purge.judge(&context(&url, Some("necessary"), false));
        assert!(judge.purge_list(header).is_empty());
        assert!(!judge.request_cookie(b"lang").purge);
    }

    #[test]
    fn deletion_headers_hit_where_the_rule_lets_the_cookie_live() {
        let p = policy("");
        let url = RequestUrlBuf::parse("https://www.example.com/shop/cart").unwrap();
        let judge = p.judge(&context(&url, None, false));
        let text = |name: &[u8]| -> Vec<String> {
            judge
                .deletion_headers(name)
                .iter()
                .map(|h| String::from_utf8(h.clone()).unwrap())
                .collect()
        };
        // No rule path: `/` and the request's default path; functional rule with domains.
        assert_eq!(
            text(b"lang"),
            [
                "lang=; Path=/; Max-Age=0; Secure; SameSite=Lax",
                "lang=; Path=/; Domain=example.com; Max-Age=0; Secure; SameSite=Lax",
                "lang=; Path=/shop; Max-Age=0; Secure; SameSite=Lax",
                "lang=; Path=/shop; Domain=example.com; Max-Age=0; Secure; SameSite=Lax",
            ]
        );
        assert_eq!(
            text(b"app_state"),
            ["app_state=; Path=/app; Max-Age=0; Secure; HttpOnly; SameSite=Lax"]
        );
        assert_eq!(
            text(b"__Host-csrf"),
            ["__Host-csrf=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax"]
        );
        assert_eq!(
            text(b"__Secure-pref")[0],
            "__Secure-pref=; Path=/; Max-Age=0; Secure; SameSite=Strict"
        );
        assert!(text(b"").is_empty());

        let http = RequestUrlBuf::parse("http://www.example.com/").unwrap();
        let insecure = p.judge(&context(&http, None, false));
        assert!(insecure.deletion_headers(b"__Host-csrf").is_empty());
        assert_eq!(
            insecure.deletion_headers(b"plain"),
            [b"plain=; Path=/; Max-Age=0; SameSite=Lax".to_vec()]
        );
    }

    #[test]
    fn deletion_headers_pass_the_policy_under_either_deletions_setting() {
        for setting in ["", "deletions = \"apply-rules\""] {
            let p = policy(setting);
            for (url, name) in [
                ("https://www.example.com/shop/cart", &b"lang"[..]),
                ("https://www.example.com/", b"_pk_id.1.x"),
                ("https://www.example.com/", b"ai_session"),
                ("https://www.example.com/app/x", b"app_state"),
                ("https://www.example.com/", b"__Host-csrf"),
                ("https://www.example.com/", b"__Secure-pref"),
                ("https://www.example.com/", b"trk"),
            ] {
                let url = RequestUrlBuf::parse(url).unwrap();
                let judge = p.judge(&context(&url, None, true));
                let headers = judge.deletion_headers(name);
                assert!(!headers.is_empty());
                for header in &headers {
                    let d = judge.decide(header, NOW);
                    assert_eq!(
                        d.verdict,
                        Verdict::Allow,
                        "[{setting}] {}: {d:?}",
                        String::from_utf8_lossy(header)
                    );
                }
            }
        }
    }
}

//! The body of the `decide` fuzz target, shared with its replay over the seed corpus as an
//! ordinary test (`tests/tests/fuzz_bodies.rs`): decide() over `config/fora.toml` (and variants of
//! it) with an arbitrary request URL, `Cookie` header and `Set-Cookie` headers, asserting the
//! invariants a shell relies on.
//!
//! Input layout (bytes): `[selector] url '\n' cookie-header '\n' set-cookie ('\n' set-cookie)*`.
//! The selector picks the policy variant, `Sec-GPC`, and, when the URL text does not parse, a URL
//! from the policy's own hosts and paths (so that every scope is hit).

use cookie_warden_core::cookie_header;
use cookie_warden_core::decision::{Decision, Verdict};
use cookie_warden_core::policy::load::from_toml_str;
use cookie_warden_core::policy::model::{Deletions, Mode, RequestCookies};
use cookie_warden_core::policy::{CompiledPolicy, NameMatch};
use cookie_warden_core::request::{ConsentCookie, RequestContext, RequestUrl, RequestUrlBuf};
use cookie_warden_core::set_cookie::parse;

/// The seed policy, read at compile time.
pub(crate) const FORA: &str = include_str!("../../config/fora.toml");

/// The response's `Date`, unix seconds.
pub(crate) const NOW: i64 = 1_700_000_000;

/// At most this many `Set-Cookie` headers are judged per input.
const MAX_HEADERS: usize = 64;

const HOSTS: [&str; 7] = [
    "fora.se",
    "www.fora.se",
    "minasidor.fora.se",
    "etjanster.fora.se",
    "example.com",
    "127.0.0.1",
    "sub.www.fora.se",
];
const PATHS: [&str; 7] = [
    "/",
    "/irj/portal",
    "/logon",
    "/manadsrapportering/x",
    "/cookies",
    "/a/b",
    "/irjx",
];

/// One compiled variant of the fora policy.
pub(crate) struct Variant {
    /// What differs from `config/fora.toml`.
    pub(crate) name: &'static str,
    /// The compiled policy.
    pub(crate) policy: CompiledPolicy,
}

/// `text` with `from` replaced by `to`; panics when `from` is not there (the variant would silently
/// be the original policy).
fn replaced(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "config/fora.toml no longer holds {from:?}");
    text.replacen(from, to, 1)
}

/// The policy variants every input is judged under, compiled once.
pub(crate) fn variants() -> Vec<Variant> {
    let report_only = replaced(FORA, r#"mode = "enforce""#, r#"mode = "report-only""#);
    let strict = [
        (r#"unlisted = "strip""#, r#"unlisted = "block""#),
        (r#"malformed = "strip""#, r#"malformed = "block""#),
        (r#"deletions = "allow""#, r#"deletions = "apply-rules""#),
        (r#"request_cookies = "pass""#, r#"request_cookies = "strip""#),
    ]
    .iter()
    .fold(FORA.to_owned(), |text, (from, to)| replaced(&text, from, to));
    let mut consent = [
        (r#"noncompliant = "fix""#, r#"noncompliant = "strip""#),
        (r#"request_cookies = "pass""#, r#"request_cookies = "strip""#),
    ]
    .iter()
    .fold(FORA.to_owned(), |text, (from, to)| replaced(&text, from, to));
    consent.push_str("\n[consent]\ncookie = \"accepted_cookies\"\nhonor_gpc = true\npurge = true\n");
    let compile = |name: &'static str, text: &str| Variant {
        name,
        policy: from_toml_str(name, text)
            .unwrap_or_else(|e| panic!("variant {name} does not load: {e}"))
            .policy,
    };
    let variants = vec![
        compile("fora", FORA),
        compile("report-only", &report_only),
        compile("strict", &strict),
        compile("consent", &consent),
    ];
    assert_eq!(variants[0].policy.mode(), Mode::Enforce);
    assert_eq!(variants[1].policy.mode(), Mode::ReportOnly);
    assert!(variants[3].policy.consent().is_some());
    variants
}

fn valid_header_value(bytes: &[u8]) -> bool {
    http::HeaderValue::from_bytes(bytes).is_ok()
}

/// Judges one input under its variant and asserts every invariant.
pub(crate) fn check(variants: &[Variant], data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mut lines = rest.split(|&b| b == b'\n');
    let url_text = lines.next().unwrap_or_default();
    let cookie_header = lines.next().unwrap_or_default();
    let set_cookies: Vec<&[u8]> = lines.take(MAX_HEADERS).collect();

    let variant = &variants[usize::from(selector & 3) % variants.len()];
    let gpc = selector & 4 != 0;
    let parsed = std::str::from_utf8(url_text)
        .ok()
        .and_then(|text| RequestUrlBuf::parse(text).ok());
    let fallback = RequestUrl {
        secure: selector & 8 == 0,
        host: HOSTS[usize::from(selector >> 4) % HOSTS.len()],
        path: PATHS[url_text.first().map_or(0, |&b| usize::from(b)) % PATHS.len()],
    };
    let url = parsed.as_ref().map_or(fallback, RequestUrlBuf::as_url);
    let policy = &variant.policy;
    let consent_cookie = policy
        .consent()
        .and_then(|c| cookie_header::find(cookie_header, c.cookie.as_bytes()))
        .map(ConsentCookie);
    let request = RequestContext {
        url,
        method: "GET",
        gpc,
        consent_cookie,
    };
    let judge = policy.judge(&request);
    let _ = format!("{judge:?}");

    let enforced = policy.mode() == Mode::Enforce;
    assert_eq!(judge.enforced(), enforced);
    let settings = policy.enforcement();

    for &header in &set_cookies {
        let decision = judge.decide(header, NOW);
        let _ = format!("{decision:?}");
        assert_eq!(decision.enforced, enforced, "{}: decision.enforced", variant.name);
        let input = parse(header, &url);
        assert_eq!(
            decision.name, input.name,
            "{}: decision names another cookie",
            variant.name
        );
        if !enforced {
            // Report-only computes the enforced decision and marks it as not applied: the shell
            // passes every header unchanged.
            check_report_only(variants, &request, header, &decision);
            continue;
        }
        let leaving: &[u8] = match decision.verdict {
            Verdict::Allow => {
                assert!(
                    decision.violations.is_empty(),
                    "{}: allow with violations",
                    variant.name
                );
                // Inside the proven subset the header leaves as it came; outside it, canonical.
                decision
                    .leaving(header)
                    .unwrap_or_else(|| panic!("{}: allow without a leaving header", variant.name))
            }
            Verdict::Fix => decision
                .rewritten
                .as_deref()
                .unwrap_or_else(|| panic!("{}: fix without a rewrite", variant.name)),
            Verdict::Strip | Verdict::Block => {
                assert!(
                    !decision.violations.is_empty(),
                    "{}: {:?} without a violation",
                    variant.name,
                    decision.verdict
                );
                continue;
            }
        };
        assert!(
            valid_header_value(leaving),
            "{}: a leaving header is not a valid header value",
            variant.name
        );
        let out = parse(leaving, &url);
        assert_eq!(
            out.rejection, None,
            "{}: a browser drops a leaving header",
            variant.name
        );
        assert!(
            out.ambiguities.is_empty(),
            "{}: a leaving header is ambiguous: {:?}",
            variant.name,
            out.ambiguities.names().collect::<Vec<_>>()
        );
        let deletion_passes_unjudged = settings.deletions == Deletions::Allow && out.is_deletion(NOW);
        if !deletion_passes_unjudged {
            let matched = policy.match_name(out.name, judge.scope_id());
            assert!(
                matches!(matched, NameMatch::InScope(_)),
                "{}: a cookie outside the scope leaves",
                variant.name
            );
            if let NameMatch::InScope(rule) = matched
                && !out.is_deletion(NOW)
            {
                assert!(
                    judge.consent().allows(rule.category()),
                    "{}: a cookie without consent leaves",
                    variant.name
                );
            }
        }
        if decision.verdict == Verdict::Fix {
            // A deletion leaves as the canonical deletion, with an empty value.
            let value: &[u8] = if out.is_deletion(NOW) { b"" } else { input.value };
            assert_eq!(
                (out.name, out.value),
                (input.name, value),
                "{}: a fix changed the name or value",
                variant.name
            );
            let again = judge.decide(leaving, NOW);
            assert_eq!(
                again.verdict,
                Verdict::Allow,
                "{}: a fixed header is not allowed: {}",
                variant.name,
                again.violation_list()
            );
        }
    }

    check_request_cookies(variant, &judge, cookie_header);
}

/// The same header under the enforcing variant of the same policy gives the same verdict and
/// violations; the report-only decision is never applied.
fn check_report_only(
    variants: &[Variant],
    request: &RequestContext<'_>,
    header: &[u8],
    decision: &Decision<'_, '_>,
) {
    assert!(!decision.enforced);
    let enforced = variants[0].policy.judge(request).decide(header, NOW);
    assert_eq!(
        decision.verdict, enforced.verdict,
        "report-only decides otherwise than enforce"
    );
    assert_eq!(decision.violation_list(), enforced.violation_list());
    assert_eq!(decision.rewritten, enforced.rewritten);
}

fn check_request_cookies(
    variant: &Variant,
    judge: &cookie_warden_core::decide::Judge<'_, '_>,
    header: &[u8],
) {
    use cookie_warden_core::decide::RequestCookieAction;
    let policy = &variant.policy;
    let request_cookies = policy.enforcement().request_cookies;
    let mut kept = Vec::new();
    cookie_header::join(
        cookie_header::pairs(header).filter(|pair| {
            let verdict = judge.request_cookie(pair.name);
            match request_cookies {
                RequestCookies::Pass => assert_eq!(verdict.action, RequestCookieAction::Keep),
                RequestCookies::Report => assert_ne!(verdict.action, RequestCookieAction::Strip),
                RequestCookies::Strip => assert_ne!(verdict.action, RequestCookieAction::Report),
            }
            assert_eq!(
                verdict.action == RequestCookieAction::Keep,
                verdict.reason.is_none() || request_cookies == RequestCookies::Pass
            );
            verdict.action != RequestCookieAction::Strip
        }),
        &mut kept,
    );
    if valid_header_value(header) {
        assert!(
            valid_header_value(&kept),
            "{}: the re-joined Cookie header is not a valid header value",
            variant.name
        );
    }
    if request_cookies == RequestCookies::Strip && policy.mode() == Mode::Enforce {
        for pair in cookie_header::pairs(&kept) {
            let matched = policy.match_name(pair.name, judge.scope_id());
            let NameMatch::InScope(rule) = matched else {
                panic!(
                    "{}: a request cookie outside the scope reaches the application",
                    variant.name
                );
            };
            assert!(
                judge.consent().allows(rule.category()),
                "{}: a withdrawn request cookie reaches the application",
                variant.name
            );
        }
    }
    for name in judge.purge_list(header) {
        for deletion in judge.deletion_headers(name) {
            assert!(
                valid_header_value(&deletion),
                "{}: a purge header is not a valid header value",
                variant.name
            );
            let cookie = parse(&deletion, judge.url());
            assert_eq!(
                cookie.rejection, None,
                "{}: a browser drops a purge header",
                variant.name
            );
            assert!(
                cookie.is_deletion(NOW),
                "{}: a purge header deletes nothing",
                variant.name
            );
            assert_eq!(cookie.name, name);
            let verdict = judge.decide(&deletion, NOW).verdict;
            assert_eq!(
                verdict,
                Verdict::Allow,
                "{}: the policy does not allow its own purge header",
                variant.name
            );
        }
    }
}

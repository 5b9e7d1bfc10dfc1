//! Canonical or proven (issue 14): named regression cases for the browser-differential bypasses of
//! classes 1–3, and the rule that an allowed header leaves byte for byte only inside the proven
//! subset.
//!
//! Each case is an input from the issue: before, each left byte for byte and Chromium (and
//! Firefox) stored a cookie the policy forbids.

use cookie_warden_core::decision::{Decision, Verdict};
use cookie_warden_core::http_date::{ResponseDate, ResponseTime};
use cookie_warden_core::policy::CompiledPolicy;
use cookie_warden_core::policy::load::from_toml_str;
use cookie_warden_core::request::{ConsentCookie, RequestContext, RequestUrlBuf};
use cookie_warden_core::set_cookie::{Outside, parse};

const POLICY: &str = include_str!("decide_policy.toml");

/// Tue, 14 Nov 2023 22:13:20 GMT
const NOW: i64 = 1_700_000_000;
const PUBLIC: &str = "https://www.example.com/";
const LOGIN: &str = "https://login.example.com/login";

fn policy() -> CompiledPolicy {
    from_toml_str("decide_policy.toml", POLICY)
        .expect("the test policy loads")
        .policy
}

/// Decides `header` for a request to `url` with every consent, and returns the verdict and what
/// leaves (as text).
fn leaves(url: &str, header: &str, time: ResponseTime) -> (Verdict, Option<String>, Vec<&'static str>) {
    let policy = policy();
    let url = RequestUrlBuf::parse(url).expect("test url parses");
    let context = RequestContext {
        url: url.as_url(),
        method: "GET",
        gpc: false,
        consent_cookie: Some(ConsentCookie(b"necessary,functional,statistics,marketing")),
    };
    let judge = policy.judge(&context);
    let decision: Decision<'_, '_> = judge.decide(header.as_bytes(), time);
    let leaving = decision
        .leaving(header.as_bytes())
        .map(|b| String::from_utf8_lossy(b).into_owned());
    let kinds = decision.violations.iter().map(|v| v.kind.as_str()).collect();
    (decision.verdict, leaving, kinds)
}

fn clock(now: i64) -> ResponseTime {
    ResponseTime {
        now,
        date: ResponseDate::Absent,
    }
}

fn with_date(date: &str, clock: i64) -> ResponseTime {
    ResponseTime::of_response([date.as_bytes()], clock)
}

// Class 1: deletions that are not deletions.

#[test]
fn class1_a_date_the_draft_reads_as_past_leaves_as_a_canonical_deletion() {
    // Draft: 1999 (past): a deletion of an unlisted name. Chromium and Firefox: 2030.
    let header = "tracker=1; Expires=01 Jan 1999:00 2030 00:00:00";
    assert_eq!(
        leaves(PUBLIC, header, clock(NOW)),
        (Verdict::Allow, Some("tracker=; Max-Age=0".to_owned()), vec![])
    );
}

#[test]
fn class1_an_allowed_name_cannot_bring_a_domain_through_a_fake_deletion() {
    let header = "sid=1; Domain=example.com; Expires=01 Jan 1999:00 2030 00:00:00";
    assert_eq!(
        leaves(PUBLIC, header, clock(NOW)),
        (
            Verdict::Allow,
            Some("sid=; Domain=example.com; Max-Age=0".to_owned()),
            vec![]
        )
    );
    // Nor without its required attributes.
    let header = "sid=1; Expires=01 Jan 1999:00 2030 00:00:00";
    assert_eq!(
        leaves(PUBLIC, header, clock(NOW)).1.as_deref(),
        Some("sid=; Max-Age=0")
    );
}

#[test]
fn class1_every_deletion_leaves_canonical_and_keeps_what_it_must_match() {
    for (header, canonical) in [
        ("tracker=1; Max-Age=0", "tracker=; Max-Age=0"),
        ("tracker=; max-age=0", "tracker=; Max-Age=0"),
        ("tracker=; Max-Age=-1", "tracker=; Max-Age=0"),
        (
            "tracker=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/x; Domain=example.com",
            "tracker=; Path=/x; Domain=example.com; Max-Age=0",
        ),
        (
            "__Secure-pref=old; Secure; Max-Age=0; Partitioned",
            "__Secure-pref=; Max-Age=0; Secure; Partitioned",
        ),
        (
            "tracker=; Expires=Tue, 14 Nov 2023 22:13:19 GMT",
            "tracker=; Max-Age=0",
        ),
    ] {
        assert_eq!(
            leaves(PUBLIC, header, clock(NOW)),
            (Verdict::Allow, Some(canonical.to_owned()), vec![]),
            "{header}"
        );
    }
    // Already canonical: byte for byte.
    let canonical = "tracker=; Path=/x; Max-Age=0";
    assert_eq!(
        leaves(PUBLIC, canonical, clock(NOW)).1.as_deref(),
        Some(canonical)
    );
}

// Class 2: an Expires the draft ignores but browsers read.

#[test]
fn class2_a_five_digit_year_leaves_as_the_session_cookie_the_draft_reads() {
    let header = "sid=1; Secure; HttpOnly; SameSite=Lax; Path=/; Expires=Wed, 01 Jan 02030 00:00:00 GMT";
    assert_eq!(
        leaves(PUBLIC, header, clock(NOW)),
        (
            Verdict::Allow,
            Some("sid=1; Path=/; Secure; HttpOnly; SameSite=Lax".to_owned()),
            vec![]
        )
    );
    assert_eq!(
        parse(header.as_bytes(), &RequestUrlBuf::parse(PUBLIC).unwrap().as_url()).subset(NOW),
        Err(Outside::Expires)
    );
}

#[test]
fn class2_a_five_digit_year_on_an_unlisted_name_is_not_a_deletion_either() {
    let header = "tracker=1; Expires=Wed, 01 Jan 02030 00:00:00 GMT";
    assert_eq!(leaves(PUBLIC, header, clock(NOW)).0, Verdict::Strip);
}

// Class 3: the response's Date.

#[test]
fn class3_a_lenient_date_cannot_turn_a_deletion_into_400_days() {
    // Chromium corrects Expires by the server's Date (1994, read leniently): 29 years ahead.
    let time = with_date("Sun, 06 Nov 1994 08:49:37 UTC", NOW);
    assert_eq!(time, clock(NOW).with_date(ResponseDate::Lenient));
    let header = "tracker=1; Expires=Tue, 14 Nov 2023 22:13:19 GMT";
    assert_eq!(
        leaves(PUBLIC, header, time),
        (Verdict::Allow, Some("tracker=; Max-Age=0".to_owned()), vec![])
    );
}

#[test]
fn class3_a_lenient_date_cannot_stretch_a_one_hour_rule() {
    // `refreshToken_{realm}_SAPEP` lives at most 1 h. Against the clock the Expires is 1 h away;
    // against the lenient 1994 Date a browser would keep it 400 days. It leaves as Max-Age.
    let header = "refreshToken_FORA_SAPEP=x; Expires=Tue, 14 Nov 2023 23:13:20 GMT; Secure; SameSite=Lax";
    let (verdict, leaving, kinds) = leaves(LOGIN, header, with_date("Sun, 6 Nov 1994 08:49:37 GMT", NOW));
    assert_eq!(
        (verdict, leaving.as_deref(), kinds),
        (
            Verdict::Allow,
            Some("refreshToken_FORA_SAPEP=x; Max-Age=3600; Secure; SameSite=Lax"),
            vec![]
        )
    );
    // With a strict Date the Expires is measured against it, as browsers do, and leaves as it is.
    let strict = with_date("Tue, 14 Nov 2023 22:13:20 GMT", NOW - 86_400);
    assert_eq!(strict.now, NOW);
    assert_eq!(leaves(LOGIN, header, strict).1.as_deref(), Some(header));
    // Without a Date, against the clock.
    assert_eq!(leaves(LOGIN, header, clock(NOW)).1.as_deref(), Some(header));
    // Too long against a lenient Date's fallback clock: fixed to the rule's Max-Age.
    let later = "refreshToken_FORA_SAPEP=x; Expires=Wed, 15 Nov 2023 22:13:20 GMT; Secure; SameSite=Lax";
    let (verdict, leaving, kinds) = leaves(LOGIN, later, with_date("garbage", NOW));
    assert_eq!(
        (verdict, leaving.as_deref(), kinds),
        (
            Verdict::Fix,
            Some("refreshToken_FORA_SAPEP=x; Max-Age=3600; Secure; SameSite=Lax"),
            vec!["lifetime_exceeded"]
        )
    );
}

#[test]
fn class3_a_header_without_expires_does_not_care_about_the_date() {
    let header = "sid=1; Path=/; Secure; HttpOnly; SameSite=Lax";
    let time = with_date("Sun, 06 Nov 1994 08:49:37 UTC", NOW);
    assert_eq!(leaves(PUBLIC, header, time).1.as_deref(), Some(header));
}

// The rule itself.

#[test]
fn allowed_headers_inside_the_subset_leave_byte_for_byte_and_others_canonical() {
    for (header, leaving) in [
        (
            "sid=1; Path=/; Secure; HttpOnly; SameSite=Lax",
            "sid=1; Path=/; Secure; HttpOnly; SameSite=Lax",
        ),
        (
            "sid=1; Secure; HttpOnly; SameSite=Lax; Path=/",
            "sid=1; Secure; HttpOnly; SameSite=Lax; Path=/",
        ),
        (
            "sid=1;Path=/;Secure;HttpOnly;SameSite=Lax",
            "sid=1; Path=/; Secure; HttpOnly; SameSite=Lax",
        ),
        (
            "sid = 1 ; path=/ ; secure ; httponly ; samesite=lax",
            "sid=1; Path=/; Secure; HttpOnly; SameSite=Lax",
        ),
        (
            "sid=1; Path=/; Secure; HttpOnly; SameSite=Lax; Priority=High",
            "sid=1; Path=/; Secure; HttpOnly; SameSite=Lax",
        ),
    ] {
        assert_eq!(
            leaves(PUBLIC, header, clock(NOW)),
            (Verdict::Allow, Some(leaving.to_owned()), vec![]),
            "{header}"
        );
    }
}

trait WithDate {
    fn with_date(self, date: ResponseDate) -> ResponseTime;
}

impl WithDate for ResponseTime {
    fn with_date(self, date: ResponseDate) -> ResponseTime {
        ResponseTime { date, ..self }
    }
}

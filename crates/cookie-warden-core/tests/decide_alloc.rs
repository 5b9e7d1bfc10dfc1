//! The allow path allocates nothing: `judge` (no consent cookie to decode) and `decide` of
//! allowed headers and deletions, and `request_cookie`, counted by a global allocator.
//!
//! The counting allocator sees every thread of the process, so this test runs without libtest's
//! harness (`harness = false`: a plain `main`, one thread). Under the harness the main thread's own
//! allocations, right after it spawned the test's thread, fell into the counted window about one
//! run in four (4 allocations, 900 bytes, none of them ours: every call counted on its own showed 0).

use std::alloc::System;

use cookie_warden_core::decision::Verdict;
use cookie_warden_core::policy::load::from_toml_str;
use cookie_warden_core::request::{ConsentCookie, RequestContext, RequestUrl};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const POLICY: &str = include_str!("decide_policy.toml");
const NOW: i64 = 1_700_000_000;

const ALLOWED: [&[u8]; 6] = [
    b"sid=8f14e45fceea167a5a36dedd4bea2543; Path=/; Secure; HttpOnly; SameSite=Lax",
    b"lang=sv; Domain=example.com; Max-Age=3600; Secure; SameSite=Lax",
    b"_pk_id.1.ab=x; Max-Age=31536000; Secure; SameSite=Lax",
    b"__Host-csrf=t; Path=/; Secure; HttpOnly; SameSite=Strict",
    b"tracker=; Max-Age=0",
    b"ai_session=x; Expires=Tue, 14 Nov 2023 22:33:20 GMT; Secure; SameSite=Lax",
];

fn main() {
    the_allow_path_does_not_allocate();
    println!("test the_allow_path_does_not_allocate ... ok");
}

fn the_allow_path_does_not_allocate() {
    let policy = from_toml_str("decide_policy.toml", POLICY)
        .expect("the test policy loads")
        .policy;
    let url = RequestUrl {
        secure: true,
        host: "www.example.com",
        path: "/start",
    };
    let with_consent = RequestContext {
        url,
        method: "GET",
        gpc: false,
        consent_cookie: Some(ConsentCookie(b"necessary,functional,statistics")),
    };
    let without_consent = RequestContext {
        consent_cookie: None,
        ..with_consent
    };

    // Warm up anything initialised lazily (matcher caches), and check the verdicts.
    let judge = policy.judge(&with_consent);
    for header in ALLOWED {
        assert_eq!(
            judge.decide(header, NOW).verdict,
            Verdict::Allow,
            "{}",
            String::from_utf8_lossy(header)
        );
    }

    // The request side too: a name looked up for the first time may grow the automaton's cache.
    let judge = policy.judge(&without_consent);
    for name in [&b"sid"[..], b"tracker"] {
        std::hint::black_box(judge.request_cookie(name));
    }

    // The counter works: a box is counted (so the zero below cannot pass vacuously).
    let region = Region::new(GLOBAL);
    drop(std::hint::black_box(Box::new(7_u64)));
    assert_eq!(region.change().allocations, 1);

    let region = Region::new(GLOBAL);
    for _ in 0..100 {
        let judge = policy.judge(std::hint::black_box(&with_consent));
        for header in ALLOWED {
            let decision = judge.decide(std::hint::black_box(header), NOW);
            std::hint::black_box(&decision);
        }
        let judge = policy.judge(std::hint::black_box(&without_consent));
        std::hint::black_box(judge.request_cookie(b"sid"));
        std::hint::black_box(judge.request_cookie(b"tracker"));
    }
    let change = region.change();
    assert_eq!((change.allocations, change.reallocations), (0, 0), "{change:?}");
}

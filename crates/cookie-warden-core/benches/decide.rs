//! Decisions per `Set-Cookie` header: the allow, fix and strip paths, a four-header response
//! (allow, fix, strip, allow), and resolving a request (`judge`: scope and consent).
//!
//! Run with `cargo bench -p cookie-warden-core --bench decide`. Targets: ≤ 100 ns for allow,
//! ≤ 400 ns for the four-header response.

use std::hint::black_box;

use cookie_warden_core::decision::Verdict;
use cookie_warden_core::policy::load::from_toml_str;
use cookie_warden_core::request::{ConsentCookie, RequestContext, RequestUrl};
use cookie_warden_core::set_cookie::parse;
use criterion::{Criterion, criterion_group, criterion_main};

const POLICY: &str = include_str!("../tests/decide_policy.toml");
const NOW: i64 = 1_700_000_000;

const ALLOW: &[u8] = b"sid=8f14e45fceea167a5a36dedd4bea2543; Path=/; Secure; HttpOnly; SameSite=Lax";
const FIX: &[u8] = b"sid=8f14e45fceea167a5a36dedd4bea2543; Path=/; Max-Age=3600; Secure";
const STRIP: &[u8] = b"_ga=GA1.2.1234567890.1700000000; Path=/; Domain=example.com; Max-Age=63072000";
const ALLOW_2: &[u8] = b"lang=sv; Path=/; Max-Age=31536000; Secure; SameSite=Lax";

fn bench_decide(c: &mut Criterion) {
    let policy = from_toml_str("decide_policy.toml", POLICY)
        .expect("the bench policy loads")
        .policy;
    let request = RequestContext {
        url: RequestUrl {
            secure: true,
            host: "www.example.com",
            path: "/mina-sidor/start",
        },
        method: "GET",
        gpc: false,
        consent_cookie: Some(ConsentCookie(b"necessary,functional,statistics")),
    };
    let judge = policy.judge(&request);
    for (header, verdict) in [
        (ALLOW, Verdict::Allow),
        (FIX, Verdict::Fix),
        (STRIP, Verdict::Strip),
        (ALLOW_2, Verdict::Allow),
    ] {
        assert_eq!(
            judge.decide(header, NOW).verdict,
            verdict,
            "{}",
            String::from_utf8_lossy(header)
        );
    }

    let mut group = c.benchmark_group("decide");
    group.bench_function("allow", |b| {
        b.iter(|| judge.decide(black_box(ALLOW), NOW));
    });
    group.bench_function("fix", |b| {
        b.iter(|| judge.decide(black_box(FIX), NOW));
    });
    group.bench_function("strip", |b| {
        b.iter(|| judge.decide(black_box(STRIP), NOW));
    });
    group.bench_function("response_4_headers", |b| {
        b.iter(|| {
            for header in [ALLOW, FIX, STRIP, ALLOW_2] {
                black_box(judge.decide(black_box(header), NOW));
            }
        });
    });
    // The parts of the allow path, for comparison.
    group.bench_function("allow_parse_only", |b| {
        b.iter(|| parse(black_box(ALLOW), &request.url));
    });
    let scope = judge.scope_id();
    group.bench_function("allow_match_only", |b| {
        b.iter(|| policy.match_name(black_box(b"sid"), scope));
    });
    group.bench_function("judge_request", |b| {
        b.iter(|| black_box(policy.judge(black_box(&request))));
    });
    let no_consent_cookie = RequestContext {
        consent_cookie: None,
        ..request
    };
    group.bench_function("judge_request_without_consent_cookie", |b| {
        b.iter(|| black_box(policy.judge(black_box(&no_consent_cookie))));
    });
    group.finish();
}

criterion_group!(benches, bench_decide);
criterion_main!(benches);

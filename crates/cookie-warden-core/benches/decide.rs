//! Decisions per `Set-Cookie` header: the allow, fix and strip paths, a four-header response
//! (allow, fix, strip, allow), and resolving a request (`judge`: scope and consent).
//!
//! Run with `cargo bench -p cookie-warden-core --bench decide`. Targets: ≤ 100 ns for allow,
//! ≤ 400 ns for the four-header response.

use std::hint::black_box;

use cookie_warden_core::decision::Verdict;
use cookie_warden_core::policy::load::from_toml_str;
use cookie_warden_core::request::RequestContext;
use cookie_warden_core::set_cookie::parse;
use criterion::{Criterion, criterion_group, criterion_main};

mod inputs;

use inputs::{ALLOW, ALLOW_2, FIX, NOW, POLICY, STRIP, request};

fn bench_decide(c: &mut Criterion) {
    let policy = from_toml_str("decide_policy.toml", POLICY)
        .expect("the bench policy loads")
        .policy;
    let request = request();
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

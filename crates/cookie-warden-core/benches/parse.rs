//! Set-Cookie parsing speed: ns per header for a typical 4-attribute header, a header with an
//! Expires date, and a 200-byte value; the `cookie` crate's `Cookie::parse` on the same inputs for
//! comparison (it allocates and reads cookies differently from browsers, see DESIGN.md).
//!
//! `cargo bench -p cookie-warden-core --bench parse -- --warm-up-time 1 --measurement-time 3`

#![allow(missing_docs, reason = "criterion's macros generate undocumented items")]

use std::hint::black_box;

use cookie_warden_core::request::RequestUrl;
use cookie_warden_core::set_cookie::parse;
use criterion::{Criterion, criterion_group, criterion_main};

const URL: RequestUrl<'static> = RequestUrl {
    secure: true,
    host: "www.example.com",
    path: "/account/login",
};

fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let long_value = "v".repeat(200);
    vec![
        (
            "typical_4_attributes",
            b"sid=31d4d96e407aad42; Path=/; Secure; HttpOnly; SameSite=Lax".to_vec(),
        ),
        // 9 June 2033 is a Thursday: the wrong day name puts this header outside the proven
        // subset (the strict pass stops at the Expires, the general algorithm reads the rest).
        (
            "with_expires",
            b"lang=en-US; Path=/; Domain=example.com; Expires=Wed, 09 Jun 2033 10:18:14 GMT; Secure".to_vec(),
        ),
        // The same with the right day name: read by the strict pass alone.
        (
            "with_expires_strict",
            b"lang=en-US; Path=/; Domain=example.com; Expires=Thu, 09 Jun 2033 10:18:14 GMT; Secure".to_vec(),
        ),
        (
            "value_200_bytes",
            format!("token={long_value}; Path=/; Secure; HttpOnly").into_bytes(),
        ),
    ]
}

fn bench_parse(c: &mut Criterion) {
    for (name, header) in inputs() {
        let mut group = c.benchmark_group(name);
        group.bench_function("cookie_warden", |b| {
            b.iter(|| parse(black_box(&header), black_box(&URL)));
        });
        let text = String::from_utf8(header.clone()).expect("bench inputs are UTF-8");
        group.bench_function("cookie_crate", |b| {
            b.iter(|| cookie::Cookie::parse(black_box(text.as_str())));
        });
        group.finish();
    }
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);

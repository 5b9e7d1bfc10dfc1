//! A harness for counting instructions with callgrind: runs one operation of the criterion benches
//! `COUNT` times, so that `(Ir(COUNT) - Ir(0)) / COUNT` is the cost of one call, without timing noise.
//!
//! ```sh
//! cargo build --release -p cookie-warden-core --example instructions
//! for n in 0 10000; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/instructions decide_allow $n 2>&1 | grep Collected
//! done
//! ```
//!
//! Operations: `decide_allow`, `decide_allow_2`, `decide_4_headers` (the `decide` bench's inputs and
//! policy), `parse_typical`, `parse_lowercase` (the same header in lower case), `parse_with_expires`, `parse_with_expires_strict` (the `parse` bench's), `fora_response` (the four
//! `Set-Cookie` of the load bench's `/set-cookies` under `config/fora.toml`: what the layer and the
//! proxy decide per request; run from the workspace root).

#![allow(clippy::print_stderr, reason = "a command-line harness")]

use std::hint::black_box;

use cookie_warden_core::policy::load::from_toml_str;
use cookie_warden_core::request::{RequestContext, RequestUrl};
use cookie_warden_core::set_cookie::parse;

#[path = "../benches/inputs/mod.rs"]
mod inputs;

use inputs::{ALLOW, ALLOW_2, FIX, NOW, POLICY, STRIP};

/// `bench/servers/src/responses.rs`: allow, fix, strip, allow.
const FORA_SET_COOKIES: [&[u8]; 4] = [
    b"__RequestVerificationToken=CfDJ8bench0000000000000000token; Path=/; Secure; HttpOnly; SameSite=Lax",
    b"accepted_cookies=true; Path=/; Max-Age=31536000; SameSite=Lax",
    b"bench_tracker=5f3c9a1e77d2; Path=/; Max-Age=31536000",
    b"_pk_testcookie=1; Path=/; Max-Age=86400; Secure; HttpOnly; SameSite=Lax",
];

const PARSE_URL: RequestUrl<'static> = RequestUrl {
    secure: true,
    host: "www.example.com",
    path: "/account/login",
};
const TYPICAL: &[u8] = b"sid=31d4d96e407aad42; Path=/; Secure; HttpOnly; SameSite=Lax";
/// The typical header as some frameworks write it: outside the subset from its first attribute.
const LOWERCASE: &[u8] = b"sid=31d4d96e407aad42; path=/; secure; httponly; samesite=lax";
/// 9 June 2033 is a Thursday: outside the proven subset (see the `parse` bench).
const WITH_EXPIRES: &[u8] =
    b"lang=en-US; Path=/; Domain=example.com; Expires=Wed, 09 Jun 2033 10:18:14 GMT; Secure";
/// The same with the right day name.
const WITH_EXPIRES_STRICT: &[u8] =
    b"lang=en-US; Path=/; Domain=example.com; Expires=Thu, 09 Jun 2033 10:18:14 GMT; Secure";

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(what), Some(count)) = (args.next(), args.next()) else {
        eprintln!("usage: instructions OPERATION COUNT");
        std::process::exit(2);
    };
    let count: u64 = count.parse().unwrap_or_else(|_| {
        eprintln!("COUNT must be a number");
        std::process::exit(2);
    });
    let policy = from_toml_str("decide_policy.toml", POLICY)
        .unwrap_or_else(|e| {
            eprintln!("the bench policy does not load: {e}");
            std::process::exit(1);
        })
        .policy;
    let request = inputs::request();
    let judge = policy.judge(&request);
    match what.as_str() {
        "decide_allow" => (0..count).for_each(|_| drop(black_box(judge.decide(black_box(ALLOW), NOW)))),
        "decide_allow_2" => (0..count).for_each(|_| drop(black_box(judge.decide(black_box(ALLOW_2), NOW)))),
        "decide_4_headers" => (0..count).for_each(|_| {
            for header in [ALLOW, FIX, STRIP, ALLOW_2] {
                drop(black_box(judge.decide(black_box(header), NOW)));
            }
        }),
        "parse_typical" => (0..count).for_each(|_| drop(black_box(parse(black_box(TYPICAL), &PARSE_URL)))),
        "parse_lowercase" => {
            (0..count).for_each(|_| drop(black_box(parse(black_box(LOWERCASE), &PARSE_URL))));
        }
        "parse_with_expires" => {
            (0..count).for_each(|_| drop(black_box(parse(black_box(WITH_EXPIRES), &PARSE_URL))));
        }
        "parse_with_expires_strict" => {
            (0..count).for_each(|_| drop(black_box(parse(black_box(WITH_EXPIRES_STRICT), &PARSE_URL))));
        }
        "fora_response" => {
            // Read at run time (the file lives outside this crate): run from the workspace root.
            let text = std::fs::read_to_string("config/fora.toml").unwrap_or_else(|e| {
                eprintln!("config/fora.toml (run from the workspace root): {e}");
                std::process::exit(1);
            });
            let fora = from_toml_str("fora.toml", &text)
                .unwrap_or_else(|e| {
                    eprintln!("config/fora.toml does not load: {e}");
                    std::process::exit(1);
                })
                .policy;
            let request = RequestContext {
                url: RequestUrl {
                    secure: true,
                    host: "www.fora.se",
                    path: "/set-cookies",
                },
                method: "GET",
                gpc: false,
                consent_cookie: None,
            };
            let judge = fora.judge(&request);
            (0..count).for_each(|_| {
                for header in FORA_SET_COOKIES {
                    drop(black_box(judge.decide(black_box(header), NOW)));
                }
            });
        }
        other => {
            eprintln!("unknown operation {other}");
            std::process::exit(2);
        }
    }
}

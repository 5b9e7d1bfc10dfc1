//! Fuzz target: the Set-Cookie parser on arbitrary bytes. The input layout and the invariants live
//! in `checks/parse_set_cookie.rs`, which `tests/tests/fuzz_bodies.rs` also runs over the seed
//! corpus.

#![no_main]

#[path = "../checks/parse_set_cookie.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| checks::check(data));

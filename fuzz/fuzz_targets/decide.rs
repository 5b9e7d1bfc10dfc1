//! Fuzz target: decide() over `config/fora.toml` and variants of it, with arbitrary request URLs,
//! `Cookie` headers and `Set-Cookie` headers. The input layout and every invariant live in
//! `checks/decide.rs`, which `tests/tests/fuzz_bodies.rs` also runs over the seed corpus.

#![no_main]

#[path = "../checks/decide.rs"]
mod checks;

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;

static VARIANTS: LazyLock<Vec<checks::Variant>> = LazyLock::new(checks::variants);

fuzz_target!(|data: &[u8]| checks::check(&VARIANTS, data));

//! Fuzz target: arbitrary bytes as a policy file. Loading never panics, and a policy that loads
//! compiles, renders and decides (invariants in `checks/policy_load.rs`, which
//! `tests/tests/fuzz_bodies.rs` also runs over the seed corpus).

#![no_main]

#[path = "../checks/policy_load.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| checks::check(data));

//! Name matching at 10, 1,000 and 10,000 rules: the cost should not grow with the policy.
//!
//! Each policy holds equal shares of exact names (`exact_<i>`), globs (`glob_<i>_*`) and templates
//! (`tpl_<i>_{id}_end`), spread over two scopes. Four names are matched in a scope: an exact
//! hit, a glob hit, a template hit and an unlisted name.
//!
//! Run with `cargo bench -p cookie-warden-core --bench matching -- --warm-up-time 1 --measurement-time 3`.

use std::fmt::Write as _;
use std::hint::black_box;

use cookie_warden_core::policy::{CompiledPolicy, NameMatch, from_toml_str};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

fn policy(rules: usize) -> CompiledPolicy {
    let mut text = String::from(
        "version = 1\n[[scope]]\nid = \"a\"\nhosts = [\"a.example\"]\n[[scope]]\nid = \"b\"\nhosts = [\"b.example\"]\n",
    );
    for i in 0..rules {
        let scope = if i % 2 == 0 { "a" } else { "b" };
        let name = match i % 3 {
            0 => format!("exact_{i}"),
            1 => format!("glob_{i}_*"),
            _ => format!("tpl_{i}_{{id}}_end"),
        };
        let _ = write!(
            text,
            "[[cookie]]\nname = \"{name}\"\nscopes = [\"{scope}\"]\nlifetime = \"session\"\n"
        );
    }
    from_toml_str("bench.toml", &text)
        .unwrap_or_else(|e| panic!("{e}"))
        .policy
}

fn matching(c: &mut Criterion) {
    let mut group = c.benchmark_group("match_name");
    for rules in [10, 1_000, 10_000] {
        let policy = policy(rules);
        // Rule 6 is exact (scope a), 7 a glob (scope b), 8 a template (scope a): present at every size.
        let scope_a = policy.scope_for("a.example", "/");
        let scope_b = policy.scope_for("b.example", "/");
        let cases: [(&str, &[u8], _, bool); 4] = [
            ("exact", b"exact_6", scope_a, true),
            ("glob", b"glob_7_server42", scope_b, true),
            ("template", b"tpl_8_A1b2_end", scope_a, true),
            ("unlisted", b"_ga_tracker", scope_a, false),
        ];
        for (what, name, scope, listed) in cases {
            let found = policy.match_name(name, scope);
            assert_eq!(
                matches!(found, NameMatch::InScope(_)),
                listed,
                "{what} at {rules} rules"
            );
            assert_eq!(
                matches!(found, NameMatch::Unlisted),
                !listed,
                "{what} at {rules} rules"
            );
            group.bench_with_input(BenchmarkId::new(what, rules), &rules, |b, _| {
                b.iter(|| policy.match_name(black_box(name), black_box(scope)));
            });
        }
        group.bench_with_input(BenchmarkId::new("scope_for", rules), &rules, |b, _| {
            b.iter(|| policy.scope_for(black_box("b.example"), black_box("/app/x")));
        });
    }
    group.finish();
}

fn compiling(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    for rules in [10, 1_000, 10_000] {
        group.bench_with_input(BenchmarkId::from_parameter(rules), &rules, |b, &rules| {
            b.iter(|| policy(rules));
        });
    }
    group.finish();
}

criterion_group!(benches, matching, compiling);
criterion_main!(benches);

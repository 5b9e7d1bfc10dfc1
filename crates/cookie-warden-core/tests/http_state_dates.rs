//! Every cookie-date case of the http-state suite (`corpus/http-state/tests/data/dates/`) must parse
//! per draft-ietf-httpbis-rfc6265bis-22 §5.1.1: to the expected instant, or not at all.

use cookie_warden_core::set_cookie::ImfFixdate;
use cookie_warden_core::set_cookie::date::parse_cookie_date;
use serde_json::Value;

const DATES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/http-state/tests/data/dates"
);

/// Runs one file of `{ "test": input, "expected": IMF-fixdate or null }` cases; returns
/// (cases run, failures). Lines starting with `//` are comments (bsd-examples.json).
fn run(file: &str) -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(format!("{DATES}/{file}")).expect("read an http-state date file");
    let json: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let cases: Vec<Value> = serde_json::from_str(&json).expect("a date file is a JSON array");
    let mut failures = Vec::new();
    for case in &cases {
        let input = case["test"].as_str().unwrap();
        let got = parse_cookie_date(input.as_bytes())
            .ok()
            .map(|at| ImfFixdate(at).to_string());
        let want = case["expected"].as_str();
        if got.as_deref() != want {
            failures.push(format!("{file}: {input:?} gave {got:?}, expected {want:?}"));
        }
    }
    (cases.len(), failures)
}

#[test]
fn http_state_examples() {
    let (count, failures) = run("examples.json");
    assert!(count >= 10, "only {count} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn http_state_bsd_examples() {
    let (count, failures) = run("bsd-examples.json");
    assert!(count >= 50, "only {count} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

//! End-to-end tests of `cookie-warden parse`: the built binary, real stdin and stdout.

use std::collections::BTreeMap;
mod common;

use std::process::Output;

use serde_json::Value;

const CASES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/set-cookie-cases.jsonl"
);

/// Runs `cookie-warden parse ARGS` with `stdin`; the child is waited for (it ends when stdin closes).
fn run(args: &[&str], stdin: &[u8]) -> Output {
    let args: Vec<&str> = std::iter::once("parse").chain(args.iter().copied()).collect();
    common::run_with_stdin(&args, &[], stdin)
}

fn json_lines(output: &Output) -> Vec<Value> {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone())
        .expect("stdout is UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each stdout line is JSON"))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const FIELDS: [&str; 13] = [
    "input",
    "ignored",
    "reason",
    "name",
    "value",
    "max_age",
    "expires",
    "secure",
    "http_only",
    "same_site",
    "path",
    "domain",
    "partitioned",
];

/// The whole corpus through the binary (as hex, grouped by request URL): every expectation holds.
#[test]
fn corpus_through_the_binary() {
    let text = std::fs::read_to_string(CASES).expect("read the shared conformance corpus");
    let mut by_url: BTreeMap<String, Vec<(String, Vec<u8>, Value)>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).unwrap();
        let header = match case.get("set_cookie_hex") {
            Some(Value::String(h)) => (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                .collect(),
            _ => case["set_cookie"].as_str().unwrap().as_bytes().to_vec(),
        };
        let url = case["context"]["request_uri"].as_str().unwrap().to_owned();
        by_url.entry(url).or_default().push((
            case["id"].as_str().unwrap().to_owned(),
            header,
            case["expect"].clone(),
        ));
    }
    let mut failures = Vec::new();
    let mut total = 0;
    for (url, cases) in &by_url {
        let stdin: String = cases.iter().map(|(_, header, _)| hex(header) + "\n").collect();
        let lines = json_lines(&run(&["--url", url, "--input", "hex"], stdin.as_bytes()));
        assert_eq!(lines.len(), cases.len(), "one output line per input line");
        for ((id, header, expect), got) in cases.iter().zip(&lines) {
            total += 1;
            let object = got.as_object().unwrap();
            let mut wrong: Vec<&str> = FIELDS
                .iter()
                .copied()
                .filter(|f| !object.contains_key(*f))
                .collect();
            if got["input"].as_str() != Some(hex(header).as_str()) {
                wrong.push("input");
            }
            for field in FIELDS.iter().skip(1).filter(|f| **f != "reason") {
                let want = expect.get(*field).unwrap_or(&Value::Null);
                // Bytes that are not UTF-8 come as name_hex/value_hex in both.
                let hex_field = format!("{field}_hex");
                if expect.get(&hex_field).is_some() {
                    if got.get(&hex_field) != expect.get(&hex_field) || !got[*field].is_null() {
                        wrong.push(field);
                    }
                } else if &got[*field] != want {
                    wrong.push(field);
                }
            }
            if got["ignored"] == Value::Bool(true) && !got["reason"].is_string() {
                wrong.push("reason");
            }
            if !wrong.is_empty() {
                failures.push(format!("{id}: {}", wrong.join(",")));
            }
        }
    }
    assert!(total >= 100, "only {total} cases");
    assert!(
        failures.is_empty(),
        "{} of {total} cases fail: {}",
        failures.len(),
        failures.join("; ")
    );
}

#[test]
fn text_lines_including_non_utf8_and_crlf() {
    let stdin = b"sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax\r\nfoo\n\xff=\xfe; Domain=Example.COM\n=\n";
    let lines = json_lines(&run(&[], stdin));
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0]["input"],
        "sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax"
    );
    assert_eq!(lines[0]["name"], "sid");
    assert_eq!(lines[0]["value"], "abc");
    assert_eq!(lines[0]["same_site"], "Lax");
    assert_eq!(lines[0]["http_only"], true);
    assert_eq!(lines[1]["name"], "");
    assert_eq!(lines[1]["value"], "foo");
    assert_eq!(lines[2]["input"], Value::Null);
    assert_eq!(
        lines[2]["input_hex"],
        "ff3dfe3b20446f6d61696e3d4578616d706c652e434f4d"
    );
    assert_eq!(lines[2]["name"], Value::Null);
    assert_eq!(lines[2]["name_hex"], "ff");
    assert_eq!(lines[2]["value_hex"], "fe");
    assert_eq!(lines[2]["domain"], "example.com");
    assert_eq!(lines[3]["ignored"], true);
    assert_eq!(lines[3]["reason"], "empty_name_and_value");
    assert_eq!(lines[3]["name"], Value::Null);
}

#[test]
fn url_decides_secure_and_default_path() {
    let stdin = b"a=1; Secure\nb=2; Path=x\n";
    let lines = json_lines(&run(&["--url", "http://www.example.com/dir/page"], stdin));
    assert_eq!(lines[0]["ignored"], true);
    assert_eq!(lines[0]["reason"], "secure_from_insecure_origin");
    assert_eq!(lines[1]["path"], "/dir");
    let lines = json_lines(&run(&[], b"a=1; Secure; Max-Age=99999999999\n"));
    assert_eq!(lines[0]["ignored"], false);
    assert_eq!(lines[0]["max_age"], 34_560_000);
}

/// `proven`: whether the line lies inside the subset every reader reads alike (issue 14).
#[test]
fn proven_says_whether_a_line_may_leave_byte_for_byte() {
    let stdin = b"sid=1; Path=/; Secure; HttpOnly; SameSite=Lax\n\
        sid=1; path=/; secure\n\
        sid=1; Expires=Wed, 01 Jan 02030 00:00:00 GMT\n\
        tracker=1; Expires=01 Jan 1999:00 2030 00:00:00\n\
        tracker=; Max-Age=0\n\
        a=1; Secure\n";
    let lines = json_lines(&run(&["--url", "https://www.example.com/"], stdin));
    let proven: Vec<&Value> = lines.iter().map(|line| &line["proven"]).collect();
    assert_eq!(proven, [true, false, false, false, true, true]);
    let lines = json_lines(&run(&["--url", "http://www.example.com/"], b"a=1; Secure\n"));
    assert_eq!(
        (&lines[0]["ignored"], &lines[0]["proven"]),
        (&true.into(), &false.into())
    );
}

#[test]
fn empty_stdin_prints_nothing() {
    let output = run(&[], b"");
    assert!(output.status.success());
    assert!(output.stdout.is_empty());
}

fn assert_usage_error(output: &Output, mentions: &str) {
    assert_eq!(
        output.status.code(),
        Some(2),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(mentions),
        "stderr {stderr:?} should mention {mentions:?}"
    );
}

#[test]
fn bad_usage_exits_2_with_a_clear_message() {
    assert_usage_error(&run(&["--url", "example.com/"], b""), "has no scheme");
    assert_usage_error(&run(&["--url", "ftp://example.com/"], b""), "unsupported scheme");
    assert_usage_error(&run(&["--input", "binary"], b""), "possible values");
    assert_usage_error(&run(&["--bogus"], b""), "--bogus");
}

#[test]
fn bad_hex_names_the_line_but_not_its_content() {
    let output = run(&["--input", "hex"], b"613d31\nsecretvalue\n");
    assert_usage_error(&output, "stdin line 2");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("secretvalue"));
    // The line before the bad one was already answered.
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 1);
}

#[test]
fn help_says_values_are_printed() {
    let output = run(&["--help"], b"");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("prints cookie values"), "{help}");
    assert!(help.contains("--url"));
    assert!(help.contains("--input"));
}

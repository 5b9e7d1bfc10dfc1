//! Broken HAR files get clear errors: the file, the JSON path, what is wrong; exit 2.

mod har_fixture;

use har_fixture::{Exchange, har, run, scratch, texts, write};

const POLICY: &str = "version = 1\n[[cookie]]\nname = \"sid\"\nlifetime = \"session\"\n";

fn audit(test: &str, har_text: &str) -> (i32, String) {
    let dir = scratch(test);
    let policy = write(&dir, "policy.toml", POLICY);
    let file = write(&dir, "broken.har", har_text);
    let output = run([
        "audit".as_ref(),
        "--config".as_ref(),
        policy.as_os_str(),
        file.as_os_str(),
    ]);
    let (stdout, stderr) = texts(&output);
    assert!(stdout.is_empty(), "no report for a broken file: {stdout}");
    assert!(
        stderr.contains("broken.har"),
        "the error names the file: {stderr}"
    );
    (output.status.code().unwrap(), stderr)
}

#[test]
fn truncated_json_names_file_line_and_path() {
    let text = har(&[Exchange::get("https://example.com/", &["sid=1"])]).to_string();
    let (code, stderr) = audit("truncated_json", &text[..text.len() / 2]);
    assert_eq!(code, 2);
    assert!(stderr.contains("JSON path `log.entries[0]"), "{stderr}");
    assert!(stderr.contains("EOF while parsing"), "{stderr}");
}

#[test]
fn not_json_at_all() {
    let (code, stderr) = audit("not_json_at_all", "<html>not a har</html>");
    assert_eq!(code, 2);
    assert!(stderr.contains("line 1, column 1"), "{stderr}");
}

#[test]
fn missing_fields_are_named_with_their_path() {
    let mut value = har(&[
        Exchange::get("https://example.com/", &["sid=1"]),
        Exchange::get("https://example.com/b", &["sid=2"]),
    ]);
    value["log"]["entries"][1]["request"]
        .as_object_mut()
        .unwrap()
        .remove("url");
    let (code, stderr) = audit("missing_url", &value.to_string());
    assert_eq!(code, 2);
    assert!(stderr.contains("JSON path `log.entries[1].request"), "{stderr}");
    assert!(stderr.contains("missing field `url`"), "{stderr}");

    let mut value = har(&[Exchange::get("https://example.com/", &[])]);
    value["log"]["entries"][0]
        .as_object_mut()
        .unwrap()
        .remove("startedDateTime");
    let (_, stderr) = audit("missing_started", &value.to_string());
    assert!(stderr.contains("missing field `startedDateTime`"), "{stderr}");

    let (code, stderr) = audit("missing_log", r#"{"version":"1.2"}"#);
    assert_eq!(code, 2);
    assert!(stderr.contains("missing field `log`"), "{stderr}");

    let (_, stderr) = audit("missing_entries", r#"{"log":{"version":"1.2","pages":[]}}"#);
    assert!(
        stderr.contains("JSON path `log`") && stderr.contains("missing field `entries`"),
        "{stderr}"
    );
}

#[test]
fn wrong_types_never_echo_a_cookie_value() {
    let mut value = har(&[Exchange::get("https://example.com/", &[])]);
    value["log"]["entries"][0]["response"]["headers"] = "set-cookie: sid=VALUE-SECRET".into();
    let (code, stderr) = audit("wrong_type", &value.to_string());
    assert_eq!(code, 2);
    assert!(
        stderr.contains("JSON path `log.entries[0].response.headers`"),
        "{stderr}"
    );
    assert!(stderr.contains("expected a sequence"), "{stderr}");
    assert!(!stderr.contains("VALUE-SECRET"), "{stderr}");
}

#[test]
fn unusable_values_are_named_with_their_path() {
    let mut value = har(&[
        Exchange::get("https://example.com/", &[]),
        Exchange::get("https://example.com/", &[]),
    ]);
    value["log"]["entries"][1]["request"]["url"] = "not a url".into();
    let (code, stderr) = audit("bad_url", &value.to_string());
    assert_eq!(code, 2);
    assert!(
        stderr.contains("JSON path `log.entries[1].request.url`") && stderr.contains("not an absolute URL"),
        "{stderr}"
    );

    let mut value = har(&[Exchange::get("https://example.com/", &[])]);
    value["log"]["entries"][0]["startedDateTime"] = "yesterday".into();
    let (_, stderr) = audit("bad_date", &value.to_string());
    assert!(
        stderr.contains("log.entries[0].startedDateTime") && stderr.contains("ISO 8601"),
        "{stderr}"
    );
}

#[test]
fn a_missing_file_is_a_usage_error() {
    let dir = scratch("a_missing_file_is_a_usage_error");
    let policy = write(&dir, "policy.toml", POLICY);
    let output = run([
        "audit".as_ref(),
        "--config".as_ref(),
        policy.as_os_str(),
        dir.join("nope.har").as_os_str(),
    ]);
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("nope.har") && stderr.contains("cannot read"),
        "{stderr}"
    );
    let output = run([
        "audit".as_ref(),
        "--config".as_ref(),
        policy.as_os_str(),
        dir.as_os_str(),
    ]);
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("cannot read the HAR file: it is a directory"),
        "{stderr}"
    );
}

//! `cookie-warden report`: the report of logs the real proxy wrote on scripted traffic has the
//! right counts; hostile names and paths are escaped and the page is well-formed HTML5; memory
//! stays bounded however many lines are read.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cookie_warden_tests::upstream::{self, full};
use cookie_warden_tests::{Running, TempDir, binary, http_client};
use http::{Request, Response, header};
use http_body_util::Full;
use serde_json::Value;

/// A cookie value that must never appear in a log, a report or a page.
const SECRET: &str = "VALUE-SECRET-4711";

const POLICY: &str = r#"
version = 1

[enforcement]
request_cookies = "report"

[[scope]]
id = "shop"
hosts = ["shop.example"]
paths = ["/"]

[[cookie]]
name = "sid"
lifetime = "session"
"#;

/// `/a` sets a session cookie with an expiry (fixed: `not_session`) and an unlisted tracker
/// (stripped); `/b` sets the tracker only.
async fn handle(request: Request<hyper::body::Incoming>) -> Response<upstream::Body> {
    let mut response = Response::new(full("ok"));
    let mut set = |value: String| {
        response
            .headers_mut()
            .append(header::SET_COOKIE, value.parse().unwrap());
    };
    if request.uri().path() == "/a" {
        set(format!(
            "sid={SECRET}; Max-Age=60; Secure; HttpOnly; SameSite=Lax"
        ));
    }
    set(format!("tracker={SECRET}; Secure; HttpOnly; SameSite=Lax"));
    response
}

async fn get(proxy: &Running, path: &str, cookie: Option<&str>) {
    let mut request = Request::get(proxy.url(path)).header(header::HOST, "shop.example");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let reply = http_client::send(request.body(Full::new(Bytes::new())).unwrap(), false).await;
    assert_eq!(reply.status, 200);
}

/// Runs `cookie-warden report ARGS…`; returns (exit code, stdout, stderr).
fn run_report(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(binary())
        .arg("report")
        .args(args)
        .output()
        .expect("report runs");
    (
        output.status.code(),
        String::from_utf8(output.stdout).expect("utf-8 output"),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The parse errors an HTML5 parser finds in `page`.
fn parse_errors(page: &str) -> Vec<String> {
    let document = scraper::Html::parse_document(page);
    document.errors.iter().map(ToString::to_string).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_of_real_proxy_logs_has_the_right_counts() {
    let upstream = upstream::serve(handle).await;
    let dir = TempDir::new();
    let policy = dir.write("policy.toml", POLICY);
    let mut proxy = Running::start(
        &[
            "proxy",
            "--config",
            policy.to_str().unwrap(),
            "--upstream",
            &format!("http://{upstream}"),
            "--listen",
            "127.0.0.1:0",
            "--assume-https",
            "--log-format",
            "json",
        ],
        &[],
    );
    for _ in 0..3 {
        get(&proxy, "/a", None).await;
    }
    get(&proxy, &format!("/b?token={SECRET}"), None).await;
    get(&proxy, "/b", None).await;
    // Two unlisted cookies sent by the client: reported on the request side.
    get(&proxy, "/a", Some(&format!("rogue1={SECRET}; rogue2={SECRET}"))).await;

    // 4 × sid fixed, 6 × tracker stripped, and the request side.
    let violation_lines = |proxy: &Running| -> Vec<String> {
        proxy
            .stderr()
            .into_iter()
            .filter(|l| l.contains("cookie policy violation"))
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while violation_lines(&proxy).len() < 11 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    proxy.signal(nix::sys::signal::Signal::SIGTERM);
    proxy.wait_exit(Duration::from_secs(10));
    let log = proxy.stderr().join("\n") + "\nnot json at all\n";
    assert!(!log.contains(SECRET), "a cookie value reached the log");
    let log_file = dir.write("proxy.log", &log);

    let (code, json, stderr) = run_report(&["--format", "json", log_file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!json.contains(SECRET));
    let report: Value = serde_json::from_str(&json).expect("a JSON report");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["by_action"]["fixed"], 4, "{json}");
    assert_eq!(report["by_action"]["stripped"], 6, "{json}");
    assert_eq!(report["by_action"]["reported"], 2, "{json}");
    assert_eq!(report["by_action"]["blocked"], 0, "{json}");
    assert_eq!(report["violations"], 12, "{json}");
    assert_eq!(report["skipped"]["not_json"], 1, "{json}");
    assert!(
        report["skipped"]["not_violation"].as_u64().unwrap() >= 1,
        "the startup line"
    );
    assert!(
        stderr.contains("skipped 1 line(s) that were not JSON"),
        "{stderr}"
    );
    assert_eq!(report["policy_digest_not_recorded"], 12, "{json}");
    let row = |table: &str, key: &str| -> Value {
        report[table]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == key)
            .unwrap_or_else(|| panic!("no {key} in {table}: {json}"))
            .clone()
    };
    assert_eq!(row("sides", "response")["count"], 10);
    assert_eq!(row("sides", "request")["count"], 2);
    assert_eq!(row("scopes", "shop")["count"], 12);
    assert_eq!(row("kinds", "not_session")["count"], 4);
    let cookies = report["cookies"].as_array().unwrap();
    let tracker = cookies.iter().find(|c| c["name"] == "tracker").expect("tracker");
    assert_eq!(tracker["count"], 6);
    assert_eq!(tracker["rule"], Value::Null);
    assert_eq!(tracker["kinds"][0]["kind"], "unlisted");
    assert_eq!(tracker["scopes"][0], "shop");
    let examples: Vec<&str> = tracker["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(examples.contains(&"shop.example/b"), "{examples:?}");
    assert!(examples.iter().all(|e| !e.contains('?')), "{examples:?}");
    let sid = cookies.iter().find(|c| c["name"] == "sid").expect("sid");
    assert_eq!(
        (sid["count"].clone(), sid["rule"].clone()),
        (4.into(), "sid".into())
    );
    assert!(sid["first_seen"].is_string() && sid["last_seen"].is_string());
    assert_eq!(report["timeline"]["bucket"], "hour");
    let charted: u64 = report["timeline"]["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["by_action"].as_object().unwrap().values())
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(charted, 12);

    // The page from the same log, through stdin and gzip-free: well-formed, no value.
    let (code, page, stderr) = run_report(&[log_file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(parse_errors(&page), Vec::<String>::new());
    assert!(!page.contains(SECRET));
    assert!(page.contains("<caption>Cookies by number of violations</caption>"));
}

#[test]
fn hostile_names_and_paths_are_escaped_and_the_page_is_well_formed() {
    let dir = TempDir::new();
    let line = |name: &str, path: &str| {
        serde_json::json!({
            "timestamp": "2026-12-03T10:00:00Z", "level": "WARN", "message": "cookie policy violation",
            "cookie.name": name, "cookie.rule": name, "violation": "unlisted", "action": "stripped",
            "scope": "<b>scope</b>", "url.path": path, "server.address": "h.example", "target": "cookie_warden",
        })
        .to_string()
    };
    let mut log = [
        line("<script>alert(1)</script>", "/p?<script>"),
        line("a\"b'c&d", "/\"><img src=x onerror=alert(2)>"),
        line("\u{fffd}bad", "/&amp;"),
        line("", "/nameless"),
    ]
    .join("\n")
    .into_bytes();
    // A line that is not UTF-8 is not JSON: skipped and counted.
    log.extend_from_slice(b"\n{\"message\":\"cookie policy violation\",\"cookie.name\":\"\xff\xfe\"}\n");
    let file = dir.path("hostile.log");
    std::fs::write(&file, &log).unwrap();

    let (code, page, stderr) = run_report(&[file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(parse_errors(&page), Vec::<String>::new(), "{page}");
    let document = scraper::Html::parse_document(&page);
    let select = |css: &str| scraper::Selector::parse(css).unwrap();
    assert_eq!(document.select(&select("script")).count(), 0, "{page}");
    assert_eq!(document.select(&select("img")).count(), 0, "{page}");
    assert_eq!(document.select(&select("b")).count(), 0, "{page}");
    let row_names: Vec<String> = document
        .select(&select("#top-cookies ~ div table tbody th"))
        .map(|th| th.text().collect())
        .collect();
    for name in [
        "<script>alert(1)</script>",
        "a\"b'c&d",
        "\u{fffd}bad",
        "(nameless)",
    ] {
        assert!(row_names.iter().any(|n| n == name), "{name:?} in {row_names:?}");
    }
    // Every table has a caption and header cells; nothing is loaded from elsewhere.
    for table in document.select(&select("table")) {
        assert!(table.select(&select("caption")).next().is_some());
        assert!(table.select(&select("thead th[scope=col]")).next().is_some());
    }
    for attribute in ["src", "href"] {
        for element in document.select(&select(&format!("[{attribute}]"))) {
            let value = element.value().attr(attribute).unwrap();
            assert!(
                value.starts_with('#'),
                "{attribute}={value:?} loads or links elsewhere"
            );
        }
    }
    assert!(page.contains("Content-Security-Policy"));
    assert!(page.contains("1 line(s) were not JSON"), "{page}");
    assert!(
        stderr.contains("skipped 1 line(s) that were not JSON"),
        "{stderr}"
    );
}

#[test]
fn a_truncated_gzip_is_an_error_naming_the_file() {
    let dir = TempDir::new();
    // A gzip header and the start of a deflate stream, cut off.
    let file = dir.path("cut.log.gz");
    std::fs::write(&file, [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03, 0x4b, 0x4c]).unwrap();
    let (code, _, stderr) = run_report(&[file.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("cut.log.gz"), "{stderr}");
    let (code, _, stderr) = run_report(&[dir.path("missing.log").to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("missing.log"), "{stderr}");
}

/// Streams `lines` violation events into `report --format json` on stdin and returns the
/// process's peak resident memory (`VmHWM`, KiB) once every line is written and read, with
/// the wall time.
fn peak_memory_for(lines: usize) -> (u64, Duration) {
    let started = Instant::now();
    let mut child = Command::new(binary())
        .args(["report", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("report starts");
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let mut buffer = String::with_capacity(1 << 20);
    for i in 0..lines {
        let name = format!("cookie_{}", i % 40);
        let hour = (i / 500) % 240;
        buffer.push_str(&format!(
            r#"{{"timestamp":"2026-11-{:02}T{:02}:{:02}:00.000000Z","level":"WARN","message":"cookie policy violation","cookie.name":"{name}","cookie.source":"response","violation":"unlisted","action":"{}","enforced":true,"scope":"s{}","http.request.method":"GET","url.path":"/p/{}","server.address":"www.example.com","http.response.status_code":200,"target":"cookie_warden"}}"#,
            1 + hour / 24,
            hour % 24,
            i % 60,
            ["fixed", "stripped", "blocked", "reported"][i % 4],
            i % 7,
            i % 1000,
        ));
        buffer.push('\n');
        if buffer.len() > (1 << 20) - 1024 {
            stdin.write_all(buffer.as_bytes()).unwrap();
            buffer.clear();
        }
    }
    stdin.write_all(buffer.as_bytes()).unwrap();
    stdin.flush().unwrap();
    // Everything is in the pipe; wait until the process has read it (its CPU time stops growing
    // while it blocks on an empty pipe), then read its peak memory while it is still alive.
    let cpu = || -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
        fields.get(11).and_then(|f| f.parse().ok()).unwrap_or(0)
            + fields.get(12).and_then(|f| f.parse().ok()).unwrap_or(0)
    };
    let mut last = u64::MAX;
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = cpu();
        if now == last {
            break;
        }
        last = now;
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["events"], lines as u64);
    (peak, started.elapsed())
}

#[test]
fn memory_stays_bounded_as_the_log_grows() {
    let (small, small_time) = peak_memory_for(20_000);
    let (large, large_time) = peak_memory_for(200_000);
    eprintln!(
        "report: 20,000 lines: {small} KiB peak in {small_time:?}; 200,000 lines (~70 MB): {large} KiB peak in {large_time:?}"
    );
    // Ten times the input must not mean more memory: allow 4 MiB of noise.
    assert!(
        large <= small + 4 * 1024,
        "{small} KiB for 20,000 lines, {large} KiB for 200,000"
    );
}

//! The pages of `cookie-warden report` and `audit --format html` in Chromium: they open from a
//! file, show their tables and chart, log nothing to the console (no error, no blocked load: the
//! page's own Content-Security-Policy would report any), and are kept as screenshots under
//! `target/browser-screenshots/`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::log::{EnableParams, EventEntryAdded};
use chromiumoxide::cdp::js_protocol::runtime::EventExceptionThrown;
use cookie_warden_tests::browser::{Chromium, LaunchOptions, navigate, run_script, screenshot};
use cookie_warden_tests::{TempDir, binary, workspace_file};
use futures_util::StreamExt;

/// Violation events over two days, as the proxy writes them, with a hostile name among them.
fn log() -> String {
    let mut lines = Vec::new();
    let names = ["_ga", "tracker", "sid", "<script>alert(1)</script>", "lang"];
    let actions = ["fixed", "stripped", "blocked", "reported"];
    let scopes = ["public", "login"];
    for i in 0..400_usize {
        let name = names[(i * 3 + i / 7) % names.len()];
        let hour = (i * 7) % 48;
        lines.push(
            serde_json::json!({
                "timestamp": format!("2026-12-{:02}T{:02}:{:02}:00Z", 1 + hour / 24, hour % 24, i % 60),
                "level": "WARN", "message": "cookie policy violation",
                "cookie.name": name, "cookie.rule": if name == "sid" { Some("sid") } else { None },
                "cookie.source": if i % 5 == 0 { "request" } else { "response" },
                "violation": if name == "sid" { "not_session,missing_secure" } else { "unlisted" },
                "action": actions[(i / 3) % 4], "enforced": true, "scope": scopes[i % 2],
                "url.path": format!("/page/{}", i % 6), "server.address": "www.example.com",
                "target": "cookie_warden",
            })
            .to_string(),
        );
    }
    lines.join("\n")
}

/// A HAR with the seed site's responses: a listed cookie set wrongly, a tracker, a hostile name.
fn har() -> serde_json::Value {
    let entry = |url: &str, set_cookies: &[&str]| {
        let mut headers =
            vec![serde_json::json!({ "name": "date", "value": "Sun, 29 Nov 2026 10:00:00 GMT" })];
        headers.extend(
            set_cookies
                .iter()
                .map(|v| serde_json::json!({ "name": "set-cookie", "value": v })),
        );
        serde_json::json!({
            "startedDateTime": "2026-11-29T10:00:00.000Z", "time": 1,
            "request": { "method": "GET", "url": url, "httpVersion": "HTTP/1.1", "headers": [], "queryString": [],
                         "cookies": [], "headersSize": -1, "bodySize": 0 },
            "response": { "status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": headers,
                          "cookies": [], "content": { "size": 0, "mimeType": "text/html" }, "redirectURL": "",
                          "headersSize": -1, "bodySize": 0 },
            "cache": {}, "timings": { "send": 0, "wait": 1, "receive": 0 }
        })
    };
    serde_json::json!({ "log": { "version": "1.2", "creator": { "name": "test", "version": "1" }, "entries": [
        entry("https://www.fora.se/?q=secret", &["__RequestVerificationToken=v; Max-Age=60", "tracker=v; Secure"]),
        entry("https://www.fora.se/om-oss", &["<script>alert(1)</script>=v; Secure; HttpOnly"]),
        entry("https://etjanster.fora.se/", &["ai_session=v; Path=/; Max-Age=1800; Secure; SameSite=Lax"]),
    ] } })
}

fn page_of(args: &[&str], dir: &TempDir, name: &str) -> String {
    let output = std::process::Command::new(binary())
        .args(args)
        .output()
        .expect("cookie-warden runs");
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{:?}: {}",
        args,
        String::from_utf8_lossy(&output.stderr)
    );
    let html = dir.write(name, &String::from_utf8(output.stdout).expect("utf-8"));
    format!("file://{}", html.display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_and_audit_pages_render_in_chromium_without_console_errors() {
    let test = "report_and_audit_pages_render_in_chromium_without_console_errors";
    let dir = TempDir::new();
    let log = dir.write("proxy.log", &log());
    let report_url = page_of(&["report", log.to_str().unwrap()], &dir, "report.html");
    let har = dir.write("session.har", &har().to_string());
    let config = workspace_file("config/fora.toml");
    let audit_url = page_of(
        &[
            "audit",
            "--config",
            config.to_str().unwrap(),
            "--format",
            "html",
            har.to_str().unwrap(),
        ],
        &dir,
        "audit.html",
    );

    let Some(browser) = Chromium::launch_for_test(test, &LaunchOptions::default()).await else {
        return;
    };
    let page = browser.open("about:blank").await.expect("a tab opens");
    page.execute(EnableParams::default()).await.expect("Log.enable");
    let messages = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut entries = page
        .event_listener::<EventEntryAdded>()
        .await
        .expect("log events");
    let mut exceptions = page
        .event_listener::<EventExceptionThrown>()
        .await
        .expect("exceptions");
    let seen = Arc::clone(&messages);
    let collector = tokio::spawn(async move {
        loop {
            tokio::select! {
                Some(entry) = entries.next() => seen.lock().unwrap().push(format!("{:?}: {}", entry.entry.level, entry.entry.text)),
                Some(thrown) = exceptions.next() => seen.lock().unwrap().push(format!("exception: {:?}", thrown.exception_details.text)),
                else => break,
            }
        }
    });

    let shots = workspace_file("target/browser-screenshots");
    let pages = [
        ("report", report_url, "cookie-warden-report.png"),
        ("audit", audit_url, "cookie-warden-audit.png"),
    ];
    for (what, url, png) in pages {
        navigate(&page, &url).await.expect("the page opens");
        let tables = run_script(&page, "document.querySelectorAll('table caption').length")
            .await
            .expect("tables counted");
        assert!(tables.as_u64().unwrap_or(0) >= 1, "{what}: tables with captions");
        if what == "report" {
            let bars = run_script(&page, "document.querySelectorAll('svg.chart rect').length")
                .await
                .expect("bars counted");
            assert!(
                bars.as_u64().unwrap_or(0) >= 10,
                "the report's charts have bars: {bars}"
            );
            let scripts = run_script(&page, "document.scripts.length")
                .await
                .expect("scripts counted");
            assert_eq!(scripts, 0, "the hostile name stays text");
        }
        let path = shots.join(png);
        screenshot(&page, &path).await.expect("screenshot");
        let bytes = std::fs::read(&path).expect("the screenshot exists");
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10_000,
            "{}",
            path.display()
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    collector.abort();
    let messages = messages.lock().unwrap().clone();
    assert!(messages.is_empty(), "console messages: {messages:#?}");
    drop(page);
    browser.close().await;
}

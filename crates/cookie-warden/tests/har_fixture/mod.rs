//! HAR 1.2 files made by the tests, shaped like Chromium DevTools' "Save all as HAR", and a way to
//! run the built binary on them.

#![allow(dead_code, reason = "each test crate uses a different part of this module")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

/// One request/response pair to put in a HAR.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    pub(crate) method: &'static str,
    pub(crate) url: String,
    pub(crate) started: String,
    pub(crate) request_headers: Vec<(String, String)>,
    pub(crate) response_headers: Vec<(String, String)>,
    pub(crate) response_cookies: Vec<Value>,
}

impl Exchange {
    /// A GET of `url` at 2026-11-29T10:00:00Z whose response carries `set_cookies`, one header each,
    /// and a matching `Date` header.
    pub(crate) fn get(url: &str, set_cookies: &[&str]) -> Self {
        let mut response_headers = vec![
            ("date".to_owned(), "Sun, 29 Nov 2026 10:00:00 GMT".to_owned()),
            ("content-type".to_owned(), "text/html; charset=utf-8".to_owned()),
        ];
        response_headers.extend(
            set_cookies
                .iter()
                .map(|v| ("set-cookie".to_owned(), (*v).to_owned())),
        );
        Exchange {
            method: "GET",
            url: url.to_owned(),
            started: "2026-11-29T10:00:00.000Z".to_owned(),
            request_headers: vec![
                ("accept".to_owned(), "text/html".to_owned()),
                (
                    "user-agent".to_owned(),
                    "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0".to_owned(),
                ),
            ],
            response_headers,
            response_cookies: Vec::new(),
        }
    }

    /// The same exchange with a request header added.
    pub(crate) fn with_request_header(mut self, name: &str, value: &str) -> Self {
        self.request_headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The same exchange with every response header named `name` removed.
    pub(crate) fn without_response_header(mut self, name: &str) -> Self {
        self.response_headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    /// The same exchange with a response header added.
    pub(crate) fn with_response_header(mut self, name: &str, value: &str) -> Self {
        self.response_headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The entry as Chromium writes it.
    pub(crate) fn entry(&self) -> Value {
        let headers = |list: &[(String, String)]| -> Value {
            list.iter()
                .map(|(name, value)| json!({ "name": name, "value": value }))
                .collect()
        };
        let query: Vec<Value> = self
            .url
            .split_once('?')
            .map(|(_, q)| {
                q.split('&')
                    .map(|pair| {
                        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                        json!({ "name": name, "value": value })
                    })
                    .collect()
            })
            .unwrap_or_default();
        json!({
            "_initiator": { "type": "other" },
            "_priority": "VeryHigh",
            "_resourceType": "document",
            "cache": {},
            "connection": "443",
            "pageref": "page_1",
            "request": {
                "method": self.method,
                "url": self.url,
                "httpVersion": "http/2.0",
                "headers": headers(&self.request_headers),
                "queryString": query,
                "cookies": [],
                "headersSize": -1,
                "bodySize": 0
            },
            "response": {
                "status": 200,
                "statusText": "",
                "httpVersion": "http/2.0",
                "headers": headers(&self.response_headers),
                "cookies": self.response_cookies,
                "content": { "size": 12, "mimeType": "text/html", "text": "<p>hello</p>" },
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": -1,
                "_transferSize": 512,
                "_error": null
            },
            "serverIPAddress": "127.0.0.1",
            "startedDateTime": self.started,
            "time": 12.5,
            "timings": {
                "blocked": 0.5, "dns": -1, "ssl": -1, "connect": -1,
                "send": 0.1, "wait": 11.0, "receive": 0.9, "_blocked_queueing": 0.3
            }
        })
    }
}

/// A whole HAR document.
pub(crate) fn har(exchanges: &[Exchange]) -> Value {
    json!({
        "log": {
            "version": "1.2",
            "creator": { "name": "WebInspector", "version": "537.36" },
            "pages": [{
                "startedDateTime": "2026-11-29T10:00:00.000Z",
                "id": "page_1",
                "title": "https://www.example.se/",
                "pageTimings": { "onContentLoad": 100.0, "onLoad": 200.0 }
            }],
            "entries": exchanges.iter().map(Exchange::entry).collect::<Vec<_>>()
        }
    })
}

/// A fresh directory for one test's files.
pub(crate) fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cookie-warden-publish")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `text` to `dir/name` and returns the path.
pub(crate) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs the built binary with `args` (no stdin) and returns its output.
pub(crate) fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_cookie-warden"))
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the binary runs")
}

/// stdout and stderr as text.
pub(crate) fn texts(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

//! Proof in a real browser that `parse` says what Chromium stores for cookie-name prefixes and
//! public-suffix Domains: `__Host-` without a Path attribute, the layered-cookies draft's
//! `__Http-` and `__Host-Http-`, nameless values that mimic a prefix, and Domains that the Public
//! Suffix List's default rule `*` makes public suffixes (`Domain=.test` from
//! `www.web-platform.test`, as in the web-platform-tests cookie suite).
//!
//! A test site on 127.0.0.1 sends each header straight to Chromium (no proxy), from the root path
//! so that the default path is `/`. Every header's name is unique, so the jar read over DevTools
//! (`Storage.getCookies`, HttpOnly cookies included) says which lines Chromium kept. For each
//! line, Chromium keeps it exactly when `parse` accepts it and flags no Chromium difference; for a
//! kept line, the host-only flag, Domain, path, `Secure` and `HttpOnly` match too.
//!
//! `Secure` cookies need a potentially trustworthy origin, so the prefix cases are served from
//! `http://127.0.0.1` and `http://localhost` (see `browser.rs`, "Why https"); the Domain cases
//! carry no `Secure` and are served from names mapped to loopback.

use cookie_warden_core::request::RequestUrl;
use cookie_warden_core::set_cookie::parse;
use cookie_warden_tests::browser::{Chromium, LaunchOptions, SitePage, StoredCookie, TestSite, visit};

/// The hosts and the headers each one sends from `/`.
const CASES: &[(&str, &[&str])] = &[
    (
        "127.0.0.1",
        &[
            // draft-22 §5.7: `__Host-` needs a Path attribute even where the default path is `/`.
            "__Host-nopath=1; Secure",
            "__Host-path=1; Secure; Path=/",
            "__Host-relpath=1; Secure; Path=foo",
            "__Host-emptypath=1; Secure; Path=",
            "__Host-dotdomain=1; Secure; Path=/; Domain=.",
            "__Host-emptydomain=1; Secure; Path=/; Domain=",
            // Layered cookies: `__Http-` needs Secure and HttpOnly, `__Host-Http-` HttpOnly too.
            "__Http-both=1; Secure; HttpOnly",
            "__Http-nohttponly=1; Secure",
            "__Http-nosecure=1; HttpOnly",
            "__http-lower=1; Secure",
            "__HTTP-upper=1; Secure; HttpOnly; Path=/x",
            "__Host-Http-all=1; Secure; HttpOnly; Path=/",
            "__Host-Http-nohttponly=1; Secure; Path=/",
            "__host-http-nopath=1; Secure; HttpOnly",
            "__HttpX-lookalike=1; Secure",
            "__Secure-Http-lookalike=1; Secure",
            // Nameless cookies whose value mimics a prefix.
            "__Http-nameless; Secure; HttpOnly",
            "__Secure-nameless; Secure",
        ],
    ),
    (
        "localhost",
        &[
            // `localhost` is a public suffix (default rule): a Domain equal to it is host-only.
            "lh-domain=1; Domain=localhost",
            "lh-dotdomain=1; Domain=.LOCALHOST",
            "__Host-lh=1; Secure; Path=/; Domain=localhost",
        ],
    ),
    (
        "www.web-platform.test",
        &[
            "wpt-dottld=1; Domain=.test",
            "wpt-tld=1; Domain=test",
            "wpt-registrable=1; Domain=web-platform.test",
            "wpt-host=1; Domain=www.web-platform.test",
        ],
    ),
    (
        "www.example.co.uk",
        &[
            "couk-suffix=1; Domain=co.uk",
            "couk-registrable=1; Domain=.example.co.uk",
        ],
    ),
];

/// What Chromium keeps of a line, as comparable values: (host only, domain, path, secure, http only).
type Kept = (bool, String, String, bool, bool);

/// What `parse` says Chromium keeps: `None` when it drops the line.
fn expected(header: &str, host: &str) -> Option<Kept> {
    let url = RequestUrl {
        // Chromium treats http on loopback names as a secure origin.
        secure: host == "127.0.0.1" || host == "localhost",
        host,
        path: "/",
    };
    let cookie = parse(header.as_bytes(), &url);
    let flags = cookie.ambiguities;
    // Both flags name lines that the draft stores and Chromium drops.
    if !cookie.is_accepted() || flags.host_prefix_path_not_slash || flags.host_prefix_domain_attribute {
        return None;
    }
    Some((
        cookie.domain.is_none(),
        cookie.domain.as_deref().unwrap_or(host).to_owned(),
        String::from_utf8_lossy(cookie.effective_path(&url)).into_owned(),
        cookie.secure,
        cookie.http_only,
    ))
}

/// The name `parse` gives the line (empty for a nameless cookie), which is how the jar names it.
fn parsed_name(header: &str) -> String {
    let url = RequestUrl {
        secure: true,
        host: "127.0.0.1",
        path: "/",
    };
    String::from_utf8_lossy(parse(header.as_bytes(), &url).name).into_owned()
}

fn kept(cookie: &StoredCookie) -> Kept {
    (
        cookie.host_only,
        cookie.domain.trim_start_matches('.').to_owned(),
        cookie.path.clone(),
        cookie.secure,
        cookie.http_only,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_enforces_the_http_prefixes_and_the_explicit_host_path() {
    let test = "chromium_enforces_the_http_prefixes_and_the_explicit_host_path";
    let options = LaunchOptions {
        loopback_hosts: ["localhost", "www.web-platform.test", "www.example.co.uk"]
            .map(str::to_owned)
            .to_vec(),
        accept_test_certificates: false,
    };
    let Some(browser) = Chromium::launch_for_test(test, &options).await else {
        return;
    };
    let site = TestSite::start(
        CASES
            .iter()
            .map(|(host, headers)| SitePage::new(host, "/", headers))
            .collect(),
    )
    .await;
    let page = browser.open("about:blank").await.expect("a tab opens");
    let port = site.address.port();
    for (host, _) in CASES {
        let url = format!("http://{host}:{port}/");
        assert_eq!(
            visit(&page, &url).await.expect("the page loads"),
            200,
            "GET {url}"
        );
    }
    let version = browser.version().await.expect("the browser names its version");
    let store = browser.cookies().await.expect("the store is readable");

    let mut wrong = Vec::new();
    let mut kept_count = 0;
    for (host, headers) in CASES {
        for header in *headers {
            let name = parsed_name(header);
            // Every name is unique across the cases (a nameless line would be stored as ``).
            let in_jar: Vec<Kept> = store.iter().filter(|c| c.name == name).map(kept).collect();
            let want = expected(header, host);
            kept_count += usize::from(want.is_some());
            if in_jar != Vec::from_iter(want.clone()) {
                wrong.push(format!(
                    "{host}: `{header}`: parse says {want:?}, Chromium has {in_jar:?}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{version}:\n{}", wrong.join("\n"));
    // The cases mean something only if some lines are kept and some dropped.
    assert!(
        kept_count >= 10 && store.len() == kept_count,
        "{version}: {store:?}"
    );
    drop(page);
    browser.close().await;
}

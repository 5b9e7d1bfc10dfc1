//! Proof in a real browser: what ends up in Chromium's own cookie jar behind `cookie-warden proxy`.
//!
//! # How the browser reaches the policy's hosts
//!
//! `config/fora.toml` judges cookies by the request's host (`www.fora.se`, `minasidor.fora.se`,
//! `etjanster.fora.se`), so the browser must visit those names, not `127.0.0.1`. Chromium is
//! started with `--host-resolver-rules="MAP www.fora.se 127.0.0.1, …, EXCLUDE 127.0.0.1, MAP *
//! ~NOTFOUND"`: the policy's hosts resolve to loopback (the URL keeps its port, the proxy's
//! OS-chosen one) and every other name fails, so the browser never leaves the machine.
//!
//! # Why https
//!
//! The policy requires `Secure` on every cookie. Chromium stores a `Secure` cookie only from a
//! potentially trustworthy origin: `https`, or `http` on `localhost` / `127.0.0.1` — but not
//! `http://www.fora.se` mapped to loopback (the trust follows the URL's host, not the address it
//! resolves to; `chromium_takes_secure_cookies_over_http_only_from_loopback_names` checks this on
//! the browser in use). So the proxy serves TLS (`--tls-cert`,
//! `--tls-key`) with a fresh self-signed certificate for those hosts, the browser accepts that
//! certificate (DevTools `Security.setIgnoreCertificateErrors`), and the proxy judges requests
//! as https, as it would on the real site.
//!
//! # What is checked
//!
//! The test site (an upstream on 127.0.0.1) sets, in each of the policy's four areas, the seed's
//! cookies — some compliant, some that the policy fixes — plus rogue ones: a tracker not on the
//! list, a cookie outside its area, a session cookie with `Expires`, a 1-hour cookie with a
//! 30-day `Max-Age`, cookies without `Secure`, `HttpOnly` or `SameSite`, a `__Host-` cookie with
//! a `Domain`. Some arrive on a page, some on a JavaScript `fetch`. The store, read with
//! `Storage.getCookies` (HttpOnly cookies included), must then hold exactly the cookies the policy
//! allows, each with the attributes the policy enforces; expiries are checked against the clock
//! before and after the visits.
//!
//! The same visits in report-only mode must leave every cookie as the site sent it and log one
//! violation event per rogue cookie; with `request_cookies = "strip"` a cookie written by
//! `document.cookie` stays in the jar but never reaches the upstream; with `unlisted = "block"` a
//! page that sets an unlisted cookie reaches the browser as the block status and sets nothing,
//! while a page that is only fixed still sets its cookies. Independently of this test
//! site, a walk through `cookie-warden demo` (its home page, each area, each area's fetch) must
//! leave only cookies that `config/fora.toml` declares for some area, each meeting its rule. No
//! line the proxy prints holds a cookie value.
//!
//! Without a browser these tests fail in CI (`CI=true`) and print `BROWSER TEST DID NOT RUN`
//! elsewhere. Screenshots are written under `target/browser-screenshots/`.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cookie_warden_tests::browser::{
    Chromium, ECHO_PATH, LaunchOptions, Page, SitePage, StoredCookie, StoredSameSite, TestCertificate,
    TestSite, navigate, run_script, screenshot, visit,
};
use cookie_warden_tests::{Running, json_lines, workspace_file};

/// The hosts of `config/fora.toml`'s scopes that the visits use.
const HOSTS: [&str; 3] = ["www.fora.se", "minasidor.fora.se", "etjanster.fora.se"];

/// How long the proxy may take to log the events of responses already delivered.
const LOG_WAIT: Duration = Duration::from_secs(10);

/// How long a cookie lives, as the store must show it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Lifetime {
    /// No expiry.
    Session,
    /// Expires this many seconds after it was set (give or take the visit's duration).
    Seconds(u32),
}

/// One cookie the store must hold, with every attribute the policy enforces.
#[derive(Debug, Clone, PartialEq)]
struct Expected {
    name: &'static str,
    domain: &'static str,
    host_only: bool,
    path: &'static str,
    secure: bool,
    http_only: bool,
    same_site: StoredSameSite,
    lifetime: Lifetime,
}

const fn cookie(
    name: &'static str,
    domain: &'static str,
    path: &'static str,
    http_only: bool,
    same_site: StoredSameSite,
    lifetime: Lifetime,
) -> Expected {
    Expected {
        name,
        domain,
        host_only: true,
        path,
        secure: true,
        http_only,
        same_site,
        lifetime,
    }
}

/// One visit: a page, then optionally a `fetch` from it.
struct Visit {
    host: &'static str,
    path: &'static str,
    fetch: Option<&'static str>,
}

const VISITS: [Visit; 4] = [
    Visit {
        host: "www.fora.se",
        path: "/",
        fetch: None,
    },
    Visit {
        host: "minasidor.fora.se",
        path: "/irj/portal",
        fetch: None,
    },
    Visit {
        host: "minasidor.fora.se",
        path: "/manadsrapportering/",
        fetch: Some("/manadsrapportering/api/session"),
    },
    Visit {
        host: "etjanster.fora.se",
        path: "/",
        fetch: Some("/api/ping"),
    },
];

/// A GUID-shaped MSAL client id, as `msal.token.keys.{client_id}` requires.
const MSAL_KEYS: &str = "msal.token.keys.0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

/// Every cookie value the test site sends starts with this, so the proxy's output can be searched
/// for values: it must hold none.
const VALUE_MARKER: &str = "CWVAL-";

/// The test site: each area's page (and fetch endpoint) with the seed's cookies plus rogue ones.
/// Rogue or non-compliant headers are marked in the comments with what the policy must do.
fn fora_pages() -> Vec<SitePage> {
    let msal_keys = format!("{MSAL_KEYS}=CWVAL-k; Max-Age=3600; Secure; SameSite=Lax");
    vec![
        // Scope `public`.
        SitePage::new(
            "www.fora.se",
            "/",
            &[
                "__RequestVerificationToken=CWVAL-tok; Path=/; Secure; HttpOnly; SameSite=Strict",
                "accepted_cookies=CWVAL-1; Path=/; Max-Age=31536000; Secure; SameSite=Lax",
                // Fixed: Secure added, SameSite=Lax added (absent counts as weaker than lax).
                "_pk_testcookie=CWVAL-1; Path=/; Max-Age=1800",
                // Stripped: a tracker not on the list.
                "_ga=CWVAL-GA1.2.3.4; Path=/; Max-Age=63072000; Secure",
                // Stripped: listed, but only for the e-services.
                "ai_user=CWVAL-u1; Path=/; Max-Age=3600; Secure; SameSite=Lax",
            ],
        ),
        // Scope `login`.
        SitePage::new(
            "minasidor.fora.se",
            "/irj/portal",
            &[
                // Fixed: a session cookie with Expires becomes a session cookie.
                "PortalAlias=CWVAL-portal; Path=/; Expires=Fri, 01 Jan 2100 00:00:00 GMT; Secure; HttpOnly; SameSite=Lax",
                // Fixed: SameSite=Lax added.
                "saplb_PORTAL=CWVAL-(J2EE123)456; Path=/; Secure; HttpOnly",
                "com.sap.engine.security.authentication.original_application_url=CWVAL-GET; Path=/irj; Secure; HttpOnly; SameSite=Lax",
                // Stripped: unlisted, and a __Host- cookie may not have a Domain.
                "__Host-portal_session=CWVAL-1; Domain=fora.se; Path=/; Secure; HttpOnly; SameSite=Lax",
            ],
        ),
        // Scope `mina-sidor`: the page, then its fetch.
        SitePage::new(
            "minasidor.fora.se",
            "/manadsrapportering/",
            &[
                // Fixed: HttpOnly added.
                "partnerNumberOrganization=CWVAL-5560001234; Path=/; Secure; SameSite=Lax",
                // Fixed: a 1-hour cookie with a 30-day Max-Age gets Max-Age=3600.
                "refreshToken_ACME_SAPEP=CWVAL-r1; Path=/; Max-Age=2592000; Secure; HttpOnly; SameSite=Lax",
                "react-router-scroll-positions=CWVAL-%7B%7D; Path=/manadsrapportering; Secure; SameSite=Lax",
            ],
        ),
        SitePage {
            set_cookies: vec![
                msal_keys,
                // Fixed: a 1-hour cookie sent as a session cookie gets Max-Age=3600 (and keeps the
                // default path, /manadsrapportering/api).
                "msal.token.keys=CWVAL-k; Secure; SameSite=Lax".to_owned(),
                // Stripped: unlisted.
                "fetch_beacon=CWVAL-1; Path=/; Secure; SameSite=Lax".to_owned(),
            ],
            ..SitePage::new("minasidor.fora.se", "/manadsrapportering/api/session", &[])
        },
        // Scope `e-services`: the page, then its fetch.
        SitePage::new(
            "etjanster.fora.se",
            "/",
            &[
                "ai_session=CWVAL-s1; Path=/; Max-Age=1800; Secure; SameSite=Lax",
                // Fixed: SameSite=None is weaker than the policy's lax.
                "ai_user=CWVAL-u1; Path=/; Max-Age=31536000; Secure; SameSite=None",
                "i18next=CWVAL-sv; Path=/; Secure; SameSite=Lax",
                // Fixed: a 1-hour cookie with a 1-day Max-Age gets Max-Age=3600.
                "refreshToken_VERIFIED_USER=CWVAL-v; Path=/; Max-Age=86400; Secure; HttpOnly; SameSite=Lax",
                "TS01e88579=CWVAL-t; Path=/; Secure; HttpOnly; SameSite=Lax",
                // Stripped: looks like the listed F5 cookie, is not it.
                "TS01ffffff=CWVAL-t; Path=/; Secure; HttpOnly",
            ],
        ),
        SitePage::new(
            "etjanster.fora.se",
            "/api/ping",
            // Stripped: an unlisted tracker for the whole domain, set from a fetch.
            &["tracker=CWVAL-1; Domain=fora.se; Path=/; Max-Age=86400; Secure; SameSite=None"],
        ),
    ]
}

/// The names of the cookies above that break the policy: one violation event each.
const ROGUE: [&str; 14] = [
    "_pk_testcookie",
    "_ga",
    "ai_user",
    "PortalAlias",
    "saplb_PORTAL",
    "__Host-portal_session",
    "partnerNumberOrganization",
    "refreshToken_ACME_SAPEP",
    "msal.token.keys",
    "fetch_beacon",
    "ai_user",
    "refreshToken_VERIFIED_USER",
    "TS01ffffff",
    "tracker",
];

/// What the store must hold after the visits under `config/fora.toml` as written (enforce).
fn fora_expected() -> Vec<Expected> {
    use Lifetime::{Seconds, Session};
    use StoredSameSite::{Lax, Strict};
    vec![
        cookie(
            "__RequestVerificationToken",
            "www.fora.se",
            "/",
            true,
            Strict,
            Session,
        ),
        cookie(
            "accepted_cookies",
            "www.fora.se",
            "/",
            false,
            Lax,
            Seconds(31_536_000),
        ),
        cookie("_pk_testcookie", "www.fora.se", "/", false, Lax, Seconds(1800)),
        cookie("PortalAlias", "minasidor.fora.se", "/", true, Lax, Session),
        cookie("saplb_PORTAL", "minasidor.fora.se", "/", true, Lax, Session),
        cookie(
            "com.sap.engine.security.authentication.original_application_url",
            "minasidor.fora.se",
            "/irj",
            true,
            Lax,
            Session,
        ),
        cookie(
            "partnerNumberOrganization",
            "minasidor.fora.se",
            "/",
            true,
            Lax,
            Session,
        ),
        cookie(
            "refreshToken_ACME_SAPEP",
            "minasidor.fora.se",
            "/",
            true,
            Lax,
            Seconds(3600),
        ),
        cookie(
            "react-router-scroll-positions",
            "minasidor.fora.se",
            "/manadsrapportering",
            false,
            Lax,
            Session,
        ),
        cookie(
            MSAL_KEYS,
            "minasidor.fora.se",
            "/manadsrapportering/api",
            false,
            Lax,
            Seconds(3600),
        ),
        cookie(
            "msal.token.keys",
            "minasidor.fora.se",
            "/manadsrapportering/api",
            false,
            Lax,
            Seconds(3600),
        ),
        cookie("ai_session", "etjanster.fora.se", "/", false, Lax, Seconds(1800)),
        cookie(
            "ai_user",
            "etjanster.fora.se",
            "/",
            false,
            Lax,
            Seconds(31_536_000),
        ),
        cookie("i18next", "etjanster.fora.se", "/", false, Lax, Session),
        cookie(
            "refreshToken_VERIFIED_USER",
            "etjanster.fora.se",
            "/",
            true,
            Lax,
            Seconds(3600),
        ),
        cookie("TS01e88579", "etjanster.fora.se", "/", true, Lax, Session),
    ]
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs_f64()
}

/// Starts `cookie-warden ARGS…` (building it if needed) off the async runtime; waits until it
/// listens.
async fn start_cookie_warden(args: &[&str], env: &[(&str, &str)]) -> Running {
    let args: Vec<String> = args.iter().map(|&a| a.to_owned()).collect();
    let env: Vec<(String, String)> = env.iter().map(|&(k, v)| (k.to_owned(), v.to_owned())).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Running::start(&args, &env)
    })
    .await
    .expect("cookie-warden starts")
}

/// Everything one browser test needs: the test site, the proxy in front of it over TLS, and a
/// browser that resolves the policy's hosts to the proxy. Dropping it kills the proxy and the
/// browser.
struct Stack {
    site: TestSite,
    proxy: Running,
    browser: Chromium,
    _certificate: TestCertificate,
}

impl Stack {
    /// Starts the stack with `config/fora.toml` and extra environment overrides; `None` when the
    /// test cannot run here (no browser outside CI).
    async fn start(test: &str, env: &[(&str, &str)]) -> Option<Self> {
        let hosts: Vec<String> = HOSTS.iter().map(|&h| h.to_owned()).collect();
        let certificate = TestCertificate::for_hosts(&hosts);
        let site = TestSite::start(fora_pages()).await;
        let config = workspace_file("config/fora.toml");
        let upstream = site.url();
        let args = [
            "proxy",
            "--config",
            config.to_str().expect("utf-8 path"),
            "--upstream",
            &upstream,
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            certificate.cert.to_str().expect("utf-8 path"),
            "--tls-key",
            certificate.key.to_str().expect("utf-8 path"),
            "--log-format",
            "json",
        ];
        let proxy = start_cookie_warden(&args, env).await;
        // The browser last: it holds the one browser slot of this process.
        let options = LaunchOptions {
            loopback_hosts: hosts,
            accept_test_certificates: true,
        };
        let browser = Chromium::launch_for_test(test, &options).await?;
        Some(Self {
            site,
            proxy,
            browser,
            _certificate: certificate,
        })
    }

    /// `https://HOST:PORT/PATH` through the proxy.
    fn url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.proxy.address.port())
    }

    /// Visits every area of the site in one tab, with each visit's fetch; returns the tab.
    async fn visit_all(&self) -> Page {
        let page = self.browser.open("about:blank").await.expect("a tab opens");
        for step in &VISITS {
            let url = self.url(step.host, step.path);
            let status = visit(&page, &url).await.expect("the page loads");
            assert_eq!(status, 200, "GET {url} through the proxy");
            // Over TLS the proxy offers h2 by ALPN: the browser's real HTTP/2 traffic (HPACK,
            // cookie crumbs) is what passes through it.
            let protocol = run_script(
                &page,
                "performance.getEntriesByType('navigation')[0].nextHopProtocol",
            )
            .await
            .expect("the protocol is readable");
            assert_eq!(protocol, "h2", "GET {url}: protocol");
            if let Some(endpoint) = step.fetch {
                let script =
                    format!("fetch('{endpoint}', {{credentials: 'same-origin'}}).then(r => r.status)");
                let status = run_script(&page, &script).await.expect("the fetch completes");
                assert_eq!(status, 200, "fetch {endpoint} from {url}");
            }
        }
        page
    }

    /// Shuts the browser down; the proxy and site go with `self`.
    async fn finish(self) {
        self.browser.close().await;
    }
}

/// Compares the store with `expected`: the same cookies (by domain, path and name), each with the
/// expected attributes and an expiry within its lifetime of the moment it was set.
fn assert_store_matches(store: &[StoredCookie], expected: &[Expected], set_between: (f64, f64)) {
    let key = |domain: &str, path: &str, name: &str| format!("{domain}{path} {name}");
    let stored: BTreeSet<String> = store.iter().map(|c| key(&c.domain, &c.path, &c.name)).collect();
    let wanted: BTreeSet<String> = expected.iter().map(|c| key(c.domain, c.path, c.name)).collect();
    let extra: Vec<&String> = stored.difference(&wanted).collect();
    let missing: Vec<&String> = wanted.difference(&stored).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "the store holds cookies the policy does not allow: {extra:?}\nand lacks ones it allows: {missing:?}"
    );
    let (before, after) = set_between;
    for want in expected {
        let got = store
            .iter()
            .find(|c| c.domain == want.domain && c.path == want.path && c.name == want.name)
            .expect("matched above");
        let what = key(want.domain, want.path, want.name);
        assert_eq!(got.host_only, want.host_only, "{what}: host-only");
        assert_eq!(got.secure, want.secure, "{what}: Secure");
        assert_eq!(got.http_only, want.http_only, "{what}: HttpOnly");
        assert_eq!(got.same_site, want.same_site, "{what}: SameSite");
        assert!(!got.partitioned, "{what}: not partitioned");
        match want.lifetime {
            Lifetime::Session => assert!(
                got.is_session(),
                "{what}: a session cookie, got expiry {:?}",
                got.expires
            ),
            Lifetime::Seconds(seconds) => {
                let expires = got
                    .expires
                    .unwrap_or_else(|| panic!("{what}: persistent, got a session cookie"));
                let seconds = f64::from(seconds);
                // Whole seconds: Max-Age counts from when the browser received the header.
                assert!(
                    expires >= before + seconds - 1.0 && expires <= after + seconds + 1.0,
                    "{what}: expires at {expires}, not {seconds} s after a moment in [{before}, {after}]"
                );
            }
        }
    }
}

/// The violation events in the proxy's JSON log: `(cookie.name, action, enforced)` each.
fn violation_events(lines: &[String]) -> Vec<(String, String, Option<bool>)> {
    json_lines(lines)
        .iter()
        .filter(|event| field(event, "message").and_then(|m| m.as_str()) == Some("cookie policy violation"))
        .map(|event| {
            let text = |name: &str| {
                field(event, name)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            (
                text("cookie.name"),
                text("action"),
                field(event, "enforced").and_then(serde_json::Value::as_bool),
            )
        })
        .collect()
}

/// A field of a JSON log event, at the top level or under `fields` (tracing-subscriber's layout).
fn field<'e>(event: &'e serde_json::Value, name: &str) -> Option<&'e serde_json::Value> {
    event.get(name).or_else(|| event.get("fields")?.get(name))
}

/// Waits (bounded) until the proxy has logged at least `count` violation events, then a moment
/// longer so that an extra one would be seen too.
async fn wait_for_events(proxy: &Running, count: usize) -> Vec<(String, String, Option<bool>)> {
    let deadline = tokio::time::Instant::now() + LOG_WAIT;
    while violation_events(&proxy.stderr()).len() < count && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    violation_events(&proxy.stderr())
}

/// Checks that nothing the proxy printed or logged holds a cookie value.
fn assert_no_cookie_value_printed(proxy: &Running) {
    for line in proxy.stdout().iter().chain(&proxy.stderr()) {
        assert!(
            !line.contains(VALUE_MARKER),
            "the proxy printed a cookie value: {line}"
        );
    }
}

/// Waits (bounded) for the proxy's violation events and checks that there is exactly one per
/// rogue cookie, each with one of `actions` and the given `enforced`.
async fn assert_one_event_per_rogue_cookie(proxy: &Running, actions: &[&str], enforced: bool) {
    let events = wait_for_events(proxy, ROGUE.len()).await;
    let mut names: Vec<&str> = events.iter().map(|(name, _, _)| name.as_str()).collect();
    names.sort_unstable();
    let mut rogue = ROGUE.to_vec();
    rogue.sort_unstable();
    assert_eq!(names, rogue, "one violation event per rogue cookie");
    for (name, action, event_enforced) in &events {
        assert!(
            actions.contains(&action.as_str()),
            "{name}: action {action}, expected one of {actions:?}"
        );
        assert_eq!(*event_enforced, Some(enforced), "{name}: enforced");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_stores_exactly_what_the_policy_allows() {
    let Some(stack) = Stack::start("chromium_stores_exactly_what_the_policy_allows", &[]).await else {
        return;
    };
    let before = unix_now();
    let page = stack.visit_all().await;
    let after = unix_now();
    let store = stack.browser.cookies().await.expect("the store is readable");
    assert_store_matches(&store, &fora_expected(), (before, after));

    // Every rogue cookie was judged and logged by the proxy (fixed or stripped, enforced).
    assert_one_event_per_rogue_cookie(&stack.proxy, &["fixed", "stripped"], true).await;
    assert_no_cookie_value_printed(&stack.proxy);
    drop(page);
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_only_lets_every_cookie_through_and_logs_each_rogue_one() {
    let Some(stack) = Stack::start(
        "report_only_lets_every_cookie_through_and_logs_each_rogue_one",
        &[("COOKIE_WARDEN_ENFORCEMENT__MODE", "report-only")],
    )
    .await
    else {
        return;
    };
    let page = stack.visit_all().await;
    let store = stack.browser.cookies().await.expect("the store is readable");

    // Every cookie the site sent is in the store, as the site sent it (what Chromium itself
    // refuses aside: a __Host- cookie with a Domain).
    let stored: BTreeSet<(String, String)> =
        store.iter().map(|c| (c.domain.clone(), c.name.clone())).collect();
    let mut wanted = BTreeSet::new();
    for page in fora_pages() {
        for header in &page.set_cookies {
            let name = header.split('=').next().expect("a name").to_owned();
            if name.starts_with("__Host-") {
                continue;
            }
            let domain = if header.contains("Domain=fora.se") {
                "fora.se"
            } else {
                page.host.as_str()
            };
            wanted.insert((domain.to_owned(), name));
        }
    }
    assert_eq!(stored, wanted, "report-only changes nothing");
    assert!(
        !stored.iter().any(|(_, name)| name.starts_with("__Host-")),
        "Chromium refuses a __Host- cookie with a Domain"
    );
    let unchanged = |name: &str| store.iter().find(|c| c.name == name).expect("stored");
    let pk = unchanged("_pk_testcookie");
    assert!(
        !pk.secure && pk.same_site == StoredSameSite::Unspecified,
        "_pk_testcookie unchanged: {pk:?}"
    );
    assert!(
        !unchanged("PortalAlias").is_session(),
        "PortalAlias keeps its Expires"
    );
    assert!(
        !unchanged("partnerNumberOrganization").http_only,
        "partnerNumberOrganization stays readable by scripts"
    );

    assert_one_event_per_rogue_cookie(&stack.proxy, &["reported"], false).await;
    assert_no_cookie_value_printed(&stack.proxy);
    drop(page);
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cookie_set_by_script_never_reaches_the_upstream_when_request_cookies_are_stripped() {
    let Some(stack) = Stack::start(
        "a_cookie_set_by_script_never_reaches_the_upstream_when_request_cookies_are_stripped",
        &[("COOKIE_WARDEN_ENFORCEMENT__REQUEST_COOKIES", "strip")],
    )
    .await
    else {
        return;
    };
    let page = stack.browser.open("about:blank").await.expect("a tab opens");
    let url = stack.url("etjanster.fora.se", "/");
    assert_eq!(visit(&page, &url).await.expect("the page loads"), 200);

    // The layer never sees a cookie written by script: the browser stores it.
    let script = "document.cookie = 'js_tracker=CWVAL-js; Path=/; Secure; SameSite=Lax'; \
                  document.cookie = 'i18next=CWVAL-en; Path=/; Secure; SameSite=Lax'; \
                  document.cookie";
    let visible = run_script(&page, script)
        .await
        .expect("document.cookie is writable");
    let visible = visible.as_str().unwrap_or_default().to_owned();
    let visible_names: Vec<&str> = visible
        .split("; ")
        .filter_map(|pair| pair.split('=').next())
        .collect();
    assert!(
        visible_names.contains(&"js_tracker"),
        "the script's cookie is in the jar: {visible_names:?}"
    );
    let store = stack.browser.cookies().await.expect("the store is readable");
    assert!(
        store.iter().any(|c| c.name == "js_tracker"),
        "js_tracker is in the store"
    );

    // The next request carries it; the proxy strips it before the upstream.
    let echo = format!("fetch('{ECHO_PATH}', {{credentials: 'same-origin'}}).then(r => r.json())");
    let received = run_script(&page, &echo).await.expect("the echo answers");
    let received: Vec<String> = serde_json::from_value(received).expect("a list of names");
    assert!(
        !received.iter().any(|n| n == "js_tracker"),
        "the upstream received js_tracker: {received:?}"
    );
    for listed in ["i18next", "ai_session", "TS01e88579"] {
        assert!(
            received.iter().any(|n| n == listed),
            "the upstream lacks the listed {listed}: {received:?}"
        );
    }
    // And on no request at all.
    let seen = stack.site.seen();
    assert!(
        seen.iter().any(|r| r.path == ECHO_PATH),
        "the echo request reached the site"
    );
    assert!(
        seen.iter()
            .all(|r| !r.cookie_names.iter().any(|n| n == "js_tracker")),
        "the upstream received js_tracker: {seen:?}"
    );
    assert_no_cookie_value_printed(&stack.proxy);
    drop(page);
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_takes_secure_cookies_over_http_only_from_loopback_names() {
    // The claim behind "Why https" in the module docs, checked on the browser in use.
    let test = "chromium_takes_secure_cookies_over_http_only_from_loopback_names";
    let options = LaunchOptions {
        loopback_hosts: vec!["www.fora.se".to_owned()],
        accept_test_certificates: false,
    };
    let Some(browser) = Chromium::launch_for_test(test, &options).await else {
        return;
    };
    let headers = ["plain=1; Path=/", "secured=1; Path=/; Secure"];
    let site = TestSite::start(vec![
        SitePage::new("www.fora.se", "/set", &headers),
        SitePage::new("127.0.0.1", "/set", &headers),
    ])
    .await;
    let page = browser.open("about:blank").await.expect("a tab opens");
    let port = site.address.port();
    for host in ["www.fora.se", "127.0.0.1"] {
        let url = format!("http://{host}:{port}/set");
        assert_eq!(
            visit(&page, &url).await.expect("the page loads"),
            200,
            "GET {url}"
        );
    }
    let version = browser.version().await.expect("the browser names its version");
    let store = browser.cookies().await.expect("the store is readable");
    let stored: Vec<(&str, &str)> = store
        .iter()
        .map(|c| (c.domain.as_str(), c.name.as_str()))
        .collect();
    assert_eq!(
        stored,
        [
            ("127.0.0.1", "plain"),
            ("127.0.0.1", "secured"),
            ("www.fora.se", "plain")
        ],
        "{version}: Secure cookies over http are kept from 127.0.0.1 only"
    );
    let seen = site.seen();
    assert!(
        seen.iter().all(|r| r.path == "/set" || r.path == "/favicon.ico"),
        "only the pages and favicons: {seen:?}"
    );
    drop(page);
    browser.close().await;
}

/// Where the screenshots go: `target/browser-screenshots/` of the workspace.
fn screenshot_dir() -> std::path::PathBuf {
    workspace_file("target/browser-screenshots")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_of_the_demo_home_page_and_the_cookie_declaration() {
    let test = "screenshots_of_the_demo_home_page_and_the_cookie_declaration";
    let demo = start_cookie_warden(&["demo", "--listen", "127.0.0.1:0"], &[]).await;
    let Some(browser) = Chromium::launch_for_test(test, &LaunchOptions::default()).await else {
        return;
    };
    let page = browser.open("about:blank").await.expect("a tab opens");

    // The demo's home page: it links to every area of the site.
    let home = demo.url("/");
    assert_eq!(
        visit(&page, &home).await.expect("the home page loads"),
        200,
        "GET {home}"
    );
    let links = run_script(&page, "document.querySelectorAll('a[href]').length")
        .await
        .expect("links counted");
    assert!(
        links.as_u64().unwrap_or(0) >= 4,
        "the home page links to the four areas, found {links}"
    );
    let home_png = screenshot_dir().join("demo-home.png");
    screenshot(&page, &home_png).await.expect("home page screenshot");

    // The declaration as `cookie-warden render` writes it, opened as a file.
    let rendered = std::process::Command::new(cookie_warden_tests::binary())
        .args(["render", "--config"])
        .arg(workspace_file("config/fora.toml"))
        .args(["--format", "html"])
        .output()
        .expect("render runs");
    assert!(
        rendered.status.success(),
        "render failed: {}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let dir = cookie_warden_tests::TempDir::new();
    let html = dir.write(
        "cookies.html",
        &String::from_utf8(rendered.stdout).expect("utf-8 html"),
    );
    let file_url = format!("file://{}", html.display());
    navigate(&page, &file_url).await.expect("the declaration opens");
    let title = run_script(&page, "document.title").await.expect("a title");
    assert_eq!(title, "About cookies", "the rendered declaration's title");
    let rows = run_script(&page, "document.querySelectorAll('tbody tr').length")
        .await
        .expect("rows counted");
    assert!(
        rows.as_u64().unwrap_or(0) >= 16,
        "a row per declared cookie, found {rows}"
    );
    let declaration_png = screenshot_dir().join("cookie-declaration.png");
    screenshot(&page, &declaration_png)
        .await
        .expect("declaration screenshot");

    for png in [&home_png, &declaration_png] {
        let bytes = std::fs::read(png).expect("the screenshot exists");
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10_000,
            "{} is a real PNG",
            png.display()
        );
    }
    drop(page);
    browser.close().await;
    drop(demo);
}

/// What a stored cookie breaks of its rule: flags, SameSite and lifetime (`max_lifetime` bounds
/// `persistent`), the lifetime counted from `set_by`, a moment after the cookie was set (so it is
/// never overestimated: a cookie set during a slow visit must not look longer-lived than it is).
/// Empty when the cookie meets the rule.
fn rule_breaches(
    cookie: &StoredCookie,
    rule: &cookie_warden_core::policy::CompiledRule,
    max_lifetime: i64,
    set_by: f64,
) -> Vec<String> {
    use cookie_warden_core::policy::Lifetime;
    use cookie_warden_core::policy::model::SameSiteMin;
    let mut breaches = Vec::new();
    if rule.secure() && !cookie.secure {
        breaches.push("no Secure".to_owned());
    }
    if rule.http_only() && !cookie.http_only {
        breaches.push("no HttpOnly".to_owned());
    }
    let same_site_ok = match rule.same_site() {
        SameSiteMin::None => true,
        SameSiteMin::Lax => matches!(cookie.same_site, StoredSameSite::Lax | StoredSameSite::Strict),
        SameSiteMin::Strict => cookie.same_site == StoredSameSite::Strict,
    };
    if !same_site_ok {
        breaches.push(format!(
            "SameSite {:?} weaker than {:?}",
            cookie.same_site,
            rule.same_site()
        ));
    }
    match (rule.lifetime(), cookie.lifetime_from(set_by)) {
        (Lifetime::Session, Some(left)) => breaches.push(format!("a session rule, expires in {left:.0} s")),
        (Lifetime::Persistent | Lifetime::AtMost(_), None) => {
            breaches.push("an expiring rule, a session cookie".to_owned());
        }
        (lifetime, Some(left)) => {
            let max = lifetime.max_seconds(max_lifetime).expect("not a session rule");
            #[expect(clippy::cast_precision_loss, reason = "lifetimes are far below 2^52 seconds")]
            let max = max as f64;
            if left > max + 1.0 {
                breaches.push(format!("expires in {left:.0} s, more than the rule's {max} s"));
            }
        }
        (Lifetime::Session, None) => {}
    }
    breaches
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_every_area_of_the_demo_leaves_only_declared_cookies_in_the_jar() {
    use cookie_warden_core::policy::{NameMatch, from_toml_str};

    let test = "following_every_area_of_the_demo_leaves_only_declared_cookies_in_the_jar";
    let demo = start_cookie_warden(&["demo", "--listen", "127.0.0.1:0"], &[]).await;
    let Some(browser) = Chromium::launch_for_test(test, &LaunchOptions::default()).await else {
        return;
    };
    let fora = std::fs::read_to_string(workspace_file("config/fora.toml")).expect("config/fora.toml");
    let policy = from_toml_str("config/fora.toml", &fora)
        .expect("config/fora.toml loads")
        .policy;

    // The home page links to one area per scope of the policy (`/{scope id}/`).
    let page = browser.open("about:blank").await.expect("a tab opens");
    assert_eq!(
        visit(&page, &demo.url("/")).await.expect("the home page loads"),
        200
    );
    let links = run_script(
        &page,
        "[...document.querySelectorAll('a[href]')].map(a => new URL(a.href).pathname)",
    )
    .await
    .expect("links read");
    let links: Vec<String> = serde_json::from_value(links).expect("a list of paths");
    let areas: Vec<String> = policy
        .scope_ids()
        .map(|scope| format!("/{}/", policy.scope_name(scope)))
        .filter(|path| links.contains(path))
        .collect();
    assert_eq!(areas.len(), policy.scope_count(), "one link per scope: {links:?}");

    // Each area's page, and the fetch its script makes on load.
    for area in &areas {
        let url = demo.url(area);
        assert_eq!(
            visit(&page, &url).await.expect("the area loads"),
            200,
            "GET {url}"
        );
        let fetched = "new Promise(done => { const seen = () => performance.getEntriesByType('resource')\
                       .some(e => e.initiatorType === 'fetch' && e.responseEnd > 0); \
                       const poll = n => seen() || n === 0 ? done(seen()) : setTimeout(() => poll(n - 1), 50); poll(200); })";
        assert_eq!(
            run_script(&page, fetched).await.expect("fetch awaited"),
            true,
            "{url} made its fetch"
        );
    }

    // Every cookie in the jar is declared for one of the areas, and meets its rule.
    let set_by = unix_now();
    let store = browser.cookies().await.expect("the store is readable");
    let mut per_scope = vec![0_usize; policy.scope_count()];
    for cookie in &store {
        assert_eq!(
            cookie.domain, "127.0.0.1",
            "{}: stored for the demo's host",
            cookie.name
        );
        let rules: Vec<_> = policy
            .scope_ids()
            .filter_map(
                |scope| match policy.match_name(cookie.name.as_bytes(), Some(scope)) {
                    NameMatch::InScope(rule) => Some((scope, rule)),
                    NameMatch::OutOfScope(_) | NameMatch::Unlisted => None,
                },
            )
            .collect();
        assert!(
            !rules.is_empty(),
            "{} is in the jar but declared for no area",
            cookie.name
        );
        let breaches: Vec<Vec<String>> = rules
            .iter()
            .map(|(_, rule)| rule_breaches(cookie, rule, policy.max_lifetime(), set_by))
            .collect();
        assert!(
            breaches.iter().any(Vec::is_empty),
            "{} breaks its rule: {breaches:?}",
            cookie.name
        );
        for (scope, _) in &rules {
            per_scope[scope.index()] += 1;
        }
    }
    for scope in policy.scope_ids() {
        assert!(
            per_scope[scope.index()] > 0,
            "no cookie of area {} in the jar",
            policy.scope_name(scope)
        );
    }
    drop(page);
    browser.close().await;
    drop(demo);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_response_reaches_the_browser_without_any_cookie() {
    let Some(stack) = Stack::start(
        "a_blocked_response_reaches_the_browser_without_any_cookie",
        &[("COOKIE_WARDEN_ENFORCEMENT__UNLISTED", "block")],
    )
    .await
    else {
        return;
    };
    let page = stack.browser.open("about:blank").await.expect("a tab opens");

    // The public page sets unlisted cookies: the whole response is replaced.
    let url = stack.url("www.fora.se", "/");
    assert_eq!(
        visit(&page, &url).await.expect("the page loads"),
        500,
        "GET {url}"
    );
    let text = run_script(&page, "document.documentElement.outerHTML")
        .await
        .expect("the page's text");
    assert!(
        !text.as_str().unwrap_or_default().contains("Test site"),
        "no upstream body: {text}"
    );
    assert!(
        !text.as_str().unwrap_or_default().contains(VALUE_MARKER),
        "no cookie value: {text}"
    );
    let store = stack.browser.cookies().await.expect("the store is readable");
    assert!(
        store.is_empty(),
        "a blocked response sets no cookie, the store holds {store:?}"
    );

    // A page with no unlisted cookie is only fixed, so blocking is per response.
    let url = stack.url("minasidor.fora.se", "/manadsrapportering/");
    assert_eq!(
        visit(&page, &url).await.expect("the page loads"),
        200,
        "GET {url}"
    );
    let store = stack.browser.cookies().await.expect("the store is readable");
    let names: Vec<&str> = store.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "partnerNumberOrganization",
            "refreshToken_ACME_SAPEP",
            "react-router-scroll-positions"
        ],
        "the fixed cookies of the page"
    );
    assert_no_cookie_value_printed(&stack.proxy);
    drop(page);
    stack.finish().await;
}

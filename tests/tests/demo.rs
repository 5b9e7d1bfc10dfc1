//! End-to-end test of `cookie-warden demo`: the real binary with the built-in `config/fora.toml`
//! and its built-in upstream; each site area is requested and what arrives is checked against
//! the policy. Every wait is bounded.

use cookie_warden_tests::Running;
use cookie_warden_tests::http_client::{self, Reply};
use http::StatusCode;

/// The cookies `config/fora.toml` declares for each area, as the demo names pattern cookies.
const AREAS: [(&str, &[&str]); 4] = [
    (
        "public",
        &["_pk_testcookie", "__RequestVerificationToken", "accepted_cookies"],
    ),
    (
        "login",
        &[
            "PortalAlias",
            "com.sap.engine.security.authentication.original_application_url",
            "saplb_DEMO",
        ],
    ),
    (
        "mina-sidor",
        &[
            "react-router-scroll-positions",
            "msal.token.keys.0123abcd-4567-89ab-cdef-0123456789ab",
            "msal.token.keys",
            "partnerNumberOrganization",
            "refreshToken_DEMO_SAPEP",
        ],
    ),
    (
        "e-services",
        &[
            "ai_session",
            "ai_user",
            "i18next",
            "refreshToken_VERIFIED_USER",
            "TS01e88579",
        ],
    ),
];

/// Session cookies of `config/fora.toml`: no Expires, no Max-Age may reach the browser.
const SESSION: [&str; 8] = [
    "__RequestVerificationToken",
    "PortalAlias",
    "com.sap.engine.security.authentication.original_application_url",
    "saplb_DEMO",
    "react-router-scroll-positions",
    "partnerNumberOrganization",
    "i18next",
    "TS01e88579",
];

/// Cookies whose rule requires HttpOnly (the default; JavaScript-read ones opt out).
const HTTP_ONLY: [&str; 8] = [
    "__RequestVerificationToken",
    "PortalAlias",
    "com.sap.engine.security.authentication.original_application_url",
    "saplb_DEMO",
    "partnerNumberOrganization",
    "refreshToken_DEMO_SAPEP",
    "refreshToken_VERIFIED_USER",
    "TS01e88579",
];

/// Cookies whose rule says 1 hour.
const ONE_HOUR: [&str; 4] = [
    "msal.token.keys.0123abcd-4567-89ab-cdef-0123456789ab",
    "msal.token.keys",
    "refreshToken_DEMO_SAPEP",
    "refreshToken_VERIFIED_USER",
];

async fn get(demo: &Running, path: &str) -> Reply {
    http_client::get(&demo.url(path), &demo.address.to_string()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_demo_serves_every_area_and_only_the_declared_cookies_arrive() {
    let demo = Running::start(&["demo", "--listen", "127.0.0.1:0"], &[]);
    assert!(
        demo.printed("upstream on ").is_some(),
        "the demo prints its upstream: {:?}",
        demo.stdout()
    );

    let home = get(&demo, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    for (area, _) in AREAS {
        assert!(
            home.text().contains(&format!("href=\"/{area}/\"")),
            "the home page links to {area}"
        );
    }
    assert!(home.set_cookies().is_empty());

    for (area, declared) in AREAS {
        let reply = get(&demo, &format!("/{area}/")).await;
        assert_eq!(reply.status, StatusCode::OK, "{area}");
        let names = reply.set_cookie_names();
        assert_eq!(
            names,
            declared,
            "{area}: exactly the declared cookies arrive: {:?}",
            reply.set_cookies()
        );
        for header in reply.set_cookies() {
            let name = http_client::cookie_name(&header).to_owned();
            assert!(header.contains("; Secure"), "{area}: {header}");
            assert!(
                header.contains("SameSite=Lax") || header.contains("SameSite=Strict"),
                "{area}: {header}"
            );
            if SESSION.contains(&name.as_str()) {
                assert!(
                    !header.contains("Expires=") && !header.contains("Max-Age="),
                    "{area}: {header}"
                );
            }
            if HTTP_ONLY.contains(&name.as_str()) {
                assert!(header.contains("HttpOnly"), "{area}: {header}");
            }
            if ONE_HOUR.contains(&name.as_str()) {
                assert!(header.contains("Max-Age=3600"), "{area}: {header}");
            }
        }
    }

    // A fetch() endpoint: its tracker is stripped, its declared cookie kept.
    let api = get(&demo, "/mina-sidor/api/cookies").await;
    assert_eq!(api.status, StatusCode::OK);
    assert_eq!(api.set_cookie_names(), ["msal.token.keys"]);

    // The echo endpoint names the cookies the upstream received, never their values.
    let echo = http_client::send(
        http::Request::get(demo.url("/echo"))
            .header(http::header::HOST, demo.address.to_string())
            .header(http::header::COOKIE, "first=SECRETVALUE; second=2")
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap(),
        false,
    )
    .await;
    assert_eq!(echo.text(), r#"{"cookies":["first","second"]}"#);
    assert_eq!(get(&demo, "/js-cookie").await.status, StatusCode::OK);

    // The policy's declaration page, rendered from the live policy by the proxy itself.
    let english = get(&demo, "/cookies").await;
    assert_eq!(english.status, StatusCode::OK);
    assert_eq!(english.headers["content-type"], "text/html; charset=utf-8");
    assert!(english.text().contains("About cookies"), "{}", english.text());
    assert!(english.text().contains("PortalAlias"));
    let swedish = get(&demo, "/cookies?lang=sv").await;
    assert!(swedish.text().contains("Om cookies"));

    // Each rogue cookie was logged as a violation (lines are written one at a time, after the
    // response: wait for each).
    for rogue in ["_ga", "__Host-demo", "fetch_tracker"] {
        let line = demo.wait_for_log(rogue, 0, std::time::Duration::from_secs(20));
        assert!(line.is_some(), "{rogue} is logged: {:?}", demo.stderr());
    }
    let logged = demo.stderr().join("\n");
    assert!(logged.contains("cookie policy violation"), "{logged}");
    assert!(!logged.contains("SECRETVALUE"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_demo_in_report_only_mode_passes_every_cookie() {
    let demo = Running::start(
        &["demo", "--listen", "127.0.0.1:0"],
        &[("COOKIE_WARDEN_ENFORCEMENT__MODE", "report-only")],
    );
    let reply = get(&demo, "/public/").await;
    let names = reply.set_cookie_names();
    for expected in [
        "_pk_testcookie",
        "__RequestVerificationToken",
        "accepted_cookies",
        "_ga",
        "__Host-demo",
    ] {
        assert!(
            names.iter().any(|name| name == expected),
            "{expected} in {names:?}"
        );
    }
    assert!(reply.text().contains("report-only"));
}

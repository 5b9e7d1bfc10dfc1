//! Consent in a real browser: `cookie-warden demo --policy consent` (`config/fora-consent.toml`)
//! and Chromium's own cookie jar. The e-services area's statistics cookies (`ai_session`,
//! `ai_user`) must be absent before the visitor accepts, present after the home page's "accept"
//! link, and gone again after "decline" (the proxy purges them with `Max-Age=0`), while the
//! consent cookie and the functional cookies stay.
//!
//! The demo is reached at `http://127.0.0.1:…`, which Chromium treats as a secure origin, so the
//! demo's `Secure` cookies are stored. Without a browser this test fails in CI (`CI=true`) and
//! prints `BROWSER TEST DID NOT RUN` elsewhere.

use cookie_warden_tests::Running;
use cookie_warden_tests::browser::{Chromium, LaunchOptions, Page, run_script, visit};

/// The statistics cookies of the e-services area.
const STATISTICS: [&str; 2] = ["ai_session", "ai_user"];

/// The names in Chromium's jar.
async fn jar(browser: &Chromium) -> Vec<String> {
    let store = browser.cookies().await.expect("the store is readable");
    store.into_iter().map(|c| c.name).collect()
}

/// Visits `path` on the demo and expects a 200.
async fn open(page: &Page, demo: &Running, path: &str) {
    let url = demo.url(path);
    assert_eq!(visit(page, &url).await.expect("the page loads"), 200, "GET {url}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepting_and_declining_in_the_consent_demo_fills_and_empties_the_jar() {
    let test = "accepting_and_declining_in_the_consent_demo_fills_and_empties_the_jar";
    // The demo first, so that a build never holds the browser slot.
    let demo = tokio::task::spawn_blocking(|| {
        Running::start(&["demo", "--policy", "consent", "--listen", "127.0.0.1:0"], &[])
    })
    .await
    .expect("the demo starts");
    let Some(browser) = Chromium::launch_for_test(test, &LaunchOptions::default()).await else {
        return;
    };
    let page = browser.open("about:blank").await.expect("a tab opens");

    // No choice yet: the statistics cookies are stripped, the others arrive.
    open(&page, &demo, "/e-services/").await;
    let before = jar(&browser).await;
    assert!(before.iter().any(|n| n == "i18next"), "{before:?}");
    for name in STATISTICS {
        assert!(
            !before.iter().any(|n| n == name),
            "{name} before consent: {before:?}"
        );
    }

    // "Accept": the link's response stores the consent cookie and returns to the home page,
    // whose script shows the choice.
    open(&page, &demo, "/").await;
    let accept = run_script(
        &page,
        "document.getElementById('consent-accept').getAttribute('href')",
    )
    .await
    .expect("the accept link is read");
    let accept = accept.as_str().expect("a link").to_owned();
    open(&page, &demo, &accept).await;
    let shown = run_script(&page, "document.getElementById('consent-state').textContent")
        .await
        .expect("the choice is shown");
    assert_eq!(shown, "necessary,statistics,marketing");
    open(&page, &demo, "/e-services/").await;
    let accepted = jar(&browser).await;
    assert!(accepted.iter().any(|n| n == "cookie_consent"), "{accepted:?}");
    for name in STATISTICS {
        assert!(
            accepted.iter().any(|n| n == name),
            "{name} after accepting: {accepted:?}"
        );
    }

    // "Decline", then the area again: the statistics cookies the jar still held are purged.
    let decline = run_script(
        &page,
        "document.getElementById('consent-decline')?.getAttribute('href')",
    )
    .await
    .expect("script runs");
    assert!(decline.is_null(), "the area page has no banner links");
    open(&page, &demo, "/").await;
    let decline = run_script(
        &page,
        "document.getElementById('consent-decline').getAttribute('href')",
    )
    .await
    .expect("the decline link is read");
    open(&page, &demo, decline.as_str().expect("a link")).await;
    let shown = run_script(&page, "document.getElementById('consent-state').textContent")
        .await
        .expect("the choice is shown");
    assert_eq!(shown, "necessary");
    open(&page, &demo, "/e-services/").await;
    let declined = jar(&browser).await;
    assert!(declined.iter().any(|n| n == "cookie_consent"), "{declined:?}");
    assert!(declined.iter().any(|n| n == "i18next"), "{declined:?}");
    for name in STATISTICS {
        assert!(
            !declined.iter().any(|n| n == name),
            "{name} after declining: {declined:?}"
        );
    }

    drop(page);
    browser.close().await;
    drop(demo);
}

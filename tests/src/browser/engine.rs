//! What every browser engine the differential tests drive must offer: start headless with the
//! test's host mapping, load a URL as a top-level navigation, read its whole cookie jar (session
//! and HttpOnly cookies included) as [`StoredCookie`]s, clear that jar, and shut down.
//!
//! Chromium implements it over DevTools ([`super::Chromium`]); Firefox ESR over WebDriver BiDi.
//! A test written against [`Engine`] runs on every engine the machine has
//! ([`launch_engine_for_test`] applies the CI rule to each).
//!
//! The common jar type is [`StoredCookie`]: it has no value field, so nothing a test prints about
//! a jar can hold a cookie's value. An engine maps its own reading onto it:
//! * `domain` without a leading dot, `host_only` true when the cookie was stored without a
//!   `Domain` attribute;
//! * `same_site` [`super::StoredSameSite::Unspecified`] when the engine recorded no valid
//!   `SameSite` (Firefox BiDi reports `"default"` or `"none"` for that; map what the engine
//!   means, not what it prints — see the engine's module docs);
//! * `expires` the Unix time in seconds at which the engine will drop the cookie, `None` for a
//!   session cookie;
//! * `partitioned` whether it sits in a partition (CHIPS).

use std::future::Future;
use std::io::Write as _;

use super::chromium::{BrowserError, LaunchOptions, browser_required};
use super::store::StoredCookie;

/// A headless browser a differential test can drive. Every method is bounded in time by the
/// implementation; dropping the engine kills the browser.
pub trait Engine: Sized + Send + Sync {
    /// A short fixed name for messages and file names: `"chromium"`, `"firefox"`.
    const NAME: &'static str;

    /// Whether [`Engine::jar`] reports [`StoredCookie::partitioned`] (WebDriver BiDi, which the
    /// Firefox client uses, has no field for it: it is always `false` there).
    const REPORTS_PARTITIONED: bool = true;

    /// Starts the engine with a fresh profile.
    ///
    /// `options.loopback_hosts` must resolve to 127.0.0.1 (every other name must fail), and with
    /// `options.accept_test_certificates` the proxy's self-signed certificate must be accepted.
    ///
    /// # Errors
    /// [`BrowserError::Missing`] when the executable is not installed (the caller decides whether
    /// that skips or fails the test), any other variant when it is installed but does not start.
    fn launch(options: &LaunchOptions) -> impl Future<Output = Result<Self, BrowserError>> + Send;

    /// The product and version, e.g. `Chrome/143.0.7499.169` or `firefox 140.5.0esr`.
    ///
    /// # Errors
    /// When the browser does not answer in time.
    fn version(&self) -> impl Future<Output = Result<String, BrowserError>> + Send;

    /// Loads `url` as a top-level navigation in the engine's one tab and waits until the document
    /// has loaded (so every `Set-Cookie` of the response has been processed).
    ///
    /// # Errors
    /// When the navigation fails or times out.
    fn load(&self, url: &str) -> impl Future<Output = Result<(), BrowserError>> + Send;

    /// Every cookie in the jar, all sites, HttpOnly and session cookies included, sorted by
    /// domain, path and name.
    ///
    /// # Errors
    /// When the browser does not answer in time.
    fn jar(&self) -> impl Future<Output = Result<Vec<StoredCookie>, BrowserError>> + Send;

    /// Removes every cookie from the jar.
    ///
    /// # Errors
    /// When the browser does not answer in time.
    fn clear_jar(&self) -> impl Future<Output = Result<(), BrowserError>> + Send;

    /// Shuts the browser down (politely, then by force) and removes its profile.
    fn shut_down(self) -> impl Future<Output = ()> + Send;
}

/// Starts engine `E` for a test, or decides the test cannot run on it here.
///
/// Returns `None` (after printing one loud `BROWSER TEST DID NOT RUN` line naming the engine) when
/// the engine is not installed and this is not CI.
///
/// # Panics
/// When the engine is missing in CI (`CI=true`), or is installed but does not start.
pub async fn launch_engine_for_test<E: Engine>(test: &str, options: &LaunchOptions) -> Option<E> {
    match E::launch(options).await {
        Ok(engine) => Some(engine),
        Err(error @ BrowserError::Missing(_)) if !browser_required() => {
            // Straight to the process's stderr: the harness captures `eprintln!` of passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "BROWSER TEST DID NOT RUN: {test} on {}: {error}",
                E::NAME
            );
            None
        }
        Err(error) => panic!("browser test {test} on {}: {error}", E::NAME),
    }
}

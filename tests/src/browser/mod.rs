//! A real browser for end-to-end tests: Debian's Chromium, headless, driven over the DevTools
//! protocol with `chromiumoxide` (no WebDriver, no downloaded browser).
//!
//! What cookie-warden promises is about what ends up in a browser's cookie jar, so the browser
//! tests read that jar itself (`Storage.getCookies`, HttpOnly cookies included) after visiting
//! pages through the real `cookie-warden proxy`.
//!
//! * [`Chromium`] starts the browser with a fresh profile and kills it when dropped.
//! * [`Chromium::launch_for_test`] applies the CI rule: with `CI=true` a missing browser fails the
//!   test; elsewhere it prints one `BROWSER TEST DID NOT RUN` line and the test returns.
//! * [`Firefox`] is Debian's Firefox ESR, headless, driven over WebDriver BiDi (its built-in
//!   remote protocol): the second [`Engine`], same jar type.
//! * [`StoredCookie`] is one cookie of the store, without its value: the jar type every
//!   [`Engine`] (Chromium here, Firefox over WebDriver BiDi) reports.
//! * [`Engine`] is what a differential test needs of a browser: launch, load, read and clear the
//!   jar, shut down; [`launch_engine_for_test`] applies the CI rule per engine.
//! * [`TestSite`] is an upstream whose pages set the cookies a test gives them and which records
//!   the cookie names every request carried; [`TestCertificate`] lets the proxy serve https.

mod chromium;
mod engine;
mod firefox;
mod site;
mod store;
mod tls;

pub use chromium::{
    BrowserError, Chromium, LaunchOptions, browser_required, executable, navigate, run_script, screenshot,
    visit,
};
pub use chromiumoxide::Page;
pub use engine::{Engine, launch_engine_for_test};
pub use firefox::{Firefox, firefox_executable};
pub use site::{ECHO_PATH, SeenRequest, SitePage, TestSite};
pub use store::{StoredCookie, StoredSameSite};
pub use tls::TestCertificate;

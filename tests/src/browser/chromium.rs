//! Launching Debian's Chromium headless and driving it over the DevTools protocol.
//!
//! Every browser gets a fresh profile in a temporary directory, the launch flags this machine needs
//! (`--no-sandbox` as root, no background networking, no QUIC), and a host-resolver map that sends
//! the named hosts to 127.0.0.1 and makes every other name fail to resolve, so the browser never
//! leaves the machine. Every call is bounded in time. Dropping a [`Chromium`] kills the browser
//! process; [`Chromium::close`] shuts it down politely first.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotFormat;
use chromiumoxide::handler::viewport::Viewport;
use chromiumoxide::page::{Page, ScreenshotParams};
use futures_util::StreamExt;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::task::JoinHandle;

use super::engine::Engine;
use super::store::StoredCookie;
use crate::TempDir;

/// Where Debian installs Chromium (package `chromium`).
const DEFAULT_EXECUTABLE: &str = "/usr/bin/chromium";
/// Overrides [`DEFAULT_EXECUTABLE`].
const EXECUTABLE_ENV: &str = "COOKIE_WARDEN_CHROMIUM";
/// How long Chromium may take to print its DevTools address.
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one DevTools command, navigation, script or screenshot may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a polite shutdown may take before the process is killed.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a test waits for another test's browser to go away.
const SLOT_TIMEOUT: Duration = Duration::from_secs(300);

/// One browser at a time per test process: the machine has two cores, and Chromium with a
/// proxy and an upstream beside it is slow enough already.
static SLOTS: Semaphore = Semaphore::const_new(1);

/// The flags the issue and this machine ask for, beyond chromiumoxide's own defaults (which add
/// `--headless`, `--no-first-run`, `--disable-background-networking`, `--disable-sync` and more).
const FLAGS: [&str; 8] = [
    "disable-gpu",
    "disable-quic",
    "no-first-run",
    "disable-background-networking",
    "disable-component-update",
    "disable-sync",
    "disable-domain-reliability",
    "no-default-browser-check",
];

/// Why a browser test could not drive a browser.
#[derive(Debug)]
pub enum BrowserError {
    /// No Chromium executable at the path.
    Missing(PathBuf),
    /// Chromium was found but did not start.
    Launch(String),
    /// A DevTools call failed; the string says which step.
    Step(String),
    /// A step took longer than its bound.
    Timeout(String),
    /// Writing a screenshot or making the profile directory failed.
    Io(std::io::Error),
}

impl fmt::Display for BrowserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(path) => write!(
                f,
                "no browser at `{}` (Chromium: install Debian's `chromium`, or set {EXECUTABLE_ENV}; \
                 Firefox: install Debian's `firefox-esr`)",
                path.display()
            ),
            Self::Launch(why) => write!(f, "chromium did not start: {why}"),
            Self::Step(why) => write!(f, "devtools step failed: {why}"),
            Self::Timeout(step) => write!(f, "timed out: {step}"),
            Self::Io(error) => write!(f, "i/o error: {error}"),
        }
    }
}

impl std::error::Error for BrowserError {}

impl From<std::io::Error> for BrowserError {
    fn from(error: std::io::Error) -> Self {
        Self::Io(error)
    }
}

/// How to start the browser.
#[derive(Debug, Clone, Default)]
pub struct LaunchOptions {
    /// Host names the browser resolves to 127.0.0.1 (exact names, or `*.example.com`); every other
    /// name fails to resolve.
    pub loopback_hosts: Vec<String>,
    /// Accept the listener's self-signed test certificate. Off, a certificate error fails the
    /// navigation.
    pub accept_test_certificates: bool,
}

/// Whether this run must have a browser: in CI (`CI` set to anything but `false` or `0`) a
/// missing browser fails the test instead of skipping it.
#[must_use]
pub fn browser_required() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The Chromium executable this run uses: `$COOKIE_WARDEN_CHROMIUM`, else `/usr/bin/chromium`.
#[must_use]
pub fn executable() -> PathBuf {
    std::env::var_os(EXECUTABLE_ENV).map_or_else(|| PathBuf::from(DEFAULT_EXECUTABLE), PathBuf::from)
}

/// The `--host-resolver-rules` value that maps `hosts` to 127.0.0.1 and nothing else anywhere.
fn host_resolver_rules(hosts: &[String]) -> String {
    let mut rules: Vec<String> = hosts.iter().map(|h| format!("MAP {h} 127.0.0.1")).collect();
    // IP literals go through the rules too: keep 127.0.0.1 reachable.
    rules.push("EXCLUDE 127.0.0.1".to_owned());
    rules.push("MAP * ~NOTFOUND".to_owned());
    rules.join(", ")
}

/// Bounds one step in time.
async fn bounded<T, E: fmt::Display>(
    step: &str,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, BrowserError> {
    match tokio::time::timeout(STEP_TIMEOUT, fut).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(BrowserError::Step(format!("{step}: {error}"))),
        Err(_) => Err(BrowserError::Timeout(format!("{step} (after {STEP_TIMEOUT:?})"))),
    }
}

/// A running headless Chromium with its own throw-away profile. Dropping it kills the browser.
pub struct Chromium {
    browser: Browser,
    handler: JoinHandle<()>,
    /// The one tab [`Engine::load`] navigates, opened on first use.
    tab: tokio::sync::OnceCell<Page>,
    /// Removed when the browser is gone (declared after `browser`, so dropped after it).
    profile: TempDir,
    /// Released last, when the browser is gone.
    _slot: SemaphorePermit<'static>,
}

impl fmt::Debug for Chromium {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chromium")
            .field("devtools", self.browser.websocket_address())
            .field("profile", &self.profile.path("chromium-profile"))
            .finish_non_exhaustive()
    }
}

impl Chromium {
    /// Starts Chromium, or says why not.
    ///
    /// # Errors
    /// [`BrowserError::Missing`] when there is no executable; [`BrowserError::Launch`] when it does
    /// not start within 30 s.
    pub async fn launch(options: &LaunchOptions) -> Result<Self, BrowserError> {
        let executable = executable();
        if !executable.is_file() {
            return Err(BrowserError::Missing(executable));
        }
        let slot = tokio::time::timeout(SLOT_TIMEOUT, SLOTS.acquire())
            .await
            .map_err(|_| {
                BrowserError::Timeout(format!("waiting {SLOT_TIMEOUT:?} for another test's browser"))
            })?
            .map_err(|e| BrowserError::Launch(e.to_string()))?;
        let profile = TempDir::new();
        let mut builder = BrowserConfig::builder()
            .chrome_executable(&executable)
            .user_data_dir(profile.path("chromium-profile"))
            .no_sandbox()
            .launch_timeout(LAUNCH_TIMEOUT)
            .request_timeout(STEP_TIMEOUT)
            // The window too: a full-page screenshot clears the viewport emulation afterwards.
            .window_size(1280, 900)
            .viewport(Viewport {
                width: 1280,
                height: 900,
                ..Viewport::default()
            })
            .args(FLAGS)
            .arg((
                "host-resolver-rules",
                host_resolver_rules(&options.loopback_hosts).as_str(),
            ));
        if !options.accept_test_certificates {
            builder = builder.respect_https_errors();
        }
        let config = builder.build().map_err(BrowserError::Launch)?;
        let (browser, mut handler) =
            tokio::time::timeout(LAUNCH_TIMEOUT + CLOSE_TIMEOUT, Browser::launch(config))
                .await
                .map_err(|_| {
                    BrowserError::Timeout(format!("launch (after {:?})", LAUNCH_TIMEOUT + CLOSE_TIMEOUT))
                })?
                .map_err(|e| BrowserError::Launch(e.to_string()))?;
        // The handler drives the DevTools connection; it ends when the browser goes away.
        let handler = tokio::spawn(async move { while handler.next().await.is_some() {} });
        Ok(Self {
            browser,
            handler,
            tab: tokio::sync::OnceCell::new(),
            profile,
            _slot: slot,
        })
    }

    /// Starts Chromium for a test, or decides the test cannot run here.
    ///
    /// Returns `None` (after printing one loud `BROWSER TEST DID NOT RUN` line) when there is no
    /// browser and this is not CI.
    ///
    /// # Panics
    /// When the browser is missing in CI, or exists but does not start: both are failures.
    pub async fn launch_for_test(test: &str, options: &LaunchOptions) -> Option<Self> {
        match Self::launch(options).await {
            Ok(browser) => Some(browser),
            Err(error @ BrowserError::Missing(_)) if !browser_required() => {
                // Straight to the process's stderr: the test harness captures `eprintln!` of
                // passing tests, and this line must be seen.
                let _ = writeln!(std::io::stderr(), "BROWSER TEST DID NOT RUN: {test}: {error}");
                None
            }
            Err(error) => panic!("browser test {test}: {error}"),
        }
    }

    /// The browser's product and version, e.g. `Chrome/156.0.8078.108`.
    ///
    /// # Errors
    /// When the DevTools call fails or times out.
    pub async fn version(&self) -> Result<String, BrowserError> {
        Ok(bounded("Browser.getVersion", self.browser.version())
            .await?
            .product)
    }

    /// Opens a new tab on `url` and waits until it has loaded.
    ///
    /// # Errors
    /// When the page cannot be opened or loaded in time.
    pub async fn open(&self, url: &str) -> Result<Page, BrowserError> {
        bounded(&format!("open {url}"), self.browser.new_page(url)).await
    }

    /// Every cookie in the browser's store, all sites, HttpOnly ones included
    /// (`Storage.getCookies`), sorted by domain, path and name.
    ///
    /// # Errors
    /// When the DevTools call fails or times out.
    pub async fn cookies(&self) -> Result<Vec<StoredCookie>, BrowserError> {
        let cookies = bounded("Storage.getCookies", self.browser.get_cookies()).await?;
        let mut cookies: Vec<StoredCookie> = cookies.iter().map(StoredCookie::from_cdp).collect();
        cookies.sort_by(|a, b| (&a.domain, &a.path, &a.name).cmp(&(&b.domain, &b.path, &b.name)));
        Ok(cookies)
    }

    /// Shuts the browser down (politely, then by force) and removes its profile.
    pub async fn close(mut self) {
        let closed = tokio::time::timeout(CLOSE_TIMEOUT, self.browser.close()).await;
        let exited = match closed {
            Ok(Ok(_)) => tokio::time::timeout(CLOSE_TIMEOUT, self.browser.wait())
                .await
                .is_ok_and(|r| r.is_ok()),
            _ => false,
        };
        if !exited {
            // Bounded: kill sends SIGKILL and reaps the process.
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.browser.kill()).await;
        }
        self.handler.abort();
    }
}

impl Engine for Chromium {
    const NAME: &'static str = "chromium";

    async fn launch(options: &LaunchOptions) -> Result<Self, BrowserError> {
        Self::launch(options).await
    }

    async fn version(&self) -> Result<String, BrowserError> {
        Self::version(self).await
    }

    async fn load(&self, url: &str) -> Result<(), BrowserError> {
        let tab = self.tab.get_or_try_init(|| self.open("about:blank")).await?;
        navigate(tab, url).await
    }

    async fn jar(&self) -> Result<Vec<StoredCookie>, BrowserError> {
        self.cookies().await
    }

    async fn clear_jar(&self) -> Result<(), BrowserError> {
        bounded("Storage.clearCookies", self.browser.clear_cookies()).await
    }

    async fn shut_down(self) {
        self.close().await;
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        // chromiumoxide spawns Chromium with `kill_on_drop`, so dropping `browser` kills it; the
        // handler task would otherwise outlive the test's runtime.
        self.handler.abort();
    }
}

/// Navigates `page` to `url`, waits for the load, and returns the HTTP status of the document.
///
/// # Errors
/// When the navigation fails or times out, or the status cannot be read.
pub async fn visit(page: &Page, url: &str) -> Result<u16, BrowserError> {
    navigate(page, url).await?;
    let status = run_script(
        page,
        "performance.getEntriesByType('navigation')[0].responseStatus",
    )
    .await?;
    status
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .ok_or_else(|| BrowserError::Step(format!("no response status for {url}: {status}")))
}

/// Navigates `page` to `url` (any scheme, `file:` included) and waits for the load.
///
/// # Errors
/// When the navigation fails or times out.
pub async fn navigate(page: &Page, url: &str) -> Result<(), BrowserError> {
    bounded(&format!("navigate to {url}"), page.goto(url)).await?;
    Ok(())
}

/// Runs `script` in the page (awaiting it when it is a promise) and returns its JSON value
/// (`null` when it has none).
///
/// # Errors
/// When the script throws or times out.
pub async fn run_script(page: &Page, script: &str) -> Result<serde_json::Value, BrowserError> {
    let result = bounded(&format!("evaluate `{script}`"), page.evaluate(script)).await?;
    Ok(result.value().cloned().unwrap_or(serde_json::Value::Null))
}

/// Writes a full-page PNG screenshot of `page` to `path` (creating its directory).
///
/// # Errors
/// When the capture fails or times out, or the file cannot be written.
pub async fn screenshot(page: &Page, path: &Path) -> Result<(), BrowserError> {
    let params = ScreenshotParams::builder()
        .format(CaptureScreenshotFormat::Png)
        .full_page(true)
        .build();
    let png = bounded("Page.captureScreenshot", page.screenshot(params)).await?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, png)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolver_rules_map_listed_hosts_and_refuse_the_rest() {
        let rules = host_resolver_rules(&["fora.se".to_owned(), "*.fora.se".to_owned()]);
        assert_eq!(
            rules,
            "MAP fora.se 127.0.0.1, MAP *.fora.se 127.0.0.1, EXCLUDE 127.0.0.1, MAP * ~NOTFOUND"
        );
    }
}

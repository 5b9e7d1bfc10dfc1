//! Launching Debian's Firefox ESR headless and driving it over WebDriver BiDi, the protocol built
//! into Firefox (no geckodriver): a websocket at `ws://127.0.0.1:PORT/session`.
//!
//! Every browser gets a fresh profile in a temporary directory with a `user.js` that keeps it on
//! this machine (no telemetry, updates, captive-portal or connectivity checks, safe browsing,
//! remote settings, add-on or search updates, prefetching) and maps the test's host names to
//! 127.0.0.1:
//! * `network.dns.forceResolve` answers every name lookup with 127.0.0.1;
//! * every connection goes to a manual proxy at a closed port on 127.0.0.1, except those to the
//!   listed hosts (`network.proxy.no_proxies_on`, `*.example.com` written as `.example.com`) and to
//!   loopback, so an unlisted name fails to load, as it does in [`super::Chromium`].
//!
//! The BiDi client is deliberately small: one command at a time (`id`, `method`, `params` out;
//! the `success` or `error` with the same `id` back; events, which it never subscribes to, are
//! skipped), every step bounded in time. Firefox runs in its own process group, and dropping a
//! [`Firefox`] kills that whole group (the parent and its content processes) and reaps the parent,
//! so no process outlives the test. [`Firefox::shut_down`] asks politely first (`browser.close`).
//!
//! # How Firefox's jar maps onto [`StoredCookie`]
//! `storage.getCookies` without a partition asks Firefox's cookie service for the cookies matching
//! the empty origin-attributes pattern: every cookie of every user context and partition. Each
//! is serialised (Firefox's `storage.sys.mjs`) as:
//! * `domain`: the host as Firefox stores it, with a leading dot for a cookie set with a `Domain`
//!   attribute, without one for a host-only cookie — so `host_only` is exact;
//! * `sameSite`: `"strict"`, `"lax"`, `"none"`, or `"default"` when the header had no valid
//!   `SameSite` (`SAMESITE_UNSET`; Firefox sends such a cookie as `None` unless
//!   `network.cookie.sameSite.laxByDefault`), mapped to [`StoredSameSite::Unspecified`];
//! * `expiry`: absent for a session cookie, else the expiry in Unix seconds, rounded from
//!   Firefox's milliseconds (Firefox caps lifetimes at 400 days, `network.cookie.maxageCap`);
//! * no partition: the serialisation does not say whether a cookie sits in a CHIPS partition, so
//!   [`StoredCookie::partitioned`] is always `false` for Firefox. A differential test must not
//!   compare `partitioned` against Firefox.

use std::collections::VecDeque;
use std::fmt;
use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::chromium::{BrowserError, LaunchOptions};
use super::engine::Engine;
use super::store::{StoredCookie, StoredSameSite};
use crate::TempDir;

/// Where Debian installs Firefox ESR (package `firefox-esr`).
const DEFAULT_EXECUTABLE: &str = "/usr/bin/firefox-esr";
/// Overrides [`DEFAULT_EXECUTABLE`].
const EXECUTABLE_ENV: &str = "COOKIE_WARDEN_FIREFOX";
/// How long Firefox may take to print its BiDi address.
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one BiDi command (a navigation included) may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a polite shutdown may take before the process group is killed.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a test waits for another test's Firefox to go away.
const SLOT_TIMEOUT: Duration = Duration::from_secs(300);
/// The line Firefox prints on stderr once the BiDi server listens, before `ws://HOST:PORT`.
const LISTENING: &str = "WebDriver BiDi listening on ";
/// How many of Firefox's last stderr lines a launch error shows.
const STDERR_TAIL: usize = 20;

/// One Firefox at a time per test process (two cores; Chromium may run beside it).
static SLOTS: Semaphore = Semaphore::const_new(1);

/// The Firefox executable this run uses: `$COOKIE_WARDEN_FIREFOX`, else `/usr/bin/firefox-esr`.
#[must_use]
pub fn firefox_executable() -> PathBuf {
    std::env::var_os(EXECUTABLE_ENV).map_or_else(|| PathBuf::from(DEFAULT_EXECUTABLE), PathBuf::from)
}

/// Preferences that keep Firefox off the network, whatever the test does. Each is a background
/// service that would otherwise reach out at start or later.
const OFFLINE_PREFS: &[(&str, &str)] = &[
    // Updates of Firefox itself, add-ons, search engines, system add-ons, GMP plugins.
    ("app.update.disabledForTesting", "true"),
    ("app.update.auto", "false"),
    ("extensions.update.enabled", "false"),
    ("extensions.getAddons.cache.enabled", "false"),
    ("extensions.systemAddon.update.enabled", "false"),
    ("extensions.blocklist.enabled", "false"),
    ("browser.search.update", "false"),
    ("media.gmp-manager.url", "\"\""),
    ("media.gmp-gmpopenh264.enabled", "false"),
    ("media.gmp-widevinecdm.enabled", "false"),
    // Telemetry, health report, studies, crash reports, pings.
    ("toolkit.telemetry.enabled", "false"),
    ("toolkit.telemetry.unified", "false"),
    ("toolkit.telemetry.server", "\"\""),
    ("toolkit.telemetry.archive.enabled", "false"),
    ("datareporting.policy.dataSubmissionEnabled", "false"),
    ("datareporting.healthreport.uploadEnabled", "false"),
    ("app.normandy.enabled", "false"),
    ("app.normandy.api_url", "\"\""),
    ("app.shield.optoutstudies.enabled", "false"),
    ("browser.crashReports.unsubmittedCheck.enabled", "false"),
    ("browser.tabs.crashReporting.sendReport", "false"),
    ("browser.newtabpage.activity-stream.feeds.telemetry", "false"),
    ("browser.newtabpage.activity-stream.telemetry", "false"),
    ("browser.ping-centre.telemetry", "false"),
    // Captive portal and connectivity checks.
    ("network.captive-portal-service.enabled", "false"),
    ("network.connectivity-service.enabled", "false"),
    ("captivedetect.canonicalURL", "\"\""),
    // Safe browsing lists.
    ("browser.safebrowsing.malware.enabled", "false"),
    ("browser.safebrowsing.phishing.enabled", "false"),
    ("browser.safebrowsing.downloads.enabled", "false"),
    ("browser.safebrowsing.blockedURIs.enabled", "false"),
    ("browser.safebrowsing.provider.google4.updateURL", "\"\""),
    ("browser.safebrowsing.provider.mozilla.updateURL", "\"\""),
    // Remote settings (and the certificate data they carry), region lookup, geolocation.
    ("services.settings.server", "\"data:,#remote-settings-dummy/v1\""),
    ("security.remote_settings.crlite_filters.enabled", "false"),
    ("security.remote_settings.intermediates.enabled", "false"),
    ("security.OCSP.enabled", "0"),
    ("browser.region.network.url", "\"\""),
    ("browser.region.update.enabled", "false"),
    ("geo.provider.network.url", "\"\""),
    // No DNS over HTTPS, no prefetching or speculative connections.
    ("network.trr.mode", "5"),
    ("network.dns.disablePrefetch", "true"),
    ("network.prefetch-next", "false"),
    ("network.http.speculative-parallel-limit", "0"),
    ("network.predictor.enabled", "false"),
    ("browser.urlbar.speculativeConnect.enabled", "false"),
    // A blank start: no first-run pages, new-tab content, welcome screens or default-browser check.
    ("browser.startup.page", "0"),
    ("browser.startup.homepage", "\"about:blank\""),
    ("browser.startup.homepage_override.mstone", "\"ignore\""),
    ("startup.homepage_welcome_url", "\"about:blank\""),
    ("browser.newtabpage.enabled", "false"),
    ("browser.aboutwelcome.enabled", "false"),
    ("browser.shell.checkDefaultBrowser", "false"),
    ("browser.sessionstore.resume_from_crash", "false"),
    ("toolkit.startup.max_resumed_crashes", "-1"),
    // Plain http stays plain http: no automatic upgrade to https, no https-first.
    ("dom.security.https_first", "false"),
    ("dom.security.https_first_schemeless", "false"),
    ("dom.security.https_only_mode", "false"),
];

/// The `user.js` of a fresh profile: [`OFFLINE_PREFS`], the host mapping for `hosts`, and the
/// caller's `extra` prefs (last, so they win).
fn user_js(hosts: &[String], extra: &[(&str, &str)]) -> String {
    let mut prefs: Vec<(String, String)> = OFFLINE_PREFS
        .iter()
        .map(|&(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    // Every lookup resolves to loopback; the proxy below makes unlisted names fail.
    prefs.push(("network.dns.forceResolve".to_owned(), "\"127.0.0.1\"".to_owned()));
    prefs.push(("network.proxy.type".to_owned(), "1".to_owned()));
    for scheme in ["http", "ssl"] {
        prefs.push((format!("network.proxy.{scheme}"), "\"127.0.0.1\"".to_owned()));
        prefs.push((format!("network.proxy.{scheme}_port"), "9".to_owned()));
    }
    prefs.push((
        "network.proxy.share_proxy_settings".to_owned(),
        "false".to_owned(),
    ));
    prefs.push((
        "network.proxy.no_proxies_on".to_owned(),
        format!("\"{}\"", no_proxies_on(hosts)),
    ));
    // Loopback names bypass the proxy only when listed above.
    prefs.push((
        "network.proxy.allow_hijacking_localhost".to_owned(),
        "true".to_owned(),
    ));
    prefs.extend(
        extra
            .iter()
            .map(|&(name, value)| (name.to_owned(), value.to_owned())),
    );
    let mut js = String::from("// Written by cookie-warden-tests for one headless test run.\n");
    for (name, value) in prefs {
        js.push_str(&format!("user_pref(\"{name}\", {value});\n"));
    }
    js
}

/// `network.proxy.no_proxies_on` for `hosts`: the listed names (a `*.example.com` pattern becomes
/// Firefox's `.example.com`), and loopback.
fn no_proxies_on(hosts: &[String]) -> String {
    let mut names: Vec<&str> = hosts
        .iter()
        .map(|host| host.strip_prefix('*').unwrap_or(host))
        .collect();
    names.extend(["127.0.0.1", "localhost"]);
    names.join(", ")
}

/// Bounds one step in time.
async fn bounded<T>(
    step: &str,
    timeout: Duration,
    fut: impl Future<Output = Result<T, BrowserError>>,
) -> Result<T, BrowserError> {
    tokio::time::timeout(timeout, fut)
        .await
        .unwrap_or_else(|_| Err(BrowserError::Timeout(format!("{step} (after {timeout:?})"))))
}

/// The Firefox process group: killed (all of it) and the parent reaped when dropped.
struct Process {
    child: Child,
}

impl Process {
    /// Kills every process of the group (Firefox runs as its group's leader) and reaps Firefox.
    fn kill(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether Firefox itself has exited (and been reaped).
    fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Firefox's stderr, read by a thread: the BiDi address once printed, and the last lines for
/// error messages (Firefox's own diagnostics; no cookie value is ever printed there).
struct Stderr {
    tail: Arc<Mutex<VecDeque<String>>>,
}

impl Stderr {
    /// Starts reading; the receiver gets the `ws://HOST:PORT` Firefox prints, or nothing when
    /// stderr closes first (Firefox exited).
    fn read(stream: std::process::ChildStderr) -> (Self, tokio::sync::oneshot::Receiver<String>) {
        let tail: Arc<Mutex<VecDeque<String>>> = Arc::default();
        let shared = Arc::clone(&tail);
        let (address_tx, address_rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut address_tx = Some(address_tx);
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                if let Some(address) = line.strip_prefix(LISTENING)
                    && let Some(tx) = address_tx.take()
                {
                    let _ = tx.send(address.trim().to_owned());
                }
                let mut tail = shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if tail.len() == STDERR_TAIL {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        });
        (Self { tail }, address_rx)
    }

    fn tail(&self) -> String {
        let tail = self
            .tail
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        tail.iter().map(String::as_str).collect::<Vec<_>>().join("\n")
    }
}

/// The BiDi websocket and the next command id.
struct Connection {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

impl Connection {
    /// Sends one command and waits for its result (skipping events and anything else).
    async fn call(&mut self, method: &str, params: Value) -> Result<Value, BrowserError> {
        self.next_id += 1;
        let id = self.next_id;
        let command = json!({ "id": id, "method": method, "params": params });
        self.socket
            .send(Message::text(command.to_string()))
            .await
            .map_err(|e| BrowserError::Step(format!("firefox BiDi {method}: send: {e}")))?;
        while let Some(message) = self.socket.next().await {
            let message =
                message.map_err(|e| BrowserError::Step(format!("firefox BiDi {method}: receive: {e}")))?;
            let Message::Text(text) = message else {
                continue;
            };
            let reply: Value = serde_json::from_str(text.as_str())
                .map_err(|e| BrowserError::Step(format!("firefox BiDi {method}: reply is not JSON: {e}")))?;
            if reply.get("id").and_then(Value::as_u64) != Some(id) {
                continue;
            }
            return match reply.get("type").and_then(Value::as_str) {
                Some("success") => Ok(reply.get("result").cloned().unwrap_or(Value::Null)),
                _ => Err(BrowserError::Step(format!(
                    "firefox BiDi {method}: {} {}",
                    reply.get("error").and_then(Value::as_str).unwrap_or("error"),
                    reply.get("message").and_then(Value::as_str).unwrap_or("")
                ))),
            };
        }
        Err(BrowserError::Step(format!(
            "firefox BiDi {method}: the connection closed"
        )))
    }
}

/// A running headless Firefox ESR with its own throw-away profile, one tab, and a BiDi session.
/// Dropping it kills the browser's process group.
pub struct Firefox {
    /// Closed first when dropped.
    connection: tokio::sync::Mutex<Connection>,
    /// The tab every load happens in.
    context: String,
    /// `firefox 153.8.0`, from `session.new`.
    version: String,
    address: String,
    stderr: Stderr,
    /// Killed when dropped (after the connection, before the profile is removed).
    process: Mutex<Process>,
    profile: TempDir,
    /// Released last, when the browser is gone.
    _slot: SemaphorePermit<'static>,
}

impl fmt::Debug for Firefox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Firefox")
            .field("bidi", &self.address)
            .field("version", &self.version)
            .field("profile", &self.profile.path("firefox-profile"))
            .finish_non_exhaustive()
    }
}

impl Firefox {
    /// Starts Firefox ESR with `extra_prefs` in its `user.js` besides the usual ones (name and
    /// JavaScript literal, e.g. `("network.cookie.maxageCap", "0")`), or says why not.
    /// [`Engine::launch`] is this without extra prefs.
    ///
    /// # Errors
    /// [`BrowserError::Missing`] when there is no executable; [`BrowserError::Launch`] or
    /// [`BrowserError::Timeout`] when it does not start, or its BiDi session does not open, in
    /// time.
    pub async fn launch_with_prefs(
        options: &LaunchOptions,
        extra_prefs: &[(&str, &str)],
    ) -> Result<Self, BrowserError> {
        let executable = firefox_executable();
        if !executable.is_file() {
            return Err(BrowserError::Missing(executable));
        }
        let slot = tokio::time::timeout(SLOT_TIMEOUT, SLOTS.acquire())
            .await
            .map_err(|_| {
                BrowserError::Timeout(format!("waiting {SLOT_TIMEOUT:?} for another test's Firefox"))
            })?
            .map_err(|e| BrowserError::Launch(e.to_string()))?;
        let profile = TempDir::new();
        let profile_dir = profile.path("firefox-profile");
        std::fs::create_dir_all(&profile_dir)?;
        std::fs::write(
            profile_dir.join("user.js"),
            user_js(&options.loopback_hosts, extra_prefs),
        )?;

        let mut command = Command::new(&executable);
        command
            .arg("--headless")
            .arg("--no-remote")
            .arg("--profile")
            .arg(&profile_dir)
            // Port 0: Firefox picks a free port and prints it.
            .args(["--remote-debugging-port", "0"])
            .env("MOZ_CRASHREPORTER_DISABLE", "1")
            .env("MOZ_HEADLESS", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // Its own process group, so that dropping the browser can kill its content processes too.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command
            .spawn()
            .map_err(|e| BrowserError::Launch(format!("{}: {e}", executable.display())))?;
        let stderr_stream = child.stderr.take().expect("piped stderr");
        let mut process = Process { child };
        let (stderr, address) = Stderr::read(stderr_stream);

        let address = match tokio::time::timeout(LAUNCH_TIMEOUT, address).await {
            Ok(Ok(address)) => address,
            Ok(Err(_)) => {
                // Let the reader thread take the last lines.
                tokio::time::sleep(Duration::from_millis(100)).await;
                return Err(BrowserError::Launch(format!(
                    "{} exited before listening; stderr:\n{}",
                    executable.display(),
                    stderr.tail()
                )));
            }
            Err(_) => {
                process.kill();
                return Err(BrowserError::Timeout(format!(
                    "launch: no BiDi address after {LAUNCH_TIMEOUT:?}; stderr:\n{}",
                    stderr.tail()
                )));
            }
        };
        let url = format!("{address}/session");
        let (socket, _) = bounded("connect", STEP_TIMEOUT, async {
            tokio_tungstenite::connect_async(url.as_str())
                .await
                .map_err(|e| BrowserError::Launch(format!("connect {url}: {e}")))
        })
        .await?;
        let mut connection = Connection { socket, next_id: 0 };
        let session = bounded(
            "session.new",
            STEP_TIMEOUT,
            connection.call(
                "session.new",
                json!({ "capabilities": { "alwaysMatch": {
                    "acceptInsecureCerts": options.accept_test_certificates,
                }}}),
            ),
        )
        .await?;
        let capabilities = &session["capabilities"];
        let version = format!(
            "{} {}",
            capabilities["browserName"].as_str().unwrap_or("firefox"),
            capabilities["browserVersion"]
                .as_str()
                .unwrap_or("(unknown version)")
        );
        let tree = bounded(
            "browsingContext.getTree",
            STEP_TIMEOUT,
            connection.call("browsingContext.getTree", json!({ "maxDepth": 0 })),
        )
        .await?;
        let context = match tree["contexts"][0]["context"].as_str() {
            Some(context) => context.to_owned(),
            None => bounded(
                "browsingContext.create",
                STEP_TIMEOUT,
                connection.call("browsingContext.create", json!({ "type": "tab" })),
            )
            .await?["context"]
                .as_str()
                .ok_or_else(|| BrowserError::Step("browsingContext.create: no context".to_owned()))?
                .to_owned(),
        };
        Ok(Self {
            connection: tokio::sync::Mutex::new(connection),
            context,
            version,
            address,
            stderr,
            process: Mutex::new(process),
            profile,
            _slot: slot,
        })
    }

    /// The process id of Firefox, which leads its own process group (its content processes are in
    /// that group too).
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.process
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .child
            .id()
    }

    /// Sends one BiDi command and returns its `result`, bounded in time.
    ///
    /// # Errors
    /// When Firefox answers with an error, the connection fails, or no answer comes in time.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, BrowserError> {
        let result = bounded(method, STEP_TIMEOUT, async {
            self.connection.lock().await.call(method, params).await
        })
        .await;
        if result.is_err()
            && self
                .process
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .exited()
        {
            return Err(BrowserError::Step(format!(
                "{method}: firefox exited; stderr:\n{}",
                self.stderr.tail()
            )));
        }
        result
    }

    /// Evaluates `expression` in the tab (awaiting a promise) and returns its value as JSON
    /// (BiDi's serialisation: `{"type": "number", "value": 200}`).
    ///
    /// # Errors
    /// When the script throws or times out.
    pub async fn evaluate(&self, expression: &str) -> Result<Value, BrowserError> {
        let result = self
            .call(
                "script.evaluate",
                json!({
                    "expression": expression,
                    "target": { "context": self.context },
                    "awaitPromise": true,
                }),
            )
            .await?;
        match result["type"].as_str() {
            Some("success") => Ok(result["result"].clone()),
            _ => Err(BrowserError::Step(format!(
                "script.evaluate: {}",
                result["exceptionDetails"]["text"].as_str().unwrap_or("exception")
            ))),
        }
    }
}

impl Engine for Firefox {
    const NAME: &'static str = "firefox";
    const REPORTS_PARTITIONED: bool = false;

    async fn launch(options: &LaunchOptions) -> Result<Self, BrowserError> {
        Self::launch_with_prefs(options, &[]).await
    }

    /// The browser's name and version from `session.new`, e.g. `firefox 153.8.0`.
    async fn version(&self) -> Result<String, BrowserError> {
        Ok(self.version.clone())
    }

    /// Navigates the tab to `url` and waits until the document has loaded
    /// (`browsingContext.navigate`, `wait: "complete"`).
    ///
    /// # Errors
    /// When the navigation fails (a network or certificate error too) or times out.
    async fn load(&self, url: &str) -> Result<(), BrowserError> {
        self.call(
            "browsingContext.navigate",
            json!({ "context": self.context, "url": url, "wait": "complete" }),
        )
        .await
        .map_err(|error| match error {
            BrowserError::Step(why) => BrowserError::Step(format!("{why} (navigating to {url})")),
            other => other,
        })?;
        Ok(())
    }

    /// Every cookie in the jar, all sites, HttpOnly and session cookies included, partitioned
    /// ones too (reported with `partitioned: false`: see the module docs), sorted by domain, path
    /// and name (`storage.getCookies`). Cookies whose expiry has passed are left out: Firefox
    /// lists them until it purges them, but never sends them.
    ///
    /// # Errors
    /// When the call fails or times out, or a cookie is not as the BiDi spec describes.
    async fn jar(&self) -> Result<Vec<StoredCookie>, BrowserError> {
        let result = self.call("storage.getCookies", json!({})).await?;
        let mut cookies = result["cookies"]
            .as_array()
            .ok_or_else(|| BrowserError::Step("storage.getCookies: no cookies array".to_owned()))?
            .iter()
            .map(stored_cookie)
            .collect::<Result<Vec<_>, _>>()?;
        // Firefox keeps a cookie that expired (a deletion's `Max-Age=0` among them: its expiry is
        // the moment it was set) in its list until the next purge, and BiDi lists it; Firefox
        // never sends it, nor shows it to scripts. It is not in the jar. BiDi gives the expiry in
        // whole seconds, so a cookie that expired within the current second can show an expiry
        // up to one second ahead: one second of grace.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |since| since.as_secs_f64());
        cookies.retain(|cookie| cookie.expires.is_none_or(|at| at > now + 1.0));
        cookies.sort_by(|a, b| (&a.domain, &a.path, &a.name).cmp(&(&b.domain, &b.path, &b.name)));
        Ok(cookies)
    }

    /// Removes every cookie from the jar (`storage.deleteCookies`).
    ///
    /// # Errors
    /// When the call fails or times out.
    async fn clear_jar(&self) -> Result<(), BrowserError> {
        self.call("storage.deleteCookies", json!({})).await?;
        Ok(())
    }

    /// Shuts Firefox down (`browser.close`, then waits for it to exit), kills whatever of its
    /// process group is left, and removes its profile.
    async fn shut_down(self) {
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
            // Firefox may close the socket before it answers: either is fine.
            let _ = self
                .connection
                .lock()
                .await
                .call("browser.close", json!({}))
                .await;
        })
        .await;
        let deadline = tokio::time::Instant::now() + CLOSE_TIMEOUT;
        while tokio::time::Instant::now() < deadline {
            if self
                .process
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .exited()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Drop kills the group (content processes included) and reaps Firefox.
    }
}

/// Reads one BiDi `storage.PartialCookie`/`network.Cookie` into a [`StoredCookie`], dropping its
/// value.
fn stored_cookie(cookie: &Value) -> Result<StoredCookie, BrowserError> {
    let field = |name: &str| {
        cookie
            .get(name)
            .ok_or_else(|| BrowserError::Step(format!("storage.getCookies: a cookie without `{name}`")))
    };
    let text = |name: &str| {
        field(name)?.as_str().map(str::to_owned).ok_or_else(|| {
            BrowserError::Step(format!(
                "storage.getCookies: `{name}` of a cookie is not a string"
            ))
        })
    };
    let flag = |name: &str| {
        field(name)?.as_bool().ok_or_else(|| {
            BrowserError::Step(format!("storage.getCookies: `{name}` of a cookie is not a bool"))
        })
    };
    let name = text("name")?;
    let stored_domain = text("domain")?;
    let (domain, host_only) = match stored_domain.strip_prefix('.') {
        Some(domain) => (domain.to_owned(), false),
        None => (stored_domain, true),
    };
    let same_site = match text("sameSite")?.as_str() {
        "strict" => StoredSameSite::Strict,
        "lax" => StoredSameSite::Lax,
        "none" => StoredSameSite::None,
        "default" => StoredSameSite::Unspecified,
        other => {
            return Err(BrowserError::Step(format!(
                "storage.getCookies: unknown sameSite `{other}` for cookie `{name}`"
            )));
        }
    };
    let expires = match cookie.get("expiry") {
        None | Some(Value::Null) => None,
        Some(expiry) => Some(expiry.as_f64().ok_or_else(|| {
            BrowserError::Step(format!(
                "storage.getCookies: `expiry` of cookie `{name}` is not a number"
            ))
        })?),
    };
    Ok(StoredCookie {
        path: text("path")?,
        secure: flag("secure")?,
        http_only: flag("httpOnly")?,
        name,
        domain,
        host_only,
        same_site,
        expires,
        // BiDi does not say (see the module docs).
        partitioned: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_listed_hosts_and_loopback_past_the_dead_proxy() {
        let hosts = ["app.test".to_owned(), "*.app.test".to_owned()];
        assert_eq!(no_proxies_on(&hosts), "app.test, .app.test, 127.0.0.1, localhost");
        let js = user_js(&hosts, &[("network.cookie.maxageCap", "0")]);
        assert!(js.contains("user_pref(\"network.dns.forceResolve\", \"127.0.0.1\");\n"));
        assert!(js.contains(
            "user_pref(\"network.proxy.no_proxies_on\", \"app.test, .app.test, 127.0.0.1, localhost\");\n"
        ));
        assert!(js.contains("user_pref(\"toolkit.telemetry.enabled\", false);\n"));
        assert!(js.ends_with("user_pref(\"network.cookie.maxageCap\", 0);\n"));
    }

    #[test]
    fn reads_a_bidi_cookie_without_its_value() {
        let cookie = stored_cookie(&json!({
            "name": "sid", "value": { "type": "string", "value": "do-not-print" },
            "domain": ".app.test", "path": "/", "size": 15, "httpOnly": true, "secure": true,
            "sameSite": "lax", "expiry": 1_900_000_000
        }))
        .unwrap();
        assert_eq!(cookie.domain, "app.test");
        assert!(!cookie.host_only);
        assert_eq!(cookie.same_site, StoredSameSite::Lax);
        assert_eq!(cookie.expires, Some(1_900_000_000.0));
        assert!(!format!("{cookie:?}").contains("do-not-print"));
    }

    #[test]
    fn reads_a_host_only_session_cookie_without_same_site() {
        let cookie = stored_cookie(&json!({
            "name": "a", "value": { "type": "string", "value": "1" }, "domain": "www.app.test",
            "path": "/x", "size": 2, "httpOnly": false, "secure": false, "sameSite": "default"
        }))
        .unwrap();
        assert!(cookie.host_only);
        assert!(cookie.is_session());
        assert_eq!(cookie.same_site, StoredSameSite::Unspecified);
    }

    #[test]
    fn refuses_an_unknown_same_site() {
        let error = stored_cookie(&json!({
            "name": "a", "value": { "type": "string", "value": "1" }, "domain": "app.test",
            "path": "/", "size": 2, "httpOnly": false, "secure": false, "sameSite": "sideways"
        }))
        .unwrap_err();
        assert!(error.to_string().contains("sideways"), "{error}");
    }
}

//! The second browser engine: Debian's Firefox ESR, headless, read over WebDriver BiDi
//! (`cookie_warden_tests::browser::Firefox`).
//!
//! These tests check the client itself against pages whose cookies are known, so that the
//! browser-differential fuzz can trust what it reads: the whole jar (session and HttpOnly cookies
//! included) with every attribute exactly as Firefox stored it, `storage.deleteCookies`, and a
//! shutdown that leaves no process of Firefox's group behind. They also record how Firefox reads
//! what the issue is about: the two example dates of issue 14 and a response `Date` that is not
//! the client's clock.
//!
//! Hosts: `app.test` and `*.app.test` resolve to 127.0.0.1 (everything else fails). `Secure`
//! cookies need a potentially trustworthy origin: Firefox stores them from `http://127.0.0.1` and
//! `http://localhost`, but not from `http://app.test` mapped to loopback (checked below), so the
//! mapped hosts are served over https by a small TLS front (a fresh self-signed certificate;
//! the session accepts it with `acceptInsecureCerts`).
//!
//! Without Firefox these tests fail in CI (`CI=true`) and print `BROWSER TEST DID NOT RUN`
//! elsewhere. No cookie value is printed: [`StoredCookie`] has no value field.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use cookie_warden_tests::browser::{
    BrowserError, Engine, Firefox, LaunchOptions, SitePage, StoredCookie, StoredSameSite, TestSite,
    browser_required, launch_engine_for_test,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Firefox's cap on a cookie's lifetime (`network.cookie.maxageCap`): 400 days.
const MAX_AGE_CAP: f64 = 400.0 * 86_400.0;
/// 2030-01-01T00:00:00Z, the year both example dates of issue 14 name.
const JAN_1_2030: f64 = 1_893_456_000.0;
/// How far an expiry may be from the one computed around the visit (seconds): the visit's own
/// duration plus Firefox's rounding to whole seconds.
const SLACK: f64 = 30.0;

fn unix_now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_secs(),
    )
    .expect("fits")
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64()
}

const WEEKDAYS: [&str; 7] = [
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A Unix time's UTC calendar fields.
struct Civil {
    year: i64,
    /// 1–12.
    month: usize,
    day: i64,
    /// Index into [`WEEKDAYS`].
    weekday: usize,
    hour: i64,
    minute: i64,
    second: i64,
}

impl Civil {
    fn of(unix: i64) -> Self {
        let days = unix.div_euclid(86_400);
        let secs = unix.rem_euclid(86_400);
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        Self {
            year: yoe + era * 400 + i64::from(month <= 2),
            month: usize::try_from(month).expect("1..=12"),
            day,
            weekday: usize::try_from(days.rem_euclid(7)).expect("0..7"),
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
        }
    }

    fn month_name(&self) -> &'static str {
        MONTHS[self.month - 1]
    }

    fn short_weekday(&self) -> &'static str {
        &WEEKDAYS[self.weekday][..3]
    }

    fn time(&self) -> String {
        format!("{:02}:{:02}:{:02}", self.hour, self.minute, self.second)
    }
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` for a Unix time (RFC 9110 IMF-fixdate).
fn imf_fixdate(unix: i64) -> String {
    let c = Civil::of(unix);
    format!(
        "{}, {:02} {} {:04} {} GMT",
        c.short_weekday(),
        c.day,
        c.month_name(),
        c.year,
        c.time()
    )
}

/// Writes a Unix time as an HTTP date in one form.
type DateForm = fn(i64) -> String;

/// Response `Date` forms, by name: IMF-fixdate (the control) and the lenient ones of issue 14,
/// class 3.
const DATE_FORMS: [(&str, DateForm); 8] = [
    ("imf_fixdate", imf_fixdate),
    ("utc_zone", |unix| imf_fixdate(unix).replace(" GMT", " UTC")),
    ("no_weekday", |unix| imf_fixdate(unix)[5..].to_owned()),
    ("lower_case", |unix| imf_fixdate(unix).to_ascii_lowercase()),
    ("one_digit_day", |unix| {
        let c = Civil::of(unix);
        format!(
            "{}, {} {} {} {} GMT",
            c.short_weekday(),
            c.day,
            c.month_name(),
            c.year,
            c.time()
        )
    }),
    ("rfc850", |unix| {
        let c = Civil::of(unix);
        format!(
            "{}, {:02}-{}-{:02} {} GMT",
            WEEKDAYS[c.weekday],
            c.day,
            c.month_name(),
            c.year % 100,
            c.time()
        )
    }),
    ("asctime", |unix| {
        let c = Civil::of(unix);
        format!(
            "{} {} {:>2} {} {}",
            c.short_weekday(),
            c.month_name(),
            c.day,
            c.time(),
            c.year
        )
    }),
    ("iso8601", |unix| {
        let c = Civil::of(unix);
        format!("{:04}-{:02}-{:02}T{}Z", c.year, c.month, c.day, c.time())
    }),
];

/// A TLS front on 127.0.0.1 (OS-chosen port) for `backend`, with a fresh self-signed
/// certificate for `hosts`.
async fn tls_front(backend: SocketAddr, hosts: &[&str]) -> SocketAddr {
    let names: Vec<String> = hosts.iter().map(|&h| h.to_owned()).collect();
    let certified = rcgen::generate_simple_self_signed(names).expect("self-signed certificate");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("default protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)
            .expect("certificate and key");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    address
}

/// One response of [`raw_server`]: its `Set-Cookie` values, and its `Date`: written by `date`
/// for the server's clock when it answers plus `date_offset` seconds. In a value, `{now+N}` (or `{now-N}`) becomes the
/// IMF-fixdate N seconds from the server's clock when it answers.
struct RawPage {
    date: DateForm,
    date_offset: i64,
    set_cookies: Vec<String>,
}

/// A raw HTTP/1.1 server on 127.0.0.1 (OS-chosen port): for a request whose path is `/N`, it
/// writes `pages[N]` byte for byte (status, a `Date` of its clock plus the page's offset, the
/// page's `Set-Cookie` lines in order) and a small body, then closes.
async fn raw_server(pages: Vec<RawPage>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let pages = Arc::new(pages);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let pages = Arc::clone(&pages);
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0_u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 65_536 {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&request);
                let path = line.split(' ').nth(1).unwrap_or("/");
                let body = "<!doctype html><title>raw</title>";
                let page = path
                    .strip_prefix('/')
                    .and_then(|n| pages.get(n.parse::<usize>().ok()?));
                let response = match page {
                    Some(page) => {
                        #[allow(clippy::cast_possible_truncation)]
                        let date = (page.date)(now().round() as i64 + page.date_offset);
                        let mut head = format!("HTTP/1.1 200 OK\r\ndate: {date}\r\n");
                        for set_cookie in &page.set_cookies {
                            head.push_str(&format!("set-cookie: {}\r\n", expand_now(set_cookie)));
                        }
                        format!(
                            "{head}content-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        )
                    }
                    _ => {
                        "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_owned()
                    }
                };
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    address
}

/// `{now+N}` / `{now-N}` in `template` → the IMF-fixdate N seconds from now.
fn expand_now(template: &str) -> String {
    let Some((before, rest)) = template.split_once("{now") else {
        return template.to_owned();
    };
    let (offset, after) = rest.split_once('}').expect("`{now±N}` is closed");
    let offset: i64 = offset
        .trim_start_matches('+')
        .parse()
        .expect("`{now±N}` holds a number");
    format!("{before}{}{after}", imf_fixdate(unix_now() + offset))
}

fn options() -> LaunchOptions {
    LaunchOptions {
        loopback_hosts: vec!["app.test".to_owned(), "*.app.test".to_owned()],
        accept_test_certificates: true,
    }
}

/// A cookie as the jar must hold it; `expires` is checked within [`SLACK`].
fn cookie(name: &str, domain: &str, path: &str) -> StoredCookie {
    StoredCookie {
        name: name.to_owned(),
        domain: domain.trim_start_matches('.').to_owned(),
        host_only: !domain.starts_with('.'),
        path: path.to_owned(),
        secure: false,
        http_only: false,
        same_site: StoredSameSite::Unspecified,
        expires: None,
        partitioned: false,
    }
}

/// Asserts the jar is exactly `expected` (expiries within [`SLACK`]), naming every difference.
fn assert_jar(jar: &[StoredCookie], expected: &[StoredCookie]) {
    let mut problems = Vec::new();
    for want in expected {
        match jar
            .iter()
            .find(|c| (&c.domain, &c.path, &c.name) == (&want.domain, &want.path, &want.name))
        {
            None => problems.push(format!("missing: {want:?}")),
            Some(got) => {
                let expiry_ok = match (got.expires, want.expires) {
                    (None, None) => true,
                    (Some(got), Some(want)) => (got - want).abs() <= SLACK,
                    _ => false,
                };
                let same = StoredCookie {
                    expires: want.expires,
                    ..got.clone()
                } == *want;
                if !same || !expiry_ok {
                    problems.push(format!("differs:\n   got {got:?}\n  want {want:?}"));
                }
            }
        }
    }
    for got in jar {
        if !expected
            .iter()
            .any(|w| (&w.domain, &w.path, &w.name) == (&got.domain, &got.path, &got.name))
        {
            problems.push(format!("unexpected: {got:?}"));
        }
    }
    assert!(
        problems.is_empty(),
        "the jar is not as expected:\n{}",
        problems.join("\n")
    );
}

/// Whether any live process belongs to process group `group` (`/proc/*/stat`, field 5).
fn group_alive(group: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.filter_map(Result::ok).any(|entry| {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            return false;
        };
        // `pid (comm) state ppid pgrp …`: comm may hold spaces, so split after the last `)`.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            return false;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        fields.first() != Some(&"Z") && fields.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(group)
    })
}

/// [`launch_engine_for_test`] with extra prefs: `None` (after one `BROWSER TEST DID NOT RUN`
/// line) when Firefox is not installed outside CI; a panic in CI or when it does not start.
async fn launch_with_prefs(test: &str, prefs: &[(&str, &str)]) -> Option<Firefox> {
    match Firefox::launch_with_prefs(&options(), prefs).await {
        Ok(firefox) => Some(firefox),
        Err(error @ BrowserError::Missing(_)) if !browser_required() => {
            let _ = writeln!(
                std::io::stderr(),
                "BROWSER TEST DID NOT RUN: {test} on firefox: {error}"
            );
            None
        }
        Err(error) => panic!("browser test {test} on firefox: {error}"),
    }
}

fn report(line: &str) {
    // Straight to the process's stderr: the harness captures `eprintln!` of passing tests.
    let _ = writeln!(std::io::stderr(), "firefox: {line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firefox_jar_holds_exactly_the_cookies_the_pages_set() {
    let in_ten_days = now().round() + 10.0 * 86_400.0;
    #[allow(clippy::cast_possible_truncation)]
    let in_ten_days_header = format!("expires=1; Expires={}", imf_fixdate(in_ten_days as i64));
    let tls_cookies = [
        "session=1",
        "max_age=1; Max-Age=3600",
        in_ten_days_header.as_str(),
        "capped=1; Max-Age=99999999",
        "http_only=1; HttpOnly",
        "secure=1; Secure",
        "strict=1; SameSite=Strict",
        "lax=1; SameSite=Lax",
        "none=1; SameSite=None; Secure",
        "none_insecure=1; SameSite=None",
        "bogus_same_site=1; SameSite=Bogus",
        "default_path=1",
        "path=1; Path=/sub",
        "relative_path=1; Path=sub",
        "domain=1; Domain=app.test",
        "dot_domain=1; Domain=.APP.test",
        "foreign=1; Domain=other.test",
        "deleted=1",
        "deleted=; Max-Age=0",
        "past=1; Expires=Wed, 01 Jan 1999 00:00:00 GMT",
        "issue_colon=1; Expires=01 Jan 1999:00 2030 00:00:00",
        "issue_five_digit=1; Expires=Wed, 01 Jan 02030 00:00:00 GMT",
        "__Host-ok=1; Secure; Path=/",
        "__Host-nopath=1; Secure",
        "__Secure-ok=1; Secure",
        "__Secure-insecure=1",
        "all=1; Secure; HttpOnly; SameSite=Lax; Path=/; Domain=app.test; Max-Age=60",
    ];
    let site = TestSite::start(vec![
        SitePage::new("www.app.test", "/a/b/set", &tls_cookies),
        SitePage::new("app.test", "/plain", &["plain=1", "plain_secure=1; Secure"]),
        SitePage::new("127.0.0.1", "/loopback", &["loopback_secure=1; Secure"]),
    ])
    .await;
    let tls = tls_front(site.address, &["app.test", "www.app.test"]).await;

    let started = Instant::now();
    let Some(firefox) =
        launch_engine_for_test::<Firefox>("firefox_jar_holds_exactly_the_cookies_the_pages_set", &options())
            .await
    else {
        return;
    };
    let launch = started.elapsed();
    let version = firefox.version().await.expect("version");
    report(&format!("{version}: launch and BiDi session in {launch:?}"));
    let pid = firefox.pid();

    let before = now();
    firefox
        .load(&format!("https://www.app.test:{}/a/b/set", tls.port()))
        .await
        .expect("https page loads");
    firefox
        .load(&format!("http://app.test:{}/plain", site.address.port()))
        .await
        .expect("plain http page loads");
    firefox
        .load(&format!("http://127.0.0.1:{}/loopback", site.address.port()))
        .await
        .expect("loopback page loads");
    let jar = firefox.jar().await.expect("the jar");
    let at = (before + now()) / 2.0;

    let www = "www.app.test";
    let expected = vec![
        cookie("session", www, "/a/b"),
        StoredCookie {
            expires: Some(at + 3600.0),
            ..cookie("max_age", www, "/a/b")
        },
        StoredCookie {
            expires: Some(in_ten_days),
            ..cookie("expires", www, "/a/b")
        },
        StoredCookie {
            expires: Some(at + MAX_AGE_CAP),
            ..cookie("capped", www, "/a/b")
        },
        StoredCookie {
            http_only: true,
            ..cookie("http_only", www, "/a/b")
        },
        StoredCookie {
            secure: true,
            ..cookie("secure", www, "/a/b")
        },
        StoredCookie {
            same_site: StoredSameSite::Strict,
            ..cookie("strict", www, "/a/b")
        },
        StoredCookie {
            same_site: StoredSameSite::Lax,
            ..cookie("lax", www, "/a/b")
        },
        StoredCookie {
            secure: true,
            same_site: StoredSameSite::None,
            ..cookie("none", www, "/a/b")
        },
        cookie("bogus_same_site", www, "/a/b"),
        cookie("default_path", www, "/a/b"),
        cookie("path", www, "/sub"),
        cookie("relative_path", www, "/a/b"),
        cookie("domain", ".app.test", "/a/b"),
        cookie("dot_domain", ".app.test", "/a/b"),
        // Both example dates of issue 14 are read as a date in the future (2030, see
        // `firefox_reads_the_issue_dates_as_2030`), so both are capped to 400 days.
        StoredCookie {
            expires: Some(at + MAX_AGE_CAP),
            ..cookie("issue_colon", www, "/a/b")
        },
        StoredCookie {
            expires: Some(at + MAX_AGE_CAP),
            ..cookie("issue_five_digit", www, "/a/b")
        },
        StoredCookie {
            secure: true,
            ..cookie("__Host-ok", www, "/")
        },
        StoredCookie {
            secure: true,
            ..cookie("__Secure-ok", www, "/a/b")
        },
        StoredCookie {
            secure: true,
            http_only: true,
            same_site: StoredSameSite::Lax,
            expires: Some(at + 60.0),
            ..cookie("all", ".app.test", "/")
        },
        cookie("plain", "app.test", "/"),
        StoredCookie {
            secure: true,
            ..cookie("loopback_secure", "127.0.0.1", "/")
        },
    ];
    assert_jar(&jar, &expected);

    // Navigate + read the jar, the fuzz's unit of work.
    let rounds = 20_u32;
    let started = Instant::now();
    for _ in 0..rounds {
        firefox
            .load(&format!("https://www.app.test:{}/a/b/set", tls.port()))
            .await
            .expect("page loads");
        let again = firefox.jar().await.expect("the jar");
        let names = |jar: &[StoredCookie]| {
            jar.iter()
                .map(|c| format!("{}{}|{}", c.domain, c.path, c.name))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(&again),
            names(&jar),
            "the same page sets the same cookies again"
        );
    }
    report(&format!(
        "navigate + storage.getCookies ({} cookies): {:?} per round over {rounds} rounds",
        expected.len(),
        started.elapsed() / rounds
    ));

    firefox.clear_jar().await.expect("storage.deleteCookies");
    assert_eq!(
        firefox.jar().await.expect("the jar"),
        Vec::new(),
        "the jar is empty after clearing"
    );

    // An unlisted name does not resolve to anything reachable.
    assert!(
        firefox
            .load(&format!("http://elsewhere.test:{}/plain", site.address.port()))
            .await
            .is_err()
    );

    let started = Instant::now();
    firefox.shut_down().await;
    report(&format!("shut down in {:?}", started.elapsed()));
    assert!(
        !group_alive(pid),
        "a process of Firefox's group {pid} outlived shut_down"
    );
    assert!(
        site.seen().iter().all(|seen| seen.host != "elsewhere.test"),
        "the unlisted host must never be reached"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firefox_reads_the_issue_dates_as_2030() {
    let heads = vec![
        // The two example dates of issue 14.
        RawPage {
            date: imf_fixdate,
            date_offset: 0,
            set_cookies: vec![
                "colon=1; Expires=01 Jan 1999:00 2030 00:00:00".to_owned(),
                "five_digit=1; Expires=Wed, 01 Jan 02030 00:00:00 GMT".to_owned(),
            ],
        },
        // A server clock one day behind: does Firefox measure Expires from the response's Date?
        RawPage {
            date: imf_fixdate,
            date_offset: -86_400,
            set_cookies: vec!["skewed=1; Expires={now+86400}".to_owned()],
        },
    ];
    let server = raw_server(heads).await;
    // Without the 400-day cap, the jar shows the date Firefox read.
    let Some(firefox) = launch_with_prefs(
        "firefox_reads_the_issue_dates_as_2030",
        &[("network.cookie.maxageCap", "0")],
    )
    .await
    else {
        return;
    };
    for n in 0..2 {
        firefox
            .load(&format!("http://127.0.0.1:{}/{n}", server.port()))
            .await
            .expect("raw page loads");
    }
    let jar = firefox.jar().await.expect("the jar");
    firefox.shut_down().await;
    let expires = |name: &str| {
        jar.iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no `{name}` in the jar: {jar:?}"))
            .expires
    };
    // Firefox measures Expires from the response's Date (below) and rounds to whole seconds,
    // so the expiry may be a second or two off the date's own second.
    for (name, header) in [
        ("colon", "`01 Jan 1999:00 2030 00:00:00`"),
        ("five_digit", "`Wed, 01 Jan 02030 00:00:00 GMT`"),
    ] {
        let expires = expires(name).unwrap_or_else(|| panic!("{header} gave a session cookie"));
        assert!(
            (expires - JAN_1_2030).abs() <= 2.0,
            "{header} must read as 2030-01-01T00:00:00Z, Firefox read {expires}"
        );
    }
    report("both example dates of issue 14 read as 2030-01-01T00:00:00Z");
    // Like Chromium, Firefox corrects for the server's clock: an Expires one day after a Date that
    // is one day behind lives two days.
    let skewed = expires("skewed").expect("`skewed` is persistent") - now();
    report(&format!(
        "Expires = real now + 1 day, Date = real now - 1 day: stored for {:.3} days",
        skewed / 86_400.0
    ));
    assert!(
        (skewed - 2.0 * 86_400.0).abs() <= SLACK,
        "Firefox must measure Expires from the response's Date: lives {skewed} s"
    );
}

/// Issue 14, class 3: Firefox, like Chromium, measures `Expires` from the response's `Date`. Which
/// `Date` forms does it read? A `Date` one day behind with an `Expires` one day ahead gives two
/// days when Firefox read the `Date`, one day when it fell back to its own clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firefox_reads_these_response_date_forms() {
    let pages = DATE_FORMS
        .iter()
        .map(|&(name, date)| RawPage {
            date,
            date_offset: -86_400,
            set_cookies: vec![format!("{name}=1; Expires={{now+86400}}")],
        })
        .collect::<Vec<_>>();
    let server = raw_server(pages).await;
    let Some(firefox) =
        launch_engine_for_test::<Firefox>("firefox_reads_these_response_date_forms", &options()).await
    else {
        return;
    };
    for n in 0..DATE_FORMS.len() {
        firefox
            .load(&format!("http://127.0.0.1:{}/{n}", server.port()))
            .await
            .expect("raw page loads");
    }
    let jar = firefox.jar().await.expect("the jar");
    let at = now();
    firefox.shut_down().await;
    let mut read = Vec::new();
    for (name, _) in DATE_FORMS {
        let lifetime = jar
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.expires)
            .unwrap_or_else(|| panic!("no persistent `{name}` in the jar: {jar:?}"))
            - at;
        let days = (lifetime / 86_400.0).round();
        assert!(
            (lifetime - days * 86_400.0).abs() <= SLACK && (days == 1.0 || days == 2.0),
            "`{name}`: a lifetime of {lifetime} s is neither one day nor two"
        );
        if days == 2.0 {
            read.push(name);
        }
    }
    report(&format!(
        "response Date forms read (Expires measured from them): {read:?}"
    ));
    assert_eq!(read, READ_DATE_FORMS, "the Date forms Firefox reads changed");
}

/// The `Date` forms of [`DATE_FORMS`] that Firefox 153 reads (see
/// `firefox_reads_these_response_date_forms`): all but ISO 8601, for which it measures `Expires`
/// from its own clock.
const READ_DATE_FORMS: [&str; 7] = [
    "imf_fixdate",
    "utc_zone",
    "no_weekday",
    "lower_case",
    "one_digit_day",
    "rfc850",
    "asctime",
];

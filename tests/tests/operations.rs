//! What a platform team operates on: the admin endpoints (`/healthz`, `/readyz`, `/metrics` on
//! `--metrics-listen`), the policy digest each replica reports, and a policy mounted from a
//! Kubernetes config map, updated by the kubelet's symlink swap.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use cookie_warden_tests::http_client::{self, Reply};
use cookie_warden_tests::upstream::{self, Body, full};
use cookie_warden_tests::{Running, TempDir, binary};
use http::{Request, Response, StatusCode, header};
use hyper::body::Incoming;
use nix::sys::signal::Signal;

const HOST: &str = "app.example.com";
const LOG_WAIT: Duration = Duration::from_secs(10);

/// A policy whose `tracker` rule is there or not: the upstream sets `sid` and `tracker`.
fn policy(tracker_listed: bool) -> String {
    let tracker = if tracker_listed {
        "[[cookie]]\nname = \"tracker\"\nlifetime = \"session\"\n"
    } else {
        ""
    };
    format!(
        "version = 1\n[enforcement]\nunlisted = \"strip\"\n\n[[scope]]\nid = \"app\"\nhosts = [\"{HOST}\"]\n\n\
[[cookie]]\nname = \"sid\"\nlifetime = \"session\"\n\n{tracker}"
    )
}

async fn handle(request: Request<Incoming>) -> Response<Body> {
    if request.uri().path() == "/slow" {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let mut response = Response::new(full("ok\n"));
    for value in [
        "sid=1; Path=/; Secure; HttpOnly; SameSite=Lax",
        "tracker=2; Path=/; Secure; HttpOnly; SameSite=Lax",
    ] {
        response
            .headers_mut()
            .append(header::SET_COOKIE, value.parse().unwrap());
    }
    response
}

/// The proxy in front of [`handle`], with the admin listener.
async fn start(config: &Path, extra: &[&str]) -> (Running, String) {
    let upstream = upstream::serve(handle).await;
    let upstream = format!("http://{upstream}");
    let mut args = vec![
        "proxy",
        "--config",
        config.to_str().unwrap(),
        "--upstream",
        &upstream,
        "--listen",
        "127.0.0.1:0",
        "--metrics-listen",
        "127.0.0.1:0",
        "--assume-https",
    ];
    args.extend_from_slice(extra);
    let proxy = Running::start(&args, &[]);
    let admin = format!(
        "http://{}",
        proxy
            .printed("metrics on ")
            .expect("the admin address is printed")
    );
    (proxy, admin)
}

async fn cookie_names(proxy: &Running) -> Vec<String> {
    http_client::get(&proxy.url("/"), HOST).await.set_cookie_names()
}

async fn admin(base: &str, path: &str) -> Reply {
    http_client::get(&format!("{base}{path}"), "admin").await
}

/// The value of the one sample of `/metrics` whose line starts with `series`.
fn sample(metrics: &str, series: &str) -> String {
    let line = metrics
        .lines()
        .find(|line| line.starts_with(series))
        .unwrap_or_else(|| panic!("no {series} in\n{metrics}"));
    line[series.len()..].trim().to_owned()
}

/// The digests in `cookie_warden_policy_info` lines.
fn digests(metrics: &str) -> Vec<String> {
    metrics
        .lines()
        .filter(|line| line.starts_with("cookie_warden_policy_info{"))
        .map(|line| {
            let start = line.find("digest=\"").expect("a digest label") + 8;
            line[start..start + 64].to_owned()
        })
        .collect()
}

/// What `sha256sum` (coreutils) says of the file: an implementation other than the binary's.
fn sha256sum(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum runs");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn health_readiness_and_the_policy_metrics_follow_reloads() {
    let dir = TempDir::new();
    let path = dir.write("policy.toml", &policy(false));
    let first = sha256sum(&path);
    let (proxy, base) = start(&path, &[]).await;

    let health = admin(&base, "/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    let ready = admin(&base, "/readyz").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text());
    assert_eq!(admin(&base, "/nope").await.status, StatusCode::NOT_FOUND);

    assert_eq!(cookie_names(&proxy).await, ["sid"]);
    let metrics = admin(&base, "/metrics").await.text();
    assert_eq!(
        sample(
            &metrics,
            &format!(
                "cookie_warden_build_info{{version=\"{}\"}}",
                env!("CARGO_PKG_VERSION")
            )
        ),
        "1"
    );
    assert_eq!(digests(&metrics), std::slice::from_ref(&first), "{metrics}");
    assert!(metrics.contains(&format!(
        "cookie_warden_policy_info{{digest=\"{first}\",mode=\"enforce\"}} 1"
    )));
    assert_eq!(
        sample(&metrics, "cookie_warden_policy_last_reload_successful"),
        "1"
    );
    let started: f64 = sample(&metrics, "cookie_warden_policy_last_reload_timestamp_seconds")
        .parse()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - 60.0..=now + 1.0).contains(&started), "{started} vs {now}");
    // One request so far, in the histogram with Prometheus' buckets.
    assert_eq!(
        sample(&metrics, "cookie_warden_request_duration_seconds_count"),
        "1"
    );
    assert_eq!(
        sample(
            &metrics,
            "cookie_warden_request_duration_seconds_bucket{le=\"+Inf\"}"
        ),
        "1"
    );
    assert!(metrics.contains("cookie_warden_request_duration_seconds_bucket{le=\"0.005\"}"));
    assert!(metrics.contains("# TYPE cookie_warden_request_duration_seconds histogram"));

    // A broken file: the running policy and its digest stay, the reload is marked failed.
    std::fs::write(&path, "version = 1\n[enforcement]\nmode = \"sometimes\"\n").unwrap();
    let seen = proxy.stderr().len();
    proxy.signal(Signal::SIGHUP);
    proxy
        .wait_for_log("keeping the running policy", seen, LOG_WAIT)
        .expect("the reload is refused");
    let metrics = admin(&base, "/metrics").await.text();
    assert_eq!(
        sample(&metrics, "cookie_warden_policy_last_reload_successful"),
        "0"
    );
    assert_eq!(digests(&metrics), std::slice::from_ref(&first), "{metrics}");
    let failed: f64 = sample(&metrics, "cookie_warden_policy_last_reload_timestamp_seconds")
        .parse()
        .unwrap();
    assert!(failed >= started, "{failed} < {started}");
    assert_eq!(admin(&base, "/readyz").await.status, StatusCode::OK);
    assert_eq!(cookie_names(&proxy).await, ["sid"]);

    // A good file: its digest, in the metrics and in the reload's log line.
    std::fs::write(&path, policy(true)).unwrap();
    let second = sha256sum(&path);
    assert_ne!(first, second);
    let seen = proxy.stderr().len();
    proxy.signal(Signal::SIGHUP);
    let line = proxy
        .wait_for_log("policy reloaded", seen, LOG_WAIT)
        .expect("the reload succeeds");
    assert!(line.contains(&second), "{line}");
    let metrics = admin(&base, "/metrics").await.text();
    assert_eq!(digests(&metrics), [second], "one policy_info series: {metrics}");
    assert_eq!(
        sample(&metrics, "cookie_warden_policy_last_reload_successful"),
        "1"
    );
    assert_eq!(cookie_names(&proxy).await, ["sid", "tracker"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn check_prints_the_digest_the_proxy_reports_and_overrides_show_in_the_mode() {
    let dir = TempDir::new();
    let path = dir.write("policy.toml", &policy(false));
    let digest = sha256sum(&path);
    let out = Command::new(binary())
        .args(["check", "--config", path.to_str().unwrap()])
        .env_remove("COOKIE_WARDEN_ENFORCEMENT__MODE")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("sha256 {digest}")), "{stdout}");

    let upstream = upstream::serve(handle).await;
    let upstream = format!("http://{upstream}");
    let proxy = Running::start(
        &[
            "proxy",
            "--config",
            path.to_str().unwrap(),
            "--upstream",
            &upstream,
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
        ],
        &[("COOKIE_WARDEN_ENFORCEMENT__MODE", "report-only")],
    );
    let base = format!("http://{}", proxy.printed("metrics on ").unwrap());
    let metrics = admin(&base, "/metrics").await.text();
    assert!(
        metrics.contains(&format!(
            "cookie_warden_policy_info{{digest=\"{digest}\",mode=\"report-only\"}} 1"
        )),
        "{metrics}"
    );
    let started = proxy
        .stderr()
        .into_iter()
        .find(|line| line.contains("proxy listening"))
        .expect("the start is logged");
    assert!(started.contains(&digest), "{started}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn readiness_fails_as_soon_as_shutdown_begins() {
    let dir = TempDir::new();
    let path = dir.write("policy.toml", &policy(false));
    let (mut proxy, base) = start(&path, &["--shutdown-timeout", "20s"]).await;
    assert_eq!(admin(&base, "/readyz").await.status, StatusCode::OK);
    // A request in flight keeps the process draining for ~3 s after SIGTERM.
    let url = proxy.url("/slow");
    let in_flight = tokio::spawn(async move { http_client::get(&url, HOST).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let seen = proxy.stderr().len();
    proxy.signal(Signal::SIGTERM);
    proxy
        .wait_for_log("shutting down", seen, LOG_WAIT)
        .expect("the proxy stops accepting");
    let ready = admin(&base, "/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.text(), "not ready: shutting down\n");
    // Alive all the same: the in-flight request finishes.
    assert_eq!(admin(&base, "/healthz").await.status, StatusCode::OK);
    let reply = in_flight.await.unwrap();
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        proxy
            .wait_exit(Duration::from_secs(20))
            .expect("it exits")
            .success()
    );
}

/// A config map volume as the kubelet writes it: the data in a timestamped directory,
/// `..data` a symlink to it, and each key a symlink through `..data`.
struct ConfigMapVolume {
    dir: PathBuf,
    generation: u32,
}

impl ConfigMapVolume {
    fn new(dir: PathBuf, policy: &str) -> Self {
        let mut volume = Self { dir, generation: 0 };
        volume.publish(policy);
        std::os::unix::fs::symlink("..data/policy.toml", volume.dir.join("policy.toml")).unwrap();
        volume
    }

    /// Publishes a new version as the kubelet's atomic writer does: write a new timestamped
    /// directory, point `..data_tmp` at it, rename `..data_tmp` over `..data`, remove the old one.
    fn publish(&mut self, policy: &str) {
        self.generation += 1;
        let name = format!("..2026_12_03_05_00_0{}.{:09}", self.generation, 123_456_789);
        let data = self.dir.join(&name);
        std::fs::create_dir(&data).unwrap();
        std::fs::write(data.join("policy.toml"), policy).unwrap();
        let old = std::fs::read_link(self.dir.join("..data")).ok();
        let tmp = self.dir.join("..data_tmp");
        std::os::unix::fs::symlink(&name, &tmp).unwrap();
        std::fs::rename(&tmp, self.dir.join("..data")).unwrap();
        if let Some(old) = old {
            std::fs::remove_dir_all(self.dir.join(old)).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_config_map_update_by_symlink_swap_is_applied_within_seconds() {
    let scratch = TempDir::new();
    let dir = scratch.path("config");
    std::fs::create_dir(&dir).unwrap();
    let mut volume = ConfigMapVolume::new(dir.clone(), &policy(false));
    let config = dir.join("policy.toml");
    let (proxy, base) = start(&config, &[]).await;
    assert_eq!(cookie_names(&proxy).await, ["sid"]);
    let before = digests(&admin(&base, "/metrics").await.text());

    volume.publish(&policy(true));
    let expected = sha256sum(&config);
    let swapped = Instant::now();
    loop {
        if cookie_names(&proxy).await == ["sid", "tracker"] {
            break;
        }
        assert!(
            swapped.elapsed() < Duration::from_secs(5),
            "the new policy is not applied 5 s after the swap:\n{}",
            proxy.stderr().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let metrics = admin(&base, "/metrics").await.text();
    assert_eq!(digests(&metrics), std::slice::from_ref(&expected));
    assert_ne!(before, [expected]);
    // A second update works the same way (the watch survives the swap).
    volume.publish(&policy(false));
    let swapped = Instant::now();
    while cookie_names(&proxy).await != ["sid"] {
        assert!(
            swapped.elapsed() < Duration::from_secs(5),
            "second swap not applied"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

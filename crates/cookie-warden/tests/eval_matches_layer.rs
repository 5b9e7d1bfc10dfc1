//! The README's promise that `eval` decides exactly as the proxy and the layer do, for the host:
//! the same `Host` values go through `cookie-warden eval --header 'Host: …'` (the built binary,
//! whose URL the core's `RequestUrlBuf` reads) and through `tower-cookie-warden` (a request
//! carrying that `Host`), and the same `Set-Cookie` headers must get the same verdicts and leave
//! the same way. Scope, `Domain` and loopback (`Secure` over plain http) all depend on the host.

mod common;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use cookie_warden_core::policy::load::from_toml_str;
use http::header::{HOST, SET_COOKIE};
use http::{Request, Response};
use serde_json::Value;
use tower::{Layer, ServiceExt, service_fn};
use tower_cookie_warden::CookieWardenLayer;

const POLICY: &str = r#"
version = 1

[[scope]]
id = "public"
hosts = ["fora.se", "www.fora.se"]
paths = ["/"]

[[scope]]
id = "local"
hosts = ["localhost", "*.localhost"]
paths = ["/"]

[[cookie]]
name = "sid"
scopes = ["public"]
lifetime = "session"

[[cookie]]
name = "dev"
scopes = ["local"]
lifetime = "session"

[[cookie]]
name = "wide"
lifetime = "session"
domains = ["fora.se"]

[[cookie]]
name = "any"
lifetime = "session"
"#;

/// What the upstream sets on every response: each decision depends on the host.
const SET_COOKIES: [&str; 6] = [
    "sid=1; Path=/; Secure; HttpOnly; SameSite=Lax",
    "dev=1; Path=/; Secure; HttpOnly; SameSite=Lax",
    "wide=1; Path=/; Domain=fora.se; Secure; HttpOnly; SameSite=Lax",
    "wide=2; Path=/; Domain=www.fora.se; Secure; HttpOnly; SameSite=Lax",
    "any=1; Path=/; HttpOnly; SameSite=Lax",
    "any=2; Path=/; Secure; HttpOnly; SameSite=Lax",
];

/// `Host` values both paths accept: case, trailing dots, ports, IPv4 and IPv6, loopback, punycode.
const HOSTS: [&str; 18] = [
    "fora.se",
    "FORA.SE",
    "www.fora.se.",
    "WWW.Fora.SE.:8443",
    "www.fora.se:",
    "sub.www.fora.se",
    "localhost",
    "LocalHost:3000",
    "app.localhost.",
    "127.0.0.1",
    "127.9.9.9:8080",
    "[::1]",
    "[::1]:3000",
    "10.0.0.1",
    "[2001:DB8::1]:443",
    "xn--fr-via.se",
    "other.example",
    "fora.se.evil",
];

/// `Host` values `eval` refuses (exit 2: no request URL), which the layer reads leniently (as
/// the core's normaliser says): they cannot disagree silently.
const REFUSED_BY_EVAL: [&str; 5] = ["fora.se:https", "user@fora.se", "[::1]x", "fora.se:99999", "a..b"];

/// (verdict, the header that leaves) per `SET_COOKIES` line, from `eval`.
fn eval(host: &str, https: bool, policy: &str) -> Vec<(String, Option<String>)> {
    let url = if https {
        "https://base.example/p"
    } else {
        "http://base.example/p"
    };
    let host_header = format!("Host: {host}");
    let stdin = SET_COOKIES.join("\n");
    let output = common::run_with_stdin(
        &["eval", "--config", policy, "--url", url, "--header", &host_header],
        &[],
        stdin.as_bytes(),
    );
    assert!(
        output.status.success(),
        "eval for Host {host:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let line: Value = serde_json::from_str(line).unwrap();
            (
                line["verdict"].as_str().unwrap().to_owned(),
                line["output"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// (verdicts, the headers that leave) from the layer, for a request with `Host: host`.
async fn layer(host: &str, https: bool) -> (Vec<String>, Vec<String>) {
    let policy = from_toml_str("p.toml", POLICY).unwrap().policy;
    let verdicts = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&verdicts);
    let service = CookieWardenLayer::new(policy)
        .served_over_https(https)
        .on_decision(move |decision| seen.lock().unwrap().push(decision.verdict.as_str().to_owned()))
        .layer(service_fn(|_req: Request<String>| async {
            let mut response = Response::new(String::new());
            for cookie in SET_COOKIES {
                response.headers_mut().append(SET_COOKIE, cookie.parse().unwrap());
            }
            Ok::<_, Infallible>(response)
        }));
    let request = Request::builder()
        .uri("/p")
        .header(HOST, host)
        .body(String::new())
        .unwrap();
    let response = service.oneshot(request).await.unwrap();
    let leaving = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let verdicts = verdicts.lock().unwrap().clone();
    (verdicts, leaving)
}

#[tokio::test]
async fn eval_and_the_layer_judge_every_host_alike() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, POLICY).unwrap();
    let policy = policy.to_str().unwrap();
    let mut allowed = 0;
    for host in HOSTS {
        for https in [false, true] {
            let cli = eval(host, https, policy);
            let (verdicts, leaving) = layer(host, https).await;
            let cli_verdicts: Vec<&str> = cli.iter().map(|(v, _)| v.as_str()).collect();
            let cli_leaving: Vec<&str> = cli.iter().filter_map(|(_, out)| out.as_deref()).collect();
            assert_eq!(
                cli_verdicts, verdicts,
                "verdicts for Host {host:?}, https {https}"
            );
            assert_eq!(
                cli_leaving, leaving,
                "headers leaving for Host {host:?}, https {https}"
            );
            allowed += cli_verdicts.iter().filter(|v| **v == "allow").count();
        }
    }
    // The hosts make a difference: some cookies pass, not all of them.
    assert!(
        allowed > HOSTS.len() && allowed < HOSTS.len() * 2 * SET_COOKIES.len(),
        "{allowed}"
    );
}

#[test]
fn eval_refuses_the_hosts_the_layer_reads_leniently() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, POLICY).unwrap();
    for host in REFUSED_BY_EVAL {
        let header = format!("Host: {host}");
        let output = common::run_with_stdin(
            &[
                "eval",
                "--config",
                policy.to_str().unwrap(),
                "--url",
                "https://base.example/",
                "--header",
                &header,
            ],
            &[],
            b"any=1",
        );
        assert_eq!(output.status.code(), Some(2), "Host {host:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("is not a valid host"), "Host {host:?}: {stderr}");
    }
}

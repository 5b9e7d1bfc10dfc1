//! The bench app answers as `bench/run.sh` expects: with `config/fora.toml` the four cookies of
//! `/set-cookies` are judged allow, fix, strip, allow, so the load bench measures each kind of decision.

use cookie_warden_bench_servers::app::{load_policy, router};
use cookie_warden_bench_servers::responses::{BODY, COOKIES_PATH, HOST, SET_COOKIES};
use http::header::{HOST as HOST_HEADER, SET_COOKIE};
use http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

const FORA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/fora.toml");

/// The status, the `Set-Cookie` values in order, and the body of `GET path` with the bench's `Host`.
async fn get(policy: bool, path: &str) -> (StatusCode, Vec<String>, Vec<u8>) {
    let policy = policy.then(|| load_policy(FORA.as_ref()).unwrap());
    let request = Request::get(path)
        .header(HOST_HEADER, HOST)
        .body(axum::body::Body::empty())
        .unwrap();
    let response = router(policy).oneshot(request).await.unwrap();
    let cookies = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, cookies, body)
}

#[tokio::test]
async fn the_bare_app_sets_all_four_cookies() {
    let (status, cookies, body) = get(false, COOKIES_PATH).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cookies, SET_COOKIES);
    assert_eq!(body, BODY);
}

#[tokio::test]
async fn behind_the_layer_two_pass_one_is_fixed_and_one_stripped() {
    let (status, cookies, body) = get(true, COOKIES_PATH).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cookies.len(), 3, "{cookies:?}");
    assert_eq!(cookies[0], SET_COOKIES[0], "allowed: passes byte for byte");
    assert!(cookies[1].starts_with("accepted_cookies="), "{}", cookies[1]);
    assert_ne!(cookies[1], SET_COOKIES[1], "fixed: re-serialised");
    assert!(
        cookies[1].contains("; Secure"),
        "fixed: Secure added: {}",
        cookies[1]
    );
    assert_eq!(cookies[2], SET_COOKIES[3], "allowed: passes byte for byte");
    assert!(
        !cookies.iter().any(|cookie| cookie.starts_with("bench_tracker=")),
        "unlisted: stripped"
    );
    assert_eq!(body, BODY);
}

#[tokio::test]
async fn plain_sets_no_cookie_with_or_without_the_layer() {
    for policy in [false, true] {
        let (status, cookies, body) = get(policy, "/plain").await;
        assert_eq!(status, StatusCode::OK);
        assert!(cookies.is_empty(), "{cookies:?}");
        assert_eq!(body, BODY);
    }
}

#[test]
fn a_missing_policy_file_is_named() {
    let err = load_policy("/nonexistent/policy.toml".as_ref()).unwrap_err();
    assert!(err.starts_with("/nonexistent/policy.toml: "), "{err}");
}

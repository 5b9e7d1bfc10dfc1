//! Run with: cargo run -p example-axum-app
//!
//! An axum app for the seed site (fora.se) whose routes set allowed, rogue, over-long and insecure
//! cookies, wrapped in cookie-warden with the seed's policy, `config/fora.toml`. It listens on
//! 127.0.0.1:3000; the policy's scopes are keyed by host, so ask as the public site does:
//!
//! ```sh
//! curl -si -H 'Host: www.fora.se' http://127.0.0.1:3000/allowed    # passes byte for byte
//! curl -si -H 'Host: www.fora.se' http://127.0.0.1:3000/rogue      # stripped: unlisted
//! curl -si -H 'Host: www.fora.se' http://127.0.0.1:3000/over-long  # fixed: lifetime cut to the limit
//! curl -si -H 'Host: www.fora.se' http://127.0.0.1:3000/insecure   # fixed: Secure, HttpOnly, SameSite added
//! curl -si -H 'Host: www.fora.se' http://127.0.0.1:3000/oversize   # stripped: over 4096 bytes, browsers drop it
//! ```
//!
//! Each violation is logged as a `cookie_warden` event (never with the cookie's value). Another
//! policy file can be given as the first argument.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::Router;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse};
use axum::routing::get;
use cookie_warden_core::policy::{CompiledPolicy, load};
use tower_cookie_warden::CookieWardenLayer;

/// The seed site's policy, relative to this example.
const FORA_POLICY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/fora.toml");

/// The CSRF token of the public site: a session cookie with every attribute the policy wants.
const ALLOWED: &str = "__RequestVerificationToken=Cf8bZ1x0; Path=/; Secure; HttpOnly; SameSite=Lax";
/// An analytics cookie the site's declaration does not list.
const ROGUE: &str = "_ga=GA1.2.1234567890.1700000000; Max-Age=63072000; Path=/";
/// The cookie-banner cookie, set for 30 years instead of at most the policy's limit.
const OVER_LONG: &str = "accepted_cookies=true; Max-Age=946080000; Path=/; Secure; SameSite=Lax";
/// The CSRF token without Secure, HttpOnly or SameSite.
const INSECURE: &str = "__RequestVerificationToken=Cf8bZ1x0; Path=/";

async fn index() -> &'static str {
    "routes: /allowed /rogue /over-long /insecure /oversize (send Host: www.fora.se)\n"
}

async fn allowed() -> impl IntoResponse {
    (AppendHeaders([(SET_COOKIE, ALLOWED)]), "allowed cookie set\n")
}

async fn rogue() -> impl IntoResponse {
    (
        AppendHeaders([(SET_COOKIE, ALLOWED), (SET_COOKIE, ROGUE)]),
        "rogue cookie set\n",
    )
}

async fn over_long() -> impl IntoResponse {
    (AppendHeaders([(SET_COOKIE, OVER_LONG)]), "over-long cookie set\n")
}

/// The cookie-banner cookie with a value longer than browsers store (name and value over 4096
/// bytes): a browser drops it, so it must not leave.
async fn oversize() -> impl IntoResponse {
    let header = format!(
        "accepted_cookies={}; Path=/; Secure; SameSite=Lax",
        "x".repeat(5000)
    );
    (AppendHeaders([(SET_COOKIE, header)]), "oversize cookie set\n")
}

async fn insecure() -> impl IntoResponse {
    (AppendHeaders([(SET_COOKIE, INSECURE)]), "insecure cookie set\n")
}

/// The application, wrapped in the layer.
fn app(policy: CompiledPolicy) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/allowed", get(allowed))
        .route("/rogue", get(rogue))
        .route("/over-long", get(over_long))
        .route("/insecure", get(insecure))
        .route("/oversize", get(oversize))
        // In production a TLS terminator sits in front of the app: without this, a browser on
        // plain http would drop the `Secure` cookies, and so does the policy.
        .layer(CookieWardenLayer::new(policy).served_over_https(true))
}

fn load_policy(path: &Path) -> Result<CompiledPolicy, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let loaded = load::from_toml_str(&path.display().to_string(), &text)?;
    for warning in &loaded.warnings {
        eprintln!("policy warning: {warning}");
    }
    Ok(loaded.policy)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "cookie_warden=info".into()),
        )
        .init();

    let path = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from(FORA_POLICY), PathBuf::from);
    let policy = load_policy(&path)?;
    let address = SocketAddr::from(([127, 0, 0, 1], 3000));
    let listener = tokio::net::TcpListener::bind(address).await?;
    println!("listening on http://{address}/ with {}", path.display());
    axum::serve(listener, app(policy))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn get_cookies(path: &str) -> Vec<String> {
        let policy = load_policy(Path::new(FORA_POLICY)).unwrap();
        let request = Request::builder()
            .uri(path)
            .header("host", "www.fora.se")
            .body(Body::empty())
            .unwrap();
        let response = app(policy).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let cookies = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(!body.is_empty());
        cookies
    }

    #[tokio::test]
    async fn allowed_passes_byte_for_byte() {
        assert_eq!(get_cookies("/allowed").await, [ALLOWED]);
    }

    #[tokio::test]
    async fn rogue_is_stripped() {
        assert_eq!(get_cookies("/rogue").await, [ALLOWED]);
    }

    #[tokio::test]
    async fn over_long_is_cut_to_the_limit() {
        let cookies = get_cookies("/over-long").await;
        assert_eq!(cookies.len(), 1);
        assert!(cookies[0].starts_with("accepted_cookies=true; "), "{cookies:?}");
        assert!(!cookies[0].contains("946080000"), "{cookies:?}");
    }

    #[tokio::test]
    async fn oversize_is_stripped() {
        assert!(get_cookies("/oversize").await.is_empty());
    }

    #[tokio::test]
    async fn insecure_is_fixed() {
        assert_eq!(get_cookies("/insecure").await, [ALLOWED]);
    }
}

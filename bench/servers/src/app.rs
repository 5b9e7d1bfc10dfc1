//! The in-process bench app: an axum router answering `/set-cookies` and `/plain`, bare or behind the layer.

use std::path::Path;

use axum::Router;
use axum::routing::get;
use bytes::Bytes;
use cookie_warden_core::policy::CompiledPolicy;
use http::Response;
use http_body_util::Full;
use tower_cookie_warden::{CookieWardenLayer, PolicyHandle};

use crate::responses::{COOKIES_PATH, response};

/// Reads and compiles the policy file, or returns every error in it (file, key and reason).
///
/// # Errors
/// When the file cannot be read or the policy does not load.
pub fn load_policy(path: &Path) -> Result<CompiledPolicy, String> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|err| format!("{name}: {err}"))?;
    cookie_warden_core::policy::load::from_toml_str(&name, &text)
        .map(|loaded| loaded.policy)
        .map_err(|errors| errors.to_string())
}

/// The two routes; behind [`CookieWardenLayer`] with `policy` when there is one.
///
/// The layer is told the app is served over https: the bench speaks plain HTTP on loopback, and a browser
/// keeps no `Secure` cookie from an `http://` answer, so without it every `Secure` cookie would be stripped.
pub fn router(policy: Option<CompiledPolicy>) -> Router {
    let router = Router::new()
        .route(COOKIES_PATH, get(cookies))
        .route("/plain", get(plain));
    match policy {
        Some(policy) => {
            router.layer(CookieWardenLayer::new(PolicyHandle::new(policy)).served_over_https(true))
        }
        None => router,
    }
}

async fn cookies() -> Response<Full<Bytes>> {
    response(COOKIES_PATH)
}

async fn plain() -> Response<Full<Bytes>> {
    response("/plain")
}

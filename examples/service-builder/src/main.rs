//! Run with: cargo run -p example-service-builder
//!
//! cookie-warden in a tower `ServiceBuilder` under tower-http's `TraceLayer`, served by bare hyper on
//! 127.0.0.1:3001. Try:
//!
//! ```sh
//! curl -si http://127.0.0.1:3001/ | grep -i set-cookie
//! ```
//!
//! The upstream sets three cookies: `session` (compliant, passes byte for byte), `lang` (listed, but
//! without the lifetime and attributes the policy asks for: fixed) and `_tracker` (unlisted:
//! stripped). The log shows tower-http's request span around cookie-warden's violation events.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use cookie_warden_core::policy::{CompiledPolicy, load};
use http::header::SET_COOKIE;
use http::{Request, Response};
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_cookie_warden::CookieWardenLayer;
use tower_http::trace::TraceLayer;

/// The site's cookie policy, inline to keep the example in one file.
const POLICY: &str = r#"
version = 1

[[cookie]]
name = "session"
lifetime = "session"

[[cookie]]
name = "lang"
lifetime = "12 months"
http_only = false
"#;

/// The application: it sets more cookies than its policy allows.
async fn app<B>(_request: Request<B>) -> Result<Response<Full<Bytes>>, Infallible> {
    let response = Response::builder()
        .header(
            SET_COOKIE,
            "session=0f3e9a; Path=/; Secure; HttpOnly; SameSite=Lax",
        )
        .header(SET_COOKIE, "lang=sv")
        .header(SET_COOKIE, "_tracker=c0ffee; Max-Age=63072000; Path=/")
        .body(Full::new(Bytes::from_static(b"hello\n")))
        .expect("a response built from constants is valid");
    Ok(response)
}

/// The stack: tracing outside, cookie-warden inside, the application innermost.
fn stack<B: http_body::Body + Send + 'static>(
    policy: CompiledPolicy,
) -> impl tower::Service<
    Request<B>,
    Response = Response<impl http_body::Body<Data = Bytes, Error = Infallible> + Send + 'static>,
    Error = Infallible,
    Future: Send + 'static,
> + Clone
+ Send
+ 'static {
    ServiceBuilder::new()
        // `TraceLayer` goes first (outermost). Its span is then open while cookie-warden runs, so
        // every violation event is recorded inside the request's span (method, URI, version), and
        // the response it logs (status, latency) is the one that actually leaves: after cookies
        // were stripped or fixed, or the whole response was blocked. Inside the warden, an event
        // would lack that context, and a block would be logged as the upstream's 200.
        .layer(TraceLayer::new_for_http())
        .layer(CookieWardenLayer::new(policy))
        .service_fn(app)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "cookie_warden=info,tower_http=debug".into()),
        )
        .init();

    let policy = load::from_toml_str("inline policy", POLICY)?.policy;
    let service = stack(policy);
    let address = SocketAddr::from(([127, 0, 0, 1], 3001));
    let listener = TcpListener::bind(address).await?;
    println!("listening on http://{address}/ (try: curl -si http://{address}/ | grep -i set-cookie)");

    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            if let Err(error) = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection error: {error}");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use tower::ServiceExt;

    #[tokio::test]
    async fn the_stack_fixes_and_strips() {
        let service = stack(load::from_toml_str("inline policy", POLICY).unwrap().policy);
        let request = Request::builder()
            .uri("http://127.0.0.1:3001/")
            .body(Full::<Bytes>::default())
            .unwrap();
        let response = service.oneshot(request).await.unwrap();
        let cookies: Vec<&str> = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(cookies.len(), 2, "{cookies:?}");
        assert_eq!(
            cookies[0],
            "session=0f3e9a; Path=/; Secure; HttpOnly; SameSite=Lax"
        );
        assert!(cookies[1].starts_with("lang=sv; Max-Age="), "{cookies:?}");
        assert!(cookies[1].ends_with("; Secure; SameSite=Lax"), "{cookies:?}");
    }
}

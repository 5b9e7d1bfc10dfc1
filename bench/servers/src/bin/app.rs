//! The bench's in-process app: axum answering `/set-cookies` and `/plain`, bare or wrapped in
//! `CookieWardenLayer`.
//!
//! Run with: `cargo run --release -p cookie-warden-bench-servers --bin bench-app -- --listen 127.0.0.1:0
//! [--policy config/fora.toml]`
//!
//! With `--policy` the router sits behind `CookieWardenLayer` (see [`router`]). No tracing subscriber is
//! installed: the figures are the layer's own cost, not a log writer's.

use std::process::ExitCode;

use axum::Router;
use axum::serve::ListenerExt as _;
use cookie_warden_bench_servers::app::{load_policy, router};
use cookie_warden_bench_servers::args::ServerArgs;
use cookie_warden_bench_servers::listen::bind_and_announce;

fn main() -> ExitCode {
    let args = match ServerArgs::parse(std::env::args().skip(1), true) {
        Ok(args) => args,
        Err(err) => {
            eprintln!("bench-app: {err}");
            return ExitCode::from(2);
        }
    };
    let policy = match args.policy.as_deref().map(load_policy).transpose() {
        Ok(policy) => policy,
        Err(err) => {
            eprintln!("bench-app: {err}");
            return ExitCode::from(2);
        }
    };
    cookie_warden_bench_servers::runtime::run("bench-app", serve(args.listen, router(policy)))
}

/// Serves `app` on `addr` with TCP_NODELAY, like the upstream.
async fn serve(addr: std::net::SocketAddr, app: Router) -> std::io::Result<()> {
    let listener = bind_and_announce(addr).await?.tap_io(|stream| {
        if let Err(err) = stream.set_nodelay(true) {
            eprintln!("bench-app: TCP_NODELAY: {err}");
        }
    });
    axum::serve(listener, app).await
}

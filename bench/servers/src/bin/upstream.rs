//! The bench's upstream: a bare hyper HTTP/1.1 server with keep-alive, answering `/set-cookies` and `/plain`.
//!
//! Run with:
//! `cargo run --release -p cookie-warden-bench-servers --bin bench-upstream -- --listen 127.0.0.1:0`

use std::convert::Infallible;
use std::process::ExitCode;

use cookie_warden_bench_servers::args::ServerArgs;
use cookie_warden_bench_servers::listen::bind_and_announce;
use cookie_warden_bench_servers::responses::response;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

fn main() -> ExitCode {
    let addr = match ServerArgs::parse(std::env::args().skip(1), false) {
        Ok(args) => args.listen,
        Err(err) => {
            eprintln!("bench-upstream: {err}");
            return ExitCode::from(2);
        }
    };
    cookie_warden_bench_servers::runtime::run("bench-upstream", serve(addr))
}

/// Accepts connections forever, one task per connection, HTTP/1.1 keep-alive.
async fn serve(addr: std::net::SocketAddr) -> std::io::Result<()> {
    let listener = bind_and_announce(addr).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        if let Err(err) = stream.set_nodelay(true) {
            eprintln!("bench-upstream: TCP_NODELAY: {err}");
            continue;
        }
        tokio::spawn(async move {
            let service = service_fn(|request: hyper::Request<hyper::body::Incoming>| async move {
                Ok::<_, Infallible>(response(request.uri().path()))
            });
            // A client that goes away mid-request is no error of the server's: nothing to report.
            let _closed = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

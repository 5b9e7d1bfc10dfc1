//! How a bench server binds and tells the bench script where it listens.

use std::io::Write as _;
use std::net::SocketAddr;

use tokio::net::TcpListener;

/// Binds `addr` and prints `listening on http://ADDR` (the bound address) on stdout, for the bench script.
///
/// # Errors
/// When the address cannot be bound or stdout cannot be written.
pub async fn bind_and_announce(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|err| std::io::Error::new(err.kind(), format!("cannot listen on {addr}: {err}")))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{}", listener.local_addr()?)?;
    stdout.flush()?;
    Ok(listener)
}

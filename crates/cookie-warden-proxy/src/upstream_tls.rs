//! TLS to an `https://` upstream (`--upstream-ca`, `--upstream-sni`): rustls with the `ring`
//! provider, checked once at start.
//!
//! - **Roots**: the system trust store by default (`rustls-native-certs`: Debian's
//!   `/etc/ssl/certs`, or `SSL_CERT_FILE` / `SSL_CERT_DIR`), so a CA the platform installs on the
//!   host or image is trusted and root updates come with the OS, not with a cookie-warden
//!   release. `--upstream-ca FILE` (PEM, one or more certificates) replaces them: only a private
//!   CA is trusted then.
//! - **Name**: the certificate is checked against the upstream URL's host (a DNS name, or an IP
//!   address matched against the certificate's IP addresses), or against `--upstream-sni NAME`,
//!   which is also the SNI sent. The `Host` sent upstream is not affected.
//! - **ALPN**: `h2` and `http/1.1` are offered; an upstream that picks `h2` gets HTTP/2 (one
//!   multiplexed connection), any other gets HTTP/1.1. A protocol upgrade (WebSocket) needs
//!   HTTP/1.1, so its connection offers `http/1.1` only.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// The ALPN protocol id of HTTP/2.
const H2: &[u8] = b"h2";
/// The ALPN protocol id of HTTP/1.1.
const HTTP_1_1: &[u8] = b"http/1.1";

/// Where the trusted roots come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roots {
    /// The system trust store.
    System,
    /// Only the certificates of this PEM file.
    File(PathBuf),
}

/// TLS to the upstream, ready to connect. Cheap to share behind an `Arc`.
pub struct UpstreamTls {
    /// Offers `h2` and `http/1.1`.
    any: TlsConnector,
    /// Offers `http/1.1` only (upgrades).
    http1: TlsConnector,
    /// The name sent as SNI and checked against the certificate.
    server_name: ServerName<'static>,
    roots: Roots,
}

impl std::fmt::Debug for UpstreamTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamTls")
            .field("server_name", &self.server_name)
            .field("roots", &self.roots)
            .finish_non_exhaustive()
    }
}

/// A TLS connection to the upstream and whether it speaks HTTP/2.
#[derive(Debug)]
pub(crate) struct Negotiated {
    /// The connection.
    pub(crate) stream: TlsStream<TcpStream>,
    /// The upstream chose `h2` by ALPN.
    pub(crate) http2: bool,
}

impl UpstreamTls {
    /// TLS to `host` (the upstream URL's host: a DNS name, an IPv4 address or a bracketed IPv6
    /// address), or to `sni` when given, trusting `roots`.
    ///
    /// # Errors
    /// Names the flag and what is wrong: an unreadable or empty CA file, a certificate that
    /// cannot be a trust anchor, a name that is neither a DNS name nor an IP address, no system
    /// roots at all.
    pub fn new(host: &str, sni: Option<&str>, roots: Roots) -> Result<Self> {
        let server_name = match sni {
            Some(name) => ServerName::try_from(name.to_owned()).map_err(|_| {
                anyhow::anyhow!("invalid --upstream-sni `{name}`: not a DNS name or an IP address")
            })?,
            None => {
                let bare = host
                    .strip_prefix('[')
                    .and_then(|h| h.strip_suffix(']'))
                    .unwrap_or(host);
                ServerName::try_from(bare.to_owned()).map_err(|_| {
                    anyhow::anyhow!(
                        "the upstream host `{host}` is not a name TLS can check (set --upstream-sni)"
                    )
                })?
            }
        };
        let store = match &roots {
            Roots::System => system_roots()?,
            Roots::File(path) => file_roots(path)?,
        };
        let store = Arc::new(store);
        Ok(Self {
            any: connector(&store, &[H2, HTTP_1_1])?,
            http1: connector(&store, &[HTTP_1_1])?,
            server_name,
            roots,
        })
    }

    /// Makes a TLS connection over `tcp`: offering `h2` unless `http1_only`.
    ///
    /// # Errors
    /// The handshake failed (untrusted or mismatched certificate, no common protocol version,
    /// the connection closed); the error names the cause.
    pub(crate) async fn connect(&self, tcp: TcpStream, http1_only: bool) -> io::Result<Negotiated> {
        let connector = if http1_only { &self.http1 } else { &self.any };
        let stream = connector.connect(self.server_name.clone(), tcp).await?;
        let http2 = stream.get_ref().1.alpn_protocol() == Some(H2);
        Ok(Negotiated { stream, http2 })
    }
}

/// A client connector trusting `roots` and offering `alpn`.
fn connector(roots: &Arc<RootCertStore>, alpn: &[&[u8]]) -> Result<TlsConnector> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("the TLS provider supports no safe protocol version")?
        .with_root_certificates(Arc::clone(roots))
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// The system trust store; an error when it holds no usable root.
fn system_roots() -> Result<RootCertStore> {
    let found = rustls_native_certs::load_native_certs();
    for error in &found.errors {
        tracing::warn!(target: "cookie_warden::proxy", error = %error, "a system root certificate could not be read");
    }
    let mut store = RootCertStore::empty();
    let (added, _ignored) = store.add_parsable_certificates(found.certs);
    if added == 0 {
        anyhow::bail!(
            "no system root certificates found for the https upstream (install the system's CA \
             certificates, set SSL_CERT_FILE, or pass --upstream-ca FILE)"
        );
    }
    Ok(store)
}

/// Every certificate of a PEM file, each a trust anchor.
fn file_roots(path: &Path) -> Result<RootCertStore> {
    let certificates = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("cannot read --upstream-ca `{}`", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("invalid PEM in --upstream-ca `{}`", path.display()))?;
    if certificates.is_empty() {
        anyhow::bail!("no certificate in --upstream-ca `{}`", path.display());
    }
    let mut store = RootCertStore::empty();
    for (index, certificate) in certificates.into_iter().enumerate() {
        store.add(certificate).with_context(|| {
            format!(
                "certificate {} of --upstream-ca `{}` cannot be a trust anchor",
                index + 1,
                path.display()
            )
        })?;
    }
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca_pem() -> String {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn a_ca_file_with_certificates_is_the_only_trust() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, format!("{}{}", ca_pem(), ca_pem())).unwrap();
        let tls = UpstreamTls::new("backend.internal", None, Roots::File(path.clone())).unwrap();
        assert_eq!(tls.roots, Roots::File(path));
        assert_eq!(file_roots(&dir.path().join("ca.pem")).unwrap().len(), 2);
    }

    #[test]
    fn bad_ca_files_are_named_with_their_fault() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let error = format!(
            "{:#}",
            UpstreamTls::new("a.test", None, Roots::File(missing)).unwrap_err()
        );
        assert!(
            error.contains("cannot read --upstream-ca") && error.contains("missing.pem"),
            "{error}"
        );

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let error = format!(
            "{:#}",
            UpstreamTls::new("a.test", None, Roots::File(empty)).unwrap_err()
        );
        assert!(
            error.contains("no certificate in --upstream-ca") && error.contains("empty.pem"),
            "{error}"
        );

        let garbage = dir.path().join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let error = format!(
            "{:#}",
            UpstreamTls::new("a.test", None, Roots::File(garbage)).unwrap_err()
        );
        assert!(error.contains("certificate 1 of --upstream-ca"), "{error}");
    }

    #[test]
    fn names_are_dns_names_or_ip_addresses() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, ca_pem()).unwrap();
        let roots = || Roots::File(ca.clone());
        let tls = UpstreamTls::new("[::1]", None, roots()).unwrap();
        assert!(matches!(tls.server_name, ServerName::IpAddress(_)));
        let tls = UpstreamTls::new("10.0.0.1", Some("api.internal"), roots()).unwrap();
        assert_eq!(tls.server_name, ServerName::try_from("api.internal").unwrap());
        let error = UpstreamTls::new("a.test", Some("bad name!"), roots())
            .unwrap_err()
            .to_string();
        assert!(error.contains("invalid --upstream-sni `bad name!`"), "{error}");
    }
}

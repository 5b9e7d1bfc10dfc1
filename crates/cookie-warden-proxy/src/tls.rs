//! TLS on the listener (`--tls-cert`, `--tls-key`), so cookie-warden can front a site directly.
//!
//! rustls with the `ring` provider; ALPN offers `h2` and `http/1.1`. The files are PEM: the
//! certificate chain (leaf first) and one private key (PKCS#8, PKCS#1 or SEC1).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// Loads the certificate chain and key into a TLS acceptor.
///
/// # Errors
/// Names the file and what is wrong with it.
pub fn acceptor(cert: &Path, key_path: &Path) -> Result<TlsAcceptor> {
    let chain = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("cannot read the TLS certificate `{}`", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("invalid PEM in the TLS certificate `{}`", cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!("no certificate in `{}`", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key_path)
        .with_context(|| format!("cannot read a private key from `{}`", key_path.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("the TLS provider supports no safe protocol version")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .with_context(|| {
            format!(
                "the key `{}` does not fit the certificate `{}`",
                key_path.display(),
                cert.display()
            )
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

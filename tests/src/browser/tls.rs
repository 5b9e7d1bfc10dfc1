//! A self-signed certificate for the proxy's TLS listener, so the browser visits the policy's
//! real host names over https (where `Secure` cookies are stored, as on the real site).

use std::path::PathBuf;

use crate::TempDir;

/// A certificate and key, as PEM files in a temporary directory (removed on drop).
#[derive(Debug)]
pub struct TestCertificate {
    /// The certificate (PEM).
    pub cert: PathBuf,
    /// Its private key (PKCS#8 PEM).
    pub key: PathBuf,
    /// The certificate in DER, for a test client that trusts it.
    pub der: Vec<u8>,
    _dir: TempDir,
}

impl TestCertificate {
    /// A fresh self-signed certificate for `hosts` (exact names or `*.example.com`).
    ///
    /// # Panics
    /// When a host is not a valid DNS name.
    #[must_use]
    pub fn for_hosts(hosts: &[String]) -> Self {
        let certified = rcgen::generate_simple_self_signed(hosts.to_vec()).expect("self-signed certificate");
        let dir = TempDir::new();
        let cert = dir.write("cert.pem", &certified.cert.pem());
        let key = dir.write("key.pem", &certified.signing_key.serialize_pem());
        let der = certified.cert.der().to_vec();
        Self {
            cert,
            key,
            der,
            _dir: dir,
        }
    }
}

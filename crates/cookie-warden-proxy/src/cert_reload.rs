//! The listener's certificate and key, reloaded without a restart: on `SIGHUP`, and when either
//! file changes (as the policy reload does, see [`crate::reload`]).
//!
//! [`ListenerCertificate`] is the acceptor's certificate resolver: each TLS handshake takes the
//! pair in force at that moment, so new connections get a reloaded pair and connections already
//! made keep the one they started with. A reload reads both files and checks that the key fits
//! the certificate before the swap; a broken pair (unreadable, not PEM, a key of another
//! certificate, one file of a pair written before the other) keeps the running pair and logs
//! why, and the next change or `SIGHUP` tries again.
//!
//! The files' directories are watched, not the files, so that replacing them by rename (as
//! `certbot`, cert-manager and Kubernetes secrets with their `..data` symlink swap do) is seen
//! (see `reload_trigger.rs`). A change is acted on after a short quiet period, and only
//! when the files' bytes differ from those last read.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use arc_swap::ArcSwap;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::reload_trigger::{Trigger, Triggers, directory_of};
use crate::tls;

/// The listener's certificate chain and key, swapped as a pair on reload.
pub struct ListenerCertificate {
    cert: PathBuf,
    key: PathBuf,
    current: ArcSwap<CertifiedKey>,
}

impl std::fmt::Debug for ListenerCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key's bytes never appear: only where the files are.
        f.debug_struct("ListenerCertificate")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl ListenerCertificate {
    /// Loads the pair from `cert` and `key`.
    ///
    /// # Errors
    /// Names the file and what is wrong with it.
    pub fn load(cert: &Path, key: &Path) -> Result<Arc<Self>> {
        let pair = tls::load_pair(cert, key)?;
        Ok(Arc::new(Self {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            current: ArcSwap::from_pointee(pair),
        }))
    }

    /// Loads the files again and swaps the pair in; returns the new leaf certificate's SHA-256.
    ///
    /// # Errors
    /// The pair cannot be used; the running pair stays.
    fn reload(&self) -> Result<String> {
        let pair = tls::load_pair(&self.cert, &self.key)?;
        let fingerprint = fingerprint(&pair);
        self.current.store(Arc::new(pair));
        Ok(fingerprint)
    }

    /// The leaf certificate's SHA-256 (lowercase hex) of the pair in force.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.current.load())
    }

    /// The files' bytes, to tell a real change from an unrelated event (`None`: unreadable).
    fn read_files(&self) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
        (std::fs::read(&self.cert).ok(), std::fs::read(&self.key).ok())
    }
}

impl ResolvesServerCert for ListenerCertificate {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

/// The SHA-256 of a pair's leaf certificate, lowercase hex.
fn fingerprint(pair: &CertifiedKey) -> String {
    pair.cert
        .first()
        .map(|leaf| crate::status::digest(leaf.as_ref()))
        .unwrap_or_default()
}

/// Keeps the certificate reload running; dropping it stops watching the files.
#[derive(Debug)]
pub struct CertificateReloader {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CertificateReloader {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts reloading `certificate` on SIGHUP and, with `watch`, when its files change.
///
/// # Errors
/// When the SIGHUP handler or the file watcher cannot be set up.
pub fn start(certificate: Arc<ListenerCertificate>, watch: bool) -> Result<CertificateReloader> {
    let directories = watched_directories(&certificate.cert, &certificate.key);
    let mut triggers = Triggers::new(&directories, watch, "TLS certificate")?;
    let task = tokio::spawn(async move {
        // The bytes last read, valid or not: an event that leaves them as they were is no
        // change (the directory may hold other files), so a broken pair is reported once.
        let mut last = certificate.read_files();
        while let Some(trigger) = triggers.next().await {
            let reloading = Arc::clone(&certificate);
            let Ok((files, result)) = tokio::task::spawn_blocking(move || {
                let files = reloading.read_files();
                (files, reloading.reload())
            })
            .await
            else {
                tracing::error!(target: "cookie_warden::reload", "tls certificate reload failed: the loader panicked");
                continue;
            };
            if trigger == Trigger::FileChange && files == last {
                continue;
            }
            last = files;
            report(trigger, &certificate, result);
        }
    });
    Ok(CertificateReloader { task })
}

/// Logs and counts a reload's outcome.
fn report(trigger: Trigger, certificate: &ListenerCertificate, result: Result<String>) {
    match result {
        Ok(fingerprint) => {
            metrics::counter!("cookie_warden_tls_certificate_reloads_total", "result" => "ok").increment(1);
            tracing::info!(
                target: "cookie_warden::reload",
                trigger = trigger.as_str(),
                tls.certificate.sha256 = %fingerprint,
                "tls certificate reloaded"
            );
        }
        Err(error) => {
            metrics::counter!("cookie_warden_tls_certificate_reloads_total", "result" => "invalid")
                .increment(1);
            tracing::error!(
                target: "cookie_warden::reload",
                trigger = trigger.as_str(),
                error = format!("{error:#}"),
                tls.certificate.sha256 = %certificate.fingerprint(),
                "tls certificate not reloaded: keeping the running certificate"
            );
        }
    }
}

/// The directories holding the two files (`.` for a bare file name), each once.
fn watched_directories(cert: &Path, key: &Path) -> Vec<PathBuf> {
    let mut directories = vec![directory_of(cert)];
    let key_directory = directory_of(key);
    if !directories.contains(&key_directory) {
        directories.push(key_directory);
    }
    directories
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(name: &str) -> (String, String) {
        let certified = rcgen::generate_simple_self_signed(vec![name.to_owned()]).unwrap();
        (certified.cert.pem(), certified.signing_key.serialize_pem())
    }

    #[test]
    fn a_good_pair_replaces_the_old_and_a_broken_one_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
        let (first_cert, first_key) = pair("one.test");
        std::fs::write(&cert, &first_cert).unwrap();
        std::fs::write(&key, &first_key).unwrap();
        let certificate = ListenerCertificate::load(&cert, &key).unwrap();
        let first = certificate.fingerprint();

        let (second_cert, second_key) = pair("two.test");
        std::fs::write(&cert, &second_cert).unwrap();
        // Half-written: the new certificate with the old key.
        let error = format!("{:#}", certificate.reload().unwrap_err());
        assert!(error.contains("does not fit the certificate"), "{error}");
        assert_eq!(certificate.fingerprint(), first);

        std::fs::write(&key, &second_key).unwrap();
        let second = certificate.reload().unwrap();
        assert_ne!(second, first);
        assert_eq!(certificate.fingerprint(), second);

        std::fs::write(
            &key,
            "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let error = format!("{:#}", certificate.reload().unwrap_err());
        assert!(error.contains("tls.key"), "{error}");
        assert!(
            !error.contains("not base64"),
            "the key file's content is not echoed: {error}"
        );
        assert_eq!(certificate.fingerprint(), second);
        // The Debug output is exactly where the files are: no key material, PEM or DER.
        assert_eq!(
            format!("{certificate:?}"),
            format!("ListenerCertificate {{ cert: {cert:?}, key: {key:?}, .. }}")
        );
    }

    #[test]
    fn the_directories_of_both_files_are_watched_once() {
        assert_eq!(
            watched_directories(Path::new("/a/tls.crt"), Path::new("/a/tls.key")),
            [PathBuf::from("/a")]
        );
        assert_eq!(
            watched_directories(Path::new("tls.crt"), Path::new("/keys/tls.key")),
            [PathBuf::from("."), PathBuf::from("/keys")]
        );
    }
}

//! Live policy reload: on `SIGHUP`, and when the policy file changes, the file is loaded and
//! validated and the new policy swapped in atomically ([`PolicyHandle::store`]); requests in flight
//! finish under the policy they started with. An invalid file keeps the running policy and every
//! error is logged.
//!
//! The file's directory is watched, not the file itself, so that replacing the file by rename (as
//! editors, `install`, and Kubernetes config maps with their `..data` symlink swap do) is seen
//! too (see `reload_trigger.rs`). A change is acted on after a short quiet period, and only
//! when the file's bytes differ from those last loaded.

use std::path::{Path, PathBuf};

use anyhow::Result;
use cookie_warden_core::policy::{Loaded, PolicyErrors};
use tower_cookie_warden::PolicyHandle;

use crate::policy_file::{self, PolicyFileError};
use crate::reload_trigger::{Trigger, Triggers, directory_of};

/// Keeps the reload machinery running; dropping it stops watching the file.
#[derive(Debug)]
pub struct Reloader {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Reloader {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts reloading `path` into `handle` on SIGHUP and, with `watch`, on file changes. `loaded`
/// is the content of the file the running policy came from.
///
/// # Errors
/// When the SIGHUP handler or the file watcher cannot be set up.
pub fn start(path: PathBuf, handle: PolicyHandle, watch: bool, loaded: Vec<u8>) -> Result<Reloader> {
    let mut triggers = Triggers::new(&[directory_of(&path)], watch, "policy")?;
    let task = tokio::spawn(async move {
        // The bytes of the last file read, valid or not: a file event that leaves them as they
        // were is no change, so an invalid file is reported once, not on every event.
        let mut last = loaded;
        while let Some(trigger) = triggers.next().await {
            let path = path.clone();
            let Ok((bytes, result)) = tokio::task::spawn_blocking(move || read_and_load(&path)).await else {
                tracing::error!(target: "cookie_warden::reload", "policy reload failed: the loader panicked");
                continue;
            };
            let digest = bytes.as_deref().map(crate::status::digest).unwrap_or_default();
            if let Some(bytes) = bytes {
                if trigger == Trigger::FileChange && bytes == last {
                    continue;
                }
                last = bytes;
            }
            match result {
                Ok(loaded) => {
                    for warning in &loaded.warnings {
                        tracing::warn!(target: "cookie_warden::reload", warning = %warning, "policy lint");
                    }
                    crate::status::policy_loaded(digest.clone(), &loaded.policy);
                    handle.store(loaded.policy);
                    metrics::counter!("cookie_warden_policy_reloads_total", "result" => "ok").increment(1);
                    tracing::info!(target: "cookie_warden::reload", trigger = trigger.as_str(), policy.digest = %digest, "policy reloaded");
                }
                Err(errors) => {
                    crate::status::reload_failed();
                    metrics::counter!("cookie_warden_policy_reloads_total", "result" => "invalid")
                        .increment(1);
                    for error in &errors {
                        tracing::error!(target: "cookie_warden::reload", trigger = trigger.as_str(), error = %error, "invalid policy");
                    }
                    tracing::error!(
                        target: "cookie_warden::reload",
                        trigger = trigger.as_str(),
                        errors = errors.len(),
                        "policy not reloaded: keeping the running policy"
                    );
                }
            }
        }
    });
    Ok(Reloader { task })
}

/// Reads the file's bytes (to notice real changes; `None` when unreadable) and loads it as the
/// policy, or says every reason why not.
fn read_and_load(path: &Path) -> (Option<Vec<u8>>, Result<Loaded, Vec<String>>) {
    let bytes = std::fs::read(path).ok();
    (
        bytes,
        policy_file::load(path).map_err(|errors| error_lines(&errors)),
    )
}

/// One message per policy error, each naming its source, key path and reason.
pub fn error_lines(error: &PolicyFileError) -> Vec<String> {
    match error {
        PolicyFileError::Invalid(errors) => policy_error_lines(errors),
        PolicyFileError::Unreadable { .. } => vec![error.to_string()],
    }
}

/// One message per error of an invalid policy.
pub fn policy_error_lines(errors: &PolicyErrors) -> Vec<String> {
    errors.errors().iter().map(ToString::to_string).collect()
}

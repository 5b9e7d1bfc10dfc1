//! Live policy reload: on `SIGHUP`, and when the policy file changes, the file is loaded and
//! validated and the new policy swapped in atomically ([`PolicyHandle::store`]); requests in flight
//! finish under the policy they started with. An invalid file keeps the running policy and every
//! error is logged.
//!
//! The file's directory is watched, not the file itself, so that replacing the file by rename (as
//! editors, `install`, and Kubernetes config maps with their `..data` symlink swap do) is seen
//! too. A change is acted on after a short quiet period, and only when the file's bytes differ
//! from those last loaded.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use cookie_warden_core::policy::{Loaded, PolicyErrors};
use notify::event::ModifyKind;
use notify::{EventKind, RecursiveMode, Watcher};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tower_cookie_warden::PolicyHandle;

use crate::policy_file::{self, PolicyFileError};

/// How long the file must stay quiet after a change before it is loaded.
const QUIET: Duration = Duration::from_millis(200);

/// What asked for a reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Sighup,
    FileChange,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Sighup => "sighup",
            Trigger::FileChange => "file_change",
        }
    }
}

/// Keeps the reload machinery running; dropping it stops watching the file.
#[derive(Debug)]
pub struct Reloader {
    _watcher: Option<notify::RecommendedWatcher>,
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
    let mut sighup = signal(SignalKind::hangup()).context("cannot install the SIGHUP handler")?;
    let (changes, mut changed) = mpsc::channel::<()>(1);
    let watcher = if watch {
        let directory = watched_directory(&path);
        let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            // Reads (and the access-time updates they cause) are not changes.
            let changed = event.is_ok_and(|event| {
                !matches!(
                    event.kind,
                    EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_))
                )
            });
            if changed {
                // A full channel already holds a pending change: nothing is lost.
                let _ = changes.try_send(());
            }
        })
        .context("cannot start the policy file watcher")?;
        watcher
            .watch(&directory, RecursiveMode::NonRecursive)
            .with_context(|| format!("cannot watch `{}` for policy changes", directory.display()))?;
        Some(watcher)
    } else {
        None
    };

    let task = tokio::spawn(async move {
        // The bytes of the last file read, valid or not: a file event that leaves them as they
        // were is no change, so an invalid file is reported once, not on every event.
        let mut last = loaded;
        loop {
            let trigger = tokio::select! {
                Some(()) = sighup.recv() => Trigger::Sighup,
                Some(()) = changed.recv() => {
                    // Wait for the writes to settle, then take every change seen meanwhile as one.
                    loop {
                        tokio::time::sleep(QUIET).await;
                        if changed.try_recv().is_err() {
                            break;
                        }
                    }
                    Trigger::FileChange
                }
                else => return,
            };
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
    Ok(Reloader {
        _watcher: watcher,
        task,
    })
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

/// The directory holding the policy file (`.` for a bare file name).
fn watched_directory(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
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

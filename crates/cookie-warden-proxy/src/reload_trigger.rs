//! What starts a reload, for the policy ([`crate::reload`]) and the listener's certificate
//! ([`crate::cert_reload`]): `SIGHUP`, or a change in a watched directory.
//!
//! Directories are watched, not files, so that replacing a file by rename (as editors, `install`,
//! and Kubernetes config maps and secrets with their `..data` symlink swap do) is seen too. A
//! change is reported after a short quiet period, every change seen meanwhile taken as one;
//! reads (and the access-time updates they cause) are not changes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use notify::event::ModifyKind;
use notify::{EventKind, RecursiveMode, Watcher};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;

/// How long the files must stay quiet after a change before the change is reported.
const QUIET: Duration = Duration::from_millis(200);

/// What asked for a reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// The process got `SIGHUP`.
    Sighup,
    /// A watched directory changed.
    FileChange,
}

impl Trigger {
    /// The snake_case name used in events.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Trigger::Sighup => "sighup",
            Trigger::FileChange => "file_change",
        }
    }
}

/// The stream of reload triggers; dropping it stops watching.
#[derive(Debug)]
pub(crate) struct Triggers {
    sighup: Signal,
    changed: mpsc::Receiver<()>,
    _watcher: Option<notify::RecommendedWatcher>,
}

impl Triggers {
    /// `SIGHUP`, and with `watch` changes in `directories`; `what` names the files in errors.
    ///
    /// # Errors
    /// When the SIGHUP handler or the watcher cannot be set up.
    pub(crate) fn new(directories: &[PathBuf], watch: bool, what: &str) -> Result<Self> {
        let sighup = signal(SignalKind::hangup()).context("cannot install the SIGHUP handler")?;
        let (changes, changed) = mpsc::channel::<()>(1);
        let watcher = if watch {
            let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
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
            .with_context(|| format!("cannot start the {what} file watcher"))?;
            for directory in directories {
                watcher
                    .watch(directory, RecursiveMode::NonRecursive)
                    .with_context(|| format!("cannot watch `{}` for {what} changes", directory.display()))?;
            }
            Some(watcher)
        } else {
            None
        };
        Ok(Self {
            sighup,
            changed,
            _watcher: watcher,
        })
    }

    /// The next trigger; `None` when neither can come any more.
    pub(crate) async fn next(&mut self) -> Option<Trigger> {
        tokio::select! {
            Some(()) = self.sighup.recv() => Some(Trigger::Sighup),
            Some(()) = self.changed.recv() => {
                // Wait for the writes to settle, then take every change seen meanwhile as one.
                loop {
                    tokio::time::sleep(QUIET).await;
                    if self.changed.try_recv().is_err() {
                        break;
                    }
                }
                Some(Trigger::FileChange)
            }
            else => None,
        }
    }
}

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

//! The binary's exit codes.

use std::process::ExitCode;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// 0: done.
    Done,
    /// 1: violations found (audit).
    Violations,
    /// 2: bad usage, input or policy.
    Usage,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        match exit {
            Exit::Done => ExitCode::SUCCESS,
            Exit::Violations => ExitCode::from(1),
            Exit::Usage => ExitCode::from(2),
        }
    }
}

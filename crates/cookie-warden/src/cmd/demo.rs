//! `cookie-warden demo`: see [`crate::demo`].

use anyhow::Result;

use crate::cli::DemoArgs;
use crate::exit::Exit;

/// Runs the demo until SIGTERM / Ctrl-C.
pub(crate) fn run(args: DemoArgs) -> Result<Exit> {
    crate::demo::run(args)
}

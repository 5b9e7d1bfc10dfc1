//! Command-line arguments: checked once, here, into typed values.

use clap::{Parser, Subcommand};

/// Make a site's cookie declaration enforceable.
#[derive(Debug, Parser)]
#[command(name = "cookie-warden", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands. Each one's arguments live in its own struct below.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {}

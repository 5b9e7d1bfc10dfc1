//! One file per subcommand; `run` dispatches.

mod check;
mod parse;

use anyhow::Result;

use crate::cli::Command;
use crate::exit::Exit;

/// Runs one subcommand.
pub(crate) fn run(command: Command) -> Result<Exit> {
    match command {
        Command::Parse(args) => parse::run(&args),
        Command::Check(args) => check::run(&args),
    }
}

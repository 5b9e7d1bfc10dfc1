//! One file per subcommand; `run` dispatches.

mod audit;
mod check;
mod demo;
mod discover;
mod eval;
mod hex;
mod parse;
mod proxy;
mod render;
mod report;
mod stdin_lines;

use anyhow::Result;

use crate::cli::Command;
use crate::exit::Exit;

/// Runs one subcommand.
pub(crate) fn run(command: Command) -> Result<Exit> {
    match command {
        Command::Demo(args) => demo::run(args),
        Command::Proxy(args) => proxy::run(args),
        Command::Parse(args) => parse::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Render(args) => render::run(&args),
        Command::Audit(args) => audit::run(&args),
        Command::Discover(args) => discover::run(&args),
        Command::Report(args) => report::run(&args),
    }
}

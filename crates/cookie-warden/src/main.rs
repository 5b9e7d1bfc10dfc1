//! The `cookie-warden` binary: glue over `cookie-warden-core` and `tower-cookie-warden`.
//!
//! Each subcommand lives in its own file under `cmd/`; `cli.rs` holds the argument types.
//! Exit codes: 0 done, 1 violations found (audit), 2 bad usage, input or policy.

mod cli;
mod cmd;
mod demo;
mod exit;
mod har;
mod logging;
mod metrics;
mod page;
mod panic_hook;
mod proxy;

use std::process::ExitCode;

use cookie_warden_proxy::{policy_file, status};

use clap::Parser;

fn main() -> ExitCode {
    panic_hook::install();
    let cli = cli::Cli::parse();
    match cmd::run(cli.command) {
        Ok(code) => code.into(),
        Err(err) => {
            eprintln!("cookie-warden: error: {err:#}");
            exit::Exit::Usage.into()
        }
    }
}

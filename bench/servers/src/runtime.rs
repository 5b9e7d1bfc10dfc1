//! How a bench server's `main` runs its async body: a multi-threaded tokio runtime (sized by the CPU
//! affinity, so one worker when `bench/run.sh` pins the server to one core) and a plain error on failure.

use std::future::Future;
use std::process::ExitCode;

/// Runs `serve` to completion; prints `NAME: error` on stderr and fails when it or the runtime fails.
pub fn run(name: &str, serve: impl Future<Output = std::io::Result<()>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("{name}: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{name}: {err}");
            ExitCode::FAILURE
        }
    }
}

//! Helpers shared by the end-to-end tests of the binary.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `cookie-warden ARGS` with `stdin` and the extra environment `env`; the child is waited
/// for (it ends when stdin closes).
pub(crate) fn run_with_stdin(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cookie-warden"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cookie-warden");
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // The child may exit before reading everything (bad usage); ignore a broken pipe.
        let _ = input.write_all(&stdin);
    });
    let output = child.wait_with_output().expect("wait for cookie-warden");
    writer.join().unwrap();
    output
}

//! `cookie-warden check --config F`: validate and lint a policy.
//!
//! A policy that loads: a one-line summary on stdout (rules by kind, scopes, mode, consent, and
//! the SHA-256 of the file that the proxy reports as `cookie_warden_policy_info`), each
//! lint warning on stderr, exit 0. A policy that does not: every error on stderr, each naming the
//! file or environment variable, the key path and what is wrong, exit 2.

use anyhow::{Context, Result};
use cookie_warden_core::policy::CompiledPolicy;
use cookie_warden_core::policy::model::Mode;
use cookie_warden_core::policy::name::PatternKind;

use crate::cli::CheckArgs;
use crate::exit::Exit;
use crate::policy_file::{self, PolicyFileError};

/// Runs `check`.
pub(crate) fn run(args: &CheckArgs) -> Result<Exit> {
    let loaded = match policy_file::load(&args.config) {
        Ok(loaded) => loaded,
        Err(PolicyFileError::Invalid(errors)) => {
            for error in errors.errors() {
                eprintln!("error: {error}");
            }
            let n = errors.len();
            eprintln!(
                "cookie-warden: {}: invalid policy, {n} error{}",
                args.config.display(),
                plural(n)
            );
            return Ok(Exit::Usage);
        }
        Err(err @ PolicyFileError::Unreadable { .. }) => return Err(err.into()),
    };
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
    // The digest the proxy reports for this file (`cookie_warden_policy_info`).
    let bytes = std::fs::read(&args.config)
        .with_context(|| format!("cannot read policy file {}", args.config.display()))?;
    println!(
        "{}: ok: {}, sha256 {}",
        args.config.display(),
        summary(&loaded.policy, loaded.warnings.len()),
        crate::status::digest(&bytes)
    );
    Ok(Exit::Done)
}

/// `17 rules (14 exact, 2 templates, 1 glob), 4 scopes, mode enforce, no consent, 3 warnings`.
fn summary(policy: &CompiledPolicy, warnings: usize) -> String {
    let count = |kind| policy.rules().iter().filter(|r| r.kind() == kind).count();
    let (exact, templates, globs) = (
        count(PatternKind::Exact),
        count(PatternKind::Template),
        count(PatternKind::Glob),
    );
    let rules = policy.rules().len();
    let scopes = policy.scope_count();
    let mode = match policy.mode() {
        Mode::Enforce => "enforce",
        Mode::ReportOnly => "report-only",
    };
    let consent = match policy.consent() {
        Some(c) => format!("consent cookie `{}`", c.cookie),
        None => "no consent".to_owned(),
    };
    format!(
        "{rules} rule{} ({exact} exact, {templates} template{}, {globs} glob{}), {scopes} scope{}, mode {mode}, {consent}, {warnings} warning{}",
        plural(rules),
        plural(templates),
        plural(globs),
        plural(scopes),
        plural(warnings),
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

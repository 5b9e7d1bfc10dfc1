//! `cookie-warden render --config F [--format html|md|json] [--lang sv|en]`: the public cookie
//! declaration, on stdout.
//!
//! Defaults: `--format html` (the page the proxy serves at `[declaration] path`) and `--lang en`
//! (the policy's texts fall back to English, then Swedish, when the chosen language is missing).

use std::io::Write as _;

use anyhow::Result;
use cookie_warden_core::declaration::{DeclarationView, Lang};

use crate::cli::{DeclarationFormat, DeclarationLang, RenderArgs};
use crate::exit::Exit;

/// Runs `render`.
pub(crate) fn run(args: &RenderArgs) -> Result<Exit> {
    let loaded = crate::policy_file::load(&args.config)?;
    for warning in &loaded.warnings {
        eprintln!("cookie-warden: warning: {warning}");
    }
    let policy = loaded.policy;
    let lang = match args.lang {
        DeclarationLang::Sv => Lang::Sv,
        DeclarationLang::En => Lang::En,
    };
    let view = DeclarationView::new(&policy, lang);
    let text = match args.format {
        DeclarationFormat::Html => view.to_html(),
        DeclarationFormat::Md => view.to_markdown(),
        DeclarationFormat::Json => view.to_json(),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(Exit::Done)
}

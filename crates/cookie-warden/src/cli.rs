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
pub(crate) enum Command {
    /// Read Set-Cookie values on stdin, one a line, and print how a browser reads each (JSON lines).
    ///
    /// Prints cookie names and values: this is a local debugging tool for your own input.
    Parse(ParseArgs),
    /// Validate and lint a policy: exit 0 with a summary and warnings, or 2 with every error.
    Check(CheckArgs),
}

/// `cookie-warden check --config F`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// The policy file (TOML); `COOKIE_WARDEN_<TABLE>__<KEY>` environment variables override it.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: std::path::PathBuf,
}

/// `cookie-warden parse [--url URL] [--input text|hex]`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Each output line: {\"input\", \"ignored\", \"reason\", \"name\", \"value\", \"max_age\", \
                  \"expires\", \"secure\", \"http_only\", \"same_site\", \"path\", \"domain\", \"partitioned\"}, \
                  with \"name_hex\"/\"value_hex\" where the bytes are not UTF-8. Unlike every other command, \
                  this one prints cookie values: it only echoes what you give it."
)]
pub(crate) struct ParseArgs {
    /// The URL of the request the Set-Cookie headers answer (scheme, host and path matter).
    #[arg(long, value_name = "URL", default_value = "https://example.com/")]
    pub(crate) url: cookie_warden_core::request::RequestUrlBuf,
    /// How stdin lines carry headers: as text, or as hex for bytes a text line cannot hold (CR, LF, non-UTF-8).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = InputFormat::Text)]
    pub(crate) input: InputFormat,
}

/// How each stdin line carries one header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum InputFormat {
    /// The header's bytes as they are (a trailing CR of a CRLF line ending is dropped).
    Text,
    /// The header's bytes as pairs of hex digits.
    Hex,
}

//! Command-line arguments: checked once, here, into typed values.

use clap::{Parser, Subcommand};
use cookie_warden_core::policy::duration::parse_std_duration;
use cookie_warden_proxy::headers::ForwardedStyle;

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
    /// Try cookie-warden: the proxy with `config/fora.toml` in front of a built-in site that sets
    /// the seed's cookies and some rogue ones.
    Demo(DemoArgs),
    /// The reverse proxy: enforce a cookie policy in front of a service you cannot change.
    Proxy(ProxyArgs),
    /// Read Set-Cookie values on stdin, one a line, and print how a browser reads each (JSON lines).
    ///
    /// Prints cookie names and values: this is a local debugging tool for your own input.
    Parse(ParseArgs),
    /// Validate and lint a policy: exit 0 with a summary and warnings, or 2 with every error.
    Check(CheckArgs),
    /// Decide Set-Cookie values on stdin, one a line, as the proxy would for a request to `--url`
    /// (JSON lines).
    ///
    /// Prints cookie values: this is a local tool for your own input.
    Eval(EvalArgs),
    /// Render the public cookie declaration (HTML page, Markdown or JSON) on stdout.
    Render(RenderArgs),
    /// Judge every Set-Cookie in HAR files against the policy; exit 1 when any would be fixed,
    /// stripped or blocked.
    Audit(AuditArgs),
    /// Write a draft policy (TOML on stdout) from the cookies seen in HAR files.
    Discover(DiscoverArgs),
    /// Summarise the proxy's JSON log lines (files or stdin, plain or gzip) as one self-contained
    /// HTML page for security reviewers, or as JSON.
    Report(ReportArgs),
}

/// `cookie-warden check --config F`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// The policy file (TOML); `COOKIE_WARDEN_<TABLE>__<KEY>` environment variables override it.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: std::path::PathBuf,
}

/// `cookie-warden eval --config F --url URL [--header 'Name: value']… [--input text|hex]`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Each output line: {\"input\", \"name\", \"rule\", \"scope\", \"verdict\", \"output\", \
                  \"violations\": [{\"kind\", \"detail\"}]}. \"output\" is the header that leaves: the input \
                  for allow (and for anything in report-only mode), the canonical rewrite for fix, null for \
                  strip and block; \"name\" is the cookie name as a browser reads it; bytes that are not \
                  UTF-8 appear as \"input_hex\", \"name_hex\", \"output_hex\". Without --header Date, \
                  Expires is measured against the system clock. Unlike the proxy, this command prints \
                  cookie values: it only echoes what you give it."
)]
pub(crate) struct EvalArgs {
    /// The policy file (TOML); `COOKIE_WARDEN_<TABLE>__<KEY>` environment variables override it.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: std::path::PathBuf,
    /// The URL of the request the Set-Cookie headers answer (scheme, host and path choose the scope).
    #[arg(long, value_name = "URL")]
    pub(crate) url: cookie_warden_core::request::RequestUrlBuf,
    /// A request header (`Cookie`, `Sec-GPC`, `Host`) or the response's `Date`; repeatable.
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub(crate) headers: Vec<RequestHeader>,
    /// How stdin lines carry headers: as text, or as hex for bytes a text line cannot hold (CR, LF, non-UTF-8).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = InputFormat::Text)]
    pub(crate) input: InputFormat,
}

/// `--header 'Name: value'`: a header name (an HTTP token) and its value, trimmed of spaces and tabs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestHeader {
    /// The header name as given.
    pub(crate) name: String,
    /// The value, without surrounding spaces and tabs.
    pub(crate) value: String,
}

impl std::str::FromStr for RequestHeader {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let Some((name, value)) = text.split_once(':') else {
            // The text may hold a cookie value: say what is wrong without echoing it.
            return Err("expected `Name: value` (no `:` found)".to_owned());
        };
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if name.is_empty() || !name.bytes().all(token) {
            return Err("the text before `:` is not a header name (an HTTP token)".to_owned());
        }
        let value = value.trim_matches([' ', '\t']);
        if value.bytes().any(|b| (b < b' ' && b != b'\t') || b == 0x7f) {
            return Err(format!("the value of {name} holds a control character"));
        }
        Ok(RequestHeader {
            name: name.to_owned(),
            value: value.to_owned(),
        })
    }
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

/// `cookie-warden render --config F [--format html|md|json] [--lang sv|en]`.
#[derive(Debug, clap::Args)]
pub(crate) struct RenderArgs {
    /// The policy file.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: std::path::PathBuf,
    /// The output: a self-contained HTML page, Markdown, or JSON (schema_version 1).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = DeclarationFormat::Html)]
    pub(crate) format: DeclarationFormat,
    /// The language of the page; policy texts missing in it fall back to English, then Swedish.
    #[arg(long, value_enum, value_name = "LANG", default_value_t = DeclarationLang::En)]
    pub(crate) lang: DeclarationLang,
}

/// `render --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DeclarationFormat {
    /// One self-contained, accessible HTML page.
    Html,
    /// CommonMark with GitHub tables.
    #[value(alias = "markdown")]
    Md,
    /// JSON, schema_version 1.
    Json,
}

/// `render --lang`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DeclarationLang {
    /// Swedish.
    Sv,
    /// English.
    En,
}

/// `cookie-warden audit --config F FILE.har… [--format table|json]`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 when every Set-Cookie would pass, 1 when any would be fixed, stripped or \
                  blocked, 2 on a bad policy or HAR file. Cookie values are never printed; example URLs \
                  are shown without their query."
)]
pub(crate) struct AuditArgs {
    /// The policy file.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: std::path::PathBuf,
    /// HAR 1.2 files, as browsers' developer tools export them.
    #[arg(required = true, value_name = "FILE.har")]
    pub(crate) files: Vec<std::path::PathBuf>,
    /// A table grouped by cookie (coloured on a terminal), or JSON.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = AuditFormat::Table)]
    pub(crate) format: AuditFormat,
}

/// `audit --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum AuditFormat {
    /// One row per cookie, worst first, with example URLs.
    Table,
    /// One JSON document (schema_version 1).
    Json,
    /// One self-contained HTML page (no script, nothing loaded from elsewhere).
    Html,
}

/// `cookie-warden report [FILE…] [--format html|json]`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Reads the JSON lines `cookie-warden proxy --log-format json` writes on stderr (gzip is \
                  detected by its magic bytes), keeps the `cookie policy violation` events and skips every \
                  other line, counting those that are not JSON or not a violation event. Exit 0 when the \
                  report was written, 2 on bad usage or an unreadable or truncated file. Cookie values are \
                  never in the logs, nor in the report."
)]
pub(crate) struct ReportArgs {
    /// Log files (plain or gzip); none or `-`: standard input.
    #[arg(value_name = "FILE")]
    pub(crate) files: Vec<std::path::PathBuf>,
    /// One self-contained HTML page, or one JSON document (schema_version 1).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = ReportFormat::Html)]
    pub(crate) format: ReportFormat,
}

/// `report --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ReportFormat {
    /// One self-contained HTML page.
    Html,
    /// One JSON document (schema_version 1).
    Json,
}

/// `cookie-warden discover FILE.har…`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The draft names each cookie exactly, or as a `prefix*` glob when at least 3 names share a \
                  prefix ending in `_`, `-`, `.` or `:`; it makes one scope per host (split by first path \
                  segment when those set different cookies), takes each rule's lifetime and attributes from \
                  what was seen, and starts in report-only mode. Review it before use."
)]
pub(crate) struct DiscoverArgs {
    /// HAR 1.2 files, as browsers' developer tools export them.
    #[arg(required = true, value_name = "FILE.har")]
    pub(crate) files: Vec<std::path::PathBuf>,
}

/// `cookie-warden proxy`.
#[derive(Debug, clap::Args)]
pub(crate) struct ProxyArgs {
    /// The policy file (TOML; `COOKIE_WARDEN_` environment variables override its keys).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: std::path::PathBuf,
    /// The service to forward to: `http[s]://host[:port][/base/path]`. An https upstream is
    /// reached over TLS (HTTP/2 when it offers `h2` by ALPN, else HTTP/1.1), its certificate
    /// checked against the system's root certificates.
    #[arg(long, value_name = "URL")]
    pub(crate) upstream: String,
    /// Send this `Host` upstream instead of the one the client sent.
    #[arg(long, value_name = "HOST")]
    pub(crate) upstream_host: Option<String>,
    /// Trust only the CA certificates in this PEM file (one or more) for an https upstream,
    /// instead of the system's root certificates.
    #[arg(long, value_name = "FILE")]
    pub(crate) upstream_ca: Option<std::path::PathBuf>,
    /// The name sent as TLS SNI to an https upstream and checked against its certificate, when
    /// it differs from the upstream URL's host (the `Host` header is not affected).
    #[arg(long, value_name = "NAME")]
    pub(crate) upstream_sni: Option<String>,
    /// Do not reload the policy (nor the --tls-cert/--tls-key pair) when its files change
    /// (SIGHUP still reloads).
    #[arg(long)]
    pub(crate) no_watch: bool,
    #[command(flatten)]
    pub(crate) serve: ServeArgs,
    #[command(flatten)]
    pub(crate) telemetry: TelemetryArgs,
}

/// `cookie-warden demo`. It always judges requests as https (the real site's scheme), so
/// `--assume-https` changes nothing here.
#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {
    /// A policy file instead of the built-in copy of `config/fora.toml` (its scopes become the
    /// demo's site areas).
    #[arg(long, value_name = "FILE", conflicts_with = "policy")]
    pub(crate) config: Option<std::path::PathBuf>,
    /// Which built-in policy to use: `fora` (`config/fora.toml`, necessary cookies only) or
    /// `consent` (`config/fora-consent.toml`: statistics cookies wait for the visitor's consent;
    /// the home page then offers "accept" and "decline" links).
    #[arg(long, value_enum, value_name = "NAME", default_value = "fora")]
    pub(crate) policy: DemoPolicy,
    #[command(flatten)]
    pub(crate) serve: ServeArgs,
    #[command(flatten)]
    pub(crate) telemetry: TelemetryArgs,
}

/// `demo --policy`: the built-in policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DemoPolicy {
    /// `config/fora.toml`: the seed site as it is, without consent.
    Fora,
    /// `config/fora-consent.toml`: the seed site with a consent banner.
    Consent,
}

/// `--forwarded`: how the upstream is told about the client (the library's `ForwardedStyle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ForwardedArg {
    /// `X-Forwarded-For` (appended to), `X-Forwarded-Proto`, `X-Forwarded-Host`.
    XForwarded,
    /// One RFC 7239 `Forwarded` element (`for=…;proto=…;host=…`) appended.
    Forwarded,
    /// Neither: the upstream learns nothing about the client.
    None,
}

impl From<ForwardedArg> for ForwardedStyle {
    fn from(arg: ForwardedArg) -> Self {
        match arg {
            ForwardedArg::XForwarded => ForwardedStyle::XForwarded,
            ForwardedArg::Forwarded => ForwardedStyle::Forwarded,
            ForwardedArg::None => ForwardedStyle::None,
        }
    }
}

/// How the proxy listens and talks to its upstream (shared by `proxy` and `demo`).
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Where to listen (port 0 picks a free port; the address is printed on stdout).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub(crate) listen: std::net::SocketAddr,
    /// Serve TLS with this PEM certificate chain (needs --tls-key). The pair is reloaded on
    /// SIGHUP and when either file changes; a broken pair keeps the running one.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<std::path::PathBuf>,
    /// Judge every request as made over https: a TLS terminator in front of cookie-warden
    /// serves the site over https (implied by --tls-cert).
    #[arg(long)]
    pub(crate) assume_https: bool,
    /// Trust `Forwarded` / `X-Forwarded-Host` / `X-Forwarded-Proto` from the client: only behind
    /// a proxy that sets them on every request.
    #[arg(long)]
    pub(crate) trust_forwarded: bool,
    /// How the upstream learns about the client.
    #[arg(long, value_enum, value_name = "STYLE", default_value = "x-forwarded")]
    pub(crate) forwarded: ForwardedArg,
    /// Limit for connecting to the upstream.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_std_duration)]
    pub(crate) connect_timeout: std::time::Duration,
    /// Limit for the upstream's response head (504 after it).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_std_duration)]
    pub(crate) upstream_timeout: std::time::Duration,
    /// Longest pause inside a request or response body.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_std_duration)]
    pub(crate) body_idle_timeout: std::time::Duration,
    /// An HTTP/1 client connection without a complete request head for this long is closed.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_std_duration)]
    pub(crate) client_idle_timeout: std::time::Duration,
    /// How long in-flight requests may finish after SIGTERM / Ctrl-C.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_std_duration)]
    pub(crate) shutdown_timeout: std::time::Duration,
    /// The largest request head accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 65_536, value_parser = clap::value_parser!(u32).range(8192..))]
    pub(crate) max_header_bytes: u32,
}

/// Logs, traces and metrics (shared by `proxy` and `demo`).
#[derive(Debug, clap::Args)]
pub(crate) struct TelemetryArgs {
    /// Log lines on stderr as text or JSON (filter with RUST_LOG; default: warn,cookie_warden=info).
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "text")]
    pub(crate) log_format: crate::logging::LogFormat,
    /// Export traces and events to this OpenTelemetry collector (OTLP/HTTP, e.g.
    /// http://collector:4318/v1/traces); needs the `otlp` cargo feature. Default: from
    /// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces.
    #[arg(long, value_name = "URL")]
    pub(crate) otlp_endpoint: Option<String>,
    /// Serve Prometheus metrics at http://ADDR/metrics.
    #[arg(long, value_name = "ADDR")]
    pub(crate) metrics_listen: Option<std::net::SocketAddr>,
}

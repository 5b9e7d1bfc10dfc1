//! The parts of a HAR 1.2 entry that cookie-warden reads, as serde types.
//!
//! Only what audit and discover use is read; every other field (timings, content, pages, the
//! exporters' `_private` fields) is skipped without being kept. Fields the HAR 1.2 specification
//! requires and that cookie-warden needs are required here too, so a HAR that lacks them gets an
//! error naming the missing field and where.

use serde::Deserialize;

/// `log.entries[]`: one request and its response.
#[derive(Debug, Deserialize)]
pub(crate) struct Entry {
    /// When the request started (ISO 8601 with an offset).
    #[serde(rename = "startedDateTime")]
    pub(crate) started_date_time: String,
    /// The request.
    pub(crate) request: Request,
    /// The response.
    pub(crate) response: Response,
}

/// `entries[].request`.
#[derive(Debug, Deserialize)]
pub(crate) struct Request {
    /// `GET`, `POST`, …
    pub(crate) method: String,
    /// The absolute URL.
    pub(crate) url: String,
    /// The request headers (`Cookie`, `Sec-GPC`).
    #[serde(default)]
    pub(crate) headers: Vec<Header>,
}

/// `entries[].response`.
#[derive(Debug, Deserialize)]
pub(crate) struct Response {
    /// The response headers: every `Set-Cookie` is here, one entry per header, or (as some
    /// exporters write them) several values joined by newlines in one entry.
    pub(crate) headers: Vec<Header>,
    /// The cookies the exporter parsed from the response; read only when `headers` holds no
    /// `Set-Cookie` (sanitized exports drop those headers).
    #[serde(default)]
    pub(crate) cookies: Vec<Cookie>,
}

/// A header: name and value.
#[derive(Deserialize)]
pub(crate) struct Header {
    /// The header's name, in whatever case the exporter wrote it.
    pub(crate) name: String,
    /// The header's value.
    pub(crate) value: String,
}

/// Never shows the value (it may be a `Set-Cookie` or `Cookie` header).
impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Header")
            .field("name", &self.name)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// `response.cookies[]`: a cookie as the exporter parsed it.
#[derive(Deserialize)]
pub(crate) struct Cookie {
    pub(crate) name: String,
    pub(crate) value: String,
    #[serde(default)]
    pub(crate) path: Option<String>,
    #[serde(default)]
    pub(crate) domain: Option<String>,
    /// ISO 8601, or absent / null for a session cookie.
    #[serde(default)]
    pub(crate) expires: Option<String>,
    #[serde(default, rename = "httpOnly")]
    pub(crate) http_only: Option<bool>,
    #[serde(default)]
    pub(crate) secure: Option<bool>,
    /// Chromium writes `sameSite` (`Strict`, `Lax`, `None`).
    #[serde(default, rename = "sameSite")]
    pub(crate) same_site: Option<String>,
}

/// Never shows the value.
impl std::fmt::Debug for Cookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cookie")
            .field("name", &self.name)
            .field("value", &"<redacted>")
            .finish()
    }
}

//! Generated `Set-Cookie` headers, in batches that one response carries.
//!
//! Every header of a batch gets a distinct cookie name (`<class><index>`, the index unique in the
//! batch), so each cookie in a jar maps back to the one header that set it. The class picks the
//! policy rule (or none) the name falls under; the name is then sometimes bent (prefix case,
//! odd bytes, surrounding whitespace, the layered-cookies prefixes). Values are nonsense with a
//! fixed marker; attributes are drawn from every kind, with duplicates, case variants, unknown
//! ones, odd whitespace and delimiters, and dates from [`super::dates`].

use std::fmt;

use super::dates::{cookie_date, response_dates};
use super::policy::HOSTS;
use super::rng::FuzzRng;

/// The name classes: allowed under a rule (`s_`, `h_`, `p_`, `d_`, `__Host-x_`, `__Secure-y_`,
/// `cart_`, `n_`), or unlisted (`u_`, `H_`).
const CLASSES: [&str; 10] = [
    "s_",
    "h_",
    "p_",
    "d_",
    "__Host-x_",
    "__Secure-y_",
    "cart_",
    "n_",
    "u_",
    "H_",
];

/// One generated header.
#[derive(Clone, PartialEq, Eq)]
pub struct GeneratedHeader {
    /// Its position in the batch (also the number in its name).
    pub index: usize,
    /// The header's value, as the upstream sends it after `Set-Cookie:`.
    pub value: String,
}

impl fmt::Debug for GeneratedHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedHeader")
            .field("index", &self.index)
            .field("header", &redact_value(&self.value))
            .finish()
    }
}

/// A `Set-Cookie` value with the cookie's value replaced by `<value>`: what logs and failure
/// messages print (the values are generated nonsense, but the rule holds everywhere).
#[must_use]
pub fn redact_value(set_cookie: &str) -> String {
    let (pair, attributes) = set_cookie
        .split_once(';')
        .map_or((set_cookie, ""), |(p, a)| (p, a));
    let redacted = match pair.split_once('=') {
        Some((name, _)) => format!("{name}=<value>"),
        None => "<value>".to_owned(),
    };
    if set_cookie.contains(';') {
        format!("{redacted};{attributes}")
    } else {
        redacted
    }
}

/// One response's worth of headers, regenerated identically from `(seed, id, now)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The batch number in the run.
    pub id: u64,
    /// The base time the dates are drawn around (unix seconds).
    pub now: i64,
    /// The host the browser visits.
    pub host: &'static str,
    /// The path it visits (the request path, before the query that names the batch).
    pub path: &'static str,
    /// The response's `Date` headers (none, one, or two).
    pub dates: Vec<String>,
    /// The `Set-Cookie` headers, in order.
    pub headers: Vec<GeneratedHeader>,
}

/// The request paths a batch may be served at (cookies without Path take their default path).
const PATHS: [&str; 5] = ["/", "/a/page", "/shop/cart", "/shop", "/deep/er/page"];

impl Batch {
    /// Generates batch `id` of the run `seed` with `count` headers, dated around `now`.
    #[must_use]
    pub fn generate(seed: u64, id: u64, now: i64, count: usize) -> Self {
        let mut rng = FuzzRng::for_batch(seed, id);
        let host = rng.pick(&HOSTS);
        let path = rng.pick(&PATHS);
        let dates = response_dates(&mut rng, now);
        let headers = (0..count)
            .map(|index| GeneratedHeader {
                index,
                value: set_cookie(&mut rng, index, now),
            })
            .collect();
        Self {
            id,
            now,
            host,
            path,
            dates,
            headers,
        }
    }

    /// The path and query the browser and the plain client request: the upstream regenerates the
    /// batch from it.
    #[must_use]
    pub fn request_target(&self, seed: u64, count: usize) -> String {
        format!("{}?fuzz={seed}.{}.{}.{count}", self.path, self.id, self.now)
    }

    /// Reads `(seed, id, now, count)` back from a request target made by
    /// [`Batch::request_target`].
    #[must_use]
    pub fn parse_target(target: &str) -> Option<(u64, u64, i64, usize)> {
        let query = target.split_once("?fuzz=")?.1;
        let mut parts = query.split('.');
        let seed = parts.next()?.parse().ok()?;
        let id = parts.next()?.parse().ok()?;
        let now = parts.next()?.parse().ok()?;
        let count = parts.next()?.parse().ok()?;
        parts.next().is_none().then_some((seed, id, now, count))
    }
}

/// The cookie name of header `index`.
fn name(rng: &mut FuzzRng, index: usize) -> String {
    if index == 0 && rng.chance(0.3) {
        // The one exact rule: at most once a batch, at index 0.
        return rng.pick(&["sid", "SID", "sid ", " sid"]).to_owned();
    }
    let class = rng.pick(&CLASSES);
    let mut name = format!("{class}{index}");
    match rng.index(20) {
        0 => name = name.to_uppercase(),
        1 => {
            if let Some(rest) = name.strip_prefix("__Host-") {
                name = format!(
                    "{}{rest}",
                    rng.pick(&["__HOST-", "__host-", "__Host_", "__Host-Http-", "__Http-"])
                );
            } else if let Some(rest) = name.strip_prefix("__Secure-") {
                name = format!(
                    "{}{rest}",
                    rng.pick(&["__SECURE-", "__secure-", "__Http-", "__Secure_"])
                );
            } else {
                name = format!(
                    "{}{name}",
                    rng.pick(&["__Host-", "__Secure-", "__Http-", "__Host-Http-"])
                );
            }
        }
        2 => name.push_str(rng.pick(&[".x", "-x", "~", "!", "\"", "é", "\\", "{}", "[x]", "@", "?", "/"])),
        3 => {
            name = format!(
                "{}{name}{}",
                rng.pick(&[" ", "\t", "  "]),
                rng.pick(&["", " ", "\t"])
            );
        }
        4 => name.insert(name.len() - 1, rng.pick_copy(&[' ', '\t', ',', '(', ':'])),
        _ => {}
    }
    name
}

fn value(rng: &mut FuzzRng, index: usize) -> String {
    let plain = format!("v{index}");
    match rng.index(14) {
        0 => String::new(),
        1 => format!("\"{plain}\""),
        2 => format!("{plain} x"),
        3 => format!("{plain}=x=y"),
        4 => format!(" {plain} "),
        5 => format!("{plain},x"),
        6 => format!("{plain}\\é"),
        7 => format!("{plain}\t"),
        8 => "x".repeat(rng.pick_copy(&[100, 1000, 4000, 4100])),
        _ => plain,
    }
}

/// An attribute name in one of the cases browsers accept.
fn attribute_name(rng: &mut FuzzRng, canonical: &str) -> String {
    match rng.index(10) {
        0 => canonical.to_lowercase(),
        1 => canonical.to_uppercase(),
        2 => canonical
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_lowercase()
                } else {
                    c.to_ascii_uppercase()
                }
            })
            .collect(),
        _ => canonical.to_owned(),
    }
}

/// `name=value` with odd spacing around `=` now and then.
fn pair(rng: &mut FuzzRng, name: &str, value: &str) -> String {
    let eq = if rng.chance(0.1) {
        rng.pick(&[" = ", " =", "= ", "\t=\t"])
    } else {
        "="
    };
    format!("{name}{eq}{value}")
}

fn attribute(rng: &mut FuzzRng, now: i64) -> String {
    match rng.index(22) {
        0..=5 => {
            let name = attribute_name(rng, "Expires");
            let date = cookie_date(rng, now);
            pair(rng, &name, &date)
        }
        6 | 7 => {
            let name = attribute_name(rng, "Max-Age");
            let age = rng.pick(&[
                "0",
                "-1",
                "60",
                "1800",
                "1801",
                "3600",
                "3601",
                "86400",
                "34560000",
                "34560001",
                "99999999999999999999",
                "+60",
                "1e3",
                "",
                "abc",
                " 60",
                "60s",
                "-0",
                "007",
            ]);
            pair(rng, &name, age)
        }
        8 | 9 => {
            let name = attribute_name(rng, "Path");
            let path = rng.pick(&[
                "/", "/", "/shop", "/shop/", "/a", "", "a", "/deep/er", "/%2F", "//",
            ]);
            pair(rng, &name, path)
        }
        10 | 11 => {
            let name = attribute_name(rng, "Domain");
            let domain = rng.pick(&[
                "warden.test",
                ".warden.test",
                "WARDEN.test",
                "app.warden.test",
                "shop.warden.test",
                "other.warden.test",
                "test",
                ".test",
                "elsewhere.test",
                "",
                ".",
                "warden.test.",
                "..warden.test",
                "127.0.0.1",
            ]);
            pair(rng, &name, domain)
        }
        12 | 13 => attribute_name(rng, "Secure"),
        14 | 15 => attribute_name(rng, "HttpOnly"),
        16 | 17 => {
            let name = attribute_name(rng, "SameSite");
            let same_site = rng.pick(&["Lax", "Strict", "None", "lax", "STRICT", "none", "", "Laxx", "no"]);
            pair(rng, &name, same_site)
        }
        18 => attribute_name(rng, "Partitioned"),
        19 => rng
            .pick(&[
                "Secure=no",
                "HttpOnly=false",
                "Priority=High",
                "Comment=x",
                "Version=1",
            ])
            .to_owned(),
        20 => rng
            .pick(&["Foo=bar", "Max-Age", "Expires", "Domain", "Path", "SameSite", "x"])
            .to_owned(),
        _ => String::new(),
    }
}

/// One `Set-Cookie` value for header `index`.
fn set_cookie(rng: &mut FuzzRng, index: usize, now: i64) -> String {
    let name = name(rng, index);
    let value = value(rng, index);
    let mut out = if rng.chance(0.02) {
        // Nameless: the whole pair is the value (only the first header may be nameless, so that
        // names stay distinct in the batch).
        if index == 0 {
            format!("v{index}")
        } else {
            pair(rng, &name, &value)
        }
    } else {
        pair(rng, &name, &value)
    };
    // Most headers look like a site's: a handful of attributes, often the ones the rule wants.
    let typical = rng.chance(0.5);
    if typical {
        out.push_str("; Path=/; Secure");
        if rng.chance(0.6) {
            out.push_str("; HttpOnly");
        }
        out.push_str(rng.pick(&["; SameSite=Lax", "; SameSite=Strict", ""]));
    }
    let count = rng.index(if typical { 3 } else { 8 });
    for _ in 0..count {
        let attribute = attribute(rng, now);
        let delimiter = if rng.chance(0.1) {
            rng.pick(&[";", " ;", "  ;  ", ";;", "\t;", "; ;"])
        } else {
            "; "
        };
        out.push_str(delimiter);
        out.push_str(&attribute);
    }
    if rng.chance(0.03) {
        out.push_str(rng.pick(&[";", "; ", " "]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_270_400;

    #[test]
    fn a_batch_is_regenerated_identically_and_batches_differ() {
        assert_eq!(Batch::generate(1, 2, NOW, 50), Batch::generate(1, 2, NOW, 50));
        assert_ne!(
            Batch::generate(1, 2, NOW, 50).headers,
            Batch::generate(1, 3, NOW, 50).headers
        );
    }

    #[test]
    fn names_are_distinct_within_a_batch() {
        for id in 0..50 {
            let batch = Batch::generate(3, id, NOW, 80);
            let mut names: Vec<String> = batch
                .headers
                .iter()
                .map(|h| {
                    h.value
                        .split(';')
                        .next()
                        .unwrap()
                        .split('=')
                        .next()
                        .unwrap()
                        .trim()
                        .to_owned()
                })
                .collect();
            names.sort();
            let before = names.len();
            names.dedup();
            assert_eq!(names.len(), before, "batch {id}");
        }
    }

    #[test]
    fn headers_are_valid_http_field_values() {
        for id in 0..50 {
            for header in Batch::generate(4, id, NOW, 80).headers {
                assert!(
                    http::HeaderValue::from_str(&header.value).is_ok(),
                    "{:?}",
                    redact_value(&header.value)
                );
            }
        }
    }

    #[test]
    fn headers_carry_every_attribute_kind() {
        let all: Vec<String> = (0..100)
            .flat_map(|id| Batch::generate(5, id, NOW, 60).headers)
            .map(|h| h.value.to_lowercase())
            .collect();
        for needle in [
            "expires=",
            "max-age=",
            "path=",
            "domain=",
            "; secure",
            "httponly",
            "samesite=",
            "partitioned",
            "priority=",
            "__host-",
            "__secure-",
            "__http-",
            ";;",
        ] {
            assert!(all.iter().any(|h| h.contains(needle)), "{needle}");
        }
        // Duplicated attributes.
        assert!(all.iter().any(|h| h.matches("expires=").count() > 1));
    }

    #[test]
    fn the_target_names_the_batch() {
        let batch = Batch::generate(11, 7, NOW, 30);
        let target = batch.request_target(11, 30);
        assert!(target.starts_with(batch.path));
        assert_eq!(Batch::parse_target(&target), Some((11, 7, NOW, 30)));
        assert_eq!(Batch::parse_target("/x?fuzz=1.2"), None);
    }

    #[test]
    fn redaction_keeps_names_and_attributes() {
        assert_eq!(redact_value("a=secret; Path=/"), "a=<value>; Path=/");
        assert_eq!(redact_value("secret"), "<value>");
        assert!(
            !format!(
                "{:?}",
                GeneratedHeader {
                    index: 0,
                    value: "a=secret".into()
                }
            )
            .contains("secret")
        );
    }
}

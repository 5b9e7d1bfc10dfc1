//! The process's panic hook: it reports where a panic happened, never its message.
//!
//! A panic message may format anything the panicking code had at hand: a header value, a cookie,
//! a request line. Rust's default hook prints the message to stderr, next to the logs, so
//! cookie-warden replaces it with one that prints only a fixed text and the source location. The
//! layer turns a panic while judging a response into a fail-closed strip (`catch_unwind`), so the
//! process goes on; this hook only decides what reaches stderr.

use std::io::Write;
use std::panic::Location;

/// Replaces the default panic hook (see the module docs).
pub(crate) fn install() {
    std::panic::set_hook(Box::new(|info| {
        let mut stderr = std::io::stderr().lock();
        let _ = write_report(&mut stderr, info.location());
    }));
}

/// Writes the hook's report: the fixed text and the location. It is given no access to the panic's
/// payload, so it cannot print it.
fn write_report(out: &mut dyn Write, location: Option<&Location<'_>>) -> std::io::Result<()> {
    match location {
        Some(at) => writeln!(
            out,
            "cookie-warden: internal error at {}:{}:{} (the panic message is withheld: it may hold request data)",
            at.file(),
            at.line(),
            at.column()
        ),
        None => writeln!(
            out,
            "cookie-warden: internal error (the panic message is withheld: it may hold request data)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_the_location_only() {
        let mut out = Vec::new();
        let here = Location::caller();
        write_report(&mut out, Some(here)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(&format!("{}:{}", here.file(), here.line())),
            "{text}"
        );
        assert!(text.starts_with("cookie-warden: internal error at "), "{text}");
        let mut out = Vec::new();
        write_report(&mut out, None).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "cookie-warden: internal error (the panic message is withheld: it may hold request data)\n"
        );
    }
}

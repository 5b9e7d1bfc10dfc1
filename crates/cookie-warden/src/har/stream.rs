//! Streaming HAR reading: `log.entries[]` is visited one entry at a time, so a 100 MB file is
//! read once and never held in memory whole. Errors carry the JSON path where they happened
//! (`serde_path_to_error`).

use std::fmt;
use std::io::Read;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::model::Entry;

/// Why the JSON could not be read: where (the JSON path, line, column) and what.
#[derive(Debug)]
pub(crate) struct JsonError {
    /// The JSON path, such as `log.entries[3].request`.
    pub(crate) path: String,
    /// The line and column in the file.
    pub(crate) line: usize,
    /// See `line`.
    pub(crate) column: usize,
    /// What is wrong; quoted strings from the input are redacted (they may hold cookie values).
    pub(crate) message: String,
}

/// Reads a HAR document from `reader`, calling `on_entry(index, entry)` for each entry in order.
/// An error returned by `on_entry` stops reading and is returned as is.
pub(crate) fn read_entries<R: Read, E>(
    reader: R,
    mut on_entry: impl FnMut(usize, Entry) -> Result<(), E>,
) -> Result<(), StreamError<E>> {
    let mut state = State {
        on_entry: &mut on_entry,
        failure: None,
    };
    let mut json = serde_json::Deserializer::from_reader(reader);
    let mut track = serde_path_to_error::Track::new();
    let result = RootSeed(&mut state)
        .deserialize(serde_path_to_error::Deserializer::new(&mut json, &mut track))
        .and_then(|()| json.end());
    match (result, state.failure) {
        (_, Some(failure)) => Err(StreamError::Entry(failure)),
        (Ok(()), None) => Ok(()),
        (Err(err), None) if err.is_io() => Err(StreamError::Io(err.into())),
        (Err(err), None) => Err(StreamError::Json(JsonError {
            path: track.path().to_string(),
            line: err.line(),
            column: err.column(),
            message: redact_quoted(&message_of(&err)),
        })),
    }
}

/// What stopped reading.
#[derive(Debug)]
pub(crate) enum StreamError<E> {
    /// The JSON is broken or does not have the HAR shape.
    Json(JsonError),
    /// The entry callback refused an entry.
    Entry(E),
    /// Reading failed.
    Io(std::io::Error),
}

/// serde_json's message without its " at line L column C" suffix (reported separately).
fn message_of(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) if err.line() > 0 => text[..at].to_owned(),
        _ => text,
    }
}

/// Replaces every double-quoted string in an error message by `"…"`: serde quotes the offending
/// input (`invalid type: string "sid=…", expected a sequence`), which may be a cookie's value.
pub(crate) fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '"' {
            let mut escaped = false;
            for inner in chars.by_ref() {
                match inner {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => break,
                    _ => escaped = false,
                }
            }
            out.push_str("…\"");
        }
    }
    out
}

struct State<'a, E> {
    on_entry: &'a mut dyn FnMut(usize, Entry) -> Result<(), E>,
    failure: Option<E>,
}

struct RootSeed<'s, 'a, E>(&'s mut State<'a, E>);

impl<'de, E> DeserializeSeed<'de> for RootSeed<'_, '_, E> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(ObjectVisitor {
            state: self.0,
            key: "log",
            inner: Level::Root,
        })
    }
}

#[derive(Clone, Copy)]
enum Level {
    /// The document: `{ "log": … }`.
    Root,
    /// `log`: `{ "entries": [ … ] }`.
    Log,
}

/// Visits an object, hands the value of `key` to the next level and skips every other member.
struct ObjectVisitor<'s, 'a, E> {
    state: &'s mut State<'a, E>,
    key: &'static str,
    inner: Level,
}

impl<'de, E> Visitor<'de> for ObjectVisitor<'_, '_, E> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner {
            Level::Root => f.write_str("a HAR document: an object with a `log` member"),
            Level::Log => f.write_str("a HAR `log` object with an `entries` member"),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        while let Some(key) = map.next_key::<Key>()? {
            if key.0 == self.key && !seen {
                seen = true;
                match self.inner {
                    Level::Root => map.next_value_seed(LogSeed(&mut *self.state))?,
                    Level::Log => map.next_value_seed(EntriesSeed(&mut *self.state))?,
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if seen {
            Ok(())
        } else {
            Err(de::Error::missing_field(self.key))
        }
    }
}

/// An object key, kept only long enough to compare it.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Key)
    }
}

struct LogSeed<'s, 'a, E>(&'s mut State<'a, E>);

impl<'de, E> DeserializeSeed<'de> for LogSeed<'_, '_, E> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(ObjectVisitor {
            state: self.0,
            key: "entries",
            inner: Level::Log,
        })
    }
}

struct EntriesSeed<'s, 'a, E>(&'s mut State<'a, E>);

impl<'de, E> DeserializeSeed<'de> for EntriesSeed<'_, '_, E> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, E> Visitor<'de> for EntriesSeed<'_, '_, E> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of HAR entries")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while let Some(entry) = seq.next_element::<Entry>()? {
            if let Err(failure) = (self.0.on_entry)(index, entry) {
                self.0.failure = Some(failure);
                return Err(de::Error::custom("entry refused"));
            }
            index += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<Vec<String>, StreamError<()>> {
        let mut urls = Vec::new();
        read_entries(json.as_bytes(), |_, entry| {
            urls.push(entry.request.url);
            Ok(())
        })?;
        Ok(urls)
    }

    const ENTRY: &str = r#"{"startedDateTime":"2026-01-01T00:00:00Z","request":{"method":"GET","url":"https://a.example/","headers":[]},"response":{"status":200,"headers":[]}}"#;

    #[test]
    fn visits_entries_in_order_and_skips_the_rest() {
        let json = format!(
            r#"{{"log":{{"version":"1.2","pages":[{{"id":"p"}}],"entries":[{ENTRY},{}],"comment":"x"}},"x":1}}"#,
            ENTRY.replace("a.example", "b.example")
        );
        assert_eq!(read(&json).unwrap(), ["https://a.example/", "https://b.example/"]);
    }

    #[test]
    fn errors_name_the_json_path_and_redact_strings() {
        let json = r#"{"log":{"entries":[{"startedDateTime":"2026-01-01T00:00:00Z","request":{"method":"GET","url":"https://a/"},"response":{"headers":"sid=topsecret"}}]}}"#;
        let Err(StreamError::Json(err)) = read(json) else {
            panic!("expected a JSON error")
        };
        assert_eq!(err.path, "log.entries[0].response.headers");
        assert!(!err.message.contains("topsecret"), "{}", err.message);
        assert!(err.message.contains("expected a sequence"), "{}", err.message);
    }

    #[test]
    fn missing_members_are_named() {
        let Err(StreamError::Json(err)) = read(r#"{"log":{"version":"1.2"}}"#) else {
            panic!()
        };
        assert_eq!(err.path, "log");
        assert!(err.message.contains("missing field `entries`"), "{}", err.message);
        let Err(StreamError::Json(err)) = read(r#"{"log":{"entries":[{"request":{}}]}}"#) else {
            panic!()
        };
        assert!(err.path.starts_with("log.entries[0]"), "{}", err.path);
    }

    /// Fails every read: stands for the part of a file not yet read.
    struct Unreadable;

    impl std::io::Read for Unreadable {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("not read yet"))
        }
    }

    #[test]
    fn entries_are_handed_over_before_the_rest_is_read() {
        use std::io::Read as _;
        let prefix = format!(r#"{{"log":{{"entries":[{ENTRY},"#);
        let mut seen = Vec::new();
        let result = read_entries(prefix.as_bytes().chain(Unreadable), |index, entry| {
            seen.push((index, entry.request.url));
            Ok::<(), ()>(())
        });
        assert_eq!(seen, [(0, "https://a.example/".to_owned())]);
        assert!(matches!(result, Err(StreamError::Io(_))));
    }

    #[test]
    fn trailing_garbage_is_an_error() {
        assert!(read(r#"{"log":{"entries":[]}} x"#).is_err());
    }

    #[test]
    fn redaction_handles_escaped_quotes() {
        assert_eq!(
            redact_quoted(r#"string "a\"b", expected x"#),
            r#"string "…", expected x"#
        );
    }
}

//! The stdin loop shared by `parse` and `eval`: one header a line, one JSON record a line.

use std::io::{BufRead, Write};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use super::hex::{hex_decode, text_or_hex};
use crate::cli::InputFormat;
use crate::exit::Exit;

/// Reads `input` line by line, decodes each line as `format` says, and writes the record `each`
/// makes of it as one JSON line to `out`.
///
/// `each` gets the line as given (text, or the hex digits; `None` for a text line that is not
/// UTF-8), the hex of a text line that is not UTF-8, and the header bytes.
pub(super) fn for_each_line<T: Serialize>(
    mut input: impl BufRead,
    out: &mut impl Write,
    format: InputFormat,
    mut each: impl FnMut(Option<String>, Option<String>, &[u8]) -> T,
) -> Result<Exit> {
    let mut line = Vec::new();
    let mut number = 0usize;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line).context("reading stdin")? == 0 {
            break;
        }
        number += 1;
        if line.last() == Some(&b'\n') {
            line.pop();
            // The line ending may be CRLF; a CR inside a header only travels in `--input hex`.
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        let record = match format {
            InputFormat::Text => {
                let (input, input_hex) = text_or_hex(&line);
                each(input, input_hex, &line)
            }
            InputFormat::Hex => {
                let text = std::str::from_utf8(&line).ok().map(str::trim);
                let Some(header) = text.and_then(hex_decode) else {
                    bail!("stdin line {number}: not hex (expected pairs of hex digits, one header per line)");
                };
                each(text.map(str::to_owned), None, &header)
            }
        };
        serde_json::to_writer(&mut *out, &record)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(Exit::Done)
}

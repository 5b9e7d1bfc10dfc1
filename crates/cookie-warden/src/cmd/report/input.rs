//! The log sources of `report`: files or standard input, plain or gzip (told apart by gzip's
//! magic bytes `1f 8b`, not by the file name), read one line at a time in bounded memory.
//!
//! Concatenated gzip members (`cat a.gz b.gz`, or logrotate's output) read as one stream. A gzip
//! stream that ends early or is corrupt is an error naming the source. A line longer than
//! [`MAX_LINE`] is skipped whole (and counted as not JSON) without being held in memory.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The longest line kept; a proxy's violation event is well under 2 KiB.
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// What the lines of one source came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line<'b> {
    /// A whole line, without its line ending.
    Text(&'b [u8]),
    /// A line over [`MAX_LINE`], skipped.
    TooLong,
}

/// An open source: a name for messages, and its lines.
pub(crate) struct Source {
    /// The file's path as given, or `(stdin)`.
    pub(crate) name: String,
    reader: Box<dyn BufRead>,
    bar: ProgressBar,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Opens `path` (`-`: standard input). A progress bar shows on a terminal (by bytes for a file).
pub(crate) fn open(path: &Path) -> io::Result<Source> {
    let interactive = io::stderr().is_terminal();
    let (name, raw, bar): (String, Box<dyn Read>, ProgressBar) = if path == Path::new("-") {
        let bar = if interactive {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} (stdin) {bytes} read ({bytes_per_sec})")
                    .expect("the template is valid"),
            );
            bar
        } else {
            ProgressBar::hidden()
        };
        ("(stdin)".to_owned(), Box::new(bar.wrap_read(io::stdin())), bar)
    } else {
        let file = File::open(path)?;
        let metadata = file.metadata()?;
        if metadata.is_dir() {
            return Err(io::Error::other("it is a directory"));
        }
        let name = path.display().to_string();
        let bar = if interactive {
            let bar = ProgressBar::with_draw_target(Some(metadata.len()), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{msg} {wide_bar} {bytes}/{total_bytes} ({eta})")
                    .expect("the template is valid"),
            );
            bar.set_message(name.clone());
            bar
        } else {
            ProgressBar::hidden()
        };
        (name, Box::new(bar.wrap_read(file)), bar)
    };
    let mut buffered = BufReader::with_capacity(256 * 1024, raw);
    let gzip = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::with_capacity(
            256 * 1024,
            MultiGzDecoder::new(buffered),
        ))
    } else {
        Box::new(buffered)
    };
    Ok(Source { name, reader, bar })
}

impl Source {
    /// Calls `each` with every line, in order, reusing one buffer.
    pub(crate) fn for_each_line(mut self, mut each: impl FnMut(Line<'_>)) -> io::Result<()> {
        let mut line = Vec::with_capacity(4096);
        loop {
            line.clear();
            let mut too_long = false;
            let mut read_any = false;
            loop {
                let available = self.reader.fill_buf()?;
                if available.is_empty() {
                    break;
                }
                read_any = true;
                let (chunk, done) = match memchr(available) {
                    Some(end) => (&available[..end], end + 1),
                    None => (available, available.len()),
                };
                let found_end = done > chunk.len();
                if !too_long {
                    if line.len() + chunk.len() > MAX_LINE {
                        too_long = true;
                        line.clear();
                    } else {
                        line.extend_from_slice(chunk);
                    }
                }
                self.reader.consume(done);
                if found_end {
                    break;
                }
            }
            if !read_any {
                break;
            }
            if too_long {
                each(Line::TooLong);
            } else {
                let text = line.strip_suffix(b"\r").unwrap_or(&line);
                each(Line::Text(text));
            }
            if line.capacity() > MAX_LINE * 2 {
                line = Vec::with_capacity(4096);
            }
        }
        self.bar.finish_and_clear();
        Ok(())
    }
}

fn memchr(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|b| *b == b'\n')
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn lines_of(bytes: &[u8]) -> io::Result<Vec<String>> {
        let mut file = tempfile::NamedTempFile::new()?;
        file.write_all(bytes)?;
        let mut out = Vec::new();
        open(file.path())?.for_each_line(|line| {
            out.push(match line {
                Line::Text(t) => String::from_utf8_lossy(t).into_owned(),
                Line::TooLong => "<too long>".to_owned(),
            });
        })?;
        Ok(out)
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn plain_and_gzip_and_concatenated_gzip_read_the_same() {
        let text = b"a\r\nb\n\nc";
        assert_eq!(lines_of(text).unwrap(), ["a", "b", "", "c"]);
        assert_eq!(lines_of(&gzip(text)).unwrap(), ["a", "b", "", "c"]);
        let mut two = gzip(b"a\nb\n");
        two.extend(gzip(b"c\n"));
        assert_eq!(lines_of(&two).unwrap(), ["a", "b", "c"]);
    }

    #[test]
    fn a_truncated_gzip_is_an_error() {
        let whole = gzip(&b"{\"message\":\"x\"}\n".repeat(1000));
        let err = lines_of(&whole[..whole.len() / 2]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");
    }

    #[test]
    fn an_overlong_line_is_skipped_whole() {
        let mut text = b"a\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        text.extend(b"\nb\n");
        assert_eq!(lines_of(&text).unwrap(), ["a", "<too long>", "b"]);
    }
}

//! What the CLI prints, and the one place an error becomes a message and an exit code.
//!
//! Text that can carry document-derived strings (reports, values, messages) goes through
//! [`crate::visible`], so a control character or a bidi override from the XML reaches no
//! terminal raw, whether stdout is a terminal, a pipe or a file (a pipe usually ends on a
//! terminal too: `| less`, a CI log). What is data, not text, stays exact: JSON (its escapes read
//! back as the same string) and the document itself (`-o -`, `--diff`) in a pipe.
//!
//! Writing stdout fails with a typed [`WriteError`]; the caller passes it up with `?`, and
//! [`failure`] turns it — a closed pipe (`virt-cpu models | head`) into a quiet exit 0, as the
//! shell tools do, anything else into a message and exit 2.

use super::common::{EXIT_OK, EXIT_USAGE};
use std::io::{IsTerminal, Write};

/// Standard output could not be written (a closed pipe, a full disk).
#[derive(Debug, thiserror::Error)]
#[error("cannot write output: {0}")]
pub struct WriteError(#[from] pub std::io::Error);

fn write_stdout(text: &str, newline: bool) -> Result<(), WriteError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    if newline {
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Writes one line of text to stdout, unsafe characters escaped ([`crate::visible::lines`]).
pub fn line(text: std::fmt::Arguments) -> Result<(), WriteError> {
    let text = text.to_string();
    write_stdout(&crate::visible::lines(&text), true)
}

/// Writes a JSON value, pretty, on stdout: lossless, with no character a terminal acts on
/// ([`crate::visible::json`]).
pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    Ok(write_stdout(&crate::visible::json(&text), true)?)
}

/// Writes a document (or a diff of one) on stdout: the exact bytes into a pipe or a file, so
/// `-o - > f.xml` and `--diff | patch` lose nothing; escaped on a terminal.
pub fn document(text: &str) -> Result<(), WriteError> {
    if std::io::stdout().is_terminal() {
        write_stdout(&crate::visible::lines(text), true)
    } else {
        write_stdout(text, true)
    }
}

/// Writes one line of a message on stderr, unsafe characters escaped. A failure to write stderr
/// has nowhere to be said and is ignored.
pub fn message(text: std::fmt::Arguments) {
    let text = text.to_string();
    let mut err = std::io::stderr().lock();
    let _ = err
        .write_all(crate::visible::lines(&text).as_bytes())
        .and_then(|_| err.write_all(b"\n"));
}

/// `println!` through [`line`](fn@line); evaluates to its `Result`, for `?`.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::cli::print::line(format_args!($($arg)*)) };
}
pub(crate) use outln;

/// `eprintln!` through [`message`].
macro_rules! errln {
    ($($arg:tt)*) => { $crate::cli::print::message(format_args!($($arg)*)) };
}
pub(crate) use errln;

/// The text of an error and its causes, each said once: a cause whose text the message already
/// holds (`{path}: {source}` errors carry their source in the message) is not repeated.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        let part = part.trim();
        if part.is_empty() || text.contains(part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(part);
    }
    text
}

/// Whether the error is stdout closed by its reader (`| head`): not a failure of ours.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        let io = c
            .downcast_ref::<WriteError>()
            .map(|w| &w.0)
            .or_else(|| c.downcast_ref::<std::io::Error>());
        io.is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The one place an error ends: says it on stderr (escaped) and returns the exit code — 0 for a
/// closed stdout pipe, said nowhere, else 2 (usage or I/O error, DESIGN §7).
pub fn failure(e: &anyhow::Error) -> i32 {
    if is_broken_pipe(e) {
        return EXIT_OK;
    }
    errln!("virt-cpu: {}", error_text(e));
    EXIT_USAGE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_pipe_is_exit_0_and_other_write_errors_exit_2() {
        let pipe = anyhow::Error::from(WriteError(std::io::ErrorKind::BrokenPipe.into()));
        assert!(is_broken_pipe(&pipe));
        let full = anyhow::Error::from(WriteError(std::io::Error::from_raw_os_error(28)));
        assert!(!is_broken_pipe(&full));
        assert!(
            error_text(&full).starts_with("cannot write output: "),
            "{}",
            error_text(&full)
        );
        let wrapped = anyhow::Error::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
            .context("writing the man page");
        assert!(is_broken_pipe(&wrapped));
    }

    #[test]
    fn a_cause_already_said_is_not_repeated() {
        let e = anyhow::anyhow!("inner").context("outer: inner");
        assert_eq!(error_text(&e), "outer: inner");
        let e = anyhow::anyhow!("inner").context("outer");
        assert_eq!(error_text(&e), "outer: inner");
    }
}

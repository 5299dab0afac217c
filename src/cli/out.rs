//! Standard output for the exploring commands: a closed pipe (`virt-cpu models | head`) ends
//! the output quietly instead of panicking as `println!` does.

use std::io::Write;

/// Writes one line to stdout; on a broken pipe, exits with status 0 as the shell tools do.
/// On a terminal, control characters that came from the XML are shown escaped (`\u{1b}`), never
/// sent raw; a pipe gets the exact bytes.
pub fn line(text: std::fmt::Arguments) {
    use std::io::IsTerminal;
    let mut out = std::io::stdout().lock();
    let text = text.to_string();
    let text = if out.is_terminal() {
        visible(&text)
    } else {
        std::borrow::Cow::Borrowed(text.as_str())
    };
    if let Err(e) = out
        .write_all(text.as_bytes())
        .and_then(|_| out.write_all(b"\n"))
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("virt-cpu: cannot write output: {e}");
        std::process::exit(2);
    }
}

/// `println!` through [`line`](fn@line).
macro_rules! outln {
    ($($arg:tt)*) => { $crate::cli::out::line(format_args!($($arg)*)) };
}
pub(crate) use outln;

/// `s` with control characters other than newline and tab written as `\u{…}`.
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| {
                if unsafe_char(c) {
                    format!("\\u{{{:x}}}", c as u32)
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_made_visible() {
        assert_eq!(
            super::visible("a\u{1b}[31mb\n\tc\r"),
            "a\\u{1b}[31mb\n\tc\\u{d}"
        );
        assert_eq!(super::visible("plain"), "plain");
    }
}

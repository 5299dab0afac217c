//! Standard output for the exploring commands: a closed pipe (`virt-cpu models | head`) ends
//! the output quietly instead of panicking as `println!` does.

use std::io::Write;

/// Writes one line to stdout; on a broken pipe, exits with status 0 as the shell tools do.
pub fn line(text: std::fmt::Arguments) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(text).and_then(|_| out.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("virt-cpu: cannot write output: {e}");
        std::process::exit(2);
    }
}

/// `println!` through [`line`].
macro_rules! outln {
    ($($arg:tt)*) => { $crate::cli::out::line(format_args!($($arg)*)) };
}
pub(crate) use outln;

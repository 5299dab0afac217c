//! Where an edited document goes: a new file, the file itself (atomically), or a diff.

use super::common::{EXIT_FINDINGS, EXIT_OK};
use super::print::errln;
use crate::store::save::{Expected, Saved, save_atomic};
use crate::store::{Loaded, Origin};
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
#[group(required = true, multiple = false)]
pub struct OutputArgs {
    /// Write the result to OUT (always written, even when unchanged).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Replace FILE atomically (no change: no write, mtime untouched).
    #[arg(long)]
    pub in_place: bool,
    /// Print a unified diff; write nothing.
    #[arg(long)]
    pub diff: bool,
}

/// Delivers the edited text as the user asked. Returns the exit code.
pub fn deliver(loaded: &Loaded, new: &str, out: &OutputArgs) -> anyhow::Result<i32> {
    let old = loaded.doc.source();
    if out.diff {
        if old == new {
            // An empty diff would look like a failure; say it (stderr, so stdout stays a diff).
            errln!(
                "{}: nothing to change: the document already says that",
                loaded.display_name()
            );
            return Ok(EXIT_OK);
        }
        super::print::document(
            crate::edit::diff::unified_diff(&loaded.display_name(), old, new)
                .trim_end_matches('\n'),
        )?;
        return Ok(EXIT_OK);
    }
    if let Some(path) = &out.output {
        if path.as_os_str() == "-" {
            super::print::document(new.strip_suffix('\n').unwrap_or(new))?;
            return Ok(EXIT_OK);
        }
        save_atomic(path, new.as_bytes(), None)?;
        return Ok(EXIT_OK);
    }
    let Origin::File { path, stamp } = &loaded.origin else {
        errln!("virt-cpu: --in-place needs a file, not standard input; use -o OUT");
        return Ok(super::common::EXIT_USAGE);
    };
    let expected = Expected {
        bytes: old.as_bytes(),
        stamp: Some(stamp),
    };
    match save_atomic(path, new.as_bytes(), Some(expected))? {
        Saved::Unchanged(_) => errln!("{}: unchanged, not written", path.display()),
        Saved::Written(_) => errln!("{}: written", path.display()),
    }
    Ok(EXIT_OK)
}

/// Refuses an edit that adds errors, unless forced. Returns the exit code to stop with.
pub fn refuse_new_errors(
    before: &[crate::check::Diagnostic],
    after: &[crate::check::Diagnostic],
    force: bool,
) -> Option<i32> {
    let new = crate::check::new_errors(before, after);
    if new.is_empty() || force {
        return None;
    }
    errln!(
        "virt-cpu: the edit would introduce {} error(s); nothing was written (use --force to write anyway):",
        new.len()
    );
    for d in new {
        errln!(
            "  error[{}]: {}",
            d.code,
            crate::visible::one_line(&d.message)
        );
    }
    Some(EXIT_FINDINGS)
}

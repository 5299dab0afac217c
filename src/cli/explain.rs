//! `virt-cpu explain [FILE] [--message TEXT]`: why a guest will not start, from the error libvirt
//! or QEMU gave (pasted, or piped from a log), and the fixes — applied to FILE with `--fix N`.

use super::common::{self, EXIT_USAGE, HostArgs};
use super::destination::{self, OutputArgs};
use super::print::{errln, outln};
use crate::check::explain::{self, Explanation};
use crate::edit::Edited;
use std::io::Read;
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct ExplainArgs {
    /// The domain the error is about (the fixes then become edits of it); `-` reads standard input.
    pub file: Option<PathBuf>,
    /// The error text; without it, standard input is read (a log line, or a whole log).
    #[arg(long, value_name = "TEXT")]
    pub message: Option<String>,
    /// Apply fix N (as numbered in the output) to FILE.
    #[arg(long, value_name = "N", requires = "file")]
    pub fix: Option<usize>,
    /// With --fix: write the result to OUT.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "OUT",
        requires = "fix",
        group = "out"
    )]
    pub output: Option<PathBuf>,
    /// With --fix: replace FILE atomically.
    #[arg(long, requires = "fix", group = "out")]
    pub in_place: bool,
    /// With --fix: print a unified diff; write nothing.
    #[arg(long, requires = "fix", group = "out")]
    pub diff: bool,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub host: HostArgs,
}

/// At most this much of standard input is read as the error text (a long log is fine).
const MAX_MESSAGE: u64 = 16 * 1024 * 1024;

pub fn run(args: &ExplainArgs) -> anyhow::Result<i32> {
    let stdin_file = args.file.as_deref().is_some_and(|f| f.as_os_str() == "-");
    let text = match (&args.message, stdin_file) {
        (Some(m), _) => m.clone(),
        (None, true) => {
            errln!(
                "virt-cpu: the domain comes from standard input, so the error text cannot: give it with --message TEXT"
            );
            return Ok(EXIT_USAGE);
        }
        (None, false) => {
            let mut text = String::new();
            std::io::stdin()
                .take(MAX_MESSAGE)
                .read_to_string(&mut text)?;
            text
        }
    };
    let selected = args.host.select()?;
    let catalog = selected.catalog;
    let loaded = match &args.file {
        Some(f) => Some(crate::store::open(f)?),
        None => None,
    };
    let host = args.host.load(loaded.as_ref().map(|l| &l.domain))?;
    let symptoms = explain::symptoms(&text);
    let explained = explain::explain(
        &symptoms,
        loaded.as_ref().map(|l| &l.domain),
        catalog,
        host.as_ref(),
    );
    if let Some(n) = args.fix {
        let loaded = loaded.expect("clap requires FILE with --fix");
        return apply(args, &loaded, &explained, n);
    }
    if args.json {
        super::print::json(&serde_json::json!({ "explanations": explained }))?;
    } else {
        print(&explained, loaded.is_some())?;
    }
    Ok(match explained.is_empty() {
        true => common::EXIT_FINDINGS,
        false => common::EXIT_OK,
    })
}

/// Each explanation with its fixes numbered across the whole output, as `--fix N` takes them.
fn print(explained: &[Explanation], with_file: bool) -> Result<(), super::print::WriteError> {
    if explained.is_empty() {
        outln!(
            "no CPU error recognised in the text (virt-cpu reads libvirt's and QEMU's CPU errors: missing or unsupported features, unknown models, features and options, topology)"
        )?;
        return Ok(());
    }
    let mut n = 0;
    for e in explained {
        outln!("{}", e.what)?;
        for f in &e.fixes {
            n += 1;
            let how = match (with_file, f.edits.is_empty()) {
                (true, false) => format!("  (--fix {n})"),
                _ => String::new(),
            };
            outln!("  [{n}] {}{how}", f.text)?;
        }
    }
    if !with_file {
        outln!("(give the domain's FILE to have the fixes as edits of it)")?;
    }
    Ok(())
}

/// Applies fix `n` and delivers the document as `-o`/`--in-place`/`--diff` ask.
fn apply(
    args: &ExplainArgs,
    loaded: &crate::store::Loaded,
    explained: &[Explanation],
    n: usize,
) -> anyhow::Result<i32> {
    let Some(fix) = explained
        .iter()
        .flat_map(|e| &e.fixes)
        .nth(n.wrapping_sub(1))
    else {
        errln!("virt-cpu: there is no fix {n} (run without --fix to see them numbered)");
        return Ok(EXIT_USAGE);
    };
    if fix.edits.is_empty() {
        errln!("virt-cpu: fix {n} is advice, not an edit: {}", fix.text);
        return Ok(EXIT_USAGE);
    }
    let mut state = Edited::from_read(loaded.doc.clone(), loaded.domain.clone());
    for edit in &fix.edits {
        if let Err(e) = state.apply(edit) {
            errln!("virt-cpu: {e}; nothing was written");
            return Ok(common::EXIT_FINDINGS);
        }
    }
    let out = OutputArgs {
        output: args.output.clone(),
        in_place: args.in_place,
        diff: args.diff || (args.output.is_none() && !args.in_place),
    };
    destination::deliver(loaded, state.doc.source(), &out)
}

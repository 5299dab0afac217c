//! `virt-cpu argv FILE`: the `-cpu` QEMU gets, in the form a script wants.

use super::common::{self, EXIT_FINDINGS, EXIT_NEEDS_HOST, EXIT_OK, EXIT_USAGE};
use super::print::{errln, outln};
use crate::argv::shell;
use crate::catalog::versions::Followed;
use crate::check;
use crate::store::Loaded;
use crate::visible::one_line;
use serde_json::json;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The value alone, on one line.
    #[default]
    Value,
    /// `-cpu VALUE`.
    Arg,
    /// `-cpu VALUE` quoted as libvirt's .args files and `virsh domxml-to-native` do.
    Shell,
    /// {value, argv, reading, source, taints, diagnostics, follows}.
    Json,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ArgvArgs {
    #[command(flatten)]
    pub analyse: common::AnalyseArgs,
    #[arg(long, value_enum, default_value_t = Format::Value)]
    pub format: Format,
}

/// `virt-cpu argv`: the value in the format asked for, or why there is none; the exit code
/// tells scripts whether the guest would start with it.
pub fn run(args: &ArgvArgs) -> anyhow::Result<i32> {
    let (loaded, report, follows) = match args.analyse.run() {
        Ok(r) => r,
        // Scripts reading JSON get a document even when there is nothing to compute.
        Err(e) if args.format == Format::Json => return json_error(args, &e),
        Err(e) => return Err(e),
    };
    if let Some(note) = &follows.note {
        errln!("virt-cpu: note: {note}");
    }
    let no_value = if common::needs_host(&report) {
        EXIT_NEEDS_HOST
    } else {
        EXIT_FINDINGS
    };
    if args.format == Format::Json {
        return json(args, &report, &follows, no_value);
    }
    let Some(value) = report.arg.value.clone() else {
        return no_value_text(&loaded, &report, no_value);
    };
    match args.format {
        // Text output is one line with nothing a terminal acts on (a control character or a bidi
        // override is escaped: no QEMU model or option has one); `--format json` is exact.
        Format::Value => outln!("{}", one_line(&value))?,
        Format::Arg => outln!("-cpu {}", one_line(&value))?,
        Format::Shell => outln!("-cpu {}", one_line(&shell::quote(&value)))?,
        Format::Json => unreachable!("handled above"),
    }
    // A value QEMU would refuse (an unknown model, a model given twice…) is still what it
    // gets; the errors say why the guest would not start, and the exit code tells scripts.
    if has_errors(&report) {
        errln!(
            "{}: the domain has errors; the guest would not start with this -cpu:",
            loaded.display_name()
        );
        for d in errors(&report) {
            errln!("  {}[{}]: {}", d.severity, d.code, one_line(&d.message));
        }
        return Ok(EXIT_FINDINGS);
    }
    Ok(EXIT_OK)
}

/// `--format json` when nothing could be computed (the file does not load, the catalog is
/// missing…): the error said, and on stdout the keys of a result, empty, so a script reads one
/// shape.
fn json_error(args: &ArgvArgs, e: &anyhow::Error) -> anyhow::Result<i32> {
    let message = super::print::error_text(e);
    errln!("virt-cpu: {message}");
    let doc = json!({
        "error": message,
        "value": null,
        "argv": null,
        "reading": args.analyse.reading,
        "source": null,
        "taints": [],
        "diagnostics": [],
        "follows": null,
    });
    super::print::json(&doc)?;
    Ok(EXIT_USAGE)
}

/// `--format json`: the value, its argv, where it comes from, the taints and every
/// diagnostic, and which libvirt/QEMU pair the answer follows.
fn json(
    args: &ArgvArgs,
    report: &check::Report,
    follows: &Followed,
    no_value: i32,
) -> anyhow::Result<i32> {
    let value = &report.arg.value;
    let doc = json!({
        "value": value,
        "argv": value.as_ref().map(|v| vec!["-cpu".to_string(), v.clone()]),
        "reading": args.analyse.reading,
        "source": report.arg.source,
        "taints": report.taints,
        "diagnostics": report.diagnostics,
        "follows": follows,
    });
    super::print::json(&doc)?;
    Ok(match value {
        None => no_value,
        Some(_) if has_errors(report) => EXIT_FINDINGS,
        Some(_) => EXIT_OK,
    })
}

/// Why there is no value, on stderr: the host that was not given, or the errors (every
/// diagnostic when none is an error).
fn no_value_text(loaded: &Loaded, report: &check::Report, no_value: i32) -> anyhow::Result<i32> {
    if no_value == EXIT_NEEDS_HOST {
        errln!(
            "{}: no -cpu value: it depends on the host, which was not given:",
            loaded.display_name()
        );
    } else {
        errln!("{}: no -cpu value, because:", loaded.display_name());
    }
    let errors: Vec<&check::Diagnostic> = errors(report).collect();
    let shown = if errors.is_empty() {
        report.diagnostics.iter().collect()
    } else {
        errors
    };
    for d in shown {
        errln!("  {}[{}]: {}", d.severity, d.code, one_line(&d.message));
    }
    Ok(no_value)
}

fn errors(report: &check::Report) -> impl Iterator<Item = &check::Diagnostic> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.severity == check::Severity::Error)
}

fn has_errors(report: &check::Report) -> bool {
    errors(report).next().is_some()
}

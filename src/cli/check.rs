//! `virt-cpu check FILE`: every diagnostic, the resulting `-cpu` and the taints.

use super::common::{self, EXIT_FINDINGS, EXIT_NEEDS_HOST, EXIT_OK, EXIT_USAGE};
use super::print::{errln, outln};
use crate::catalog::versions::Followed;
use crate::check::{self, Report};
use crate::visible::one_line;
use serde_json::json;

#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub analyse: common::AnalyseArgs,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &CheckArgs) -> anyhow::Result<i32> {
    let (loaded, report, follows) = match args.analyse.run() {
        Ok(r) => r,
        // Scripts reading --json get a document even when there is nothing to check.
        Err(e) if args.json => {
            let message = super::print::error_text(&e);
            errln!("virt-cpu: {message}");
            // The keys of a report, empty, so a script reads one shape.
            let doc = json!({
                "file": args.analyse.input.file.display().to_string(),
                "error": message,
                "value": null,
                "reading": args.analyse.reading,
                "source": null,
                "errors": 0,
                "warnings": 0,
                "diagnostics": [],
                "taints": [],
                "nested": null,
                "follows": null,
            });
            super::print::json(&doc)?;
            return Ok(EXIT_USAGE);
        }
        Err(e) => return Err(e),
    };
    if args.json {
        let doc = json!({
            "file": loaded.display_name(),
            "value": report.arg.value,
            "reading": args.analyse.reading,
            "source": report.arg.source,
            "errors": report.diagnostics.iter().filter(|d| d.severity == check::Severity::Error).count(),
            "warnings": report.diagnostics.iter().filter(|d| d.severity == check::Severity::Warning).count(),
            "diagnostics": report.diagnostics,
            "taints": report.taints,
            "nested": nested_json(&report.nested),
            "follows": follows,
        });
        super::print::json(&doc)?;
    } else {
        print_text(&loaded.display_name(), &report, &follows)?;
    }
    Ok(if report.has_errors() {
        EXIT_FINDINGS
    } else if common::needs_host(&report) {
        EXIT_NEEDS_HOST
    } else {
        EXIT_OK
    })
}

fn print_text(
    name: &str,
    report: &Report,
    follows: &Followed,
) -> Result<(), super::print::WriteError> {
    for d in &report.diagnostics {
        let at = d
            .position
            .map(|p| format!("{name}:{p}"))
            .unwrap_or_else(|| name.to_string());
        // One line each: a line break in a quoted value is escaped too.
        let message = one_line(&d.message);
        outln!("{}: {}[{}]: {message}", one_line(&at), d.severity, d.code)?;
        if let Some(s) = &d.suggestion {
            outln!("  suggestion: {}", one_line(s))?;
        }
        for r in &d.related {
            outln!(
                "  {}:{}: {}",
                one_line(name),
                r.position,
                one_line(&r.message)
            )?;
        }
    }
    match &report.arg.value {
        Some(v) => outln!("-cpu {}", one_line(v))?,
        None if common::needs_host(report) => {
            outln!("-cpu: depends on the host, which was not given (--host-caps FILE or -c URI)")?
        }
        None => outln!("-cpu: none (libvirt refuses the domain)")?,
    }
    // Said when the domain sets vmx/svm itself (else it is what the model or host gives).
    if !report.nested.settings.is_empty() {
        outln!("nested: {}", one_line(&report.nested.summary()))?;
    }
    if report.taints.is_empty() {
        outln!("taints: none")?;
    }
    for t in &report.taints {
        let detail = t
            .detail
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        let when = t.when.map(|w| format!(" — {w}")).unwrap_or_default();
        outln!("taint: {}{detail}: {}{when}", t.name, t.message)?;
    }
    let errors = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == check::Severity::Error)
        .count();
    let warnings = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == check::Severity::Warning)
        .count();
    outln!("{errors} error(s), {warnings} warning(s)")?;
    outln!("follows: {follows}")?;
    if let Some(note) = &follows.note {
        outln!("  note: {note}")?;
    }
    Ok(())
}

/// `nested` of `check --json`: the extension the vendor needs (or why it cannot be told),
/// whether the guest gets it and why, and the host's verdict.
fn nested_json(n: &crate::edit::nested::Nested) -> serde_json::Value {
    use crate::edit::nested::{HostVerdict, Part};
    let (verdict, why) = match &n.host {
        HostVerdict::Allows(w) => ("allows", Some(w.as_str())),
        HostVerdict::Lacks(w) => ("lacks", Some(w.as_str())),
        HostVerdict::Unknown => ("unknown", None),
    };
    json!({
        "element": match n.part {
            Part::Cpu => "cpu",
            Part::Qemu => "qemu",
        },
        "extension": n.ext.as_ref().ok().map(|d| d.ext.name()),
        "vendor_from": n.ext.as_ref().ok().map(|d| d.from.as_str()),
        "undecided": n.ext.as_ref().err(),
        "on": n.on,
        "why": n.why,
        "host": { "verdict": verdict, "why": why },
    })
}

//! `virt-cpu argv FILE`: the `-cpu` QEMU gets, in the form a script wants.

use super::common::{self, EXIT_FINDINGS, EXIT_OK};
use super::out::outln;
use crate::argv::shell;
use crate::check;
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
    /// {value, argv, reading, source, taints, diagnostics}.
    Json,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ArgvArgs {
    #[command(flatten)]
    pub analyse: common::AnalyseArgs,
    #[arg(long, value_enum, default_value_t = Format::Value)]
    pub format: Format,
}

pub fn run(args: &ArgvArgs) -> anyhow::Result<i32> {
    let (loaded, report) = args.analyse.run()?;
    let value = report.arg.value.clone();
    if args.format == Format::Json {
        let doc = json!({
            "value": value,
            "argv": value.as_ref().map(|v| vec!["-cpu".to_string(), v.clone()]),
            "reading": args.analyse.reading,
            "source": report.arg.source,
            "taints": report.taints,
            "diagnostics": report.diagnostics,
        });
        outln!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(if value.is_some() {
            EXIT_OK
        } else {
            EXIT_FINDINGS
        });
    }
    let Some(value) = value else {
        eprintln!("{}: no -cpu value:", loaded.display_name());
        let errors: Vec<&check::Diagnostic> = report
            .diagnostics
            .iter()
            .filter(|d| d.severity == check::Severity::Error)
            .collect();
        let shown = if errors.is_empty() {
            report.diagnostics.iter().collect()
        } else {
            errors
        };
        for d in shown {
            eprintln!("  {}[{}]: {}", d.severity, d.code, d.message);
        }
        return Ok(EXIT_FINDINGS);
    };
    match args.format {
        Format::Value => outln!("{value}"),
        Format::Arg => outln!("-cpu {value}"),
        Format::Shell => outln!("-cpu {}", shell::quote(&value)),
        Format::Json => unreachable!("handled above"),
    }
    Ok(EXIT_OK)
}

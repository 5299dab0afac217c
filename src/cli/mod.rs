//! The command-line front: one module per subcommand, text and JSON output.

pub mod argv;
pub mod catalog;
pub mod check;
pub mod common;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Choose, check and explain a libvirt guest's x86 CPU: <cpu>, the proposed <qemu:cpu>, and the
/// exact -cpu QEMU gets.
#[derive(Debug, Parser)]
#[command(name = "virt-cpu", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Domain XML to open (without a subcommand).
    pub file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the -cpu value QEMU gets for a domain.
    Argv(argv::ArgvArgs),
    /// Report problems, the resulting -cpu and the taints; exit 1 when there are errors.
    Check(check::CheckArgs),
    /// Show the catalog in use; `catalog refresh` rebuilds it from the installed QEMU and libvirt.
    Catalog(catalog::CatalogArgs),
}

/// Runs the parsed command line and returns the exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    match &cli.command {
        Some(Command::Argv(a)) => argv::run(a),
        Some(Command::Check(a)) => check::run(a),
        Some(Command::Catalog(a)) => catalog::run(a),
        None => {
            eprintln!(
                "virt-cpu: the interactive view is not part of this version yet; use `virt-cpu check FILE` or `virt-cpu argv FILE` \
                 (see `virt-cpu --help`)"
            );
            Ok(common::EXIT_USAGE)
        }
    }
}

//! The command-line front: one module per subcommand, text and JSON output.

// Doc comments here are clap's `--help` text, where `<cpu>` is meant literally, not as HTML.
#![allow(rustdoc::invalid_html_tags)]

pub mod argv;
pub mod catalog;
pub mod check;
pub mod common;
pub mod convert;
pub mod destination;
pub mod explain;
pub mod generate;
pub mod models;
pub mod models_for;
pub mod print;
pub mod scan;
pub mod set;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Choose, check and explain a libvirt guest's x86 CPU: <cpu>, the proposed <qemu:cpu>, and the
/// exact -cpu QEMU gets.
#[derive(Debug, Parser)]
#[command(
    name = "virt-cpu",
    version = env!("CARGO_PKG_VERSION"),
    disable_version_flag = true,
    long_about = None,
    after_long_help = AFTER_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Domain XML to open in the interactive view (`-`: standard input; none: the demo domain).
    pub file: Option<PathBuf>,
    /// Edit a libvirt domain in the interactive view (`virsh dumpxml --inactive`; `w` defines it);
    /// `-c URI` picks the connection.
    #[arg(long, value_name = "NAME", conflicts_with = "file")]
    pub domain: Option<String>,
    /// The host, for the interactive view (`--host-caps FILE` or `-c URI`, repeated for the
    /// domain list of several hosts).
    #[command(flatten)]
    pub host: common::ViewHostArgs,
    /// Which libvirt and QEMU to follow (every command).
    #[command(flatten)]
    pub versions: common::VersionArgs,
    /// How long each virsh call may wait for libvirt before it is ended with an error (every
    /// command; QEMU runs get ten times as long).
    #[arg(
        long,
        value_name = "SECONDS",
        env = "VIRT_CPU_TIMEOUT",
        global = true,
        default_value = "30",
        value_parser = parse_timeout
    )]
    pub timeout: std::time::Duration,
    /// Print the man page or a shell's completion script, and exit.
    #[arg(long, value_enum, value_name = "KIND", exclusive = true)]
    pub generate: Option<generate::Generate>,
    /// Print the version, the catalogs it carries and the libvirt + QEMU it follows here (with
    /// -c: that daemon's), and exit.
    #[arg(short = 'V', long, action = clap::ArgAction::SetTrue)]
    pub version: bool,
}

/// `--timeout`: seconds, a fraction allowed (`0.5`), more than zero.
fn parse_timeout(s: &str) -> Result<std::time::Duration, String> {
    match s.trim().parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs.is_finite() && secs <= 86_400.0 => {
            Ok(std::time::Duration::from_secs_f64(secs))
        }
        _ => Err(format!(
            "{s:?} is not a number of seconds between 0 and 86400 (e.g. 30 or 2.5)"
        )),
    }
}

/// `--version`: the program's, the catalogs it carries, and the pair it follows here.
fn print_version(host: &common::HostArgs) -> Result<(), print::WriteError> {
    use print::outln;
    outln!("virt-cpu {}", env!("CARGO_PKG_VERSION"))?;
    outln!("catalogs: {}", crate::catalog::versions::known_pairs())?;
    match host.select() {
        Ok(s) => {
            outln!("follows:  {}", s.follows)?;
            if let Some(note) = &s.follows.note {
                outln!("  note: {note}")?;
            }
        }
        Err(e) => outln!("follows:  none: {}", print::error_text(&e))?,
    }
    Ok(())
}

/// What `--help` (long form) says after the options; the man page says the same.
const AFTER_HELP: &str = "\
Exit status: 0 ok; 1 the domain has errors (for models: nothing matches); 2 usage or I/O error (bad \
file, read-only target, changed on disk, unknown model for model/diff, a libvirt or QEMU release \
without a catalog, libvirt unreachable); 3 no error, but the result depends on the host and none \
was given (--host-caps or -c).

Environment: VIRT_CPU_LIBVIRT and VIRT_CPU_QEMU stand for --libvirt and --qemu (empty: unset), \
VIRT_CPU_TIMEOUT for --timeout; NO_COLOR turns colours off; XDG_CACHE_HOME moves the catalog cache (~/.cache/virt-cpu).

See `man virt-cpu` for every command.";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the -cpu value QEMU gets for a domain.
    ///
    /// Exit 1 when there is none (the domain has errors), 3 when it depends on the host and none
    /// was given (--host-caps or -c).
    Argv(argv::ArgvArgs),
    /// Report problems, the resulting -cpu and the taints.
    ///
    /// Exit 1 when there are errors, 3 when there are none but the result depends on the host and
    /// none was given (--host-caps or -c).
    Check(check::CheckArgs),
    /// Edit <cpu> and <qemu:cpu> (model, mode, features, options, move between them).
    Set(set::SetArgs),
    /// Convert <qemu:cpu> to <qemu:commandline> (works on libvirt 9.0) and back, or to <cpu>.
    Convert(convert::ConvertArgs),
    /// Show the catalog in use; `catalog refresh` rebuilds it from the installed QEMU and libvirt.
    Catalog(catalog::CatalogArgs),
    /// List QEMU's CPU models; filter by vendor, feature, text; usability on hosts.
    ///
    /// Alphabetical by family, versions in order, each alias after its version; the pseudo-models
    /// max, host and base apart. With hosts, the models usable on every host first. Exit 1 when
    /// nothing matches.
    Models(models::ModelsArgs),
    /// Show one model: features, versions, aliases, TCG differences, libvirt's view.
    Model(models::ModelArgs),
    /// Compare two models' features and properties.
    Diff(models::DiffArgs),
    /// Why a guest will not start: read libvirt's or QEMU's CPU error (--message, or standard
    /// input: a log line or a whole log) and say what is wrong and how to fix it.
    ///
    /// With FILE the fixes are edits of that domain, numbered; --fix N applies one (-o, --in-place
    /// or --diff; --diff by default). With --host-caps or -c, the model the host runs is named.
    /// Exit 1 when no CPU error is recognised.
    Explain(explain::ExplainArgs),
    /// Every domain of every host (-c URI, repeated): its -cpu as that host builds it, source,
    /// taints, problems, and the hosts it can start on.
    ///
    /// Hosts are asked in parallel, each virsh call bounded by --timeout; a host that fails is
    /// reported and the others still come. With --to-libvirt/--to-qemu: the domains whose -cpu
    /// changes, or that would no longer start, after that upgrade. Exit 0 all well, 1 some domain
    /// has errors (or would no longer start after the upgrade), 2 some host gave no answer.
    Scan(scan::ScanArgs),
}

/// Runs the parsed command line and returns the exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    common::VersionArgs::set_current(cli.versions.clone());
    crate::host::process::set_timeout(cli.timeout);
    if cli.version {
        print_version(&cli.host.one()?)?;
        return Ok(common::EXIT_OK);
    }
    if let Some(kind) = cli.generate {
        let mut out = std::io::stdout().lock();
        generate::generate(kind, &mut out)?;
        return Ok(common::EXIT_OK);
    }
    match &cli.command {
        Some(Command::Argv(a)) => argv::run(a),
        Some(Command::Check(a)) => check::run(a),
        Some(Command::Set(a)) => set::run(a),
        Some(Command::Convert(a)) => convert::run(a),
        Some(Command::Catalog(a)) => catalog::run(a),
        Some(Command::Models(a)) => models::run_models(a),
        Some(Command::Model(a)) => models::run_model(a),
        Some(Command::Diff(a)) => models::run_diff(a),
        Some(Command::Explain(a)) => explain::run(a),
        Some(Command::Scan(a)) => scan::run(a),
        None => run_view(&cli),
    }
}

/// No command: the interactive view of FILE, `--domain NAME`, the demo, or with `-c URI` alone
/// (repeatable) the domain list.
fn run_view(cli: &Cli) -> anyhow::Result<i32> {
    let lists = cli.file.is_none() && cli.domain.is_none() && !cli.host.connect.is_empty();
    let one = match lists {
        true => common::HostArgs::default(),
        false => cli.host.one()?,
    };
    // Saved caps now; live ones (`-c URI`) once the domain is loaded, for its virt type.
    let host = match &one.files.host_caps {
        Some(_) => one.load(None)?,
        None => None,
    };
    // Asking a daemon (`-c`) for its versions waits behind the TUI's loading screen; the list
    // asks the host of each domain it opens.
    let select = crate::tui::Select(std::sync::Arc::new(|uri: &str| {
        let selected = common::VersionArgs::current().select(Some(uri))?;
        Ok((selected.catalog, selected.follows.note))
    }));
    let (catalog, note, select) = match (&one.connect, lists) {
        (None, false) => {
            let selected = one.select()?;
            (Some(selected.catalog), selected.follows.note, None)
        }
        _ => (None, None, Some(select)),
    };
    crate::tui::run(crate::tui::Options {
        file: cli.file.clone(),
        host,
        domain: cli.domain.clone(),
        uri: one.connect.clone(),
        hosts: if lists {
            cli.host.connect.clone()
        } else {
            Vec::new()
        },
        catalog,
        note,
        select,
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own consistency checks over every command, global options included (a global
    /// `--qemu X.Y` once collided with `catalog refresh --qemu BINARY` and panicked at run time).
    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }

    /// Every command parses with the global options before and after it.
    #[test]
    fn global_options_parse_on_every_command() {
        use clap::Parser;
        for args in [
            &[
                "virt-cpu",
                "--libvirt",
                "11.3",
                "catalog",
                "refresh",
                "--output",
                "x",
            ][..],
            &[
                "virt-cpu",
                "catalog",
                "refresh",
                "--qemu",
                "10.0",
                "--qemu-binary",
                "q",
            ],
            &["virt-cpu", "models", "--qemu", "7.2"],
            &["virt-cpu", "diff", "A", "B", "--libvirt", "9.0"],
            &["virt-cpu", "--libvirt", "9.0", "f.xml"],
        ] {
            let cli = super::Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            assert!(
                cli.versions.libvirt.is_some() || cli.versions.qemu.is_some(),
                "{args:?}"
            );
        }
    }
}

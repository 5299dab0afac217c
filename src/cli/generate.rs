//! `virt-cpu --generate man|bash|zsh|fish`: the man page and the shell completions, from the
//! same clap definitions `--help` is printed from, so the three never disagree. The packaged
//! copies in assets/ are these outputs (a test compares them).

use super::Cli;
use crate::catalog::Catalog;
use crate::catalog::versions::{self, EMBEDDED};
use clap::CommandFactory;
use clap::builder::PossibleValuesParser;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Generate {
    /// The man page virt-cpu(1), in roff.
    Man,
    /// bash completion (for /usr/share/bash-completion/completions/virt-cpu).
    Bash,
    /// zsh completion (for /usr/share/zsh/vendor-completions/_virt-cpu).
    Zsh,
    /// fish completion (for /usr/share/fish/vendor_completions.d/virt-cpu.fish).
    Fish,
}

/// Writes what `kind` asks for to `out`.
pub fn generate(kind: Generate, out: &mut dyn Write) -> std::io::Result<()> {
    match kind {
        Generate::Man => man(out),
        Generate::Bash => complete(clap_complete::Shell::Bash, out),
        Generate::Zsh => complete(clap_complete::Shell::Zsh, out),
        Generate::Fish => complete(clap_complete::Shell::Fish, out),
    }
}

/// The names of every embedded catalog that `names` takes from one, sorted, once each.
fn union(names: impl Fn(&'static Catalog) -> Vec<String>) -> Vec<String> {
    let mut all: Vec<String> = EMBEDDED
        .iter()
        .map(Catalog::embedded_pair)
        .flat_map(names)
        .collect();
    all.sort();
    all.dedup();
    all
}

/// QEMU's model names (what `model`, `diff` and `--qemu-model` take).
fn qemu_models() -> Vec<String> {
    union(|c| c.qemu.models.iter().map(|m| m.name.clone()).collect())
}

/// libvirt's model names (what `<cpu><model>` and `set --model` take).
fn libvirt_models() -> Vec<String> {
    union(|c| c.libvirt.models.iter().map(|m| m.name.clone()).collect())
}

/// Every feature name (QEMU's spelling) of every embedded catalog.
fn feature_names() -> Vec<String> {
    union(|c| c.qemu.features.iter().map(|f| f.name.clone()).collect())
}

/// The release lines of the embedded pairs (what `--libvirt` / `--qemu` take).
fn releases(of: impl Fn(&versions::EmbeddedPair) -> versions::Version) -> Vec<String> {
    EMBEDDED.iter().map(|p| of(p).line()).collect()
}

/// The command line as the shells should complete it: model and feature names offered where a
/// model or a feature is asked for. Only the completions get these lists; the parser itself
/// takes any name, so an unknown one gets virt-cpu's did-you-mean instead of clap's refusal.
fn completion_command() -> clap::Command {
    let qemu = PossibleValuesParser::new(qemu_models());
    let libvirt = PossibleValuesParser::new(libvirt_models());
    let features = PossibleValuesParser::new(feature_names());
    let m = |c: clap::Command, args: &[&str], values: &PossibleValuesParser| {
        args.iter().fold(c, |c, a| {
            c.mut_arg(*a, |arg| arg.value_parser(values.clone()))
        })
    };
    let with_releases = |c: clap::Command| {
        c.mut_arg("libvirt", |a| {
            a.value_parser(PossibleValuesParser::new(releases(|p| p.libvirt)))
        })
        .mut_arg("qemu", |a| {
            a.value_parser(PossibleValuesParser::new(releases(|p| p.qemu)))
        })
    };
    // bash lists every positional's values together: `diff`'s second name takes the first's
    // list instead of repeating it.
    with_releases(Cli::command())
        .mut_subcommand("model", |c| m(c, &["name"], &qemu))
        .mut_subcommand("diff", |c| m(c, &["a"], &qemu))
        .mut_subcommand("set", |c| {
            m(m(c, &["qemu_model"], &qemu), &["model"], &libvirt)
                .mut_arg("drop_feature", |a| a.value_parser(features.clone()))
        })
        .mut_subcommand("models", |c| m(c, &["has"], &features))
}

fn complete(shell: clap_complete::Shell, out: &mut dyn Write) -> std::io::Result<()> {
    let mut cmd = completion_command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "virt-cpu", &mut buf);
    if shell == clap_complete::Shell::Bash {
        // clap_complete's bash script spells the state of a hyphenated program two ways: its
        // dispatch loop `virt__cpu__subcmd__model`, its case arms `virt__subcmd__cpu__subcmd__model`,
        // so nothing after a subcommand ever completes (clap-rs/clap#6421). The arms take the
        // loop's spelling.
        let text = String::from_utf8_lossy(&buf).replace("virt__subcmd__cpu", "virt__cpu");
        return out.write_all(text.as_bytes());
    }
    out.write_all(&buf)
}

/// The man page: clap_mangen's sections for the program, then each command with its synopsis,
/// description and options, then exit status, environment and files.
fn man(out: &mut dyn Write) -> std::io::Result<()> {
    let mut cmd = Cli::command();
    cmd.build();
    let page = clap_mangen::Man::new(cmd.clone()).date("");
    page.render_title(out)?;
    page.render_name_section(out)?;
    page.render_synopsis_section(out)?;
    page.render_description_section(out)?;
    page.render_options_section(out)?;
    writeln!(out, ".SH COMMANDS")?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        command_section(sub, "virt-cpu", out)?;
        for subsub in sub.get_subcommands().filter(|s| !s.is_hide_set()) {
            command_section(subsub, &format!("virt-cpu {}", sub.get_name()), out)?;
        }
    }
    out.write_all(EXTRA_SECTIONS.as_bytes())?;
    page.render_version_section(out)?;
    Ok(())
}

/// One command: `virt-cpu NAME` with its synopsis, its long description and its options.
fn command_section(sub: &clap::Command, parent: &str, out: &mut dyn Write) -> std::io::Result<()> {
    let name = format!("{parent} {}", sub.get_name());
    writeln!(out, ".SS \"{}\"", roff_escape(&name))?;
    // The global options are described once, under OPTIONS; each command leaves them out.
    let sub = sub
        .clone()
        .name(name)
        .bin_name(format!("{parent} {}", sub.get_name()))
        .mut_args(|a| if a.is_global_set() { a.hide(true) } else { a });
    let page = clap_mangen::Man::new(sub.clone());
    // clap_mangen's sections start with `.SH`; inside COMMANDS they become paragraphs.
    let mut buf = Vec::new();
    page.render_synopsis_section(&mut buf)?;
    page.render_description_section(&mut buf)?;
    if sub.get_arguments().any(|a| !a.is_hide_set()) {
        page.render_options_section(&mut buf)?;
    }
    let text = String::from_utf8_lossy(&buf).replace(".SH ", ".TP\n.B ");
    out.write_all(text.as_bytes())
}

fn roff_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('-', "\\-")
}

/// What `--help` shows after the options too (see [`super::AFTER_HELP`]), in roff.
const EXTRA_SECTIONS: &str = r#".SH "EXIT STATUS"
.TP
.B 0
Success.
.TP
.B 1
The domain has errors (the diagnostics are printed); for \fBmodels\fR, no model matches the filters.
.TP
.B 2
Usage or I/O error: a bad or unreadable file, a read\-only target, a file changed on disk since it
was read, a device or FIFO as the target, an unknown model for \fBmodel\fR and \fBdiff\fR, a libvirt
or QEMU release virt\-cpu has no catalog for, libvirt unreachable with \fB\-c\fR.
.TP
.B 3
No error, but the result depends on the host and none was given (host\-model, match='minimum',
optional features): pass \fB\-\-host\-caps\fR or \fB\-c\fR.
.SH ENVIRONMENT
.TP
.B VIRT_CPU_LIBVIRT, VIRT_CPU_QEMU
Stand for \fB\-\-libvirt\fR and \fB\-\-qemu\fR; empty means unset.
.TP
.B NO_COLOR
Turns the interactive view's colours off.
.TP
.B XDG_CACHE_HOME
Where \fBcatalog refresh\fR keeps its catalog (default \fI~/.cache/virt\-cpu/catalog\fR).
.SH FILES
.TP
.I ~/.cache/virt\-cpu/catalog/
The catalog written by \fBvirt\-cpu catalog refresh\fR, used when it is of the libvirt and QEMU
releases followed.
.TP
.I ~/.cache/virt\-cpu/qemu\-version
The installed QEMU's version, kept until its binary changes.
.SH "SEE ALSO"
.BR virsh (1),
.BR qemu\-system\-x86_64 (1),
.BR virt\-xml (1)
"#;

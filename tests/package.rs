//! What the Debian package installs besides the binary: the man page and the shell completions.
//! They are generated from the clap definitions (`virt-cpu --generate KIND`) and committed, so
//! `cargo deb` works on a clean clone; these tests fail when they are stale, and check that they
//! work (bash completes commands and model names; man renders every command and exit code).
//! Building and installing the package itself is a step of .ci/run (`.ci/package-check`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn generated(kind: &str) -> String {
    let out = common::virt_cpu(&["--generate", kind]);
    assert!(out.status.success(), "--generate {kind}");
    String::from_utf8(out.stdout).unwrap()
}

fn asset(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join(rel)
}

#[test]
fn the_committed_man_page_and_completions_are_current() {
    for (kind, file) in [
        ("man", "man/virt-cpu.1"),
        ("bash", "completions/virt-cpu.bash"),
        ("zsh", "completions/_virt-cpu"),
        ("fish", "completions/virt-cpu.fish"),
    ] {
        let committed = std::fs::read_to_string(asset(file)).unwrap();
        assert!(
            committed == generated(kind),
            "assets/{file} is stale: run `cargo run -- --generate {kind} > assets/{file}`"
        );
    }
}

/// What bash offers for `WORDS…` with the cursor at the end of the last word, through the
/// committed completion script.
fn bash_complete(words: &[&str]) -> Vec<String> {
    let script = asset("completions/virt-cpu.bash");
    let quoted: Vec<String> = words
        .iter()
        .map(|w| shlex::try_quote(w).unwrap().into_owned())
        .collect();
    let cword = words.len() - 1;
    let prev = if cword > 0 { words[cword - 1] } else { "" };
    let program = format!(
        "source {}; COMP_WORDS=({}); COMP_CWORD={cword}; _virt__cpu virt-cpu {} {}; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        shlex::try_quote(script.to_str().unwrap()).unwrap(),
        quoted.join(" "),
        shlex::try_quote(words[cword]).unwrap(),
        shlex::try_quote(prev).unwrap(),
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_commands_model_names_and_features() {
    if !common::require_program("bash") {
        return;
    }
    assert_eq!(bash_complete(&["virt-cpu", "ch"]), ["check"]);
    let models = bash_complete(&["virt-cpu", "model", "SapphireR"]);
    assert!(
        models.contains(&"SapphireRapids-v1".to_string()),
        "{models:?}"
    );
    let after_file = bash_complete(&["virt-cpu", "set", "d.xml", "--model", "Skylake-Client-v"]);
    assert!(
        after_file.contains(&"Skylake-Client-v4".to_string()),
        "{after_file:?}"
    );
    let diff = bash_complete(&["virt-cpu", "diff", "EPYC-Genoa", "EPYC-Mi"]);
    assert!(diff.contains(&"EPYC-Milan".to_string()), "{diff:?}");
    let features = bash_complete(&["virt-cpu", "models", "--has", "avx512v"]);
    assert!(features.contains(&"avx512vl".to_string()), "{features:?}");
    let options = bash_complete(&["virt-cpu", "argv", "--for"]);
    assert_eq!(options, ["--format"]);
    assert_eq!(
        bash_complete(&["virt-cpu", "argv", "--libvirt", ""]),
        ["9.0", "11.3"]
    );
    // `diff`'s names are offered once each; `model` offers QEMU's names only (no QEMU shipped
    // has Icelake-Client), `set --model` libvirt's.
    let second = bash_complete(&["virt-cpu", "diff", "EPYC", "EPYC-Genoa"]);
    assert_eq!(second, ["EPYC-Genoa", "EPYC-Genoa-v1"].map(String::from));
    assert!(bash_complete(&["virt-cpu", "model", "Icelake-Cl"]).is_empty());
    let cpu_models = bash_complete(&["virt-cpu", "set", "d.xml", "--model", "Icelake-Cl"]);
    assert!(
        cpu_models.contains(&"Icelake-Client".to_string()),
        "{cpu_models:?}"
    );
    let dropped = bash_complete(&["virt-cpu", "set", "d.xml", "--drop-feature", "avx512v"]);
    assert!(dropped.contains(&"avx512vl".to_string()), "{dropped:?}");
}

#[test]
fn the_man_page_documents_every_command_and_exit_code() {
    if !common::require_program("man") {
        return;
    }
    let out = Command::new("man")
        .arg("-l")
        .arg(asset("man/virt-cpu.1"))
        .env("MANWIDTH", "100")
        .env("MAN_KEEP_FORMATTING", "0")
        .output()
        .expect("run man");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // man formats bold and underline by overstriking (`X\bX`, `_\bX`) when not on a terminal.
    let raw = String::from_utf8_lossy(&out.stdout);
    let mut text = String::new();
    for c in raw.chars() {
        if c == '\u{8}' {
            text.pop();
        } else {
            text.push(c);
        }
    }
    for command in [
        "argv",
        "check",
        "set",
        "convert",
        "catalog",
        "catalog refresh",
        "models",
        "model",
        "diff",
    ] {
        assert!(
            text.lines()
                .any(|l| l.trim() == format!("virt-cpu {command}")),
            "no section for {command}:\n{text}"
        );
    }
    for heading in ["EXIT STATUS", "ENVIRONMENT", "FILES", "OPTIONS", "SYNOPSIS"] {
        assert!(text.contains(heading), "no {heading}");
    }
    let exit = text
        .split_once("EXIT STATUS")
        .and_then(|(_, rest)| rest.split_once("ENVIRONMENT"))
        .map(|(section, _)| section)
        .expect("an EXIT STATUS section before ENVIRONMENT");
    for code in ["0", "1", "2", "3"] {
        assert!(
            exit.lines()
                .any(|l| l.split_whitespace().next() == Some(code)),
            "exit status {code} undocumented:\n{exit}"
        );
    }
    // --help says the same about exit codes.
    let help = common::virt_cpu(&["--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("Exit status: 0 ok; 1 the domain has errors"),
        "{help}"
    );
}

/// `--version` names the catalogs it carries and the pair it follows (here, or as asked).
#[test]
fn version_names_the_catalogs_and_what_it_follows() {
    let out = common::virt_cpu(&["--version"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "catalogs: libvirt 9.0 + QEMU 7.2 (Debian 12), libvirt 11.3 + QEMU 10.0 (Debian 13)"
        ),
        "{text}"
    );
    assert!(text.contains("\nfollows:  libvirt "), "{text}");
    let out = common::virt_cpu(&["--libvirt", "11.3", "--version"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("follows:  libvirt 11.3 + QEMU 10.0 (--libvirt/--qemu)"),
        "{text}"
    );
}

//! With a running libvirt 9.0 daemon, `virsh domxml-to-native qemu-argv` and `virt-cpu argv` give
//! the same `-cpu` for every demo domain in assets/examples/, and libvirt's schema (through
//! `virt-xml-validate`) accepts them, except `<qemu:cpu>`, which libvirt 9.0 does not know.

mod common;

use common::LIBVIRT_URI;
use std::path::Path;
use std::process::Command;
use virt_cpu::xml::Document;

/// The `-cpu` value of `virsh domxml-to-native qemu-argv FILE` (None: libvirt passes no `-cpu`).
fn libvirt_cpu(file: &Path) -> Result<Option<String>, String> {
    let out = Command::new("virsh")
        .args(["-c", LIBVIRT_URI, "domxml-to-native", "qemu-argv"])
        .arg(file)
        .output()
        .map_err(|e| format!("virsh: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "virsh domxml-to-native failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let line = String::from_utf8(out.stdout).map_err(|e| e.to_string())?;
    // One line: environment, then the shell-quoted arguments (REAL-SYSTEMS.md).
    let words =
        shlex::split(line.trim()).ok_or_else(|| format!("not a POSIX shell line: {line}"))?;
    let at: Vec<usize> = words
        .iter()
        .enumerate()
        .filter(|(_, w)| *w == "-cpu")
        .map(|(i, _)| i)
        .collect();
    assert!(
        at.len() <= 1,
        "libvirt printed -cpu {} times: {line}",
        at.len()
    );
    Ok(at.first().map(|&i| words[i + 1].clone()))
}

/// `virt-cpu argv [EXTRA…] FILE`: the value, or the error output.
fn our_cpu(file: &Path, extra: &[&str]) -> Result<String, String> {
    let mut args = vec!["argv"];
    args.extend_from_slice(extra);
    let file = file.to_str().unwrap();
    args.push(file);
    let out = common::virt_cpu(&args);
    if !out.status.success() {
        return Err(format!(
            "`virt-cpu {}` exited {:?}: {}",
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8(out.stdout)
        .unwrap()
        .trim_end_matches('\n')
        .to_string())
}

/// The document without its `<qemu:cpu>` element (and that element's own line), or None when
/// it has none.
fn without_qemu_cpu(text: &str) -> Option<String> {
    let doc = Document::parse(text.as_bytes()).unwrap();
    let root = doc.root();
    let el = doc.children(root).find(|&c| doc.is_qemu(c, "cpu"))?;
    let outer = doc.element(el).outer();
    let start = text[..outer.start].rfind('\n').map_or(outer.start, |nl| {
        if text[nl + 1..outer.start].trim().is_empty() {
            nl
        } else {
            outer.start
        }
    });
    Some(format!("{}{}", &text[..start], &text[outer.end..]))
}

/// `virt-xml-validate FILE domain`: Ok, or the validator's output.
fn validate(file: &Path) -> Result<(), String> {
    let out = Command::new("virt-xml-validate")
        .arg(file)
        .arg("domain")
        .output()
        .expect("run virt-xml-validate");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(())
    } else {
        Err(text)
    }
}

/// Saved `virsh domcapabilities` for TCG, for domains whose CPU comes from the host (host-model).
fn domcapabilities(dir: &Path) -> std::path::PathBuf {
    let out = Command::new("virsh")
        .args([
            "-c",
            LIBVIRT_URI,
            "domcapabilities",
            "--virttype",
            "qemu",
            "--arch",
            "x86_64",
        ])
        .output()
        .expect("run virsh domcapabilities");
    assert!(
        out.status.success(),
        "virsh domcapabilities: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.join("domcapabilities.xml");
    std::fs::write(&path, out.stdout).unwrap();
    path
}

#[test]
fn virsh_domxml_to_native_agrees_with_argv_on_examples() {
    if !common::require_libvirt_daemon() || !common::require_program("qemu-system-x86_64") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let host_caps = domcapabilities(tmp.path());
    let files = common::example_domains();
    assert!(
        files.len() >= 6,
        "expected the demo domains in assets/examples, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    println!();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(file).unwrap();
        // libvirt 9.0 ignores <qemu:cpu>: compare with our reading of the domain without it.
        let (ours_file, note) = match without_qemu_cpu(&text) {
            Some(stripped) => {
                let path = tmp.path().join(format!("without-qemu-cpu-{name}"));
                std::fs::write(&path, stripped).unwrap();
                (
                    path,
                    " (compared without <qemu:cpu>, which libvirt 9.0 ignores)",
                )
            }
            None => (file.clone(), ""),
        };
        let host_dependent = text.contains("mode='host-model'");
        let caps_arg = host_caps.to_str().unwrap();
        let extra: &[&str] = if host_dependent {
            &["--host-caps", caps_arg]
        } else {
            &[]
        };
        let libvirt = libvirt_cpu(file);
        let ours = our_cpu(&ours_file, extra);
        match (&libvirt, &ours) {
            (Ok(Some(l)), Ok(o)) if l == o => println!("  agree  {name}: {l}{note}"),
            _ => failures.push(format!(
                "{name}{note}\n    libvirt:  {}\n    virt-cpu: {}",
                match &libvirt {
                    Ok(Some(v)) => v.clone(),
                    Ok(None) => "(no -cpu)".into(),
                    Err(e) => e.clone(),
                },
                match &ours {
                    Ok(v) => v.clone(),
                    Err(e) => e.clone(),
                }
            )),
        }
        if !note.is_empty() {
            // And libvirt really gives the same with or without the element.
            let stripped = libvirt_cpu(&ours_file);
            if stripped != libvirt {
                failures.push(format!("{name}: libvirt's -cpu changes when <qemu:cpu> is removed: {libvirt:?} vs {stripped:?}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "virsh domxml-to-native and virt-cpu argv disagree:\n  {}",
        failures.join("\n  ")
    );
}

#[test]
fn libvirt_schema_rejects_only_qemu_cpu() {
    if !common::require_program("virt-xml-validate") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut with_qemu_cpu = 0;
    for file in common::example_domains() {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        match without_qemu_cpu(&text) {
            None => {
                if let Err(e) = validate(&file) {
                    panic!("{name} should validate against libvirt 9.0's schema:\n{e}");
                }
            }
            Some(stripped) => {
                with_qemu_cpu += 1;
                let err = validate(&file).expect_err(&format!(
                    "{name} has <qemu:cpu>, which libvirt 9.0's schema does not know"
                ));
                assert!(
                    err.contains("Element domain has extra content: cpu"),
                    "{name}: {err}"
                );
                // The element's line is the one reported.
                let doc = Document::parse(text.as_bytes()).unwrap();
                let el = doc
                    .children(doc.root())
                    .find(|&c| doc.is_qemu(c, "cpu"))
                    .unwrap();
                let line = doc.position(doc.element(el).outer().start).line;
                assert!(
                    err.contains(&format!(":{line}: element cpu")),
                    "{name}: expected line {line}: {err}"
                );
                // Everything else in the file is valid libvirt 9.0.
                let path = tmp.path().join(&name);
                std::fs::write(&path, stripped).unwrap();
                if let Err(e) = validate(&path) {
                    panic!("{name} without <qemu:cpu> should validate:\n{e}");
                }
            }
        }
    }
    assert!(
        with_qemu_cpu >= 1,
        "expected at least one demo domain with <qemu:cpu>"
    );
}

/// `-c URI` asks the running libvirt for the host of the domain's own virt type: the host-model
/// demo (a TCG domain) then gives what libvirt itself gives.
#[test]
fn live_host_caps_through_connect_agree_with_libvirt() {
    if !common::require_libvirt_daemon() {
        return;
    }
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples/host-model.xml");
    let libvirt = libvirt_cpu(&file)
        .expect("virsh domxml-to-native")
        .expect("a -cpu");
    let ours = our_cpu(&file, &["-c", "qemu:///system"]).expect("virt-cpu argv -c");
    assert_eq!(ours, libvirt);
}

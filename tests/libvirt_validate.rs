//! Files written by `virt-cpu set` / `convert --to commandline` pass libvirt's own schema check
//! (`virt-xml-validate FILE domain`) whenever the input did.

mod common;

use std::path::Path;
use std::process::Command;

fn validates(path: &Path) -> (bool, String) {
    let o = Command::new("virt-xml-validate")
        .arg(path)
        .arg("domain")
        .output()
        .expect("run virt-xml-validate");
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

/// A spread of x86 domains: the demo domains without <qemu:cpu> and every 40th x86 corpus file.
fn inputs() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = common::example_domains()
        .into_iter()
        .filter(|p| !std::fs::read_to_string(p).unwrap().contains("qemu:cpu"))
        .collect();
    let x86: Vec<_> = common::corpus_files()
        .into_iter()
        .filter(|p| {
            let s = std::fs::read_to_string(p).unwrap_or_default();
            s.contains("arch='x86_64'") && !s.contains("qemu:cpu")
        })
        .collect();
    files.extend(x86.into_iter().step_by(40));
    files
}

#[test]
fn set_outputs_validate_when_the_input_did() {
    if !common::require_program("virt-xml-validate") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let edits: &[&[&str]] = &[
        // A model needs mode custom: `set` refuses one libvirt would ignore.
        &[
            "--mode",
            "custom",
            "--model",
            "Skylake-Client",
            "--feature",
            "+vmx,-pcid,forbid:svm",
            "--force",
        ],
        &["--mode", "host-passthrough", "--force"],
        // A new or changed <topology> (clusters are libvirt 10's) and <vcpu>.
        &["--topology", "2x1x2x2", "--vcpus", "8", "--force"],
    ];
    let mut checked = 0;
    let mut failures = Vec::new();
    for input in inputs() {
        if !validates(&input).0 {
            continue;
        }
        for (i, edit) in edits.iter().enumerate() {
            let out = dir.path().join(format!("out{i}.xml"));
            let mut args = vec!["set", input.to_str().unwrap()];
            args.extend_from_slice(edit);
            args.extend_from_slice(&["-o", out.to_str().unwrap()]);
            let o = common::virt_cpu(&args);
            if !o.status.success() {
                failures.push(format!(
                    "{}: set {edit:?} failed: {}",
                    input.display(),
                    String::from_utf8_lossy(&o.stderr)
                ));
                continue;
            }
            let (ok, msg) = validates(&out);
            checked += 1;
            if !ok {
                failures.push(format!("{}: after set {edit:?}: {msg}", input.display()));
            }
        }
    }
    assert!(checked >= 20, "only {checked} files checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn qemu_cpu_converted_to_commandline_validates() {
    if !common::require_program("virt-xml-validate") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.xml");
    // The demo domain with the typo fixed and QEMU's unknown option removed.
    let demo = std::fs::read_to_string(format!(
        "{}/assets/examples/icelake-240.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    std::fs::write(&src, demo).unwrap();
    let fixed = dir.path().join("fixed.xml");
    let o = common::virt_cpu(&[
        "set",
        src.to_str().unwrap(),
        "--qemu-model",
        "Icelake-Server-v4",
        "--qemu-remove",
        "strange-option",
        "-o",
        fixed.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (ok, msg) = validates(&fixed);
    assert!(
        !ok && msg.contains("Element domain has extra content: cpu"),
        "libvirt 9.0's schema should reject <qemu:cpu>: {msg}"
    );
    let cl = dir.path().join("cl.xml");
    let o = common::virt_cpu(&[
        "convert",
        fixed.to_str().unwrap(),
        "--to",
        "commandline",
        "-o",
        cl.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (ok, msg) = validates(&cl);
    assert!(ok, "the <qemu:commandline> form should validate: {msg}");
}

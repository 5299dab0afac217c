//! With a running libvirt 9.0 daemon, `virsh domxml-to-native qemu-argv` and `virt-cpu argv` give
//! the same `-cpu` for every demo domain in assets/examples/, and libvirt's schema (through
//! `virt-xml-validate`) accepts them, except `<qemu:cpu>`, which libvirt 9.0 does not know.

mod common;

use common::LIBVIRT_URI;
use common::libvirt::{
    Outcome, compare_examples, domcapabilities, domxml_to_native, our_value, without_qemu_cpu,
};
use std::path::Path;
use std::process::Command;
use virt_cpu::xml::Document;

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

#[test]
fn virsh_domxml_to_native_agrees_with_argv_on_examples() {
    if !common::require_libvirt_daemon() || !common::require_program("qemu-system-x86_64") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let host_caps = domcapabilities(LIBVIRT_URI, tmp.path());
    // The host-model demo follows saved domain capabilities; the others need no host.
    let our_args = |_: &Path, text: &str| -> Vec<String> {
        if text.contains("mode='host-model'") {
            vec!["--host-caps".into(), host_caps.to_str().unwrap().into()]
        } else {
            Vec::new()
        }
    };
    let failures = compare_examples(LIBVIRT_URI, "9.0", tmp.path(), &our_args);
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
    let Outcome::Cpu(Some(libvirt)) = domxml_to_native(LIBVIRT_URI, &file) else {
        panic!("libvirt gives no -cpu for {}", file.display())
    };
    let ours = our_value(&file, &["-c", LIBVIRT_URI], "9.0").expect("virt-cpu argv -c");
    assert_eq!(ours, libvirt);
}

/// What `virsh define` adds to the `<cpu>` of a domain whose CPU is a `<qemu:commandline>`
/// `-cpu` (its default model, `check='none'`) is recognised as libvirt's and removed by
/// `convert --to qemu-cpu` with a note.
#[test]
fn libvirt_default_model_beside_a_commandline_cpu() {
    if !common::require_libvirt_daemon() {
        return;
    }
    let uri = common::LIBVIRT_URI.to_string();
    let failures =
        common::libvirt::libvirt_default_model_is_recognised(&uri, "virt-cpu-test-default");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

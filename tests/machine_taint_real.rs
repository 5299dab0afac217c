//! A machine type QEMU marks deprecated: `virt-cpu check -c URI` predicts libvirt's
//! deprecated-config taint, and the libvirt 11.3 daemon (QEMU 10.0 deprecates `pc-q35-7.0`)
//! writes that very taint into the domain's log when it is started. The chroot's daemon cannot
//! run a guest (its mount namespace setup fails), but libvirt taints the domain before that, so
//! the start attempt is enough and no guest runs. The test domain (`vcpu-mtaint-PID-…`) and its
//! log are removed afterwards.

mod common;

use std::process::Command;

/// The taints libvirt logged for the domain (`Domain id=N is tainted: TAINT (DETAIL)`).
fn logged_taints(log: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(" is tainted: ").map(|(_, t)| t.to_string()))
        .collect()
}

struct Defined {
    uri: String,
    name: String,
    log: std::path::PathBuf,
}

impl Drop for Defined {
    fn drop(&mut self) {
        let _ = Command::new("virsh")
            .args(["-c", &self.uri, "destroy", &self.name])
            .output();
        let _ = Command::new("virsh")
            .args(["-c", &self.uri, "undefine", &self.name])
            .output();
        let _ = std::fs::remove_file(&self.log);
    }
}

#[test]
fn check_predicts_the_deprecated_machine_taint_libvirt_11_3_logs() {
    if !common::require_libvirt11_daemon() {
        return;
    }
    let uri = common::libvirt11_uri();
    let dir = tempfile::tempdir().unwrap();
    for (machine, deprecated) in [("pc-q35-7.0", true), ("q35", false)] {
        let name = format!(
            "vcpu-mtaint-{}-{}",
            std::process::id(),
            machine.replace('.', "-")
        );
        let xml = format!(
            "<domain type='qemu'>\n  <name>{name}</name>\n  <memory unit='MiB'>64</memory>\n  \
             <os><type arch='x86_64' machine='{machine}'>hvm</type></os>\n  \
             <cpu mode='custom' match='exact' check='none'><model fallback='forbid'>Nehalem</model></cpu>\n</domain>\n"
        );
        let file = dir.path().join(format!("{name}.xml"));
        std::fs::write(&file, &xml).unwrap();
        // virt-cpu's prediction, from the daemon's release (its catalog's machine types).
        let out = common::virt_cpu(&["check", file.to_str().unwrap(), "-c", &uri, "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        let predicted: Vec<String> = v["taints"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["name"] == "deprecated-config")
            .map(|t| format!("deprecated-config ({})", t["detail"].as_str().unwrap()))
            .collect();
        // libvirt's own, from the start attempt.
        let log = common::trixie_root().join(format!("var/log/libvirt/qemu/{name}.log"));
        let _defined = Defined {
            uri: uri.clone(),
            name: name.clone(),
            log: log.clone(),
        };
        let out = Command::new("virsh")
            .args(["-c", &uri, "define"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let _ = Command::new("virsh")
            .args(["-c", &uri, "start", &name])
            .output()
            .unwrap();
        let logged = logged_taints(&log);
        assert!(
            !logged.is_empty(),
            "libvirt 11.3 logged no taint at all for {name} (every start there is high-privileges): {}",
            log.display()
        );
        let logged: Vec<String> = logged
            .into_iter()
            .filter(|t| t.starts_with("deprecated-config"))
            .collect();
        assert_eq!(predicted, logged, "{machine}");
        assert_eq!(!logged.is_empty(), deprecated, "{machine}: {logged:?}");
    }
}

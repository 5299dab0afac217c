//! `models --host-caps` agrees with libvirt's `usable=` in each recorded domcapabilities file,
//! and the computation from the host-model features agrees too.

mod common;

use std::path::PathBuf;
use std::process::Command;
use virt_cpu::catalog::Catalog;
use virt_cpu::host::{DomCaps, PoolUsability};

fn caps_files() -> Vec<PathBuf> {
    let dir = common::shared_dir().join("reference/domcapabilities");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{} not readable: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 4,
        "expected the recorded domcapabilities files in {}",
        dir.display()
    );
    files
}

#[test]
fn cli_usable_column_matches_each_recorded_file() {
    for file in caps_files() {
        let caps = DomCaps::read(&file).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_virt-cpu"))
            .args(["models", "--json", "--host-caps"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let rows = json["models"].as_array().unwrap();
        let mut checked = 0;
        for m in &caps.models {
            let Some(row) = rows.iter().find(|r| r["name"] == m.name.as_str()) else {
                continue;
            };
            assert_eq!(
                row["usable"]["usable"].as_bool(),
                m.usable,
                "{}: {}",
                file.display(),
                m.name
            );
            checked += 1;
        }
        assert!(
            checked > 40,
            "{}: only {checked} models compared",
            file.display()
        );
    }
}

#[test]
fn computed_usability_matches_libvirt() {
    let catalog = Catalog::embedded();
    let mut disagreements = Vec::new();
    let mut compared = 0;
    for file in caps_files() {
        let caps = vec![DomCaps::read(&file).unwrap()];
        let pool = PoolUsability::new(catalog, &caps);
        for m in &caps[0].models {
            let u = pool.usability(&m.name);
            let (Some(reported), Some(computed)) = (m.usable, u.computed) else {
                continue;
            };
            compared += 1;
            if reported != computed {
                disagreements.push(format!(
                    "{} {}: libvirt {reported}, computed {computed} {:?}",
                    file.file_name().unwrap().to_string_lossy(),
                    m.name,
                    u.blockers
                ));
            }
        }
    }
    assert!(compared > 200, "only {compared} comparisons");
    assert!(
        disagreements.is_empty(),
        "{} of {compared} disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

#[test]
fn a_pool_is_usable_only_where_every_host_is() {
    let catalog = Catalog::embedded();
    let caps: Vec<DomCaps> = caps_files()
        .iter()
        .filter(|f| f.to_string_lossy().contains("q35"))
        .map(|f| DomCaps::read(f).unwrap())
        .collect();
    let pool = PoolUsability::new(catalog, &caps);
    for m in &caps[0].models {
        let all = caps
            .iter()
            .all(|c| c.model(&m.name).and_then(|x| x.usable) == Some(true));
        let any_unknown = caps
            .iter()
            .any(|c| c.model(&m.name).and_then(|x| x.usable).is_none());
        if !any_unknown {
            assert_eq!(pool.usability(&m.name).usable, Some(all), "{}", m.name);
        }
    }
}

/// `models -c URI [--virttype T]` asks the running libvirt and gives the same answer as the same
/// `virsh domcapabilities [--virttype T]` output saved and passed with `--host-caps`.
#[test]
fn live_connect_equals_saved_domcapabilities() {
    if !common::require_libvirt_daemon() {
        return;
    }
    for virttype in [None, Some("qemu")] {
        let mut virsh = vec!["-c", "qemu:///system", "domcapabilities"];
        virsh.extend(virttype.iter().flat_map(|t| ["--virttype", *t]));
        let saved = Command::new("virsh").args(&virsh).output().unwrap();
        assert!(
            saved.status.success(),
            "{}",
            String::from_utf8_lossy(&saved.stderr)
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("domcaps.xml");
        std::fs::write(&file, &saved.stdout).unwrap();
        let models = |args: &[&str]| {
            let out = Command::new(env!("CARGO_BIN_EXE_virt-cpu"))
                .arg("models")
                .args(args)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        };
        let mut live_args = vec!["-c", "qemu:///system"];
        live_args.extend(virttype.iter().flat_map(|t| ["--virttype", *t]));
        let live = models(&live_args);
        let from_file = models(&["--host-caps", file.to_str().unwrap()]);
        assert!(live.contains("USABLE"), "{live}");
        // The closing lines name the source (the URI or the file) and the host's address
        // width (which `-c` also asks `virsh capabilities` for, and a 9.0 file does not say);
        // the table must be identical.
        let table = |s: &str| {
            s.lines()
                .filter(|l| {
                    !l.starts_with("best model")
                        && !l.starts_with("host: ")
                        && !l.starts_with("physical address bits: ")
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(table(&live), table(&from_file), "virttype {virttype:?}");
    }
}

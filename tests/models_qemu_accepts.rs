//! Every model in the catalog is accepted by the real QEMU under TCG, and the warnings QEMU
//! prints are exactly the features the catalog says TCG cannot emulate.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::Stdio;
use virt_cpu::catalog::Catalog;

struct Run {
    ok: bool,
    stderr: String,
}

fn start(model: &str) -> Run {
    let mut child = common::qemu_probe(model, &[])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start qemu");
    let _ = child.stdin.take().unwrap().write_all(common::QMP_QUIT);
    let out = child.wait_with_output().unwrap();
    Run {
        ok: out.status.success(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Feature names from "TCG doesn't support requested feature: CPUID.01H:ECX.x2apic [bit 21]"
/// (and the MSR-based "VMX…" forms): the text after the last '.' before " [bit".
fn warned_features(stderr: &str) -> BTreeSet<String> {
    stderr
        .lines()
        .filter_map(|l| {
            l.split_once("doesn't support requested feature: ")
                .map(|(_, r)| r)
        })
        .filter_map(|r| r.split(" [bit").next())
        .filter_map(|r| r.rsplit('.').next())
        .map(str::to_string)
        .collect()
}

#[test]
fn every_model_starts_under_tcg_with_the_recorded_warnings() {
    if !common::require_program("qemu-system-x86_64") {
        return;
    }
    let q = &Catalog::embedded().qemu;
    let names: Vec<&str> = q.models.iter().map(|m| m.name.as_str()).collect();
    // Two workers: the machine has two cores and each QEMU start is ~40 ms of mostly CPU.
    let failures: Vec<String> = std::thread::scope(|s| {
        let halves = names.chunks(names.len().div_ceil(2)).map(|chunk| {
            s.spawn(move || {
                let mut bad = Vec::new();
                for &name in chunk {
                    let m = q.model(name).unwrap();
                    let run = start(name);
                    if !m.needs.is_empty() {
                        // `host`: the catalog records that QEMU needs KVM for it.
                        if run.ok || !run.stderr.contains("requires KVM") {
                            bad.push(format!(
                                "{name}: catalog says it needs {:?}, QEMU said: {}",
                                m.needs,
                                run.stderr.trim()
                            ));
                        }
                        continue;
                    }
                    if !run.ok {
                        bad.push(format!("{name}: QEMU refused it: {}", run.stderr.trim()));
                        continue;
                    }
                    let warned = warned_features(&run.stderr);
                    let recorded: BTreeSet<String> = q
                        .names(&m.tcg_unavailable)
                        .into_iter()
                        .map(str::to_string)
                        .collect();
                    if warned != recorded {
                        bad.push(format!(
                            "{name}: QEMU warned about {warned:?}, the catalog records {recorded:?}"
                        ));
                    }
                }
                bad
            })
        });
        halves
            .collect::<Vec<_>>()
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} models disagree:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}

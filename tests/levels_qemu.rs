//! The x86-64 level virt-cpu gives each model agrees with the one QEMU's own
//! `scripts/cpu-x86-uarch-abi.py` would give: the installed QEMU's static expansion of every
//! model, judged level by level by the script's rule (every feature of the level present, and
//! every level below met), against `catalog::levels` on the catalog of the same QEMU.
//!
//! The script runs QEMU under KVM; where KVM is usable so does this test, and compares the
//! catalog's KVM view (the level `models` shows). Without KVM it asks QEMU under TCG and
//! compares the catalog's TCG expansion, whose level is computed the same way.

mod common;

use serde_json::{Value, json};
use virt_cpu::catalog::levels::level_of;
use virt_cpu::catalog::{Catalog, versions};
use virt_cpu::host::refresh::{self, KVM_ARGS, Sources};
use virt_cpu::host::{SystemRunner, qmp};

/// The script's lists, written out again here on purpose: the test must not read the table it
/// checks.
const SCRIPT_LEVELS: [&[&str]; 4] = [
    &[
        "cmov", "cx8", "fpu", "fxsr", "mmx", "syscall", "sse", "sse2",
    ],
    &[
        "cx16", "lahf-lm", "popcnt", "pni", "sse4.1", "sse4.2", "ssse3",
    ],
    &["avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe"],
    &["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"],
];

#[test]
fn every_models_level_is_the_one_qemus_expansion_gives() {
    if !common::require_program("qemu-system-x86_64") {
        return;
    }
    let kvm = refresh::kvm_unusable(&SystemRunner, &Sources::default()).is_none();
    let args = if kvm {
        KVM_ARGS
    } else {
        virt_cpu::host::qmp::CATALOG_ARGS
    };
    // The catalog of the installed QEMU (Debian 12: libvirt 9.0 + QEMU 7.2).
    let pair = versions::EMBEDDED
        .iter()
        .find(|p| p.dir == "libvirt-9.0+qemu-7.2")
        .expect("the Debian 12 pair");
    let q = &Catalog::embedded_pair(pair).qemu;
    let models: Vec<&str> = q
        .models
        .iter()
        .filter(|m| !m.is_alias() && !["host", "max", "base"].contains(&m.name.as_str()))
        .map(|m| m.name.as_str())
        .collect();
    let commands: Vec<Value> = models
        .iter()
        .map(|m| {
            qmp::command(
                "query-cpu-model-expansion",
                json!({ "type": "static", "model": { "name": m } }),
            )
        })
        .collect();
    let replies =
        qmp::batch(&SystemRunner, "qemu-system-x86_64", args, &commands).expect("QEMU answers QMP");
    let mut seen = [0usize; 5];
    for (name, reply) in models.iter().zip(&replies) {
        let Ok(reply) = reply else {
            continue; // a model this accelerator cannot expand (none expected, but not ours)
        };
        let props = reply.pointer("/model/props").expect("model.props");
        let on = |f: &str| props.get(f).and_then(Value::as_bool) == Some(true);
        let qemu_level = SCRIPT_LEVELS
            .iter()
            .take_while(|wanted| wanted.iter().all(|f| on(f)))
            .count();
        let m = q.model(name).unwrap();
        // A static expansion under TCG still lists what TCG cannot emulate (QEMU drops it when
        // the vCPU is made): the catalog keeps that apart as `tcg_unavailable`.
        let view = match kvm {
            true => m.features.clone(),
            false => m.tcg_features.union(&m.tcg_unavailable),
        };
        let ours = level_of(q, &view);
        assert_eq!(
            ours.level as usize,
            qemu_level,
            "{name} ({}): virt-cpu says {}, QEMU's expansion gives level {qemu_level}",
            if kvm { "KVM" } else { "TCG" },
            ours.name()
        );
        seen[qemu_level] += 1;
    }
    // The comparison covered every level, not only models of one kind.
    assert!(
        seen[1..].iter().all(|&n| n > 0) || !kvm,
        "levels seen (none, v1..v4): {seen:?}"
    );
    assert!(seen.iter().sum::<usize>() > 50, "models compared: {seen:?}");
}

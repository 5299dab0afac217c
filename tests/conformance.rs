//! libvirt 9.0's own `-cpu` test cases (../shared/conformance/libvirt-9.0): our generator must
//! produce the `cpu_arg` column byte for byte, and refuse the `error` rows.

mod common;

use common::conformance::{generate_row, rows};
use std::collections::BTreeMap;
use virt_cpu::catalog::Catalog;

#[derive(Default)]
struct Score {
    matched: usize,
    total: usize,
    exact_message: usize,
}

#[test]
fn libvirt_conformance() {
    let dir = common::conformance::dir();
    let catalog = Catalog::embedded();
    let mut scores: BTreeMap<String, Score> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut message_failures = Vec::new();
    for row in rows(&dir) {
        let category = format!(
            "{} {}",
            if row.host_dependent {
                "host-dependent"
            } else {
                "host-independent"
            },
            row.expect
        );
        let score = scores.entry(category).or_default();
        score.total += 1;
        let result = generate_row(&dir, &row, catalog);
        let ok = match (row.expect.as_str(), &result) {
            ("ok", Ok(cpu)) => cpu.value().as_deref() == Some(row.cpu_arg.as_str()),
            ("error", Err(e)) => {
                if e.message == row.cpu_arg {
                    score.exact_message += 1;
                } else {
                    message_failures.push(format!(
                        "{} [{}]\n  expected: {}\n  got:      {}",
                        row.name, row.caps, row.cpu_arg, e.message
                    ));
                }
                true
            }
            _ => false,
        };
        if ok {
            score.matched += 1;
        } else {
            let got = match &result {
                Ok(cpu) => cpu.value().unwrap_or_else(|| "(no -cpu)".into()),
                Err(e) => format!("error: {}", e.message),
            };
            failures.push(format!(
                "{} [{}; host {}]\n  expected: {}\n  got:      {}",
                row.name, row.caps, row.host_cpu, row.cpu_arg, got
            ));
        }
    }
    println!("\nlibvirt 9.0 conformance (matched / total):");
    for (cat, s) in &scores {
        let exact = if cat.ends_with("error") {
            format!("  (exact message: {})", s.exact_message)
        } else {
            String::new()
        };
        println!("  {cat:<28} {:>3} / {:<3}{exact}", s.matched, s.total);
    }
    for f in &failures {
        println!("MISMATCH {f}");
    }
    for f in &message_failures {
        println!("MESSAGE MISMATCH {f}");
    }
    // Every row, host-dependent ones included, must match, and every refusal must carry
    // libvirt's exact message.
    assert!(
        failures.is_empty(),
        "{} conformance rows differ (see output above)",
        failures.len()
    );
    assert!(
        message_failures.is_empty(),
        "{} error rows have another message than libvirt's (see output above)",
        message_failures.len()
    );
}

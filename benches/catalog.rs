//! Catalog speed (issue 4 §5): loading the embedded catalog ≤ 1 ms; filtering all models by a
//! search string ≤ 0.2 ms.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use virt_cpu::catalog::Catalog;
use virt_cpu::catalog::explore::ModelFilter;
use virt_cpu::catalog::versions::EMBEDDED;

/// Each embedded pair's catalog, decoded as a process decodes the one it follows.
fn load(c: &mut Criterion) {
    for pair in &EMBEDDED {
        let name = format!(
            "catalog load (embedded JSON → indexed catalog), libvirt {} + QEMU {}",
            pair.libvirt.line(),
            pair.qemu.line()
        );
        c.bench_function(&name, |b| b.iter(|| black_box(Catalog::parse_pair(pair))));
    }
}

fn filter(c: &mut Criterion) {
    let q = &Catalog::embedded().qemu;
    let filter = ModelFilter {
        search: Some("sky"),
        ..ModelFilter::everything()
    };
    c.bench_function("filter all models by search text", |b| {
        b.iter(|| black_box(filter.apply(black_box(q)).len()))
    });
    let (avx512, _) = q.set_of(["avx512f", "avx512vl"]);
    let filter = ModelFilter {
        vendor: Some("intel"),
        wanted: &avx512,
        ..ModelFilter::everything()
    };
    c.bench_function("filter all models by vendor and features", |b| {
        b.iter(|| black_box(filter.apply(black_box(q)).len()))
    });
}

criterion_group!(benches, load, filter);
criterion_main!(benches);

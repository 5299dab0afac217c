//! Engine benchmarks (DESIGN §9): indexing, `-cpu` generation, load + edit + atomic save.
//! Run: `cargo bench --bench engine`.

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use virt_cpu::argv::{QemuCaps, Reading};
use virt_cpu::catalog::Catalog;
use virt_cpu::check;
use virt_cpu::domain::{Domain, Policy};
use virt_cpu::edit::{Edit, Edited};
use virt_cpu::store;
use virt_cpu::store::save::{Expected, save_atomic};
use virt_cpu::xml::Document;

#[path = "support/big_domain.rs"]
mod big_domain;

use big_domain::bench_inputs as inputs;

fn indexing(c: &mut Criterion) {
    let mut g = c.benchmark_group("index");
    for (name, xml) in inputs() {
        g.throughput(Throughput::Bytes(xml.len() as u64));
        // As a real load does: the file's bytes are read into a buffer the document keeps.
        g.bench_with_input(BenchmarkId::from_parameter(name), &xml, |b, xml| {
            b.iter_batched(
                || xml.as_bytes().to_vec(),
                |bytes| Document::parse_owned(black_box(bytes)).unwrap(),
                BatchSize::LargeInput,
            )
        });
        // The floor: quick-xml reading every event and nothing else.
        g.bench_with_input(
            BenchmarkId::new("quick-xml-events-only", name),
            &xml,
            |b, xml| {
                b.iter(|| {
                    let mut r = quick_xml::Reader::from_str(black_box(xml));
                    let mut n = 0usize;
                    while let Ok(ev) = r.read_event() {
                        if matches!(ev, quick_xml::events::Event::Eof) {
                            break;
                        }
                        n += 1;
                    }
                    n
                })
            },
        );
    }
    g.finish();
}

fn argv(c: &mut Criterion) {
    let catalog = Catalog::embedded();
    let mut g = c.benchmark_group("argv");
    for (name, xml) in inputs() {
        let doc = Document::parse(xml.as_bytes()).unwrap();
        let dom = Domain::read(&doc).unwrap();
        let caps = QemuCaps::from_catalog(&dom, catalog);
        g.bench_function(BenchmarkId::new("generate", name), |b| {
            b.iter(|| {
                virt_cpu::argv::compute(black_box(&dom), &caps, &catalog.libvirt, Reading::Merge)
            })
        });
        g.bench_function(BenchmarkId::new("check", name), |b| {
            b.iter(|| check::check(&doc, black_box(&dom), &caps, catalog, Reading::Merge))
        });
    }
    g.finish();
}

/// What `virt-cpu set FILE --feature … --in-place` does: load the file (its stamp taken), set a
/// feature, save atomically with fsync, the changed-on-disk check by the stamp. Each round flips
/// pcid, so each save writes.
fn edit_and_save(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("set+save");
    g.sample_size(20);
    for (name, xml) in inputs() {
        let target = dir.path().join(format!("{name}.xml"));
        std::fs::write(&target, &xml).unwrap();
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            let mut flip = false;
            b.iter(|| {
                flip = !flip;
                let loaded = store::open(&target).unwrap();
                let store::Origin::File { stamp, .. } = &loaded.origin else {
                    unreachable!("a file was opened")
                };
                let stamp = stamp.clone();
                let old = loaded.doc.shared_source();
                let mut state = Edited::from_read(loaded.doc, loaded.domain);
                let policy = Policy::turning(!flip);
                state
                    .apply(&Edit::SetFeature {
                        name: "pcid".into(),
                        policy,
                    })
                    .unwrap();
                let expected = Expected {
                    bytes: old.as_bytes(),
                    stamp: Some(&stamp),
                };
                save_atomic(&target, state.doc.source().as_bytes(), Some(expected)).unwrap()
            })
        });
    }
    g.finish();
}

/// The 1691 domains of libvirt's own test suite (../shared/corpus): real, mostly small files.
fn corpus_files() -> Vec<Vec<u8>> {
    let dir = std::env::var("VIRT_CPU_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
        .join("corpus/libvirt-9.0-domains");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("corpus benches skipped: {} not found", dir.display());
        return Vec::new();
    };
    let mut paths: Vec<_> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
    paths.sort();
    paths.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

fn corpus(c: &mut Criterion) {
    let files = corpus_files();
    if files.is_empty() {
        return;
    }
    let catalog = Catalog::embedded();
    let total: usize = files.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group("corpus");
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function(BenchmarkId::new("index-all", files.len()), |b| {
        b.iter(|| {
            files
                .iter()
                .filter(|f| Document::parse(black_box(f)).is_ok())
                .count()
        })
    });
    // Every x86 domain: typed read, -cpu and every check (what `virt-cpu check` does per file).
    let domains: Vec<(Document, Domain)> = files
        .iter()
        .filter_map(|f| {
            let doc = Document::parse(f).ok()?;
            let dom = Domain::read(&doc).ok()?;
            Some((doc, dom))
        })
        .collect();
    g.throughput(Throughput::Elements(domains.len() as u64));
    g.bench_function(BenchmarkId::new("argv+check-all", domains.len()), |b| {
        b.iter(|| {
            for (doc, dom) in &domains {
                let caps = QemuCaps::from_catalog(dom, catalog);
                black_box(virt_cpu::argv::compute(
                    dom,
                    &caps,
                    &catalog.libvirt,
                    Reading::Merge,
                ));
                black_box(check::check(doc, dom, &caps, catalog, Reading::Merge));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, indexing, argv, edit_and_save, corpus);
criterion_main!(benches);

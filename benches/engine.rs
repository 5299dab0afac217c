//! Engine benchmarks (DESIGN §9): indexing, `-cpu` generation, edit + atomic save.
//! Run: `cargo bench --bench engine`.

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use virt_cpu::argv::{QemuCaps, Reading};
use virt_cpu::catalog::Catalog;
use virt_cpu::check;
use virt_cpu::domain::Domain;
use virt_cpu::edit::{Edit, Edited};
use virt_cpu::store::save::save_atomic;
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

fn edit_and_save(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("set+save");
    g.sample_size(20);
    for (name, xml) in inputs() {
        let target = dir.path().join(format!("{name}.xml"));
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            let mut flip = false;
            b.iter(|| {
                flip = !flip;
                let mut state = Edited::new(Document::parse(xml.as_bytes()).unwrap()).unwrap();
                let policy = if flip { "disable" } else { "require" };
                state
                    .apply(&Edit::SetFeature {
                        name: "pcid".into(),
                        policy: policy.into(),
                    })
                    .unwrap();
                save_atomic(&target, state.doc.source().as_bytes(), None).unwrap();
            })
        });
    }
    g.finish();
}

criterion_group!(benches, indexing, argv, edit_and_save);
criterion_main!(benches);

//! Reading the typed view out of the document index.

use super::*;
use crate::xml::Document;

pub(super) fn read(doc: &Document, before: Option<&Domain>) -> Result<Domain, DomainError> {
    let root = doc.root();
    if !doc.is_plain(root, "domain") {
        return Err(DomainError::NotDomain {
            position: doc.position(doc.element(root).open().start),
            found: doc.qname(root).to_string(),
        });
    }
    let mut dom = Domain {
        virt_type: doc.attr_value(root, "type").unwrap_or_default(),
        ..Domain::default()
    };
    dom.read_from.layout = doc.layout();
    dom.qemu_ns_declared = doc.qemu_prefix_on_root().is_some_and(|p| !p.is_empty());

    let mut first_cpu: Option<ElemId> = None;
    let mut first_qemu_cpu: Option<ElemId> = None;
    for child in doc.children(root) {
        if doc.is_plain(child, "cpu") {
            once(doc, &mut first_cpu, child)?;
            dom.cpu = Some(read_cpu(doc, child)?);
        } else if doc.is_qemu(child, "cpu") {
            once(doc, &mut first_qemu_cpu, child)?;
            dom.qemu_cpu = Some(read_qemu_cpu(doc, child));
        } else if doc.is_plain(child, "vcpu") {
            if dom.vcpu.is_none() {
                dom.vcpu = Some(Vcpu {
                    el: child,
                    max: doc.text(child),
                    current: doc.attr_value(child, "current"),
                    placement: doc.attr_value(child, "placement"),
                });
            }
        } else if doc.is_plain(child, "vcpus") {
            dom.individual_vcpus |= doc.plain_children(child, "vcpu").next().is_some();
        } else if doc.is_plain(child, "os") {
            if let Some(t) = doc.plain_child(child, "type") {
                dom.arch = doc.attr_value(t, "arch");
                dom.machine = doc.attr_value(t, "machine");
                dom.machine_el = Some(t);
            }
        } else if doc.is_plain(child, "features") {
            dom.features = read_features(doc, child);
        } else if doc.is_plain(child, "clock") {
            dom.timers.extend(
                doc.plain_children(child, "timer")
                    .map(|t| read_timer(doc, t)),
            );
        } else if doc.is_plain(child, "devices") {
            match before.filter(|b| devices_unchanged(doc, b, child)) {
                Some(b) => {
                    dom.emulator.clone_from(&b.emulator);
                    dom.hyperv_panics.clone_from(&b.hyperv_panics);
                }
                None => read_devices(doc, child, &mut dom),
            }
            dom.read_from.devices = Some(child);
        } else if doc.is_qemu(child, "commandline") {
            read_commandline(doc, child, &mut dom);
        } else if doc.is_qemu(child, "override") {
            dom.has_qemu_device_override |= doc.children(child).any(|d| doc.is_qemu(d, "device"));
        } else if doc.is_qemu(child, "capabilities") {
            dom.has_qemu_capabilities |= doc
                .children(child)
                .any(|c| doc.is_qemu(c, "add") || doc.is_qemu(c, "del"));
        }
    }
    dom.commandline_cpu = dom
        .commandline_cpu_values()
        .pop()
        .map(|(el, value)| commandline_cpu(el, &value));
    x86_only(doc, &dom)?;
    Ok(dom)
}

/// `<qemu:commandline>`: its arguments in order, and whether it sets environment variables.
fn read_commandline(doc: &Document, el: ElemId, dom: &mut Domain) {
    for arg in doc.children(el) {
        if doc.is_qemu(arg, "arg") {
            dom.commandline.push(CommandlineArg {
                el: arg,
                value: doc.attr_value(arg, "value"),
            });
        } else if doc.is_qemu(arg, "env") {
            dom.has_qemu_env = true;
        }
    }
}

/// Refuses a guest whose `<os><type arch>` is not x86 (virt-cpu is about x86 CPUs), pointing
/// at that `<type>`.
fn x86_only(doc: &Document, dom: &Domain) -> Result<(), DomainError> {
    let Some(arch) = dom.arch.as_deref() else {
        return Ok(());
    };
    if arch == "x86_64" || arch == "i686" {
        return Ok(());
    }
    let root = doc.root();
    let os = doc
        .plain_child(root, "os")
        .and_then(|os| doc.plain_child(os, "type"))
        .unwrap_or(root);
    Err(DomainError::NotX86 {
        arch: arch.to_string(),
        position: doc.position(doc.element(os).open().start),
    })
}

/// Refuses a second `<cpu>` / `<qemu:cpu>`.
fn once(doc: &Document, first: &mut Option<ElemId>, el: ElemId) -> Result<(), DomainError> {
    if let Some(f) = *first {
        return Err(DomainError::Twice {
            element: doc.qname(el).to_string(),
            position: doc.position(doc.element(el).open().start),
            first: doc.position(doc.element(f).open().start),
        });
    }
    *first = Some(el);
    Ok(())
}

fn read_cpu(doc: &Document, el: ElemId) -> Result<CpuDef, DomainError> {
    let mut cpu = CpuDef {
        el,
        mode: doc.attr_value(el, "mode"),
        match_: doc.attr_value(el, "match"),
        check: doc.attr_value(el, "check"),
        migratable: doc.attr_value(el, "migratable"),
        deprecated_features: doc.attr_value(el, "deprecated_features"),
        ..CpuDef::default()
    };
    for child in doc.children(el) {
        if doc.is_qemu(child, "cpu") {
            return Err(DomainError::QemuCpuInsideCpu {
                element: doc.qname(child).to_string(),
                position: doc.position(doc.element(child).open().start),
            });
        }
        if doc.namespace(child).is_some() {
            continue;
        }
        match doc.local_name(child) {
            // libvirt reads the first <model> only (XPath ./model[1]).
            "model" if cpu.model.is_none() => {
                cpu.model = Some(Model {
                    el: child,
                    name: doc.text(child),
                    fallback: doc.attr_value(child, "fallback"),
                    vendor_id: doc.attr_value(child, "vendor_id"),
                })
            }
            "vendor" if cpu.vendor.is_none() => cpu.vendor = Some(doc.text(child)),
            "feature" => cpu.features.push(Feature {
                el: child,
                name: doc.attr_value(child, "name"),
                policy: doc.attr_value(child, "policy"),
            }),
            "cache" => cpu.caches.push(Cache {
                el: child,
                level: doc.attr_value(child, "level"),
                mode: doc.attr_value(child, "mode"),
            }),
            "maxphysaddr" if cpu.maxphysaddr.is_none() => {
                cpu.maxphysaddr = Some(MaxPhysAddr {
                    el: child,
                    mode: doc.attr_value(child, "mode"),
                    bits: doc.attr_value(child, "bits"),
                    limit: doc.attr_value(child, "limit"),
                })
            }
            "topology" => read_topology(doc, child, &mut cpu),
            "numa" => read_numa(doc, child, &mut cpu),
            _ => {}
        }
    }
    Ok(cpu)
}

/// `<topology>`: the first one is the typed topology; `has_topology` and `threads` follow every
/// one (the last one's `threads` stays).
fn read_topology(doc: &Document, el: ElemId, cpu: &mut CpuDef) {
    cpu.has_topology = true;
    cpu.threads = doc.attr_value(el, "threads");
    if cpu.topology.is_none() {
        cpu.topology = Some(Topology {
            el,
            sockets: doc.attr_value(el, "sockets"),
            dies: doc.attr_value(el, "dies"),
            clusters: doc.attr_value(el, "clusters"),
            cores: doc.attr_value(el, "cores"),
            threads: doc.attr_value(el, "threads"),
        });
    }
}

/// `<numa>`: each cell's id, vCPU list and distances, in three parallel lists.
fn read_numa(doc: &Document, el: ElemId, cpu: &mut CpuDef) {
    cpu.has_numa = true;
    for c in doc.plain_children(el, "cell") {
        cpu.numa_cells.push((c, doc.attr_value(c, "id")));
        cpu.numa_cpus.push(doc.attr_value(c, "cpus"));
        cpu.numa_distances
            .push(doc.plain_child(c, "distances").map(|d| {
                doc.plain_children(d, "sibling")
                    .map(|s| NumaSibling {
                        el: s,
                        id: doc.attr_value(s, "id"),
                        value: doc.attr_value(s, "value"),
                    })
                    .collect()
            }));
    }
}

fn read_qemu_cpu(doc: &Document, el: ElemId) -> QemuCpu {
    let mut q = QemuCpu {
        el,
        ..QemuCpu::default()
    };
    for child in doc.children(el) {
        if doc.is_qemu(child, "model") {
            q.models.push(QemuModelRef {
                el: child,
                name: doc.attr_value(child, "name"),
            });
        } else if doc.is_qemu(child, "option") {
            q.options.push(QemuOption {
                el: child,
                name: doc.attr_value(child, "name"),
                value: doc.attr_value(child, "value"),
            });
        } else {
            q.unknown_children.push(child);
        }
    }
    q
}

fn read_toggle(doc: &Document, el: ElemId) -> Toggle {
    let mut extra = Vec::new();
    for a in doc.attrs(el) {
        let name = &doc.source()[a.name()];
        if name != "state" {
            extra.push((name.to_string(), a.value(doc.source())));
        }
    }
    Toggle {
        el,
        name: doc.local_name(el).to_string(),
        state: doc.attr_value(el, "state"),
        extra,
        children: doc.children(el).map(|c| read_toggle(doc, c)).collect(),
    }
}

fn read_features(doc: &Document, el: ElemId) -> Features {
    let mut f = Features {
        el: Some(el),
        ..Features::default()
    };
    for child in doc.children(el) {
        let name = doc.local_name(child).to_string();
        match name.as_str() {
            "apic" => f.apic_eoi = Some((child, doc.attr_value(child, "eoi"))),
            "pvspinlock" => f.pvspinlock = Some((child, doc.attr_value(child, "state"))),
            "pmu" => f.pmu = Some((child, doc.attr_value(child, "state"))),
            "hyperv" => {
                f.hyperv = Some(Hyperv {
                    el: child,
                    mode: doc.attr_value(child, "mode"),
                    children: doc.children(child).map(|c| read_toggle(doc, c)).collect(),
                })
            }
            "kvm" => {
                f.kvm_el = Some(child);
                f.kvm = Some(doc.children(child).map(|c| read_toggle(doc, c)).collect());
            }
            _ => {}
        }
        f.names.push((child, name));
    }
    f
}

fn read_timer(doc: &Document, el: ElemId) -> Timer {
    Timer {
        el,
        name: doc.attr_value(el, "name"),
        present: doc.attr_value(el, "present"),
        tickpolicy: doc.attr_value(el, "tickpolicy"),
        frequency: doc.attr_value(el, "frequency"),
        mode: doc.attr_value(el, "mode"),
        has_catchup: doc.plain_child(el, "catchup").is_some(),
    }
}

/// `<devices>` is the element `before` read, with the same id, and the last edit left it alone.
fn devices_unchanged(doc: &Document, before: &Domain, devices: ElemId) -> bool {
    let outer = doc.element(devices).outer();
    before.read_from.layout == doc.layout()
        && before.read_from.devices == Some(devices)
        && doc
            .last_rescan()
            .is_some_and(|r| r.end <= outer.start || outer.end <= r.start)
}

fn read_devices(doc: &Document, el: ElemId, dom: &mut Domain) {
    for child in doc.children(el) {
        if doc.is_plain(child, "emulator") {
            dom.emulator = Some(doc.text(child).trim().to_string());
        } else if doc.is_plain(child, "panic")
            && doc.attr_value(child, "model").as_deref() == Some("hyperv")
        {
            dom.hyperv_panics.push(child);
        }
    }
}

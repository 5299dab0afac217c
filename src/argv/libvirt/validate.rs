//! libvirt's parse, post-parse and validate checks that concern `-cpu` (semantics doc §6.1–6.2),
//! with libvirt's exact messages. Order follows libvirt's parser: `<cpu>`, `<features>`,
//! `<clock>`, devices, then the QEMU driver's validation.

use super::super::caps::QemuCaps;
use super::super::error::{LibvirtError, Stage, invalid_value, unsupported, xml_error};
use super::release::{self, Rules};
use crate::domain::{Cache, CpuDef, Domain, Hyperv, MaxPhysAddr, NumaSibling, Timer, Toggle};

const MODES: &[&str] = &["custom", "host-model", "host-passthrough", "maximum"];
const MATCHES: &[&str] = &["minimum", "exact", "strict"];
const CHECKS: &[&str] = &["none", "partial", "full"];

/// libvirt 9.0's `<features>` children (`virDomainFeature`); later ones are in
/// [`Rules::domain_feature`].
const DOMAIN_FEATURES: &[&str] = &[
    "acpi",
    "apic",
    "pae",
    "hap",
    "viridian",
    "privnet",
    "hyperv",
    "kvm",
    "pvspinlock",
    "capabilities",
    "pmu",
    "vmport",
    "gic",
    "smm",
    "ioapic",
    "hpt",
    "vmcoreinfo",
    "htm",
    "nested-hv",
    "msrs",
    "ccf-assist",
    "xen",
    "cfpc",
    "sbbc",
    "ibs",
    "tcg",
    "async-teardown",
    "ras",
    "ps2",
    "aia",
];

/// Hyper-V enlightenments in libvirt's enum order, which is also the order of `hv-*` options;
/// the last two since libvirt 10.7.0 ([`hyperv_names`]).
pub(crate) const HYPERV: &[&str] = &[
    "relaxed",
    "vapic",
    "spinlocks",
    "vpindex",
    "runtime",
    "synic",
    "stimer",
    "reset",
    "vendor_id",
    "frequencies",
    "reenlightenment",
    "tlbflush",
    "ipi",
    "evmcs",
    "avic",
    "emsr_bitmap",
    "xmm_input",
];

/// The Hyper-V enlightenments (`virDomainHyperv`) of the release: `emsr_bitmap` and `xmm_input`
/// since libvirt 10.7.0 ([`release::HYPERV_EMSR_XMM`]).
pub(crate) fn hyperv_names(rules: Rules) -> &'static [&'static str] {
    if rules.since(release::HYPERV_EMSR_XMM) {
        HYPERV
    } else {
        &HYPERV[..HYPERV.len() - 2]
    }
}

/// `<kvm>` children in libvirt's enum order.
pub(crate) const KVM: &[&str] = &[
    "hidden",
    "hint-dedicated",
    "poll-control",
    "pv-ipi",
    "dirty-ring",
];

const TIMERS: &[&str] = &[
    "platform",
    "pit",
    "rtc",
    "hpet",
    "tsc",
    "kvmclock",
    "hypervclock",
    "armvtimer",
];

pub(crate) fn parse(dom: &Domain, rules: Rules) -> Result<(), LibvirtError> {
    // `virDomainDefTunablesParse` reads `<vcpu>` before `<cpu>`.
    let (max, _) = vcpus(dom)?;
    if let Some(cpu) = &dom.cpu {
        parse_cpu(cpu, rules)?;
        parse_numa(cpu)?;
    }
    numa_within_vcpus(dom, max)?;
    parse_features(dom, rules)?;
    for t in &dom.timers {
        parse_timer(t)?;
    }
    if dom.hyperv_panics.len() > 1 {
        return Err(xml_error(
            Some(dom.hyperv_panics[1]),
            "Multiple panic devices with model 'hyperv'",
        ));
    }
    Ok(())
}

fn one_of(value: &Option<String>, allowed: &[&str]) -> bool {
    value.as_deref().is_none_or(|v| allowed.contains(&v))
}

/// The mode libvirt uses (`custom` when the attribute is absent).
pub(crate) fn mode_of(cpu: &CpuDef) -> &str {
    cpu.mode.as_deref().unwrap_or("custom")
}

/// A `<model>` with a non-empty name.
pub(crate) fn has_model(cpu: &CpuDef) -> bool {
    cpu.model.as_ref().is_some_and(|m| !m.name.is_empty())
}

/// `virCPUDefParseXML`: `<cpu>`'s attributes, `<model>`, `<vendor>`, `<topology>`, the
/// `<feature>`s, `<cache>` and `<maxphysaddr>`, in libvirt's order, so the first error is the one
/// libvirt reports.
fn parse_cpu(cpu: &CpuDef, rules: Rules) -> Result<(), LibvirtError> {
    parse_cpu_attributes(cpu, rules)?;
    parse_cpu_model(cpu)?;
    if cpu.vendor.is_some() && !has_model(cpu) {
        return Err(xml_error(
            Some(cpu.el),
            "CPU vendor specified without CPU model",
        ));
    }
    topology(cpu, rules)?;
    parse_cpu_features(cpu)?;
    parse_cpu_cache(cpu)?;
    if let Some(addr) = &cpu.maxphysaddr {
        parse_maxphysaddr(addr, rules)?;
    }
    Ok(())
}

/// `<cpu>`'s own attributes (`virCPUDefParseXML`'s start): `mode`, `match`, `check`,
/// `deprecated_features` (libvirt 11.3) and `migratable`, which only the modes that take the
/// host's CPU as it is accept.
fn parse_cpu_attributes(cpu: &CpuDef, rules: Rules) -> Result<(), LibvirtError> {
    let el = Some(cpu.el);
    if !one_of(&cpu.mode, MODES) {
        return Err(unsupported(
            Stage::Parse,
            el,
            format!(
                "Invalid mode attribute '{}'",
                cpu.mode.as_deref().unwrap_or_default()
            ),
        ));
    }
    if !one_of(&cpu.match_, MATCHES) {
        return Err(invalid_value(
            el,
            "match",
            "cpu",
            cpu.match_.as_deref().unwrap_or_default(),
        ));
    }
    if !one_of(&cpu.check, CHECKS) {
        return Err(invalid_value(
            el,
            "check",
            "cpu",
            cpu.check.as_deref().unwrap_or_default(),
        ));
    }
    // libvirt 11.3 (`virCPUDefParseXML`, `virXMLPropTristateSwitch`): `deprecated_features`.
    if rules.since(release::DEPRECATED_FEATURES)
        && let Some(v) = &cpu.deprecated_features
        && v != "on"
        && v != "off"
    {
        return Err(invalid_value(el, "deprecated_features", "cpu", v));
    }
    if let Some(m) = &cpu.migratable {
        if m != "on" && m != "off" {
            return Err(invalid_value(el, "migratable", "cpu", m));
        }
        if !passthrough_like(cpu) {
            return Err(unsupported(
                Stage::Parse,
                el,
                "Attribute migratable is only allowed for 'host-passthrough' / 'maximum' CPU mode",
            ));
        }
    }
    Ok(())
}

/// The modes that take the host's CPU as it is (`host-passthrough`, `maximum`): libvirt reads
/// `<model>`'s attributes only in the others, and `migratable` only in these.
fn passthrough_like(cpu: &CpuDef) -> bool {
    matches!(mode_of(cpu), "host-passthrough" | "maximum")
}

/// `<model>`'s attributes, which libvirt reads outside the passthrough-like modes: `fallback`
/// and `vendor_id` (twelve characters, no comma).
fn parse_cpu_model(cpu: &CpuDef) -> Result<(), LibvirtError> {
    let Some(model) = &cpu.model else {
        return Ok(());
    };
    if passthrough_like(cpu) {
        return Ok(());
    }
    if !one_of(&model.fallback, &["allow", "forbid"]) {
        return Err(unsupported(
            Stage::Parse,
            Some(model.el),
            "Invalid fallback attribute",
        ));
    }
    if let Some(v) = &model.vendor_id {
        if v.len() != 12 {
            return Err(xml_error(
                Some(model.el),
                "vendor_id must be exactly 12 characters long",
            ));
        }
        if v.contains(',') {
            return Err(xml_error(Some(model.el), "vendor id is invalid"));
        }
    }
    Ok(())
}

/// The `<feature>` list: only with a model in `custom` mode, each with a known policy and a
/// name, no name twice.
fn parse_cpu_features(cpu: &CpuDef) -> Result<(), LibvirtError> {
    if !cpu.features.is_empty() && mode_of(cpu) == "custom" && !has_model(cpu) {
        return Err(xml_error(
            Some(cpu.el),
            "Non-empty feature list specified without CPU model",
        ));
    }
    for (i, f) in cpu.features.iter().enumerate() {
        if f.known_policy().is_none() {
            return Err(unsupported(
                Stage::Parse,
                Some(f.el),
                "Invalid CPU feature policy",
            ));
        }
        let name = f.name.as_deref().unwrap_or_default();
        if name.is_empty() {
            return Err(xml_error(Some(f.el), "Invalid CPU feature name"));
        }
        if cpu.features[..i]
            .iter()
            .any(|g| g.name.as_deref() == Some(name))
        {
            return Err(xml_error(
                Some(f.el),
                format!("CPU feature '{name}' specified more than once"),
            ));
        }
    }
    Ok(())
}

/// `<cache>`: at most one, its `level` 1 to 3, its `mode` required and known.
fn parse_cpu_cache(cpu: &CpuDef) -> Result<(), LibvirtError> {
    if cpu.caches.len() > 1 {
        return Err(xml_error(
            Some(cpu.caches[1].el),
            "at most one CPU cache element may be specified",
        ));
    }
    let Some(cache) = cpu.caches.first() else {
        return Ok(());
    };
    if let Some(level) = &cache.level
        && !matches!(level.parse::<i64>(), Ok(1..=3))
    {
        return Err(xml_error(
            Some(cache.el),
            "invalid CPU cache level, must be in range [1,3]",
        ));
    }
    match cache.mode.as_deref() {
        None => Err(xml_error(
            Some(cache.el),
            "Missing required attribute 'mode' in element 'cache'",
        )),
        Some("emulate" | "passthrough" | "disable") => Ok(()),
        Some(other) => Err(invalid_value(Some(cache.el), "mode", "cache", other)),
    }
}

/// `<maxphysaddr>`: `mode` required and known, `bits` a number, and since libvirt 9.3.0 `limit`.
fn parse_maxphysaddr(addr: &MaxPhysAddr, rules: Rules) -> Result<(), LibvirtError> {
    match addr.mode.as_deref() {
        None => {
            return Err(xml_error(
                Some(addr.el),
                "Missing required attribute 'mode' in element 'maxphysaddr'",
            ));
        }
        Some("emulate" | "passthrough") => {}
        Some(other) => return Err(invalid_value(Some(addr.el), "mode", "maxphysaddr", other)),
    }
    if let Some(bits) = &addr.bits
        && bits.parse::<u32>().is_err()
    {
        return Err(xml_error(
            Some(addr.el),
            format!(
                "Invalid value for attribute 'bits' in element 'maxphysaddr': '{bits}'. Expected non-negative value"
            ),
        ));
    }
    // libvirt 9.3.0 (`virCPUDefParseXML`): `limit`, a non-zero unsigned number, only with
    // mode='passthrough'.
    if rules.since(release::PHYS_ADDR_LIMIT)
        && let Some(limit) = &addr.limit
    {
        match parse_uip(limit) {
            None => {
                return Err(xml_error(
                    Some(addr.el),
                    format!(
                        "Invalid value for attribute 'limit' in element 'maxphysaddr': '{limit}'. Expected non-negative integer value"
                    ),
                ));
            }
            Some(0) => {
                return Err(xml_error(
                    Some(addr.el),
                    "Invalid value for attribute 'limit' in element 'maxphysaddr': Zero is not permitted",
                ));
            }
            Some(_) if addr.mode.as_deref() != Some("passthrough") => {
                return Err(unsupported(
                    Stage::Parse,
                    Some(addr.el),
                    "attribute 'limit' is only supported for maxphysaddr mode 'passthrough'",
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// `virDomainVcpuParse`: the maximum vCPU count (`<vcpu>`'s text, one when there is no
/// `<vcpu>`) and the online count (`current=`, the maximum when absent; with `<vcpus>` each
/// vCPU's `enabled` decides, which virt-cpu does not read: the maximum stands in).
pub(crate) fn vcpus(dom: &Domain) -> Result<(u32, u32), LibvirtError> {
    let Some(v) = &dom.vcpu else {
        return Ok((1, 1));
    };
    let el = Some(v.el);
    let max =
        parse_ui(&v.max).ok_or_else(|| xml_error(el, "maximum vcpus count must be an integer"))?;
    let current = match &v.current {
        None => max,
        Some(text) => parse_uip(text).ok_or_else(|| {
            xml_error(
                el,
                format!(
                    "Invalid value for attribute 'current' in element 'vcpu': '{text}'. Expected non-negative integer value"
                ),
            )
        })?,
    };
    if let Some(p) = &v.placement
        && p != "static"
        && p != "auto"
    {
        return Err(invalid_value(el, "placement", "vcpu", p));
    }
    if dom.individual_vcpus {
        return Ok((max, max));
    }
    // `virDomainDefSetVcpus`.
    if current > max {
        return Err(unsupported(
            Stage::Parse,
            el,
            "maximum vCPU count must not be less than current vCPU count",
        ));
    }
    Ok((max, current))
}

/// `virStrToLong_ui` in base 10 with no trailing text: C `strtoul` (leading white space, a
/// sign), and a negative number wraps around within `unsigned int` ("-1" is `UINT_MAX`).
fn parse_ui(s: &str) -> Option<u32> {
    let s = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    match (negative, u32::try_from(n)) {
        (false, Ok(n)) => Some(n),
        (true, _) if n <= u64::from(u32::MAX) => Some((n as u32).wrapping_neg()),
        _ => None,
    }
}

/// `<topology>` as `virCPUDefParseXML` reads it: `sockets`, `cores` and `threads` required,
/// `dies` (and since libvirt 11.3, [`release::TOPOLOGY_CLUSTERS`], `clusters`) defaulting to
/// one, none of them zero. `None` without `<topology>`; otherwise sockets × dies × clusters ×
/// cores × threads.
pub(crate) fn topology(cpu: &CpuDef, rules: Rules) -> Result<Option<u64>, LibvirtError> {
    let Some(t) = &cpu.topology else {
        return Ok(None);
    };
    let el = Some(t.el);
    let number = |attr: &str, value: &Option<String>, default: Option<u32>| {
        let Some(text) = value else {
            return default.ok_or_else(|| {
                xml_error(
                    el,
                    format!("Missing required attribute '{attr}' in element 'topology'"),
                )
            });
        };
        match parse_uip(text) {
            None => Err(xml_error(
                el,
                format!(
                    "Invalid value for attribute '{attr}' in element 'topology': '{text}'. Expected non-negative integer value"
                ),
            )),
            Some(0) => Err(xml_error(
                el,
                format!(
                    "Invalid value for attribute '{attr}' in element 'topology': Zero is not permitted"
                ),
            )),
            Some(n) => Ok(n),
        }
    };
    let mut product = u64::from(number("sockets", &t.sockets, None)?);
    product *= u64::from(number("dies", &t.dies, Some(1))?);
    if rules.since(release::TOPOLOGY_CLUSTERS) {
        product *= u64::from(number("clusters", &t.clusters, Some(1))?);
    }
    // Each factor is checked before the next multiplication (`virDomainDefGetVcpusTopology`),
    // so the product of four u32 within u32 range at each step fits a u64.
    for (attr, value) in [("cores", &t.cores), ("threads", &t.threads)] {
        product = product.saturating_mul(u64::from(number(attr, value, None)?));
    }
    Ok(Some(product))
}

/// `virDomainDefParseXML` after `virDomainNumaDefParseXML`: the NUMA cells may not hold more
/// CPUs than `<vcpu>`, nor a CPU id past it (with no cell the highest id counts as 0, so a
/// `<vcpu>0</vcpu>` ends here). A cell whose `cpus` virt-cpu cannot read is left out.
fn numa_within_vcpus(dom: &Domain, max: u32) -> Result<(), LibvirtError> {
    let cells: Vec<Vec<u32>> = dom
        .cpu
        .iter()
        .flat_map(|c| c.numa_cpus.iter())
        .filter_map(|cpus| cpus.as_deref().and_then(parse_bitmap))
        .collect();
    let count: u64 = cells.iter().map(|c| c.len() as u64).sum();
    let highest = cells
        .iter()
        .filter_map(|c| c.last())
        .max()
        .copied()
        .unwrap_or(0);
    let el = dom.vcpu.as_ref().map(|v| v.el);
    if count > u64::from(max) {
        return Err(LibvirtError::new(
            Stage::Parse,
            el,
            "internal error: Number of CPUs in <numa> exceeds the <vcpu> count",
        ));
    }
    if highest >= max {
        return Err(LibvirtError::new(
            Stage::Parse,
            el,
            "internal error: CPU IDs in <numa> exceed the <vcpu> count",
        ));
    }
    Ok(())
}

/// `virBitmapParse` of a CPU list (`0-3,^2,8`), sorted and without repeats; `None` for what it
/// refuses (or a list past 65,536 CPUs, which virt-cpu does not follow).
fn parse_bitmap(s: &str) -> Option<Vec<u32>> {
    const LIMIT: u32 = 65_536;
    let mut set = std::collections::BTreeSet::new();
    for part in s.split(',') {
        let part = part.trim();
        let (neg, part) = match part.strip_prefix('^') {
            Some(p) => (true, p),
            None => (false, part),
        };
        let number = |t: &str| parse_uip(t.trim()).filter(|n| *n < LIMIT);
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) if !neg => (number(a)?, number(b)?),
            Some(_) => return None,
            None => {
                let n = number(part)?;
                (n, n)
            }
        };
        if lo > hi {
            return None;
        }
        for n in lo..=hi {
            if neg {
                set.remove(&n);
            } else {
                set.insert(n);
            }
        }
    }
    Some(set.into_iter().collect())
}

/// The QEMU driver's post-parse of vCPUs (`qemuDomainDefVcpusPostParse`): vCPU 0 must be online.
pub(crate) fn post_parse(dom: &Domain) -> Result<(), LibvirtError> {
    let (_, current) = vcpus(dom)?;
    if current == 0 {
        return Err(unsupported(
            Stage::Define,
            dom.vcpu.as_ref().map(|v| v.el),
            "vcpu 0 can't be offline",
        ));
    }
    Ok(())
}

/// `virDomainNumaDefParseXML`: a cell's `id` defaults to its position; ids must stay within
/// 0..n-1, each once.
fn parse_numa(cpu: &CpuDef) -> Result<(), LibvirtError> {
    if cpu.has_numa && cpu.numa_cells.is_empty() {
        return Err(xml_error(
            Some(cpu.el),
            "NUMA topology defined without NUMA cells",
        ));
    }
    let n = cpu.numa_cells.len();
    let mut seen = vec![false; n];
    for (i, (el, id)) in cpu.numa_cells.iter().enumerate() {
        let id = match id {
            None => i,
            Some(text) => parse_uip(text).ok_or_else(|| {
                xml_error(
                    Some(*el),
                    format!(
                        "Invalid value for attribute 'id' in element 'cell': '{text}'. Expected non-negative integer value"
                    ),
                )
            })? as usize,
        };
        if id >= n {
            return Err(xml_error(
                Some(*el),
                "Exactly one 'cell' element per guest NUMA cell allowed, non-contiguous ranges or ranges not starting from 0 are not allowed",
            ));
        }
        // libvirt spots a repeat by the memory already stored for the cell.
        if seen[id] {
            return Err(xml_error(
                Some(*el),
                format!("Duplicate NUMA cell info for cell id '{id}'"),
            ));
        }
        seen[id] = true;
        if let Some(Some(siblings)) = cpu.numa_distances.get(i) {
            parse_numa_distances(*el, id, n, siblings)?;
        }
    }
    Ok(())
}

/// `LOCAL_DISTANCE` and `UNREACHABLE` of numa_conf.c.
const LOCAL_DISTANCE: u32 = 10;
const UNREACHABLE: u32 = 255;

/// `virDomainNumaDefNodeDistanceParseXML`: every `<sibling>` names a cell (`id` below the cell
/// count) and a distance in [10, 255], 10 exactly for the cell itself and only for it.
fn parse_numa_distances(
    cell: crate::xml::ElemId,
    cur: usize,
    n: usize,
    siblings: &[NumaSibling],
) -> Result<(), LibvirtError> {
    if siblings.is_empty() {
        return Err(xml_error(
            Some(cell),
            "NUMA distances defined without siblings",
        ));
    }
    let number = |el, attr: &str, value: &Option<String>| {
        match value {
        None => Err(xml_error(
            Some(el),
            format!("Missing required attribute '{attr}' in element 'sibling'"),
        )),
        Some(text) => parse_uip(text).ok_or_else(|| {
            xml_error(
                Some(el),
                format!(
                    "Invalid value for attribute '{attr}' in element 'sibling': '{text}'. Expected non-negative integer value"
                ),
            )
        }),
    }
    };
    for NumaSibling { el, id, value } in siblings {
        let id = number(*el, "id", id)?;
        if id as usize >= n {
            return Err(xml_error(
                Some(*el),
                format!(
                    "'sibling_id {id}' does not refer to a valid cell within NUMA 'cell id {cur}'"
                ),
            ));
        }
        let value = number(*el, "value", value)?;
        let own = id as usize == cur;
        if !(LOCAL_DISTANCE..=UNREACHABLE).contains(&value) || own != (value == LOCAL_DISTANCE) {
            return Err(xml_error(
                Some(*el),
                format!(
                    "'value {value}' is invalid for 'sibling id {id}' under NUMA 'cell id {cur}'"
                ),
            ));
        }
    }
    Ok(())
}

/// `virStrToLong_uip` in base 10: C `strtoul` (leading white space, an optional `+`), the
/// whole text consumed, no minus sign, within `unsigned int`.
pub(crate) fn parse_uip(s: &str) -> Option<u32> {
    let s = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn on_off(
    el: crate::xml::ElemId,
    attr: &str,
    element: &str,
    value: &Option<String>,
) -> Result<(), LibvirtError> {
    match value.as_deref() {
        None | Some("on" | "off") => Ok(()),
        Some(v) => Err(invalid_value(Some(el), attr, element, v)),
    }
}

fn parse_features(dom: &Domain, rules: Rules) -> Result<(), LibvirtError> {
    let f = &dom.features;
    for (el, name) in &f.names {
        if !DOMAIN_FEATURES.contains(&name.as_str()) || !rules.domain_feature(name) {
            return Err(unsupported(
                Stage::Parse,
                Some(*el),
                format!("unexpected feature '{name}'"),
            ));
        }
    }
    if let Some((el, v)) = &f.apic_eoi {
        on_off(*el, "eoi", "apic", v)?;
    }
    if let Some((el, v)) = &f.pvspinlock {
        on_off(*el, "state", "pvspinlock", v)?;
    }
    if let Some((el, v)) = &f.pmu {
        on_off(*el, "state", "pmu", v)?;
    }
    if let Some(h) = &f.hyperv {
        parse_hyperv(h, rules)?;
    }
    if let Some(kvm) = &f.kvm {
        for t in kvm {
            if !KVM.contains(&t.name.as_str()) {
                return Err(unsupported(
                    Stage::Parse,
                    Some(t.el),
                    format!("unsupported KVM feature: {}", t.name),
                ));
            }
            state_of(t)?;
            if t.name == "dirty-ring" && t.state.as_deref() == Some("on") {
                let size = t.extra("size").ok_or_else(|| {
                    xml_error(
                        Some(t.el),
                        "Missing required attribute 'size' in element 'dirty-ring'",
                    )
                })?;
                let ok = size
                    .parse::<u32>()
                    .is_ok_and(|n| n.is_power_of_two() && (1024..=65536).contains(&n));
                if !ok {
                    return Err(xml_error(
                        Some(t.el),
                        "dirty ring must be power of 2 and ranges [1024, 65536]",
                    ));
                }
            }
        }
    }
    Ok(())
}

fn state_of(t: &Toggle) -> Result<bool, LibvirtError> {
    match t.state.as_deref() {
        None => Err(xml_error(
            Some(t.el),
            format!("Missing required attribute 'state' in element '{}'", t.name),
        )),
        Some("on") => Ok(true),
        Some("off") => Ok(false),
        Some(v) => Err(invalid_value(Some(t.el), "state", &t.name, v)),
    }
}

/// Parses an unsigned 32-bit number with C's base detection (`0x` hex, leading `0` octal).
pub(crate) fn parse_c_uint(s: &str) -> Option<u32> {
    let s = s.trim_start();
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(hex, 16).ok()
    } else if s.len() > 1 && s.starts_with('0') {
        u32::from_str_radix(&s[1..], 8).ok()
    } else {
        s.parse().ok()
    }
}

/// `virDomainFeaturesHyperVDefParse`: `<hyperv>`'s mode, then each enlightenment — a known
/// name, a valid state, and for those switched on the values they carry
/// ([`parse_hyperv_values`]).
fn parse_hyperv(h: &Hyperv, rules: Rules) -> Result<(), LibvirtError> {
    if !one_of(&h.mode, &["custom", "passthrough"]) {
        return Err(invalid_value(
            Some(h.el),
            "mode",
            "hyperv",
            h.mode.as_deref().unwrap_or_default(),
        ));
    }
    if hyperv_children_ignored(h, rules) {
        return Ok(());
    }
    for t in &h.children {
        if !hyperv_names(rules).contains(&t.name.as_str()) {
            return Err(unsupported(
                Stage::Parse,
                Some(t.el),
                format!("unsupported HyperV Enlightenment feature: {}", t.name),
            ));
        }
        if !state_of(t)? {
            continue;
        }
        parse_hyperv_values(t, rules)?;
    }
    Ok(())
}

/// What an enlightenment switched on carries: `spinlocks`' retry count, `vendor_id`'s value,
/// and the child switches of `stimer` (`<direct>`) and, since libvirt 11.0.0, `tlbflush`.
fn parse_hyperv_values(t: &Toggle, rules: Rules) -> Result<(), LibvirtError> {
    match t.name.as_str() {
        "spinlocks" => {
            let retries = t.extra("retries").ok_or_else(|| {
                xml_error(
                    Some(t.el),
                    "Missing required attribute 'retries' in element 'spinlocks'",
                )
            })?;
            let n = parse_c_uint(retries).ok_or_else(|| {
                xml_error(Some(t.el), format!("Invalid value for attribute 'retries' in element 'spinlocks': '{retries}'. Expected non-negative integer value"))
            })?;
            if n < 4095 {
                return Err(xml_error(
                    Some(t.el),
                    "HyperV spinlock retry count must be at least 4095",
                ));
            }
        }
        "vendor_id" => {
            let value = t.extra("value").ok_or_else(|| {
                xml_error(
                    Some(t.el),
                    "missing 'value' attribute for HyperV feature 'vendor_id'",
                )
            })?;
            if value.len() > 12 {
                return Err(xml_error(
                    Some(t.el),
                    "HyperV vendor_id value must not be more than 12 characters.",
                ));
            }
            if value.contains(',') {
                return Err(xml_error(Some(t.el), "HyperV vendor_id value is invalid"));
            }
        }
        // libvirt 11.0.0 (`virDomainFeaturesHyperVDefParse`): `<direct>` and `<extended>`.
        "tlbflush" if rules.since(release::HYPERV_TLBFLUSH_EXT) => {
            parse_hyperv_children(t, &["direct", "extended"])?;
        }
        "stimer" => parse_hyperv_children(t, &["direct"])?,
        _ => {}
    }
    Ok(())
}

/// The child switches of an enlightenment (`<stimer><direct state='on'/></stimer>`): each one
/// of `allowed`, with a valid state.
fn parse_hyperv_children(t: &Toggle, allowed: &[&str]) -> Result<(), LibvirtError> {
    for c in &t.children {
        if !allowed.contains(&c.name.as_str()) {
            return Err(unsupported(
                Stage::Parse,
                Some(c.el),
                format!("unsupported Hyper-V {} feature: {}", t.name, c.name),
            ));
        }
        state_of(c)?;
    }
    Ok(())
}

/// libvirt 11.0.0 ([`release::HYPERV_PASSTHROUGH_ONLY`], `virDomainFeaturesHyperVDefParse`):
/// with `mode='passthrough'` the enlightenments are not read at all.
pub(crate) fn hyperv_children_ignored(h: &Hyperv, rules: Rules) -> bool {
    h.mode.as_deref() == Some("passthrough") && rules.since(release::HYPERV_PASSTHROUGH_ONLY)
}

fn parse_timer(t: &Timer) -> Result<(), LibvirtError> {
    let el = Some(t.el);
    let name = t.name.as_deref().unwrap_or_default();
    if !TIMERS.contains(&name) {
        return Err(xml_error(el, format!("unknown timer name '{name}'")));
    }
    if let Some(p) = &t.present
        && p != "yes"
        && p != "no"
    {
        return Err(invalid_value(el, "present", "timer", p));
    }
    if let Some(f) = &t.frequency
        && f.parse::<u64>().is_err()
    {
        return Err(xml_error(
            el,
            format!(
                "Invalid value for attribute 'frequency' in element 'timer': '{f}'. Expected integer value"
            ),
        ));
    }
    // Post-parse (virDomainDefPostParseTimer).
    if matches!(name, "kvmclock" | "hypervclock") && t.tickpolicy.is_some() {
        return Err(unsupported(
            Stage::Define,
            el,
            format!("timer {name} doesn't support setting of timer tickpolicy"),
        ));
    }
    if name != "tsc" && t.frequency.is_some() {
        return Err(unsupported(
            Stage::Define,
            el,
            format!("timer {name} doesn't support setting of timer frequency"),
        ));
    }
    if t.has_catchup && t.tickpolicy.as_deref() != Some("catchup") {
        return Err(LibvirtError::new(
            Stage::Define,
            el,
            "XML error: setting of timer catchup policies is only supported with tickpolicy='catchup'",
        ));
    }
    Ok(())
}

/// QEMU driver validation (`qemuValidateDomainDef*`) of what reaches `-cpu`, in libvirt's order:
/// the CPU (`qemuValidateDomainDefCpu`), the timers (`qemuValidateDomainDefClockTimers`), the
/// vCPU topology.
pub(crate) fn validate(
    dom: &Domain,
    caps: &QemuCaps,
    machine: &str,
    rules: Rules,
) -> Result<(), LibvirtError> {
    if let Some(cpu) = &dom.cpu {
        validate_cpu(cpu, caps, rules)?;
    }
    validate_timers(dom, machine)?;
    validate_vcpu_topology(dom, rules)
}

/// `qemuValidateDomainDefCpu`: `<maxphysaddr>`, `<cache>`, then what the QEMU binary must
/// support for the mode (`migratable='on'` with `host-passthrough`, `maximum`).
fn validate_cpu(cpu: &CpuDef, caps: &QemuCaps, rules: Rules) -> Result<(), LibvirtError> {
    if let Some(addr) = &cpu.maxphysaddr {
        validate_maxphysaddr(addr, caps, rules)?;
    }
    if let Some(cache) = cpu.caches.first() {
        validate_cache(cache, passthrough_like(cpu))?;
    }
    let mode = mode_of(cpu);
    if mode == "host-passthrough" && cpu.migratable.as_deref() == Some("on") && !caps.cpu_migratable
    {
        return Err(unsupported(
            Stage::Define,
            Some(cpu.el),
            "Migratable attribute for host-passthrough CPU is not supported by this QEMU binary",
        ));
    }
    if mode == "maximum" && !caps.cpu_max {
        return Err(unsupported(
            Stage::Define,
            Some(cpu.el),
            "maximum CPU is not supported by QEMU binary",
        ));
    }
    Ok(())
}

/// `<maxphysaddr>` for QEMU: no `bits` with `passthrough`; before libvirt 9.3.0, `bits` required
/// with `emulate`; with `emulate`, no more bits than the host CPU has (libvirt's own host, at
/// define and at start; checked when the host's width is known, [`host_phys_bits`]).
fn validate_maxphysaddr(
    addr: &MaxPhysAddr,
    caps: &QemuCaps,
    rules: Rules,
) -> Result<(), LibvirtError> {
    if addr.mode.as_deref() == Some("emulate")
        && let Some(bits) = addr.bits.as_deref().and_then(|b| b.parse::<u32>().ok())
        && let Some(host) = host_phys_bits(caps)
        && bits > host
    {
        return Err(unsupported(
            Stage::Define,
            Some(addr.el),
            "The number of virtual CPU address bits cannot exceed the number supported by the host CPU",
        ));
    }
    match addr.mode.as_deref() {
        Some("passthrough") if addr.bits.is_some() => Err(unsupported(
            Stage::Define,
            Some(addr.el),
            "CPU maximum physical address bits number specification cannot be used with mode='passthrough'",
        )),
        // libvirt 9.3.0 accepts emulate without bits (`host-phys-bits=off`).
        Some("emulate") if addr.bits.is_none() && !rules.since(release::PHYS_ADDR_LIMIT) => {
            Err(unsupported(
                Stage::Define,
                Some(addr.el),
                "if using CPU maximum physical address mode='emulate', bits= must be specified too",
            ))
        }
        _ => Ok(()),
    }
}

/// The host CPU's physical address width, when the host given says it (`virsh capabilities`,
/// or libvirt 11.x's domcapabilities).
fn host_phys_bits(caps: &QemuCaps) -> Option<u32> {
    caps.domcaps.as_ref()?.phys_bits.map(|p| p.bits)
}

/// `<cache>` for QEMU: `emulate` only at level 3, `passthrough` only in the passthrough-like
/// modes (`passthrough_like`), and neither `passthrough` nor `disable` with a level.
fn validate_cache(cache: &Cache, passthrough_like: bool) -> Result<(), LibvirtError> {
    match cache.mode.as_deref() {
        Some("emulate") if cache.level.as_deref() != Some("3") => Err(unsupported(
            Stage::Define,
            Some(cache.el),
            "CPU cache mode 'emulate' can only be used with level='3'",
        )),
        Some("passthrough") if !passthrough_like => Err(unsupported(
            Stage::Define,
            Some(cache.el),
            "CPU cache mode 'passthrough' can only be used with 'host-passthrough' / 'maximum' CPUs",
        )),
        Some(m @ ("passthrough" | "disable")) if cache.level.is_some() => Err(unsupported(
            Stage::Define,
            Some(cache.el),
            format!("unsupported CPU cache level for mode '{m}'"),
        )),
        _ => Ok(()),
    }
}

/// `qemuValidateDomainDefClockTimers`, the part that concerns x86: `platform` is refused, and
/// `armvtimer` is for Arm guests.
fn validate_timers(dom: &Domain, machine: &str) -> Result<(), LibvirtError> {
    for t in &dom.timers {
        match t.name.as_deref() {
            Some("platform") => {
                return Err(unsupported(
                    Stage::Define,
                    Some(t.el),
                    "unsupported timer type (name) 'platform'",
                ));
            }
            Some("armvtimer") => {
                return Err(unsupported(
                    Stage::Define,
                    Some(t.el),
                    format!(
                        "Configuring the 'armvtimer' timer is not supported for virtType={} arch={} machine={machine} guests",
                        dom.virt_type,
                        dom.guest_arch()
                    ),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// `qemuValidateDomainVCpuTopology` (after the timers in `qemuValidateDomainDef`): with a
/// `<topology>`, its vCPU count must be `<vcpu>`'s. Its other rules do not reach a domain here:
/// no online vCPU is refused earlier (vCPU 0 offline), the hotplug granularity is one vCPU on
/// x86; the machine type's CPU limit and the 255-vCPU limit without an EIM IOMMU are not
/// followed (virt-cpu has no machine type limits).
fn validate_vcpu_topology(dom: &Domain, rules: Rules) -> Result<(), LibvirtError> {
    let Some(cpu) = &dom.cpu else { return Ok(()) };
    let Some(product) = topology(cpu, rules)? else {
        return Ok(());
    };
    let el = cpu.topology.as_ref().map(|t| t.el);
    if product > u64::from(u32::MAX) {
        return Err(unsupported(
            Stage::Define,
            el,
            format!("cpu topology results in more than {} cpus", u32::MAX),
        ));
    }
    let (max, _) = vcpus(dom)?;
    if product != u64::from(max) {
        return Err(unsupported(
            Stage::Define,
            el,
            "CPU topology doesn't match maximum vcpu count",
        ));
    }
    Ok(())
}

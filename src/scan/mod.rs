//! Every domain of every host: its `-cpu` as that host's libvirt and QEMU build it, where it
//! comes from, its taints and problems, and on which of the hosts scanned it can start.
//!
//! Per host, in parallel (each virsh call bounded by [`crate::host::process::timeout`]):
//! 1. one virsh for the daemon's versions and the domains' UUIDs (`version --daemon`, `list
//!    --all --uuid`); the versions choose that host's catalog ([`crate::catalog::select`]);
//! 2. one virsh for every domain's state and persistent definition (`domstate`, `dumpxml
//!    --inactive`, [`batch`]), in chunks of [`CHUNK`] domains;
//! 3. once every host has answered: one virsh for the domain capabilities each host needs
//!    (its own domains' virt type, arch and machine; the other hosts' domains' virt type and
//!    arch) and `capabilities` (machine types, KVM, the CPUID host CPU).
//!
//! Then each domain goes through the engine once per host that answered: [`check::check`]
//! with that host's catalog and capabilities. On its own host that is its report (value,
//! taints, diagnostics); on every host it says whether libvirt would start it there (no error)
//! and with which `-cpu`. A host that fails is a [`HostScan`] with its error; the others come
//! all the same.

pub mod batch;
pub mod pool;
pub mod upgrade;

pub use upgrade::Upgrade;

use crate::argv::{QemuCaps, Reading, Source};
use crate::catalog::Catalog;
use crate::catalog::select::{self, Daemon};
use crate::catalog::versions::{Followed, Version};
use crate::check::{self, Diagnostic, Severity, Taint};
use crate::host::{DomCaps, HostCapabilities, HostError, Runner};
use crate::store::{self, Loaded, Origin};
use crate::xml::Document;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Instant;

/// Domains per virsh process for their definitions (one argument of virsh's; about 100 bytes
/// each).
pub const CHUNK: usize = 250;

/// What a scan follows besides each daemon's own versions.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--libvirt` / `--qemu` / `--catalog`: every host then follows these (a note says when a
    /// daemon runs another release).
    pub libvirt: Option<Version>,
    pub qemu: Option<Version>,
    pub catalog: Option<PathBuf>,
    pub reading: Reading,
    /// `--to-libvirt` / `--to-qemu`: also judge each domain on its own host as that release
    /// would, newer or older ([`upgrade`]).
    pub upgrade: Option<(Option<Version>, Option<Version>)>,
}

/// The whole answer.
#[derive(Debug, Clone, Serialize)]
pub struct Scan {
    pub hosts: Vec<HostScan>,
    pub domains: Vec<DomainScan>,
    /// The versions of the upgrade check, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade_to: Option<Followed>,
    /// Per virt type and arch of the domains: the models every host that answered runs.
    pub pools: Vec<pool::Pool>,
}

/// One host: who it is, what it runs, or why it gave no answer.
#[derive(Debug, Clone, Serialize)]
pub struct HostScan {
    pub uri: String,
    /// A short name for tables: the URI's host name, else `#N` (its place on the command line).
    pub label: String,
    /// The daemon's libvirt and the QEMU it runs (`virsh version --daemon`).
    pub libvirt: Option<Version>,
    pub qemu: Option<Version>,
    /// The catalog the answers for this host follow.
    pub follows: Option<Followed>,
    /// Why this host gave no (or no complete) answer.
    pub error: Option<String>,
    pub domains: usize,
    /// Wall time of this host's queries, in seconds.
    pub seconds: f64,
}

/// One domain on its host.
#[derive(Debug, Clone, Serialize)]
pub struct DomainScan {
    /// The URI of the host that holds it.
    pub host: String,
    pub name: String,
    pub uuid: String,
    /// `virsh domstate`: `running`, `shut off`, `paused`, …
    pub state: String,
    /// Why the definition could not be judged (not x86, vanished meanwhile, …).
    pub error: Option<String>,
    /// What decides the `-cpu`: `cpu`, `qemu:cpu` or `qemu:commandline`.
    pub source: Option<&'static str>,
    /// `<cpu mode=…>` (custom when the element gives none), when there is a `<cpu>`.
    pub mode: Option<String>,
    /// The QEMU model of the `-cpu` value (its first item).
    pub model: Option<String>,
    /// The `-cpu` value on its own host.
    pub value: Option<String>,
    pub taints: Vec<Taint>,
    pub errors: usize,
    pub warnings: usize,
    pub diagnostics: Vec<Diagnostic>,
    /// For every host scanned (in the command line's order), whether it can start there.
    pub placements: Vec<Placement>,
    /// What the upgrade asked for does to it (on its own host), when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<Upgrade>,
    /// The model every host runs that is closest to its CPU (see [`pool::move_to`]); `None`
    /// when its CPU is the host's (`host-passthrough`, `max`) or unknown.
    pub move_to: Option<pool::MoveTo>,
    /// No model to move to because every model every host runs is 32-bit only and the guest is
    /// x86_64 ([`pool::Pool::only_32bit_for_64bit_guests`]).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub only_32bit_pool: bool,
}

/// Whether a domain can start on one host.
#[derive(Debug, Clone, Serialize)]
pub struct Placement {
    pub host: String,
    /// `None`: unknown (the host gave no answer).
    pub starts: Option<bool>,
    /// The `-cpu` it gets there.
    pub value: Option<String>,
    /// Why it does not start there (the errors libvirt or QEMU would give).
    pub reasons: Vec<String>,
    /// Features of its CPU that host lacks, when it still starts (QEMU drops them or warns).
    pub lacks: Vec<String>,
}

impl Scan {
    /// Domains with an error on their own host (or that could not be read).
    pub fn with_errors(&self) -> usize {
        self.domains
            .iter()
            .filter(|d| d.errors > 0 || d.error.is_some())
            .count()
    }

    pub fn failed_hosts(&self) -> usize {
        self.hosts.iter().filter(|h| h.error.is_some()).count()
    }
}

/// A domain as read from its host.
struct Fetched {
    uuid: String,
    name: String,
    state: String,
    loaded: Result<Loaded, String>,
}

/// What phase 1 learnt of a host.
struct Reached {
    daemon: Daemon,
    selected: Result<select::Selected, String>,
    domains: Vec<Fetched>,
}

/// The domain capabilities a host is asked for: virt type, arch, machine (`None`: the default).
type CapsKey = (String, String, Option<String>);

/// What phase 2 learnt of a host.
#[derive(Default)]
struct Facts {
    caps: BTreeMap<CapsKey, Result<DomCaps, String>>,
    host: Option<HostCapabilities>,
    /// Per guest arch: the machine types (names and canonical names) and virt types offered.
    guests: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>,
    /// Why `virsh capabilities` gave nothing, when it did not.
    error: Option<String>,
}

/// Scans every host at `uris`.
pub fn scan(runner: &(dyn Runner + Sync), uris: &[String], opts: &Options) -> Scan {
    let labels = labels(uris);
    // Phase 1: versions, domains, definitions.
    let reached = reach_all(runner, uris, opts);
    // Phase 2: what each host must be asked.
    let all_keys = guest_kinds(&reached);
    let facts = facts_all(runner, uris, &reached, &all_keys);
    let upgrade = opts.upgrade.map(|(libvirt, qemu)| {
        select::select(&select::Request {
            libvirt,
            qemu,
            ..select::Request::default()
        })
        .map_err(|e| e.to_string())
    });
    // The pools: every host that answered, for each virt type and arch of the domains.
    let pools = pools_of(&all_keys, &reached, &facts);
    // Phase 3: the engine, per host's domains, in parallel.
    let judged: Vec<Vec<DomainScan>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..uris.len())
            .map(|i| {
                let (reached, facts, upgrade, pools) = (&reached, &facts, &upgrade, &pools);
                s.spawn(move || judge_host(i, uris, reached, facts, upgrade.as_ref(), pools, opts))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let hosts = host_scans(uris, &labels, &reached, &facts);
    Scan {
        hosts,
        domains: judged.into_iter().flatten().collect(),
        upgrade_to: upgrade.and_then(|u| u.ok()).map(|s| s.follows),
        pools,
    }
}

/// Phase 1 on every host at once: versions, domains, definitions, each with its time.
fn reach_all(
    runner: &(dyn Runner + Sync),
    uris: &[String],
    opts: &Options,
) -> Vec<(Result<Reached, String>, f64)> {
    std::thread::scope(|s| {
        let handles: Vec<_> = uris
            .iter()
            .map(|uri| {
                s.spawn(move || {
                    let start = Instant::now();
                    let r = reach(runner, uri, opts);
                    (r, start.elapsed().as_secs_f64())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| (Err("panicked".into()), 0.0)))
            .collect()
    })
}

/// Every (virt type, arch) among the domains of every host.
fn guest_kinds(reached: &[(Result<Reached, String>, f64)]) -> BTreeSet<(String, String)> {
    let mut all_keys: BTreeSet<(String, String)> = BTreeSet::new();
    for (r, _) in reached {
        for d in r.iter().flat_map(|r| &r.domains) {
            if let Ok(l) = &d.loaded {
                all_keys.insert((l.domain.virt_type.clone(), l.domain.guest_arch().into()));
            }
        }
    }
    all_keys
}

/// Phase 2 on every host at once: the capabilities its domains and the pools need.
fn facts_all(
    runner: &(dyn Runner + Sync),
    uris: &[String],
    reached: &[(Result<Reached, String>, f64)],
    all_keys: &BTreeSet<(String, String)>,
) -> Vec<(Facts, f64)> {
    std::thread::scope(|s| {
        let handles: Vec<_> = uris
            .iter()
            .zip(reached)
            .map(|(uri, (r, _))| {
                s.spawn(move || {
                    let start = Instant::now();
                    let Ok(r) = r else {
                        return (Facts::default(), 0.0);
                    };
                    let mut keys: BTreeSet<CapsKey> = all_keys
                        .iter()
                        .map(|(v, a)| (v.clone(), a.clone(), None))
                        .collect();
                    for d in &r.domains {
                        if let Ok(l) = &d.loaded {
                            keys.insert(key_of(&l.domain));
                        }
                    }
                    let f = facts(runner, uri, &keys);
                    (f, start.elapsed().as_secs_f64())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| (Facts::default(), 0.0)))
            .collect()
    })
}

/// For each virt type and arch, the models every host that answered runs.
fn pools_of(
    all_keys: &BTreeSet<(String, String)>,
    reached: &[(Result<Reached, String>, f64)],
    facts: &[(Facts, f64)],
) -> Vec<pool::Pool> {
    all_keys
        .iter()
        .map(|(virt, arch)| {
            let key = (virt.clone(), arch.clone(), None);
            let hosts: Vec<(&Catalog, DomCaps)> = reached
                .iter()
                .zip(facts)
                .filter_map(|((r, _), (f, _))| {
                    let catalog = r.as_ref().ok()?.selected.as_ref().ok()?.catalog;
                    let caps = f.caps.get(&key)?.as_ref().ok()?;
                    Some((catalog, with_phys_bits(caps, f.host.as_ref())))
                })
                .collect();
            let refs: Vec<(&Catalog, &DomCaps)> = hosts.iter().map(|(c, d)| (*c, d)).collect();
            pool::pool(virt, arch, &refs)
        })
        .collect()
}

/// The domain capabilities with the host's physical address width of `virsh capabilities`
/// (what libvirt checks `<maxphysaddr bits>` against; libvirt 9.0's domcapabilities lack it).
fn with_phys_bits(caps: &DomCaps, host: Option<&HostCapabilities>) -> DomCaps {
    let mut c = caps.clone();
    if let Some(bits) = host.and_then(|h| h.phys_bits) {
        c.phys_bits = Some(crate::host::PhysBits {
            bits,
            from: crate::host::PhysBitsSource::Capabilities,
        });
    }
    c
}

/// Each host's line of the report: versions, catalog, domain count, time or error.
fn host_scans(
    uris: &[String],
    labels: &[String],
    reached: &[(Result<Reached, String>, f64)],
    facts: &[(Facts, f64)],
) -> Vec<HostScan> {
    uris.iter()
        .enumerate()
        .map(|(i, uri)| {
            let (r, t1) = &reached[i];
            let (f, t2) = &facts[i];
            let (libvirt, qemu, follows, domains) = match r {
                Ok(r) => (
                    r.daemon.libvirt,
                    r.daemon.qemu,
                    r.selected.as_ref().ok().map(|s| s.follows.clone()),
                    r.domains.len(),
                ),
                Err(_) => (None, None, None, 0),
            };
            let error = match r {
                Err(e) => Some(e.clone()),
                Ok(r) => r.selected.as_ref().err().cloned().or(f.error.clone()),
            };
            HostScan {
                uri: uri.clone(),
                label: labels[i].clone(),
                libvirt,
                qemu,
                follows,
                error,
                domains,
                seconds: t1 + t2,
            }
        })
        .collect()
}

/// Short names for the hosts: the URI's host name when each has its own, else `#N`.
pub fn labels(uris: &[String]) -> Vec<String> {
    let hostname = |uri: &str| -> Option<String> {
        let rest = uri.split_once("://")?.1;
        let authority = rest.split(['/', '?']).next()?;
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = host.split(':').next().unwrap_or(host);
        (!host.is_empty()).then(|| host.to_string())
    };
    let names: Vec<Option<String>> = uris.iter().map(|u| hostname(u)).collect();
    names
        .iter()
        .enumerate()
        .map(|(i, n)| match n {
            Some(n) if names.iter().filter(|m| m.as_ref() == Some(n)).count() == 1 => n.clone(),
            _ => format!("#{}", i + 1),
        })
        .collect()
}

fn key_of(dom: &crate::domain::Domain) -> CapsKey {
    (
        dom.virt_type.clone(),
        dom.guest_arch().to_string(),
        dom.machine.clone(),
    )
}

/// Says a failed query of `uri` in words.
fn host_error(uri: &str, e: &HostError) -> String {
    match e {
        HostError::Failed { stderr, .. } => {
            let said = crate::host::program_message(stderr);
            format!("libvirt at {uri} did not answer: {said}")
        }
        other => format!("{uri}: {other}"),
    }
}

/// Phase 1 for one host.
fn reach(runner: &dyn Runner, uri: &str, opts: &Options) -> Result<Reached, String> {
    let words = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
    let first = batch::run(
        runner,
        uri,
        &[words("version --daemon"), words("list --all --uuid")],
    )
    .map_err(|e| host_error(uri, &e))?;
    let (libvirt, qemu) = crate::catalog::versions::parse_virsh_version(&first[0]);
    let daemon = Daemon {
        uri: uri.to_string(),
        libvirt,
        qemu,
    };
    let selected = select::select(&select::Request {
        libvirt: opts.libvirt,
        qemu: opts.qemu,
        catalog: opts.catalog.as_deref(),
        daemon: Some(daemon.clone()),
        ..select::Request::default()
    })
    .map_err(|e| format!("{uri}: {e}"));
    let uuids: Vec<&str> = first[1]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if let Some(bad) = uuids.iter().find(|u| !batch::plain(u)) {
        return Err(format!(
            "{uri}: `virsh list --uuid` gave {bad:?}, not a UUID"
        ));
    }
    let mut domains = Vec::with_capacity(uuids.len());
    for chunk in uuids.chunks(CHUNK) {
        let commands: Vec<Vec<String>> = chunk
            .iter()
            .flat_map(|u| {
                [
                    vec!["domstate".to_string(), u.to_string()],
                    vec!["dumpxml".into(), "--inactive".into(), u.to_string()],
                ]
            })
            .collect();
        let out = batch::run(runner, uri, &commands).map_err(|e| host_error(uri, &e))?;
        for (i, uuid) in chunk.iter().enumerate() {
            domains.push(fetched(uuid, &out[2 * i], &out[2 * i + 1]));
        }
    }
    Ok(Reached {
        daemon,
        selected,
        domains,
    })
}

/// A domain from its `domstate` and `dumpxml` output.
fn fetched(uuid: &str, state: &str, xml: &str) -> Fetched {
    let state = state.trim().to_string();
    let xml = xml.trim_end();
    if xml.is_empty() {
        return Fetched {
            uuid: uuid.into(),
            name: uuid.into(),
            state,
            loaded: Err("its definition could not be read (undefined during the scan?)".into()),
        };
    }
    let bytes = format!("{xml}\n").into_bytes();
    let name = Document::parse(&bytes)
        .ok()
        .and_then(|d| d.plain_child(d.root(), "name").map(|n| d.text(n)))
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| uuid.to_string());
    let loaded = store::load::from_bytes(
        bytes,
        &format!("domain {name}"),
        Origin::Libvirt { name: name.clone() },
    )
    .map_err(|e| e.to_string());
    Fetched {
        uuid: uuid.into(),
        name,
        state,
        loaded,
    }
}

/// Phase 2 for one host: its domain capabilities for `keys`, and `virsh capabilities`.
fn facts(runner: &dyn Runner, uri: &str, keys: &BTreeSet<CapsKey>) -> Facts {
    let mut facts = Facts::default();
    let args = |k: &CapsKey| {
        let mut a = vec![
            "domcapabilities".to_string(),
            "--virttype".into(),
            k.0.clone(),
            "--arch".into(),
            k.1.clone(),
        ];
        if let Some(m) = &k.2 {
            a.extend(["--machine".into(), m.clone()]);
        }
        a
    };
    let (together, alone): (Vec<&CapsKey>, Vec<&CapsKey>) = keys
        .iter()
        .partition(|k| args(k).iter().all(|w| batch::plain(w)));
    let mut commands: Vec<Vec<String>> = together.iter().map(|k| args(k)).collect();
    commands.push(vec!["capabilities".into()]);
    let out = match batch::run(runner, uri, &commands) {
        Ok(out) => out,
        Err(e) => {
            facts.error = Some(host_error(uri, &e));
            return facts;
        }
    };
    let origin = |k: &CapsKey| format!("virsh -c {uri} {}", args(k).join(" "));
    // A failed query leaves its section empty: asked again alone, it says why.
    let alone_query = |k: &CapsKey| -> Result<DomCaps, String> {
        let a = args(k);
        let a: Vec<&str> = a.iter().skip(1).map(String::as_str).collect();
        DomCaps::from_virsh_query(runner, Some(uri), &a).map_err(|e| e.to_string())
    };
    for (k, text) in together.iter().zip(&out) {
        let caps = if text.trim().is_empty() {
            alone_query(k)
        } else {
            DomCaps::parse(text, &origin(k)).map_err(|e| e.to_string())
        };
        facts.caps.insert((*k).clone(), caps);
    }
    for k in alone {
        facts.caps.insert(k.clone(), alone_query(k));
    }
    let capabilities = out.last().map(String::as_str).unwrap_or_default();
    if let Ok(host) =
        DomCaps::parse_capabilities(capabilities, &format!("virsh -c {uri} capabilities"))
    {
        facts.host = Some(host);
    }
    facts.guests = guests(capabilities);
    facts
}

/// Per guest arch of `virsh capabilities`: machine types and virt types.
fn guests(xml: &str) -> BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> {
    let mut out: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let Ok(doc) = Document::parse(xml.as_bytes()) else {
        return out;
    };
    for guest in doc.plain_children(doc.root(), "guest") {
        for arch in doc.plain_children(guest, "arch") {
            let Some(name) = doc.attr_value(arch, "name") else {
                continue;
            };
            let entry = out.entry(name).or_default();
            for m in doc.plain_children(arch, "machine") {
                entry.0.insert(doc.text(m).trim().to_string());
                if let Some(c) = doc.attr_value(m, "canonical") {
                    entry.0.insert(c);
                }
            }
            for d in doc.plain_children(arch, "domain") {
                if let Some(t) = doc.attr_value(d, "type") {
                    entry.1.insert(t);
                }
            }
        }
    }
    out
}

/// The engine's report on `loaded` for one host: its catalog and its capabilities for the domain
/// (with the CPUID host CPU and TSC where libvirt compares with them, as
/// [`DomCaps::for_domain`] does).
fn report(
    loaded: &Loaded,
    catalog: &Catalog,
    caps: Option<&DomCaps>,
    host: Option<&HostCapabilities>,
    reading: Reading,
) -> check::Report {
    let dom = &loaded.domain;
    let mut qemu_caps = QemuCaps::from_catalog(dom, catalog);
    if let Some(dc) = caps {
        let sets_tsc = dom.timers.iter().any(|t| {
            t.name.as_deref() == Some("tsc") && t.frequency.as_deref().is_some_and(|f| f != "0")
        });
        let sets_phys_bits = dom
            .cpu
            .as_ref()
            .and_then(|c| c.maxphysaddr.as_ref())
            .is_some_and(|a| a.bits.is_some());
        let with_cpuid;
        let dc = match host {
            Some(h) if dc.is_kvm() || sets_tsc || sets_phys_bits => {
                let mut c = with_phys_bits(dc, Some(h));
                c.host_cpu = h.cpu.clone();
                c.host_tsc = h.tsc;
                with_cpuid = c;
                &with_cpuid
            }
            _ => dc,
        };
        qemu_caps = qemu_caps.with_host(dc);
    }
    check::check(&loaded.doc, dom, &qemu_caps, catalog, reading)
}

/// Codes that say the host lacks part of the CPU (a warning unless `enforce=on`).
const LACKS: &[&str] = &[
    "model-unusable-on-host",
    "host-lacks-feature",
    "nested-host-lacks",
];

fn errors_of(r: &check::Report) -> Vec<String> {
    r.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.message.clone())
        .collect()
}

/// Whether and how `loaded` starts on host `g`.
fn place(
    loaded: &Loaded,
    own: bool,
    uri: &str,
    reached: &Result<Reached, String>,
    facts: &Facts,
    reading: Reading,
) -> (Placement, Option<check::Report>) {
    let mut p = Placement {
        host: uri.to_string(),
        starts: None,
        value: None,
        reasons: Vec::new(),
        lacks: Vec::new(),
    };
    let Ok(reached) = reached else {
        return (p, None);
    };
    let Ok(selected) = &reached.selected else {
        return (p, None);
    };
    let dom = &loaded.domain;
    let key = if own {
        key_of(dom)
    } else {
        (dom.virt_type.clone(), dom.guest_arch().to_string(), None)
    };
    let arch = dom.guest_arch();
    if let Some((machines, types)) = facts.guests.get(arch) {
        if !types.contains(&dom.virt_type) {
            p.reasons.push(format!(
                "this host offers no {} guests of arch {arch} (type='{}')",
                if dom.virt_type == "kvm" {
                    "KVM"
                } else {
                    &dom.virt_type
                },
                dom.virt_type
            ));
        }
        if let Some(m) = dom.machine.as_deref().filter(|m| !machines.contains(*m)) {
            p.reasons
                .push(format!("QEMU on this host has no machine type '{m}'"));
        }
    } else if !facts.guests.is_empty() {
        p.reasons
            .push(format!("this host runs no guests of arch {arch}"));
    }
    let caps = match facts.caps.get(&key) {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            if p.reasons.is_empty() {
                p.reasons.push(e.clone());
            }
            None
        }
        None => None,
    };
    let r = report(loaded, selected.catalog, caps, facts.host.as_ref(), reading);
    p.value = r.arg.value.clone();
    p.reasons.extend(errors_of(&r));
    p.lacks = r
        .diagnostics
        .iter()
        .filter(|d| d.severity != Severity::Error && LACKS.contains(&d.code))
        .map(|d| d.message.clone())
        .collect();
    p.starts = Some(p.reasons.is_empty() && caps.is_some());
    (p, Some(r))
}

/// Phase 3 for the domains of host `i`.
fn judge_host(
    i: usize,
    uris: &[String],
    reached: &[(Result<Reached, String>, f64)],
    facts: &[(Facts, f64)],
    upgrade: Option<&Result<select::Selected, String>>,
    pools: &[pool::Pool],
    opts: &Options,
) -> Vec<DomainScan> {
    let Ok(own) = &reached[i].0 else {
        return Vec::new();
    };
    let host = Host {
        i,
        uris,
        reached,
        facts,
        own,
    };
    own.domains
        .iter()
        .map(|d| judge_domain(&host, d, upgrade, pools, opts))
        .collect()
}

/// Host `i` of the scan, with what was learnt of every host.
struct Host<'a> {
    i: usize,
    uris: &'a [String],
    reached: &'a [(Result<Reached, String>, f64)],
    facts: &'a [(Facts, f64)],
    own: &'a Reached,
}

/// One domain of a host: its `-cpu`, source, problems, where it starts, and, when asked, what
/// an upgrade changes and the pool model closest to its CPU.
fn judge_domain(
    h: &Host,
    d: &Fetched,
    upgrade: Option<&Result<select::Selected, String>>,
    pools: &[pool::Pool],
    opts: &Options,
) -> DomainScan {
    let Host {
        i,
        uris,
        reached,
        facts,
        own,
    } = *h;
    let mut out = DomainScan {
        host: uris[i].clone(),
        name: d.name.clone(),
        uuid: d.uuid.clone(),
        state: d.state.clone(),
        error: None,
        source: None,
        mode: None,
        model: None,
        value: None,
        taints: Vec::new(),
        errors: 0,
        warnings: 0,
        diagnostics: Vec::new(),
        placements: Vec::new(),
        upgrade: None,
        move_to: None,
        only_32bit_pool: false,
    };
    let loaded = match &d.loaded {
        Ok(l) => l,
        Err(e) => {
            out.error = Some(e.clone());
            return out;
        }
    };
    let dom = &loaded.domain;
    out.mode = dom
        .cpu
        .as_ref()
        .map(|c| c.mode.clone().unwrap_or_else(|| "custom".into()));
    let mut own_report = None;
    for (g, uri) in uris.iter().enumerate() {
        let (p, r) = place(
            loaded,
            g == i,
            uri,
            &reached[g].0,
            &facts[g].0,
            opts.reading,
        );
        if g == i {
            own_report = r;
        }
        out.placements.push(p);
    }
    let Some(r) = own_report else {
        out.error = own.selected.as_ref().err().cloned();
        return out;
    };
    out.source = Some(match r.arg.source {
        Source::Libvirt => "cpu",
        Source::QemuCpu => "qemu:cpu",
        Source::Commandline => "qemu:commandline",
    });
    out.value = r.arg.value.clone();
    out.model = out
        .value
        .as_deref()
        .and_then(|v| v.split(',').next())
        .filter(|m| !m.is_empty())
        .map(str::to_string);
    out.errors = r
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    out.warnings = r
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    out.taints = r.taints.clone();
    if let Some(Ok(target)) = upgrade {
        let now = own.selected.as_ref().ok();
        out.upgrade = Some(upgrade::after(
            loaded,
            &r,
            now,
            target,
            &facts[i].0,
            opts.reading,
        ));
    }
    if let (Some(v), Ok(selected)) = (&out.value, &own.selected) {
        out.move_to = move_to_of(dom, v, selected, &facts[i].0, pools);
        out.only_32bit_pool = out.move_to.is_none()
            && pools.iter().any(|p| {
                p.virt_type == dom.virt_type
                    && p.arch == dom.guest_arch()
                    && p.only_32bit_for_64bit_guests()
            });
    }
    out.diagnostics = r.diagnostics;
    out
}

/// The pool model closest to what the guest really gets: its CPU's features its own host has
/// (QEMU drops the others).
fn move_to_of(
    dom: &crate::domain::Domain,
    value: &str,
    selected: &select::Selected,
    facts: &Facts,
    pools: &[pool::Pool],
) -> Option<pool::MoveTo> {
    let pool = pools
        .iter()
        .find(|p| p.virt_type == dom.virt_type && p.arch == dom.guest_arch());
    let host = facts.caps.get(&key_of(dom)).and_then(|c| c.as_ref().ok());
    let uses = pool::guest_uses(value, selected.catalog, dom.virt_type != "kvm", host);
    pool.zip(uses).and_then(|(p, uses)| pool::move_to(p, &uses))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_named_by_their_host_name_when_it_is_their_own() {
        let uris = [
            "qemu+ssh://root@node1:22/system",
            "qemu+tls://node2/system",
            "qemu:///system",
            "qemu+unix:///system?socket=/run/x.sock",
            "qemu+ssh://node2/system",
        ]
        .map(String::from);
        assert_eq!(labels(&uris), ["node1", "#2", "#3", "#4", "#5"]);
    }

    #[test]
    fn capabilities_give_machine_and_virt_types_per_arch() {
        let xml = "<capabilities><host/><guest><os_type>hvm</os_type><arch name='x86_64'>\
                   <machine>pc-q35-7.2</machine><machine canonical='pc-q35-7.2'>q35</machine>\
                   <domain type='qemu'/><domain type='kvm'/></arch></guest></capabilities>";
        let g = guests(xml);
        let (machines, types) = &g["x86_64"];
        assert!(machines.contains("q35") && machines.contains("pc-q35-7.2"));
        assert!(types.contains("kvm") && types.contains("qemu"));
    }
}

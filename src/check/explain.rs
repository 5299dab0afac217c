//! "Why does my guest not start": the CPU errors admins paste into issues, from libvirt and
//! from QEMU, read back into what is wrong and what fixes it — for the domain at hand when there
//! is one (edits that can be applied), in words otherwise.

use super::Advice;
use crate::catalog::{Catalog, explore, suggest};
use crate::domain::{Domain, Policy};
use crate::edit::{Edit, PhysAddr, QEMU_PHYS_BITS};
use crate::host::{DomCaps, PoolUsability};
use serde::Serialize;

/// What an error message says went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Symptom {
    /// The host (or TCG) lacks features the guest CPU asks for. `by` names who refused:
    /// QEMU (`host doesn't support requested feature`, with `enforce`) or libvirt (its
    /// comparison with the host CPU at start).
    Lacks {
        features: Vec<String>,
        by: &'static str,
        tcg: bool,
    },
    /// A model QEMU or libvirt does not know.
    UnknownModel { name: String },
    /// A `<cpu>` feature libvirt does not know.
    UnknownFeature { name: String },
    /// A `-cpu` option QEMU's CPU does not have.
    UnknownOption { name: String },
    /// The topology does not multiply to the vCPU count.
    Topology,
    /// More physical address bits (`<maxphysaddr mode='emulate' bits=…>`) than the host CPU
    /// has: libvirt refuses the definition there (at define, start, or migration in).
    PhysBitsAboveHost,
    /// `phys-bits` outside QEMU's range (32–52): QEMU refuses to start.
    PhysBitsRange { bits: u32 },
    /// libvirt's `check='full'` comparison after start (virCPUx86UpdateLive): the CPU QEMU
    /// created has features the definition does not list (`extra`, e.g. `hypervisor`, which
    /// QEMU always adds) or lacks ones it requires (`missing`). With `check='partial'` libvirt
    /// writes both into the live definition instead of refusing.
    CheckFull {
        extra: Vec<String>,
        missing: Vec<String>,
    },
    /// QEMU refuses `hv-vpindex`: the KVM kernel does not let it set VP_INDEX, or (QEMU before
    /// [`super::hyperv_tcg::VPINDEX_UNDER_TCG_SINCE`]) the guest runs under TCG, where QEMU asks
    /// KVM anyway.
    HypervVpindex,
}

/// libvirt's words for a `check='full'` refusal; only virCPUx86UpdateLive says them.
const CHECK_FULL: &str = "guest CPU doesn't match specification";

/// One way out, with the edits that make it when a domain was given.
#[derive(Debug, Clone, Serialize)]
pub struct Fix {
    pub text: String,
    #[serde(skip)]
    pub edits: Vec<Edit>,
    /// The way to act that `text` words in the CLI's terms, for a front to word in its own.
    #[serde(skip)]
    pub advice: Option<Advice>,
}

/// A symptom in words, with its fixes in the order worth trying.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub symptom: Symptom,
    pub what: String,
    pub fixes: Vec<Fix>,
}

/// Every symptom the text names, in order, each once. Lines that say nothing known are passed
/// over: a whole log may be pasted.
pub fn symptoms(text: &str) -> Vec<Symptom> {
    let mut out: Vec<Symptom> = Vec::new();
    let mut add = |s: Symptom| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    // QEMU names one feature a line: collected into one symptom per accelerator.
    let (mut qemu_host, mut qemu_tcg) = (Vec::new(), Vec::new());
    // A paste from a terminal may break lines with CR alone.
    for line in text.split(['\n', '\r']) {
        if let Some(rest) = after(line, CHECK_FULL) {
            // `: extra features: A,B, missing features: C`, either part alone, or nothing (QEMU
            // disabled features libvirt does not name).
            let (extra, missing) = match rest.split_once("missing features: ") {
                Some((head, tail)) => (head, split_list(tail)),
                None => (rest, Vec::new()),
            };
            let extra = after(extra, "extra features: ")
                .map(|e| split_list(e.trim_end().trim_end_matches(',')))
                .unwrap_or_default();
            add(Symptom::CheckFull { extra, missing });
        } else if let Some(f) = after(line, "host doesn't support requested feature: ") {
            qemu_host.push(cpuid_feature(f));
        } else if let Some(f) = after(line, "TCG doesn't support requested feature: ") {
            qemu_tcg.push(cpuid_feature(f));
        } else if let Some(list) = after(line, "missing features: ")
            .or_else(|| after(line, "does not provide required features: "))
        {
            add(Symptom::Lacks {
                features: split_list(list),
                by: "libvirt",
                tcg: false,
            });
        } else if let Some(name) =
            after(line, "unable to find CPU model '").or_else(|| after(line, "Unknown CPU model "))
        {
            let name = name.trim_end_matches(['\'', '.', ' ']).to_string();
            add(Symptom::UnknownModel { name });
        } else if let Some(name) = after(line, "unknown CPU feature: ") {
            add(Symptom::UnknownFeature {
                name: name.trim().to_string(),
            });
        } else if let Some(rest) = after(line, "Property '") {
            // `Property 'Skylake-Client-x86_64-cpu.foo' not found`
            if let Some(name) = rest
                .split('\'')
                .next()
                .and_then(|p| p.rsplit_once('.'))
                .map(|(_, n)| n.to_string())
            {
                add(Symptom::UnknownOption { name });
            }
        } else if line.contains(super::hyperv_tcg::REFUSED) {
            add(Symptom::HypervVpindex);
        } else if line.contains("CPU topology doesn't match") {
            add(Symptom::Topology);
        } else if line.contains(super::phys_bits::ABOVE_HOST) {
            add(Symptom::PhysBitsAboveHost);
        } else if let Some(rest) = after(line, "phys-bits should be between ")
            && let Some(bits) = after(rest, "(but is ")
                .and_then(|b| b.split(')').next())
                .and_then(|b| b.trim().parse().ok())
        {
            add(Symptom::PhysBitsRange { bits });
        }
    }
    for (features, tcg) in [(qemu_host, false), (qemu_tcg, true)] {
        if !features.is_empty() {
            add(Symptom::Lacks {
                features,
                by: "QEMU",
                tcg,
            });
        }
    }
    out
}

/// The text after `marker` in `line`, if the marker is there.
fn after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line.find(marker).map(|i| &line[i + marker.len()..])
}

/// `CPUID.07H:EBX.mpx [bit 14]` → `mpx` (QEMU's name).
fn cpuid_feature(text: &str) -> String {
    let spec = text.split(" [").next().unwrap_or(text).trim();
    spec.rsplit('.').next().unwrap_or(spec).to_string()
}

/// `a, b,c` → `[a, b, c]`.
fn split_list(list: &str) -> Vec<String> {
    list.trim()
        .trim_end_matches('.')
        .split(',')
        .map(|f| f.trim().to_string())
        .filter(|f| !f.is_empty())
        .collect()
}

/// Each symptom of a pasted error explained, with fixes for `dom` (when given) on `host` (when
/// given); the error is checked against `dom` (it may come from another domain).
pub fn explain(
    symptoms: &[Symptom],
    dom: Option<&Domain>,
    catalog: &Catalog,
    host: Option<&DomCaps>,
) -> Vec<Explanation> {
    explain_as(symptoms, dom, catalog, host, Origin::Pasted)
}

/// Where a symptom comes from: a pasted error may not be the domain's; one of the domain's own
/// diagnostics is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Pasted,
    Own,
}

fn explain_as(
    symptoms: &[Symptom],
    dom: Option<&Domain>,
    catalog: &Catalog,
    host: Option<&DomCaps>,
    origin: Origin,
) -> Vec<Explanation> {
    let fit = |s: &Symptom| dom.map(|d| Fit::of(s, d, catalog, origin));
    symptoms
        .iter()
        .map(|s| Explanation {
            symptom: s.clone(),
            what: what(s, fit(s)),
            fixes: fixes(s, dom, fit(s), catalog, host),
        })
        .collect()
}

/// The domain's own problems as `explain` would read them from libvirt's or QEMU's refusal:
/// each diagnostic that names a symptom (its index in `diagnostics`), explained with the fixes
/// for `dom` on `host`.
pub fn diagnosed(
    diagnostics: &[super::Diagnostic],
    dom: &Domain,
    catalog: &Catalog,
    host: Option<&DomCaps>,
) -> Vec<(usize, Explanation)> {
    diagnostics
        .iter()
        .enumerate()
        .filter_map(|(i, d)| Some((i, d.symptom.clone()?)))
        .map(|(i, s)| {
            let e = explain_as(
                std::slice::from_ref(&s),
                Some(dom),
                catalog,
                host,
                Origin::Own,
            );
            (
                i,
                e.into_iter().next().expect("one symptom, one explanation"),
            )
        })
        .collect()
}

fn what(s: &Symptom, fit: Option<Fit>) -> String {
    let mut text = symptom_text(s);
    if let Symptom::Lacks { features, tcg, .. } = s {
        // Turning nested off is a way out only for a domain that turns it on.
        let offer_off = fit.as_ref().is_none_or(|f| {
            f.has
                .iter()
                .any(|q| crate::edit::nested::Ext::of_feature(q).is_some())
                || !f.judged
        });
        text.push_str(&nested_note(features, *tcg, offer_off));
    }
    if let Some(note) = fit.and_then(|f| f.mismatch) {
        text.push_str(" — ");
        text.push_str(&note);
    }
    text
}

/// How a symptom fits the domain at hand: a message pasted for one domain may come from
/// another, or from an older definition of this one.
struct Fit {
    /// Whether the domain's CPU could be read well enough to tell: it names a model the catalog
    /// knows (in `<cpu>` or `<qemu:cpu>`).
    judged: bool,
    /// Of the features lacking (QEMU names), those the domain asks for or its model gives.
    has: Vec<String>,
    /// Of those, the ones its model gives (a model replacement then helps).
    from_model: Vec<String>,
    /// Why the message does not match the domain, when it does not.
    mismatch: Option<String>,
}

impl Fit {
    /// How `s` fits `dom`. A symptom of the domain's own diagnostics fits by origin: where its
    /// features cannot be traced to the domain here, it is taken as not judged, never as a
    /// mismatch.
    fn of(s: &Symptom, dom: &Domain, catalog: &Catalog, origin: Origin) -> Fit {
        let mut fit = Fit::traced(s, dom, catalog);
        if origin == Origin::Own && fit.mismatch.is_some() {
            fit.judged = false;
            fit.mismatch = None;
        }
        fit
    }

    fn traced(s: &Symptom, dom: &Domain, catalog: &Catalog) -> Fit {
        let place = place(dom);
        let named_model = match &place {
            Some(Place::QemuCpu(m)) | Some(Place::Cpu(Some(m))) => Some(*m),
            _ => None,
        };
        let q = &catalog.qemu;
        let model = named_model.and_then(|m| q.resolve_model(m));
        // In <cpu> the model is libvirt's: its features (cpu_map) are what libvirt compares
        // with the host, and they can differ from QEMU's model of that name (mpx).
        let libvirt_model = match &place {
            Some(Place::Cpu(Some(m))) => catalog.libvirt.model(m),
            _ => None,
        };
        let mut fit = Fit {
            judged: model.is_some() || libvirt_model.is_some(),
            has: Vec::new(),
            from_model: Vec::new(),
            mismatch: None,
        };
        match s {
            Symptom::UnknownModel { name } => {
                if let Some(m) = named_model.filter(|m| *m != name) {
                    fit.mismatch = Some(format!(
                        "this domain does not name the model '{name}' (its model is '{m}'): the message does not match this domain as it stands"
                    ));
                }
            }
            Symptom::CheckFull { missing, .. } if missing.is_empty() => {}
            Symptom::Lacks { features, .. }
            | Symptom::CheckFull {
                missing: features, ..
            } => {
                if !fit.judged {
                    return fit;
                }
                for (qn, ln) in qemu_and_libvirt_names(features, catalog) {
                    // What the model asks for (QEMU's KVM set: TCG's has what TCG cannot
                    // give taken out), or libvirt's model of <cpu>.
                    let given = model.is_some_and(|m| {
                        q.feature_index(&qn).is_some_and(|i| m.features.contains(i))
                    }) || libvirt_model.is_some_and(|m| m.features.contains(&ln));
                    if given {
                        fit.from_model.push(qn.clone());
                    }
                    if given || asks_for(dom, &place, &qn, &ln) {
                        fit.has.push(qn);
                    }
                }
                if fit.has.is_empty() {
                    fit.mismatch = Some(format!(
                        "this domain does not ask for {}: neither its model {} nor its features turn {} on, so the message does not match this domain as it stands",
                        features.join(", "),
                        named_model.unwrap_or_default(),
                        if features.len() == 1 { "it" } else { "them" }
                    ));
                }
            }
            _ => {}
        }
        fit
    }
}

/// Each feature under QEMU's and libvirt's names.
fn qemu_and_libvirt_names(features: &[String], catalog: &Catalog) -> Vec<(String, String)> {
    features
        .iter()
        .map(|f| match catalog.qemu.feature_loose(f) {
            Some(feat) => (
                feat.name.clone(),
                feat.libvirt.clone().unwrap_or_else(|| f.clone()),
            ),
            None => (f.clone(), f.clone()),
        })
        .collect()
}

/// `vmx`/`svm` among what is lacking is nested virtualisation, whose cause is the host's
/// setting more often than its CPU: said, with the toggle that turns it off.
fn nested_note(features: &[String], tcg: bool, offer_off: bool) -> String {
    let Some(ext) = features
        .iter()
        .find_map(|f| crate::edit::nested::Ext::of_feature(f))
    else {
        return String::new();
    };
    let (name, module) = (ext.name(), ext.kvm_module());
    let off = match offer_off {
        true => ", or turn nested off (`virt-cpu set FILE --nested off`)",
        false => "",
    };
    if tcg {
        return format!(
            " — {name} is nested virtualisation, which TCG cannot give: run the guest under KVM{off}"
        );
    }
    let off = match offer_off {
        true => "; or turn nested off (`virt-cpu set FILE --nested off`)",
        false => "",
    };
    format!(
        " — {name} is nested virtualisation: a host's KVM offers it only with `{module}` nested=1 (/sys/module/{module}/parameters/nested) on a CPU that has it (a host that is itself a guest needs it from its own host){off}"
    )
}

fn symptom_text(s: &Symptom) -> String {
    match s {
        Symptom::Lacks {
            features,
            by: "QEMU",
            tcg: false,
        } => format!(
            "the host CPU lacks {}, which the guest CPU asks for: QEMU starts the guest without them (its warning), or with enforce=on refuses to start",
            features.join(", ")
        ),
        Symptom::Lacks {
            features,
            tcg: false,
            ..
        } => format!(
            "the host CPU lacks {}, which the guest CPU requires: libvirt refuses to start the guest rather than give it a different CPU",
            features.join(", ")
        ),
        Symptom::Lacks { features, .. } => format!(
            "QEMU's TCG cannot emulate {}, which the guest CPU requires (with enforce=on it refuses to start)",
            features.join(", ")
        ),
        Symptom::UnknownModel { name } => {
            format!("no CPU model '{name}' here (names are case-sensitive)")
        }
        Symptom::UnknownFeature { name } => {
            format!("libvirt knows no CPU feature '{name}' (<cpu> takes libvirt's feature names)")
        }
        Symptom::UnknownOption { name } => format!("QEMU's x86 CPU has no option '{name}'"),
        Symptom::Topology => {
            "sockets × dies × cores × threads in <topology> is not the <vcpu> count".into()
        }
        Symptom::PhysBitsAboveHost => "<maxphysaddr mode='emulate' bits=…> asks for more physical address bits than this host's CPU has: libvirt refuses the guest here (the classic after a migration to a host with a narrower bus)".into(),
        Symptom::PhysBitsRange { bits } => format!(
            "<maxphysaddr bits='{bits}'>: QEMU takes 32 to 52 physical address bits"
        ),
        Symptom::CheckFull { extra, missing } => {
            let mut parts = Vec::new();
            if !extra.is_empty() {
                parts.push(format!("has {} the definition does not list", extra.join(", ")));
            }
            if !missing.is_empty() {
                parts.push(format!(
                    "lacks {} the definition requires (the host or TCG does not give them)",
                    missing.join(", ")
                ));
            }
            if parts.is_empty() {
                parts.push("has features disabled the definition does not name".into());
            }
            format!(
                "<cpu check='full'>: after starting QEMU, libvirt compares the CPU QEMU created with the definition and refuses any difference; this one {} (QEMU adds some on its own, such as hypervisor, so a custom model rarely passes)",
                parts.join(" and ")
            )
        }
        Symptom::HypervVpindex => super::hyperv_tcg::what(),
    }
}

/// Where the domain's CPU model is named: `<qemu:cpu>` wins over `<cpu>`, as in `-cpu`.
enum Place<'a> {
    Cpu(Option<&'a str>),
    QemuCpu(&'a str),
}

fn place(dom: &Domain) -> Option<Place<'_>> {
    if let Some(m) = dom
        .qemu_cpu
        .as_ref()
        .and_then(|q| q.models.first())
        .and_then(|m| m.name.as_deref())
    {
        return Some(Place::QemuCpu(m));
    }
    let cpu = dom.cpu.as_ref()?;
    Some(Place::Cpu(cpu.model.as_ref().map(|m| m.name.as_str())))
}

fn fixes(
    s: &Symptom,
    dom: Option<&Domain>,
    fit: Option<Fit>,
    catalog: &Catalog,
    host: Option<&DomCaps>,
) -> Vec<Fix> {
    let place = dom.and_then(place);
    match s {
        Symptom::Lacks { features, tcg, .. } => {
            lacks_fixes(features, *tcg, dom, fit, place, catalog, host)
        }
        Symptom::UnknownModel { name }
            if fit.as_ref().is_some_and(|f| f.mismatch.is_some()) =>
        {
            vec![Fix {
                advice: None,
                text: format!(
                    "nothing to rename in this domain: the definition that names '{name}' is another (or an older one of this domain); `virt-cpu check FILE` judges one"
                ),
                edits: Vec::new(),
            }]
        }
        Symptom::UnknownModel { name } => {
            let libvirt = suggest::libvirt_model(&catalog.libvirt, name).map(|s| s.name);
            let qemu = suggest::qemu_model(&catalog.qemu, name).map(|s| s.name);
            let (to, edit) = match place {
                Some(Place::QemuCpu(_)) => (qemu.clone(), qemu.map(Edit::SetQemuModel)),
                _ => (libvirt.clone(), libvirt.map(Edit::SetModel)),
            };
            to.map(|to| Fix {
                advice: None,
                text: format!("name the model {to}"),
                edits: edit.into_iter().collect(),
            })
            .into_iter()
            .collect()
        }
        Symptom::UnknownFeature { name } => {
            let to = suggest::libvirt_feature(&catalog.libvirt, &catalog.qemu, name).map(|s| s.name);
            let mut out: Vec<Fix> = to
                .map(|to| Fix {
                    advice: None,
                    text: format!("write it as libvirt does: '{to}'"),
                    edits: vec![Edit::RenameFeature {
                        from: name.clone(),
                        to,
                    }],
                })
                .into_iter()
                .collect();
            out.push(Fix {
                advice: None,
                text: format!("remove <feature name='{name}'>"),
                edits: vec![Edit::DropFeature(name.clone())],
            });
            out
        }
        Symptom::UnknownOption { name } => vec![Fix {
            advice: None,
            text: format!("remove the option '{name}'"),
            edits: vec![Edit::RemoveQemuOption(name.clone())],
        }],
        Symptom::Topology => vec![Fix {
            advice: None,
            text: "make sockets × dies × cores × threads equal the <vcpu> count (`virt-cpu check` names both)".into(),
            edits: Vec::new(),
        }],
        Symptom::CheckFull { missing, .. } => {
            let mut out = check_fixes(&place, dom, host, missing);
            if !missing.is_empty() {
                out.extend(lacks_fixes(missing, false, dom, fit, place, catalog, host));
            }
            out
        }
        Symptom::HypervVpindex => super::hyperv_tcg::fixes(dom),
        Symptom::PhysBitsAboveHost => phys_bits_fixes(host.and_then(|h| h.phys_bits).map(|p| p.bits)),
        Symptom::PhysBitsRange { bits } => {
            let to = (*bits).clamp(*QEMU_PHYS_BITS.start(), *QEMU_PHYS_BITS.end());
            let mut out = vec![Fix {
                advice: None,
                text: format!("use {to} bits (`virt-cpu set FILE --maxphysaddr emulate:{to}`)"),
                edits: vec![Edit::SetMaxPhysAddr(Some(PhysAddr::Emulate { bits: Some(to) }))],
            }];
            out.extend(phys_bits_fixes(None).into_iter().skip(1));
            out
        }
    }
    .into_iter()
    .map(|f| match dom {
        Some(_) => f,
        // Without a domain there is nothing to apply the edits to.
        None => Fix { edits: Vec::new(), ..f },
    })
    .collect()
}

/// Loosening libvirt's comparison: `partial` checks the definition against the host before
/// start and takes what QEMU created as the live CPU; `none` leaves it all to QEMU. `partial`
/// comes first unless that check before start would refuse too: features QEMU could not give
/// (`missing`: the host, or TCG, lacks them, and partial's comparison says so), or a `<vendor>`
/// other than the host CPU's (libvirt's "host CPU vendor does not match required CPU vendor";
/// with TCG the host is QEMU's, an AMD one).
fn check_fixes(
    place: &Option<Place>,
    dom: Option<&Domain>,
    host: Option<&DomCaps>,
    missing: &[String],
) -> Vec<Fix> {
    let edit = |c: &str| match place {
        Some(Place::Cpu(_)) => vec![Edit::SetCheck(c.into())],
        _ => Vec::new(),
    };
    let wanted = dom
        .and_then(|d| d.cpu.as_ref())
        .and_then(|c| c.vendor.as_deref());
    let host_vendor = host
        .and_then(|h| h.host_cpu.as_ref().or(h.host_model.as_ref()))
        .and_then(|m| m.vendor.as_deref());
    let vendor_clash = match (wanted, host_vendor) {
        (Some(w), Some(h)) if w != h => Some((w, h)),
        _ => None,
    };
    let partial = Fix {
        advice: None,
        text: match vendor_clash {
            None => "use <cpu check='partial'>: libvirt compares the definition with the host before start (as `virt-cpu check FILE -c URI` does), and records the features QEMU added or left out in the live definition instead of refusing".into(),
            Some((w, h)) => format!(
                "use <cpu check='partial'> and remove <vendor>{w}</vendor>: with partial libvirt compares the definition with the host's {h} CPU before start and refuses another vendor"
            ),
        },
        // No edit removes <vendor> yet: then the words alone.
        edits: match vendor_clash {
            None => edit("partial"),
            Some(_) => Vec::new(),
        },
    };
    let none = Fix {
        advice: None,
        text: "use <cpu check='none'>: libvirt leaves the CPU to QEMU and compares nothing".into(),
        edits: edit("none"),
    };
    let partial = match missing.is_empty() {
        true => partial,
        false => Fix {
            text: format!(
                "{}; the host lacks {} though, which that comparison refuses unless they are disabled (the fixes below)",
                partial.text,
                missing.join(", ")
            ),
            ..partial
        },
    };
    match vendor_clash.is_none() && missing.is_empty() {
        true => vec![partial, none],
        false => vec![none, partial],
    }
}

/// The host's width (when known), the host's width passed through, or QEMU's default.
fn phys_bits_fixes(host: Option<u32>) -> Vec<Fix> {
    let mut out = Vec::new();
    match host {
        Some(h) => out.push(Fix {
                advice: None,
            text: format!("use the host's {h} bits (`virt-cpu set FILE --maxphysaddr emulate:{h}`); for a pool, its lowest (`virt-cpu models -c A -c B` names it)"),
            edits: vec![Edit::SetMaxPhysAddr(Some(PhysAddr::Emulate { bits: Some(h) }))],
        }),
        None => out.push(Fix {
                advice: None,
            text: "use at most the host's width: `virsh capabilities` names it (<maxphysaddr mode='emulate' bits=…> of the host CPU); with -c URI virt-cpu reads it".into(),
            edits: Vec::new(),
        }),
    }
    out.push(Fix {
                advice: None,
        text: "pass the host's width through: <maxphysaddr mode='passthrough'/> (`--maxphysaddr passthrough`)".into(),
        edits: vec![Edit::SetMaxPhysAddr(Some(PhysAddr::Passthrough { limit: None }))],
    });
    out.push(Fix {
        advice: None,
        text: "remove <maxphysaddr>: QEMU's default width".into(),
        edits: vec![Edit::SetMaxPhysAddr(None)],
    });
    out
}

fn lacks_fixes(
    features: &[String],
    tcg: bool,
    dom: Option<&Domain>,
    fit: Option<Fit>,
    place: Option<Place>,
    catalog: &Catalog,
    host: Option<&DomCaps>,
) -> Vec<Fix> {
    let all = qemu_and_libvirt_names(features, catalog);
    let fit = fit.filter(|f| f.judged);
    if fit.as_ref().is_some_and(|f| f.has.is_empty()) {
        return vec![Fix {
            advice: None,
            text: format!(
                "nothing to turn off in this domain: it does not ask for {}; find the definition the message came from (`virt-cpu check FILE -c URI` judges this one on the host)",
                all.iter()
                    .map(|(q, _)| q.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            edits: Vec::new(),
        }];
    }
    // Only what the domain has, when that can be told: turning off what it never asks for
    // changes nothing.
    let named: Vec<(String, String)> = all
        .iter()
        .filter(|(q, _)| fit.as_ref().is_none_or(|f| f.has.contains(q)))
        .cloned()
        .collect();
    // Another model helps only when the domain's model is the cause.
    let replace_model = fit.as_ref().is_none_or(|f| !f.from_model.is_empty());
    let mut out = vec![turn_off(&named, &place)];
    if tcg {
        out.push(Fix {
            advice: None,
            text: "run the guest under KVM (<domain type='kvm'>) on a host that has them".into(),
            edits: Vec::new(),
        });
        return out;
    }
    let best = match replace_model {
        true => host.map(|h| best_model(catalog, h, dom, &place)),
        false => None,
    };
    match best {
        _ if !replace_model => {}
        Some(Best::None64 { only32 }) => out.push(Fix {
            advice: None,
            text: format!(
                "no 64-bit model is usable on this host: the ones it runs ({}) are 32-bit only (they lack lm, long mode) and a 64-bit (x86_64) guest does not boot on them; use host-model or host-passthrough, or give the host (or its own host) a CPU QEMU's models fit",
                only32.join(", ")
            ),
            edits: Vec::new(),
        }),
        Some(Best::Model(name, edit)) => {
            // What the domain itself asks for, the host lacking it, another model does not
            // take away: those are turned off with the change of model.
            let asked: Vec<(String, String)> = named
                .iter()
                .filter(|(q, l)| dom.is_some_and(|d| asks_for(d, &place, q, l)))
                .cloned()
                .collect();
            let (text, edits) = match asked.is_empty() {
                true => (
                    format!("use {name}, the richest model this host runs"),
                    vec![edit],
                ),
                false => {
                    let names: Vec<&str> = asked.iter().map(|(q, _)| q.as_str()).collect();
                    let mut edits = vec![edit];
                    edits.extend(turn_off(&asked, &place).edits);
                    (
                        format!(
                            "use {name}, the richest model this host runs, and turn off {}, which the domain asks for itself",
                            names.join(", ")
                        ),
                        edits,
                    )
                }
            };
            out.push(Fix {
                advice: None,
                text,
                edits,
            })
        }
        Some(Best::Nothing) | None => out.push(Fix {
            advice: Some(Advice::PickUsableModel),
            text: "pick a model the host runs: `virt-cpu models -c URI` (or --host-caps FILE) lists them, usable first".into(),
            edits: Vec::new(),
        }),
    }
    out.push(Fix {
        advice: None,
        text: "use host-model: the guest gets what this host has (it then migrates only to hosts as capable)".into(),
        edits: match place {
            Some(Place::Cpu(_)) => vec![Edit::SetMode("host-model".into())],
            _ => Vec::new(),
        },
    });
    out
}

/// Whether the domain turns the feature on itself where it names its model (QEMU name `q`,
/// libvirt name `l`): a `<feature>` of `<cpu>` that requires or forces it, an option of
/// `<qemu:cpu>` that turns it on.
fn asks_for(dom: &Domain, place: &Option<Place>, q: &str, l: &str) -> bool {
    let same = |a: &str, b: &str| a.replace('_', "-") == b.replace('_', "-");
    match place {
        Some(Place::QemuCpu(_)) => dom.qemu_cpu.iter().flat_map(|c| &c.options).any(|o| {
            let Some(name) = o.name.as_deref() else {
                return false;
            };
            match (name.strip_prefix('+'), name.strip_prefix('-')) {
                (Some(n), _) => same(n, q),
                (_, Some(_)) => false,
                _ => same(name, q) && o.is_on(),
            }
        }),
        _ => dom.cpu.iter().flat_map(|c| &c.features).any(|f| {
            f.name.as_deref().is_some_and(|n| same(n, l))
                && f.known_policy().map(|p| p.effect()) == Some(crate::domain::PolicyEffect::On)
        }),
    }
}

/// Turning the features off where the domain names its model: `NAME=off` options in
/// `<qemu:cpu>`, `policy='disable'` features in `<cpu>`. `named` holds (QEMU name, libvirt name).
fn turn_off(named: &[(String, String)], place: &Option<Place>) -> Fix {
    let (text, edits) = match place {
        Some(Place::QemuCpu(_)) => (
            format!(
                "turn them off in <qemu:cpu>: {}",
                named
                    .iter()
                    .map(|(q, _)| format!("{q}=off"))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            named
                .iter()
                .map(|(q, _)| Edit::SetQemuOption {
                    name: q.clone(),
                    value: Some("off".into()),
                })
                .collect(),
        ),
        _ => (
            format!(
                "disable them in <cpu>: {}",
                named
                    .iter()
                    .map(|(_, l)| format!("<feature policy='disable' name='{l}'/>"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            named
                .iter()
                .map(|(_, l)| Edit::SetFeature {
                    name: l.clone(),
                    policy: Policy::Disable,
                })
                .collect(),
        ),
    };
    Fix {
        text,
        edits,
        advice: None,
    }
}

/// What [`best_model`] finds.
enum Best {
    /// The model, and the edit that names it where the domain names its model.
    Model(String, Edit),
    /// The guest is 64-bit and every model the host runs is 32-bit only (these).
    None64 { only32: Vec<String> },
    /// No other model the host runs.
    Nothing,
}

/// The richest model `host` runs, of the vendor of the domain's model when it has one, other
/// than the one the domain has, and one a 64-bit guest boots on (x86_64; assumed without a
/// domain) — a model lacking `lm` is never offered to one.
fn best_model(
    catalog: &Catalog,
    host: &DomCaps,
    dom: Option<&Domain>,
    place: &Option<Place>,
) -> Best {
    let q = &catalog.qemu;
    let hosts = std::slice::from_ref(host);
    let pool = PoolUsability::new(catalog, hosts);
    let current = match place {
        Some(Place::QemuCpu(m)) | Some(Place::Cpu(Some(m))) => q.resolve_model(m),
        _ => None,
    };
    let vendor = current.map(|m| m.vendor.as_str());
    let in_qemu_cpu = matches!(place, Some(Place::QemuCpu(_)));
    let mut candidates: Vec<&crate::catalog::QemuModel> =
        explore::listing(q, &explore::ModelFilter::everything())
            .models
            .into_iter()
            .filter(|m| vendor.is_none_or(|v| m.vendor == v))
            // <cpu> takes libvirt's names only.
            .filter(|m| in_qemu_cpu || catalog.libvirt.model(&m.name).is_some())
            .filter(|m| pool.usability(&m.name).usable == Some(true))
            // The model the domain already has is no way out.
            .filter(|m| {
                current.is_none_or(|c| q.resolve_model(&m.name).is_none_or(|r| r.name != c.name))
            })
            .collect();
    candidates.sort_by_key(|m| std::cmp::Reverse(m.features.len()));
    let x86_64 = dom.is_none_or(|d| d.guest_arch() == "x86_64");
    let Some(best) = candidates.iter().find(|m| !(x86_64 && q.is_32bit_only(m))) else {
        return match candidates.is_empty() {
            true => Best::Nothing,
            false => Best::None64 {
                only32: candidates.iter().map(|m| m.name.clone()).collect(),
            },
        };
    };
    let edit = match in_qemu_cpu {
        true => Edit::SetQemuModel(best.name.clone()),
        false => Edit::SetModel(best.name.clone()),
    };
    Best::Model(best.name.clone(), edit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_messages_admins_paste_are_read() {
        let log = "2026-12-05T01:00:00 qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.07H:EBX.mpx [bit 14]\n\
                   qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.07H:EBX.hle [bit 4]\n\
                   error: operation failed: guest CPU doesn't match specification: extra features: hypervisor,arat, missing features: pcid,invpcid\n\
                   error: the CPU is incompatible with host CPU: Host CPU does not provide required features: avx512f, avx512vl\n\
                   qemu-system-x86_64: unable to find CPU model 'Icelake-Server-V4'\n\
                   error: unsupported configuration: unknown CPU feature: sse4_2\n\
                   qemu-system-x86_64: can't apply global Skylake-Client-x86_64-cpu.strange=on: Property 'Skylake-Client-x86_64-cpu.strange' not found\n";
        let s = symptoms(log);
        assert_eq!(
            s,
            [
                Symptom::CheckFull {
                    extra: vec!["hypervisor".into(), "arat".into()],
                    missing: vec!["pcid".into(), "invpcid".into()],
                },
                Symptom::Lacks {
                    features: vec!["avx512f".into(), "avx512vl".into()],
                    by: "libvirt",
                    tcg: false
                },
                Symptom::UnknownModel {
                    name: "Icelake-Server-V4".into()
                },
                Symptom::UnknownFeature {
                    name: "sse4_2".into()
                },
                Symptom::UnknownOption {
                    name: "strange".into()
                },
                Symptom::Lacks {
                    features: vec!["mpx".into(), "hle".into()],
                    by: "QEMU",
                    tcg: false
                },
            ]
        );
        assert!(symptoms("all is well\n").is_empty());
        // Lines a terminal's paste broke with CR alone are lines too.
        assert_eq!(
            symptoms(
                "x: host doesn't support requested feature: CPUID.07H:EBX.hle [bit 4]\rx: host doesn't support requested feature: CPUID.07H:EBX.rtm [bit 11]\r"
            ),
            [Symptom::Lacks {
                features: vec!["hle".into(), "rtm".into()],
                by: "QEMU",
                tcg: false
            }]
        );
    }

    /// The domain's own diagnostics carry the symptom explain would read from libvirt's or
    /// QEMU's error, and `diagnosed` explains each with fixes for the domain.
    #[test]
    fn the_domains_own_problems_are_explained() {
        let xml = "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><name>t</name>\
                   <vcpu>1</vcpu><os><type arch='x86_64' machine='q35'>hvm</type></os>\
                   <qemu:cpu><qemu:model name='Skylake-Client-v4'/><qemu:option name='enforce' value='on'/></qemu:cpu></domain>";
        let doc = crate::xml::Document::parse(xml.as_bytes()).unwrap();
        let dom = Domain::read(&doc).unwrap();
        let catalog = Catalog::embedded();
        let caps = crate::argv::QemuCaps::default();
        let report = super::super::check(&doc, &dom, &caps, catalog, crate::argv::Reading::Merge);
        let explained = diagnosed(&report.diagnostics, &dom, catalog, None);
        let (i, e) = explained
            .iter()
            .find(|(_, e)| matches!(e.symptom, Symptom::Lacks { tcg: true, .. }))
            .expect("TCG's lack explained");
        assert_eq!(report.diagnostics[*i].code, "tcg-lacks-feature");
        assert!(
            e.fixes[0].text.starts_with("turn them off in <qemu:cpu>:"),
            "{:?}",
            e.fixes
        );
        assert!(e.fixes[0].edits.len() > 1, "{:?}", e.fixes[0]);
        // A problem explain does not know is left alone.
        assert!(
            explained
                .iter()
                .all(|(i, _)| report.diagnostics[*i].symptom.is_some())
        );
    }

    /// A pasted error that names what the domain does not ask for is said not to match; one of
    /// the domain's own diagnostics never is (check may trace it where explain cannot), and it
    /// keeps its fixes.
    #[test]
    fn only_a_pasted_error_can_mismatch_the_domain() {
        let xml = "<domain type='kvm'><name>t</name><vcpu>1</vcpu><os><type arch='x86_64' machine='q35'>hvm</type></os>\
                   <cpu mode='custom' match='exact'><model>Skylake-Client</model></cpu></domain>";
        let doc = crate::xml::Document::parse(xml.as_bytes()).unwrap();
        let dom = Domain::read(&doc).unwrap();
        let catalog = Catalog::embedded();
        let vmx = Symptom::Lacks {
            features: vec!["vmx".into()],
            by: "libvirt",
            tcg: false,
        };
        let pasted = explain_as(
            std::slice::from_ref(&vmx),
            Some(&dom),
            catalog,
            None,
            Origin::Pasted,
        );
        assert!(
            pasted[0].what.contains("this domain does not ask for vmx"),
            "{}",
            pasted[0].what
        );
        assert!(pasted[0].fixes.iter().all(|f| f.edits.is_empty()));
        let own = explain_as(
            std::slice::from_ref(&vmx),
            Some(&dom),
            catalog,
            None,
            Origin::Own,
        );
        assert!(!own[0].what.contains("does not"), "{}", own[0].what);
        assert!(own[0].what.contains("--nested off"), "{}", own[0].what);
        assert!(
            own[0].fixes[0].text.contains("name='vmx'"),
            "{:?}",
            own[0].fixes
        );
        let model = Symptom::UnknownModel {
            name: "Skylake-Server-IBRS-x".into(),
        };
        let own = explain_as(
            std::slice::from_ref(&model),
            Some(&dom),
            catalog,
            None,
            Origin::Own,
        );
        assert!(!own[0].what.contains("does not name"), "{}", own[0].what);
    }

    /// vmx or svm among what is lacking is named as nested virtualisation, with the host's
    /// setting that gives it and the toggle; other features get no such note.
    #[test]
    fn a_lacking_vmx_is_explained_as_nested_virtualisation() {
        let said = |line: &str| what(&symptoms(line)[0], None);
        let vmx = said(
            "qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.01H:ECX.vmx [bit 5]\n",
        );
        assert!(
            vmx.contains("vmx is nested virtualisation: a host's KVM offers it only with `kvm_intel` nested=1"),
            "{vmx}"
        );
        let svm = said(
            "error: the CPU is incompatible with host CPU: Host CPU does not provide required features: svm\n",
        );
        assert!(svm.contains("`kvm_amd` nested=1"), "{svm}");
        let tcg = said(
            "qemu-system-x86_64: warning: TCG doesn't support requested feature: CPUID.01H:ECX.vmx [bit 5]\n",
        );
        assert!(tcg.contains("which TCG cannot give"), "{tcg}");
        assert!(!said("error: the CPU is incompatible with host CPU: Host CPU does not provide required features: avx512f\n").contains("nested"));
    }

    /// libvirt's refusal of more bits than the host has and QEMU's range, in their own words
    /// (both taken from the real programs in `tests/physaddr_real.rs`).
    #[test]
    fn physical_address_bits_messages_are_read() {
        let log = "error: Failed to define domain from d.xml\n\
                   error: unsupported configuration: The number of virtual CPU address bits cannot exceed the number supported by the host CPU\n\
                   qemu-system-x86_64: phys-bits should be between 32 and 52  (but is 31)\n";
        assert_eq!(
            symptoms(log),
            [
                Symptom::PhysBitsAboveHost,
                Symptom::PhysBitsRange { bits: 31 }
            ]
        );
        let catalog = Catalog::embedded();
        let range = explain(&[Symptom::PhysBitsRange { bits: 31 }], None, catalog, None);
        assert!(range[0].fixes[0].text.starts_with("use 32 bits"));
        let host = DomCaps {
            phys_bits: Some(crate::host::PhysBits {
                bits: 46,
                from: crate::host::PhysBitsSource::Capabilities,
            }),
            ..DomCaps::default()
        };
        let above = explain(&[Symptom::PhysBitsAboveHost], None, catalog, Some(&host));
        assert!(above[0].fixes[0].text.starts_with("use the host's 46 bits"));
        let unknown = explain(&[Symptom::PhysBitsAboveHost], None, catalog, None);
        assert!(
            unknown[0].fixes[0]
                .text
                .contains("`virsh capabilities` names it")
        );
    }

    /// libvirt's check='full' refusal, whole or in its parts (virCPUx86UpdateLive's three
    /// wordings), is read as such, and its first ways out loosen <cpu check>, then the
    /// missing features' own fixes follow.
    #[test]
    fn a_check_full_refusal_offers_partial_then_none() {
        let read = |line: &str| symptoms(line);
        assert_eq!(
            read(
                "error: operation failed: guest CPU doesn't match specification: extra features: pclmuldq,hypervisor,arat\n"
            ),
            [Symptom::CheckFull {
                extra: vec!["pclmuldq".into(), "hypervisor".into(), "arat".into()],
                missing: vec![]
            }]
        );
        assert_eq!(
            read("guest CPU doesn't match specification: missing features: vmx"),
            [Symptom::CheckFull {
                extra: vec![],
                missing: vec!["vmx".into()]
            }]
        );
        assert_eq!(
            read("guest CPU doesn't match specification"),
            [Symptom::CheckFull {
                extra: vec![],
                missing: vec![]
            }]
        );
        let xml = "<domain type='qemu'><name>t</name><vcpu>1</vcpu><os><type arch='x86_64' machine='q35'>hvm</type></os>\
                   <cpu mode='custom' match='exact' check='full'><model fallback='forbid'>Icelake-Server</model></cpu></domain>";
        let doc = crate::xml::Document::parse(xml.as_bytes()).unwrap();
        let dom = Domain::read(&doc).unwrap();
        let catalog = Catalog::embedded();
        let e = explain(
            &read(
                "guest CPU doesn't match specification: extra features: hypervisor, missing features: vmx,pku",
            ),
            Some(&dom),
            catalog,
            None,
        );
        assert!(e[0].what.contains("check='full'"), "{}", e[0].what);
        // What QEMU could not give, partial's comparison before start refuses too: none first.
        assert_eq!(e[0].fixes[0].edits, [Edit::SetCheck("none".into())]);
        assert_eq!(e[0].fixes[1].edits, [Edit::SetCheck("partial".into())]);
        let extra_only = explain(
            &read("guest CPU doesn't match specification: extra features: hypervisor"),
            Some(&dom),
            catalog,
            None,
        );
        assert_eq!(
            extra_only[0].fixes[0].edits,
            [Edit::SetCheck("partial".into())]
        );
        assert_eq!(
            extra_only[0].fixes[1].edits,
            [Edit::SetCheck("none".into())]
        );
        assert_eq!(extra_only[0].fixes.len(), 2);
        assert!(
            e[0].fixes[2].text.starts_with("disable them in <cpu>:"),
            "{:?}",
            e[0].fixes
        );
        // Icelake-Server has pku, not vmx: only what the domain asks for is turned off.
        assert_eq!(
            e[0].fixes[2].edits,
            [Edit::SetFeature {
                name: "pku".into(),
                policy: Policy::Disable
            }]
        );
    }
}

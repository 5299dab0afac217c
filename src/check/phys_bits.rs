//! `<maxphysaddr>`: physical address bits QEMU refuses, a `limit` the libvirt followed does not
//! know, more bits than the host has (libvirt refuses them on that host: at define, at start
//! and when the domain migrates in), and a host that does not say its width.

use super::{Diagnostic, Severity};
use crate::argv::{LibvirtError, QemuCaps};
use crate::catalog::Catalog;
use crate::domain::{Domain, MaxPhysAddr};
use crate::edit::{Edit, PhysAddr, QEMU_PHYS_BITS};
use crate::xml::Document;

/// libvirt's refusal of more bits than its host CPU has (`qemuValidateDomainDefCpu`).
pub(super) const ABOVE_HOST: &str =
    "The number of virtual CPU address bits cannot exceed the number supported by the host CPU";

/// libvirt 9.3.0 added `limit=` (`virCPUDefParseXML`, the schema's `cpuMaxPhysAddr`).
const LIMIT_SINCE: crate::catalog::versions::Version =
    crate::catalog::versions::Version::new(9, 3, 0);

pub(super) fn check(
    doc: &Document,
    dom: &Domain,
    caps: &QemuCaps,
    catalog: &Catalog,
    libvirt_refused: bool,
    out: &mut Vec<Diagnostic>,
) {
    let Some(addr) = dom.cpu.as_ref().and_then(|c| c.maxphysaddr.as_ref()) else {
        return;
    };
    let bits = addr
        .bits
        .as_deref()
        .and_then(|b| b.trim().parse::<u32>().ok());
    let emulate = addr.mode.as_deref() == Some("emulate");
    if emulate && let Some(b) = bits.filter(|&b| b > 0 && !QEMU_PHYS_BITS.contains(&b)) {
        out.push(out_of_range(doc, addr, b));
    }
    let release = catalog.libvirt.release();
    if addr.limit.is_some() && release < LIMIT_SINCE {
        out.push(
            Diagnostic::new(
                "phys-limit-unknown",
                // The guest starts (without the limit): not an error of the domain, but `set`
                // refuses to write it.
                Severity::Warning,
                format!(
                    "libvirt {} does not know <maxphysaddr limit=…> (libvirt 9.3.0 added it): `virsh define` drops it, so QEMU gets host-phys-bits=on without a limit, and `virsh define --validate` (and `virsh edit`) refuse the document",
                    release.line()
                ),
            )
            .at(doc, Some(addr.el))
            .suggest(Some("remove limit=, or use emulate with bits= (`virt-cpu set FILE --maxphysaddr emulate:BITS`)".into())),
        );
    }
    // The host check itself is libvirt's (the refusal is classified by [`above_host`]); say
    // when it could not be made.
    if emulate && !libvirt_refused && bits.is_some_and(|b| b > 0) {
        let why = match &caps.domcaps {
            None => Some("no host was given (--host-caps, -c)".to_string()),
            Some(h) if h.phys_bits.is_none() => Some(format!(
                "{} does not say the host's width (libvirt 9.0's domcapabilities never do; `virsh capabilities` does: add --host-capabilities FILE or use -c)",
                h.source
            )),
            Some(_) => None,
        };
        if let Some(why) = why {
            out.push(
                Diagnostic::new(
                    "host-not-checked",
                    Severity::Info,
                    format!(
                        "libvirt refuses more physical address bits than its host CPU has (\"{ABOVE_HOST}\") when the domain is defined, started or migrated in; the host's width is unknown: {why}"
                    ),
                )
                .at(doc, Some(addr.el)),
            );
        }
    }
}

/// QEMU refuses `phys-bits` outside 32–52 when the guest starts (`x86_cpu_realizefn`).
fn out_of_range(doc: &Document, addr: &MaxPhysAddr, bits: u32) -> Diagnostic {
    let (lo, hi) = (QEMU_PHYS_BITS.start(), QEMU_PHYS_BITS.end());
    Diagnostic::new(
        "phys-bits-out-of-range",
        Severity::Error,
        format!(
            "libvirt accepts this definition but QEMU refuses to start it: \"phys-bits should be between {lo} and {hi}  (but is {bits})\""
        ),
    )
    .at(doc, Some(addr.el))
    .suggest(Some(format!("bits between {lo} and {hi}")))
}

/// libvirt's refusal of more bits than the host has, under its own code, with the host's
/// width and the fix that sets it.
pub(super) fn above_host(doc: &Document, caps: &QemuCaps, e: &LibvirtError) -> Option<Diagnostic> {
    if !e.message.ends_with(ABOVE_HOST) {
        return None;
    }
    let host = caps.domcaps.as_ref().and_then(|d| d.phys_bits)?;
    let h = host.bits;
    Some(
        Diagnostic::new(
            "phys-bits-above-host",
            Severity::Error,
            format!(
                "libvirt refuses this definition on this host: {} — the host CPU has {h} physical address bits; a guest moved to a host with fewer is refused there too (and QEMU alone, without libvirt's check, runs a guest that can crash once it uses memory above the host's width); use at most {h} bits, or mode='passthrough' (with limit=, libvirt 9.3 and later) to follow each host",
                e.message
            ),
        )
        .at(doc, e.el)
        .suggest(Some(format!("bits='{h}' (the host's width)")))
        .fix(Some(Edit::SetMaxPhysAddr(Some(PhysAddr::Emulate {
            bits: Some(h),
        })))),
    )
}

#[cfg(test)]
mod tests {
    use crate::argv::{QemuCaps, Reading};
    use crate::catalog::Catalog;
    use crate::catalog::versions::EMBEDDED;
    use crate::domain::Domain;
    use crate::host::{DomCaps, PhysBits, PhysBitsSource};
    use crate::xml::Document;

    /// The codes `check` gives a domain with this `<maxphysaddr>`, with the catalog of `pair`
    /// and a host of `host_bits` (`Some(None)`: a host that does not say its width).
    fn codes(addr: &str, pair: usize, host_bits: Option<Option<u32>>) -> Vec<String> {
        let xml = format!(
            "<domain type='qemu'><name>p</name><os><type arch='x86_64' machine='pc'>hvm</type></os><cpu><model>qemu64</model>{addr}</cpu></domain>"
        );
        let doc = Document::parse(xml.as_bytes()).unwrap();
        let dom = Domain::read(&doc).unwrap();
        let catalog = Catalog::embedded_pair(&EMBEDDED[pair]);
        let mut caps = QemuCaps::from_catalog(&dom, catalog);
        if let Some(bits) = host_bits {
            caps.domcaps = Some(DomCaps {
                source: "h.xml".into(),
                domain: "kvm".into(),
                phys_bits: bits.map(|bits| PhysBits {
                    bits,
                    from: PhysBitsSource::DomCapabilities,
                }),
                ..DomCaps::default()
            });
        }
        super::super::check(&doc, &dom, &caps, catalog, Reading::Merge)
            .diagnostics
            .iter()
            .map(|d| format!("{}:{}", d.severity, d.code))
            .collect()
    }

    #[test]
    fn bits_against_the_host_and_qemus_range() {
        let emulate = |b: u32| format!("<maxphysaddr mode='emulate' bits='{b}'/>");
        for pair in [0, 1] {
            assert!(codes(&emulate(46), pair, Some(Some(46))).is_empty());
            assert_eq!(
                codes(&emulate(47), pair, Some(Some(46))),
                ["error:phys-bits-above-host"]
            );
            assert_eq!(
                codes(&emulate(47), pair, Some(None)),
                ["info:host-not-checked"]
            );
            assert_eq!(codes(&emulate(47), pair, None), ["info:host-not-checked"]);
            assert_eq!(
                codes(&emulate(31), pair, Some(Some(46))),
                ["error:phys-bits-out-of-range"]
            );
            // Passthrough follows the host: nothing to compare.
            assert!(codes("<maxphysaddr mode='passthrough'/>", pair, None).is_empty());
        }
    }

    #[test]
    fn a_limit_is_unknown_before_libvirt_9_3() {
        let limit = "<maxphysaddr mode='passthrough' limit='39'/>";
        assert_eq!(codes(limit, 0, None), ["warning:phys-limit-unknown"]);
        assert!(codes(limit, 1, None).is_empty());
    }
}

//! `<cpu><maxphysaddr>`: the guest's physical address bits, set, replaced or removed in place.

use super::empty_element;
use crate::domain::Domain;
use crate::xml::{Document, Splice};

/// What `<maxphysaddr>` says: the host's width passed through (optionally capped by `limit`,
/// libvirt 9.3 and later), or a fixed width (`bits`; without it, libvirt 9.3 and later turn
/// `host-phys-bits` off and leave QEMU's default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhysAddr {
    Passthrough { limit: Option<u32> },
    Emulate { bits: Option<u32> },
}

/// QEMU's range for `phys-bits` (`x86_cpu_realizefn`: 32 to `TARGET_PHYS_ADDR_SPACE_BITS`).
pub const QEMU_PHYS_BITS: std::ops::RangeInclusive<u32> = 32..=52;

impl PhysAddr {
    /// `passthrough`, `passthrough:LIMIT`, `emulate:BITS`, `emulate`; `none` removes the element
    /// (`Ok(None)`).
    pub fn parse(spec: &str) -> Result<Option<PhysAddr>, String> {
        let bad = |why: String| {
            format!(
                "--maxphysaddr {spec}: {why}; write passthrough, passthrough:LIMIT, emulate:BITS, \
                 emulate or none"
            )
        };
        let number = |n: &str| {
            n.trim()
                .parse::<u32>()
                .map_err(|_| bad(format!("'{n}' is not a number")))
        };
        let (mode, value) = match spec.split_once(':') {
            Some((m, v)) => (m, Some(v)),
            None => (spec, None),
        };
        match (mode.trim(), value) {
            ("none", None) => Ok(None),
            ("passthrough", None) => Ok(Some(PhysAddr::Passthrough { limit: None })),
            ("passthrough", Some(l)) => match number(l)? {
                // libvirt's words (`virXMLPropUInt` with VIR_XML_PROP_NONZERO).
                0 => Err(bad(
                    "a limit of 0: libvirt refuses it (\"Zero is not permitted\")".into(),
                )),
                limit => Ok(Some(PhysAddr::Passthrough { limit: Some(limit) })),
            },
            ("emulate", None) => Ok(Some(PhysAddr::Emulate { bits: None })),
            ("emulate", Some(b)) => {
                let bits = number(b)?;
                if bits == 0 {
                    return Err(bad(
                        "bits 0 is QEMU's default width (emulate alone on libvirt 9.3 and later, or none)".into(),
                    ));
                }
                if !QEMU_PHYS_BITS.contains(&bits) {
                    return Err(bad(format!(
                        "QEMU takes {} to {} bits (\"phys-bits should be between {} and {}  (but is {bits})\")",
                        QEMU_PHYS_BITS.start(),
                        QEMU_PHYS_BITS.end(),
                        QEMU_PHYS_BITS.start(),
                        QEMU_PHYS_BITS.end()
                    )));
                }
                Ok(Some(PhysAddr::Emulate { bits: Some(bits) }))
            }
            ("none", Some(_)) => Err(bad("none takes no number".into())),
            (other, _) => Err(bad(format!("unknown mode '{other}'"))),
        }
    }

    fn mode(&self) -> &'static str {
        match self {
            PhysAddr::Passthrough { .. } => "passthrough",
            PhysAddr::Emulate { .. } => "emulate",
        }
    }

    /// The attributes in libvirt's order (`virCPUDefFormat`: mode, bits, limit); `None` for
    /// one not written.
    fn attrs(&self) -> [(&'static str, Option<String>); 3] {
        let (bits, limit) = match *self {
            PhysAddr::Passthrough { limit } => (None, limit),
            PhysAddr::Emulate { bits } => (bits, None),
        };
        [
            ("mode", Some(self.mode().to_string())),
            ("bits", bits.map(|b| b.to_string())),
            ("limit", limit.map(|l| l.to_string())),
        ]
    }
}

impl std::fmt::Display for PhysAddr {
    /// The `--maxphysaddr` spelling: `passthrough:39`, `emulate:46`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            PhysAddr::Passthrough { limit: Some(l) } => write!(f, "passthrough:{l}"),
            PhysAddr::Emulate { bits: Some(b) } => write!(f, "emulate:{b}"),
            other => f.write_str(other.mode()),
        }
    }
}

/// Sets `<maxphysaddr>` in place (only the attributes that differ; a new one goes at the end
/// of the tag), adds one in libvirt's place (after model, vendor, topology and cache), creating
/// `<cpu>` as needed, or removes it (`None`).
pub(super) fn set(doc: &Document, dom: &Domain, wanted: Option<&PhysAddr>) -> Vec<Splice> {
    let cpu = dom.cpu.as_ref();
    let now = cpu.and_then(|c| c.maxphysaddr.as_ref());
    match (now, wanted) {
        (None, None) => Vec::new(),
        (Some(el), None) => vec![doc.remove_element(el.el)],
        (Some(el), Some(w)) => in_place(doc, el.el, w),
        (None, Some(w)) => {
            let refs: Vec<(&str, String)> = w
                .attrs()
                .into_iter()
                .filter_map(|(n, v)| Some((n, v?)))
                .collect();
            let attrs: Vec<(&str, &str)> = refs.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let fragment = empty_element(doc, "maxphysaddr", &attrs);
            let Some(cpu) = cpu else {
                return vec![super::cpu::new_cpu(doc, &[], &[fragment])];
            };
            let before_it = ["model", "vendor", "topology", "cache"];
            let after = doc
                .children(cpu.el)
                .filter(|&c| before_it.iter().any(|n| doc.is_plain(c, n)))
                .last();
            let first_other = doc
                .children(cpu.el)
                .find(|&c| !before_it.iter().any(|n| doc.is_plain(c, n)));
            vec![match (after, first_other) {
                (Some(a), _) => doc.insert_after(a, &fragment),
                (None, Some(f)) => doc.insert_before(f, &fragment),
                (None, None) => doc.append_child(cpu.el, &fragment),
            }]
        }
    }
}

fn in_place(doc: &Document, el: crate::xml::ElemId, w: &PhysAddr) -> Vec<Splice> {
    let mut out = Vec::new();
    let mut added = String::new();
    for (name, value) in w.attrs() {
        let current = doc.attr_value(el, name);
        match value {
            None => out.extend(doc.remove_attr(el, name)),
            Some(v) if current.as_deref() == Some(v.as_str()) => {}
            Some(v) if current.is_some() => out.push(doc.set_attr(el, name, &v)),
            Some(v) => added.push_str(&doc.style().attribute(name, &v)),
        }
    }
    if !added.is_empty() {
        out.push(Splice::insert(doc.tag_attrs_end(el), added));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::{Edit, Edited};

    fn apply(xml: &str, spec: &str) -> String {
        let mut ed = Edited::new(Document::parse(xml.as_bytes()).unwrap()).unwrap();
        ed.apply(&Edit::SetMaxPhysAddr(PhysAddr::parse(spec).unwrap()))
            .unwrap();
        ed.doc.source().to_string()
    }

    #[test]
    fn specs_parse_and_print_back() {
        for spec in ["passthrough", "passthrough:39", "emulate:46", "emulate"] {
            assert_eq!(PhysAddr::parse(spec).unwrap().unwrap().to_string(), spec);
        }
        assert_eq!(PhysAddr::parse("none").unwrap(), None);
        for bad in [
            "emulate:31",
            "emulate:53",
            "emulate:0",
            "passthrough:0",
            "passthrough:x",
            "host",
            "none:3",
        ] {
            assert!(PhysAddr::parse(bad).is_err(), "{bad}");
        }
        assert!(
            PhysAddr::parse("emulate:60")
                .unwrap_err()
                .contains("phys-bits should be between 32 and 52  (but is 60)")
        );
    }

    #[test]
    fn a_new_one_goes_after_model_topology_and_cache_before_features() {
        let xml = "<domain type='kvm'>\n  <cpu mode='custom'>\n    <model>Skylake-Client</model>\n    <topology sockets='1' dies='1' cores='2' threads='1'/>\n    <cache mode='passthrough'/>\n    <feature policy='require' name='vmx'/>\n  </cpu>\n</domain>\n";
        assert_eq!(
            apply(xml, "emulate:46"),
            "<domain type='kvm'>\n  <cpu mode='custom'>\n    <model>Skylake-Client</model>\n    <topology sockets='1' dies='1' cores='2' threads='1'/>\n    <cache mode='passthrough'/>\n    <maxphysaddr mode='emulate' bits='46'/>\n    <feature policy='require' name='vmx'/>\n  </cpu>\n</domain>\n"
        );
        // Only features: before them.
        let only = "<domain>\n  <cpu>\n    <feature name=\"vmx\"/>\n  </cpu>\n</domain>\n";
        assert_eq!(
            apply(only, "passthrough"),
            "<domain>\n  <cpu>\n    <maxphysaddr mode=\"passthrough\"/>\n    <feature name=\"vmx\"/>\n  </cpu>\n</domain>\n"
        );
    }

    #[test]
    fn an_empty_or_one_line_cpu_keeps_its_shape() {
        assert_eq!(
            apply(
                "<domain>\n  <cpu mode='host-passthrough'/>\n</domain>\n",
                "passthrough"
            ),
            "<domain>\n  <cpu mode='host-passthrough'>\n    <maxphysaddr mode='passthrough'/>\n  </cpu>\n</domain>\n"
        );
        assert_eq!(
            apply(
                "<domain><cpu><model>qemu64</model><feature name='vmx'/></cpu></domain>",
                "emulate:40"
            ),
            "<domain><cpu><model>qemu64</model><maxphysaddr mode='emulate' bits='40'/><feature name='vmx'/></cpu></domain>"
        );
    }

    #[test]
    fn no_cpu_gets_one() {
        let xml = "<domain type='kvm'>\n  <name>a</name>\n  <devices/>\n</domain>\n";
        assert_eq!(
            apply(xml, "passthrough:39"),
            "<domain type='kvm'>\n  <name>a</name>\n  <cpu>\n    <maxphysaddr mode='passthrough' limit='39'/>\n  </cpu>\n  <devices/>\n</domain>\n"
        );
    }

    #[test]
    fn replaced_in_place_and_removed() {
        let xml = "<domain>\n  <cpu mode='host-passthrough'>\n    <maxphysaddr  mode='passthrough'  limit='39'/> <!-- keep -->\n  </cpu>\n</domain>\n";
        assert_eq!(
            apply(xml, "emulate:46"),
            "<domain>\n  <cpu mode='host-passthrough'>\n    <maxphysaddr  mode='emulate' bits='46'/> <!-- keep -->\n  </cpu>\n</domain>\n"
        );
        assert_eq!(
            apply(xml, "passthrough:40"),
            "<domain>\n  <cpu mode='host-passthrough'>\n    <maxphysaddr  mode='passthrough'  limit='40'/> <!-- keep -->\n  </cpu>\n</domain>\n"
        );
        assert_eq!(apply(xml, "passthrough:39"), xml, "nothing to change");
        // The comment on its line goes with it, as with a dropped feature.
        assert_eq!(
            apply(xml, "none"),
            "<domain>\n  <cpu mode='host-passthrough'>\n  </cpu>\n</domain>\n"
        );
    }

    #[test]
    fn undo_gives_the_bytes_back() {
        let xml = "<domain>\n  <cpu>\n    <model>qemu64</model>\n    <maxphysaddr mode='emulate' bits='40'/>\n  </cpu>\n</domain>\n";
        for spec in ["passthrough", "emulate:48", "none"] {
            let mut ed = Edited::new(Document::parse(xml.as_bytes()).unwrap()).unwrap();
            let inverse = ed
                .apply(&Edit::SetMaxPhysAddr(PhysAddr::parse(spec).unwrap()))
                .unwrap();
            assert_ne!(ed.doc.source(), xml);
            ed.apply_splices(&inverse).unwrap();
            assert_eq!(ed.doc.source(), xml, "{spec}");
        }
    }
}

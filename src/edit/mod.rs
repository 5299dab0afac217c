//! High-level edits of a domain's CPU configuration, turned into splices of the document;
//! an undo/redo history of exact inverse splices.

mod commandline;
mod cpu;
pub mod diff;
mod history;
pub mod hyperv;
mod maxphysaddr;
mod moves;
pub mod nested;
mod notes;
mod qemu_cpu;

pub use history::History;
pub use hyperv::{HvSetting, HypervPreset};
pub use maxphysaddr::{PhysAddr, QEMU_PHYS_BITS};

use crate::domain::{Domain, DomainError, Policy};
use crate::xml::{ApplyError, Document, LoadError, Splice, splice};

/// What the user asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// `<cpu><model>NAME</model>` (creating `<cpu>` / `<model>` as needed).
    SetModel(String),
    /// `<cpu mode=…>`.
    SetMode(String),
    /// `<cpu check=…>` (none, partial, full): how libvirt compares the CPU QEMU created with
    /// the definition at start.
    SetCheck(String),
    /// `<cpu><topology sockets=… dies=… [clusters=…] cores=… threads=…/>`: the values set in
    /// place, or a new `<topology>` in libvirt's place (after `<model>` and `<vendor>`),
    /// creating `<cpu>` as needed.
    SetTopology(Topology),
    /// `<vcpu>N</vcpu>`: the maximum vCPU count (a new `<vcpu placement='static'>` after the
    /// memory elements when there is none).
    SetVcpus(u32),
    /// `<cpu><maxphysaddr mode=… bits=…|limit=…/>`: set in place, added in libvirt's place
    /// (after model, vendor, topology and cache), or removed (`None`).
    SetMaxPhysAddr(Option<PhysAddr>),
    /// `<feature policy=… name=…/>`: added, or its policy changed in place.
    SetFeature { name: String, policy: Policy },
    /// Removes `<feature name=…/>`.
    DropFeature(String),
    /// Renames a `<cpu>` feature in place (the did-you-mean fix), keeping its policy.
    RenameFeature { from: String, to: String },
    /// `<qemu:cpu><qemu:model name=…/>` (creating `<qemu:cpu>` and the namespace as needed).
    SetQemuModel(String),
    /// `<qemu:option name=… value=…/>`: replaces an option of that name, else appends.
    SetQemuOption { name: String, value: Option<String> },
    /// Removes every `<qemu:option>` of that name.
    RemoveQemuOption(String),
    /// Renames `<qemu:option name=…>` in place (the did-you-mean fix).
    RenameQemuOption { from: String, to: String },
    /// Moves the model and features from `<cpu>` to `<qemu:cpu>` (names translated).
    MoveToQemu,
    /// Moves the model and options from `<qemu:cpu>` to `<cpu>` (names translated), if the
    /// libvirt of this CPU map knows the model.
    MoveToCpu(LibvirtModels),
    /// Replaces `<qemu:cpu>` by `<qemu:commandline>` arguments giving QEMU the same -cpu.
    ToCommandline { value: String },
    /// Turns a `-cpu` of `<qemu:commandline>` back into `<qemu:cpu>`, minus what libvirt
    /// appends (`appended`).
    FromCommandline { appended: Vec<String> },
    /// `<features><hyperv><NAME state=…/>` (nested `stimer.direct`), with spinlocks' retries
    /// or vendor_id's value, creating `<features>` and `<hyperv mode='custom'>` as needed.
    SetHyperv(HvSetting),
    /// Makes `<hyperv>` a preset: a custom list (the Windows preset merged with the domain's
    /// own, [`hyperv::windows_preset_on`]; an existing custom `<hyperv>` is edited child by
    /// child), passthrough, or none (removed).
    HypervPreset(HypervPreset),
    /// Nested virtualisation on or off: the steps [`nested::plan`] chose for the vendor, the
    /// mode and the place, applied as one edit (one undo).
    SetNested(Box<nested::NestedChange>),
}

/// A CPU topology: `<topology>`'s numbers. libvirt requires their product to be the maximum
/// vCPU count (`<vcpu>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topology {
    pub sockets: u32,
    pub dies: u32,
    /// `clusters=` (libvirt 10.x and later read it); `None`: not written (removed if there).
    pub clusters: Option<u32>,
    pub cores: u32,
    pub threads: u32,
}

impl Topology {
    /// One socket of `n` cores, one thread each.
    pub fn cores(n: u32) -> Topology {
        Topology {
            sockets: 1,
            dies: 1,
            clusters: None,
            cores: n,
            threads: 1,
        }
    }

    /// The vCPU count it makes (sockets × dies × clusters × cores × threads).
    pub fn product(&self) -> u64 {
        [
            self.sockets,
            self.dies,
            self.clusters.unwrap_or(1),
            self.cores,
            self.threads,
        ]
        .iter()
        .map(|&n| u64::from(n))
        .product()
    }

    /// `SOCKETSxDIESxCORESxTHREADS` (four numbers, each at least 1), or with clusters
    /// `SOCKETSxDIESxCLUSTERSxCORESxTHREADS` (five).
    pub fn parse(spec: &str) -> Result<Topology, String> {
        let bad = |why: &str| {
            format!(
                "--topology {spec}: {why}; write SOCKETSxDIESxCORESxTHREADS (e.g. 1x1x4x2), \
                 or SOCKETSxDIESxCLUSTERSxCORESxTHREADS"
            )
        };
        let nums = spec
            .split(['x', 'X'])
            .map(|n| match n.trim().parse::<u32>() {
                Ok(0) => Err(bad("zero is not permitted (libvirt refuses it)")),
                Ok(v) => Ok(v),
                Err(_) => Err(bad(&format!("'{n}' is not a number"))),
            })
            .collect::<Result<Vec<u32>, String>>()?;
        match nums[..] {
            [sockets, dies, cores, threads] => Ok(Topology {
                sockets,
                dies,
                clusters: None,
                cores,
                threads,
            }),
            [sockets, dies, clusters, cores, threads] => Ok(Topology {
                sockets,
                dies,
                clusters: Some(clusters),
                cores,
                threads,
            }),
            _ => Err(bad(&format!("{} numbers given", nums.len()))),
        }
    }
}

impl std::fmt::Display for Topology {
    /// `sockets 1 · dies 1 · cores 4 · threads 2` (clusters when set).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sockets {} · dies {}", self.sockets, self.dies)?;
        if let Some(c) = self.clusters {
            write!(f, " · clusters {c}")?;
        }
        write!(f, " · cores {} · threads {}", self.cores, self.threads)
    }
}

/// The CPU map of the libvirt the document is for (the catalog's): which models its `<cpu>`
/// takes. Two are equal when they are the same map.
#[derive(Clone, Copy)]
pub struct LibvirtModels(pub &'static crate::catalog::LibvirtMap);

impl PartialEq for LibvirtModels {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for LibvirtModels {}

impl std::fmt::Debug for LibvirtModels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LibvirtModels(libvirt {})", self.0.release())
    }
}

impl Edit {
    /// A value this edit would write that has a control character (C0 — which XML cannot hold,
    /// except TAB, LF and CR —, DEL or C1; none belongs in a name or value of `-cpu`), and the
    /// first such character. The CLI refuses them first, naming the option.
    pub fn control_character(&self) -> Option<(&str, char)> {
        let values: Vec<&str> = match self {
            Edit::SetModel(v) | Edit::SetMode(v) | Edit::SetCheck(v) | Edit::DropFeature(v) => {
                vec![v]
            }
            Edit::SetQemuModel(v) | Edit::RemoveQemuOption(v) => vec![v],
            Edit::SetFeature { name, .. } => vec![name],
            Edit::RenameFeature { from, to } | Edit::RenameQemuOption { from, to } => {
                vec![from, to]
            }
            Edit::SetQemuOption { name, value } => std::iter::once(name.as_str())
                .chain(value.as_deref())
                .collect(),
            Edit::ToCommandline { value } => vec![value],
            Edit::FromCommandline { appended } => appended.iter().map(String::as_str).collect(),
            Edit::SetHyperv(s) => std::iter::once(s.name.as_str())
                .chain(s.value.as_deref())
                .collect(),
            Edit::HypervPreset(_) => Vec::new(),
            // Its steps write only `vmx`/`svm` and on/off.
            Edit::SetNested(_) => Vec::new(),
            Edit::MoveToQemu
            | Edit::MoveToCpu(_)
            | Edit::SetTopology(_)
            | Edit::SetVcpus(_)
            | Edit::SetMaxPhysAddr(_) => Vec::new(),
        };
        values
            .into_iter()
            .find_map(|v| v.chars().find(|c| c.is_control()).map(|c| (v, c)))
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum EditError {
    #[error("{0}")]
    Refused(String),
    /// The edit names a feature or option the document does not have (a bad argument, not a
    /// property of the domain).
    #[error("{0}")]
    NotThere(String),
    #[error(
        "the edit produced XML that does not parse ({0}); nothing was changed — please report this"
    )]
    Reparse(#[from] LoadError),
    #[error("{0}; nothing was changed — please report this")]
    Overlap(#[from] splice::Overlap),
    #[error("the edit produced an invalid domain ({0}); nothing was changed — please report this")]
    Domain(#[from] DomainError),
}

/// A document with its typed view; edits replace both.
#[derive(Debug, Clone)]
pub struct Edited {
    pub doc: Document,
    pub dom: Domain,
}

impl Edited {
    pub fn new(doc: Document) -> Result<Edited, EditError> {
        let dom = Domain::read(&doc)?;
        Ok(Edited { doc, dom })
    }

    /// A document whose domain was read already (as loading does).
    pub fn from_read(doc: Document, dom: Domain) -> Edited {
        Edited { doc, dom }
    }

    /// Readies the document for edits of `<cpu>` (or `<qemu:cpu>`): idle work after the
    /// first frame, so that on a large domain the first edit is as quick as the next ones.
    /// True when the elements got new ids: whatever holds an [`ElemId`](crate::xml::ElemId)
    /// of the old view (a check's diagnostics) must be computed again.
    pub fn prepare_for_edits(&mut self) -> bool {
        let Some(el) = (self.dom.cpu.as_ref().map(|c| c.el))
            .or_else(|| self.dom.qemu_cpu.as_ref().map(|q| q.el))
        else {
            return false;
        };
        let layout = self.doc.layout();
        self.doc.prepare_edits_in(el);
        // Elements may have new ids: read the view again (the text is the same, so it reads).
        if self.doc.layout() != layout
            && let Ok(dom) = Domain::read(&self.doc)
        {
            self.dom = dom;
            return true;
        }
        false
    }

    /// The splices one edit makes, against the current document.
    pub fn splices(&self, edit: &Edit) -> Result<Vec<Splice>, EditError> {
        if let Some((value, c)) = edit.control_character() {
            return Err(EditError::Refused(format!(
                "\"{}\" has the control character {}: no CPU model, feature, mode or QEMU \
                 option has one, and XML cannot hold most; remove it",
                value.escape_debug(),
                c.escape_debug()
            )));
        }
        let (doc, dom) = (&self.doc, &self.dom);
        if dom
            .qemu()
            .is_some_and(|q| q.form == crate::domain::QemuForm::Commandline)
        {
            commandline::refuse_commas(edit)?;
        }
        if self.removes_libvirt_default(edit) {
            let strip = moves::strip_libvirt_default(doc, dom);
            return match edit {
                // The QEMU form has the model already: only libvirt's default goes.
                Edit::MoveToQemu => Ok(strip),
                _ => self.composed(strip, |ed| ed.splices(edit)),
            };
        }
        match edit {
            Edit::SetModel(name) => Ok(cpu::set_model(doc, dom, name)),
            Edit::SetMode(mode) => Ok(cpu::set_mode(doc, dom, mode)),
            Edit::SetCheck(check) => Ok(cpu::set_check(doc, dom, check)),
            Edit::SetTopology(t) => Ok(cpu::set_topology(doc, dom, t)),
            Edit::SetVcpus(n) => Ok(cpu::set_vcpus(doc, dom, *n)),
            Edit::SetMaxPhysAddr(a) => Ok(maxphysaddr::set(doc, dom, a.as_ref())),
            Edit::SetFeature { name, policy } => Ok(cpu::set_feature(doc, dom, name, *policy)),
            Edit::DropFeature(name) => cpu::drop_feature(doc, dom, name),
            Edit::RenameFeature { from, to } => cpu::rename_feature(doc, dom, from, to),
            Edit::SetQemuModel(name) => Ok(qemu_cpu::set_model(doc, dom, name)),
            Edit::SetQemuOption { name, value } => {
                Ok(qemu_cpu::set_option(doc, dom, name, value.as_deref()))
            }
            Edit::RemoveQemuOption(name) => qemu_cpu::remove_option(doc, dom, name),
            Edit::RenameQemuOption { from, to } => qemu_cpu::rename_option(doc, dom, from, to),
            Edit::MoveToQemu => moves::to_qemu(doc, dom),
            Edit::MoveToCpu(models) => moves::to_cpu(doc, dom, models.0),
            Edit::ToCommandline { value } => moves::to_commandline(doc, dom, value),
            Edit::FromCommandline { appended } => moves::from_commandline(doc, dom, appended),
            Edit::SetHyperv(s) => hyperv::set(doc, dom, s),
            Edit::HypervPreset(p) => hyperv::preset(doc, dom, p),
            Edit::SetNested(change) => self.in_steps(&change.steps),
        }
    }

    /// What an edit drops that the user should hear about, said before or after applying
    /// it (only moving `<cpu>` to `<qemu:cpu>` drops anything: libvirt-only settings).
    pub fn left_behind(&self, edit: &Edit) -> Vec<String> {
        match edit {
            // Only libvirt's own default goes then ([`Edited::notes`] says so).
            Edit::MoveToQemu if self.removes_libvirt_default(edit) => Vec::new(),
            Edit::MoveToQemu if self.dom.cpu.is_some() => moves::left_behind(&self.dom),
            _ => Vec::new(),
        }
    }

    /// Whether the edit removes what libvirt added to `<cpu>` at define
    /// ([`Domain::cpu_is_libvirt_default`]): moving the CPU to `<qemu:cpu>` (from `<cpu>`
    /// when the domain has a QEMU form already, or from `<qemu:commandline>`), or from
    /// `<qemu:cpu>` to `<cpu>`, which takes the place of libvirt's default.
    pub fn removes_libvirt_default(&self, edit: &Edit) -> bool {
        self.dom.cpu_is_libvirt_default()
            && match edit {
                Edit::MoveToQemu => self.dom.qemu().is_some(),
                Edit::FromCommandline { .. } => self.dom.qemu_cpu.is_none(),
                Edit::MoveToCpu(_) => self.dom.qemu_cpu.is_some(),
                _ => false,
            }
    }

    /// What the user should hear about an edit besides what it did: libvirt's default
    /// `<cpu>` model removed.
    pub fn notes(&self, edit: &Edit) -> Vec<String> {
        if !self.removes_libvirt_default(edit) {
            return Vec::new();
        }
        let now = match (edit, self.dom.qemu()) {
            (Edit::MoveToCpu(_), _) => "<cpu>, moved from <qemu:cpu>",
            (Edit::MoveToQemu, Some(q)) => q.form.label(),
            _ => "<qemu:cpu>",
        };
        vec![moves::libvirt_default_note(&self.dom, now)]
    }

    /// `first`, then what `then` makes of the result, as one splice of this document (from
    /// the first byte that differs to the last).
    fn composed(
        &self,
        first: Vec<Splice>,
        then: impl FnOnce(&Edited) -> Result<Vec<Splice>, EditError>,
    ) -> Result<Vec<Splice>, EditError> {
        let mut mid = self.clone();
        mid.apply_splices(&first)?;
        let second = then(&mid)?;
        mid.apply_splices(&second)?;
        Ok(one_splice(self.doc.source(), mid.doc.source()))
    }

    /// Edits one after the other, as one splice of this document (nothing when none changes
    /// anything).
    fn in_steps(&self, steps: &[Edit]) -> Result<Vec<Splice>, EditError> {
        let mut mid = self.clone();
        for step in steps {
            mid.apply(step)?;
        }
        Ok(one_splice(self.doc.source(), mid.doc.source()))
    }

    /// Applies an edit; returns the inverse splices (for undo). An edit that changes nothing
    /// returns an empty list.
    pub fn apply(&mut self, edit: &Edit) -> Result<Vec<Splice>, EditError> {
        let splices = self.splices(edit)?;
        self.apply_splices(&splices)
    }

    /// Applies several edits as one: each after the one before, then the whole change as one
    /// splice of this document; returns its inverse (one undo step). On any error nothing is
    /// applied.
    pub fn apply_all(&mut self, edits: &[Edit]) -> Result<Vec<Splice>, EditError> {
        let mut after = self.clone();
        for edit in edits {
            after.apply(edit)?;
        }
        let change = one_splice(self.doc.source(), after.doc.source());
        self.apply_splices(&change)
    }

    /// Applies raw splices (an edit, or an undo), re-indexing the result. On any error the
    /// document is left as it was.
    pub fn apply_splices(&mut self, splices: &[Splice]) -> Result<Vec<Splice>, EditError> {
        let inverse = self.doc.apply(splices).map_err(|e| match e {
            ApplyError::Overlap(o) => EditError::Overlap(o),
            ApplyError::Load(l) => EditError::Reparse(l),
        })?;
        if inverse.is_empty() {
            return Ok(inverse);
        }
        match Domain::reread(&self.doc, &self.dom) {
            Ok(dom) => {
                self.dom = dom;
                Ok(inverse)
            }
            Err(e) => {
                self.doc
                    .apply(&inverse)
                    .expect("the inverse of an applied edit restores a document that parsed");
                // Two edits since `dom` was read: read it whole, not from the last one.
                self.dom = Domain::read(&self.doc).expect("the document read before the edit");
                Err(e.into())
            }
        }
    }
}

/// The one splice turning `before` into `after`: what lies between their common prefix and
/// suffix.
pub(super) fn one_splice(before: &str, after: &str) -> Vec<Splice> {
    if before == after {
        return Vec::new();
    }
    let (b, a) = (before.as_bytes(), after.as_bytes());
    let mut p = b.iter().zip(a).take_while(|(x, y)| x == y).count();
    while !before.is_char_boundary(p) || !after.is_char_boundary(p) {
        p -= 1;
    }
    let room = (b.len() - p).min(a.len() - p);
    let mut s = (b.iter().rev().zip(a.iter().rev()))
        .take(room)
        .take_while(|(x, y)| x == y)
        .count();
    while !before.is_char_boundary(b.len() - s) || !after.is_char_boundary(a.len() - s) {
        s -= 1;
    }
    vec![Splice::replace(p..b.len() - s, &after[p..a.len() - s])]
}

/// An element written in the document's style: `<name a='1' b='2'/>`.
pub(crate) fn empty_element(doc: &Document, name: &str, attrs: &[(&str, &str)]) -> String {
    let mut out = format!("<{name}");
    for (k, v) in attrs {
        out.push_str(&doc.style().attribute(k, v));
    }
    out.push_str("/>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An edit writing a control character is refused, whichever front asks, and the
    /// document stays as it was.
    #[test]
    fn control_characters_are_refused() {
        let xml = "<domain type='kvm'><name>a</name><cpu mode='custom'><model>Skylake-Client</model></cpu></domain>";
        let mut ed = Edited::new(Document::parse(xml.as_bytes()).unwrap()).unwrap();
        for edit in [
            Edit::SetQemuOption {
                name: "model-id".into(),
                value: Some("X\u{1}Y".into()),
            },
            Edit::SetModel("Skylake\tClient".into()),
            Edit::SetFeature {
                name: "vmx\n".into(),
                policy: Policy::Require,
            },
            Edit::SetQemuModel("a\u{7f}".into()),
        ] {
            match ed.apply(&edit) {
                Err(EditError::Refused(m)) => assert!(m.contains("control character"), "{m}"),
                other => panic!("{edit:?}: {other:?}"),
            }
            assert_eq!(ed.doc.source(), xml);
        }
        assert!(
            ed.apply(&Edit::SetQemuOption {
                name: "model-id".into(),
                value: Some("Café ✓".into()),
            })
            .is_ok()
        );
    }

    fn edited(xml: &str) -> Edited {
        Edited::new(Document::parse(xml.as_bytes()).unwrap()).unwrap()
    }

    fn topo(spec: &str) -> Edit {
        Edit::SetTopology(Topology::parse(spec).unwrap())
    }

    #[test]
    fn topology_specs_are_four_or_five_numbers() {
        let t = Topology::parse("2x1x4x2").unwrap();
        assert_eq!(
            (t.sockets, t.dies, t.clusters, t.cores, t.threads),
            (2, 1, None, 4, 2)
        );
        assert_eq!(t.product(), 16);
        assert_eq!(Topology::parse("1x1x2x2x1").unwrap().clusters, Some(2));
        for bad in ["4", "2x2", "1x1x0x1", "1xax2x1", "1x1x1x1x1x1"] {
            assert!(
                Topology::parse(bad)
                    .unwrap_err()
                    .contains("SOCKETSxDIESxCORESxTHREADS")
            );
        }
    }

    /// Values change in place; a missing attribute goes in libvirt's order; undo restores.
    #[test]
    fn topology_is_set_in_place() {
        let xml = "<domain type='kvm'>\n  <vcpu>4</vcpu>\n  <cpu mode='custom'>\n    <model>Skylake-Client</model>\n    <topology sockets=\"1\" cores='3' threads='1'/>\n  </cpu>\n</domain>\n";
        let mut ed = edited(xml);
        let inverse = ed.apply(&topo("1x1x4x1")).unwrap();
        assert!(
            ed.doc
                .source()
                .contains("<topology sockets=\"1\" cores='4' threads='1'/>")
        );
        ed.apply_splices(&inverse).unwrap();
        assert_eq!(ed.doc.source(), xml);
        ed.apply(&topo("1x2x2x1")).unwrap();
        assert!(
            ed.doc
                .source()
                .contains("<topology sockets=\"1\" dies='2' cores='2' threads='1'/>"),
            "{}",
            ed.doc.source()
        );
        let t = ed.dom.cpu.as_ref().unwrap().topology.as_ref().unwrap();
        assert_eq!(t.dies.as_deref(), Some("2"));
        ed.apply(&topo("1x1x2x2x1")).unwrap();
        assert!(
            ed.doc
                .source()
                .contains("<topology sockets=\"1\" dies='1' clusters='2' cores='2' threads='1'/>")
        );
        ed.apply(&topo("1x1x4x1")).unwrap();
        assert!(
            ed.doc
                .source()
                .contains("<topology sockets=\"1\" dies='1' cores='4' threads='1'/>")
        );
        assert!(ed.apply(&topo("1x1x4x1")).unwrap().is_empty(), "already so");
    }

    /// A new `<topology>` follows `<model>` and `<vendor>`, precedes the rest; without `<cpu>`
    /// one is made.
    #[test]
    fn a_new_topology_goes_in_libvirts_place() {
        let xml = "<domain type='kvm'>\n  <cpu mode='custom'>\n    <model>Haswell</model>\n    <vendor>Intel</vendor>\n    <feature policy='require' name='vmx'/>\n  </cpu>\n</domain>\n";
        let mut ed = edited(xml);
        ed.apply(&topo("1x1x2x2")).unwrap();
        assert_eq!(
            ed.doc.source(),
            "<domain type='kvm'>\n  <cpu mode='custom'>\n    <model>Haswell</model>\n    <vendor>Intel</vendor>\n    <topology sockets='1' dies='1' cores='2' threads='2'/>\n    <feature policy='require' name='vmx'/>\n  </cpu>\n</domain>\n"
        );
        let xml = "<domain type='kvm'>\n  <cpu mode='host-passthrough'>\n    <feature policy='disable' name='vmx'/>\n  </cpu>\n</domain>\n";
        let mut ed = edited(xml);
        ed.apply(&topo("2x1x1x1")).unwrap();
        assert!(ed.doc.source().contains("<cpu mode='host-passthrough'>\n    <topology sockets='2' dies='1' cores='1' threads='1'/>\n    <feature"));
        let xml = "<domain type='kvm'>\n  <cpu mode='host-passthrough'/>\n</domain>\n";
        let mut ed = edited(xml);
        ed.apply(&topo("2x1x1x1")).unwrap();
        assert_eq!(
            ed.doc.source(),
            "<domain type='kvm'>\n  <cpu mode='host-passthrough'>\n    <topology sockets='2' dies='1' cores='1' threads='1'/>\n  </cpu>\n</domain>\n"
        );
        let xml = "<domain type='kvm'>\n  <name>a</name>\n  <devices/>\n</domain>\n";
        let mut ed = edited(xml);
        ed.apply(&topo("1x1x2x1")).unwrap();
        assert!(ed.doc.source().contains("  <cpu>\n    <topology sockets='1' dies='1' cores='2' threads='1'/>\n  </cpu>\n  <devices/>"), "{}", ed.doc.source());
    }

    #[test]
    fn vcpus_are_set_or_added_after_the_memory() {
        let xml = "<domain type='kvm'>\n  <name>a</name>\n  <vcpu placement='static'>4</vcpu>\n</domain>\n";
        let mut ed = edited(xml);
        ed.apply(&Edit::SetVcpus(8)).unwrap();
        assert!(
            ed.doc
                .source()
                .contains("<vcpu placement='static'>8</vcpu>")
        );
        assert_eq!(ed.dom.vcpu.as_ref().unwrap().max, "8");
        let xml = "<domain type='kvm'>\n  <name>a</name>\n  <memory unit='KiB'>1024</memory>\n  <os/>\n</domain>\n";
        let mut ed = edited(xml);
        ed.apply(&Edit::SetVcpus(2)).unwrap();
        assert_eq!(
            ed.doc.source(),
            "<domain type='kvm'>\n  <name>a</name>\n  <memory unit='KiB'>1024</memory>\n  <vcpu placement='static'>2</vcpu>\n  <os/>\n</domain>\n"
        );
    }
}

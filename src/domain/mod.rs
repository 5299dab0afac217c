//! A typed read of the CPU-relevant parts of a domain: `<cpu>`, `<qemu:cpu>`, `<features>`,
//! `<clock>`, `<os>`, hyperv panic devices and `<qemu:commandline>`.
//!
//! Values are kept raw (as strings, exactly as libvirt would read them) together with the
//! element they come from, so that the checks can point at the place and libvirt's own
//! validation rules (in `argv::libvirt`) can be applied faithfully.

mod error;
mod hyperv;
mod mode;
mod policy;
mod read;

pub use error::DomainError;
pub use hyperv::{HYPERV_DEPENDENCIES, HYPERV_NESTED, hyperv_meaning, hyperv_qemu_name};
pub use mode::CpuMode;
pub use policy::{Policy, PolicyEffect};

use crate::xml::{Document, ElemId};

/// The domain's `<cpu>` element.
#[derive(Debug, Clone, Default)]
pub struct CpuDef {
    pub el: ElemId,
    pub mode: Option<String>,
    pub match_: Option<String>,
    pub check: Option<String>,
    pub migratable: Option<String>,
    /// `deprecated_features=…` (libvirt 11.3).
    pub deprecated_features: Option<String>,
    pub model: Option<Model>,
    pub vendor: Option<String>,
    pub features: Vec<Feature>,
    pub caches: Vec<Cache>,
    pub maxphysaddr: Option<MaxPhysAddr>,
    pub has_topology: bool,
    /// `<topology threads=…>`.
    pub threads: Option<String>,
    /// The first `<topology>` (libvirt reads `./topology[1]`), its attributes raw.
    pub topology: Option<Topology>,
    pub has_numa: bool,
    /// `<numa><cell id=…>` elements with their `id` attribute.
    pub numa_cells: Vec<(ElemId, Option<String>)>,
    /// Parallel to `numa_cells`: the cell's `cpus` attribute.
    pub numa_cpus: Vec<Option<String>>,
    /// Parallel to `numa_cells`: the `<sibling>` elements of the cell's first `<distances>`
    /// (`None` for a cell without one).
    pub numa_distances: Vec<Option<Vec<NumaSibling>>>,
}

/// `<cpu><topology sockets=… dies=… clusters=… cores=… threads=…/>`, raw.
#[derive(Debug, Clone, Default)]
pub struct Topology {
    pub el: ElemId,
    pub sockets: Option<String>,
    pub dies: Option<String>,
    /// Read by libvirt since 10.x (11.3 verified).
    pub clusters: Option<String>,
    pub cores: Option<String>,
    pub threads: Option<String>,
}

/// The domain's first `<vcpu>`: the maximum vCPU count (its text) and its attributes, raw.
#[derive(Debug, Clone, Default)]
pub struct Vcpu {
    pub el: ElemId,
    /// The element's text, untrimmed (libvirt parses it with `virStrToLong_ui`).
    pub max: String,
    pub current: Option<String>,
    pub placement: Option<String>,
}

/// `<numa><cell><distances><sibling id=… value=…/>`.
#[derive(Debug, Clone, Default)]
pub struct NumaSibling {
    pub el: ElemId,
    pub id: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub el: ElemId,
    /// The element's whole text content (libvirt does not trim it).
    pub name: String,
    pub fallback: Option<String>,
    pub vendor_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Feature {
    pub el: ElemId,
    pub name: Option<String>,
    /// The attribute as written; [`Feature::known_policy`] reads it.
    pub policy: Option<String>,
}

impl Feature {
    /// The policy libvirt reads: `require` without the attribute, `None` for a value libvirt
    /// refuses.
    pub fn known_policy(&self) -> Option<Policy> {
        Policy::from_attribute(self.policy.as_deref())
    }

    /// What this `<feature>` does to the model's features; `model_has`: whether the model has
    /// it (`None`: no model, or one the catalog does not know).
    pub fn against_model(&self, model_has: Option<bool>) -> AgainstModel {
        match self.known_policy().map(Policy::effect) {
            Some(PolicyEffect::On) => AgainstModel::on(true, model_has),
            Some(PolicyEffect::Off) => AgainstModel::on(false, model_has),
            // libvirt resolves `optional` against the host when the guest starts.
            Some(PolicyEffect::OnIfHostHas) => AgainstModel::IfHostHas,
            None => AgainstModel::BadPolicy,
        }
    }
}

/// What a feature setting (`<feature policy=…>`, `<qemu:option>`) does to the CPU model's own
/// features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgainstModel {
    /// On, and the model has it anyway.
    InModel,
    /// On, and the model lacks it (or the model is unknown).
    Added,
    /// Off, and the model has it.
    Removed,
    /// Off, and the model lacks it anyway (or the model is unknown).
    NotInModel,
    /// `optional`: on only where the host has it.
    IfHostHas,
    /// A policy libvirt refuses.
    BadPolicy,
}

impl AgainstModel {
    /// A feature turned on or off, against whether the model has it.
    pub fn on(on: bool, model_has: Option<bool>) -> AgainstModel {
        match (on, model_has) {
            (true, Some(true)) => AgainstModel::InModel,
            (true, _) => AgainstModel::Added,
            (false, Some(true)) => AgainstModel::Removed,
            (false, _) => AgainstModel::NotInModel,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Cache {
    pub el: ElemId,
    pub level: Option<String>,
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct MaxPhysAddr {
    pub el: ElemId,
    pub mode: Option<String>,
    pub bits: Option<String>,
    /// `limit=…` (libvirt 9.3).
    pub limit: Option<String>,
}

/// Where the QEMU model and options of a domain live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QemuForm {
    /// The proposed `<qemu:cpu>` element: `<qemu:model>` and `<qemu:option>` children.
    #[default]
    Element,
    /// The `-cpu` value a `<qemu:commandline>` passes (its last one, the one QEMU keeps): one
    /// `<qemu:arg value='MODEL,OPTION,…'/>`, which edits rewrite in place.
    Commandline,
}

impl QemuForm {
    /// How the fronts name the place: `<qemu:cpu>`, or `<qemu:commandline> -cpu`.
    pub fn label(self) -> &'static str {
        match self {
            QemuForm::Element => "<qemu:cpu>",
            QemuForm::Commandline => "<qemu:commandline> -cpu",
        }
    }
}

/// The QEMU model and options: the proposed `<qemu:cpu>` element, or the same read out of a
/// `-cpu` that `<qemu:commandline>` passes ([`QemuForm`]); [`Domain::qemu`] gives the one the
/// domain uses.
#[derive(Debug, Clone, Default)]
pub struct QemuCpu {
    /// `<qemu:cpu>`, or the `<qemu:arg>` holding the `-cpu` value (every model and option
    /// of that form points at it too).
    pub el: ElemId,
    pub form: QemuForm,
    /// Every `<qemu:model>` child (more than one is an error the checks report).
    pub models: Vec<QemuModelRef>,
    pub options: Vec<QemuOption>,
    /// Children that are neither `<qemu:model>` nor `<qemu:option>`.
    pub unknown_children: Vec<ElemId>,
}

#[derive(Debug, Clone, Default)]
pub struct QemuModelRef {
    pub el: ElemId,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct QemuOption {
    pub el: ElemId,
    pub name: Option<String>,
    pub value: Option<String>,
}

impl QemuOption {
    /// A feature option turns the feature on unless its value is `off`, `false` or `no`.
    pub fn is_on(&self) -> bool {
        !matches!(self.value.as_deref(), Some("off" | "false" | "no"))
    }

    /// The option as it appears in `-cpu`: `name=value`, or the bare name without a value.
    pub fn to_arg(&self) -> String {
        let name = self.name.as_deref().unwrap_or_default();
        match &self.value {
            Some(v) => format!("{name}={v}"),
            None => name.to_string(),
        }
    }
}

/// A child of `<hyperv>` or `<kvm>` (`<relaxed state='on'/>`).
#[derive(Debug, Clone, Default)]
pub struct Toggle {
    pub el: ElemId,
    pub name: String,
    pub state: Option<String>,
    /// Other attributes libvirt reads (`retries`, `value`, `size`).
    pub extra: Vec<(String, String)>,
    /// Child toggles (`<stimer><direct state='on'/></stimer>`).
    pub children: Vec<Toggle>,
}

impl Toggle {
    pub fn extra(&self, name: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Features {
    pub el: Option<ElemId>,
    /// Every child element of `<features>` by local name, in document order.
    pub names: Vec<(ElemId, String)>,
    pub apic_eoi: Option<(ElemId, Option<String>)>,
    pub pvspinlock: Option<(ElemId, Option<String>)>,
    pub pmu: Option<(ElemId, Option<String>)>,
    pub hyperv: Option<Hyperv>,
    pub kvm: Option<Vec<Toggle>>,
    pub kvm_el: Option<ElemId>,
}

#[derive(Debug, Clone, Default)]
pub struct Hyperv {
    pub el: ElemId,
    pub mode: Option<String>,
    pub children: Vec<Toggle>,
}

#[derive(Debug, Clone, Default)]
pub struct Timer {
    pub el: ElemId,
    pub name: Option<String>,
    pub present: Option<String>,
    pub tickpolicy: Option<String>,
    pub frequency: Option<String>,
    pub mode: Option<String>,
    pub has_catchup: bool,
}

/// An argument of `<qemu:commandline>`.
#[derive(Debug, Clone, Default)]
pub struct CommandlineArg {
    pub el: ElemId,
    pub value: Option<String>,
}

/// Everything about a domain that decides its `-cpu`.
#[derive(Debug, Clone, Default)]
pub struct Domain {
    /// `<domain type=…>`: `kvm`, `qemu`, …
    pub virt_type: String,
    /// `<os><type arch=…>`, when given.
    pub arch: Option<String>,
    pub machine: Option<String>,
    /// The `<os><type>` element that names the machine type.
    pub machine_el: Option<ElemId>,
    /// The first `<vcpu>`; `None`: libvirt's default of one vCPU.
    pub vcpu: Option<Vcpu>,
    /// `<vcpus><vcpu …/></vcpus>` gives each vCPU's state, which then decides which are online
    /// (instead of `<vcpu current=…>`).
    pub individual_vcpus: bool,
    /// `<devices><emulator>`, when given.
    pub emulator: Option<String>,
    pub cpu: Option<CpuDef>,
    pub qemu_cpu: Option<QemuCpu>,
    /// The last `-cpu` of `<qemu:commandline>` read as a model and options
    /// ([`QemuForm::Commandline`]).
    pub commandline_cpu: Option<QemuCpu>,
    /// The `xmlns:…` attribute on `<domain>` that binds the QEMU namespace, if any.
    pub qemu_ns_declared: bool,
    pub features: Features,
    pub timers: Vec<Timer>,
    pub hyperv_panics: Vec<ElemId>,
    pub commandline: Vec<CommandlineArg>,
    /// `<qemu:env>` entries exist (they taint `custom-argv` too).
    pub has_qemu_env: bool,
    /// `<qemu:override><qemu:device>` entries exist (taint `custom-device`).
    pub has_qemu_device_override: bool,
    /// `<qemu:capabilities>` with add/del entries (taint `custom-hypervisor-feature`).
    pub has_qemu_capabilities: bool,
    /// Where this view was read from, to read only what an edit touched next time.
    read_from: ReadFrom,
}

/// The document state a [`Domain`] was read from.
#[derive(Debug, Clone, Default)]
struct ReadFrom {
    layout: u64,
    devices: Option<ElemId>,
}

impl Domain {
    /// Reads the domain from a parsed document, refusing what is not an x86 libvirt domain.
    pub fn read(doc: &Document) -> Result<Domain, DomainError> {
        read::read(doc, None)
    }

    /// Reads the domain again after one edit of the document this view was read from,
    /// taking over what lies outside the edit: `<devices>` of a large domain holds tens of
    /// thousands of elements, and edits happen in `<cpu>`.
    pub fn reread(doc: &Document, before: &Domain) -> Result<Domain, DomainError> {
        read::read(doc, Some(before))
    }

    /// The guest architecture libvirt uses: the `arch` attribute, or the host's (x86_64).
    pub fn guest_arch(&self) -> &str {
        self.arch.as_deref().unwrap_or("x86_64")
    }

    pub fn is_i686(&self) -> bool {
        self.guest_arch() == "i686"
    }

    /// Where the QEMU model and options live: `<qemu:cpu>` when there is one (the element
    /// the proposal edits), else the `-cpu` a `<qemu:commandline>` passes.
    pub fn qemu(&self) -> Option<&QemuCpu> {
        self.qemu_cpu.as_ref().or(self.commandline_cpu.as_ref())
    }

    /// The model libvirt writes into `<cpu>` at define time when `<cpu>` names none: `qemu32`
    /// for i686 guests, `qemu64` otherwise.
    pub fn libvirt_default_model(&self) -> &'static str {
        if self.is_i686() { "qemu32" } else { "qemu64" }
    }

    /// `<cpu>` holds exactly what libvirt adds at define time to a `<cpu>` naming no model
    /// (or to no `<cpu>` at all): `mode='custom' match='exact' check='none'` and
    /// `<model fallback='forbid'>qemu64</model>` (`qemu32` for i686), nothing else besides
    /// topology, NUMA, caches and the like (seen on libvirt 9.0 and 11.3). Not the user's
    /// choice of a model, then: next to a QEMU form it is no second definition.
    pub fn cpu_is_libvirt_default(&self) -> bool {
        let Some(cpu) = &self.cpu else { return false };
        let Some(model) = &cpu.model else {
            return false;
        };
        matches!(cpu.mode.as_deref(), None | Some("custom"))
            && matches!(cpu.match_.as_deref(), None | Some("exact"))
            && cpu.check.as_deref() == Some("none")
            && cpu.migratable.is_none()
            && cpu.deprecated_features.is_none()
            && model.name == self.libvirt_default_model()
            && model.fallback.as_deref() == Some("forbid")
            && model.vendor_id.is_none()
            && cpu.vendor.is_none()
            && cpu.features.is_empty()
    }

    /// The `-cpu` values given through `<qemu:commandline>`, in order.
    pub fn commandline_cpu_values(&self) -> Vec<(ElemId, String)> {
        let mut out = Vec::new();
        let mut iter = self.commandline.iter();
        while let Some(arg) = iter.next() {
            // QEMU takes `-cpu` and `--cpu` alike, with the value as the next argument.
            if matches!(arg.value.as_deref(), Some("-cpu" | "--cpu"))
                && let Some(next) = iter.next()
            {
                out.push((next.el, next.value.clone().unwrap_or_default()));
            }
        }
        out
    }
}

/// A `-cpu` value read as a model and options, as converting it to `<qemu:cpu>` would write
/// them: the model before the first `,`, then every non-empty item, `name=value` split at the
/// first `=` (`+feat`, `-feat` and a bare `name` have no value). `el`: the `<qemu:arg>`.
pub fn commandline_cpu(el: ElemId, value: &str) -> QemuCpu {
    let mut items = value.split(',');
    let model = items.next().unwrap_or_default();
    QemuCpu {
        el,
        form: QemuForm::Commandline,
        models: (!model.is_empty())
            .then(|| QemuModelRef {
                el,
                name: Some(model.to_string()),
            })
            .into_iter()
            .collect(),
        options: items
            .filter(|i| !i.is_empty())
            .map(|i| {
                let (name, value) = match i.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (i, None),
                };
                QemuOption {
                    el,
                    name: Some(name.to_string()),
                    value,
                }
            })
            .collect(),
        unknown_children: Vec::new(),
    }
}

//! libvirt 9.0's x86 CPU decoding: CPUID/MSR data → "closest CPU model + feature list"
//! (semantics doc rules 2.3.c and 2.4.b).
//!
//! libvirt uses one decoder for two things that matter to `-cpu`:
//! * the host-model CPU: QEMU's expansion of the host CPU (a property list in the
//!   capabilities) becomes CPUID data, which is decoded against the models QEMU offers
//!   (`src/qemu/qemu_capabilities.c:virQEMUCapsInitCPUModelX86`);
//! * translation of a model QEMU does not offer (`fallback='allow'`): the CPU's full feature set
//!   becomes CPUID data, decoded the same way (`src/cpu/cpu_x86.c:virCPUx86Translate`).
//!
//! Everything is computed from libvirt's CPU map (feature CPUID/MSR bits, model feature lists,
//! vendors, signatures, `decode` flags), in the map's file order, which the decoder depends on.

use super::release::{feature_from_qemu, ignored};
use crate::argv::caps::{HostCpu, OfferedModel, QemuCaps};
use crate::catalog::libvirt_map::{FeatureBits, LibvirtMap, LibvirtModel, Signature};
use crate::domain::{Policy, PolicyEffect};
use std::collections::BTreeMap;

/// Why libvirt's decoder gave up; `Display` is libvirt's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// `x86Decode`: no model qualifies.
    #[error("internal error: Cannot find suitable CPU model for given data")]
    NoSuitableModel,
    /// `virCPUx86VendorToData`: a vendor string that is not 12 bytes long.
    #[error("internal error: Invalid CPU vendor string '{0}'")]
    InvalidVendor(String),
    /// `x86ModelFromCPU`: the model is not in libvirt's map.
    #[error("internal error: Unknown CPU model {0}")]
    UnknownModel(String),
    /// `x86ModelFromCPU`: a feature is not in libvirt's map.
    #[error("internal error: Unknown CPU feature {0}")]
    UnknownFeature(String),
}

/// Which kind of CPU definition the decoder builds (`virCPUType`). Both of libvirt's decodes
/// that reach `-cpu` build guest definitions; host definitions are libvirt's view of the
/// physical CPU (`virCPUGetHost`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuType {
    Host,
    Guest,
}

/// One register set of CPUID or MSR data, keyed like libvirt's `virCPUx86DataItem`: CPUID items
/// sort before MSR items, then by leaf/sub-leaf or MSR index (`virCPUx86DataSorter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Leaf {
    Cpuid { eax_in: u32, ecx_in: u32 },
    Msr { index: u32 },
}

/// CPUID/MSR data (`virCPUx86Data`): registers per leaf. For CPUID the registers are
/// `[eax, ebx, ecx, edx]`; for an MSR `[eax, 0, 0, edx]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpuData {
    items: BTreeMap<Leaf, [u32; 4]>,
}

impl CpuData {
    pub fn new() -> CpuData {
        CpuData::default()
    }

    /// The data of a feature of libvirt's map.
    fn from_bits(bits: &[FeatureBits]) -> CpuData {
        let mut data = CpuData::new();
        for b in bits {
            match *b {
                FeatureBits::Cpuid {
                    eax_in,
                    ecx_in,
                    eax,
                    ebx,
                    ecx,
                    edx,
                } => data.add_item(Leaf::Cpuid { eax_in, ecx_in }, [eax, ebx, ecx, edx]),
                FeatureBits::Msr { index, eax, edx } => {
                    data.add_item(Leaf::Msr { index }, [eax, 0, 0, edx])
                }
            }
        }
        data
    }

    /// `virCPUx86DataAddItem`: OR into an existing item or add a new one.
    fn add_item(&mut self, leaf: Leaf, regs: [u32; 4]) {
        let item = self.items.entry(leaf).or_default();
        for (r, m) in item.iter_mut().zip(regs) {
            *r |= m;
        }
    }

    /// `x86DataAdd`.
    fn add(&mut self, other: &CpuData) {
        for (&leaf, &regs) in &other.items {
            if regs != [0; 4] {
                self.add_item(leaf, regs);
            }
        }
    }

    /// `x86DataSubtract`: clear every bit set in `other`.
    fn subtract(&mut self, other: &CpuData) {
        for (leaf, regs) in self.items.iter_mut() {
            if let Some(mask) = other.items.get(leaf) {
                for (r, m) in regs.iter_mut().zip(mask) {
                    *r &= !m;
                }
            }
        }
    }

    /// `x86DataIsSubset`: every bit of `subset` is set here.
    fn contains(&self, subset: &CpuData) -> bool {
        subset
            .items
            .iter()
            .filter(|(_, regs)| **regs != [0; 4])
            .all(|(leaf, mask)| {
                self.items
                    .get(leaf)
                    .is_some_and(|regs| regs.iter().zip(mask).all(|(r, m)| r & m == *m))
            })
    }

    fn get(&self, leaf: Leaf) -> Option<&[u32; 4]> {
        self.items.get(&leaf)
    }

    /// `virCPUx86DataSetVendor`: the vendor string in CPUID leaf 0 (ebx, edx, ecx).
    pub fn set_vendor(&mut self, vendor: &str) -> Result<(), DecodeError> {
        self.add_item(LEAF_VENDOR, vendor_regs(vendor)?);
        Ok(())
    }

    /// `virCPUx86DataSetSignature`: family/model/stepping in CPUID leaf 1 eax.
    pub fn set_signature(&mut self, family: u32, model: u32, stepping: u32) {
        self.add_item(
            LEAF_SIGNATURE,
            [make_signature(family, model, stepping), 0, 0, 0],
        );
    }

    /// `virCPUx86DataAddFeature`: a feature of libvirt's map by its libvirt name. Names the map
    /// does not define are ignored, as libvirt ignores them (its internal KVM/Hyper-V features
    /// live in leaves no map feature uses, so they cannot change a decode either).
    pub fn add_feature(&mut self, map: &LibvirtMap, name: &str) {
        if let Some(f) = map.feature(name) {
            self.add(&CpuData::from_bits(&f.bits));
        }
    }

    /// `x86DataToSignature`: leaf 1 eax without its reserved bits.
    fn signature(&self) -> u32 {
        self.get(LEAF_SIGNATURE)
            .map_or(0, |r| r[0] & SIGNATURE_MASK)
    }
}

const LEAF_VENDOR: Leaf = Leaf::Cpuid {
    eax_in: 0,
    ecx_in: 0,
};
const LEAF_SIGNATURE: Leaf = Leaf::Cpuid {
    eax_in: 1,
    ecx_in: 0,
};
/// `SIGNATURE_MASK` of cpu_x86.c: reserved bits of the processor signature masked out.
const SIGNATURE_MASK: u32 = 0x0fff_3fff;
/// `BASE_PENALTY` of cpu_x86.c: the weight of the first disabled feature of a candidate.
const BASE_PENALTY: usize = 2;

/// `virCPUx86VendorToData`: the 12-byte vendor string as ebx, edx, ecx (little endian).
fn vendor_regs(vendor: &str) -> Result<[u32; 4], DecodeError> {
    let b = vendor.as_bytes();
    if b.len() != 12 {
        return Err(DecodeError::InvalidVendor(vendor.to_string()));
    }
    let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    Ok([0, word(0), word(8), word(4)])
}

/// `x86MakeSignature`: CPUID leaf 1 eax for a family/model/stepping.
fn make_signature(family: u32, model: u32, stepping: u32) -> u32 {
    let mut sig = 0;
    let mut family = family;
    if family > 0xf {
        sig |= (family - 0xf) << 20;
        family = 0xf;
    }
    sig |= (model >> 4) << 16;
    sig |= family << 8;
    sig |= (model & 0xf) << 4;
    sig | (stepping & 0xf)
}

/// `virCPUx86SignatureFromCPUID`: (family, model, stepping).
fn split_signature(sig: u32) -> (u32, u32, u32) {
    (
        ((sig >> 20) & 0xff) + ((sig >> 8) & 0xf),
        ((sig >> 12) & 0xf0) + ((sig >> 4) & 0xf),
        sig & 0xf,
    )
}

/// The steppings of a map signature (`virBitmapParse` of e.g. `0-4`, `5-7`, `10-11`, over 16
/// bits); `None` means any stepping.
fn steppings(sig: &Signature) -> Option<u16> {
    let text = sig.stepping.as_deref()?;
    let mut set = 0u16;
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (neg, part) = match part.strip_prefix('^') {
            Some(rest) => (true, rest),
            None => (false, part),
        };
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?),
            None => {
                let n = part.parse::<u32>().ok()?;
                (n, n)
            }
        };
        for s in lo..=hi.min(15) {
            if neg {
                set &= !(1 << s);
            } else {
                set |= 1 << s;
            }
        }
    }
    Some(set)
}

/// `virCPUx86SignaturesMatch`.
fn signatures_match(sigs: &[Signature], signature: u32) -> bool {
    let (family, model, stepping) = split_signature(signature);
    sigs.iter().any(|s| {
        s.family == family
            && s.model == model
            && steppings(s).is_none_or(|set| set & (1 << stepping) != 0)
    })
}

/// `virCPUx86SignatureToCPUID`: the first stepping of the set (0 without one).
fn signature_to_cpuid(sig: &Signature) -> u32 {
    let stepping = steppings(sig)
        .filter(|&s| s != 0)
        .map_or(0, |s| s.trailing_zeros());
    make_signature(sig.family, sig.model, stepping)
}

/// libvirt's map prepared for decoding: every feature's and model's CPUID/MSR data.
struct DecodeMap<'a> {
    map: &'a LibvirtMap,
    /// Parallel to `map.features`.
    features: Vec<CpuData>,
    /// Parallel to `map.models`: the OR of each model's (not removed) features.
    models: Vec<CpuData>,
    /// Parallel to `map.vendors`.
    vendors: Vec<[u32; 4]>,
    /// The map's libvirt release (QEMU → libvirt feature names depend on it).
    release: crate::catalog::versions::Version,
}

impl<'a> DecodeMap<'a> {
    fn new(map: &'a LibvirtMap) -> DecodeMap<'a> {
        let features: Vec<CpuData> = map
            .features
            .iter()
            .map(|f| CpuData::from_bits(&f.bits))
            .collect();
        let models = map
            .models
            .iter()
            .map(|m| {
                // `x86ModelParseFeatures`: OR of the features not marked removed.
                let mut data = CpuData::new();
                for name in &m.features {
                    if let Some(i) = map.feature_index(name) {
                        data.add(&features[i]);
                    }
                }
                data
            })
            .collect();
        let vendors = map
            .vendors
            .iter()
            .map(|v| vendor_regs(&v.string).unwrap_or_default())
            .collect();
        DecodeMap {
            map,
            features,
            models,
            vendors,
            release: map.release(),
        }
    }

    fn feature_data(&self, name: &str) -> Option<&CpuData> {
        self.map.feature_index(name).map(|i| &self.features[i])
    }

    /// `x86DataToVendor`: the first vendor whose string is in leaf 0; its bits are cleared.
    fn take_vendor(&self, data: &mut CpuData) -> Option<&'a str> {
        let item = data.items.get_mut(&LEAF_VENDOR)?;
        for (v, regs) in self.map.vendors.iter().zip(&self.vendors) {
            if item.iter().zip(regs).all(|(r, m)| r & m == *m) {
                for (r, m) in item.iter_mut().zip(regs) {
                    *r &= !m;
                }
                return Some(v.name.as_str());
            }
        }
        None
    }

    /// `x86DataToCPUFeatures`: every map feature (in map order) wholly contained in `data`
    /// joins the list with `policy`, and its bits leave `data`.
    fn take_features(&self, data: &mut CpuData, policy: Policy, out: &mut Vec<(String, Policy)>) {
        for (f, fdata) in self.map.features.iter().zip(&self.features) {
            if data.contains(fdata) {
                data.subtract(fdata);
                add_if_missing(out, &f.name, policy);
            }
        }
    }

    /// `x86DataToCPU`: the candidate model plus the features `data` has beyond it (require)
    /// and the model's features `data` lacks (disable).
    fn to_cpu(
        &self,
        data: &CpuData,
        index: usize,
        offered: Option<&OfferedModel>,
        cpu_type: CpuType,
    ) -> Vec<(String, Policy)> {
        let model = &self.map.models[index];
        let mut extra = data.clone();
        let mut missing = self.models[index].clone();
        self.take_vendor(&mut extra);
        extra.subtract(&self.models[index]);
        missing.subtract(data);
        // A model QEMU cannot run here lists the features that block it
        // (`unavailable-features`); libvirt disables each one `extra` does not hold — note that
        // `extra` no longer holds the model's own features.
        if let Some(hv) = offered {
            for blocker in &hv.blockers {
                if let Some(fdata) = self.feature_data(feature_from_qemu(blocker, self.release))
                    && !extra.contains(fdata)
                {
                    missing.add(fdata);
                }
            }
        }
        let mut features = Vec::new();
        self.take_features(&mut extra, Policy::Require, &mut features);
        self.take_features(&mut missing, Policy::Disable, &mut features);
        if cpu_type == CpuType::Guest {
            // `virCPUx86DisableRemovedFeatures`.
            for removed in &model.removed {
                add_if_missing(&mut features, removed, Policy::Disable);
            }
        }
        features
    }
}

/// `virCPUDefAddFeatureIfMissing`.
fn add_if_missing(list: &mut Vec<(String, Policy)>, name: &str, policy: Policy) {
    if !list.iter().any(|(n, _)| n == name) {
        list.push((name.to_string(), policy));
    }
}

/// `virCPUDefUpdateFeature`: replace the policy in place, or append.
fn update_feature(list: &mut Vec<(String, Policy)>, name: &str, policy: Policy) {
    match list.iter_mut().find(|(n, _)| n == name) {
        Some(slot) => slot.1 = policy,
        None => list.push((name.to_string(), policy)),
    }
}

/// `virCPUx86CompareCandidateFeatureList`'s weight of a feature list: (score, disabled part).
/// Each disabled feature costs a growing penalty (2, 3, 4, …) instead of 1. The loop bound
/// shrinks with every disabled feature found, exactly as in libvirt, so disabled features at
/// the tail of a long disabled run are counted as 1 each.
fn weigh(features: &[(String, Policy)], cpu_type: CpuType) -> (usize, usize) {
    if cpu_type == CpuType::Host {
        return (features.len(), 0);
    }
    let mut enabled = features.len();
    let mut disabled = 0;
    let mut penalty = BASE_PENALTY;
    let mut i = 0;
    while i < enabled {
        if features[i].1 == Policy::Disable {
            enabled -= 1;
            disabled += penalty;
            penalty += 1;
        }
        i += 1;
    }
    (enabled + disabled, disabled)
}

/// The result of a decode: a model of libvirt's map and the features that turn it into the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub model: String,
    /// libvirt's vendor name (`Intel`, `AMD`, `Hygon`) found in the data.
    pub vendor: Option<String>,
    /// Extra features (`Require`) then missing ones (`Disable`), each in map order, then (for
    /// guest CPUs) the chosen model's removed features not already listed (`Disable`).
    pub features: Vec<(String, Policy)>,
    /// (family, model, stepping) of the data.
    pub signature: (u32, u32, u32),
}

/// `x86Decode`: the model of libvirt's map closest to `data`, among those QEMU offers
/// (`models`; `None` = every map model).
pub fn decode(
    data: &CpuData,
    models: Option<&[OfferedModel]>,
    cpu_type: CpuType,
    map: &LibvirtMap,
) -> Result<Decoded, DecodeError> {
    decode_with(&DecodeMap::new(map), data, models, cpu_type)
}

fn decode_with(
    dm: &DecodeMap,
    data: &CpuData,
    models: Option<&[OfferedModel]>,
    cpu_type: CpuType,
) -> Result<Decoded, DecodeError> {
    let mut data = data.clone();
    let vendor = dm.take_vendor(&mut data);
    let signature = data.signature();
    filter_broken_tsx(dm, &mut data, vendor);

    let mut best: Option<(&LibvirtModel, Vec<(String, Policy)>)> = None;
    // Newest models first: the map's order, reversed.
    for (index, candidate) in dm.map.models.iter().enumerate().rev() {
        let offered = match models {
            Some(list) => match list.iter().find(|m| m.name == candidate.name) {
                Some(m) => Some(m),
                None => continue,
            },
            None => None,
        };
        if let (Some(v), Some(cv)) = (vendor, candidate.vendor.as_deref())
            && v != cv
        {
            continue;
        }
        let features = dm.to_cpu(&data, index, offered, cpu_type);
        if use_candidate(
            best.as_ref().map(|(m, f)| (*m, f.as_slice())),
            candidate,
            &features,
            signature,
            cpu_type,
        ) {
            best = Some((candidate, features));
        }
    }
    let (model, features) = best.ok_or(DecodeError::NoSuitableModel)?;
    Ok(Decoded {
        model: model.name.clone(),
        vendor: vendor.map(str::to_string),
        features,
        signature: split_signature(signature),
    })
}

/// `x86DecodeUseCandidate` (without preferred models, which the decodes reaching `-cpu` never
/// pass): whether the candidate beats the current best.
fn use_candidate(
    current: Option<(&LibvirtModel, &[(String, Policy)])>,
    candidate: &LibvirtModel,
    features: &[(String, Policy)],
    signature: u32,
    cpu_type: CpuType,
) -> bool {
    match cpu_type {
        CpuType::Host if !candidate.decode_host => return false,
        CpuType::Guest if !candidate.decode_guest => return false,
        _ => {}
    }
    if cpu_type == CpuType::Host && features.iter().any(|(_, p)| *p == Policy::Disable) {
        return false;
    }
    let Some((current, current_features)) = current else {
        return true;
    };
    // A model whose family/model matches the CPU's is preferred to one that does not.
    if signature != 0 {
        let cur = signatures_match(&current.signatures, signature);
        let cand = signatures_match(&candidate.signatures, signature);
        if cur && !cand {
            return false;
        }
        if !cur && cand {
            return true;
        }
    }
    // `virCPUx86CompareCandidateFeatureList`.
    let (cur_score, cur_disabled) = weigh(current_features, cpu_type);
    let (score, disabled) = weigh(features, cpu_type);
    score < cur_score || (score == cur_score && disabled < cur_disabled)
}

/// `x86DataFilterTSX`: Intel family 6 models 60, 69, 70 and 63 (stepping < 4) have broken TSX;
/// `hle` and `rtm` are removed from their data before matching.
fn filter_broken_tsx(dm: &DecodeMap, data: &mut CpuData, vendor: Option<&str>) {
    if vendor != Some("Intel") {
        return;
    }
    let (family, model, stepping) = data
        .get(LEAF_SIGNATURE)
        .map_or((0, 0, 0), |r| split_signature(r[0]));
    if family == 6 && ((model == 63 && stepping < 4) || matches!(model, 60 | 69 | 70)) {
        for name in ["hle", "rtm"] {
            if let Some(f) = dm.feature_data(name) {
                let f = f.clone();
                data.subtract(&f);
            }
        }
    }
}

/// `virCPUx86Translate`: a CPU whose model QEMU does not offer, as the closest model QEMU offers.
///
/// The CPU's full feature set (`x86ModelFromCPU` with every policy: the model's features, plus
/// `require`/`force`, minus `disable`/`forbid`; `optional` ignored), with the model's vendor and
/// first signature, is decoded against `models`; then the CPU's own features are applied over
/// the decoded list in document order (policy replaced in place, or appended). Returns the new
/// model name and feature list.
pub fn translate(
    model: &str,
    features: &[(String, Policy)],
    models: Option<&[OfferedModel]>,
    map: &LibvirtMap,
) -> Result<(String, Vec<(String, Policy)>), DecodeError> {
    let dm = DecodeMap::new(map);
    let index = map
        .models
        .iter()
        .position(|m| m.name == model)
        .ok_or_else(|| DecodeError::UnknownModel(model.to_string()))?;
    let source = &map.models[index];
    let mut data = dm.models[index].clone();
    for (name, policy) in features {
        let fdata = dm
            .feature_data(name)
            .ok_or_else(|| DecodeError::UnknownFeature(name.clone()))?;
        match policy.effect() {
            PolicyEffect::On => data.add(fdata),
            PolicyEffect::Off => data.subtract(fdata),
            PolicyEffect::OnIfHostHas => {}
        }
    }
    if let Some(v) = source
        .vendor
        .as_deref()
        .and_then(|v| map.vendors.iter().position(|x| x.name == v))
    {
        data.add_item(LEAF_VENDOR, dm.vendors[v]);
    }
    if let Some(sig) = source.signatures.first() {
        data.add_item(LEAF_SIGNATURE, [signature_to_cpuid(sig), 0, 0, 0]);
    }
    let decoded = decode_with(&dm, &data, models, CpuType::Guest)?;
    let mut list = decoded.features;
    for (name, policy) in features {
        update_feature(&mut list, name, *policy);
    }
    Ok((decoded.model, list))
}

/// The value of one property of QEMU's CPU model expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QemuPropertyValue {
    Boolean(bool),
    String(String),
    Number(u64),
}

/// One property of QEMU's expansion of the host CPU (`query-cpu-model-expansion`), as libvirt
/// stores it in its capabilities (`<hostCPU><property name= type= value= migratable=/>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QemuCpuProperty {
    /// QEMU's spelling.
    pub name: String,
    pub value: QemuPropertyValue,
    /// `migratable='yes'|'no'`; `None` when QEMU said nothing.
    pub migratable: Option<bool>,
}

/// QEMU's host CPU expansion as libvirt stores it in its capabilities XML (the
/// `/var/cache/libvirt/qemu/capabilities/*.xml` cache, and the `caps_*.xml` files of libvirt's
/// tests): the `<hostCPU type='kvm|tcg'>` element for `accel`, as its property list and its
/// `migratability` flag (`virQEMUCapsLoadHostCPUModelInfo`). `None` without such an element.
pub fn qemu_properties_from_caps_xml(
    doc: &crate::xml::Document,
    accel: &str,
) -> Option<(Vec<QemuCpuProperty>, bool)> {
    let root = doc.root();
    let host = doc
        .plain_children(root, "hostCPU")
        .find(|&h| doc.attr_value(h, "type").as_deref() == Some(accel))?;
    let props = doc
        .plain_children(host, "property")
        .filter_map(|p| {
            let name = doc.attr_value(p, "name")?;
            let value = doc.attr_value(p, "value")?;
            let value = match doc.attr_value(p, "type")?.as_str() {
                "boolean" => QemuPropertyValue::Boolean(value == "true"),
                "string" => QemuPropertyValue::String(value),
                "number" => QemuPropertyValue::Number(value.parse().ok()?),
                _ => return None,
            };
            let migratable = doc.attr_value(p, "migratable").map(|m| m == "yes");
            Some(QemuCpuProperty {
                name,
                value,
                migratable,
            })
        })
        .collect();
    Some((
        props,
        doc.attr_value(host, "migratability").as_deref() == Some("yes"),
    ))
}

/// Features libvirt's map marks `migratable='no'` (`x86_features.xml`): `virCPUCopyMigratable`
/// drops them when QEMU does not report migratability itself.
// The embedded map does not carry the attribute yet; these are its two uses in libvirt 9.0.
const NOT_MIGRATABLE: &[&str] = &["xsaves", "invtsc"];

/// libvirt's host-model CPU from QEMU's expansion of the host CPU
/// (`virQEMUCapsInitHostCPUModel` → `virQEMUCapsInitCPUModelX86`).
///
/// * `migratability`: whether QEMU reported per-property migratability (`<hostCPU
///   migratability='yes'>`).
/// * `migratable`: build the migratable host model — the one host-model and `match='minimum'`
///   CPUs become (rule 2.3.c) — rather than the full one libvirt reports and compares with.
///
/// Enabled boolean properties become features (QEMU names translated with
/// `virQEMUCapsCPUFeatureFromQEMU`; with `migratable`, those QEMU marks `migratable='no'`
/// are left out), `vendor` sets the vendor, `family`/`model`/`stepping` the signature; the data
/// is decoded against the models QEMU offers (`caps.models`) as a guest CPU. Without QEMU's
/// `cpu-unavailable-features`, MSR features are dropped (`virCPUx86FeatureFilterDropMSR`).
pub fn host_model_from_qemu_properties(
    props: &[QemuCpuProperty],
    migratability: bool,
    migratable: bool,
    caps: &QemuCaps,
    map: &LibvirtMap,
) -> Result<HostCpu, DecodeError> {
    // `virQEMUCapsInitCPUModel`: without QEMU's migratability the migratable CPU is the full
    // one minus the map's non-migratable features (`virCPUCopyMigratable`).
    let per_property = migratable && migratability;
    let (mut family, mut model, mut stepping) = (0u64, 0u64, 0u64);
    let mut data = CpuData::new();
    let release = map.release();
    // `virQEMUCapsGetCPUModelX86Data`.
    for p in props {
        let name = feature_from_qemu(&p.name, release);
        match &p.value {
            QemuPropertyValue::Boolean(on) => {
                if *on && !(per_property && p.migratable == Some(false)) {
                    data.add_feature(map, name);
                }
            }
            QemuPropertyValue::String(s) => {
                if name == "vendor" {
                    data.set_vendor(s)?;
                }
            }
            QemuPropertyValue::Number(n) => match name {
                "family" => family = *n,
                "model" => model = *n,
                "stepping" => stepping = *n,
                _ => {}
            },
        }
    }
    // libvirt passes these as unsigned int.
    data.set_signature(family as u32, model as u32, stepping as u32);
    let decoded = decode(&data, caps.models.as_deref(), CpuType::Guest, map)?;
    let mut features = decoded.features;
    if migratable && !migratability {
        features.retain(|(n, _)| !NOT_MIGRATABLE.contains(&n.as_str()));
    }
    if !caps.cpu_unavailable_features {
        features.retain(|(n, _)| !map.feature(n).is_some_and(|f| f.is_msr()));
    }
    Ok(HostCpu {
        model: decoded.model,
        vendor: decoded.vendor,
        features: features
            .into_iter()
            .map(|(n, p)| (n, p.enables()))
            .collect(),
    })
}

/// libvirt's host-model CPUs when QEMU gives no expansion of the host CPU
/// (`virQEMUCapsInitHostCPUModel` when `virQEMUCapsInitCPUModel` returns 1): the host CPU libvirt
/// probed itself (`virQEMUCapsProbeHostCPU`), with its model, vendor and features as `require`,
/// minus the features QEMU never supports (`virCPUDefCopyModelFilter` with
/// `virQEMUCapsCPUFilterFeatures`). Returns (reported, migratable): the migratable one also
/// lacks the map's non-migratable features (`virCPUCopyMigratable`). Without QEMU's
/// `cpu-unavailable-features`, MSR features leave both (`virCPUx86FeatureFilterDropMSR`).
pub fn host_models_from_probed_cpu(
    probed: &HostCpu,
    caps: &QemuCaps,
    map: &LibvirtMap,
) -> (HostCpu, HostCpu) {
    let release = map.release();
    let keep = |name: &str| {
        !ignored(name, release)
            && (caps.cpu_unavailable_features || !map.feature(name).is_some_and(|f| f.is_msr()))
    };
    let reported = HostCpu {
        model: probed.model.clone(),
        vendor: probed.vendor.clone(),
        features: probed
            .features
            .iter()
            .filter(|(n, _)| keep(n))
            .map(|(n, _)| (n.clone(), true))
            .collect(),
    };
    let migratable = HostCpu {
        features: reported
            .features
            .iter()
            .filter(|(n, _)| !NOT_MIGRATABLE.contains(&n.as_str()))
            .cloned()
            .collect(),
        ..reported.clone()
    };
    (reported, migratable)
}

#[cfg(test)]
mod tests;

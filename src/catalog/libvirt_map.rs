//! libvirt's x86 CPU map (`/usr/share/libvirt/cpu_map/x86_*.xml`): the models and features
//! libvirt knows, which decide what `<cpu>` accepts and how libvirt rewrites it.
//!
//! `virt-cpu catalog refresh` reads it with [`LibvirtMap::read_dir`] and writes
//! `libvirt-x86.json` (`--output assets/catalog/libvirt-X.Y+qemu-X.Y` for an embedded pair).

use super::name_list::NameList;
use crate::xml::{Document, ElemId};
use serde::{Deserialize, Serialize};
use std::ops::Not;
use std::path::Path;

/// One CPUID leaf bit set or one MSR bit set that defines a feature.
///
/// Serialised as a plain array — `[eax_in, ecx_in, eax, ebx, ecx, edx]` for CPUID,
/// `[index, eax, edx]` for an MSR — because an internally tagged enum makes serde buffer every
/// object, and the embedded catalog must load in under a millisecond.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "Vec<u32>")]
pub enum FeatureBits {
    Cpuid {
        eax_in: u32,
        ecx_in: u32,
        eax: u32,
        ebx: u32,
        ecx: u32,
        edx: u32,
    },
    Msr {
        index: u32,
        eax: u32,
        edx: u32,
    },
}

impl From<FeatureBits> for Vec<u32> {
    fn from(b: FeatureBits) -> Vec<u32> {
        match b {
            FeatureBits::Cpuid {
                eax_in,
                ecx_in,
                eax,
                ebx,
                ecx,
                edx,
            } => vec![eax_in, ecx_in, eax, ebx, ecx, edx],
            FeatureBits::Msr { index, eax, edx } => vec![index, eax, edx],
        }
    }
}

/// Read from the array's numbers as they come: going through a `Vec<u32>` (serde's
/// `try_from`) cost an allocation for each of the map's 400-odd bit sets.
impl<'de> Deserialize<'de> for FeatureBits {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<FeatureBits, D::Error> {
        struct Numbers;
        impl<'de> serde::de::Visitor<'de> for Numbers {
            type Value = FeatureBits;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("6 (CPUID) or 3 (MSR) numbers")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<FeatureBits, A::Error> {
                let mut n = [0u32; 6];
                let mut len = 0;
                while let Some(v) = seq.next_element::<u32>()? {
                    if let Some(slot) = n.get_mut(len) {
                        *slot = v;
                    }
                    len += 1;
                }
                FeatureBits::from_numbers(&n[..len.min(6)], len).map_err(serde::de::Error::custom)
            }
        }
        d.deserialize_seq(Numbers)
    }
}

impl TryFrom<Vec<u32>> for FeatureBits {
    type Error = String;
    fn try_from(v: Vec<u32>) -> Result<FeatureBits, String> {
        FeatureBits::from_numbers(&v, v.len())
    }
}

impl FeatureBits {
    /// From the array's numbers (`len` of them were given, `v` holds the first six).
    fn from_numbers(v: &[u32], len: usize) -> Result<FeatureBits, String> {
        match (v, len) {
            (&[eax_in, ecx_in, eax, ebx, ecx, edx], 6) => Ok(FeatureBits::Cpuid {
                eax_in,
                ecx_in,
                eax,
                ebx,
                ecx,
                edx,
            }),
            (&[index, eax, edx], 3) => Ok(FeatureBits::Msr { index, eax, edx }),
            _ => Err(format!(
                "feature bits need 6 (CPUID) or 3 (MSR) numbers, not {len}"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibvirtFeature {
    /// libvirt's spelling (`lahf_lm`, `sse4.1`, `tsc-deadline`).
    pub name: String,
    pub bits: Vec<FeatureBits>,
}

impl LibvirtFeature {
    /// Features defined by MSR bits need QEMU's `cpu-unavailable-features` capability.
    pub fn is_msr(&self) -> bool {
        self.bits
            .iter()
            .any(|b| matches!(b, FeatureBits::Msr { .. }))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub family: u32,
    pub model: u32,
    pub stepping: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibvirtModel {
    pub name: String,
    /// libvirt's vendor name (`Intel`, `AMD`, `Hygon`), when the model has one.
    pub vendor: Option<String>,
    pub signatures: Vec<Signature>,
    pub decode_host: bool,
    pub decode_guest: bool,
    /// Features of the model, in file order, libvirt spelling (removed ones excluded); for a
    /// model built on an ancestor, the ancestor's first.
    pub features: NameList,
    /// Features marked `removed='yes'`: libvirt appends `NAME=off` for them. Never inherited.
    pub removed: NameList,
    /// Features marked `added='yes'` (libvirt 10+): not part of the model's CPUID data; libvirt
    /// uses them only for migration. Never inherited.
    #[serde(default, skip_serializing_if = "NameList::is_empty")]
    pub added: NameList,
    /// The model this one is built on (`<model name='P'/>` inside it, libvirt 10+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ancestor: Option<String>,
    /// `<check partial='compat'/>` (libvirt 11+): `check='partial'` compares with the host CPU
    /// the old way instead of trusting QEMU's blockers.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub check_compat: bool,
    /// The versioned name that is only another name for this model (`Skylake-Client-v1` for
    /// `Skylake-Client`): a versioned file with an ancestor and nothing of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vendor {
    pub name: String,
    /// The CPUID vendor string (`GenuineIntel`).
    pub string: String,
}

/// The whole x86 map, in libvirt's file order (which its decoder depends on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LibvirtMap {
    /// The libvirt release the map comes from (`11.3.0`), which also decides the rules of the
    /// generator that changed between releases; empty in catalogs older than the field.
    #[serde(default)]
    pub version: String,
    pub vendors: Vec<Vendor>,
    pub features: Vec<LibvirtFeature>,
    pub models: Vec<LibvirtModel>,
}

#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error("cannot read libvirt's CPU map file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("libvirt's CPU map file {path} is not valid: {detail}")]
    Invalid { path: String, detail: String },
}

impl LibvirtMap {
    /// Reads `index.xml` in `dir` and every x86 file it includes, in order.
    pub fn read_dir(dir: &Path) -> Result<LibvirtMap, MapError> {
        let index = read_doc(&dir.join("index.xml"))?;
        let mut map = LibvirtMap::default();
        let root = index.root();
        let x86 = index
            .plain_children(root, "arch")
            .find(|&a| index.attr_value(a, "name").as_deref() == Some("x86"))
            .ok_or_else(|| MapError::Invalid {
                path: dir.join("index.xml").display().to_string(),
                detail: "no <arch name='x86'>".into(),
            })?;
        // libvirt's cpu_map.c reads `include|group[@name]/include` in document order: libvirt
        // 10+ groups the model files of a family (`<group name='…'><include …/></group>`).
        let includes = index.children(x86).flat_map(|c| match index.local_name(c) {
            "include" => vec![c],
            "group" if index.attr_value(c, "name").is_some() => {
                index.plain_children(c, "include").collect()
            }
            _ => vec![],
        });
        for inc in includes {
            let Some(file) = index.attr_value(inc, "filename") else {
                continue;
            };
            let path = dir.join(&file);
            let doc = read_doc(&path)?;
            map.absorb(&doc, &path)?;
        }
        Ok(map)
    }

    fn absorb(&mut self, doc: &Document, path: &Path) -> Result<(), MapError> {
        let invalid = |detail: String| MapError::Invalid {
            path: path.display().to_string(),
            detail,
        };
        for child in doc.children(doc.root()) {
            match doc.local_name(child) {
                "vendor" => self.vendors.push(Vendor {
                    name: doc.attr_value(child, "name").unwrap_or_default(),
                    string: doc.attr_value(child, "string").unwrap_or_default(),
                }),
                "feature" => self.features.push(LibvirtFeature {
                    name: doc
                        .attr_value(child, "name")
                        .ok_or_else(|| invalid("feature without name".into()))?,
                    bits: doc
                        .children(child)
                        .filter_map(|b| parse_bits(doc, b))
                        .collect(),
                }),
                "model" => {
                    let (model, renames) = parse_model(doc, child, self).map_err(invalid)?;
                    if let Some(ancestor) = renames.then_some(()).and(model.ancestor.as_deref()) {
                        let name = model.name.clone();
                        let a = self
                            .models
                            .iter_mut()
                            .find(|m| m.name == ancestor)
                            .expect("parse_model found the ancestor");
                        if let Some(other) = &a.canonical {
                            return Err(invalid(format!(
                                "Cannot set CPU model '{name}' as canonical name of '{ancestor}' which is already an alias of '{other}'"
                            )));
                        }
                        a.canonical = Some(name);
                    }
                    self.models.push(model)
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The libvirt release whose rules go with this map (9.0 for catalogs older than the
    /// `version` field, which were all generated from libvirt 9.0).
    pub fn release(&self) -> crate::catalog::versions::Version {
        use crate::catalog::versions::Version;
        Version::parse(&self.version).unwrap_or(Version::new(9, 0, 0))
    }

    pub fn model(&self, name: &str) -> Option<&LibvirtModel> {
        self.models.iter().find(|m| m.name == name)
    }

    pub fn feature(&self, name: &str) -> Option<&LibvirtFeature> {
        self.features.iter().find(|f| f.name == name)
    }

    /// Position of a feature in `x86_features.xml` (libvirt lists decoded features in this order).
    pub fn feature_index(&self, name: &str) -> Option<usize> {
        self.features.iter().position(|f| f.name == name)
    }

    pub fn vendor_string(&self, name: &str) -> Option<&str> {
        self.vendors
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.string.as_str())
    }
}

fn read_doc(path: &Path) -> Result<Document, MapError> {
    let bytes = std::fs::read(path).map_err(|source| MapError::Io {
        path: path.display().to_string(),
        source,
    })?;
    Document::parse(&bytes).map_err(|e| MapError::Invalid {
        path: path.display().to_string(),
        detail: e.to_string(),
    })
}

fn hex(doc: &Document, el: ElemId, name: &str) -> u32 {
    doc.attr_value(el, name)
        .and_then(|v| u32::from_str_radix(v.trim_start_matches("0x"), 16).ok())
        .unwrap_or(0)
}

fn parse_bits(doc: &Document, el: ElemId) -> Option<FeatureBits> {
    match doc.local_name(el) {
        "cpuid" => Some(FeatureBits::Cpuid {
            eax_in: hex(doc, el, "eax_in"),
            ecx_in: hex(doc, el, "ecx_in"),
            eax: hex(doc, el, "eax"),
            ebx: hex(doc, el, "ebx"),
            ecx: hex(doc, el, "ecx"),
            edx: hex(doc, el, "edx"),
        }),
        "msr" => Some(FeatureBits::Msr {
            index: hex(doc, el, "index"),
            eax: hex(doc, el, "eax"),
            edx: hex(doc, el, "edx"),
        }),
        _ => None,
    }
}

/// One `<model>`, as libvirt's `x86ModelParse` reads it: an ancestor's data first (its
/// vendor, signatures and features, not its removed or added ones), then the model's own
/// signatures (replacing the inherited ones), vendor and features. The flag is true when the
/// model has an ancestor and nothing of its own: it only renames the ancestor, and libvirt makes
/// it the ancestor's canonical name.
fn parse_model(
    doc: &Document,
    el: ElemId,
    map: &LibvirtMap,
) -> Result<(LibvirtModel, bool), String> {
    let name = doc.attr_value(el, "name").ok_or("model without name")?;
    let mut model = LibvirtModel {
        name,
        vendor: None,
        signatures: Vec::new(),
        decode_host: true,
        decode_guest: true,
        features: NameList::new(),
        removed: NameList::new(),
        added: NameList::new(),
        ancestor: None,
        check_compat: false,
        canonical: None,
    };
    if let Some(parent) = doc.plain_child(el, "model") {
        inherit(doc, parent, map, &mut model)?;
    }
    let mut own_signatures = false;
    let mut changed = false;
    for child in doc.children(el) {
        match doc.local_name(child) {
            "check" => {
                model.check_compat = doc.attr_value(child, "partial").as_deref() == Some("compat")
            }
            "decode" => {
                model.decode_host = doc.attr_value(child, "host").as_deref() != Some("off");
                model.decode_guest = doc.attr_value(child, "guest").as_deref() != Some("off");
            }
            "signature" => {
                changed = true;
                if !own_signatures {
                    model.signatures.clear();
                    own_signatures = true;
                }
                model.signatures.push(signature(doc, child))
            }
            "vendor" => {
                changed = true;
                model.vendor = doc.attr_value(child, "name")
            }
            "feature" => {
                changed = true;
                let fname = doc
                    .attr_value(child, "name")
                    .ok_or("feature without name")?;
                if doc.attr_value(child, "removed").as_deref() == Some("yes") {
                    model.removed.push(&fname);
                } else if doc.attr_value(child, "added").as_deref() == Some("yes") {
                    model.added.push(&fname);
                } else if !model.features.contains(&fname) {
                    model.features.push(&fname);
                }
            }
            _ => {}
        }
    }
    let renames = changed.not() && model.ancestor.is_some();
    Ok((model, renames))
}

/// The ancestor's data a model starts from (`<model name=…>` inside it): its vendor, signatures
/// and features, not its removed or added ones. The ancestor must come earlier in the map.
fn inherit(
    doc: &Document,
    parent: ElemId,
    map: &LibvirtMap,
    model: &mut LibvirtModel,
) -> Result<(), String> {
    let pname = doc
        .attr_value(parent, "name")
        .ok_or_else(|| format!("Missing ancestor's name in CPU model {}", model.name))?;
    let a = map.model(&pname).ok_or_else(|| {
        format!(
            "Ancestor model {pname} not found for CPU model {}",
            model.name
        )
    })?;
    model.vendor = a.vendor.clone();
    model.signatures = a.signatures.clone();
    model.features = a.features.clone();
    model.ancestor = Some(pname);
    Ok(())
}

/// A `<signature family=… model=… stepping=…/>`; a missing or unreadable number is 0.
fn signature(doc: &Document, el: ElemId) -> Signature {
    Signature {
        family: doc
            .attr_value(el, "family")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        model: doc
            .attr_value(el, "model")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        stepping: doc.attr_value(el, "stepping"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_bits_read_six_or_three_numbers_and_nothing_else() {
        let read = |json: &str| serde_json::from_str::<FeatureBits>(json);
        let cpuid = read("[7,0,0,32,0,0]").unwrap();
        assert_eq!(
            cpuid,
            FeatureBits::Cpuid {
                eax_in: 7,
                ecx_in: 0,
                eax: 0,
                ebx: 32,
                ecx: 0,
                edx: 0
            }
        );
        assert_eq!(serde_json::to_string(&cpuid).unwrap(), "[7,0,0,32,0,0]");
        let msr = read("[266,1,0]").unwrap();
        assert_eq!(
            msr,
            FeatureBits::Msr {
                index: 266,
                eax: 1,
                edx: 0
            }
        );
        for bad in [
            "[]",
            "[1,2]",
            "[1,2,3,4]",
            "[1,2,3,4,5,6,7]",
            "[1,2,3,4,5,6,7,8,9]",
        ] {
            let err = read(bad).unwrap_err().to_string();
            assert!(
                err.contains("need 6 (CPUID) or 3 (MSR) numbers"),
                "{bad}: {err}"
            );
        }
    }
}

//! libvirt's x86 CPU map (`/usr/share/libvirt/cpu_map/x86_*.xml`): the models and features
//! libvirt knows, which decide what `<cpu>` accepts and how libvirt rewrites it.
//!
//! `virt-cpu catalog refresh` reads it with [`LibvirtMap::read_dir`] and writes
//! `assets/catalog/libvirt-x86.json` (with `--output assets/catalog`).

use crate::xml::{Document, ElemId};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One CPUID leaf bit set or one MSR bit set that defines a feature.
///
/// Serialised as a plain array — `[eax_in, ecx_in, eax, ebx, ecx, edx]` for CPUID,
/// `[index, eax, edx]` for an MSR — because an internally tagged enum makes serde buffer every
/// object, and the embedded catalog must load in under a millisecond.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "Vec<u32>", try_from = "Vec<u32>")]
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

impl TryFrom<Vec<u32>> for FeatureBits {
    type Error = String;
    fn try_from(v: Vec<u32>) -> Result<FeatureBits, String> {
        match v[..] {
            [eax_in, ecx_in, eax, ebx, ecx, edx] => Ok(FeatureBits::Cpuid {
                eax_in,
                ecx_in,
                eax,
                ebx,
                ecx,
                edx,
            }),
            [index, eax, edx] => Ok(FeatureBits::Msr { index, eax, edx }),
            _ => Err(format!(
                "feature bits need 6 (CPUID) or 3 (MSR) numbers, not {}",
                v.len()
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
    /// Features of the model, in file order, libvirt spelling (removed ones excluded).
    pub features: Vec<String>,
    /// Features marked `removed='yes'`: libvirt appends `NAME=off` for them.
    pub removed: Vec<String>,
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
        for inc in index.plain_children(x86, "include") {
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
                "model" => self.models.push(parse_model(doc, child).map_err(invalid)?),
                _ => {}
            }
        }
        Ok(())
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

fn parse_model(doc: &Document, el: ElemId) -> Result<LibvirtModel, String> {
    let name = doc.attr_value(el, "name").ok_or("model without name")?;
    let mut model = LibvirtModel {
        name,
        vendor: None,
        signatures: Vec::new(),
        decode_host: true,
        decode_guest: true,
        features: Vec::new(),
        removed: Vec::new(),
    };
    for child in doc.children(el) {
        match doc.local_name(child) {
            "decode" => {
                model.decode_host = doc.attr_value(child, "host").as_deref() != Some("off");
                model.decode_guest = doc.attr_value(child, "guest").as_deref() != Some("off");
            }
            "signature" => model.signatures.push(Signature {
                family: doc
                    .attr_value(child, "family")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
                model: doc
                    .attr_value(child, "model")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
                stepping: doc.attr_value(child, "stepping"),
            }),
            "vendor" => model.vendor = doc.attr_value(child, "name"),
            "feature" => {
                let fname = doc
                    .attr_value(child, "name")
                    .ok_or("feature without name")?;
                if doc.attr_value(child, "removed").as_deref() == Some("yes") {
                    model.removed.push(fname);
                } else {
                    model.features.push(fname);
                }
            }
            "model" => {
                return Err(format!(
                    "model {} inherits from another model, which virt-cpu does not support",
                    model.name
                ));
            }
            _ => {}
        }
    }
    Ok(model)
}

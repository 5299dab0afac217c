//! The x86 CPU catalog: libvirt's CPU map and QEMU's models and features, generated from the
//! real programs by `virt-cpu catalog refresh` and embedded in the binary.

pub mod accel;
pub mod feature_set;
pub mod features;
pub mod libvirt_map;
pub mod names;
pub mod qemu;
pub mod qemu_cpu_string;
pub mod refresh;
pub mod suggest;

pub use feature_set::FeatureSet;
pub use features::Category;
pub use libvirt_map::{LibvirtFeature, LibvirtMap, LibvirtModel};
pub use qemu::{CpuOption, QemuCatalog, QemuFeature, QemuModel, QemuProperty, ValueKind};

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Everything virt-cpu knows about x86 CPUs.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Catalog {
    pub libvirt: LibvirtMap,
    pub qemu: QemuCatalog,
    /// Where this catalog was loaded from (not part of the files).
    #[serde(skip)]
    pub origin: Origin,
}

/// Where a catalog came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "path", rename_all = "lowercase")]
pub enum Origin {
    /// Compiled into the binary.
    #[default]
    Embedded,
    /// The user's cache, written by `virt-cpu catalog refresh`.
    Cache(PathBuf),
    /// Chosen with `--catalog`.
    File(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read catalog file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("catalog file {path} is not a valid virt-cpu catalog: {source}")]
    Json {
        path: String,
        source: serde_json::Error,
    },
}

const EMBEDDED_LIBVIRT: &str = include_str!("../../assets/catalog/libvirt-x86.json");
const EMBEDDED_QEMU: &str = include_str!("../../assets/catalog/qemu-x86.json");

impl Catalog {
    /// The catalog compiled into the binary (generated with `virt-cpu catalog refresh --output
    /// assets/catalog`), parsed once.
    pub fn embedded() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(Catalog::parse_embedded)
    }

    /// Parses the embedded JSON afresh (what [`Catalog::embedded`] does once; for benchmarks).
    pub fn parse_embedded() -> Catalog {
        Catalog {
            libvirt: serde_json::from_str(EMBEDDED_LIBVIRT)
                .expect("embedded libvirt catalog is valid JSON"),
            qemu: serde_json::from_str(EMBEDDED_QEMU).expect("embedded QEMU catalog is valid JSON"),
            origin: Origin::Embedded,
        }
    }

    /// Reads a catalog written by `catalog refresh`: a directory holding `qemu-x86.json` and
    /// `libvirt-x86.json`, or the path of either file (its sibling is read too).
    pub fn read(path: &Path) -> Result<Catalog, CatalogError> {
        let dir = if path.is_dir() {
            path
        } else {
            path.parent().unwrap_or(Path::new("."))
        };
        let read = |name: &str| {
            let p = dir.join(name);
            let text = std::fs::read_to_string(&p).map_err(|source| CatalogError::Io {
                path: p.display().to_string(),
                source,
            })?;
            Ok::<_, CatalogError>((p, text))
        };
        let (qp, qemu) = read(refresh::QEMU_FILE)?;
        let (lp, libvirt) = read(refresh::LIBVIRT_FILE)?;
        Ok(Catalog {
            qemu: serde_json::from_str(&qemu).map_err(|source| CatalogError::Json {
                path: qp.display().to_string(),
                source,
            })?,
            libvirt: serde_json::from_str(&libvirt).map_err(|source| CatalogError::Json {
                path: lp.display().to_string(),
                source,
            })?,
            origin: Origin::File(dir.to_path_buf()),
        })
    }

    /// The catalog to use: `explicit` (`--catalog`) when given, else the user's refreshed cache
    /// when present, else the embedded one. Loaded once per process.
    pub fn active(explicit: Option<&Path>) -> Result<&'static Catalog, CatalogError> {
        static ACTIVE: OnceLock<Catalog> = OnceLock::new();
        if let Some(c) = ACTIVE.get() {
            return Ok(c);
        }
        let catalog = match explicit {
            Some(p) => Catalog::read(p)?,
            None => match refresh::cache_dir().filter(|d| d.join(refresh::QEMU_FILE).is_file()) {
                Some(dir) => {
                    let mut c = Catalog::read(&dir)?;
                    c.origin = Origin::Cache(dir);
                    c
                }
                None => return Ok(Catalog::embedded()),
            },
        };
        Ok(ACTIVE.get_or_init(|| catalog))
    }
}

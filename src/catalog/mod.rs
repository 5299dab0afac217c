//! The x86 CPU catalog: libvirt's CPU map and QEMU's models and features, generated from the
//! real programs by `virt-cpu catalog refresh` and embedded in the binary.

pub mod accel;
pub mod explore;
pub mod feature_set;
pub mod features;
pub mod files;
pub mod levels;
pub mod libvirt_map;
pub mod machines;
pub mod name_list;
pub mod names;
pub mod qemu;
pub mod qemu_cpu_string;
pub mod select;
pub mod suggest;
pub mod versions;

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
    #[error(
        "{path} is not a catalog: give the directory `virt-cpu catalog refresh --output DIR` wrote (it holds {} and {}), or one of those files",
        files::QEMU_FILE,
        files::LIBVIRT_FILE
    )]
    NotACatalog { path: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("catalog file {path} is not a valid virt-cpu catalog: {source}")]
    Json {
        path: String,
        source: serde_json::Error,
    },
}

impl Catalog {
    /// The embedded catalog of libvirt 9.0 + QEMU 7.2 (Debian 12), parsed once: what libvirt
    /// 9.0's conformance cases and the recorded fixtures are judged by.
    pub fn embedded() -> &'static Catalog {
        Catalog::embedded_pair(&versions::EMBEDDED[0])
    }

    /// The embedded catalog of one version pair, parsed once (only the pairs in use are ever
    /// decoded).
    pub fn embedded_pair(pair: &'static versions::EmbeddedPair) -> &'static Catalog {
        static CATALOGS: [OnceLock<Catalog>; versions::PAIRS] =
            [const { OnceLock::new() }; versions::PAIRS];
        let i = versions::EMBEDDED
            .iter()
            .position(|p| std::ptr::eq(p, pair))
            .expect("an embedded pair");
        CATALOGS[i].get_or_init(|| Catalog::parse_pair(pair))
    }

    /// Parses the embedded JSON of libvirt 9.0 + QEMU 7.2 afresh (for benchmarks).
    pub fn parse_embedded() -> Catalog {
        Catalog::parse_pair(&versions::EMBEDDED[0])
    }

    /// Parses one embedded pair's JSON afresh.
    pub fn parse_pair(pair: &versions::EmbeddedPair) -> Catalog {
        Catalog {
            libvirt: serde_json::from_str(pair.libvirt_json)
                .expect("embedded libvirt catalog is valid JSON"),
            qemu: serde_json::from_str(pair.qemu_json)
                .expect("embedded QEMU catalog is valid JSON"),
            origin: Origin::Embedded,
        }
    }

    /// Reads a catalog written by `catalog refresh`: a directory holding `qemu-x86.json` and
    /// `libvirt-x86.json`, or the path of either file (its sibling is read too).
    pub fn read(path: &Path) -> Result<Catalog, CatalogError> {
        let named = |n: &str| path.file_name().is_some_and(|f| f == n);
        let dir = if path.is_dir() {
            path
        } else if let Err(source) = std::fs::metadata(path) {
            return Err(CatalogError::Io {
                path: path.display().to_string(),
                source,
            });
        } else if named(files::QEMU_FILE) || named(files::LIBVIRT_FILE) {
            match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            }
        } else {
            return Err(CatalogError::NotACatalog {
                path: path.display().to_string(),
            });
        };
        let read = |name: &str| {
            let p = dir.join(name);
            let text = std::fs::read_to_string(&p).map_err(|source| CatalogError::Io {
                path: p.display().to_string(),
                source,
            })?;
            Ok::<_, CatalogError>((p, text))
        };
        let (qp, qemu) = read(files::QEMU_FILE)?;
        let (lp, libvirt) = read(files::LIBVIRT_FILE)?;
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
            None => match files::cache_dir().filter(|d| d.join(files::QEMU_FILE).is_file()) {
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

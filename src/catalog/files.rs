//! A catalog on disk: the two files a catalog directory holds, the user's cache directory, and
//! writing a catalog there (what `virt-cpu catalog refresh` leaves behind).

use super::{Catalog, CatalogError};
use std::path::{Path, PathBuf};

/// File names inside a catalog directory.
pub const QEMU_FILE: &str = "qemu-x86.json";
pub const LIBVIRT_FILE: &str = "libvirt-x86.json";

/// Writes `qemu-x86.json` and `libvirt-x86.json` (compact JSON, one line each) into `dir`.
pub fn write_dir(catalog: &Catalog, dir: &Path) -> Result<(), CatalogError> {
    std::fs::create_dir_all(dir).map_err(|source| CatalogError::Write {
        path: dir.display().to_string(),
        source,
    })?;
    let write = |name: &str, json: String| {
        let path = dir.join(name);
        // Write then rename, so a reader never sees half a catalog.
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, json + "\n")
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|source| CatalogError::Write {
                path: path.display().to_string(),
                source,
            })
    };
    write(
        QEMU_FILE,
        serde_json::to_string(&catalog.qemu).expect("catalog serialises"),
    )?;
    write(
        LIBVIRT_FILE,
        serde_json::to_string(&catalog.libvirt).expect("catalog serialises"),
    )?;
    Ok(())
}

/// The user's catalog cache: `$XDG_CACHE_HOME/virt-cpu/catalog`, else `~/.cache/virt-cpu/catalog`.
pub fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(base.join("virt-cpu").join("catalog"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn cache_dir_follows_xdg() {
        // Only checks the shape; the environment is the test runner's.
        if let Some(d) = super::cache_dir() {
            assert!(d.ends_with("virt-cpu/catalog"));
        }
    }
}

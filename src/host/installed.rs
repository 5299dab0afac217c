//! The QEMU installed on this machine, for choosing the catalog offline.
//!
//! `qemu-system-x86_64 --version` costs ~12 ms, more than a whole `virt-cpu argv` may take, so
//! its answer is kept in the user's cache keyed by the binary's identity (path, device, inode,
//! size, mtime): one `stat` and one small read on every later start, and a new answer as soon
//! as the package is upgraded (a new file).

use super::Runner;
use crate::catalog::versions::Version;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The QEMU binary libvirt runs for x86 guests, looked up on PATH.
const QEMU: &str = "qemu-system-x86_64";

/// The installed QEMU's version, from the cache when the binary is the one cached, else asked
/// (and cached in `cache`, when given).
pub fn qemu_version(runner: &dyn Runner, cache: Option<&Path>) -> Option<Version> {
    let binary = find_on_path(QEMU)?;
    let meta = std::fs::metadata(&binary).ok()?;
    let key = format!(
        "{} {} {} {} {}.{}",
        binary.display(),
        meta.dev(),
        meta.ino(),
        meta.len(),
        meta.mtime(),
        meta.mtime_nsec()
    );
    if let Some(text) = cache.and_then(|c| std::fs::read_to_string(c).ok())
        && let Some((cached_key, version)) = text.trim_end().rsplit_once(' ')
        && cached_key == key
    {
        return Version::parse(version);
    }
    let out = runner
        .run(&binary.to_string_lossy(), &["--version"], b"")
        .ok()
        .filter(|o| o.success())?;
    // "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"
    let version = out
        .stdout
        .lines()
        .next()?
        .split_whitespace()
        .skip_while(|w| *w != "version")
        .nth(1)
        .and_then(Version::parse)?;
    if let Some(c) = cache {
        // A cache that cannot be written only costs the next start the same 12 ms.
        let _ = c
            .parent()
            .map(std::fs::create_dir_all)
            .transpose()
            .and_then(|_| std::fs::write(c, format!("{key} {version}\n")));
    }
    Some(version)
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{FnRunner, Output};
    use std::cell::Cell;

    #[test]
    fn the_answer_is_asked_once_and_kept_while_the_binary_stays() {
        if find_on_path(QEMU).is_none() {
            return; // the parsing is still covered by the daemon tests; nothing to stat here
        }
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("qemu-version");
        let asked = Cell::new(0);
        let runner = FnRunner(|_: &str, args: &[&str], _: &[u8]| {
            assert_eq!(args, ["--version"]);
            asked.set(asked.get() + 1);
            Ok(Output {
                status: Some(0),
                stdout: "QEMU emulator version 10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)\nCopyright (c) 2003-2025 Fabrice Bellard and the QEMU Project developers\n".into(),
                stderr: String::new(),
            })
        });
        let v = Some(Version::new(10, 0, 13));
        assert_eq!(qemu_version(&runner, Some(&cache)), v);
        assert_eq!(qemu_version(&runner, Some(&cache)), v);
        assert_eq!(asked.get(), 1, "the second start read the cache");
        // Another binary (here: the cached identity no longer matches) is asked again.
        let text = std::fs::read_to_string(&cache).unwrap();
        std::fs::write(&cache, text.replacen(' ', " 0", 1)).unwrap();
        assert_eq!(qemu_version(&runner, Some(&cache)), v);
        assert_eq!(asked.get(), 2);
    }
}

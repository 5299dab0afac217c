//! Choosing the catalog an answer follows: the versions asked for (`--libvirt`/`--qemu`), else
//! those of the daemon that will run the domain (`-c URI`), else the libvirt installed here, else
//! the newest pair virt-cpu knows — and a catalog refreshed on this machine (`catalog refresh`)
//! before an embedded one when it is of the same release lines.

use super::versions::{self, Chosen, Followed, Version, VersionError};
use super::{Catalog, CatalogError};
use std::path::Path;

/// What the versions are chosen from.
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    /// `--libvirt X.Y`.
    pub libvirt: Option<Version>,
    /// `--qemu X.Y`.
    pub qemu: Option<Version>,
    /// `--catalog DIR`: that catalog, whatever its versions.
    pub catalog: Option<&'a Path>,
    /// What `virsh -c URI version` said of the daemon that will run the domain.
    pub daemon: Option<Daemon>,
    /// The libvirt installed here and where that was read ([`versions::installed_libvirt`]);
    /// only consulted when nothing above decides.
    pub installed: Option<(Version, String)>,
    /// The QEMU installed here, consulted with [`Self::installed`].
    pub installed_qemu: Option<Version>,
    /// Where `libvirt`/`qemu` came from when not the command line (`VIRT_CPU_LIBVIRT=11.3`).
    pub asked_by: Option<String>,
}

/// The daemon behind `-c URI`, as `virsh version` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Daemon {
    pub uri: String,
    pub libvirt: Option<Version>,
    pub qemu: Option<Version>,
}

/// The catalog chosen, and the versions it makes the answer follow.
#[derive(Debug, Clone)]
pub struct Selected {
    pub catalog: &'static Catalog,
    pub follows: Followed,
}

#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error(transparent)]
    Version(#[from] VersionError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(
        "the catalog {path} is of libvirt {has}, not {asked}: drop --catalog or --libvirt/--qemu"
    )]
    CatalogMismatch {
        path: String,
        has: String,
        asked: String,
    },
}

impl Catalog {
    /// The libvirt and QEMU releases this catalog was generated from.
    pub fn versions(&self) -> (Version, Version) {
        let qemu = Version::parse(&self.qemu.version).unwrap_or_default();
        (self.libvirt.release(), qemu)
    }
}

/// Whether a catalog is of the given release lines (`None`: any).
fn is_of(c: &Catalog, libvirt: Option<Version>, qemu: Option<Version>) -> bool {
    let (l, q) = c.versions();
    libvirt.is_none_or(|v| v.same_line(l)) && qemu.is_none_or(|v| v.same_line(q))
}

/// The catalog `catalog refresh` left in the user's cache, when there is one.
fn cached() -> Result<Option<&'static Catalog>, CatalogError> {
    match Catalog::active(None)? {
        c if c.origin == super::Origin::Embedded => Ok(None),
        c => Ok(Some(c)),
    }
}

/// Chooses the catalog for `req` (see the module's text for the order).
pub fn select(req: &Request) -> Result<Selected, SelectError> {
    if let Some(path) = req.catalog {
        let catalog = Catalog::active(Some(path))?;
        if !is_of(catalog, req.libvirt, req.qemu) {
            let (l, q) = catalog.versions();
            let asked = [
                req.libvirt.map(|v| format!("libvirt {}", v.line())),
                req.qemu.map(|v| format!("QEMU {}", v.line())),
            ];
            return Err(SelectError::CatalogMismatch {
                path: path.display().to_string(),
                has: format!("{} + QEMU {}", l.line(), q.line()),
                asked: asked.into_iter().flatten().collect::<Vec<_>>().join(" + "),
            });
        }
        return Ok(follow(catalog, Chosen::Catalog, None));
    }
    let (libvirt, qemu, chosen, explicit) = if req.libvirt.is_some() || req.qemu.is_some() {
        let chosen = match &req.asked_by {
            Some(env) => Chosen::Environment(env.clone()),
            None => Chosen::Option,
        };
        (req.libvirt, req.qemu, chosen, true)
    } else if let Some(d) = &req.daemon {
        (d.libvirt, d.qemu, Chosen::Daemon(d.uri.clone()), false)
    } else if let Some((v, from)) = &req.installed {
        (
            Some(*v),
            req.installed_qemu,
            Chosen::Installed(from.clone()),
            false,
        )
    } else {
        (None, None, Chosen::Newest, false)
    };
    if let Some(c) = cached()?
        && (libvirt.is_some() || qemu.is_some() || chosen == Chosen::Newest)
        && is_of(c, libvirt, qemu)
    {
        return Ok(follow(c, chosen, None));
    }
    // A detected QEMU only decides when it is the one of a known pair with that libvirt.
    let pair = match versions::embedded_pair(libvirt, qemu, explicit) {
        Ok(p) => p,
        Err(_) if !explicit => versions::embedded_pair(libvirt, None, false)?,
        Err(e) => return Err(e.into()),
    };
    let note = detected_note(libvirt, qemu, pair, explicit)
        .or_else(|| daemon_differs(req.daemon.as_ref(), pair, explicit));
    Ok(follow(Catalog::embedded_pair(pair), chosen, note))
}

/// When versions were asked for by name and the daemon behind `-c` runs another libvirt or QEMU:
/// the answer follows what was asked, which that daemon would not give.
fn daemon_differs(
    daemon: Option<&Daemon>,
    pair: &versions::EmbeddedPair,
    explicit: bool,
) -> Option<String> {
    let d = daemon.filter(|_| explicit)?;
    let differs = |v: Option<Version>, of: Version| v.is_some_and(|v| !v.same_line(of));
    if !differs(d.libvirt, pair.libvirt) && !differs(d.qemu, pair.qemu) {
        return None;
    }
    let line = |v: Option<Version>| v.map_or("?".to_string(), Version::line);
    Some(format!(
        "the daemon at {} runs libvirt {} + QEMU {}; the answers follow libvirt {} + QEMU {} as asked, which that daemon would not give",
        d.uri,
        line(d.libvirt),
        line(d.qemu),
        pair.libvirt.line(),
        pair.qemu.line()
    ))
}

/// What the user should know when the versions found are not exactly those followed.
fn detected_note(
    libvirt: Option<Version>,
    qemu: Option<Version>,
    pair: &versions::EmbeddedPair,
    explicit: bool,
) -> Option<String> {
    if explicit {
        return None;
    }
    let mut unlike = Vec::new();
    if let Some(l) = libvirt.filter(|l| !l.same_line(pair.libvirt)) {
        unlike.push(format!("libvirt {}", l.line()));
    }
    if let Some(q) = qemu.filter(|q| !q.same_line(pair.qemu)) {
        unlike.push(format!("QEMU {}", q.line()));
    }
    (!unlike.is_empty()).then(|| {
        format!(
            "{} has no catalog in virt-cpu: answers follow libvirt {} + QEMU {}, the nearest known; run `virt-cpu catalog refresh` on that host for its own",
            unlike.join(" + "),
            pair.libvirt.line(),
            pair.qemu.line()
        )
    })
}

fn follow(catalog: &'static Catalog, chosen: Chosen, note: Option<String>) -> Selected {
    let (libvirt, qemu) = catalog.versions();
    Selected {
        catalog,
        follows: Followed {
            libvirt,
            qemu,
            chosen,
            note,
        },
    }
}

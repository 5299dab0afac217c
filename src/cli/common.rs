//! What several subcommands share: loading the domain and the capabilities to judge it by.

use crate::argv::QemuCaps;
use crate::catalog::Catalog;
use crate::catalog::select::{self, Selected};
use crate::catalog::versions::{Followed, Version};
use crate::host::{DomCaps, HostError, SystemRunner};
use crate::store::{self, Loaded};
use std::path::PathBuf;

/// Exit codes of the CLI contract (DESIGN §7).
pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
/// No error, but the result depends on the host and none was given (`--host-caps` / `-c`):
/// `argv` has no value to print, `check` could not judge everything.
pub const EXIT_NEEDS_HOST: i32 = 3;

/// What a domain without a host gets instead of its `-cpu` value (host-model, `match='minimum'`,
/// optional features): the value depends on the host.
pub fn needs_host(report: &crate::check::Report) -> bool {
    report.arg.value.is_none()
        && !report.has_errors()
        && report.diagnostics.iter().any(|d| d.code == "needs-host")
}

#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// Domain XML file; `-` reads standard input.
    pub file: PathBuf,
}

impl InputArgs {
    pub fn load(&self) -> anyhow::Result<Loaded> {
        Ok(store::open(&self.file)?)
    }
}

/// A host's saved facts: `--host-caps` and, with it, `--host-capabilities` (shared by
/// [`HostArgs`] and [`ViewHostArgs`], which differ in how many `-c` they take).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct HostFiles {
    /// `virsh domcapabilities` XML of the host that will run the domain.
    #[arg(long = "host-caps", value_name = "FILE")]
    pub host_caps: Option<PathBuf>,
    /// With --host-caps: that host's `virsh capabilities` XML, whose CPUID host CPU libvirt
    /// compares KVM guests with (without it, the host-model CPU stands in).
    #[arg(
        long = "host-capabilities",
        value_name = "FILE",
        requires = "host_caps"
    )]
    pub host_capabilities: Option<PathBuf>,
}

/// Where the host's facts come from, for host-model, optional features, `check`, and the
/// new-error refusal of `set` and `convert`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct HostArgs {
    #[command(flatten)]
    pub files: HostFiles,
    /// Ask libvirt at this URI (`virsh -c URI domcapabilities`).
    #[arg(
        short = 'c',
        long = "connect",
        value_name = "URI",
        conflicts_with = "host_caps"
    )]
    pub connect: Option<String>,
}

/// The host of the interactive view: [`HostArgs`], with `-c` repeatable, since without a file
/// or `--domain` the view lists every given host's domains in one list.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ViewHostArgs {
    #[command(flatten)]
    pub files: HostFiles,
    /// Ask libvirt at this URI (`virsh -c URI domcapabilities`); without FILE or --domain, list
    /// its domains. Repeat for several hosts: one list of every host's domains.
    #[arg(
        short = 'c',
        long = "connect",
        value_name = "URI",
        conflicts_with = "host_caps"
    )]
    pub connect: Vec<String>,
}

impl ViewHostArgs {
    /// As [`HostArgs`], for what takes one host: a domain (`--domain`, FILE) or `--version`.
    pub fn one(&self) -> anyhow::Result<HostArgs> {
        if self.connect.len() > 1 {
            anyhow::bail!(
                "-c is given {} times: several hosts open the domain list only (no FILE, no --domain, no --version); a domain is on one host",
                self.connect.len()
            );
        }
        Ok(HostArgs {
            files: self.files.clone(),
            connect: self.connect.first().cloned(),
        })
    }
}

/// Which libvirt and QEMU the answers follow: options of the whole command line (`virt-cpu
/// --libvirt 11.3 argv F` and `virt-cpu argv F --libvirt 11.3` alike), kept for the run by
/// [`VersionArgs::set_current`].
#[derive(Debug, Clone, Default, clap::Args)]
pub struct VersionArgs {
    /// Follow this libvirt release (X.Y), e.g. 9.0 or 11.3 [default: the daemon's with -c, else
    /// the one installed here, else the newest known].
    #[arg(long, value_name = "X.Y", env = "VIRT_CPU_LIBVIRT", global = true)]
    pub libvirt: Option<Version>,
    /// Follow this QEMU release (X.Y), e.g. 7.2 or 10.0 [default: the one paired with the libvirt
    /// followed].
    #[arg(long, value_name = "X.Y", env = "VIRT_CPU_QEMU", global = true)]
    pub qemu: Option<Version>,
    /// Use this catalog (the directory `catalog refresh --output DIR` wrote, or its qemu-x86.json)
    /// instead of the cache or the embedded one, whatever its versions.
    #[arg(long, value_name = "DIR", global = true)]
    pub catalog: Option<PathBuf>,
}

static CURRENT_VERSIONS: std::sync::OnceLock<VersionArgs> = std::sync::OnceLock::new();

impl VersionArgs {
    /// Keeps the command line's version options for the run (the first call wins).
    pub fn set_current(v: VersionArgs) {
        let _ = CURRENT_VERSIONS.set(v);
    }

    /// The command line's version options (none asked when [`Self::set_current`] was not called).
    pub fn current() -> &'static VersionArgs {
        CURRENT_VERSIONS.get_or_init(VersionArgs::default)
    }

    /// The catalog to follow, and which versions that is (see [`select::select`]); `uri` is the
    /// daemon to ask (`-c URI`).
    pub fn select(&self, uri: Option<&str>) -> anyhow::Result<Selected> {
        // The daemon is asked even when versions are given, so a difference can be said.
        let daemon = match uri {
            Some(u) if self.catalog.is_none() => Some(
                crate::host::daemon_versions(&SystemRunner, u).map_err(|e| libvirt_error(u, &e))?,
            ),
            _ => None,
        };
        let asked = daemon.is_some() || self.libvirt.is_some() || self.qemu.is_some();
        let installed = (!asked && self.catalog.is_none())
            .then(crate::catalog::versions::installed_libvirt)
            .flatten();
        let installed_qemu = installed.as_ref().and_then(|_| {
            let cache =
                crate::catalog::files::cache_dir().map(|d| d.with_file_name("qemu-version"));
            crate::host::installed::qemu_version(&SystemRunner, cache.as_deref())
        });
        let from_env = self.set_by_environment();
        select::select(&select::Request {
            libvirt: self.libvirt,
            qemu: self.qemu,
            catalog: self.catalog.as_deref(),
            daemon,
            installed,
            installed_qemu,
            asked_by: (!from_env.is_empty()).then(|| from_env.join(" ")),
        })
        .map_err(|e| {
            if from_env.is_empty() {
                anyhow::Error::from(e)
            } else {
                // A forgotten variable in a profile is hard to find otherwise.
                anyhow::anyhow!("{e} (from the environment: {})", from_env.join(" "))
            }
        })
    }

    /// `VAR=VALUE` of each version option that came from the environment, not the command line.
    fn set_by_environment(&self) -> Vec<String> {
        let given =
            |flag: &str| std::env::args().any(|a| a == flag || a.starts_with(&format!("{flag}=")));
        [
            ("--libvirt", "VIRT_CPU_LIBVIRT", self.libvirt.is_some()),
            ("--qemu", "VIRT_CPU_QEMU", self.qemu.is_some()),
        ]
        .into_iter()
        .filter(|(flag, _, set)| *set && !given(flag))
        .filter_map(|(_, var, _)| {
            std::env::var(var)
                .ok()
                .filter(|v| !v.is_empty())
                .map(|v| format!("{var}={v}"))
        })
        .collect()
    }
}

impl HostArgs {
    /// The catalog to judge by, and the versions it follows: `--catalog`, else the versions asked
    /// for or found (the daemon at `-c URI`, the libvirt installed here), a refreshed catalog of
    /// those versions before the embedded one.
    pub fn select(&self) -> anyhow::Result<Selected> {
        VersionArgs::current().select(self.connect.as_deref())
    }

    /// The host's facts, asked for this domain's virt type, arch and machine when live.
    pub fn load(&self, dom: Option<&crate::domain::Domain>) -> anyhow::Result<Option<DomCaps>> {
        if let Some(f) = &self.files.host_caps {
            let caps = DomCaps::read(f)?;
            return Ok(Some(match &self.files.host_capabilities {
                Some(c) => caps.with_capabilities_file(c)?,
                None => caps,
            }));
        }
        if let Some(uri) = &self.connect {
            return Ok(Some(
                match dom {
                    Some(d) => DomCaps::for_domain(&SystemRunner, Some(uri), d),
                    None => DomCaps::from_virsh(&SystemRunner, Some(uri)),
                }
                .map_err(|e| libvirt_error(uri, &e))?,
            ));
        }
        Ok(None)
    }

    /// The catalog and the capabilities to judge this domain by: what `check` uses with the same
    /// flags (`--catalog`, `--host-caps`/`-c`), so `set` and `convert` refuse exactly the errors
    /// `check` would report.
    pub fn judge(&self, loaded: &Loaded) -> anyhow::Result<(Selected, QemuCaps)> {
        let selected = self.select()?;
        let host = self.load(Some(&loaded.domain))?;
        let caps = caps_for(loaded, selected.catalog, host.as_ref());
        Ok((selected, caps))
    }
}

/// The capabilities libvirt would use for this domain, with the host's facts when given.
pub fn caps_for(loaded: &Loaded, catalog: &Catalog, host: Option<&DomCaps>) -> QemuCaps {
    let caps = QemuCaps::from_catalog(&loaded.domain, catalog);
    match host {
        Some(h) => caps.with_host(h),
        None => caps,
    }
}

/// What `argv` and `check` share: the domain, the host and the reading, and their analysis.
#[derive(Debug, Clone, clap::Args)]
pub struct AnalyseArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub host: HostArgs,
    /// How <qemu:cpu> combines with libvirt's appended options.
    #[arg(long, value_enum, default_value_t = crate::argv::Reading::Merge)]
    pub reading: crate::argv::Reading,
}

impl AnalyseArgs {
    /// Loads the domain and runs every check on it.
    pub fn run(&self) -> anyhow::Result<(Loaded, crate::check::Report, Followed)> {
        let loaded = self.input.load()?;
        let (selected, caps) = self.host.judge(&loaded)?;
        let report = crate::check::check(
            &loaded.doc,
            &loaded.domain,
            &caps,
            selected.catalog,
            self.reading,
        );
        Ok((loaded, report, selected.follows))
    }
}

/// Asking libvirt at `uri` failed: what failed, what libvirt said, and what to try.
pub fn libvirt_error(uri: &str, e: &HostError) -> anyhow::Error {
    let fallback = "or save `virsh domcapabilities` on the host and pass it with --host-caps FILE";
    let text = match e {
        HostError::Spawn { source, .. } => format!(
            "cannot ask libvirt at {uri}: cannot run virsh ({source}); install libvirt's client \
             (Debian: libvirt-clients), {fallback}"
        ),
        HostError::Failed { stderr, .. } => {
            let said = crate::host::program_message(stderr);
            let lower = said.to_lowercase();
            let hint = if lower.contains("permission denied") || lower.contains("authentication") {
                "your user may not be allowed to use it: try as root, or join the libvirt group"
            } else if lower.contains("uri") || lower.contains("no connection driver") {
                "check the URI (e.g. qemu:///system, or qemu+ssh://HOST/system)"
            } else {
                "is libvirtd (or virtqemud) running there (`systemctl status libvirtd`), and is the \
                 URI right (e.g. qemu:///system)?"
            };
            let said = if said.is_empty() {
                String::new()
            } else {
                format!(": {said}")
            };
            format!(
                "cannot ask libvirt at {uri} for the host's capabilities (`virsh -c {uri} \
                 domcapabilities` failed{said}); {hint} — {fallback}"
            )
        }
        other => format!("asking libvirt at {uri}: {other}"),
    };
    anyhow::anyhow!(text)
}

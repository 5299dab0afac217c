//! `virt-cpu models`, `virt-cpu model NAME`, `virt-cpu diff A B`: exploring the catalog, with
//! host usability from `virsh domcapabilities`.

use super::print::{errln, outln};
use crate::catalog::explore::{self, LibvirtComparison, ModelDiff, ModelFilter, VersionStep};
use crate::catalog::{Catalog, FeatureSet, QemuCatalog, QemuModel, suggest};
use crate::host::domcaps::Usability;
use crate::host::{DomCaps, PoolUsability, SystemRunner};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Options shared by the three commands.
#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    /// `virsh domcapabilities` XML of a host; repeat for a migration pool (usable = every host can run it).
    #[arg(long = "host-caps", value_name = "FILE")]
    pub host_caps: Vec<PathBuf>,
    /// Ask libvirt at this URI for the host's capabilities (runs `virsh -c URI domcapabilities`);
    /// repeat for a migration pool of live hosts, as --host-caps does with files.
    #[arg(short = 'c', long = "connect", value_name = "URI")]
    pub connect: Vec<String>,
    /// With -c: the virt type to ask about, `kvm` (libvirt's default) or `qemu` (TCG).
    #[arg(long, value_name = "TYPE", requires = "connect")]
    pub virttype: Option<String>,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ModelsArgs {
    /// Only models of this vendor (intel, amd, hygon, …).
    #[arg(long)]
    pub vendor: Option<String>,
    /// Only models with this feature (QEMU or libvirt spelling); repeatable.
    #[arg(long = "has", value_name = "FEAT")]
    pub has: Vec<String>,
    /// Only models whose name, alias target or model-id contains TEXT (case-insensitive).
    #[arg(long)]
    pub search: Option<String>,
    /// Only models that reach at least this x86-64 level: v1 (the baseline), v2, v3, v4 (also `x86-64-v3`).
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    pub level: Option<u8>,
    /// With hosts: the model of the pool (named alike and usable on every host) this domain could
    /// move to without losing a CPU feature it uses on the first host (else the one losing the
    /// fewest, named); -c asks for the domain's virt type unless --virttype says.
    #[arg(long = "for", value_name = "FILE")]
    pub for_file: Option<PathBuf>,
    /// As --for, for a domain defined on a host (its inactive definition, as --domain reads it):
    /// on the -c host that has it, whose -cpu is read, or on --from URI.
    #[arg(long = "for-domain", value_name = "NAME", conflicts_with = "for_file")]
    pub for_domain: Option<String>,
    /// With --for-domain: the host that holds the domain, when several -c hosts have one of
    /// that name, or none (a host to move it from, into the pool of the -c hosts).
    #[arg(long, value_name = "URI", requires = "for_domain")]
    pub from: Option<String>,
    /// With several hosts: name every feature a host lacks in the USABLE column (a few per
    /// host then "+N more" otherwise; --json has them all).
    #[arg(long)]
    pub wide: bool,
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ModelArgs {
    /// A QEMU model name (plain, versioned or alias), exactly as QEMU spells it.
    pub name: String,
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Clone, clap::Args)]
pub struct DiffArgs {
    pub a: String,
    pub b: String,
    #[command(flatten)]
    pub source: SourceArgs,
}

pub(super) struct Explore<'a> {
    pub(super) catalog: &'a crate::catalog::Catalog,
    /// Each host's own catalog (its daemon's versions with several `-c`; else `catalog`).
    pub(super) catalogs: Vec<&'a crate::catalog::Catalog>,
    pub(super) hosts: Vec<DomCaps>,
    /// A short name for each host, for per-host answers: the file name (the path when two
    /// files share a name) or the URI.
    pub(super) labels: Vec<String>,
    /// What a text table calls each host: the file's label, or for a URI its host name (`#N`
    /// when hosts share one), as scan does; the closing legend names each URI once.
    pub(super) short: Vec<String>,
}

impl Explore<'_> {
    /// Each host with its label and its own usability answers.
    fn per_host(&self) -> Vec<(&str, &str, PoolUsability<'_>)> {
        self.hosts
            .iter()
            .zip(self.labels.iter().zip(&self.short))
            .map(|(h, (l, s))| {
                (
                    l.as_str(),
                    s.as_str(),
                    PoolUsability::new(self.catalog, std::slice::from_ref(h)),
                )
            })
            .collect()
    }

    /// `a.xml (host CPU Skylake-Client-IBRS, x86-64-v3, KVM)`, for the closing lines: the
    /// host-model CPU and the x86-64 level it gives a guest; a URI shown short is named in full
    /// here (`#1 = qemu:///system (…)`), once.
    fn host_legend(&self) -> String {
        self.hosts
            .iter()
            .zip(self.labels.iter().zip(&self.short))
            .map(|(h, (full, short))| {
                let l = if full == short {
                    full.clone()
                } else {
                    format!("{short} = {full}")
                };
                let cpu = h
                    .host_model
                    .as_ref()
                    .map(|m| format!("host CPU {}, ", m.model))
                    .unwrap_or_default();
                let level = h
                    .host_features(self.catalog)
                    .map(|f| crate::catalog::levels::level_of(&self.catalog.qemu, &f))
                    .filter(|l| l.level > 0)
                    .map(|l| format!("{}, ", l.name()))
                    .unwrap_or_default();
                let accel = if h.is_kvm() { "KVM" } else { "TCG" };
                format!("{l} ({cpu}{level}{accel})")
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl SourceArgs {
    /// The catalog the listing follows: with one `-c` that daemon's versions; with several, each
    /// daemon's, and the oldest pair names the models (a model it does not know, an older host's
    /// QEMU may not either), said on standard error when they differ.
    fn catalog(&self) -> anyhow::Result<(&'static Catalog, Vec<&'static Catalog>)> {
        let versions = super::common::VersionArgs::current();
        if self.connect.len() < 2 {
            let one = versions
                .select(self.connect.first().map(String::as_str))?
                .catalog;
            return Ok((one, vec![one; self.connect.len()]));
        }
        let mut selected = Vec::new();
        for uri in &self.connect {
            selected.push((uri, versions.select(Some(uri))?));
        }
        let oldest = selected
            .iter()
            .min_by_key(|(_, s)| (s.follows.libvirt, s.follows.qemu))
            .map(|(_, s)| (s.catalog, s.follows.clone()))
            .expect("two or more hosts");
        let differ = selected
            .iter()
            .any(|(_, s)| (s.follows.libvirt, s.follows.qemu) != (oldest.1.libvirt, oldest.1.qemu));
        if differ {
            let each: Vec<String> = selected
                .iter()
                .map(|(u, s)| {
                    format!(
                        "{u}: libvirt {} + QEMU {}",
                        s.follows.libvirt, s.follows.qemu
                    )
                })
                .collect();
            errln!(
                "virt-cpu: note: the hosts follow different versions ({}); the models are those of the oldest, libvirt {} + QEMU {}",
                each.join("; "),
                oldest.1.libvirt,
                oldest.1.qemu
            );
        }
        Ok((oldest.0, selected.iter().map(|(_, s)| s.catalog).collect()))
    }

    fn load(&self) -> anyhow::Result<Explore<'static>> {
        self.load_for(None, None)
    }

    /// The hosts; `-c` asks about `dom`'s virt type and arch when --virttype does not say, and
    /// the domain's own host (`own`, an index into the -c URIs) about its machine type too, as
    /// `check -c` does (another host's QEMU may not have that machine type: libvirt writes the
    /// versioned name, `pc-q35-10.0`, which QEMU 7.2 has not).
    pub(super) fn load_for(
        &self,
        dom: Option<&crate::domain::Domain>,
        own: Option<usize>,
    ) -> anyhow::Result<Explore<'static>> {
        let (catalog, live_catalogs) = self.catalog()?;
        let virttype = self.virttype.as_deref();
        let mut catalogs = vec![catalog; self.host_caps.len()];
        catalogs.extend(live_catalogs);
        let mut hosts = Vec::new();
        let mut labels = Vec::new();
        for f in &self.host_caps {
            hosts.push(DomCaps::read(f)?);
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
            let unique = name.as_ref().is_some_and(|n| {
                self.host_caps
                    .iter()
                    .filter(|g| g.file_name().map(|x| x.to_string_lossy()).as_deref() == Some(n))
                    .count()
                    == 1
            });
            labels.push(match name {
                Some(n) if unique => n,
                _ => f.display().to_string(),
            });
        }
        // The daemons are asked at once; each virsh is bounded by the host timeout.
        let asked: Vec<_> = std::thread::scope(|scope| {
            let each: Vec<_> = self
                .connect
                .iter()
                .enumerate()
                .map(|(i, uri)| {
                    scope.spawn(move || {
                        let mut caps = match (virttype, dom) {
                            (Some(t), _) => DomCaps::from_virsh_query(
                                &SystemRunner,
                                Some(uri),
                                &["--virttype", t],
                            ),
                            (None, Some(d)) if own == Some(i) => {
                                DomCaps::for_domain(&SystemRunner, Some(uri), d)
                            }
                            (None, Some(d)) => DomCaps::from_virsh_query(
                                &SystemRunner,
                                Some(uri),
                                &["--virttype", &d.virt_type, "--arch", d.guest_arch()],
                            ),
                            (None, None) => DomCaps::from_virsh(&SystemRunner, Some(uri)),
                        }?;
                        // The pool's lowest address width: libvirt 9.0 says it only in
                        // `virsh capabilities`.
                        caps.ask_phys_bits(&SystemRunner, Some(uri));
                        Ok(caps)
                    })
                })
                .collect();
            each.into_iter()
                .map(|h| h.join().expect("domcapabilities thread"))
                .collect()
        });
        for (uri, caps) in self.connect.iter().zip(asked) {
            hosts.push(caps.map_err(|e| super::common::libvirt_error(uri, &e))?);
            labels.push(uri.clone());
        }
        let mut short = labels[..self.host_caps.len()].to_vec();
        short.extend(crate::scan::labels(&self.connect));
        Ok(Explore {
            catalog,
            catalogs,
            hosts,
            labels,
            short,
        })
    }
}

/// A listing row with the hosts' answers.
#[derive(Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    model: explore::Row<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usable: Option<Usability>,
    /// With more than one host: each host's own answer, so "lacks" says which host lacks what.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    by_host: Vec<HostUsability>,
    /// It lacks `lm` (long mode): a 64-bit guest does not boot on it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    only_32bit: bool,
}

#[derive(Serialize)]
struct HostUsability {
    host: String,
    /// The host's name in a text table (`#1`, a host name, a file name).
    #[serde(skip)]
    short: String,
    #[serde(flatten)]
    usable: Usability,
}

/// "yes", "?", or "no (a.xml lacks x y; b.xml lacks z)": which host lacks what.
fn usable_text(pool: &Usability, by_host: &[HostUsability], wide: bool) -> String {
    match pool.usable {
        Some(true) => "yes".into(),
        None => "?".into(),
        Some(false) => match lacks_text(pool, by_host, (!wide).then_some(LACKS_SHOWN)) {
            Some(l) => format!("no ({l})"),
            None => "no".into(),
        },
    }
}

/// The features a host lacks named in the table's USABLE column without --wide.
const LACKS_SHOWN: usize = 4;

/// "lacks x y" for one host; "a.xml lacks x y; b.xml lacks z" naming each host that cannot;
/// with `limit`, at most that many features a host, then "+N more".
fn lacks_text(pool: &Usability, by_host: &[HostUsability], limit: Option<usize>) -> Option<String> {
    let names = |blockers: &[String]| match limit {
        Some(n) if blockers.len() > n => {
            format!("{} +{} more", blockers[..n].join(" "), blockers.len() - n)
        }
        _ => blockers.join(" "),
    };
    if by_host.is_empty() {
        return (!pool.blockers.is_empty()).then(|| format!("lacks {}", names(&pool.blockers)));
    }
    let per: Vec<String> = by_host
        .iter()
        .filter_map(|h| match h.usable.usable {
            Some(false) if h.usable.blockers.is_empty() => Some(format!("{} cannot", h.short)),
            Some(false) => Some(format!("{} lacks {}", h.short, names(&h.usable.blockers))),
            None => Some(format!("{}: unknown", h.short)),
            Some(true) => None,
        })
        .collect();
    (!per.is_empty()).then(|| per.join("; "))
}

/// The hosts' physical address widths and the lowest of them: the most `<maxphysaddr
/// mode='emulate' bits=…>` a guest may have to be defined, started and migrated on each
/// (libvirt refuses more than its host has), and the `limit` that keeps a passthrough guest's
/// width the same on each.
#[derive(Serialize)]
struct PhysBitsView {
    /// The lowest width, when every host said its own; `None` when one did not.
    lowest_common: Option<u32>,
    /// The lowest of the widths known, when some host did not say.
    lowest_known: Option<u32>,
    hosts: Vec<HostPhysBits>,
}

#[derive(Serialize)]
struct HostPhysBits {
    host: String,
    #[serde(skip)]
    short: String,
    /// `None`: the host did not say.
    bits: Option<u32>,
    /// `capabilities` or `domcapabilities`.
    from: Option<&'static str>,
}

impl PhysBitsView {
    fn of(ctx: &Explore<'_>) -> PhysBitsView {
        let hosts: Vec<HostPhysBits> = ctx
            .hosts
            .iter()
            .zip(ctx.labels.iter().zip(&ctx.short))
            .map(|(h, (l, s))| HostPhysBits {
                host: l.clone(),
                short: s.clone(),
                bits: h.phys_bits.map(|p| p.bits),
                from: h.phys_bits.map(|p| match p.from {
                    crate::host::PhysBitsSource::Capabilities => "capabilities",
                    crate::host::PhysBitsSource::DomCapabilities => "domcapabilities",
                }),
            })
            .collect();
        let lowest_known = hosts.iter().filter_map(|h| h.bits).min();
        let lowest_common = lowest_known.filter(|_| hosts.iter().all(|h| h.bits.is_some()));
        PhysBitsView {
            lowest_common,
            lowest_known,
            hosts,
        }
    }

    /// `physical address bits: lowest common 46 (a 48, b 46): …`.
    fn text(&self) -> String {
        let each: Vec<String> = self
            .hosts
            .iter()
            .map(|h| match h.bits {
                Some(b) => format!("{} {b}", h.short),
                None => format!("{} unknown", h.short),
            })
            .collect();
        let each = each.join(", ");
        match (self.lowest_common, self.lowest_known) {
            (Some(n), _) => format!(
                "physical address bits: lowest common {n} ({each}); a guest with <maxphysaddr mode='emulate' bits='{n}'/> or less is accepted on every host (`virt-cpu set FILE --maxphysaddr emulate:{n}`)"
            ),
            (None, Some(n)) => format!(
                "physical address bits: at most {n}, unknown for some host ({each}: libvirt 9.0's domcapabilities do not say; -c asks `virsh capabilities`)"
            ),
            (None, None) => format!(
                "physical address bits: unknown ({each}: the hosts do not say; -c asks `virsh capabilities`)"
            ),
        }
    }
}

/// `--level v3` (or `3`, `x86-64-v3`).
fn parse_level(text: &str) -> Result<u8, String> {
    crate::catalog::levels::Level::parse(text)
        .ok_or_else(|| format!("'{text}' is no x86-64 level: use v1 (the baseline), v2, v3 or v4"))
}

/// `virt-cpu models`.
pub fn run_models(args: &ModelsArgs) -> anyhow::Result<i32> {
    if let Some(path) = &args.for_file {
        return super::models_for::file(args, path);
    }
    if let Some(name) = &args.for_domain {
        return super::models_for::domain(args, name);
    }
    let ctx = args.source.load()?;
    let q = &ctx.catalog.qemu;
    let mut wanted = FeatureSet::new();
    for f in &args.has {
        match q.feature_loose(f) {
            Some(feat) => wanted.insert(
                q.feature_index(&feat.name)
                    .expect("catalog feature has an index"),
            ),
            None => {
                let hint = suggest::qemu_feature(q, f)
                    .map(|s| format!(" (did you mean {}?)", s.name))
                    .unwrap_or_default();
                errln!("virt-cpu: unknown feature '{f}'{hint}");
                return Ok(2);
            }
        }
    }
    let filter = ModelFilter {
        vendor: args.vendor.as_deref(),
        wanted: &wanted,
        search: args.search.as_deref(),
        level: args.level,
    };
    let pool = PoolUsability::new(ctx.catalog, &ctx.hosts);
    let per_host = if ctx.hosts.len() > 1 {
        ctx.per_host()
    } else {
        Vec::new()
    };
    let listing = explore::listing(q, &filter);
    let mut rows: Vec<Row> = listing
        .models
        .into_iter()
        .map(|m| row(q, m, &pool, &per_host))
        .collect();
    if !pool.is_empty() {
        explore::usable_first(&mut rows, |r| {
            (r.usable.as_ref().and_then(|u| u.usable), r.model.features)
        });
    }
    let pseudo_rows: Vec<Row> = listing
        .pseudo
        .into_iter()
        .map(|m| row(q, m, &pool, &per_host))
        .collect();
    let found = !rows.is_empty() || !pseudo_rows.is_empty();
    if args.source.json {
        let all: Vec<&Row> = rows.iter().chain(&pseudo_rows).collect();
        let phys_bits = (!ctx.hosts.is_empty()).then(|| PhysBitsView::of(&ctx));
        super::print::json(&serde_json::json!({
            "models": all,
            "hosts": host_names(&ctx.hosts),
            "phys_bits": phys_bits,
        }))?;
    } else if found {
        print_rows(&rows, &pseudo_rows, !pool.is_empty(), args.wide)?;
        if !pool.is_empty() {
            let usable: Vec<&Row> = rows
                .iter()
                .filter(|r| r.usable.as_ref().and_then(|u| u.usable) == Some(true))
                .collect();
            // Without a domain the guest is taken to be x86_64, as guests of these hosts are:
            // a model without long mode is never the best for it.
            match (usable.iter().find(|r| !r.only_32bit), usable.is_empty()) {
                (Some(b), _) => outln!("\nbest model usable on every host: {}", b.model.name)?,
                (None, false) => outln!(
                    "\nno listed 64-bit model is usable on every host: those usable ({}) are 32-bit only (they lack lm, long mode), and a 64-bit (x86_64) guest does not boot on them",
                    usable
                        .iter()
                        .map(|r| r.model.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )?,
                (None, true) => outln!("\nno listed model is usable on every host")?,
            }
            let plural = if ctx.hosts.len() > 1 { "s" } else { "" };
            outln!("host{plural}: {}", ctx.host_legend())?;
            outln!("{}", PhysBitsView::of(&ctx).text())?;
        }
    }
    if !found {
        errln!("virt-cpu: {}", no_match(q, args));
        return Ok(1);
    }
    Ok(0)
}

/// The table: fixed models, then the pseudo-models apart, with what each is.
fn print_rows(
    rows: &[Row],
    pseudo: &[Row],
    with_hosts: bool,
    wide: bool,
) -> Result<(), super::print::WriteError> {
    let name_w = rows
        .iter()
        .chain(pseudo)
        .map(|r| r.model.name.len())
        .max()
        .unwrap_or(4)
        .max(5);
    let alias_w = rows
        .iter()
        .filter_map(|r| r.model.alias_of)
        .map(str::len)
        .max()
        .unwrap_or(8)
        .max(8);
    let cells = |r: &explore::Row| {
        format!(
            "{:name_w$}  {:alias_w$}  {:7}  {:>8}  {:9}  {:3}",
            r.name,
            r.alias_of.unwrap_or("-"),
            r.vendor.unwrap_or("-"),
            r.features,
            r.level.unwrap_or("-"),
            if r.deprecated { "yes" } else { "" }
        )
    };
    if !rows.is_empty() {
        let mut header = format!(
            "{:name_w$}  {:alias_w$}  {:7}  {:>8}  {:9}  {:3}",
            "MODEL", "ALIAS OF", "VENDOR", "FEATURES", "LEVEL", "DEP"
        );
        if with_hosts {
            header.push_str("  USABLE");
        }
        outln!("{header}")?;
    }
    for r in rows {
        let mut line = cells(&r.model);
        if let Some(u) = &r.usable {
            line.push_str("  ");
            line.push_str(&usable_text(u, &r.by_host, wide));
        }
        if r.only_32bit {
            line.push_str("  (32-bit only)");
        }
        outln!("{}", line.trim_end())?;
    }
    if pseudo.is_empty() {
        return Ok(());
    }
    if !rows.is_empty() {
        outln!("")?;
    }
    outln!(
        "pseudo-models: not a fixed CPU{}",
        if with_hosts {
            "; no host usability (what they give depends on the host and accelerator)"
        } else {
            ""
        }
    )?;
    for r in pseudo {
        outln!("{:name_w$}  {}", r.model.name, r.model.note.unwrap_or(""))?;
    }
    Ok(())
}

/// Why the listing is empty, naming the filters (and the vendors there are).
fn no_match(q: &QemuCatalog, args: &ModelsArgs) -> String {
    let mut filters = Vec::new();
    if let Some(v) = &args.vendor {
        filters.push(format!("--vendor {v}"));
    }
    for f in &args.has {
        filters.push(format!("--has {f}"));
    }
    if let Some(l) = args.level {
        filters.push(format!("--level v{l}"));
    }
    if let Some(t) = &args.search {
        filters.push(format!("--search {t}"));
    }
    let mut text = format!("no model matches {}", filters.join(" "));
    if let Some(v) = &args.vendor {
        let mut vendors: Vec<&str> = q.models.iter().filter_map(|m| m.vendor_short()).collect();
        vendors.sort_unstable();
        vendors.dedup();
        if !vendors.iter().any(|x| x.eq_ignore_ascii_case(v)) {
            text.push_str(&format!(
                " (the catalog's vendors: {})",
                vendors.join(", ").to_lowercase()
            ));
        }
    }
    text
}

fn row<'a>(
    q: &'a QemuCatalog,
    m: &'a QemuModel,
    pool: &PoolUsability,
    per_host: &[(&str, &str, PoolUsability)],
) -> Row<'a> {
    let model = explore::Row::new(q, m);
    // Pseudo-models depend on the host and accelerator: no usability.
    let judged = !pool.is_empty() && !model.pseudo;
    let judged_32 = !model.pseudo && q.is_32bit_only(m);
    Row {
        model,
        usable: judged.then(|| pool.usability(&m.name)),
        by_host: per_host
            .iter()
            .filter(|_| judged)
            .map(|(host, short, p)| HostUsability {
                host: host.to_string(),
                short: short.to_string(),
                usable: p.usability(&m.name),
            })
            .collect(),
        only_32bit: judged_32,
    }
}

fn host_names(hosts: &[DomCaps]) -> Vec<String> {
    hosts.iter().map(|h| h.source.clone()).collect()
}

/// A model name QEMU does not know: a bad argument (exit 2), said on stderr, or with `--json`
/// as `{"error": …, "suggestion": …}` on stdout like every other bad input. A model libvirt's
/// `<cpu>` still has (QEMU removed it) is said to be that, with what libvirt gives QEMU instead,
/// not mistaken for a typo.
fn unknown_model(catalog: &crate::catalog::Catalog, name: &str, json: bool) -> anyhow::Result<i32> {
    let q = &catalog.qemu;
    let suggestion = suggest::qemu_model(q, name).map(|s| s.name.clone());
    if catalog.libvirt.model(name).is_some() {
        let libvirt = catalog.libvirt.release().line();
        let fallback = |virt: &str| {
            crate::argv::fallback::libvirt_fallback(catalog, name, virt).map_or_else(
                || "nothing (libvirt refuses it)".to_string(),
                |v| format!("-cpu {v}"),
            )
        };
        let message = format!(
            "QEMU {} has no CPU model '{name}', but libvirt {libvirt}'s <cpu> does: with fallback='allow' (the default) libvirt puts its features onto the closest model QEMU offers — under TCG {}; under KVM the models the host runs decide (`virt-cpu check FILE -c URI` says); with fallback='forbid' the domain does not start. In <qemu:cpu> name a model QEMU has",
            crate::catalog::versions::Version::parse(&q.version)
                .map_or_else(|| q.version.clone(), |v| v.line()),
            fallback("qemu"),
        );
        if json {
            let doc =
                serde_json::json!({ "error": message, "suggestion": null, "libvirt_only": true });
            super::print::json(&doc)?;
        } else {
            errln!("virt-cpu: {message}");
        }
        return Ok(super::common::EXIT_USAGE);
    }
    let hint = suggestion
        .as_ref()
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default();
    // Only worth saying when the name is a model in another case.
    let case = if q.models.iter().any(|m| m.name.eq_ignore_ascii_case(name)) {
        "; names are case-sensitive"
    } else {
        ""
    };
    let message = format!("QEMU has no CPU model '{name}'{hint}{case}");
    if json {
        let doc = serde_json::json!({ "error": message, "suggestion": suggestion });
        super::print::json(&doc)?;
    } else {
        errln!("virt-cpu: {message}");
    }
    Ok(super::common::EXIT_USAGE)
}

#[derive(Serialize)]
struct FeatureView<'a> {
    name: &'a str,
    libvirt: Option<&'a str>,
    category: &'static str,
    description: Option<String>,
}

#[derive(Serialize)]
struct ModelView<'a> {
    name: &'a str,
    resolves_to: &'a str,
    typename: &'a str,
    aliases: Vec<&'a str>,
    versions: Vec<VersionStep<'a>>,
    deprecated: bool,
    migration_safe: bool,
    vendor: &'a str,
    family: i64,
    model: i64,
    stepping: i64,
    model_id: &'a str,
    /// The x86-64 level a KVM guest of it reaches, and what the next level lacks (none for a
    /// pseudo-model).
    #[serde(skip_serializing_if = "Option::is_none")]
    level: Option<LevelView>,
    features: Vec<FeatureView<'a>>,
    /// How TCG differs from the KVM view.
    tcg_adds: Vec<&'a str>,
    tcg_removes: Vec<&'a str>,
    tcg_cannot_emulate: Vec<&'a str>,
    kvm_unobservable: &'a [String],
    /// Why the refresh could not observe them (KVM not usable); empty for old catalogs.
    #[serde(skip_serializing_if = "str::is_empty")]
    kvm_unobservable_reason: &'a str,
    needs: &'a [String],
    props: &'a BTreeMap<String, serde_json::Value>,
    libvirt: LibvirtComparison<'a>,
    /// What a pseudo-model (`max`, `host`, `base`) is; it has no host usability.
    #[serde(skip_serializing_if = "Option::is_none")]
    pseudo: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usable: Option<Usability>,
    /// With more than one host: each host's own answer.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    by_host: Vec<HostUsability>,
}

/// A model's x86-64 level as `model` and `diff` report it.
#[derive(Serialize)]
struct LevelView {
    /// `x86-64-v3`, `x86-64` for the baseline, `-` below it.
    name: &'static str,
    /// 0 (below the baseline) to 4.
    level: u8,
    /// What the next level needs that the model lacks (empty at v4).
    next_lacks: Vec<&'static str>,
}

impl LevelView {
    fn of(q: &QemuCatalog, m: &QemuModel) -> Option<LevelView> {
        (!explore::is_pseudo(m)).then(|| {
            let l = crate::catalog::levels::model_level(q, m);
            LevelView {
                name: l.name(),
                level: l.level,
                next_lacks: l.next_lacks,
            }
        })
    }

    /// `x86-64-v3 (v4 lacks avx512f avx512bw …)`.
    fn text(&self) -> String {
        match self.next_lacks.is_empty() {
            true => self.name.to_string(),
            false => format!(
                "{} (v{} lacks {})",
                self.name,
                self.level + 1,
                self.next_lacks.join(" ")
            ),
        }
    }
}

/// `virt-cpu model NAME`.
pub fn run_model(args: &ModelArgs) -> anyhow::Result<i32> {
    let ctx = args.source.load()?;
    let q = &ctx.catalog.qemu;
    let (Some(entry), Some(m)) = (q.model(&args.name), q.resolve_model(&args.name)) else {
        return unknown_model(ctx.catalog, &args.name, args.source.json);
    };
    let names = |s: &FeatureSet| q.names(s);
    let pool = PoolUsability::new(ctx.catalog, &ctx.hosts);
    let pseudo = explore::is_pseudo(m);
    let judged = !pool.is_empty() && !pseudo;
    let view = ModelView {
        name: &entry.name,
        resolves_to: &m.name,
        typename: &entry.typename,
        aliases: q
            .aliases_of(&m.name)
            .iter()
            .map(|a| a.name.as_str())
            .collect(),
        versions: explore::version_steps(q, &m.name),
        deprecated: entry.deprecated,
        migration_safe: entry.migration_safe,
        vendor: &m.vendor,
        family: m.family,
        model: m.model,
        stepping: m.stepping,
        model_id: &m.model_id,
        level: LevelView::of(q, m),
        features: m
            .features
            .iter()
            .map(|i| {
                let f = &q.features[i];
                FeatureView {
                    name: &f.name,
                    libvirt: f.libvirt.as_deref(),
                    category: f.category().label(),
                    description: f.description(),
                }
            })
            .collect(),
        tcg_adds: names(&m.tcg_features.difference(&m.features)),
        tcg_removes: names(&m.features.difference(&m.tcg_features)),
        tcg_cannot_emulate: names(&m.tcg_unavailable),
        kvm_unobservable: &q.kvm_unobservable,
        kvm_unobservable_reason: &q.kvm_unobservable_reason,
        needs: &m.needs,
        props: &m.props,
        libvirt: explore::compare_with_libvirt(ctx.catalog, &entry.name, &m.features),
        pseudo: pseudo.then(|| explore::pseudo_note(&m.name)),
        usable: judged.then(|| pool.usability(&entry.name)),
        by_host: if judged && ctx.hosts.len() > 1 {
            ctx.per_host()
                .iter()
                // One line names each host: in full, with no legend to look up.
                .map(|(host, _, p)| HostUsability {
                    host: host.to_string(),
                    short: host.to_string(),
                    usable: p.usability(&entry.name),
                })
                .collect()
        } else {
            Vec::new()
        },
    };
    if args.source.json {
        super::print::json(&view)?;
    } else {
        print_model(&view)?;
    }
    Ok(0)
}

/// The text of `virt-cpu model NAME`: one section after another, each printing nothing when it
/// has nothing to say.
fn print_model(v: &ModelView) -> Result<(), super::print::WriteError> {
    print_identity(v)?;
    print_versions(v)?;
    print_features(v)?;
    print_tcg_differences(v)?;
    print_properties(v)?;
    print_libvirt_view(v)?;
    print_host_usability(v)
}

/// The name (and what it resolves to), the CPUID identity or what the pseudo-model is, then
/// deprecation, aliases and what the model needs.
fn print_identity(v: &ModelView) -> Result<(), super::print::WriteError> {
    if v.name != v.resolves_to {
        outln!("{} → {}", v.name, v.resolves_to)?;
    } else {
        outln!("{}", v.name)?;
    }
    match v.pseudo {
        // Its CPUID identity comes from the host or the accelerator: the catalog's zeros would
        // mislead.
        Some(note) => outln!("  pseudo-model, not a fixed CPU: {note}")?,
        None => {
            outln!(
                "  vendor {}  family {}  model {}  stepping {}",
                v.vendor,
                v.family,
                v.model,
                v.stepping
            )?;
            outln!("  model-id \"{}\"", v.model_id)?;
        }
    }
    if let Some(level) = &v.level {
        outln!("  x86-64 level: {}", level.text())?;
    }
    if v.deprecated {
        outln!("  DEPRECATED")?;
    }
    if !v.aliases.is_empty() {
        outln!("  aliases: {}", v.aliases.join(", "))?;
    }
    if !v.needs.is_empty() {
        outln!(
            "  needs: {} (its features are the host's)",
            v.needs.join(", ")
        )?;
    }
    Ok(())
}

/// The model's versions with what each adds and removes, the one shown marked with `*`; only
/// when there is more than one.
fn print_versions(v: &ModelView) -> Result<(), super::print::WriteError> {
    if v.versions.len() > 1 {
        outln!("  versions:")?;
        for s in &v.versions {
            let mut change = String::new();
            for a in &s.added {
                change.push_str(&format!(" +{a}"));
            }
            for r in &s.removed {
                change.push_str(&format!(" -{r}"));
            }
            let mark = if s.name == v.resolves_to { "*" } else { " " };
            outln!("   {mark}{}{}", s.name, change)?;
        }
    }
    Ok(())
}

/// The features under KVM (for a pseudo-model: what the catalog lists), by category.
fn print_features(v: &ModelView) -> Result<(), super::print::WriteError> {
    if v.pseudo.is_some() {
        outln!("  features the catalog lists ({}):", v.features.len())?;
    } else {
        outln!("  features under KVM ({}):", v.features.len())?;
    }
    let mut by_cat: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in &v.features {
        by_cat.entry(f.category).or_default().push(f.name);
    }
    for (cat, names) in by_cat {
        outln!("    {cat}: {}", names.join(" "))?;
    }
    Ok(())
}

/// How TCG differs from the KVM view, what TCG cannot emulate, and what the catalog's refresh
/// could not observe without KVM.
fn print_tcg_differences(v: &ModelView) -> Result<(), super::print::WriteError> {
    if !v.tcg_adds.is_empty() || !v.tcg_removes.is_empty() {
        outln!(
            "  under TCG: {}{}",
            v.tcg_adds
                .iter()
                .map(|f| format!("+{f} "))
                .collect::<String>(),
            v.tcg_removes
                .iter()
                .map(|f| format!("-{f} "))
                .collect::<String>()
                .trim_end()
        )?;
    }
    if !v.tcg_cannot_emulate.is_empty() {
        outln!(
            "  TCG cannot emulate (QEMU warns): {}",
            v.tcg_cannot_emulate.join(" ")
        )?;
    }
    if !v.kvm_unobservable.is_empty() {
        outln!(
            "  not observable without KVM (TCG forces them off): {}",
            v.kvm_unobservable.join(" ")
        )?;
        if !v.kvm_unobservable_reason.is_empty() {
            outln!(
                "    the catalog's refresh could not use KVM: {}",
                v.kvm_unobservable_reason
            )?;
        }
    }
    Ok(())
}

/// The model's other `-cpu` properties (those that differ from `base`).
fn print_properties(v: &ModelView) -> Result<(), super::print::WriteError> {
    if !v.props.is_empty() {
        let props: Vec<String> = v
            .props
            .iter()
            .map(|(k, val)| format!("{k}={val}"))
            .collect();
        outln!("  properties: {}", props.join(" "))?;
    }
    Ok(())
}

/// Whether libvirt's release knows the model, and how its features differ from QEMU's.
fn print_libvirt_view(v: &ModelView) -> Result<(), super::print::WriteError> {
    let release = &v.libvirt.libvirt;
    if v.libvirt.known {
        outln!("  libvirt {release} knows {}:", v.name)?;
        if v.libvirt.only_in_qemu.is_empty() && v.libvirt.only_in_libvirt.is_empty() {
            outln!("    same features")?;
        }
        if !v.libvirt.only_in_qemu.is_empty() {
            outln!(
                "    only in QEMU's model: {}",
                v.libvirt.only_in_qemu.join(" ")
            )?;
        }
        if !v.libvirt.only_in_libvirt.is_empty() {
            outln!(
                "    only in libvirt's model: {}",
                v.libvirt.only_in_libvirt.join(" ")
            )?;
        }
    } else {
        outln!("  libvirt {release} has no model named {}", v.name)?;
    }
    Ok(())
}

/// The verdict for the hosts given (none without hosts, or for a pseudo-model).
fn print_host_usability(v: &ModelView) -> Result<(), super::print::WriteError> {
    if let Some(u) = &v.usable {
        let verdict = match u.usable {
            Some(true) => "usable on every host".to_string(),
            Some(false) => {
                let scope = if v.by_host.is_empty() {
                    ""
                } else {
                    " on every host"
                };
                match lacks_text(u, &v.by_host, None) {
                    Some(l) => format!("NOT usable{scope}: {l}"),
                    None => format!("NOT usable{scope}"),
                }
            }
            None => "usability unknown".to_string(),
        };
        outln!("  host: {verdict}")?;
    }
    Ok(())
}

#[derive(Serialize)]
struct DiffView<'a> {
    a: &'a str,
    b: &'a str,
    #[serde(flatten)]
    diff: ModelDiff<'a>,
    /// Each model's x86-64 level (none for a pseudo-model).
    #[serde(skip_serializing_if = "Option::is_none")]
    level_a: Option<LevelView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    level_b: Option<LevelView>,
}

/// `virt-cpu diff A B`.
pub fn run_diff(args: &DiffArgs) -> anyhow::Result<i32> {
    let ctx = args.source.load()?;
    let q = &ctx.catalog.qemu;
    let Some(a) = q.resolve_model(&args.a) else {
        return unknown_model(ctx.catalog, &args.a, args.source.json);
    };
    let Some(b) = q.resolve_model(&args.b) else {
        return unknown_model(ctx.catalog, &args.b, args.source.json);
    };
    let view = DiffView {
        a: &args.a,
        b: &args.b,
        diff: explore::model_diff(q, a, b),
        level_a: LevelView::of(q, a),
        level_b: LevelView::of(q, b),
    };
    if args.source.json {
        super::print::json(&view)?;
    } else {
        print_diff(&view, &a.name, &b.name)?;
    }
    Ok(0)
}

/// `A vs B`, naming the versioned model only where the name given differs from it; sections only
/// when they have something in them.
fn print_diff(v: &DiffView, a_model: &str, b_model: &str) -> Result<(), super::print::WriteError> {
    let named = |given: &str, model: &str| {
        if given == model {
            given.to_string()
        } else {
            format!("{given} ({model})")
        }
    };
    let (a, b) = (named(v.a, a_model), named(v.b, b_model));
    let f = &v.diff.features;
    if f.only_in_a.is_empty() && f.only_in_b.is_empty() && v.diff.properties.is_empty() {
        if a_model == b_model {
            let which = if v.a == a_model || v.b == a_model {
                String::new()
            } else {
                format!(" ({a_model})")
            };
            outln!("{} and {} are the same model{which}: identical", v.a, v.b)?;
        } else {
            outln!(
                "{a} and {b} are identical: the same {} features and properties",
                f.common
            )?;
        }
        return Ok(());
    }
    outln!("{a} vs {b}: {} features in common", f.common)?;
    if let (Some(la), Some(lb)) = (&v.level_a, &v.level_b)
        && la.level != lb.level
    {
        outln!("x86-64 level: {} vs {}", la.name, lb.name)?;
    }
    if !f.only_in_a.is_empty() {
        outln!("only in {}: {}", v.a, f.only_in_a.join(" "))?;
    }
    if !f.only_in_b.is_empty() {
        outln!("only in {}: {}", v.b, f.only_in_b.join(" "))?;
    }
    if f.only_in_a.is_empty() && f.only_in_b.is_empty() {
        outln!("same features")?;
    }
    for (k, [va, vb]) in &v.diff.properties {
        outln!("{k}: {va} vs {vb}")?;
    }
    Ok(())
}

//! `virt-cpu models`, `virt-cpu model NAME`, `virt-cpu diff A B`: exploring the catalog, with
//! host usability from `virsh domcapabilities`.

use super::out::outln;
use crate::catalog::{Catalog, FeatureSet, QemuCatalog, QemuModel, suggest};
use crate::host::domcaps::Usability;
use crate::host::{DomCaps, PoolUsability, SystemRunner};
use anyhow::Context;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Options shared by the three commands.
#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    /// `virsh domcapabilities` XML of a host; repeat for a migration pool (usable = every host can run it).
    #[arg(long = "host-caps", value_name = "FILE")]
    pub host_caps: Vec<PathBuf>,
    /// Ask libvirt at this URI for the host's capabilities (runs `virsh -c URI domcapabilities`).
    #[arg(short = 'c', long = "connect", value_name = "URI")]
    pub connect: Option<String>,
    /// With -c: the virt type to ask about, `kvm` (libvirt's default) or `qemu` (TCG).
    #[arg(long, value_name = "TYPE", requires = "connect")]
    pub virttype: Option<String>,
    /// Use this catalog (a directory or its qemu-x86.json) instead of the cache or the embedded one.
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
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

struct Explore<'a> {
    catalog: &'a Catalog,
    hosts: Vec<DomCaps>,
}

impl SourceArgs {
    fn load(&self) -> anyhow::Result<Explore<'static>> {
        let catalog = Catalog::active(self.catalog.as_deref())?;
        let mut hosts = Vec::new();
        for f in &self.host_caps {
            hosts.push(DomCaps::read(f)?);
        }
        if let Some(uri) = &self.connect {
            let caps = match &self.virttype {
                Some(t) => DomCaps::from_virsh_query(&SystemRunner, Some(uri), &["--virttype", t]),
                None => DomCaps::from_virsh(&SystemRunner, Some(uri)),
            };
            hosts.push(caps.with_context(|| format!("asking libvirt at {uri}"))?);
        }
        Ok(Explore { catalog, hosts })
    }
}

#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    alias_of: Option<&'a str>,
    vendor: Option<&'static str>,
    versions: Vec<&'a str>,
    deprecated: bool,
    features: usize,
    model_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    usable: Option<Usability>,
}

/// `virt-cpu models`.
pub fn run_models(args: &ModelsArgs) -> anyhow::Result<i32> {
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
                eprintln!("virt-cpu: unknown feature '{f}'{hint}");
                return Ok(2);
            }
        }
    }
    let filter = ModelFilter {
        vendor: args.vendor.as_deref(),
        wanted: &wanted,
        search: args.search.as_deref(),
    };
    let pool = PoolUsability::new(ctx.catalog, &ctx.hosts);
    let mut rows: Vec<Row> = filter
        .apply(q)
        .into_iter()
        .map(|m| row(q, m, &pool))
        .collect();
    if !pool.is_empty() {
        // Best common model first: usable everywhere, then the richest feature set.
        rows.sort_by_key(|r| {
            (
                r.usable.as_ref().and_then(|u| u.usable) != Some(true),
                std::cmp::Reverse(r.features),
            )
        });
    }
    if args.source.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "models": rows, "hosts": host_names(&ctx.hosts) })
            )?
        );
        return Ok(0);
    }
    let name_w = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    let mut header = format!(
        "{:name_w$}  {:18}  {:7}  {:>8}  {:3}",
        "MODEL", "ALIAS OF", "VENDOR", "FEATURES", "DEP"
    );
    if !pool.is_empty() {
        header.push_str("  USABLE");
    }
    outln!("{header}");
    for r in &rows {
        let mut line = format!(
            "{:name_w$}  {:18}  {:7}  {:>8}  {:3}",
            r.name,
            r.alias_of.unwrap_or("-"),
            r.vendor.unwrap_or("-"),
            r.features,
            if r.deprecated { "yes" } else { "" }
        );
        if let Some(u) = &r.usable {
            line.push_str(match u.usable {
                Some(true) => "  yes",
                Some(false) => "  no",
                None => "  ?",
            });
            if u.usable == Some(false) && !u.blockers.is_empty() {
                line.push_str(&format!(" (lacks {})", u.blockers.join(" ")));
            }
        }
        outln!("{}", line.trim_end());
    }
    if !pool.is_empty() {
        let best = rows
            .iter()
            .find(|r| r.usable.as_ref().and_then(|u| u.usable) == Some(true));
        let hosts = host_names(&ctx.hosts).join(", ");
        match best {
            Some(b) => outln!("\nbest model usable on every host ({hosts}): {}", b.name),
            None => outln!("\nno listed model is usable on every host ({hosts})"),
        }
    }
    Ok(0)
}

/// The filters of `models`, separate so benchmarks and the TUI's picker can use them.
pub struct ModelFilter<'a> {
    pub vendor: Option<&'a str>,
    pub wanted: &'a FeatureSet,
    pub search: Option<&'a str>,
}

impl ModelFilter<'_> {
    pub fn apply<'c>(&self, q: &'c QemuCatalog) -> Vec<&'c QemuModel> {
        let search = self.search.map(str::to_lowercase);
        q.models
            .iter()
            .filter(|m| {
                self.vendor
                    .is_none_or(|v| m.vendor_short().is_some_and(|s| s.eq_ignore_ascii_case(v)))
            })
            .filter(|m| self.wanted.is_subset(&m.features))
            .filter(|m| {
                search.as_deref().is_none_or(|s| {
                    contains_ci(&m.name, s)
                        || m.alias_of.as_deref().is_some_and(|a| contains_ci(a, s))
                        || contains_ci(&m.model_id, s)
                })
            })
            .collect()
    }
}

/// `haystack` contains the already lower-cased `needle`, ignoring ASCII case.
fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.len() >= needle.len()
        && haystack.as_bytes().windows(needle.len()).any(|w| {
            w.iter()
                .zip(needle.as_bytes())
                .all(|(a, b)| a.to_ascii_lowercase() == *b)
        })
}

fn row<'a>(q: &'a QemuCatalog, m: &'a QemuModel, pool: &PoolUsability) -> Row<'a> {
    Row {
        name: &m.name,
        alias_of: m.alias_of.as_deref(),
        vendor: m.vendor_short(),
        versions: q
            .versions(&m.name)
            .iter()
            .map(|v| v.name.as_str())
            .collect(),
        deprecated: m.deprecated,
        features: m.features.len(),
        model_id: &m.model_id,
        usable: (!pool.is_empty()).then(|| pool.usability(&m.name)),
    }
}

fn host_names(hosts: &[DomCaps]) -> Vec<String> {
    hosts.iter().map(|h| h.source.clone()).collect()
}

fn unknown_model(q: &QemuCatalog, name: &str) -> i32 {
    let hint = suggest::qemu_model(q, name)
        .map(|s| format!(" (did you mean {}?)", s.name))
        .unwrap_or_default();
    eprintln!("virt-cpu: QEMU has no CPU model '{name}'{hint}; names are case-sensitive");
    1
}

#[derive(Serialize)]
struct VersionStep<'a> {
    name: &'a str,
    added: Vec<&'a str>,
    removed: Vec<&'a str>,
}

#[derive(Serialize)]
struct LibvirtView<'a> {
    known: bool,
    /// Features (QEMU names) QEMU's model has and libvirt's model of the same name lacks.
    only_in_qemu: Vec<&'a str>,
    /// Features libvirt's model has and QEMU's lacks (QEMU names; libvirt-only names kept).
    only_in_libvirt: Vec<String>,
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
    features: Vec<FeatureView<'a>>,
    /// How TCG differs from the KVM view.
    tcg_adds: Vec<&'a str>,
    tcg_removes: Vec<&'a str>,
    tcg_cannot_emulate: Vec<&'a str>,
    kvm_unobservable: &'a [String],
    needs: &'a [String],
    props: &'a BTreeMap<String, serde_json::Value>,
    libvirt: LibvirtView<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usable: Option<Usability>,
}

/// `virt-cpu model NAME`.
pub fn run_model(args: &ModelArgs) -> anyhow::Result<i32> {
    let ctx = args.source.load()?;
    let q = &ctx.catalog.qemu;
    let (Some(entry), Some(m)) = (q.model(&args.name), q.resolve_model(&args.name)) else {
        return Ok(unknown_model(q, &args.name));
    };
    let names = |s: &FeatureSet| q.names(s);
    let versions = q.versions(&m.name);
    let steps = versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let prev = i.checked_sub(1).map(|p| &versions[p].features);
            VersionStep {
                name: &v.name,
                added: prev
                    .map(|p| names(&v.features.difference(p)))
                    .unwrap_or_default(),
                removed: prev
                    .map(|p| names(&p.difference(&v.features)))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let pool = PoolUsability::new(ctx.catalog, &ctx.hosts);
    let view = ModelView {
        name: &entry.name,
        resolves_to: &m.name,
        typename: &entry.typename,
        aliases: q
            .aliases_of(&m.name)
            .iter()
            .map(|a| a.name.as_str())
            .collect(),
        versions: steps,
        deprecated: entry.deprecated,
        migration_safe: entry.migration_safe,
        vendor: &m.vendor,
        family: m.family,
        model: m.model,
        stepping: m.stepping,
        model_id: &m.model_id,
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
        needs: &m.needs,
        props: &m.props,
        libvirt: libvirt_view(ctx.catalog, &entry.name, &m.features),
        usable: (!pool.is_empty()).then(|| pool.usability(&entry.name)),
    };
    if args.source.json {
        outln!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        print_model(&view);
    }
    Ok(0)
}

fn libvirt_view<'a>(catalog: &'a Catalog, name: &str, features: &FeatureSet) -> LibvirtView<'a> {
    let q = &catalog.qemu;
    let Some(lm) = catalog.libvirt.model(name) else {
        return LibvirtView {
            known: false,
            only_in_qemu: Vec::new(),
            only_in_libvirt: Vec::new(),
        };
    };
    let mut lset = FeatureSet::new();
    let mut only_in_libvirt = Vec::new();
    for f in &lm.features {
        match q
            .feature_by_libvirt(f)
            .and_then(|x| q.feature_index(&x.name))
        {
            Some(i) => lset.insert(i),
            None => only_in_libvirt.push(f.clone()),
        }
    }
    // Features libvirt cannot name (KVM paravirt bits, nested VMX controls) are not a difference.
    let comparable: FeatureSet = features
        .iter()
        .filter(|&i| q.features[i].libvirt.is_some() && !q.kvm_only.contains(&q.features[i].name))
        .collect();
    // Nor are features whose QEMU value TCG hides (vme): we cannot know QEMU's side.
    let lset: FeatureSet = lset
        .iter()
        .filter(|&i| !q.kvm_unobservable.contains(&q.features[i].name))
        .collect();
    only_in_libvirt.extend(
        q.names(&lset.difference(features))
            .into_iter()
            .map(str::to_string),
    );
    LibvirtView {
        known: true,
        only_in_qemu: q.names(&comparable.difference(&lset)),
        only_in_libvirt,
    }
}

fn print_model(v: &ModelView) {
    if v.name != v.resolves_to {
        outln!("{} → {}", v.name, v.resolves_to);
    } else {
        outln!("{}", v.name);
    }
    outln!(
        "  vendor {}  family {}  model {}  stepping {}",
        v.vendor,
        v.family,
        v.model,
        v.stepping
    );
    outln!("  model-id \"{}\"", v.model_id);
    if v.deprecated {
        outln!("  DEPRECATED");
    }
    if !v.aliases.is_empty() {
        outln!("  aliases: {}", v.aliases.join(", "));
    }
    if !v.needs.is_empty() {
        outln!(
            "  needs: {} (its features are the host's)",
            v.needs.join(", ")
        );
    }
    if v.versions.len() > 1 {
        outln!("  versions:");
        for s in &v.versions {
            let mut change = String::new();
            for a in &s.added {
                change.push_str(&format!(" +{a}"));
            }
            for r in &s.removed {
                change.push_str(&format!(" -{r}"));
            }
            let mark = if s.name == v.resolves_to { "*" } else { " " };
            outln!("   {mark}{}{}", s.name, change);
        }
    }
    outln!("  features under KVM ({}):", v.features.len());
    let mut by_cat: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in &v.features {
        by_cat.entry(f.category).or_default().push(f.name);
    }
    for (cat, names) in by_cat {
        outln!("    {cat}: {}", names.join(" "));
    }
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
        );
    }
    if !v.tcg_cannot_emulate.is_empty() {
        outln!(
            "  TCG cannot emulate (QEMU warns): {}",
            v.tcg_cannot_emulate.join(" ")
        );
    }
    if !v.kvm_unobservable.is_empty() {
        outln!(
            "  not observable without KVM (TCG forces them off): {}",
            v.kvm_unobservable.join(" ")
        );
    }
    if !v.props.is_empty() {
        let props: Vec<String> = v
            .props
            .iter()
            .map(|(k, val)| format!("{k}={val}"))
            .collect();
        outln!("  properties: {}", props.join(" "));
    }
    if v.libvirt.known {
        outln!("  libvirt 9.0 knows {}:", v.name);
        if v.libvirt.only_in_qemu.is_empty() && v.libvirt.only_in_libvirt.is_empty() {
            outln!("    same features");
        } else {
            outln!(
                "    only in QEMU's model: {}",
                v.libvirt.only_in_qemu.join(" ")
            );
            outln!(
                "    only in libvirt's model: {}",
                v.libvirt.only_in_libvirt.join(" ")
            );
        }
    } else {
        outln!("  libvirt 9.0 has no model named {}", v.name);
    }
    if let Some(u) = &v.usable {
        let verdict = match u.usable {
            Some(true) => "usable on every host".to_string(),
            Some(false) => format!("NOT usable: lacks {}", u.blockers.join(" ")),
            None => "usability unknown".to_string(),
        };
        outln!("  host: {verdict}");
    }
}

#[derive(Serialize)]
struct DiffView<'a> {
    a: &'a str,
    b: &'a str,
    only_in_a: Vec<&'a str>,
    only_in_b: Vec<&'a str>,
    common: usize,
    /// Property → [value in A, value in B], for every identity or CPUID property that differs.
    properties: BTreeMap<String, [serde_json::Value; 2]>,
}

/// `virt-cpu diff A B`.
pub fn run_diff(args: &DiffArgs) -> anyhow::Result<i32> {
    let ctx = args.source.load()?;
    let q = &ctx.catalog.qemu;
    let Some(a) = q.resolve_model(&args.a) else {
        return Ok(unknown_model(q, &args.a));
    };
    let Some(b) = q.resolve_model(&args.b) else {
        return Ok(unknown_model(q, &args.b));
    };
    let ident = |m: &QemuModel| -> BTreeMap<String, serde_json::Value> {
        let mut p = m.props.clone();
        p.insert("vendor".into(), m.vendor.clone().into());
        p.insert("family".into(), m.family.into());
        p.insert("model".into(), m.model.into());
        p.insert("stepping".into(), m.stepping.into());
        p.insert("model-id".into(), m.model_id.clone().into());
        p
    };
    let (pa, pb) = (ident(a), ident(b));
    let mut properties = BTreeMap::new();
    for k in pa.keys().chain(pb.keys()) {
        let (va, vb) = (
            pa.get(k).cloned().unwrap_or_default(),
            pb.get(k).cloned().unwrap_or_default(),
        );
        if va != vb {
            properties.insert(k.clone(), [va, vb]);
        }
    }
    let view = DiffView {
        a: &args.a,
        b: &args.b,
        only_in_a: q.names(&a.features.difference(&b.features)),
        only_in_b: q.names(&b.features.difference(&a.features)),
        common: a.features.intersection(&b.features).len(),
        properties,
    };
    if args.source.json {
        outln!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        outln!(
            "{} ({}) vs {} ({}): {} features in common",
            args.a,
            a.name,
            args.b,
            b.name,
            view.common
        );
        outln!("only in {}: {}", args.a, view.only_in_a.join(" "));
        outln!("only in {}: {}", args.b, view.only_in_b.join(" "));
        for (k, [va, vb]) in &view.properties {
            outln!("{k}: {va} vs {vb}");
        }
    }
    Ok(0)
}

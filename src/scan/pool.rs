//! A migration pool: the CPU models every host scanned can run (as each host's own libvirt names
//! them and judges them usable), best first, and for a domain the model of that list closest to
//! the CPU it has now without losing a feature it uses (like `virsh hypervisor-cpu-baseline`,
//! but among named models).

use crate::catalog::Catalog;
use crate::catalog::qemu_cpu_string::{self, parse_bool};
use crate::host::{DomCaps, PoolUsability};
use serde::Serialize;
use std::collections::BTreeSet;

/// One model every host runs.
#[derive(Debug, Clone, Serialize)]
pub struct PoolModel {
    pub name: String,
    /// Its features (QEMU names) for the pool's virt type.
    #[serde(skip)]
    pub features: BTreeSet<String>,
    pub feature_count: usize,
    /// It lacks `lm` (long mode): a 64-bit guest does not boot on it.
    pub only_32bit: bool,
}

/// The models of a pool for one virt type and arch.
#[derive(Debug, Clone, Serialize)]
pub struct Pool {
    pub virt_type: String,
    pub arch: String,
    /// Best first: the most features first, then by name.
    pub models: Vec<PoolModel>,
    /// The lowest physical address width of the hosts (the most `<maxphysaddr mode='emulate'
    /// bits=…>` every one accepts); `None` when some host does not say its width.
    pub phys_bits: Option<u32>,
}

/// What a domain could move to.
#[derive(Debug, Clone, Serialize)]
pub struct MoveTo {
    pub model: String,
    /// Features its CPU has now that this model lacks (empty: nothing is lost).
    pub loses: Vec<String>,
    /// Features this model adds.
    pub gains: usize,
}

/// The models named alike by every host's libvirt and usable on every host (`hosts`: each host's
/// catalog and its domain capabilities for `virt_type`).
pub fn pool(virt_type: &str, arch: &str, hosts: &[(&Catalog, &DomCaps)]) -> Pool {
    let mut models = Vec::new();
    if let Some((first, _)) = hosts.first() {
        let tcg = virt_type != "kvm";
        for m in &first.libvirt.models {
            let name = m.name.as_str();
            let Some(q) = first.qemu.model(name) else {
                continue;
            };
            if !q.needs.is_empty() {
                continue;
            }
            let everywhere = hosts.iter().all(|(catalog, caps)| {
                catalog.libvirt.model(name).is_some()
                    && PoolUsability::new(catalog, std::slice::from_ref(*caps))
                        .usability(name)
                        .usable
                        == Some(true)
            });
            if !everywhere {
                continue;
            }
            let set = if tcg { &q.tcg_features } else { &q.features };
            let features: BTreeSet<String> = first
                .qemu
                .names(set)
                .into_iter()
                .map(str::to_string)
                .collect();
            models.push(PoolModel {
                name: name.to_string(),
                feature_count: features.len(),
                features,
                only_32bit: first.qemu.is_32bit_only(q),
            });
        }
    }
    models.sort_by(|a, b| {
        b.feature_count
            .cmp(&a.feature_count)
            .then_with(|| a.name.cmp(&b.name))
    });
    // Each host's width, from its domcapabilities or (as the caller adds) `virsh capabilities`.
    let widths: Option<Vec<u32>> = hosts
        .iter()
        .map(|(_, caps)| caps.phys_bits.map(|p| p.bits))
        .collect();
    Pool {
        virt_type: virt_type.to_string(),
        arch: arch.to_string(),
        models,
        phys_bits: widths.and_then(|w| w.into_iter().min()),
    }
}

/// What the guest really gets of a `-cpu` value on `host`: the features [`features_of`] gives,
/// less those the host lacks (QEMU drops them); all of them when the host CPU is unknown.
pub fn guest_uses(
    value: &str,
    catalog: &Catalog,
    tcg: bool,
    host: Option<&DomCaps>,
) -> Option<BTreeSet<String>> {
    let has: Option<BTreeSet<String>> = host.and_then(|h| h.host_features(catalog)).map(|f| {
        catalog
            .qemu
            .names(&f)
            .into_iter()
            .map(str::to_string)
            .collect()
    });
    features_of(value, catalog, tcg).map(|f| match &has {
        Some(h) => f.intersection(h).cloned().collect(),
        None => f,
    })
}

/// The features (QEMU names) a `-cpu` value gives the guest, by `catalog`: its model's, then each
/// `name=on|off`, `+name`, `-name` in order. `None` when the model is unknown or describes the
/// host (`host`, `max`).
pub fn features_of(value: &str, catalog: &Catalog, tcg: bool) -> Option<BTreeSet<String>> {
    let parsed = qemu_cpu_string::parse(value).ok()?;
    let q = &catalog.qemu;
    let model = q.resolve_model(&parsed.model)?;
    if !model.needs.is_empty() || model.name == "max" || model.name == "host" {
        return None;
    }
    let set = if tcg {
        &model.tcg_features
    } else {
        &model.features
    };
    let mut out: BTreeSet<String> = q.names(set).into_iter().map(str::to_string).collect();
    for item in &parsed.items {
        let (Some(f), Some(on)) = (q.feature(&item.name), parse_bool(&item.value)) else {
            continue;
        };
        if on {
            out.insert(f.name.clone());
        } else {
            out.remove(&f.name);
        }
    }
    Some(out)
}

impl Pool {
    /// Whether a model fits the pool's guests: a 32-bit only one (no `lm`) never fits x86_64
    /// guests, whose 64-bit kernels do not boot on it.
    pub fn fits(&self, m: &PoolModel) -> bool {
        !(m.only_32bit && self.arch == "x86_64")
    }

    /// Every host runs models, but none of them fits the pool's guests (x86_64 guests and only
    /// 32-bit models): said plainly rather than offering a model they cannot boot on.
    pub fn only_32bit_for_64bit_guests(&self) -> bool {
        !self.models.is_empty() && !self.models.iter().any(|m| self.fits(m))
    }
}

/// The pool model closest to `uses` that loses none of it; else the one that loses the fewest.
/// Models that do not fit the pool's guests ([`Pool::fits`]) are never offered.
pub fn move_to(pool: &Pool, uses: &BTreeSet<String>) -> Option<MoveTo> {
    pool.models
        .iter()
        .filter(|m| pool.fits(m))
        .map(|m| {
            let loses: Vec<String> = uses.difference(&m.features).cloned().collect();
            let gains = m.features.difference(uses).count();
            MoveTo {
                model: m.name.clone(),
                loses,
                gains,
            }
        })
        .min_by(|a, b| {
            a.loses
                .len()
                .cmp(&b.loses.len())
                .then(a.gains.cmp(&b.gains))
                .then_with(|| a.model.cmp(&b.model))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn model(name: &str, f: &[&str]) -> PoolModel {
        PoolModel {
            name: name.into(),
            features: set(f),
            feature_count: f.len(),
            only_32bit: !f.contains(&"lm"),
        }
    }

    #[test]
    fn the_closest_model_that_loses_nothing_wins_else_the_one_losing_least() {
        let pool = Pool {
            virt_type: "qemu".into(),
            arch: "x86_64".into(),
            models: vec![
                model("Big", &["lm", "a", "b", "c", "d", "e"]),
                model("Fit", &["lm", "a", "b", "c"]),
                model("Small", &["lm", "a"]),
            ],
            phys_bits: None,
        };
        let m = move_to(&pool, &set(&["lm", "a", "b"])).unwrap();
        assert_eq!((m.model.as_str(), m.gains), ("Fit", 1));
        assert!(m.loses.is_empty());
        let m = move_to(&pool, &set(&["lm", "a", "b", "z"])).unwrap();
        assert_eq!(m.model, "Fit");
        assert_eq!(m.loses, ["z"]);
    }

    /// An x86_64 guest is never moved to a model without long mode, however close it is; with
    /// only such models there is nothing to move to, and the pool says why.
    #[test]
    fn a_64bit_guest_is_never_moved_to_a_32bit_only_model() {
        let mut pool = Pool {
            virt_type: "kvm".into(),
            arch: "x86_64".into(),
            models: vec![
                model("Wide", &["lm", "a", "b", "c", "d"]),
                model("Old32", &["a"]),
            ],
            phys_bits: None,
        };
        let m = move_to(&pool, &set(&["a"])).unwrap();
        assert_eq!(m.model, "Wide");
        assert!(!pool.only_32bit_for_64bit_guests());
        pool.models.remove(0);
        assert!(move_to(&pool, &set(&["a"])).is_none());
        assert!(pool.only_32bit_for_64bit_guests());
        // A 32-bit guest runs on it.
        pool.arch = "i686".into();
        assert_eq!(move_to(&pool, &set(&["a"])).unwrap().model, "Old32");
        assert!(!pool.only_32bit_for_64bit_guests());
    }

    #[test]
    fn a_cpu_value_gives_its_models_features_as_changed_by_its_options() {
        let catalog = Catalog::embedded();
        let base = features_of("Nehalem", catalog, true).unwrap();
        let changed = features_of("Nehalem,x2apic=off,+avx", catalog, true).unwrap();
        assert!(changed.contains("avx") && !base.contains("avx"));
        assert!(!changed.contains("x2apic"));
        assert!(features_of("host", catalog, false).is_none());
        assert!(features_of("NoSuchModel", catalog, false).is_none());
    }
}

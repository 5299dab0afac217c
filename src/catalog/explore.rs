//! Exploring the catalog: which models a filter keeps, the order they are listed in, what each
//! row says, and what tells two models apart. The data only: `virt-cpu models`, `model` and
//! `diff` print it, the TUI's model picker draws it, so both follow the same rules (README
//! "Exploring models").

use super::qemu::version_split;
use super::{Catalog, FeatureSet, LibvirtMap, LibvirtModel, QemuCatalog, QemuModel};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

/// The filters of `virt-cpu models`.
pub struct ModelFilter<'a> {
    /// A short vendor name (`intel`, `amd`, …), case ignored.
    pub vendor: Option<&'a str>,
    /// Features every model kept has.
    pub wanted: &'a FeatureSet,
    /// Text the name, the alias target or the model-id contains, case ignored.
    pub search: Option<&'a str>,
    /// At least this x86-64 level (1 the baseline … 4), as [`super::levels`] judges it.
    pub level: Option<u8>,
}

impl ModelFilter<'_> {
    /// No filter: every model.
    pub fn everything() -> ModelFilter<'static> {
        static NONE: LazyLock<FeatureSet> = LazyLock::new(FeatureSet::new);
        ModelFilter {
            vendor: None,
            wanted: &NONE,
            search: None,
            level: None,
        }
    }

    /// Only a vendor, feature or level filter, which pseudo-models (no fixed vendor or
    /// features) never pass.
    fn asks_for_fixed_cpus(&self) -> bool {
        self.vendor.is_some() || !self.wanted.is_empty() || self.level.is_some()
    }

    /// The models kept, in catalog order.
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
                self.level
                    .is_none_or(|l| super::levels::model_level(q, m).level >= l)
            })
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

/// A model that is not a fixed CPU: QEMU's unversioned, non-alias models (`max`, `host`, `base`).
pub fn is_pseudo(m: &QemuModel) -> bool {
    !m.is_alias() && m.version().is_none()
}

/// What a pseudo-model is.
pub fn pseudo_note(name: &str) -> &'static str {
    match name {
        "max" => {
            "everything the accelerator offers: under KVM the host's CPU (as `host`), under TCG QEMU's \
             emulated \"QEMU TCG CPU\" (vendor AMD; the catalog's vendor and features for max are \
             TCG's); libvirt: <cpu mode='maximum'>"
        }
        "host" => "the host's CPU passed through, KVM only; libvirt: <cpu mode='host-passthrough'>",
        "base" => "no features at all: a starting point for `-cpu base,+feature,…`",
        _ => "not a fixed CPU model",
    }
}

/// QEMU's models a filter keeps, in listing order: the fixed CPUs, then the pseudo-models
/// apart.
pub struct Listing<'a> {
    pub models: Vec<&'a QemuModel>,
    pub pseudo: Vec<&'a QemuModel>,
}

impl Listing<'_> {
    pub fn is_empty(&self) -> bool {
        self.models.is_empty() && self.pseudo.is_empty()
    }
}

/// The listing: alphabetical by family (case ignored), versions in order, each alias right
/// after the version it stands for (`Skylake-Client-v2`, then `Skylake-Client-IBRS`).
/// Pseudo-models have no fixed vendor or features, so a vendor or feature filter leaves them
/// out; only a name search finds them.
pub fn listing<'a>(q: &'a QemuCatalog, filter: &ModelFilter) -> Listing<'a> {
    let mut matched = filter.apply(q);
    matched.sort_by_cached_key(|m| listing_key(q, m));
    let (mut pseudo, models): (Vec<_>, Vec<_>) = matched.into_iter().partition(|m| is_pseudo(m));
    if filter.asks_for_fixed_cpus() {
        pseudo.clear();
    }
    Listing { models, pseudo }
}

fn listing_key<'a>(q: &'a QemuCatalog, m: &'a QemuModel) -> (String, u32, bool, &'a str) {
    let concrete = q.resolve_model(&m.name).unwrap_or(m);
    (
        concrete.family_name().to_lowercase(),
        concrete.version().unwrap_or(0),
        m.is_alias(),
        &m.name,
    )
}

/// libvirt's models (what `<cpu><model>` takes), by name, case ignored.
pub fn libvirt_listing(map: &LibvirtMap) -> Vec<&LibvirtModel> {
    let mut models: Vec<&LibvirtModel> = map.models.iter().collect();
    models.sort_by_cached_key(|m| m.name.to_lowercase());
    models
}

/// With hosts: the models usable on every host first, the richest first among them; the
/// listing order otherwise (the sort is stable). `judged` gives a row's usability and its
/// feature count.
pub fn usable_first<T>(rows: &mut [T], judged: impl Fn(&T) -> (Option<bool>, usize)) {
    rows.sort_by_key(|r| {
        let (usable, features) = judged(r);
        (usable != Some(true), std::cmp::Reverse(features))
    });
}

/// One QEMU model as a listing shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Row<'a> {
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_of: Option<&'a str>,
    pub vendor: Option<&'static str>,
    /// Every version of its family, oldest first; a pseudo-model's is itself.
    pub versions: Vec<&'a str>,
    pub deprecated: bool,
    pub features: usize,
    /// The x86-64 level (`x86-64-v3`) a KVM guest of the model reaches; none for a
    /// pseudo-model or a model below the baseline (32-bit CPUs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<&'static str>,
    pub model_id: &'a str,
    /// `max`, `host`, `base`: not a fixed CPU (see `note`); no host usability.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pseudo: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

impl<'a> Row<'a> {
    pub fn new(q: &'a QemuCatalog, m: &'a QemuModel) -> Row<'a> {
        let pseudo = is_pseudo(m);
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
            level: Some(super::levels::model_level(q, m))
                .filter(|l| !pseudo && l.level > 0)
                .map(|l| l.name()),
            model_id: &m.model_id,
            pseudo,
            note: pseudo.then(|| pseudo_note(&m.name)),
        }
    }

    /// The first and last version of the family, when it has more than one (`v1`–`v4`).
    pub fn version_range(&self) -> Option<(u32, u32)> {
        let first = version_split(self.versions.first()?)?.1;
        let last = version_split(self.versions.last()?)?.1;
        (first != last).then_some((first, last))
    }
}

/// The features of two models, set against each other.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FeatureDiff<'a> {
    pub only_in_a: Vec<&'a str>,
    pub only_in_b: Vec<&'a str>,
    pub common: usize,
}

/// QEMU's models `a` and `b`, names in catalog order.
pub fn qemu_feature_diff<'a>(q: &'a QemuCatalog, a: &QemuModel, b: &QemuModel) -> FeatureDiff<'a> {
    FeatureDiff {
        only_in_a: q.names(&a.features.difference(&b.features)),
        only_in_b: q.names(&b.features.difference(&a.features)),
        common: a.features.intersection(&b.features).len(),
    }
}

/// libvirt's models `a` and `b`, names in each model's order.
pub fn libvirt_feature_diff<'a>(a: &'a LibvirtModel, b: &'a LibvirtModel) -> FeatureDiff<'a> {
    let in_a: HashSet<&str> = a.features.iter().collect();
    let in_b: HashSet<&str> = b.features.iter().collect();
    FeatureDiff {
        only_in_a: a.features.iter().filter(|f| !in_b.contains(f)).collect(),
        only_in_b: b.features.iter().filter(|f| !in_a.contains(f)).collect(),
        common: in_a.intersection(&in_b).count(),
    }
}

/// What `virt-cpu diff A B` reports: the features, and every identity or CPUID property that
/// differs (property → [value in A, value in B]).
#[derive(Debug, Clone, Serialize)]
pub struct ModelDiff<'a> {
    #[serde(flatten)]
    pub features: FeatureDiff<'a>,
    pub properties: BTreeMap<String, [serde_json::Value; 2]>,
}

pub fn model_diff<'a>(q: &'a QemuCatalog, a: &QemuModel, b: &QemuModel) -> ModelDiff<'a> {
    let (pa, pb) = (identity(a), identity(b));
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
    ModelDiff {
        features: qemu_feature_diff(q, a, b),
        properties,
    }
}

/// A model's properties with its CPUID identity (vendor, family, model, stepping, model-id).
fn identity(m: &QemuModel) -> BTreeMap<String, serde_json::Value> {
    let mut p = m.props.clone();
    p.insert("vendor".into(), m.vendor.clone().into());
    p.insert("family".into(), m.family.into());
    p.insert("model".into(), m.model.into());
    p.insert("stepping".into(), m.stepping.into());
    p.insert("model-id".into(), m.model_id.clone().into());
    p
}

/// One version of a family and what it changed from the one before.
#[derive(Debug, Clone, Serialize)]
pub struct VersionStep<'a> {
    pub name: &'a str,
    pub added: Vec<&'a str>,
    pub removed: Vec<&'a str>,
}

/// The versions of `name`'s family, oldest first, each with its change.
pub fn version_steps<'a>(q: &'a QemuCatalog, name: &str) -> Vec<VersionStep<'a>> {
    let versions = q.versions(name);
    versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let prev = i.checked_sub(1).map(|p| &versions[p].features);
            VersionStep {
                name: &v.name,
                added: prev
                    .map(|p| q.names(&v.features.difference(p)))
                    .unwrap_or_default(),
                removed: prev
                    .map(|p| q.names(&p.difference(&v.features)))
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// QEMU's model against libvirt's model of the same name.
#[derive(Debug, Clone, Serialize)]
pub struct LibvirtComparison<'a> {
    /// The libvirt release of the map compared with (`11.3`).
    pub libvirt: String,
    pub known: bool,
    /// Features (QEMU names) QEMU's model has and libvirt's model of the same name lacks.
    pub only_in_qemu: Vec<&'a str>,
    /// Features libvirt's model has and QEMU's lacks (QEMU names; libvirt-only names kept).
    pub only_in_libvirt: Vec<String>,
}

/// `name` as libvirt's map has it, against QEMU's `features` for it.
pub fn compare_with_libvirt<'a>(
    catalog: &'a Catalog,
    name: &str,
    features: &FeatureSet,
) -> LibvirtComparison<'a> {
    let q = &catalog.qemu;
    let Some(lm) = catalog.libvirt.model(name) else {
        return LibvirtComparison {
            libvirt: catalog.libvirt.release().line(),
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
            None => only_in_libvirt.push(f.to_string()),
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
    LibvirtComparison {
        libvirt: catalog.libvirt.release().line(),
        known: true,
        only_in_qemu: q.names(&comparable.difference(&lset)),
        only_in_libvirt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q() -> &'static QemuCatalog {
        &Catalog::embedded().qemu
    }

    fn names<'a>(models: &[&'a QemuModel]) -> Vec<&'a str> {
        models.iter().map(|m| m.name.as_str()).collect()
    }

    #[test]
    fn the_listing_goes_by_family_then_version_with_each_alias_after_its_version() {
        let filter = ModelFilter {
            search: Some("skylake-client"),
            ..ModelFilter::everything()
        };
        let l = listing(q(), &filter);
        assert_eq!(
            names(&l.models)[..4],
            [
                "Skylake-Client-v1",
                "Skylake-Client",
                "Skylake-Client-v2",
                "Skylake-Client-IBRS"
            ]
        );
        assert!(l.pseudo.is_empty());
    }

    #[test]
    fn pseudo_models_are_apart_and_only_a_name_search_finds_them() {
        let all = listing(q(), &ModelFilter::everything());
        assert_eq!(names(&all.pseudo), ["base", "host", "max"]);
        assert!(all.models.iter().all(|m| !is_pseudo(m)));
        let none = FeatureSet::new();
        let intel = ModelFilter {
            vendor: Some("INTEL"),
            wanted: &none,
            search: None,
            level: None,
        };
        let l = listing(q(), &intel);
        assert!(l.pseudo.is_empty());
        assert!(l.models.iter().all(|m| m.vendor_short() == Some("Intel")));
        let (avx512, _) = q().set_of(["avx512f"]);
        let with = ModelFilter {
            wanted: &avx512,
            ..ModelFilter::everything()
        };
        assert!(
            listing(q(), &with)
                .models
                .iter()
                .all(|m| q().model_has(m, "avx512f"))
        );
        let v3 = ModelFilter {
            level: Some(3),
            ..ModelFilter::everything()
        };
        let l = listing(q(), &v3);
        assert!(l.pseudo.is_empty());
        let has = |name: &str| l.models.iter().any(|m| m.name == name);
        assert!(has("Haswell-v1") && has("Skylake-Server-v1") && !has("Nehalem-v1"));
    }

    #[test]
    fn usable_first_puts_usable_rows_first_richest_first_and_keeps_the_rest_in_order() {
        let mut rows = [
            ("a", None, 10),
            ("b", Some(true), 5),
            ("c", Some(false), 50),
            ("d", Some(true), 9),
        ];
        usable_first(&mut rows, |r| (r.1, r.2));
        assert_eq!(rows.map(|r| r.0), ["d", "b", "c", "a"]);
    }

    #[test]
    fn a_row_names_its_versions_and_what_a_pseudo_model_is() {
        let q = q();
        let row = Row::new(q, q.model("Skylake-Client-IBRS").unwrap());
        assert_eq!(row.alias_of, Some("Skylake-Client-v2"));
        assert_eq!(row.version_range(), Some((1, 4)));
        assert!(!row.pseudo && row.note.is_none());
        let max = Row::new(q, q.model("max").unwrap());
        assert!(max.pseudo);
        assert_eq!(max.version_range(), None);
        assert!(max.note.unwrap().contains("maximum"));
    }

    #[test]
    fn diffs_are_set_arithmetic_over_the_features() {
        let q = q();
        let (a, b) = (
            q.resolve_model("Skylake-Client-v4").unwrap(),
            q.resolve_model("Skylake-Client-v1").unwrap(),
        );
        let d = model_diff(q, a, b);
        assert_eq!(d.features.only_in_b, ["hle", "rtm"]);
        assert_eq!(
            d.features.common + d.features.only_in_a.len(),
            a.features.len()
        );
        assert!(d.properties.contains_key("model-id"));
        let same = model_diff(q, a, a);
        assert_eq!(
            same.features.only_in_a.len() + same.features.only_in_b.len(),
            0
        );
        assert!(same.properties.is_empty());

        let map = &Catalog::embedded().libvirt;
        let (sky, ibrs) = (
            map.model("Skylake-Client").unwrap(),
            map.model("Skylake-Client-IBRS").unwrap(),
        );
        let d = libvirt_feature_diff(sky, ibrs);
        assert!(d.only_in_a.is_empty());
        assert_eq!(d.only_in_b, ["spec-ctrl"]);
        assert_eq!(d.common, sky.features.len());
    }

    #[test]
    fn version_steps_say_what_each_version_changed() {
        let steps = version_steps(q(), "Skylake-Client");
        assert_eq!(steps[0].name, "Skylake-Client-v1");
        assert!(steps[0].added.is_empty() && steps[0].removed.is_empty());
        assert!(steps[2].removed.contains(&"hle"), "{:?}", steps[2]);
    }
}

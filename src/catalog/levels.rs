//! The x86-64 microarchitecture levels of the psABI (baseline, v2, v3, v4: RHEL 9 needs v2,
//! RHEL 10 v3), judged the way QEMU's `scripts/cpu-x86-uarch-abi.py` judges a CPU model: by
//! the CPUID features of QEMU's expansion of the model, each level requiring its own list and
//! every level below it.

use super::feature_set::FeatureSet;
use super::qemu::{QemuCatalog, QemuModel};
use serde::Serialize;

/// Each level's mandatory CPUID features, in QEMU's names (the lists of QEMU's script).
const LEVELS: [(&str, &[&str]); 4] = [
    (
        "x86-64",
        &[
            "cmov", "cx8", "fpu", "fxsr", "mmx", "syscall", "sse", "sse2",
        ],
    ),
    (
        "x86-64-v2",
        &[
            "cx16", "lahf-lm", "popcnt", "pni", "sse4.1", "sse4.2", "ssse3",
        ],
    ),
    (
        "x86-64-v3",
        &["avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe"],
    ),
    (
        "x86-64-v4",
        &["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"],
    ),
];

/// The highest level a set of features reaches, and what the next one lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Level {
    /// 1 for the baseline, 2–4 for v2–v4; 0 when even the baseline is not met (32-bit models).
    pub level: u8,
    /// The features of the next level the set does not have (empty at v4).
    pub next_lacks: Vec<&'static str>,
}

impl Level {
    /// `x86-64-v3`, `x86-64` for the baseline, `-` below it.
    pub fn name(&self) -> &'static str {
        match self.level {
            0 => "-",
            n => LEVELS[n as usize - 1].0,
        }
    }

    /// The short form for tables: `v3`, `v1` for the baseline, `-` below it.
    pub fn short(&self) -> &'static str {
        ["-", "v1", "v2", "v3", "v4"][self.level as usize]
    }

    /// The level a `--level` argument names (`v3`, `3`, `x86-64-v3`; `v1`/`x86-64` the
    /// baseline).
    pub fn parse(text: &str) -> Option<u8> {
        let t = text.trim().to_ascii_lowercase();
        let t = t.strip_prefix("x86-64").unwrap_or(&t);
        let t = t.strip_prefix('-').unwrap_or(t);
        match t.strip_prefix('v').unwrap_or(t) {
            "" | "1" => Some(1),
            "2" => Some(2),
            "3" => Some(3),
            "4" => Some(4),
            _ => None,
        }
    }
}

/// The level of `features` (a model's, or any CPU's), by the catalog's feature names.
pub fn level_of(q: &QemuCatalog, features: &FeatureSet) -> Level {
    let has = |name: &str| q.feature_index(name).is_some_and(|i| features.contains(i));
    let mut level = 0;
    for (_, wanted) in LEVELS {
        let lacks: Vec<&'static str> = wanted.iter().copied().filter(|f| !has(f)).collect();
        if !lacks.is_empty() {
            return Level {
                level,
                next_lacks: lacks,
            };
        }
        level += 1;
    }
    Level {
        level,
        next_lacks: Vec::new(),
    }
}

/// The level of a model as a KVM guest gets it (the catalog's feature set of the model).
pub fn model_level(q: &QemuCatalog, m: &QemuModel) -> Level {
    level_of(q, &m.features)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn levels_follow_the_lists_and_need_every_level_below() {
        let q = &Catalog::embedded().qemu;
        let level = |name: &str| model_level(q, q.resolve_model(name).unwrap()).level;
        assert_eq!(level("qemu64"), 1, "qemu64 lacks popcnt, sse4.x");
        assert_eq!(level("Nehalem"), 2);
        assert_eq!(level("Haswell"), 3);
        assert_eq!(level("Skylake-Server"), 4);
        assert_eq!(level("486"), 0);
        let nehalem = model_level(q, q.resolve_model("Nehalem").unwrap());
        assert!(nehalem.next_lacks.contains(&"avx2"), "{nehalem:?}");
        assert_eq!(nehalem.name(), "x86-64-v2");
        for (text, want) in [
            ("v3", Some(3)),
            ("x86-64-v2", Some(2)),
            ("x86-64", Some(1)),
            ("4", Some(4)),
            ("v5", None),
        ] {
            assert_eq!(Level::parse(text), want, "{text}");
        }
    }
}

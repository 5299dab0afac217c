//! A set of QEMU features as a bitmap over the catalog's feature table.
//!
//! Models carry hundreds of features each; storing them as bitmaps (serialised as a short hex
//! string) keeps the embedded catalog small and lets it load in well under a millisecond, and
//! makes model-vs-model diffs plain set arithmetic.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Indexes into [`super::QemuCatalog::features`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FeatureSet {
    words: Vec<u64>,
}

impl FeatureSet {
    pub fn new() -> FeatureSet {
        FeatureSet::default()
    }

    pub fn insert(&mut self, index: usize) {
        let (w, b) = (index / 64, index % 64);
        if self.words.len() <= w {
            self.words.resize(w + 1, 0);
        }
        self.words[w] |= 1 << b;
    }

    pub fn remove(&mut self, index: usize) {
        let (w, b) = (index / 64, index % 64);
        if let Some(word) = self.words.get_mut(w) {
            *word &= !(1 << b);
        }
        self.trim();
    }

    pub fn contains(&self, index: usize) -> bool {
        self.words
            .get(index / 64)
            .is_some_and(|w| w & (1 << (index % 64)) != 0)
    }

    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// Feature indexes in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            (0..64)
                .filter(move |b| w & (1 << b) != 0)
                .map(move |b| i * 64 + b)
        })
    }

    /// Elements of `self` that are not in `other`.
    pub fn difference(&self, other: &FeatureSet) -> FeatureSet {
        let words = self
            .words
            .iter()
            .enumerate()
            .map(|(i, w)| w & !other.words.get(i).copied().unwrap_or(0))
            .collect();
        let mut set = FeatureSet { words };
        set.trim();
        set
    }

    pub fn intersection(&self, other: &FeatureSet) -> FeatureSet {
        let words = self
            .words
            .iter()
            .zip(&other.words)
            .map(|(a, b)| a & b)
            .collect();
        let mut set = FeatureSet { words };
        set.trim();
        set
    }

    pub fn union(&self, other: &FeatureSet) -> FeatureSet {
        let n = self.words.len().max(other.words.len());
        let words = (0..n)
            .map(|i| {
                self.words.get(i).copied().unwrap_or(0) | other.words.get(i).copied().unwrap_or(0)
            })
            .collect();
        FeatureSet { words }
    }

    pub fn is_subset(&self, other: &FeatureSet) -> bool {
        self.difference(other).is_empty()
    }

    fn trim(&mut self) {
        while self.words.last() == Some(&0) {
            self.words.pop();
        }
    }

    /// Lower-case hex, 16 digits per 64-bit word, word 0 first.
    pub fn to_hex(&self) -> String {
        self.words.iter().map(|w| format!("{w:016x}")).collect()
    }

    pub fn from_hex(hex: &str) -> Option<FeatureSet> {
        if !hex.len().is_multiple_of(16) || !hex.is_ascii() {
            return None;
        }
        let words = (0..hex.len() / 16)
            .map(|i| u64::from_str_radix(&hex[i * 16..i * 16 + 16], 16).ok())
            .collect::<Option<Vec<u64>>>()?;
        let mut set = FeatureSet { words };
        set.trim();
        Some(set)
    }
}

impl FromIterator<usize> for FeatureSet {
    fn from_iter<I: IntoIterator<Item = usize>>(iter: I) -> FeatureSet {
        let mut set = FeatureSet::new();
        for i in iter {
            set.insert(i);
        }
        set
    }
}

impl Serialize for FeatureSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for FeatureSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FeatureSet, D::Error> {
        let hex = <&str>::deserialize(d)?;
        FeatureSet::from_hex(hex)
            .ok_or_else(|| serde::de::Error::custom("feature set must be hex, 16 digits per word"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations_and_hex_round_trip() {
        let a: FeatureSet = [0, 5, 64, 130].into_iter().collect();
        let b: FeatureSet = [5, 130].into_iter().collect();
        assert_eq!(a.difference(&b).iter().collect::<Vec<_>>(), vec![0, 64]);
        assert_eq!(a.intersection(&b), b);
        assert!(b.is_subset(&a));
        assert_eq!(a.len(), 4);
        assert_eq!(FeatureSet::from_hex(&a.to_hex()), Some(a.clone()));
        assert_eq!(FeatureSet::from_hex(""), Some(FeatureSet::new()));
        assert_eq!(FeatureSet::from_hex("xyz"), None);
    }
}

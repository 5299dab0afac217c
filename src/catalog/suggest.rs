//! Did-you-mean for model, feature and option names.
//!
//! Order of preference (DESIGN §5): an exact match ignoring case (`Icelake-Server-V4` →
//! `Icelake-Server-v4`, the commonest slip because QEMU is case-sensitive), then the closest
//! name by edit distance within a bound that grows with the name's length, then a name the
//! input is a prefix of (`Skylake` → `Skylake-Client`).
//!
//! libvirt and QEMU spell things differently, so there are separate helpers for `<cpu>` (libvirt
//! names) and `<qemu:cpu>` (QEMU names).

use super::{LibvirtMap, QemuCatalog};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Same name, different case.
    Case,
    /// Within this many single-character edits.
    Distance(usize),
    /// The input starts the suggested name.
    Prefix,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    pub name: String,
    pub reason: Reason,
}

/// The best candidate for `input`, or `None` when nothing is close. An exact match is not a
/// suggestion and returns `None`.
pub fn best<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<Suggestion> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    if input.is_empty() || candidates.iter().copied().any(|c| c == input) {
        return None;
    }
    let lower = input.to_lowercase();
    if let Some(c) = candidates
        .iter()
        .copied()
        .find(|c| c.to_lowercase() == lower)
    {
        return Some(Suggestion {
            name: c.to_string(),
            reason: Reason::Case,
        });
    }
    // One edit per four characters, at least one, at most three: close enough to be a typo,
    // far enough apart that short names do not match everything.
    let bound = (input.chars().count() / 4).clamp(1, 3);
    let closest = candidates
        .clone()
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= bound)
        .min_by_key(|(d, c)| (*d, c.len()));
    if let Some((d, c)) = closest {
        return Some(Suggestion {
            name: c.to_string(),
            reason: Reason::Distance(d),
        });
    }
    candidates
        .iter()
        .copied()
        .filter(|c| c.len() > input.len() && c.to_lowercase().starts_with(&lower))
        .min_by_key(|c| c.len())
        .map(|c| Suggestion {
            name: c.to_string(),
            reason: Reason::Prefix,
        })
}

/// A QEMU model name (`-cpu` / `<qemu:cpu>` model), aliases and versions included.
pub fn qemu_model(catalog: &QemuCatalog, input: &str) -> Option<Suggestion> {
    best(input, catalog.models.iter().map(|m| m.name.as_str()))
}

/// A QEMU feature or property name (an option in `<qemu:cpu>` or `-cpu`), any accepted spelling.
pub fn qemu_option(catalog: &QemuCatalog, input: &str) -> Option<Suggestion> {
    let features = catalog.features.iter().flat_map(|f| f.spellings());
    let props = catalog
        .properties
        .iter()
        .flat_map(|p| std::iter::once(p.name.as_str()).chain(p.aliases.iter().map(String::as_str)));
    best(input, features.chain(props))
}

/// A QEMU feature name only (for `+feat`/`-feat`, which cannot name other properties usefully).
pub fn qemu_feature(catalog: &QemuCatalog, input: &str) -> Option<Suggestion> {
    best(input, catalog.features.iter().flat_map(|f| f.spellings()))
}

/// A libvirt model name (`<cpu><model>`).
pub fn libvirt_model(map: &LibvirtMap, input: &str) -> Option<Suggestion> {
    best(input, map.models.iter().map(|m| m.name.as_str()))
}

/// A libvirt feature name (`<cpu><feature name=…>`).
pub fn libvirt_feature(map: &LibvirtMap, input: &str) -> Option<Suggestion> {
    best(input, map.features.iter().map(|f| f.name.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &[&str] = &[
        "Icelake-Server-v4",
        "Icelake-Server",
        "Skylake-Client",
        "Skylake-Client-v1",
        "sse4.1",
        "ssse3",
    ];

    fn s(input: &str) -> Option<Suggestion> {
        best(input, NAMES.iter().copied())
    }

    #[test]
    fn case_first_then_distance_then_prefix() {
        assert_eq!(
            s("Icelake-Server-V4").unwrap(),
            Suggestion {
                name: "Icelake-Server-v4".into(),
                reason: Reason::Case
            }
        );
        assert_eq!(s("Skylake-Clinet").unwrap().name, "Skylake-Client");
        assert_eq!(
            s("sse4.2").unwrap(),
            Suggestion {
                name: "sse4.1".into(),
                reason: Reason::Distance(1)
            }
        );
        assert_eq!(
            s("Skyl").unwrap(),
            Suggestion {
                name: "Skylake-Client".into(),
                reason: Reason::Prefix
            }
        );
        assert_eq!(s("Skylake-Client"), None, "exact names need no suggestion");
        assert_eq!(s("zzzzzz"), None);
    }
}

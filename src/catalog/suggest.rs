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
    /// The input is QEMU's spelling of this libvirt feature (`sse4_2` → `sse4.2`).
    QemuSpelling,
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
    // The checks run this on every edit, over a thousand spellings: compare lengths before
    // lowering a candidate, and skip those too long or short to be within the bound
    // (an edit distance is at least the difference in length).
    if let Some(c) = candidates
        .iter()
        .copied()
        .filter(|c| c.len() == lower.len())
        .find(|c| c.to_lowercase() == lower)
    {
        return Some(Suggestion {
            name: c.to_string(),
            reason: Reason::Case,
        });
    }
    // One edit per four characters, at least one, at most three: close enough to be a typo,
    // far enough apart that short names do not match everything.
    let chars = lower.chars().count();
    let bound = (input.chars().count() / 4).clamp(1, 3);
    let closest = candidates
        .clone()
        .into_iter()
        .filter(|c| c.chars().count().abs_diff(chars) <= bound)
        .filter_map(|c| Some((distance_within(&lower, c, bound)?, c)))
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

/// The edit distance (adjacent transpositions count one) between `lower` and `candidate`
/// ignoring case, when it is at most `bound`. Names are short ASCII: one row of the table on
/// the stack, and the first row past the bound ends it (strsim has no bounded form, and this
/// runs for a thousand candidates on every edit).
fn distance_within(lower: &str, candidate: &str, bound: usize) -> Option<usize> {
    const MAX: usize = 64;
    let (a, b) = (lower.as_bytes(), candidate.as_bytes());
    if !a.is_ascii() || !b.is_ascii() || a.len() >= MAX || b.len() >= MAX {
        let d = strsim::osa_distance(lower, &candidate.to_lowercase());
        return (d <= bound).then_some(d);
    }
    let mut lowered = [0u8; MAX];
    for (l, c) in lowered.iter_mut().zip(b) {
        *l = c.to_ascii_lowercase();
    }
    let b = &lowered[..b.len()];
    // Rows i-2, i-1 and i of the table, over b.len() + 1 columns.
    let (mut two_back, mut one_back, mut row) = ([0usize; MAX], [0usize; MAX], [0usize; MAX]);
    for (j, cell) in one_back.iter_mut().enumerate().take(b.len() + 1) {
        *cell = j;
    }
    for i in 1..=a.len() {
        row[0] = i;
        let mut least = row[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (one_back[j] + 1)
                .min(row[j - 1] + 1)
                .min(one_back[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(two_back[j - 2] + 1);
            }
            row[j] = d;
            least = least.min(d);
        }
        if least > bound {
            return None;
        }
        two_back = one_back;
        one_back = row;
    }
    let d = one_back[b.len()];
    (d <= bound).then_some(d)
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

/// A libvirt feature name (`<cpu><feature name=…>`) for `input`: the libvirt name of a QEMU
/// spelling, the same name in other case, or a name one typo away. Nothing looser: a fix that
/// swaps in a feature further away (`kvmclock` → `svm-lock`) changes the guest's CPU into
/// something the admin never asked for.
pub fn libvirt_feature(map: &LibvirtMap, qemu: &QemuCatalog, input: &str) -> Option<Suggestion> {
    if let Some(name) = qemu
        .feature(input)
        .and_then(|f| f.libvirt.as_deref())
        .filter(|&n| n != input && map.feature(n).is_some())
    {
        return Some(Suggestion {
            name: name.to_string(),
            reason: Reason::QemuSpelling,
        });
    }
    best(input, map.features.iter().map(|f| f.name.as_str())).filter(|s| match s.reason {
        Reason::Case | Reason::QemuSpelling => true,
        Reason::Distance(d) => d == 1 && input.chars().count() >= 4,
        Reason::Prefix => false,
    })
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

    #[test]
    fn the_bounded_distance_agrees_with_strsim() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "abc",
            "acb",
            "sse4.1",
            "SSE4_1",
            "ssse3",
            "avx512f",
            "avx-512f",
            "Icelake-Server-V4",
            "icelake-server-v4",
            "strange-option",
            "tsc-adjust",
            "tsc_adjust",
            "vmx-ept",
        ];
        for a in words {
            for b in words {
                let lower = a.to_lowercase();
                let d = strsim::osa_distance(&lower, &b.to_lowercase());
                for bound in 0..5 {
                    assert_eq!(
                        distance_within(&lower, b, bound),
                        (d <= bound).then_some(d),
                        "{a} {b} {bound}"
                    );
                }
            }
        }
    }

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

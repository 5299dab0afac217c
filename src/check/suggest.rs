//! Did-you-mean for names: exact case-insensitive match first (QEMU and libvirt names are
//! case-sensitive, so `Icelake-Server-V4` is a typo of `Icelake-Server-v4`), then the closest by
//! edit distance, then a unique prefix.

/// The best candidate for `name`, if one is close enough.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str> + Clone) -> Option<String> {
    if let Some(c) = candidates.clone().find(|c| c.eq_ignore_ascii_case(name) && *c != name) {
        return Some(c.to_string());
    }
    let lower = name.to_ascii_lowercase();
    let best = candidates
        .clone()
        .map(|c| (strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase()), c))
        .min_by_key(|(d, c)| (*d, c.len()))?;
    // Allow about one edit per four characters.
    if best.0 > 0 && best.0 <= (name.len() / 4).max(1) {
        return Some(best.1.to_string());
    }
    let mut prefixed = candidates.filter(|c| c.to_ascii_lowercase().starts_with(&lower) && name.len() >= 3);
    match (prefixed.next(), prefixed.next()) {
        (Some(only), None) => Some(only.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn case_first_then_distance_then_prefix() {
        let names = ["Icelake-Server-v4", "Icelake-Server", "Skylake-Client", "EPYC-Rome"];
        assert_eq!(did_you_mean("Icelake-Server-V4", names.iter().copied()).as_deref(), Some("Icelake-Server-v4"));
        assert_eq!(did_you_mean("Skylake-Clinet", names.iter().copied()).as_deref(), Some("Skylake-Client"));
        assert_eq!(did_you_mean("EPYC-R", names.iter().copied()).as_deref(), Some("EPYC-Rome"));
        assert_eq!(did_you_mean("Bogus", names.iter().copied()), None);
    }
}

//! Namespace scope while indexing: the prefix bindings in force and the table of namespace
//! names. Both are looked up for every prefixed name; a crafted tag may declare tens of
//! thousands, so past a handful they are found through a hash map, not by scanning them all
//! (which made indexing quadratic).

use std::collections::HashMap;

/// Up to this many entries, a linear scan (the common case: `xmlns:qemu` and nothing else).
const MANY: usize = 16;

/// In-scope prefix bindings, innermost last: (prefix, namespace number, or `None` for an
/// undeclaration).
#[derive(Debug, Default)]
pub(crate) struct Bindings {
    stack: Vec<(String, Option<usize>)>,
    /// Prefix → its positions in `stack`, innermost last; kept once `stack` grew past [`MANY`].
    by_prefix: Option<HashMap<String, Vec<usize>>>,
}

impl Bindings {
    pub(crate) fn len(&self) -> usize {
        self.stack.len()
    }

    pub(crate) fn push(&mut self, prefix: String, ns: Option<usize>) {
        if let Some(map) = &mut self.by_prefix {
            map.entry(prefix.clone())
                .or_default()
                .push(self.stack.len());
        }
        self.stack.push((prefix, ns));
        if self.by_prefix.is_none() && self.stack.len() > MANY {
            let mut map: HashMap<String, Vec<usize>> = HashMap::new();
            for (k, (p, _)) in self.stack.iter().enumerate() {
                map.entry(p.clone()).or_default().push(k);
            }
            self.by_prefix = Some(map);
        }
    }

    /// Drops the bindings past the first `len` (those of elements that closed).
    pub(crate) fn truncate(&mut self, len: usize) {
        if let Some(map) = &mut self.by_prefix {
            for (prefix, _) in self.stack.drain(len.min(self.stack.len())..) {
                if let Some(positions) = map.get_mut(&prefix) {
                    positions.pop();
                    if positions.is_empty() {
                        map.remove(&prefix);
                    }
                }
            }
        } else {
            self.stack.truncate(len);
        }
    }

    /// The namespace `prefix` is bound to here (`None`: unbound, or undeclared).
    pub(crate) fn lookup(&self, prefix: &str) -> Option<usize> {
        match &self.by_prefix {
            Some(map) => map
                .get(prefix)
                .and_then(|positions| positions.last())
                .and_then(|&k| self.stack[k].1),
            None => self
                .stack
                .iter()
                .rev()
                .find(|(p, _)| p == prefix)
                .and_then(|(_, ns)| *ns),
        }
    }

    /// Whether some binding is of the default namespace (`xmlns='…'`).
    pub(crate) fn binds_default(&self) -> bool {
        match &self.by_prefix {
            Some(map) => map.contains_key(""),
            None => self.stack.iter().any(|(p, _)| p.is_empty()),
        }
    }
}

/// Finds namespace names in a table of distinct names (a document's, numbered by position).
#[derive(Debug, Default)]
pub(crate) struct NsIndex {
    /// Name → number, for the first `map.len()` names of the table; used past [`MANY`].
    map: HashMap<String, usize>,
}

impl NsIndex {
    /// The number of `uri` in `table`, if there.
    pub(crate) fn find(&mut self, table: &[String], uri: &str) -> Option<usize> {
        if table.len() <= MANY {
            return table.iter().position(|u| u == uri);
        }
        // Names are only ever appended: catch up with those added since.
        for (k, u) in table.iter().enumerate().skip(self.map.len()) {
            self.map.insert(u.clone(), k);
        }
        self.map.get(uri).copied()
    }

    /// The number of `uri` in `table`, appended when new.
    pub(crate) fn intern(&mut self, table: &mut Vec<String>, uri: String) -> usize {
        match self.find(table, &uri) {
            Some(k) => k,
            None => {
                table.push(uri);
                table.len() - 1
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With few and with many bindings, lookups and truncation agree with a plain scan.
    #[test]
    fn bindings_agree_with_a_scan() {
        for n in [3, MANY, MANY + 1, 200] {
            let mut b = Bindings::default();
            let mut plain: Vec<(String, Option<usize>)> = Vec::new();
            let mut marks = Vec::new();
            for k in 0..n {
                if k % 7 == 0 {
                    marks.push(b.len());
                }
                let prefix = format!("p{}", k % 5);
                let ns = (k % 11 != 0).then_some(k);
                b.push(prefix.clone(), ns);
                plain.push((prefix, ns));
            }
            let check = |b: &Bindings, plain: &[(String, Option<usize>)]| {
                for p in ["p0", "p1", "p4", "p9", ""] {
                    let want = plain
                        .iter()
                        .rev()
                        .find(|(q, _)| q == p)
                        .and_then(|(_, ns)| *ns);
                    assert_eq!(b.lookup(p), want, "{n} bindings, {p}");
                }
            };
            check(&b, &plain);
            while let Some(m) = marks.pop() {
                b.truncate(m);
                plain.truncate(m);
                check(&b, &plain);
            }
        }
    }

    #[test]
    fn the_index_finds_names_appended_later() {
        let mut table: Vec<String> = Vec::new();
        let mut ix = NsIndex::default();
        for k in 0..100 {
            assert_eq!(ix.intern(&mut table, format!("urn:{k}")), k);
            assert_eq!(ix.intern(&mut table, format!("urn:{}", k / 2)), k / 2);
        }
        assert_eq!(table.len(), 100);
        assert_eq!(ix.find(&table, "urn:99"), Some(99));
        assert_eq!(ix.find(&table, "urn:100"), None);
    }
}

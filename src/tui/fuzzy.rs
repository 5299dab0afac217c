//! Fuzzy filtering of a fixed list of names (models, features) with nucleo-matcher, helix's
//! matcher: typing narrows the list and the best match comes first.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// A list of names and the order they are shown in for the current query.
#[derive(Debug, Clone)]
pub struct Filtered {
    names: Vec<String>,
    /// Indices into `names`, best match first (all of them, in list order, for an empty query).
    pub order: Vec<usize>,
    matcher: Matcher,
}

impl Filtered {
    pub fn new(names: Vec<String>) -> Filtered {
        let order = (0..names.len()).collect();
        Filtered {
            names,
            order,
            matcher: Matcher::new(Config::DEFAULT),
        }
    }

    /// The rows a list of `height` rows shows with `selected` in view: (position, item index).
    /// Derived from the selection each frame, so the view keeps no scroll state.
    pub fn window(
        &self,
        selected: usize,
        height: usize,
    ) -> impl Iterator<Item = (usize, usize)> + '_ {
        let offset = selected.saturating_sub(height.saturating_sub(1));
        self.order
            .iter()
            .copied()
            .enumerate()
            .skip(offset)
            .take(height)
    }

    pub fn name(&self, index: usize) -> &str {
        &self.names[index]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Re-orders for `query`: matches only, by score, then shorter names (an exact name beats a
    /// longer one that merely contains it), then list order.
    pub fn filter(&mut self, query: &str) {
        if query.trim().is_empty() {
            self.order = (0..self.names.len()).collect();
            return;
        }
        let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
        let mut buf = Vec::new();
        let mut scored: Vec<(u32, usize)> = Vec::new();
        for (i, name) in self.names.iter().enumerate() {
            if let Some(score) = pattern.score(Utf32Str::new(name, &mut buf), &mut self.matcher) {
                scored.push((score, i));
            }
        }
        let names = &self.names;
        scored.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then(names[a.1].len().cmp(&names[b.1].len()))
                .then(a.1.cmp(&b.1))
        });
        self.order = scored.into_iter().map(|(_, i)| i).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_match_first() {
        let mut f = Filtered::new(
            [
                "Icelake-Server-v1",
                "Icelake-Server-v4",
                "Skylake-Client",
                "Icelake-Server",
                "EPYC",
            ]
            .map(String::from)
            .to_vec(),
        );
        f.filter("icelake-server-v4");
        assert_eq!(f.name(f.order[0]), "Icelake-Server-v4");
        f.filter("sky");
        assert_eq!(
            f.order.iter().map(|&i| f.name(i)).collect::<Vec<_>>(),
            ["Skylake-Client"]
        );
        f.filter("");
        assert_eq!(f.order.len(), 5);
    }
}

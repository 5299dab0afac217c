//! A list of short names kept in one buffer: what each libvirt model lists as its features.
//!
//! libvirt 11.3's CPU map names 10,233 features over its 150 models; as `Vec<String>` each name
//! was an allocation of its own when the embedded catalog loads, which kept the load over its
//! millisecond. Here a model's names cost two allocations (the text and the ends), and loading
//! copies each name straight from the JSON into the text. Written by hand because what it needs
//! is small (a read-only list of `&str` that serde fills and writes as a JSON array) and no crate
//! we use has it.

use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Default, PartialEq, Eq)]
pub struct NameList {
    text: String,
    /// Where each name ends in `text`.
    ends: Vec<u32>,
}

impl NameList {
    pub fn new() -> NameList {
        NameList::default()
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1] as usize,
        };
        Some(&self.text[start..end])
    }

    pub fn iter(&self) -> Names<'_> {
        Names {
            list: self,
            front: 0,
            back: self.len(),
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|n| n == name)
    }

    pub fn push(&mut self, name: &str) {
        self.text.push_str(name);
        self.ends.push(self.text.len() as u32);
    }
}

/// The names in order.
pub struct Names<'a> {
    list: &'a NameList,
    front: usize,
    back: usize,
}

impl<'a> Iterator for Names<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.front == self.back {
            return None;
        }
        self.front += 1;
        self.list.get(self.front - 1)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Names<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front == self.back {
            return None;
        }
        self.back -= 1;
        self.list.get(self.back)
    }
}

impl ExactSizeIterator for Names<'_> {}

impl<'a> IntoIterator for &'a NameList {
    type Item = &'a str;
    type IntoIter = Names<'a>;

    fn into_iter(self) -> Names<'a> {
        self.iter()
    }
}

impl<'a> FromIterator<&'a str> for NameList {
    fn from_iter<I: IntoIterator<Item = &'a str>>(names: I) -> NameList {
        let mut list = NameList::new();
        for n in names {
            list.push(n);
        }
        list
    }
}

impl FromIterator<String> for NameList {
    fn from_iter<I: IntoIterator<Item = String>>(names: I) -> NameList {
        let mut list = NameList::new();
        for n in names {
            list.push(&n);
        }
        list
    }
}

impl fmt::Debug for NameList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for NameList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for NameList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<NameList, D::Error> {
        d.deserialize_seq(ListVisitor)
    }
}

struct ListVisitor;

impl<'de> Visitor<'de> for ListVisitor {
    type Value = NameList;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of names")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NameList, A::Error> {
        let mut list = NameList::new();
        // About ten bytes a name.
        list.text.reserve(seq.size_hint().unwrap_or(0) * 10);
        while seq.next_element_seed(AppendName(&mut list))?.is_some() {}
        Ok(list)
    }
}

/// One name of the list, copied from the input into the list's text.
struct AppendName<'l>(&'l mut NameList);

impl<'de> DeserializeSeed<'de> for AppendName<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for AppendName<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a name")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<(), E> {
        self.0.push(name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_array_of_names_round_trips() {
        let json = r#"["fpu","sse4.1","tsc-deadline","\u00e9"]"#;
        let list: NameList = serde_json::from_str(json).unwrap();
        assert_eq!(list.len(), 4);
        assert_eq!(
            list.iter().collect::<Vec<_>>(),
            ["fpu", "sse4.1", "tsc-deadline", "é"]
        );
        assert_eq!(
            list.iter().rev().collect::<Vec<_>>(),
            ["é", "tsc-deadline", "sse4.1", "fpu"]
        );
        assert!(list.contains("sse4.1") && !list.contains("sse4"));
        assert_eq!(list.get(1), Some("sse4.1"));
        assert_eq!(list.get(4), None);
        assert_eq!(
            serde_json::to_string(&list).unwrap(),
            r#"["fpu","sse4.1","tsc-deadline","é"]"#
        );
        let empty: NameList = serde_json::from_str("[]").unwrap();
        assert!(empty.is_empty() && empty.iter().next().is_none());
        assert!(serde_json::from_str::<NameList>(r#"["a",1]"#).is_err());
    }
}

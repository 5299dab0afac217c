//! Undo and redo as stacks of exact inverse splices.

use super::{Edit, EditError, Edited};
use crate::xml::Splice;

#[derive(Debug, Clone, Default)]
pub struct History {
    undo: Vec<Vec<Splice>>,
    redo: Vec<Vec<Splice>>,
}

impl History {
    /// Applies an edit and records its inverse. A no-op edit records nothing.
    pub fn apply(&mut self, state: &mut Edited, edit: &Edit) -> Result<bool, EditError> {
        let inverse = state.apply(edit)?;
        if inverse.is_empty() {
            return Ok(false);
        }
        self.undo.push(inverse);
        self.redo.clear();
        Ok(true)
    }

    /// Applies edits in turn as one step: one undo takes them all back. When one fails, those
    /// before it are taken back and the document is as it was.
    pub fn apply_all(&mut self, state: &mut Edited, edits: &[Edit]) -> Result<bool, EditError> {
        let before = state.doc.source().to_owned();
        let mut inverses: Vec<Vec<Splice>> = Vec::new();
        for edit in edits {
            match state.apply(edit) {
                Ok(inverse) if inverse.is_empty() => {}
                Ok(inverse) => inverses.push(inverse),
                Err(e) => {
                    for inverse in inverses.iter().rev() {
                        // Exact inverses of splices just applied to this very text.
                        state.apply_splices(inverse)?;
                    }
                    return Err(e);
                }
            }
        }
        if inverses.is_empty() {
            return Ok(false);
        }
        // The steps' inverses each hold for the text between two steps; one splice over the
        // span the group changed holds for the text after it.
        self.undo.push(vec![span_back(&before, state.doc.source())]);
        self.redo.clear();
        Ok(true)
    }

    pub fn undo(&mut self, state: &mut Edited) -> Result<bool, EditError> {
        let Some(inverse) = self.undo.pop() else {
            return Ok(false);
        };
        let redo = state.apply_splices(&inverse)?;
        self.redo.push(redo);
        Ok(true)
    }

    pub fn redo(&mut self, state: &mut Edited) -> Result<bool, EditError> {
        let Some(splices) = self.redo.pop() else {
            return Ok(false);
        };
        let inverse = state.apply_splices(&splices)?;
        self.undo.push(inverse);
        Ok(true)
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }
}

/// The splice that turns `after` back into `before`: the bytes between their common prefix and
/// common suffix (kept on character boundaries).
fn span_back(before: &str, after: &str) -> Splice {
    let mut prefix = before
        .bytes()
        .zip(after.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !before.is_char_boundary(prefix) || !after.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let room = before.len().min(after.len()) - prefix;
    let mut suffix = before
        .bytes()
        .rev()
        .zip(after.bytes().rev())
        .take(room)
        .take_while(|(a, b)| a == b)
        .count();
    while !before.is_char_boundary(before.len() - suffix)
        || !after.is_char_boundary(after.len() - suffix)
    {
        suffix -= 1;
    }
    Splice::replace(
        prefix..after.len() - suffix,
        &before[prefix..before.len() - suffix],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::Topology;
    use crate::xml::Document;

    const XML: &str = "<domain type='kvm'>\n  <name>é</name>\n  <vcpu>4</vcpu>\n  <cpu mode='host-model'/>\n</domain>\n";

    fn edited() -> Edited {
        Edited::new(Document::parse(XML.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn a_group_is_one_undo_step_and_one_redo_step() {
        let mut ed = edited();
        let mut h = History::default();
        let group = [
            Edit::SetMode("custom".into()),
            Edit::SetModel("Skylake-Client".into()),
            Edit::SetVcpus(8),
        ];
        assert!(h.apply_all(&mut ed, &group).unwrap());
        let after = ed.doc.source().to_owned();
        assert!(
            after.contains("<model") && after.contains(">8</vcpu>"),
            "{after}"
        );
        assert!(h.undo(&mut ed).unwrap());
        assert_eq!(ed.doc.source(), XML);
        assert!(!h.can_undo());
        assert!(h.redo(&mut ed).unwrap());
        assert_eq!(ed.doc.source(), after);
        assert_eq!(ed.dom.vcpu.as_ref().unwrap().max, "8");
    }

    #[test]
    fn a_failing_group_leaves_the_document_as_it_was() {
        let mut ed = edited();
        let mut h = History::default();
        let group = [
            Edit::SetVcpus(8),
            Edit::SetTopology(Topology::parse("1x1x2x1").unwrap()),
        ];
        // <cpu> has no feature `avx2` to drop: the vCPUs and topology set before go back.
        let group = [
            group[0].clone(),
            group[1].clone(),
            Edit::DropFeature("avx2".into()),
        ];
        assert!(matches!(
            h.apply_all(&mut ed, &group),
            Err(EditError::NotThere(_))
        ));
        assert_eq!(ed.doc.source(), XML);
        assert_eq!(ed.dom.vcpu.as_ref().unwrap().max, "4");
        assert!(!h.can_undo());
    }

    #[test]
    fn the_span_back_keeps_characters_whole() {
        let s = span_back("aé-b", "aè-b");
        assert_eq!((s.range, s.text.as_str()), (1..3, "é"));
        let s = span_back("abcabc", "abc");
        let mut back = "abc".to_string();
        back.replace_range(s.range.clone(), &s.text);
        assert_eq!(back, "abcabc");
        assert!(span_back("same", "same").range.is_empty());
    }
}

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

    /// Applies edits as one undo step ([`Edited::apply_all`]). Nothing changed: no step.
    pub fn apply_all(&mut self, state: &mut Edited, edits: &[Edit]) -> Result<bool, EditError> {
        let inverse = state.apply_all(edits)?;
        if inverse.is_empty() {
            return Ok(false);
        }
        self.undo.push(inverse);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Domain, Policy};
    use crate::xml::Document;

    /// Several edits applied as one are one undo step, and the undo gives the bytes back.
    #[test]
    fn apply_all_is_one_undo_step() {
        let xml = "<domain><cpu mode='custom'>\n  <model>Haswell</model>\n</cpu></domain>";
        let doc = Document::parse(xml.as_bytes()).unwrap();
        let dom = Domain::read(&doc).unwrap();
        let mut state = Edited::from_read(doc, dom);
        let mut h = History::default();
        let edits = [
            Edit::SetModel("Skylake-Client".into()),
            Edit::SetFeature {
                name: "pcid".into(),
                policy: Policy::Disable,
            },
            Edit::SetFeature {
                name: "hle".into(),
                policy: Policy::Disable,
            },
        ];
        assert!(h.apply_all(&mut state, &edits).unwrap());
        let after = state.doc.source().to_string();
        assert!(
            after.contains("Skylake-Client") && after.contains("name='hle'"),
            "{after}"
        );
        assert!(h.undo(&mut state).unwrap());
        assert_eq!(state.doc.source(), xml);
        assert!(!h.can_undo(), "one step");
        assert!(h.redo(&mut state).unwrap());
        assert_eq!(state.doc.source(), after);
        // Nothing to change: no step.
        assert!(!h.apply_all(&mut state, &edits).unwrap());
        // An edit that fails leaves the document as it was.
        let bad = [
            Edit::SetModel("Haswell".into()),
            Edit::RenameFeature {
                from: "no-such".into(),
                to: "x".into(),
            },
        ];
        assert!(h.apply_all(&mut state, &bad).is_err());
        assert_eq!(state.doc.source(), after);
        assert!(
            h.undo(&mut state).unwrap() && !h.can_undo(),
            "still one step"
        );
    }
}

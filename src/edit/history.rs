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

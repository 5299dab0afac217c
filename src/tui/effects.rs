//! Carrying out the effects `update` returns, each turned back into an action with its outcome.

use super::app::{Action, Effect, SaveFailure};
use super::clipboard::{Clipboard, Session};
use crate::store::save::{SaveError, save_atomic};
use std::io::Write;

pub fn execute(
    effect: Effect,
    clipboard: &mut Clipboard,
    session: Session,
    out: &mut dyn Write,
) -> Action {
    match effect {
        Effect::Save {
            path,
            bytes,
            expected,
        } => {
            let result = save_atomic(
                &path,
                bytes.as_bytes(),
                expected.as_deref().map(str::as_bytes),
            )
            .map_err(|e| match e {
                SaveError::ChangedOnDisk { .. } => SaveFailure::ChangedOnDisk(e.to_string()),
                other => SaveFailure::Other(other.to_string()),
            });
            Action::SaveDone {
                path,
                bytes,
                result,
            }
        }
        Effect::Copy(text) => Action::Copied(clipboard.copy(&text, session, out)),
        Effect::Reload(path) => Action::Reloaded(
            std::fs::read(&path)
                .map_err(|e| format!("cannot reload {}: {e}; your edits are kept", path.display()))
                .and_then(|b| {
                    String::from_utf8(b).map_err(|_| {
                        format!(
                            "cannot reload {}: not UTF-8; your edits are kept",
                            path.display()
                        )
                    })
                }),
        ),
    }
}

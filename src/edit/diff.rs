//! A unified diff of a document before and after its edits, as `set --diff`, the TUI's `d` and
//! the save dialog show it.

/// The unified diff (3 lines of context) from `old` to `new`, headed `NAME` / `NAME (edited)`.
pub fn unified_diff(name: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(name, &format!("{name} (edited)"))
        .to_string()
}

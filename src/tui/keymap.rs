//! The one description of the keys, and keys and mouse events → actions.
//!
//! Every key is in a table of [`Binding`]s owned by what has the keys: the panes
//! (`panes::KEYS`), each dialog (`dialogs::*::KEYS`), and the keys every screen shares
//! ([`GLOBAL`], [`IN_DIALOG`]) or every text field shares ([`TEXT`]). [`key`] dispatches from
//! those tables; the help overlay ([`help_rows`]), the key bar ([`hints`]) and the README's key
//! table ([`readme_table`], compared with README.md by a test) are written from the panes'
//! table, so none of them can disagree with what a key does. The mapping looks at the state —
//! and only looks: it never changes it.

use super::app::{Action, AppState, Pane};
use super::panes;
use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

/// A key as a binding names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// This character, whatever the modifiers (so Ctrl-u is `u` where Ctrl-u means nothing
    /// else — list the [`Key::Ctrl`] bindings first).
    Char(char),
    /// Ctrl and this character.
    Ctrl(char),
    /// A key without a character (arrows, Tab, Delete, …).
    Code(KeyCode),
    /// Any character typed without Ctrl: the action is [`Action::Input`] of it.
    Typed,
    /// `1` to `9`: the action is [`Action::Fix`] of the digit.
    Digit,
    /// Any key at all.
    Any,
}

/// The character of [`Key::Typed`] and the number of [`Key::Digit`] in a table: the key
/// pressed fills them in.
pub const TYPED: char = '\0';
pub const DIGIT: usize = 0;

impl Key {
    fn action(self, k: &KeyEvent, bound: &Action) -> Option<Action> {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let hit = match (self, k.code) {
            (Key::Char(c), KeyCode::Char(p)) => c == p,
            (Key::Ctrl(c), KeyCode::Char(p)) => ctrl && c == p,
            (Key::Code(code), pressed) => code == pressed,
            (Key::Typed, KeyCode::Char(c)) if !ctrl => return Some(Action::Input(c)),
            (Key::Digit, KeyCode::Char(c @ '1'..='9')) => {
                return Some(Action::Fix(c as usize - '0' as usize));
            }
            (Key::Any, _) => true,
            _ => false,
        };
        hit.then(|| bound.clone())
    }
}

/// When a binding holds besides its table being the one in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Always,
    /// Only with `<qemu:cpu>` focused.
    QemuFocused,
    /// Only on a domain opened from the domain list.
    FromList,
}

impl When {
    fn holds(self, s: &AppState) -> bool {
        match self {
            When::Always => true,
            When::QemuFocused => s.focus == Pane::Qemu,
            When::FromList => s.from_list,
        }
    }
}

/// One entry of the key bar: the key as the bar writes it, one word, and its place (the bar
/// is sorted by `rank`, and what does not fit gives way from the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hint {
    pub key: &'static str,
    pub label: &'static str,
    pub rank: u8,
}

/// Keys and the actions they mean, and how the help, the key bar and the README say so.
#[derive(Debug)]
pub struct Binding {
    /// Each key and its action, tried in order (a [`Key::Ctrl`] before the [`Key::Char`] of
    /// the same letter). Empty for a row that only documents (the README's "save as").
    pub keys: &'static [(Key, Action)],
    pub when: When,
    /// The keys as the help writes them (`u  Ctrl-r`); the README puts each word in backticks.
    pub shown: &'static str,
    /// The help overlay's line; empty: not in the help.
    pub help: &'static str,
    /// The README's line; empty: not in the README.
    pub readme: &'static str,
    pub hints: &'static [Hint],
}

impl Binding {
    /// Keys documented elsewhere (a dialog's keys are drawn in its window).
    pub const fn keys(keys: &'static [(Key, Action)]) -> Binding {
        Binding {
            keys,
            when: When::Always,
            shown: "",
            help: "",
            readme: "",
            hints: &[],
        }
    }

    fn action(&self, s: &AppState, k: &KeyEvent) -> Option<Action> {
        if !self.when.holds(s) {
            return None;
        }
        self.keys.iter().find_map(|(key, a)| key.action(k, a))
    }
}

/// Keys every screen shares: the arrows and pages move, Esc cancels, Enter submits.
pub const GLOBAL: &[Binding] = &[Binding::keys(&[
    (Key::Code(KeyCode::Up), Action::Up),
    (Key::Code(KeyCode::Down), Action::Down),
    (Key::Code(KeyCode::PageUp), Action::PageUp),
    (Key::Code(KeyCode::PageDown), Action::PageDown),
    (Key::Code(KeyCode::Esc), Action::Cancel),
    (Key::Code(KeyCode::Enter), Action::Submit),
])];

/// Keys every dialog shares: Ctrl-c closes it (on the panes it quits).
pub const IN_DIALOG: &[Binding] = &[Binding::keys(&[(Key::Ctrl('c'), Action::Cancel)])];

/// A text field's keys (the picker's query, the prompts, the feature search).
pub const TEXT: &[Binding] = &[Binding::keys(&[
    (Key::Code(KeyCode::Backspace), Action::Backspace),
    (Key::Code(KeyCode::Delete), Action::DeleteForward),
    (Key::Code(KeyCode::Left), Action::Left),
    (Key::Code(KeyCode::Right), Action::Right),
    (Key::Code(KeyCode::Home), Action::Home),
    (Key::Code(KeyCode::End), Action::End),
    (Key::Ctrl('n'), Action::Down),
    (Key::Ctrl('p'), Action::Up),
    (Key::Ctrl('u'), Action::ClearLine),
    (Key::Ctrl('a'), Action::Home),
    (Key::Ctrl('e'), Action::End),
    (Key::Typed, Action::Input(TYPED)),
])];

/// The action a key press means now, if any: the shared keys first, then those of what has
/// the keys (the open dialog, else the panes).
pub fn key(s: &AppState, k: KeyEvent) -> Option<Action> {
    if k.kind == KeyEventKind::Release {
        return None;
    }
    let tables: [&[Binding]; 3] = match &s.overlay {
        Some(open) => [GLOBAL, IN_DIALOG, open.keys()],
        None => [GLOBAL, &[], panes::KEYS],
    };
    tables.into_iter().flatten().find_map(|b| b.action(s, &k))
}

/// The action of a key in tables that do not look at the state (the domain list's): the
/// first binding of the first table that has the key.
pub fn key_in(tables: &[&[Binding]], k: KeyEvent) -> Option<Action> {
    if k.kind == KeyEventKind::Release {
        return None;
    }
    tables
        .iter()
        .flat_map(|t| t.iter())
        .find_map(|b| b.keys.iter().find_map(|(key, a)| key.action(&k, a)))
}

/// The help overlay's rows: (keys, what they do).
pub fn help_rows() -> impl Iterator<Item = (&'static str, &'static str)> {
    panes::KEYS
        .iter()
        .filter(|b| !b.help.is_empty())
        .map(|b| (b.shown, b.help))
}

/// The key bar's entries that hold now, most important first.
pub fn hints(s: &AppState) -> Vec<Hint> {
    let mut hints: Vec<Hint> = panes::KEYS
        .iter()
        .filter(|b| b.when.holds(s))
        .flat_map(|b| b.hints.iter().copied())
        .collect();
    hints.sort_by_key(|h| h.rank);
    hints
}

/// The README's key table (Markdown), as README.md must have it under "The interactive view".
pub fn readme_table() -> String {
    table_of(panes::KEYS)
}

/// The README's key table of the domain list, under "The domain list".
pub fn readme_domains_table() -> String {
    table_of(super::domains::KEYS)
}

fn table_of(bindings: &[Binding]) -> String {
    let mut out = String::from("| key | does |\n|---|---|\n");
    for b in bindings.iter().filter(|b| !b.readme.is_empty()) {
        // A row for no key of its own ("save as") names it in words; Ctrl-Z, which the event
        // loop takes before any table, is still a key.
        let keys = if b.keys.is_empty() && b.shown.contains(' ') {
            b.shown.to_string()
        } else {
            b.shown
                .split_whitespace()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        out.push_str(&format!("| {keys} | {} |\n", b.readme));
    }
    out
}

/// Mouse: a click focuses the pane under it, the wheel scrolls the pane (or list) under it.
/// `panes` are the two panes' areas as the view lays them out for the current size.
pub fn mouse(s: &AppState, ev: MouseEvent, panes: [Rect; 2]) -> Option<Action> {
    let at = Position::new(ev.column, ev.row);
    let pane = [Pane::Cpu, Pane::Qemu]
        .into_iter()
        .zip(panes)
        .find(|(_, r)| r.contains(at))
        .map(|(p, _)| p);
    let overlay = s.overlay.is_some();
    match ev.kind {
        MouseEventKind::ScrollDown if overlay => Some(Action::Down),
        MouseEventKind::ScrollUp if overlay => Some(Action::Up),
        MouseEventKind::ScrollDown => pane.map(|p| Action::Scroll(p, 3)),
        MouseEventKind::ScrollUp => pane.map(|p| Action::Scroll(p, -3)),
        MouseEventKind::Down(MouseButton::Left) if !overlay => pane.map(Action::Focus),
        _ => None,
    }
}

/// Parses a key string as the tests and benches type it: plain characters, and `<tab>`,
/// `<esc>`, `<ret>`, `<space>`, `<bs>`, `<del>`, `<up>`, `<down>`, `<left>`, `<right>`,
/// `<home>`, `<end>`, `<pgup>`, `<pgdn>`, `<C-x>` for Ctrl-x.
pub fn parse_keys(s: &str) -> Vec<KeyEvent> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '<'
            && let Some(end) = rest.find('>')
            && end > 1
        {
            let name = &rest[1..end];
            let key = match name {
                "tab" => Some(KeyEvent::from(KeyCode::Tab)),
                "esc" => Some(KeyEvent::from(KeyCode::Esc)),
                "ret" => Some(KeyEvent::from(KeyCode::Enter)),
                "space" => Some(KeyEvent::from(KeyCode::Char(' '))),
                "bs" => Some(KeyEvent::from(KeyCode::Backspace)),
                "del" => Some(KeyEvent::from(KeyCode::Delete)),
                "up" => Some(KeyEvent::from(KeyCode::Up)),
                "down" => Some(KeyEvent::from(KeyCode::Down)),
                "left" => Some(KeyEvent::from(KeyCode::Left)),
                "right" => Some(KeyEvent::from(KeyCode::Right)),
                "home" => Some(KeyEvent::from(KeyCode::Home)),
                "end" => Some(KeyEvent::from(KeyCode::End)),
                "pgup" => Some(KeyEvent::from(KeyCode::PageUp)),
                "pgdn" => Some(KeyEvent::from(KeyCode::PageDown)),
                _ => name
                    .strip_prefix("C-")
                    .and_then(|c| c.chars().next())
                    .map(|c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
            };
            if let Some(k) = key {
                out.push(k);
                rest = &rest[end + 1..];
                continue;
            }
        }
        out.push(KeyEvent::from(KeyCode::Char(c)));
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's key table under "The interactive view" is the one the panes' key table
    /// writes; `cargo test` prints the table to paste when they differ.
    #[test]
    fn the_readme_key_table_is_written_from_the_key_description() {
        readme_table_is("\n## The interactive view\n", readme_table());
        readme_table_is("\n### The domain list\n", readme_domains_table());
    }

    fn readme_table_is(heading: &str, expected: String) {
        let readme = include_str!("../../README.md");
        let section = &readme[readme.find(heading).expect("README has the section")..];
        let start = section.find("| key | does |").expect("the key table");
        let table: String = section[start..]
            .lines()
            .take_while(|l| l.starts_with('|'))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(
            table == expected,
            "README.md's key table under {heading:?} differs from the key description:\n{expected}"
        );
    }

    /// Every key the help names does what its row says, in the panes.
    #[test]
    fn the_keys_the_help_names_are_the_keys_dispatched() {
        let s = crate::tui::load(&Default::default(), crate::catalog::Catalog::embedded()).unwrap();
        for b in panes::KEYS {
            for (k, a) in b.keys {
                let event = match *k {
                    Key::Char(c) => KeyEvent::from(KeyCode::Char(c)),
                    Key::Ctrl(c) => KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL),
                    Key::Code(code) => KeyEvent::from(code),
                    Key::Digit => KeyEvent::from(KeyCode::Char('1')),
                    Key::Typed | Key::Any => continue,
                };
                if b.when == When::Always {
                    let want = if *k == Key::Digit {
                        Action::Fix(1)
                    } else {
                        a.clone()
                    };
                    assert_eq!(key(&s, event), Some(want), "{}", b.shown);
                }
            }
        }
    }
}

//! Every diagnostic (the bar shows the first few), each with its fix key and where it is, the
//! advice in the TUI's keys; scrolled by `j` `k` `↑` `↓` `PgUp` `PgDn` `Home` `End`. `1`–`9`
//! applies a did-you-mean fix and the list follows the document; `Esc`, `q` or `c` close it.
//!
//! "Why will it not start": under each problem `virt-cpu explain` knows (a feature the host or
//! TCG lacks, an unknown model or feature, libvirt's refusal), explain's ways out for this
//! domain — turn the features off, a model the host runs (named), host-model. `Tab` selects one
//! (the `-cpu` it would give shows under it), `Enter` applies it (all its edits one undo step). `p` (or `/`, or pasting into the window)
//! opens a field for an error message libvirt or QEMU gave; `Enter` there shows explain's
//! reading of it for this domain, with its fixes, selectable the same way — none chosen at first
//! (`○` each), so a reflexive second `Enter` applies nothing; `Tab` chooses one (`▸ … ◂ Enter
//! applies`; the first `Tab` the pasted error's first), then `Enter` applies it. The reading and the
//! fixes are `check::explain`'s; this module only lists and applies them.

use super::{Outcome, Scrolled, popup};
use crate::check::explain::{self, Explanation, Fix};
use crate::tui::app::{Action, AppState};
use crate::tui::keymap::{Binding, DIGIT, Key, TYPED};
use crate::tui::text::{visible, wrap_words};
use crate::tui::theme::Theme;
use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// The first line shown, the fix `Enter` applies, and the pasted error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    pub top: usize,
    /// An index into the fixes that have edits (see [`choices`]), chosen with `Tab`.
    pub selected: Option<usize>,
    pub pasted: Option<Pasted>,
}

/// An error message given to the window, and whether its field has the keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pasted {
    pub text: String,
    pub editing: bool,
}

pub const KEYS: &[Binding] = &[Binding::keys(&[
    (Key::Char('j'), Action::Down),
    (Key::Char('k'), Action::Up),
    (Key::Code(KeyCode::Home), Action::Home),
    (Key::Code(KeyCode::End), Action::End),
    (Key::Digit, Action::Fix(DIGIT)),
    (Key::Code(KeyCode::Tab), Action::FocusNext),
    (Key::Char('p'), Action::Search),
    (Key::Char('/'), Action::Search),
    (Key::Char('q'), Action::Cancel),
    (Key::Char('c'), Action::Cancel),
])];

/// The error field's keys (Enter explains, Esc leaves the field: the shared keys).
pub const FIELD_KEYS: &[Binding] = &[Binding::keys(&[
    (Key::Code(KeyCode::Backspace), Action::Backspace),
    (Key::Ctrl('u'), Action::ClearLine),
    (Key::Typed, Action::Input(TYPED)),
])];

/// The window's widest.
const WIDTH: u16 = 110;

/// The footer without the error field.
const FOOTER: &str = "1-9 fix · Tab Enter a way out · p paste an error · Esc";

/// The fixes that can be applied, in the order they are listed: the domain's own problems',
/// then the pasted error's.
pub fn choices(s: &AppState, d: &Diagnostics) -> Vec<Fix> {
    let (own, pasted) = explained(s, d);
    own.into_iter()
        .map(|(_, e)| e)
        .chain(pasted)
        .flat_map(|e| e.fixes)
        .filter(|f| !f.edits.is_empty())
        .collect()
}

/// `explain` on the domain's own diagnostics (by index), and on the pasted error once it is
/// given (not while it is being typed).
fn explained(s: &AppState, d: &Diagnostics) -> (Vec<(usize, Explanation)>, Vec<Explanation>) {
    let host = s.caps.domcaps.as_ref();
    let dom = &s.state.dom;
    let own = explain::diagnosed(&s.report.diagnostics, dom, s.catalog, host);
    let pasted = match &d.pasted {
        Some(p) if !p.editing => {
            explain::explain(&explain::symptoms(&p.text), Some(dom), s.catalog, host)
        }
        _ => Vec::new(),
    };
    (own, pasted)
}

/// What the window lists, and the line each applicable fix starts on.
struct Content {
    lines: Vec<Line<'static>>,
    choice_lines: Vec<usize>,
    /// Where the pasted error's part begins.
    pasted_at: Option<usize>,
}

/// The list's lines for a window `width` cells wide inside its border.
fn content(s: &AppState, d: &Diagnostics, t: &Theme, width: usize) -> Content {
    let (own, pasted) = explained(s, d);
    let mut c = Content {
        lines: Vec::new(),
        choice_lines: Vec::new(),
        pasted_at: None,
    };
    if s.report.diagnostics.is_empty() {
        c.lines
            .push(Line::styled(" ✓ no problems found", t.added()));
    }
    for (i, diag) in s.report.diagnostics.iter().enumerate() {
        let mut spans = vec![Span::raw(" ")];
        spans.extend(crate::tui::view::diagnostic(s, t, i));
        if let Some(p) = &diag.position {
            spans.push(Span::styled(format!(" (line {})", p.line), t.dim()));
        }
        c.lines.extend(wrap_words(&spans, width, 3));
        for (_, e) in own.iter().filter(|(at, _)| *at == i) {
            fixes(&mut c, s, d, e, t, width);
        }
    }
    if let Some(p) = &d.pasted
        && !p.editing
    {
        c.pasted_at = Some(c.lines.len());
        c.lines.push(Line::raw(""));
        c.lines.push(Line::styled(" the pasted error:", t.title()));
        if pasted.is_empty() {
            c.lines.extend(wrap_words(
                &[Span::styled(
                    "   no CPU error recognised in it (explain reads libvirt's and QEMU's CPU errors: missing or unsupported features, unknown models, features and options, topology)",
                    t.dim(),
                )],
                width,
                3
            ));
        }
        for e in &pasted {
            let what = [Span::raw(format!(" • {}", visible(&e.what)))];
            c.lines.extend(wrap_words(&what, width, 3));
            fixes(&mut c, s, d, e, t, width);
        }
    }
    c
}

/// An explanation's fixes under its problem: those with edits can be chosen (`▸` marks the
/// chosen one, the `-cpu` it would give under it), advice is dimmed.
fn fixes(c: &mut Content, s: &AppState, d: &Diagnostics, e: &Explanation, t: &Theme, width: usize) {
    for f in &e.fixes {
        let text = match f.advice {
            Some(a) => crate::tui::view::advice(a),
            None => visible(&f.text).into_owned(),
        };
        let spans = if f.edits.is_empty() {
            vec![Span::styled(format!("     · {text}"), t.dim())]
        } else {
            let n = c.choice_lines.len();
            c.choice_lines.push(c.lines.len());
            // The chosen one shows by its shape and words too, not only by colour.
            match d.selected == Some(n) {
                true => vec![
                    Span::styled("   ▸ ", t.key()),
                    Span::styled(text, t.selected()),
                    Span::styled("  ◂ Enter applies", t.key()),
                ],
                false => vec![Span::raw(format!("   ○ {text}"))],
            }
        };
        c.lines.extend(wrap_words(&spans, width, 7));
        if d.selected.is_some_and(|n| c.choice_lines.len() == n + 1) && !f.edits.is_empty() {
            c.lines.extend(preview(s, f, t, width));
        }
    }
}

/// The `-cpu` the domain would get with `fix` applied, wrapped between its options.
fn preview(s: &AppState, fix: &Fix, t: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut after = s.state.clone();
    let text = match after.apply_all(&fix.edits) {
        Ok(_) => {
            let arg = crate::argv::compute(&after.dom, &s.caps, &s.catalog.libvirt, s.reading);
            match arg.value {
                Some(v) => format!("-cpu {}", visible(&v)),
                None => "no -cpu yet: libvirt would still refuse (the list after Enter says why)"
                    .to_string(),
            }
        }
        Err(e) => format!("cannot be applied: {}", visible(&e.to_string())),
    };
    wrap_words(
        &[Span::raw("       → "), Span::styled(text, t.argv())],
        width,
        9,
    )
}

impl Diagnostics {
    /// The window on a screen of this size, and what it lists: as tall as the screen allows.
    fn layout(&self, s: &AppState, screen: Rect, t: &Theme) -> (Rect, Content) {
        let width = WIDTH.min(screen.width);
        let content = content(s, self, t, width.saturating_sub(2) as usize);
        let r = super::centred(screen, width, content.lines.len() as u16 + Scrolled::FRAME);
        (r, content)
    }

    pub fn key(&mut self, s: &mut AppState, action: Action) -> Outcome {
        if let Some(p) = self.pasted.clone().filter(|p| p.editing) {
            return self.field_key(s, action, p);
        }
        let (r, content) = self.layout(s, super::screen(s), &Theme::MONO);
        let scrolled = Scrolled::new(r, content.lines.len());
        if scrolled.key(&mut self.top, &action) {
            // Enter applies only a fix the window shows.
            let rows = scrolled.rows();
            let line = self.selected.and_then(|n| content.choice_lines.get(n));
            if line.is_some_and(|&l| l < self.top || l >= self.top + rows) {
                self.selected = None;
            }
            return Outcome::Keep;
        }
        match action {
            Action::Fix(n) => {
                crate::tui::panes::fix(s, n);
                Outcome::Keep
            }
            Action::FocusNext if content.choice_lines.is_empty() => {
                s.info("No fix to choose here: the problems listed have advice only");
                Outcome::Keep
            }
            Action::FocusNext => {
                // The first Tab after an explanation goes to the pasted error's first way out.
                let own = choices(s, &Diagnostics::default()).len();
                let first = match &self.pasted {
                    Some(_) if own < content.choice_lines.len() => own,
                    _ => 0,
                };
                let n = self
                    .selected
                    .map_or(first, |i| (i + 1) % content.choice_lines.len());
                self.selected = Some(n);
                self.top = shown_from(&scrolled, self.top, content.choice_lines[n]);
                Outcome::Keep
            }
            Action::Submit => match self.selected {
                Some(n) => {
                    if let Some(fix) = choices(s, self).get(n) {
                        s.apply_fix(fix);
                    }
                    // The list follows the document; nothing stays chosen to apply twice.
                    self.selected = None;
                    Outcome::Keep
                }
                // After an explanation with ways out, Enter alone keeps the window (and says
                // how to choose) rather than closing what was just read.
                None if self.pasted.is_some() && !content.choice_lines.is_empty() => {
                    s.info("Nothing chosen: Tab chooses a way out, then Enter applies it");
                    Outcome::Keep
                }
                None => Outcome::close(),
            },
            Action::Search => {
                self.open_field(String::new());
                Outcome::Keep
            }
            Action::Paste(text) => {
                self.open_field(text);
                Outcome::Keep
            }
            Action::Cancel => Outcome::close(),
            _ => Outcome::Keep,
        }
    }

    /// The error field, empty or holding `text` (a paste), with the keys.
    fn open_field(&mut self, text: String) {
        self.selected = None;
        self.pasted = Some(Pasted {
            text,
            editing: true,
        });
    }

    /// A key while the error field has the keys: typing, Enter explains, Esc leaves it.
    fn field_key(&mut self, s: &mut AppState, action: Action, mut p: Pasted) -> Outcome {
        match action {
            Action::Input(c) => p.text.push(c),
            Action::Paste(text) => p.text.push_str(&text),
            Action::Backspace => {
                p.text.pop();
            }
            Action::ClearLine => p.text.clear(),
            Action::Submit if p.text.trim().is_empty() => {
                self.pasted = None;
                return Outcome::Keep;
            }
            Action::Submit => {
                p.editing = false;
                self.pasted = Some(p);
                // Show the reading, nothing chosen: a second Enter (a reflex after the
                // first) must not apply a way out that may change many lines; Tab chooses one.
                let (r, content) = self.layout(s, super::screen(s), &Theme::MONO);
                let scrolled = Scrolled::new(r, content.lines.len());
                self.top = content.pasted_at.unwrap_or(0).min(scrolled.max_top());
                self.selected = None;
                return Outcome::Keep;
            }
            Action::Cancel => {
                self.pasted = None;
                return Outcome::Keep;
            }
            _ => return Outcome::Keep,
        }
        self.pasted = Some(p);
        Outcome::Keep
    }

    /// The keys as the window is now.
    pub fn keys(&self) -> &'static [Binding] {
        match &self.pasted {
            Some(p) if p.editing => FIELD_KEYS,
            _ => KEYS,
        }
    }

    pub fn draw(&self, f: &mut Frame, s: &AppState, t: &Theme, area: Rect) {
        let (r, content) = self.layout(s, area, t);
        popup(f, area, r.width, r.height);
        let title = format!(" diagnostics ({}) ", s.report.diagnostics.len());
        let footer = match &self.pasted {
            Some(p) if p.editing => field(&p.text, r.width.saturating_sub(4) as usize),
            _ => FOOTER.to_string(),
        };
        Scrolled::new(r, content.lines.len()).draw(f, t, &title, content.lines, self.top, &footer);
    }
}

/// The first line to show so that `line` is in the window (scrolled no more than needed).
fn shown_from(scrolled: &Scrolled, top: usize, line: usize) -> usize {
    let rows = scrolled.rows().max(1);
    let top = if line < top {
        line
    } else if line >= top + rows {
        line + 1 - rows
    } else {
        top
    };
    top.min(scrolled.max_top())
}

/// The error field as the footer shows it: its end (where typing goes) within `width`, line
/// breaks as `⏎`.
fn field(text: &str, width: usize) -> String {
    const PROMPT: &str = "error (Enter explains, Esc): ";
    let flat = visible(&text.replace(['\r', '\n'], " ⏎ ")).into_owned();
    let room = width.saturating_sub(PROMPT.chars().count() + 1);
    let count = flat.chars().count();
    let tail: String = flat.chars().skip(count.saturating_sub(room)).collect();
    format!("{PROMPT}{tail}█")
}

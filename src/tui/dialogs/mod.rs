//! The windows over the panes. Each dialog is one module that owns its state, its keys (a table
//! of the key description, see `keymap`), what they do and its drawing: [`help`], [`picker`],
//! [`features`], [`diff`], [`prompt`], [`quit`], [`overwrite`], [`save_failed`], [`qemu_cpu`],
//! [`mode`], [`custom_model`], [`topology`].
//!
//! A dialog's key handler changes the dialog in place and answers with an [`Outcome`]: stay
//! open, or close with effects for the loop. [`key`] is the one place that takes the open
//! dialog out of the state and puts it back, so no handler can forget to.

pub mod custom_model;
pub mod diff;
pub mod features;
pub mod help;
pub mod mode;
pub mod overwrite;
pub mod picker;
pub mod prompt;
pub mod qemu_cpu;
pub mod quit;
pub mod save_failed;
pub mod topology;

use super::app::{Action, AppState, Effect};
use super::keymap::Binding;
use super::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

/// A window over the panes; keys go to the topmost one.
#[derive(Debug, Clone)]
pub enum Overlay {
    Help,
    Picker(picker::Picker),
    Features(features::FeatureList),
    Diff(diff::Diff),
    Prompt(prompt::Prompt),
    /// Quitting with unsaved edits: only `y` (or `Q`, abort) drops them.
    ConfirmQuit,
    ConfirmOverwrite(overwrite::ConfirmOverwrite),
    SaveFailed(save_failed::SaveFailed),
    QemuCpuDropped(qemu_cpu::QemuCpuDropped),
    Mode(mode::ModeDialog),
    /// A model picked for a `<cpu>` whose mode does not use one.
    ConfirmCustom(custom_model::ConfirmCustom),
    Topology(topology::TopologyDialog),
}

/// What a dialog's key handler answers.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The dialog stays open, as the handler left it.
    Keep,
    /// The dialog closes; the effects go to the loop. A dialog the handler opened through
    /// `AppState::open` (the next question) shows next.
    Close(Vec<Effect>),
}

impl Outcome {
    pub fn close() -> Outcome {
        Outcome::Close(Vec::new())
    }
}

impl Overlay {
    /// The keys of this dialog, as it is now.
    pub fn keys(&self) -> &'static [Binding] {
        match self {
            Overlay::Help => help::KEYS,
            Overlay::Picker(_) => picker::KEYS,
            Overlay::Features(l) => l.keys(),
            Overlay::Diff(_) => diff::KEYS,
            Overlay::Prompt(_) => prompt::KEYS,
            Overlay::ConfirmQuit => quit::KEYS,
            Overlay::ConfirmOverwrite(_) => overwrite::KEYS,
            Overlay::SaveFailed(_) => save_failed::KEYS,
            Overlay::QemuCpuDropped(d) => d.keys(),
            Overlay::Mode(_) => mode::KEYS,
            Overlay::ConfirmCustom(_) => custom_model::KEYS,
            Overlay::Topology(_) => topology::KEYS,
        }
    }

    fn key(&mut self, s: &mut AppState, action: Action) -> Outcome {
        match self {
            Overlay::Help => help::key(action),
            Overlay::Picker(p) => p.key(s, action),
            Overlay::Features(l) => l.key(s, action),
            Overlay::Diff(d) => d.key(s, action),
            Overlay::Prompt(p) => p.key(s, action),
            Overlay::ConfirmQuit => quit::key(s, action),
            Overlay::ConfirmOverwrite(o) => o.key(s, action),
            Overlay::SaveFailed(f) => f.key(s, action),
            Overlay::QemuCpuDropped(d) => d.key(s, action),
            Overlay::Mode(d) => d.key(s, action),
            Overlay::ConfirmCustom(d) => d.key(s, action),
            Overlay::Topology(d) => d.key(s, action),
        }
    }

    pub fn draw(&self, f: &mut Frame, s: &AppState, t: &Theme, area: Rect) {
        match self {
            Overlay::Help => help::draw(f, t, area),
            Overlay::Picker(p) => p.draw(f, s, t, area),
            Overlay::Features(l) => l.draw(f, s, t, area),
            Overlay::Diff(d) => d.draw(f, t, area),
            Overlay::Prompt(p) => p.draw(f, t, area),
            Overlay::ConfirmQuit => quit::draw(f, s, t, area),
            Overlay::ConfirmOverwrite(o) => o.draw(f, t, area),
            Overlay::SaveFailed(e) => e.draw(f, t, area),
            Overlay::QemuCpuDropped(d) => d.draw(f, s, t, area),
            Overlay::Mode(d) => d.draw(f, s, t, area),
            Overlay::ConfirmCustom(d) => d.draw(f, t, area),
            Overlay::Topology(d) => d.draw(f, t, area),
        }
    }
}

/// The open dialog handles `action` (nothing happens when none is open).
pub fn key(s: &mut AppState, action: Action) -> Vec<Effect> {
    let Some(mut open) = s.overlay.take() else {
        return Vec::new();
    };
    match open.key(s, action) {
        Outcome::Keep => {
            debug_assert!(s.overlay.is_none(), "a dialog that stays opened another");
            s.overlay = Some(open);
            Vec::new()
        }
        Outcome::Close(effects) => effects,
    }
}

/// Typing in a list's query (the picker's, the feature search): the query after `action`,
/// when `action` edits it.
fn edited_query(query: &str, action: &Action) -> Option<String> {
    let mut q = query.to_string();
    match action {
        Action::Input(c) => q.push(*c),
        Action::Backspace => {
            q.pop();
        }
        Action::ClearLine => q.clear(),
        _ => return None,
    }
    Some(q)
}

/// The last line of the "terminal too small" screen: how to go on with what is open (a dialog
/// is not drawn there, but it still has the keys).
pub fn too_small_hint(s: &AppState) -> &'static str {
    match &s.overlay {
        None => "Enlarge the window, or q to quit.",
        Some(Overlay::ConfirmQuit) => {
            "Unsaved edits: y quits without saving, Esc keeps editing (enlarge to save)."
        }
        Some(_) => "Enlarge the window to see the open dialog; Esc closes it.",
    }
}

/// A box of `w`×`h` cells centred in `area` (shrunk to fit), cleared for an overlay.
fn popup(f: &mut Frame, area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, r);
    r
}

/// A bordered window of `size` (width, height) in the middle of `area`, its lines wrapped.
fn window(f: &mut Frame, area: Rect, size: (u16, u16), title: &str, lines: Vec<Line<'static>>) {
    let r = popup(f, area, size.0, size.1);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(title)),
        r,
    );
}

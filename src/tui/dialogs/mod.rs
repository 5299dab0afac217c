//! The windows over the panes. Each dialog is one module that owns its state, its keys (a table
//! of the key description, see `keymap`), what they do and its drawing: [`help`], [`picker`],
//! [`features`], [`diff`], [`prompt`], [`quit`], [`overwrite`], [`save_failed`], [`qemu_cpu`],
//! [`diagnostics`], [`mode`], [`custom_model`], [`topology`], [`hyperv`], [`physaddr`].
//!
//! A dialog's key handler changes the dialog in place and answers with an [`Outcome`]: stay
//! open, or close with effects for the loop. [`key`] is the one place that takes the open
//! dialog out of the state and puts it back, so no handler can forget to.

pub mod custom_model;
pub mod diagnostics;
pub mod diff;
pub mod features;
pub mod help;
pub mod hyperv;
pub mod mode;
pub mod overwrite;
pub mod physaddr;
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
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

/// A window over the panes; keys go to the topmost one.
#[derive(Debug, Clone)]
pub enum Overlay {
    Help(help::Help),
    /// Every diagnostic, scrollable, with its fix key, explain's fixes and a pasted error.
    Diagnostics(diagnostics::Diagnostics),
    Picker(picker::Picker),
    Features(features::FeatureList),
    Diff(diff::Diff),
    Prompt(prompt::Prompt),
    /// Quitting with unsaved edits: only `D` (or `Q`, abort) drops them.
    ConfirmQuit,
    ConfirmOverwrite(overwrite::ConfirmOverwrite),
    SaveFailed(save_failed::SaveFailed),
    QemuCpuDropped(qemu_cpu::QemuCpuDropped),
    Mode(mode::ModeDialog),
    /// A model picked for a `<cpu>` whose mode does not use one.
    ConfirmCustom(custom_model::ConfirmCustom),
    Topology(topology::TopologyDialog),
    PhysAddr(physaddr::PhysAddrDialog),
    Hyperv(hyperv::HypervDialog),
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
            Overlay::Help(_) => help::KEYS,
            Overlay::Diagnostics(d) => d.keys(),
            Overlay::Picker(_) => picker::KEYS,
            Overlay::Features(l) => l.keys(),
            Overlay::Diff(_) => diff::KEYS,
            Overlay::Prompt(_) => prompt::KEYS,
            Overlay::ConfirmQuit => quit::KEYS,
            Overlay::ConfirmOverwrite(_) => overwrite::KEYS,
            Overlay::SaveFailed(_) => save_failed::KEYS,
            Overlay::QemuCpuDropped(d) => d.keys(),
            Overlay::Mode(_) => mode::KEYS,
            Overlay::Hyperv(_) => hyperv::KEYS,
            Overlay::ConfirmCustom(_) => custom_model::KEYS,
            Overlay::Topology(_) => topology::KEYS,
            Overlay::PhysAddr(_) => physaddr::KEYS,
        }
    }

    fn key(&mut self, s: &mut AppState, action: Action) -> Outcome {
        match self {
            Overlay::Help(h) => h.key(s, action),
            Overlay::Diagnostics(d) => d.key(s, action),
            Overlay::Picker(p) => p.key(s, action),
            Overlay::Features(l) => l.key(s, action),
            Overlay::Diff(d) => d.key(s, action),
            Overlay::Prompt(p) => p.key(s, action),
            Overlay::ConfirmQuit => quit::key(s, action),
            Overlay::ConfirmOverwrite(o) => o.key(s, action),
            Overlay::SaveFailed(f) => f.key(s, action),
            Overlay::QemuCpuDropped(d) => d.key(s, action),
            Overlay::Mode(d) => d.key(s, action),
            Overlay::Hyperv(d) => d.key(s, action),
            Overlay::ConfirmCustom(d) => d.key(s, action),
            Overlay::Topology(d) => d.key(s, action),
            Overlay::PhysAddr(d) => d.key(s, action),
        }
    }

    pub fn draw(&self, f: &mut Frame, s: &AppState, t: &Theme, area: Rect) {
        match self {
            Overlay::Help(h) => h.draw(f, t, area),
            Overlay::Diagnostics(d) => d.draw(f, s, t, area),
            Overlay::Picker(p) => p.draw(f, s, t, area),
            Overlay::Features(l) => l.draw(f, s, t, area),
            Overlay::Diff(d) => d.draw(f, t, area),
            Overlay::Prompt(p) => p.draw(f, t, area),
            Overlay::ConfirmQuit => quit::draw(f, s, t, area),
            Overlay::ConfirmOverwrite(o) => o.draw(f, t, area),
            Overlay::SaveFailed(e) => e.draw(f, s, t, area),
            Overlay::QemuCpuDropped(d) => d.draw(f, s, t, area),
            Overlay::Mode(d) => d.draw(f, s, t, area),
            Overlay::Hyperv(d) => d.draw(f, s, t, area),
            Overlay::ConfirmCustom(d) => d.draw(f, t, area),
            Overlay::Topology(d) => d.draw(f, t, area),
            Overlay::PhysAddr(d) => d.draw(f, t, area),
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
            "Unsaved edits: D quits without saving, Esc keeps editing (enlarge to save)."
        }
        Some(_) => "Enlarge the window to see the open dialog; Esc closes it.",
    }
}

/// A box of `w`×`h` cells centred in `area` (shrunk to fit), cleared for an overlay.
fn popup(f: &mut Frame, area: Rect, w: u16, h: u16) -> Rect {
    let r = centred(area, w, h);
    f.render_widget(Clear, r);
    r
}

/// A box of `w`×`h` cells centred in `area`, shrunk to fit.
fn centred(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// The screen as the state knows it (the smallest the view draws on before the first resize).
fn screen(s: &AppState) -> Rect {
    let (w, h) = s
        .screen
        .unwrap_or((super::view::MIN_WIDTH, super::view::MIN_HEIGHT));
    Rect::new(0, 0, w, h)
}

/// A window of lines that may be more than it shows: its body shows them from a first line,
/// and the keys that scroll (`j` `k` `↑` `↓` `PgUp` `PgDn` `Home` `End`) move that line,
/// never past the end. The bottom border says how many lines are above and below.
struct Scrolled {
    /// The window, border included.
    area: Rect,
    /// How many lines there are.
    len: usize,
}

impl Scrolled {
    /// Rows the window adds to its lines: the border, a blank row and the footer.
    const FRAME: u16 = 4;

    fn new(area: Rect, len: usize) -> Scrolled {
        Scrolled { area, len }
    }

    /// Lines the body shows.
    fn rows(&self) -> usize {
        self.area.height.saturating_sub(Scrolled::FRAME) as usize
    }

    /// The last first line: the end of the lines at the bottom.
    fn max_top(&self) -> usize {
        self.len.saturating_sub(self.rows())
    }

    /// Moves `top` for a scrolling action; false for any other.
    fn key(&self, top: &mut usize, action: &Action) -> bool {
        let page = self.rows().saturating_sub(1).max(1);
        let at = (*top).min(self.max_top());
        *top = match action {
            Action::Up => at.saturating_sub(1),
            Action::Down => at + 1,
            Action::PageUp => at.saturating_sub(page),
            Action::PageDown => at + page,
            Action::Home => 0,
            Action::End => self.max_top(),
            _ => return false,
        }
        .min(self.max_top());
        true
    }

    /// Draws the window: `lines` from `top`, then `footer` (with the scrolling keys first when
    /// the lines do not all show).
    fn draw(
        &self,
        f: &mut Frame,
        t: &Theme,
        title: &str,
        lines: Vec<Line<'static>>,
        top: usize,
        footer: &str,
    ) {
        let top = top.min(self.max_top());
        let rows = self.rows();
        let width = self.area.width.saturating_sub(2) as usize;
        let below = self.len.saturating_sub(top + rows);
        let mut shown: Vec<Line> = lines
            .into_iter()
            .skip(top)
            .take(rows)
            .map(|l| super::text::clip_line(l, width))
            .collect();
        shown.resize(rows, Line::raw(""));
        shown.push(Line::raw(""));
        let footer = if self.len > rows {
            format!(" j k PgUp PgDn scroll · {footer}")
        } else {
            format!(" {footer}")
        };
        shown.push(super::text::clip_line(Line::styled(footer, t.dim()), width));
        let mut block = Block::bordered().title(Span::styled(title.to_string(), t.title()));
        let mut more = Vec::new();
        if top > 0 {
            more.push(format!("↑ {top} more"));
        }
        if below > 0 {
            more.push(format!("↓ {below} more below"));
        }
        if !more.is_empty() {
            block = block.title_bottom(
                Line::styled(format!(" {} ", more.join(" · ")), t.dim()).right_aligned(),
            );
        }
        f.render_widget(Paragraph::new(shown).block(block), self.area);
    }
}

/// A bordered window of `size` (width, height) in the middle of `area`, its lines drawn as
/// given (already wrapped to fit).
fn framed(f: &mut Frame, area: Rect, size: (u16, u16), title: &str, lines: Vec<Line<'static>>) {
    let r = popup(f, area, size.0, size.1);
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title)),
        r,
    );
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

//! The guest's physical address bits (`p`): `<cpu><maxphysaddr>` — none (QEMU's default), the
//! host's width passed through (with a limit, libvirt 9.3 and later) or a fixed width. The
//! window shows live the element Enter writes, the `-cpu` it gives and what libvirt or QEMU
//! would refuse (more bits than the host has, bits out of QEMU's range, a limit the libvirt
//! followed does not know); Enter writes it as one edit (one undo step).

use super::{Outcome, framed};
use crate::check::Severity;
use crate::edit::{Edit, PhysAddr};
use crate::tui::app::{Action, AppState};
use crate::tui::keymap::{Binding, Key, TYPED};
use crate::tui::text::{limit, wrap_line};
use crate::tui::theme::Theme;
use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// The window's width (less on a narrower screen).
const WIDTH: u16 = 78;

/// The three choices, in the order shown.
const MODES: [(&str, &str); 3] = [
    ("none", "QEMU's default width (no <maxphysaddr>)"),
    (
        "passthrough",
        "the host's width; a limit caps it (libvirt 9.3+)",
    ),
    ("emulate", "a fixed width, the same on every host (32-52)"),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhysAddrDialog {
    /// Index into [`MODES`].
    pub mode: usize,
    /// The number as typed: the limit (passthrough) or the bits (emulate).
    pub number: String,
    /// What Enter would write, computed on each key.
    pub preview: Preview,
    /// The host's width, when the host says it.
    pub host_bits: Option<u32>,
    /// Whether a host was given at all.
    pub host_given: bool,
    /// Enter was refused for the choice shown: the window says so until the next change.
    pub refused: bool,
}

/// What the choice gives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Preview {
    /// What Enter writes: the element, that it is removed, or `—` for no valid choice.
    pub writes: String,
    /// The `-cpu` value with it, when libvirt takes it.
    pub value: Option<String>,
    /// Why libvirt or QEMU would refuse it, or why the number is not one.
    pub problem: Option<String>,
}

pub const KEYS: &[Binding] = &[Binding::keys(&[
    (Key::Code(KeyCode::Tab), Action::Down),
    (Key::Code(KeyCode::BackTab), Action::Up),
    (Key::Code(KeyCode::Backspace), Action::Backspace),
    (Key::Ctrl('u'), Action::ClearLine),
    (Key::Typed, Action::Input(TYPED)),
])];

impl PhysAddrDialog {
    /// The document's `<maxphysaddr>`, or none.
    pub fn new(s: &AppState) -> PhysAddrDialog {
        let now = s
            .state
            .dom
            .cpu
            .as_ref()
            .and_then(|c| c.maxphysaddr.as_ref());
        let (mode, number) = match now {
            Some(a) if a.mode.as_deref() == Some("passthrough") => {
                (1, a.limit.clone().unwrap_or_default())
            }
            Some(a) if a.mode.as_deref() == Some("emulate") => {
                (2, a.bits.clone().unwrap_or_default())
            }
            _ => (0, String::new()),
        };
        let domcaps = s.caps.domcaps.as_ref();
        let mut d = PhysAddrDialog {
            mode,
            number: number.trim().to_string(),
            preview: Preview::default(),
            host_bits: domcaps.and_then(|h| h.phys_bits).map(|p| p.bits),
            host_given: domcaps.is_some(),
            refused: false,
        };
        d.preview = d.compute(s);
        d
    }

    /// The choice as `--maxphysaddr` takes it.
    fn spec(&self) -> String {
        match (MODES[self.mode].0, self.number.as_str()) {
            ("none", _) => "none".into(),
            (m, "") => m.into(),
            (m, n) => format!("{m}:{n}"),
        }
    }

    /// The edit, the element it writes, the `-cpu` it gives and the first refusal of the
    /// libvirt and QEMU followed (the checks `check` makes), on a copy of the document.
    fn compute(&self, s: &AppState) -> Preview {
        let wanted = match PhysAddr::parse(&self.spec()) {
            Ok(w) => w,
            Err(e) => {
                // QEMU's own words when it is QEMU's range, else why the number is none.
                let why = match e.split_once(" (\"").and_then(|(_, q)| q.split_once("\")")) {
                    Some((quoted, _)) => format!("QEMU refuses: \"{quoted}\""),
                    None => e.split("; write").next().unwrap_or(&e).to_string(),
                };
                return Preview {
                    writes: "—".into(),
                    value: None,
                    problem: Some(why),
                };
            }
        };
        let mut copy = s.state.clone();
        if copy.apply(&Edit::SetMaxPhysAddr(wanted)).is_err() {
            return Preview::default();
        }
        let report = crate::check::check(&copy.doc, &copy.dom, &s.caps, s.catalog, s.reading);
        let writes = copy
            .dom
            .cpu
            .as_ref()
            .and_then(|c| c.maxphysaddr.as_ref())
            .map_or_else(
                || "nothing (<maxphysaddr> removed)".to_string(),
                |a| copy.doc.source()[copy.doc.element(a.el).outer()].to_string(),
            );
        let problem = report
            .diagnostics
            .iter()
            // Errors, and a `limit` the libvirt followed does not know (`set` refuses it too).
            .filter(|d| d.severity == Severity::Error || d.code == "phys-limit-unknown")
            .find(|d| d.code.starts_with("phys-") || d.code == "libvirt-rejects")
            .map(|d| format!("{}: {}", d.code, d.message));
        Preview {
            writes,
            value: report.arg.value,
            problem,
        }
    }

    pub fn key(&mut self, s: &mut AppState, action: Action) -> Outcome {
        match action {
            Action::Cancel | Action::Input('q') => return Outcome::close(),
            Action::Up => self.mode = (self.mode + MODES.len() - 1) % MODES.len(),
            Action::Down => self.mode = (self.mode + 1) % MODES.len(),
            Action::Input(c) if c.is_ascii_digit() && self.number.len() < 3 => self.number.push(c),
            Action::Backspace => {
                self.number.pop();
            }
            Action::ClearLine => self.number.clear(),
            Action::Submit => return self.apply(s),
            _ => return Outcome::Keep,
        }
        self.refused = false;
        self.preview = self.compute(s);
        Outcome::Keep
    }

    fn apply(&mut self, s: &mut AppState) -> Outcome {
        if self.preview.problem.is_some() {
            // Said in the window (the status bar is under it): what to change, then why.
            self.refused = true;
            return Outcome::Keep;
        }
        if let Ok(wanted) = PhysAddr::parse(&self.spec()) {
            s.edit(&Edit::SetMaxPhysAddr(wanted));
        }
        Outcome::close()
    }

    pub fn draw(&self, f: &mut Frame, t: &Theme, area: Rect) {
        let mut lines = Vec::new();
        for (i, (name, what)) in MODES.iter().enumerate() {
            // The window trims leading blanks: the unselected mark is a dot.
            let (mark, style) = if i == self.mode {
                ("▸", t.selected())
            } else {
                ("·", t.value())
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{mark} {name:<12}"), style),
                Span::styled(what.to_string(), t.label()),
            ]));
        }
        let number = match MODES[self.mode].0 {
            "passthrough" => "limit",
            "emulate" => "bits",
            _ => "",
        };
        if !number.is_empty() {
            lines.push(Line::from(vec![
                Span::styled(format!("  {number:<12}"), t.label()),
                Span::styled(format!("{}▏", self.number), t.selected()),
            ]));
        }
        lines.push(Line::raw(""));
        let host = match (self.host_given, self.host_bits) {
            (_, Some(b)) => format!("host: {b} physical address bits"),
            (true, None) => "host: its width is unknown (it does not say)".into(),
            (false, None) => "host: none given (-c or --host-caps) — width unknown".into(),
        };
        lines.push(Line::styled(host, t.label()));
        lines.push(Line::from(vec![
            Span::styled("writes ", t.label()),
            Span::styled(
                crate::tui::text::visible(&self.preview.writes).into_owned(),
                t.value(),
            ),
        ]));
        let cpu_row = lines.len();
        lines.push(Line::from(vec![
            Span::styled("-cpu ", t.label()),
            Span::styled(
                crate::tui::text::visible(self.preview.value.as_deref().unwrap_or("—"))
                    .into_owned(),
                t.value(),
            ),
        ]));
        if let Some(p) = &self.preview.problem {
            let mut spans = Vec::new();
            if self.refused {
                spans.push(Span::styled(
                    "Enter refused, nothing written — change the mode or number, or Esc: ",
                    t.error().add_modifier(ratatui::style::Modifier::BOLD),
                ));
            }
            spans.push(Span::styled(
                crate::tui::text::visible(p).into_owned(),
                t.error(),
            ));
            lines.push(Line::from(spans));
        }
        let hints = Line::from(vec![
            Span::styled("↑↓", t.key()),
            Span::raw(" mode  "),
            Span::styled("0-9", t.key()),
            Span::raw(" number  "),
            Span::styled("Enter", t.key()),
            Span::raw(" write  "),
            Span::styled("Esc", t.key()),
            Span::raw(" cancel"),
        ]);
        // Wrapped here, between words and `-cpu` options, so the height holds every row; on a
        // screen too short the body is cut (marked) and the key hints stay.
        let width = WIDTH.min(area.width).saturating_sub(2) as usize;
        // The -cpu breaks only after a comma: an option's value may hold a space
        // (`hv-vendor-id=KVM Hv`) and stays whole.
        let body: Vec<Line<'static>> = lines
            .iter()
            .enumerate()
            .flat_map(|(i, l)| match i == cpu_row {
                true => crate::tui::text::wrap(&l.spans, width, 2, &|c| c == ','),
                false => wrap_line(l, width, 2),
            })
            .collect();
        let room = area.height.saturating_sub(4) as usize;
        let mut shown = limit(body, room, width, None);
        shown.push(Line::raw(""));
        shown.push(hints);
        let h = shown.len() as u16 + 2;
        framed(f, area, (WIDTH, h), " physical address bits ", shown);
    }
}

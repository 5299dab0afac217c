//! The screen while the domain or the host's facts are asked of libvirt: what is asked, a
//! spinner, how long it has waited, when it gives up, and that `q` quits.

use super::super::text;
use super::super::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::time::Duration;

/// What the loading screen shows.
#[derive(Debug, Clone)]
pub struct Waiting {
    /// What is asked, e.g. `libvirt at qemu+ssh://host/system`.
    pub what: String,
    /// How long it has waited.
    pub waited: Duration,
    /// How long each call may take.
    pub limit: Duration,
}

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Draws the loading screen, centred.
pub fn draw(f: &mut Frame, w: &Waiting, t: &Theme) {
    let area = f.area();
    let width = area.width as usize;
    let frame = (w.waited.as_millis() / 100) as usize % SPINNER.len();
    let lines = vec![
        Line::from(vec![
            Span::styled(SPINNER[frame], t.key()),
            Span::raw(" asking "),
            Span::raw(text::visible(&w.what).into_owned()),
            Span::raw(format!(" … {} s", w.waited.as_secs())),
        ]),
        Line::from(Span::styled(
            format!(
                "each virsh call gives up after {} (--timeout, VIRT_CPU_TIMEOUT)",
                crate::host::process::duration_text(w.limit)
            ),
            t.dim(),
        )),
        Line::from(""),
        Line::from(vec![Span::styled("q", t.key()), Span::raw(" quits")]),
    ];
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|l| text::clip_line(l, width).centered())
        .collect();
    let [_, middle, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(lines.len() as u16),
        Constraint::Fill(1),
    ])
    .areas(area);
    f.render_widget(Paragraph::new(lines), middle);
}

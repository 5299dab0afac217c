//! The domain list: `virt-cpu -c URI` without a file or `--domain` lists that host's domains
//! (gathered by [`crate::scan`]: a few `virsh` calls for all of them, behind the loading
//! screen) — name, state, model, source of the `-cpu`, taints and problems. Typing filters,
//! `Enter` opens the domain as `--domain NAME -c URI` does, and `Esc` on the opened domain
//! comes back here (the list asked again, so a define shows).
//!
//! The screen owns its state, its keys ([`KEYS`], part of the key description: the README's
//! table under "The domain list" is written from it) and its drawing.

use super::app::Action;
use super::keymap::{Binding, Key, TEXT, TYPED, When};
use super::text;
use super::theme::Theme;
use crate::check::Severity;
use crate::scan::Scan;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// One domain as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    pub state: String,
    /// The model of its `-cpu` (or its mode when there is no model), `-` when none.
    pub model: String,
    /// Where the `-cpu` comes from (`<cpu>`, `<qemu:cpu>`, …), `-` when none.
    pub source: String,
    /// Errors/warnings, the taints, the first problem; empty when all is well.
    pub problems: String,
}

/// The list (by name), its filter and the selection (an index into [`DomainList::shown`]).
#[derive(Debug, Clone, Default)]
pub struct DomainList {
    pub uri: String,
    pub rows: Vec<Row>,
    pub filter: String,
    pub selected: usize,
    /// The host's error, when it did not answer.
    pub error: Option<String>,
    /// Set by a key: leave the list (quit), or open this domain.
    pub done: Option<Done>,
    /// The rows the last draw had room for (paging).
    pub page: usize,
    /// What the last attempt said (a domain that would not open).
    pub message: Option<String>,
}

/// How the list was left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    Quit,
    Open(String),
}

/// The list's keys: the text field's and these.
pub const KEYS: &[Binding] = &[
    Binding {
        keys: &[(Key::Typed, Action::Input(TYPED))],
        when: When::Always,
        shown: "a-z",
        help: "filter: the domains whose name, state or model holds what is typed",
        readme: "filter as you type: the domains whose name, state, model or source holds the text (any case); `Backspace` `Ctrl-U` edit it",
        hints: &[],
    },
    Binding {
        keys: &[
            (Key::Code(KeyCode::Up), Action::Up),
            (Key::Code(KeyCode::Down), Action::Down),
            (Key::Code(KeyCode::PageUp), Action::PageUp),
            (Key::Code(KeyCode::PageDown), Action::PageDown),
        ],
        when: When::Always,
        shown: "↑ ↓ PgUp PgDn",
        help: "choose a domain",
        readme: "choose a domain (the mouse wheel too)",
        hints: &[],
    },
    Binding {
        keys: &[(Key::Code(KeyCode::Enter), Action::Submit)],
        when: When::Always,
        shown: "Enter",
        help: "open the domain, as --domain NAME -c URI does (w defines it)",
        readme: "open the domain as `virt-cpu --domain NAME -c URI` does (`w` defines it); there `Esc` comes back to the list, asked again of libvirt (with unsaved edits it stays and says so: `w` defines, `u` undoes)",
        hints: &[],
    },
    Binding {
        keys: &[
            (Key::Ctrl('c'), Action::Quit),
            (Key::Code(KeyCode::Esc), Action::Cancel),
        ],
        when: When::Always,
        shown: "Esc",
        help: "clear the filter; with none, quit",
        readme: "clear the filter; with none, quit (`Ctrl-C` quits at once)",
        hints: &[],
    },
];

impl DomainList {
    /// The list of `uri`'s domains from a scan of that one host.
    pub fn from_scan(uri: &str, scan: &Scan) -> DomainList {
        let mut rows: Vec<Row> = scan.domains.iter().map(row).collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        let error = scan.hosts.iter().find_map(|h| h.error.clone());
        DomainList {
            uri: uri.to_string(),
            rows,
            error,
            ..Default::default()
        }
    }

    /// Asked again: the rows change, the filter stays, the selection stays on the same name.
    pub fn refreshed(mut self, again: DomainList) -> DomainList {
        let name = self.current().map(|r| r.name.clone());
        self.rows = again.rows;
        self.error = again.error;
        self.done = None;
        self.selected = name
            .and_then(|n| self.shown().position(|r| r.name == n))
            .unwrap_or(0);
        self
    }

    /// The rows the filter lets through.
    pub fn shown(&self) -> impl Iterator<Item = &Row> {
        let f = self.filter.to_lowercase();
        self.rows.iter().filter(move |r| {
            f.is_empty()
                || [&r.name, &r.state, &r.model, &r.source]
                    .iter()
                    .any(|c| c.to_lowercase().contains(&f))
        })
    }

    pub fn current(&self) -> Option<&Row> {
        self.shown().nth(self.selected)
    }

    /// The key's action here, if any.
    pub fn action(k: KeyEvent) -> Option<Action> {
        super::keymap::key_in(&[KEYS, TEXT], k)
    }

    /// What an action does to the list.
    pub fn key(&mut self, action: Action) {
        let count = self.shown().count();
        let last = count.saturating_sub(1);
        let page = self.page.max(1);
        match action {
            Action::Input(c) => {
                self.filter.push(c);
                self.selected = 0;
            }
            Action::Backspace => {
                self.filter.pop();
                self.selected = 0;
            }
            Action::ClearLine => {
                self.filter.clear();
                self.selected = 0;
            }
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::PageUp => self.selected = self.selected.saturating_sub(page),
            Action::PageDown => self.selected = (self.selected + page).min(last),
            Action::Home => self.selected = 0,
            Action::End => self.selected = last,
            Action::Submit => {
                if let Some(r) = self.current() {
                    self.done = Some(Done::Open(r.name.clone()));
                }
            }
            Action::Cancel if !self.filter.is_empty() => {
                self.filter.clear();
                self.selected = 0;
            }
            Action::Cancel | Action::Quit => self.done = Some(Done::Quit),
            _ => {}
        }
    }

    /// Draws the list over the whole screen.
    pub fn draw(&mut self, f: &mut Frame, t: &Theme) {
        let area = f.area();
        let [head, body, bar] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        let width = area.width as usize;
        // The top border and the column heads take two lines.
        self.page = (body.height as usize).saturating_sub(2).max(1);
        let shown: Vec<&Row> = self.shown().collect();
        self.draw_head(f, t, head, shown.len(), width);
        self.draw_table(f, t, body, &shown, width);
        self.draw_bar(f, t, bar, width);
    }

    /// The URI, how many domains are shown of how many, and the filter.
    fn draw_head(&self, f: &mut Frame, t: &Theme, head: Rect, shown: usize, width: usize) {
        let title = Line::from(vec![
            Span::styled("Domains at ", t.title()),
            Span::styled(text::visible(&self.uri).into_owned(), t.title()),
            Span::raw(format!("  {} of {}", shown, self.rows.len())),
        ]);
        let filter = Line::from(vec![
            Span::styled("filter: ", t.label()),
            Span::raw(text::visible(&self.filter).into_owned()),
            Span::styled("▏", t.key()),
        ]);
        f.render_widget(
            Paragraph::new(vec![
                text::clip_line(title, width),
                text::clip_line(filter, width),
            ]),
            head,
        );
    }

    /// The columns and a row a domain, the selected one in view.
    fn draw_table(&self, f: &mut Frame, t: &Theme, body: Rect, shown: &[&Row], width: usize) {
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(t.border(true));
        let inner = block.inner(body);
        f.render_widget(block, body);
        let rows_room = (inner.height as usize).saturating_sub(1);
        let w = |get: fn(&Row) -> &str, head: &str, cap: usize| {
            shown
                .iter()
                .map(|r| get(r).chars().count())
                .chain([head.chars().count()])
                .max()
                .unwrap_or(0)
                .min(cap)
        };
        let widths = [
            w(|r| &r.name, "NAME", 32),
            w(|r| &r.state, "STATE", 12),
            w(|r| &r.model, "MODEL", 28),
            w(|r| &r.source, "SOURCE", 14),
        ];
        let cells = |cols: [&str; 5]| {
            let mut s = String::new();
            for (c, w) in cols.iter().zip(widths) {
                let c: String = c.chars().take(w).collect();
                s.push_str(&c);
                s.push_str(&" ".repeat(w - c.chars().count() + 2));
            }
            s.push_str(cols[4]);
            s
        };
        let mut lines = vec![text::clip_line(
            Line::from(Span::styled(
                cells(["NAME", "STATE", "MODEL", "SOURCE", "PROBLEMS"]),
                t.label(),
            )),
            width,
        )];
        if let Some(e) = &self.error {
            lines.push(Line::from(Span::styled(
                text::visible(&format!("libvirt did not answer: {e}")).into_owned(),
                t.error(),
            )));
        } else if shown.is_empty() {
            let said = if self.rows.is_empty() {
                "no domains defined here"
            } else {
                "no domain matches the filter (Esc clears it)"
            };
            lines.push(Line::from(Span::styled(said, t.dim())));
        }
        let top = self.selected.saturating_sub(rows_room.saturating_sub(1));
        for (i, r) in shown.iter().enumerate().skip(top).take(rows_room) {
            let vis = |s: &str| text::visible(s).into_owned();
            let line = cells([
                &vis(&r.name),
                &vis(&r.state),
                &vis(&r.model),
                &vis(&r.source),
                &vis(&r.problems),
            ]);
            let style = if i == self.selected {
                t.selected()
            } else if r.problems.starts_with("error") {
                t.error()
            } else {
                ratatui::style::Style::default()
            };
            lines.push(text::clip_line(
                Line::from(Span::styled(line, style)),
                width,
            ));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }

    /// The last message, or the keys.
    fn draw_bar(&self, f: &mut Frame, t: &Theme, bar: Rect, width: usize) {
        if let Some(m) = &self.message {
            let said = Line::from(Span::styled(text::visible(m).into_owned(), t.error()));
            f.render_widget(Paragraph::new(text::clip_line(said, width)), bar);
            return;
        }
        let keys = Line::from(vec![
            Span::raw("type to filter  "),
            Span::styled("Enter", t.key()),
            Span::raw(" open (Esc there comes back)  "),
            Span::styled("Esc", t.key()),
            Span::raw(if self.filter.is_empty() {
                " quit"
            } else {
                " clear filter"
            }),
        ]);
        f.render_widget(Paragraph::new(text::clip_line(keys, width)), bar);
    }
}

/// A scanned domain as a row.
fn row(d: &crate::scan::DomainScan) -> Row {
    let model = d
        .model
        .clone()
        .or_else(|| d.mode.clone())
        .unwrap_or_else(|| "-".into());
    let mut problems = Vec::new();
    if let Some(e) = &d.error {
        problems.push(format!("error: {}", one_line(e)));
    } else {
        if d.errors > 0 || d.warnings > 0 {
            let first = d
                .diagnostics
                .iter()
                .find(|x| x.severity != Severity::Info)
                .map(|x| format!(": {}", x.code))
                .unwrap_or_default();
            let word = if d.errors > 0 { "errors" } else { "warnings" };
            problems.push(format!("{word} {}/{}{first}", d.errors, d.warnings));
        }
        if !d.taints.is_empty() {
            let names: Vec<&str> = d.taints.iter().map(|t| t.name).collect();
            problems.push(format!("taints {}", names.join(",")));
        }
    }
    Row {
        name: d.name.clone(),
        state: d.state.clone(),
        model,
        source: d.source.unwrap_or("-").to_string(),
        problems: problems.join("; "),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::keymap::parse_keys;

    fn list() -> DomainList {
        let row = |name: &str, model: &str| Row {
            name: name.into(),
            state: "shut off".into(),
            model: model.into(),
            source: "<cpu>".into(),
            problems: String::new(),
        };
        DomainList {
            uri: "test:///default".into(),
            rows: vec![
                row("alpha", "Skylake-Client"),
                row("beta", "EPYC"),
                row("gamma", "Skylake-Server"),
            ],
            ..Default::default()
        }
    }

    fn typed(l: &mut DomainList, keys: &str) {
        for k in parse_keys(keys) {
            if let Some(a) = DomainList::action(k) {
                l.key(a);
            }
        }
    }

    #[test]
    fn typing_filters_and_enter_opens_the_chosen_domain() {
        let mut l = list();
        typed(&mut l, "sky<down><ret>");
        assert_eq!(l.done, Some(Done::Open("gamma".into())));
    }

    #[test]
    fn esc_clears_the_filter_then_quits() {
        let mut l = list();
        typed(&mut l, "zz");
        assert_eq!(l.shown().count(), 0);
        typed(&mut l, "<esc>");
        assert_eq!((l.shown().count(), l.done.clone()), (3, None));
        typed(&mut l, "<esc>");
        assert_eq!(l.done, Some(Done::Quit));
    }

    /// On a domain opened from the list, Esc goes back, unless there are unsaved edits; opened
    /// otherwise, Esc on the panes does nothing.
    #[test]
    fn esc_on_a_domain_from_the_list_goes_back_unless_edited() {
        let catalog = crate::catalog::Catalog::embedded();
        let mut m = crate::tui::load(&Default::default(), catalog).unwrap();
        crate::tui::type_keys(&mut m, "<esc>", &mut Vec::new());
        assert_eq!((m.back, m.exit), (false, None));
        m.from_list = true;
        crate::tui::type_keys(&mut m, "1", &mut Vec::new());
        assert!(m.modified, "the first fix edits the demo");
        crate::tui::type_keys(&mut m, "<esc>", &mut Vec::new());
        assert_eq!((m.back, m.exit), (false, None));
        crate::tui::type_keys(&mut m, "u<esc>", &mut Vec::new());
        assert_eq!((m.back, m.exit), (true, Some(0)));
    }

    #[test]
    fn asked_again_the_selection_stays_on_its_name() {
        let mut l = list();
        typed(&mut l, "<down><down>");
        let mut again = list();
        again.rows.remove(0);
        let l = l.refreshed(again);
        assert_eq!(l.current().map(|r| r.name.as_str()), Some("gamma"));
    }
}

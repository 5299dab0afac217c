//! The domain list: `virt-cpu -c URI` without a file or `--domain` lists that host's domains,
//! and `-c A -c B …` every host's in one list with a host column (gathered by [`crate::scan`]:
//! a few `virsh` calls a host for all its domains, the hosts at once, behind the loading screen)
//! — name, host, state, model, source of the `-cpu`, taints and problems. A host that gives no
//! answer (within the timeout) is a line saying so, and the others' domains still come. Typing
//! filters, `Enter` opens the domain as `--domain NAME -c URI` does on its own host, and `Esc` on
//! the opened domain comes back here (that host asked again, so a define shows).
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
    /// The URI of the host that holds it, and that host's short name (as `scan` names it).
    pub uri: String,
    pub host: String,
    pub state: String,
    /// The model of its `-cpu` (or its mode when there is no model), `-` when none.
    pub model: String,
    /// Where the `-cpu` comes from (`<cpu>`, `<qemu:cpu>`, …), `-` when none.
    pub source: String,
    /// Errors/warnings, the taints, the first problem; empty when all is well.
    pub problems: String,
}

/// A host of the list: its short name, its URI, and why it gave no answer, when it did not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Host {
    pub label: String,
    pub uri: String,
    pub error: Option<String>,
}

/// The list (by name, then host), its filter and the selection (an index into
/// [`DomainList::shown`]).
#[derive(Debug, Clone, Default)]
pub struct DomainList {
    pub hosts: Vec<Host>,
    pub rows: Vec<Row>,
    pub filter: String,
    pub selected: usize,
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
    /// The URI of the domain's host, and its name.
    Open(String, String),
}

/// The list's keys: the text field's and these.
pub const KEYS: &[Binding] = &[
    Binding {
        keys: &[(Key::Typed, Action::Input(TYPED))],
        when: When::Always,
        shown: "a-z",
        help: "filter: the domains whose name, host, state or model holds what is typed",
        readme: "filter as you type: the domains whose name, host, state, model or source holds the text (any case); `Backspace` `Ctrl-U` edit it",
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
        help: "open the domain, as --domain NAME -c URI does on its host (w defines it)",
        readme: "open the domain as `virt-cpu --domain NAME -c URI` does with its host's URI (`w` defines it there); there `Esc` comes back to the list, that host asked again (with unsaved edits it asks first: `w` defines and goes back, `D` goes back without them)",
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
    /// The list of the domains a scan found, with its hosts (those that did not answer too).
    pub fn from_scan(scan: &Scan) -> DomainList {
        let hosts: Vec<Host> = scan
            .hosts
            .iter()
            .map(|h| Host {
                label: h.label.clone(),
                uri: h.uri.clone(),
                error: h.error.clone(),
            })
            .collect();
        let mut list = DomainList {
            hosts,
            ..Default::default()
        };
        list.rows = scan.domains.iter().map(|d| list.row(d)).collect();
        list.sort();
        list
    }

    /// `uri` asked again (the host of a domain opened from here): its rows and its answer
    /// change, the other hosts' stay; the filter stays, the selection stays on the same domain.
    pub fn refresh_host(&mut self, uri: &str, again: &Scan) {
        let was = self.current().map(|r| (r.uri.clone(), r.name.clone()));
        let error = again
            .hosts
            .iter()
            .find(|h| h.uri == uri)
            .and_then(|h| h.error.clone());
        if let Some(h) = self.hosts.iter_mut().find(|h| h.uri == uri) {
            h.error = error;
        }
        self.rows.retain(|r| r.uri != uri);
        let fresh: Vec<Row> = again
            .domains
            .iter()
            .filter(|d| d.host == uri)
            .map(|d| self.row(d))
            .collect();
        self.rows.extend(fresh);
        self.sort();
        self.done = None;
        self.selected = was
            .and_then(|(u, n)| self.shown().position(|r| r.uri == u && r.name == n))
            .unwrap_or(0);
    }

    /// By name, then in the order the hosts were given.
    fn sort(&mut self) {
        let place = |uri: &str| self.hosts.iter().position(|h| h.uri == uri);
        let mut rows = std::mem::take(&mut self.rows);
        rows.sort_by(|a, b| (&a.name, place(&a.uri)).cmp(&(&b.name, place(&b.uri))));
        self.rows = rows;
    }

    fn row(&self, d: &crate::scan::DomainScan) -> Row {
        row_of(&self.hosts, d)
    }

    /// Whether the list has more than one host (then it shows a host column).
    pub fn several(&self) -> bool {
        self.hosts.len() > 1
    }

    /// The rows the filter lets through.
    pub fn shown(&self) -> impl Iterator<Item = &Row> {
        let f = self.filter.to_lowercase();
        self.rows.iter().filter(move |r| {
            f.is_empty()
                || [&r.name, &r.host, &r.state, &r.model, &r.source]
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
                    self.done = Some(Done::Open(r.uri.clone(), r.name.clone()));
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
        // With several hosts a third line names each host's URI.
        let head_lines = if self.several() { 3 } else { 2 };
        let [head, body, bar] = Layout::vertical([
            Constraint::Length(head_lines),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        let width = area.width as usize;
        let failed = self.hosts.iter().filter(|h| h.error.is_some()).count();
        // The top border, the column heads and a line a silent host take their lines.
        self.page = (body.height as usize).saturating_sub(2 + failed).max(1);
        let shown: Vec<&Row> = self.shown().collect();
        self.draw_head(f, t, head, shown.len(), width);
        self.draw_table(f, t, body, &shown, width);
        self.draw_bar(f, t, bar, width);
    }

    /// The host(s), how many domains are shown of how many, and the filter.
    fn draw_head(&self, f: &mut Frame, t: &Theme, head: Rect, shown: usize, width: usize) {
        let at = match self.hosts.as_slice() {
            [one] => text::visible(&one.uri).into_owned(),
            more => format!("{} hosts", more.len()),
        };
        let title = Line::from(vec![
            Span::styled("Domains at ", t.title()),
            Span::styled(at, t.title()),
            Span::raw(format!("  {} of {}", shown, self.rows.len())),
        ]);
        let mut lines = vec![text::clip_line(title, width)];
        if self.several() {
            let mut legend = Vec::new();
            for (i, h) in self.hosts.iter().enumerate() {
                if i > 0 {
                    legend.push(Span::raw("  "));
                }
                legend.push(Span::styled(
                    text::visible(&h.label).into_owned(),
                    t.label(),
                ));
                legend.push(Span::raw(format!(" {}", text::visible(&h.uri))));
            }
            lines.push(text::clip_line(Line::from(legend), width));
        }
        let filter = Line::from(vec![
            Span::styled("filter: ", t.label()),
            Span::raw(text::visible(&self.filter).into_owned()),
            Span::styled("▏", t.key()),
        ]);
        lines.push(text::clip_line(filter, width));
        f.render_widget(Paragraph::new(lines), head);
    }

    /// The columns (HOST with several hosts), a line a host that gave no answer, and a row a
    /// domain, the selected one in view.
    fn draw_table(&self, f: &mut Frame, t: &Theme, body: Rect, shown: &[&Row], width: usize) {
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(t.border(true));
        let inner = block.inner(body);
        f.render_widget(block, body);
        let w = |get: fn(&Row) -> &str, head: &str, cap: usize| {
            shown
                .iter()
                .map(|r| get(r).chars().count())
                .chain([head.chars().count()])
                .max()
                .unwrap_or(0)
                .min(cap)
        };
        let several = self.several();
        type Column = (fn(&Row) -> &str, &'static str, usize);
        let mut columns: Vec<Column> = vec![(|r| &r.name, "NAME", 32)];
        if several {
            columns.push((|r| &r.host, "HOST", 16));
        }
        columns.push((|r| &r.state, "STATE", 12));
        columns.push((|r| &r.model, "MODEL", 28));
        columns.push((|r| &r.source, "SOURCE", 14));
        let widths: Vec<usize> = columns.iter().map(|(g, h, c)| w(*g, h, *c)).collect();
        // Every column but the last (PROBLEMS) padded to its width.
        let cells = |cols: &[String]| {
            let mut s = String::new();
            for (c, w) in cols.iter().zip(&widths) {
                let c: String = c.chars().take(*w).collect();
                s.push_str(&c);
                s.push_str(&" ".repeat(w - c.chars().count() + 2));
            }
            s.push_str(cols.last().map(String::as_str).unwrap_or_default());
            s
        };
        let mut heads: Vec<String> = columns.iter().map(|(_, h, _)| h.to_string()).collect();
        heads.push("PROBLEMS".into());
        let mut lines = vec![text::clip_line(
            Line::from(Span::styled(cells(&heads), t.label())),
            width,
        )];
        let mut said = 0;
        for h in &self.hosts {
            let Some(e) = &h.error else { continue };
            let who = match several {
                true => format!("{} ({})", h.label, h.uri),
                false => h.uri.clone(),
            };
            // The scan's error may begin with the URI, said already.
            let e = e.strip_prefix(&format!("{}: ", h.uri)).unwrap_or(e);
            let line = format!("libvirt at {who} gave no answer: {}", one_line(e));
            lines.push(text::clip_line(
                Line::from(Span::styled(text::visible(&line).into_owned(), t.error())),
                width,
            ));
            said += 1;
        }
        if shown.is_empty() && said < self.hosts.len() {
            let what = if self.rows.is_empty() {
                "no domains defined here"
            } else {
                "no domain matches the filter (Esc clears it)"
            };
            lines.push(Line::from(Span::styled(what, t.dim())));
        }
        let rows_room = (inner.height as usize).saturating_sub(1 + said);
        let top = self.selected.saturating_sub(rows_room.saturating_sub(1));
        for (i, r) in shown.iter().enumerate().skip(top).take(rows_room) {
            let vis = |s: &str| text::visible(s).into_owned();
            let mut cols: Vec<String> = columns.iter().map(|(g, _, _)| vis(g(r))).collect();
            cols.push(vis(&r.problems));
            let style = if i == self.selected {
                t.selected()
            } else if r.problems.starts_with("error") {
                t.error()
            } else {
                ratatui::style::Style::default()
            };
            lines.push(text::clip_line(
                Line::from(Span::styled(cells(&cols), style)),
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

/// A scanned domain as a row, its host named as `hosts` names it.
fn row_of(hosts: &[Host], d: &crate::scan::DomainScan) -> Row {
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
            let counts: Vec<String> = [(d.errors, "error"), (d.warnings, "warning")]
                .into_iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, word)| counted(n, word))
                .collect();
            problems.push(format!("{}{first}", counts.join(", ")));
        }
        if !d.taints.is_empty() {
            let names: Vec<&str> = d.taints.iter().map(|t| t.name).collect();
            problems.push(format!("taints {}", names.join(",")));
        }
    }
    let host = hosts
        .iter()
        .find(|h| h.uri == d.host)
        .map_or_else(|| d.host.clone(), |h| h.label.clone());
    Row {
        name: d.name.clone(),
        uri: d.host.clone(),
        host,
        state: d.state.clone(),
        model,
        source: d.source.unwrap_or("-").to_string(),
        problems: problems.join("; "),
    }
}

/// `1 warning`, `2 errors`: a count a reader cannot take for a fraction.
fn counted(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{DomainScan, HostScan};
    use crate::tui::keymap::parse_keys;

    const A: &str = "qemu+ssh://a/system";
    const B: &str = "qemu+ssh://b/system";

    fn host(uri: &str, label: &str, error: Option<&str>) -> HostScan {
        HostScan {
            uri: uri.into(),
            label: label.into(),
            libvirt: None,
            qemu: None,
            follows: None,
            error: error.map(str::to_string),
            domains: 0,
            seconds: 0.0,
        }
    }

    fn domain(uri: &str, name: &str, model: &str) -> DomainScan {
        DomainScan {
            host: uri.into(),
            name: name.into(),
            uuid: String::new(),
            state: "shut off".into(),
            error: None,
            source: Some("cpu"),
            mode: Some("custom".into()),
            model: Some(model.into()),
            value: Some(model.into()),
            taints: Vec::new(),
            errors: 0,
            warnings: 0,
            diagnostics: Vec::new(),
            placements: Vec::new(),
            upgrade: None,
            move_to: None,
            only_32bit_pool: false,
        }
    }

    /// Two hosts: alpha on a, beta and gamma on b, and gamma on a too.
    fn scan() -> Scan {
        Scan {
            hosts: vec![host(A, "a", None), host(B, "b", None)],
            domains: vec![
                domain(B, "gamma", "Skylake-Server"),
                domain(A, "alpha", "Skylake-Client"),
                domain(B, "beta", "EPYC"),
                domain(A, "gamma", "Nehalem"),
            ],
            upgrade_to: None,
            pools: Vec::new(),
        }
    }

    fn typed(l: &mut DomainList, keys: &str) {
        for k in parse_keys(keys) {
            if let Some(a) = DomainList::action(k) {
                l.key(a);
            }
        }
    }

    fn names(l: &DomainList) -> Vec<(String, String)> {
        l.shown()
            .map(|r| (r.name.clone(), r.host.clone()))
            .collect()
    }

    #[test]
    fn every_hosts_domains_in_one_list_by_name_then_host() {
        let l = DomainList::from_scan(&scan());
        let pair = |n: &str, h: &str| (n.to_string(), h.to_string());
        assert_eq!(
            names(&l),
            [
                pair("alpha", "a"),
                pair("beta", "b"),
                pair("gamma", "a"),
                pair("gamma", "b")
            ]
        );
    }

    #[test]
    fn typing_filters_and_enter_opens_the_chosen_domain_on_its_host() {
        let mut l = DomainList::from_scan(&scan());
        typed(&mut l, "sky<down><ret>");
        assert_eq!(l.done, Some(Done::Open(B.into(), "gamma".into())));
    }

    /// The problems column counts in words: `1 warning`, not `warnings 0/1` (read as "0 of 1").
    #[test]
    fn problems_count_errors_and_warnings_in_words() {
        let diag = |sev: Severity, code: &'static str| {
            crate::check::Diagnostic::new(code, sev, "message".to_string())
        };
        let mut one_warning = domain(A, "w", "Nehalem");
        one_warning.warnings = 1;
        one_warning.diagnostics = vec![diag(Severity::Warning, "model-unusable-on-host")];
        let mut both = domain(A, "e", "Nehalem");
        both.errors = 2;
        both.warnings = 1;
        both.diagnostics = vec![diag(Severity::Error, "unknown-model")];
        let mut errors_only = domain(A, "o", "Nehalem");
        errors_only.errors = 1;
        errors_only.diagnostics = vec![diag(Severity::Error, "unknown-model")];
        let problems = |d: &DomainScan| row_of(&[], d).problems;
        assert_eq!(problems(&one_warning), "1 warning: model-unusable-on-host");
        assert_eq!(problems(&both), "2 errors, 1 warning: unknown-model");
        assert_eq!(problems(&errors_only), "1 error: unknown-model");
    }

    #[test]
    fn the_filter_matches_the_host_too() {
        let mut l = DomainList::from_scan(&scan());
        typed(&mut l, "b");
        let shown: Vec<String> = l
            .shown()
            .map(|r| format!("{}@{}", r.name, r.host))
            .collect();
        assert_eq!(shown, ["beta@b", "gamma@b"]);
    }

    #[test]
    fn esc_clears_the_filter_then_quits() {
        let mut l = DomainList::from_scan(&scan());
        typed(&mut l, "zz");
        assert_eq!(l.shown().count(), 0);
        typed(&mut l, "<esc>");
        assert_eq!((l.shown().count(), l.done.clone()), (4, None));
        typed(&mut l, "<esc>");
        assert_eq!(l.done, Some(Done::Quit));
    }

    /// On a domain opened from the list, Esc goes back; with unsaved edits it asks first (`D`
    /// goes back without them, Esc stays); opened otherwise, Esc on the panes does nothing.
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
        assert!(
            matches!(m.overlay, Some(crate::tui::dialogs::Overlay::ConfirmQuit)),
            "asks"
        );
        assert!(crate::tui::tests::screen(&m, 100, 30).contains("D go back without saving"));
        // Esc keeps editing: still here, and a later q quits rather than goes back.
        crate::tui::type_keys(&mut m, "<esc>", &mut Vec::new());
        assert_eq!((m.back, m.exit, m.overlay.is_none()), (false, None, true));
        crate::tui::type_keys(&mut m, "u<esc>", &mut Vec::new());
        assert_eq!((m.back, m.exit), (true, Some(0)));
        // Edited again: D goes back without the edits.
        let mut m = crate::tui::load(&Default::default(), catalog).unwrap();
        m.from_list = true;
        crate::tui::type_keys(&mut m, "1<esc>D", &mut Vec::new());
        assert_eq!((m.back, m.exit), (true, Some(0)));
        // q there still quits the program.
        let mut m = crate::tui::load(&Default::default(), catalog).unwrap();
        m.from_list = true;
        crate::tui::type_keys(&mut m, "1<esc><esc>qD", &mut Vec::new());
        assert_eq!((m.back, m.exit), (false, Some(0)));
    }

    /// Back from a domain, its host alone is asked again: that host's rows change, the other
    /// host's stay, and the selection stays on the same domain of the same host.
    #[test]
    fn asked_again_one_hosts_rows_change_and_the_selection_stays() {
        let mut l = DomainList::from_scan(&scan());
        typed(&mut l, "<down><down><down>");
        assert_eq!(
            l.current().map(|r| (r.name.as_str(), r.uri.as_str())),
            Some(("gamma", B))
        );
        let again = Scan {
            hosts: vec![host(A, "#1", None)],
            domains: vec![domain(A, "delta", "Westmere")],
            upgrade_to: None,
            pools: Vec::new(),
        };
        l.refresh_host(A, &again);
        let pair = |n: &str, h: &str| (n.to_string(), h.to_string());
        // The host keeps its name in the list (`a`), not the one-host scan's (`#1`).
        assert_eq!(
            names(&l),
            [pair("beta", "b"), pair("delta", "a"), pair("gamma", "b")]
        );
        assert_eq!(
            l.current().map(|r| (r.name.as_str(), r.uri.as_str())),
            Some(("gamma", B))
        );
    }

    /// The screen's text, drawn at `width`×`height`.
    fn drawn(l: &mut DomainList, width: u16, height: u16) -> String {
        let mut term =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
        let theme = Theme::from_env();
        term.draw(|f| l.draw(f, &theme)).unwrap();
        let buf = term.backend().buffer();
        (0..height)
            .map(|y| {
                let line: String = (0..width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect();
                line.trim_end().to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A host that gave no answer is a line saying so; the other's domains are listed, with a
    /// host column and each host's URI named.
    #[test]
    fn a_silent_host_is_a_line_and_the_others_domains_still_list() {
        let mut s = scan();
        s.hosts[1].error = Some(format!("{B}: `virsh … version` did not answer within 1 s"));
        s.domains.retain(|d| d.host == A);
        let mut l = DomainList::from_scan(&s);
        let screen = drawn(&mut l, 100, 12);
        assert!(screen.contains("Domains at 2 hosts  2 of 2"), "{screen}");
        assert!(screen.contains(&format!("a {A}  b {B}")), "{screen}");
        assert!(screen.contains("NAME   HOST  STATE"), "{screen}");
        assert!(
            screen.contains(&format!("libvirt at b ({B}) gave no answer: `virsh")),
            "{screen}"
        );
        assert!(screen.contains("alpha  a     shut off"), "{screen}");
        assert!(screen.contains("gamma  a     shut off"), "{screen}");
        // One host: no host column, as before.
        let mut one = DomainList::from_scan(&Scan {
            hosts: vec![host(A, "a", None)],
            ..s
        });
        let screen = drawn(&mut one, 100, 12);
        assert!(
            screen.contains(&format!("Domains at {A}  2 of 2")),
            "{screen}"
        );
        assert!(screen.contains("NAME   STATE"), "{screen}");
    }
}

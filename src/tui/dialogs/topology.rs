//! The CPU topology and vCPU count (`t`): sockets, dies, (clusters,) cores, threads and
//! `<vcpu>`, edited as numbers. libvirt requires the topology's product to be the maximum vCPU
//! count: the window says so live, `v` makes `<vcpu>` the product, and Enter writes only a
//! topology libvirt takes.

use super::{Outcome, window};
use crate::edit::{Edit, Topology};
use crate::tui::app::{Action, AppState};
use crate::tui::keymap::{Binding, Key, TYPED};
use crate::tui::theme::Theme;
use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopologyDialog {
    /// (name, value as typed), in libvirt's order; `vcpus` last.
    pub fields: Vec<(&'static str, String)>,
    pub selected: usize,
    /// Why Enter wrote nothing.
    pub refused: Option<String>,
    /// The selected field is not typed into yet: its number is pre-filled, so the first digit
    /// replaces it (as in a selected text field) and further digits append.
    pub fresh: bool,
}

pub const KEYS: &[Binding] = &[Binding::keys(&[
    (Key::Code(KeyCode::Tab), Action::Down),
    (Key::Code(KeyCode::BackTab), Action::Up),
    (Key::Code(KeyCode::Backspace), Action::Backspace),
    (Key::Ctrl('u'), Action::ClearLine),
    (Key::Typed, Action::Input(TYPED)),
])];

const VCPUS: &str = "vcpu";

impl TopologyDialog {
    /// The document's values: its `<topology>` (absent attributes are 1), or one socket of
    /// `<vcpu>` cores; its `<vcpu>` (1 without).
    pub fn new(s: &AppState) -> TopologyDialog {
        let dom = &s.state.dom;
        let vcpus = dom
            .vcpu
            .as_ref()
            .map_or_else(|| "1".to_string(), |v| v.max.trim().to_string());
        let one = |v: &Option<String>| v.as_deref().map_or("1", str::trim).to_string();
        let mut fields = match dom.cpu.as_ref().and_then(|c| c.topology.as_ref()) {
            Some(t) => {
                let mut f = vec![("sockets", one(&t.sockets)), ("dies", one(&t.dies))];
                if t.clusters.is_some() {
                    f.push(("clusters", one(&t.clusters)));
                }
                f.extend([("cores", one(&t.cores)), ("threads", one(&t.threads))]);
                f
            }
            None => vec![
                ("sockets", "1".into()),
                ("dies", "1".into()),
                ("cores", vcpus.clone()),
                ("threads", "1".into()),
            ],
        };
        fields.push((VCPUS, vcpus));
        TopologyDialog {
            fields,
            selected: 0,
            refused: None,
            fresh: true,
        }
    }

    fn value(&self, name: &str) -> Option<u32> {
        let (_, v) = self.fields.iter().find(|(n, _)| *n == name)?;
        v.parse().ok().filter(|&n| n > 0)
    }

    /// The topology typed, if every number is one libvirt takes (1 or more).
    pub fn topology(&self) -> Option<Topology> {
        Some(Topology {
            sockets: self.value("sockets")?,
            dies: self.value("dies")?,
            clusters: match self.fields.iter().any(|(n, _)| *n == "clusters") {
                true => Some(self.value("clusters")?),
                false => None,
            },
            cores: self.value("cores")?,
            threads: self.value("threads")?,
        })
    }

    /// What libvirt would say of the numbers typed (`None`: it takes them).
    pub fn problem(&self) -> Option<String> {
        let Some(t) = self.topology() else {
            return Some("each number must be 1 or more".into());
        };
        let Some(vcpus) = self.value(VCPUS) else {
            return Some("the vCPU count must be 1 or more".into());
        };
        (t.product() != u64::from(vcpus)).then(|| {
            format!(
                "libvirt refuses: CPU topology doesn't match maximum vcpu count ({} ≠ {vcpus}) — \
                 v makes <vcpu> {}",
                t.product(),
                t.product()
            )
        })
    }

    pub fn key(&mut self, s: &mut AppState, action: Action) -> Outcome {
        self.refused = None;
        let last = self.fields.len() - 1;
        match action {
            Action::Cancel => return Outcome::close(),
            Action::Up => {
                self.selected = self.selected.checked_sub(1).unwrap_or(last);
                self.fresh = true;
            }
            Action::Down => {
                self.selected = if self.selected == last {
                    0
                } else {
                    self.selected + 1
                };
                self.fresh = true;
            }
            Action::Input(c) if c.is_ascii_digit() => {
                let field = &mut self.fields[self.selected].1;
                if std::mem::take(&mut self.fresh) {
                    field.clear();
                }
                if field.len() < 10 {
                    field.push(c);
                }
            }
            Action::Input('v') => {
                if let Some(t) = self
                    .topology()
                    .filter(|t| t.product() <= u64::from(u32::MAX))
                {
                    self.fields[last].1 = t.product().to_string();
                }
            }
            Action::Input('q') => return Outcome::close(),
            Action::Backspace => {
                self.fresh = false;
                self.fields[self.selected].1.pop();
            }
            Action::ClearLine => {
                self.fresh = false;
                self.fields[self.selected].1.clear();
            }
            Action::Submit => return self.apply(s),
            _ => {}
        }
        Outcome::Keep
    }

    fn apply(&mut self, s: &mut AppState) -> Outcome {
        if let Some(p) = self.problem() {
            self.refused = Some(p);
            return Outcome::Keep;
        }
        let (Some(t), Some(n)) = (self.topology(), self.value(VCPUS)) else {
            return Outcome::Keep;
        };
        let vcpus_now = s.state.dom.vcpu.as_ref().map(|v| v.max.trim().to_string());
        let mut edits = Vec::new();
        if vcpus_now.as_deref() != Some(n.to_string().as_str()) {
            edits.push(Edit::SetVcpus(n));
        }
        edits.push(Edit::SetTopology(t));
        if s.edit_all(&edits) {
            s.say_edited(format!("<cpu> topology → {t}, <vcpu> {n} (u undoes)"));
        }
        Outcome::close()
    }

    pub fn draw(&self, f: &mut Frame, t: &Theme, area: Rect) {
        let mut lines = Vec::new();
        for (i, (name, value)) in self.fields.iter().enumerate() {
            let label = if *name == VCPUS { "<vcpu>" } else { name };
            let style = if i == self.selected {
                t.selected()
            } else {
                t.value()
            };
            let cursor = if i == self.selected { "▏" } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!("  {label:<9} "), t.label()),
                Span::styled(format!("{value}{cursor}"), style),
            ]));
        }
        lines.push(Line::raw(""));
        match (
            self.topology(),
            self.refused.as_ref().or(self.problem().as_ref()),
        ) {
            (_, Some(p)) => {
                let mut spans = Vec::new();
                if self.refused.is_some() {
                    spans.push(Span::styled(
                        "Enter refused, nothing written — change a number, v, or Esc: ",
                        t.error().add_modifier(ratatui::style::Modifier::BOLD),
                    ));
                }
                spans.push(Span::styled(p.clone(), t.error()));
                lines.push(Line::from(spans));
            }
            (Some(topo), None) => lines.push(Line::styled(
                format!("{} vCPUs = <vcpu>: libvirt takes it", topo.product()),
                t.added(),
            )),
            (None, None) => {}
        }
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled("↑↓", t.key()),
            Span::raw(" field  "),
            Span::styled("0-9", t.key()),
            Span::raw(" type  "),
            Span::styled("v", t.key()),
            Span::raw(" <vcpu> = product  "),
            Span::styled("Enter", t.key()),
            Span::raw(" write  "),
            Span::styled("Esc", t.key()),
            Span::raw(" cancel"),
        ]));
        // The refusal wraps over up to three rows (its reason is libvirt's whole sentence).
        let wrapped = if self.refused.is_some() { 3 } else { 1 };
        let h = lines.len() as u16 + 2 + wrapped;
        window(f, area, (76, h), " topology and vCPUs ", lines);
    }
}

//! The feature list overlay: every feature of the catalog for the pane, whether the model has
//! it, and how the document sets it.

use super::popup;
use crate::domain::PolicyEffect;
use crate::tui::app::{AppState, Pane};
use crate::tui::features::{FeatureList, Setting, in_model, is_on, setting};
use crate::tui::text::{clip, visible};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

pub fn draw(f: &mut Frame, m: &AppState, l: &FeatureList, t: &Theme, area: Rect) {
    let r = popup(f, area, 72, area.height.saturating_sub(2));
    let keys = match l.pane {
        Pane::Cpu => "Space toggle · p policy · Del unset · / · Esc",
        Pane::Qemu => "Space on/off · Del unset · / search · Esc",
    };
    let block = Block::bordered().title(Span::styled(
        format!(" {} features — {keys} ", l.pane.title()),
        t.title(),
    ));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let [query, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let model = m
        .model_of(l.pane)
        .map(|n| visible(&n).into_owned())
        .unwrap_or_else(|| "no model".into());
    let mut q = vec![
        Span::styled("/ ", t.key()),
        Span::raw(visible(&l.query).into_owned()),
    ];
    if l.searching {
        q.push(Span::styled("▏", t.key()));
    }
    q.push(Span::styled(
        format!("  {}/{} · model {model}", l.list.order.len(), l.list.len()),
        t.dim(),
    ));
    f.render_widget(Paragraph::new(Line::from(q)), query);

    let h = body.height as usize;
    let w = body.width as usize;
    let dom = &m.state.dom;
    let lines: Vec<Line> = l
        .list
        .window(l.selected, h)
        .map(|(pos, i)| {
            let name = l.list.name(i);
            let has = match in_model(m.catalog, dom, l.pane, name) {
                Some(true) => "in model",
                Some(false) => "",
                None => "",
            };
            let set = setting(dom, l.pane, name);
            let style = match is_on(&set) {
                Some(true) => t.added(),
                Some(false) => t.removed(),
                None => t.dim(),
            };
            let (set, style) = match set {
                Setting::Absent => (String::new(), style),
                Setting::Policy(Ok(p)) if p.effect() == PolicyEffect::OnIfHostHas => {
                    (p.name().to_string(), t.warning())
                }
                Setting::Policy(Ok(p)) => (p.name().to_string(), style),
                Setting::Policy(Err(raw)) => (visible(&raw).into_owned(), t.error()),
                Setting::Value(v) => {
                    let v = v
                        .map(|v| visible(&v).into_owned())
                        .unwrap_or_else(|| "(bare)".into());
                    (format!("={v}"), style)
                }
            };
            let text = clip(&format!(" {name:<28} {has:<9} "), w).into_owned();
            if pos == l.selected {
                Line::styled(format!("{:<w$}", format!("{text}{set}")), t.selected())
            } else {
                Line::from(vec![Span::raw(text), Span::styled(set, style)])
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), body);
}

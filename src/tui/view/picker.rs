//! The model picker overlay: the query, the filtered models (best match first) and a preview of
//! the selected model's features and their difference from the pane's current model.

use super::popup;
use crate::tui::app::AppState;
use crate::tui::picker::{Picker, preview};
use crate::tui::text::{clip, visible};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

pub fn draw(f: &mut Frame, m: &AppState, p: &Picker, t: &Theme, area: Rect) {
    let r = popup(
        f,
        area,
        area.width.saturating_sub(4).min(120),
        area.height.saturating_sub(2),
    );
    let title = format!(
        " {} model — type to filter · ↑↓ · Enter apply · Esc cancel ",
        p.pane.title()
    );
    let block = Block::bordered().title(Span::styled(title, t.title()));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let [query, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let count = format!("  {}/{}", p.list.order.len(), p.items.len());
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("› ", t.key()),
            Span::raw(visible(&p.query).into_owned()),
            Span::styled("▏", t.key()),
            Span::styled(count, t.dim()),
        ])),
        query,
    );
    let [list, prev] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
    draw_list(f, p, t, list);
    draw_preview(f, m, p, t, prev);
}

fn draw_list(f: &mut Frame, p: &Picker, t: &Theme, area: Rect) {
    let h = area.height as usize;
    let w = area.width as usize;
    let lines: Vec<Line> = p
        .list
        .window(p.selected, h)
        .map(|(pos, i)| {
            let it = &p.items[i];
            let mut flags = String::new();
            if it.deprecated {
                flags.push_str(" deprecated");
            }
            match it.usable {
                Some(true) => flags.push_str(" ✓host"),
                Some(false) => flags.push_str(" ✗host"),
                None => {}
            }
            let current = if p.current.as_deref() == Some(it.name.as_str()) {
                "*"
            } else {
                " "
            };
            let text = format!(
                "{current}{:<26} {:<6} {:>3}f {:<12}{flags}",
                it.name,
                it.vendor.as_deref().unwrap_or("-"),
                it.features,
                it.note
            );
            let text = clip(&text, w).into_owned();
            if pos == p.selected {
                Line::styled(format!("{text:<w$}"), t.selected())
            } else {
                Line::raw(text)
            }
        })
        .collect();
    let lines = if lines.is_empty() {
        vec![Line::styled("no model matches", t.dim())]
    } else {
        lines
    };
    f.render_widget(Paragraph::new(lines), area);
}

fn draw_preview(f: &mut Frame, m: &AppState, p: &Picker, t: &Theme, area: Rect) {
    let block = Block::new()
        .borders(Borders::LEFT)
        .border_style(t.border(false));
    let Some(item) = p.selected_item() else {
        f.render_widget(block, area);
        return;
    };
    let pv = preview(m.catalog, p.pane, &item.name, p.current.as_deref());
    let mut lines = vec![Line::styled(item.name.clone(), t.title())];
    if let Some(r) = &pv.resolves_to {
        lines.push(Line::styled(format!("= {r}"), t.label()));
    }
    let mut facts = vec![format!("{} features", pv.features.len())];
    if let Some(v) = &item.vendor {
        facts.push(v.clone());
    }
    if item.deprecated {
        facts.push("deprecated".into());
    }
    if let Some(u) = item.usable {
        facts.push(if u {
            "usable on the host".into()
        } else {
            "not usable on the host".into()
        });
    }
    lines.push(Line::raw(facts.join(" · ")));
    lines.push(Line::raw(""));
    if let Some(cur) = &p.current {
        if pv.has_current {
            lines.push(Line::styled(
                format!(
                    "vs {} (+{} −{})",
                    visible(cur),
                    pv.added.len(),
                    pv.removed.len()
                ),
                t.label(),
            ));
            if !pv.added.is_empty() {
                lines.push(Line::styled(format!("+ {}", pv.added.join(" ")), t.added()));
            }
            if !pv.removed.is_empty() {
                lines.push(Line::styled(
                    format!("− {}", pv.removed.join(" ")),
                    t.removed(),
                ));
            }
            if pv.added.is_empty() && pv.removed.is_empty() {
                lines.push(Line::styled("same features", t.dim()));
            }
        } else {
            lines.push(Line::styled(
                format!("current {} is not in the catalog", visible(cur)),
                t.warning(),
            ));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(pv.features.join(" "), t.dim()));
    f.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        area,
    );
}

//! The `<qemu:cpu>` pane: the QEMU model (what it resolves to, vendor, feature count) and the
//! options in document order, each said to be a feature (and what it changes) or a property.

use super::{against, kv, mark};
use crate::catalog::CpuOption;
use crate::domain::AgainstModel;
use crate::tui::app::AppState;
use crate::tui::text::visible;
use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};

pub fn lines(m: &AppState, t: &Theme) -> Vec<Line<'static>> {
    let Some(q) = &m.state.dom.qemu_cpu else {
        return vec![
            Line::styled("no <qemu:cpu> element", t.dim()),
            Line::raw("QEMU gets libvirt's -cpu from <cpu>."),
            Line::raw(""),
            Line::styled("m: pick a QEMU model (creates it)", t.dim()),
            Line::styled("x on <cpu>: move its model here", t.dim()),
        ];
    };
    let s = |v: &str| visible(v).into_owned();
    let qc = &m.catalog.qemu;
    let mut out = Vec::new();
    if q.models.is_empty() {
        out.push(kv(
            t,
            "model",
            vec![Span::styled("none — QEMU needs one", t.error())],
        ));
    }
    let mut model = None;
    for md in &q.models {
        let name = md.name.as_deref().map_or("(no name)".into(), s);
        out.push(kv(
            t,
            "model",
            vec![Span::styled(name, t.title()), mark(m, t, md.el)],
        ));
        if let Some(r) = md.name.as_deref().and_then(|n| qc.resolve_model(n)) {
            let mut info = Vec::new();
            if Some(r.name.as_str()) != md.name.as_deref() {
                info.push(format!("= {}", r.name));
            }
            if let Some(v) = r.vendor_short() {
                info.push(v.to_string());
            }
            info.push(format!("{} features", r.features.len()));
            if r.deprecated {
                info.push("deprecated".into());
            }
            out.push(kv(t, "", vec![Span::styled(info.join(" · "), t.label())]));
            model = model.or(Some(r));
        }
    }
    out.push(Line::raw(""));
    if q.options.is_empty() {
        out.push(Line::styled(
            "no options (f: features, e: name=value)",
            t.dim(),
        ));
        return out;
    }
    out.push(Line::styled(
        format!("options, in order ({})", q.options.len()),
        t.label(),
    ));
    for o in &q.options {
        let name = o.name.as_deref().unwrap_or_default();
        // `name=value` as `to_arg` writes it, each part cut to what a screen shows first.
        let arg = match &o.value {
            Some(v) => format!("{}={}", s(name), s(v)),
            None => s(name),
        };
        // QEMU rewrites `_` to `-` in property names.
        let option = qc
            .option(name)
            .or_else(|| qc.option(&name.replace('_', "-")));
        let (what, style) = match option {
            None => ("unknown".to_string(), t.error()),
            Some(CpuOption::Property(_)) => ("property".to_string(), t.label()),
            Some(CpuOption::Feature(feat)) => {
                let has = model.map(|md| qc.model_has(md, &feat.name));
                let (_, what, style) = against(AgainstModel::on(o.is_on(), has), t);
                (what.to_string(), style)
            }
        };
        out.push(Line::from(vec![
            Span::raw(format!(" {arg:<22} ")),
            Span::styled(what, style),
            mark(m, t, o.el),
        ]));
    }
    out
}

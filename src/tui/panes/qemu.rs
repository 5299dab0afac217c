//! The `<qemu:cpu>` pane: the QEMU model (what it resolves to, vendor, feature count) and the
//! options in document order, each said to be a feature (and what it changes) or a property.

use super::{against, kv, mark};
use crate::catalog::CpuOption;
use crate::domain::{AgainstModel, QemuCpu, QemuForm};
use crate::tui::app::AppState;
use crate::tui::text::visible;
use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};

pub fn lines(m: &AppState, t: &Theme) -> Vec<Line<'static>> {
    let Some(q) = m.state.dom.qemu() else {
        return vec![
            Line::styled("no <qemu:cpu> element", t.dim()),
            Line::raw("QEMU gets libvirt's -cpu from <cpu>."),
            Line::raw(""),
            Line::styled("m: pick a QEMU model (creates it)", t.dim()),
            Line::styled("x on <cpu>: move its model here", t.dim()),
        ];
    };
    let mut out = Vec::new();
    if q.form == QemuForm::Commandline {
        out.push(Line::styled(
            "-cpu passed by <qemu:commandline> (saved as it came)",
            t.label(),
        ));
    }
    if q.models.is_empty() {
        out.push(kv(
            t,
            "model",
            vec![Span::styled("none — QEMU needs one", t.error())],
        ));
    }
    let model = model_lines(m, t, q, &mut out);
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
    option_lines(m, t, q, model, &mut out);
    out
}

/// Each model with what the catalog says of it; returns the first one the catalog knows.
fn model_lines<'c>(
    m: &'c AppState,
    t: &Theme,
    q: &QemuCpu,
    out: &mut Vec<Line<'static>>,
) -> Option<&'c crate::catalog::QemuModel> {
    let s = |v: &str| visible(v).into_owned();
    let qc = &m.catalog.qemu;
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
    model
}

/// The options in order, each with what it is (property, feature against the model,
/// unknown), libvirt's appended run set apart.
fn option_lines(
    m: &AppState,
    t: &Theme,
    q: &QemuCpu,
    model: Option<&crate::catalog::QemuModel>,
    out: &mut Vec<Line<'static>>,
) {
    let s = |v: &str| visible(v).into_owned();
    let qc = &m.catalog.qemu;
    let appended = appended(m, q);
    for (k, o) in q.options.iter().enumerate() {
        if appended.as_ref().is_some_and(|r| r.start == k) {
            out.push(Line::styled(
                "libvirt's appended options (Hyper-V, KVM, …):",
                t.dim(),
            ));
        }
        if appended.as_ref().is_some_and(|r| r.end == k) {
            out.push(Line::styled("added after libvirt's:", t.dim()));
        }
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
}

/// The options of a commandline `-cpu` that are libvirt's appended flags (what `convert --to
/// commandline` merged in): the last run of them equal to what libvirt appends to its own
/// `-cpu` for this domain, in its order.
fn appended(m: &AppState, q: &QemuCpu) -> Option<std::ops::Range<usize>> {
    if q.form != QemuForm::Commandline {
        return None;
    }
    let flags: Vec<&str> = match &m.report.arg.libvirt {
        Ok(cpu) => cpu.flags.iter().map(|f| f.text.as_str()).collect(),
        Err(_) => return None,
    };
    let args: Vec<String> = q.options.iter().map(|o| o.to_arg()).collect();
    if flags.is_empty() || flags.len() > args.len() {
        return None;
    }
    (0..=args.len() - flags.len())
        .rev()
        .find(|&start| args[start..start + flags.len()].iter().eq(flags.iter()))
        .map(|start| start..start + flags.len())
}

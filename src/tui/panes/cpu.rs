//! The `<cpu>` pane: mode, match/check, model, vendor, topology, cache, NUMA, and each feature
//! with its effective state against the model.

use super::{kv, mark};
use crate::domain::{Policy, PolicyEffect};
use crate::tui::app::AppState;
use crate::tui::text::visible;
use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};

pub fn lines(m: &AppState, t: &Theme) -> Vec<Line<'static>> {
    let dom = &m.state.dom;
    let doc = &m.state.doc;
    let Some(cpu) = &dom.cpu else {
        let default = m
            .caps
            .default_model
            .clone()
            .unwrap_or_else(|| "qemu64".into());
        return vec![
            Line::styled("no <cpu> element", t.dim()),
            Line::raw(format!("libvirt uses its default model ({default})")),
            Line::raw(""),
            Line::styled("m: pick a model (creates <cpu>)", t.dim()),
        ];
    };
    let s = |v: &str| visible(v).into_owned();
    let mut out = Vec::new();
    let mode = cpu
        .mode
        .as_deref()
        .map_or_else(|| "custom (default)".to_string(), s);
    out.push(kv(t, "mode", vec![Span::raw(mode)]));
    let mut mc = Vec::new();
    if let Some(v) = &cpu.match_ {
        mc.push(format!("match {}", s(v)));
    }
    if let Some(v) = &cpu.check {
        mc.push(format!("check {}", s(v)));
    }
    if let Some(v) = &cpu.migratable {
        mc.push(format!("migratable {}", s(v)));
    }
    if !mc.is_empty() {
        out.push(kv(t, "", vec![Span::styled(mc.join(" · "), t.label())]));
    }
    match &cpu.model {
        Some(model) => {
            let mut spans = vec![Span::styled(s(&model.name), t.title())];
            if let Some(fb) = &model.fallback {
                spans.push(Span::styled(format!("  fallback {}", s(fb)), t.label()));
            }
            spans.push(mark(m, t, model.el));
            out.push(kv(t, "model", spans));
            if let Some(lm) = m.catalog.libvirt.model(&model.name) {
                let vendor = cpu
                    .vendor
                    .clone()
                    .or_else(|| lm.vendor.clone())
                    .unwrap_or_else(|| "any".into());
                out.push(kv(
                    t,
                    "vendor",
                    vec![Span::raw(format!(
                        "{} · {} features in the model",
                        s(&vendor),
                        lm.features.len()
                    ))],
                ));
            }
        }
        None => {
            let why = if dom.qemu_cpu.is_some() {
                "none — the model is in <qemu:cpu>"
            } else {
                "none"
            };
            out.push(kv(t, "model", vec![Span::styled(why, t.dim())]));
        }
    }
    if let Some(topo) = doc.plain_child(cpu.el, "topology") {
        let a = |n: &str| {
            doc.attr_value(topo, n)
                .map(|v| s(&v))
                .unwrap_or_else(|| "1".into())
        };
        let text = format!(
            "sockets {} dies {} cores {} threads {}",
            a("sockets"),
            a("dies"),
            a("cores"),
            a("threads")
        );
        out.push(kv(t, "topology", vec![Span::raw(text), mark(m, t, topo)]));
    }
    for c in &cpu.caches {
        let text = format!(
            "level {} · {}",
            c.level.as_deref().map_or("-".into(), s),
            c.mode.as_deref().map_or("-".into(), s)
        );
        out.push(kv(t, "cache", vec![Span::raw(text), mark(m, t, c.el)]));
    }
    if cpu.has_numa {
        out.push(kv(
            t,
            "numa",
            vec![Span::raw(format!("{} cell(s)", cpu.numa_cells.len()))],
        ));
    }
    if let Some(mpa) = &cpu.maxphysaddr {
        let text = format!(
            "{} {}",
            mpa.mode.as_deref().map_or("-".into(), s),
            mpa.bits.as_deref().map_or(String::new(), s)
        );
        out.push(kv(t, "physaddr", vec![Span::raw(text)]));
    }
    out.push(Line::raw(""));
    if cpu.features.is_empty() {
        out.push(Line::styled(
            "no <feature> elements (f: feature list)",
            t.dim(),
        ));
        return out;
    }
    out.push(Line::styled(
        format!("features ({})", cpu.features.len()),
        t.label(),
    ));
    let model = cpu
        .model
        .as_ref()
        .and_then(|md| m.catalog.libvirt.model(&md.name));
    for feat in &cpu.features {
        let name = feat.name.as_deref().map_or("(no name)".into(), s);
        // As written (a value libvirt refuses too), or the policy an absent attribute means.
        let policy = feat
            .policy
            .as_deref()
            .map_or(Policy::DEFAULT.name().into(), s);
        let has = model.map(|md| {
            md.features
                .iter()
                .any(|x| Some(x.as_str()) == feat.name.as_deref())
        });
        let (sign, state, style) = match (feat.known_policy().map(Policy::effect), has) {
            (Some(PolicyEffect::On), Some(true)) => ("·", "in model", t.dim()),
            (Some(PolicyEffect::On), _) => ("+", "added", t.added()),
            (Some(PolicyEffect::Off), Some(true)) => ("−", "removed", t.removed()),
            (Some(PolicyEffect::Off), _) => ("·", "not in model", t.dim()),
            // libvirt resolves `optional` against the host when the guest starts.
            (Some(PolicyEffect::OnIfHostHas), _) => ("?", "if host has it", t.warning()),
            (None, _) => ("!", "bad policy", t.error()),
        };
        out.push(Line::from(vec![
            Span::styled(format!(" {sign} "), style),
            Span::raw(format!("{name:<16} ")),
            Span::styled(format!("{policy:<8} "), t.label()),
            Span::styled(state, style),
            mark(m, t, feat.el),
        ]));
    }
    out
}

//! The `<cpu>` pane: mode, match/check, model, vendor, topology, cache, NUMA, and each feature
//! with what it does to the model (the engine's `AgainstModel`). It draws what the domain
//! read and the catalog say; it reads no XML itself.

use super::{effect_of, kv, mark};
use crate::domain::{CpuDef, Policy, QemuForm};
use crate::tui::app::AppState;
use crate::tui::text::visible;
use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};

fn s(v: &str) -> String {
    visible(v).into_owned()
}

pub fn lines(m: &AppState, t: &Theme) -> Vec<Line<'static>> {
    let Some(cpu) = &m.state.dom.cpu else {
        return no_cpu(m, t);
    };
    let mut out = mode(cpu, t);
    out.extend(model(m, cpu, t));
    out.extend(layout(m, cpu, t));
    out.push(Line::raw(""));
    out.extend(features(m, cpu, t));
    out
}

/// Without `<cpu>`, libvirt's default model.
fn no_cpu(m: &AppState, t: &Theme) -> Vec<Line<'static>> {
    let default = m
        .caps
        .default_model
        .clone()
        .unwrap_or_else(|| "qemu64".into());
    vec![
        Line::styled("no <cpu> element", t.dim()),
        Line::raw(format!("libvirt uses its default model ({default})")),
        Line::raw(""),
        Line::styled("m: pick a model (creates <cpu>)", t.dim()),
    ]
}

/// `mode`, then `match`, `check` and `migratable` when set.
fn mode(cpu: &CpuDef, t: &Theme) -> Vec<Line<'static>> {
    let mode = cpu
        .mode
        .as_deref()
        .map_or_else(|| "custom (default)".to_string(), s);
    let mut out = vec![kv(t, "mode", vec![Span::raw(mode)])];
    let mc: Vec<String> = [
        ("match", &cpu.match_),
        ("check", &cpu.check),
        ("migratable", &cpu.migratable),
    ]
    .into_iter()
    .filter_map(|(name, v)| v.as_deref().map(|v| format!("{name} {}", s(v))))
    .collect();
    if !mc.is_empty() {
        out.push(kv(t, "", vec![Span::styled(mc.join(" · "), t.label())]));
    }
    out
}

/// The model (and fallback), and the vendor and feature count the catalog knows for it.
fn model(m: &AppState, cpu: &CpuDef, t: &Theme) -> Vec<Line<'static>> {
    let Some(model) = &cpu.model else {
        let why = match m.state.dom.qemu() {
            Some(q) if q.form == QemuForm::Commandline => "none — in <qemu:commandline> -cpu",
            Some(_) => "none — the model is in <qemu:cpu>",
            None => "none",
        };
        return vec![kv(t, "model", vec![Span::styled(why, t.dim())])];
    };
    let mut spans = vec![Span::styled(s(&model.name), t.title())];
    if let Some(fb) = &model.fallback {
        spans.push(Span::styled(format!("  fallback {}", s(fb)), t.label()));
    }
    // A mode that does not use the model says what becomes of it.
    if let Some(mode) = crate::domain::CpuMode::of(&m.state.dom).filter(|md| !md.uses_model()) {
        spans.push(Span::styled(
            format!("  {}", mode.model_fate()),
            t.warning(),
        ));
    }
    spans.push(mark(m, t, model.el));
    let mut out = vec![kv(t, "model", spans)];
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
    out
}

/// Topology, caches, NUMA cells and the physical address bits.
fn layout(m: &AppState, cpu: &CpuDef, t: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if let Some(topo) = &cpu.topology {
        let a = |v: &Option<String>| v.as_deref().map_or_else(|| "1".into(), s);
        let text = format!(
            "sockets {} dies {} cores {} threads {}",
            a(&topo.sockets),
            a(&topo.dies),
            a(&topo.cores),
            a(&topo.threads)
        );
        out.push(kv(
            t,
            "topology",
            vec![Span::raw(text), mark(m, t, topo.el)],
        ));
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
        let mut text = mpa.mode.as_deref().map_or("-".into(), s);
        if let Some(b) = &mpa.bits {
            text.push_str(&format!(" · {} bits", s(b)));
        }
        if let Some(l) = &mpa.limit {
            text.push_str(&format!(" · limit {}", s(l)));
        }
        if let Some(h) = m.caps.domcaps.as_ref().and_then(|d| d.phys_bits) {
            text.push_str(&format!(" (host {})", h.bits));
        }
        out.push(kv(t, "physaddr", vec![Span::raw(text), mark(m, t, mpa.el)]));
    }
    out
}

/// Each `<feature>`: its name, its policy, and what it does to the model.
fn features(m: &AppState, cpu: &CpuDef, t: &Theme) -> Vec<Line<'static>> {
    if cpu.features.is_empty() {
        return vec![Line::styled(
            "no <feature> elements (f: feature list)",
            t.dim(),
        )];
    }
    let mut out = vec![Line::styled(
        format!("features ({})", cpu.features.len()),
        t.label(),
    )];
    // What the generated -cpu does with each (the engine's reading, not libvirt's map alone).
    let effects =
        crate::argv::features::cpu_feature_effects(&m.state.dom, &m.report.arg, m.catalog);
    for (feat, effect) in cpu.features.iter().zip(effects) {
        let name = feat.name.as_deref().map_or("(no name)".into(), s);
        // As written (a value libvirt refuses too), or the policy an absent attribute means.
        let policy = feat
            .policy
            .as_deref()
            .map_or(Policy::DEFAULT.name().into(), s);
        let (sign, state, style) = effect_of(effect, t);
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

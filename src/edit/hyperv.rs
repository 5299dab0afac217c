//! Edits of `<features><hyperv>`: one enlightenment on or off (with its value), and presets.

use super::EditError;
use crate::argv::libvirt::all_hyperv_enlightenments;
use crate::domain::{Domain, HYPERV_DEPENDENCIES, HYPERV_NESTED, Hyperv};
use crate::xml::{Document, ElemId, Splice};

/// One enlightenment (`relaxed`, nested `stimer.direct`) on or off, with `spinlocks`'
/// retries or `vendor_id`'s value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HvSetting {
    pub name: String,
    pub on: bool,
    pub value: Option<String>,
}

impl HvSetting {
    pub fn on(name: &str) -> HvSetting {
        HvSetting {
            name: name.into(),
            on: true,
            value: None,
        }
    }

    pub fn off(name: &str) -> HvSetting {
        HvSetting {
            on: false,
            ..HvSetting::on(name)
        }
    }
}

/// A whole `<hyperv>`: none, `mode='passthrough'`, or `mode='custom'` with exactly these
/// switches (each on or off, with its value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HypervPreset {
    Off,
    Passthrough,
    Custom(Vec<HvSetting>),
}

/// spinlocks' retries when none is given (virt-install's).
pub const DEFAULT_SPINLOCKS: &str = "8191";

/// Whether `name` is an enlightenment (or nested switch) libvirt knows.
pub fn known(name: &str) -> bool {
    all_hyperv_enlightenments().contains(&name)
        || HYPERV_NESTED
            .iter()
            .any(|(p, c)| name.split_once('.') == Some((p, c)))
}

/// The enlightenments virt-install turns on for a Windows guest (virt-manager,
/// virtinst/domain/features.py `_set_hyperv_defaults`), each only when the host lists it
/// (`host`: domcapabilities' `<hyperv>` features; `None`: no host known, all assumed
/// available): relaxed, vapic, spinlocks (8191 retries), vpindex, runtime, synic, stimer with
/// direct (only with the hypervclock timer), frequencies, tlbflush, ipi, evmcs (Intel hosts
/// only; `intel` `None`: unknown, left out) and avic (only with `<features><apic/>`).
/// Those needing one that is left out are left out too.
pub fn windows_preset(
    dom: &Domain,
    host: Option<&[String]>,
    intel: Option<bool>,
) -> Vec<HvSetting> {
    let has = |n: &str| host.is_none_or(|h| h.iter().any(|x| x == n));
    let mut on: Vec<&str> = Vec::new();
    let add = |n: &'static str, cond: bool, needs: &[&str], on: &mut Vec<&str>| {
        if cond && has(n) && needs.iter().all(|d| on.contains(d)) {
            on.push(n);
        }
    };
    let time = dom.hyperv_on("time");
    add("relaxed", true, &[], &mut on);
    add("vapic", true, &[], &mut on);
    add("spinlocks", true, &[], &mut on);
    add("vpindex", true, &[], &mut on);
    add("runtime", true, &[], &mut on);
    add("synic", true, &["vpindex"], &mut on);
    add("stimer", time, &["vpindex", "synic"], &mut on);
    add("frequencies", true, &[], &mut on);
    add("tlbflush", true, &["vpindex"], &mut on);
    add("ipi", true, &["vpindex"], &mut on);
    add("evmcs", intel == Some(true), &["vapic"], &mut on);
    add("avic", dom.apic_on(), &[], &mut on);
    let mut out = Vec::new();
    for n in on {
        let mut s = HvSetting::on(n);
        if n == "spinlocks" {
            s.value = Some(DEFAULT_SPINLOCKS.into());
        }
        out.push(s);
        if n == "stimer" {
            out.push(HvSetting::on("stimer.direct"));
        }
    }
    out
}

/// The Windows preset as applied to one domain: the whole `<hyperv>` to write, and what that
/// does to the enlightenments the domain had, for each front to say.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WindowsPreset {
    /// Every switch of the new `<hyperv mode='custom'>`.
    pub settings: Vec<HvSetting>,
    /// Turned on by the preset (new, or off before).
    pub added: Vec<String>,
    /// The domain's own that the preset does not set, and values (spinlocks' retries) the
    /// domain had where the preset only turns the enlightenment on.
    pub kept: Vec<String>,
    /// The domain's, on, that the host lacks (or that need one it lacks): (name, why).
    pub removed: Vec<(String, String)>,
    /// What had to be assumed about the host.
    pub assumed: Vec<String>,
}

impl WindowsPreset {
    /// What was removed, added and kept, one clause each ("removes …", "adds …", "keeps the
    /// domain's …"; removed first: it is what the user most needs to hear, and a narrow
    /// status line keeps the start).
    pub fn summary(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.removed.is_empty() {
            // Grouped by reason, in the order met: "a, b (the host lacks them)".
            let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
            for (name, why) in &self.removed {
                match groups.iter_mut().find(|(w, _)| w == why) {
                    Some((_, names)) => names.push(name),
                    None => groups.push((why, vec![name])),
                }
            }
            let said: Vec<String> = groups
                .iter()
                .map(|(why, names)| format!("{} ({why})", names.join(", ")))
                .collect();
            out.push(format!("removes {}", said.join(", ")));
        }
        if !self.added.is_empty() {
            out.push(format!("adds {}", self.added.join(", ")));
        }
        if !self.kept.is_empty() {
            out.push(format!("keeps the domain's {}", self.kept.join(", ")));
        }
        out
    }
}

/// [`windows_preset`] for `dom` on `host` (`None`: no host known), merged with the
/// enlightenments `dom` already has ([`merge_preset`]), with what had to be assumed.
pub fn windows_preset_on(dom: &Domain, host: Option<&crate::host::DomCaps>) -> WindowsPreset {
    let supported = host.and_then(|h| h.hyperv.as_deref());
    let intel = host.map(|h| {
        (h.host_cpu.as_ref().or(h.host_model.as_ref()))
            .and_then(|m| m.vendor.as_deref())
            .is_some_and(|v| v == "Intel")
    });
    let mut assumed = Vec::new();
    if supported.is_none() {
        assumed.push(
            "no host Hyper-V support known: every enlightenment of the Windows preset assumed available"
                .to_string(),
        );
    }
    if intel.is_none() {
        assumed.push("host CPU vendor unknown: evmcs (Intel only) left out".to_string());
    }
    WindowsPreset {
        assumed,
        ..merge_preset(dom, &windows_preset(dom, supported, intel), supported)
    }
}

/// `preset` on top of what `dom`'s `<hyperv>` has: the domain's switches the preset does not
/// set stay as they are (off ones too), values the domain gave (spinlocks' retries,
/// vendor_id's value) stay where the preset only turns the switch on, and the domain's
/// switches that are on but the host does not list (`host`; `None`: unknown, all kept) go,
/// with those needing one that went (QEMU's [`HYPERV_DEPENDENCIES`], a nested switch its
/// parent). A name libvirt does not know goes too (libvirt would refuse the domain).
pub fn merge_preset(dom: &Domain, preset: &[HvSetting], host: Option<&[String]>) -> WindowsPreset {
    let mut out = WindowsPreset::default();
    let existing: Vec<HvSetting> = dom
        .features
        .hyperv
        .as_ref()
        .map(existing_settings)
        .unwrap_or_default();
    let before = |n: &str| existing.iter().find(|e| e.name == n);
    let listed = |n: &str| {
        let top = n.split('.').next().unwrap_or(n);
        host.is_none_or(|h| h.iter().any(|x| x == top))
    };
    let mut gone: Vec<String> = Vec::new();
    for e in &existing {
        let why = if !known(&e.name) {
            Some("unknown to libvirt")
        } else if e.on && !listed(&e.name) && !preset.iter().any(|p| p.name == e.name) {
            Some("not in the host's list")
        } else {
            None
        };
        if let Some(why) = why {
            out.removed.push((e.name.clone(), why.to_string()));
            gone.push(e.name.clone());
        }
    }
    // Those needing one that went, until none is left.
    loop {
        let needing = existing.iter().find_map(|e| {
            if gone.contains(&e.name) || preset.iter().any(|p| p.name == e.name) {
                return None;
            }
            // A nested switch goes with its parent, on or off: it has nowhere else to be.
            let parent = e.name.split_once('.').map(|(p, _)| p);
            let deps = HYPERV_DEPENDENCIES
                .iter()
                .find(|(n, _)| *n == e.name && e.on)
                .map_or(&[][..], |(_, d)| *d);
            parent
                .into_iter()
                .chain(deps.iter().copied())
                .find(|d| gone.iter().any(|g| g == d))
                .map(|d| (e.name.clone(), d))
        });
        let Some((name, dep)) = needing else { break };
        out.removed
            .push((name.clone(), format!("needing {dep}, which goes")));
        gone.push(name);
    }
    for p in preset {
        let mut s = p.clone();
        match before(&p.name) {
            Some(e) => {
                if e.value.is_some() && e.value != p.value {
                    out.kept.push(format!(
                        "{} {}",
                        p.name,
                        e.value.as_deref().unwrap_or_default()
                    ));
                    s.value = e.value.clone();
                }
                if !e.on {
                    out.added.push(p.name.clone());
                }
            }
            None => out.added.push(p.name.clone()),
        }
        out.settings.push(s);
    }
    for e in &existing {
        if gone.contains(&e.name) || preset.iter().any(|p| p.name == e.name) {
            continue;
        }
        let state = if e.on { "on" } else { "off" };
        out.kept.push(match &e.value {
            Some(v) => format!("{} {v} ({state})", e.name),
            None => format!("{} ({state})", e.name),
        });
        out.settings.push(e.clone());
    }
    out
}

/// The switches of a `<hyperv>` as settings, each name once (libvirt keeps the last), nested
/// ones as `parent.child`, with spinlocks' retries and vendor_id's value.
fn existing_settings(h: &Hyperv) -> Vec<HvSetting> {
    let mut out: Vec<HvSetting> = Vec::new();
    let mut push = |name: String, t: &crate::domain::Toggle| {
        let value = t.extra("retries").or(t.extra("value")).map(str::to_string);
        let s = HvSetting {
            on: t.state.as_deref() == Some("on"),
            value,
            name,
        };
        match out.iter_mut().find(|o| o.name == s.name) {
            Some(o) => *o = s,
            None => out.push(s),
        }
    };
    for t in &h.children {
        push(t.name.clone(), t);
        for c in &t.children {
            push(format!("{}.{}", t.name, c.name), c);
        }
    }
    out
}

/// Position of a top-level name in libvirt's order (unknown ones last).
fn rank(name: &str) -> usize {
    let all = all_hyperv_enlightenments();
    all.iter().position(|n| *n == name).unwrap_or(all.len())
}

fn toggle_element(doc: &Document, name: &str, on: bool, value: Option<&str>) -> String {
    let state = if on { "on" } else { "off" };
    let mut attrs = vec![("state", state)];
    // A value the domain gave stays with the switch off too (the preset keeps it).
    match (name, value) {
        ("spinlocks", v) if on => attrs.push(("retries", v.unwrap_or(DEFAULT_SPINLOCKS))),
        ("spinlocks", Some(v)) => attrs.push(("retries", v)),
        ("vendor_id", Some(v)) => attrs.push(("value", v)),
        _ => {}
    }
    super::empty_element(doc, name, &attrs)
}

/// An element with children, each child on its own line at `indent` plus one unit.
fn block(doc: &Document, open: &str, name: &str, children: &[String], indent: &str) -> String {
    let nl = doc.style().newline;
    let inner = format!("{indent}{}", doc.style().indent);
    let mut s = open.to_string();
    for c in children {
        s.push_str(&format!("{nl}{inner}{c}"));
    }
    s.push_str(&format!("{nl}{indent}</{name}>"));
    s
}

/// The `<NAME …/>` (or `<stimer …><direct …/></stimer>`) of the settings for one top-level
/// name, indented for `indent`.
fn toggle_fragment(doc: &Document, settings: &[&HvSetting], top: &str, indent: &str) -> String {
    let own = settings.iter().find(|s| s.name == top);
    let on = own.is_none_or(|s| s.on);
    let el = toggle_element(doc, top, on, own.and_then(|s| s.value.as_deref()));
    let nested: Vec<String> = HYPERV_NESTED
        .iter()
        .filter(|(p, _)| *p == top)
        .filter_map(|(p, c)| {
            let s = settings.iter().find(|s| s.name == format!("{p}.{c}"))?;
            Some(toggle_element(doc, c, s.on, None))
        })
        .collect();
    if nested.is_empty() {
        return el;
    }
    let open = el.trim_end_matches("/>").to_string() + ">";
    block(doc, &open, top, &nested, indent)
}

/// A whole `<hyperv mode='custom'>` with these settings, indented for `indent`.
fn hyperv_fragment(doc: &Document, settings: &[HvSetting], indent: &str) -> String {
    let mut tops: Vec<&str> = settings
        .iter()
        .map(|s| s.name.split('.').next().unwrap_or_default())
        .collect();
    tops.sort_by_key(|n| rank(n));
    tops.dedup();
    let inner = format!("{indent}{}", doc.style().indent);
    let refs: Vec<&HvSetting> = settings.iter().collect();
    let children: Vec<String> = tops
        .iter()
        .map(|t| toggle_fragment(doc, &refs, t, &inner))
        .collect();
    let open = format!("<hyperv{}>", doc.style().attribute("mode", "custom"));
    block(doc, &open, "hyperv", &children, indent)
}

/// A new `<hyperv>` (given as a function of its indentation) in `<features>`, in libvirt's
/// place (after acpi, apic, pae, hap, viridian, privnet), creating `<features>` after `<os>`
/// when there is none.
fn insert_hyperv(doc: &Document, dom: &Domain, make: &dyn Fn(&str) -> String) -> Splice {
    const BEFORE_HYPERV: &[&str] = &["acpi", "apic", "pae", "hap", "viridian", "privnet"];
    match dom.features.el {
        Some(features) => {
            let indent = doc.child_indent(features);
            let fragment = make(&indent);
            let children: Vec<ElemId> = doc.children(features).collect();
            let after = children
                .iter()
                .rfind(|&&c| BEFORE_HYPERV.iter().any(|n| doc.is_plain(c, n)));
            let first_other = children
                .iter()
                .find(|&&c| !BEFORE_HYPERV.iter().any(|n| doc.is_plain(c, n)));
            match (after, first_other) {
                (Some(&a), _) => doc.insert_after(a, &fragment),
                (None, Some(&f)) => doc.insert_before(f, &fragment),
                (None, None) => doc.append_child(features, &fragment),
            }
        }
        None => {
            let indent = doc.child_indent(doc.root());
            let inner = format!("{indent}{}", doc.style().indent);
            let fragment = block(doc, "<features>", "features", &[make(&inner)], &indent);
            super::cpu::insert_in_domain(
                doc,
                &fragment,
                &["os", "idmap", "sysinfo", "cputune", "iothreads", "vcpu"],
                &[
                    "cpu",
                    "clock",
                    "on_poweroff",
                    "on_reboot",
                    "on_crash",
                    "devices",
                ],
            )
        }
    }
}

pub(super) fn set(doc: &Document, dom: &Domain, s: &HvSetting) -> Result<Vec<Splice>, EditError> {
    if !known(&s.name) {
        return Err(EditError::NotThere(format!(
            "'{}' is not a Hyper-V enlightenment libvirt knows; the names are {}, {}",
            s.name,
            all_hyperv_enlightenments().join(", "),
            HYPERV_NESTED
                .iter()
                .map(|(p, c)| format!("{p}.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if s.on && s.name == "vendor_id" && s.value.is_none() {
        let has_value = dom
            .features
            .hyperv
            .as_ref()
            .and_then(|h| h.toggle("vendor_id"))
            .is_some_and(|t| t.extra("value").is_some());
        if !has_value {
            return Err(EditError::Refused(
                "vendor_id needs a value (up to 12 characters): vendor_id=VALUE".into(),
            ));
        }
    }
    let Some(h) = &dom.features.hyperv else {
        if !s.on {
            return Ok(Vec::new());
        }
        let make = |indent: &str| hyperv_fragment(doc, std::slice::from_ref(s), indent);
        return Ok(vec![insert_hyperv(doc, dom, &make)]);
    };
    if h.is_passthrough() {
        return Err(EditError::Refused(format!(
            "<hyperv mode='passthrough'> gives the guest every enlightenment the host has, and \
             libvirt ignores the ones listed; to set {} choose the custom form first (the \
             Windows preset, or the off preset)",
            s.name
        )));
    }
    Ok(set_in(doc, h, s))
}

fn set_in(doc: &Document, h: &Hyperv, s: &HvSetting) -> Vec<Splice> {
    let (top, child) = match s.name.split_once('.') {
        Some((p, c)) => (p, Some(c)),
        None => (s.name.as_str(), None),
    };
    let Some(t) = h.toggle(top) else {
        if !s.on {
            return Vec::new();
        }
        let indent = doc.child_indent(h.el);
        let fragment = toggle_fragment(doc, &[s], top, &indent);
        let after = doc
            .children(h.el)
            .filter(|&c| rank(doc.local_name(c)) <= rank(top))
            .last();
        let before = doc
            .children(h.el)
            .find(|&c| rank(doc.local_name(c)) > rank(top));
        return vec![match (after, before) {
            (Some(a), _) => doc.insert_after(a, &fragment),
            (None, Some(b)) => doc.insert_before(b, &fragment),
            (None, None) => doc.append_child(h.el, &fragment),
        }];
    };
    match child {
        Some(c) => {
            let mut out = Vec::new();
            if s.on && t.state.as_deref() != Some("on") {
                out.push(doc.set_attr(t.el, "state", "on"));
            }
            match h.toggle(&s.name) {
                Some(n) if n.state.as_deref() == Some(state(s.on)) => {}
                Some(n) => out.push(doc.set_attr(n.el, "state", state(s.on))),
                None if s.on => {
                    out.push(doc.append_child(t.el, &toggle_element(doc, c, true, None)));
                }
                None => {}
            }
            out
        }
        None => {
            let mut out = Vec::new();
            if t.state.as_deref() != Some(state(s.on)) {
                out.push(doc.set_attr(t.el, "state", state(s.on)));
            }
            let attr = match top {
                "spinlocks" => Some("retries"),
                "vendor_id" => Some("value"),
                _ => None,
            };
            if let Some(attr) = attr
                && s.on
            {
                let now = t.extra(attr);
                let wanted = s
                    .value
                    .as_deref()
                    .or(now)
                    .or((top == "spinlocks").then_some(DEFAULT_SPINLOCKS));
                if let Some(w) = wanted
                    && now != Some(w)
                {
                    out.push(doc.set_attr(t.el, attr, w));
                }
            }
            // Both attributes new: one insert at the end of the tag.
            if out.len() == 2 && doc.attr(t.el, "state").is_none() {
                let mut text = String::new();
                for sp in &out {
                    text.push_str(&sp.text);
                }
                return vec![Splice::insert(doc.tag_attrs_end(t.el), text)];
            }
            out
        }
    }
}

fn state(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

pub(super) fn preset(
    doc: &Document,
    dom: &Domain,
    p: &HypervPreset,
) -> Result<Vec<Splice>, EditError> {
    let existing = dom.features.hyperv.as_ref();
    if let (HypervPreset::Custom(list), Some(h)) = (p, existing)
        && !list.is_empty()
        && !h.is_passthrough()
        && !h.children.is_empty()
    {
        return custom_in_place(doc, dom, list);
    }
    Ok(whole(doc, dom, p))
}

/// A custom `<hyperv>` made to hold exactly `list`, child by child: the switches `list` does
/// not have go, the others are set (state and value changed in place, new ones in libvirt's
/// order), so comments and the layout inside `<hyperv>` stay. One splice.
fn custom_in_place(
    doc: &Document,
    dom: &Domain,
    list: &[HvSetting],
) -> Result<Vec<Splice>, EditError> {
    let mut ed = super::Edited::from_read(doc.clone(), dom.clone());
    let wanted = |name: &str| list.iter().any(|s| s.name == name);
    // One at a time: the document is read again after each.
    let unwanted = |dom: &Domain| {
        dom.features.hyperv.as_ref()?.children.iter().find_map(|t| {
            if !wanted(&t.name) {
                return Some(t.el);
            }
            t.children
                .iter()
                .find(|c| !wanted(&format!("{}.{}", t.name, c.name)))
                .map(|c| c.el)
        })
    };
    while let Some(el) = unwanted(&ed.dom) {
        let splice = ed.doc.remove_element(el);
        ed.apply_splices(&[splice])?;
    }
    if let Some(h) = ed.dom.features.hyperv.as_ref()
        && h.mode.as_deref() != Some("custom")
    {
        let splice = ed.doc.set_attr(h.el, "mode", "custom");
        ed.apply_splices(&[splice])?;
    }
    // Nested switches first: turning one on turns its parent on, which the parent's own
    // setting (it is in `list` too) then puts back as `list` has it.
    let (nested, tops): (Vec<&HvSetting>, Vec<&HvSetting>) =
        list.iter().partition(|s| s.name.contains('.'));
    for s in nested.into_iter().chain(tops) {
        let splices = set(&ed.doc, &ed.dom, s)?;
        ed.apply_splices(&splices)?;
    }
    Ok(super::one_splice(doc.source(), ed.doc.source()))
}

/// `<hyperv>` replaced whole by a preset (or made, or removed).
fn whole(doc: &Document, dom: &Domain, p: &HypervPreset) -> Vec<Splice> {
    let existing = dom.features.hyperv.as_ref();
    match p {
        HypervPreset::Off => existing
            .map(|h| vec![doc.remove_element(only_child_of_features(doc, dom, h.el))])
            .unwrap_or_default(),
        HypervPreset::Passthrough | HypervPreset::Custom(_) => {
            let make = |indent: &str| match p {
                HypervPreset::Custom(list) if !list.is_empty() => {
                    hyperv_fragment(doc, list, indent)
                }
                HypervPreset::Custom(_) => {
                    super::empty_element(doc, "hyperv", &[("mode", "custom")])
                }
                _ => super::empty_element(doc, "hyperv", &[("mode", "passthrough")]),
            };
            match existing {
                Some(h) => {
                    let indent = doc.line_indent(h.el).unwrap_or("").to_string();
                    let text = make(&indent);
                    let outer = doc.element(h.el).outer();
                    if doc.source()[outer.clone()] == text {
                        return Vec::new();
                    }
                    vec![Splice::replace(outer, text)]
                }
                None => vec![insert_hyperv(doc, dom, &make)],
            }
        }
    }
}

/// What goes with `<hyperv>`: `<features>` too when `<hyperv>` is all it holds (no other
/// element, no comment, no text), as libvirt would write the domain without it; else `<hyperv>`.
fn only_child_of_features(doc: &Document, dom: &Domain, hyperv: ElemId) -> ElemId {
    let Some(features) = dom.features.el else {
        return hyperv;
    };
    let inner = doc.element(features).inner();
    let outer = doc.element(hyperv).outer();
    let source = doc.source();
    let around = [
        &source[inner.start..outer.start],
        &source[outer.end..inner.end],
    ];
    if dom.features.names.len() == 1 && around.iter().all(|t| t.trim().is_empty()) {
        features
    } else {
        hyperv
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::{Edit, Edited};

    fn edited(xml: &str) -> Edited {
        Edited::new(Document::parse(xml.as_bytes()).unwrap()).unwrap()
    }

    fn on(name: &str) -> Edit {
        Edit::SetHyperv(HvSetting::on(name))
    }

    /// A new `<hyperv>` goes in `<features>` after `<acpi>`/`<apic>`; new children in
    /// libvirt's order; nested switches inside their parent; undo restores every byte.
    #[test]
    fn enlightenments_go_in_libvirts_order() {
        let xml = "<domain type='kvm'>\n  <name>w</name>\n  <features>\n    <acpi/>\n    <apic/>\n    <vmport state='off'/>\n  </features>\n</domain>\n";
        let mut ed = edited(xml);
        let undo = ed.apply(&on("synic")).unwrap();
        assert_eq!(
            ed.doc.source(),
            "<domain type='kvm'>\n  <name>w</name>\n  <features>\n    <acpi/>\n    <apic/>\n    <hyperv mode='custom'>\n      <synic state='on'/>\n    </hyperv>\n    <vmport state='off'/>\n  </features>\n</domain>\n"
        );
        ed.apply(&on("relaxed")).unwrap();
        ed.apply(&on("spinlocks")).unwrap();
        ed.apply(&on("stimer.direct")).unwrap();
        ed.apply(&on("vpindex")).unwrap();
        assert_eq!(
            ed.doc.source(),
            "<domain type='kvm'>\n  <name>w</name>\n  <features>\n    <acpi/>\n    <apic/>\n    <hyperv mode='custom'>\n      <relaxed state='on'/>\n      <spinlocks state='on' retries='8191'/>\n      <vpindex state='on'/>\n      <synic state='on'/>\n      <stimer state='on'>\n        <direct state='on'/>\n      </stimer>\n    </hyperv>\n    <vmport state='off'/>\n  </features>\n</domain>\n"
        );
        assert!(ed.dom.hyperv_on("stimer.direct"));
        ed.apply(&Edit::SetHyperv(HvSetting::off("synic"))).unwrap();
        assert!(ed.doc.source().contains("<synic state='off'/>"));
        ed.apply(&Edit::SetHyperv(HvSetting {
            name: "spinlocks".into(),
            on: true,
            value: Some("4096".into()),
        }))
        .unwrap();
        assert!(
            ed.doc
                .source()
                .contains("<spinlocks state='on' retries='4096'/>")
        );
        let mut back = edited(xml);
        back.apply(&on("synic")).unwrap();
        back.apply_splices(&undo).unwrap();
        assert_eq!(back.doc.source(), xml);
    }

    /// Values change in place keeping the quotes; vendor_id without a value is refused;
    /// unknown names are refused; passthrough mode refuses single switches.
    #[test]
    fn values_and_refusals() {
        let xml = "<domain type='kvm'>\n  <features>\n    <hyperv mode=\"custom\">\n      <vendor_id state=\"off\" value=\"KVMKVMKVM\"/>\n    </hyperv>\n  </features>\n</domain>\n";
        let mut ed = edited(xml);
        ed.apply(&on("vendor_id")).unwrap();
        assert!(
            ed.doc
                .source()
                .contains("<vendor_id state=\"on\" value=\"KVMKVMKVM\"/>")
        );
        let mut ed = edited(xml);
        ed.apply(&Edit::SetHyperv(HvSetting {
            name: "vendor_id".into(),
            on: true,
            value: Some("Microsoft".into()),
        }))
        .unwrap();
        assert!(
            ed.doc
                .source()
                .contains("<vendor_id state=\"on\" value=\"Microsoft\"/>")
        );
        let bare = edited("<domain type='kvm'><name>x</name></domain>");
        assert!(matches!(
            bare.splices(&on("vendor_id")),
            Err(EditError::Refused(_))
        ));
        assert!(matches!(
            bare.splices(&on("turbo")),
            Err(EditError::NotThere(_))
        ));
        assert!(
            bare.splices(&Edit::SetHyperv(HvSetting::off("relaxed")))
                .unwrap()
                .is_empty()
        );
        let pt =
            edited("<domain type='kvm'><features><hyperv mode='passthrough'/></features></domain>");
        assert!(matches!(
            pt.splices(&on("relaxed")),
            Err(EditError::Refused(_))
        ));
    }

    /// Without `<features>`, one is made after `<os>`; presets replace `<hyperv>` whole and
    /// touch nothing else.
    #[test]
    fn presets_replace_hyperv() {
        let xml = "<domain type='kvm'>\n  <name>w</name>\n  <os>\n    <type>hvm</type>\n  </os>\n  <clock offset='localtime'>\n    <timer name='hypervclock' present='yes'/>\n  </clock>\n</domain>\n";
        let mut ed = edited(xml);
        let list = windows_preset(&ed.dom, None, Some(true));
        let names: Vec<&str> = list.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "relaxed",
                "vapic",
                "spinlocks",
                "vpindex",
                "runtime",
                "synic",
                "stimer",
                "stimer.direct",
                "frequencies",
                "tlbflush",
                "ipi",
                "evmcs"
            ]
        );
        ed.apply(&Edit::HypervPreset(HypervPreset::Custom(list)))
            .unwrap();
        assert_eq!(
            ed.doc.source(),
            "<domain type='kvm'>\n  <name>w</name>\n  <os>\n    <type>hvm</type>\n  </os>\n  <features>\n    <hyperv mode='custom'>\n      <relaxed state='on'/>\n      <vapic state='on'/>\n      <spinlocks state='on' retries='8191'/>\n      <vpindex state='on'/>\n      <runtime state='on'/>\n      <synic state='on'/>\n      <stimer state='on'>\n        <direct state='on'/>\n      </stimer>\n      <frequencies state='on'/>\n      <tlbflush state='on'/>\n      <ipi state='on'/>\n      <evmcs state='on'/>\n    </hyperv>\n  </features>\n  <clock offset='localtime'>\n    <timer name='hypervclock' present='yes'/>\n  </clock>\n</domain>\n"
        );
        assert!(ed.dom.hyperv_unmet().is_empty());
        ed.apply(&Edit::HypervPreset(HypervPreset::Passthrough))
            .unwrap();
        assert!(
            ed.doc
                .source()
                .contains("  <features>\n    <hyperv mode='passthrough'/>\n  </features>\n")
        );
        ed.apply(&Edit::HypervPreset(HypervPreset::Off)).unwrap();
        assert_eq!(
            ed.doc.source(),
            xml,
            "<features> held only <hyperv>: both go"
        );
        let kept = |xml: &str| {
            let mut ed = edited(xml);
            ed.apply(&Edit::HypervPreset(HypervPreset::Off)).unwrap();
            ed.doc.source().to_string()
        };
        let with = |inside: &str| {
            format!(
                "<domain type='kvm'>\n  <features>\n{inside}    <hyperv mode='passthrough'/>\n  </features>\n</domain>\n"
            )
        };
        assert_eq!(
            kept(&with("    <acpi/>\n")),
            "<domain type='kvm'>\n  <features>\n    <acpi/>\n  </features>\n</domain>\n"
        );
        assert!(
            kept(&with("    <!-- for Windows -->\n"))
                .contains("<features>\n    <!-- for Windows -->")
        );
        // A host listing only spinlocks and vendor_id (KVM without the probe): spinlocks alone.
        let host = vec!["spinlocks".to_string(), "vendor_id".to_string()];
        let list = windows_preset(&ed.dom, Some(&host), Some(true));
        assert_eq!(
            list,
            vec![HvSetting {
                value: Some("8191".into()),
                ..HvSetting::on("spinlocks")
            }]
        );
        // No hypervclock: no stimer; apic on: avic.
        let d = edited("<domain type='kvm'><features><apic/></features></domain>");
        let names: Vec<String> = windows_preset(&d.dom, None, Some(false))
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert!(!names.contains(&"stimer".to_string()) && !names.contains(&"evmcs".to_string()));
        assert!(names.contains(&"avic".to_string()));
    }

    /// The Windows preset adds to what the domain has: its own switches stay (off ones too),
    /// spinlocks keeps its retries when the preset only turns it on, vendor_id keeps its
    /// value; each change is said.
    #[test]
    fn windows_preset_keeps_the_domains_own() {
        let xml = "<domain type='kvm'>\n  <features>\n    <apic/>\n    <hyperv mode='custom'>\n      <spinlocks state='off' retries='4096'/>\n      <reset state='on'/>\n      <vendor_id state='on' value='KVM Hv'/>\n    </hyperv>\n  </features>\n</domain>\n";
        let mut ed = edited(xml);
        let p = merge_preset(&ed.dom, &windows_preset(&ed.dom, None, Some(false)), None);
        ed.apply(&Edit::HypervPreset(HypervPreset::Custom(
            p.settings.clone(),
        )))
        .unwrap();
        assert_eq!(
            ed.doc.source(),
            "<domain type='kvm'>\n  <features>\n    <apic/>\n    <hyperv mode='custom'>\n      <relaxed state='on'/>\n      <vapic state='on'/>\n      <spinlocks state='on' retries='4096'/>\n      <vpindex state='on'/>\n      <runtime state='on'/>\n      <synic state='on'/>\n      <reset state='on'/>\n      <vendor_id state='on' value='KVM Hv'/>\n      <frequencies state='on'/>\n      <tlbflush state='on'/>\n      <ipi state='on'/>\n      <avic state='on'/>\n    </hyperv>\n  </features>\n</domain>\n"
        );
        assert_eq!(
            p.summary(),
            [
                "adds relaxed, vapic, spinlocks, vpindex, runtime, synic, frequencies, tlbflush, ipi, avic",
                "keeps the domain's spinlocks 4096, reset (on), vendor_id KVM Hv (on)",
            ]
        );
        // Applied again: nothing changes.
        let again = merge_preset(&ed.dom, &windows_preset(&ed.dom, None, Some(false)), None);
        assert!(again.added.is_empty() && again.removed.is_empty());
        assert!(
            ed.splices(&Edit::HypervPreset(HypervPreset::Custom(again.settings)))
                .unwrap()
                .is_empty()
        );
    }

    /// On a `<hyperv>` with children the preset edits child by child: comments stay (one
    /// before an element goes with it: relaxed goes in before vapic's), a nested switch kept
    /// under a parent that is off leaves the parent off.
    #[test]
    fn windows_preset_keeps_comments_inside_hyperv() {
        let xml = "<domain type='kvm'>\n  <features>\n    <hyperv mode='custom'>\n      <!-- tuned for build 2022 -->\n      <vapic state='on'/> <!-- vapic -->\n      <stimer state='off'>\n        <direct state='on'/>\n      </stimer>\n    </hyperv>\n  </features>\n</domain>\n";
        let mut ed = edited(xml);
        let host: Vec<String> = ["relaxed", "vapic", "stimer"].map(String::from).into();
        let preset = windows_preset(&ed.dom, Some(&host), Some(true));
        let p = merge_preset(&ed.dom, &preset, Some(&host));
        ed.apply(&Edit::HypervPreset(HypervPreset::Custom(p.settings)))
            .unwrap();
        assert_eq!(
            ed.doc.source(),
            "<domain type='kvm'>\n  <features>\n    <hyperv mode='custom'>\n      <relaxed state='on'/>\n      <!-- tuned for build 2022 -->\n      <vapic state='on'/> <!-- vapic -->\n      <stimer state='off'>\n        <direct state='on'/>\n      </stimer>\n    </hyperv>\n  </features>\n</domain>\n"
        );
    }

    /// With a host, the domain's switches it does not list go, and so do those needing one
    /// that went (synic without vpindex; a nested switch without its parent); off ones stay.
    #[test]
    fn windows_preset_drops_what_the_host_lacks_and_says_so() {
        let xml = "<domain type='kvm'>\n  <features>\n    <hyperv>\n      <relaxed state='on'/>\n      <vpindex state='on'/>\n      <synic state='on'/>\n      <stimer state='on'>\n        <direct state='off'/>\n      </stimer>\n      <tlbflush state='off'/>\n    </hyperv>\n  </features>\n</domain>\n";
        let mut ed = edited(xml);
        let host: Vec<String> = ["spinlocks", "synic", "tlbflush"].map(String::from).into();
        let preset = windows_preset(&ed.dom, Some(&host), Some(true));
        let p = merge_preset(&ed.dom, &preset, Some(&host));
        ed.apply(&Edit::HypervPreset(HypervPreset::Custom(
            p.settings.clone(),
        )))
        .unwrap();
        assert_eq!(
            ed.doc.source(),
            "<domain type='kvm'>\n  <features>\n    <hyperv mode='custom'>\n      <spinlocks state='on' retries='8191'/>\n      <tlbflush state='off'/>\n    </hyperv>\n  </features>\n</domain>\n"
        );
        assert_eq!(
            p.summary(),
            [
                "removes relaxed, vpindex, stimer (not in the host's list), synic (needing vpindex, which goes), stimer.direct (needing stimer, which goes)",
                "adds spinlocks",
                "keeps the domain's tlbflush (off)",
            ]
        );
    }

    #[test]
    fn unmet_dependencies_are_named() {
        let d = edited(
            "<domain type='kvm'><features><hyperv><synic state='on'/><stimer state='on'/></hyperv></features></domain>",
        );
        assert_eq!(
            d.dom.hyperv_unmet(),
            vec![("synic", "vpindex"), ("stimer", "time")]
        );
    }
}

//! Reading a `-cpu` value the way QEMU 7.2 does (`target/i386/cpu.c`,
//! `x86_cpu_parse_featurestr` and `x86_cpu_expand_features`; `qapi/qapi-util.c` for booleans):
//!
//! - The model is everything before the first `,`; the rest is split on every `,` with
//!   `strtok`, so empty items vanish and there is no escape.
//! - `+feat` / `-feat` (legacy syntax) keep the name as written; they are applied after all
//!   other options, `+` first then `-`, so `-feat` beats `+feat` and both beat `feat=…`.
//! - `name=value` and a bare `name` (meaning `name=on`) get every `_` rewritten to `-`, become
//!   global properties applied in order — the last one for a property wins, whichever alias
//!   spelled it. `tsc-freq` (after the rewrite) becomes `tsc-frequency` with metric suffixes.
//! - A `name=…` after `+name` / `-name` makes QEMU warn "Ambiguous CPU model string" (only in
//!   that order, and only when the rewritten name equals the `+`/`-` name as written).
//! - Names are case-sensitive.

use super::qemu::QemuCatalog;
use std::ops::Range;

/// How an option was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Syntax {
    /// `+name`
    Plus,
    /// `-name`
    Minus,
    /// `name=value`
    Assign,
    /// `name` alone (QEMU reads `name=on`)
    Bare,
}

/// One item after the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuItem {
    /// The item exactly as written.
    pub raw: String,
    /// Byte range of `raw` in the parsed string.
    pub span: Range<usize>,
    pub syntax: Syntax,
    /// The property name QEMU looks up: as written for `+`/`-`, `_` → `-` for the others,
    /// `tsc-freq` → `tsc-frequency`.
    pub name: String,
    /// `on`/`off` for `+`/`-`/bare; the text after `=` otherwise (for `tsc-freq`, the number
    /// of Hz QEMU computes).
    pub value: String,
}

/// A parsed `-cpu` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuString {
    pub model: String,
    pub items: Vec<CpuItem>,
}

/// The value QEMU ends up with for one property, and which items decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    /// Canonical name when the catalog knows the name, else the looked-up name.
    pub name: String,
    /// Whether the catalog knows the name (a feature or a property).
    pub known: bool,
    /// The final value as QEMU sees it (`on`/`off` for booleans given in any accepted spelling).
    pub value: String,
    /// Index into [`CpuString::items`] of the item that wins.
    pub winner: usize,
    /// Earlier items for the same property that lost, in order.
    pub overridden: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpuStringError {
    #[error("-cpu option cannot be empty")]
    Empty,
    #[error("bad numerical value {value} for tsc-freq")]
    BadTscFreq { value: String, span: Range<usize> },
}

/// QEMU's boolean spellings (`qapi_bool_parse`).
pub fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "on" | "yes" | "true" | "y" => Some(true),
        "off" | "no" | "false" | "n" => Some(false),
        _ => None,
    }
}

/// Splits and normalises a `-cpu` value. Only errors QEMU reports while parsing are errors
/// here; unknown models and options are for the caller to check against the catalog.
pub fn parse(value: &str) -> Result<CpuString, CpuStringError> {
    if value.is_empty() {
        return Err(CpuStringError::Empty);
    }
    let (model, rest, rest_start) = match value.find(',') {
        Some(i) => (&value[..i], &value[i + 1..], i + 1),
        None => (value, "", value.len()),
    };
    let mut items = Vec::new();
    let mut offset = rest_start;
    for piece in rest.split(',') {
        let span = offset..offset + piece.len();
        offset += piece.len() + 1;
        if piece.is_empty() {
            continue; // strtok skips empty tokens
        }
        let item = if let Some(name) = piece.strip_prefix('+') {
            CpuItem {
                raw: piece.into(),
                span,
                syntax: Syntax::Plus,
                name: name.into(),
                value: "on".into(),
            }
        } else if let Some(name) = piece.strip_prefix('-') {
            CpuItem {
                raw: piece.into(),
                span,
                syntax: Syntax::Minus,
                name: name.into(),
                value: "off".into(),
            }
        } else {
            let (name, val, syntax) = match piece.split_once('=') {
                Some((n, v)) => (n, v.to_string(), Syntax::Assign),
                None => (piece, "on".to_string(), Syntax::Bare),
            };
            let mut name = name.replace('_', "-");
            let mut val = val;
            if name == "tsc-freq" {
                let hz = parse_metric(&val).ok_or_else(|| CpuStringError::BadTscFreq {
                    value: val.clone(),
                    span: span.clone(),
                })?;
                name = "tsc-frequency".into();
                val = hz.to_string();
            }
            CpuItem {
                raw: piece.into(),
                span,
                syntax,
                name,
                value: val,
            }
        };
        items.push(item);
    }
    Ok(CpuString {
        model: model.to_string(),
        items,
    })
}

/// `qemu_strtosz_metric`: a number with an optional k/M/G/T/P/E suffix (powers of 1000),
/// fractions allowed, result at most `i64::MAX`.
fn parse_metric(s: &str) -> Option<u64> {
    let (num, mult) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: f64 = match c.to_ascii_uppercase() {
                'B' => 1.0,
                'K' => 1e3,
                'M' => 1e6,
                'G' => 1e9,
                'T' => 1e12,
                'P' => 1e15,
                'E' => 1e18,
                _ => return None,
            };
            (&s[..i], m)
        }
        _ => (s, 1.0),
    };
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let v = if num.contains('.') {
        let f: f64 = num.parse().ok()?;
        (f * mult).round()
    } else {
        (num.parse::<u64>().ok()? as f64) * mult
    };
    (v <= i64::MAX as f64).then_some(v as u64)
}

/// What changed from one `-cpu` value to another, in words short enough for one line: the model
/// (`model A -> B`), then each property by the value QEMU ends up with — `+name=value` set
/// only after, `name=a->b` set to another value, `-name=value` set only before. Empty when
/// nothing QEMU reads changed; `None` when either value does not parse.
pub fn changes(before: &str, after: &str, catalog: &QemuCatalog) -> Option<Vec<String>> {
    let (b, a) = (parse(before).ok()?, parse(after).ok()?);
    let (eb, ea) = (b.effective(catalog), a.effective(catalog));
    let mut out = Vec::new();
    if b.model != a.model {
        out.push(format!("model {} -> {}", b.model, a.model));
    }
    for e in &ea {
        match eb.iter().find(|x| x.name == e.name) {
            None => out.push(format!("+{}={}", e.name, e.value)),
            Some(x) if x.value != e.value => {
                out.push(format!("{}={}->{}", e.name, x.value, e.value))
            }
            Some(_) => {}
        }
    }
    for x in eb.iter().filter(|x| !ea.iter().any(|e| e.name == x.name)) {
        out.push(format!("-{}={}", x.name, x.value));
    }
    Some(out)
}

impl CpuString {
    /// Items that make QEMU print "Ambiguous CPU model string": a `name=`/bare item after a
    /// `+name`/`-name` with the same name. Returns (earlier +/- item, later item) pairs.
    pub fn ambiguous(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (j, later) in self.items.iter().enumerate() {
            if matches!(later.syntax, Syntax::Assign | Syntax::Bare) {
                for (i, earlier) in self.items[..j].iter().enumerate() {
                    if matches!(earlier.syntax, Syntax::Plus | Syntax::Minus)
                        && earlier.name == later.name
                    {
                        out.push((i, j));
                    }
                }
            }
        }
        out
    }

    /// The value QEMU ends up with for every property the string sets, in order of first
    /// appearance. Names are compared after resolving aliases through the catalog, so
    /// `sse4_1=off,sse4.1=on` is one property.
    pub fn effective(&self, catalog: &QemuCatalog) -> Vec<Effective> {
        let key = |name: &str| -> (String, bool) {
            match catalog.option(name) {
                Some(o) => (o.canonical().to_string(), true),
                None => (name.to_string(), false),
            }
        };
        let mut out: Vec<Effective> = Vec::new();
        let mut apply = |idx: usize, item: &CpuItem| {
            let (name, known) = key(&item.name);
            let value = parse_bool(&item.value).map_or_else(
                || item.value.clone(),
                |b| if b { "on" } else { "off" }.to_string(),
            );
            match out.iter_mut().find(|e| e.name == name) {
                Some(e) => {
                    e.overridden.push(e.winner);
                    e.winner = idx;
                    e.value = value;
                }
                None => out.push(Effective {
                    name,
                    known,
                    value,
                    winner: idx,
                    overridden: Vec::new(),
                }),
            }
        };
        // Globals in order, then every `+`, then every `-` (x86_cpu_expand_features).
        for pass in [0, 1, 2] {
            for (i, item) in self.items.iter().enumerate() {
                let this_pass = match item.syntax {
                    Syntax::Assign | Syntax::Bare => 0,
                    Syntax::Plus => 1,
                    Syntax::Minus => 2,
                };
                if this_pass == pass {
                    apply(i, item);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An upgrade's change of `-cpu` in short: added, changed and removed properties by the
    /// value QEMU ends up with, aliases and `+`/`-` read as QEMU does.
    #[test]
    fn changes_name_what_is_added_changed_and_removed() {
        let q = &crate::catalog::Catalog::embedded().qemu;
        let said = changes(
            "Skylake-Client-IBRS,ss=on,vmx=on,pdpe1gb=on,hle=off",
            "Skylake-Client-IBRS,ss=on,vmx=off,+pdpe1gb,hle=off,mpx=off",
            q,
        )
        .unwrap();
        assert_eq!(said, ["vmx=on->off", "+mpx=off"]);
        let said = changes("qemu64,sse4_1=on,x2apic=on", "Nehalem,sse4.1=on", q).unwrap();
        assert_eq!(said, ["model qemu64 -> Nehalem", "-x2apic=on"]);
        assert!(changes("a,b=on", "a,b=on", q).unwrap().is_empty());
        assert!(changes("", "a", q).is_none());
    }

    fn names(s: &CpuString) -> Vec<(&str, &str)> {
        s.items
            .iter()
            .map(|i| (i.name.as_str(), i.value.as_str()))
            .collect()
    }

    #[test]
    fn model_and_items_with_qemu_normalisation() {
        let s = parse("Skylake-Client,+sse4_1,-tsc_deadline,lahf_lm,x2apic=off,,tsc_freq=2.5G")
            .unwrap();
        assert_eq!(s.model, "Skylake-Client");
        assert_eq!(
            names(&s),
            vec![
                ("sse4_1", "on"),
                ("tsc_deadline", "off"),
                ("lahf-lm", "on"),
                ("x2apic", "off"),
                ("tsc-frequency", "2500000000")
            ]
        );
        assert_eq!(s.items[2].syntax, Syntax::Bare);
        let raw = "Skylake-Client,+sse4_1,-tsc_deadline,lahf_lm,x2apic=off,,tsc_freq=2.5G";
        for i in &s.items {
            assert_eq!(&raw[i.span.clone()], i.raw);
        }
    }

    #[test]
    fn errors_qemu_reports_while_parsing() {
        assert_eq!(parse(""), Err(CpuStringError::Empty));
        assert!(matches!(
            parse("qemu64,tsc-freq=fast"),
            Err(CpuStringError::BadTscFreq { .. })
        ));
        assert_eq!(parse(",x").unwrap().model, "");
    }

    #[test]
    fn ambiguity_is_order_dependent() {
        assert_eq!(parse("m,-vmx,vmx=on").unwrap().ambiguous(), vec![(0, 1)]);
        assert!(parse("m,vmx=on,-vmx").unwrap().ambiguous().is_empty());
    }

    #[test]
    fn precedence_without_catalog() {
        let cat = QemuCatalog::default();
        let s = parse("m,-x2apic,x2apic=on,+x2apic,pmu=on,pmu=false").unwrap();
        let e = s.effective(&cat);
        let x2apic = e.iter().find(|e| e.name == "x2apic").unwrap();
        assert_eq!(
            (
                x2apic.value.as_str(),
                x2apic.winner,
                x2apic.overridden.clone()
            ),
            ("off", 0, vec![1, 2])
        );
        let pmu = e.iter().find(|e| e.name == "pmu").unwrap();
        assert_eq!((pmu.value.as_str(), pmu.winner), ("off", 4));
    }

    #[test]
    fn metric_suffixes() {
        assert_eq!(parse_metric("1000"), Some(1000));
        assert_eq!(parse_metric("2.5G"), Some(2_500_000_000));
        assert_eq!(parse_metric("3k"), Some(3000));
        assert_eq!(parse_metric("x"), None);
    }
}

//! One finding about a domain: a stable code, a severity, what to do, and where.

use crate::xml::{Document, ElemId, Position};
use serde::Serialize;
use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

/// Another place a diagnostic is about (the other side of a clash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Related {
    pub position: Position,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable identifier scripts can rely on (`unknown-model`, `model-twice`, …).
    pub code: &'static str,
    pub severity: Severity,
    /// What is wrong and what to do.
    pub message: String,
    /// The replacement to use, when there is one (did-you-mean).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// Where: 1-based line and column of the element.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// The element's byte range in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Range<usize>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// The element the diagnostic is about (not part of the JSON contract).
    #[serde(skip)]
    pub el: Option<ElemId>,
    /// The edit that fixes it, when one does (applying the did-you-mean).
    #[serde(skip)]
    pub fix: Option<crate::edit::Edit>,
    /// The part of `message` that says how to act in the CLI's words (a command), so another
    /// front can say it in its own (not part of the JSON contract).
    #[serde(skip)]
    pub advice: Option<Advised>,
    /// What it is in the terms of the errors `explain` reads (a feature the host lacks, an
    /// unknown model, …), so the fronts can offer `explain`'s fixes for it (not part of the
    /// JSON contract).
    #[serde(skip)]
    pub symptom: Option<super::explain::Symptom>,
}

/// A way to act on a diagnostic, named apart from its words: each front words it (the CLI
/// names a command, which `message` carries; the TUI names its keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advice {
    /// Convert `<qemu:cpu>` to `<qemu:commandline>` (the same `-cpu`).
    ConvertToCommandline,
    /// Move the model and the features to one element (`<cpu>` or `<qemu:cpu>`).
    MoveToOneElement,
    /// Give `<qemu:cpu>` a model.
    SetQemuModel,
    /// Choose a model the host runs.
    PickUsableModel,
}

/// An [`Advice`] and where `message` words it for the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advised {
    pub advice: Advice,
    pub at: Range<usize>,
}

impl Diagnostic {
    pub fn new(code: &'static str, severity: Severity, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            suggestion: None,
            position: None,
            span: None,
            related: Vec::new(),
            el: None,
            fix: None,
            advice: None,
            symptom: None,
        }
    }

    /// Marks `cli` (which `message` holds) as the CLI's words for `advice`.
    pub fn advise(mut self, advice: Advice, cli: &str) -> Diagnostic {
        let start = self.message.find(cli);
        debug_assert!(start.is_some(), "{cli:?} is not in {:?}", self.message);
        self.advice = start.map(|start| Advised {
            advice,
            at: start..start + cli.len(),
        });
        self
    }

    /// The message with its advice in another front's words (`word` says each kind).
    pub fn message_in(&self, word: impl Fn(Advice) -> String) -> std::borrow::Cow<'_, str> {
        match &self.advice {
            Some(Advised { advice, at }) => {
                let mut m = self.message.clone();
                m.replace_range(at.clone(), &word(*advice));
                m.into()
            }
            None => self.message.as_str().into(),
        }
    }

    /// Points the diagnostic at an element's start tag.
    pub fn at(mut self, doc: &Document, el: Option<ElemId>) -> Diagnostic {
        if let Some(el) = el {
            let open = doc.element(el).open();
            self.position = Some(doc.position(open.start));
            self.span = Some(doc.element(el).outer());
            self.el = Some(el);
        }
        self
    }

    pub fn suggest(mut self, suggestion: Option<String>) -> Diagnostic {
        self.suggestion = suggestion;
        self
    }

    /// Names what the diagnostic is as `explain` would read it from libvirt's or QEMU's error.
    pub fn symptom(mut self, symptom: super::explain::Symptom) -> Diagnostic {
        self.symptom = Some(symptom);
        self
    }

    pub fn fix(mut self, edit: Option<crate::edit::Edit>) -> Diagnostic {
        self.fix = edit;
        self
    }

    pub fn related(mut self, doc: &Document, el: ElemId, message: impl Into<String>) -> Diagnostic {
        self.related.push(Related {
            position: doc.position(doc.element(el).open().start),
            message: message.into(),
        });
        self
    }
}

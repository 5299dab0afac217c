//! libvirt's refusal of a domain, with libvirt's own message text.

use crate::xml::ElemId;

/// When libvirt reports the error: some only at `virsh start` (or `domxml-to-native`), not at
/// `virsh define`, which matters to a user editing a definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// XML parsing (define and start).
    Parse,
    /// Post-parse defaults and validation (define and start).
    Define,
    /// Start preparation (start only).
    Start,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibvirtError {
    /// Exactly what libvirt prints (after virsh's `error: `).
    pub message: String,
    pub stage: Stage,
    /// The element the error is about, when there is one.
    pub el: Option<ElemId>,
    /// Set when the error is ours, not libvirt's: libvirt needs facts virt-cpu lacks.
    pub needs_host: bool,
}

impl LibvirtError {
    pub fn new(stage: Stage, el: Option<ElemId>, message: impl Into<String>) -> Self {
        LibvirtError {
            message: message.into(),
            stage,
            el,
            needs_host: false,
        }
    }
}

/// A check libvirt makes when the domain starts that virt-cpu could not make, because the host
/// was not given: no refusal — the `-cpu` value does not depend on it and stands — but libvirt
/// may still refuse to start the domain on a host that fails the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unchecked {
    /// What libvirt checks and how to let virt-cpu check it.
    pub message: String,
    pub stage: Stage,
    /// The element the check is about.
    pub el: Option<ElemId>,
}

pub(crate) fn xml_error(el: Option<ElemId>, msg: impl std::fmt::Display) -> LibvirtError {
    LibvirtError::new(Stage::Parse, el, format!("XML error: {msg}"))
}

pub(crate) fn unsupported(
    stage: Stage,
    el: Option<ElemId>,
    msg: impl std::fmt::Display,
) -> LibvirtError {
    LibvirtError::new(stage, el, format!("unsupported configuration: {msg}"))
}

pub(crate) fn invalid_value(
    el: Option<ElemId>,
    attr: &str,
    element: &str,
    value: &str,
) -> LibvirtError {
    xml_error(
        el,
        format!("Invalid value for attribute '{attr}' in element '{element}': '{value}'."),
    )
}

//! `<cpu mode=…>`: the four modes, what each means and what it does with `<model>`.

use super::Domain;

/// A CPU mode libvirt knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuMode {
    Custom,
    HostModel,
    HostPassthrough,
    Maximum,
}

impl CpuMode {
    pub const ALL: [CpuMode; 4] = [
        CpuMode::Custom,
        CpuMode::HostModel,
        CpuMode::HostPassthrough,
        CpuMode::Maximum,
    ];

    /// The attribute's value.
    pub fn name(self) -> &'static str {
        match self {
            CpuMode::Custom => "custom",
            CpuMode::HostModel => "host-model",
            CpuMode::HostPassthrough => "host-passthrough",
            CpuMode::Maximum => "maximum",
        }
    }

    pub fn parse(s: &str) -> Option<CpuMode> {
        CpuMode::ALL.into_iter().find(|m| m.name() == s)
    }

    /// The mode a domain's `<cpu>` has: `custom` without the attribute or without `<cpu>`;
    /// `None` for a value libvirt refuses.
    pub fn of(dom: &Domain) -> Option<CpuMode> {
        match dom.cpu.as_ref().and_then(|c| c.mode.as_deref()) {
            None => Some(CpuMode::Custom),
            Some(m) => CpuMode::parse(m),
        }
    }

    /// What the mode gives the guest, in one line.
    pub fn means(self) -> &'static str {
        match self {
            CpuMode::Custom => {
                "the <model> named, with the features listed: the same CPU on every host"
            }
            CpuMode::HostModel => {
                "libvirt copies the host's CPU model and features when the guest starts; \
                 migrates to hosts that have them"
            }
            CpuMode::HostPassthrough => {
                "the host's CPU as it is (-cpu host, KVM only): every host feature; \
                 migrates only to identical hosts"
            }
            CpuMode::Maximum => {
                "every feature QEMU can give (-cpu max): the host's under KVM, all it emulates \
                 under TCG"
            }
        }
    }

    /// Whether libvirt uses `<cpu><model>` in this mode.
    pub fn uses_model(self) -> bool {
        self == CpuMode::Custom
    }

    /// What libvirt does with a `<model>` in this mode, said after "<model> " (empty for
    /// custom: it is the CPU).
    pub fn model_fate(self) -> &'static str {
        match self {
            CpuMode::Custom => "",
            CpuMode::HostModel => "is replaced by the host's model when the guest starts",
            CpuMode::HostPassthrough => "is ignored: QEMU gets -cpu host",
            CpuMode::Maximum => "is ignored: QEMU gets -cpu max",
        }
    }

    /// What switching to this mode drops or ignores of `dom`'s `<cpu>`, in one line (empty:
    /// nothing).
    pub fn switch_note(self, dom: &Domain) -> String {
        let model = dom
            .cpu
            .as_ref()
            .and_then(|c| c.model.as_ref())
            .map(|m| m.name.as_str());
        let features = dom.cpu.as_ref().map_or(0, |c| c.features.len());
        match (self, model) {
            (CpuMode::Custom, None) => "needs a <model>: the model picker opens".into(),
            (CpuMode::Custom, Some(_)) => String::new(),
            (_, Some(m)) => {
                let kept = if features > 0 {
                    "; the features still apply"
                } else {
                    ""
                };
                format!(
                    "<model> {m} stays in the file but {}{kept}",
                    self.model_fate()
                )
            }
            (_, None) if features > 0 => "the features still apply to the host's CPU".into(),
            (_, None) => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::Document;

    fn dom(xml: &str) -> Domain {
        Domain::read(&Document::parse(xml.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn modes_say_what_they_do_to_the_model() {
        let d = dom(
            "<domain type='kvm'><cpu mode='custom'><model>Haswell</model><feature name='vmx'/></cpu></domain>",
        );
        assert_eq!(CpuMode::of(&d), Some(CpuMode::Custom));
        assert_eq!(CpuMode::Custom.switch_note(&d), "");
        assert_eq!(
            CpuMode::HostPassthrough.switch_note(&d),
            "<model> Haswell stays in the file but is ignored: QEMU gets -cpu host; the features still apply"
        );
        let d = dom("<domain type='kvm'><cpu mode='host-passthrough'/></domain>");
        assert_eq!(CpuMode::of(&d), Some(CpuMode::HostPassthrough));
        assert_eq!(
            CpuMode::Custom.switch_note(&d),
            "needs a <model>: the model picker opens"
        );
        assert_eq!(
            CpuMode::of(&dom("<domain type='kvm'/>")),
            Some(CpuMode::Custom)
        );
        assert_eq!(
            CpuMode::of(&dom("<domain type='kvm'><cpu mode='x'/></domain>")),
            None
        );
        assert!(CpuMode::ALL.iter().all(|m| !m.means().is_empty()));
    }
}

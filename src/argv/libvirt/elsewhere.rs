//! QEMU `-cpu` properties that libvirt sets from elements other than `<cpu><feature>`: an admin
//! who writes `<feature name='kvmclock'/>` meant one of these, and libvirt refuses the feature
//! ("unknown CPU feature"). These are the options `build.rs` appends (libvirt's
//! `qemuBuildCpuCommandLine` and `qemuBuildCpuModelArgStr`), each with the element that asks
//! for it; `check` points there instead of guessing a similar feature name.

/// A `-cpu` property and the domain XML that makes libvirt pass it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetElsewhere {
    /// QEMU's spelling (`kvm-pv-eoi`).
    pub property: &'static str,
    /// What to write instead, as libvirt's domain XML (`<features><apic eoi='on'/></features>`).
    pub element: &'static str,
}

const TABLE: &[SetElsewhere] = &[
    SetElsewhere {
        property: "kvmclock",
        element: "<clock><timer name='kvmclock' present='yes'/></clock>",
    },
    SetElsewhere {
        property: "hv-time",
        element: "<clock><timer name='hypervclock' present='yes'/></clock>",
    },
    SetElsewhere {
        property: "tsc-frequency",
        element: "<clock><timer name='tsc' frequency='HZ'/></clock>",
    },
    SetElsewhere {
        property: "kvm-pv-eoi",
        element: "<features><apic eoi='on'/></features>",
    },
    SetElsewhere {
        property: "kvm-pv-unhalt",
        element: "<features><pvspinlock state='on'/></features>",
    },
    SetElsewhere {
        property: "kvm",
        element: "<features><kvm><hidden state='on'/></kvm></features> (kvm=off)",
    },
    SetElsewhere {
        property: "kvm-hint-dedicated",
        element: "<features><kvm><hint-dedicated state='on'/></kvm></features>",
    },
    SetElsewhere {
        property: "kvm-poll-control",
        element: "<features><kvm><poll-control state='on'/></kvm></features>",
    },
    SetElsewhere {
        property: "kvm-pv-ipi",
        element: "<features><kvm><pv-ipi state='on'/></kvm></features>",
    },
    SetElsewhere {
        property: "pmu",
        element: "<features><pmu state='on'/></features>",
    },
    SetElsewhere {
        property: "l3-cache",
        element: "<cpu><cache level='3' mode='emulate'/></cpu>",
    },
    SetElsewhere {
        property: "host-cache-info",
        element: "<cpu><cache mode='passthrough'/></cpu>",
    },
    SetElsewhere {
        property: "phys-bits",
        element: "<cpu><maxphysaddr mode='emulate' bits='N'/></cpu>",
    },
    SetElsewhere {
        property: "host-phys-bits",
        element: "<cpu><maxphysaddr mode='passthrough'/></cpu>",
    },
    SetElsewhere {
        property: "migratable",
        element: "<cpu mode='host-passthrough' migratable='on'>",
    },
];

/// Every Hyper-V enlightenment (`hv-*`) is set by `<features><hyperv>`.
const HYPERV: SetElsewhere = SetElsewhere {
    property: "hv-*",
    element: "<features><hyperv mode='custom'>…</hyperv></features> (one child per enlightenment)",
};

/// Where libvirt takes `name` from, when it is a property libvirt sets from another element.
/// Any spelling: case, `_` for `-` (`kvm_pv_eoi`, QEMU's older names and libvirt's).
pub fn set_elsewhere(name: &str) -> Option<SetElsewhere> {
    let dashed = name.to_ascii_lowercase().replace('_', "-");
    if let Some(entry) = TABLE.iter().find(|e| e.property == dashed) {
        return Some(*entry);
    }
    dashed.starts_with("hv-").then_some(HYPERV)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_spelling_finds_the_element() {
        assert_eq!(
            set_elsewhere("kvm_pv_eoi").map(|e| e.element),
            Some("<features><apic eoi='on'/></features>")
        );
        assert_eq!(set_elsewhere("KVMCLOCK").unwrap().property, "kvmclock");
        assert_eq!(set_elsewhere("hv_vapic").unwrap().property, "hv-*");
        assert_eq!(set_elsewhere("svm-lock"), None);
    }

    /// Every property in the table is one the generator really appends from other elements.
    #[test]
    fn every_property_is_one_the_generator_appends() {
        let build = include_str!("build.rs");
        for e in TABLE {
            assert!(
                build.contains(&format!("\"{}=", e.property))
                    || build.contains(&format!("\",{}=", e.property)),
                "{} is not appended by build.rs",
                e.property
            );
        }
    }
}

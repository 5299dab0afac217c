//! `<feature policy=…>` in `<cpu>`: libvirt's five policies and what each makes of the feature
//! (semantics doc §2.3, §3.1). The one place that knows the names and their meaning; the
//! generator, the checks, the edits and both fronts ask here.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Policy {
    Force,
    Require,
    Optional,
    Disable,
    Forbid,
}

/// What a policy does to the feature in the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyEffect {
    /// `force`, `require`: the feature is on (`NAME=on`).
    On,
    /// `disable`, `forbid`: the feature is off (`NAME=off`).
    Off,
    /// `optional`: libvirt turns it into `require` when the host has the feature and into
    /// `disable` when it does not, so the guest's state depends on the host.
    OnIfHostHas,
}

impl Policy {
    /// Every policy, in the order of libvirt's schema: also the order the TUI's `p` cycles.
    pub const ALL: [Policy; 5] = [
        Policy::Force,
        Policy::Require,
        Policy::Optional,
        Policy::Disable,
        Policy::Forbid,
    ];

    /// libvirt's policy for a `<feature>` without the attribute.
    pub const DEFAULT: Policy = Policy::Require;

    /// The attribute value libvirt reads and writes.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Force => "force",
            Policy::Require => "require",
            Policy::Optional => "optional",
            Policy::Disable => "disable",
            Policy::Forbid => "forbid",
        }
    }

    /// A policy by its libvirt name (exact: libvirt compares case-sensitively).
    pub fn parse(name: &str) -> Option<Policy> {
        Policy::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The policy of a `policy` attribute as libvirt reads it: [`Policy::DEFAULT`] when the
    /// attribute is absent, `None` for a value libvirt refuses ("Invalid CPU feature policy").
    pub fn from_attribute(value: Option<&str>) -> Option<Policy> {
        value.map_or(Some(Policy::DEFAULT), Policy::parse)
    }

    /// The policy that plainly turns a feature on or off: `require` or `disable` (`+f` and
    /// `-f` of `set --feature`, `Space` in the TUI, features moved from `<qemu:cpu>`).
    pub fn turning(on: bool) -> Policy {
        if on { Policy::Require } else { Policy::Disable }
    }

    pub fn effect(self) -> PolicyEffect {
        match self {
            Policy::Force | Policy::Require => PolicyEffect::On,
            Policy::Disable | Policy::Forbid => PolicyEffect::Off,
            Policy::Optional => PolicyEffect::OnIfHostHas,
        }
    }

    /// The feature is on whatever the host.
    pub fn enables(self) -> bool {
        self.effect() == PolicyEffect::On
    }

    /// The feature is off whatever the host.
    pub fn disables(self) -> bool {
        self.effect() == PolicyEffect::Off
    }

    /// The next policy in [`Policy::ALL`], wrapping around.
    pub fn next(self) -> Policy {
        let i = Policy::ALL.iter().position(|&p| p == self).unwrap_or(0);
        Policy::ALL[(i + 1) % Policy::ALL.len()]
    }

    /// The names, comma-separated, for messages that list what is accepted.
    pub fn names() -> String {
        Policy::ALL.map(Policy::name).join(", ")
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_nothing_else_parses() {
        for p in Policy::ALL {
            assert_eq!(Policy::parse(p.name()), Some(p));
            assert_eq!(p.to_string(), p.name());
        }
        for bad in ["", "Require", "on", "optional ", "enable"] {
            assert_eq!(Policy::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Policy::names(), "force, require, optional, disable, forbid");
    }

    #[test]
    fn an_absent_attribute_is_require_and_a_bad_one_is_no_policy() {
        assert_eq!(Policy::from_attribute(None), Some(Policy::Require));
        assert_eq!(Policy::from_attribute(Some("forbid")), Some(Policy::Forbid));
        assert_eq!(Policy::from_attribute(Some("bogus")), None);
    }

    /// libvirt: optional is neither on nor off until resolved against the host.
    #[test]
    fn effects_follow_libvirt() {
        use PolicyEffect::*;
        let effects = Policy::ALL.map(Policy::effect);
        assert_eq!(effects, [On, On, OnIfHostHas, Off, Off]);
        assert!(!Policy::Optional.enables() && !Policy::Optional.disables());
        assert_eq!(Policy::turning(true), Policy::Require);
        assert_eq!(Policy::turning(false), Policy::Disable);
    }

    #[test]
    fn next_cycles_through_all_in_schema_order() {
        let mut p = Policy::Force;
        let mut seen = Vec::new();
        for _ in 0..Policy::ALL.len() {
            seen.push(p);
            p = p.next();
        }
        assert_eq!(seen, Policy::ALL);
        assert_eq!(p, Policy::Force);
    }
}

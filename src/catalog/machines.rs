//! QEMU's machine types, as `query-machines` reports them (recorded by `virt-cpu catalog
//! refresh`), and what a versioned name says.
//!
//! A versioned machine type (`pc-i440fx-2.0`, `pc-q35-10.0`) keeps the guest ABI of the QEMU
//! release in its name. QEMU adds one per release and retires the oldest after a deprecation
//! period, so whether a QEMU has one is a fact of that QEMU: its list, not a rule.

use super::versions::Version;
use serde::{Deserialize, Serialize};

/// One machine type of `query-machines`.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
pub struct QemuMachine {
    pub name: String,
    /// The unversioned name that stands for it (`pc`, `q35`): the newest of its family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// QEMU's default machine type (`-machine` not given).
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_default: bool,
    /// QEMU warns about it and will remove it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
}

fn is_false(v: &bool) -> bool {
    !*v
}

/// A versioned machine type name split into its family and the QEMU release it keeps
/// (`pc-i440fx-2.0` → (`pc-i440fx`, 2.0)). `None` for an alias (`pc`), an unversioned type
/// (`microvm`) or a vendor's version (`pc-q35-rhel9.2.0`).
pub fn versioned(name: &str) -> Option<(&str, Version)> {
    let (family, release) = name.rsplit_once('-')?;
    let mut parts = release.split('.');
    let (major, minor) = (parts.next()?, parts.next()?);
    if parts.next().is_some() || family.is_empty() {
        return None;
    }
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    Some((family, Version::new(number(major)?, number(minor)?, 0)))
}

/// A QEMU's machine types (what one catalog records).
#[derive(Debug, Clone, Copy)]
pub struct Machines<'a>(pub &'a [QemuMachine]);

impl<'a> Machines<'a> {
    /// The machine type by name or alias.
    pub fn get(&self, name: &str) -> Option<&'a QemuMachine> {
        self.0
            .iter()
            .find(|m| m.name == name || m.alias.as_deref() == Some(name))
    }

    /// The versioned types of `family`, oldest first.
    pub fn family(&self, family: &str) -> Vec<(&'a QemuMachine, Version)> {
        let mut v: Vec<_> = self
            .0
            .iter()
            .filter_map(|m| {
                let (f, release) = versioned(&m.name)?;
                (f == family).then_some((m, release))
            })
            .collect();
        v.sort_by_key(|(_, release)| (release.major, release.minor));
        v
    }

    /// The alias of `family`'s newest type (`pc` for `pc-i440fx`), when QEMU has one.
    pub fn alias_of_family(&self, family: &str) -> Option<&'a str> {
        self.family(family)
            .iter()
            .find_map(|(m, _)| m.alias.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_names_split_into_family_and_release() {
        assert_eq!(
            versioned("pc-i440fx-2.0"),
            Some(("pc-i440fx", Version::new(2, 0, 0)))
        );
        assert_eq!(
            versioned("pc-q35-10.0"),
            Some(("pc-q35", Version::new(10, 0, 0)))
        );
        for other in [
            "pc",
            "q35",
            "microvm",
            "pc-q35-rhel9.2.0",
            "x-remote",
            "-1.0",
        ] {
            assert_eq!(versioned(other), None, "{other}");
        }
    }

    #[test]
    fn a_family_is_ordered_by_release_and_finds_its_alias() {
        let m = |name: &str, alias: Option<&str>| QemuMachine {
            name: name.into(),
            alias: alias.map(str::to_string),
            ..QemuMachine::default()
        };
        let list = [
            m("pc-i440fx-10.0", Some("pc")),
            m("pc-i440fx-2.4", None),
            m("pc-i440fx-9.2", None),
            m("pc-q35-10.0", Some("q35")),
        ];
        let machines = Machines(&list);
        let names: Vec<_> = machines
            .family("pc-i440fx")
            .iter()
            .map(|(m, _)| m.name.as_str())
            .collect();
        assert_eq!(names, ["pc-i440fx-2.4", "pc-i440fx-9.2", "pc-i440fx-10.0"]);
        assert_eq!(machines.alias_of_family("pc-q35"), Some("q35"));
        assert_eq!(machines.get("pc").unwrap().name, "pc-i440fx-10.0");
        assert!(machines.get("pc-i440fx-2.0").is_none());
    }
}

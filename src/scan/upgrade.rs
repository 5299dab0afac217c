//! The upgrade check: a domain judged on its own host as another libvirt + QEMU release would
//! build it — newer (an upgrade) or older (a rollback, or an older host it may migrate to).
//!
//! The engine runs with the target's catalog and the host's capabilities as they are today;
//! what is new is said: the `-cpu` it would get, and the errors it does not have now (a model
//! or feature that libvirt does not know, an option QEMU no longer takes, …). One thing the CPU
//! engine does not see is added here: the machine type. libvirt writes the versioned name at
//! define time (`q35` becomes `pc-q35-10.0`) and refuses a domain whose machine type its QEMU
//! lacks. The target's catalog records that QEMU's machine types (`query-machines`): an older
//! QEMU lacks the newer ones, a newer QEMU has retired the oldest (QEMU 10.0 has no
//! `pc-i440fx-2.3`), and one it deprecates is said as a note.

use super::Facts;
use crate::argv::Reading;
use crate::catalog::machines::{self, Machines};
use crate::catalog::select::Selected;
use crate::catalog::versions::{Followed, Version};
use crate::check;
use crate::store::Loaded;
use serde::Serialize;

/// A domain after the upgrade (or the move to an older release).
#[derive(Debug, Clone, Serialize)]
pub struct Upgrade {
    /// The `-cpu` value then.
    pub value: Option<String>,
    pub value_changes: bool,
    pub starts: bool,
    /// Errors then that are not errors now.
    pub new_errors: Vec<String>,
    /// What does not stop it but is worth knowing (a machine type deprecated there, or one
    /// whose presence there cannot be told).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The target is older than the release its host runs now (libvirt or QEMU): a rollback or
    /// a move to an older host, not an upgrade.
    pub older: bool,
}

/// Whether `to` is older than `now` in libvirt or in QEMU (release lines: major.minor).
pub fn is_older(to: &Followed, now: &Followed) -> bool {
    let line = |v: Version| (v.major, v.minor);
    line(to.libvirt) < line(now.libvirt) || line(to.qemu) < line(now.qemu)
}

/// Whether `to` is newer than `now` (and nowhere older): an upgrade.
pub fn is_newer(to: &Followed, now: &Followed) -> bool {
    let line = |v: Version| (v.major, v.minor);
    !is_older(to, now) && (line(to.libvirt) > line(now.libvirt) || line(to.qemu) > line(now.qemu))
}

/// What `target` makes of `loaded`, whose report on its own host (release `now`) is `today`.
pub(super) fn after(
    loaded: &Loaded,
    today: &check::Report,
    now: Option<&Selected>,
    target: &Selected,
    facts: &Facts,
    reading: Reading,
) -> Upgrade {
    let key = super::key_of(&loaded.domain);
    let caps = facts.caps.get(&key).and_then(|c| c.as_ref().ok());
    let then = super::report(loaded, target.catalog, caps, facts.host.as_ref(), reading);
    let before = super::errors_of(today);
    let machine = machine_verdict(loaded.domain.machine.as_deref(), now, target);
    let mut new_errors: Vec<String> = machine.gone.into_iter().collect();
    new_errors.extend(
        super::errors_of(&then)
            .into_iter()
            .filter(|e| !before.contains(e)),
    );
    Upgrade {
        value_changes: then.arg.value != today.arg.value,
        value: then.arg.value.clone(),
        starts: new_errors.is_empty() && !then.has_errors(),
        new_errors,
        notes: machine.note.into_iter().collect(),
        older: now.is_some_and(|now| is_older(&target.follows, &now.follows)),
    }
}

/// What the target's QEMU makes of the domain's machine type.
#[derive(Debug, Default, PartialEq, Eq)]
struct MachineVerdict {
    /// Why it would not start there: the target's QEMU has no such machine type.
    gone: Option<String>,
    /// What is worth knowing but does not stop it (deprecated there; cannot tell).
    note: Option<String>,
}

/// Whether the target's QEMU has the domain's versioned machine type (`pc-i440fx-2.0`,
/// `pc-q35-10.0`), judged by the machine types the target's catalog records: QEMU retires old
/// ones (QEMU 10.0 has no `pc-i440fx-2.3`) and an older QEMU lacks the newer ones. A catalog
/// without the list is judged by the name alone (a release newer than that QEMU), and says it
/// cannot tell otherwise. Aliases (`q35`), unversioned types and vendors' names
/// (`pc-q35-rhel9.2.0`) are not judged. `now` is the catalog of the release the host runs.
fn machine_verdict(
    machine: Option<&str>,
    now: Option<&Selected>,
    target: &Selected,
) -> MachineVerdict {
    let Some(machine) = machine else {
        return MachineVerdict::default();
    };
    let Some((family, made)) = machines::versioned(machine) else {
        return MachineVerdict::default();
    };
    let qemu = target.follows.qemu.line();
    let newer = (made.major, made.minor) > (target.follows.qemu.major, target.follows.qemu.minor);
    let Some(there) = target.catalog.qemu.machine_types() else {
        return name_rule(machine, family, made, newer, target);
    };
    let here = now.and_then(|n| Some((n.follows.qemu.line(), n.catalog.qemu.machine_types()?)));
    let Some(has) = there.get(machine) else {
        // Not new when the host's own QEMU lacks it too: it does not start today either.
        if here.as_ref().is_some_and(|(_, h)| h.get(machine).is_none()) {
            return MachineVerdict::default();
        }
        let why = if newer {
            format!("it came with QEMU {}", made.line())
        } else {
            match &here {
                Some((line, _)) => format!("retired after QEMU {line}, which has it"),
                None => format!("retired before QEMU {qemu}"),
            }
        };
        return MachineVerdict {
            gone: Some(format!(
                "QEMU {qemu} has no machine type '{machine}' ({why}){}",
                replacement(there, family, !newer, &qemu)
            )),
            note: None,
        };
    };
    let deprecated_here = here
        .as_ref()
        .and_then(|(_, h)| h.get(machine))
        .is_some_and(|m| m.deprecated);
    MachineVerdict {
        gone: None,
        note: (has.deprecated && !deprecated_here).then(|| {
            format!(
                "QEMU {qemu} deprecates machine type '{machine}' (it warns at start, and a later QEMU removes it){}",
                replacement(there, family, false, &qemu)
            )
        }),
    }
}

/// What to define instead: the family's alias (its newest type) and, with `oldest_too` (a type
/// QEMU retired), the oldest it still has, whose ABI is the closest to the retired one.
fn replacement(there: Machines, family: &str, oldest_too: bool, qemu: &str) -> String {
    let kept = there.family(family);
    let newest = kept.last().map(|(m, _)| m.name.as_str());
    let alias = there.alias_of_family(family);
    let mut choices = Vec::new();
    if oldest_too && let Some((oldest, _)) = kept.first() {
        let deprecated = if oldest.deprecated {
            ", deprecated there"
        } else {
            ""
        };
        choices.push(format!(
            "'{}' (the oldest QEMU {qemu} has{deprecated})",
            oldest.name
        ));
    }
    match (alias, newest) {
        (Some(a), Some(n)) => choices.push(format!("'{a}' (there {n})")),
        (None, Some(n)) if !oldest_too => choices.push(format!("'{n}'")),
        _ => {}
    }
    if choices.is_empty() {
        return String::new();
    }
    // Not "; …": the reasons of a domain are joined with "; ".
    let which = if choices.len() > 1 {
        "either of which"
    } else {
        "which"
    };
    format!(
        ": define it there with machine={}, {which} changes the guest's ABI",
        choices.join(" or ")
    )
}

/// The fallback for a catalog that records no machine types: only a release newer than the
/// target's QEMU is known to be missing (QEMU names each versioned type after the release that
/// added it); whether an older one was retired cannot be told.
fn name_rule(
    machine: &str,
    family: &str,
    made: Version,
    newer: bool,
    target: &Selected,
) -> MachineVerdict {
    let qemu = target.follows.qemu.line();
    if !newer {
        return MachineVerdict {
            gone: None,
            note: Some(format!(
                "cannot tell whether QEMU {qemu} still has machine type '{machine}': its catalog records no machine types (virt-cpu catalog refresh records them)"
            )),
        };
    }
    // The unversioned name libvirt turns into the newest versioned type of that QEMU.
    let alias = match family {
        "pc-q35" => Some("q35"),
        "pc-i440fx" | "pc" => Some("pc"),
        _ => None,
    };
    let advice = alias
        .map(|a| format!(": define it there with machine='{a}', which changes the guest's ABI"))
        .unwrap_or_default();
    MachineVerdict {
        gone: Some(format!(
            "QEMU {qemu} has no machine type '{machine}' (it came with QEMU {}){advice}",
            made.line()
        )),
        note: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::select::{Request, select};
    use crate::store::{Origin, load};

    fn selected(libvirt: &str) -> Selected {
        select(&Request {
            libvirt: Version::parse(libvirt),
            ..Request::default()
        })
        .unwrap()
    }

    fn domain(machine: &str, cpu: &str) -> Loaded {
        let xml = format!(
            "<domain type='qemu'>\n  <name>t</name>\n  <memory unit='MiB'>64</memory>\n  \
             <os><type arch='x86_64' machine='{machine}'>hvm</type></os>\n  {cpu}\n</domain>\n"
        );
        load::from_bytes(xml.into_bytes(), "t", Origin::Libvirt { name: "t".into() }).unwrap()
    }

    /// `loaded` judged by `from`'s catalog today, then by `to`'s.
    fn moved(loaded: &Loaded, from: &Selected, to: &Selected) -> Upgrade {
        let today = super::super::report(loaded, from.catalog, None, None, Reading::Merge);
        after(
            loaded,
            &today,
            Some(from),
            to,
            &Facts::default(),
            Reading::Merge,
        )
    }

    const CUSTOM: &str = "<cpu mode='custom' match='exact' check='none'><model fallback='forbid'>";

    #[test]
    fn a_model_only_the_newer_libvirt_knows_would_no_longer_start_on_the_older() {
        let (new, old) = (selected("11.3"), selected("9.0"));
        let d = domain("q35", &format!("{CUSTOM}GraniteRapids</model></cpu>"));
        let u = moved(&d, &new, &old);
        assert!(!u.starts && u.older, "{u:?}");
        assert_eq!(u.value, None);
        assert_eq!(u.new_errors.len(), 1, "{u:?}");
        assert!(
            u.new_errors[0].contains("libvirt 9.0 knows no CPU model 'GraniteRapids'"),
            "{u:?}"
        );
        // The other way it is an upgrade, and nothing breaks.
        let back = moved(&d, &old, &new);
        assert!(!back.older, "{back:?}");
        assert!(back.new_errors.is_empty(), "{back:?}");
    }

    #[test]
    fn a_feature_only_the_newer_libvirt_knows_would_no_longer_start_on_the_older() {
        let (new, old) = (selected("11.3"), selected("9.0"));
        for policy in ["require", "disable"] {
            let d = domain(
                "q35",
                &format!(
                    "{CUSTOM}Nehalem</model><feature policy='{policy}' name='avx-ifma'/></cpu>"
                ),
            );
            let today = moved(&d, &new, &new);
            assert!(today.starts && today.new_errors.is_empty(), "{today:?}");
            let u = moved(&d, &new, &old);
            assert!(!u.starts, "{policy}: {u:?}");
            assert!(
                u.new_errors
                    .iter()
                    .any(|e| e.contains("libvirt 9.0 knows no CPU feature 'avx-ifma'")),
                "{policy}: {u:?}"
            );
        }
    }

    #[test]
    fn a_machine_type_newer_than_the_target_qemu_would_no_longer_start() {
        let (new, old) = (selected("11.3"), selected("9.0"));
        let d = domain("pc-q35-10.0", &format!("{CUSTOM}Nehalem</model></cpu>"));
        let u = moved(&d, &new, &old);
        assert!(!u.starts, "{u:?}");
        assert_eq!(u.new_errors.len(), 1, "{u:?}");
        assert!(
            u.new_errors[0].starts_with("QEMU 7.2 has no machine type 'pc-q35-10.0'"),
            "{u:?}"
        );
        assert!(
            u.new_errors[0].ends_with(
                "define it there with machine='q35' (there pc-q35-7.2), which changes the guest's ABI"
            ),
            "{u:?}"
        );
        // Its -cpu is the same there: only the machine type stops it.
        assert!(!u.value_changes, "{u:?}");
        let d = domain("pc-i440fx-8.2", &format!("{CUSTOM}Nehalem</model></cpu>"));
        let u = moved(&d, &new, &old);
        assert_eq!(
            u.new_errors,
            [
                "QEMU 7.2 has no machine type 'pc-i440fx-8.2' (it came with QEMU 8.2): define it there with machine='pc' (there pc-i440fx-7.2), which changes the guest's ABI"
            ]
        );
        // A machine type the older QEMU has, or an alias, is no reason.
        for machine in [
            "pc-q35-7.2",
            "pc-i440fx-7.0",
            "q35",
            "pc",
            "pc-q35-rhel9.2.0",
        ] {
            let d = domain(machine, &format!("{CUSTOM}Nehalem</model></cpu>"));
            let u = moved(&d, &new, &old);
            assert!(u.starts && u.new_errors.is_empty(), "{machine}: {u:?}");
        }
    }

    /// QEMU 10.0 retired the oldest i440FX types that QEMU 7.2 still has: upgrading, a domain of
    /// pc-i440fx-2.0 would no longer start; on 7.2 it is fine. The advice names what 10.0 has.
    #[test]
    fn a_machine_type_the_newer_qemu_removed_would_no_longer_start() {
        let (new, old) = (selected("11.3"), selected("9.0"));
        let d = domain("pc-i440fx-2.0", &format!("{CUSTOM}Nehalem</model></cpu>"));
        let stays = moved(&d, &old, &old);
        assert!(stays.starts && stays.new_errors.is_empty(), "{stays:?}");
        assert!(stays.notes.is_empty(), "{stays:?}");
        let u = moved(&d, &old, &new);
        assert!(!u.starts && !u.older, "{u:?}");
        assert_eq!(
            u.new_errors,
            [
                "QEMU 10.0 has no machine type 'pc-i440fx-2.0' (retired after QEMU 7.2, which has it): define it there with machine='pc-i440fx-2.4' (the oldest QEMU 10.0 has, deprecated there) or 'pc' (there pc-i440fx-10.0), either of which changes the guest's ABI"
            ]
        );
        // A type both have is no reason; one 10.0 deprecates (7.2 did not) is a note.
        let d = domain("pc-q35-7.0", &format!("{CUSTOM}Nehalem</model></cpu>"));
        let u = moved(&d, &old, &new);
        assert!(u.starts && u.new_errors.is_empty(), "{u:?}");
        assert_eq!(
            u.notes,
            [
                "QEMU 10.0 deprecates machine type 'pc-q35-7.0' (it warns at start, and a later QEMU removes it): define it there with machine='q35' (there pc-q35-10.0), which changes the guest's ABI"
            ]
        );
        let d = domain("pc-q35-7.2", &format!("{CUSTOM}Nehalem</model></cpu>"));
        let u = moved(&d, &old, &new);
        assert!(
            u.starts && u.new_errors.is_empty() && u.notes.is_empty(),
            "{u:?}"
        );
    }

    /// `selected`'s pair with a catalog that records no machine types (refreshed before they
    /// were recorded).
    fn without_machine_list(libvirt: &str) -> Selected {
        let s = selected(libvirt);
        let mut catalog = s.catalog.clone();
        catalog.qemu.machines = None;
        Selected {
            catalog: Box::leak(Box::new(catalog)),
            follows: s.follows,
        }
    }

    /// Without the target's list the name alone decides: a newer release is missing, an older
    /// one cannot be told (a note, not a refusal).
    #[test]
    fn without_the_list_only_the_name_rule_judges_and_says_what_it_cannot_tell() {
        let (new, old) = (selected("11.3"), selected("9.0"));
        let d = domain("pc-i440fx-2.0", &format!("{CUSTOM}Nehalem</model></cpu>"));
        let u = moved(&d, &old, &without_machine_list("11.3"));
        assert!(u.starts && u.new_errors.is_empty(), "{u:?}");
        assert_eq!(
            u.notes,
            [
                "cannot tell whether QEMU 10.0 still has machine type 'pc-i440fx-2.0': its catalog records no machine types (virt-cpu catalog refresh records them)"
            ]
        );
        let d = domain("pc-q35-10.0", &format!("{CUSTOM}Nehalem</model></cpu>"));
        let u = moved(&d, &new, &without_machine_list("9.0"));
        assert_eq!(
            u.new_errors,
            [
                "QEMU 7.2 has no machine type 'pc-q35-10.0' (it came with QEMU 10.0): define it there with machine='q35', which changes the guest's ABI"
            ]
        );
    }

    /// A machine type the host's own QEMU lacks too is not new: the upgrade changes nothing.
    #[test]
    fn a_machine_type_neither_qemu_has_is_no_new_error() {
        let new = selected("11.3");
        let d = domain("pc-i440fx-1.3", &format!("{CUSTOM}Nehalem</model></cpu>"));
        let u = moved(&d, &selected("9.0"), &new);
        assert!(u.new_errors.is_empty() && u.notes.is_empty(), "{u:?}");
    }

    /// Upgrading, Skylake-Client's -cpu changes (libvirt 11.3 appends mpx=off) and it starts.
    #[test]
    fn an_upgrade_changes_the_value_and_still_starts() {
        let (new, old) = (selected("11.3"), selected("9.0"));
        let d = domain(
            "pc-q35-7.2",
            &format!("{CUSTOM}Skylake-Client</model></cpu>"),
        );
        let u = moved(&d, &old, &new);
        assert!(u.starts && !u.older && u.value_changes, "{u:?}");
        assert!(u.value.as_deref().unwrap().contains("mpx=off"), "{u:?}");
    }
}

//! The upgrade check: a domain judged on its own host as another libvirt + QEMU release would
//! build it — newer (an upgrade) or older (a rollback, or an older host it may migrate to).
//!
//! The engine runs with the target's catalog and the host's capabilities as they are today;
//! what is new is said: the `-cpu` it would get, and the errors it does not have now (a model
//! or feature that libvirt does not know, an option QEMU no longer takes, …). One thing the CPU
//! engine does not see is added here: the machine type. libvirt writes the versioned name at
//! define time (`q35` becomes `pc-q35-10.0`), and QEMU names each versioned machine type after
//! the release that added it, so an older QEMU has none of the newer ones.

use super::Facts;
use crate::argv::Reading;
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
    now: Option<&Followed>,
    target: &Selected,
    facts: &Facts,
    reading: Reading,
) -> Upgrade {
    let key = super::key_of(&loaded.domain);
    let caps = facts.caps.get(&key).and_then(|c| c.as_ref().ok());
    let then = super::report(loaded, target.catalog, caps, facts.host.as_ref(), reading);
    let before = super::errors_of(today);
    let mut new_errors: Vec<String> = machine_gone(loaded.domain.machine.as_deref(), target)
        .into_iter()
        .collect();
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
        older: now.is_some_and(|now| is_older(&target.follows, now)),
    }
}

/// Why the target's QEMU has no `machine`: a versioned machine type (`pc-q35-10.0`,
/// `pc-i440fx-8.2`) of a release newer than that QEMU. `None` when it may have it (an alias,
/// a release it has, a name of another form).
fn machine_gone(machine: Option<&str>, target: &Selected) -> Option<String> {
    let machine = machine?;
    let (_, release) = machine.rsplit_once('-')?;
    let made = Version::parse(release).filter(|_| release.split('.').count() == 2)?;
    let qemu = target.follows.qemu;
    // The unversioned name libvirt turns into the newest versioned type of that QEMU.
    // (q35 for pc-q35-*; pc for pc-i440fx-* and the older pc-X.Y.)
    let alias = if machine.starts_with("pc-q35-") {
        Some("q35")
    } else {
        machine.starts_with("pc-").then_some("pc")
    };
    ((made.major, made.minor) > (qemu.major, qemu.minor)).then(|| {
        let advice = alias
            .map(|a| format!(": define it there with machine='{a}'"))
            .unwrap_or_default();
        format!(
            "QEMU {} has no machine type '{machine}' (it came with QEMU {}){advice}",
            qemu.line(),
            made.line()
        )
    })
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
            Some(&from.follows),
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
            u.new_errors[0].ends_with("define it there with machine='q35'"),
            "{u:?}"
        );
        // Its -cpu is the same there: only the machine type stops it.
        assert!(!u.value_changes, "{u:?}");
        let d = domain("pc-i440fx-8.2", &format!("{CUSTOM}Nehalem</model></cpu>"));
        let u = moved(&d, &new, &old);
        assert_eq!(
            u.new_errors,
            [
                "QEMU 7.2 has no machine type 'pc-i440fx-8.2' (it came with QEMU 8.2): define it there with machine='pc'"
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

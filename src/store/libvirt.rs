//! A libvirt domain as the document: its persistent definition read the way `virsh edit` reads
//! it, and an edited definition given back with `virsh define`.

use crate::host::{HostError, Runner, virsh};
use std::io::Write;

/// Why a definition was not given back to libvirt.
#[derive(Debug, thiserror::Error)]
pub enum DefineError {
    /// Someone changed the definition since it was read: nothing was defined.
    #[error(
        "{name}'s definition changed in libvirt since it was read; nothing was defined — reload it to see the other change, or save your version to a file"
    )]
    Changed { name: String },
    /// libvirt refused the document (its own error follows).
    #[error("libvirt refused the definition; nothing changed — fix it and try again. {0}")]
    Refused(HostError),
    /// virsh could not be asked, or the temporary file could not be written.
    #[error("{0}")]
    Other(String),
}

/// The domain's persistent definition as `virsh edit` reads it: inactive, and with its secrets
/// (`--security-info`: VNC/SPICE passwords and other secure fields). Without them, defining the
/// edited document back would remove them — a guest console open with no password.
pub fn dumpxml(runner: &dyn Runner, uri: Option<&str>, name: &str) -> Result<String, HostError> {
    virsh(
        runner,
        uri,
        &["dumpxml", "--inactive", "--security-info", "--domain", name],
    )
    .map(|(xml, _)| xml)
}

/// Defines `bytes` as `name`'s definition unless that changed since it was read (`expected`, as
/// [`dumpxml`] returned it); returns the definition libvirt holds afterwards.
pub fn define(
    runner: &dyn Runner,
    uri: Option<&str>,
    name: &str,
    bytes: &str,
    expected: &str,
) -> Result<String, DefineError> {
    let other = |e: HostError| DefineError::Other(e.to_string());
    let now = dumpxml(runner, uri, name).map_err(other)?;
    if now != expected {
        return Err(DefineError::Changed { name: name.into() });
    }
    // tempfile creates the file 0600 in the temporary directory: the document holds secrets.
    let mut tmp = tempfile::Builder::new()
        .prefix("virt-cpu-")
        .suffix(".xml")
        .tempfile()
        .map_err(|e| DefineError::Other(format!("cannot write a temporary file: {e}")))?;
    tmp.write_all(bytes.as_bytes())
        .and_then(|()| tmp.flush())
        .map_err(|e| DefineError::Other(format!("cannot write a temporary file: {e}")))?;
    let path = tmp.path().to_string_lossy().into_owned();
    virsh(runner, uri, &["define", "--file", &path]).map_err(DefineError::Refused)?;
    dumpxml(runner, uri, name).map_err(other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{FnRunner, Output};
    use std::cell::RefCell;

    /// A fake virsh (no daemon in unit tests; tests/tui_tmux.rs drives the real one) that holds
    /// one definition and records every call.
    fn fake<'a>(
        definition: &'static str,
        calls: &'a RefCell<Vec<Vec<String>>>,
    ) -> impl Runner + 'a {
        FnRunner(move |program: &str, args: &[&str], _: &[u8]| {
            assert_eq!(program, "virsh");
            calls
                .borrow_mut()
                .push(args.iter().map(|a| a.to_string()).collect());
            Ok(Output {
                status: Some(0),
                stdout: definition.into(),
                stderr: String::new(),
            })
        })
    }

    #[test]
    fn the_definition_is_read_with_its_secrets_every_time() {
        let calls = RefCell::new(Vec::new());
        let runner = fake("<domain/>", &calls);
        define(
            &runner,
            Some("qemu:///system"),
            "vm",
            "<domain/>",
            "<domain/>",
        )
        .unwrap();
        let calls = calls.borrow();
        let reads: Vec<_> = calls
            .iter()
            .filter(|c| c.contains(&"dumpxml".into()))
            .collect();
        assert_eq!(reads.len(), 2, "{calls:?}");
        for read in reads {
            assert!(read.contains(&"--security-info".into()), "{read:?}");
            assert!(read.contains(&"--inactive".into()), "{read:?}");
        }
    }

    #[test]
    fn a_definition_changed_meanwhile_is_not_defined() {
        let calls = RefCell::new(Vec::new());
        let runner = fake("<domain>theirs</domain>", &calls);
        let e = define(&runner, None, "vm", "<domain>mine</domain>", "<domain/>").unwrap_err();
        assert!(matches!(e, DefineError::Changed { .. }), "{e}");
        assert!(!calls.borrow().iter().any(|c| c.contains(&"define".into())));
    }
}

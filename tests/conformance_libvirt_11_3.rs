//! libvirt 11.3's own `-cpu` test cases (../shared/conformance/libvirt-11.3): our generator, with
//! the libvirt 11.3 catalog, must produce the `cpu_arg` column byte for byte, and refuse the
//! `error` rows with libvirt's message. The capabilities are set up as libvirt 11.3's
//! `qemuxmlconftest` does (see the set's README.md and tests/common/conformance.rs).

mod common;

use common::conformance::{CapsSpec, parse_caps_spec};
use virt_cpu::catalog::{Catalog, versions};

#[test]
fn libvirt_11_3_conformance() {
    let catalog = Catalog::embedded_pair(&versions::EMBEDDED[1]);
    assert_eq!(catalog.libvirt.release(), versions::Version::new(11, 3, 0));
    common::conformance::check_all(&common::conformance::dir_11_3(), catalog, "libvirt 11.3");
}

#[test]
fn caps_column_is_parsed_as_the_readme_says() {
    assert_eq!(
        parse_caps_spec("x86_64-latest;ARG_CAPS_HOST_CPU_MODEL=QEMU_CPU_DEF_HASWELL"),
        CapsSpec {
            version: "latest",
            args: vec!["ARG_CAPS_HOST_CPU_MODEL=QEMU_CPU_DEF_HASWELL"],
            ..CapsSpec::default()
        }
    );
    assert_eq!(
        parse_caps_spec("x86_64-latest+amdsev"),
        CapsSpec {
            version: "latest",
            variant: Some("amdsev"),
            ..CapsSpec::default()
        }
    );
    assert_eq!(
        parse_caps_spec("x86_64-8.1.0+fake:CPU_MAX,CPU_MIGRATABLE-fake:CPU_UNAVAILABLE_FEATURES"),
        CapsSpec {
            version: "8.1.0",
            set: vec!["CPU_MAX", "CPU_MIGRATABLE"],
            clear: vec!["CPU_UNAVAILABLE_FEATURES"],
            ..CapsSpec::default()
        }
    );
}

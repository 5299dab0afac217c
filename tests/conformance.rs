//! libvirt 9.0's own `-cpu` test cases (../shared/conformance/libvirt-9.0): our generator, with
//! the libvirt 9.0 catalog, must produce the `cpu_arg` column byte for byte, and refuse the
//! `error` rows with libvirt's message.

mod common;

use virt_cpu::catalog::Catalog;

#[test]
fn libvirt_conformance() {
    common::conformance::check_all(
        &common::conformance::dir(),
        Catalog::embedded(),
        "libvirt 9.0",
    );
}

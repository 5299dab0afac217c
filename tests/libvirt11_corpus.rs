//! With the libvirt 11.3 daemon of the Debian 13 chroot (.ci/debian13-chroot), `virt-cpu argv -c
//! URI` (which then follows libvirt 11.3 + QEMU 10.0) and `virsh domxml-to-native qemu-argv`
//! agree on the corpus domains libvirt_corpus.rs compares with libvirt 9.0 (libvirt 9.0's own test
//! domains, ../shared/corpus), and on the same small domains around the host comparison: the
//! same `-cpu` value, or both refuse with libvirt's message. As there, the expected results are
//! whatever the daemon says on this host.

mod common;

use common::libvirt::{ACCEPTED, NAMED, Outcome, compare_all, compare_synthetic, corpus_selection};

#[test]
fn corpus_agrees_with_libvirt11() {
    if !common::require_libvirt11_daemon() {
        return;
    }
    let uri = common::libvirt11_uri();
    let files = corpus_selection();
    assert!(
        files.len() >= NAMED.len() + 40,
        "only {} corpus domains selected",
        files.len()
    );
    let compared = compare_all(&uri, "11.3", &files);
    assert!(
        compared.differ.is_empty(),
        "virt-cpu and libvirt 11.3 differ on {} of {} corpus domains:\n{}",
        compared.differ.len(),
        files.len(),
        compared.differ.join("\n")
    );
    for name in ACCEPTED {
        let theirs = compared.libvirt_of(name);
        assert!(
            matches!(theirs, Outcome::Cpu(Some(_))),
            "{name}: libvirt 11.3 gave {theirs:?}"
        );
    }
}

#[test]
fn synthetic_cpus_agree_with_libvirt11() {
    if !common::require_libvirt11_daemon() {
        return;
    }
    let report = compare_synthetic(&common::libvirt11_uri(), "11.3");
    assert!(
        report.is_empty(),
        "virt-cpu and libvirt 11.3 differ on {} synthetic domains:\n{}",
        report.len(),
        report.join("\n")
    );
}

//! A generated large domain for benchmarks: 4096 vCPUs in NUMA cells with per-vCPU tuning and
//! many devices, the kind of definition that makes a slow editor feel slow.

/// About `target_bytes` of libvirt-style XML.
pub fn big_domain(target_bytes: usize) -> String {
    let mut x = String::with_capacity(target_bytes + 4096);
    x.push_str("<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n");
    x.push_str("  <name>big</name>\n  <memory unit='KiB'>1073741824</memory>\n");
    x.push_str("  <vcpu placement='static'>4096</vcpu>\n  <cputune>\n");
    for i in 0..4096 {
        x.push_str(&format!("    <vcpupin vcpu='{i}' cpuset='{}'/>\n", i % 256));
    }
    x.push_str("  </cputune>\n  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n");
    x.push_str("  <features>\n    <acpi/>\n    <apic eoi='on'/>\n    <hyperv mode='custom'>\n      <relaxed state='on'/>\n      <spinlocks state='on' retries='8191'/>\n    </hyperv>\n  </features>\n");
    x.push_str("  <cpu mode='custom' match='exact' check='none'>\n    <model fallback='forbid'>Skylake-Server</model>\n");
    x.push_str("    <topology sockets='16' dies='1' cores='128' threads='2'/>\n    <feature policy='require' name='vmx'/>\n    <numa>\n");
    for c in 0..64 {
        x.push_str(&format!(
            "      <cell id='{c}' cpus='{}-{}' memory='16777216' unit='KiB'/>\n",
            c * 64,
            c * 64 + 63
        ));
    }
    x.push_str("    </numa>\n  </cpu>\n  <clock offset='utc'>\n    <timer name='hypervclock' present='yes'/>\n  </clock>\n  <devices>\n");
    let mut i = 0;
    while x.len() < target_bytes {
        x.push_str(&format!(
            "    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2'/>\n      <source file='/var/lib/libvirt/images/disk{i}.qcow2'/>\n      <target dev='vd{i}' bus='virtio'/>\n    </disk>\n    <interface type='network'>\n      <mac address='52:54:00:{:02x}:{:02x}:{:02x}'/>\n      <source network='default'/>\n      <model type='virtio'/>\n    </interface>\n",
            (i >> 16) & 0xff,
            (i >> 8) & 0xff,
            i & 0xff
        ));
        i += 1;
    }
    x.push_str("  </devices>\n</domain>\n");
    x
}

/// The demo domain shipped with virt-cpu.
#[allow(dead_code)] // not every includer benchmarks both inputs
pub const SEED: &str = include_str!("../../assets/examples/icelake-240.xml");

/// The inputs every benchmark runs on: the demo domain and a generated 10 MB one.
#[allow(dead_code)]
pub fn bench_inputs() -> Vec<(&'static str, String)> {
    vec![
        ("seed-240-vcpu", SEED.to_string()),
        ("generated-10MB", big_domain(10 * 1024 * 1024)),
    ]
}

/// The demo domain with one `<qemu:cpu>` option value of `bytes` bytes on one line: a value far
/// wider than any screen, which the view must cut, not lay out whole.
#[allow(dead_code)] // not every includer benchmarks it
pub fn huge_value(bytes: usize) -> String {
    let demo = include_str!("../../assets/examples/icelake-240.xml");
    demo.replace("value='1234'", &format!("value='{}'", "a".repeat(bytes)))
}

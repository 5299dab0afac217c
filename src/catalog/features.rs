//! What a feature or `-cpu` property is for: a category and a one-line description.
//!
//! QEMU and libvirt report names and CPUID bits but no prose, so this is the one place where
//! virt-cpu carries its own knowledge. It only explains names; which names exist, which model
//! has which feature and how spellings map all come from the generated catalog. A name missing
//! here still works everywhere, it just has no description (`description_of` returns `None`).

use serde::Serialize;

/// A coarse grouping for display and filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Speculative-execution and other hardware vulnerability mitigations / immunity bits.
    SecurityMitigation,
    /// Hardware virtualization (VMX/SVM and their nested controls).
    Virtualization,
    /// Vector and floating-point instruction sets.
    Simd,
    /// Cryptography and random numbers.
    Crypto,
    /// Hyper-V enlightenments for Windows guests.
    HyperV,
    /// KVM paravirtual interfaces (CPUID leaf 0x40000001).
    KvmParavirt,
    /// Paging, memory protection and address-space features.
    Memory,
    /// Time stamp counter and timers.
    Timekeeping,
    /// Performance monitoring, tracing and debugging.
    Monitoring,
    /// Transactional memory (TSX).
    TransactionalMemory,
    /// Software Guard Extensions enclaves.
    Sgx,
    /// CPU identity and topology properties (model-id, family, level, phys-bits, …).
    Identity,
    /// Properties that change how QEMU builds or checks the CPU (enforce, check, migratable, …).
    QemuBehaviour,
    /// Everything else: base instructions, power management, platform bits.
    Other,
}

impl Category {
    pub fn label(self) -> &'static str {
        match self {
            Category::SecurityMitigation => "security mitigation",
            Category::Virtualization => "virtualization",
            Category::Simd => "SIMD",
            Category::Crypto => "crypto",
            Category::HyperV => "Hyper-V",
            Category::KvmParavirt => "KVM paravirt",
            Category::Memory => "memory",
            Category::Timekeeping => "timekeeping",
            Category::Monitoring => "monitoring",
            Category::TransactionalMemory => "TSX",
            Category::Sgx => "SGX",
            Category::Identity => "identity",
            Category::QemuBehaviour => "QEMU behaviour",
            Category::Other => "other",
        }
    }
}

/// The category of a QEMU feature or property by its canonical QEMU name.
pub fn category_of(name: &str) -> Category {
    if let Some(c) = DESCRIPTIONS.iter().find(|d| d.0 == name).map(|d| d.1) {
        return c;
    }
    // QEMU's own naming conventions group whole families.
    if name.starts_with("vmx-") {
        Category::Virtualization
    } else if name.starts_with("hv-") || name.starts_with("x-hv-") {
        Category::HyperV
    } else if name.starts_with("kvm") {
        Category::KvmParavirt
    } else if name.starts_with("avx") || name.starts_with("sse") || name.starts_with("amx-") {
        Category::Simd
    } else if name.starts_with("sgx") {
        Category::Sgx
    } else if name.starts_with("x-") {
        Category::QemuBehaviour
    } else {
        Category::Other
    }
}

/// A one-line description, when virt-cpu knows the name.
pub fn description_of(name: &str) -> Option<String> {
    if let Some(d) = DESCRIPTIONS.iter().find(|d| d.0 == name) {
        return Some(d.2.to_string());
    }
    // Nested-VMX capability bits are named after the VMX control they expose.
    if let Some(rest) = name.strip_prefix("vmx-") {
        return Some(format!(
            "nested VMX capability reported to the guest: {}",
            rest.replace('-', " ")
        ));
    }
    if let Some(rest) = name.strip_prefix("hv-version-id-") {
        return Some(format!(
            "Hyper-V version reported to the guest: {rest} field"
        ));
    }
    None
}

use Category::*;

/// name, category, description. Kept sorted by name within each group for review.
const DESCRIPTIONS: &[(&str, Category, &str)] = &[
    // Security mitigations and "not affected" bits.
    (
        "spec-ctrl",
        SecurityMitigation,
        "IBRS/IBPB speculation control (Spectre v2 mitigation, Intel)",
    ),
    (
        "ibrs",
        SecurityMitigation,
        "indirect branch restricted speculation (Spectre v2, AMD CPUID bit)",
    ),
    (
        "ibpb",
        SecurityMitigation,
        "indirect branch prediction barrier (Spectre v2, AMD CPUID bit)",
    ),
    (
        "stibp",
        SecurityMitigation,
        "single thread indirect branch predictors (Spectre v2 across SMT siblings)",
    ),
    (
        "amd-stibp",
        SecurityMitigation,
        "STIBP as reported by AMD's CPUID leaf",
    ),
    (
        "ssbd",
        SecurityMitigation,
        "speculative store bypass disable (Spectre v4, Intel)",
    ),
    (
        "amd-ssbd",
        SecurityMitigation,
        "speculative store bypass disable (Spectre v4, AMD)",
    ),
    (
        "virt-ssbd",
        SecurityMitigation,
        "paravirtual SSBD through VIRT_SPEC_CTRL (AMD guests)",
    ),
    (
        "amd-no-ssb",
        SecurityMitigation,
        "the CPU is not affected by speculative store bypass (AMD)",
    ),
    (
        "ssb-no",
        SecurityMitigation,
        "the CPU is not affected by speculative store bypass (Intel)",
    ),
    (
        "md-clear",
        SecurityMitigation,
        "VERW clears CPU buffers (MDS/TAA mitigation)",
    ),
    (
        "mds-no",
        SecurityMitigation,
        "the CPU is not affected by microarchitectural data sampling",
    ),
    (
        "taa-no",
        SecurityMitigation,
        "the CPU is not affected by TSX asynchronous abort",
    ),
    (
        "rdctl-no",
        SecurityMitigation,
        "the CPU is not affected by rogue data cache load (Meltdown)",
    ),
    (
        "ibrs-all",
        SecurityMitigation,
        "enhanced IBRS: IBRS can stay on permanently",
    ),
    (
        "rsba",
        SecurityMitigation,
        "RET may use alternate branch predictors (retpoline is not enough)",
    ),
    (
        "skip-l1dfl-vmentry",
        SecurityMitigation,
        "no L1D flush needed on VM entry (L1TF)",
    ),
    (
        "pschange-mc-no",
        SecurityMitigation,
        "not affected by machine check on page size change (iTLB multihit)",
    ),
    (
        "arch-capabilities",
        SecurityMitigation,
        "IA32_ARCH_CAPABILITIES MSR reporting vulnerability immunity",
    ),
    (
        "tsx-ctrl",
        SecurityMitigation,
        "IA32_TSX_CTRL MSR to disable TSX (TAA mitigation)",
    ),
    (
        "core-capability",
        SecurityMitigation,
        "IA32_CORE_CAPABILITIES MSR",
    ),
    (
        "split-lock-detect",
        SecurityMitigation,
        "split-lock detection (#AC on locked access across cache lines)",
    ),
    (
        "bus-lock-detect",
        SecurityMitigation,
        "bus-lock debug exception",
    ),
    (
        "sbdr-ssdp-no",
        SecurityMitigation,
        "not affected by shared buffers data read / sideband stale data",
    ),
    (
        "fbsdp-no",
        SecurityMitigation,
        "not affected by fill buffer stale data propagator",
    ),
    (
        "psdp-no",
        SecurityMitigation,
        "not affected by primary stale data propagator",
    ),
    (
        "gds-no",
        SecurityMitigation,
        "not affected by gather data sampling (Downfall)",
    ),
    (
        "rfds-no",
        SecurityMitigation,
        "not affected by register file data sampling",
    ),
    (
        "umip",
        Memory,
        "user-mode instruction prevention (SGDT/SIDT/… fault in user mode)",
    ),
    // Virtualization.
    (
        "vmx",
        Virtualization,
        "Intel VT-x: lets the guest run its own VMs (nested virtualization)",
    ),
    (
        "svm",
        Virtualization,
        "AMD-V: lets the guest run its own VMs (nested virtualization)",
    ),
    (
        "npt",
        Virtualization,
        "AMD nested page tables for the guest's own VMs",
    ),
    (
        "nrip-save",
        Virtualization,
        "AMD SVM next-RIP save on #VMEXIT",
    ),
    ("vgif", Virtualization, "AMD virtual global interrupt flag"),
    (
        "avic",
        Virtualization,
        "AMD advanced virtual interrupt controller",
    ),
    ("lbrv", Virtualization, "AMD LBR virtualization"),
    ("svm-lock", Virtualization, "AMD SVM lock"),
    (
        "tsc-scale",
        Virtualization,
        "AMD TSC ratio MSR for nested guests",
    ),
    ("vmcb-clean", Virtualization, "AMD VMCB clean bits"),
    ("flushbyasid", Virtualization, "AMD flush by ASID"),
    ("decodeassists", Virtualization, "AMD SVM decode assists"),
    (
        "pause-filter",
        Virtualization,
        "AMD SVM PAUSE intercept filter",
    ),
    (
        "pfthreshold",
        Virtualization,
        "AMD SVM PAUSE filter threshold",
    ),
    (
        "v-vmsave-vmload",
        Virtualization,
        "AMD virtualized VMSAVE/VMLOAD",
    ),
    (
        "svme-addr-chk",
        Virtualization,
        "AMD SVM instruction address check",
    ),
    (
        "hypervisor",
        Virtualization,
        "CPUID says the CPU runs under a hypervisor",
    ),
    ("skinit", Virtualization, "AMD SKINIT/STGI secure init"),
    // SIMD.
    ("mmx", Simd, "MMX 64-bit integer SIMD"),
    ("mmxext", Simd, "AMD MMX extensions"),
    ("3dnow", Simd, "AMD 3DNow! (removed from modern CPUs)"),
    ("3dnowext", Simd, "AMD extended 3DNow!"),
    ("pni", Simd, "SSE3 (Prescott new instructions)"),
    ("ssse3", Simd, "supplemental SSE3"),
    ("sse4a", Simd, "AMD SSE4a"),
    ("misalignsse", Simd, "AMD misaligned SSE mode"),
    ("fma", Simd, "fused multiply-add (FMA3)"),
    ("fma4", Simd, "AMD four-operand fused multiply-add"),
    ("f16c", Simd, "half-precision float conversion"),
    ("xop", Simd, "AMD extended operations"),
    ("tbm", Simd, "AMD trailing bit manipulation"),
    ("gfni", Simd, "Galois field new instructions"),
    ("vaes", Simd, "vector AES (AVX/AVX-512 widths)"),
    ("vpclmulqdq", Simd, "vector carry-less multiply"),
    ("avx", Simd, "AVX 256-bit floating-point SIMD"),
    ("avx2", Simd, "AVX2 256-bit integer SIMD"),
    ("avx512f", Simd, "AVX-512 foundation"),
    (
        "avx-vnni",
        Simd,
        "AVX (VEX-encoded) vector neural network instructions",
    ),
    (
        "amx-tile",
        Simd,
        "advanced matrix extensions: tile registers",
    ),
    (
        "amx-int8",
        Simd,
        "advanced matrix extensions: int8 multiply",
    ),
    (
        "amx-bf16",
        Simd,
        "advanced matrix extensions: bfloat16 multiply",
    ),
    ("xfd", Simd, "extended feature disable (lazy AMX state)"),
    ("fpu", Other, "x87 floating-point unit"),
    ("xsave", Other, "XSAVE/XRSTOR processor state save"),
    ("xsaveopt", Other, "optimised XSAVE"),
    ("xsavec", Other, "compacted XSAVE"),
    ("xsaves", Other, "supervisor XSAVE"),
    ("xgetbv1", Other, "XGETBV with ECX=1"),
    (
        "xsaveerptr",
        Other,
        "AMD: XSAVE always saves FP error pointers",
    ),
    // Crypto and randomness.
    ("aes", Crypto, "AES-NI instructions"),
    ("pclmulqdq", Crypto, "carry-less multiply (GCM, CRC)"),
    ("sha-ni", Crypto, "SHA-1/SHA-256 instructions"),
    ("rdrand", Crypto, "hardware random number (RDRAND)"),
    ("rdseed", Crypto, "hardware entropy seed (RDSEED)"),
    ("xstore", Crypto, "VIA PadLock random number generator"),
    ("xstore-en", Crypto, "VIA PadLock RNG enabled"),
    ("xcrypt", Crypto, "VIA PadLock AES"),
    ("xcrypt-en", Crypto, "VIA PadLock AES enabled"),
    ("ace2", Crypto, "VIA PadLock advanced cryptography engine 2"),
    ("ace2-en", Crypto, "VIA ACE2 enabled"),
    ("phe", Crypto, "VIA PadLock hash engine"),
    ("phe-en", Crypto, "VIA PadLock hash engine enabled"),
    ("pmm", Crypto, "VIA PadLock Montgomery multiplier"),
    (
        "pmm-en",
        Crypto,
        "VIA PadLock Montgomery multiplier enabled",
    ),
    // Memory and protection.
    ("pae", Memory, "physical address extension"),
    ("pse", Memory, "4 MiB pages"),
    ("pse36", Memory, "36-bit page size extension"),
    ("pge", Memory, "global pages"),
    ("pat", Memory, "page attribute table"),
    ("mtrr", Memory, "memory type range registers"),
    ("nx", Memory, "no-execute pages"),
    ("lm", Memory, "long mode (64-bit)"),
    ("pdpe1gb", Memory, "1 GiB pages"),
    ("la57", Memory, "5-level paging (57-bit virtual addresses)"),
    (
        "pcid",
        Memory,
        "process-context identifiers (cheaper TLB flushes, KPTI)",
    ),
    ("invpcid", Memory, "INVPCID instruction"),
    ("smep", Memory, "supervisor-mode execution prevention"),
    ("smap", Memory, "supervisor-mode access prevention"),
    ("pku", Memory, "protection keys for user pages"),
    ("pks", Memory, "protection keys for supervisor pages"),
    ("clflush", Memory, "CLFLUSH cache line flush"),
    ("clflushopt", Memory, "optimised CLFLUSH"),
    ("clwb", Memory, "cache line write-back"),
    ("clzero", Memory, "AMD CLZERO"),
    ("wbnoinvd", Memory, "write back without invalidate"),
    ("pcommit", Memory, "persistent commit (withdrawn by Intel)"),
    ("fsgsbase", Memory, "RD/WR FS/GS base instructions"),
    (
        "mpx",
        Memory,
        "memory protection extensions (bounds registers, deprecated)",
    ),
    // Timekeeping.
    ("tsc", Timekeeping, "time stamp counter"),
    ("rdtscp", Timekeeping, "RDTSCP instruction"),
    ("tsc-deadline", Timekeeping, "APIC timer TSC-deadline mode"),
    ("tsc-adjust", Timekeeping, "IA32_TSC_ADJUST MSR"),
    (
        "invtsc",
        Timekeeping,
        "invariant TSC (blocks migration unless tsc-frequency is set)",
    ),
    ("arat", Timekeeping, "APIC timer always running"),
    (
        "tsc-frequency",
        Timekeeping,
        "TSC frequency reported to the guest, in Hz",
    ),
    (
        "tsc-freq",
        Timekeeping,
        "legacy spelling of tsc-frequency that accepts metric suffixes (2.5G)",
    ),
    (
        "vmware-cpuid-freq",
        Timekeeping,
        "report TSC and APIC bus frequencies in VMware's CPUID leaf",
    ),
    // Monitoring.
    ("pdcm", Monitoring, "perfmon and debug capability MSR"),
    (
        "perfctr-core",
        Monitoring,
        "AMD core performance counter extensions",
    ),
    (
        "perfctr-nb",
        Monitoring,
        "AMD northbridge performance counters",
    ),
    ("arch-lbr", Monitoring, "architectural last branch records"),
    ("intel-pt", Monitoring, "Intel processor trace"),
    (
        "intel-pt-lip",
        Monitoring,
        "Intel PT linear instruction pointers",
    ),
    ("ds", Monitoring, "debug store"),
    ("ds-cpl", Monitoring, "CPL-qualified debug store"),
    ("dtes64", Monitoring, "64-bit debug store"),
    ("ibs", Monitoring, "AMD instruction based sampling"),
    ("lwp", Monitoring, "AMD lightweight profiling"),
    (
        "pmu",
        Monitoring,
        "expose a virtual PMU (performance counters) to the guest",
    ),
    (
        "lbr-fmt",
        Monitoring,
        "last branch record format reported to the guest",
    ),
    ("mce", Monitoring, "machine check exception"),
    ("mca", Monitoring, "machine check architecture"),
    ("lmce", Monitoring, "local machine check exceptions"),
    ("wdt", Monitoring, "AMD watchdog timer"),
    // TSX.
    ("hle", TransactionalMemory, "hardware lock elision (TSX)"),
    (
        "rtm",
        TransactionalMemory,
        "restricted transactional memory (TSX)",
    ),
    (
        "tsx-ldtrk",
        TransactionalMemory,
        "TSX suspend load address tracking",
    ),
    // Identity and topology.
    (
        "vendor",
        Identity,
        "CPUID vendor string (GenuineIntel, AuthenticAMD)",
    ),
    ("family", Identity, "CPUID family"),
    ("model", Identity, "CPUID model number"),
    ("stepping", Identity, "CPUID stepping"),
    ("model-id", Identity, "the CPU name string the guest sees"),
    ("level", Identity, "highest basic CPUID leaf"),
    ("xlevel", Identity, "highest extended CPUID leaf"),
    ("xlevel2", Identity, "highest Centaur CPUID leaf"),
    (
        "min-level",
        Identity,
        "lowest value QEMU may raise level to automatically",
    ),
    (
        "min-xlevel",
        Identity,
        "lowest value QEMU may raise xlevel to automatically",
    ),
    (
        "min-xlevel2",
        Identity,
        "lowest value QEMU may raise xlevel2 to automatically",
    ),
    ("level-func7", Identity, "highest CPUID leaf 7 subleaf"),
    (
        "phys-bits",
        Identity,
        "physical address bits reported to the guest",
    ),
    (
        "host-phys-bits",
        Identity,
        "use the host's physical address bits",
    ),
    (
        "host-phys-bits-limit",
        Identity,
        "upper bound for host-phys-bits",
    ),
    (
        "ucode-rev",
        Identity,
        "microcode revision reported to the guest",
    ),
    (
        "apic-id",
        Identity,
        "APIC ID of this CPU (set per CPU by the machine)",
    ),
    (
        "socket-id",
        Identity,
        "socket of this CPU (set per CPU by the machine)",
    ),
    (
        "die-id",
        Identity,
        "die of this CPU (set per CPU by the machine)",
    ),
    (
        "core-id",
        Identity,
        "core of this CPU (set per CPU by the machine)",
    ),
    (
        "thread-id",
        Identity,
        "thread of this CPU (set per CPU by the machine)",
    ),
    (
        "node-id",
        Identity,
        "NUMA node of this CPU (set per CPU by the machine)",
    ),
    ("ht", Identity, "hyper-threading flag"),
    (
        "topoext",
        Identity,
        "AMD topology extensions (needed for SMT topology on AMD models)",
    ),
    (
        "cmp-legacy",
        Identity,
        "AMD core multi-processing legacy mode",
    ),
    ("l3-cache", Identity, "report an L3 cache in CPUID"),
    (
        "host-cache-info",
        Identity,
        "pass the host's cache information through CPUID",
    ),
    (
        "legacy-cache",
        Identity,
        "use QEMU's legacy cache information instead of the model's",
    ),
    (
        "cpuid-0xb",
        Identity,
        "provide CPUID leaf 0xB (extended topology)",
    ),
    (
        "full-cpuid-auto-level",
        Identity,
        "raise level/xlevel automatically for enabled features",
    ),
    ("fill-mtrr-mask", Identity, "fill MTRR masks from phys-bits"),
    // QEMU behaviour.
    (
        "enforce",
        QemuBehaviour,
        "fail to start when the host or accelerator lacks a requested feature",
    ),
    (
        "check",
        QemuBehaviour,
        "warn when the host or accelerator lacks a requested feature",
    ),
    (
        "migratable",
        QemuBehaviour,
        "only expose features that can be migrated (host/max models)",
    ),
    (
        "kvm",
        KvmParavirt,
        "expose the KVM paravirtual CPUID leaves",
    ),
    (
        "tcg-cpuid",
        QemuBehaviour,
        "report TCG's hypervisor CPUID signature",
    ),
    // KVM paravirt.
    ("kvmclock", KvmParavirt, "KVM paravirtual clock"),
    (
        "kvmclock-stable-bit",
        KvmParavirt,
        "kvmclock is stable across vCPUs",
    ),
    (
        "kvm-nopiodelay",
        KvmParavirt,
        "no delay needed for legacy I/O port writes",
    ),
    ("kvm-mmu", KvmParavirt, "obsolete KVM paravirtual MMU"),
    ("kvm-asyncpf", KvmParavirt, "asynchronous page faults"),
    (
        "kvm-asyncpf-int",
        KvmParavirt,
        "asynchronous page faults delivered as interrupts",
    ),
    (
        "kvm-steal-time",
        KvmParavirt,
        "report steal time to the guest",
    ),
    ("kvm-pv-eoi", KvmParavirt, "paravirtual end-of-interrupt"),
    (
        "kvm-pv-unhalt",
        KvmParavirt,
        "paravirtual spinlock wake-up (PV spinlocks)",
    ),
    ("kvm-pv-tlb-flush", KvmParavirt, "paravirtual TLB flush"),
    ("kvm-pv-ipi", KvmParavirt, "paravirtual IPIs"),
    (
        "kvm-pv-sched-yield",
        KvmParavirt,
        "paravirtual yield to a preempted vCPU",
    ),
    (
        "kvm-poll-control",
        KvmParavirt,
        "host-side halt polling control",
    ),
    (
        "kvm-msi-ext-dest-id",
        KvmParavirt,
        "extended MSI destination ID (more than 255 vCPUs without IOMMU)",
    ),
    (
        "kvm-hint-dedicated",
        KvmParavirt,
        "hint that vCPUs run on dedicated physical CPUs",
    ),
    (
        "kvm-pv-enforce-cpuid",
        KvmParavirt,
        "limit paravirtual features to those in CPUID",
    ),
    (
        "kvm-no-smi-migration",
        QemuBehaviour,
        "do not migrate the SMI count",
    ),
    // Hyper-V.
    (
        "hv-relaxed",
        HyperV,
        "relaxed timing: Windows does not bug-check on watchdog timeouts",
    ),
    ("hv-vapic", HyperV, "virtual APIC assist page"),
    (
        "hv-spinlocks",
        HyperV,
        "spinlock retries before notifying the hypervisor",
    ),
    ("hv-vpindex", HyperV, "virtual processor index MSR"),
    ("hv-runtime", HyperV, "virtual processor run time MSR"),
    ("hv-crash", HyperV, "crash information MSRs"),
    ("hv-time", HyperV, "reference time counter and TSC page"),
    ("hv-synic", HyperV, "synthetic interrupt controller"),
    ("hv-stimer", HyperV, "synthetic timers"),
    (
        "hv-stimer-direct",
        HyperV,
        "synthetic timers in direct mode",
    ),
    ("hv-reset", HyperV, "reset MSR"),
    ("hv-frequencies", HyperV, "TSC and APIC frequency MSRs"),
    (
        "hv-reenlightenment",
        HyperV,
        "re-enlightenment notifications after migration",
    ),
    ("hv-tlbflush", HyperV, "paravirtual TLB flush"),
    ("hv-tlbflush-ext", HyperV, "extended paravirtual TLB flush"),
    (
        "hv-tlbflush-direct",
        HyperV,
        "direct TLB flush for nested Hyper-V",
    ),
    ("hv-ipi", HyperV, "paravirtual IPIs"),
    ("hv-evmcs", HyperV, "enlightened VMCS for nested Hyper-V"),
    ("hv-avic", HyperV, "AVIC/APICv hint for Windows"),
    (
        "hv-emsr-bitmap",
        HyperV,
        "enlightened MSR bitmap for nested Hyper-V",
    ),
    ("hv-xmm-input", HyperV, "XMM registers as hypercall input"),
    ("hv-syndbg", HyperV, "synthetic debugger"),
    (
        "hv-passthrough",
        HyperV,
        "enable every Hyper-V enlightenment the host supports",
    ),
    (
        "hv-enforce-cpuid",
        HyperV,
        "limit Hyper-V features to those in CPUID",
    ),
    ("hv-vendor-id", HyperV, "Hyper-V vendor ID string"),
    (
        "hv-no-nonarch-coresharing",
        HyperV,
        "promise no core sharing between vCPUs of different VMs",
    ),
    // Other base features.
    ("apic", Other, "on-chip APIC"),
    (
        "x2apic",
        Other,
        "x2APIC mode (needed for more than 255 vCPUs)",
    ),
    ("acpi", Other, "thermal monitor and clock control MSRs"),
    ("monitor", Other, "MONITOR/MWAIT"),
    ("vme", Other, "virtual-8086 mode extensions"),
    ("de", Other, "debugging extensions"),
    ("msr", Other, "RDMSR/WRMSR"),
    ("cx8", Other, "CMPXCHG8B"),
    ("cx16", Other, "CMPXCHG16B"),
    ("sep", Other, "SYSENTER/SYSEXIT"),
    ("syscall", Other, "SYSCALL/SYSRET"),
    ("cmov", Other, "conditional move"),
    ("fxsr", Other, "FXSAVE/FXRSTOR"),
    ("fxsr-opt", Other, "AMD FXSAVE/FXRSTOR optimisations"),
    ("popcnt", Other, "POPCNT"),
    ("abm", Other, "advanced bit manipulation (LZCNT)"),
    ("bmi1", Other, "bit manipulation instructions 1"),
    ("bmi2", Other, "bit manipulation instructions 2"),
    ("adx", Other, "multi-precision add-carry (ADCX/ADOX)"),
    ("movbe", Other, "MOVBE byte-swapping move"),
    ("erms", Other, "enhanced REP MOVSB/STOSB"),
    ("fsrm", Other, "fast short REP MOV"),
    ("lahf-lm", Other, "LAHF/SAHF in 64-bit mode"),
    ("3dnowprefetch", Other, "PREFETCH/PREFETCHW"),
    ("rdpid", Other, "RDPID"),
    ("serialize", Other, "SERIALIZE"),
    ("movdiri", Other, "direct store MOVDIRI"),
    ("movdir64b", Other, "64-byte direct store"),
    ("waitpkg", Other, "UMONITOR/UMWAIT/TPAUSE"),
    ("cldemote", Other, "cache line demote"),
    ("osvw", Other, "AMD OS visible workarounds"),
    ("extapic", Other, "AMD extended APIC space"),
    ("cr8legacy", Other, "AMD CR8 in 32-bit mode"),
    ("nodeid-msr", Other, "AMD node ID MSR"),
    ("tce", Other, "AMD translation cache extension"),
    ("ia64", Other, "IA-64 (Itanium) flag"),
    ("pn", Other, "processor serial number"),
    ("ss", Other, "self snoop"),
    ("tm", Other, "thermal monitor"),
    ("tm2", Other, "thermal monitor 2"),
    ("pbe", Other, "pending break enable"),
    ("est", Other, "enhanced SpeedStep"),
    ("xtpr", Other, "xTPR update control"),
    ("smx", Other, "safer mode extensions (TXT)"),
    ("dca", Other, "direct cache access"),
    ("cid", Other, "context ID (L1 adaptive mode)"),
    (
        "full-width-write",
        Monitoring,
        "full-width writes to performance counters",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = DESCRIPTIONS.iter().map(|d| d.0).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "a name is described twice");
    }

    #[test]
    fn families_fall_back_to_naming_rules() {
        assert_eq!(category_of("vmx-ept"), Category::Virtualization);
        assert_eq!(category_of("hv-relaxed"), Category::HyperV);
        assert_eq!(category_of("avx512bw"), Category::Simd);
        assert_eq!(category_of("md-clear"), Category::SecurityMitigation);
        assert!(description_of("vmx-ept").unwrap().contains("ept"));
    }
}

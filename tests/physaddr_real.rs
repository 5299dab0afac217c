//! `<maxphysaddr>` against the real systems: what `set --maxphysaddr` writes is accepted by
//! both daemons' `virsh define --validate`, its `-cpu` is each daemon's `domxml-to-native`
//! (libvirt 9.0 knows no `limit`, 11.3 writes `host-phys-bits-limit`), QEMU accepts it (TCG,
//! and KVM when /dev/kvm works) and refuses what `check` says it refuses; libvirt's refusal of
//! more bits than its host has is what `check -c` says, for both daemons, and from a saved
//! 11.3 domcapabilities alone; `models -c 9.0 -c 11.3` names the lowest common width.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;

const NAME: &str = "virtcpu-test-physaddr";

fn domain() -> String {
    format!(
        "<domain type='kvm'>\n  <name>{NAME}</name>\n  <memory unit='KiB'>65536</memory>\n  <vcpu placement='static'>2</vcpu>\n  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n  </os>\n  <cpu mode='custom' match='exact' check='none'>\n    <model fallback='forbid'>qemu64</model>\n    <topology sockets='1' dies='1' cores='2' threads='1'/>\n    <feature policy='disable' name='svm'/>\n  </cpu>\n</domain>\n"
    )
}

/// The daemons: (URI, release line).
fn daemons() -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    if common::require_libvirt_daemon() {
        out.push((common::LIBVIRT_URI.to_string(), "9.0"));
    }
    if common::require_libvirt11_daemon() {
        out.push((common::libvirt11_uri(), "11.3"));
    }
    out
}

/// The host CPU's width as `virsh capabilities` says it (`<maxphysaddr mode='emulate' bits=…>`).
fn host_bits(uri: &str) -> u32 {
    let out = Command::new("virsh")
        .args(["-c", uri, "capabilities"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let at = text
        .find("<maxphysaddr mode='emulate' bits='")
        .unwrap_or_else(|| panic!("{uri}: no host <maxphysaddr> in capabilities"));
    let rest = &text[at + "<maxphysaddr mode='emulate' bits='".len()..];
    rest[..rest.find('\'').unwrap()].parse().unwrap()
}

fn virsh(uri: &str, args: &[&str]) -> std::process::Output {
    Command::new("virsh")
        .args(["-c", uri])
        .args(args)
        .output()
        .unwrap()
}

/// `virsh define --validate FILE` (the domain undefined again): Ok, or libvirt's message.
fn define_validate(uri: &str, file: &Path) -> Result<(), String> {
    define_validate_named(uri, file, NAME)
}

/// [`define_validate`] of a domain named `name` (tests that run at the same time use their own).
fn define_validate_named(uri: &str, file: &Path, name: &str) -> Result<(), String> {
    // Tests of this file run at the same time and most define the same name: one define and
    // undefine at a time, or libvirt says the name "already exists with uuid …".
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = virsh(uri, &["define", "--validate", file.to_str().unwrap()]);
    let _ = virsh(uri, &["undefine", name]);
    match out.status.success() {
        true => Ok(()),
        false => Err(String::from_utf8_lossy(&out.stderr).trim().to_string()),
    }
}

fn set(file: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["set", file.to_str().unwrap(), "--in-place"];
    all.extend_from_slice(args);
    common::virt_cpu(&all)
}

fn argv_c(file: &Path, uri: &str) -> String {
    let out = common::virt_cpu(&["argv", "-c", uri, file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "argv -c {uri}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn what_set_writes_both_daemons_validate_and_convert_alike() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.xml");
    for (uri, line) in daemons() {
        let bits = host_bits(&uri);
        let mut specs = vec![
            "passthrough".to_string(),
            format!("emulate:{bits}"),
            "emulate:40".to_string(),
        ];
        if line == "11.3" {
            // libvirt 9.3 and later: a limit, and emulate without bits.
            specs.extend(["passthrough:39".to_string(), "emulate".to_string()]);
        }
        for spec in &specs {
            std::fs::write(&file, domain()).unwrap();
            let out = set(&file, &["-c", &uri, "--maxphysaddr", spec]);
            assert!(
                out.status.success(),
                "{line} {spec}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let written = std::fs::read_to_string(&file).unwrap();
            assert!(written.contains("<maxphysaddr mode="), "{written}");
            define_validate(&uri, &file)
                .unwrap_or_else(|e| panic!("{line} {spec}: {e}\n{written}"));
            let theirs = common::libvirt::domxml_to_native(&uri, &file);
            let ours = argv_c(&file, &uri);
            assert_eq!(
                theirs,
                common::libvirt::Outcome::Cpu(Some(ours.clone())),
                "{line} {spec}"
            );
            println!("{line} {spec}: -cpu {ours}");
        }
        // Removed again: the bytes before it.
        std::fs::write(&file, domain()).unwrap();
        set(&file, &["-c", &uri, "--maxphysaddr", "emulate:40"]);
        let out = set(&file, &["-c", &uri, "--maxphysaddr", "none"]);
        assert!(out.status.success());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), domain());
    }
}

/// libvirt 9.0 knows no `limit`: `set` refuses it there (what define would drop and
/// `--validate` refuses), and with --force both daemons answer as `check` said.
#[test]
fn a_limit_on_libvirt_9_0_is_refused_as_libvirt_refuses_it() {
    if !common::require_libvirt_daemon() {
        return;
    }
    let uri = common::LIBVIRT_URI;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.xml");
    std::fs::write(&file, domain()).unwrap();
    let out = set(&file, &["-c", uri, "--maxphysaddr", "passthrough:39"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("libvirt 9.0 does not know <maxphysaddr limit=…>"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), domain());
    let out = set(
        &file,
        &["-c", uri, "--maxphysaddr", "passthrough:39", "--force"],
    );
    assert!(out.status.success());
    let refused = define_validate(uri, &file).unwrap_err();
    // libvirt 9.0's schema has no `limit` ("Extra element cpu in interleave").
    assert!(
        refused.contains("failed to validate against schema"),
        "{refused}"
    );
    // Plain define keeps the domain without the limit: QEMU gets no cap.
    let theirs = common::libvirt::domxml_to_native(uri, &file);
    assert_eq!(
        theirs,
        common::libvirt::Outcome::Cpu(Some(argv_c(&file, uri)))
    );
    assert!(
        !theirs.describe().contains("limit") && theirs.describe().contains("host-phys-bits=on"),
        "{}",
        theirs.describe()
    );
}

/// More bits than the host has: each daemon refuses the definition with the message `check`
/// quotes; its own width passes. From a saved 11.3 domcapabilities alone the width is known
/// (its host-model `limit`); from a 9.0 one it is not, and `check` says so.
#[test]
fn more_bits_than_the_host_has_are_refused_as_check_says() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.xml");
    for (uri, line) in daemons() {
        let bits = host_bits(&uri);
        assert!(
            bits < 52,
            "a host with 52 bits leaves nothing above it to test"
        );
        let over = domain().replace(
            "    <feature policy",
            &format!(
                "    <maxphysaddr mode='emulate' bits='{}'/>\n    <feature policy",
                bits + 1
            ),
        );
        std::fs::write(&file, &over).unwrap();
        let refused = define_validate(&uri, &file).unwrap_err();
        let out = common::virt_cpu(&["check", "--json", "-c", &uri, file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{line}");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let d = json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == "phys-bits-above-host")
            .unwrap_or_else(|| panic!("{line}: {json}"));
        let message = d["message"].as_str().unwrap();
        let libvirt = refused
            .lines()
            .last()
            .unwrap()
            .trim_start_matches("error: ");
        assert!(message.contains(libvirt), "{line}: {message} / {libvirt}");
        assert!(message.contains(&format!("has {bits} physical address bits")));
        // `explain` reads libvirt's own refusal; its first fix makes a definition the daemon
        // takes.
        let out = common::virt_cpu(&[
            "explain",
            file.to_str().unwrap(),
            "-c",
            &uri,
            "--message",
            &refused,
            "--fix",
            "1",
            "--in-place",
        ]);
        assert!(
            out.status.success(),
            "{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let fixed = std::fs::read_to_string(&file).unwrap();
        assert!(
            fixed.contains(&format!("<maxphysaddr mode='emulate' bits='{bits}'/>")),
            "{fixed}"
        );
        define_validate(&uri, &file).unwrap_or_else(|e| panic!("{line}: fixed: {e}"));
        // `set` refuses to write it, and offers the host's width.
        std::fs::write(&file, domain()).unwrap();
        let out = set(
            &file,
            &[
                "-c",
                &uri,
                "--maxphysaddr",
                &format!("emulate:{}", bits + 1),
            ],
        );
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), domain());

        // Saved domcapabilities only (no `virsh capabilities`).
        let caps = dir.path().join(format!("dc-{line}.xml"));
        let out = virsh(&uri, &["domcapabilities"]);
        std::fs::write(&caps, &out.stdout).unwrap();
        std::fs::write(&file, &over).unwrap();
        let out = common::virt_cpu(&[
            "check",
            "--host-caps",
            caps.to_str().unwrap(),
            file.to_str().unwrap(),
        ]);
        let text = String::from_utf8_lossy(&out.stdout);
        if line == "11.3" {
            assert!(
                String::from_utf8_lossy(&out.stdout)
                    .contains(&format!("<maxphysaddr mode='passthrough' limit='{bits}'/>"))
                    || std::fs::read_to_string(&caps)
                        .unwrap()
                        .contains(&format!("<maxphysaddr mode='passthrough' limit='{bits}'/>")),
                "11.3's domcapabilities name the width"
            );
            assert!(text.contains("error[phys-bits-above-host]"), "{text}");
        } else {
            assert!(
                !std::fs::read_to_string(&caps)
                    .unwrap()
                    .contains("maxphysaddr"),
                "9.0's domcapabilities do not name the width"
            );
            assert!(
                text.contains("info[host-not-checked]")
                    && text.contains("does not say the host's width"),
                "{text}"
            );
        }
    }
}

/// A TCG guest (`type='qemu'`): each daemon refuses more bits than its host has as for KVM,
/// and `set -c` refuses to write them, as `check -c` judges the result; the host's width is
/// written and defined.
#[test]
fn a_tcg_guest_is_judged_against_the_host_width_too() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.xml");
    // Its own name: the other tests define theirs at the same time.
    const TCG_NAME: &str = "virtcpu-test-physaddr-tcg";
    let tcg = domain()
        .replacen("<domain type='kvm'>", "<domain type='qemu'>", 1)
        .replace(NAME, TCG_NAME);
    for (uri, line) in daemons() {
        let bits = host_bits(&uri);
        assert!(bits < 52, "a host with 52 bits leaves nothing above it");
        let with_bits = |b: u32| {
            tcg.replace(
                "    <feature policy",
                &format!("    <maxphysaddr mode='emulate' bits='{b}'/>\n    <feature policy"),
            )
        };
        // libvirt's own verdict, by hand-written documents.
        std::fs::write(&file, with_bits(bits + 1)).unwrap();
        let refused = define_validate_named(&uri, &file, TCG_NAME).unwrap_err();
        assert!(
            refused.contains("cannot exceed the number supported by the host CPU"),
            "{line}: {refused}"
        );
        let out = common::virt_cpu(&["check", "-c", &uri, file.to_str().unwrap()]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("error[phys-bits-above-host]"),
            "{line}: {text}"
        );
        // `set` refuses every width above the host's, nothing written.
        for over in [bits + 1, 52] {
            std::fs::write(&file, &tcg).unwrap();
            let spec = format!("emulate:{over}");
            let out = set(&file, &["-c", &uri, "--maxphysaddr", &spec]);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{line} {spec}: {err}");
            assert!(err.contains("error[phys-bits-above-host]"), "{line}: {err}");
            assert_eq!(std::fs::read_to_string(&file).unwrap(), tcg);
        }
        // The host's own width is written, and the daemon takes it.
        let spec = format!("emulate:{bits}");
        let out = set(&file, &["-c", &uri, "--maxphysaddr", &spec]);
        assert!(
            out.status.success(),
            "{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), with_bits(bits));
        define_validate_named(&uri, &file, TCG_NAME)
            .unwrap_or_else(|e| panic!("{line} {spec}: {e}"));
    }
}

/// QEMU takes what `set` writes (TCG; with KVM when /dev/kvm works), and refuses bits out of
/// its range with the words `check` quotes.
#[test]
fn qemu_accepts_the_generated_cpu_and_refuses_what_check_refuses() {
    if !common::require_program("qemu-system-x86_64") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.xml");
    let kvm = Path::new("/dev/kvm").exists()
        && std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/kvm")
            .is_ok();
    for (spec, catalog) in [
        ("emulate:32", "9.0"),
        ("emulate:46", "9.0"),
        ("emulate:52", "9.0"),
        ("passthrough", "9.0"),
        ("passthrough:39", "11.3"),
        ("emulate", "11.3"),
    ] {
        std::fs::write(&file, domain()).unwrap();
        let out = set(&file, &["--libvirt", catalog, "--maxphysaddr", spec]);
        assert!(
            out.status.success(),
            "{spec}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = common::virt_cpu(&["argv", "--libvirt", catalog, file.to_str().unwrap()]);
        let cpu = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(cpu.contains("phys-bits"), "{spec}: {cpu}");
        let accels: &[&str] = if kvm { &["tcg", "kvm"] } else { &["tcg"] };
        for accel in accels {
            let mut probe = common::qemu_probe(&cpu, &[]);
            if *accel == "kvm" {
                probe = common::qemu_probe(&cpu, &["-accel", "kvm"]);
            }
            let mut child = probe.stdout(std::process::Stdio::null()).spawn().unwrap();
            let _ = child.stdin.take().unwrap().write_all(common::QMP_QUIT);
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{spec} ({accel}) -cpu {cpu}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            println!("QEMU {accel} accepts -cpu {cpu}");
        }
    }
    if !kvm {
        eprintln!("note: /dev/kvm not usable: KVM not tried");
    }
    // Out of QEMU's range: `set` refuses it; written by hand, `check` quotes QEMU's refusal.
    std::fs::write(&file, domain()).unwrap();
    let out = set(&file, &["--maxphysaddr", "emulate:31"]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(
        &file,
        domain().replace(
            "    <feature policy",
            "    <maxphysaddr mode='emulate' bits='31'/>\n    <feature policy",
        ),
    )
    .unwrap();
    let out = common::virt_cpu(&["check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let out = common::virt_cpu(&["argv", file.to_str().unwrap()]);
    let cpu = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let mut child = common::qemu_probe(&cpu, &[])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(common::QMP_QUIT);
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "QEMU took -cpu {cpu}");
    let qemu = String::from_utf8_lossy(&out.stderr);
    let qemu = qemu
        .lines()
        .find_map(|l| l.strip_prefix("qemu-system-x86_64: "))
        .unwrap();
    assert!(
        text.contains("error[phys-bits-out-of-range]") && text.contains(qemu),
        "{text}\nQEMU: {qemu}"
    );
}

/// `models -c 9.0 -c 11.3`: each host's width (9.0's from `virsh capabilities`, 11.3's from
/// its domcapabilities) and the lowest common; two saved 11.3 domcapabilities of different
/// widths give the lower.
#[test]
fn models_names_the_lowest_common_physical_address_bits() {
    let hosts = daemons();
    if hosts.len() < 2 {
        return;
    }
    let (nine, eleven) = (&hosts[0].0, &hosts[1].0);
    let expected = host_bits(nine).min(host_bits(eleven));
    let out = common::virt_cpu(&["models", "-c", nine, "-c", eleven]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "physical address bits: lowest common {expected} (#1 {}, #2 {})",
            host_bits(nine),
            host_bits(eleven)
        )),
        "{text}"
    );
    let out = common::virt_cpu(&["models", "-c", nine, "-c", eleven, "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pb = &json["phys_bits"];
    assert_eq!(pb["lowest_common"], expected);
    assert_eq!(pb["hosts"][0]["from"], "capabilities");
    assert_eq!(pb["hosts"][1]["from"], "domcapabilities");

    let dir = tempfile::tempdir().unwrap();
    let caps = String::from_utf8(virsh(eleven, &["domcapabilities"]).stdout).unwrap();
    let bits = host_bits(eleven);
    let a = dir.path().join("a.xml");
    let b = dir.path().join("b.xml");
    std::fs::write(&a, &caps).unwrap();
    let narrower = caps.replace(&format!("limit='{bits}'"), &format!("limit='{}'", bits - 2));
    assert_ne!(narrower, caps);
    std::fs::write(&b, narrower).unwrap();
    let nine_caps = dir.path().join("nine.xml");
    std::fs::write(&nine_caps, virsh(nine, &["domcapabilities"]).stdout).unwrap();
    let out = common::virt_cpu(&[
        "models",
        "--host-caps",
        a.to_str().unwrap(),
        "--host-caps",
        b.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "lowest common {} (a.xml {bits}, b.xml {})",
            bits - 2,
            bits - 2
        )),
        "{text}"
    );
    // A 9.0 file does not say: unknown, named, and no "lowest common".
    let out = common::virt_cpu(&[
        "models",
        "--host-caps",
        a.to_str().unwrap(),
        "--host-caps",
        nine_caps.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("at most {bits}, unknown for some host"))
            && text.contains("nine.xml unknown"),
        "{text}"
    );
}

/// `scan` of both daemons: each pool names the lowest width of its hosts, and a domain whose
/// `bits` fit every host is refused by none for its bits (a domain defined on 11.3 still has
/// 11.3's machine type, which 9.0's QEMU lacks).
#[test]
fn scan_pools_name_the_lowest_width() {
    let hosts = daemons();
    if hosts.len() < 2 {
        return;
    }
    let name = format!("{NAME}-scan");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.xml");
    std::fs::write(
        &file,
        domain().replace(NAME, &name).replace(
            "    <feature policy",
            "    <maxphysaddr mode='emulate' bits='40'/>\n    <feature policy",
        ),
    )
    .unwrap();
    for (uri, _) in &hosts {
        let out = virsh(uri, &["define", file.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = common::virt_cpu(&["scan", "-c", &hosts[0].0, "-c", &hosts[1].0, "--json"]);
    for (uri, _) in &hosts {
        let _ = virsh(uri, &["undefine", &name]);
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected = host_bits(&hosts[0].0).min(host_bits(&hosts[1].0));
    let kvm = json["pools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["virt_type"] == "kvm")
        .unwrap_or_else(|| panic!("{}", json["pools"]));
    assert_eq!(kvm["phys_bits"], expected);
    let ours: Vec<&serde_json::Value> = json["domains"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["name"] == name.as_str())
        .collect();
    assert_eq!(ours.len(), 2);
    for d in ours {
        for p in d["placements"].as_array().unwrap() {
            assert!(!p["reasons"].to_string().contains("address bits"), "{d}");
        }
        assert_eq!(d["placements"][1]["starts"], true, "{d}");
    }
}

/// libvirt ties neither `<maxphysaddr>` mode to a CPU mode: each of the four CPU modes takes
/// both, on both daemons, and the `-cpu` is each daemon's.
#[test]
fn every_cpu_mode_takes_either_maxphysaddr_mode() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.xml");
    for (uri, line) in daemons() {
        for mode in ["custom", "host-model", "host-passthrough", "maximum"] {
            for spec in ["emulate:40", "passthrough"] {
                std::fs::write(&file, domain()).unwrap();
                let out = set(&file, &["-c", &uri, "--mode", mode, "--maxphysaddr", spec]);
                assert!(
                    out.status.success(),
                    "{line} {mode} {spec}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                define_validate(&uri, &file)
                    .unwrap_or_else(|e| panic!("{line} {mode} {spec}: {e}"));
                let theirs = common::libvirt::domxml_to_native(&uri, &file);
                let ours = argv_c(&file, &uri);
                assert_eq!(
                    theirs,
                    common::libvirt::Outcome::Cpu(Some(ours.clone())),
                    "{line} {mode} {spec}"
                );
                assert!(ours.contains("phys-bits"), "{line} {mode} {spec}: {ours}");
            }
        }
    }
}

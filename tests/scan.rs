//! `virt-cpu scan` against the real daemons: libvirt 9.0 (`qemu:///system`) and the Debian 13
//! chroot's libvirt 11.3, in one command. Test domains (named `vcpu-scan-PID-…`, undefined
//! afterwards, also when a test fails) with a custom `<cpu>`, host-model, no `<cpu>`, a
//! `<qemu:commandline>` `-cpu`, and a model only libvirt 11.3 knows. Every `-cpu` and every
//! "starts on" is compared with what each daemon's own `virsh domxml-to-native` says of the
//! domain's definition; CPU fit with `virsh hypervisor-cpu-compare`. A silent host (a local
//! socket that never answers) is reported within the timeout while the others still come.

mod common;

use common::LIBVIRT_URI;
use common::libvirt::{Outcome, domxml_to_native};
use common::silent::SilentHost;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_virt-cpu");

/// Domains defined for a test, undefined when it ends (passing or not).
struct Defined {
    /// (URI, name)
    domains: Vec<(String, String)>,
    dir: tempfile::TempDir,
}

impl Defined {
    fn new() -> Defined {
        Defined {
            domains: Vec::new(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Defines `body` (inside `<domain>`, after the name) as `name` at `uri`.
    fn define(&mut self, uri: &str, name: &str, attrs: &str, body: &str) {
        self.define_machine(uri, name, "q35", attrs, body);
    }

    /// [`Self::define`] with the machine type `machine`.
    fn define_machine(&mut self, uri: &str, name: &str, machine: &str, attrs: &str, body: &str) {
        self.define_as(uri, name, "qemu", machine, attrs, body);
    }

    /// [`Self::define_machine`] of virt type `virt` (`qemu`, `kvm`).
    fn define_as(
        &mut self,
        uri: &str,
        name: &str,
        virt: &str,
        machine: &str,
        attrs: &str,
        body: &str,
    ) {
        let xml = format!(
            "<domain type='{virt}'{attrs}>\n  <name>{name}</name>\n  <memory unit='MiB'>64</memory>\n  \
             <os><type arch='x86_64' machine='{machine}'>hvm</type></os>\n{body}</domain>\n"
        );
        let file = self.dir.path().join(format!("{name}.xml"));
        std::fs::write(&file, xml).unwrap();
        let out = Command::new("virsh")
            .args(["-c", uri, "define"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "virsh -c {uri} define {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.domains.push((uri.to_string(), name.to_string()));
    }
}

impl Drop for Defined {
    fn drop(&mut self) {
        for (uri, name) in &self.domains {
            let _ = Command::new("virsh")
                .args(["-c", uri, "undefine", name])
                .output();
        }
    }
}

fn prefix() -> String {
    format!("vcpu-scan-{}-", std::process::id())
}

/// `virt-cpu scan ARGS --json`: the document and the exit code.
fn scan_json(args: &[&str]) -> (Value, Option<i32>, String) {
    let out = Command::new(BIN)
        .arg("scan")
        .args(args)
        .arg("--json")
        .env_remove("VIRT_CPU_LIBVIRT")
        .env_remove("VIRT_CPU_QEMU")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("scan {args:?}: no JSON ({e}); stderr: {stderr}"));
    (json, out.status.code(), stderr)
}

/// The test domains of this process in a scan, by (host URI, name).
fn ours<'a>(json: &'a Value, uri: &str, name: &str) -> &'a Value {
    json["domains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["host"] == uri && d["name"] == name)
        .unwrap_or_else(|| panic!("{name} on {uri} is not in the scan"))
}

/// `virsh -c URI dumpxml --inactive NAME`, saved in `dir`.
fn dumpxml(uri: &str, name: &str, dir: &Path) -> std::path::PathBuf {
    let out = Command::new("virsh")
        .args(["-c", uri, "dumpxml", "--inactive", name])
        .output()
        .unwrap();
    assert!(out.status.success());
    let host = if uri == LIBVIRT_URI {
        "system"
    } else {
        "other"
    };
    let file = dir.join(format!("dumped-{host}-{name}.xml"));
    std::fs::write(&file, out.stdout).unwrap();
    file
}

/// `virsh hypervisor-cpu-compare`: whether the host provides the domain's CPU.
fn cpu_compatible(uri: &str, file: &Path) -> bool {
    let out = Command::new("virsh")
        .args(["-c", uri, "hypervisor-cpu-compare", "--virttype", "qemu"])
        .arg(file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    !text.contains("incompatible")
}

const CUSTOM_FITS: &str = "  <cpu mode='custom' match='exact' check='partial'>\n    \
    <model fallback='forbid'>Nehalem</model>\n    <feature policy='disable' name='x2apic'/>\n  </cpu>\n";
const CUSTOM_SKYLAKE: &str = "  <cpu mode='custom' match='exact' check='none'>\n    \
    <model fallback='forbid'>Skylake-Client</model>\n    <feature policy='disable' name='hle'/>\n  </cpu>\n";
const HOST_MODEL: &str = "  <cpu mode='host-model' check='partial'/>\n";
const COMMANDLINE: &str = "  <qemu:commandline>\n    <qemu:arg value='-cpu'/>\n    \
    <qemu:arg value='Westmere,+ssse3'/>\n  </qemu:commandline>\n";
const QEMU_NS: &str = " xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'";
/// A model of libvirt 11.3's map (and QEMU 10.0) that libvirt 9.0 does not know.
const NEW_MODEL: &str = "  <cpu mode='custom' match='exact' check='none'>\n    \
    <model fallback='forbid'>GraniteRapids</model>\n  </cpu>\n";

#[test]
fn scan_of_two_hosts_agrees_with_each_daemons_domxml_to_native() {
    if !common::require_libvirt_daemon() || !common::require_libvirt11_daemon() {
        return;
    }
    let v11 = common::libvirt11_uri();
    let hosts = [LIBVIRT_URI.to_string(), v11.clone()];
    let p = prefix();
    let mut defined = Defined::new();
    for uri in &hosts {
        defined.define(uri, &format!("{p}custom"), "", CUSTOM_FITS);
        defined.define(uri, &format!("{p}skylake"), "", CUSTOM_SKYLAKE);
        defined.define(uri, &format!("{p}host-model"), "", HOST_MODEL);
        defined.define(uri, &format!("{p}no-cpu"), "", "");
        defined.define(uri, &format!("{p}commandline"), QEMU_NS, COMMANDLINE);
    }
    defined.define(&v11, &format!("{p}new-model"), "", NEW_MODEL);

    let start = Instant::now();
    let (json, code, stderr) = scan_json(&["-c", &hosts[0], "-c", &hosts[1]]);
    println!("scan of two hosts took {:?}", start.elapsed());
    // The shape scripts rely on.
    for key in ["hosts", "domains", "summary"] {
        assert!(json.get(key).is_some(), "no {key}: {json}");
    }
    assert_eq!(json["summary"]["hosts"], 2);
    assert_eq!(json["summary"]["hosts_failed"], 0, "{stderr}");
    assert_eq!(json["hosts"][0]["libvirt"], "9.0.0");
    assert!(
        json["hosts"][1]["libvirt"]
            .as_str()
            .unwrap()
            .starts_with("11.3.")
    );
    assert_eq!(json["hosts"][0]["follows"]["libvirt"], "9.0.0");
    assert!(code == Some(0) || code == Some(1), "{code:?}: {stderr}");

    let mut failures = Vec::new();
    let mut compared = 0;
    for (uri, name) in &defined.domains {
        let d = ours(&json, uri, name);
        for key in [
            "uuid",
            "state",
            "source",
            "value",
            "taints",
            "errors",
            "warnings",
            "diagnostics",
            "placements",
        ] {
            assert!(d.get(key).is_some(), "{name}: no {key}: {d}");
        }
        assert_eq!(d["state"], "shut off", "{d}");
        assert!(d["error"].is_null(), "{name}: {}", d["error"]);
        let file = dumpxml(uri, name, defined.dir.path());
        let placements = d["placements"].as_array().unwrap();
        assert_eq!(placements.len(), 2);
        for (g, there) in hosts.iter().enumerate() {
            let p = &placements[g];
            assert_eq!(&p["host"], there);
            // What that host's libvirt says of this very definition.
            let libvirt = domxml_to_native(there, &file);
            let starts = p["starts"].as_bool();
            let agree = match &libvirt {
                Outcome::Cpu(v) => starts == Some(true) && p["value"].as_str() == v.as_deref(),
                Outcome::Refused(_) => starts == Some(false),
            };
            compared += 1;
            if !agree {
                failures.push(format!(
                    "{name} (of {uri}) on {there}:\n    libvirt:  {}\n    virt-cpu: starts {starts:?}, value {}, reasons {}",
                    libvirt.describe(),
                    p["value"],
                    p["reasons"]
                ));
            }
            if uri == there {
                assert_eq!(d["value"], p["value"], "{name}");
            }
            // The CPU fits where libvirt's comparison says so (custom models).
            if name.ends_with("custom") || name.ends_with("skylake") {
                let fits = cpu_compatible(there, &file);
                let lacks = !p["lacks"].as_array().unwrap().is_empty();
                if fits == lacks {
                    failures.push(format!(
                        "{name} (of {uri}) on {there}: hypervisor-cpu-compare says compatible = {fits}, virt-cpu lacks {}",
                        p["lacks"]
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "scan and the daemons disagree ({} of {compared}):\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
    // Sources and taints as the definitions say.
    let d = ours(&json, LIBVIRT_URI, &format!("{p}commandline"));
    assert_eq!(d["source"], "qemu:commandline");
    assert_eq!(d["taints"][0]["name"], "custom-argv");
    let d = ours(&json, LIBVIRT_URI, &format!("{p}host-model"));
    assert_eq!(d["source"], "cpu");
    assert_eq!(d["mode"], "host-model");
    // The model only 11.3 knows starts there and not on 9.0.
    let d = ours(&json, &v11, &format!("{p}new-model"));
    assert_eq!(d["placements"][1]["starts"], true, "{d}");
    assert_eq!(d["placements"][0]["starts"], false, "{d}");

    // The models both hosts run, and the closest one for a domain whose model is among them.
    let pool = json["pools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["virt_type"] == "qemu" && p["arch"] == "x86_64")
        .unwrap_or_else(|| panic!("no pool: {}", json["pools"]));
    assert!(
        pool["models"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "Nehalem"),
        "{pool}"
    );
    let d = ours(&json, LIBVIRT_URI, &format!("{p}custom"));
    assert_eq!(d["move_to"]["loses"], serde_json::json!([]), "{d}");

    // The text table names every test domain once per host, with where it starts.
    let out = Command::new(BIN)
        .args(["scan", "-c", &hosts[0], "-c", &hosts[1]])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("STARTS ON"), "{text}");
    let row = text
        .lines()
        .find(|l| l.starts_with("#2") && l.contains(&format!("{p}new-model ")))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("GraniteRapids"), "{row}");
    // Starts on the 11.3 host alone (without the features TCG lacks: `~`).
    let starts_on = row.rsplit("  ").next().unwrap().trim();
    assert!(starts_on == "#2" || starts_on == "#2~", "{row}");
    assert!(
        text.contains(&format!("#2/{p}new-model: does not start on #1: ")),
        "{text}"
    );
}

#[test]
fn upgrade_check_gives_what_the_newer_daemon_gives() {
    if !common::require_libvirt_daemon() || !common::require_libvirt11_daemon() {
        return;
    }
    let v11 = common::libvirt11_uri();
    let p = prefix();
    let mut defined = Defined::new();
    let name = format!("{p}upgrade-skylake");
    defined.define(LIBVIRT_URI, &name, "", CUSTOM_SKYLAKE);
    let (json, _, stderr) = scan_json(&["-c", LIBVIRT_URI, "--to-libvirt", "11.3"]);
    assert_eq!(json["upgrade_to"]["libvirt"], "11.3.0", "{json} {stderr}");
    let d = ours(&json, LIBVIRT_URI, &name);
    let file = dumpxml(LIBVIRT_URI, &name, defined.dir.path());
    // libvirt 11.3 on the very definition libvirt 9.0 holds.
    let Outcome::Cpu(Some(after)) = domxml_to_native(&v11, &file) else {
        panic!("libvirt 11.3 gives no -cpu for {name}")
    };
    assert_eq!(d["upgrade"]["value"], after.as_str(), "{d}");
    assert_eq!(
        d["upgrade"]["value_changes"],
        d["value"].as_str() != Some(after.as_str()),
        "{d}"
    );
    assert_eq!(d["upgrade"]["older"], false, "{d}");
    // Said as an upgrade; the release the host runs already, as that.
    for (to, heading) in [
        ("11.3", "after an upgrade to libvirt 11.3 + QEMU 10.0:"),
        (
            "9.0",
            "as libvirt 9.0 + QEMU 7.2 would build them (the release the hosts run):",
        ),
    ] {
        let out = Command::new(BIN)
            .args(["scan", "-c", LIBVIRT_URI, "--to-libvirt", to])
            .env_remove("VIRT_CPU_LIBVIRT")
            .env_remove("VIRT_CPU_QEMU")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(heading), "{text}");
        if to != "11.3" {
            continue;
        }
        // The text names what changed, not both whole values (--json has those): each option
        // it says was added is in the -cpu 11.3 gives, and absent before.
        assert_eq!(d["upgrade"]["value_changes"], true, "{d}");
        let line = text
            .lines()
            .find(|l| l.contains(&format!("/{name}: -cpu ")))
            .unwrap_or_else(|| panic!("{text}"));
        let said = line
            .split_once("-cpu changes: ")
            .unwrap_or_else(|| panic!("{line}"))
            .1;
        let before = d["value"].as_str().unwrap();
        assert!(!line.contains(before), "{line}");
        let added: Vec<&str> = said
            .split(", ")
            .filter_map(|c| c.strip_prefix('+'))
            .collect();
        assert!(!added.is_empty(), "{line}");
        for option in added {
            let in_value = |v: &str| v.split(',').any(|o| o == option);
            assert!(in_value(&after) && !in_value(before), "{option}: {line}");
        }
    }
}

/// The upgrade check against a machine type the newer QEMU retired: a domain of
/// `pc-i440fx-2.0` on the 9.0 daemon (QEMU 7.2 has it) would no longer start after an upgrade to
/// libvirt 11.3 + QEMU 10.0, and the 11.3 daemon indeed refuses that very definition, naming the
/// machine type; the type virt-cpu advises instead is one it takes.
#[test]
fn upgrade_check_catches_a_machine_type_the_newer_qemu_removed() {
    if !common::require_libvirt_daemon() || !common::require_libvirt11_daemon() {
        return;
    }
    let v11 = common::libvirt11_uri();
    let p = prefix();
    let mut defined = Defined::new();
    let name = format!("{p}removed-machine");
    defined.define_machine(LIBVIRT_URI, &name, "pc-i440fx-2.0", "", CUSTOM_FITS);
    let args = [
        "-c",
        LIBVIRT_URI,
        "--to-libvirt",
        "11.3",
        "--to-qemu",
        "10.0",
    ];
    let (json, code, stderr) = scan_json(&args);
    assert_eq!(code, Some(1), "a domain would no longer start: {stderr}");
    let d = ours(&json, LIBVIRT_URI, &name);
    assert_eq!(d["errors"], 0, "it starts today: {d}");
    let u = &d["upgrade"];
    assert_eq!(u["starts"], false, "{u}");
    let reason = u["new_errors"][0].as_str().unwrap_or_else(|| panic!("{u}"));
    assert!(
        reason.starts_with("QEMU 10.0 has no machine type 'pc-i440fx-2.0' (retired after QEMU 7.2"),
        "{reason}"
    );
    // libvirt 11.3 on the very definition libvirt 9.0 holds: refused for that machine type.
    let file = dumpxml(LIBVIRT_URI, &name, defined.dir.path());
    let Outcome::Refused(said) = domxml_to_native(&v11, &file) else {
        panic!("libvirt 11.3 takes {name} with pc-i440fx-2.0")
    };
    assert!(said.contains("machine type 'pc-i440fx-2.0'"), "{said}");
    // And it will not define it either.
    let out = Command::new("virsh")
        .args(["-c", &v11, "define"])
        .arg(&file)
        .output()
        .unwrap();
    if out.status.success() {
        defined.domains.push((v11.clone(), name.clone()));
    }
    assert!(
        !out.status.success(),
        "libvirt 11.3 defines {name} with pc-i440fx-2.0"
    );
    // The advised types are ones libvirt 11.3 takes.
    let advised: Vec<&str> = reason
        .split("machine='")
        .nth(1)
        .map(|rest| rest.split(" or '").collect())
        .unwrap_or_else(|| panic!("no advice: {reason}"));
    assert_eq!(advised.len(), 2, "{reason}");
    let xml = std::fs::read_to_string(&file).unwrap();
    for choice in advised {
        let machine = choice.split('\'').next().unwrap();
        let other = defined.dir.path().join(format!("{name}-{machine}.xml"));
        std::fs::write(
            &other,
            xml.replace("machine='pc-i440fx-2.0'", &format!("machine='{machine}'")),
        )
        .unwrap();
        let outcome = domxml_to_native(&v11, &other);
        assert!(
            matches!(outcome, Outcome::Cpu(_)),
            "libvirt 11.3 refuses the advised {machine}: {outcome:?}"
        );
    }
    // The text names it among what would no longer start.
    let out = Command::new(BIN)
        .arg("scan")
        .args(args)
        .env_remove("VIRT_CPU_LIBVIRT")
        .env_remove("VIRT_CPU_QEMU")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "#1/{name}: would no longer start: QEMU 10.0 has no machine type 'pc-i440fx-2.0'"
        )),
        "{text}"
    );
}

/// A feature of libvirt 11.3's map (and QEMU 10.0) that libvirt 9.0 does not know.
const NEW_FEATURE: &str = "  <cpu mode='custom' match='exact' check='none'>\n    \
    <model fallback='forbid'>Nehalem</model>\n    <feature policy='disable' name='avx-ifma'/>\n  </cpu>\n";

/// The "would no longer start" of the upgrade check, the way that loses things: domains of the
/// 11.3 daemon judged as libvirt 9.0 + QEMU 7.2 would build them (a rollback, or a move to the
/// older host), said as a move, not an upgrade. Each reason is checked against the 9.0 daemon's
/// own `domxml-to-native` of the very definition: first as it is (the machine type libvirt 11.3
/// wrote, `pc-q35-10.0`, which QEMU 7.2 has not), then with the machine type as `q35`, where
/// the CPU's own reason shows (a model, a feature libvirt 9.0 does not know) or its -cpu.
#[test]
fn moving_to_an_older_release_says_what_would_no_longer_start() {
    if !common::require_libvirt_daemon() || !common::require_libvirt11_daemon() {
        return;
    }
    let v11 = common::libvirt11_uri();
    let p = prefix();
    let mut defined = Defined::new();
    let cases = [
        (
            "older-model",
            NEW_MODEL,
            "libvirt 9.0 knows no CPU model 'GraniteRapids'",
        ),
        (
            "older-feature",
            NEW_FEATURE,
            "libvirt 9.0 knows no CPU feature 'avx-ifma'",
        ),
        ("older-plain", CUSTOM_FITS, ""),
    ];
    for (name, cpu, _) in cases {
        defined.define(&v11, &format!("{p}{name}"), "", cpu);
    }
    let args = ["-c", &v11, "--to-libvirt", "9.0", "--to-qemu", "7.2"];
    let (json, code, stderr) = scan_json(&args);
    assert_eq!(json["upgrade_to"]["libvirt"], "9.0.0", "{stderr}");
    assert!(
        json["upgrade_to"]["qemu"]
            .as_str()
            .unwrap()
            .starts_with("7.2."),
        "{stderr}"
    );
    assert_eq!(
        code,
        Some(1),
        "domains that would no longer start: {stderr}"
    );
    for (name, _, cpu_reason) in cases {
        let name = format!("{p}{name}");
        let d = ours(&json, &v11, &name);
        assert_eq!(d["errors"], 0, "it starts today: {d}");
        let u = &d["upgrade"];
        assert_eq!(u["older"], true, "{u}");
        assert_eq!(u["starts"], false, "{u}");
        let reasons: Vec<&str> = u["new_errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        let file = dumpxml(&v11, &name, defined.dir.path());
        // libvirt 11.3 adds QEMU's iTCO watchdog to q35 domains, a device libvirt 9.0 does not
        // know (the check is of the CPU and the machine type, not of devices): left out here.
        let xml: String = std::fs::read_to_string(&file)
            .unwrap()
            .lines()
            .filter(|l| !l.contains("<watchdog model='itco'"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&file, &xml).unwrap();
        // As it is: libvirt 9.0 refuses the machine type first.
        let Outcome::Refused(said) = domxml_to_native(LIBVIRT_URI, &file) else {
            panic!("libvirt 9.0 takes {name} as libvirt 11.3 holds it")
        };
        let machine = said
            .split("machine type '")
            .nth(1)
            .and_then(|r| r.split('\'').next())
            .unwrap_or_else(|| panic!("{name}: libvirt 9.0 said {said}"));
        assert!(
            reasons[0].starts_with(&format!("QEMU 7.2 has no machine type '{machine}'")),
            "{name}: libvirt 9.0 said {said}; virt-cpu {reasons:?}"
        );
        // With the machine type libvirt 9.0 has: the CPU's own reason, or the -cpu it builds.
        let xml = xml.replace(&format!("machine='{machine}'"), "machine='q35'");
        let q35 = defined.dir.path().join(format!("{name}-q35.xml"));
        std::fs::write(&q35, xml).unwrap();
        match domxml_to_native(LIBVIRT_URI, &q35) {
            Outcome::Refused(said) => {
                assert!(
                    !cpu_reason.is_empty(),
                    "{name}: libvirt 9.0 refuses: {said}"
                );
                assert_eq!(reasons.len(), 2, "{name}: {reasons:?}");
                assert!(reasons[1].contains(cpu_reason), "{name}: {reasons:?}");
                let quoted = said.trim_start_matches("error: ");
                let word = if name.ends_with("model") {
                    "model"
                } else {
                    "feature"
                };
                assert!(
                    said.to_lowercase().contains(&format!("unknown cpu {word}")),
                    "{name}: libvirt 9.0 said {quoted}"
                );
                assert!(u["value"].is_null(), "{u}");
            }
            Outcome::Cpu(value) => {
                assert!(
                    cpu_reason.is_empty(),
                    "{name}: libvirt 9.0 builds {value:?}"
                );
                assert_eq!(reasons.len(), 1, "{name}: {reasons:?}");
                assert_eq!(u["value"].as_str(), value.as_deref(), "{u}");
            }
        }
    }
    // The text says it as a move, one line each, with the reasons.
    let out = Command::new(BIN)
        .arg("scan")
        .args(args)
        .env_remove("VIRT_CPU_LIBVIRT")
        .env_remove("VIRT_CPU_QEMU")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("after moving to libvirt 9.0 + QEMU 7.2 (older than #1 runs"),
        "{text}"
    );
    assert!(!text.contains("upgrade"), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("#1/{p}older-model: would no longer start: ")))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("knows no CPU model 'GraniteRapids'"),
        "{line}"
    );
}

#[test]
fn a_silent_host_is_reported_and_the_others_still_come() {
    if !common::require_libvirt_daemon() {
        return;
    }
    let host = SilentHost::start();
    let silent = host.uri();
    let p = prefix();
    let mut defined = Defined::new();
    defined.define(LIBVIRT_URI, &format!("{p}beside-silent"), "", CUSTOM_FITS);
    let start = Instant::now();
    let (json, code, stderr) = scan_json(&["--timeout", "1", "-c", &silent, "-c", LIBVIRT_URI]);
    let took = start.elapsed();
    assert_eq!(code, Some(2), "{stderr}");
    assert!(took < Duration::from_secs(8), "took {took:?}");
    let h = &json["hosts"][0];
    assert_eq!(h["uri"], silent.as_str());
    let error = h["error"].as_str().unwrap_or_else(|| panic!("{h}"));
    assert!(error.contains("did not answer within 1 s"), "{error}");
    assert!(stderr.contains("did not answer within 1 s"), "{stderr}");
    assert!(json["hosts"][1]["error"].is_null(), "{}", json["hosts"][1]);
    let d = ours(&json, LIBVIRT_URI, &format!("{p}beside-silent"));
    // Nothing is known of the silent host: neither yes nor no.
    assert!(d["placements"][0]["starts"].is_null(), "{d}");
    assert_eq!(d["placements"][1]["starts"], true, "{d}");
    assert_eq!(
        host.left_after(Duration::from_secs(3)),
        Vec::<String>::new()
    );
}

/// `virt-cpu models ARGS` with the versions from the environment removed: (stdout, stderr, code).
fn models(args: &[&str]) -> (String, String, Option<i32>) {
    let out = Command::new(BIN)
        .arg("models")
        .args(args)
        .env_remove("VIRT_CPU_LIBVIRT")
        .env_remove("VIRT_CPU_QEMU")
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

/// The usable answers of `models --json`: (model, usable on every host, each host's answer).
fn usable_of(json: &str) -> Vec<(String, Value, Vec<Value>)> {
    let v: Value = serde_json::from_str(json).unwrap();
    v["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let by_host = m["by_host"]
                .as_array()
                .map(|a| a.iter().map(|h| h["usable"].clone()).collect())
                .unwrap_or_default();
            (
                m["name"].as_str().unwrap().to_string(),
                m["usable"]["usable"].clone(),
                by_host,
            )
        })
        .collect()
}

/// `models -c A -c B` asks both daemons live and answers as `--host-caps` does with their
/// `virsh domcapabilities` saved in files; following each daemon's own versions, the models are
/// the oldest pair's, and it says so.
#[test]
fn models_of_two_live_hosts_answer_as_their_saved_capabilities() {
    if !common::require_libvirt_daemon() || !common::require_libvirt11_daemon() {
        return;
    }
    let v11 = common::libvirt11_uri();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, uri) in [LIBVIRT_URI, v11.as_str()].into_iter().enumerate() {
        let out = Command::new("virsh")
            .args(["-c", uri, "domcapabilities"])
            .output()
            .unwrap();
        assert!(out.status.success(), "virsh -c {uri} domcapabilities");
        let file = dir.path().join(format!("host{i}.xml"));
        std::fs::write(&file, &out.stdout).unwrap();
        files.push(file.to_str().unwrap().to_string());
    }
    let pinned = ["--libvirt", "9.0", "--qemu", "7.2", "--json"];
    let (live, err, code) = models(&[&["-c", LIBVIRT_URI, "-c", &v11][..], &pinned].concat());
    assert_eq!(code, Some(0), "{err}");
    let (saved, err, code) = models(
        &[
            &["--host-caps", &files[0], "--host-caps", &files[1]][..],
            &pinned,
        ]
        .concat(),
    );
    assert_eq!(code, Some(0), "{err}");
    let (live, saved) = (usable_of(&live), usable_of(&saved));
    assert_eq!(live, saved, "live and saved answers differ");
    assert!(
        live.iter().any(|(_, u, _)| u == &Value::Bool(true)),
        "some model runs on both hosts"
    );
    assert!(
        live.iter()
            .filter(|(_, u, _)| !u.is_null())
            .all(|(_, _, by)| by.len() == 2),
        "each host answers for each fixed model"
    );
    // Each daemon's own versions: the oldest names the models, and that is said.
    let (text, err, code) = models(&["-c", LIBVIRT_URI, "-c", &v11]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("the models are those of the oldest, libvirt 9.0"),
        "{err}"
    );
    // The best named is one a 64-bit guest boots on (it has lm); on a host where libvirt judges
    // only 32-bit models usable (this nested one: not even qemu64), that is said instead.
    let (json, _, _) = models(&[&["-c", LIBVIRT_URI, "-c", &v11][..], &pinned].concat());
    let json: Value = serde_json::from_str(&json).unwrap();
    let rows = json["models"].as_array().unwrap();
    let usable32 = |name: &str| {
        rows.iter()
            .any(|r| r["name"] == name && r["only_32bit"] == true && r["usable"]["usable"] == true)
    };
    match text.split_once("best model usable on every host: ") {
        Some((_, rest)) => {
            let best = rest.lines().next().unwrap();
            assert!(!usable32(best), "{best} is 32-bit only: {text}");
        }
        None => {
            assert!(
                text.contains("no listed 64-bit model is usable on every host: those usable ("),
                "{text}"
            );
            assert!(
                rows.iter()
                    .filter(|r| r["usable"]["usable"] == true)
                    .all(|r| r["only_32bit"] == true),
                "a 64-bit model is usable on both: {text}"
            );
        }
    }
    // Rows name the hosts short, as scan does (`#1`, `#2`: these URIs name no host); the legend
    // names each URI once; --json keeps the URIs.
    assert!(
        text.contains(&format!("hosts: #1 = {LIBVIRT_URI} (")),
        "{text}"
    );
    assert!(text.contains(&format!("; #2 = {v11} (")), "{text}");
    assert_eq!(text.matches(v11.as_str()).count(), 1, "{text}");
    assert!(
        text.contains("#1 lacks") || text.contains("#2 lacks"),
        "{text}"
    );
    let by_host: Vec<&str> = rows
        .iter()
        .flat_map(|r| r["by_host"].as_array().into_iter().flatten())
        .map(|h| h["host"].as_str().unwrap())
        .collect();
    assert!(!by_host.is_empty());
    assert!(
        by_host.iter().all(|h| *h == LIBVIRT_URI || *h == v11),
        "{by_host:?}"
    );
}

/// The `<feature policy='require'>` names of `virsh -c URI hypervisor-cpu-baseline ARGS FILE`
/// (libvirt's spelling), and the model it names.
fn baseline(uri: &str, args: &[&str], file: &Path) -> Result<(String, Vec<String>), String> {
    let out = Command::new("virsh")
        .args(["-c", uri, "hypervisor-cpu-baseline"])
        .args(args)
        .arg(file)
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let attr = |l: &str| {
        l.split("name='")
            .nth(1)
            .and_then(|r| r.split('\'').next())
            .map(str::to_string)
    };
    let model = text
        .lines()
        .find_map(|l| {
            l.split_once("'>")
                .and_then(|(_, r)| r.strip_suffix("</model>"))
        })
        .unwrap_or_default()
        .to_string();
    let required = text
        .lines()
        .filter(|l| l.contains("policy='require'"))
        .filter_map(attr)
        .collect();
    Ok((model, required))
}

/// `models --for FILE -c A -c B`: the model every host runs that keeps what the domain's CPU
/// has, checked against libvirt: both daemons' `hypervisor-cpu-compare` take the model, and
/// every feature libvirt expands it to is in `hypervisor-cpu-baseline --features --migratable`
/// of the two hosts. Where the answers differ: the baseline is a model plus features (and
/// disabled ones), for the hosts alone; ours is a plain model of the pool, for this domain.
#[test]
fn models_for_a_domain_moves_to_a_model_libvirt_takes_on_both_hosts() {
    if !common::require_libvirt_daemon() || !common::require_libvirt11_daemon() {
        return;
    }
    let v11 = common::libvirt11_uri();
    let dir = tempfile::tempdir().unwrap();
    let domain = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/examples/i686-legacy.xml"
    );
    let (out, err, code) = models(&["--for", domain, "-c", LIBVIRT_URI, "-c", &v11, "--json"]);
    let answer: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let model = answer["move_to"]["model"]
        .as_str()
        .unwrap_or_else(|| panic!("a model to move to: {answer}"));
    assert_eq!(code, Some(0), "nothing lost: {answer}");
    assert_eq!(
        answer["move_to"]["loses"],
        serde_json::json!([]),
        "{answer}"
    );
    let cpu = dir.path().join("model.xml");
    std::fs::write(
        &cpu,
        format!(
            "<cpu mode='custom' match='exact'><model fallback='forbid'>{model}</model></cpu>\n"
        ),
    )
    .unwrap();
    for uri in [LIBVIRT_URI, v11.as_str()] {
        assert!(cpu_compatible(uri, &cpu), "{uri} refuses {model}");
    }
    // The hosts' own baseline (their host-model CPUs, from each domcapabilities).
    let hosts = dir.path().join("hosts.xml");
    let mut both = Vec::new();
    for uri in [LIBVIRT_URI, v11.as_str()] {
        let out = Command::new("virsh")
            .args(["-c", uri, "domcapabilities", "--virttype", "qemu"])
            .output()
            .unwrap();
        both.extend_from_slice(&out.stdout);
    }
    std::fs::write(&hosts, both).unwrap();
    let (base_model, base) = baseline(&v11, &["--features", "--migratable"], &hosts)
        .unwrap_or_else(|e| panic!("libvirt 11.3's baseline: {e}"));
    let (_, ours) = baseline(&v11, &["--features"], &cpu).unwrap();
    let missing: Vec<&String> = ours.iter().filter(|f| !base.contains(f)).collect();
    assert!(
        missing.is_empty(),
        "{model} has {missing:?}, which the hosts' baseline ({base_model}) has not"
    );
    // libvirt 9.0 may not know a feature 11.3's host-model names: then it refuses the baseline.
    if let Err(e) = baseline(LIBVIRT_URI, &["--features", "--migratable"], &hosts) {
        assert!(e.contains("Unknown CPU feature"), "{e}");
    }
}

/// `models --for-domain NAME`: the definition comes from the host that holds it, whose `-cpu`
/// (checked against that daemon's `domxml-to-native`) decides what the domain uses; the answer
/// is `--for FILE`'s on the same definition with that host first. A name on both hosts asks
/// for `--from`; `--from` reaches a host outside the pool; a name on none is said.
#[test]
fn models_for_a_domain_on_a_daemon_reads_it_from_its_host() {
    if !common::require_libvirt_daemon() || !common::require_libvirt11_daemon() {
        return;
    }
    let v11 = common::libvirt11_uri();
    let p = prefix();
    let mut defined = Defined::new();
    let name = format!("{p}for-domain");
    defined.define(&v11, &name, "", CUSTOM_SKYLAKE);
    let json_of = |args: &[&str]| -> (Value, Option<i32>) {
        let (out, err, code) = models(args);
        let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {err}"));
        (v, code)
    };
    let (answer, code) = json_of(&[
        "-c",
        LIBVIRT_URI,
        "-c",
        &v11,
        "--for-domain",
        &name,
        "--json",
    ]);
    assert!(code == Some(0) || code == Some(1), "{answer}");
    assert_eq!(answer["domain"], name.as_str());
    assert_eq!(answer["host"], v11.as_str(), "its own host: {answer}");
    let file = dumpxml(&v11, &name, defined.dir.path());
    let Outcome::Cpu(Some(value)) = domxml_to_native(&v11, &file) else {
        panic!("libvirt 11.3 gives {name} no -cpu")
    };
    assert_eq!(answer["value"], value.as_str(), "{answer}");
    assert!(answer["move_to"]["model"].is_string(), "{answer}");
    // The same definition from a file, its host first: the same answer.
    let (from_file, _) = json_of(&[
        "-c",
        &v11,
        "-c",
        LIBVIRT_URI,
        "--for",
        file.to_str().unwrap(),
        "--json",
    ]);
    for key in ["value", "uses", "pool_size", "move_to"] {
        assert_eq!(
            answer[key], from_file[key],
            "{key}: {answer} vs {from_file}"
        );
    }

    // A host outside the pool: the domain read there, the pool of the others.
    let (outside, _) = json_of(&[
        "-c",
        LIBVIRT_URI,
        "--for-domain",
        &name,
        "--from",
        &v11,
        "--json",
    ]);
    assert_eq!(outside["host"], v11.as_str(), "{outside}");
    assert_eq!(outside["value"], value.as_str(), "{outside}");
    let model = outside["move_to"]["model"]
        .as_str()
        .unwrap_or_else(|| panic!("{outside}"));
    let cpu = defined.dir.path().join("moved.xml");
    std::fs::write(
        &cpu,
        format!(
            "<cpu mode='custom' match='exact'><model fallback='forbid'>{model}</model></cpu>\n"
        ),
    )
    .unwrap();
    assert!(
        cpu_compatible(LIBVIRT_URI, &cpu),
        "libvirt 9.0 refuses {model}"
    );

    // The same name on both hosts: which one is asked for; on none: said.
    defined.define(LIBVIRT_URI, &name, "", CUSTOM_FITS);
    let (_, err, code) = models(&["-c", LIBVIRT_URI, "-c", &v11, "--for-domain", &name]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("say which with --from URI"), "{err}");
    let (text, err, code) = models(&[
        "-c",
        LIBVIRT_URI,
        "-c",
        &v11,
        "--for-domain",
        &name,
        "--from",
        LIBVIRT_URI,
    ]);
    assert_eq!(code, Some(0), "Nehalem is in the pool: {err}");
    assert!(
        text.starts_with(&format!("{name}: Nehalem — loses none")),
        "{text}"
    );
    assert!(
        text.contains(&format!("its -cpu on {LIBVIRT_URI}: Nehalem,x2apic=off")),
        "{text}"
    );
    let missing = format!("{p}nowhere");
    let (_, err, code) = models(&["-c", LIBVIRT_URI, "-c", &v11, "--for-domain", &missing]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(&format!("no domain '{missing}' on {LIBVIRT_URI}, ")),
        "{err}"
    );
}

/// A domain that turns vmx on is judged per host through `check`: on this TCG domain's host
/// QEMU cannot emulate vmx, and the placement names that lack (nested-host-lacks).
#[test]
fn a_host_that_cannot_give_vmx_is_named_among_what_it_lacks() {
    if !common::require_libvirt_daemon() {
        return;
    }
    let p = prefix();
    let mut defined = Defined::new();
    let name = format!("{p}nested");
    defined.define(
        LIBVIRT_URI,
        &name,
        "",
        "  <cpu mode='custom' match='exact'>\n    <model fallback='forbid'>Skylake-Client</model>\n    <feature policy='require' name='vmx'/>\n  </cpu>\n",
    );
    let (json, _, stderr) = scan_json(&["-c", LIBVIRT_URI]);
    let d = ours(&json, LIBVIRT_URI, &name);
    let lacks = d["placements"][0]["lacks"]
        .as_array()
        .unwrap_or_else(|| panic!("{d} {stderr}"));
    assert!(
        lacks.iter().any(|l| l.as_str().unwrap().starts_with(
            "nested virtualisation is on (vmx) but this host cannot give it: QEMU's TCG"
        )),
        "{d}"
    );
}

/// An x86_64 KVM guest is never told to move to a model without long mode: on this nested host
/// libvirt judges only 32-bit models usable under KVM (not even qemu64), so the scan says no
/// model every host runs fits it rather than naming pentium3; where a 64-bit model is in the
/// pool, the one named has lm.
#[test]
fn scan_never_moves_a_64bit_guest_to_a_32bit_only_model() {
    if !common::require_libvirt_daemon() || !common::require_libvirt11_daemon() {
        return;
    }
    let v11 = common::libvirt11_uri();
    let p = prefix();
    let mut defined = Defined::new();
    let name = format!("{p}kvm-skylake");
    for uri in [LIBVIRT_URI, v11.as_str()] {
        defined.define_as(uri, &name, "kvm", "q35", "", CUSTOM_SKYLAKE);
    }
    let (json, _, stderr) = scan_json(&["-c", LIBVIRT_URI, "-c", &v11]);
    let pool = json["pools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["virt_type"] == "kvm" && p["arch"] == "x86_64")
        .unwrap_or_else(|| panic!("no kvm pool: {json} {stderr}"));
    let only32: Vec<&str> = pool["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["only_32bit"] == true)
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    let all_32 = pool["models"].as_array().unwrap().len() == only32.len() && !only32.is_empty();
    let d = ours(&json, LIBVIRT_URI, &name);
    // Long mode by the model's own features (`virt-cpu model`), not by the scan's word.
    let has_lm = |model: &str| {
        let out = Command::new(BIN)
            .args(["model", model, "--json"])
            .output()
            .unwrap();
        let view: Value = serde_json::from_slice(&out.stdout).unwrap();
        view["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "lm")
    };
    for m in pool["models"].as_array().unwrap() {
        let name = m["name"].as_str().unwrap();
        assert_eq!(only32.contains(&name), !has_lm(name), "{m}");
    }
    match d["move_to"]["model"].as_str() {
        Some(m) => assert!(has_lm(m), "moved to the 32-bit only {m}: {d}"),
        None => assert!(all_32, "no model to move to: {d} {pool}"),
    }
    assert_eq!(d["only_32bit_pool"] == true, all_32, "{d} {pool}");
    let out = Command::new(BIN)
        .args(["scan", "-c", LIBVIRT_URI, "-c", &v11])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for m in &only32 {
        assert!(
            !text.contains(&format!("closest to its CPU: {m} ")),
            "{text}"
        );
        assert!(text.contains(&format!("{m} (32-bit only)")), "{text}");
    }
    let short = d["placements"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["starts"] == false || !p["lacks"].as_array().unwrap().is_empty());
    if all_32 && short {
        assert!(
            text.contains(&format!(
                "/{name}: no model every host runs fits it: they are 32-bit only"
            )),
            "{text}"
        );
    }
}

/// A TCG guest with hv-vpindex on does not start on libvirt 9.0's QEMU 7.2 ("kernel doesn't
/// allow setting HyperV VP_INDEX"): scan's per-host judgement follows check's error.
#[test]
fn scan_judges_hv_vpindex_under_tcg_as_not_starting_on_qemu_7_2() {
    if !common::require_libvirt_daemon() {
        return;
    }
    let p = prefix();
    let name = format!("{p}hv-vpindex-tcg");
    let mut defined = Defined::new();
    let body = "  <features>\n    <acpi/>\n    <apic/>\n    <hyperv mode='custom'>\n      \
                <relaxed state='on'/>\n      <vpindex state='on'/>\n    </hyperv>\n  \
                </features>\n";
    defined.define(LIBVIRT_URI, &name, "", body);
    let (json, code, stderr) = scan_json(&["-c", LIBVIRT_URI]);
    assert_eq!(code, Some(1), "{stderr}");
    let d = ours(&json, LIBVIRT_URI, &name);
    assert!(
        d["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["code"] == "hyperv-vpindex-tcg"),
        "{d}"
    );
    assert_eq!(d["placements"][0]["starts"], false, "{d}");
}

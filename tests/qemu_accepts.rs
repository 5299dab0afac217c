//! Real QEMU (7.2, TCG) accepts every `-cpu` value our generator produces for libvirt 9.0's
//! conformance cases, and rejects the shipped demo's mistyped model as virt-cpu says it will.
//!
//! "Accepted" means: `qemu-system-x86_64 -accel tcg -machine q35 -m 64 -cpu VALUE -nodefaults
//! -display none -S -qmp stdio`, fed `qmp_capabilities` and `quit`, builds the machine and the CPU
//! and exits 0 (see ../shared/docs/REAL-SYSTEMS.md). Warnings that TCG lacks a feature are fine
//! without `enforce`.

mod common;

use common::conformance::{self, generate_row, rows};
use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use virt_cpu::catalog::Catalog;

const QEMU: &str = "qemu-system-x86_64";
const PREFIX: &str = "qemu-system-x86_64: ";
/// What QEMU prints, once per feature bit, when TCG cannot provide a requested feature.
const TCG_FEATURE_WARNING: &str =
    "qemu-system-x86_64: warning: TCG doesn't support requested feature: ";

/// What one start of QEMU ended with.
struct Run {
    code: Option<i32>,
    stderr: String,
}

impl Run {
    fn accepted(&self) -> bool {
        self.code == Some(0)
    }

    /// stderr without the per-feature TCG warnings.
    fn messages(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.starts_with(TCG_FEATURE_WARNING) && !l.trim().is_empty())
            .collect()
    }

    fn tcg_warnings(&self) -> usize {
        self.stderr
            .lines()
            .filter(|l| l.starts_with(TCG_FEATURE_WARNING))
            .count()
    }

    fn describe(&self) -> String {
        let code = self
            .code
            .map_or("killed".to_string(), |c| format!("exit {c}"));
        let shown: Vec<&str> = self.messages();
        let warnings = self.tcg_warnings();
        let mut s = format!(
            "{code}; QEMU said: {}",
            if shown.is_empty() {
                "(nothing but feature warnings)".into()
            } else {
                shown.join(" | ")
            }
        );
        if warnings > 0 {
            s.push_str(&format!(" (+{warnings} TCG feature warnings)"));
        }
        s
    }
}

/// Starts QEMU briefly with this `-cpu` and returns how it ended.
fn run_qemu(cpu: &str) -> Run {
    let mut child = common::qemu_probe(cpu, &[])
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {QEMU}: {e}"));
    {
        let mut stdin = child.stdin.take().unwrap();
        // QEMU may already have exited (refused the CPU); a broken pipe then is expected.
        let _ = stdin.write_all(common::QMP_QUIT);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().unwrap().is_some() || Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    if child.try_wait().unwrap().is_none() {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The x86 model names (and aliases) this QEMU knows, from `-cpu help`.
fn qemu_models() -> BTreeSet<String> {
    let out = Command::new(QEMU)
        .args(["-cpu", "help"])
        .output()
        .expect("qemu -cpu help");
    assert!(
        out.status.success(),
        "{QEMU} -cpu help failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let models: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("x86 "))
        .filter_map(|l| l.split_whitespace().next())
        .map(String::from)
        .collect();
    assert!(
        models.len() > 50,
        "{QEMU} -cpu help listed only {} x86 models",
        models.len()
    );
    models
}

fn model_of(value: &str) -> &str {
    value.split(',').next().unwrap()
}

fn options_of(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').skip(1)
}

/// A value that cannot run under TCG for a reason REAL-SYSTEMS.md documents. QEMU must refuse it
/// with exactly `message` (and nothing else), and the value with the blocking part replaced by
/// `stand_in` must be accepted, so that the exclusion cannot hide a real mistake in the rest.
struct TcgLimit {
    reason: &'static str,
    applies: fn(&str) -> bool,
    message: &'static str,
    stand_in: fn(&str) -> String,
}

const TCG_LIMITS: &[TcgLimit] = &[
    TcgLimit {
        reason: "the `host` model passes the host CPU through and needs KVM (or HVF); this machine runs TCG",
        applies: |v| model_of(v) == "host",
        message: "CPU model 'host' requires KVM or HVF",
        // `max` is TCG's everything-it-can model and takes the same properties.
        stand_in: |v| format!("max{}", &v["host".len()..]),
    },
    TcgLimit {
        reason: "hv-vpindex=on needs KVM's Hyper-V VP_INDEX support; TCG refuses it",
        applies: |v| options_of(v).any(|o| o == "hv-vpindex=on"),
        message: "kernel doesn't allow setting HyperV VP_INDEX",
        stand_in: |v| {
            v.split(',')
                .filter(|o| *o != "hv-vpindex=on")
                .collect::<Vec<_>>()
                .join(",")
        },
    },
];

#[test]
fn qemu_accepts_generated_conformance_values() {
    if !common::require_program(QEMU) {
        return;
    }
    let dir = conformance::dir();
    let catalog = Catalog::embedded();
    let known = qemu_models();
    let mut values: Vec<(String, String)> = Vec::new(); // (value, first row giving it)
    let mut not_generated = Vec::new();
    let mut unknown_model = Vec::new();
    for row in rows(&dir).into_iter().filter(|r| r.expect == "ok") {
        match generate_row(&dir, &row, catalog) {
            Ok(cpu) => match cpu.value() {
                Some(v) if !known.contains(model_of(&v)) => {
                    unknown_model.push(format!("{} ({v})", row.name))
                }
                Some(v) if !values.iter().any(|(x, _)| *x == v) => {
                    values.push((v, row.name.clone()))
                }
                Some(_) => {}
                None => not_generated.push(format!("{}: no -cpu", row.name)),
            },
            Err(e) => not_generated.push(format!("{}: {}", row.name, e.message)),
        }
    }
    let mut failures = Vec::new();
    let mut accepted = 0;
    let mut limited = 0;
    println!(
        "\nreal {QEMU} -accel tcg on {} distinct generated -cpu values:",
        values.len()
    );
    for (value, row) in &values {
        let run = run_qemu(value);
        let limit = TCG_LIMITS.iter().find(|l| (l.applies)(value));
        match limit {
            None if run.accepted() => {
                accepted += 1;
                println!("  accepted  {value}");
            }
            None => failures.push(format!(
                "{row}: QEMU refused -cpu {value}\n    {}",
                run.describe()
            )),
            Some(limit) => {
                let expected = format!("{PREFIX}{}", limit.message);
                if run.accepted() || run.messages() != [expected.as_str()] {
                    failures.push(format!(
                        "{row}: -cpu {value} is listed as impossible under TCG ({}), so QEMU must refuse it with exactly \"{expected}\"\n    {}",
                        limit.reason,
                        run.describe()
                    ));
                    continue;
                }
                let stand_in = (limit.stand_in)(value);
                let stand_in_run = run_qemu(&stand_in);
                if !stand_in_run.accepted() {
                    failures.push(format!("{row}: the rest of -cpu {value} (tried as -cpu {stand_in}) is refused\n    {}", stand_in_run.describe()));
                    continue;
                }
                limited += 1;
                println!(
                    "  TCG-limit {value}\n            ({}; QEMU: \"{}\"; -cpu {stand_in} accepted)",
                    limit.reason, limit.message
                );
            }
        }
    }
    for n in &not_generated {
        println!("  not generated (the conformance test reports these): {n}");
    }
    for u in &unknown_model {
        println!("  model unknown to this QEMU, not started: {u}");
    }
    println!(
        "{accepted} accepted, {limited} refused for a documented TCG limit (rest accepted), {} failed",
        failures.len()
    );
    assert!(
        accepted >= 20,
        "only {accepted} values were tried: the conformance cases or the generator are missing"
    );
    assert!(
        failures.is_empty(),
        "real QEMU disagrees:\n  {}",
        failures.join("\n  ")
    );
}

/// The demo domain's `<qemu:cpu>` names `Icelake-Server-V4`; QEMU's names are case-sensitive.
#[test]
fn icelake_demo_typo_is_rejected_by_qemu_and_flagged_by_check() {
    if !common::require_program(QEMU) {
        return;
    }
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/examples/icelake-240.xml"
    );
    // The value is printed, and the exit code says the domain has errors.
    let out = common::virt_cpu(&["argv", file]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "virt-cpu argv: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let value = String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string();
    assert_eq!(model_of(&value), "Icelake-Server-V4", "{value}");

    // `check` says so before QEMU does: the model, with the right name as the suggestion, and
    // the option QEMU does not have.
    let check = common::virt_cpu(&["check", "--json", file]);
    assert_eq!(check.status.code(), Some(1), "check must fail on the demo");
    let report: serde_json::Value = serde_json::from_slice(&check.stdout).expect("check --json");
    let diags = report["diagnostics"].as_array().expect("diagnostics");
    let find = |code: &str| {
        diags
            .iter()
            .find(|d| d["code"] == code)
            .unwrap_or_else(|| panic!("no {code} diagnostic in {report}"))
    };
    assert_eq!(find("unknown-model")["suggestion"], "Icelake-Server-v4");
    assert!(
        find("unknown-option")["message"]
            .as_str()
            .unwrap()
            .contains("strange-option")
    );

    // 1. As virt-cpu prints it: QEMU does not know the model.
    let run = run_qemu(&value);
    assert_eq!(run.code, Some(1), "-cpu {value}: {}", run.describe());
    assert_eq!(
        run.messages(),
        [format!(
            "{PREFIX}unable to find CPU model 'Icelake-Server-V4'"
        )],
        "-cpu {value}"
    );

    // 2. The corrected name with the same options: QEMU now finds the model, and then refuses the
    //    demo's `strange-option=1234` (no such property), as `check` said.
    let corrected = value.replacen("Icelake-Server-V4", "Icelake-Server-v4", 1);
    let run = run_qemu(&corrected);
    assert_eq!(run.code, Some(1), "-cpu {corrected}: {}", run.describe());
    assert_eq!(
        run.messages(),
        [format!(
            "{PREFIX}can't apply global Icelake-Server-v4-x86_64-cpu.strange-option=1234: Property 'Icelake-Server-v4-x86_64-cpu.strange-option' not found"
        )],
        "-cpu {corrected}"
    );

    // 3. Without the made-up option, `enforce=on` turns TCG's missing features (AVX-512 and
    //    others of Icelake) into a refusal: one warning per bit, then the error.
    let real_options = corrected.replace(",strange-option=1234", "");
    assert!(real_options.contains(",enforce=on"), "{real_options}");
    let run = run_qemu(&real_options);
    assert_eq!(run.code, Some(1), "-cpu {real_options}: {}", run.describe());
    assert_eq!(
        run.messages(),
        [format!("{PREFIX}TCG doesn't support requested features")],
        "-cpu {real_options}"
    );
    assert!(
        run.stderr.contains(&format!(
            "{TCG_FEATURE_WARNING}CPUID.07H:EBX.avx512f [bit 16]"
        )),
        "{}",
        run.stderr
    );

    // 4. Without enforce, the same CPU starts: TCG only warns about the features it lacks.
    let unenforced = real_options.replace(",enforce=on", "");
    let run = run_qemu(&unenforced);
    assert!(run.accepted(), "-cpu {unenforced}: {}", run.describe());
    assert!(
        run.messages().is_empty(),
        "-cpu {unenforced}: {}",
        run.describe()
    );
    assert!(
        run.tcg_warnings() > 0,
        "TCG was expected to warn about Icelake features it lacks"
    );
}

/// What `check` calls amd-smt-without-topoext is what QEMU itself warns about.
#[test]
fn qemu_warns_about_amd_smt_without_topoext() {
    if !common::require_program("qemu-system-x86_64") {
        return;
    }
    let out = common::qemu_probe("Opteron_G5", &["-smp", "4,cores=2,threads=2"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(common::QMP_QUIT)?;
            child.wait_with_output()
        })
        .expect("run qemu");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("This family of AMD CPU doesn't support hyperthreading(2)"),
        "{stderr}"
    );
}

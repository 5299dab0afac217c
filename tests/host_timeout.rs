//! A host that never answers: every `virsh` call is bounded by `--timeout` / `VIRT_CPU_TIMEOUT`
//! and says what did not answer; the `virsh` started (its whole process group) never outlives
//! virt-cpu, also when virt-cpu is interrupted while it waits. The host is a unix socket on this
//! machine that accepts and never answers (tests/common/silent.rs). The interactive view's
//! loading screen is in tests/tui_tmux.rs.

mod common;

use common::silent::SilentHost;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_virt-cpu");
/// Far longer than any bounded wait here; on main before the timeouts, the run hung forever.
const HANG: Duration = Duration::from_secs(25);

fn spawn(args: &[&str], env: &[(&str, &str)]) -> Child {
    Command::new(BIN)
        .args(args)
        .env_remove("VIRT_CPU_TIMEOUT")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for the child up to `limit`; kills it (and fails) when it did not end.
fn finish(mut child: Child, limit: Duration) -> (Output, Duration) {
    let start = Instant::now();
    while start.elapsed() < limit {
        if child.try_wait().unwrap().is_some() {
            return (child.wait_with_output().unwrap(), start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    panic!(
        "virt-cpu still waits after {limit:?}; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_silent_host_times_out_naming_the_command_and_the_wait() {
    if !common::require_program("virsh") {
        return;
    }
    let host = SilentHost::start();
    let uri = host.uri();
    let (out, took) = finish(spawn(&["--timeout", "1", "models", "-c", &uri], &[]), HANG);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("did not answer within 1 s"), "{err}");
    assert!(err.contains("version --daemon"), "{err}");
    assert!(err.contains(&uri), "{err}");
    assert!(err.contains("--timeout"), "{err}");
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert_eq!(
        host.left_after(Duration::from_secs(3)),
        Vec::<String>::new()
    );

    // The environment sets it too, for `check` with a host.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.xml");
    std::fs::write(&file, include_str!("../assets/examples/icelake-240.xml")).unwrap();
    let (out, _) = finish(
        spawn(
            &["check", file.to_str().unwrap(), "-c", &uri],
            &[("VIRT_CPU_TIMEOUT", "0.5")],
        ),
        HANG,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("did not answer within 500 ms"), "{err}");
    assert_eq!(
        host.left_after(Duration::from_secs(3)),
        Vec::<String>::new()
    );
}

#[test]
fn a_bad_timeout_is_a_usage_error() {
    for bad in ["0", "-1", "soon", "inf"] {
        let arg = format!("--timeout={bad}");
        let (out, _) = finish(spawn(&[&arg, "models"], &[]), HANG);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains("seconds"), "{bad}: {err}");
    }
}

/// Waits until a virsh talking to `host` runs (virt-cpu started it).
fn wait_for_virsh(host: &SilentHost) {
    let start = Instant::now();
    while !host.processes().iter().any(|p| p.contains("virsh")) {
        assert!(start.elapsed() < HANG, "no virsh started");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_fatal_signal_while_virsh_waits_ends_its_process_group() {
    if !common::require_program("virsh") {
        return;
    }
    let host = SilentHost::start();
    let uri = host.uri();
    for (name, sig) in [("INT", libc::SIGINT), ("TERM", libc::SIGTERM)] {
        let child = spawn(&["models", "-c", &uri], &[]);
        wait_for_virsh(&host);
        // SAFETY: a signal to the child we spawned.
        assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
        let (out, took) = finish(child, Duration::from_secs(10));
        assert_eq!(
            out.status.signal(),
            Some(sig),
            "SIG{name}: virt-cpu should die by it, status {:?}",
            out.status
        );
        assert!(took < Duration::from_secs(3), "SIG{name}: took {took:?}");
        assert_eq!(
            host.left_after(Duration::from_secs(3)),
            Vec::<String>::new(),
            "SIG{name} left a program behind"
        );
    }
}

/// A scan of more hosts than virt-cpu once tracked (16) at a time: every virsh it started goes
/// with it when it is ended, none waits for its own deadline.
#[test]
fn a_fatal_signal_during_a_scan_of_many_silent_hosts_ends_every_virsh() {
    if !common::require_program("virsh") {
        return;
    }
    let hosts: Vec<SilentHost> = (0..24).map(|_| SilentHost::start()).collect();
    let mut args = vec!["scan".to_string()];
    for h in &hosts {
        args.extend(["-c".to_string(), h.uri()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let child = spawn(&args, &[("VIRT_CPU_TIMEOUT", "60")]);
    for h in &hosts {
        wait_for_virsh(h);
    }
    // SAFETY: a signal to the child we spawned.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let (out, _) = finish(child, Duration::from_secs(10));
    assert_eq!(out.status.signal(), Some(libc::SIGTERM), "{:?}", out.status);
    let left: Vec<String> = hosts
        .iter()
        .flat_map(|h| h.left_after(Duration::from_secs(3)))
        .collect();
    assert_eq!(left, Vec::<String>::new(), "virsh left behind");
}

//! End-to-end tests of the interactive view: the real binary in a real terminal (tmux), driven
//! by keys, read back from the screen. Each test has its own tmux server (`-L`), session and
//! size; waits are for a stable screen showing what is expected, within a deadline — never a
//! bare sleep. Skips without tmux; fails under CI=true (tests/common `require_program`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_virt-cpu");
const DEMO: &str = include_str!("../assets/examples/icelake-240.xml");
/// Generous: CI machines are shared and debug builds are slow.
const DEADLINE: Duration = Duration::from_secs(20);

/// A tmux server of our own with one 100×30 session running a command.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Runs `virt-cpu ARGS` in `dir`; when it ends the pane prints `EXIT=<code>` and `stty -a`,
    /// then stays, so the exit status and the terminal's mode can be read from the screen.
    fn start(name: &str, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Tmux {
        let mut cmd = vec![shlex::try_quote(BIN).unwrap().into_owned()];
        cmd.extend(
            args.iter()
                .map(|a| shlex::try_quote(a).unwrap().into_owned()),
        );
        let envs: String = env
            .iter()
            .map(|(k, v)| format!("{k}={} ", shlex::try_quote(v).unwrap()))
            .collect();
        start_script(name, dir, &format!("env {envs}{}", cmd.join(" ")))
    }

    fn tmux(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-L").arg(&self.socket).args(args);
        c
    }

    fn screen(&self) -> String {
        let out = self
            .tmux(&["capture-pane", "-p"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Pastes `text` as a terminal does (bracketed, when the program asked for it).
    fn paste(&self, text: &str) {
        for args in [
            &["set-buffer", "-b", "paste", "--", text][..],
            &["paste-buffer", "-p", "-b", "paste"],
        ] {
            assert!(self.tmux(args).status().unwrap().success(), "tmux {args:?}");
        }
    }

    /// Sends keys in tmux's names (`Tab`, `Escape`, `Enter`, `Space`, `C-r`, or a letter).
    fn keys(&self, keys: &[&str]) {
        assert!(
            self.tmux(&["send-keys"])
                .args(keys)
                .status()
                .unwrap()
                .success()
        );
    }

    /// Types text literally.
    fn type_text(&self, text: &str) {
        assert!(
            self.tmux(&["send-keys", "-l", text])
                .status()
                .unwrap()
                .success()
        );
    }

    /// Waits until the screen shows `what` and has stopped changing; panics with the last
    /// screen at the deadline.
    fn wait_for(&self, what: &str) -> String {
        let start = Instant::now();
        let mut pause = Duration::from_millis(20);
        let mut last = String::new();
        loop {
            let now = self.screen();
            if now.contains(what) && now == last {
                return now;
            }
            if start.elapsed() > DEADLINE {
                panic!("waited {DEADLINE:?} for {what:?}; the screen:\n{now}");
            }
            last = now;
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }

    /// The program ended with exit code `code` and left the terminal cooked (`stty -a`).
    fn exits_cooked(&self, code: &str) {
        self.wait_for(&format!("EXIT={code}"));
        assert_cooked(&self.wait_for("STTY-END"));
    }

    /// The pid of the program in the pane (the pane's shell's child).
    fn app_pid(&self) -> String {
        let out = self
            .tmux(&["list-panes", "-F", "#{pane_pid}"])
            .output()
            .unwrap();
        let shell = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let start = Instant::now();
        loop {
            let out = Command::new("pgrep").args(["-P", &shell]).output().unwrap();
            let pid = String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .map(str::to_string);
            if let Some(pid) = pid {
                return pid;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "no child of the pane's shell {shell}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]).status();
    }
}

/// `stty -a` printed after the program ended: canonical mode and echo are back on.
fn assert_cooked(screen: &str) {
    let words: Vec<&str> = screen.split_whitespace().collect();
    assert!(
        words.contains(&"icanon"),
        "terminal left in raw mode (no icanon):\n{screen}"
    );
    assert!(
        words.contains(&"echo"),
        "terminal left without echo:\n{screen}"
    );
    assert!(
        !words.contains(&"-icanon"),
        "terminal left in raw mode:\n{screen}"
    );
}

fn demo_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("icelake-240.xml");
    std::fs::write(&path, DEMO).unwrap();
    (dir, path)
}

#[test]
fn fix_toggle_save_on_the_demo_domain() {
    if !common::require_program("tmux") {
        return;
    }
    let (dir, path) = demo_copy();
    let t = Tmux::start("fix", dir.path(), &["icelake-240.xml"], &[]);
    t.wait_for("unknown-model");
    let s = t.wait_for("[1] fix → Icelake-Server-v4");
    assert!(s.contains("-cpu Icelake-Server-V4,enforce=on"), "{s}");
    t.keys(&["1"]);
    t.wait_for("-cpu Icelake-Server-v4,enforce=on,smap=on,avx=on,tsc-adjust=off,strange-option=1234,hv-relaxed=on");
    // Toggle a feature of the model off in <qemu:cpu>.
    t.keys(&["Tab", "f", "/"]);
    t.type_text("avx512f");
    t.keys(&["Enter", "Space", "Escape"]);
    t.wait_for("avx512f=off            removed");
    t.keys(&["w"]);
    t.wait_for("save? y writes");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        DEMO,
        "nothing written before y"
    );
    t.keys(&["y"]);
    t.wait_for("Wrote ");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
    let s = t.wait_for("STTY-END");
    assert_cooked(&s);
    let expected = DEMO.replace("Icelake-Server-V4", "Icelake-Server-v4").replace(
        "    <qemu:option name='strange-option' value='1234'/>\n",
        "    <qemu:option name='strange-option' value='1234'/>\n    <qemu:option name='avx512f' value='off'/>\n",
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
}

#[test]
fn quit_without_change_leaves_bytes_and_mtime() {
    if !common::require_program("tmux") {
        return;
    }
    let (dir, path) = demo_copy();
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let t = Tmux::start("quit", dir.path(), &["icelake-240.xml"], &[]);
    t.wait_for("unknown-model");
    // Look around without changing anything: a pane switch, the reading, help.
    t.keys(&["Tab", "o"]);
    t.wait_for("Reading: override");
    t.keys(&["?"]);
    t.wait_for("any other key closes");
    // Escape and q in one write reach the program as Alt+q; it must still read as two keys.
    t.keys(&["Escape", "q"]);
    t.wait_for("EXIT=0");
    let s = t.wait_for("STTY-END");
    assert_cooked(&s);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), DEMO);
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime);
}

#[test]
fn abort_exits_non_zero_without_writing() {
    if !common::require_program("tmux") {
        return;
    }
    let (dir, path) = demo_copy();
    let t = Tmux::start("abort", dir.path(), &["icelake-240.xml"], &[]);
    t.wait_for("unknown-model");
    t.keys(&["1"]);
    t.wait_for("[modified]");
    t.keys(&["Q"]);
    t.wait_for("EXIT=1");
    let s = t.wait_for("STTY-END");
    assert_cooked(&s);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), DEMO);
}

/// `w` on a file deleted since it was opened says so and asks: Esc keeps the edits and writes
/// nothing (the file stays gone), `y` creates it again with the edits.
#[test]
fn a_deleted_file_is_not_recreated_without_asking() {
    if !common::require_program("tmux") {
        return;
    }
    let (dir, path) = demo_copy();
    let t = Tmux::start("deleted", dir.path(), &["icelake-240.xml"], &[]);
    t.wait_for("unknown-model");
    t.keys(&["1"]);
    t.wait_for("[modified]");
    std::fs::remove_file(&path).unwrap();
    t.keys(&["w"]);
    t.wait_for("save? y writes");
    t.keys(&["y"]);
    let s = t.wait_for("was deleted since it was opened");
    assert!(s.contains("y create it again"), "{s}");
    assert!(!path.exists(), "recreated without asking");
    t.keys(&["Escape"]);
    t.wait_for("Not saved; your edits are kept");
    assert!(!path.exists(), "recreated after Esc");
    t.keys(&["w"]);
    t.wait_for("save? y writes");
    t.keys(&["y"]);
    t.wait_for("was deleted since it was opened");
    t.keys(&["y"]);
    t.wait_for("Wrote ");
    t.keys(&["q"]);
    t.exits_cooked("0");
    let now = std::fs::read_to_string(&path).unwrap();
    assert_eq!(now, DEMO.replace("Icelake-Server-V4", "Icelake-Server-v4"));
}

/// The app is sent `signal` while running; it exits with `exit` and the terminal is cooked again.
fn signal_restores_the_terminal(name: &str, signal: &str, exit: &str) {
    if !common::require_program("tmux") || !common::require_program("pgrep") {
        return;
    }
    let (dir, _path) = demo_copy();
    let t = Tmux::start(name, dir.path(), &["icelake-240.xml"], &[]);
    t.wait_for("unknown-model");
    let pid = t.app_pid();
    assert!(
        Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success()
    );
    t.wait_for(exit);
    assert_cooked(&t.wait_for("STTY-END"));
}

#[test]
fn sigterm_restores_the_terminal() {
    signal_restores_the_terminal("term", "-TERM", "EXIT=143");
}

#[test]
fn resize_to_too_small_and_back() {
    if !common::require_program("tmux") {
        return;
    }
    let (dir, _path) = demo_copy();
    let t = Tmux::start("resize", dir.path(), &["icelake-240.xml"], &[]);
    t.wait_for("unknown-model");
    assert!(
        t.tmux(&["resize-window", "-x", "60", "-y", "20"])
            .status()
            .unwrap()
            .success()
    );
    t.wait_for("terminal too small");
    assert!(
        t.tmux(&["resize-window", "-x", "100", "-y", "30"])
            .status()
            .unwrap()
            .success()
    );
    t.wait_for("unknown-model");
    t.keys(&["q"]);
    t.exits_cooked("0");
}

#[test]
fn copy_over_ssh_says_osc52_and_the_tmux_setting() {
    if !common::require_program("tmux") {
        return;
    }
    let (dir, _path) = demo_copy();
    let env = [
        ("SSH_CONNECTION", "10.0.0.1 22 10.0.0.2 22"),
        ("TMUX", "/tmp/fake,1,0"),
        ("DISPLAY", ""),
        ("WAYLAND_DISPLAY", ""),
    ];
    let t = Tmux::start("copy", dir.path(), &["icelake-240.xml"], &env);
    t.wait_for("unknown-model");
    t.keys(&["y"]);
    let s = t.wait_for("OSC 52");
    // Without a display, no local clipboard is tried: no X11 timeout to speak of.
    assert!(s.contains("no $DISPLAY or $WAYLAND_DISPLAY"), "{s}");
    assert!(!s.contains("X11") && !s.contains("timeout"), "{s}");
    t.keys(&["q"]);
    t.exits_cooked("0");
}

#[test]
fn sighup_restores_the_terminal() {
    signal_restores_the_terminal("hup", "-HUP", "EXIT=129");
}

/// A domain defined in the test daemon for the length of a test, undefined on drop.
struct TestDomain {
    name: String,
}

impl TestDomain {
    fn define(name: &str) -> TestDomain {
        TestDomain::define_with_devices(name, "")
    }

    /// The demo domain `custom-features.xml` named `name`, with `devices` added to its
    /// `<devices>`.
    fn define_with_devices(name: &str, devices: &str) -> TestDomain {
        let xml = include_str!("../assets/examples/custom-features.xml")
            .replace("</devices>", &format!("{devices}</devices>"))
            .replace(
                "<name>haswell-custom</name>",
                &format!("<name>{name}</name>"),
            )
            .lines()
            .filter(|l| !l.contains("<uuid>"))
            .collect::<Vec<_>>()
            .join("\n");
        TestDomain::define_xml(name, &xml)
    }

    /// `xml` (whose `<name>` is `name`) defined in the test daemon.
    fn define_xml(name: &str, xml: &str) -> TestDomain {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("dom.xml");
        std::fs::write(&file, xml).unwrap();
        let d = TestDomain {
            name: name.to_string(),
        };
        let out = virsh(&["define", "--file", file.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "virsh define: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        d
    }

    fn xml(&self) -> String {
        self.dumpxml(&[])
    }

    /// `virsh dumpxml --inactive` with `extra` options (`--security-info`).
    fn dumpxml(&self, extra: &[&str]) -> String {
        let mut args = vec!["dumpxml", "--inactive"];
        args.extend_from_slice(extra);
        args.extend(["--domain", &self.name]);
        let out = virsh(&args);
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for TestDomain {
    fn drop(&mut self) {
        let _ = virsh(&["undefine", "--domain", &self.name]);
    }
}

fn virsh(args: &[&str]) -> std::process::Output {
    Command::new("virsh")
        .args(["-c", common::LIBVIRT_URI])
        .args(args)
        .output()
        .expect("run virsh")
}

/// Runs `virsh edit` with virt-cpu as `$VISUAL` in the pane.
fn virsh_edit(t_name: &str, dir: &Path, dom: &str) -> Tmux {
    let script_args = ["-c", common::LIBVIRT_URI, "edit", dom];
    // The pane runs `env VISUAL=… virsh …`, so the program in the pane is virsh here.
    let socket = format!("virt-cpu-test-{t_name}-{}", std::process::id());
    let quoted: Vec<String> = script_args
        .iter()
        .map(|a| shlex::try_quote(a).unwrap().into_owned())
        .collect();
    let script = format!(
        "env VISUAL={} virsh {}; echo EXIT=$?; stty -a; echo STTY-END; exec sleep 600",
        shlex::try_quote(BIN).unwrap(),
        quoted.join(" ")
    );
    let t = Tmux { socket };
    let ok = t
        .tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            t_name,
            "-x",
            "100",
            "-y",
            "30",
            "-c",
        ])
        .arg(dir)
        .arg(script)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    t
}

#[test]
fn as_visual_for_virsh_edit() {
    if !common::require_program("tmux") || !common::require_libvirt_daemon() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dom = TestDomain::define(&format!("virt-cpu-tui-edit-{}", std::process::id()));
    let before = dom.xml();

    // Quit without a change: virsh says "not changed", exit 0, definition as it was.
    let t = virsh_edit("edit-q", dir.path(), &dom.name);
    t.wait_for("Haswell-noTSX");
    t.keys(&["q"]);
    let s = t.wait_for("EXIT=0");
    assert!(s.contains("not changed"), "{s}");
    assert_cooked(&t.wait_for("STTY-END"));
    assert_eq!(dom.xml(), before);
    drop(t);

    // Abort after an edit: non-zero, virsh keeps the old definition.
    let t = virsh_edit("edit-abort", dir.path(), &dom.name);
    t.wait_for("Haswell-noTSX");
    t.keys(&["m"]);
    t.type_text("skylake-client");
    t.keys(&["Enter"]);
    t.wait_for("[modified]");
    t.keys(&["Q"]);
    let s = t.wait_for("EXIT=");
    assert!(!s.contains("EXIT=0"), "{s}");
    assert_eq!(dom.xml(), before);
    drop(t);

    // Save in place, quit: virsh defines the edited file.
    let t = virsh_edit("edit-w", dir.path(), &dom.name);
    t.wait_for("Haswell-noTSX");
    t.keys(&["f", "/"]);
    t.type_text("pcid");
    t.keys(&["Enter", "Space", "Escape"]);
    t.wait_for("disable  removed");
    t.keys(&["w"]);
    t.wait_for("save? y writes");
    t.keys(&["y"]);
    t.wait_for("Wrote ");
    t.keys(&["q"]);
    let s = t.wait_for("EXIT=0");
    assert!(s.contains("edited"), "{s}");
    assert!(
        dom.xml()
            .contains("<feature policy='disable' name='pcid'/>"),
        "{}",
        dom.xml()
    );
    drop(t);

    // Move to <qemu:cpu> and save: virsh would define it and libvirt 9.0 drop <qemu:cpu>, so
    // the view asks first (it knows virsh started it); `c` converts, and virsh defines that.
    let t = virsh_edit("edit-qemu-cpu", dir.path(), &dom.name);
    t.wait_for("Haswell-noTSX");
    t.keys(&["x", "w"]);
    t.wait_for("save? y writes");
    t.keys(&["y"]);
    t.wait_for("virsh edit defines this file when you quit");
    t.keys(&["c"]);
    t.wait_for("Wrote ");
    t.keys(&["q"]);
    let s = t.wait_for("EXIT=0");
    assert!(s.contains("edited"), "{s}");
    let xml = dom.xml();
    assert!(
        xml.contains("<qemu:commandline>") && xml.contains("Haswell-noTSX"),
        "{xml}"
    );
}

/// A domain whose CPU is a `-cpu` passed by `<qemu:commandline>` (the form `c` saves for
/// libvirt 9.0 to 12), as `virsh define` keeps it: libvirt added its default model to `<cpu>`.
const COMMANDLINE_FORM: &str =
    "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>NAME</name>
  <memory unit='KiB'>65536</memory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
  </os>
  <cpu mode='custom' match='exact' check='none'>
    <model fallback='forbid'>qemu64</model>
    <topology sockets='1' dies='1' cores='2' threads='1'/>
  </cpu>
  <qemu:commandline>
    <qemu:arg value='-cpu'/>
    <qemu:arg value='Skylake-Client,vmx=on'/>
  </qemu:commandline>
</domain>
";

/// The `<qemu:cpu>` pane shows and edits the `-cpu` a `<qemu:commandline>` passes: the
/// picker changes its model, the feature list adds an option, and the file keeps the form,
/// every other byte as it was.
#[test]
fn the_commandline_form_is_edited_in_the_qemu_pane() {
    if !common::require_program("tmux") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cl.xml");
    let xml = COMMANDLINE_FORM.replace("NAME", "cl");
    std::fs::write(&path, &xml).unwrap();
    let t = Tmux::start("cl-form", dir.path(), &["cl.xml"], &[]);
    let s = t.wait_for("-cpu passed by <qemu:commandline>");
    assert!(s.contains("libvirt-default-model"), "{s}");
    assert!(!s.contains("model-twice"), "{s}");
    t.keys(&["Tab", "m"]);
    t.type_text("Skylake-Client-v4");
    t.keys(&["Enter"]);
    t.wait_for("-cpu Skylake-Client-v4,vmx=on");
    t.keys(&["f", "/"]);
    t.type_text("pcid");
    t.keys(&["Enter", "Space", "Escape"]);
    t.wait_for("-cpu Skylake-Client-v4,vmx=on,pcid=off");
    t.keys(&["w"]);
    t.wait_for("save? y writes");
    t.keys(&["y"]);
    t.wait_for("Wrote ");
    t.keys(&["q"]);
    t.exits_cooked("0");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        xml.replace(
            "'Skylake-Client,vmx=on'",
            "'Skylake-Client-v4,vmx=on,pcid=off'"
        )
    );
}

/// The round trip on the real daemon: defined with a commandline `-cpu`, opened with
/// `--domain`, edited in the `<qemu:cpu>` pane and defined again — libvirt keeps the form,
/// passes the new value to QEMU (`domxml-to-native`), and QEMU accepts it.
#[test]
fn the_commandline_form_round_trips_through_libvirt() {
    if !common::require_program("tmux")
        || !common::require_libvirt_daemon()
        || !common::require_program("qemu-system-x86_64")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let name = format!("virt-cpu-tui-cl-{}", std::process::id());
    // Defined without <cpu>: libvirt adds its default model itself.
    let xml = COMMANDLINE_FORM.replace("NAME", &name);
    let start = xml.find("  <cpu").unwrap();
    let end = xml.find("</cpu>\n").unwrap() + "</cpu>\n".len();
    let dom = TestDomain::define_xml(&name, &format!("{}{}", &xml[..start], &xml[end..]));
    assert!(
        dom.xml()
            .contains("<model fallback='forbid'>qemu64</model>"),
        "{}",
        dom.xml()
    );
    let t = Tmux::start(
        "cl-domain",
        dir.path(),
        &["--domain", &dom.name, "-c", common::LIBVIRT_URI],
        &[],
    );
    let s = t.wait_for("-cpu passed by <qemu:commandline>");
    assert!(!s.contains("model-twice"), "{s}");
    t.keys(&["Tab", "m"]);
    t.type_text("Skylake-Client-v4");
    t.keys(&["Enter"]);
    t.wait_for("-cpu Skylake-Client-v4,vmx=on");
    t.keys(&["f", "/"]);
    t.type_text("pcid");
    t.keys(&["Enter", "Space", "Escape"]);
    t.wait_for("-cpu Skylake-Client-v4,vmx=on,pcid=off");
    t.keys(&["w"]);
    t.wait_for("save? y writes");
    t.keys(&["y"]);
    t.wait_for("Defined ");
    t.keys(&["q"]);
    t.exits_cooked("0");
    let value = "Skylake-Client-v4,vmx=on,pcid=off";
    let defined = dom.xml();
    assert!(
        defined.contains(&format!("<qemu:arg value='{value}'/>")),
        "{defined}"
    );
    // libvirt passes its own -cpu first, then the arguments: QEMU keeps the last.
    let out = virsh(&["domxml-to-native", "qemu-argv", "--domain", &dom.name]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8(out.stdout).unwrap();
    let words = shlex::split(line.trim()).unwrap();
    let last = words.iter().rposition(|w| w == "-cpu").unwrap();
    assert_eq!(words[last + 1], value, "{line}");
    let mut qemu = common::qemu_probe(value, &[])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    qemu.stdin
        .take()
        .unwrap()
        .write_all(common::QMP_QUIT)
        .unwrap();
    let run = qemu.wait_with_output().unwrap();
    assert!(
        run.status.success(),
        "QEMU refuses -cpu {value}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// `--domain NAME` edits the definition in libvirt: `w` defines it. It reads and defines the
/// secure XML as `virsh edit` does, so secrets survive: without `--security-info` the define
/// would remove the VNC password and leave the console open.
#[test]
fn domain_option_defines_through_virsh() {
    if !common::require_program("tmux") || !common::require_libvirt_daemon() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dom = TestDomain::define_with_devices(
        &format!("virt-cpu-tui-domain-{}", std::process::id()),
        "<graphics type='vnc' port='-1' autoport='yes' passwd='s3cr3tpw'/>",
    );
    let password = "passwd='s3cr3tpw'";
    assert!(dom.dumpxml(&["--security-info"]).contains(password));
    let t = Tmux::start(
        "domain",
        dir.path(),
        &["--domain", &dom.name, "-c", common::LIBVIRT_URI],
        &[],
    );
    t.wait_for("Haswell-noTSX");
    t.keys(&["f", "/"]);
    t.type_text("pcid");
    t.keys(&["Enter", "Space", "Escape"]);
    t.wait_for("disable  removed");
    t.keys(&["w"]);
    t.wait_for("save? y writes");
    t.keys(&["y"]);
    t.wait_for("Defined ");
    t.keys(&["q"]);
    t.exits_cooked("0");
    let xml = dom.dumpxml(&["--security-info"]);
    assert!(
        xml.contains("<feature policy='disable' name='pcid'/>"),
        "the edit was not defined: {xml}"
    );
    assert!(xml.contains(password), "the VNC password was lost: {xml}");
}

/// When the terminal itself goes away (tmux server or SSH connection gone), the process ends
/// instead of spinning on a dead terminal.
#[test]
fn a_dead_terminal_ends_the_process() {
    if !common::require_program("tmux") || !common::require_program("pgrep") {
        return;
    }
    let (dir, _path) = demo_copy();
    let t = Tmux::start("dead", dir.path(), &["icelake-240.xml"], &[]);
    t.wait_for("unknown-model");
    let pid = t.app_pid();
    drop(t); // kill-server: the pane's terminal is gone
    let start = std::time::Instant::now();
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "virt-cpu (pid {pid}) still runs 5 s after its terminal went away"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `virt-cpu check` on a terminal shows control characters from the XML escaped, never raw.
#[test]
fn cli_output_on_a_terminal_escapes_control_characters() {
    if !common::require_program("tmux") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("esc.xml"),
        "<domain type='kvm'><cpu><model>Nehalem\u{1b}[31mRED</model></cpu></domain>",
    )
    .unwrap();
    let t = Tmux::start("esc", dir.path(), &["check", "esc.xml"], &[]);
    let s = t.wait_for("EXIT=1");
    assert!(s.contains("Nehalem\\u{1b}[31mRED"), "{s}");
}

/// A panic (provoked through the test-only `VIRT_CPU_TEST_PANIC` switch) leaves the terminal in
/// cooked mode with the main screen back, and the panic message readable.
#[test]
fn a_panic_restores_the_terminal() {
    if !common::require_program("tmux") {
        return;
    }
    let (dir, path) = demo_copy();
    let t = Tmux::start(
        "panic",
        dir.path(),
        &["icelake-240.xml"],
        &[("VIRT_CPU_TEST_PANIC", "1"), ("RUST_BACKTRACE", "0")],
    );
    let s = t.wait_for("EXIT=101");
    assert!(s.contains("panic requested by VIRT_CPU_TEST_PANIC"), "{s}");
    assert_cooked(&t.wait_for("STTY-END"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), DEMO);
}

/// A tmux server of our own with one 100×30 session running `script` (a shell command line) in
/// `dir`, then `EXIT=<code>`, `stty -a` and `STTY-END` (what [`Tmux::start`] runs, too).
fn start_script(name: &str, dir: &Path, script: &str) -> Tmux {
    let script = format!("{script}; echo EXIT=$?; stty -a; echo STTY-END; exec sleep 600");
    new_session(name, dir, &script)
}

/// A tmux server of our own (its socket named after the test and this process) with one 100×30
/// session running `command` in `dir`.
fn new_session(name: &str, dir: &Path, command: &str) -> Tmux {
    let t = Tmux {
        socket: format!("virt-cpu-test-{name}-{}", std::process::id()),
    };
    let ok = t
        .tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "100",
            "-y",
            "30",
            "-c",
        ])
        .arg(dir)
        .arg(command)
        .status()
        .expect("run tmux")
        .success();
    assert!(ok, "tmux new-session failed");
    t
}

/// `cat FILE | virt-cpu -`: the document comes from the pipe, the keys from the terminal; the
/// pipe's end is no hangup. Saving the unnamed document asks before overwriting a file that is
/// there (here the file piped in: the pre-filled name is `NAME.xml` after the domain's
/// `<name>`), and the pre-filled name is replaced by what is typed.
#[test]
fn piped_input_reads_keys_from_the_terminal() {
    if !common::require_program("tmux") {
        return;
    }
    let (dir, unrelated) = demo_copy();
    let script = format!("cat icelake-240.xml | {} -", shlex::try_quote(BIN).unwrap());
    let t = start_script("pipe", dir.path(), &script);
    t.wait_for("unknown-model");
    // Still there after the watchdog has looked a few times; keys work.
    t.keys(&["o"]);
    t.wait_for("Reading: override");
    t.keys(&["1"]);
    t.wait_for("[modified]");
    t.keys(&["w"]);
    t.wait_for("save? y writes");
    t.keys(&["y"]);
    assert!(t.wait_for("typing replaces").contains("icelake-240.xml"));
    t.keys(&["Enter"]);
    t.wait_for("icelake-240.xml exists: overwrite?");
    t.keys(&["n"]);
    t.wait_for("typing replaces");
    t.type_text("new.xml");
    t.keys(&["Enter"]);
    t.wait_for("Wrote new.xml");
    assert_eq!(std::fs::read_to_string(&unrelated).unwrap(), DEMO);
    let written = std::fs::read_to_string(dir.path().join("new.xml")).unwrap();
    assert!(written.contains("Icelake-Server-v4"), "{written}");
    t.keys(&["q"]);
    t.exits_cooked("0");
}

/// Without any terminal for the keys (standard input a file, no controlling terminal) the view
/// says so and exits 2 instead of starting.
#[test]
fn no_terminal_for_the_keys_is_a_clear_error() {
    if !common::require_program("tmux") || !common::require_program("setsid") {
        return;
    }
    let (dir, _path) = demo_copy();
    let script = format!(
        "setsid -w {} - < icelake-240.xml",
        shlex::try_quote(BIN).unwrap()
    );
    let t = start_script("notty", dir.path(), &script);
    let s = t.wait_for("EXIT=2");
    assert!(
        s.contains("needs a terminal for the interactive view"),
        "{s}"
    );
    assert!(s.contains("virt-cpu argv/check/set"), "{s}");
}

/// In a window too small to draw the "quit?" dialog, `q` twice with unsaved edits does not
/// exit; the screen says what the keys do.
#[test]
fn q_twice_in_a_tiny_window_keeps_unsaved_edits() {
    if !common::require_program("tmux") {
        return;
    }
    let (dir, path) = demo_copy();
    let t = Tmux::start("tinyq", dir.path(), &["icelake-240.xml"], &[]);
    t.wait_for("unknown-model");
    t.keys(&["1"]);
    t.wait_for("[modified]");
    assert!(
        t.tmux(&["resize-window", "-x", "30", "-y", "10"])
            .status()
            .unwrap()
            .success()
    );
    t.wait_for("Enlarge the window");
    t.keys(&["q"]);
    t.wait_for("D quits without");
    t.keys(&["q"]);
    let s = t.wait_for("Enlarge the window");
    assert!(!s.contains("EXIT="), "{s}");
    assert!(
        t.tmux(&["resize-window", "-x", "100", "-y", "30"])
            .status()
            .unwrap()
            .success()
    );
    t.wait_for("[modified]");
    t.keys(&["q"]);
    t.wait_for("quit without saving");
    // A reflexive `y` (it writes in the save question) loses nothing here.
    t.keys(&["y"]);
    let s = t.wait_for("y does not discard here");
    assert!(s.contains("D quit without saving"), "{s}");
    assert!(!s.contains("EXIT="), "{s}");
    t.keys(&["q"]);
    let s = t.wait_for("[modified]");
    assert!(!s.contains("quit without saving"), "{s}");
    t.keys(&["Q"]);
    t.exits_cooked("1");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), DEMO);
}

/// With the document piped in, the watchdog watches the terminal the keys come from: when that
/// goes away, the process ends.
#[test]
fn a_dead_terminal_ends_the_process_with_piped_input() {
    if !common::require_program("tmux") || !common::require_program("pgrep") {
        return;
    }
    let (dir, _path) = demo_copy();
    let script = format!("cat icelake-240.xml | {} -", shlex::try_quote(BIN).unwrap());
    let t = start_script("deadpipe", dir.path(), &script);
    t.wait_for("unknown-model");
    let out = t
        .tmux(&["list-panes", "-F", "#{pane_pid}"])
        .output()
        .unwrap();
    let shell = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let out = Command::new("pgrep")
        .args(["-P", &shell, "-f", BIN])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .expect("virt-cpu runs in the pane")
        .to_string();
    drop(t); // kill-server: the pane's terminal is gone
    let start = Instant::now();
    while Path::new(&format!("/proc/{pid}")).exists() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "virt-cpu (pid {pid}) still runs 5 s after its terminal went away"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Tmux {
    /// Waits until the screen shows `what`, changing or not (a spinner never stops).
    fn wait_showing(&self, what: &str) -> String {
        let start = Instant::now();
        loop {
            let now = self.screen();
            if now.contains(what) {
                return now;
            }
            if start.elapsed() > DEADLINE {
                panic!("waited {DEADLINE:?} for {what:?}; the screen:\n{now}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A tmux format of the pane (`#{alternate_on}`, `#{mouse_any_flag}`).
    fn pane_format(&self, format: &str) -> String {
        let out = self
            .tmux(&["display-message", "-p", format])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The pane shows the main screen with the mouse released.
    fn assert_main_screen(&self) {
        assert_eq!(
            self.pane_format("#{alternate_on}"),
            "0",
            "left on the alternate screen:\n{}",
            self.screen()
        );
        assert_eq!(
            self.pane_format("#{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag}"),
            "000",
            "the mouse is still captured"
        );
    }
}

/// Every signal that ends a process restores the terminal first — cooked mode, the main screen,
/// the mouse released — and then ends it by that same signal (the shell sees 128 + signal).
#[test]
fn fatal_signals_restore_the_terminal_and_end_by_that_signal() {
    if !common::require_program("tmux") || !common::require_program("pgrep") {
        return;
    }
    for (signal, code) in [("INT", 130), ("QUIT", 131), ("USR1", 138), ("ALRM", 142)] {
        let (dir, _path) = demo_copy();
        let name = format!("sig{}", signal.to_lowercase());
        let bin = shlex::try_quote(BIN).unwrap().into_owned();
        // No core file for SIGQUIT.
        let t = start_script(
            &name,
            dir.path(),
            &format!("ulimit -c 0; {bin} icelake-240.xml"),
        );
        t.wait_for("unknown-model");
        let pid = t.app_pid();
        assert!(
            Command::new("kill")
                .args([&format!("-{signal}"), &pid])
                .status()
                .unwrap()
                .success()
        );
        t.wait_for(&format!("EXIT={code}"));
        assert_cooked(&t.wait_for("STTY-END"));
        t.assert_main_screen();
    }
}

/// A tmux server of our own with an interactive shell (job control on), prompt `READY$ `.
fn start_shell(name: &str, dir: &Path) -> Tmux {
    let t = new_session(name, dir, "env PS1='READY$ ' bash --norc --noprofile -i");
    t.wait_for("READY$");
    t
}

/// Ctrl-Z gives the terminal back to the shell (cooked, main screen) and stops virt-cpu; `fg`
/// brings the whole view back. SIGTSTP from outside does the same.
#[test]
fn ctrl_z_suspends_and_fg_redraws() {
    if !common::require_program("tmux")
        || !common::require_program("bash")
        || !common::require_program("pgrep")
    {
        return;
    }
    let (dir, _path) = demo_copy();
    let t = start_shell("suspend", dir.path());
    t.type_text(&format!(
        "{} icelake-240.xml",
        shlex::try_quote(BIN).unwrap()
    ));
    t.keys(&["Enter"]);
    t.wait_for("unknown-model");
    let pid = t.app_pid();

    t.keys(&["C-z"]);
    t.wait_for("Stopped");
    t.assert_main_screen();
    t.type_text("clear; stty -a; echo STTY-END");
    t.keys(&["Enter"]);
    assert_cooked(&t.wait_for("STTY-END"));

    t.type_text("clear; fg");
    t.keys(&["Enter"]);
    let s = t.wait_for("unknown-model");
    assert!(s.contains("virt-cpu icelake-240.xml"), "not redrawn:\n{s}");
    assert!(s.contains("<qemu:cpu>"), "not redrawn:\n{s}");
    assert_eq!(t.pane_format("#{alternate_on}"), "1");

    // From outside, as `kill -TSTP` or a job-control shell sends it.
    assert!(
        Command::new("kill")
            .args(["-TSTP", &pid])
            .status()
            .unwrap()
            .success()
    );
    t.wait_for("Stopped");
    t.assert_main_screen();
    t.type_text("clear; fg");
    t.keys(&["Enter"]);
    t.wait_for("unknown-model");

    t.keys(&["q"]);
    // Typed only once the shell has the terminal again, not into the view that is ending.
    let start = Instant::now();
    while t.pane_format("#{alternate_on}") != "0" {
        assert!(start.elapsed() < DEADLINE, "q did not quit");
        std::thread::sleep(Duration::from_millis(50));
    }
    t.type_text("echo EXIT=$?");
    t.keys(&["Enter"]);
    t.wait_for("EXIT=0");
    t.assert_main_screen();
}

/// With a host that never answers, the view shows what it asks, a spinner and `q quits`, and
/// `q` quits at once, ending the waiting virsh; with `--timeout` the wait ends by itself with
/// the error on the normal screen.
#[test]
fn a_silent_host_shows_the_wait_and_q_quits() {
    if !common::require_program("tmux") || !common::require_program("virsh") {
        return;
    }
    let host = common::silent::SilentHost::start();
    let uri = host.uri();
    let t = Tmux::start("silent", host.dir.path(), &["-c", &uri], &[]);
    // The spinner turns, so the screen never stands still: wait for the text alone.
    let s = t.wait_showing("q quits");
    assert!(s.contains(&format!("asking libvirt at {uri}")), "{s}");
    assert!(s.contains("gives up after 30 s"), "{s}");
    t.keys(&["q"]);
    t.exits_cooked("0");
    t.assert_main_screen();
    assert_eq!(
        host.left_after(Duration::from_secs(3)),
        Vec::<String>::new()
    );

    let t = Tmux::start(
        "silent-timeout",
        host.dir.path(),
        &["--timeout", "1", "--domain", "guest", "-c", &uri],
        &[],
    );
    let s = t.wait_for("EXIT=2");
    assert!(s.contains("did not answer within 1 s"), "{s}");
    assert_cooked(&t.wait_for("STTY-END"));
    t.assert_main_screen();
    assert_eq!(
        host.left_after(Duration::from_secs(3)),
        Vec::<String>::new()
    );
}

/// A 60 MB value on one line (a `<qemu:option>` value, under the 64 MiB input limit) is drawn
/// only as far as the screen shows it: the first frame comes in seconds, not minutes, and a
/// key's effect shows within seconds. (The bounds are loose on purpose: `cargo bench --bench
/// tui -- huge` measures it.)
#[test]
fn a_huge_value_opens_fast_and_keys_stay_quick() {
    if !common::require_program("tmux") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let huge = DEMO.replace(
        "value='1234'",
        &format!("value='{}'", "a".repeat(60_000_000)),
    );
    std::fs::write(dir.path().join("huge.xml"), huge).unwrap();
    let start = Instant::now();
    let t = Tmux::start("huge", dir.path(), &["huge.xml"], &[]);
    let s = t.wait_for("strange-option");
    let first = start.elapsed();
    assert!(s.contains("aaaa"), "{s}");
    // A debug build reads and checks 60 MB in a few seconds (a release build in well under
    // one); laying the value out whole took minutes.
    assert!(
        first < Duration::from_secs(15),
        "first frame after {first:?}"
    );
    // Each key's effect (focus moves to the other pane, and back) within three seconds: a
    // release build takes under 3 ms (the bench); this debug build, seen through `tmux
    // capture-pane` on a machine compiling beside it, took over one second at times. Laying the
    // value out whole took minutes a key.
    for expect in ["focus <qemu:cpu>", "focus <cpu>", "focus <qemu:cpu>"] {
        let start = Instant::now();
        t.keys(&["Tab"]);
        while !t.screen().contains(expect) {
            assert!(
                start.elapsed() < Duration::from_secs(3),
                "Tab took more than three seconds:\n{}",
                t.screen()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    t.keys(&["q"]);
    t.exits_cooked("0");
}

/// The `<cpu>` pane's diagnostic markers stay on their features when the pane scrolls after
/// the first frame (readying the document for edits gives its elements new ids), and `t` then
/// `M` edit the topology and the mode in the real terminal.
#[test]
fn markers_stay_put_on_scroll_and_topology_and_mode_edit() {
    if !common::require_program("tmux") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let features: String = [
        "vmx", "pcid", "x2apic", "rdrand", "md-clear", "avx", "sse4.2", "bogus1", "ssbd", "aes",
        "bogus2", "xsave", "pcid", "smep", "bogus3", "erms", "invpcid", "fma", "bmi1", "bmi2",
        "bogus4",
    ]
    .iter()
    .map(|f| format!("    <feature policy='require' name='{f}'/>\n"))
    .collect();
    let xml = format!(
        "<domain type='kvm'>\n  <name>many</name>\n  <memory unit='KiB'>2097152</memory>\n  \
         <vcpu placement='static'>4</vcpu>\n  <os>\n    \
         <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n  \
         <cpu mode='custom' match='exact' check='none'>\n    \
         <model fallback='forbid'>Skylake-Client</model>\n    \
         <topology sockets='1' dies='1' cores='4' threads='1'/>\n{features}  </cpu>\n</domain>\n"
    );
    let path = dir.path().join("many.xml");
    std::fs::write(&path, &xml).unwrap();
    let t = Tmux::start("markers", dir.path(), &["many.xml"], &[]);
    t.wait_for("features (21)");
    t.keys(&["j"]);
    let s = t.wait_for("↑ 1 more");
    let line = |s: &str, name: &str| {
        s.lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("{name}:\n{s}"))
            .to_string()
    };
    assert!(line(&s, "pcid").contains("require  in model i"), "{s}");
    assert!(!line(&s, "md-clear").contains("added i"), "{s}");
    assert!(!line(&s, "vmx").contains("added i"), "{s}");
    // Topology: 2 sockets of 2 cores is 4 vCPUs, as <vcpu> says.
    t.keys(&["t"]);
    t.wait_for("topology and vCPUs");
    t.keys(&["BSpace"]);
    t.type_text("2");
    t.keys(&["Down", "Down", "BSpace"]);
    t.type_text("2");
    t.wait_for("4 vCPUs = <vcpu>: libvirt takes it");
    t.keys(&["Enter"]);
    t.wait_for("sockets 2 dies 1 cores 2 threads 1");
    // Mode: host-passthrough, which leaves the model ignored.
    t.keys(&["M"]);
    t.wait_for("host-passthrough");
    t.keys(&["Down", "Down", "Enter"]);
    t.wait_for("<model> Skylake-Client stays in the file but is ignored");
    t.keys(&["w"]);
    t.wait_for("save? y writes");
    t.keys(&["y"]);
    t.wait_for("Wrote ");
    t.keys(&["q"]);
    t.exits_cooked("0");
    let expected = xml
        .replace(
            "sockets='1' dies='1' cores='4'",
            "sockets='2' dies='1' cores='2'",
        )
        .replace("mode='custom'", "mode='host-passthrough'");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
}

/// Esc then Tab then `m`, sent in one write (read as Alt+Tab): Esc closes the picker, Tab
/// switches the pane, `m` opens the picker there with an empty filter.
#[test]
fn esc_then_keys_in_one_read_are_each_their_own_key() {
    if !common::require_program("tmux") {
        return;
    }
    let (dir, path) = demo_copy();
    let t = Tmux::start("escalt", dir.path(), &["icelake-240.xml"], &[]);
    t.wait_for("unknown-model");
    t.keys(&["m"]);
    t.wait_for("Haswell");
    t.keys(&["Escape", "Tab", "m"]);
    let s = t.wait_for("focus <qemu:cpu>");
    assert!(
        s.contains("<qemu:cpu> model — type to filter") && s.contains("› ▏  132/132"),
        "the QEMU picker, unfiltered:\n{s}"
    );
    assert!(!s.contains("no model matches"), "{s}");
    t.keys(&["Escape", "q"]);
    t.exits_cooked("0");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), DEMO);
}

/// A file not writable for us says so in the title from the start, not only when saving.
#[test]
fn a_read_only_file_says_so_in_the_title() {
    if !common::require_program("tmux") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let (dir, path) = demo_copy();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let t = Tmux::start("readonly", dir.path(), &["icelake-240.xml"], &[]);
    let s = t.wait_for("unknown-model");
    assert!(s.lines().next().unwrap().contains("[read-only]"), "{s}");
    t.keys(&["q"]);
    t.exits_cooked("0");
}

/// At 80×24: every key's hint shows in the bar (two rows), the help fits or scrolls, and more
/// diagnostics than the bar holds are listed by `c`, scrollable, with the TUI's keys as advice.
#[test]
fn at_80x24_every_hint_shows_and_c_lists_every_diagnostic() {
    if !common::require_program("tmux") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let xml = DEMO
        .replace("  <cpu>\n", "  <cpu mode='custom'>\n    <model>Haswell</model>\n")
        .replace(
            "    <qemu:option name='strange-option' value='1234'/>\n",
            "    <qemu:option name='strange-option' value='1234'/>\n    <qemu:option name='odd-option' value='1'/>\n    <qemu:option name='weird-option' value='2'/>\n",
        );
    std::fs::write(dir.path().join("many.xml"), &xml).unwrap();
    let t = Tmux::start("small80", dir.path(), &["many.xml"], &[]);
    t.wait_for("unknown-model");
    assert!(
        t.tmux(&["resize-window", "-x", "80", "-y", "24"])
            .status()
            .unwrap()
            .success()
    );
    let s = t.wait_for("c lists them all");
    for hint in [
        "w save",
        "q quit",
        "? help",
        "Tab pane",
        "u undo",
        "m model",
        "f features",
        "x move",
        "y copy",
        "d diff",
        "^R redo",
        "o reading",
        "c diags",
        "n nested",
    ] {
        assert!(s.contains(hint), "{hint}:\n{s}");
    }
    t.keys(&["Tab"]);
    assert!(t.wait_for("e option").contains("c diags"));
    t.keys(&["?"]);
    let s = t.wait_for("any other key closes");
    // With every key listed the help is taller than 80×24 leaves: it scrolls to its last row.
    if s.contains("more below") {
        t.keys(&["End"]);
        let s = t.wait_for("Ctrl-Z");
        assert!(!s.contains("more below"), "the end of the help:\n{s}");
    } else {
        assert!(s.contains("Ctrl-Z"), "the last row shows:\n{s}");
    }
    t.keys(&["Escape"]);
    t.wait_for("c lists them all");
    t.keys(&["c"]);
    let s = t.wait_for("more below");
    assert!(s.contains("diagnostics ("), "{s}");
    let mut seen = s;
    for _ in 0..12 {
        t.keys(&["j"]);
        seen.push_str(&t.wait_for("diagnostics ("));
    }
    let words = seen.split_whitespace().collect::<Vec<_>>().join(" ");
    for code in [
        "unknown-model",
        "unknown-option",
        "model-twice",
        "libvirt-drops-qemu-cpu",
    ] {
        assert!(words.contains(code), "{code}:\n{seen}");
    }
    assert!(words.contains("`x` moves them"), "{seen}");
    assert!(!words.contains("--move-to"), "{seen}");
    t.keys(&["Escape", "Q"]);
    t.exits_cooked("1");
}

/// A versioned QEMU name typed in the `<cpu>` picker (libvirt 9.0): the list says what it is
/// and what `<cpu>` takes instead, not "no model matches".
#[test]
fn cpu_picker_says_a_versioned_name_is_qemus() {
    if !common::require_program("tmux") {
        return;
    }
    let (dir, path) = demo_copy();
    let t = Tmux::start("versioned", dir.path(), &["icelake-240.xml"], &[]);
    t.wait_for("unknown-model");
    t.keys(&["m"]);
    t.wait_for("Haswell");
    t.type_text("Skylake-Client-v4");
    let s = t.wait_for("is a QEMU");
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(!joined.contains("no model matches"), "{s}");
    assert!(joined.contains("`Skylake-Client`"), "{s}");
    t.keys(&["Escape", "q"]);
    t.exits_cooked("0");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), DEMO);
}

/// host-model without `-c`: the view asks the local libvirt (qemu:///system) behind the
/// loading screen and follows its answer; with no libvirt answering, it says how to give the
/// host. (`virsh` here is a script in front of PATH.)
#[test]
fn host_model_without_c_asks_the_local_libvirt() {
    if !common::require_program("tmux") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples/host-model.xml"),
        dir.path().join("host-model.xml"),
    )
    .unwrap();
    let caps = common::shared_dir().join("reference/domcapabilities/qemu_8.0.0-q35.x86_64.xml");
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let fake = |answer: &str| {
        let script = format!(
            "#!/bin/sh\necho \"$@\" >> {log}\ncase \"$*\" in\n  *domcapabilities*) {answer} ;;\n  *) echo 'error: failed to connect to the hypervisor' >&2; exit 1 ;;\nesac\n",
            log = shlex::try_quote(dir.path().join("calls").to_str().unwrap()).unwrap(),
        );
        let path = bin.join("virsh");
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    fake(&format!(
        "cat {}",
        shlex::try_quote(caps.to_str().unwrap()).unwrap()
    ));
    let t = Tmux::start(
        "localhost",
        dir.path(),
        &["host-model.xml"],
        &[("PATH", &path)],
    );
    let s = t.wait_for("local libvirt's (qemu:///system)");
    assert!(s.contains("-cpu "), "{s}");
    assert!(!s.contains("libvirt refuses"), "{s}");
    assert!(!s.contains("depends on the host"), "{s}");
    let calls = std::fs::read_to_string(dir.path().join("calls")).unwrap();
    assert!(
        calls.starts_with("-c qemu:///system domcapabilities"),
        "{calls}"
    );
    t.keys(&["q"]);
    t.exits_cooked("0");

    fake("echo 'error: failed to connect to the hypervisor' >&2; exit 1");
    let t = Tmux::start(
        "nolocalhost",
        dir.path(),
        &["host-model.xml"],
        &[("PATH", &path)],
    );
    let s = t.wait_for("-c URI or --host-caps FILE");
    assert!(!s.contains("libvirt refuses"), "{s}");
    t.keys(&["q"]);
    t.exits_cooked("0");
}

/// `virt-cpu -c URI` without a domain lists the host's domains: typing filters, `Enter` opens
/// one as `--domain` does, `Esc` there comes back to the list, `Esc` clears the filter and quits.
#[test]
fn the_domain_list_filters_opens_and_comes_back() {
    if !common::require_program("tmux") || !common::require_libvirt_daemon() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pid = std::process::id();
    let a = TestDomain::define(&format!("virt-cpu-tui-list-a-{pid}"));
    let b = TestDomain::define(&format!("virt-cpu-tui-list-b-{pid}"));
    let t = Tmux::start("list", dir.path(), &["-c", common::LIBVIRT_URI], &[]);
    t.wait_for("Domains at");
    // Other tests' domains may fill the screen: narrow to ours first.
    t.type_text("tui-list-");
    let s = t.wait_for(&a.name);
    assert!(s.contains(&b.name), "both test domains are listed:\n{s}");
    assert!(s.contains("Haswell-noTSX"), "the model column:\n{s}");
    t.keys(&["C-u"]);
    t.type_text(&format!("list-b-{pid}"));
    let s = t.wait_for(&format!("filter: list-b-{pid}"));
    assert!(!s.contains(&a.name), "the filter hides the other:\n{s}");
    t.keys(&["Enter"]);
    // The whole title does not fit 100 columns: the hint gives way, the name stays whole.
    let s = t.wait_for(&format!(
        "virt-cpu domain {} ({})",
        b.name,
        common::LIBVIRT_URI
    ));
    assert!(s.contains("Haswell-noTSX"), "the domain is open:\n{s}");
    t.keys(&["Escape"]);
    let s = t.wait_for("Domains at");
    assert!(
        s.contains(&b.name) && !s.contains(&a.name),
        "the filter stays:\n{s}"
    );
    t.keys(&["Escape"]);
    t.wait_for("filter: ▏");
    t.keys(&["Escape"]);
    t.exits_cooked("0");
    drop((a, b));
}

/// A domain defined at a libvirt URI for the length of a test, undefined on drop.
struct DefinedAt {
    uri: String,
    name: String,
}

impl DefinedAt {
    /// A TCG domain named `name` at `uri` with `<cpu>` of `model`.
    fn define(uri: &str, name: &str, model: &str) -> DefinedAt {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("dom.xml");
        std::fs::write(
            &file,
            format!(
                "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory>\
                 <os><type arch='x86_64' machine='q35'>hvm</type></os>\
                 <cpu mode='custom' match='exact' check='none'><model fallback='forbid'>{model}</model></cpu>\
                 </domain>\n"
            ),
        )
        .unwrap();
        let out = Command::new("virsh")
            .args(["-c", uri, "define", "--file", file.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "virsh -c {uri} define: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        DefinedAt {
            uri: uri.into(),
            name: name.into(),
        }
    }
}

impl Drop for DefinedAt {
    fn drop(&mut self) {
        let _ = Command::new("virsh")
            .args(["-c", &self.uri, "undefine", "--domain", &self.name])
            .output();
    }
}

/// `virt-cpu -c A -c B -c SILENT`: one list of both daemons' domains with a host column, the
/// host that never answers a line saying so (after `--timeout`) while the others list; `Enter`
/// opens a domain on its own host, following that daemon's versions; `Esc` comes back with
/// the filter kept and the silent host still said; `Esc` twice quits.
#[test]
fn the_domain_list_of_several_hosts_says_the_silent_one_and_opens_each_on_its_host() {
    if !common::require_program("tmux")
        || !common::require_libvirt_daemon()
        || !common::require_libvirt11_daemon()
    {
        return;
    }
    let v11 = common::libvirt11_uri();
    let host = common::silent::SilentHost::start();
    let silent = host.uri();
    let p = format!("vcpu-tui-hosts-{}-", std::process::id());
    let defined = [
        DefinedAt::define(common::LIBVIRT_URI, &format!("{p}neh"), "Nehalem"),
        DefinedAt::define(&v11, &format!("{p}neh"), "Nehalem"),
        DefinedAt::define(&v11, &format!("{p}gr"), "GraniteRapids"),
    ];
    let t = Tmux::start(
        "hosts",
        host.dir.path(),
        &[
            "--timeout",
            "2",
            "-c",
            common::LIBVIRT_URI,
            "-c",
            &v11,
            "-c",
            &silent,
        ],
        &[],
    );
    t.wait_for("Domains at 3 hosts");
    // Other tests' domains may fill the screen: narrow to ours first.
    t.type_text(&p);
    let s = t.wait_for(&format!("{p}gr"));
    assert!(
        s.contains("#1 qemu:///system  #2 qemu+unix:///system?socket="),
        "{s}"
    );
    assert!(s.contains("NAME") && s.contains("HOST"), "{s}");
    assert!(
        s.contains("libvirt at #3 (qemu+unix:///system?socket=") && s.contains("gave no answer"),
        "the silent host is said:\n{s}"
    );
    let row = |s: &str, name: &str, label: &str| {
        s.lines().any(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words.len() > 2 && words[0] == format!("{p}{name}") && words[1] == label
        })
    };
    assert!(
        row(&s, "neh", "#1") && row(&s, "neh", "#2") && row(&s, "gr", "#2"),
        "{s}"
    );
    assert!(!row(&s, "gr", "#1"), "{s}");
    // GraniteRapids opens on the 11.3 daemon, which knows it.
    t.type_text("gr");
    t.wait_for(&format!("filter: {p}gr"));
    t.keys(&["Enter"]);
    // The title keeps the domain's name whole on the long socket URI, cut in its middle.
    let s = t.wait_for(&format!("virt-cpu domain {p}gr (qemu+unix:"));
    let title = s.lines().next().unwrap_or_default();
    assert!(
        title.contains("…") && title.contains("-sock)"),
        "the URI cut in its middle:\n{s}"
    );
    assert!(
        s.contains("libvirt 11.3 + QEMU 10.0"),
        "its host's versions:\n{s}"
    );
    assert!(s.contains("GraniteRapids"), "the domain is open:\n{s}");
    t.keys(&["Escape"]);
    let s = t.wait_for("Domains at 3 hosts");
    assert!(
        s.contains(&format!("filter: {p}gr")) && s.contains("gave no answer"),
        "the filter stays, the silent host is still said:\n{s}"
    );
    assert!(row(&s, "gr", "#2") && !row(&s, "neh", "#1"), "{s}");
    t.keys(&["Escape"]);
    t.wait_for("filter: ▏");
    t.keys(&["Escape"]);
    t.exits_cooked("0");
    assert_eq!(
        host.left_after(Duration::from_secs(3)),
        Vec::<String>::new()
    );
    drop(defined);
}

/// `n` toggles nested virtualisation in the focused pane's CPU: vmx for an Intel model, the
/// -cpu line follows, the status names the host's verdict (a host without vmx: libvirt would
/// refuse to start it), `u` undoes it in one step, and `w` writes the require.
#[test]
fn n_toggles_nested_with_the_hosts_verdict() {
    if !common::require_program("tmux") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let xml = "<domain type='kvm'>\n  <name>n</name>\n  <cpu mode='custom' match='exact'>\n    <model fallback='forbid'>Skylake-Client</model>\n  </cpu>\n</domain>\n";
    let path = dir.path().join("sky.xml");
    std::fs::write(&path, xml).unwrap();
    // An Intel host whose host-model CPU lists vmx, and the same without it.
    let caps = std::fs::read_to_string(
        common::shared_dir().join("reference/domcapabilities/qemu_5.0.0-q35.x86_64.xml"),
    )
    .unwrap();
    assert!(caps.contains("<feature policy='require' name='vmx'/>"));
    std::fs::write(dir.path().join("vmx.xml"), &caps).unwrap();
    std::fs::write(
        dir.path().join("novmx.xml"),
        caps.replace("<feature policy='require' name='vmx'/>", ""),
    )
    .unwrap();
    let t = Tmux::start(
        "nested-lacks",
        dir.path(),
        &["sky.xml", "--host-caps", "novmx.xml"],
        &[],
    );
    t.wait_for("-cpu Skylake-Client");
    t.keys(&["n"]);
    let s = t.wait_for("nested on (vmx); but the host lacks it");
    assert!(s.contains("nested-host-lacks"), "{s}");
    assert!(
        s.contains("Host CPU does not provide required features: vmx"),
        "{s}"
    );
    t.keys(&["u"]);
    let s = t.wait_for("Undone");
    assert!(
        s.contains("-cpu Skylake-Client\n") || s.contains("-cpu Skylake-Client "),
        "{s}"
    );
    assert!(!s.contains("nested-host-lacks"), "{s}");
    t.keys(&["q"]);
    t.exits_cooked("0");
    let t = Tmux::start(
        "nested-allows",
        dir.path(),
        &["sky.xml", "--host-caps", "vmx.xml"],
        &[],
    );
    t.wait_for("-cpu Skylake-Client");
    // The <qemu:cpu> pane has no QEMU CPU to set it in: it says where it goes.
    t.keys(&["Tab", "n"]);
    t.wait_for("Nested: the domain has no <qemu:cpu>");
    t.keys(&["Tab", "n"]);
    let s = t.wait_for("nested on (vmx); host allows it");
    assert!(s.contains("-cpu Skylake-Client,vmx=on"), "{s}");
    t.keys(&["w"]);
    t.wait_for("save? y writes");
    t.keys(&["y"]);
    t.wait_for("Wrote ");
    t.keys(&["q"]);
    t.exits_cooked("0");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        xml.replace(
            "</model>\n",
            "</model>\n    <feature policy='require' name='vmx'/>\n"
        )
    );
}

/// `p` with the real daemon as the host (`-c`): one bit more than its host CPU has is refused
/// in the window with libvirt's words, the host's width is written, and the daemon's
/// `define --validate` takes the file.
#[test]
fn physaddr_dialog_against_the_daemons_host() {
    if !common::require_program("tmux") || !common::require_libvirt_daemon() {
        return;
    }
    let caps = String::from_utf8(virsh(&["capabilities"]).stdout).unwrap();
    let marker = "<maxphysaddr mode='emulate' bits='";
    let at = caps.find(marker).expect("the host CPU's width") + marker.len();
    let bits: u32 = caps[at..at + caps[at..].find('\'').unwrap()]
        .parse()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.xml");
    let dom = "<domain type='kvm'>\n  <name>virtcpu-test-tmux-physaddr</name>\n  <memory unit='KiB'>65536</memory>\n  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n  </os>\n  <cpu mode='custom' match='exact' check='none'>\n    <model fallback='forbid'>qemu64</model>\n  </cpu>\n</domain>\n";
    std::fs::write(&path, dom).unwrap();
    let t = Tmux::start(
        "physaddr",
        dir.path(),
        &["p.xml", "-c", common::LIBVIRT_URI],
        &[],
    );
    t.wait_for("-cpu qemu64");
    t.keys(&["p"]);
    t.wait_for(&format!("host: {bits} physical address bits"));
    t.keys(&["Down", "Down"]);
    t.type_text(&(bits + 1).to_string());
    t.wait_for("phys-bits-above-host");
    t.keys(&["Enter"]);
    t.wait_for("phys-bits-above-host");
    t.keys(&["C-u"]);
    t.type_text(&bits.to_string());
    t.wait_for(&format!("phys-bits={bits}"));
    t.keys(&["Enter"]);
    t.wait_for(&format!("-cpu qemu64,phys-bits={bits}"));
    t.keys(&["w"]);
    t.wait_for("save? y writes");
    t.keys(&["y"]);
    t.wait_for("Wrote ");
    t.keys(&["q"]);
    t.exits_cooked("0");
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        written,
        dom.replace(
            "qemu64</model>\n",
            &format!("qemu64</model>\n    <maxphysaddr mode='emulate' bits='{bits}'/>\n")
        )
    );
    let define = virsh(&["define", "--validate", path.to_str().unwrap()]);
    let _ = virsh(&["undefine", "virtcpu-test-tmux-physaddr"]);
    assert!(
        define.status.success(),
        "{}",
        String::from_utf8_lossy(&define.stderr)
    );
}

/// A KVM guest whose `<qemu:cpu>` asks, with enforce=on, for what TCG cannot emulate.
const ENFORCED: &str = "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>enforced</name>
  <memory unit='KiB'>65536</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <qemu:cpu>
    <qemu:model name='Skylake-Client-v4'/>
    <qemu:option name='enforce' value='on'/>
  </qemu:cpu>
</domain>
";

/// QEMU (TCG) given this `-cpu`: whether it started the machine, and its stderr.
fn qemu_tcg(cpu: &str) -> (bool, String) {
    use std::io::Write;
    let mut qemu = common::qemu_probe(cpu, &[])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _ = qemu.stdin.take().unwrap().write_all(common::QMP_QUIT);
    let run = qemu.wait_with_output().unwrap();
    (
        run.status.success(),
        String::from_utf8_lossy(&run.stderr).into_owned(),
    )
}

/// The `-cpu` virt-cpu generates for a file (libvirt 9.0, as the TUI follows here).
fn argv_of(path: &Path) -> String {
    let out = Command::new(BIN)
        .args(["argv", path.to_str().unwrap()])
        .env("VIRT_CPU_LIBVIRT", "9.0")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// "Why will it not start" in the diagnostics window: QEMU's own refusal of the domain's `-cpu`
/// (TCG, enforce=on) pasted into it (a bracketed paste, as a terminal delivers one) is read by
/// explain for this domain; Enter applies the first fix (turn the features off), `w` `y` save,
/// and QEMU then starts the `-cpu` of the saved domain.
#[test]
fn a_pasted_qemu_refusal_is_explained_and_its_fix_makes_qemu_start() {
    if !common::require_program("tmux") || !common::require_program("qemu-system-x86_64") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("enforced.xml");
    std::fs::write(&path, ENFORCED).unwrap();
    let cpu = argv_of(&path);
    assert!(cpu.starts_with("Skylake-Client-v4,enforce=on"), "{cpu}");
    let (started, refusal) = qemu_tcg(&cpu);
    assert!(!started, "QEMU was expected to refuse {cpu} under TCG");
    assert!(
        refusal.contains("TCG doesn't support requested feature"),
        "{refusal}"
    );

    let t = Tmux::start("paste", dir.path(), &["enforced.xml"], &[]);
    t.wait_for(&format!("-cpu {cpu}"));
    t.keys(&["c"]);
    t.wait_for("p paste an error");
    t.paste(&refusal);
    t.wait_for("error (Enter explains, Esc):");
    t.keys(&["Enter"]);
    let read = t.wait_for("○ turn them off in <qemu:cpu>:");
    assert!(read.contains("the pasted error:"), "{read}");
    assert!(read.contains("QEMU's TCG cannot emulate"), "{read}");
    // Nothing chosen after the reading: Tab chooses its first way out, Enter applies it.
    t.keys(&["Tab"]);
    t.wait_for("▸ turn them off in <qemu:cpu>:");
    t.keys(&["Enter"]);
    t.wait_for("Applied: turn them off in <qemu:cpu>:");
    t.keys(&["Escape", "w"]);
    t.wait_for("save? y writes");
    t.keys(&["y"]);
    t.wait_for("Wrote ");
    t.keys(&["q"]);
    t.exits_cooked("0");

    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(saved.contains("value='off'/>"), "{saved}");
    let fixed = argv_of(&path);
    let (started, stderr) = qemu_tcg(&fixed);
    assert!(started, "QEMU still refuses {fixed}: {stderr}");
}

/// The terminal marks pastes now (bracketed paste): a paste into the picker's filter still types
/// it, as it did when a paste was plain keys; on the way out the marking is switched off.
#[test]
fn a_paste_into_the_picker_filters_it() {
    if !common::require_program("tmux") {
        return;
    }
    let (dir, _path) = demo_copy();
    let t = Tmux::start("pastepick", dir.path(), &["icelake-240.xml"], &[]);
    t.wait_for("unknown-model");
    t.keys(&["Tab", "m"]);
    t.wait_for("type to filter");
    t.paste("Skylake-Client-v4");
    t.wait_for("Skylake-Client-v4");
    t.keys(&["Enter"]);
    t.wait_for("-cpu Skylake-Client-v4,enforce=on");
    t.keys(&["Q"]);
    t.exits_cooked("1");
    // Marked pastes are switched off on the way out: a paste into the shell's terminal now
    // arrives bare (tmux brackets it only for a program that asked).
    t.paste("PASTED-AFTER");
    let s = t.wait_for("PASTED-AFTER");
    assert!(!s.contains("[200~"), "bracketed paste left on:\n{s}");
}

/// The Hyper-V panel on a domain opened with `-c` at the libvirt 11.3 daemon: host support is
/// that daemon's domcapabilities `<hyperv>` list, the Windows preset takes only what it lists
/// (the domain's own vendor_id, listed, stays; its relaxed, not listed, goes and the status
/// says so), and the `-cpu` line is 11.3's.
#[test]
fn the_hyperv_panel_reads_the_11_3_daemons_list() {
    if !common::require_program("tmux") || !common::require_libvirt11_daemon() {
        return;
    }
    let uri = common::libvirt11_uri();
    let caps = Command::new("virsh")
        .args(["-c", &uri, "domcapabilities"])
        .output()
        .unwrap();
    let caps = String::from_utf8_lossy(&caps.stdout).into_owned();
    let hyperv = &caps[caps.find("<hyperv").expect("a <hyperv> list")..];
    let hyperv = &hyperv[..hyperv.find("</hyperv>").unwrap()];
    let listed: Vec<&str> = hyperv
        .split("<value>")
        .skip(1)
        .map(|v| v.split("</value>").next().unwrap())
        .collect();
    assert!(!listed.is_empty(), "{hyperv}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("win.xml"),
        "<domain type='kvm'>\n  <name>win</name>\n  <memory unit='KiB'>65536</memory>\n  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n  <features>\n    <acpi/>\n    <apic/>\n    <hyperv mode='custom'>\n      <relaxed state='on'/>\n      <vendor_id state='on' value='KVM Hv'/>\n    </hyperv>\n  </features>\n  <clock offset='localtime'>\n    <timer name='hypervclock' present='yes'/>\n  </clock>\n</domain>\n",
    )
    .unwrap();
    let t = Tmux::start("hv11", dir.path(), &["-c", &uri, "win.xml"], &[]);
    t.wait_for("libvirt 11.3 + QEMU 10.0");
    t.keys(&["h"]);
    let panel = t.wait_for(&format!("the host lists {} of them", listed.len()));
    for name in &listed {
        let state = if *name == "vendor_id" { "on " } else { "off" };
        assert!(
            panel.contains(&format!("{name:<18}{state}  host ✓")),
            "{name}:\n{panel}"
        );
    }
    assert!(panel.contains("vpindex           off  host ✗"), "{panel}");
    assert!(!listed.contains(&"relaxed"), "{listed:?}");
    assert!(panel.contains("relaxed           on   host ✗"), "{panel}");
    // libvirt 11's nested switches are rows too.
    assert!(panel.contains("tlbflush.extended off"), "{panel}");
    t.keys(&["W"]);
    // Of the preset, this host lists spinlocks alone (vendor_id is not in the preset, and
    // stays as the domain's own).
    assert!(listed.contains(&"spinlocks"), "{listed:?}");
    let s = t.wait_for("spinlocks         on   host ✓");
    assert!(s.contains("vendor_id         on   host ✓"), "{s}");
    assert!(s.contains("relaxed           off  host ✗"), "{s}");
    t.keys(&["Escape"]);
    let s = t.wait_for("-cpu qemu64,hv-time=on,hv-spinlocks=0x1fff");
    assert!(!s.contains("hv-vpindex"), "{s}");
    // The status (wrapped) says what went, came and stayed.
    let said = s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        said.contains(
            "Windows preset: removes relaxed (not in the host's list); adds spinlocks; keeps the domain's vendor_id KVM Hv (on)"
        ),
        "{s}"
    );
    t.keys(&["Q"]);
    t.wait_for("EXIT=");
}

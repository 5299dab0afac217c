//! Key-sequence tests on the pure update (helix-style: type a key string, look at the state and
//! the document's bytes) and insta snapshots of the views on ratatui's TestBackend.

use super::app::{AppState, Level, Pane};
use super::dialogs::Overlay;
use super::dialogs::diff::Diff;
use super::dialogs::overwrite::ConfirmOverwrite;
use super::dialogs::prompt::Prompt;
use super::dialogs::qemu_cpu::QemuCpuDropped;
use super::dialogs::save_failed::SaveFailed;
use super::{DEMO, Options, load, type_keys};
use crate::argv::Reading;
use crate::catalog::Catalog;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};

fn demo() -> AppState {
    load(&Options::default(), Catalog::embedded()).unwrap()
}

fn open(path: &Path) -> AppState {
    load(
        &Options {
            file: Some(path.to_path_buf()),
            ..Options::default()
        },
        Catalog::embedded(),
    )
    .unwrap()
}

fn keys(m: &mut AppState, k: &str) -> Vec<String> {
    let mut copied = Vec::new();
    type_keys(m, k, &mut copied);
    copied
}

/// A copy of an example domain in a fresh directory.
fn example(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/examples")
            .join(name),
        &path,
    )
    .unwrap();
    (dir, path)
}

fn render(m: &AppState, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| super::view::draw(f, m, &super::theme::Theme::MONO))
        .unwrap();
    term
}

/// The `-cpu` value the state shows (a marker when there is none, so assertions on it fail).
fn cpu_value(m: &AppState) -> &str {
    m.report.arg.value.as_deref().unwrap_or("(no -cpu value)")
}

pub(crate) fn screen(m: &AppState, w: u16, h: u16) -> String {
    render(m, w, h).backend().to_string()
}

#[test]
fn fix_key_applies_the_did_you_mean_and_undo_restores_the_bytes() {
    let mut m = demo();
    assert_eq!(m.focus, Pane::Cpu, "focus starts on <cpu>");
    assert_eq!(m.fix_key(0), Some(1));
    assert!(cpu_value(&m).starts_with("Icelake-Server-V4,"));
    keys(&mut m, "1");
    assert!(
        m.source()
            .contains("<qemu:model name='Icelake-Server-v4'/>")
    );
    assert!(cpu_value(&m).starts_with("Icelake-Server-v4,enforce=on,"));
    assert!(
        m.report
            .diagnostics
            .iter()
            .all(|d| d.code != "unknown-model")
    );
    assert!(m.modified);
    keys(&mut m, "u");
    assert_eq!(m.source(), DEMO);
    assert!(!m.modified);
    keys(&mut m, "<C-r>");
    assert!(m.source().contains("Icelake-Server-v4"));
    // Only the model's bytes changed.
    assert_eq!(m.source().len(), DEMO.len());
}

#[test]
fn tab_switches_panes_and_o_switches_the_reading() {
    let mut m = demo();
    keys(&mut m, "<tab>");
    assert_eq!(m.focus, Pane::Qemu);
    keys(&mut m, "<tab>");
    assert_eq!(m.focus, Pane::Cpu);
    assert!(cpu_value(&m).contains("hv-relaxed=on"));
    keys(&mut m, "o");
    assert_eq!(m.reading, Reading::Override);
    assert_eq!(
        m.report.arg.value.as_deref(),
        Some("Icelake-Server-V4,enforce=on,smap=on,avx=on,tsc-adjust=off,strange-option=1234")
    );
    assert_eq!(m.source(), DEMO, "the reading is a view, not an edit");
}

#[test]
fn quit_without_changes_exits_zero_and_asks_with_changes() {
    let mut m = demo();
    keys(&mut m, "q");
    assert_eq!(m.exit, Some(0));

    let mut m = demo();
    keys(&mut m, "1q");
    assert!(matches!(m.overlay, Some(Overlay::ConfirmQuit)));
    assert_eq!(m.exit, None);
    keys(&mut m, "<esc>");
    assert!(m.overlay.is_none() && m.exit.is_none());
    // A second `q` (or `n`) is no yes: it keeps editing.
    for k in ["qq", "qn"] {
        keys(&mut m, k);
        assert!(m.overlay.is_none() && m.exit.is_none(), "{k}");
        assert!(m.modified, "{k}");
    }
    // `y` writes in the save question; here it is no answer, so a reflexive `q y` loses
    // nothing: the question stays and says which key discards.
    keys(&mut m, "qy");
    assert!(matches!(m.overlay, Some(Overlay::ConfirmQuit)));
    assert_eq!(m.exit, None);
    let text = screen(&m, 100, 30);
    assert!(text.contains("D quit without saving"), "{text}");
    assert!(text.contains("y does not discard here"), "{text}");
    keys(&mut m, "D");
    assert_eq!(m.exit, Some(0));

    let mut m = demo();
    keys(&mut m, "1Q");
    assert_eq!(m.exit, Some(super::app::EXIT_ABORT));
}

#[test]
fn save_shows_the_diff_then_writes_atomically() {
    let (_dir, path) = example("icelake-240.xml");
    let mut m = open(&path);
    keys(&mut m, "w");
    assert!(m.overlay.is_none(), "nothing to save");
    assert_eq!(
        m.status.as_ref().unwrap().text,
        "No changes; nothing to write"
    );
    keys(&mut m, "1w");
    let Some(Overlay::Diff(Diff {
        text, save: true, ..
    })) = &m.overlay
    else {
        panic!("save shows the diff first")
    };
    assert!(text.contains("-    <qemu:model name='Icelake-Server-V4'/>"));
    assert!(text.contains("+    <qemu:model name='Icelake-Server-v4'/>"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        DEMO,
        "nothing written before y"
    );
    keys(&mut m, "y");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), m.source());
    assert!(!m.modified);
    assert!(m.status.as_ref().unwrap().text.starts_with("Wrote "));
    keys(&mut m, "q");
    assert_eq!(m.exit, Some(0));
}

#[test]
fn save_refuses_a_file_changed_on_disk_and_offers_reload() {
    let (_dir, path) = example("icelake-240.xml");
    let mut m = open(&path);
    let theirs = DEMO.replace("<name>icelake-240</name>", "<name>renamed</name>");
    std::fs::write(&path, &theirs).unwrap();
    keys(&mut m, "1wy");
    assert!(matches!(
        m.overlay,
        Some(Overlay::SaveFailed(SaveFailed { reload: true, .. }))
    ));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        theirs,
        "their change is kept"
    );
    keys(&mut m, "r");
    assert_eq!(m.source(), theirs);
    assert!(!m.modified);
}

/// The file's stamp goes with the bytes on disk: recorded at load and at a reload, replaced by
/// each save's.
#[test]
fn the_disk_stamp_follows_load_save_and_reload() {
    use crate::store::save::FileStamp;
    let stamp = |p: &Path| Some(FileStamp::of(&std::fs::metadata(p).unwrap()));
    let (_dir, path) = example("icelake-240.xml");
    let mut m = open(&path);
    assert_eq!(m.disk_stamp, stamp(&path));
    keys(&mut m, "1wy");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), m.source());
    assert_eq!(m.disk_stamp, stamp(&path));
    // A second save on the stamp of the first.
    keys(&mut m, "u");
    assert!(m.modified);
    keys(&mut m, "wy");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), DEMO);
    assert_eq!(m.disk_stamp, stamp(&path));
    // Changed behind our back, refused, reloaded with the new stamp.
    std::fs::write(&path, DEMO.replace("icelake-240", "renamed")).unwrap();
    keys(&mut m, "1wyr");
    assert!(m.source().contains("renamed"));
    assert_eq!(m.disk_stamp, stamp(&path));
    keys(&mut m, "1wy");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), m.source());
    assert_eq!(m.disk_stamp, stamp(&path));
}

#[test]
fn save_elsewhere_after_a_refusal() {
    let (dir, path) = example("icelake-240.xml");
    let mut m = open(&path);
    std::fs::write(&path, "<domain type='kvm'><name>x</name></domain>").unwrap();
    keys(&mut m, "1wys");
    let Some(Overlay::Prompt(Prompt { input, .. })) = &m.overlay else {
        panic!("asks where")
    };
    assert_eq!(input.text, format!("{}.new", path.display()));
    assert!(input.selected, "the suggestion is a selected default");
    keys(&mut m, "<ret>");
    let new = dir.path().join("icelake-240.xml.new");
    assert_eq!(std::fs::read_to_string(new).unwrap(), m.source());
}

#[test]
fn read_only_target_keeps_the_edits() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, path) = example("icelake-240.xml");
    let mut m = open(&path);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    keys(&mut m, "1wy");
    let Some(Overlay::SaveFailed(SaveFailed {
        message,
        reload: false,
        ..
    })) = &m.overlay
    else {
        panic!("refused: {:?}", m.overlay)
    };
    assert!(message.contains("read-only"), "{message}");
    keys(&mut m, "<esc>");
    assert!(m.modified);
    assert!(m.source().contains("Icelake-Server-v4"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), DEMO);
}

#[test]
fn demo_save_asks_for_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = demo();
    keys(&mut m, "1wy");
    let Some(Overlay::Prompt(Prompt { input, .. })) = &m.overlay else {
        panic!("asks where")
    };
    assert_eq!(input.text, "icelake-240.xml");
    let target = dir.path().join("out.xml");
    // Typing replaces the selected suggestion.
    keys(&mut m, &format!("{}<ret>", target.display()));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), m.source());
    assert!(!m.modified);
}

#[test]
fn copy_gives_the_shell_quoted_argv() {
    let mut m = demo();
    let copied = keys(&mut m, "1y");
    assert_eq!(copied.len(), 1);
    assert!(
        copied[0].starts_with("-cpu Icelake-Server-v4,enforce=on,"),
        "{}",
        copied[0]
    );
}

#[test]
fn picker_filters_best_first_enter_applies_esc_cancels() {
    let mut m = demo();
    keys(&mut m, "<tab>mskylake-client-v4");
    let Some(Overlay::Picker(p)) = &m.overlay else {
        panic!("picker open")
    };
    assert_eq!(p.selected_item().unwrap().name, "Skylake-Client-v4");
    keys(&mut m, "<esc>");
    assert_eq!(m.source(), DEMO);
    keys(&mut m, "mskylake-client-v4<ret>");
    assert!(
        m.source()
            .contains("<qemu:model name='Skylake-Client-v4'/>")
    );
    // The picker starts on the current model.
    keys(&mut m, "m");
    let Some(Overlay::Picker(p)) = &m.overlay else {
        panic!("picker open")
    };
    assert_eq!(p.selected_item().unwrap().name, "Skylake-Client-v4");
}

#[test]
fn picker_for_cpu_offers_libvirt_models() {
    let (_dir, path) = example("custom-features.xml");
    let mut m = open(&path);
    keys(&mut m, "mskylake-client<ret>");
    assert!(
        m.source()
            .contains("<model fallback='allow'>Skylake-Client</model>"),
        "{}",
        m.source()
    );
    assert!(cpu_value(&m).starts_with("Skylake-Client,"));
}

#[test]
fn feature_list_toggles_cpu_policies_and_qemu_options() {
    let (_dir, path) = example("custom-features.xml");
    let mut m = open(&path);
    let before = m.source().to_string();
    // pcid is required: Space flips it to disable.
    keys(&mut m, "f/pcid<ret>");
    let Some(Overlay::Features(l)) = &m.overlay else {
        panic!("feature list open")
    };
    assert_eq!(l.selected_name(), Some("pcid"));
    keys(&mut m, "<space>");
    assert!(
        m.source()
            .contains("<feature policy='disable' name='pcid'/>")
    );
    keys(&mut m, "p");
    assert!(
        m.source()
            .contains("<feature policy='forbid' name='pcid'/>")
    );
    keys(&mut m, "<del>");
    assert!(!m.source().contains("name='pcid'"));
    keys(&mut m, "uuu");
    assert_eq!(m.source(), before);
    keys(&mut m, "<esc>");
    assert!(m.overlay.is_none());

    // In <qemu:cpu>: avx512f is in Icelake-Server-v4, so Space writes avx512f=off.
    let mut m = demo();
    keys(&mut m, "1<tab>f/avx512f<ret><space>");
    assert!(
        m.source()
            .contains("<qemu:option name='avx512f' value='off'/>"),
        "{}",
        m.source()
    );
    assert!(cpu_value(&m).contains(",avx512f=off"));
    keys(&mut m, "<space>");
    assert!(
        m.source()
            .contains("<qemu:option name='avx512f' value='on'/>")
    );
}

#[test]
fn move_to_the_other_form() {
    let (_dir, path) = example("custom-features.xml");
    let mut m = open(&path);
    keys(&mut m, "x");
    // custom-features.xml has <vendor>, match, check and a forbid policy: the move says so.
    let status = m.status.as_ref().expect("a status after the move");
    assert_eq!(status.level, Level::Warning, "{status:?}");
    for left_out in [
        "<vendor>Intel</vendor>",
        "match='exact'",
        "check='none'",
        "rdrand",
    ] {
        assert!(
            status.text.contains(left_out),
            "{left_out}: {}",
            status.text
        );
    }
    assert!(
        m.source().contains("<qemu:model name='Haswell-noTSX'/>"),
        "{}",
        m.source()
    );
    assert_eq!(m.focus, Pane::Qemu);
    keys(&mut m, "x");
    assert!(m.state.dom.qemu_cpu.is_none());
}

/// A `-cpu` passed by `<qemu:commandline>` is the `<qemu:cpu>` pane's content, with libvirt's
/// appended options set apart; `e`, the fixes and `x` on `<cpu>` (libvirt's default model
/// goes) edit it in place, and undo gives the bytes back.
#[test]
fn the_commandline_form_is_shown_and_edited_in_the_qemu_pane() {
    let xml = "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>cl</name>
  <vcpu>2</vcpu>
  <features>
    <hyperv mode='custom'>
      <relaxed state='on'/>
    </hyperv>
  </features>
  <cpu mode='custom' match='exact' check='none'>
    <model fallback='forbid'>qemu64</model>
    <topology sockets='1' dies='1' cores='2' threads='1'/>
  </cpu>
  <qemu:commandline>
    <qemu:arg value='-cpu'/>
    <qemu:arg value='Skylake-Client,vmx=on,hv-relaxed=on,pcld=off'/>
  </qemu:commandline>
</domain>
";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cl.xml");
    std::fs::write(&path, xml).unwrap();
    let mut m = open(&path);
    let s = screen(&m, 120, 40);
    for shown in [
        "-cpu passed by <qemu:commandline> (saved as it came)",
        "model     Skylake-Client",
        "libvirt's appended options",
        "added after libvirt's:",
        "pcld=off",
        "libvirt-default-model",
    ] {
        assert!(s.contains(shown), "{shown}:\n{s}");
    }
    assert!(!s.contains("model-twice"), "{s}");
    // The fix renames the misspelt option in the value.
    keys(&mut m, "1");
    assert!(
        m.source()
            .contains("value='Skylake-Client,vmx=on,hv-relaxed=on,pcid=off'"),
        "{}",
        m.source()
    );
    keys(&mut m, "<tab>ephys-bits=42<ret>");
    assert!(
        m.source()
            .contains("value='Skylake-Client,vmx=on,hv-relaxed=on,pcid=off,phys-bits=42'"),
        "{}",
        m.source()
    );
    let status = m.status.as_ref().unwrap();
    assert!(
        status
            .text
            .starts_with("<qemu:commandline> -cpu phys-bits=42"),
        "{status:?}"
    );
    // `x` on <cpu>: the QEMU form has the model; libvirt's default goes, and the status says so.
    keys(&mut m, "<tab>x");
    assert!(!m.source().contains("qemu64"), "{}", m.source());
    assert!(
        m.source().contains("<qemu:arg value='-cpu'/>"),
        "{}",
        m.source()
    );
    let status = m.status.as_ref().unwrap();
    assert!(
        status
            .text
            .contains("removed <model fallback='forbid'>qemu64</model>"),
        "{status:?}"
    );
    keys(&mut m, "uuu");
    assert_eq!(m.source(), xml);
}

#[test]
fn add_a_free_option() {
    let mut m = demo();
    keys(&mut m, "<tab>ephys-bits=42<ret>");
    assert!(
        m.source()
            .contains("<qemu:option name='phys-bits' value='42'/>")
    );
}

/// A comma would split the option in QEMU: the prompt stays open with the text, to fix.
#[test]
fn a_free_option_with_a_comma_is_refused_in_the_prompt() {
    let mut m = demo();
    let before = m.source().to_string();
    keys(&mut m, "<tab>efoo,bar=1<ret>");
    assert_eq!(m.source(), before);
    assert!(
        matches!(&m.overlay, Some(Overlay::Prompt(Prompt { input, .. })) if input.text == "foo,bar=1"),
        "{:?}",
        m.overlay
    );
    keys(&mut m, "<bs><bs><bs><bs><bs><bs>=on<ret>");
    assert!(m.overlay.is_none());
    assert!(m.source().contains("<qemu:option name='foo' value='on'/>"));
}

#[test]
fn control_characters_from_the_xml_are_shown_escaped() {
    let xml = "<domain type='kvm'>\n  <name>c</name>\n  <cpu mode='custom'>\n    <model>Sky\u{1b}[2Jlake\tx</model>\n  </cpu>\n</domain>\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ctl.xml");
    std::fs::write(&path, xml).unwrap();
    let m = open(&path);
    let s = screen(&m, 100, 30);
    assert!(s.contains("Sky\\u{1b}[2Jlake\\tx"), "{s}");
    assert!(!s.contains('\u{1b}'), "{s}");
}

#[test]
fn every_size_draws_without_panic() {
    let mut m = demo();
    for (w, h) in [(1, 1), (20, 5), (79, 24), (80, 23), (80, 24), (200, 60)] {
        render(&m, w, h);
    }
    keys(&mut m, "m");
    for (w, h) in [(10, 3), (80, 24)] {
        render(&m, w, h);
    }
}

/// A stand-in for `virsh` holding one domain's definition; `define` can refuse, or drop
/// `<qemu:cpu>` as libvirt 9.0 does.
struct FakeVirsh {
    definition: std::cell::RefCell<String>,
    refuse: std::cell::Cell<bool>,
    drop_qemu_cpu: bool,
    calls: std::cell::RefCell<Vec<Vec<String>>>,
    /// The domain's name, which `dumpxml` must get as one argument.
    name: &'static str,
}

impl FakeVirsh {
    fn new(xml: &str, drop_qemu_cpu: bool) -> FakeVirsh {
        FakeVirsh {
            definition: xml.to_string().into(),
            refuse: false.into(),
            drop_qemu_cpu,
            calls: Vec::new().into(),
            name: "dom one",
        }
    }
}

impl crate::host::Runner for FakeVirsh {
    fn run(
        &self,
        program: &str,
        args: &[&str],
        _stdin: &[u8],
    ) -> Result<crate::host::Output, crate::host::HostError> {
        assert_eq!(program, "virsh");
        self.calls
            .borrow_mut()
            .push(args.iter().map(|a| a.to_string()).collect());
        let ok = |stdout: String| {
            Ok(crate::host::Output {
                status: Some(0),
                stdout,
                stderr: String::new(),
            })
        };
        if args.contains(&"dumpxml") {
            assert_eq!(
                &args[args.len() - 2..],
                ["--domain", self.name],
                "the name is one argument"
            );
            return ok(self.definition.borrow().clone());
        }
        if args.contains(&"domcapabilities") {
            // This fake libvirt has no host facts; the view works without them.
            return Ok(crate::host::Output {
                status: Some(1),
                stdout: String::new(),
                stderr: "error: no domcapabilities in this test".into(),
            });
        }
        let file = args
            .iter()
            .position(|a| *a == "--file")
            .map(|i| args[i + 1])
            .expect("define --file");
        if self.refuse.get() {
            return Ok(crate::host::Output {
                status: Some(1),
                stdout: String::new(),
                stderr: "error: XML error: refused".into(),
            });
        }
        let mut xml = std::fs::read_to_string(file).unwrap();
        if self.drop_qemu_cpu
            && let (Some(a), Some(b)) = (xml.find("  <qemu:cpu>"), xml.find("</qemu:cpu>\n"))
        {
            xml.replace_range(a..b + "</qemu:cpu>\n".len(), "");
        }
        *self.definition.borrow_mut() = xml;
        ok(String::new())
    }
}

fn domain_model(virsh: &FakeVirsh) -> AppState {
    let opts = Options {
        domain: Some("dom one".into()),
        uri: Some("qemu:///system".into()),
        ..Options::default()
    };
    super::load_with(&opts, Catalog::embedded(), virsh).unwrap()
}

fn keys_with(m: &mut AppState, k: &str, virsh: &FakeVirsh) {
    super::type_keys_with(m, k, &mut Vec::new(), virsh);
}

#[test]
fn domain_save_is_virsh_define_then_libvirts_definition() {
    let xml = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples/custom-features.xml"),
    )
    .unwrap();
    let virsh = FakeVirsh::new(&xml, false);
    let mut m = domain_model(&virsh);
    keys_with(&mut m, "f/pcid<ret><space><esc>wy", &virsh);
    assert!(
        virsh
            .definition
            .borrow()
            .contains("<feature policy='disable' name='pcid'/>")
    );
    assert_eq!(m.source(), *virsh.definition.borrow());
    assert!(!m.modified);
    assert!(
        m.status
            .as_ref()
            .unwrap()
            .text
            .starts_with("Defined dom one"),
        "{:?}",
        m.status
    );
    assert!(
        virsh
            .calls
            .borrow()
            .iter()
            .all(|c| c[..2] == ["-c", "qemu:///system"])
    );
}

#[test]
fn domain_define_refused_keeps_edits_and_retries() {
    let virsh = FakeVirsh::new(DEMO, false);
    let mut m = domain_model(&virsh);
    virsh.refuse.set(true);
    // The demo has <qemu:cpu>: `d` defines it anyway.
    keys_with(&mut m, "1wyd", &virsh);
    let Some(Overlay::SaveFailed(SaveFailed {
        message,
        reload: false,
        ..
    })) = &m.overlay
    else {
        panic!("{:?}", m.overlay)
    };
    assert!(
        message.contains("failed (exit status 1): XML error: refused"),
        "{message}"
    );
    keys_with(&mut m, "<esc>", &virsh);
    assert!(m.modified);
    assert_eq!(*virsh.definition.borrow(), DEMO);
    virsh.refuse.set(false);
    keys_with(&mut m, "wyd", &virsh);
    assert!(virsh.definition.borrow().contains("Icelake-Server-v4"));
}

#[test]
fn domain_changed_in_libvirt_meanwhile_offers_reload() {
    let virsh = FakeVirsh::new(DEMO, false);
    let mut m = domain_model(&virsh);
    let theirs = DEMO.replace("8388608", "4194304");
    *virsh.definition.borrow_mut() = theirs.clone();
    keys_with(&mut m, "1wyd", &virsh);
    assert!(matches!(
        m.overlay,
        Some(Overlay::SaveFailed(SaveFailed { reload: true, .. }))
    ));
    assert_eq!(*virsh.definition.borrow(), theirs);
    keys_with(&mut m, "r", &virsh);
    assert_eq!(m.source(), theirs);
}

#[test]
fn domain_qemu_cpu_dropped_by_libvirt_converts_in_one_key() {
    let virsh = FakeVirsh::new(DEMO, true);
    let mut m = domain_model(&virsh);
    keys_with(&mut m, "1wyd", &virsh);
    assert!(
        matches!(
            m.overlay,
            Some(Overlay::QemuCpuDropped(QemuCpuDropped { defined: true }))
        ),
        "{:?}",
        m.overlay
    );
    assert!(!virsh.definition.borrow().contains("qemu:cpu"));
    keys_with(&mut m, "c", &virsh);
    let def = virsh.definition.borrow().clone();
    assert!(def.contains("<qemu:commandline>"), "{def}");
    assert!(def.contains("<qemu:arg value='Icelake-Server-v4,enforce=on,smap=on,avx=on,tsc-adjust=off,strange-option=1234,hv-relaxed=on,hv-spinlocks=0x1fff,l3-cache=on'/>"), "{def}");
    assert_eq!(m.source(), def);
    assert!(!m.modified);
}

/// The prompt's text when one is open.
fn prompt_text(m: &AppState) -> (String, bool) {
    match &m.overlay {
        Some(Overlay::Prompt(Prompt { input, .. })) => (input.text.clone(), input.selected),
        other => panic!("no prompt: {other:?}"),
    }
}

#[test]
fn prefilled_save_name_is_a_selected_default() {
    let mut m = demo();
    // Typing replaces it.
    keys(&mut m, "1wy/tmp/w/else.xml");
    assert_eq!(prompt_text(&m), ("/tmp/w/else.xml".into(), false));
    // End (or an arrow) keeps it for editing; typing then inserts at the cursor.
    keys(&mut m, "<esc>wy<end>.bak");
    assert_eq!(prompt_text(&m), ("icelake-240.xml.bak".into(), false));
    keys(&mut m, "<esc>wy<home>out-<right><left><del>I");
    assert_eq!(prompt_text(&m), ("out-Icelake-240.xml".into(), false));
    keys(&mut m, "<esc>wy<left><left><left><left>2");
    assert_eq!(prompt_text(&m), ("icelake-2402.xml".into(), false));
    // Ctrl-U clears; so does Backspace on the selected default.
    keys(&mut m, "<esc>wy<C-u>");
    assert_eq!(prompt_text(&m), (String::new(), false));
    keys(&mut m, "<esc>wy<bs>");
    assert_eq!(prompt_text(&m), (String::new(), false));
    keys(&mut m, "<esc>");
    assert!(m.overlay.is_none());
    // The option prompt starts empty and takes Ctrl-U too.
    keys(&mut m, "<tab>eabc<C-u>l3-cache=off<ret>");
    assert!(m.source().contains("l3-cache"), "{}", m.source());
}

#[test]
fn save_as_asks_before_overwriting_an_unrelated_file() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("ice2.xml");
    std::fs::write(&other, "unrelated\n").unwrap();
    let mut m = demo();
    // Standard input or the demo: the suggestion names a file that is already there.
    m.target = super::app::Target::Unnamed {
        suggestion: other.display().to_string(),
    };
    keys(&mut m, "1wy<ret>");
    let Some(Overlay::ConfirmOverwrite(ConfirmOverwrite { path })) = &m.overlay else {
        panic!("asks: {:?}", m.overlay)
    };
    assert_eq!(path, &other);
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "unrelated\n");
    let text = screen(&m, 100, 30);
    assert!(
        text.contains(&format!("{} exists: overwrite?", other.display())),
        "{text}"
    );
    // `n` (also `q`, Esc) goes back to the name, selected, and writes nothing.
    for k in ["n", "q", "<esc>"] {
        keys(&mut m, k);
        assert_eq!(prompt_text(&m), (other.display().to_string(), true), "{k}");
        keys(&mut m, "<ret>");
        assert!(matches!(
            m.overlay,
            Some(Overlay::ConfirmOverwrite(ConfirmOverwrite { .. }))
        ));
    }
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "unrelated\n");
    // Another name: written without a question.
    let fresh = dir.path().join("fresh.xml");
    keys(&mut m, &format!("n{}<ret>", fresh.display()));
    assert_eq!(std::fs::read_to_string(&fresh).unwrap(), m.source());
    assert!(!m.modified);
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "unrelated\n");
    // `y` overwrites.
    let mut m = demo();
    m.target = super::app::Target::Unnamed {
        suggestion: other.display().to_string(),
    };
    keys(&mut m, "1wy<ret>y");
    assert_eq!(std::fs::read_to_string(&other).unwrap(), m.source());
    assert!(!m.modified);
    assert_eq!(m.target, super::app::Target::File(other.clone()));
}

#[test]
fn save_elsewhere_to_the_loaded_file_does_not_ask() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, path) = example("icelake-240.xml");
    let mut m = open(&path);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    keys(&mut m, "1wy");
    assert!(matches!(
        m.overlay,
        Some(Overlay::SaveFailed(SaveFailed { .. }))
    ));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    // Through another spelling of the same path.
    let same = path.parent().unwrap().join(".").join("icelake-240.xml");
    keys(&mut m, &format!("s{}<ret>", same.display()));
    assert!(m.overlay.is_none(), "{:?}", m.overlay);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), m.source());
}

#[test]
fn failed_write_says_what_to_do_in_the_tui() {
    let (dir, path) = example("icelake-240.xml");
    let mut m = open(&path);
    std::fs::write(&path, "<domain type='kvm'><name>x</name></domain>").unwrap();
    keys(&mut m, "1wy");
    let Some(Overlay::SaveFailed(SaveFailed { message, .. })) = &m.overlay else {
        panic!("{:?}", m.overlay)
    };
    assert!(message.contains("changed on disk"), "{message}");
    assert!(!message.contains("-o FILE"), "{message}");
    // A directory that is not there: the OS error as the OS says it, no temporary path.
    let missing = dir.path().join("missing").join("x.xml");
    keys(&mut m, &format!("s{}<ret>", missing.display()));
    let Some(Overlay::SaveFailed(SaveFailed { message, .. })) = &m.overlay else {
        panic!("{:?}", m.overlay)
    };
    assert!(
        message.contains("No such file or directory (os error 2)"),
        "{message}"
    );
    assert!(message.contains("Press s to save elsewhere"), "{message}");
    assert!(
        !message.contains("-o FILE")
            && !message.contains("at path")
            && !message.contains(".virt-cpu-"),
        "{message}"
    );
}

#[test]
fn quit_confirmation_holds_in_a_window_too_small_to_draw_it() {
    let mut m = demo();
    keys(&mut m, "1q");
    let text = screen(&m, 30, 10);
    assert!(text.contains("D quits without"), "{text}");
    keys(&mut m, "q");
    assert_eq!(m.exit, None, "a second q keeps editing");
    let text = screen(&m, 30, 10);
    assert!(text.contains("Enlarge the window"), "{text}");
    keys(&mut m, "qqq<esc>qy<esc>");
    assert_eq!(m.exit, None);
    assert!(m.modified);
    keys(&mut m, "qD");
    assert_eq!(m.exit, Some(0));
}

/// `w` in the quit question saves (diff, `y`) and then quits; backing out of the diff forgets
/// the quitting, so a later plain save stays.
#[test]
fn w_in_the_quit_question_saves_and_quits() {
    let (_dir, path) = example("icelake-240.xml");
    let mut m = open(&path);
    keys(&mut m, "1qw<esc>");
    assert_eq!(m.exit, None);
    keys(&mut m, "wy");
    assert_eq!(m.exit, None, "a plain save does not quit");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), m.source());
    keys(&mut m, "uqwy");
    assert_eq!(m.exit, Some(0));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), m.source());
    assert_eq!(m.source(), DEMO);
}

/// Out of sight, keys do nothing but what the "Enlarge the window" screen offers.
#[test]
fn a_window_too_small_to_draw_takes_only_quit() {
    let mut m = demo();
    keys(&mut m, "1");
    let edited = m.source().to_string();
    super::app::update(&mut m, super::app::Action::Resized(60, 15));
    keys(&mut m, "u<tab>m");
    assert_eq!(m.source(), edited, "u undid an edit out of sight");
    assert!(m.overlay.is_none(), "m opened the picker out of sight");
    keys(&mut m, "q");
    assert!(
        matches!(m.overlay, Some(Overlay::ConfirmQuit)),
        "q asks, as the edit is unsaved"
    );
    keys(&mut m, "<esc>");
    super::app::update(&mut m, super::app::Action::Resized(80, 24));
    keys(&mut m, "u");
    assert_ne!(
        m.source(),
        edited,
        "keys act again once the window is large enough"
    );
    super::app::update(&mut m, super::app::Action::Resized(30, 10));
    keys(&mut m, "Q");
    assert_eq!(m.exit, Some(1));
}

#[test]
fn domain_with_qemu_cpu_asks_before_defining() {
    let xml = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples/custom-features.xml"),
    )
    .unwrap();
    let defines = |v: &FakeVirsh| {
        v.calls
            .borrow()
            .iter()
            .filter(|c| c.iter().any(|a| a == "define"))
            .count()
    };
    let virsh = FakeVirsh::new(&xml, true);
    let mut m = domain_model(&virsh);
    // Move <cpu> to <qemu:cpu>, save: asked before anything is defined.
    keys_with(&mut m, "xwy", &virsh);
    assert!(
        matches!(
            m.overlay,
            Some(Overlay::QemuCpuDropped(QemuCpuDropped { defined: false }))
        ),
        "{:?}",
        m.overlay
    );
    let text = screen(&m, 100, 30);
    assert!(text.contains("libvirt 9.0 drops it on define"), "{text}");
    assert!(text.contains("d define anyway"), "{text}");
    assert_eq!(defines(&virsh), 0);
    // Esc (or q, n) cancels: nothing defined, the edits kept.
    keys_with(&mut m, "<esc>", &virsh);
    assert!(m.overlay.is_none() && m.modified);
    assert_eq!(defines(&virsh), 0);
    assert_eq!(*virsh.definition.borrow(), xml);
    // `c` converts to <qemu:commandline>, then defines.
    keys_with(&mut m, "wyc", &virsh);
    assert_eq!(defines(&virsh), 1);
    let def = virsh.definition.borrow().clone();
    assert!(def.contains("<qemu:commandline>"), "{def}");
    assert!(def.contains("<qemu:arg value='Haswell-noTSX"), "{def}");
    assert!(!def.contains("<qemu:cpu>"), "{def}");
    assert_eq!(m.source(), def);
    assert!(!m.modified);
    assert!(m.overlay.is_none(), "{:?}", m.overlay);
}

// Snapshots: the screens as the user sees them (text only; colours are the theme's job).

#[test]
fn snapshot_demo_80x24() {
    insta::assert_snapshot!(render(&demo(), 80, 24).backend());
}

#[test]
fn snapshot_demo_100x30_after_fix() {
    let mut m = demo();
    keys(&mut m, "1");
    insta::assert_snapshot!(render(&m, 100, 30).backend());
}

#[test]
fn snapshot_custom_features() {
    let (_dir, path) = example("custom-features.xml");
    let mut m = open(&path);
    m.name = "custom-features.xml".into();
    insta::assert_snapshot!(render(&m, 100, 30).backend());
}

#[test]
fn snapshot_picker() {
    let mut m = demo();
    keys(&mut m, "1<tab>mskylake-client");
    insta::assert_snapshot!(render(&m, 100, 30).backend());
}

#[test]
fn snapshot_feature_list() {
    let mut m = demo();
    keys(&mut m, "1<tab>f/avx512");
    insta::assert_snapshot!(render(&m, 100, 30).backend());
}

#[test]
fn snapshot_help() {
    let mut m = demo();
    keys(&mut m, "?");
    insta::assert_snapshot!(render(&m, 100, 30).backend());
}

#[test]
fn snapshot_save_diff() {
    let mut m = demo();
    keys(&mut m, "1w");
    insta::assert_snapshot!(render(&m, 100, 30).backend());
}

#[test]
fn snapshot_too_small() {
    insta::assert_snapshot!(render(&demo(), 40, 10).backend());
}

#[test]
fn mouse_click_focuses_and_wheel_scrolls_the_pane_under_it() {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    use ratatui::layout::Rect;
    let mut m = demo();
    let panes = super::view::areas(&m, Rect::new(0, 0, 100, 30)).panes;
    let at = |kind, column, row| MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    };
    let right = panes[1].x + 2;
    let click = super::keymap::mouse(
        &m,
        at(MouseEventKind::Down(MouseButton::Left), right, 5),
        panes,
    )
    .unwrap();
    super::app::update(&mut m, click);
    assert_eq!(m.focus, Pane::Qemu);
    let wheel = super::keymap::mouse(&m, at(MouseEventKind::ScrollDown, 3, 5), panes).unwrap();
    super::app::update(&mut m, wheel);
    assert_eq!(m.scroll, [3, 0]);
    assert_eq!(m.focus, Pane::Qemu, "the wheel does not move the focus");
}

/// The demo with a recorded host (`--host-caps` of libvirt's QEMU 8.0 q35 domcapabilities), from
/// the shared data (`../shared`, or `$VIRT_CPU_SHARED` as the integration tests take it).
fn demo_with_reference_host() -> AppState {
    let shared = std::env::var_os("VIRT_CPU_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let caps = shared.join("reference/domcapabilities/qemu_8.0.0-q35.x86_64.xml");
    let host = crate::host::DomCaps::read(&caps).unwrap();
    load(
        &Options {
            host: Some(host),
            ..Options::default()
        },
        Catalog::embedded(),
    )
    .unwrap()
}

/// With a host (`--host-caps`), the picker says which models it can run, as libvirt reports.
#[test]
fn picker_shows_host_usability_from_domcapabilities() {
    let mut m = demo_with_reference_host();
    for (typed, name, usable) in [
        ("opteron_g5", "Opteron_G5", false),
        ("epyc-rome", "EPYC-Rome", true),
    ] {
        keys(&mut m, &format!("<tab>m{typed}"));
        let Some(Overlay::Picker(p)) = &m.overlay else {
            panic!("picker open")
        };
        let item = p.selected_item().unwrap();
        assert_eq!(item.name, name);
        assert_eq!(item.usable, Some(usable), "{name}");
        keys(&mut m, "<esc><tab>");
    }
}

/// `optional` is on only where the host has the feature (libvirt resolves it when the guest
/// starts): the pane says so rather than calling it added or removed.
#[test]
fn an_optional_feature_is_shown_as_depending_on_the_host() {
    let (dir, path) = example("custom-features.xml");
    let xml = std::fs::read_to_string(&path).unwrap().replace(
        "<feature policy='require' name='vmx'/>",
        "<feature policy='optional' name='vmx'/>",
    );
    let path = dir.path().join("optional.xml");
    std::fs::write(&path, xml).unwrap();
    let mut m = open(&path);
    let text = screen(&m, 100, 30);
    assert!(
        text.contains("? vmx              optional if host has it"),
        "{text}"
    );
    keys(&mut m, "f/vmx<ret>p");
    assert!(
        m.source()
            .contains("<feature policy='disable' name='vmx'/>")
    );
}

/// Without the host an `optional` feature leaves no `-cpu` value: the bottom bar says it depends
/// on the host and how to give it, as the CLI does, not that libvirt refuses the domain.
#[test]
fn no_value_for_want_of_the_host_is_not_a_refusal() {
    let (dir, path) = example("custom-features.xml");
    let xml = std::fs::read_to_string(&path).unwrap().replace(
        "<feature policy='require' name='vmx'/>",
        "<feature policy='optional' name='vmx'/>",
    );
    let path = dir.path().join("optional.xml");
    std::fs::write(&path, xml).unwrap();
    let mut m = open(&path);
    m.name = "optional.xml".into();
    assert!(m.report.needs_host());
    let text = screen(&m, 100, 30);
    assert!(
        text.contains("-cpu: depends on the host, which was not given"),
        "{text}"
    );
    assert!(text.contains("--host-caps FILE"), "{text}");
    assert!(!text.contains("libvirt refuses"), "{text}");
    insta::assert_snapshot!(render(&m, 100, 30).backend());
}

/// The picker lists as `virt-cpu models` does: with a host, the models it can run first,
/// richest first; pseudo-models last, without usability (README "Exploring models").
#[test]
fn picker_lists_like_models_usable_first_with_a_host_pseudo_models_last() {
    let mut m = demo_with_reference_host();
    keys(&mut m, "<tab>m");
    let Some(Overlay::Picker(p)) = &m.overlay else {
        panic!("picker open")
    };
    let usable: Vec<_> = p
        .items
        .iter()
        .take_while(|i| i.usable == Some(true))
        .collect();
    assert!(usable.len() > 10, "{:?}", p.items.first());
    assert!(usable.windows(2).all(|w| w[0].features >= w[1].features));
    let pseudo: Vec<_> = p.items.iter().rev().take(3).collect();
    assert!(
        pseudo
            .iter()
            .all(|i| i.note == "pseudo-model" && i.usable.is_none()),
        "{pseudo:?}"
    );
}

/// Without a host (`--host-caps`, `-c`) the picker claims no usability, TCG domain or not.
#[test]
fn picker_without_a_host_shows_no_usability() {
    let (_dir, path) = example("custom-features.xml");
    let mut m = open(&path);
    for pane in ["m", "<esc><tab>m"] {
        keys(&mut m, pane);
        let Some(Overlay::Picker(p)) = &m.overlay else {
            panic!("picker open")
        };
        assert!(p.items.iter().all(|i| i.usable.is_none()), "{:?}", p.pane);
    }
}

#[test]
fn an_unknown_option_can_be_found_and_removed_in_the_feature_list() {
    // The demo's own unknown-option error is fixable in the view: f, search, Delete.
    let mut m = demo();
    keys(&mut m, "<tab>f/strange-option<ret><del><esc>");
    assert!(!m.source().contains("strange-option"), "{}", m.source());
    assert!(
        !m.report
            .diagnostics
            .iter()
            .any(|d| d.code == "unknown-option"),
        "{:?}",
        m.report.diagnostics
    );
}

#[test]
fn as_virsh_edit_s_editor_saving_qemu_cpu_asks_first() {
    // virsh defines its temporary copy after we exit, and libvirt 9.0 drops <qemu:cpu> then.
    let (_dir, path) = example("icelake-240.xml");
    let before = std::fs::read_to_string(&path).unwrap();
    let mut m = open(&path);
    m.virsh_edit = true;
    keys(&mut m, "1wy");
    assert!(
        matches!(
            m.overlay,
            Some(Overlay::QemuCpuDropped(QemuCpuDropped { defined: false }))
        ),
        "{:?}",
        m.overlay
    );
    let text = screen(&m, 100, 30);
    assert!(
        text.contains("virsh edit defines this file when you quit"),
        "{text}"
    );
    assert!(text.contains("d save anyway"), "{text}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        before,
        "nothing written yet"
    );
    // `c` converts to <qemu:commandline> and saves.
    keys(&mut m, "c");
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(
        saved.contains("<qemu:commandline>") && !saved.contains("<qemu:cpu>"),
        "{saved}"
    );
    assert!(!m.modified);

    // `d` saves the document as it is, <qemu:cpu> included.
    let (_dir, path) = example("icelake-240.xml");
    let mut m = open(&path);
    m.virsh_edit = true;
    keys(&mut m, "1wyd");
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(
        saved.contains("<qemu:model name='Icelake-Server-v4'/>"),
        "{saved}"
    );

    // A plain file is written without the question.
    let (_dir, path) = example("icelake-240.xml");
    let mut m = open(&path);
    keys(&mut m, "1wy");
    assert!(m.overlay.is_none(), "{:?}", m.overlay);
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("Icelake-Server-v4")
    );
}

#[test]
fn scrolling_stops_at_the_end_of_a_pane() {
    // A <cpu> with 30 features: longer than an 80×24 screen shows.
    let features: String = [
        "pcid",
        "vmx",
        "ssse3",
        "sse4.1",
        "sse4.2",
        "x2apic",
        "aes",
        "avx",
        "f16c",
        "rdrand",
        "fma",
        "bmi1",
        "bmi2",
        "avx2",
        "erms",
        "invpcid",
        "rtm",
        "hle",
        "mpx",
        "rdseed",
        "adx",
        "smap",
        "clflushopt",
        "xsaveopt",
        "xsavec",
        "xgetbv1",
        "xsaves",
        "pku",
        "umip",
        "arat",
    ]
    .iter()
    .map(|f| format!("    <feature policy='require' name='{f}'/>\n"))
    .collect();
    let xml = format!(
        "<domain type='kvm'>\n  <name>long</name>\n  <memory>1048576</memory>\n  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n  <cpu mode='custom'>\n    <model>Skylake-Client</model>\n{features}  </cpu>\n</domain>\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.xml");
    std::fs::write(&path, xml).unwrap();
    let mut m = open(&path);
    // Before the size is known nothing can be clamped; the loop says it at start.
    super::app::update(&mut m, super::app::Action::Resized(80, 24));
    let limit = super::panes::scroll_limit(&m, Pane::Cpu, ratatui::layout::Rect::new(0, 0, 80, 24));
    assert!(
        limit > 0,
        "the <cpu> pane is longer than an 80×24 screen shows"
    );
    keys(&mut m, &"j".repeat(limit as usize + 20));
    assert_eq!(m.scroll[0], limit, "j stops at the end");
    keys(&mut m, "k");
    assert_eq!(m.scroll[0], limit - 1, "one k moves back at once");
    // A taller screen shows it all: the pane scrolls back to its new end.
    super::app::update(&mut m, super::app::Action::Resized(80, 200));
    assert_eq!(m.scroll[0], 0);
}

/// The markers of the `<cpu>` pane stay on their features once the document is readied for
/// edits (the idle work after the first frame may give the elements new ids) and the pane
/// scrolls.
#[test]
fn markers_stay_on_their_features_after_the_first_frame_and_a_scroll() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.xml");
    let features: String = [
        "vmx", "pcid", "x2apic", "rdrand", "md-clear", "avx", "sse4.2", "bogus1", "ssbd", "aes",
        "bogus2", "xsave", "pcid", "smep", "bogus3", "erms", "invpcid", "fma", "bmi1", "bmi2",
        "bogus4",
    ]
    .iter()
    .map(|f| format!("    <feature policy='require' name='{f}'/>\n"))
    .collect();
    std::fs::write(
        &path,
        format!(
            "<domain type='kvm'>\n  <name>many</name>\n  <memory unit='KiB'>2097152</memory>\n  \
             <vcpu placement='static'>4</vcpu>\n  <os>\n    \
             <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n  \
             <cpu mode='custom' match='exact' check='none'>\n    \
             <model fallback='forbid'>Skylake-Client</model>\n    \
             <topology sockets='1' dies='1' cores='4' threads='1'/>\n{features}  </cpu>\n</domain>\n"
        ),
    )
    .unwrap();
    let mut m = open(&path);
    // The features shown, and whether each is drawn with a marker.
    let marked = |m: &AppState| -> Vec<(String, bool)> {
        screen(m, 120, 30)
            .lines()
            .filter(|l| l.contains(" require "))
            .map(|l| {
                let name = l.split_whitespace().nth(2).unwrap_or_default().to_string();
                (name, l.contains("model i") || l.contains("added i"))
            })
            .collect()
    };
    let before = marked(&m);
    let on: Vec<&str> = (before.iter().filter(|(_, b)| *b))
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(on[..3], ["pcid", "x2apic", "rdrand"]);
    m.prepare_for_edits();
    keys(&mut m, "j");
    assert_eq!(m.scroll[Pane::Cpu as usize], 1);
    let after = marked(&m);
    assert_eq!(after[..before.len()], before[..]);
    assert!(
        after.len() > before.len(),
        "the scroll shows one more feature"
    );
}

/// `M` lists the four modes with what each means; Enter switches and says what the switch
/// leaves ignored; custom without a model opens the picker.
#[test]
fn mode_dialog_switches_and_says_what_is_ignored() {
    let (_dir, path) = example("custom-features.xml");
    let mut m = open(&path);
    keys(&mut m, "M");
    let Some(Overlay::Mode(d)) = &m.overlay else {
        panic!("{:?}", m.overlay)
    };
    assert_eq!(d.selected, 0, "custom, the current mode, selected");
    let shown = screen(&m, 110, 30);
    for words in [
        "› custom (current)",
        "host-passthrough",
        "maximum",
        "-cpu host",
        "<model> Haswell-noTSX stays in the file but is ignored: QEMU gets -cpu host",
    ] {
        assert!(shown.contains(words), "{words}:\n{shown}");
    }
    keys(&mut m, "jj<ret>");
    assert!(m.overlay.is_none());
    assert!(
        m.source()
            .contains("<cpu mode='host-passthrough' match='exact' check='none'>")
    );
    let status = m.status.as_ref().unwrap();
    assert_eq!(status.level, Level::Warning);
    assert!(
        status.text.contains("is ignored: QEMU gets -cpu host"),
        "{}",
        status.text
    );
    keys(&mut m, "u");
    assert!(m.source().contains("<cpu mode='custom'"));

    let (_dir, path) = example("host-model.xml");
    let mut m = open(&path);
    keys(&mut m, "M");
    let Some(Overlay::Mode(d)) = &m.overlay else {
        panic!("{:?}", m.overlay)
    };
    assert_eq!(d.selected, 1, "host-model, the current mode, selected");
    assert!(screen(&m, 110, 30).contains("needs a <model>: the model picker opens"));
    keys(&mut m, "k<ret>");
    assert!(m.source().contains("<cpu mode='custom' check='partial'>"));
    assert!(
        matches!(m.overlay, Some(Overlay::Picker(_))),
        "{:?}",
        m.overlay
    );
}

/// A model picked on a mode that does not use one is not written silently: `y` switches to
/// custom with it, `n` changes nothing.
#[test]
fn picking_a_model_on_a_host_mode_asks_to_switch_to_custom() {
    let (_dir, path) = example("host-model.xml");
    let mut m = open(&path);
    let original = m.source().to_string();
    keys(&mut m, "mskylake-client<ret>");
    let Some(Overlay::ConfirmCustom(c)) = &m.overlay else {
        panic!("{:?}", m.overlay)
    };
    assert_eq!(c.model, "Skylake-Client");
    let shown = screen(&m, 100, 30);
    assert!(
        shown.contains("<cpu> is host-model: a <model> is replaced by the host's model"),
        "{shown}"
    );
    assert_eq!(m.source(), original, "nothing written before the answer");
    keys(&mut m, "n");
    assert!(m.overlay.is_none());
    assert_eq!(m.source(), original);
    keys(&mut m, "mskylake-client<ret>y");
    assert!(
        m.source()
            .contains("<cpu mode='custom' check='partial'>\n    <model>Skylake-Client</model>"),
        "{}",
        m.source()
    );
    assert!(cpu_value(&m).starts_with("Skylake-Client"));
    keys(&mut m, "u");
    assert_eq!(m.source(), original, "one undo takes back mode and model");
}

/// `t`: the numbers typed, libvirt's refusal live, `v` fixes `<vcpu>`, Enter writes both, one
/// undo takes both back.
#[test]
fn topology_dialog_edits_the_numbers_and_the_vcpu_count() {
    let (_dir, path) = example("custom-features.xml");
    let mut m = open(&path);
    let original = m.source().to_string();
    keys(&mut m, "t");
    assert!(screen(&m, 100, 30).contains("4 vCPUs = <vcpu>: libvirt takes it"));
    keys(&mut m, "<down><down><bs>3");
    let shown = screen(&m, 100, 30);
    assert!(
        shown.contains("CPU topology doesn't match maximum vcpu count (3 ≠ 4)"),
        "{shown}"
    );
    keys(&mut m, "<ret>");
    assert!(
        matches!(m.overlay, Some(Overlay::Topology(_))),
        "refused: stays open"
    );
    assert_eq!(m.source(), original);
    keys(&mut m, "v<ret>");
    assert!(m.overlay.is_none());
    assert_eq!(
        m.source(),
        original
            .replace("cores='4'", "cores='3'")
            .replace("static'>4<", "static'>3<")
    );
    assert!(
        m.report
            .diagnostics
            .iter()
            .all(|d| d.code != "libvirt-rejects")
    );
    keys(&mut m, "u");
    assert_eq!(m.source(), original, "one undo takes back both");
}

/// The `<cpu>` pane says what the generated `-cpu` does with each feature: against QEMU's
/// model (`hypervisor` is in QEMU's Skylake-Client, not in libvirt's map), left out by
/// libvirt (never "added"), or over the host's CPU; an ignored model says so.
#[test]
fn cpu_pane_features_follow_the_generated_cpu() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.xml");
    let write = |mode: &str| {
        std::fs::write(
            &path,
            format!(
                "<domain type='kvm'>\n  <name>d</name>\n  <cpu mode='{mode}'>\n    \
                 <model>Skylake-Client</model>\n    \
                 <feature policy='disable' name='hypervisor'/>\n    \
                 <feature policy='require' name='osxsave'/>\n    \
                 <feature policy='require' name='vmx'/>\n  </cpu>\n</domain>\n"
            ),
        )
        .unwrap();
    };
    write("custom");
    let shown = screen(&open(&path), 120, 30);
    let line = |name: &str| {
        shown
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("{name}:\n{shown}"))
            .to_string()
    };
    assert!(line("hypervisor").contains("− hypervisor"), "{shown}");
    assert!(line("hypervisor").contains("removed"), "{shown}");
    assert!(line("osxsave").contains("dropped by libvirt"), "{shown}");
    assert!(line("vmx").contains("added"), "{shown}");
    write("host-passthrough");
    let shown = screen(&open(&path), 120, 30);
    assert!(shown.contains("is ignored: QEMU gets -cpu host"), "{shown}");
    let line = |name: &str| {
        shown
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("{name}:\n{shown}"))
            .to_string()
    };
    assert!(line("hypervisor").contains("off (host CPU)"), "{shown}");
    assert!(line("vmx").contains("on (host CPU)"), "{shown}");
    assert!(!shown.contains("not in model"), "{shown}");
}

/// The demo with `<cpu>` naming a model too and more unknown options: more diagnostics than
/// the bar shows.
fn many_diagnostics() -> AppState {
    let xml = DEMO
        .replace(
            "  <cpu>\n",
            "  <cpu mode='custom'>\n    <model>Haswell</model>\n",
        )
        .replace(
            "    <qemu:option name='strange-option' value='1234'/>\n",
            "    <qemu:option name='strange-option' value='1234'/>\n    <qemu:option name='odd-option' value='1'/>\n    <qemu:option name='weird-option' value='2'/>\n",
        );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.xml");
    std::fs::write(&path, xml).unwrap();
    open(&path)
}

/// At the smallest size, every key of the panes' table that has a hint shows it in the bar
/// (two rows when one does not hold them).
#[test]
fn every_pane_hint_shows_at_80x24() {
    let mut m = demo();
    for focus in ["", "<tab>"] {
        keys(&mut m, focus);
        let text = screen(&m, 80, 24);
        for h in super::keymap::hints(&m) {
            let shown = format!("{} {}", h.key, h.label);
            assert!(text.contains(&shown), "{shown:?} missing:\n{text}");
        }
    }
    assert!(screen(&m, 80, 24).contains("e option"));
}

/// The help at 80×24: rows wrap to the window, and what does not fit scrolls into view;
/// every row's words are reachable.
#[test]
fn every_help_row_is_reachable_at_80x24() {
    let mut m = demo();
    super::app::update(&mut m, super::app::Action::Resized(80, 24));
    keys(&mut m, "?");
    let first = screen(&m, 80, 24);
    // Scrolling is offered exactly when some rows are out of sight.
    assert_eq!(
        first.contains("more below"),
        first.contains("PgDn scroll · any other key closes"),
        "{first}"
    );
    let mut seen = first.clone();
    for _ in 0..30 {
        keys(&mut m, "j");
        seen.push_str(&screen(&m, 80, 24));
    }
    assert!(
        matches!(m.overlay, Some(Overlay::Help(_))),
        "j scrolls, not closes"
    );
    let last = screen(&m, 80, 24);
    assert!(!last.contains("more below"), "{last}");
    assert!(last.contains("any other key closes"), "{last}");
    // Every word of every row shows in some screen (rows wrap, so compare word by word).
    for (k, what) in super::keymap::help_rows() {
        assert!(seen.contains(&format!(" {k} ")), "{k}");
        for w in what.split_whitespace() {
            assert!(seen.contains(w), "{k}: {w:?} never shown");
        }
    }
    keys(&mut m, "<pgup><home>");
    assert_eq!(screen(&m, 80, 24), first);
    keys(&mut m, "x");
    assert!(m.overlay.is_none(), "any other key closes");
    assert_eq!(m.source(), DEMO, "and does nothing else");
}

/// More diagnostics than the bar shows: `c` lists them all, scrollable, with their fix keys;
/// a digit there applies a fix. The advice names the TUI's keys, not the CLI's flags.
#[test]
fn c_lists_every_diagnostic_with_tui_advice() {
    let mut m = many_diagnostics();
    super::app::update(&mut m, super::app::Action::Resized(80, 24));
    let n = m.report.diagnostics.len();
    assert!(n > 4, "{n}");
    let bar = screen(&m, 80, 24);
    assert!(bar.contains("more (c lists them all)"), "{bar}");
    assert!(!bar.contains("virt-cpu check FILE"), "{bar}");
    keys(&mut m, "c");
    assert!(matches!(m.overlay, Some(Overlay::Diagnostics(_))));
    let first = screen(&m, 80, 24);
    assert!(first.contains("more below"), "{first}");
    assert!(
        first.contains("PgDn scroll · 1-9 fix · Tab Enter a way out"),
        "{first}"
    );
    let mut seen = String::new();
    for _ in 0..40 {
        seen.push_str(&screen(&m, 80, 24));
        keys(&mut m, "j");
    }
    for d in &m.report.diagnostics {
        assert!(seen.contains(d.code), "{} never shown:\n{seen}", d.code);
    }
    let joined: String = seen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        joined.contains("`x` moves them to the other element"),
        "{joined}"
    );
    assert!(!joined.contains("--move-to"), "{joined}");
    assert!(!joined.contains("virt-cpu convert"), "{joined}");
    assert!(joined.contains("[1] fix → Icelake-Server-v4"), "{joined}");
    // The CLI keeps its words.
    let cli: Vec<&str> = m
        .report
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert!(cli.iter().any(|t| t.contains("--move-to qemu")), "{cli:?}");
    // A digit applies that fix, the list stays open and follows.
    keys(&mut m, "<home>1");
    assert!(m.source().contains("Icelake-Server-v4"));
    assert!(matches!(m.overlay, Some(Overlay::Diagnostics(_))));
    assert!(!screen(&m, 80, 24).contains("unknown-model"));
    keys(&mut m, "<esc>");
    assert!(m.overlay.is_none());
}

/// Feeds terminal key events as the event loop does: Alt+key split back into Esc and the key.
fn events(m: &mut AppState, events: &[crossterm::event::KeyEvent]) {
    for &e in events {
        for k in super::split_alt(e) {
            if let Some(a) = super::keymap::key(m, k) {
                let effects = super::app::update(m, a);
                assert!(effects.is_empty(), "{effects:?}");
            }
        }
    }
}

/// Esc then Tab then `m` typed fast in the picker's filter: the terminal may deliver Esc+Tab
/// (or Esc+m) as one Alt+key. Esc closes the picker, Tab switches the pane and `m` opens the
/// picker there — nothing is typed into a filter that is gone.
#[test]
fn esc_then_a_key_read_as_alt_is_two_keys() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let alt = |code| KeyEvent::new(code, KeyModifiers::ALT);
    let mut m = demo();
    keys(&mut m, "m");
    events(
        &mut m,
        &[alt(KeyCode::Tab), KeyEvent::from(KeyCode::Char('m'))],
    );
    assert_eq!(m.focus, Pane::Qemu);
    match &m.overlay {
        Some(Overlay::Picker(p)) => {
            assert_eq!(p.pane, Pane::Qemu);
            assert_eq!(p.query, "");
        }
        other => panic!("{other:?}"),
    }
    // Esc+m in one read: the picker closes, then `m` opens it again, its filter empty.
    keys(&mut m, "sky");
    events(&mut m, &[alt(KeyCode::Char('m'))]);
    match &m.overlay {
        Some(Overlay::Picker(p)) => assert_eq!(p.query, ""),
        other => panic!("{other:?}"),
    }
    // Esc Esc: both act (the second on the panes, where it does nothing).
    events(&mut m, &[alt(KeyCode::Esc)]);
    assert!(m.overlay.is_none());
    assert_eq!(m.source(), DEMO);
}

/// A document from standard input offers `NAME.xml` after its `<name>`; a name that is no
/// plain file name falls back to `domain.xml`.
#[test]
fn save_as_offers_the_domains_name() {
    let doc = |xml: &str| crate::xml::Document::parse(xml.as_bytes()).unwrap();
    assert_eq!(super::save_as_name(&doc(DEMO)), "icelake-240.xml");
    for bad in ["../x", ".hidden", "-rf", "a\u{202e}b", ""] {
        let xml = DEMO.replace("<name>icelake-240</name>", &format!("<name>{bad}</name>"));
        assert_eq!(super::save_as_name(&doc(&xml)), "domain.xml", "{bad:?}");
    }
    let xml = DEMO.replace("  <name>icelake-240</name>\n", "");
    assert_eq!(super::save_as_name(&doc(&xml)), "domain.xml");
}

/// A file not writable for us says `[read-only]` in the title from the start.
#[test]
fn a_read_only_file_is_marked_at_load() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, path) = example("icelake-240.xml");
    assert!(!open(&path).read_only);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let mut m = open(&path);
    assert!(m.read_only);
    assert!(
        screen(&m, 100, 30)
            .lines()
            .next()
            .unwrap()
            .contains("[read-only]")
    );
    keys(&mut m, "1");
    let title = screen(&m, 100, 30).lines().next().unwrap().to_string();
    assert!(title.contains("[read-only] [modified]"), "{title}");
}

/// The demo's title keeps its file name at 80 columns, modified or not: the save hint goes
/// first, as a domain's title drops its hint before its name.
#[test]
fn the_demo_title_keeps_the_file_name_at_80_columns() {
    let mut m = demo();
    let title = |m: &AppState| screen(m, 80, 24).lines().next().unwrap().to_string();
    let fresh = title(&m);
    assert!(
        fresh.starts_with("\"virt-cpu demo: icelake-240.xml "),
        "{fresh}"
    );
    keys(&mut m, "1");
    assert!(m.modified);
    let edited = title(&m);
    assert!(
        edited.starts_with("\"virt-cpu demo: icelake-240.xml  [modified]"),
        "{edited}"
    );
    // Where it fits, the hint stays.
    let wide = screen(&m, 120, 30).lines().next().unwrap().to_string();
    assert!(
        wide.contains("demo: icelake-240.xml (w asks where to save)"),
        "{wide}"
    );
}

/// A domain opened on a long URI (as the domain list opens one) keeps its name in the title:
/// the hint and the URI's middle give way first, at 80 and at 100 columns.
#[test]
fn the_title_keeps_the_domains_name_on_a_long_uri() {
    let virsh = FakeVirsh {
        name: "trial-nested-icelake",
        ..FakeVirsh::new(DEMO, false)
    };
    let uri = "qemu+unix:///system?socket=/var/lib/virt-cpu-ci/trixie/run/libvirt/libvirt-sock";
    let opts = Options {
        domain: Some("trial-nested-icelake".into()),
        uri: Some(uri.into()),
        ..Options::default()
    };
    let m = super::load_with(&opts, Catalog::embedded(), &virsh).unwrap();
    // The test backend quotes each row.
    let title = |w: u16| {
        let row = screen(&m, w, 30).lines().next().unwrap().to_string();
        row.trim_matches('"').to_string()
    };
    let narrow = title(80);
    assert!(
        narrow.starts_with("virt-cpu domain trial-nested-icelake "),
        "{narrow}"
    );
    let wide = title(100);
    assert!(
        wide.starts_with("virt-cpu domain trial-nested-icelake (qemu+unix:"),
        "{wide}"
    );
    assert!(wide.contains("…"), "{wide}");
    assert!(wide.contains("-sock)"), "{wide}");
    // Where it fits, the whole line as before.
    assert!(
        title(200).starts_with(&format!(
            "virt-cpu domain trial-nested-icelake ({uri}; w defines it)"
        )),
        "{}",
        title(200)
    );
}

/// For a libvirt domain, a define refused because the definition changed offers to reload it
/// from libvirt (not "from disk"), and the reload says so.
#[test]
fn domain_reload_speaks_of_libvirt() {
    let virsh = FakeVirsh::new(DEMO, false);
    let mut m = domain_model(&virsh);
    *virsh.definition.borrow_mut() = DEMO.replace("8388608", "4194304");
    keys_with(&mut m, "1wyd", &virsh);
    let text = screen(&m, 100, 30);
    assert!(text.contains("r reload from libvirt"), "{text}");
    assert!(!text.contains("from disk"), "{text}");
    keys_with(&mut m, "r", &virsh);
    let status = &m.status.as_ref().unwrap().text;
    assert!(status.contains("Reloaded libvirt's definition"), "{status}");
    assert!(!m.modified);
}

/// A versioned QEMU name typed in the `<cpu>` picker of libvirt 9.0: not "no model matches"
/// but what it is and what `<cpu>` takes instead; Enter changes nothing. libvirt 11.3's
/// `<cpu>` takes versioned names, so there the picker has it and Enter sets it.
#[test]
fn cpu_picker_explains_a_versioned_qemu_name() {
    let mut m = demo();
    keys(&mut m, "mSkylake-Client-v4");
    let text = screen(&m, 120, 30);
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(!joined.contains("no model matches"), "{text}");
    assert!(
        joined.contains("`Skylake-Client-v4` is a QEMU (`<qemu:cpu>`) name"),
        "{text}"
    );
    assert!(joined.contains("`Skylake-Client`"), "{text}");
    assert!(joined.contains("libvirt 10.10 and later"), "{text}");
    keys(&mut m, "<ret>");
    assert_eq!(m.source(), DEMO);
    let status = &m.status.as_ref().unwrap().text;
    assert!(status.contains("is a QEMU (`<qemu:cpu>`) name"), "{status}");
    // A version that is a libvirt model under another name.
    keys(&mut m, "<C-u>Skylake-Client-v2");
    let text = screen(&m, 120, 30);
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        joined.contains("takes the same model as `Skylake-Client-IBRS`"),
        "{text}"
    );

    let catalog = Catalog::embedded_pair(&crate::catalog::versions::EMBEDDED[1]);
    assert_eq!(catalog.libvirt.release().line(), "11.3");
    let mut m = load(&Options::default(), catalog).unwrap();
    keys(&mut m, "mSkylake-Client-v4<ret>");
    assert!(
        m.source().contains("<model>Skylake-Client-v4</model>")
            || m.source().contains(">Skylake-Client-v4<"),
        "{}",
        m.source()
    );
}

/// host-model without `-c`: the local libvirt is asked (qemu:///system); its answer gives the
/// `-cpu`, and without one the view says how to give the host — never "libvirt refuses".
#[test]
fn host_model_without_c_asks_the_local_libvirt() {
    let (_dir, path) = example("host-model.xml");
    let shared = std::env::var_os("VIRT_CPU_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let caps = shared.join("reference/domcapabilities/qemu_8.0.0-q35.x86_64.xml");
    let opts = Options {
        file: Some(path.clone()),
        ..Options::default()
    };

    let mut m = open(&path);
    assert!(super::wants_local_host(&opts, &m));
    assert!(m.report.arg.value.is_none());
    let local = LocalVirsh {
        domcaps: Some(std::fs::read_to_string(&caps).unwrap()),
        calls: Vec::new().into(),
    };
    super::ask_local_host(&mut m, &local);
    assert_eq!(
        local.calls.borrow()[0][..3],
        ["-c", "qemu:///system", "domcapabilities"]
    );
    assert!(!m.report.needs_host());
    assert!(m.report.arg.value.is_some(), "{:?}", m.report.diagnostics);
    let text = screen(&m, 100, 30);
    assert!(text.contains("local libvirt's (qemu:///system)"), "{text}");
    assert!(!text.contains("libvirt refuses"), "{text}");

    let mut m = open(&path);
    let none = LocalVirsh {
        domcaps: None,
        calls: Vec::new().into(),
    };
    super::ask_local_host(&mut m, &none);
    let text = screen(&m, 100, 30);
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(joined.contains("-c URI or --host-caps FILE"), "{text}");
    assert!(!joined.contains("libvirt refuses"), "{text}");

    // With -c or --host-caps given, nothing more is asked.
    let given = Options {
        uri: Some("qemu:///system".into()),
        ..Options::default()
    };
    assert!(!super::wants_local_host(&given, &m));
    assert!(!super::wants_local_host(&opts, &demo()));
}

/// A stand-in for a local libvirt answering `domcapabilities` with a saved file (or failing).
struct LocalVirsh {
    domcaps: Option<String>,
    calls: std::cell::RefCell<Vec<Vec<String>>>,
}

impl crate::host::Runner for LocalVirsh {
    fn run(
        &self,
        program: &str,
        args: &[&str],
        _stdin: &[u8],
    ) -> Result<crate::host::Output, crate::host::HostError> {
        assert_eq!(program, "virsh");
        self.calls
            .borrow_mut()
            .push(args.iter().map(|a| a.to_string()).collect());
        let answer = self
            .domcaps
            .clone()
            .filter(|_| args.contains(&"domcapabilities"));
        Ok(match answer {
            Some(stdout) => crate::host::Output {
                status: Some(0),
                stdout,
                stderr: String::new(),
            },
            None => crate::host::Output {
                status: Some(1),
                stdout: String::new(),
                stderr: "error: failed to connect to the hypervisor".into(),
            },
        })
    }
}

/// `h`: the Hyper-V enlightenments; Space turns the selected one on (relaxed, first) and the
/// `-cpu` follows; `W` applies the Windows preset (no host: all assumed, said); `O` removes
/// `<hyperv>`; `u` undoes each.
#[test]
fn hyperv_dialog_toggles_applies_presets_and_the_cpu_follows() {
    let (_dir, path) = example("custom-features.xml");
    let mut m = open(&path);
    assert!(!m.source().contains("<hyperv"));
    keys(&mut m, "h");
    assert!(
        matches!(m.overlay, Some(Overlay::Hyperv(_))),
        "{:?}",
        m.overlay
    );
    let shown = screen(&m, 120, 30);
    assert!(
        shown.contains("relaxed") && shown.contains("host support unknown"),
        "{shown}"
    );
    keys(&mut m, " ");
    assert!(
        m.source().contains("<relaxed state='on'/>"),
        "{}",
        m.source()
    );
    assert!(cpu_value(&m).contains("hv-relaxed=on"), "{}", cpu_value(&m));
    keys(&mut m, "W");
    assert!(
        m.source()
            .contains("<spinlocks state='on' retries='8191'/>"),
        "{}",
        m.source()
    );
    keys(&mut m, "O");
    assert!(!m.source().contains("<hyperv"), "{}", m.source());
    keys(&mut m, "<esc>uuu");
    assert!(!m.source().contains("<hyperv"), "{}", m.source());
}

/// `n` in the <qemu:cpu> pane of a domain passing its -cpu by <qemu:commandline>: the option
/// goes into that -cpu (the preview follows), the status says what was done, and one `u`
/// restores the bytes; the wrong vendor's `+svm` goes in the same step.
#[test]
fn n_toggles_nested_in_the_qemu_pane() {
    let xml = "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>n</name>
  <qemu:commandline>
    <qemu:arg value='-cpu'/>
    <qemu:arg value='Skylake-Client,+svm,pcid=on'/>
  </qemu:commandline>
</domain>
";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.xml");
    std::fs::write(&path, xml).unwrap();
    let mut m = open(&path);
    assert!(
        m.report
            .diagnostics
            .iter()
            .any(|d| d.code == "nested-wrong-vendor")
    );
    keys(&mut m, "<tab>n");
    assert_eq!(cpu_value(&m), "Skylake-Client,pcid=on,vmx=on");
    let status = m.status.as_ref().unwrap();
    assert!(
        status
            .text
            .starts_with("nested on (vmx); host not known (give -c URI or --host-caps FILE"),
        "{}",
        status.text
    );
    assert!(
        !m.report
            .diagnostics
            .iter()
            .any(|d| d.code == "nested-wrong-vendor")
    );
    keys(&mut m, "n");
    assert_eq!(cpu_value(&m), "Skylake-Client,pcid=on,vmx=off");
    keys(&mut m, "uu");
    assert_eq!(m.source(), xml);
}

/// `n` with the focus on a model-less <cpu> next to a <qemu:cpu> that gives the -cpu: the
/// option goes into <qemu:cpu> (as `set --nested` does), the focus follows it, and <cpu> gets
/// no feature (libvirt would refuse it without a model, or see the CPU defined twice); no
/// word about the generic model libvirt would fill into that <cpu>.
#[test]
fn n_on_cpu_acts_where_the_qemu_cpu_gives_the_cpu_option() {
    let xml = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples/icelake-240.xml"),
    )
    .unwrap()
    .replace("Icelake-Server-V4", "Icelake-Server-v4");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ice.xml");
    std::fs::write(&path, &xml).unwrap();
    let mut m = open(&path);
    assert_eq!(m.focus, Pane::Cpu);
    keys(&mut m, "n");
    let status = m.status.as_ref().unwrap();
    assert!(
        status
            .text
            .starts_with("In <qemu:cpu> (it gives the -cpu): nested on (vmx)"),
        "{}",
        status.text
    );
    assert!(!status.text.contains("qemu64"), "{}", status.text);
    assert_eq!(m.focus, Pane::Qemu);
    assert!(
        m.source().contains("<qemu:option name='vmx' value='on'/>"),
        "{}",
        m.source()
    );
    let cpu = &m.source()[m.source().find("<cpu>").unwrap()..m.source().find("</cpu>").unwrap()];
    assert!(!cpu.contains("vmx"), "{cpu}");
    keys(&mut m, "u");
    assert_eq!(m.source(), xml);
}

/// `n` on host-passthrough with no host given: the host's vmx or svm passes through whichever
/// the vendor is, so on removes a `disable` without asking for the vendor.
#[test]
fn n_on_host_passthrough_needs_no_vendor() {
    let xml = "<domain type='kvm'>
  <name>n</name>
  <cpu mode='host-passthrough'>
    <feature policy='disable' name='vmx'/>
  </cpu>
</domain>
";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hp.xml");
    std::fs::write(&path, xml).unwrap();
    let mut m = open(&path);
    keys(&mut m, "n");
    let status = m.status.as_ref().unwrap();
    assert!(
        status.text.starts_with(
            "nested on: host-passthrough passes the host's vmx or svm through already"
        ),
        "{}",
        status.text
    );
    assert_eq!(
        m.source(),
        "<domain type='kvm'>\n  <name>n</name>\n  <cpu mode='host-passthrough'>\n  </cpu>\n</domain>\n"
    );
    keys(&mut m, "u");
    assert_eq!(m.source(), xml);
}

/// `p`: mode and bits chosen, the element and `-cpu` shown live, QEMU's range and the host's
/// width refused before writing, Enter writes one edit that `u` undoes whole.
#[test]
fn physaddr_dialog_previews_refuses_and_writes_one_step() {
    let (_dir, path) = example("custom-features.xml");
    let mut m = open(&path);
    let original = m.source().to_string();
    keys(&mut m, "p<down><down>46");
    let shown = screen(&m, 100, 30);
    assert!(
        shown.contains("writes <maxphysaddr mode='emulate' bits='46'/>"),
        "{shown}"
    );
    assert!(shown.contains("  phys-bits=46"), "{shown}");
    assert!(shown.contains("host: none given"), "{shown}");
    // The temporary directory's name (always as long) is the one thing that changes.
    let dir = path.parent().unwrap().display().to_string();
    let stable = shown.replace(&dir, &"/tmp/.tmpXXXXXX"[..dir.len().min(15)]);
    insta::assert_snapshot!("physaddr_dialog", stable);
    keys(&mut m, "4");
    assert!(
        screen(&m, 100, 30).contains("phys-bits should be between 32 and 52  (but is 464)"),
        "{}",
        screen(&m, 100, 30)
    );
    keys(&mut m, "<ret>");
    assert!(
        matches!(m.overlay, Some(Overlay::PhysAddr(_))),
        "refused: stays open"
    );
    assert_eq!(m.source(), original);
    keys(&mut m, "<bs><ret>");
    assert!(m.overlay.is_none());
    assert_eq!(
        m.source(),
        original.replace(
            "threads='1'/>\n",
            "threads='1'/>\n    <maxphysaddr mode='emulate' bits='46'/>\n"
        )
    );
    assert!(
        cpu_value(&m).ends_with(",phys-bits=46"),
        "{}",
        cpu_value(&m)
    );
    let shown = screen(&m, 100, 30);
    assert!(shown.contains("physaddr  emulate · 46 bits"), "{shown}");
    // Reopened, it shows the document's value; "none" removes it.
    keys(&mut m, "p<up><up><ret>");
    assert_eq!(m.source(), original);
    keys(&mut m, "u");
    assert!(m.source().contains("bits='46'"));
    keys(&mut m, "u");
    assert_eq!(m.source(), original, "one undo step each");
}

/// With a host whose width is known, more bits than it has are libvirt's refusal, shown
/// before writing.
#[test]
fn physaddr_dialog_refuses_more_bits_than_the_host_has() {
    let mut host = crate::host::DomCaps {
        source: "test host".into(),
        domain: "kvm".into(),
        arch: "x86_64".into(),
        ..Default::default()
    };
    host.phys_bits = Some(crate::host::PhysBits {
        bits: 40,
        from: crate::host::PhysBitsSource::Capabilities,
    });
    let mut m = load(
        &Options {
            host: Some(host),
            ..Options::default()
        },
        Catalog::embedded(),
    )
    .unwrap();
    let original = m.source().to_string();
    keys(&mut m, "p<down><down>41");
    let shown = screen(&m, 100, 30);
    assert!(shown.contains("host: 40 physical address bits"), "{shown}");
    assert!(shown.contains("phys-bits-above-host"), "{shown}");
    keys(&mut m, "<ret>");
    assert_eq!(m.source(), original, "refused");
    keys(&mut m, "<bs>0<ret>");
    assert!(
        m.source()
            .contains("<maxphysaddr mode='emulate' bits='40'/>")
    );
    let shown = screen(&m, 100, 30);
    assert!(
        shown.contains("physaddr  emulate · 40 bits (host 40)"),
        "{shown}"
    );
}

/// The text inside the bordered window titled `title` on a drawn screen, one string per row.
fn window_rows(shown: &str, title: &str) -> Vec<String> {
    let rows: Vec<Vec<char>> = shown
        .lines()
        .map(|l| l.trim_matches('"').chars().collect())
        .collect();
    let pattern: Vec<char> = format!("┌{title}").chars().collect();
    let (top, left) = rows
        .iter()
        .enumerate()
        .find_map(|(y, r)| {
            (0..r.len())
                .find(|&x| r[x..].starts_with(&pattern))
                .map(|x| (y, x))
        })
        .unwrap_or_else(|| panic!("no window {title}:\n{shown}"));
    let right = (left + 1..rows[top].len())
        .find(|&x| rows[top][x] == '┐')
        .unwrap();
    rows[top + 1..]
        .iter()
        .take_while(|r| r[left] != '└')
        .map(|r| r[left + 1..right].iter().collect())
        .collect()
}

/// Words of `text` with runs of blanks made one (wrapping changes only the blanks).
fn words_of(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A refusal in the status line keeps its instruction: at 100 columns the nested refusal shows
/// whole (the status takes up to three rows), at 80 its action still shows (it comes first).
#[test]
fn a_status_refusal_keeps_its_instruction() {
    // host-passthrough gives the host's vmx or svm: turning it off needs the host's vendor.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hp.xml");
    std::fs::write(
        &path,
        "<domain type='kvm'>\n  <name>hp</name>\n  <cpu mode='host-passthrough'/>\n</domain>\n",
    )
    .unwrap();
    let mut m = open(&path);
    keys(&mut m, "n");
    let status = m.status.as_ref().unwrap().text.clone();
    assert!(
        status.starts_with("Nested: give the host (-c URI"),
        "{status}"
    );
    let text = |w, h| {
        let shown = screen(&m, w, h);
        words_of(
            &shown
                .lines()
                .map(|l| l.trim_matches('"'))
                .collect::<Vec<_>>()
                .join(" "),
        )
    };
    assert!(
        text(100, 30).contains(&words_of(&status)),
        "{}",
        text(100, 30)
    );
    assert!(
        text(80, 24).contains("Nested: give the host (-c URI, or --host-caps FILE"),
        "{}",
        text(80, 24)
    );
}

/// `p` refused on Enter says so in the window, the whole refusal readable and the key hints
/// kept, at every screen size; the `-cpu` it shows wraps between options, never inside one.
#[test]
fn physaddr_dialog_says_a_refusal_whole_and_wraps_between_options() {
    let (_dir, path) = example("windows-hyperv.xml");
    let mut host = crate::host::DomCaps {
        source: "test host".into(),
        domain: "kvm".into(),
        arch: "x86_64".into(),
        ..Default::default()
    };
    host.phys_bits = Some(crate::host::PhysBits {
        bits: 48,
        from: crate::host::PhysBitsSource::Capabilities,
    });
    let opts = Options {
        file: Some(path.clone()),
        host: Some(host),
        ..Options::default()
    };
    // Over the host's width, and a limit libvirt 9.0 does not know.
    for typed in ["<down><down>52", "<down>40"] {
        let mut m = load(&opts, Catalog::embedded()).unwrap();
        let original = m.source().to_string();
        keys(&mut m, &format!("p{typed}<ret>"));
        assert_eq!(m.source(), original, "{typed}: refused");
        let Some(Overlay::PhysAddr(d)) = &m.overlay else {
            panic!("{typed}: the window stays open")
        };
        let problem = d.preview.problem.clone().unwrap();
        for (w, h) in [(80, 24), (100, 30), (120, 45)] {
            let shown = screen(&m, w, h);
            let rows = window_rows(&shown, " physical address bits ");
            let text = words_of(&rows.join(" "));
            assert!(
                text.contains("Enter refused, nothing written"),
                "{w}x{h}:\n{shown}"
            );
            assert!(
                text.contains(&words_of(&problem)),
                "{w}x{h}: {problem}\n{shown}"
            );
            assert!(
                rows.last().unwrap().contains("Enter write  Esc cancel"),
                "{w}x{h}:\n{shown}"
            );
        }
        // Any change takes the refusal back until the next Enter.
        keys(&mut m, "<bs>");
        let text =
            words_of(&window_rows(&screen(&m, 100, 30), " physical address bits ").join(" "));
        assert!(!text.contains("Enter refused"), "{text}");
    }
    // passthrough: a long -cpu, each option whole on a row.
    let mut m = load(&opts, Catalog::embedded()).unwrap();
    keys(&mut m, "p<down>");
    let Some(Overlay::PhysAddr(d)) = &m.overlay else {
        panic!("open")
    };
    let value = d.preview.value.clone().unwrap();
    assert!(value.len() > 120, "{value}");
    for (w, h) in [(80, 24), (100, 30), (120, 45)] {
        let rows = window_rows(&screen(&m, w, h), " physical address bits ");
        for option in value.split(',') {
            assert!(
                rows.iter().any(|r| r.contains(option)),
                "{w}x{h}: {option} cut:\n{}",
                rows.join("\n")
            );
        }
    }
}

/// The diagnostics window after `p` and QEMU's refusal: explain's reading for this domain, its
/// first fix chosen.
#[test]
fn snapshot_diagnostics_pasted_error() {
    let mut m = demo();
    keys(
        &mut m,
        "cpqemu-system-x86_64: warning: host doesn't support requested feature: CPUID.07H:EBX.mpx [bit 14]<ret>",
    );
    insta::assert_snapshot!(render(&m, 100, 30).backend());
}

/// A custom `<cpu>` that asks for what the recorded host (QEMU 8.0 q35, an EPYC-Rome) lacks,
/// opened with that host (`--host-caps`).
fn lacking_on_reference_host() -> (tempfile::TempDir, AppState) {
    let shared = std::env::var_os("VIRT_CPU_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let caps = shared.join("reference/domcapabilities/qemu_8.0.0-q35.x86_64.xml");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lacks.xml");
    std::fs::write(&path, LACKS).unwrap();
    let m = load(
        &Options {
            file: Some(path),
            host: Some(crate::host::DomCaps::read(&caps).unwrap()),
            ..Options::default()
        },
        Catalog::embedded(),
    )
    .unwrap();
    (dir, m)
}

const LACKS: &str = "<domain type='kvm'>
  <name>lacks</name>
  <memory unit='KiB'>1048576</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <cpu mode='custom' match='exact'>
    <model fallback='forbid'>Skylake-Client</model>
    <feature policy='require' name='avx512f'/>
  </cpu>
</domain>
";

/// `c`: a fix that lists many features (`avx512vl=off,…`) wraps between them, never inside
/// one, the fix text and the `-cpu` it gives alike.
#[test]
fn c_wraps_feature_lists_between_features() {
    let (_dir, lacking) = lacking_on_reference_host();
    // The demo's model in <qemu:cpu>: its fix turns the features off as `-cpu` options.
    let (_d2, path) = example("icelake-240.xml");
    let xml = std::fs::read_to_string(&path)
        .unwrap()
        .replace("Icelake-Server-V4", "Icelake-Server-v4");
    std::fs::write(&path, &xml).unwrap();
    let mut m = load(
        &Options {
            file: Some(path),
            host: lacking.caps.domcaps.clone(),
            ..Options::default()
        },
        Catalog::embedded(),
    )
    .unwrap();
    let offered = explains_fixes(&m);
    let list = offered
        .iter()
        .find(|f| f.matches(',').count() > 10)
        .unwrap_or_else(|| panic!("no long list: {offered:?}"))
        .clone();
    super::app::update(&mut m, super::app::Action::Resized(100, 45));
    keys(&mut m, "c<tab>");
    let shown = screen(&m, 100, 45);
    let rows = window_rows(&shown, " diagnostics");
    let preview = rows
        .iter()
        .position(|r| r.contains("→ -cpu "))
        .unwrap_or_else(|| panic!("no preview:\n{shown}"));
    let value = words_of(&rows[preview..].join(" "));
    let value = value
        .split("→ -cpu ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    let items = list
        .split([' ', ','])
        .chain(value.split(','))
        .filter(|i| i.len() > 1);
    for item in items {
        assert!(
            rows.iter().any(|r| r.split([' ', ',']).any(|w| w == item)),
            "{item} cut:\n{shown}"
        );
    }
}

/// The fixes the diagnostics window offers (those with edits), as `check::explain` gives them
/// for the domain's own diagnostics.
fn explains_fixes(m: &AppState) -> Vec<String> {
    crate::check::explain::diagnosed(
        &m.report.diagnostics,
        &m.state.dom,
        m.catalog,
        m.caps.domcaps.as_ref(),
    )
    .into_iter()
    .flat_map(|(_, e)| e.fixes)
    .filter(|f| !f.edits.is_empty())
    .map(|f| f.text)
    .collect()
}

/// `c` on a domain the host cannot run: under each problem, explain's fixes (turn the features
/// off, a named model the host runs, host-model); `Tab` chooses one, `Enter` applies it — a fix
/// of several edits is one undo step — and the `-cpu` follows.
#[test]
fn c_offers_explains_fixes_and_enter_applies_one() {
    let (_dir, mut m) = lacking_on_reference_host();
    super::app::update(&mut m, super::app::Action::Resized(120, 40));
    let offered = explains_fixes(&m);
    assert!(offered.len() >= 3, "{offered:?}");
    keys(&mut m, "c");
    let shown = screen(&m, 120, 40);
    let joined = shown.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(joined.contains("○ disable them in <cpu>:"), "{shown}");
    assert!(
        joined.contains("the richest model this host runs"),
        "{shown}"
    );
    assert!(joined.contains("○ use host-model"), "{shown}");
    assert!(!shown.contains('▸'), "nothing chosen before Tab:\n{shown}");
    // Enter with nothing chosen closes, as it always did.
    keys(&mut m, "<ret>");
    assert!(m.overlay.is_none());
    assert_eq!(m.source(), LACKS);

    // A chosen fix scrolled out of the window is no longer chosen: Enter then closes.
    keys(&mut m, "c<tab>");
    super::app::update(&mut m, super::app::Action::Resized(80, 24));
    keys(&mut m, "<end><ret>");
    assert!(m.overlay.is_none());
    assert_eq!(m.source(), LACKS);
    super::app::update(&mut m, super::app::Action::Resized(120, 40));

    // The first fix: libvirt's refusal lists several features, all disabled in one step.
    keys(&mut m, "c<tab>");
    let chosen = screen(&m, 120, 40);
    assert!(chosen.contains("▸ disable them in <cpu>:"), "{chosen}");
    // Under the chosen fix, the -cpu it gives.
    let previewed = chosen
        .lines()
        .find_map(|l| l.split("→ -cpu ").nth(1))
        .map(|v| v.split_whitespace().next().unwrap().to_string())
        .unwrap_or_else(|| panic!("no preview:\n{chosen}"));
    keys(&mut m, "<ret>");
    assert_eq!(cpu_value(&m), previewed);
    assert!(
        matches!(m.overlay, Some(Overlay::Diagnostics(_))),
        "stays open"
    );
    let disabled = m.source().matches("policy='disable'").count();
    assert!(disabled > 1, "{}", m.source());
    assert!(
        cpu_value(&m).contains("avx512f=off"),
        "the -cpu follows: {}",
        cpu_value(&m)
    );
    keys(&mut m, "<esc>u");
    assert_eq!(m.source(), LACKS, "one undo step takes the whole fix back");

    // The named model: Tab to it, Enter.
    let model_fix = offered
        .iter()
        .position(|t| t.contains("the richest model this host runs"))
        .unwrap();
    // libvirt's refusal names avx512f, which the domain requires itself: off with the model.
    assert!(
        offered[model_fix].ends_with("and turn off avx512f, which the domain asks for itself"),
        "{offered:?}"
    );
    let model = offered[model_fix]
        .strip_prefix("use ")
        .and_then(|t| t.split(',').next())
        .unwrap()
        .to_string();
    keys(&mut m, &format!("c{}<ret>", "<tab>".repeat(model_fix + 1)));
    assert!(
        m.source().contains(&format!(">{model}</model>")),
        "{model}: {}",
        m.source()
    );
    assert!(
        m.source()
            .contains("<feature policy='disable' name='avx512f'/>")
    );
    assert!(cpu_value(&m).starts_with(&model), "{}", cpu_value(&m));
    let codes: Vec<&str> = m.report.diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.is_empty(), "{codes:?}");
    keys(&mut m, "<esc>u");
    assert_eq!(m.source(), LACKS);

    // host-model.
    let host_model = offered
        .iter()
        .position(|t| t.starts_with("use host-model"))
        .unwrap();
    keys(&mut m, &format!("c{}<ret>", "<tab>".repeat(host_model + 1)));
    assert!(m.source().contains("mode='host-model'"), "{}", m.source());
    keys(&mut m, "<esc>u");
    assert_eq!(m.source(), LACKS);
}

/// `p` in the diagnostics window: an error message typed or pasted there is read by explain
/// for this domain; its first fix is chosen, `Enter` applies it. A paste into the window opens
/// the field with the pasted text (line breaks and all).
#[test]
fn p_explains_a_pasted_error_and_applies_its_fix() {
    let (_dir, mut m) = lacking_on_reference_host();
    super::app::update(&mut m, super::app::Action::Resized(120, 40));
    keys(&mut m, "cp");
    let field = screen(&m, 120, 40);
    assert!(field.contains("error (Enter explains, Esc): █"), "{field}");
    // Letters go to the field, not to the window's keys (q would close it).
    keys(
        &mut m,
        "qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.07H:EBX.mpx [bit 14]",
    );
    assert!(matches!(m.overlay, Some(Overlay::Diagnostics(_))));
    keys(&mut m, "<ret>");
    let read = screen(&m, 120, 40);
    let joined = read.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(joined.contains("the pasted error:"), "{read}");
    assert!(joined.contains("the host CPU lacks mpx"), "{read}");
    assert!(
        joined.contains("○ disable them in <cpu>: <feature policy='disable' name='mpx'/>"),
        "{read}"
    );
    keys(&mut m, "<tab><ret>");
    assert!(
        m.source()
            .contains("<feature policy='disable' name='mpx'/>"),
        "{}",
        m.source()
    );
    keys(&mut m, "<esc>u");
    assert_eq!(m.source(), LACKS);

    // A paste (bracketed) into the window: two lines, both read.
    keys(&mut m, "c");
    let log = "qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.07H:EBX.hle [bit 4]\rqemu-system-x86_64: warning: host doesn't support requested feature: CPUID.07H:EBX.rtm [bit 11]\n";
    super::app::update(&mut m, super::app::Action::Paste(log.into()));
    assert!(screen(&m, 120, 40).contains("⏎"));
    keys(&mut m, "<ret>");
    let read = screen(&m, 120, 40);
    assert!(read.contains("the host CPU lacks hle, rtm"), "{read}");
    // Text explain does not read says so; Esc in the field drops it.
    keys(&mut m, "pall is well<ret>");
    assert!(screen(&m, 120, 40).contains("no CPU error recognised"));
    keys(&mut m, "p<esc>");
    assert!(!screen(&m, 120, 40).contains("pasted error"));
    assert!(matches!(m.overlay, Some(Overlay::Diagnostics(_))));
}

/// A paste outside the diagnostics window is the keys it always was (before the terminal marked
/// pastes): its characters, a line break (CR, LF or both) as one Enter.
#[test]
fn a_paste_elsewhere_is_its_keys() {
    use crossterm::event::{KeyCode, KeyEvent};
    let keys = super::pasted_keys("ab\r\nc\nd\r");
    let expected: Vec<KeyEvent> = [
        KeyCode::Char('a'),
        KeyCode::Char('b'),
        KeyCode::Enter,
        KeyCode::Char('c'),
        KeyCode::Enter,
        KeyCode::Char('d'),
        KeyCode::Enter,
    ]
    .into_iter()
    .map(KeyEvent::from)
    .collect();
    assert_eq!(keys, expected);
}

/// `h` lists the switches nested in an enlightenment that the followed libvirt knows
/// (stimer.direct under 9.0; tlbflush's direct and extended too under 11.3); Space on a nested
/// one turns its parent on too and says so; one `u` undoes both.
#[test]
fn hyperv_dialog_lists_and_toggles_nested_switches() {
    let (_dir, path) = example("custom-features.xml");
    let mut m = open(&path);
    assert_eq!(m.catalog.libvirt.release().line(), "9.0");
    let before = m.source().to_string();
    keys(&mut m, "h");
    let shown = screen(&m, 120, 30);
    assert!(shown.contains("stimer.direct     off"), "{shown}");
    assert!(!shown.contains("tlbflush.direct"), "{shown}");
    // relaxed, vapic, spinlocks, vpindex, runtime, synic, stimer, stimer.direct
    keys(&mut m, "jjjjjjj ");
    assert!(
        m.source()
            .contains("<stimer state='on'>\n        <direct state='on'/>\n      </stimer>"),
        "{}",
        m.source()
    );
    let status = &m.status.as_ref().unwrap().text;
    assert!(
        status.starts_with("Hyper-V stimer.direct → on, and stimer → on: stimer.direct needs it"),
        "{status}"
    );
    let shown = screen(&m, 120, 30);
    assert!(shown.contains("stimer.direct     on"), "{shown}");
    assert!(shown.contains("stimer            on"), "{shown}");
    // Parent off: the nested switch is shown set but without effect.
    keys(&mut m, "k ");
    assert!(
        m.source().contains("<stimer state='off'>"),
        "{}",
        m.source()
    );
    assert!(screen(&m, 120, 30).contains("stimer.direct     (on)"));
    keys(&mut m, "<esc>uu");
    assert_eq!(m.source(), before);

    let catalog = Catalog::embedded_pair(&crate::catalog::versions::EMBEDDED[1]);
    assert_eq!(catalog.libvirt.release().line(), "11.3");
    let mut m = load(
        &Options {
            file: Some(path.clone()),
            ..Options::default()
        },
        catalog,
    )
    .unwrap();
    keys(&mut m, "h");
    let shown = screen(&m, 120, 30);
    for row in [
        "tlbflush          off",
        "tlbflush.direct   off",
        "tlbflush.extended off",
    ] {
        assert!(shown.contains(row), "{row}:\n{shown}");
    }
    // … reset, vendor_id, frequencies, reenlightenment, tlbflush, tlbflush.direct, …extended
    keys(&mut m, "jjjjjjjjjjjjjj ");
    assert!(
        m.source()
            .contains("<tlbflush state='on'>\n        <extended state='on'/>\n      </tlbflush>"),
        "{}",
        m.source()
    );
}

/// `W` on a domain with enlightenments of its own keeps them (reset, vendor_id with its value)
/// and the status says what the preset added and kept.
#[test]
fn hyperv_windows_preset_keeps_the_domains_own_and_says_so() {
    let (_dir, path) = example("windows-hyperv.xml");
    let mut m = open(&path);
    keys(&mut m, "hW");
    assert!(m.source().contains("<reset state='on'/>"), "{}", m.source());
    assert!(
        m.source()
            .contains("<vendor_id state='on' value='KVM Hv'/>"),
        "{}",
        m.source()
    );
    assert!(m.source().contains("<avic state='on'/>"), "{}", m.source());
    let status = &m.status.as_ref().unwrap().text;
    assert!(
        status.starts_with(
            "Windows preset: adds vpindex, synic, stimer, stimer.direct, tlbflush, ipi, avic; keeps the domain's reset (on), vendor_id KVM Hv (on); no host Hyper-V support known"
        ),
        "{status}"
    );
}

/// The c window's fixes never name, for a 64-bit guest, a model without long mode: on a host
/// that runs only such models (the nested host where libvirt judges even qemu64 unusable) the
/// model fix says so, with no edit, and the others stay.
#[test]
fn c_never_offers_a_32bit_only_model_to_a_64bit_guest() {
    let shared = std::env::var_os("VIRT_CPU_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let real = shared.join("reference/domcapabilities/qemu_8.0.0-q35.x86_64.xml");
    let dir = tempfile::tempdir().unwrap();
    let only32 = std::fs::read_to_string(&real)
        .unwrap()
        .replace("usable='yes'", "usable='no'")
        .replace(
            "usable='no' vendor='unknown'>pentium3<",
            "usable='yes' vendor='unknown'>pentium3<",
        );
    let caps = dir.path().join("only32.xml");
    std::fs::write(&caps, only32).unwrap();
    let path = dir.path().join("lacks.xml");
    std::fs::write(&path, LACKS).unwrap();
    let m = load(
        &Options {
            file: Some(path),
            host: Some(crate::host::DomCaps::read(&caps).unwrap()),
            ..Options::default()
        },
        Catalog::embedded(),
    )
    .unwrap();
    let offered = explains_fixes(&m);
    assert!(
        offered.iter().all(|f| !f.contains("pentium")),
        "{offered:?}"
    );
    assert!(
        offered.iter().any(|f| f.starts_with("use host-model")),
        "{offered:?}"
    );
    let said: Vec<String> = crate::check::explain::diagnosed(
        &m.report.diagnostics,
        &m.state.dom,
        m.catalog,
        m.caps.domcaps.as_ref(),
    )
    .into_iter()
    .flat_map(|(_, e)| e.fixes)
    .map(|f| f.text)
    .collect();
    assert!(
        said.iter()
            .any(|t| t.starts_with("no 64-bit model is usable on this host")),
        "{said:?}"
    );
}

#[test]
fn save_names_the_errors_the_edits_introduced() {
    let (_dir, path) = example("icelake-240.xml");
    let mut m = open(&path);
    // host-passthrough while <qemu:cpu> gives the -cpu: model-twice, which libvirt refuses.
    keys(&mut m, "M<down><down><ret>w");
    let Some(Overlay::Diff(Diff {
        save: true,
        new_errors,
        ..
    })) = &m.overlay
    else {
        panic!("save shows the diff first")
    };
    assert_eq!(new_errors.len(), 1, "{new_errors:?}");
    assert!(
        new_errors[0].starts_with("error[model-twice]: "),
        "{new_errors:?}"
    );
    // Shown above the diff, in the dialog's title too (the path is a temp dir: no snapshot).
    let screen = format!("{:?}", render(&m, 80, 24).backend());
    assert!(
        screen.contains("save with new errors? y writes anyway"),
        "{screen}"
    );
    assert!(screen.contains("✗ 1 new error(s) since opened; libvirt would refuse this:"));
    assert!(screen.contains("error[model-twice]: the CPU is defined twice"));
    // Wrapped, not cut: the message's end is above the diff.
    let plain = super::tests::screen(&m, 80, 24);
    let above_diff = plain.split("--- ").next().unwrap();
    let message = &m.new_errors()[0].message;
    let last_word = message.split_whitespace().last().unwrap();
    assert!(above_diff.contains(last_word), "{last_word} cut:\n{plain}");
    // Still the user's file: y writes anyway.
    keys(&mut m, "y");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), m.source());
    // Saved: no longer new, so the next save does not repeat them.
    assert!(m.new_errors().is_empty());
}

#[test]
fn save_of_a_document_with_only_old_errors_names_none() {
    let (_dir, path) = example("icelake-240.xml");
    let mut m = open(&path);
    keys(&mut m, "M<down><down><ret>wy");
    // Reopen with the error already there: an unrelated edit adds no new one.
    let mut m = open(&path);
    assert!(m.report.has_errors());
    keys(&mut m, "1w");
    let Some(Overlay::Diff(Diff { new_errors, .. })) = &m.overlay else {
        panic!("save shows the diff first")
    };
    assert!(new_errors.is_empty(), "{new_errors:?}");
}

/// `t`: a pre-filled number is replaced by the first digit typed (as a selected field is),
/// further digits append; Enter on a mismatch says it was refused, with libvirt's reason.
#[test]
fn topology_dialog_first_digit_replaces_and_enter_says_refused() {
    let (_dir, path) = example("custom-features.xml");
    let mut m = open(&path);
    let original = m.source().to_string();
    keys(&mut m, "t2");
    let Some(Overlay::Topology(d)) = &m.overlay else {
        panic!("t opens the topology dialog")
    };
    assert_eq!(
        d.fields[0],
        ("sockets", "2".to_string()),
        "replaced, not appended"
    );
    keys(&mut m, "4");
    let Some(Overlay::Topology(d)) = &m.overlay else {
        panic!("still open")
    };
    assert_eq!(d.fields[0].1, "24", "further digits append");
    // Moving to another field makes its number pre-filled again.
    keys(&mut m, "<down>3");
    let Some(Overlay::Topology(d)) = &m.overlay else {
        panic!("still open")
    };
    assert_eq!(d.fields[1], ("dies", "3".to_string()));
    assert!(!screen(&m, 100, 30).contains("Enter refused"));
    keys(&mut m, "<ret>");
    assert!(
        matches!(m.overlay, Some(Overlay::Topology(_))),
        "refused: stays open"
    );
    assert_eq!(m.source(), original, "nothing written");
    let shown = screen(&m, 100, 30);
    assert!(shown.contains("Enter refused, nothing written"), "{shown}");
    assert!(
        shown.contains("CPU topology doesn't match maximum vcpu count"),
        "{shown}"
    );
}

/// An edit that introduces an error says so as a warning naming the code: `M` to
/// host-passthrough while `<qemu:cpu>` gives the `-cpu` is model-twice.
#[test]
fn an_edit_introducing_an_error_names_it_in_the_status() {
    let mut m = demo();
    keys(&mut m, "M<down><down><ret>");
    let status = m.status.clone().unwrap();
    assert_eq!(status.level, Level::Warning, "{status:?}");
    assert!(
        status.text.starts_with("<cpu> mode → host-passthrough; "),
        "{status:?}"
    );
    assert!(
        status
            .text
            .contains("new error libvirt refuses: model-twice"),
        "{status:?}"
    );
    // Undone, and done again through a multi-edit (edit_all): the same warning.
    keys(&mut m, "u");
    assert!(m.report.diagnostics.iter().all(|d| d.code != "model-twice"));
    let edits = [crate::edit::Edit::SetMode("host-passthrough".into())];
    assert!(m.edit_all(&edits));
    let status = m.status.clone().unwrap();
    assert_eq!(status.level, Level::Warning, "{status:?}");
    assert!(status.text.contains("model-twice"), "{status:?}");
    // An edit that adds no error stays information.
    keys(&mut m, "u1");
    assert_eq!(m.status.as_ref().unwrap().level, Level::Info);
}

/// After `p` and Enter explain an error, nothing is chosen: a second Enter applies no way out
/// (the window stays and says how to choose), `Tab` marks one `▸ … ◂ Enter applies` (the others
/// `○`, not only by colour), and only then Enter applies it.
#[test]
fn a_second_enter_after_an_explanation_applies_nothing() {
    let (_dir, mut m) = lacking_on_reference_host();
    super::app::update(&mut m, super::app::Action::Resized(120, 40));
    keys(
        &mut m,
        "cpqemu-system-x86_64: warning: host doesn't support requested feature: CPUID.07H:EBX.mpx [bit 14]<ret><ret>",
    );
    assert_eq!(m.source(), LACKS, "the second Enter applied a fix");
    assert!(
        matches!(m.overlay, Some(Overlay::Diagnostics(_))),
        "still open"
    );
    assert!(
        m.status
            .as_ref()
            .unwrap()
            .text
            .contains("Tab chooses a way out")
    );
    let joined = |m: &AppState| {
        screen(m, 120, 40)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let read = joined(&m);
    assert!(!read.contains('▸'), "{read}");
    assert!(read.contains("○ disable them in <cpu>"), "{read}");
    // The first Tab chooses the pasted error's first way out.
    keys(&mut m, "<tab>");
    let read = joined(&m);
    assert!(
        read.contains(
            "▸ disable them in <cpu>: <feature policy='disable' name='mpx'/> ◂ Enter applies"
        ),
        "{read}"
    );
    keys(&mut m, "<ret>");
    assert!(
        m.source()
            .contains("<feature policy='disable' name='mpx'/>")
    );
}

//! The screen at the documented minimum, 80×24: nothing cut silently (a cut shows `…`), the
//! `-cpu` value whole and wrapped between options, the top and bottom lines keeping what matters
//! (`w save`, `q quit`, `? help`), diagnostics wrapped in their area. Snapshots of the Hyper-V
//! example before and after an edit, with a host given the way `-c URI` gives it, and with a
//! `-cpu` value too long for the bar.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};
use virt_cpu::catalog::Catalog;
use virt_cpu::host::DomCaps;
use virt_cpu::tui::app::AppState;
use virt_cpu::tui::theme::Theme;
use virt_cpu::tui::{Options, load, type_keys, view};

const W: u16 = 80;
const H: u16 = 24;
const HYPERV: &str = "assets/examples/windows-hyperv.xml";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn open(path: &Path, host: Option<DomCaps>) -> AppState {
    load(
        &Options {
            file: Some(path.to_path_buf()),
            host,
            ..Options::default()
        },
        Catalog::embedded(),
    )
    .unwrap()
}

/// The Hyper-V example, shown under the name the README's command line gives it.
fn hyperv(host: Option<DomCaps>) -> AppState {
    let mut m = open(&root().join(HYPERV), host);
    m.name = HYPERV.into();
    m
}

/// The screen's rows, as text.
fn rows(m: &AppState) -> Vec<String> {
    let mut term = Terminal::new(TestBackend::new(W, H)).unwrap();
    term.draw(|f| view::draw(f, m, &Theme::MONO)).unwrap();
    let buf = term.backend().buffer();
    (0..H)
        .map(|y| {
            (0..W)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect()
}

fn screen(m: &AppState) -> String {
    rows(m).join("\n")
}

/// The rows of the `-cpu` value: from the bar's top border to the source line.
fn argv_rows(rows: &[String]) -> Vec<String> {
    let top = rows
        .iter()
        .position(|r| r.starts_with(" -cpu · "))
        .expect("the -cpu bar");
    rows[top + 1..]
        .iter()
        .take_while(|r| !r.starts_with("from "))
        .cloned()
        .collect()
}

/// What holds on every screen at 80×24.
fn check_layout(m: &AppState) {
    let rows = rows(m);
    let shown = rows.join("\n");
    let title = &rows[0];
    assert!(title.starts_with("virt-cpu "), "{shown}");
    assert!(title.ends_with("? help"), "{shown}");
    if m.modified {
        assert!(
            title.contains("[modified]  ") || title.contains("[modified] ?"),
            "a space after [modified]: {shown}"
        );
    }
    // The hints take the last two rows, `w`, `q` and `?` first; every key's hint shows.
    let hints = rows[rows.len() - 2..].join("  ");
    assert!(
        rows[rows.len() - 2].starts_with("w save  q quit  ? help"),
        "{shown}"
    );
    for h in virt_cpu::tui::keymap::hints(m) {
        let hint = format!("{} {}", h.key, h.label);
        assert!(hints.contains(&hint), "{hint} in the hints: {shown}");
    }
    // The value, whole and wrapped between options (or cut visibly, saying how to get it).
    let argv = argv_rows(&rows);
    let value = m.report.arg.value.clone().unwrap();
    let joined = argv.concat();
    if let Some(cut) = joined.strip_suffix("… (y copies the whole value)") {
        assert!(format!("-cpu {value}").starts_with(cut), "{shown}");
    } else {
        assert_eq!(joined, format!("-cpu {value}"), "{shown}");
    }
    for r in &argv[..argv.len() - 1] {
        assert!(r.ends_with(','), "a break inside an option: {r:?}\n{shown}");
    }
}

#[test]
fn hyperv_80x24() {
    let m = hyperv(None);
    check_layout(&m);
    insta::assert_snapshot!(screen(&m));
}

/// After moving the model to `<qemu:cpu>`: the title says [modified] and keeps `? help`, the
/// hints keep `w save` and `q quit`, the status says whole what the key did, the warning is
/// wrapped and, where it does not fit, ends with `…`.
#[test]
fn hyperv_80x24_after_an_edit() {
    let mut m = hyperv(None);
    type_keys(&mut m, "x", &mut Vec::new());
    assert!(m.modified);
    check_layout(&m);
    let rows = rows(&m);
    let shown = rows.join("\n");
    let status = &m.status.as_ref().expect("a status").text;
    let n = rows.len();
    assert!(
        rows[n - 4..n - 2].join(" ").ends_with(status.as_str()),
        "{shown}"
    );
    let warning = rows
        .iter()
        .position(|r| r.starts_with("! libvirt-drops-qemu-cpu: "))
        .expect("the warning");
    let last = rows[warning + 1..]
        .iter()
        .take_while(|r| r.starts_with("  "))
        .last()
        .expect("wrapped");
    assert!(
        last.ends_with("which works today") || last.ends_with('…'),
        "{shown}"
    );
    insta::assert_snapshot!(screen(&m));
}

/// A host given the way `-c URI` gives it: its source is a long `virsh -c … domcapabilities …`
/// command, and the messages about it wrap instead of being cut after the command.
#[test]
fn hyperv_80x24_with_a_host_from_connect() {
    let caps = root().join("../shared/reference/domcapabilities/qemu_8.0.0-q35.x86_64.xml");
    let xml = std::fs::read_to_string(&caps).unwrap();
    let source = "virsh -c qemu+ssh://root@kvm-host.example.com/system domcapabilities \
                  --virttype qemu --arch x86_64 --machine pc-q35-7.2";
    let host = DomCaps::parse(&xml, source).unwrap();
    let m = hyperv(Some(host));
    assert!(
        !m.report.diagnostics.is_empty(),
        "the AMD host lacks Skylake's features"
    );
    check_layout(&m);
    insta::assert_snapshot!(screen(&m));
}

/// A domain whose `-cpu` is too long for the bar: the last row ends with `…` and says that `y`
/// copies the whole value.
#[test]
fn a_cpu_value_longer_than_the_bar_is_cut_visibly() {
    let features: String = [
        "avx512f",
        "avx512dq",
        "avx512cd",
        "avx512bw",
        "avx512vl",
        "avx512vnni",
        "avx512-bf16",
        "avx512ifma",
        "avx512vbmi",
        "avx512vbmi2",
        "avx512bitalg",
        "avx512-vpopcntdq",
        "avx512-fp16",
        "amx-bf16",
        "amx-tile",
        "amx-int8",
        "gfni",
        "vaes",
        "vpclmulqdq",
        "sha-ni",
        "movdiri",
        "movdir64b",
        "serialize",
        "tsxldtrk",
        "waitpkg",
        "cldemote",
        "pconfig",
        "la57",
        "fsrm",
        "fzrm",
        "fsrs",
        "fsrc",
    ]
    .iter()
    .map(|f| format!("    <qemu:option name='{f}' value='on'/>\n"))
    .collect();
    let xml = format!(
        "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>long</name>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <qemu:cpu>
    <qemu:model name='Skylake-Server'/>
{features}  </qemu:cpu>
</domain>
"
    );
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("long.xml");
    std::fs::write(&path, xml).unwrap();
    let mut m = open(&path, None);
    m.name = "long.xml".into();
    check_layout(&m);
    let rows = rows(&m);
    let argv = argv_rows(&rows);
    assert!(
        argv.last()
            .unwrap()
            .ends_with("… (y copies the whole value)"),
        "{}",
        rows.join("\n")
    );
    insta::assert_snapshot!(screen(&m));
}

//! The two panes, `<cpu>` ([`cpu`]) and `<qemu:cpu>` ([`qemu`]): their keys (the table the help,
//! the key bar and the README are written from), what those keys do, and the frame both panes
//! are drawn in. Their state is the focus and the scroll in [`AppState`].

pub mod cpu;
pub mod qemu;

use super::app::{Action, AppState, EXIT_ABORT, Effect, Level, Pane};
use super::dialogs::Overlay;
use super::dialogs::diff::Diff;
use super::dialogs::features::FeatureList;
use super::dialogs::mode::ModeDialog;
use super::dialogs::picker::Picker;
use super::dialogs::prompt::Prompt;
use super::dialogs::topology::TopologyDialog;
use super::keymap::{Binding, DIGIT, Hint, Key, When};
use super::text;
use super::theme::Theme;
use crate::argv::Reading;
use crate::argv::features::FeatureEffect;
use crate::check::Severity;
use crate::domain::AgainstModel;
use crate::edit::Edit;
use crate::xml::ElemId;
use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

const fn hint(key: &'static str, label: &'static str, rank: u8) -> Hint {
    Hint { key, label, rank }
}

/// The panes' keys, in the order of the help overlay and the README.
pub const KEYS: &[Binding] = &[
    Binding {
        keys: &[
            (Key::Code(KeyCode::Tab), Action::FocusNext),
            (Key::Code(KeyCode::BackTab), Action::FocusNext),
        ],
        when: When::Always,
        shown: "Tab",
        help: "switch pane: <cpu> ↔ <qemu:cpu>",
        readme: "switch pane (starts on `<cpu>`); a mouse click focuses, the wheel scrolls",
        hints: &[hint("Tab", "pane", 3)],
    },
    Binding {
        keys: &[(Key::Char('m'), Action::OpenPicker)],
        when: When::Always,
        shown: "m",
        help: "model picker for the focused pane (type to filter, Enter applies, Esc cancels)",
        readme: "model picker for the pane, of the libvirt + QEMU followed: libvirt's models for `<cpu>`, QEMU's (versions, aliases, vendor, deprecated, feature count, host usability with `--host-caps`/`-c`) for `<qemu:cpu>`, in the order of `virt-cpu models` (with a host, the usable ones first; pseudo-models last); type to filter (best match first), `Enter` applies, `Esc` cancels; the preview shows the model's features, its x86-64 level and `+`/`−` against the current model",
        hints: &[hint("m", "model", 5)],
    },
    Binding {
        keys: &[(Key::Char('f'), Action::OpenFeatures)],
        when: When::Always,
        shown: "f",
        help: "feature list: / search, Space toggle, p cycle policy, Del remove",
        readme: "feature list: `/` search, `Space` toggles (`<cpu>`: require ↔ disable; `<qemu:cpu>`: `name=on` ↔ `off`; an unset feature, or an `optional` one — on only if the host has it, drawn `?` — is set opposite to the model), `p` cycles the policy, `Del` unsets; the list also holds whatever the document sets that the catalog does not know (`enforce`, a misspelt feature, an unknown option), so it can be removed",
        hints: &[hint("f", "features", 6)],
    },
    Binding {
        keys: &[(Key::Char('M'), Action::OpenMode)],
        when: When::Always,
        shown: "M",
        help: "<cpu> mode: custom, host-model, host-passthrough, maximum",
        readme: "`<cpu>` mode: custom, host-model, host-passthrough or maximum, each with what it means and what switching to it leaves ignored (`<model>` on host-passthrough/maximum, replaced on host-model); `Enter` switches; custom without a model opens the model picker. A model picked (`m`) on a mode that does not use one asks first: `y` switches to custom with it, `n` changes nothing",
        hints: &[hint("M", "mode", 13)],
    },
    Binding {
        keys: &[(Key::Char('h'), Action::OpenHyperv)],
        when: When::Always,
        shown: "h",
        help: "Hyper-V enlightenments: Space toggle, W Windows preset, P passthrough, O remove",
        readme: "Hyper-V enlightenments (`<features><hyperv>`): each one libvirt knows with its state, what it does and whether the host lists it (with `-c`/`--host-caps`), and the switches nested in one (`stimer.direct`; libvirt 11's `tlbflush.direct`, `tlbflush.extended`), which count only with their parent on (`(on)` when it is off; turning one on turns the parent on too); `Space` toggles, `W` applies virt-install's Windows preset (what the host supports) on top of the domain's own enlightenments (those the host lacks go; the status says what was added, kept and removed), `P` `mode='passthrough'`, `O` removes `<hyperv>`; the `-cpu` line follows, and `hyperv-dependency` says what an enlightenment still needs",
        hints: &[hint("h", "hyper-v", 15)],
    },
    Binding {
        keys: &[(Key::Char('n'), Action::ToggleNested)],
        when: When::Always,
        shown: "n",
        help: "nested virtualisation on/off: vmx or svm as the vendor needs",
        readme: "nested virtualisation on/off for the focused pane's CPU (on `<cpu>` next to a `<qemu:cpu>`, which gives the `-cpu`, it acts there and the focus follows): `vmx` (Intel) or `svm` (AMD) as the model's vendor (or, for the host modes, the host's) needs — `<cpu>`: `require`/`disable` (host-passthrough and maximum pass the host's through already), `<qemu:cpu>`/`-cpu`: `vmx=on`/`off`; one step for `u`; the `-cpu` line follows and the status line says what was done and whether the host (with `-c`/`--host-caps`) can give it",
        hints: &[hint("n", "nested", 16)],
    },
    Binding {
        keys: &[(Key::Char('t'), Action::OpenTopology)],
        when: When::Always,
        shown: "t",
        help: "topology and vCPUs: sockets, dies, cores, threads, <vcpu>",
        readme: "topology and vCPU count: type the numbers (`↑` `↓`/`Tab` choose the field; the first digit replaces the pre-filled number, further digits append, `Backspace` edits it), the window says live whether libvirt takes them (the product must be `<vcpu>`: \"CPU topology doesn't match maximum vcpu count\"), `v` makes `<vcpu>` the product, `Enter` writes `<topology>` in place (a new one after `<model>`) and `<vcpu>`, or on a mismatch says `Enter refused, nothing written` with libvirt's reason",
        hints: &[hint("t", "topo", 14)],
    },
    Binding {
        keys: &[(Key::Char('p'), Action::OpenPhysAddr)],
        when: When::Always,
        shown: "p",
        help: "physical address bits: none, passthrough [limit], emulate bits",
        readme: "physical address bits (`<cpu><maxphysaddr>`): `↑` `↓` choose none (QEMU's default), passthrough (the host's width; a number caps it, `limit=`, libvirt 9.3+) or emulate (a fixed width, 32–52), digits type the number; the window shows live the element written, the `-cpu` it gives, the host's width and what libvirt or QEMU would refuse (more bits than the host has, out of range, `limit` on 9.0); `Enter` writes it (one undo step) — or, when one of those stands, says in the window that nothing was written and why",
        // The key bar is full at 80 columns with the <qemu:cpu> pane focused; `?` lists it.
        hints: &[],
    },
    Binding {
        keys: &[(Key::Char('e'), Action::AddOption)],
        when: When::QemuFocused,
        shown: "e",
        help: "add or set a <qemu:cpu> option: name=value",
        readme: "in `<qemu:cpu>`: add or set a free option `name=value` (one at a time: a `,` is refused, since QEMU would split the option there)",
        hints: &[hint("e", "option", 8)],
    },
    Binding {
        keys: &[(Key::Char('x'), Action::MoveToOther)],
        when: When::Always,
        shown: "x",
        help: "move model and features to the other element",
        readme: "move model and features to the other element (`<cpu>` ↔ `<qemu:cpu>`)",
        hints: &[hint("x", "move", 7)],
    },
    Binding {
        keys: &[(Key::Digit, Action::Fix(DIGIT))],
        when: When::Always,
        shown: "1-9",
        help: "apply the numbered diagnostic's fix",
        readme: "apply the numbered diagnostic's fix (e.g. `Icelake-Server-V4` → `Icelake-Server-v4`)",
        hints: &[],
    },
    Binding {
        // `Key::Char` takes any modifiers: Ctrl-c stays the `q` row's quit.
        keys: &[
            (Key::Ctrl('c'), Action::Quit),
            (Key::Char('c'), Action::ShowDiagnostics),
        ],
        when: When::Always,
        shown: "c",
        help: "every diagnostic; 1-9 fixes, Tab Enter a way out, p explains a pasted error",
        readme: "every diagnostic in a scrollable list (the bar shows the first few), each with its fix key and line; `1-9` applies a fix there too. Why it will not start: under each problem `virt-cpu explain` knows, its ways out (turn the features off, a model the host runs, host-model) — `Tab` chooses one, `Enter` applies it as one undo step; `p` (or `/`, or a paste into the window) takes an error libvirt or QEMU gave and shows explain's reading of it for this domain, its fixes chosen the same way — none is chosen after the reading (each `○`), so a reflexive second `Enter` applies nothing; the first `Tab` chooses the reading's first way out (`▸ … ◂ Enter applies`), `Enter` then applies it",
        hints: &[hint("c", "diags", 13)],
    },
    Binding {
        keys: &[(Key::Char('o'), Action::ToggleReading)],
        when: When::Always,
        shown: "o",
        help: "-cpu reading: merge ↔ override",
        readme: "reading of `<qemu:cpu>`: merge ↔ override",
        hints: &[hint("o", "reading", 12)],
    },
    Binding {
        keys: &[
            (Key::Ctrl('r'), Action::Redo),
            (Key::Char('u'), Action::Undo),
        ],
        when: When::Always,
        shown: "u  Ctrl-r",
        help: "undo, redo",
        readme: "undo, redo (byte-exact)",
        hints: &[hint("u", "undo", 4), hint("^R", "redo", 11)],
    },
    Binding {
        keys: &[(Key::Char('d'), Action::ShowDiff)],
        when: When::Always,
        shown: "d",
        help: "diff against the file",
        readme: "diff against the file",
        hints: &[hint("d", "diff", 10)],
    },
    Binding {
        keys: &[(Key::Char('w'), Action::Save)],
        when: When::Always,
        shown: "w",
        help: "save: shows the diff (and any new errors), y writes",
        readme: "save: shows the diff, `y` writes atomically; errors the edits introduced since the document was opened or saved (the ones `set` refuses) are listed above the diff in red and the title asks `save with new errors?` — `y` still writes, it is your file; nothing is written when nothing changed; a file changed on disk meanwhile is not overwritten (`r` reloads, `s` saves elsewhere); a read-only file — its title says `[read-only]` from the start — keeps your edits (`s` saves elsewhere); with `--domain`, `w` defines, and `r` in its refusal reloads the definition from libvirt",
        hints: &[hint("w", "save", 0)],
    },
    Binding {
        keys: &[],
        when: When::Always,
        shown: "save as",
        help: "",
        readme: "(`w` on standard input or the demo, `s` after a failed save) the pre-filled name (`NAME.xml` after the domain's `<name>` for standard input and `--domain`) is selected: typing replaces it, `←` `→` `Home` `End` keep it for editing, `Ctrl-U` clears, `Enter` writes; a file already there (other than the one loaded) is only overwritten after \"FILE exists: overwrite?\" — `y` overwrites, `n`/`Esc` choose another name",
        hints: &[],
    },
    Binding {
        keys: &[(Key::Char('y'), Action::Copy)],
        when: When::Always,
        shown: "y",
        help: "copy the -cpu argv (clipboard, OSC 52 over SSH)",
        readme: "copy `-cpu VALUE` (shell-quoted): local clipboard (with `$DISPLAY` or `$WAYLAND_DISPLAY`), and OSC 52 to your terminal over SSH or when there is no local clipboard — inside tmux `set -g set-clipboard on` forwards OSC 52",
        hints: &[hint("y", "copy", 9)],
    },
    Binding {
        keys: &[(Key::Char('j'), Action::Down), (Key::Char('k'), Action::Up)],
        when: When::Always,
        shown: "j k ↑ ↓",
        help: "scroll the focused pane",
        readme: "scroll the focused pane (`PgUp` `PgDn` by pages); scrolling stops at the end of its content (the border says how many lines are above and below)",
        hints: &[],
    },
    Binding {
        keys: &[
            (Key::Ctrl('c'), Action::Quit),
            (Key::Char('q'), Action::Quit),
        ],
        when: When::Always,
        shown: "q",
        help: "quit (unsaved edits: asks — D discards, w saves, Esc stays)",
        readme: "quit; with unsaved edits asks: `D` quits without saving (`y` does not, so a reflexive `q` `y` loses nothing), `w` saves (the diff, then `y`) and quits, `Esc`/`q`/`n` keep editing (also when the window is too small to draw the question)",
        hints: &[hint("q", "quit", 1)],
    },
    // Esc is a shared key (`keymap::GLOBAL`, Cancel); on the panes it means this.
    Binding {
        keys: &[],
        when: When::FromList,
        shown: "Esc",
        help: "back to the domain list (opened from it: virt-cpu -c URI)",
        readme: "back to the domain list, when the domain was opened from it (`virt-cpu -c URI` without a domain); with unsaved edits it asks first: `w` defines them and goes back, `D` goes back without them, `Esc` keeps editing",
        hints: &[hint("Esc", "domains", 3)],
    },
    Binding {
        keys: &[(Key::Char('Q'), Action::Abort)],
        when: When::Always,
        shown: "Q",
        help: "abort: exit 1 without saving (virsh edit discards)",
        readme: "abort: exit 1 at once without saving, so `virsh edit` discards its copy",
        hints: &[],
    },
    Binding {
        keys: &[(Key::Char('?'), Action::Help)],
        when: When::Always,
        shown: "?",
        help: "this help (j k PgUp PgDn scroll it when it does not fit)",
        readme: "help: the keys of this table; when they do not fit, `j` `k` `↑` `↓` `PgUp` `PgDn` scroll them (the border says how many rows are below), any other key closes",
        hints: &[hint("?", "help", 2)],
    },
    // Taken by the event loop before any key table, so it works in every dialog too.
    Binding {
        keys: &[],
        when: When::Always,
        shown: "Ctrl-Z",
        help: "suspend (fg brings the view back)",
        readme: "suspend: the terminal goes back to the shell (cooked, main screen), `fg` brings the view back redrawn; `kill -TSTP` does the same",
        hints: &[],
    },
];

/// What a key does on the panes.
pub fn key(s: &mut AppState, action: Action) -> Vec<Effect> {
    // A key's message replaces the last one; a resize (the first comes before any key) keeps
    // what loading said.
    if !matches!(action, Action::Resized(..)) {
        s.status = None;
    }
    match action {
        Action::FocusNext => s.focus = s.focus.other(),
        Action::Focus(p) => s.focus = p,
        Action::ToggleReading => toggle_reading(s),
        Action::Undo | Action::Redo => history(s, &action),
        Action::ShowDiff | Action::Save if !s.modified => s.info(if action == Action::Save {
            "No changes; nothing to write"
        } else {
            "No changes"
        }),
        Action::ShowDiff => s.open(Overlay::Diff(Diff::of(s, false))),
        Action::Save => s.open(Overlay::Diff(Diff::of(s, true))),
        Action::Copy => match s.argv_text() {
            Some(text) => return vec![Effect::Copy(text)],
            None => s.warn("No -cpu to copy: libvirt refuses this domain (see the diagnostics)"),
        },
        Action::Help => s.open(Overlay::Help(Default::default())),
        Action::ShowDiagnostics => s.open(Overlay::Diagnostics(Default::default())),
        Action::Quit if s.modified => s.open(Overlay::ConfirmQuit),
        Action::Quit => s.exit = Some(0),
        Action::Abort => s.exit = Some(EXIT_ABORT),
        // The quit question, worded for going back (the edits are defined, dropped or kept).
        Action::Cancel if s.from_list && s.modified => {
            s.back = true;
            s.open(Overlay::ConfirmQuit);
        }
        Action::Cancel if s.from_list => {
            s.back = true;
            s.exit = Some(0);
        }
        Action::Fix(n) => fix(s, n),
        Action::OpenPicker | Action::OpenFeatures | Action::AddOption => open(s, &action),
        Action::OpenMode => s.open(Overlay::Mode(ModeDialog::new(s))),
        Action::OpenHyperv => s.open(Overlay::Hyperv(
            crate::tui::dialogs::hyperv::HypervDialog::default(),
        )),
        Action::OpenTopology => s.open(Overlay::Topology(TopologyDialog::new(s))),
        Action::ToggleNested => toggle_nested(s),
        Action::OpenPhysAddr => s.open(Overlay::PhysAddr(
            crate::tui::dialogs::physaddr::PhysAddrDialog::new(s),
        )),
        Action::MoveToOther => move_to_other(s),
        Action::Up => scroll(s, s.focus, -1),
        Action::Down => scroll(s, s.focus, 1),
        Action::PageUp => scroll(s, s.focus, -10),
        Action::PageDown => scroll(s, s.focus, 10),
        Action::Scroll(p, d) => scroll(s, p, d),
        Action::Resized(w, h) => {
            s.screen = Some((w, h));
            for pane in [Pane::Cpu, Pane::Qemu] {
                scroll(s, pane, 0);
            }
        }
        _ => {}
    }
    Vec::new()
}

/// `o`: the other reading of `<qemu:cpu>`, and what it means.
fn toggle_reading(s: &mut AppState) {
    s.reading = match s.reading {
        Reading::Merge => Reading::Override,
        Reading::Override => Reading::Merge,
    };
    s.refresh();
    s.info(match s.reading {
        Reading::Merge => {
            "Reading: merge — libvirt's appended options follow <qemu:cpu> (the proposal's default)"
        }
        Reading::Override => "Reading: override — <qemu:cpu> is the whole -cpu, nothing appended",
    });
}

/// `n`: nested virtualisation the other way round in the focused pane's CPU, as one edit;
/// the status says what was done and the host's verdict.
fn toggle_nested(s: &mut AppState) {
    use crate::domain::CpuMode;
    use crate::edit::nested::{self, HostVerdict, Part};
    let mut part = match s.focus {
        Pane::Cpu => Part::Cpu,
        Pane::Qemu => Part::Qemu,
    };
    // With a QEMU form, <cpu> gives no -cpu of its own (a feature there would be a second
    // definition, or one without a model): the toggle acts where the -cpu comes from, as
    // `set --nested` does, and the focus follows it so the change is in view.
    let moved = part == Part::Cpu && Part::effective(&s.state.dom) == Part::Qemu;
    if moved {
        part = Part::Qemu;
        s.focus = Pane::Qemu;
    }
    let host = s.caps.domcaps.clone();
    let host = host.as_ref();
    let now = nested::read(&s.state.dom, s.catalog, host, part);
    let host_mode = part == Part::Cpu
        && matches!(
            CpuMode::of(&s.state.dom),
            Some(CpuMode::HostPassthrough | CpuMode::Maximum)
        );
    // What the guest gets now: the setting of the vendor's extension, else what the model or
    // host gives; a host mode without a host given counts as on (it passes the host's through)
    // unless it disables one.
    let on_now = match &now.ext {
        Ok(d) => now
            .setting(d.ext)
            .and_then(|set| set.on)
            .or(now.on)
            .unwrap_or(true),
        Err(_) if host_mode => !now.settings.iter().any(|set| set.on == Some(false)),
        Err(_) => now.settings.iter().any(|set| set.on != Some(false)),
    };
    let place = if moved {
        let label = s.state.dom.qemu().map_or("<qemu:cpu>", |q| q.form.label());
        format!("In {label} (it gives the -cpu): ")
    } else {
        String::new()
    };
    match nested::plan(&s.state.dom, s.catalog, host, part, !on_now) {
        Ok((edit, note)) => {
            let changed = s.edit(&edit);
            let lacks = matches!(
                nested::read(&s.state.dom, s.catalog, host, part).host,
                HostVerdict::Lacks(_)
            );
            let text = if changed {
                format!("{place}{note} — u undoes")
            } else {
                format!("{place}{note} — nothing to change")
            };
            if s.status.as_ref().is_some_and(|st| st.level == Level::Error) {
                return;
            }
            if lacks && !on_now {
                s.warn(text);
            } else {
                s.info(text);
            }
        }
        Err(why) => s.warn(format!("Nested: {why}")),
    }
}

/// `u` and Ctrl-r.
fn history(s: &mut AppState, action: &Action) {
    let (done, said, nothing) = if *action == Action::Undo {
        (s.history.undo(&mut s.state), "Undone", "Nothing to undo")
    } else {
        (s.history.redo(&mut s.state), "Redone", "Nothing to redo")
    };
    match done {
        Ok(true) => {
            s.refresh();
            s.info(said);
        }
        Ok(false) => s.info(nothing),
        Err(e) => s.error(e.to_string()),
    }
}

/// `1`–`9`: the fix of the n-th fixable diagnostic.
pub(crate) fn fix(s: &mut AppState, n: usize) {
    let fix = s.fixable().nth(n.wrapping_sub(1)).map(|(_, e)| e.clone());
    match fix {
        Some(edit) => {
            s.edit(&edit);
        }
        None => s.info(format!("No fix numbered {n}")),
    }
}

/// `m`, `f`, `e`: the picker, the feature list or the option prompt, for the focused pane.
fn open(s: &mut AppState, action: &Action) {
    let dialog = match action {
        Action::OpenPicker => {
            let current = s.model_of(s.focus);
            Overlay::Picker(Picker::new(s.focus, s.catalog, &s.caps, current))
        }
        Action::OpenFeatures => {
            Overlay::Features(FeatureList::new(s.focus, s.catalog, &s.state.dom))
        }
        _ => Overlay::Prompt(Prompt::option()),
    };
    s.open(dialog);
}

/// `x`: model and features to the other element, the focus following them.
fn move_to_other(s: &mut AppState) {
    let edit = match s.focus {
        Pane::Cpu => Edit::MoveToQemu,
        Pane::Qemu => Edit::MoveToCpu(crate::edit::LibvirtModels(&s.catalog.libvirt)),
    };
    if s.edit(&edit) {
        s.focus = s.focus.other();
    }
}

/// Scrolls a pane, from where it shows (the content may have shrunk since) to at most its end.
fn scroll(s: &mut AppState, pane: Pane, delta: i16) {
    let limit = s.screen.map_or(u16::MAX, |(w, h)| {
        scroll_limit(s, pane, Rect::new(0, 0, w, h))
    });
    let at = &mut s.scroll[pane as usize];
    *at = (*at).min(limit).saturating_add_signed(delta).min(limit);
}

/// How far a pane scrolls on a screen of this size: its lines beyond what its box shows.
pub fn scroll_limit(s: &AppState, pane: Pane, screen: Rect) -> u16 {
    let area = super::view::areas(s, screen).panes[pane as usize];
    let lines = match pane {
        Pane::Cpu => cpu::lines(s, &Theme::MONO).len(),
        Pane::Qemu => qemu::lines(s, &Theme::MONO).len(),
    };
    let shown = area.height.saturating_sub(2) as usize;
    lines.saturating_sub(shown).min(u16::MAX as usize) as u16
}

/// Draws both panes.
pub fn draw(f: &mut Frame, s: &AppState, t: &Theme, areas: [Rect; 2]) {
    frame(f, s, t, Pane::Cpu, cpu::lines(s, t), areas[0]);
    frame(f, s, t, Pane::Qemu, qemu::lines(s, t), areas[1]);
}

/// `label   value` with the label in the label style, padded to `width`.
fn kv<'a>(t: &Theme, label: &str, value: Vec<Span<'a>>) -> Line<'a> {
    let mut spans = vec![Span::styled(format!("{label:<9} "), t.label())];
    spans.extend(value);
    Line::from(spans)
}

/// The worst diagnostic about an element, for marking its line.
fn severity_of(m: &AppState, el: ElemId) -> Option<Severity> {
    m.report
        .diagnostics
        .iter()
        .filter(|d| d.el == Some(el))
        .map(|d| d.severity)
        .min()
}

/// A marker span for a line whose element has a diagnostic.
fn mark(m: &AppState, t: &Theme, el: ElemId) -> Span<'static> {
    match severity_of(m, el) {
        Some(Severity::Error) => Span::styled(" ✗", t.error()),
        Some(Severity::Warning) => Span::styled(" !", t.warning()),
        Some(Severity::Info) => Span::styled(" i", t.info()),
        None => Span::raw(""),
    }
}

/// A pane: its lines cut to the width (a cut marked `…`) and scrolled (never past the end), the
/// border saying how many lines are above or below the view.
fn frame(
    f: &mut Frame,
    m: &AppState,
    t: &Theme,
    pane: Pane,
    lines: Vec<Line<'static>>,
    area: Rect,
) {
    let focused = m.focus == pane && m.overlay.is_none();
    let title = format!(" {} ", pane.title());
    let mut block = Block::bordered()
        .border_style(t.border(focused))
        .title(Span::styled(
            title,
            if focused {
                t.border(true)
            } else {
                Style::new()
            },
        ));
    let inner = block.inner(area);
    let (width, height) = (inner.width as usize, inner.height as usize);
    let top = (m.scroll[pane as usize] as usize).min(lines.len().saturating_sub(height));
    let below = lines.len().saturating_sub(top + height);
    let mut more = Vec::new();
    if top > 0 {
        more.push(format!("↑ {top} more"));
    }
    if below > 0 {
        more.push(format!("↓ {below} more"));
    }
    if !more.is_empty() {
        // The keys scroll the focused pane.
        let keys = if focused { " (j k)" } else { "" };
        let note = format!(" {}{keys} ", more.join(" · "));
        block = block.title_bottom(Line::styled(note, t.dim()).right_aligned());
    }
    let shown: Vec<Line> = lines
        .into_iter()
        .skip(top)
        .take(height)
        .map(|l| text::clip_line(l, width))
        .collect();
    f.render_widget(Paragraph::new(shown).block(block), area);
}

/// How a `<cpu>` feature's effect in `-cpu` is drawn: sign, words, style.
fn effect_of(effect: FeatureEffect, t: &Theme) -> (&'static str, &'static str, Style) {
    match effect {
        FeatureEffect::Model(a) => against(a, t),
        FeatureEffect::Dropped => ("×", "dropped by libvirt", t.dim()),
        FeatureEffect::OverHost { on: true } => ("+", "on (host CPU)", t.added()),
        FeatureEffect::OverHost { on: false } => ("−", "off (host CPU)", t.removed()),
    }
}

/// How a feature's effect on the model is drawn: sign, words, style.
fn against(effect: AgainstModel, t: &Theme) -> (&'static str, &'static str, Style) {
    match effect {
        AgainstModel::InModel => ("·", "in model", t.dim()),
        AgainstModel::Added => ("+", "added", t.added()),
        AgainstModel::Removed => ("−", "removed", t.removed()),
        AgainstModel::NotInModel => ("·", "not in model", t.dim()),
        AgainstModel::IfHostHas => ("?", "if host has it", t.warning()),
        AgainstModel::BadPolicy => ("!", "bad policy", t.error()),
    }
}

//! The TUI's state and its one way to change: `update(&mut AppState, Action) -> Vec<Effect>`.
//!
//! `update` is pure — no terminal, no files, no clipboard. What needs the outside world (write the
//! file, copy, reload) is returned as an [`Effect`]; the loop in `tui::run` carries it out and
//! feeds the outcome back as an [`Action`]. Tests drive the same function with key strings.

use super::dialogs::Overlay;
use super::dialogs::overwrite::ConfirmOverwrite;
use super::dialogs::prompt::Prompt;
use super::dialogs::qemu_cpu::QemuCpuDropped;
use super::dialogs::save_failed::SaveFailed;
use super::{dialogs, panes};
use crate::argv::{QemuCaps, Reading};
use crate::catalog::Catalog;
use crate::check::{self, Report};
use crate::domain::QemuForm;
use crate::edit::{Edit, EditError, Edited, History};
use crate::store::save::{FileStamp, Saved};
use crate::xml::Document;
use std::path::PathBuf;
use std::sync::Arc;

/// Exit code of an explicit abort (`Q`): non-zero so `virsh edit` discards its temporary file.
pub const EXIT_ABORT: i32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Cpu,
    Qemu,
}

impl Pane {
    pub fn other(self) -> Pane {
        match self {
            Pane::Cpu => Pane::Qemu,
            Pane::Qemu => Pane::Cpu,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Cpu => "<cpu>",
            Pane::Qemu => "<qemu:cpu>",
        }
    }
}

/// Where `w` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The file that was opened: written in place, refused when it changed on disk meanwhile.
    File(PathBuf),
    /// Nothing to write back to (the built-in demo, standard input): saving asks for a path.
    Unnamed { suggestion: String },
    /// A libvirt domain (`--domain NAME [-c URI]`): saving is `virsh define`.
    Domain { name: String, uri: Option<String> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub level: Level,
    pub text: String,
}

/// Why a save did not write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveFailure {
    /// The file is not what was loaded any more: reload, or write elsewhere.
    ChangedOnDisk(String),
    /// The file is gone: create it again, or write elsewhere.
    Deleted(String),
    /// Read-only, or another I/O error: write elsewhere; the edits stay.
    Other(String),
}

/// What the user (or an effect's outcome) asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    FocusNext,
    Focus(Pane),
    ToggleReading,
    Undo,
    Redo,
    ShowDiff,
    Save,
    Copy,
    Help,
    /// `c`: the list of every diagnostic.
    ShowDiagnostics,
    Quit,
    Abort,
    /// Apply the fix of the n-th fixable diagnostic (1-based, as shown).
    Fix(usize),
    OpenPicker,
    OpenFeatures,
    /// `M`: the CPU mode dialog.
    OpenMode,
    /// `t`: the topology and vCPU dialog.
    OpenTopology,
    /// `p`: the physical address bits dialog.
    OpenPhysAddr,
    /// `h`: the Hyper-V enlightenments.
    OpenHyperv,
    /// `n`: nested virtualisation on/off in the focused pane's CPU.
    ToggleNested,
    MoveToOther,
    AddOption,
    Up,
    Down,
    PageUp,
    PageDown,
    Input(char),
    /// Text the terminal delivered as one paste (bracketed paste).
    Paste(String),
    Backspace,
    /// Text fields: delete the character under the cursor, move the cursor, clear (Ctrl-U).
    DeleteForward,
    Left,
    Right,
    Home,
    End,
    ClearLine,
    Submit,
    Cancel,
    Toggle,
    CyclePolicy,
    Remove,
    Search,
    Yes,
    /// `D` in the quit question: quit, dropping the unsaved edits.
    Discard,
    Reload,
    SaveElsewhere,
    /// Scroll a pane by lines (mouse wheel).
    Scroll(Pane, i16),
    /// The terminal is this many columns and rows (at start and after a resize): scrolling
    /// stops at the end of a pane's content.
    Resized(u16, u16),
    /// `d` before defining a document with `<qemu:cpu>`: define it as it is.
    DefineAnyway,
    /// The outcome of [`Effect::SaveAs`] when a file other than the loaded one is at `path`:
    /// nothing was written; ask before overwriting it.
    SaveAsExists(PathBuf),
    /// The outcome of [`Effect::Save`] and [`Effect::SaveAs`].
    SaveDone {
        path: PathBuf,
        bytes: Arc<String>,
        result: Result<Saved, SaveFailure>,
    },
    /// The outcome of [`Effect::Copy`]: what was done.
    Copied(String),
    /// The outcome of [`Effect::Reload`]: the file's bytes, or why it could not be read.
    Reloaded(Result<(String, Option<FileStamp>), String>),
    /// The outcome of [`Effect::Define`]: the definition libvirt holds now.
    Defined {
        result: Result<String, SaveFailure>,
    },
    /// `c` on [`Overlay::QemuCpuDropped`]: convert to `<qemu:commandline>` and define.
    Convert,
}

/// Work for the loop: everything that touches the world outside the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Write atomically; `expected` is what the file must still hold (None: write regardless),
    /// `stamp` the file's stamp when it held it (the file is not read back while it matches).
    Save {
        path: PathBuf,
        bytes: Arc<String>,
        expected: Option<Arc<String>>,
        stamp: Option<FileStamp>,
    },
    /// Write to a path the user typed: when another file than `loaded` is there, nothing is
    /// written and the outcome is [`Action::SaveAsExists`]; `loaded` itself is written as
    /// [`Effect::Save`] with `expected` and `stamp` would.
    SaveAs {
        path: PathBuf,
        bytes: Arc<String>,
        loaded: Option<PathBuf>,
        expected: Arc<String>,
        stamp: Option<FileStamp>,
    },
    Copy(String),
    /// Read the file or the domain's definition again.
    Reload(Target),
    /// `virsh [-c URI] define` of `bytes`, refused when the definition is not `expected` any
    /// more; then the definition is read back.
    Define {
        name: String,
        uri: Option<String>,
        bytes: Arc<String>,
        expected: Arc<String>,
    },
}

pub struct AppState {
    pub catalog: &'static Catalog,
    pub caps: QemuCaps,
    /// The name shown in the title (the path, `demo: …`, `<stdin>`).
    pub name: String,
    pub target: Target,
    /// The bytes on disk as last loaded or saved: the diff's left side and the changed-on-disk
    /// reference.
    pub disk: Arc<String>,
    /// The file's stamp when it held `disk` (from the load or the last save), so a save need not
    /// read the file back; None when `disk` came from elsewhere (a reload, libvirt).
    pub disk_stamp: Option<FileStamp>,
    pub state: Edited,
    pub history: History,
    pub report: Report,
    /// The diagnostics of the document as last opened, reloaded or saved: the errors since
    /// then are the ones the save dialog names (as `set` refuses them).
    pub baseline: Vec<check::Diagnostic>,
    /// The codes of the errors the last edit introduced (see [`AppState::say_edited`]).
    introduced: Vec<&'static str>,
    pub reading: Reading,
    /// `state` differs from `disk` (kept here: comparing 10 MB per frame would cost the frame).
    pub modified: bool,
    /// `disk` is the text the document's edits started from, so only the edited span needs
    /// comparing (false after libvirt defined something else than what we sent).
    edits_start_from_disk: bool,
    pub focus: Pane,
    pub overlay: Option<Overlay>,
    pub status: Option<Status>,
    /// First visible line of each pane (`[<cpu>, <qemu:cpu>]`), never past the end of its
    /// content once the screen size is known.
    pub scroll: [u16; 2],
    /// The terminal's size, when known (see [`Action::Resized`]).
    pub screen: Option<(u16, u16)>,
    /// Set when the app should end, with the exit code.
    pub exit: Option<i32>,
    /// `w` in the quit question: end once the save (or define) succeeds.
    pub quit_after_save: bool,
    /// The file is `virsh edit`'s temporary copy: virsh defines it once we exit, and libvirt
    /// 9.0 drops `<qemu:cpu>` then, so saving one asks first as `--domain` does.
    pub virsh_edit: bool,
    /// The file is not writable for us (known at load): the title says so, before a save
    /// finds out.
    pub read_only: bool,
    /// Opened from the domain list (`-c URI` without a domain): `Esc` goes back to it.
    pub from_list: bool,
    /// Set with `exit` when `Esc` goes back to the domain list rather than quitting.
    pub back: bool,
}

impl AppState {
    /// The view of a loaded document (`state`: the document with the domain already read).
    pub fn new(
        state: Edited,
        name: String,
        target: Target,
        caps: QemuCaps,
        catalog: &'static Catalog,
    ) -> AppState {
        let disk = state.doc.shared_source();
        let reading = Reading::Merge;
        let report = check::check(&state.doc, &state.dom, &caps, catalog, reading);
        AppState {
            catalog,
            caps,
            name,
            target,
            disk,
            disk_stamp: None,
            state,
            history: History::default(),
            baseline: report.diagnostics.clone(),
            introduced: Vec::new(),
            report,
            reading,
            modified: false,
            edits_start_from_disk: true,
            focus: Pane::Cpu,
            overlay: None,
            status: None,
            scroll: [0, 0],
            screen: None,
            exit: None,
            quit_after_save: false,
            virsh_edit: false,
            read_only: false,
            from_list: false,
            back: false,
        }
    }

    /// Opens a dialog over the panes (over whatever was open).
    pub(crate) fn open(&mut self, dialog: Overlay) {
        self.overlay = Some(dialog);
    }

    /// Errors the document has now that it did not have when opened, reloaded or saved:
    /// libvirt would refuse it for these (`set` refuses such an edit).
    pub fn new_errors(&self) -> Vec<&check::Diagnostic> {
        check::new_errors(&self.baseline, &self.report.diagnostics)
    }

    /// The document as it is now.
    pub fn source(&self) -> &str {
        self.state.doc.source()
    }

    /// Diagnostics that have a fix, in the order their keys (`1`, `2`, …) are shown.
    pub fn fixable(&self) -> impl Iterator<Item = (&check::Diagnostic, &Edit)> {
        self.report
            .diagnostics
            .iter()
            .filter_map(|d| d.fix.as_ref().map(|f| (d, f)))
    }

    /// The fix key of a diagnostic (1-based), when it has a fix.
    pub fn fix_key(&self, index: usize) -> Option<usize> {
        self.report.diagnostics.get(index)?.fix.as_ref()?;
        Some(
            self.report.diagnostics[..index]
                .iter()
                .filter(|d| d.fix.is_some())
                .count()
                + 1,
        )
    }

    /// The `-cpu` argv as a shell would take it, for the clipboard.
    pub fn argv_text(&self) -> Option<String> {
        self.report
            .arg
            .value
            .as_ref()
            .map(|v| format!("-cpu {}", crate::argv::shell::quote(v)))
    }

    /// The model the pane names, if any.
    pub fn model_of(&self, pane: Pane) -> Option<String> {
        match pane {
            Pane::Cpu => self
                .state
                .dom
                .cpu
                .as_ref()?
                .model
                .as_ref()
                .map(|m| m.name.clone()),
            Pane::Qemu => self.state.dom.qemu()?.models.first()?.name.clone(),
        }
    }

    pub(crate) fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            level: Level::Info,
            text: text.into(),
        });
    }

    pub(crate) fn warn(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            level: Level::Warning,
            text: text.into(),
        });
    }

    pub(crate) fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            level: Level::Error,
            text: text.into(),
        });
    }

    /// Readies the document for edits (idle work after the first frame). The elements may get
    /// new ids, and the diagnostics point at elements by id: they are checked again then, or
    /// the panes' markers would land on other elements.
    pub fn prepare_for_edits(&mut self) {
        if self.state.prepare_for_edits() {
            self.refresh();
        }
    }

    /// Re-checks after the document or the reading changed.
    pub(crate) fn refresh(&mut self) {
        self.report = check::check(
            &self.state.doc,
            &self.state.dom,
            &self.caps,
            self.catalog,
            self.reading,
        );
        self.update_modified();
    }

    /// Takes `disk` as what the target holds now, with the file's stamp when it is known.
    fn set_disk(&mut self, disk: Arc<String>, stamp: Option<FileStamp>) {
        self.edits_start_from_disk = Arc::ptr_eq(&disk, &self.state.doc.shared_source());
        if self.edits_start_from_disk {
            self.state.doc.mark_unedited();
        }
        self.disk = disk;
        self.disk_stamp = stamp;
        self.update_modified();
    }

    /// Whether the document differs from `disk`: on a 10 MB domain a whole comparison would
    /// cost more than the rest of a keystroke, so only the edited span is compared when the
    /// edits started from `disk`.
    fn update_modified(&mut self) {
        let (now, disk) = (self.state.doc.source().as_bytes(), self.disk.as_bytes());
        self.modified = if !self.edits_start_from_disk {
            now != disk
        } else {
            now.len() != disk.len()
                || self
                    .state
                    .doc
                    .edited()
                    .is_some_and(|r| now[r.clone()] != disk[r])
        };
    }

    /// Applies an edit through the history and says what happened; true when it changed
    /// the document.
    pub(crate) fn edit(&mut self, edit: &Edit) -> bool {
        let dropped = self.state.left_behind(edit);
        let notes = self.state.notes(edit);
        let form = self.state.dom.qemu().map_or(QemuForm::Element, |q| q.form);
        let describe = |edit: &Edit| describe(edit, form);
        let before = self.report.diagnostics.clone();
        match self.history.apply(&mut self.state, edit) {
            Ok(true) => {
                self.refresh();
                self.note_introduced(&before);
                if !notes.is_empty() {
                    self.say_edited(format!(
                        "{}; {} — u undoes",
                        describe(edit),
                        notes.join("; ")
                    ));
                } else if dropped.is_empty() {
                    self.say_edited(describe(edit));
                } else {
                    let names: Vec<&str> = dropped
                        .iter()
                        .map(|d| d.split(':').next().unwrap_or(d))
                        .collect();
                    let text = format!(
                        "{}; left out (libvirt only): {} — u undoes",
                        describe(edit),
                        names.join(", ")
                    );
                    if self.introduced.is_empty() {
                        self.warn(text);
                    } else {
                        self.say_edited(text);
                    }
                }
                true
            }
            Ok(false) => {
                self.info(format!("{} — already so; nothing changed", describe(edit)));
                false
            }
            Err(e) => {
                self.error(e.to_string());
                false
            }
        }
    }

    /// Applies edits as one undo step; the caller says what happened. True when the document
    /// changed; on an error nothing changed and the error is shown.
    pub(crate) fn edit_all(&mut self, edits: &[Edit]) -> bool {
        self.try_edit_all(edits).unwrap_or_else(|e| {
            self.error(e.to_string());
            false
        })
    }

    /// Edits as one undo step, redrawn when the document changed.
    fn try_edit_all(&mut self, edits: &[Edit]) -> Result<bool, EditError> {
        let before = self.report.diagnostics.clone();
        let changed = self.history.apply_all(&mut self.state, edits)?;
        self.introduced.clear();
        if changed {
            self.refresh();
            self.note_introduced(&before);
            // Said now, so a caller that says nothing more still shows it.
            self.say_edited(String::new());
        }
        Ok(changed)
    }

    /// Remembers which errors the edit just made introduced (compared with `before`, as
    /// `set` refuses them).
    fn note_introduced(&mut self, before: &[check::Diagnostic]) {
        let mut codes: Vec<&'static str> = check::new_errors(before, &self.report.diagnostics)
            .iter()
            .map(|d| d.code)
            .collect();
        codes.dedup();
        self.introduced = codes;
    }

    /// Says what an edit did: info, or a warning naming the errors it introduced (so an edit
    /// never makes the document one libvirt refuses without saying so).
    pub(crate) fn say_edited(&mut self, text: impl Into<String>) {
        let text = text.into();
        if self.introduced.is_empty() {
            if !text.is_empty() {
                self.info(text);
            }
            return;
        }
        let what = text
            .trim_end_matches(" (u undoes)")
            .trim_end_matches(" — u undoes");
        let sep = if what.is_empty() { "" } else { "; " };
        let plural = if self.introduced.len() == 1 { "" } else { "s" };
        self.warn(format!(
            "{what}{sep}new error{plural} libvirt refuses: {} (c shows) — u undoes",
            self.introduced.join(", ")
        ));
    }

    /// Applies one of `explain`'s fixes, all its edits one undo step; true when it changed
    /// the document.
    pub(crate) fn apply_fix(&mut self, fix: &check::explain::Fix) -> bool {
        if let [edit] = fix.edits.as_slice() {
            return self.edit(edit);
        }
        let outcome = self.try_edit_all(&fix.edits);
        match &outcome {
            Ok(true) => self.say_edited(format!("Applied: {} — u undoes", fix.text)),
            Ok(false) => self.info(format!("{} — already so; nothing changed", fix.text)),
            Err(e) => self.error(e.to_string()),
        }
        matches!(outcome, Ok(true))
    }

    pub(crate) fn diff_text(&self) -> String {
        crate::edit::diff::unified_diff(&self.name, &self.disk, self.source())
    }

    /// `w`, or `y` on the save diff: where and how to write.
    pub(crate) fn save_effect(&mut self) -> Vec<Effect> {
        match &self.target {
            // virsh defines this file when we exit: the same question as for `--domain`.
            Target::File(_) if self.virsh_edit && self.state.dom.qemu_cpu.is_some() => {
                self.open(Overlay::QemuCpuDropped(QemuCpuDropped { defined: false }));
                Vec::new()
            }
            Target::File(_) => self.write_effect(),
            Target::Unnamed { suggestion } => {
                self.open(Overlay::Prompt(Prompt::save_as(suggestion.clone())));
                Vec::new()
            }
            // libvirt 9.0 would drop `<qemu:cpu>` silently: ask first.
            Target::Domain { .. } if self.state.dom.qemu_cpu.is_some() => {
                self.open(Overlay::QemuCpuDropped(QemuCpuDropped { defined: false }));
                Vec::new()
            }
            Target::Domain { .. } => self.write_effect(),
        }
    }

    /// What `w` writes to: the file, or libvirt through `virsh define`.
    pub(crate) fn write_effect(&self) -> Vec<Effect> {
        match &self.target {
            Target::File(path) => vec![Effect::Save {
                path: path.clone(),
                bytes: self.state.doc.shared_source(),
                expected: Some(Arc::clone(&self.disk)),
                stamp: self.disk_stamp.clone(),
            }],
            Target::Domain { name, uri } => vec![Effect::Define {
                name: name.clone(),
                uri: uri.clone(),
                bytes: self.state.doc.shared_source(),
                expected: Arc::clone(&self.disk),
            }],
            _ => Vec::new(),
        }
    }

    /// The save-as prompt, pre-filled with a name next to the target.
    pub(crate) fn save_elsewhere(&mut self) {
        let suggestion = match &self.target {
            Target::File(p) => format!("{}.new", p.display()),
            Target::Unnamed { suggestion } => suggestion.clone(),
            Target::Domain { name, .. } => format!("{name}.xml"),
        };
        self.open(Overlay::Prompt(Prompt::save_as(suggestion)));
    }

    /// Replaces the document with `bytes` read from the target (with the file's stamp when
    /// it is a file), dropping the edits.
    fn reload(&mut self, bytes: String, stamp: Option<FileStamp>) {
        let doc = match Document::parse_owned(bytes.into_bytes()) {
            Ok(d) => d,
            Err(e) => return self.error(format!("cannot reload: {e}; your edits are kept")),
        };
        match Edited::new(doc) {
            Ok(state) => {
                let disk = state.doc.shared_source();
                self.state = state;
                self.set_disk(disk, stamp);
                self.history = History::default();
                self.refresh();
                self.baseline = self.report.diagnostics.clone();
                self.warn(match self.target {
                    Target::Domain { .. } => {
                        "Reloaded libvirt's definition; your edits were dropped"
                    }
                    _ => "Reloaded from disk; your edits were dropped",
                });
            }
            Err(e) => self.error(format!("cannot reload: {e}; your edits are kept")),
        }
    }
}

/// One line saying what an edit did, for the status line; `form`: where the QEMU model and
/// options were.
pub fn describe(edit: &Edit, form: QemuForm) -> String {
    let q = form.label();
    match edit {
        Edit::SetModel(m) => format!("<cpu> model → {m}"),
        Edit::SetMode(m) => format!("<cpu> mode → {m}"),
        Edit::SetCheck(c) => format!("<cpu> check → {c}"),
        Edit::SetTopology(t) => format!("<cpu> topology → {t}"),
        Edit::SetVcpus(n) => format!("<vcpu> → {n}"),
        Edit::SetMaxPhysAddr(Some(a)) => format!("<cpu> maxphysaddr → {a}"),
        Edit::SetMaxPhysAddr(None) => "<cpu> maxphysaddr removed (QEMU's default)".into(),
        Edit::SetFeature { name, policy } => format!("<cpu> feature {name} → {policy}"),
        Edit::DropFeature(n) => format!("<cpu> feature {n} removed (the model decides)"),
        Edit::RenameFeature { from, to } => format!("<cpu> feature {from} → {to}"),
        Edit::SetQemuModel(m) => format!("{q} model → {m}"),
        Edit::SetQemuOption {
            name,
            value: Some(v),
        } => format!("{q} {name}={v}"),
        Edit::SetQemuOption { name, value: None } => format!("{q} {name}"),
        Edit::RemoveQemuOption(n) => format!("{q} option {n} removed"),
        Edit::RenameQemuOption { from, to } => format!("{q} option {from} → {to}"),
        Edit::MoveToQemu => "moved model and features from <cpu> to <qemu:cpu>".into(),
        Edit::MoveToCpu(_) => "moved model and options from <qemu:cpu> to <cpu>".into(),
        Edit::ToCommandline { .. } => "<qemu:cpu> → <qemu:commandline>".into(),
        Edit::FromCommandline { .. } => "<qemu:commandline> -cpu → <qemu:cpu>".into(),
        Edit::SetHyperv(s) => format!(
            "Hyper-V {} → {}{}",
            s.name,
            if s.on { "on" } else { "off" },
            s.value
                .as_deref()
                .map(|v| format!(" ({v})"))
                .unwrap_or_default()
        ),
        Edit::HypervPreset(crate::edit::HypervPreset::Off) => "<hyperv> removed".into(),
        Edit::HypervPreset(crate::edit::HypervPreset::Passthrough) => {
            "<hyperv mode='passthrough'>".into()
        }
        Edit::HypervPreset(crate::edit::HypervPreset::Custom(l)) => {
            format!("<hyperv> preset: {} enlightenments", l.len())
        }
        Edit::SetNested(c) => format!(
            "nested {}{}",
            if c.on { "on" } else { "off" },
            c.ext
                .map(|e| format!(" ({})", e.name()))
                .unwrap_or_default()
        ),
    }
}

/// Changes the state for one action; returns the work for the loop.
pub fn update(m: &mut AppState, action: Action) -> Vec<Effect> {
    // Outcomes of effects apply whatever is on screen.
    if let Action::Defined { result } = action {
        defined(m, result);
        return Vec::new();
    }
    match action {
        Action::SaveDone {
            path,
            bytes,
            result,
        } => {
            saved(m, path, bytes, result);
            return Vec::new();
        }
        Action::Copied(text) => {
            m.info(text);
            return Vec::new();
        }
        Action::Reloaded(Ok((bytes, stamp))) => {
            m.reload(bytes, stamp);
            return Vec::new();
        }
        Action::Reloaded(Err(e)) => {
            m.error(e);
            return Vec::new();
        }
        Action::SaveAsExists(path) => {
            m.open(Overlay::ConfirmOverwrite(ConfirmOverwrite { path }));
            return Vec::new();
        }
        _ => {}
    }
    // The size matters to a dialog too (how far its list scrolls).
    if let Action::Resized(w, h) = action {
        m.screen = Some((w, h));
    }
    let Some(action) = when_too_small(m, action) else {
        return Vec::new();
    };
    let effects = match m.overlay {
        Some(_) => dialogs::key(m, action),
        None => panes::key(m, action),
    };
    // `w` in the quit question quits once its save succeeds; back on the main screen with
    // nothing being saved, it is forgotten.
    let saving = effects.iter().any(|e| {
        matches!(
            e,
            Effect::Save { .. } | Effect::SaveAs { .. } | Effect::Define { .. }
        )
    });
    if m.overlay.is_none() && !saving {
        m.quit_after_save = false;
        // The question of going back to the domain list was answered "stay".
        if m.exit.is_none() {
            m.back = false;
        }
    }
    effects
}

/// A window too small for the screen shows only "Enlarge the window, or q to quit": keys then
/// do only that (an edit made out of sight would be a surprise), and answer the quit question,
/// which is drawn even then. `None`: the key does nothing.
fn when_too_small(m: &AppState, action: Action) -> Option<Action> {
    let too_small = m.screen.is_some_and(|(w, h)| !super::view::fits(w, h));
    if !too_small || matches!(m.overlay, Some(Overlay::ConfirmQuit)) {
        return Some(action);
    }
    match action {
        // In a text field `q` is a letter; here it is what the screen says.
        Action::Input('q') => Some(Action::Quit),
        Action::Quit | Action::Abort | Action::Cancel | Action::Resized(..) => Some(action),
        _ => None,
    }
}

/// After `virsh define`: show libvirt's version, or say that it dropped `<qemu:cpu>`.
fn defined(m: &mut AppState, result: Result<String, SaveFailure>) {
    let name = match &m.target {
        Target::Domain { name, .. } => name.clone(),
        _ => String::new(),
    };
    match result {
        Ok(now) => {
            let held = Document::parse(now.as_bytes())
                .ok()
                .and_then(|d| crate::domain::Domain::read(&d).ok());
            let dropped =
                m.state.dom.qemu_cpu.is_some() && held.is_some_and(|d| d.qemu_cpu.is_none());
            if dropped {
                // Keep our document, so one key converts it and defines again.
                m.set_disk(Arc::new(now), None);
                m.open(Overlay::QemuCpuDropped(QemuCpuDropped { defined: true }));
            } else {
                m.reload(now, None);
                m.info(format!("Defined {name}; showing libvirt's definition"));
                if std::mem::take(&mut m.quit_after_save) {
                    m.exit = Some(0);
                }
            }
        }
        Err(failure) => save_failed(m, failure),
    }
}

/// A failed save or define: the message, and a reload offer when the target changed meanwhile.
fn save_failed(m: &mut AppState, failure: SaveFailure) {
    // Stay, so the user sees why and decides again.
    m.quit_after_save = false;
    let (message, reload, recreate) = match failure {
        SaveFailure::ChangedOnDisk(message) => (message, true, false),
        SaveFailure::Deleted(message) => (message, false, true),
        SaveFailure::Other(message) => (message, false, false),
    };
    m.open(Overlay::SaveFailed(SaveFailed {
        message,
        reload,
        recreate,
    }));
}

fn saved(m: &mut AppState, path: PathBuf, bytes: Arc<String>, result: Result<Saved, SaveFailure>) {
    match result {
        Ok(outcome) => {
            m.set_disk(bytes, Some(outcome.stamp().clone()));
            m.baseline = m.report.diagnostics.clone();
            let shown = path.display().to_string();
            m.target = Target::File(path);
            m.name = shown.clone();
            m.read_only = false;
            match outcome {
                Saved::Written(_) => m.info(format!("Wrote {shown}")),
                Saved::Unchanged(_) => {
                    m.info(format!("{shown} already holds this; nothing written"))
                }
            }
            if std::mem::take(&mut m.quit_after_save) {
                m.exit = Some(0);
            }
        }
        Err(failure) => save_failed(m, failure),
    }
}

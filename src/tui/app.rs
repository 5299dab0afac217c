//! The TUI's state and its one way to change: `update(&mut Model, Action) -> Vec<Effect>`.
//!
//! `update` is pure — no terminal, no files, no clipboard. What needs the outside world (write the
//! file, copy, reload) is returned as an [`Effect`]; the loop in `tui::run` carries it out and
//! feeds the outcome back as an [`Action`]. Tests drive the same function with key strings.

use super::features::{self, FeatureList};
use super::picker::Picker;
use crate::argv::{QemuCaps, Reading};
use crate::catalog::Catalog;
use crate::check::{self, Report};
use crate::edit::{Edit, Edited, History};
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

/// A one-line text field. A pre-filled default (`selected`) is shown selected: the first typed
/// character replaces it, Backspace or Ctrl-U clears it, an arrow key, Home or End keeps it for
/// editing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Field {
    pub text: String,
    /// Byte offset of the cursor in `text`, on a character boundary.
    pub cursor: usize,
    pub selected: bool,
}

impl Field {
    /// A pre-filled default, selected, the cursor at its end.
    pub fn default_text(text: impl Into<String>) -> Field {
        let text = text.into();
        Field {
            cursor: text.len(),
            text,
            selected: true,
        }
    }

    /// Applies an editing key; false when `action` is not one.
    fn apply(&mut self, action: &Action) -> bool {
        let replaces = matches!(
            action,
            Action::Input(_) | Action::Backspace | Action::DeleteForward | Action::ClearLine
        );
        if !replaces
            && !matches!(
                action,
                Action::Left | Action::Right | Action::Home | Action::End
            )
        {
            return false;
        }
        if std::mem::take(&mut self.selected) && replaces {
            self.text.clear();
            self.cursor = 0;
            if !matches!(action, Action::Input(_)) {
                return true;
            }
        }
        let before = self.text[..self.cursor].chars().next_back();
        let after = self.text[self.cursor..].chars().next();
        match *action {
            Action::Input(c) => {
                self.text.insert(self.cursor, c);
                self.cursor += c.len_utf8();
            }
            Action::Backspace => {
                if let Some(c) = before {
                    self.cursor -= c.len_utf8();
                    self.text.remove(self.cursor);
                }
            }
            Action::DeleteForward if after.is_some() => {
                self.text.remove(self.cursor);
            }
            Action::ClearLine => {
                self.text.clear();
                self.cursor = 0;
            }
            Action::Left => self.cursor -= before.map_or(0, char::len_utf8),
            Action::Right => self.cursor += after.map_or(0, char::len_utf8),
            Action::Home => self.cursor = 0,
            Action::End => self.cursor = self.text.len(),
            _ => {}
        }
        true
    }
}

/// What a text prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptFor {
    SaveAs,
    /// `name=value` for `<qemu:cpu>`.
    Option,
}

/// A window over the panes; keys go to the topmost one.
#[derive(Debug, Clone)]
pub enum Overlay {
    Help,
    Picker(Picker),
    Features(FeatureList),
    /// The unified diff against the file; `save` when `w` asked for it (then `y` writes).
    Diff {
        text: String,
        scroll: u16,
        save: bool,
    },
    Prompt {
        purpose: PromptFor,
        input: Field,
    },
    /// Quitting with unsaved edits: only `y` (or `Q`, abort) drops them.
    ConfirmQuit,
    /// Save-as named a file that exists and is not the one loaded: `y` overwrites it.
    ConfirmOverwrite {
        path: PathBuf,
    },
    /// A save that did not write: the message, and whether reloading is offered.
    SaveFailed {
        message: String,
        reload: bool,
    },
    /// The file was deleted since it was opened: `y` creates it again (asking before
    /// overwriting a file that appeared there meanwhile), `s` saves elsewhere.
    Deleted {
        message: String,
    },
    /// `<qemu:cpu>` and libvirt 9.0, which does not implement it and drops it silently on define.
    /// Before defining (`defined: false`): `c` converts to `<qemu:commandline>` and defines, `d`
    /// defines anyway. After libvirt dropped it (`defined: true`): `c` converts and defines again.
    QemuCpuDropped {
        defined: bool,
    },
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
    Quit,
    Abort,
    /// Apply the fix of the n-th fixable diagnostic (1-based, as shown).
    Fix(usize),
    OpenPicker,
    OpenFeatures,
    MoveToOther,
    AddOption,
    Up,
    Down,
    PageUp,
    PageDown,
    Input(char),
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

/// Work for the loop: everything that touches the world outside the model.
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

pub struct Model {
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
}

impl Model {
    /// The view of a loaded document (`state`: the document with the domain already read).
    pub fn new(
        state: Edited,
        name: String,
        target: Target,
        caps: QemuCaps,
        catalog: &'static Catalog,
    ) -> Model {
        let disk = state.doc.shared_source();
        let reading = Reading::Merge;
        let report = check::check(&state.doc, &state.dom, &caps, catalog, reading);
        Model {
            catalog,
            caps,
            name,
            target,
            disk,
            disk_stamp: None,
            state,
            history: History::default(),
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
        }
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
            Pane::Qemu => self
                .state
                .dom
                .qemu_cpu
                .as_ref()?
                .models
                .first()?
                .name
                .clone(),
        }
    }

    fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            level: Level::Info,
            text: text.into(),
        });
    }

    fn warn(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            level: Level::Warning,
            text: text.into(),
        });
    }

    fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            level: Level::Error,
            text: text.into(),
        });
    }

    /// Re-checks after the document or the reading changed.
    fn refresh(&mut self) {
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
    fn edit(&mut self, edit: &Edit) -> bool {
        let dropped = self.state.left_behind(edit);
        match self.history.apply(&mut self.state, edit) {
            Ok(true) => {
                self.refresh();
                if dropped.is_empty() {
                    self.info(describe(edit));
                } else {
                    let names: Vec<&str> = dropped
                        .iter()
                        .map(|d| d.split(':').next().unwrap_or(d))
                        .collect();
                    self.warn(format!(
                        "{}; left out (libvirt only): {} — u undoes",
                        describe(edit),
                        names.join(", ")
                    ));
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

    fn diff_text(&self) -> String {
        crate::edit::diff::unified_diff(&self.name, &self.disk, self.source())
    }

    /// `w`, or `y` on the save diff: where and how to write.
    fn save_effect(&mut self) -> Vec<Effect> {
        match &self.target {
            // virsh defines this file when we exit: the same question as for `--domain`.
            Target::File(_) if self.virsh_edit && self.state.dom.qemu_cpu.is_some() => {
                self.overlay = Some(Overlay::QemuCpuDropped { defined: false });
                Vec::new()
            }
            Target::File(_) => self.write_effect(),
            Target::Unnamed { suggestion } => {
                self.overlay = Some(Overlay::Prompt {
                    purpose: PromptFor::SaveAs,
                    input: Field::default_text(suggestion.clone()),
                });
                Vec::new()
            }
            // libvirt 9.0 would drop `<qemu:cpu>` silently: ask first.
            Target::Domain { .. } if self.state.dom.qemu_cpu.is_some() => {
                self.overlay = Some(Overlay::QemuCpuDropped { defined: false });
                Vec::new()
            }
            Target::Domain { .. } => self.write_effect(),
        }
    }

    /// What `w` writes to: the file, or libvirt through `virsh define`.
    fn write_effect(&self) -> Vec<Effect> {
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
    fn save_elsewhere(&mut self) {
        let suggestion = match &self.target {
            Target::File(p) => format!("{}.new", p.display()),
            Target::Unnamed { suggestion } => suggestion.clone(),
            Target::Domain { name, .. } => format!("{name}.xml"),
        };
        self.overlay = Some(Overlay::Prompt {
            purpose: PromptFor::SaveAs,
            input: Field::default_text(suggestion),
        });
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
                self.warn("Reloaded from disk; your edits were dropped");
            }
            Err(e) => self.error(format!("cannot reload: {e}; your edits are kept")),
        }
    }
}

/// One line saying what an edit did, for the status line.
pub fn describe(edit: &Edit) -> String {
    match edit {
        Edit::SetModel(m) => format!("<cpu> model → {m}"),
        Edit::SetMode(m) => format!("<cpu> mode → {m}"),
        Edit::SetFeature { name, policy } => format!("<cpu> feature {name} → {policy}"),
        Edit::DropFeature(n) => format!("<cpu> feature {n} removed (the model decides)"),
        Edit::RenameFeature { from, to } => format!("<cpu> feature {from} → {to}"),
        Edit::SetQemuModel(m) => format!("<qemu:cpu> model → {m}"),
        Edit::SetQemuOption {
            name,
            value: Some(v),
        } => format!("<qemu:cpu> {name}={v}"),
        Edit::SetQemuOption { name, value: None } => format!("<qemu:cpu> {name}"),
        Edit::RemoveQemuOption(n) => format!("<qemu:cpu> option {n} removed"),
        Edit::RenameQemuOption { from, to } => format!("<qemu:cpu> option {from} → {to}"),
        Edit::MoveToQemu => "moved model and features from <cpu> to <qemu:cpu>".into(),
        Edit::MoveToCpu(_) => "moved model and options from <qemu:cpu> to <cpu>".into(),
        Edit::ToCommandline { .. } => "<qemu:cpu> → <qemu:commandline>".into(),
        Edit::FromCommandline { .. } => "<qemu:commandline> -cpu → <qemu:cpu>".into(),
    }
}

/// Changes the model for one action; returns the work for the loop.
pub fn update(m: &mut Model, action: Action) -> Vec<Effect> {
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
            m.overlay = Some(Overlay::ConfirmOverwrite { path });
            return Vec::new();
        }
        _ => {}
    }
    let Some(action) = when_too_small(m, action) else {
        return Vec::new();
    };
    let effects = match m.overlay.take() {
        None => main(m, action),
        Some(overlay) => in_overlay(m, overlay, action),
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
    }
    effects
}

/// A window too small for the screen shows only "Enlarge the window, or q to quit": keys then
/// do only that (an edit made out of sight would be a surprise), and answer the quit question,
/// which is drawn even then. `None`: the key does nothing.
fn when_too_small(m: &Model, action: Action) -> Option<Action> {
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
fn defined(m: &mut Model, result: Result<String, SaveFailure>) {
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
                m.overlay = Some(Overlay::QemuCpuDropped { defined: true });
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
fn save_failed(m: &mut Model, failure: SaveFailure) {
    // Stay, so the user sees why and decides again.
    m.quit_after_save = false;
    let (message, reload) = match failure {
        SaveFailure::Deleted(message) => {
            m.overlay = Some(Overlay::Deleted { message });
            return;
        }
        SaveFailure::ChangedOnDisk(message) => (message, true),
        SaveFailure::Other(message) => (message, false),
    };
    m.overlay = Some(Overlay::SaveFailed { message, reload });
}

fn saved(m: &mut Model, path: PathBuf, bytes: Arc<String>, result: Result<Saved, SaveFailure>) {
    match result {
        Ok(outcome) => {
            m.set_disk(bytes, Some(outcome.stamp().clone()));
            let shown = path.display().to_string();
            m.target = Target::File(path);
            m.name = shown.clone();
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

/// Keys on the two panes.
fn main(m: &mut Model, action: Action) -> Vec<Effect> {
    m.status = None;
    match action {
        Action::FocusNext => m.focus = m.focus.other(),
        Action::Focus(p) => m.focus = p,
        Action::ToggleReading => {
            m.reading = match m.reading {
                Reading::Merge => Reading::Override,
                Reading::Override => Reading::Merge,
            };
            m.refresh();
            m.info(match m.reading {
                Reading::Merge => "Reading: merge — libvirt's appended options follow <qemu:cpu> (the proposal's default)",
                Reading::Override => "Reading: override — <qemu:cpu> is the whole -cpu, nothing appended",
            });
        }
        Action::Undo => match m.history.undo(&mut m.state) {
            Ok(true) => {
                m.refresh();
                m.info("Undone");
            }
            Ok(false) => m.info("Nothing to undo"),
            Err(e) => m.error(e.to_string()),
        },
        Action::Redo => match m.history.redo(&mut m.state) {
            Ok(true) => {
                m.refresh();
                m.info("Redone");
            }
            Ok(false) => m.info("Nothing to redo"),
            Err(e) => m.error(e.to_string()),
        },
        Action::ShowDiff | Action::Save if !m.modified => m.info(if action == Action::Save {
            "No changes; nothing to write"
        } else {
            "No changes"
        }),
        Action::ShowDiff => {
            m.overlay = Some(Overlay::Diff {
                text: m.diff_text(),
                scroll: 0,
                save: false,
            })
        }
        Action::Save => {
            m.overlay = Some(Overlay::Diff {
                text: m.diff_text(),
                scroll: 0,
                save: true,
            })
        }
        Action::Copy => match m.argv_text() {
            Some(text) => return vec![Effect::Copy(text)],
            None => m.warn("No -cpu to copy: libvirt refuses this domain (see the diagnostics)"),
        },
        Action::Help => m.overlay = Some(Overlay::Help),
        Action::Quit if m.modified => m.overlay = Some(Overlay::ConfirmQuit),
        Action::Quit => m.exit = Some(0),
        Action::Abort => m.exit = Some(EXIT_ABORT),
        Action::Fix(n) => {
            let fix = m.fixable().nth(n.wrapping_sub(1)).map(|(_, e)| e.clone());
            match fix {
                Some(edit) => {
                    m.edit(&edit);
                }
                None => m.info(format!("No fix numbered {n}")),
            }
        }
        Action::OpenPicker => {
            let current = m.model_of(m.focus);
            m.overlay = Some(Overlay::Picker(Picker::new(
                m.focus, m.catalog, &m.caps, current,
            )));
        }
        Action::OpenFeatures => {
            m.overlay = Some(Overlay::Features(FeatureList::new(
                m.focus,
                m.catalog,
                &m.state.dom,
            )))
        }
        Action::MoveToOther => {
            let edit = match m.focus {
                Pane::Cpu => Edit::MoveToQemu,
                Pane::Qemu => Edit::MoveToCpu(crate::edit::LibvirtModels(&m.catalog.libvirt)),
            };
            if m.edit(&edit) {
                m.focus = m.focus.other();
            }
        }
        Action::AddOption => {
            m.overlay = Some(Overlay::Prompt {
                purpose: PromptFor::Option,
                input: Field::default(),
            })
        }
        Action::Up => scroll(m, m.focus, -1),
        Action::Down => scroll(m, m.focus, 1),
        Action::PageUp => scroll(m, m.focus, -10),
        Action::PageDown => scroll(m, m.focus, 10),
        Action::Scroll(p, d) => scroll(m, p, d),
        Action::Resized(w, h) => {
            m.screen = Some((w, h));
            for pane in [Pane::Cpu, Pane::Qemu] {
                scroll(m, pane, 0);
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Scrolls a pane, from where it shows (the content may have shrunk since) to at most its end.
fn scroll(m: &mut Model, pane: Pane, delta: i16) {
    let limit = m.screen.map_or(u16::MAX, |(w, h)| {
        super::view::scroll_limit(m, pane, ratatui::layout::Rect::new(0, 0, w, h))
    });
    let s = &mut m.scroll[pane as usize];
    *s = (*s).min(limit).saturating_add_signed(delta).min(limit);
}

fn in_overlay(m: &mut Model, overlay: Overlay, action: Action) -> Vec<Effect> {
    match overlay {
        Overlay::Help => {
            // Any key closes help; `q` closes it rather than quitting.
            if !matches!(
                action,
                Action::Help | Action::Cancel | Action::Quit | Action::Submit
            ) {
                m.overlay = Some(Overlay::Help);
            }
        }
        Overlay::Picker(p) => return picker(m, p, action),
        Overlay::Features(f) => return feature_list(m, f, action),
        Overlay::Diff { text, scroll, save } => match action {
            Action::Yes if save => {
                return m.save_effect();
            }
            Action::Up => {
                m.overlay = Some(Overlay::Diff {
                    text,
                    scroll: scroll.saturating_sub(1),
                    save,
                })
            }
            Action::Down => {
                m.overlay = Some(Overlay::Diff {
                    text,
                    scroll: scroll.saturating_add(1),
                    save,
                })
            }
            Action::PageUp => {
                m.overlay = Some(Overlay::Diff {
                    text,
                    scroll: scroll.saturating_sub(10),
                    save,
                })
            }
            Action::PageDown => {
                m.overlay = Some(Overlay::Diff {
                    text,
                    scroll: scroll.saturating_add(10),
                    save,
                })
            }
            Action::Cancel | Action::Quit | Action::ShowDiff | Action::Submit => {
                if save {
                    m.quit_after_save = false;
                    m.info("Not saved");
                }
            }
            _ => m.overlay = Some(Overlay::Diff { text, scroll, save }),
        },
        Overlay::Prompt { purpose, mut input } => match action {
            Action::Cancel => m.info("Cancelled"),
            Action::Submit => return submit(m, purpose, input.text),
            a => {
                input.apply(&a);
                m.overlay = Some(Overlay::Prompt { purpose, input });
            }
        },
        Overlay::ConfirmOverwrite { path } => match action {
            Action::Yes => {
                // The user saw the name and said yes: write whatever is there now.
                return vec![Effect::Save {
                    path,
                    bytes: m.state.doc.shared_source(),
                    expected: None,
                    stamp: None,
                }];
            }
            Action::Cancel => {
                m.info("Not overwritten: choose another name, or Esc");
                m.overlay = Some(Overlay::Prompt {
                    purpose: PromptFor::SaveAs,
                    input: Field::default_text(path.display().to_string()),
                });
            }
            _ => m.overlay = Some(Overlay::ConfirmOverwrite { path }),
        },
        // Only an explicit `y` drops the edits: `q` again, Esc or `n` keep editing.
        Overlay::ConfirmQuit => match action {
            Action::Yes => m.exit = Some(0),
            Action::Abort => m.exit = Some(EXIT_ABORT),
            Action::Save => {
                m.quit_after_save = true;
                m.overlay = Some(Overlay::Diff {
                    text: m.diff_text(),
                    scroll: 0,
                    save: true,
                })
            }
            Action::Cancel => {}
            _ => m.overlay = Some(Overlay::ConfirmQuit),
        },
        Overlay::QemuCpuDropped { defined } => match action {
            Action::Convert => {
                let merged =
                    crate::argv::compute(&m.state.dom, &m.caps, &m.catalog.libvirt, Reading::Merge).value;
                match merged {
                    Some(value) => {
                        if m.edit(&Edit::ToCommandline { value }) {
                            return m.save_effect();
                        }
                    }
                    None => m.error("No -cpu to convert: libvirt refuses this domain"),
                }
            }
            Action::DefineAnyway if !defined => return m.write_effect(),
            Action::Cancel if defined => m.warn(
                "libvirt holds the domain without <qemu:cpu>; your document still has it (w defines again)",
            ),
            Action::Cancel => m.info("Not defined; your edits are kept"),
            _ => m.overlay = Some(Overlay::QemuCpuDropped { defined }),
        },
        Overlay::SaveFailed { message, reload } => match action {
            Action::Reload if reload => return vec![Effect::Reload(m.target.clone())],
            Action::SaveElsewhere => m.save_elsewhere(),
            Action::Cancel => m.info("Not saved; your edits are kept"),
            _ => m.overlay = Some(Overlay::SaveFailed { message, reload }),
        },
        Overlay::Deleted { message } => match (action, &m.target) {
            // As save-as to the same name: nothing there, it is created; a file that appeared
            // meanwhile is only overwritten after asking.
            (Action::Yes, Target::File(path)) => {
                return vec![Effect::SaveAs {
                    path: path.clone(),
                    bytes: m.state.doc.shared_source(),
                    loaded: None,
                    expected: Arc::clone(&m.disk),
                    stamp: None,
                }];
            }
            (Action::SaveElsewhere, _) => m.save_elsewhere(),
            (Action::Cancel, _) => m.info("Not saved; your edits are kept"),
            _ => m.overlay = Some(Overlay::Deleted { message }),
        },
    }
    Vec::new()
}

fn submit(m: &mut Model, purpose: PromptFor, input: String) -> Vec<Effect> {
    match purpose {
        PromptFor::SaveAs if input.trim().is_empty() => m.info("Not saved: no file name"),
        PromptFor::SaveAs => {
            let loaded = match &m.target {
                Target::File(p) => Some(p.clone()),
                _ => None,
            };
            // Another file already there is only overwritten after asking.
            return vec![Effect::SaveAs {
                path: PathBuf::from(input.trim()),
                bytes: m.state.doc.shared_source(),
                loaded,
                expected: Arc::clone(&m.disk),
                stamp: m.disk_stamp.clone(),
            }];
        }
        PromptFor::Option => {
            let input = input.trim();
            if input.is_empty() {
                m.info("No option given");
                return Vec::new();
            }
            if input.contains(',') {
                // QEMU splits -cpu at commas: the rest would become options of its own.
                m.error("One option at a time: QEMU splits -cpu at ',' (a value cannot hold one)");
                m.overlay = Some(Overlay::Prompt {
                    purpose: PromptFor::Option,
                    input: Field {
                        cursor: input.len(),
                        text: input.to_string(),
                        selected: false,
                    },
                });
                return Vec::new();
            }
            let (name, value) = match input.split_once('=') {
                Some((k, v)) => (k.trim().to_string(), Some(v.trim().to_string())),
                None => (input.to_string(), None),
            };
            m.edit(&Edit::SetQemuOption { name, value });
        }
    }
    Vec::new()
}

fn picker(m: &mut Model, mut p: Picker, action: Action) -> Vec<Effect> {
    match action {
        Action::Cancel => return Vec::new(),
        Action::Submit => {
            let Some(item) = p.selected_item() else {
                m.info("No model matches");
                m.overlay = Some(Overlay::Picker(p));
                return Vec::new();
            };
            let edit = match p.pane {
                Pane::Cpu => Edit::SetModel(item.name.clone()),
                Pane::Qemu => Edit::SetQemuModel(item.name.clone()),
            };
            m.edit(&edit);
            return Vec::new();
        }
        Action::Input(c) => {
            let mut q = std::mem::take(&mut p.query);
            q.push(c);
            p.set_query(q);
        }
        Action::Backspace => {
            let mut q = std::mem::take(&mut p.query);
            q.pop();
            p.set_query(q);
        }
        Action::ClearLine => p.set_query(String::new()),
        Action::Up => p.move_by(-1),
        Action::Down => p.move_by(1),
        Action::PageUp => p.move_by(-10),
        Action::PageDown => p.move_by(10),
        _ => {}
    }
    m.overlay = Some(Overlay::Picker(p));
    Vec::new()
}

fn feature_list(m: &mut Model, mut f: FeatureList, action: Action) -> Vec<Effect> {
    if f.searching {
        match action {
            Action::Input(c) => {
                let mut q = std::mem::take(&mut f.query);
                q.push(c);
                f.set_query(q);
            }
            Action::Backspace => {
                let mut q = std::mem::take(&mut f.query);
                q.pop();
                f.set_query(q);
            }
            Action::ClearLine => f.set_query(String::new()),
            Action::Submit => f.searching = false,
            Action::Cancel => {
                f.searching = false;
                f.set_query(String::new());
            }
            Action::Up => f.move_by(-1),
            Action::Down => f.move_by(1),
            _ => {}
        }
        m.overlay = Some(Overlay::Features(f));
        return Vec::new();
    }
    let name = f.selected_name().map(String::from);
    match action {
        Action::Cancel | Action::Quit | Action::OpenFeatures => return Vec::new(),
        Action::Search => f.searching = true,
        Action::Up => f.move_by(-1),
        Action::Down => f.move_by(1),
        Action::PageUp => f.move_by(-10),
        Action::PageDown => f.move_by(10),
        Action::Toggle => {
            if let Some(n) = name {
                m.edit(&features::toggle(m.catalog, &m.state.dom, f.pane, &n));
            }
        }
        Action::CyclePolicy if f.pane == Pane::Cpu => {
            if let Some(n) = name {
                m.edit(&features::cycle_policy(&m.state.dom, &n));
            }
        }
        Action::Remove => {
            if let Some(n) = name {
                match features::remove(&m.state.dom, f.pane, &n) {
                    Some(e) => {
                        m.edit(&e);
                    }
                    None => m.info(format!("{n} is not set; the model decides")),
                }
            }
        }
        Action::Undo | Action::Redo => {
            main(m, action);
        }
        _ => {}
    }
    m.overlay = Some(Overlay::Features(f));
    Vec::new()
}

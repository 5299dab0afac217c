//! The interactive view: `<cpu>` and `<qemu:cpu>` side by side, the live `-cpu`, diagnostics with
//! fixes, model picker, feature list, lossless save. Elm-style (DESIGN §2, §8): `app::update`
//! changes the state (`AppState`) and returns effects, `view::draw` only draws, this loop owns the terminal.

pub mod app;
pub mod clipboard;
pub mod dialogs;
pub mod domains;
pub mod effects;
pub mod fuzzy;
pub mod keymap;
pub mod loading;
pub mod panes;
pub mod terminal;
pub mod text;
pub mod theme;
pub mod view;

use crate::argv::QemuCaps;
use crate::catalog::Catalog;
use crate::host::{DomCaps, Runner, SystemRunner};
use crate::store;
use anyhow::Context;
use app::{Action, AppState, Target};
use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use std::collections::VecDeque;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

/// The demo domain `virt-cpu` opens without a file: the proposal's example with its typo.
pub const DEMO_NAME: &str = "icelake-240.xml";
/// What the demo's title adds after its name; the title drops it before it cuts the name.
pub const SAVE_HINT: &str = " (w asks where to save)";
pub const DEMO: &str = include_str!("../../assets/examples/icelake-240.xml");

/// What to open.
#[derive(Debug, Default)]
pub struct Options {
    /// A domain XML file, `-` for standard input, none for the demo.
    pub file: Option<PathBuf>,
    /// The host's `virsh domcapabilities` (from `--host-caps` or `-c URI`).
    pub host: Option<DomCaps>,
    /// A libvirt domain to edit (`--domain NAME`), at `uri` (`-c URI`).
    pub domain: Option<String>,
    pub uri: Option<String>,
    /// Without a file or a domain: the hosts whose domains the list shows (`-c`, repeated).
    pub hosts: Vec<String>,
    /// The catalog of the libvirt and QEMU the answers follow (none: libvirt 9.0 + QEMU 7.2's).
    pub catalog: Option<&'static Catalog>,
    /// What to tell the user first about the versions followed (a nearest known pair stands in).
    pub note: Option<String>,
    /// Finds the catalog and the note above when that means asking a daemon (`-c URI`, or the
    /// host of a domain the list opens): run behind the loading screen, with the rest of the
    /// loading.
    pub select: Option<Select>,
}

/// What a deferred choice of catalog gives: the catalog to follow and the note to show.
pub type Selection = anyhow::Result<(&'static Catalog, Option<String>)>;

/// A deferred choice of catalog: the one to follow for the daemon at a URI.
#[derive(Clone)]
pub struct Select(pub std::sync::Arc<dyn Fn(&str) -> Selection + Send + Sync>);

impl std::fmt::Debug for Select {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Select(..)")
    }
}

/// Builds the state for what `opts` names (no terminal involved).
pub fn load(opts: &Options, catalog: &'static Catalog) -> anyhow::Result<AppState> {
    load_with(opts, catalog, &SystemRunner)
}

/// [`load`] with `virsh` run through `runner`.
pub fn load_with(
    opts: &Options,
    catalog: &'static Catalog,
    runner: &dyn Runner,
) -> anyhow::Result<AppState> {
    let (loaded, target) = match (&opts.domain, &opts.file) {
        (Some(name), _) => {
            let xml = effects::dumpxml(runner, opts.uri.as_deref(), name)?;
            let loaded = store::load::from_bytes(
                xml.into_bytes(),
                name,
                store::Origin::Libvirt { name: name.clone() },
            )?;
            (
                loaded,
                Target::Domain {
                    name: name.clone(),
                    uri: opts.uri.clone(),
                },
            )
        }
        (None, None) => {
            let loaded = store::load::from_bytes(
                DEMO.as_bytes().to_vec(),
                DEMO_NAME,
                store::Origin::Builtin { name: DEMO_NAME },
            )?;
            (
                loaded,
                Target::Unnamed {
                    suggestion: DEMO_NAME.into(),
                },
            )
        }
        (None, Some(p)) if p.as_os_str() == "-" => {
            let loaded = store::open(p)?;
            let suggestion = save_as_name(&loaded.doc);
            (loaded, Target::Unnamed { suggestion })
        }
        (None, Some(p)) => (store::open(p)?, Target::File(p.clone())),
    };
    let name = match (&opts.domain, &opts.file) {
        (Some(name), _) => match &opts.uri {
            Some(uri) => format!("domain {name} ({uri}; w defines it)"),
            None => format!("domain {name} (w defines it)"),
        },
        (None, None) => format!("demo: {DEMO_NAME}{SAVE_HINT}"),
        (None, Some(_)) => loaded.display_name(),
    };
    let caps = QemuCaps::from_catalog(&loaded.domain, catalog);
    // With `-c URI` and no saved caps, ask libvirt about this domain's own virt type and arch;
    // without an answer the view still works, host checks just stay off.
    let live = match (&opts.host, &opts.uri) {
        (None, Some(uri)) => DomCaps::for_domain(runner, Some(uri), &loaded.domain)
            .ok()
            .map(|mut c| {
                // The `p` dialog judges bits the domain may not set yet against the host's
                // width (libvirt 9.0 says it only in `virsh capabilities`).
                c.ask_phys_bits(runner, Some(uri));
                c
            }),
        _ => None,
    };
    let caps = match opts.host.as_ref().or(live.as_ref()) {
        Some(h) => caps.with_host(h),
        None => caps,
    };
    let stamp = loaded.origin.stamp().cloned();
    let state = crate::edit::Edited::from_read(loaded.doc, loaded.domain);
    let mut model = AppState::new(state, name, target, caps, catalog);
    model.disk_stamp = stamp;
    model.virsh_edit = opts.file.as_deref().is_some_and(is_virsh_edit_copy);
    model.read_only = match &model.target {
        Target::File(p) => !store::save::is_writable(p),
        _ => false,
    };
    Ok(model)
}

/// The name save-as offers for a document without a file: `NAME.xml` after the domain's
/// `<name>` when that makes a plain file name here, else `domain.xml`.
fn save_as_name(doc: &crate::xml::Document) -> String {
    let root = doc.root();
    let name = doc
        .children(root)
        .find(|&c| doc.local_name(c) == "name")
        .map(|c| doc.text(c));
    match name.as_deref().map(str::trim) {
        Some(n)
            if !n.is_empty()
                && n.len() <= 200
                && !n.starts_with('.')
                && !n.starts_with('-')
                && n.chars().all(|c| c != '/' && !crate::visible::is_unsafe(c)) =>
        {
            format!("{n}.xml")
        }
        _ => "domain.xml".into(),
    }
}

/// `virsh edit` hands its editor a temporary `virshXXXXXX.xml` and defines it afterwards; an
/// ancestor process named `virsh` (the editor may be started through a shell) confirms it.
fn is_virsh_edit_copy(path: &std::path::Path) -> bool {
    let named = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
        n.len() == "virshXXXXXX.xml".len() && n.starts_with("virsh") && n.ends_with(".xml")
    });
    named && ancestor_named("virsh")
}

/// Whether one of the few processes above this one is `name` (Linux: /proc).
fn ancestor_named(name: &str) -> bool {
    let mut pid = std::process::id();
    for _ in 0..4 {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            return false;
        };
        // `pid (comm) state ppid …`; comm may hold spaces, so read after the last `)`.
        let Some(ppid) = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            return false;
        };
        if ppid <= 1 {
            return false;
        }
        let comm = std::fs::read_to_string(format!("/proc/{ppid}/comm")).unwrap_or_default();
        if comm.trim_end() == name {
            return true;
        }
        pid = ppid;
    }
    false
}

/// Runs the TUI until the user quits; returns the exit code (0, or non-zero for an abort). A
/// fatal signal ends the process by that signal once the terminal is given back.
pub fn run(mut opts: Options) -> anyhow::Result<i32> {
    // What asks libvirt (`-c URI`, `--domain`) may wait: it runs behind the loading screen. The
    // rest loads first, so a bad file is reported before the terminal is taken.
    let asks_libvirt = opts.uri.is_some()
        || opts.domain.is_some()
        || opts.select.is_some()
        || !opts.hosts.is_empty();
    let early = if asks_libvirt {
        None
    } else {
        Some(load_selected(&opts)?)
    };
    let tty = terminal::Tty::open().map_err(needs_terminal)?;
    if !std::io::stdout().is_terminal() {
        return Err(needs_terminal("standard output is not a terminal".into()));
    }
    let theme = theme::Theme::from_env();
    let mut guard = terminal::Guard::new(tty).context("cannot set up the terminal")?;
    if !opts.hosts.is_empty() && opts.domain.is_none() && opts.file.is_none() {
        let ended = domain_list(opts, &mut guard, &theme)?;
        drop(guard);
        return match ended {
            Ended::Quit(code) => Ok(code),
            Ended::Back => Ok(0),
            Ended::Signalled(sig) => terminal::die_by(sig),
        };
    }
    let outcome = match early {
        // The `-cpu` depends on the host and none was given: the local libvirt may know it.
        Some(mut model) if wants_local_host(&opts, &model) => {
            let what = format!("the local libvirt ({LOCAL_URI}) for the host");
            loading::wait(&mut guard, &theme, what, move || {
                ask_local_host(&mut model, &SystemRunner);
                Ok(model)
            })
        }
        Some(model) => Ok(loading::Outcome::Loaded(Box::new(model))),
        None => {
            let what = match (&opts.uri, &opts.domain) {
                (Some(uri), Some(name)) => format!("libvirt at {uri} for domain {name}"),
                (Some(uri), None) => format!("libvirt at {uri}"),
                (None, Some(name)) => format!("libvirt (default connection) for domain {name}"),
                (None, None) => "libvirt".to_string(),
            };
            let select = opts.select.take();
            loading::wait(&mut guard, &theme, what, move || {
                if let (Some(Select(select)), Some(uri)) = (select, &opts.uri) {
                    let (catalog, note) = select(uri)?;
                    opts.catalog = Some(catalog);
                    opts.note = note;
                }
                load_selected(&opts)
            })
        }
    };
    let model = match outcome {
        Ok(loading::Outcome::Loaded(model)) => *model,
        Ok(loading::Outcome::Quit) => return Ok(0),
        Ok(loading::Outcome::Signalled(sig)) => {
            drop(guard);
            terminal::die_by(sig)
        }
        // Said on the normal screen, after the guard gives it back.
        Err(e) => return Err(e),
    };
    let code = event_loop(model, &mut guard, &theme)?;
    drop(guard);
    match code {
        Ended::Quit(code) => Ok(code),
        Ended::Back => Ok(0),
        Ended::Signalled(sig) => terminal::die_by(sig),
    }
}

/// `-c URI` (repeatable) without a domain: the hosts' domains ([`domains`]), each opened as
/// `--domain NAME -c ITS-URI` opens it; `Esc` there comes back to the list, its host asked again.
fn domain_list(
    opts: Options,
    guard: &mut terminal::Guard,
    theme: &theme::Theme,
) -> anyhow::Result<Ended> {
    let hosts = opts.hosts.clone();
    let asked = {
        let hosts = hosts.clone();
        loading::wait(guard, theme, asking_for_domains(&hosts), move || {
            Ok(list_of(&hosts))
        })?
    };
    let mut list = match asked {
        loading::Outcome::Loaded(b) => *b,
        loading::Outcome::Quit => return Ok(Ended::Quit(0)),
        loading::Outcome::Signalled(sig) => return Ok(Ended::Signalled(sig)),
    };
    loop {
        let (uri, name) = match list_loop(&mut list, guard, theme)? {
            ListEnded::Open(uri, name) => (uri, name),
            ListEnded::Quit => return Ok(Ended::Quit(0)),
            ListEnded::Signalled(sig) => return Ok(Ended::Signalled(sig)),
        };
        let mut one = Options {
            host: opts.host.clone(),
            domain: Some(name.clone()),
            uri: Some(uri.clone()),
            ..Options::default()
        };
        let select = opts.select.clone();
        let what = format!("libvirt at {uri} for domain {name}");
        let at = uri.clone();
        let loaded = loading::wait(guard, theme, what, move || {
            // The catalog of the domain's own host (its daemon's versions).
            if let Some(Select(select)) = select {
                let (catalog, note) = select(&at)?;
                one.catalog = Some(catalog);
                one.note = note;
            }
            load_selected(&one)
        });
        let model = match loaded {
            Ok(loading::Outcome::Loaded(m)) => Some(*m),
            Ok(loading::Outcome::Quit) => return Ok(Ended::Quit(0)),
            Ok(loading::Outcome::Signalled(sig)) => return Ok(Ended::Signalled(sig)),
            // Said in the list, which stays.
            Err(e) => {
                list.message = Some(format!("{name}: {e:#}"));
                None
            }
        };
        let Some(mut model) = model else { continue };
        model.from_list = true;
        match event_loop(model, guard, theme)? {
            Ended::Back => {}
            other => return Ok(other),
        }
        // Only the domain's host changed (what `w` defined): it alone is asked again.
        let what = asking_for_domains(std::slice::from_ref(&uri));
        let again_of = uri.clone();
        match loading::wait(guard, theme, what, move || Ok(scan_of(&[again_of])))? {
            loading::Outcome::Loaded(again) => list.refresh_host(&uri, &again),
            loading::Outcome::Quit => return Ok(Ended::Quit(0)),
            loading::Outcome::Signalled(sig) => return Ok(Ended::Signalled(sig)),
        }
    }
}

/// What the loading screen says while the list is asked for.
fn asking_for_domains(hosts: &[String]) -> String {
    match hosts {
        [one] => format!("libvirt at {one} for its domains"),
        more => format!("libvirt at {} for their domains", more.join(", ")),
    }
}

/// One scan of `hosts` for their domains (each host in parallel, a silent one given up after
/// the timeout while the others answer).
fn scan_of(hosts: &[String]) -> crate::scan::Scan {
    crate::scan::scan(&SystemRunner, hosts, &crate::scan::Options::default())
}

/// The domains of `hosts`, as one scan of them finds them.
fn list_of(hosts: &[String]) -> domains::DomainList {
    domains::DomainList::from_scan(&scan_of(hosts))
}

/// How the domain list was left.
enum ListEnded {
    /// The URI of its host and the domain's name.
    Open(String, String),
    Quit,
    Signalled(i32),
}

/// Draws the domain list and handles its keys until a domain is chosen or the user quits.
fn list_loop(
    list: &mut domains::DomainList,
    guard: &mut terminal::Guard,
    theme: &theme::Theme,
) -> anyhow::Result<ListEnded> {
    guard.terminal.clear()?;
    let mut redraw = true;
    loop {
        if redraw {
            guard.terminal.draw(|f| list.draw(f, theme))?;
            redraw = false;
        }
        match list.done.take() {
            Some(domains::Done::Open(uri, name)) => {
                list.message = None;
                return Ok(ListEnded::Open(uri, name));
            }
            Some(domains::Done::Quit) => return Ok(ListEnded::Quit),
            None => {}
        }
        if let Some(sig) = guard.signalled() {
            return Ok(ListEnded::Signalled(sig));
        }
        if guard.job_control()? {
            guard.terminal.clear()?;
            redraw = true;
            continue;
        }
        if !event::poll(Duration::from_millis(200))? {
            continue;
        }
        match event::read()? {
            Event::Key(k) if is_suspend(k) => {
                guard.suspend()?;
                guard.terminal.clear()?;
                redraw = true;
            }
            Event::Key(k) => {
                for k in split_alt(k) {
                    if let Some(a) = domains::DomainList::action(k) {
                        list.key(a);
                        redraw = true;
                    }
                }
            }
            // A paste into the filter types its characters, as before pastes were marked.
            Event::Paste(text) => {
                for k in pasted_keys(&text) {
                    if let Some(a) = domains::DomainList::action(k) {
                        list.key(a);
                        redraw = true;
                    }
                }
            }
            Event::Mouse(me) => {
                let a = match me.kind {
                    event::MouseEventKind::ScrollDown => Action::Down,
                    event::MouseEventKind::ScrollUp => Action::Up,
                    _ => continue,
                };
                list.key(a);
                redraw = true;
            }
            Event::Resize(..) => {
                guard.terminal.autoresize()?;
                redraw = true;
            }
            _ => {}
        }
    }
}

/// The libvirt asked for the host when the domain's `-cpu` depends on it and none was given.
pub const LOCAL_URI: &str = "qemu:///system";

/// Whether to ask the local libvirt for the host: the `-cpu` depends on the host, and neither
/// `--host-caps` nor `-c` (nor `--domain`, which asks its own libvirt) was given.
fn wants_local_host(opts: &Options, model: &AppState) -> bool {
    opts.host.is_none() && opts.uri.is_none() && opts.domain.is_none() && model.report.needs_host()
}

/// Asks the local libvirt ([`LOCAL_URI`], each `virsh` bounded by the host timeout) for the
/// host: with an answer the view follows that host and says so; without one it says how to
/// give the host.
pub fn ask_local_host(model: &mut AppState, runner: &dyn Runner) {
    match DomCaps::for_domain(runner, Some(LOCAL_URI), &model.state.dom) {
        Ok(host) => {
            model.caps = QemuCaps::from_catalog(&model.state.dom, model.catalog).with_host(&host);
            model.refresh();
            model.info(format!(
                "The host is the local libvirt's ({LOCAL_URI}): the -cpu follows its domcapabilities"
            ));
        }
        Err(e) => {
            let said = format!(
                "-cpu depends on the host: open the domain with -c URI or --host-caps FILE \
                 (the local libvirt, {LOCAL_URI}, did not tell it: {e})"
            );
            // The versions note, when there is one, stays first.
            match &mut model.status {
                Some(s) => s.text = format!("{}; {said}", s.text),
                None => model.warn(said),
            }
        }
    }
}

/// Loads what `opts` names with the catalog chosen, and says the versions note first.
fn load_selected(opts: &Options) -> anyhow::Result<AppState> {
    let mut model = load(opts, opts.catalog.unwrap_or_else(Catalog::embedded))?;
    if let Some(note) = &opts.note {
        model.status = Some(app::Status {
            level: app::Level::Warning,
            text: note.clone(),
        });
    }
    Ok(model)
}

/// How the event loop ended.
enum Ended {
    Quit(i32),
    /// `Esc` on a domain opened from the domain list.
    Back,
    Signalled(i32),
}

/// Draws and handles keys until the model asks to exit or a fatal signal comes.
fn event_loop(
    mut model: AppState,
    guard: &mut terminal::Guard,
    theme: &theme::Theme,
) -> anyhow::Result<Ended> {
    let session = clipboard::Session::from_env();
    let mut clip = clipboard::Clipboard::default();
    let size = guard.terminal.size()?;
    dispatch(
        &mut model,
        Action::Resized(size.width, size.height),
        &mut clip,
        session,
        guard,
    );
    let mut redraw = true;
    let mut prepared = false;
    loop {
        if redraw {
            guard.terminal.draw(|f| view::draw(f, &model, theme))?;
            // Test-only switch: proves a panic leaves the terminal usable (tests/tui_tmux.rs).
            if std::env::var_os("VIRT_CPU_TEST_PANIC").is_some() {
                panic!("panic requested by VIRT_CPU_TEST_PANIC");
            }
            redraw = false;
            if !prepared {
                // Idle until the first key: ready a large document for edits now.
                model.prepare_for_edits();
                prepared = true;
            }
        }
        if let Some(code) = model.exit {
            return Ok(if model.back {
                Ended::Back
            } else {
                Ended::Quit(code)
            });
        }
        if let Some(sig) = guard.signalled() {
            return Ok(Ended::Signalled(sig));
        }
        // SIGTSTP or SIGCONT from outside: the screen comes back whole, at its current size.
        if guard.job_control()? {
            resized(&mut model, &mut clip, session, guard)?;
            redraw = true;
            continue;
        }
        // Wake up now and then to notice a signal.
        if !event::poll(Duration::from_millis(200))? {
            continue;
        }
        redraw |= handle(event::read()?, &mut model, &mut clip, session, guard)?;
    }
}

/// Ctrl-Z, which raw mode delivers as a key.
fn is_suspend(k: KeyEvent) -> bool {
    k.code == KeyCode::Char('z')
        && k.modifiers.contains(KeyModifiers::CONTROL)
        && k.kind != event::KeyEventKind::Release
}

/// Tells the state the terminal's size (after a suspend the window may have changed).
fn resized(
    model: &mut AppState,
    clip: &mut clipboard::Clipboard,
    session: clipboard::Session,
    guard: &mut terminal::Guard,
) -> anyhow::Result<()> {
    let size = guard.terminal.size()?;
    dispatch(
        model,
        Action::Resized(size.width, size.height),
        clip,
        session,
        guard,
    );
    Ok(())
}

/// One terminal event: keys and the mouse become actions, a resize is told to the state.
/// True when something was dispatched (the screen needs drawing).
fn handle(
    ev: Event,
    model: &mut AppState,
    clip: &mut clipboard::Clipboard,
    session: clipboard::Session,
    guard: &mut terminal::Guard,
) -> anyhow::Result<bool> {
    // A key becomes an action against the state as it is when the key is handled, so a split
    // Alt+key (below) maps its second half after the first took effect.
    let keys = match ev {
        Event::Key(k) => split_alt(k),
        Event::Mouse(me) => {
            let size = guard.terminal.size()?;
            let areas = view::areas(model, Rect::new(0, 0, size.width, size.height));
            let Some(a) = keymap::mouse(model, me, areas.panes) else {
                return Ok(false);
            };
            dispatch(model, a, clip, session, guard);
            return Ok(true);
        }
        Event::Resize(w, h) => {
            guard.terminal.autoresize()?;
            dispatch(model, Action::Resized(w, h), clip, session, guard);
            return Ok(true);
        }
        // The diagnostics window reads a pasted error whole (line breaks and all).
        Event::Paste(text) if matches!(model.overlay, Some(dialogs::Overlay::Diagnostics(_))) => {
            dispatch(model, Action::Paste(text), clip, session, guard);
            return Ok(true);
        }
        Event::Paste(text) => pasted_keys(&text),
        _ => return Ok(false),
    };
    let mut redraw = false;
    for k in keys {
        // Ctrl-Z suspends in every context, as it does in a shell.
        if is_suspend(k) {
            guard.suspend()?;
            resized(model, clip, session, guard)?;
            redraw = true;
            continue;
        }
        if let Some(a) = keymap::key(model, k) {
            dispatch(model, a, clip, session, guard);
            redraw = true;
        }
    }
    Ok(redraw)
}

/// Why the interactive view cannot start here (printed after `virt-cpu: `; exit 2).
fn needs_terminal(why: String) -> anyhow::Error {
    anyhow::anyhow!(
        "needs a terminal for the interactive view — {why}; use `virt-cpu argv/check/set FILE` in scripts"
    )
}

/// Runs one action and the effects it asks for, feeding their outcomes back.
fn dispatch(
    model: &mut AppState,
    action: Action,
    clip: &mut clipboard::Clipboard,
    session: clipboard::Session,
    guard: &mut terminal::Guard,
) {
    let mut queue = VecDeque::from([action]);
    while let Some(a) = queue.pop_front() {
        for e in app::update(model, a) {
            let mut world = effects::World {
                clipboard: clip,
                session,
                out: guard.terminal.backend_mut(),
                runner: &SystemRunner,
            };
            queue.push_back(effects::execute(e, &mut world));
        }
    }
}

/// A paste anywhere but the diagnostics window is what it was before the terminal marked
/// pastes: the keys of its characters, a line break as Enter.
fn pasted_keys(text: &str) -> Vec<KeyEvent> {
    text.replace("\r\n", "\r")
        .chars()
        .map(|c| match c {
            '\r' | '\n' => KeyEvent::from(KeyCode::Enter),
            c => KeyEvent::from(KeyCode::Char(c)),
        })
        .collect()
}

/// Esc then a key, arriving in one read, reaches us as Alt+key — a letter, and as well Tab,
/// Enter, Backspace or an arrow. No binding uses Alt, so it is split back into the two keys the
/// user pressed: Esc acts as Esc (closing the picker, say), then the key as itself against what
/// is open after it (not typed into a filter that is gone).
fn split_alt(k: KeyEvent) -> Vec<KeyEvent> {
    if !k.modifiers.contains(KeyModifiers::ALT) {
        return vec![k];
    }
    let mut plain = k;
    plain.modifiers.remove(KeyModifiers::ALT);
    vec![KeyEvent::from(KeyCode::Esc), plain]
}

/// Feeds a key string (see [`keymap::parse_keys`]) through the keymap and `update`, carrying out
/// effects with `copied` standing in for the clipboard. For tests and benchmarks.
pub fn type_keys(model: &mut AppState, keys: &str, copied: &mut Vec<String>) {
    type_keys_with(model, keys, copied, &SystemRunner)
}

/// [`type_keys`] with `virsh` run through `runner`.
pub fn type_keys_with(
    model: &mut AppState,
    keys: &str,
    copied: &mut Vec<String>,
    runner: &dyn Runner,
) {
    for k in keymap::parse_keys(keys) {
        let Some(action) = keymap::key(model, k) else {
            continue;
        };
        let mut queue = VecDeque::from([action]);
        while let Some(a) = queue.pop_front() {
            for e in app::update(model, a) {
                let outcome = match e {
                    app::Effect::Copy(text) => {
                        copied.push(text.clone());
                        Action::Copied(format!("copied {text}"))
                    }
                    other => effects::execute(
                        other,
                        &mut effects::World {
                            clipboard: &mut clipboard::Clipboard::default(),
                            session: clipboard::Session::default(),
                            out: &mut std::io::sink(),
                            runner,
                        },
                    ),
                };
                queue.push_back(outcome);
            }
        }
    }
}

#[cfg(test)]
mod tests;

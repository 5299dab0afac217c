//! Asking libvirt before the view can open (`-c URI`, `--domain NAME`): the questions run on a
//! worker thread while the loop draws a spinner and keeps the keys — `q` (or `Esc`, `Ctrl-C`)
//! quits at once, ending the `virsh` still waiting (its whole process group), Ctrl-Z suspends,
//! signals end the process as in the view. Each `virsh` call is bounded by the host timeout, so
//! the wait ends on its own too, with the error naming what did not answer.

use super::app::AppState;
use super::terminal::Guard;
use super::theme::Theme;
use super::view::loading::{self, Waiting};
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How the wait ended.
pub enum Outcome<T = AppState> {
    Loaded(Box<T>),
    /// The user quit before the answer came.
    Quit,
    /// A fatal signal came (the caller restores the terminal and dies by it).
    Signalled(i32),
}

/// Runs `work` on a worker thread and shows the loading screen until it is done.
pub fn wait<T, F>(
    guard: &mut Guard,
    theme: &Theme,
    what: String,
    work: F,
) -> anyhow::Result<Outcome<T>>
where
    T: Send + 'static,
    F: FnOnce() -> anyhow::Result<T> + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("load".into())
        .spawn(move || {
            let _ = tx.send(work());
        })?;
    let start = Instant::now();
    let limit = crate::host::process::timeout();
    let mut redraw_all = false;
    loop {
        match rx.try_recv() {
            Ok(done) => return done.map(|m| Outcome::Loaded(Box::new(m))),
            Err(mpsc::TryRecvError::Empty) => {}
            Err(mpsc::TryRecvError::Disconnected) => {
                anyhow::bail!("loading failed: the worker thread ended without an answer")
            }
        }
        if let Some(sig) = guard.signalled() {
            return Ok(Outcome::Signalled(sig));
        }
        redraw_all |= guard.job_control()?;
        if redraw_all {
            guard.terminal.clear()?;
            redraw_all = false;
        }
        let waiting = Waiting {
            what: what.clone(),
            waited: start.elapsed(),
            limit,
        };
        guard.terminal.draw(|f| loading::draw(f, &waiting, theme))?;
        if !event::poll(Duration::from_millis(100))? {
            continue;
        }
        match event::read()? {
            Event::Key(k) if k.kind != KeyEventKind::Release => {
                let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
                match k.code {
                    KeyCode::Char('q' | 'Q') | KeyCode::Esc => return quit(),
                    KeyCode::Char('c') if ctrl => return quit(),
                    KeyCode::Char('z') if ctrl => guard.suspend()?,
                    _ => {}
                }
            }
            Event::Resize(..) => guard.terminal.autoresize()?,
            _ => {}
        }
    }
}

/// Ends the `virsh` still waiting; the worker thread ends with the process.
fn quit<T>() -> anyhow::Result<Outcome<T>> {
    crate::host::process::end_all();
    Ok(Outcome::Quit)
}

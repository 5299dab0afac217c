//! The terminal's one owner: raw mode and the alternate screen on the way in, and the terminal
//! given back in cooked mode on every way out — normal return (`Drop`), panic (a hook chained
//! before the previous one, so the panic message lands on a usable terminal), SIGTERM and
//! SIGHUP (a flag the loop checks; the loop then returns and `Drop` restores).

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{self, Stdout};
use std::sync::Arc;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Holds the terminal in TUI mode while alive.
pub struct Guard {
    pub terminal: Term,
    signal: Arc<AtomicUsize>,
}

impl Guard {
    pub fn new() -> io::Result<Guard> {
        install_panic_hook();
        let signal = Arc::new(AtomicUsize::new(0));
        for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
            signal_hook::flag::register_usize(sig, Arc::clone(&signal), sig as usize)?;
        }
        enable_raw_mode()?;
        let mut stdout = io::stdout();
        if let Err(e) = execute!(stdout, EnterAlternateScreen, EnableMouseCapture) {
            restore();
            return Err(e);
        }
        // Fullscreen viewport: it never asks the terminal for the cursor position, which a bare
        // pty would leave unanswered.
        let terminal = Terminal::new(CrosstermBackend::new(stdout)).inspect_err(|_| restore())?;
        Ok(Guard { terminal, signal })
    }

    /// The signal that asked us to stop (SIGTERM, SIGHUP), if one came.
    pub fn signalled(&self) -> Option<i32> {
        match self.signal.load(Ordering::Relaxed) {
            0 => None,
            s => Some(s as i32),
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.terminal.show_cursor();
        restore();
    }
}

/// Gives the terminal back: mouse off, main screen, cooked mode. Safe to call twice, never
/// panics (it runs inside the panic hook).
pub fn restore() {
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = disable_raw_mode();
}

fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

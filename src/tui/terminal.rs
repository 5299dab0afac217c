//! The terminal's one owner: raw mode and the alternate screen on the way in, and the terminal
//! given back in cooked mode on every way out — normal return (`Drop`), panic (a hook chained
//! before the previous one, so the panic message lands on a usable terminal), SIGTERM and
//! SIGHUP (a flag the loop checks; the loop then returns and `Drop` restores).
//!
//! A watchdog thread covers what the loop cannot see: when the terminal goes away (the SSH
//! connection or the tmux server dies), crossterm's reader spins on end-of-file inside `poll`
//! and never returns, so neither a hangup nor a later SIGTERM would end the process.
//!
//! The terminal is standard input when that is one; otherwise (`cat dom.xml | virt-cpu -`) it is
//! the controlling terminal, `/dev/tty` — crossterm reads keys and sets raw mode there in that
//! case — and the watchdog watches that, not the pipe, whose end is no hangup.

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{self, IsTerminal, Stdout};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// The terminal keys come from: standard input, or the controlling terminal when standard input
/// is a pipe or a file.
#[derive(Debug)]
pub enum Tty {
    Stdin,
    DevTty(OwnedFd),
}

impl Tty {
    /// Finds the terminal; an error says why there is none.
    pub fn open() -> Result<Tty, String> {
        if io::stdin().is_terminal() {
            return Ok(Tty::Stdin);
        }
        // The same file crossterm opens for its reader when standard input is not a terminal.
        let tty = std::fs::File::options()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .map_err(|e| {
                format!("standard input is not a terminal, and /dev/tty cannot be opened: {e}")
            })?;
        if !tty.is_terminal() {
            return Err("/dev/tty is not a terminal".into());
        }
        Ok(Tty::DevTty(tty.into()))
    }

    fn fd(&self) -> RawFd {
        match self {
            Tty::Stdin => libc::STDIN_FILENO,
            Tty::DevTty(fd) => fd.as_raw_fd(),
        }
    }
}

/// Holds the terminal in TUI mode while alive.
pub struct Guard {
    pub terminal: Term,
    signal: Arc<AtomicUsize>,
}

impl Guard {
    /// Takes over `tty` (see [`Tty::open`]) and standard output, which must be that terminal.
    pub fn new(tty: Tty) -> io::Result<Guard> {
        install_panic_hook();
        let signal = Arc::new(AtomicUsize::new(0));
        for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
            signal_hook::flag::register_usize(sig, Arc::clone(&signal), sig as usize)?;
        }
        watchdog(tty, Arc::clone(&signal));
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
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

/// Whether the terminal is in TUI mode (raw, alternate screen).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Gives the terminal back: mouse off, main screen, cooked mode. Runs once however often it is
/// called (panic hook, then `Drop` while unwinding): leaving the alternate screen twice would move
/// the cursor back over the panic message. Never panics (it runs inside the panic hook).
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = disable_raw_mode();
}

/// Ends the process when the terminal hangs up, or when a stop signal has not been acted on
/// within a second (the main loop is stuck in crossterm's read of a dead terminal). The thread
/// keeps `tty` open for as long as it watches it.
fn watchdog(tty: Tty, signal: Arc<AtomicUsize>) {
    use std::time::{Duration, Instant};
    let spawned = std::thread::Builder::new()
        .name("terminal-watchdog".into())
        .spawn(move || {
            let mut signalled_at: Option<Instant> = None;
            loop {
                std::thread::sleep(Duration::from_millis(100));
                if hung_up(tty.fd()) {
                    restore();
                    std::process::exit(128 + libc::SIGHUP);
                }
                let sig = signal.load(Ordering::Relaxed);
                if sig != 0 {
                    let since = *signalled_at.get_or_insert_with(Instant::now);
                    if since.elapsed() > Duration::from_secs(1) {
                        restore();
                        std::process::exit(128 + sig as i32);
                    }
                }
            }
        });
    // Without the watchdog the TUI still works; only the dead-terminal case is not covered.
    drop(spawned);
}

/// Whether the terminal `fd` reports a hangup or an error.
fn hung_up(fd: RawFd) -> bool {
    let mut fd = libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    };
    // SAFETY: one valid pollfd on the stack, a zero timeout; poll only writes `revents`.
    let ready = unsafe { libc::poll(&mut fd, 1, 0) };
    ready > 0 && fd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
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

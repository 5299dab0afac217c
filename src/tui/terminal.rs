//! The terminal's one owner: raw mode and the alternate screen on the way in, and the terminal
//! given back in cooked mode on every way out — normal return (`Drop`), panic (a hook chained
//! before the previous one, so the panic message lands on a usable terminal), and the signals
//! that end a process ([`FATAL`]: a flag the loop checks; the loop then returns, `Drop` restores,
//! and [`die_by`] ends the process by that same signal, so its parent sees the truth).
//!
//! Job control as a shell expects it: Ctrl-Z (a key in raw mode) and SIGTSTP from outside give
//! the terminal back and stop the process group ([`Guard::suspend`]); SIGCONT takes the terminal
//! again and redraws everything ([`Guard::job_control`]).
//!
//! A watchdog thread covers what the loop cannot see: when the terminal goes away (the SSH
//! connection or the tmux server dies), crossterm's reader spins on end-of-file inside `poll`
//! and never returns, so neither a hangup nor a later SIGTERM would end the process.
//!
//! The terminal is standard input when that is one; otherwise (`cat dom.xml | virt-cpu -`) it is
//! the controlling terminal, `/dev/tty` — crossterm reads keys and sets raw mode there in that
//! case — and the watchdog watches that, not the pipe, whose end is no hangup.

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
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

/// The signals whose default action ends the process and that a terminal user or a supervisor
/// sends: each gives the terminal back first. (SIGPIPE stays ignored, as Rust sets it: a write to
/// a closed terminal is an error the loop sees.)
pub const FATAL: [i32; 7] = crate::host::process::FATAL_SIGNALS;

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
    /// SIGTSTP came from outside (`kill -TSTP`): stop as the terminal's Ctrl-Z would.
    stop: Arc<AtomicBool>,
    /// SIGCONT came: the terminal may have been changed meanwhile, take it again.
    cont: Arc<AtomicBool>,
    handlers: Vec<signal_hook::SigId>,
}

impl Guard {
    /// Takes over `tty` (see [`Tty::open`]) and standard output, which must be that terminal.
    pub fn new(tty: Tty) -> io::Result<Guard> {
        install_panic_hook();
        let signal = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let cont = Arc::new(AtomicBool::new(false));
        let mut handlers = Vec::new();
        for sig in FATAL {
            handlers.push(signal_hook::flag::register_usize(
                sig,
                Arc::clone(&signal),
                sig as usize,
            )?);
        }
        handlers.push(signal_hook::flag::register(
            libc::SIGTSTP,
            Arc::clone(&stop),
        )?);
        handlers.push(signal_hook::flag::register(
            libc::SIGCONT,
            Arc::clone(&cont),
        )?);
        // A program we run (virsh) is ended by the loop's way out, not by its own handler.
        crate::host::process::leave_fatal_signals_to_caller();
        let unregister = |handlers: &[signal_hook::SigId]| {
            for h in handlers {
                signal_hook::low_level::unregister(*h);
            }
        };
        if let Err(e) = enter() {
            unregister(&handlers);
            return Err(e);
        }
        watchdog(tty, Arc::clone(&signal));
        // Fullscreen viewport: it never asks the terminal for the cursor position, which a bare
        // pty would leave unanswered.
        let terminal = Terminal::new(CrosstermBackend::new(io::stdout())).inspect_err(|_| {
            restore();
            unregister(&handlers);
        })?;
        Ok(Guard {
            terminal,
            signal,
            stop,
            cont,
            handlers,
        })
    }

    /// The signal that asked us to stop (SIGTERM, SIGHUP), if one came.
    pub fn signalled(&self) -> Option<i32> {
        match self.signal.load(Ordering::Relaxed) {
            0 => None,
            s => Some(s as i32),
        }
    }

    /// Ctrl-Z: gives the terminal back and stops the process group, as the terminal itself
    /// would in cooked mode; once continued (`fg`), takes the terminal again with the whole
    /// screen to be redrawn. Where no shell could continue it (an orphaned process group) the
    /// kernel discards the stop and the view simply comes back.
    pub fn suspend(&mut self) -> io::Result<()> {
        let _ = self.terminal.show_cursor();
        restore();
        stop_process_group();
        self.stop.store(false, Ordering::SeqCst);
        self.cont.store(false, Ordering::SeqCst);
        self.resume()
    }

    /// Acts on SIGTSTP and SIGCONT from outside; true when the screen must be redrawn whole.
    pub fn job_control(&mut self) -> io::Result<bool> {
        if self.stop.swap(false, Ordering::SeqCst) {
            self.suspend()?;
            return Ok(true);
        }
        if self.cont.swap(false, Ordering::SeqCst) {
            // Stopped by SIGSTOP, which cannot be caught: the shell may have put the terminal
            // back in cooked mode meanwhile, so give it back and take it again.
            restore();
            self.resume()?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Raw mode and the alternate screen again, and the next draw redraws every cell.
    fn resume(&mut self) -> io::Result<()> {
        enter()?;
        self.terminal.clear()?;
        self.terminal.autoresize()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.terminal.show_cursor();
        restore();
        for h in self.handlers.drain(..) {
            signal_hook::low_level::unregister(h);
        }
    }
}

/// Ends the process by `sig` after giving the terminal back and ending any program it runs: its
/// parent (a shell, a supervisor) sees death by that signal, as without the TUI.
pub fn die_by(sig: i32) -> ! {
    restore();
    crate::host::process::end_all();
    let _ = signal_hook::low_level::emulate_default_handler(sig);
    // Only for a signal whose default does not end the process (none of [`FATAL`]).
    std::process::exit(128 + sig)
}

/// Stops this process's group by SIGTSTP with its default action, then puts our handler back.
fn stop_process_group() {
    // SAFETY: plain sigaction/kill calls on stack values; the saved action is restored as it was.
    unsafe {
        let mut default: libc::sigaction = std::mem::zeroed();
        default.sa_sigaction = libc::SIG_DFL;
        let mut ours: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGTSTP, &default, &mut ours) != 0 {
            return;
        }
        // The whole group, as the terminal's Ctrl-Z: a shell script that started us stops too.
        // A signal sent to the own process arrives before kill returns, so the stop (and the
        // continue) happen here.
        libc::kill(0, libc::SIGTSTP);
        libc::sigaction(libc::SIGTSTP, &ours, std::ptr::null_mut());
    }
}

/// Whether the terminal is in TUI mode (raw, alternate screen).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Raw mode, the alternate screen, the mouse, marked pastes: the TUI's terminal.
fn enter() -> io::Result<()> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    if let Err(e) = execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste
    ) {
        restore();
        return Err(e);
    }
    Ok(())
}

/// Gives the terminal back: marked pastes and mouse off, main screen, cooked mode. Runs once however often it is
/// called (panic hook, then `Drop` while unwinding): leaving the alternate screen twice would move
/// the cursor back over the panic message. Never panics (it runs inside the panic hook).
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let _ = execute!(
        io::stdout(),
        DisableBracketedPaste,
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
                    die_by(libc::SIGHUP);
                }
                let sig = signal.load(Ordering::Relaxed);
                if sig != 0 {
                    let since = *signalled_at.get_or_insert_with(Instant::now);
                    if since.elapsed() > Duration::from_secs(1) {
                        die_by(sig as i32);
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

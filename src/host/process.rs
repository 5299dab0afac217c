//! Running a program as every host query must: in a process group of its own, within a deadline,
//! and never outliving us.
//!
//! - **Deadline.** A host that accepts the connection and never answers would keep `virsh`
//!   waiting forever. Each run has a deadline ([`timeout`]: 30 s by default, `--timeout` /
//!   `VIRT_CPU_TIMEOUT`); when it passes, the program's whole group gets SIGTERM (and SIGCONT, in
//!   case it is stopped), then SIGKILL a second later, and the error names the command line and
//!   the wait.
//! - **Process group.** `virsh -c qemu+ssh://…` starts `ssh`, which can outlive a killed
//!   `virsh`; killing the group (`kill(-pgid)`) ends both.
//! - **Our own death.** A fatal signal to virt-cpu ([`FATAL_SIGNALS`]) ends every group still
//!   running, then (unless the interactive view ends the process itself, after restoring the
//!   terminal: [`leave_fatal_signals_to_caller`]) the process dies by that signal as it would
//!   have without the handler.

use super::{HostError, Output};
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The signals whose default action ends a process and that a user or a supervisor sends.
pub const FATAL_SIGNALS: [i32; 7] = [
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGALRM,
];

/// The default wait for one `virsh` call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Other programs (QEMU answering the catalog's questions) get this many times the timeout.
const OTHER_PROGRAMS_FACTOR: u32 = 10;

static TIMEOUT_MS: AtomicU64 = AtomicU64::new(DEFAULT_TIMEOUT.as_millis() as u64);

/// Sets the wait for each `virsh` call for the rest of the run.
pub fn set_timeout(t: Duration) {
    TIMEOUT_MS.store(t.as_millis().max(1) as u64, Ordering::Relaxed);
}

/// The wait for each `virsh` call.
pub fn timeout() -> Duration {
    Duration::from_millis(TIMEOUT_MS.load(Ordering::Relaxed))
}

/// The wait for `program`: [`timeout`] for virsh, ten times that for others (QEMU).
pub fn timeout_for(program: &str) -> Duration {
    let name = std::path::Path::new(program)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(program);
    if name == "virsh" {
        timeout()
    } else {
        timeout() * OTHER_PROGRAMS_FACTOR
    }
}

/// How many programs run at once. Every one must have a slot, or a fatal signal could leave
/// it behind; a program started while all are taken waits for one (a scan of many hosts then
/// queues its virsh calls, each still bounded by its own deadline once it starts).
const SLOTS: usize = 64;

/// A slot taken by a program about to start (its group id is not known yet).
const RESERVED: i32 = -1;

/// Process groups running now (0: a free slot). Fixed and atomic: a signal handler reads it.
static RUNNING: [AtomicI32; SLOTS] = [const { AtomicI32::new(0) }; SLOTS];

/// Set when the caller ends the process itself on a fatal signal (the interactive view, after
/// giving the terminal back).
static CALLER_ENDS: AtomicBool = AtomicBool::new(false);

/// From now on a fatal signal only ends the running programs; the caller notices the signal and
/// ends the process (calling [`end_all`] again is harmless).
pub fn leave_fatal_signals_to_caller() {
    CALLER_ENDS.store(true, Ordering::SeqCst);
}

/// Sends SIGTERM (and SIGCONT, so a stopped one acts on it) to every running program's group.
/// Async-signal-safe: atomics and `kill` only.
pub fn end_all() {
    for slot in &RUNNING {
        let pgid = slot.load(Ordering::SeqCst);
        if pgid > 0 {
            // SAFETY: kill has no memory effects; a group that is gone gives ESRCH.
            unsafe {
                libc::kill(-pgid, libc::SIGTERM);
                libc::kill(-pgid, libc::SIGCONT);
            }
        }
    }
}

/// Programs between their start and their entry in [`RUNNING`]: a fatal signal then waits for
/// the entry ([`run_within`] acts on [`SEEN_FATAL`]).
static STARTING: AtomicUsize = AtomicUsize::new(0);

/// The last fatal signal that came (0: none).
static SEEN_FATAL: AtomicI32 = AtomicI32::new(0);

fn install_handlers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for sig in FATAL_SIGNALS {
            let action = move || {
                // The order matters (see `run_within`): the signal is noted before the starting
                // programs are counted; none starting means every one is in RUNNING.
                SEEN_FATAL.store(sig, Ordering::SeqCst);
                let starting = STARTING.load(Ordering::SeqCst);
                end_all();
                if starting == 0 && !CALLER_ENDS.load(Ordering::SeqCst) {
                    let _ = signal_hook::low_level::emulate_default_handler(sig);
                }
            };
            // SAFETY: the action is async-signal-safe: atomics, kill, and signal-hook's
            // emulation of the default action (sigaction, sigprocmask, raise).
            let _ = unsafe { signal_hook::low_level::register(sig, action) };
        }
    });
}

/// A slot of [`RUNNING`], free again when this is dropped.
struct Registered(usize);

impl Registered {
    /// Takes a free slot, waiting while every one is taken.
    fn reserve() -> Registered {
        loop {
            let free = RUNNING.iter().position(|s| {
                s.compare_exchange(0, RESERVED, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
            });
            match free {
                Some(i) => return Registered(i),
                None => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    }

    fn hold(&self, pgid: i32) {
        RUNNING[self.0].store(pgid, Ordering::SeqCst);
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        RUNNING[self.0].store(0, Ordering::SeqCst);
    }
}

enum Event {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    Exited(std::io::Result<std::process::ExitStatus>),
}

/// Runs `program args…` with `stdin` fed to it, in its own process group, within
/// [`timeout_for`]`(program)`.
pub fn run(program: &str, args: &[&str], stdin: &[u8]) -> Result<Output, HostError> {
    run_within(program, args, stdin, timeout_for(program))
}

/// Whether the output so far lets the held-back input go.
pub type Ready = Box<dyn Fn(&[u8]) -> bool + Send>;

/// The last part of a program's input, held back until what the program wrote says it is
/// time: QEMU's QMP `quit` ends QEMU at once, dropping answers it could not write yet to a
/// full pipe, so it is sent only once every answer is in.
pub struct Tail {
    pub bytes: Vec<u8>,
    /// True once the output so far shows the tail may go.
    pub when: Ready,
}

/// [`run`] with `tail` written after the rest of the input once its condition holds.
pub fn converse(
    program: &str,
    args: &[&str],
    stdin: &[u8],
    tail: Tail,
) -> Result<Output, HostError> {
    run_inner(program, args, stdin, Some(tail), timeout_for(program))
}

/// [`run`] with an explicit deadline.
pub fn run_within(
    program: &str,
    args: &[&str],
    stdin: &[u8],
    limit: Duration,
) -> Result<Output, HostError> {
    run_inner(program, args, stdin, None, limit)
}

fn run_inner(
    program: &str,
    args: &[&str],
    stdin: &[u8],
    tail: Option<Tail>,
    limit: Duration,
) -> Result<Output, HostError> {
    let spawn_err = |source| HostError::Spawn {
        program: program.to_string(),
        source,
    };
    let (child, registered) = spawn_in_group(program, args).map_err(spawn_err)?;
    let pgid = child.id() as i32;
    let started = Instant::now();
    let mut collected = Collected::new(pump(child, stdin, tail));
    if !collected.until(started + limit) {
        end_group(pgid, &mut collected);
        drop(registered);
        return Err(HostError::TimedOut {
            command: command_line(program, args),
            after: limit,
        });
    }
    // virsh is gone; anything it left in its group (an ssh that outlived it) goes too.
    // SAFETY: signals to the group we made; the group id stays ours while any member lives.
    unsafe { libc::kill(-pgid, libc::SIGTERM) };
    drop(registered);
    let Collected {
        out, err, status, ..
    } = collected;
    let status = status.expect("collected").map_err(spawn_err)?;
    Ok(Output {
        status: status.code(),
        stdout: String::from_utf8_lossy(&out.unwrap_or_default()).into_owned(),
        stderr: String::from_utf8_lossy(&err.unwrap_or_default()).into_owned(),
    })
}

/// Starts `program` as the leader of a process group of its own, registered in [`RUNNING`] so
/// a fatal signal to virt-cpu ends the group. A fatal signal that came while it started found
/// it missing: it is ended now, and the process as the signal asked.
fn spawn_in_group(program: &str, args: &[&str]) -> std::io::Result<(Child, Registered)> {
    install_handlers();
    let registered = Registered::reserve();
    STARTING.fetch_add(1, Ordering::SeqCst);
    let spawned = Command::new(program)
        .args(args)
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    if let Ok(child) = &spawned {
        registered.hold(child.id() as i32);
    }
    STARTING.fetch_sub(1, Ordering::SeqCst);
    let child = spawned?;
    let sig = SEEN_FATAL.load(Ordering::SeqCst);
    if sig != 0 {
        end_all();
        if !CALLER_ENDS.load(Ordering::SeqCst) {
            let _ = signal_hook::low_level::emulate_default_handler(sig);
        }
    }
    Ok((child, registered))
}

/// Feeds `stdin` to the child and reads its output and exit, each on a thread of its own, as
/// events: QEMU answers while it reads, and a large answer would fill the stdout pipe and
/// deadlock a writer that waits for the whole input to be taken.
fn pump(mut child: Child, stdin: &[u8], tail: Option<Tail>) -> mpsc::Receiver<Event> {
    let (tx, rx) = mpsc::channel();
    let mut input = child.stdin.take().expect("stdin is piped");
    let data = stdin.to_vec();
    let (when, tail_bytes) = match tail {
        Some(t) => (Some(t.when), t.bytes),
        None => (None, Vec::new()),
    };
    // The reader says when the tail may go; a reader that ends first drops the sender, and the
    // writer gives up on the tail.
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let waits = when.is_some();
    std::thread::spawn(move || {
        let _ = input.write_all(&data);
        if waits && go_rx.recv().is_ok() {
            let _ = input.write_all(&tail_bytes);
        }
    });
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let out_tx = tx.clone();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 64 * 1024];
        let mut go = when.map(|w| (w, go_tx));
        loop {
            match stdout.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            if go.as_ref().is_some_and(|(when, _)| when(&buf)) {
                let (_, go_tx) = go.take().expect("checked");
                let _ = go_tx.send(());
            }
        }
        let _ = out_tx.send(Event::Stdout(buf));
    });
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let err_tx = tx.clone();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        let _ = err_tx.send(Event::Stderr(buf));
    });
    std::thread::spawn(move || {
        let _ = tx.send(Event::Exited(child.wait()));
    });
    rx
}

/// What a child gave so far: its output, its errors and its exit.
struct Collected {
    events: mpsc::Receiver<Event>,
    out: Option<Vec<u8>>,
    err: Option<Vec<u8>>,
    status: Option<std::io::Result<std::process::ExitStatus>>,
}

impl Collected {
    fn new(events: mpsc::Receiver<Event>) -> Collected {
        Collected {
            events,
            out: None,
            err: None,
            status: None,
        }
    }

    /// Waits for all three until `deadline`; false when it passed first.
    fn until(&mut self, deadline: Instant) -> bool {
        while self.out.is_none() || self.err.is_none() || self.status.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(Event::Stdout(b)) => self.out = Some(b),
                Ok(Event::Stderr(b)) => self.err = Some(b),
                Ok(Event::Exited(s)) => self.status = Some(s),
                Err(_) => return false,
            }
        }
        true
    }
}

/// Ends a group that overran its time: SIGTERM (and SIGCONT, for a stopped member), a second
/// to go, then SIGKILL.
fn end_group(pgid: i32, collected: &mut Collected) {
    // SAFETY: signals to the group we made; a group that is gone gives ESRCH.
    unsafe {
        libc::kill(-pgid, libc::SIGTERM);
        libc::kill(-pgid, libc::SIGCONT);
    }
    if !collected.until(Instant::now() + Duration::from_secs(1)) {
        // SAFETY: as above.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        collected.until(Instant::now() + Duration::from_secs(2));
    }
}

/// `program args…` as a shell would read it, for messages.
fn command_line(program: &str, args: &[&str]) -> String {
    std::iter::once(program)
        .chain(args.iter().copied())
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ")
}

/// One word for a POSIX shell: as it is when plain, else in single quotes.
fn quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// How long a wait was, in words: `30 s`, `1.5 s`, `250 ms`.
pub fn duration_text(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tail of the input waits for the output's go-ahead: the program answers the first
    /// line before it may read the second.
    #[test]
    fn the_tail_is_written_once_the_output_allows_it() {
        let tail = Tail {
            bytes: b"second\n".to_vec(),
            when: Box::new(|out: &[u8]| out.windows(3).any(|w| w == b"got")),
        };
        let script = "read a; echo got $a; read b; echo then $b";
        let out = run_inner(
            "sh",
            &["-c", script],
            b"first\n",
            Some(tail),
            Duration::from_secs(20),
        )
        .unwrap();
        assert_eq!(out.stdout, "got first\nthen second\n");
    }

    #[test]
    fn a_program_that_does_not_end_is_ended_with_its_group() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("grandchild.pid");
        // The shell leaves a grandchild in its group that would outlive a plain kill.
        let script = format!("sleep 600 & echo $! > {}; wait", marker.display());
        let start = Instant::now();
        let e = run_within("sh", &["-c", &script], b"", Duration::from_millis(300)).unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        let text = e.to_string();
        assert!(text.contains("sh -c"), "{text}");
        assert!(text.contains("300 ms"), "{text}");
        let pid: i32 = std::fs::read_to_string(&marker)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // Reaped by nobody (its parent died), it is adopted and reaped by init: gone or a zombie.
        let gone = (0..50).any(|_| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let state = stat.rsplit_once(')').map(|(_, r)| r.trim_start());
            let done = stat.is_empty() || state.is_some_and(|s| s.starts_with('Z'));
            if !done {
                std::thread::sleep(Duration::from_millis(50));
            }
            done
        });
        assert!(gone, "the grandchild {pid} outlived the timeout");
    }

    #[test]
    fn more_programs_than_slots_wait_their_turn_and_all_answer() {
        let answers: Vec<String> = std::thread::scope(|s| {
            let runs: Vec<_> = (0..SLOTS + 8)
                .map(|i| {
                    s.spawn(move || {
                        let script = format!("sleep 0.1; echo {i}");
                        run_within("sh", &["-c", &script], b"", DEFAULT_TIMEOUT)
                            .unwrap()
                            .stdout
                    })
                })
                .collect();
            runs.into_iter().map(|r| r.join().unwrap()).collect()
        });
        let expected: Vec<String> = (0..SLOTS + 8).map(|i| format!("{i}\n")).collect();
        assert_eq!(answers, expected);
    }

    #[test]
    fn a_quick_program_answers_as_before() {
        let out = run_within(
            "sh",
            &["-c", "cat; echo err >&2; exit 3"],
            b"in",
            DEFAULT_TIMEOUT,
        )
        .unwrap();
        assert_eq!(out.stdout, "in");
        assert_eq!(out.stderr, "err\n");
        assert_eq!(out.status, Some(3));
    }

    #[test]
    fn waits_are_said_in_words() {
        assert_eq!(duration_text(Duration::from_secs(30)), "30 s");
        assert_eq!(duration_text(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(duration_text(Duration::from_millis(250)), "250 ms");
    }
}

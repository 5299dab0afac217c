//! A libvirt host that never answers: a unix socket on this machine that accepts connections and
//! never writes a byte. `virsh -c qemu+unix:///system?socket=PATH` then waits as it would for a
//! host whose network swallows every packet after the handshake.

use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;

/// Listens while alive (a thread keeps every accepted connection open, unanswered).
pub struct SilentHost {
    pub dir: tempfile::TempDir,
    pub socket: PathBuf,
}

impl SilentHost {
    pub fn start() -> SilentHost {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("silent.sock");
        let listener = UnixListener::bind(&socket).unwrap();
        std::thread::spawn(move || {
            let mut held: Vec<UnixStream> = Vec::new();
            for s in listener.incoming().flatten() {
                held.push(s);
            }
        });
        SilentHost { dir, socket }
    }

    /// The libvirt URI of this host.
    pub fn uri(&self) -> String {
        format!("qemu+unix:///system?socket={}", self.socket.display())
    }

    /// The processes still running whose command line names this host's socket (a virsh, an
    /// ssh…): none may outlive the virt-cpu that started them.
    pub fn processes(&self) -> Vec<String> {
        let needle = self.socket.to_string_lossy().into_owned();
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            // The tmux server of a test keeps the command line that started it.
            let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
            if comm.starts_with("tmux") {
                continue;
            }
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            // A zombie has an empty command line: it is gone, only not yet reaped.
            if cmd.contains(&needle) {
                found.push(format!("{name}: {cmd}"));
            }
        }
        found
    }

    /// Waits up to `limit` for [`Self::processes`] to be empty; returns what is left.
    pub fn left_after(&self, limit: std::time::Duration) -> Vec<String> {
        let start = std::time::Instant::now();
        loop {
            let left = self.processes();
            if left.is_empty() || start.elapsed() > limit {
                return left;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

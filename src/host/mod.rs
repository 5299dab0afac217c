//! Facts about the host, taken from the real programs: QEMU over QMP (for the catalog refresh)
//! and libvirt's `virsh domcapabilities` (which models this host can run).
//!
//! Every external program runs through a [`Runner`], so tests feed recorded output instead of
//! starting QEMU or virsh.

pub mod domcaps;
pub mod installed;
pub mod process;
pub mod qmp;
pub mod refresh;

pub use domcaps::{
    DomCaps, HostCapabilities, HostModel, HostTsc, PhysBits, PhysBitsSource, PoolUsability,
};

/// What a finished program left behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Exit code; `None` when killed by a signal.
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }
}

/// A program's failure in words: what ran, how it ended, what it said (`virsh failed (exit
/// status 1): failed to connect`, `qemu was killed by a signal`). The one rendering of
/// [`HostError::Failed`], for the CLI and the TUI alike.
fn failed_text(program: &str, status: Option<i32>, stderr: &str) -> String {
    let how = match status {
        Some(code) => format!("{program} failed (exit status {code})"),
        None => format!("{program} was killed by a signal"),
    };
    let said = program_message(stderr);
    if said.is_empty() {
        how
    } else {
        format!("{how}: {said}")
    }
}

/// A program's standard error on one line: `error: ` prefixes dropped, lines joined with `: `.
pub fn program_message(stderr: &str) -> String {
    stderr
        .lines()
        .map(|l| l.trim())
        .map(|l| l.strip_prefix("error:").map_or(l, str::trim))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(": ")
}

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("{}", failed_text(program, *status, stderr))]
    Failed {
        program: String,
        status: Option<i32>,
        stderr: String,
    },
    #[error(
        "`{command}` did not answer within {} and was ended (wait longer: --timeout SECONDS or \
         VIRT_CPU_TIMEOUT)",
        process::duration_text(*after)
    )]
    TimedOut {
        command: String,
        after: std::time::Duration,
    },
    #[error("unexpected output from {program}: {detail}")]
    Protocol { program: String, detail: String },
    #[error("{0}")]
    Caps(String),
}

/// Runs `virsh [-c URI] ARGS…` (no shell: a domain name or URI is one argument each); returns
/// what it printed and the command line, for messages about it.
pub fn virsh(
    runner: &dyn Runner,
    uri: Option<&str>,
    args: &[&str],
) -> Result<(String, String), HostError> {
    let mut all = Vec::new();
    if let Some(u) = uri {
        all.extend(["-c", u]);
    }
    all.extend_from_slice(args);
    let out = runner.run("virsh", &all, b"")?;
    if !out.success() {
        return Err(HostError::Failed {
            program: format!("virsh {}", args.first().copied().unwrap_or_default()),
            status: out.status,
            stderr: out.stderr.trim().to_string(),
        });
    }
    Ok((out.stdout, format!("virsh {}", all.join(" "))))
}

/// The versions of the daemon at `uri` (its libvirt and the QEMU it runs), from `virsh -c URI
/// version --daemon` (without `--daemon`, virsh names only its own library).
pub fn daemon_versions(
    runner: &dyn Runner,
    uri: &str,
) -> Result<crate::catalog::select::Daemon, HostError> {
    let (text, _) = virsh(runner, Some(uri), &["version", "--daemon"])?;
    let (libvirt, qemu) = crate::catalog::versions::parse_virsh_version(&text);
    Ok(crate::catalog::select::Daemon {
        uri: uri.to_string(),
        libvirt,
        qemu,
    })
}

/// Runs a program to completion with the given standard input.
pub trait Runner {
    fn run(&self, program: &str, args: &[&str], stdin: &[u8]) -> Result<Output, HostError>;

    /// [`Runner::run`] with the tail of the input held back until the output says it may go
    /// ([`process::Tail`]); a runner that answers from recordings takes it all at once.
    fn converse(
        &self,
        program: &str,
        args: &[&str],
        stdin: &[u8],
        tail: process::Tail,
    ) -> Result<Output, HostError> {
        let mut all = stdin.to_vec();
        all.extend_from_slice(&tail.bytes);
        self.run(program, args, &all)
    }
}

/// Runs real processes, each in its own process group and within a deadline
/// ([`process::run`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemRunner;

impl Runner for SystemRunner {
    fn run(&self, program: &str, args: &[&str], stdin: &[u8]) -> Result<Output, HostError> {
        process::run(program, args, stdin)
    }

    fn converse(
        &self,
        program: &str,
        args: &[&str],
        stdin: &[u8],
        tail: process::Tail,
    ) -> Result<Output, HostError> {
        process::converse(program, args, stdin, tail)
    }
}

/// A runner that answers from a closure (tests, recorded sessions).
pub struct FnRunner<F>(pub F);

impl<F> Runner for FnRunner<F>
where
    F: Fn(&str, &[&str], &[u8]) -> Result<Output, HostError>,
{
    fn run(&self, program: &str, args: &[&str], stdin: &[u8]) -> Result<Output, HostError> {
        (self.0)(program, args, stdin)
    }
}

#[cfg(test)]
mod tests {
    use super::HostError;

    #[test]
    fn a_failed_program_is_described_in_words() {
        let e = HostError::Failed {
            program: "virsh".into(),
            status: Some(1),
            stderr: "error: failed to connect\n".into(),
        };
        assert_eq!(
            e.to_string(),
            "virsh failed (exit status 1): failed to connect"
        );
        let killed = HostError::Failed {
            program: "qemu".into(),
            status: None,
            stderr: String::new(),
        };
        assert_eq!(killed.to_string(), "qemu was killed by a signal");
    }
}

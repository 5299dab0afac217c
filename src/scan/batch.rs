//! Several virsh commands in one virsh process: `virsh -c URI 'echo M 0; CMD0; echo M 1; CMD1; …'`.
//!
//! virsh reads one argument holding `;` as a list of commands and runs them over one connection,
//! going on after a failed one. Each command's output is told apart by the `echo` before it: a
//! marker with this process's id and the time (no document can hold it by chance) and the
//! command's index. A command that failed leaves its section empty (virsh says why on stderr,
//! without saying which command); the caller asks that one again alone for its message.
//!
//! Every word of a command goes through virsh's own command parser, so only plain words
//! ([`plain`]) are put in one: anything else is asked alone, as separate arguments.

use crate::host::{HostError, Runner, virsh};

/// A word virsh's command parser reads as itself: no quote, space, `;`, `#` or backslash.
pub fn plain(word: &str) -> bool {
    !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:+=/@,".contains(&b))
}

/// A marker no domain XML or virsh output holds: process id and nanoseconds of the clock.
fn marker() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("@@virt-cpu-{}-{nanos}@@", std::process::id())
}

/// Runs `commands` (each a list of plain words) in one virsh process at `uri`; returns each
/// command's standard output, in order (empty for a command that failed).
pub fn run(
    runner: &dyn Runner,
    uri: &str,
    commands: &[Vec<String>],
) -> Result<Vec<String>, HostError> {
    debug_assert!(commands.iter().flatten().all(|w| plain(w)), "{commands:?}");
    let mark = marker();
    let mut script = String::new();
    for (i, words) in commands.iter().enumerate() {
        script.push_str(&format!("echo {mark} {i}; {}; ", words.join(" ")));
    }
    // Ends with a command that succeeds: virsh's exit status is its last command's, so a
    // non-zero one means the connection itself failed.
    script.push_str(&format!("echo {mark} end"));
    let (out, _) = virsh(runner, Some(uri), &[&script])?;
    split(&out, &mark, commands.len()).ok_or_else(|| HostError::Protocol {
        program: "virsh".into(),
        detail: format!(
            "the output of {} commands in one virsh has not the markers put between them",
            commands.len()
        ),
    })
}

/// Cuts virsh's output at the marker lines; `None` when the markers are not all there, in order.
fn split(out: &str, mark: &str, n: usize) -> Option<Vec<String>> {
    let mut sections = vec![String::new(); n];
    let mut current: Option<usize> = None;
    let mut next = 0;
    let mut ended = false;
    for line in out.split_inclusive('\n') {
        if let Some(rest) = line.trim_end().strip_prefix(mark) {
            let tag = rest.trim();
            if tag == "end" {
                ended = next == n;
                current = None;
                continue;
            }
            if tag.parse::<usize>().ok()? != next {
                return None;
            }
            current = Some(next);
            next += 1;
            continue;
        }
        if let Some(i) = current {
            sections[i].push_str(line);
        }
    }
    ended.then_some(sections)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{FnRunner, Output};

    #[test]
    fn sections_are_cut_at_the_markers() {
        let out = "@@m@@ 0\nfirst\n\n@@m@@ 1\n@@m@@ 2\n<domain>\n</domain>\n\n@@m@@ end\n";
        let s = split(out, "@@m@@", 3).unwrap();
        assert_eq!(s, vec!["first\n\n", "", "<domain>\n</domain>\n\n"]);
        // A marker missing or out of order is no answer to trust.
        assert!(split("@@m@@ 1\n@@m@@ end\n", "@@m@@", 2).is_none());
        assert!(split("@@m@@ 0\n", "@@m@@", 1).is_none());
    }

    #[test]
    fn only_plain_words_go_in_one_virsh() {
        assert!(plain("pc-q35-7.2"));
        assert!(plain("0f8fad5b-d9cb-469f-a165-70867728950e"));
        for bad in ["", "a b", "a;b", "a'b", "a\"b", "a\\b", "#x", "a\nb"] {
            assert!(!plain(bad), "{bad:?}");
        }
    }

    #[test]
    fn one_virsh_runs_every_command() {
        let runner = FnRunner(|program: &str, args: &[&str], _: &[u8]| {
            assert_eq!(program, "virsh");
            assert_eq!(&args[..2], &["-c", "test:///default"]);
            // Answer as virsh does: each echo, then the command's output.
            let mut out = String::new();
            for part in args[2].split("; ") {
                if let Some(e) = part.strip_prefix("echo ") {
                    out.push_str(e);
                    out.push('\n');
                } else {
                    out.push_str(&format!("ran {part}\n"));
                }
            }
            Ok(Output {
                status: Some(0),
                stdout: out,
                stderr: String::new(),
            })
        });
        let cmds = vec![
            vec!["version".to_string(), "--daemon".to_string()],
            vec!["list".to_string()],
        ];
        let s = run(&runner, "test:///default", &cmds).unwrap();
        assert_eq!(s, vec!["ran version --daemon\n", "ran list\n"]);
    }
}

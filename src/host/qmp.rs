//! A QMP conversation with a QEMU started just for it, batch style: every command is written up
//! front (QMP answers strictly in order), then `quit`; the answers are matched by position.
//! One process start per batch keeps the refresh fast and lets tests replay recorded output.

use super::{HostError, Runner};
use serde_json::{Value, json};

/// Arguments for a QEMU that only answers catalog queries: no machine, TCG (works without KVM),
/// no devices, QMP on stdio.
pub const CATALOG_ARGS: &[&str] = &[
    "-machine",
    "none",
    "-accel",
    "tcg",
    "-nodefaults",
    "-display",
    "none",
    "-qmp",
    "stdio",
];

/// The answer to one command: its `return` value, or QMP's error description.
pub type Reply = Result<Value, String>;

/// Runs `program args` and sends `qmp_capabilities`, `commands`, `quit`; returns one reply per
/// command, in order.
pub fn batch(
    runner: &dyn Runner,
    program: &str,
    args: &[&str],
    commands: &[Value],
) -> Result<Vec<Reply>, HostError> {
    let mut input = String::from("{\"execute\":\"qmp_capabilities\"}\n");
    for c in commands {
        input.push_str(&c.to_string());
        input.push('\n');
    }
    // `quit` ends QEMU at once, dropping answers still waiting for room in a full pipe (a
    // slow reader on a busy machine): it goes only once every answer has come.
    let answers = commands.len() + 1;
    let quit = crate::host::process::Tail {
        bytes: b"{\"execute\":\"quit\"}\n".to_vec(),
        when: Box::new(move |out: &[u8]| answered(out) >= answers),
    };
    let out = runner.converse(program, args, input.as_bytes(), quit)?;
    let protocol = |detail: String| HostError::Protocol {
        program: program.to_string(),
        detail,
    };
    let mut replies = Vec::with_capacity(commands.len() + 2);
    for line in out.stdout.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value =
            serde_json::from_str(line).map_err(|e| protocol(format!("not JSON ({e}): {line}")))?;
        if v.get("QMP").is_some() || v.get("event").is_some() {
            continue;
        }
        if let Some(r) = v.get("return") {
            replies.push(Ok(r.clone()));
        } else if let Some(e) = v.get("error") {
            replies.push(Err(e
                .get("desc")
                .and_then(Value::as_str)
                .unwrap_or("unknown error")
                .to_string()));
        } else {
            return Err(protocol(format!("unexpected message: {line}")));
        }
    }
    // The first reply is qmp_capabilities'; quit's may be missing if QEMU exits first.
    if replies.len() < commands.len() + 1 {
        return Err(HostError::Failed {
            program: program.to_string(),
            status: out.status,
            stderr: out.stderr.trim().to_string(),
        });
    }
    if let Err(e) = &replies[0] {
        return Err(protocol(format!("qmp_capabilities failed: {e}")));
    }
    replies.truncate(commands.len() + 1);
    let _capabilities = replies.remove(0);
    Ok(replies)
}

/// How many answers (`return` or `error` lines) complete lines of QMP output hold.
fn answered(out: &[u8]) -> usize {
    let complete = out.rsplit(|&b| b == b'\n').count().saturating_sub(1);
    out.split(|&b| b == b'\n')
        .take(complete)
        .filter(|l| l.starts_with(b"{\"return\"") || l.starts_with(b"{\"error\""))
        .count()
}

/// `{"execute": name, "arguments": args}`.
pub fn command(name: &str, arguments: Value) -> Value {
    if arguments.is_null() {
        json!({ "execute": name })
    } else {
        json!({ "execute": name, "arguments": arguments })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{FnRunner, Output};

    #[test]
    fn replies_are_matched_by_position_and_events_skipped() {
        let runner = FnRunner(|_: &str, _: &[&str], stdin: &[u8]| {
            assert_eq!(String::from_utf8_lossy(stdin).lines().count(), 4);
            Ok(Output {
                status: Some(0),
                stdout: concat!(
                    "{\"QMP\": {\"version\": {}}}\n",
                    "{\"return\": {}}\n",
                    "{\"return\": [1]}\n",
                    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"nope\"}}\n",
                    "{\"timestamp\": {}, \"event\": \"SHUTDOWN\"}\n",
                    "{\"return\": {}}\n"
                )
                .into(),
                stderr: String::new(),
            })
        });
        let r = batch(
            &runner,
            "qemu",
            &[],
            &[command("a", Value::Null), command("b", json!({"x": 1}))],
        )
        .unwrap();
        assert_eq!(r, vec![Ok(json!([1])), Err("nope".to_string())]);
    }

    #[test]
    fn a_qemu_that_dies_early_is_an_error_with_its_stderr() {
        let runner = FnRunner(|_: &str, _: &[&str], _: &[u8]| {
            Ok(Output {
                status: Some(1),
                stdout: String::new(),
                stderr: "qemu: bad option\n".into(),
            })
        });
        let err = batch(&runner, "qemu", &[], &[command("a", Value::Null)]).unwrap_err();
        assert!(err.to_string().contains("bad option"), "{err}");
    }
}

//! Copying the `-cpu` argv: the local clipboard through arboard, and OSC 52 (the terminal's own
//! clipboard) whenever the session is remote or arboard fails — the admin on SSH is the main user.
//!
//! OSC 52 is fifteen lines of base64 over a well-known sequence; no OSC 52 crate is in common use,
//! so it is written here (as gitui and yazi do) and its bytes are pinned by a test.

use std::io::Write;

/// What the environment says about where we run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Session {
    /// `SSH_CONNECTION` or `SSH_TTY` is set: the local clipboard is the server's, not the user's.
    pub ssh: bool,
    /// `TMUX` is set: OSC 52 reaches the outer terminal only with `set-clipboard on`.
    pub tmux: bool,
    /// `DISPLAY` or `WAYLAND_DISPLAY` is set: there may be a local clipboard. Without either
    /// none is tried (arboard would wait for an X server that is not there, then say "timeout").
    pub display: bool,
}

impl Session {
    pub fn from_env() -> Session {
        let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
        Session {
            ssh: set("SSH_CONNECTION") || set("SSH_TTY"),
            tmux: set("TMUX"),
            display: set("DISPLAY") || set("WAYLAND_DISPLAY"),
        }
    }
}

/// The OSC 52 sequence that asks the terminal to put `text` on its clipboard:
/// `ESC ] 52 ; c ; <base64> BEL`.
pub fn osc52(text: &str) -> Vec<u8> {
    let mut out = b"\x1b]52;c;".to_vec();
    out.extend_from_slice(base64(text.as_bytes()).as_bytes());
    out.push(0x07);
    out
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The app's clipboard. arboard's clipboard is owned by a process on X11/Wayland (the content
/// vanishes when the owner exits), so one handle lives as long as the TUI.
#[derive(Default)]
pub struct Clipboard {
    native: Option<arboard::Clipboard>,
}

impl Clipboard {
    /// Copies `text`, writing OSC 52 to `out` (the terminal the TUI draws on, between frames)
    /// when needed. Returns what was done, for the status line.
    pub fn copy(&mut self, text: &str, session: Session, out: &mut dyn Write) -> String {
        let native = if session.display {
            self.copy_native(text)
        } else {
            Err("no $DISPLAY or $WAYLAND_DISPLAY".to_string())
        };
        let osc = session.ssh || native.is_err();
        let mut msg = match (&native, osc) {
            (Ok(()), false) => return format!("Copied to the clipboard: {text}"),
            (Ok(()), true) => {
                "Copied to the clipboard and sent to your terminal with OSC 52 (SSH session)"
                    .to_string()
            }
            (Err(e), _) => {
                format!("Sent to your terminal's clipboard with OSC 52 (no local clipboard: {e})")
            }
        };
        if let Err(e) = out.write_all(&osc52(text)).and_then(|()| out.flush()) {
            msg = format!("Could not copy: no local clipboard, and writing OSC 52 failed: {e}");
        } else if session.tmux {
            msg.push_str(
                "; inside tmux, `set -g set-clipboard on` forwards OSC 52 to your terminal",
            );
        }
        msg
    }

    fn copy_native(&mut self, text: &str) -> Result<(), String> {
        if self.native.is_none() {
            self.native = Some(arboard::Clipboard::new().map_err(|e| e.to_string())?);
        }
        let cb = self.native.as_mut().expect("set above");
        cb.set_text(text.to_string()).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_bytes_are_exact() {
        assert_eq!(osc52("foo"), b"\x1b]52;c;Zm9v\x07");
        assert_eq!(
            osc52("-cpu Icelake-Server-v4"),
            b"\x1b]52;c;LWNwdSBJY2VsYWtlLVNlcnZlci12NA==\x07"
        );
    }

    /// Without a display no local clipboard is tried: the message says why in plain words (no
    /// X11 timeout) and OSC 52 carries the text.
    #[test]
    fn without_a_display_osc52_is_used_and_said_plainly() {
        let mut out = Vec::new();
        let session = Session {
            ssh: false,
            tmux: false,
            display: false,
        };
        let msg = Clipboard::default().copy("-cpu host", session, &mut out);
        assert_eq!(out, osc52("-cpu host"));
        assert!(msg.contains("OSC 52"), "{msg}");
        assert!(msg.contains("no $DISPLAY or $WAYLAND_DISPLAY"), "{msg}");
        assert!(!msg.to_lowercase().contains("x11"), "{msg}");
        assert!(!msg.contains("timeout"), "{msg}");
    }

    #[test]
    fn base64_pads() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert_eq!(base64(&[0xff, 0xfe, 0xfd]), "//79");
    }
}

//! virt-cpu's engine: lossless domain XML, libvirt-exact `-cpu`, `<qemu:cpu>`, checks and edits.
//!
//! Nothing in the engine touches a terminal; the CLI and the TUI are fronts over it.
//!
//! # Layout
//!
//! The engine, bottom up (`tests/architecture.rs` checks that it never refers to the fronts
//! and has no cycle):
//! - [`xml`]: the lossless document — a quick-xml span index and the splice editor.
//! - [`domain`]: the typed read of the CPU-relevant parts (`<cpu>`, `<qemu:cpu>`, `<features>`,
//!   `<clock>`, …) and what they mean on their own (a feature's policy, what a feature setting
//!   does to the model: [`domain::AgainstModel`]).
//! - [`catalog`]: models, versions, aliases and features per libvirt + QEMU pair, and that QEMU's
//!   machine types.
//! - [`argv`]: libvirt's `-cpu` and the `<qemu:cpu>` readings (`argv::features`: what that
//!   `-cpu` does with each `<cpu>` feature, against QEMU's model); [`check`]: diagnostics and
//!   taints (a diagnostic's advice is a `check::Advice` too, which each front words: the CLI
//!   names a command, the TUI a key; `check::explain` reads libvirt's and QEMU's CPU errors into
//!   fixes, and a diagnostic names its symptom so the TUI offers explain's fixes for it);
//!   [`edit`]: high-level edits and undo (several edits as one step: `History::apply_all`;
//!   `edit::nested`: the vendor's `vmx`/`svm`, what the domain does with it, the host's verdict
//!   and the toggle);
//!   [`host`]: `virsh domcapabilities` and QMP through a `Runner`; [`store`]: load, atomic
//!   save, define; `store::Origin` says where a document came from (a file, standard input, a
//!   libvirt domain, the built-in demo).
//! - [`visible`]: the one escaping of document-derived text for a terminal — C0/C1 controls,
//!   bidi overrides and isolates, invisible format characters — used by the TUI's views and by
//!   every CLI text output and message, so a value from the XML never reaches a terminal raw.
//!   JSON stays lossless (its escapes read back as the same string).
//!
//! The fronts: [`cli`] (one module per subcommand) and [`tui`]:
//! - `cli::print`: what the CLI writes (report text on stdout, messages on stderr, JSON,
//!   documents) and the one place an error becomes a message and an exit code
//!   (`print::failure`: a closed stdout pipe is exit 0, anything else is said once, exit 2).
//!   Engine errors stay typed (`thiserror`) up to there; `HostError` renders itself one way
//!   for the CLI and the TUI. `cli::destination`: where an edited document goes (`-o OUT`,
//!   `--in-place`, `--diff`).
//! - `tui::app`: the state ([`tui::app::AppState`]), the [`tui::app::Action`]s and `update`,
//!   which changes the state and returns [`tui::app::Effect`]s as data; `tui::effects` runs them
//!   through an injected world (clipboard, files, `virsh`), so tests run them without one.
//! - `tui::keymap`: the one description of the keys — tables of `Binding`s (keys, action, and
//!   the words for the help, the key bar and the README) owned by what has the keys. Key
//!   dispatch, the help overlay, the key bar and the README's key table (a test compares it
//!   with README.md) are all read from them. `parse_keys` turns key strings into key events
//!   for the tests and the benches.
//! - `tui::panes`: the panes' key table, what those keys do, and the pane frame;
//!   `panes::cpu` and `panes::qemu` turn the domain's and the catalog's facts into lines.
//! - `tui::dialogs`: one module per window over the panes (`help`, `picker`, `features`,
//!   `diff`, `prompt`, `quit`, `overwrite`, `save_failed`, `qemu_cpu`, `diagnostics`, `mode`,
//!   `custom_model`, `topology`, `hyperv`, `physaddr`), each owning its state, its key table, its
//!   key handler and its drawing. A handler changes its dialog in place and answers `Outcome::Keep` or
//!   `Outcome::Close(effects)`; `dialogs::key` alone takes the open dialog out of the state and
//!   puts it back.
//! - `tui::domains`: the domain list `virt-cpu -c URI` opens without a domain (`-c` repeated:
//!   every host's domains in one list, a host column, a silent host a line; gathered by
//!   [`scan`] behind the loading screen; its own key table), each domain opened as `--domain`
//!   opens it on its own host, `Esc` there coming back.
//! - `tui::view`: the screen's layout, the title, the "too small" message and the bottom bar;
//!   it asks the panes and the open dialog to draw themselves. Views only read the state, and
//!   every string from the XML goes through `tui::text::visible` (control characters escaped).
//! - `tui::terminal`: the terminal guard (restores on drop, panic and signals; suspends for
//!   `$EDITOR`); `tui` itself holds the loop, loading and `type_keys` for key-string tests.

pub mod argv;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod domain;
pub mod edit;
pub mod host;
pub mod scan;
pub mod store;
pub mod tui;
pub mod visible;
pub mod xml;

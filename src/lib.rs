//! virt-cpu's engine: lossless domain XML, libvirt-exact `-cpu`, `<qemu:cpu>`, checks and edits.
//!
//! Nothing in the engine touches a terminal; the CLI and the TUI are fronts over it.
//!
//! Layout notes beyond DESIGN.md §2:
//! - [`visible`] (engine): the one escaping of document-derived text for a terminal — C0/C1
//!   controls, bidi overrides and isolates, invisible format characters — used by the TUI's
//!   views and by every CLI text output and message, so a value from the XML never reaches a
//!   terminal raw. JSON stays lossless (its escapes read back as the same string).
//! - `cli::print`: what the CLI writes (report text on stdout, messages on stderr, JSON,
//!   documents) and the one place an error becomes a message and an exit code
//!   (`print::failure`: a closed stdout pipe is exit 0, anything else is said once, exit 2).
//!   Engine errors stay typed (`thiserror`) up to there; `HostError` renders itself one way
//!   for the CLI and the TUI.
//! - `cli::destination`: where an edited document goes (`-o OUT`, `--in-place`, `--diff`).
//! - `store::Origin` says where a document came from: a file, standard input, a libvirt domain
//!   (`virsh dumpxml`), or the built-in demo.

pub mod argv;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod domain;
pub mod edit;
pub mod host;
pub mod store;
pub mod tui;
pub mod visible;
pub mod xml;

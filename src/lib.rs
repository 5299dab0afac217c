//! virt-cpu's engine: lossless domain XML, libvirt-exact `-cpu`, `<qemu:cpu>`, checks and edits.
//!
//! Nothing in the engine touches a terminal; the CLI and the TUI are fronts over it.

pub mod argv;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod domain;
pub mod edit;
pub mod host;
pub mod store;
pub mod tui;
pub mod xml;

//! Getting domains in and out: load from a file or stdin, save atomically.

pub mod load;
pub mod save;

pub use load::{Loaded, OpenError, Origin, open};

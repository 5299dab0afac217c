//! virt-cpu: parse the command line, run it, map the outcome to an exit code.

use clap::Parser;
use std::process::ExitCode;
use virt_cpu::cli::{self, Cli};

fn main() -> ExitCode {
    // An empty VIRT_CPU_LIBVIRT/VIRT_CPU_QEMU/VIRT_CPU_TIMEOUT means "not set", as shells mean it (`VAR= cmd`);
    // clap would read it as the empty version.
    for var in ["VIRT_CPU_LIBVIRT", "VIRT_CPU_QEMU", "VIRT_CPU_TIMEOUT"] {
        if std::env::var_os(var).is_some_and(|v| v.is_empty()) {
            // SAFETY: nothing else runs yet; no other thread can read the environment.
            unsafe { std::env::remove_var(var) };
        }
    }
    let cli = Cli::parse();
    let code = match cli::run(cli) {
        Ok(code) => code,
        Err(e) => cli::print::failure(&e),
    };
    ExitCode::from(code as u8)
}

//! virt-cpu: parse the command line, run it, map the outcome to an exit code.

use clap::Parser;
use std::process::ExitCode;
use virt_cpu::cli::{self, Cli, common::EXIT_USAGE};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("virt-cpu: {}", cli::common::error_text(&e));
            EXIT_USAGE
        }
    };
    ExitCode::from(code as u8)
}

use clap::Parser;
use dendra::cli::{Args, run_command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Some(cmd) => run_command(cmd),
        None => {
            eprintln!(
                "dendra: the lab window is not part of this build yet; use a command (dendra --help lists them)."
            );
            ExitCode::FAILURE
        }
    }
}

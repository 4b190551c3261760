use clap::Parser;
use dendra::cli::{Args, run_command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Some(cmd) => run_command(cmd),
        None => open_lab(args),
    }
}

#[cfg(feature = "app")]
fn open_lab(args: Args) -> ExitCode {
    dendra::app::run(dendra::app::AppOptions {
        morphology: args.morphology,
        setup: args.setup,
        screenshot: args.screenshot,
        frames: args.frames,
        presenter: args.presenter,
        save_setup: args.save_setup,
        lesson: args.lesson,
        trials: args.trial,
        size: args.size,
        layout: args.layout,
    })
}

#[cfg(not(feature = "app"))]
fn open_lab(_args: Args) -> ExitCode {
    eprintln!(
        "dendra: this build has no window (built without the `app` feature); use a command, see --help"
    );
    ExitCode::FAILURE
}

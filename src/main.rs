use clap::Parser;
use dendra::cli::{Args, run_command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Some(cmd) => run_command(cmd),
        None if args.clip.is_some() => clip(args),
        None => open_lab(args),
    }
}

/// `--clip`: rendered off the recording, without a window.
fn clip(args: Args) -> ExitCode {
    let a = dendra::cli::clip::ClipArgs {
        out: args.clip.unwrap_or_default(),
        lesson: args.lesson,
        setup: args.setup,
        morphology: args.morphology,
        condition: args.condition,
        from_ms: args.from,
        to_ms: args.to,
        fps: args.fps,
        slow: args.slow,
        size: args.size.unwrap_or((640, 640)),
    };
    dendra::cli::finish(dendra::cli::clip::run(&a))
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
        moment: args.moment,
    })
}

#[cfg(not(feature = "app"))]
fn open_lab(_args: Args) -> ExitCode {
    eprintln!(
        "dendra: this build has no window (built without the `app` feature); use a command, see --help"
    );
    ExitCode::FAILURE
}

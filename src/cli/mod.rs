//! The headless command line: `dendra morph`, `dendra simulate`, `dendra bench`,
//! `dendra lesson`, `dendra dataset`.
//! Thin wrappers over [`crate::sim`].

pub mod bench;
pub mod clip;
pub mod dataset;
pub mod lesson;
pub mod morph;
pub mod npz;
pub mod output;
pub mod progress;
pub mod simulate;

pub use output::CliError;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Dendra: a desktop lab for dendritic computation. With no command, opens the lab.
#[derive(Debug, Parser)]
#[command(name = "dendra", version, about)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Open this morphology in the lab instead of the default cell: an SWC or Neurolucida
    /// ASC file, or the name of a gallery cell (`dendra gallery` lists them).
    #[arg(long, global = false, conflicts_with = "setup")]
    pub morphology: Option<PathBuf>,
    /// Open a saved setup (JSON: cell, synapses, probes, drugs, view).
    #[arg(long)]
    pub setup: Option<PathBuf>,
    /// Run the lab for `--frames` frames, save the window to this PNG and exit.
    #[arg(long)]
    pub screenshot: Option<PathBuf>,
    /// Frames to run before the screenshot (1 to 1,000,000: about 4.6 hours at 60 frames
    /// a second).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=MAX_FRAMES as i64))]
    pub frames: u32,
    /// With --screenshot: also save the whole setup (cell, synapses, probes, view) as
    /// JSON when the picture is taken.
    #[arg(long, requires = "screenshot")]
    pub save_setup: Option<PathBuf>,
    /// Open this lesson (`dendra lesson list`) and run its protocol.
    #[arg(long)]
    pub lesson: Option<String>,
    /// With --screenshot: run a trial with these conditions before the picture, e.g.
    /// `--trial control --trial apv` (words: control, a drug such as apv or ttx:apical,
    /// wash:apv, mg=3, fire, inward, outward, burst, clamps, ms=200). Repeatable.
    #[arg(long, requires = "screenshot")]
    pub trial: Vec<String>,
    /// With --screenshot: write where things were drawn (window, trace plots, the tree's
    /// bounding box on screen) to this JSON file.
    #[arg(long, requires = "screenshot")]
    pub layout: Option<PathBuf>,
    /// Render a clip (an animated GIF) of the lesson's condition (`--lesson`,
    /// `--condition`) or of a setup's first kept trial (`--setup`) from `--from` to `--to`
    /// ms after the protocol's start, and exit. No window opens (`--size` is the clip's,
    /// default 640x640).
    #[arg(long, conflicts_with = "screenshot")]
    pub clip: Option<PathBuf>,
    /// With --clip: the lesson's condition (default: its first).
    #[arg(long, requires = "clip")]
    pub condition: Option<String>,
    /// With --clip: the stretch's start (ms after the protocol's start).
    #[arg(long, requires = "clip", default_value_t = 0.0)]
    pub from: f64,
    /// With --clip: the stretch's end (ms after the protocol's start; default: the run's end).
    #[arg(long, requires = "clip")]
    pub to: Option<f64>,
    /// With --clip: frames per second (1 to 60).
    #[arg(long, requires = "clip", default_value_t = 20.0)]
    pub fps: f64,
    /// With --clip: how many times slower than real time (100: 1 ms of the cell takes 0.1 s).
    #[arg(long, requires = "clip", default_value_t = 100.0)]
    pub slow: f64,
    /// The window's size in logical pixels, WIDTHxHEIGHT (default 1280x800).
    #[arg(long, value_parser = parse_size)]
    pub size: Option<(u32, u32)>,
    /// Start in presenter mode (large fonts and lines, high contrast; F11 toggles it).
    #[arg(long)]
    pub presenter: bool,
    /// With --screenshot and --lesson: take the picture at the lesson's key moment (its
    /// first declared moment, reached in slow motion as the lesson plays) instead of after
    /// --frames frames.
    #[arg(long, requires = "screenshot", requires = "lesson")]
    pub moment: bool,
}

/// Most frames `--frames` takes.
pub const MAX_FRAMES: u32 = 1_000_000;

/// A window size that is not `WIDTHxHEIGHT` with each side 200 to 8192.
#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not a size such as 1280x720 (each side 200 to 8192)")]
pub struct SizeError(String);

/// `WIDTHxHEIGHT`, each 200 to 8192.
fn parse_size(s: &str) -> Result<(u32, u32), SizeError> {
    let bad = || SizeError(s.to_string());
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h): (u32, u32) = (w.trim().parse().map_err(|_| bad())?, h.trim().parse().map_err(|_| bad())?);
    if !((200..=8192).contains(&w) && (200..=8192).contains(&h)) {
        return Err(bad());
    }
    Ok((w, h))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load a morphology (SWC, Neurolucida ASC, or a gallery cell's name) and report its
    /// geometry and passive figures.
    Morph {
        file: PathBuf,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Run a model spec (JSON, as in reference/models) and write its traces as CSV.
    Simulate {
        spec: PathBuf,
        /// Where to write the CSV (`-` for standard output).
        #[arg(long)]
        out: PathBuf,
        /// Run even when the work estimate is beyond the limit (docs/limits.md).
        #[arg(long)]
        force: bool,
    },
    /// List the gallery: the cells that open by name.
    Gallery,
    /// List the mechanism catalogue: each mechanism's parameters (unit, default, the
    /// values it takes) and the ions it reads and writes.
    Mechanisms {
        /// One JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The lessons: list them, or run one headless and check its claims.
    Lesson {
        #[command(subcommand)]
        which: lesson::LessonCommand,
    },
    /// Run a lesson's condition many times (independent seeds, in parallel) and write
    /// its inputs and outputs as a NumPy .npz data set (docs/dataset.md).
    Dataset(dataset::DatasetArgs),
    /// Benchmarks (programs that print figures).
    Bench {
        #[command(subcommand)]
        which: bench::BenchCommand,
    },
}

fn gallery() -> Result<(), CliError> {
    let mut text = String::new();
    for c in crate::sim::morphology::gallery::GALLERY {
        text += &format!("{:<16} {}\n", c.name, c.title);
    }
    output::write_stdout(&text)
}

fn mechanisms(json: bool) -> Result<(), CliError> {
    use crate::sim::mechanisms::catalogue::CATALOGUE;
    if json {
        let list: Vec<serde_json::Value> = CATALOGUE
            .iter()
            .map(|e| {
                let params: Vec<serde_json::Value> = e
                    .params
                    .iter()
                    .map(|p| {
                        serde_json::json!({"name": p.name, "unit": p.unit, "default": p.default,
                            "min": p.min, "max": p.max})
                    })
                    .collect();
                serde_json::json!({"name": e.name, "title": e.title, "params": params,
                    "reads": e.reads, "writes": e.writes, "nonspecific": e.nonspecific})
            })
            .collect();
        let text = serde_json::to_string_pretty(&list).map_err(|e| CliError::Input(e.to_string()))?;
        return output::write_stdout(&(text + "\n"));
    }
    let mut text = String::new();
    for e in CATALOGUE {
        let ions = |v: &[&str]| if v.is_empty() { "-".to_string() } else { v.join(" ") };
        text += &format!("{}: {}\n  reads {}, writes {}\n", e.name, e.title, ions(e.reads), ions(e.writes));
        for p in e.params {
            text += &format!("  {:<16} {:>10} {:<7} ({} to {})\n", p.name, p.default, p.unit, p.min, p.max);
        }
    }
    output::write_stdout(&text)
}

/// Runs a headless command; `None` means no command was given (the app's turn).
pub fn run_command(command: Command) -> ExitCode {
    let result = match command {
        Command::Morph { file, json } => morph::run(&file, json),
        Command::Simulate { spec, out, force } => simulate::run(&spec, &out, force),
        Command::Bench { which } => bench::run(which),
        Command::Gallery => gallery(),
        Command::Mechanisms { json } => mechanisms(json),
        Command::Lesson { which } => lesson::run(which),
        Command::Dataset(args) => dataset::run(args),
    };
    finish(result)
}

/// The exit status of a command's result, with its message on stderr.
pub fn finish(result: Result<(), CliError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`| head`): stop quietly, as command-line tools do.
        Err(CliError::BrokenPipe) => ExitCode::SUCCESS,
        // Stopped by Ctrl+C or SIGTERM: what was finished is written, but the work is not
        // complete, and a script must be able to tell.
        Err(CliError::Interrupted(m)) => {
            output::report(&format!("dendra: {m}"));
            ExitCode::from(130)
        }
        Err(e) => {
            output::report(&format!("dendra: {e}"));
            ExitCode::FAILURE
        }
    }
}

//! `dendra lesson list | check NAME [--morphology FILE] [--json]`: the lessons, run
//! headless by the same scene and protocol code as the window.

use super::output::{CliError, write_stdout};
use super::progress::{Progress, check_work};
use crate::lab::lesson::figures::work_estimate;
use crate::lab::lesson::{LESSONS, Lesson, check_built};
use crate::lab::scene::ResolvedScene;
use crate::sim::morphology::gallery;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum LessonCommand {
    /// The lessons' names, one a line.
    List,
    /// Runs a lesson's protocol headless and checks its claims (status 1 if one fails).
    Check {
        name: String,
        /// Run it on this cell (SWC, ASC or a gallery name) instead of its own.
        #[arg(long)]
        morphology: Option<PathBuf>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// Also write every run's traces as CSV files into this folder.
        #[arg(long)]
        traces: Option<PathBuf>,
        /// Run even when the work estimate is beyond the limit (docs/limits.md).
        #[arg(long)]
        force: bool,
    },
}

pub fn run(cmd: LessonCommand) -> Result<(), CliError> {
    match cmd {
        LessonCommand::List => {
            let text: String = LESSONS.iter().map(|(n, _)| format!("{n}\n")).collect();
            write_stdout(&text)
        }
        LessonCommand::Check { name, morphology, json, traces, force } => {
            let lesson = Lesson::builtin(&name).map_err(|e| e.to_string())?;
            // A folder for the traces that cannot be one fails now, not after the runs.
            if let Some(dir) = &traces
                && dir.exists()
                && !dir.is_dir()
            {
                return Err(CliError::Input(format!(
                    "--traces {}: is a file; --traces names a folder to write one CSV file per run into",
                    dir.display()
                )));
            }
            let morph = match &morphology {
                Some(p) => Some((
                    gallery::open(p).map_err(|e| e.to_string())?,
                    crate::sim::morphology::gallery::source_label(p),
                )),
                None => None,
            };
            let built =
                ResolvedScene::new(&lesson.scene, morph).map_err(|e| format!("lesson {name}: {e}"))?;
            // Bounded work: the lesson's runs on this cell, estimated before any runs.
            let (runs, ms) = work_estimate(&lesson);
            check_work(ms / built.dt, built.compartments, force)
                .map_err(|e| format!("lesson {name} ({runs} runs): {e}"))?;
            // A progress line on a terminal, by runs made (of about `runs`); Ctrl+C ends
            // the check as usual (there is nothing to save).
            let bar = std::sync::Mutex::new(Progress::display_only(&format!("lesson {name}: {runs} runs")));
            let tell = |n: usize| {
                if let Ok(mut b) = bar.lock() {
                    b.update(n as f64 / runs.max(1) as f64);
                }
            };
            let report = check_built(&lesson, built, Some(&tell));
            if let Ok(mut b) = bar.lock() {
                b.finish();
            }
            let report = report.map_err(|e| format!("lesson {name}: {e}"))?;
            let text = if json {
                format!("{}\n", report.to_json())
            } else {
                let mut t = format!("{} on {}\n", report.lesson, report.morphology);
                for c in &report.claims {
                    t += &format!(
                        "  [{}] {} ({})\n",
                        if c.holds { "holds" } else { "FAILS" },
                        c.claim,
                        c.figure
                    );
                }
                t
            };
            if let Some(dir) = &traces {
                std::fs::create_dir_all(dir)
                    .map_err(|e| CliError::Output { what: dir.display().to_string(), source: e })?;
                for (k, tr) in &report.runs {
                    let file: String = k
                        .to_string()
                        .chars()
                        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' })
                        .collect();
                    let path = dir.join(format!("{file}.csv"));
                    std::fs::write(&path, tr.to_csv())
                        .map_err(|e| CliError::Output { what: path.display().to_string(), source: e })?;
                }
            }
            write_stdout(&text)?;
            if report.holds() {
                Ok(())
            } else {
                Err(CliError::Input(format!("lesson {name}: a claim does not hold")))
            }
        }
    }
}

//! `dendra --lesson NAME [--condition C] --clip out.gif --from MS --to MS --fps N --slow X`:
//! runs the lesson's condition with the whole cell recorded and renders that stretch
//! (ms from the protocol's start) as an animated GIF, then exits; `--setup F` in place of
//! `--lesson` plays the setup's first kept trial (its conditions read from its label)
//! instead. No window opens: the frames are drawn off the recording.

use super::CliError;
use crate::lab::Lab;
use crate::lab::clip::{ClipSpec, View, render_gif};
use crate::lab::lesson::{Lesson, play_list, run::Run};
use crate::lab::recording::MAX_RECORDING_BYTES;
use crate::lab::scene::ResolvedScene;
use crate::lab::trials::{TRIAL_LEAD_MS, TrialPlan};
use crate::lab::{FirePattern, Quantity};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the command line asks for.
#[derive(Debug, Clone)]
pub struct ClipArgs {
    pub out: PathBuf,
    pub lesson: Option<String>,
    pub setup: Option<PathBuf>,
    pub morphology: Option<PathBuf>,
    pub condition: Option<String>,
    pub from_ms: f64,
    pub to_ms: Option<f64>,
    pub fps: f64,
    pub slow: f64,
    pub size: (u32, u32),
}

/// A clip's run: the lab after it (recording), the protocol's start, its end and a label.
struct Played {
    lab: Lab,
    t0: f64,
    t_end: f64,
    label: String,
    /// The lesson's colour range (mV), when it has one.
    colour_mv: Option<[f64; 2]>,
}

pub fn run(a: &ClipArgs) -> Result<(), CliError> {
    match a.out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("gif") => {}
        Some(e @ ("mp4" | "webm" | "mkv" | "mov")) => {
            return Err(format!(
                "--clip: .{e} needs a video encoder this build does not have (ffmpeg's libraries); \
                 write a .gif, or convert one: ffmpeg -i clip.gif clip.{e}"
            )
            .into());
        }
        _ => return Err("--clip: the file must end in .gif".into()),
    }
    // The settings are checked before anything runs.
    let (lo, hi) = Quantity::Voltage.default_range();
    let mut spec = ClipSpec {
        from_ms: a.from_ms,
        to_ms: a.to_ms.unwrap_or(a.from_ms + 1.0),
        fps: a.fps,
        slow: a.slow,
        width: a.size.0,
        height: a.size.1,
        map: 0,
        lo,
        hi,
        label: String::new(),
        t0: 0.0,
    };
    spec.frame_times().map_err(|e| CliError::Input(format!("--clip: {e}")))?;
    crate::sim::savefile::SaveFile::create(&a.out)
        .map_err(|e| CliError::Input(format!("--clip {}: cannot write: {e}", a.out.display())))?;
    let played = match (&a.lesson, &a.setup) {
        (Some(name), _) => play_lesson(name, a)?,
        (None, Some(path)) => play_setup(path)?,
        (None, None) => return Err("--clip needs --lesson NAME or --setup FILE".into()),
    };
    let rec = played.lab.recording().ok_or("the cell could not be recorded")?;
    let to = a.to_ms.unwrap_or(played.t_end - played.t0);
    spec.from_ms = played.t0 + a.from_ms;
    spec.to_ms = played.t0 + to;
    spec.label = played.label.clone();
    if let Some([lo, hi]) = played.colour_mv {
        (spec.lo, spec.hi) = (lo, hi);
    }
    spec.t0 = played.t0;
    let cell = &played.lab.sim.cell;
    let view = View::framing(cell, crate::lab::geometry::upright(cell), a.size.0, a.size.1);
    let (bytes, frames) =
        render_gif(rec, cell, view, &spec).map_err(|e| CliError::Input(format!("--clip: {e}")))?;
    crate::sim::savefile::save(&a.out, &bytes)
        .map_err(|source| CliError::Output { what: a.out.display().to_string(), source })?;
    eprintln!(
        "dendra: wrote {} ({frames} frames, {}x{}, {} to {} ms at {}x slower, {:.1} s long)",
        a.out.display(),
        a.size.0,
        a.size.1,
        a.from_ms,
        to,
        a.slow,
        frames as f64 / a.fps
    );
    Ok(())
}

/// Runs a lesson's condition (the first, or `--condition`) to its end, recording.
fn play_lesson(name: &str, a: &ClipArgs) -> Result<Played, CliError> {
    let lesson = Lesson::builtin(name).map_err(|e| CliError::Input(e.to_string()))?;
    let morph = match &a.morphology {
        Some(p) => Some((
            crate::sim::morphology::gallery::open(p).map_err(crate::lab::LabError::from)?,
            crate::sim::morphology::gallery::source_label(p),
        )),
        None => None,
    };
    let built = ResolvedScene::new(&lesson.scene, morph).map_err(|e| CliError::Input(e.to_string()))?;
    let cond = match &a.condition {
        Some(c) => lesson.condition(c).ok_or_else(|| {
            let known: Vec<&str> = lesson.conditions.iter().map(|c| c.name.as_str()).collect();
            CliError::Input(format!(
                "--condition: lesson {name} has no condition '{c}' (it has {})",
                known.join(", ")
            ))
        })?,
        None => lesson.conditions.first().ok_or("the lesson has no condition")?,
    };
    // The variables the lesson plays it with: those fixed in its figures, or, where they
    // come from figures (a threshold found), those the lesson's check finds.
    let vars_from = |figures: &BTreeMap<String, serde_json::Value>| {
        play_list(&lesson, figures)
            .into_iter()
            .find(|(c, _)| *c == cond.name)
            .map(|(_, v)| v)
            .unwrap_or_default()
    };
    let mut run = match Run::start(&lesson.scene, &built, cond, &vars_from(&BTreeMap::new())) {
        Ok(run) => run,
        Err(_) => {
            eprintln!(
                "dendra: condition '{}' takes its variables from the lesson's figures: checking the lesson first...",
                cond.name
            );
            let report = crate::lab::lesson::check_built(&lesson, built.clone(), None)
                .map_err(|e| CliError::Input(e.to_string()))?;
            Run::start(&lesson.scene, &built, cond, &vars_from(&report.figures))
                .map_err(|e| CliError::Input(e.to_string()))?
        }
    };
    run.lab.record(true, MAX_RECORDING_BYTES)?;
    let steps = ((run.t_end - run.lab.t()) / run.lab.sim.config.dt).ceil().max(0.0) as u64;
    run.lab.advance(steps);
    let label = if cond.label.is_empty() { cond.name.clone() } else { cond.label.clone() };
    Ok(Played {
        lab: run.lab,
        t0: run.t0,
        t_end: run.t_end,
        label: format!("{}: {label}", lesson.name),
        colour_mv: lesson.colour_mv,
    })
}

/// Replays a setup's first kept trial (its conditions read from its label; the plain
/// trial when the label is not in words the lab knows), recording.
fn play_setup(path: &Path) -> Result<Played, CliError> {
    let setup = crate::lab::setup::read_setup(path)?;
    let mut lab = Lab::from_setup(&setup, path.parent().unwrap_or(Path::new(".")))?;
    let first = lab.trials.first().cloned();
    let mut plan = TrialPlan { fire: Some(FirePattern::Single), run_ms: 200.0 };
    let mut label = "trial".to_string();
    if let Some(t) = &first {
        label = t.label.clone();
        if let Some(end) = t.traces.first().and_then(|tr| tr.t_ms.last()) {
            plan.run_ms = (end - TRIAL_LEAD_MS).max(1.0);
        }
        let mut copy = lab.clone_without_traces();
        if copy.apply_trial_words(&t.label, &mut plan).is_ok() {
            lab = copy;
        }
    }
    lab.record(true, MAX_RECORDING_BYTES)?;
    lab.start_trial(plan);
    let end = lab.trial.as_ref().map_or(TRIAL_LEAD_MS + plan.run_ms, |r| r.t_end);
    let steps = (end / lab.sim.config.dt).ceil() as u64 + 1;
    lab.advance(steps);
    Ok(Played { lab, t0: TRIAL_LEAD_MS, t_end: end, label, colour_mv: None })
}

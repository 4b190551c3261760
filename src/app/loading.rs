//! Opening a cell or a setup off the UI thread: reading, sectioning, discretising, the
//! biophysics and the tree's mesh are done on a thread of their own while the current
//! cell stays live; the panel shows a progress line; a failure leaves the current cell
//! untouched and says why.

use super::job::{Job, Poll};
use super::state::{LabRes, PreparedMesh, Swap, UiState};
use crate::lab::geometry::TreeMesh;
use crate::lab::setup::{Setup, read_setup};
use crate::lab::{Lab, LabError};
use crate::sim::morphology::gallery;
use bevy::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What to open.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadJob {
    /// A morphology file (SWC or ASC) or a gallery name.
    Morphology(PathBuf),
    /// A saved setup (JSON).
    Setup(PathBuf),
}

impl LoadJob {
    fn label(&self) -> String {
        match self {
            LoadJob::Morphology(p) | LoadJob::Setup(p) => p.display().to_string(),
        }
    }
}

/// A lab ready to replace the current one.
pub struct Loaded {
    pub lab: Lab,
    /// The reader's warnings about the file.
    pub warnings: Vec<String>,
    /// The setup it came from (its view and colours are restored too).
    pub setup: Option<Setup>,
    /// The tree's mesh, built on the loading thread.
    pub mesh: Option<TreeMesh>,
}

enum Msg {
    Stage(&'static str),
    Done(Box<Result<Loaded, LabError>>),
}

struct InFlight {
    work: Job<Msg>,
    job: LoadJob,
    stage: &'static str,
    started: Instant,
}

/// The loading in progress, if any (one at a time).
#[derive(Resource, Default)]
pub struct Loader {
    inflight: Option<InFlight>,
}

/// Reads and builds what `job` asks for (any thread). `stage` hears the progress.
pub fn load(job: &LoadJob, mut stage: impl FnMut(&'static str)) -> Result<Loaded, LabError> {
    let loaded = match job {
        LoadJob::Morphology(path) => {
            stage("reading and sectioning");
            let m = gallery::open(path)?;
            let warnings = m.warnings.clone();
            stage("discretising and building the biophysics");
            let lab = Lab::new(m, &gallery::source_label(path))?;
            Loaded { lab, warnings, setup: None, mesh: None }
        }
        LoadJob::Setup(path) => {
            stage("reading the setup and its cell");
            let base = path.parent().unwrap_or(Path::new("."));
            let setup = read_setup(path)?;
            let lab = Lab::from_setup(&setup, base).map_err(|e| e.at(path.display().to_string()))?;
            let warnings = lab.sim.cell.morphology.warnings.clone();
            Loaded { lab, warnings, setup: Some(setup), mesh: None }
        }
    };
    stage("building the tree's mesh");
    let mesh = TreeMesh::for_display(&loaded.lab.sim.cell);
    Ok(Loaded { mesh: Some(mesh), ..loaded })
}

/// Restores a setup's view: its colouring at once, its camera (as checked: a view that
/// makes no sense is left out, and the lab's notes say so) when the tree is next drawn.
/// The one place a saved view comes back, whether the setup was opened at start or later.
pub fn restore_view(ui: &mut UiState, setup: &Setup) {
    if let Some(c) = &setup.colour {
        ui.quantity = c.quantity;
        ui.range = (c.min, c.max);
        ui.colormap = (c.map as usize).min(super::colour::MAPS.len() - 1);
    }
    ui.pending_camera = setup.camera.and_then(|c| c.checked(&mut Vec::new()));
    if let Some(r) = setup.replay {
        ui.playhead.rate = r.rate;
        ui.playhead.marks = r.marks;
        ui.playhead.slow_motion = r.slow_motion;
    }
}

/// Replaces the lab by `loaded` (or reports why not, leaving the current cell).
pub fn install(
    job: &LoadJob,
    result: Result<Loaded, LabError>,
    lab: &mut LabRes,
    ui: &mut UiState,
) -> Option<TreeMesh> {
    let loaded = match result {
        Ok(l) => l,
        Err(e) => {
            ui.fail(format!("could not open: {e}"));
            return None;
        }
    };
    let from_setup = matches!((job, &loaded.setup), (LoadJob::Setup(_), Some(_)));
    lab.swap(loaded.lab, if from_setup { Swap::NewCellWithItsSpeed } else { Swap::NewCell }, ui);
    let n = lab.0.sim.cell.compartment_count();
    let mut msg = match (job, &loaded.setup) {
        (LoadJob::Setup(p), Some(setup)) => {
            restore_view(ui, setup);
            format!("opened setup {}", p.display())
        }
        _ => format!("opened {} ({n} compartments)", job.label()),
    };
    if !loaded.warnings.is_empty() {
        msg.push_str("; ");
        msg.push_str(&loaded.warnings.join("; "));
    }
    if !lab.0.notes.is_empty() {
        msg.push_str("; changed: ");
        msg.push_str(&lab.0.notes.join("; "));
    }
    ui.say(msg);
    loaded.mesh
}

impl Loader {
    /// True while a file is being opened.
    pub fn busy(&self) -> bool {
        self.inflight.is_some()
    }

    /// Starts opening `job` on a thread; the current cell stays until it is ready.
    pub fn start(&mut self, job: LoadJob, ui: &mut UiState) {
        if let Some(f) = &self.inflight {
            ui.fail(format!("still opening {}; try again when it is done", f.job.label()));
            return;
        }
        let thread_job = job.clone();
        let spawned = Job::spawn("dendra-load", move |tx| {
            // A failed send means the window has closed: nobody is waiting any more.
            let result = load(&thread_job, |s| tx.send(Msg::Stage(s)).unwrap_or(()));
            tx.send(Msg::Done(Box::new(result))).unwrap_or(());
        });
        match spawned {
            Ok(work) => {
                ui.say(format!("opening {}...", job.label()));
                self.inflight = Some(InFlight { work, job, stage: "starting", started: Instant::now() });
            }
            Err(e) => ui.fail(format!("could not start opening {}: {e}", job.label())),
        }
    }
}

/// Takes the loading thread's news: a progress line while it works, the new lab when
/// it is done.
fn poll(
    mut loader: ResMut<Loader>,
    mut lab: ResMut<LabRes>,
    mut ui: ResMut<UiState>,
    mut prepared: ResMut<PreparedMesh>,
) {
    let Some(f) = loader.inflight.as_mut() else { return };
    let mut done = None;
    while done.is_none() {
        match f.work.poll() {
            Poll::Waiting => break,
            Poll::Got(Msg::Stage(s)) => f.stage = s,
            Poll::Got(Msg::Done(r)) => done = Some(*r),
            Poll::Gone => {
                done = Some(Err(LabError::NotNow("the loading thread stopped unexpectedly".to_string())));
            }
        }
    }
    match done {
        Some(result) => {
            let job = f.job.clone();
            loader.inflight = None;
            if let Some(mesh) = install(&job, result, &mut lab, &mut ui) {
                prepared.0 = Some((ui.generation, mesh));
            }
        }
        None => {
            let msg = format!(
                "opening {}: {} ({:.1} s)",
                f.job.label(),
                f.stage,
                f.started.elapsed().as_secs_f64()
            );
            ui.say(msg);
        }
    }
}

/// Opens `job` at once on the calling thread (tests, and the command line's first cell).
pub fn open_now(job: LoadJob, lab: &mut LabRes, ui: &mut UiState) {
    let result = load(&job, |_| {});
    install(&job, result, lab, ui);
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Loader>();
    app.init_resource::<PreparedMesh>();
    app.add_systems(Update, poll);
}

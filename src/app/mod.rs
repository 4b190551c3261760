//! The lab window: a thin layer of Bevy plugins over [`crate::lab`] and [`crate::sim`],
//! one plugin per file. `main` only calls [`run`].

mod camera;
mod colour;
mod error;
mod files;
mod job;
mod keys;
mod lessons;
mod linearity;
mod loading;
mod markers;
mod panel;
mod picking;
mod scene;
mod screenshot;
mod simulation;
mod state;
mod timeline;
mod traces;

pub use camera::OrbitCamera;
pub use files::open_swc;
pub use lessons::Lessons;
pub use loading::{LoadJob, Loader};
pub use picking::apply_tool_at;
pub use simulation::SimClock;
pub use state::{LabRes, Tool, UiState};

use crate::lab::{Lab, LabError};
use crate::sim::morphology::gallery;
use bevy::prelude::*;
use bevy::window::WindowResolution;
use std::path::PathBuf;
use std::process::ExitCode;

/// What the command line asks of the window.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// Open this SWC file instead of the built-in pyramidal cell.
    pub morphology: Option<PathBuf>,
    /// Open this saved setup instead.
    pub setup: Option<PathBuf>,
    /// Save the window to this PNG after `frames` frames, then exit.
    pub screenshot: Option<PathBuf>,
    pub frames: u32,
    /// Start in presenter mode.
    pub presenter: bool,
    /// With `screenshot`: save the setup (JSON) when the picture is taken.
    pub save_setup: Option<PathBuf>,
    /// Open this lesson and run its protocol.
    pub lesson: Option<String>,
    /// With `screenshot`: trials to run first, each a list of condition words.
    pub trials: Vec<String>,
    /// With `screenshot`: write the layout report here.
    pub layout: Option<PathBuf>,
    /// The window's size (logical pixels).
    pub size: Option<(u32, u32)>,
    /// With `screenshot` and `lesson`: the picture at the lesson's key moment.
    pub moment: bool,
}

/// Loads the cell, opens the window and runs until it is closed. A file that cannot be
/// read is reported on stderr with its line, and nothing opens.
pub fn run(opts: AppOptions) -> ExitCode {
    // What the command line asks for is checked before the window opens: an unknown
    // lesson, or a picture, layout or setup that could not be written, is said now and
    // the status is 1 (not a window that runs and saves nothing).
    if let Some(name) = &opts.lesson
        && let Err(e) = crate::lab::lesson::Lesson::builtin(name)
    {
        eprintln!("dendra: --lesson: {e}");
        return ExitCode::FAILURE;
    }
    let mut saved = None;
    let lab = match (&opts.setup, &opts.morphology) {
        (Some(path), _) => crate::lab::setup::read_setup(path).and_then(|s| {
            let lab = Lab::from_setup(&s, path.parent().unwrap_or(std::path::Path::new(".")))
                .map_err(|e| e.at(path.display().to_string()));
            saved = Some(s);
            lab
        }),
        (None, Some(path)) => {
            let source = gallery::source_label(path);
            gallery::open(path).map_err(LabError::from).and_then(|m| Lab::new(m, &source))
        }
        (None, None) => Lab::builtin("l5_pyramidal"),
    };
    let lab = match lab {
        Ok(lab) => lab,
        Err(e) => {
            eprintln!("dendra: {e}");
            return ExitCode::FAILURE;
        }
    };
    for (flag, path) in
        [("--screenshot", &opts.screenshot), ("--layout", &opts.layout), ("--save-setup", &opts.save_setup)]
    {
        // Making the temporary file beside it is the check; dropped, it is removed.
        if let Some(p) = path
            && let Err(e) = crate::sim::savefile::SaveFile::create(p)
        {
            eprintln!("dendra: {flag} {}: cannot write: {e}", p.display());
            return ExitCode::FAILURE;
        }
    }
    // This build talks to X11 (or XWayland): without a display, say so instead of letting
    // the windowing layer panic.
    if cfg!(target_os = "linux") && std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty()) {
        eprintln!(
            "dendra: no display (DISPLAY is not set), so the lab cannot open its window.\n\
             Run it in a desktop session, or for pictures without a screen under Xvfb:\n  \
             xvfb-run -a dendra --screenshot out.png --frames 60\n\
             The headless commands (dendra morph, simulate, bench) work anywhere."
        );
        return ExitCode::FAILURE;
    }
    // A machine without any Vulkan driver makes the renderer give up: add what to do.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default_hook(info);
        let msg = info.to_string();
        if msg.contains("GPU") || msg.contains("adapter") {
            eprintln!(
                "dendra: no graphics adapter was found. The lab draws with Vulkan; without a GPU \
                 driver, Mesa's software one works (Debian: apt-get install mesa-vulkan-drivers)."
            );
        }
    }));
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window {
            title: "Dendra: a lab for dendritic computation".into(),
            resolution: {
                let (w, h) = opts.size.unwrap_or((1280, 800));
                WindowResolution::new(w, h)
            },
            ..default()
        }),
        ..default()
    }));
    app.add_plugins((bevy_egui::EguiPlugin::default(), bevy::picking::mesh_picking::MeshPickingPlugin));
    let startup_warnings = lab.sim.cell.morphology.warnings.clone();
    let startup_notes = lab.notes.clone();
    app.insert_resource(LabRes(lab));
    if let Some(path) = opts.screenshot {
        app.insert_resource(screenshot::ScreenshotRequest {
            path,
            frames: opts.frames.max(1),
            save_setup: opts.save_setup.clone(),
            trials: opts.trials.clone(),
            layout: opts.layout.clone(),
            moment: opts.moment,
        });
    }
    app.add_plugins(plugin);
    if let Some(name) = &opts.lesson {
        let mut lessons = app.world_mut().resource_mut::<Lessons>();
        lessons.autorun = Some(name.clone());
        // `--morphology X --lesson Y`: the lesson runs on X, as `lesson check --morphology`.
        lessons.on_this_cell = opts.morphology.is_some();
    }
    {
        let mut ui = app.world_mut().resource_mut::<UiState>();
        ui.presenter = opts.presenter;
        // What the reader fixed in the file and what the setup's values were clamped to.
        let mut said = Vec::new();
        if !startup_warnings.is_empty() {
            said.push(format!("warnings: {}", startup_warnings.join("; ")));
        }
        if !startup_notes.is_empty() {
            said.push(format!("changed: {}", startup_notes.join("; ")));
        }
        if !said.is_empty() {
            // On the terminal too: a script that opens a setup hears what was changed.
            eprintln!("dendra: {}", said.join("; "));
            ui.fail(said.join("; "));
        }
        if let Some(s) = &saved {
            loading::restore_view(&mut ui, s);
        }
    }
    match app.run() {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(_) => ExitCode::FAILURE,
    }
}

/// Every plugin of the lab window (needs a window and a renderer).
pub fn plugin(app: &mut App) {
    app.add_plugins((
        headless_plugin,
        scene::plugin,
        camera::plugin,
        picking::plugin,
        markers::plugin,
        panel::plugin,
        files::plugin,
        keys::plugin,
        lessons::plugin,
        linearity::plugin,
        screenshot::plugin,
        timeline::plugin,
        simulation::threaded_plugin,
    ));
}

/// The order of the window's work in each frame's `Update`: every plugin puts its
/// systems that depend on another plugin's in one of these sets, and only this enum says
/// which comes first, so that no plugin names another's systems.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabSet {
    /// The keyboard's commands to the lab (before the lab steps, so that a key acts in
    /// the same frame).
    Input,
    /// The lab steps (the simulation clock).
    Simulate,
    /// The tree's mesh and colours follow the lab.
    Scene,
    /// What depends on the tree as drawn: the camera's framing, the markers, picking.
    View,
}

/// The lab's logic without any rendering: state and the fixed-step simulation. Tests run
/// it under `MinimalPlugins`; it expects a [`LabRes`] resource.
pub fn headless_plugin(app: &mut App) {
    app.configure_sets(Update, (LabSet::Input, LabSet::Simulate, LabSet::Scene, LabSet::View).chain());
    app.add_plugins((state::plugin, simulation::plugin, loading::plugin));
}

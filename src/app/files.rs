//! Files: open an SWC (native dialog, or drop it on the window), save and reopen the
//! whole setup as JSON, export the traces as CSV and the view as PNG. Dialogs run on
//! their own thread so the window never blocks; a bad file shows its error in the panel
//! and the current cell stays.

use super::camera::OrbitCamera;
use super::state::{LabRes, UiState};
use crate::lab::Lab;
use crate::lab::setup::{CameraSetup, ColourSetup, read_setup, write_setup};
use crate::sim::morphology::Morphology;
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
use bevy::window::FileDragAndDrop;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};

/// What a file dialog is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileJob {
    OpenSwc,
    OpenSetup,
    SaveSetup,
    ExportCsv,
    SavePng,
}

/// A dialog's answer: the job, the chosen path, and how long the dialog was open.
type Answer = (FileJob, Option<PathBuf>, std::time::Duration);

/// The dialogs in flight and their answers.
#[derive(Resource)]
pub struct FileDialogs {
    tx: Sender<Answer>,
    rx: Mutex<Receiver<Answer>>,
    pub busy: bool,
}

impl Default for FileDialogs {
    fn default() -> Self {
        let (tx, rx) = channel();
        FileDialogs { tx, rx: Mutex::new(rx), busy: false }
    }
}

impl FileDialogs {
    /// Opens the native dialog for `job` on a thread.
    pub fn request(&mut self, job: FileJob) {
        if self.busy {
            return;
        }
        self.busy = true;
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            let opened = std::time::Instant::now();
            let d = rfd::FileDialog::new();
            let path = match job {
                FileJob::OpenSwc => {
                    d.add_filter("SWC morphology", &["swc", "SWC"]).set_title("Open a morphology").pick_file()
                }
                FileJob::OpenSetup => {
                    d.add_filter("Dendra setup", &["json"]).set_title("Open a setup").pick_file()
                }
                FileJob::SaveSetup => d
                    .add_filter("Dendra setup", &["json"])
                    .set_file_name("setup.json")
                    .set_title("Save the setup")
                    .save_file(),
                FileJob::ExportCsv => d
                    .add_filter("CSV", &["csv"])
                    .set_file_name("traces.csv")
                    .set_title("Export the traces")
                    .save_file(),
                FileJob::SavePng => d
                    .add_filter("PNG", &["png"])
                    .set_file_name("dendra.png")
                    .set_title("Save the view")
                    .save_file(),
            };
            let _ = tx.send((job, path, opened.elapsed()));
        });
    }
}

/// Replaces the lab by one on the SWC file at `path`; on failure the current cell stays.
pub fn open_swc(path: &Path, lab: &mut LabRes, ui: &mut UiState) {
    match Morphology::from_swc_file(path).map_err(|e| e.to_string()).and_then(|m| {
        let warnings = m.warnings.clone();
        Lab::new(m, &path.display().to_string()).map(|l| (l, warnings))
    }) {
        Ok((new, warnings)) => {
            let speed = lab.0.speed;
            lab.0 = new;
            lab.0.speed = speed;
            ui.generation += 1;
            let n = lab.0.sim.cell.compartment_count();
            if warnings.is_empty() {
                ui.say(format!("opened {} ({n} compartments)", path.display()));
            } else {
                ui.say(format!("opened {} ({n} compartments); {}", path.display(), warnings.join("; ")));
            }
        }
        Err(e) => ui.fail(format!("could not open: {e}")),
    }
}

/// Replaces the lab by a saved setup.
pub fn open_setup(path: &Path, lab: &mut LabRes, ui: &mut UiState) {
    let base = path.parent().unwrap_or(Path::new("."));
    match read_setup(path).and_then(|s| Lab::from_setup(&s, base).map(|l| (l, s))) {
        Ok((new, setup)) => {
            lab.0 = new;
            ui.generation += 1;
            if let Some(c) = setup.colour {
                ui.quantity = c.quantity;
                ui.range = (c.min, c.max);
                ui.colormap = (c.map as usize).min(super::colour::MAPS.len() - 1);
            }
            ui.pending_camera = setup.camera.map(|c| OrbitCamera {
                target: Vec3::from_array(c.target),
                yaw: c.yaw,
                pitch: c.pitch,
                distance: c.distance.clamp(1.0, 1e5),
            });
            ui.say(format!("opened setup {}", path.display()));
        }
        Err(e) => ui.fail(e),
    }
}

fn camera_setup(cams: &Query<&mut OrbitCamera>) -> Option<CameraSetup> {
    cams.iter().next().map(|c| CameraSetup {
        target: c.target.to_array(),
        yaw: c.yaw,
        pitch: c.pitch,
        distance: c.distance,
    })
}

fn answers(
    mut commands: Commands,
    mut dialogs: ResMut<FileDialogs>,
    mut lab: ResMut<LabRes>,
    mut ui: ResMut<UiState>,
    cams: Query<&mut OrbitCamera>,
) {
    let got = dialogs.rx.lock().ok().and_then(|rx| rx.try_recv().ok());
    let Some((job, path, open_for)) = got else { return };
    dialogs.busy = false;
    let Some(path) = path else {
        if open_for < std::time::Duration::from_millis(300) {
            // No dialog could be shown (rfd needs xdg-desktop-portal or zenity).
            ui.fail("no file dialog is available on this desktop; drop the file on the window instead");
        } else {
            ui.say("cancelled");
        }
        return;
    };
    match job {
        FileJob::OpenSwc => open_swc(&path, &mut lab, &mut ui),
        FileJob::OpenSetup => open_setup(&path, &mut lab, &mut ui),
        FileJob::SaveSetup => {
            let colour = ColourSetup {
                quantity: ui.quantity,
                min: ui.range.0,
                max: ui.range.1,
                map: ui.colormap as u32,
            };
            let setup = lab.0.to_setup(camera_setup(&cams), Some(colour));
            match write_setup(&path, &setup) {
                Ok(()) => ui.say(format!("saved {}", path.display())),
                Err(e) => ui.fail(e),
            }
        }
        FileJob::ExportCsv => match std::fs::write(&path, lab.0.traces_csv()) {
            Ok(()) => ui.say(format!("exported traces to {}", path.display())),
            Err(e) => ui.fail(format!("{}: cannot write: {e}", path.display())),
        },
        FileJob::SavePng => {
            commands.spawn(Screenshot::primary_window()).observe(save_to_disk(path.clone()));
            ui.say(format!("saving the view to {}", path.display()));
        }
    }
}

fn dropped(mut drops: MessageReader<FileDragAndDrop>, mut lab: ResMut<LabRes>, mut ui: ResMut<UiState>) {
    for d in drops.read() {
        if let FileDragAndDrop::DroppedFile { path_buf, .. } = d {
            let is_json = path_buf.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
            if is_json {
                open_setup(path_buf, &mut lab, &mut ui);
            } else {
                open_swc(path_buf, &mut lab, &mut ui);
            }
        }
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<FileDialogs>();
    app.add_systems(Update, (answers, dropped));
}

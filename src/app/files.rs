//! Files: open an SWC (native dialog, or drop it on the window), save and reopen the
//! whole setup as JSON, export the traces as CSV and the view as PNG. Dialogs run on
//! their own thread so the window never blocks; a bad file shows its error in the panel
//! and the current cell stays.

use super::camera::OrbitCamera;
use super::error::AppError;
use super::job::{Job, Poll};
use super::loading::{LoadJob, Loader};
use super::state::{LabRes, UiState};
use crate::lab::setup::{CameraSetup, ColourSetup, write_setup};
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::window::FileDragAndDrop;
use std::path::{Path, PathBuf};

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

/// The dialog in flight (one at a time), its answer picked up by [`answers`].
#[derive(Resource, Default)]
pub struct FileDialogs {
    job: Option<Job<Answer>>,
    pub busy: bool,
    /// Why the last dialog could not be opened, to be said.
    failed: Option<String>,
}

impl FileDialogs {
    /// Opens the native dialog for `job` on a thread.
    pub fn request(&mut self, job: FileJob) {
        if self.busy {
            return;
        }
        let service = dialog_service();
        let spawned = Job::answer("dendra-dialog", move || {
            if !service {
                // No portal (no session bus) and no zenity: answer at once, as "no dialog".
                return (job, None, std::time::Duration::ZERO);
            }
            let opened = std::time::Instant::now();
            let d = rfd::FileDialog::new();
            let path = match job {
                FileJob::OpenSwc => d
                    .add_filter("Morphology (SWC, Neurolucida ASC)", &["swc", "SWC", "asc", "ASC"])
                    .set_title("Open a morphology")
                    .pick_file(),
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
            (job, path, opened.elapsed())
        });
        match spawned {
            Ok(j) => {
                self.job = Some(j);
                self.busy = true;
            }
            Err(e) => self.failed = Some(format!("could not open a file dialog: {e}")),
        }
    }
}

/// Replaces the lab by one on the morphology at `path` (a file or a gallery name) at once,
/// on this thread; on failure the current cell stays. The window opens files with the
/// [`Loader`] instead, off the UI thread.
pub fn open_swc(path: &Path, lab: &mut LabRes, ui: &mut UiState) {
    super::loading::open_now(LoadJob::Morphology(path.to_path_buf()), lab, ui);
}

/// Whether a file dialog can be shown: rfd asks xdg-desktop-portal over the session bus,
/// or zenity.
fn dialog_service() -> bool {
    let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty());
    let zenity = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("zenity").is_file()));
    bus || zenity
}

/// The folder files are saved in when no dialog can ask: `$DENDRA_SAVE_DIR`, else
/// `~/Dendra` (created on first use).
pub fn save_dir() -> Result<PathBuf, AppError> {
    let dir = match std::env::var_os("DENDRA_SAVE_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => match std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE")) {
            Some(h) if !h.is_empty() => PathBuf::from(h).join("Dendra"),
            _ => std::env::temp_dir().join("Dendra"),
        },
    };
    std::fs::create_dir_all(&dir).map_err(|source| AppError::Folder { dir: dir.clone(), source })?;
    Ok(dir)
}

/// A time-stamped file in [`save_dir`] for `job` (UTC: `setup-2026-11-29-153012.json`).
fn fallback_path(job: FileJob) -> Result<PathBuf, AppError> {
    let (stem, ext) = match job {
        FileJob::SaveSetup => ("setup", "json"),
        FileJob::ExportCsv => ("traces", "csv"),
        FileJob::SavePng => ("view", "png"),
        FileJob::OpenSwc | FileJob::OpenSetup => ("file", "txt"),
    };
    stamped_path(stem, ext)
}

/// A new time-stamped file `STEM-DATE-TIME.EXT` in [`save_dir`] (UTC), numbered when one
/// of that second exists.
pub fn stamped_path(stem: &str, ext: &str) -> Result<PathBuf, AppError> {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (hh, mm, ss) = (rem / 3600, rem / 60 % 60, rem % 60);
    let dir = save_dir()?;
    let mut path = dir.join(format!("{stem}-{y:04}-{m:02}-{d:02}-{hh:02}{mm:02}{ss:02}.{ext}"));
    let mut k = 2;
    while path.exists() {
        path = dir.join(format!("{stem}-{y:04}-{m:02}-{d:02}-{hh:02}{mm:02}{ss:02}-{k}.{ext}"));
        k += 1;
    }
    Ok(path)
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
    lab: Res<LabRes>,
    mut ui: ResMut<UiState>,
    mut loader: ResMut<Loader>,
    cams: Query<&mut OrbitCamera>,
) {
    if let Some(e) = dialogs.failed.take() {
        ui.fail(e);
    }
    let Some(pending) = &dialogs.job else { return };
    let (job, path, open_for) = match pending.poll() {
        Poll::Waiting => return,
        Poll::Got(answer) => answer,
        Poll::Gone => {
            dialogs.job = None;
            dialogs.busy = false;
            ui.fail("the file dialog stopped unexpectedly");
            return;
        }
    };
    dialogs.job = None;
    dialogs.busy = false;
    let path = match path {
        Some(p) => p,
        // No dialog could be shown (rfd needs xdg-desktop-portal or zenity): what is saved
        // goes to the documented folder under a time-stamped name.
        None if open_for < std::time::Duration::from_millis(300) => match job {
            FileJob::OpenSwc | FileJob::OpenSetup => {
                ui.fail("no file dialog is available on this desktop; drop the file on the window instead");
                return;
            }
            _ => match fallback_path(job) {
                Ok(p) => p,
                Err(e) => {
                    ui.fail(e);
                    return;
                }
            },
        },
        None => {
            ui.say("cancelled");
            return;
        }
    };
    match job {
        FileJob::OpenSwc => loader.start(LoadJob::Morphology(path), &mut ui),
        FileJob::OpenSetup => loader.start(LoadJob::Setup(path), &mut ui),
        FileJob::SaveSetup => {
            let colour = ColourSetup {
                quantity: ui.quantity,
                min: ui.range.0,
                max: ui.range.1,
                map: ui.colormap as u32,
            };
            let mut setup = lab.0.to_setup(camera_setup(&cams), Some(colour));
            let head = &ui.playhead;
            setup.replay = Some(crate::lab::setup::ReplaySetup {
                rate: head.rate,
                marks: head.marks,
                slow_motion: head.slow_motion,
            });
            match write_setup(&path, &setup) {
                Ok(None) => ui.say(format!("saved {}", path.display())),
                Ok(Some(note)) => ui.say(format!("saved {}; {note}", path.display())),
                Err(e) => ui.fail(e),
            }
        }
        FileJob::ExportCsv => match crate::sim::savefile::save(&path, lab.0.traces_csv().as_bytes()) {
            Ok(()) => ui.say(format!("exported traces to {}", path.display())),
            Err(e) => ui.fail(format!("{}: cannot write: {e}", path.display())),
        },
        FileJob::SavePng => {
            // Said once saved (or not): a message now would be in the picture half-drawn.
            commands.spawn(Screenshot::primary_window()).observe(
                move |captured: On<ScreenshotCaptured>, mut ui: ResMut<UiState>| {
                    match super::screenshot::write_png(&captured.image, &path) {
                        Ok(()) => ui.say(format!("saved the view to {}", path.display())),
                        Err(e) => ui.fail(e),
                    }
                },
            );
        }
    }
}

fn dropped(mut drops: MessageReader<FileDragAndDrop>, mut loader: ResMut<Loader>, mut ui: ResMut<UiState>) {
    for d in drops.read() {
        if let FileDragAndDrop::DroppedFile { path_buf, .. } = d {
            let is_json = path_buf.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
            let job = if is_json {
                LoadJob::Setup(path_buf.clone())
            } else {
                LoadJob::Morphology(path_buf.clone())
            };
            loader.start(job, &mut ui);
        }
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<FileDialogs>();
    app.add_systems(Update, (answers, dropped));
}

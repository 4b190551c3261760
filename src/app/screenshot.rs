//! `--screenshot PNG --frames N`: run N frames with the simulation going and a cluster of
//! synapses fired (so the tree is not one colour), save the window, panel included, to
//! PNG, and exit with status 0 once the file is written. With `--trial WORDS` (repeated)
//! the trials run first, one after the other, as the Trial button runs them; with
//! `--layout FILE` a JSON report says where the window drew the traces and the tree.

use super::error::AppError;
use super::state::{LabRes, UiState};
use crate::lab::{FirePattern, SynapseKind};
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use std::path::{Path, PathBuf};

/// Writes a captured window to `path` as an 8-bit RGB PNG, whole or not at all
/// ([`crate::sim::savefile`]): a failure is returned, never only logged.
pub fn write_png(image: &Image, path: &Path) -> Result<(), AppError> {
    let fail = |e: Box<dyn std::error::Error + Send + Sync>| AppError::Picture {
        path: path.to_path_buf(),
        source: e,
    };
    // The alpha channel holds brightness with HDR: dropped, as Bevy's own saver does.
    let rgb = image.clone().try_into_dynamic().map_err(|e| fail(e.into()))?.to_rgb8();
    let (w, h) = (rgb.width(), rgb.height());
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| fail(e.into()))?;
        writer.write_image_data(rgb.as_raw()).map_err(|e| fail(e.into()))?;
        writer.finish().map_err(|e| fail(e.into()))?;
    }
    crate::sim::savefile::save(path, &bytes).map_err(|e| fail(e.into()))
}

/// The command line's request.
#[derive(Resource, Debug, Clone)]
pub struct ScreenshotRequest {
    pub path: PathBuf,
    pub frames: u32,
    /// Also save the setup here when the picture is taken.
    pub save_setup: Option<PathBuf>,
    /// Trials to run before the picture (condition words each).
    pub trials: Vec<String>,
    /// Write the layout report here.
    pub layout: Option<PathBuf>,
    /// Take the picture at the lesson's key moment (its first declared moment).
    pub moment: bool,
}

#[derive(Resource, Default)]
struct Progress {
    frame: u32,
    requested: bool,
    /// Trials started so far.
    trials_started: usize,
    /// The frame the last trial ended on.
    trials_done_at: Option<u32>,
    /// The frame since which the lesson's key moment is shown (`--moment`).
    moment_since: Option<u32>,
}

/// Places a cluster of AMPA+NMDA synapses on the most distal thin dendrite and fires
/// them in a burst: the demonstration the screenshot shows.
pub fn demo_cluster(lab: &mut crate::lab::Lab, ui: &mut UiState) {
    let morph = &lab.sim.cell.morphology;
    let Some(sec) = (0..morph.sections.len())
        .filter(|&s| morph.sections[s].region.is_dendrite())
        .max_by(|&a, &b| morph.path_distance(0.5, a, 1.0).total_cmp(&morph.path_distance(0.5, b, 1.0)))
    else {
        return;
    };
    let mut placed = 0;
    for k in 0..12 {
        let x = 0.55 + 0.03 * k as f64;
        match lab.add_synapse(sec, x.min(1.0), SynapseKind::AmpaNmda, 2.0) {
            Ok(i) => {
                lab.synapses[i].selected = true;
                placed += 1;
            }
            Err(e) => {
                ui.fail(format!("Demo: a synapse could not be placed: {e}"));
                return;
            }
        }
    }
    lab.fire(FirePattern::Burst { n: 3, hz: 100.0 });
    match lab.add_probe(sec, 0.7) {
        Ok(_) => ui.say(format!("Demo: {placed} AMPA+NMDA synapses fired on a distal branch")),
        Err(e) => ui.fail(format!("Demo: the cluster fired, but no probe there: {e}")),
    }
}

fn drive(
    mut commands: Commands,
    req: Res<ScreenshotRequest>,
    mut progress: ResMut<Progress>,
    mut lab: ResMut<LabRes>,
    mut ui: ResMut<UiState>,
    lessons: Res<super::lessons::Lessons>,
) {
    progress.frame = progress.frame.saturating_add(1);
    let lesson = lessons.open.is_some() || lessons.autorun.is_some();
    // A lesson's picture waits for its result (not its key moment's: the first condition
    // plays while the claims are checked).
    if !req.moment
        && lessons.open.as_ref().is_some_and(|o| o.report.is_none())
        && progress.frame <= req.frames.saturating_add(500)
    {
        return;
    }
    let trials = !req.trials.is_empty();
    if progress.frame == 2 && lab.0.synapses.is_empty() && !lesson {
        // Nothing placed yet (a fresh cell rather than a saved setup): show something.
        lab.0.speed = 25.0;
        demo_cluster(&mut lab.0, &mut ui);
        if trials {
            // The trials fire the cluster.
            lab.0.reset();
        }
    }
    if trials && progress.frame >= 3 && progress.trials_done_at.is_none() && lab.0.trial.is_none() {
        if progress.trials_started < req.trials.len() {
            let words = &req.trials[progress.trials_started];
            let mut plan = ui.trial_plan();
            if let Err(e) = lab.0.apply_trial_words(words, &mut plan) {
                error!("--trial {words:?}: {e}");
                commands.write_message(AppExit::error());
                return;
            }
            lab.0.speed = crate::lab::session::MAX_SPEED;
            let msg = lab.0.start_trial(plan);
            info!("{msg}");
            ui.say(msg);
            progress.trials_started += 1;
        } else {
            progress.trials_done_at = Some(progress.frame);
        }
    }
    // The lesson's key moment: when the slow-motion replay (or, without it, the live run)
    // reaches it, the playhead stops there and the picture is that moment.
    // The lesson's key moment: once the condition it is in has run past it, the playhead
    // shows it from the recording (the lab pausing, as any recorded moment does) and the
    // picture is that moment, whatever slow motion was showing.
    let at_moment = req.moment
        && match (lessons.key_moment(), lab.0.recording().and_then(|r| r.span())) {
            // (A recording that began just after the moment shows its first frame.)
            (Some(t), Some((_, last))) if ui.playhead.trial.is_none() && t <= last => {
                if ui.playhead.at.is_none() || ui.playhead.playing {
                    let rec = lab.0.recording().expect("a span is of a recording");
                    ui.playhead.scrub(rec, t);
                    ui.playhead.slow_motion = false;
                    lab.0.paused = true;
                }
                true
            }
            _ => false,
        };
    if req.moment && (progress.frame.is_multiple_of(300) || std::env::var_os("DENDRA_TRACE_MOMENT").is_some())
    {
        info!(
            "waiting for the lesson's key moment: at {:?} ms ({}); shown {:?}, live t = {:.2} ms, slow motion {}, moments {:?}, paused {}, recorded {:?}",
            lessons.key_moment(),
            lessons.playing_words(),
            ui.playhead.at,
            lab.0.t(),
            ui.playhead.slow_motion,
            ui.playhead.moments,
            lab.0.paused,
            lab.0.recording().and_then(|r| r.span())
        );
    }
    let ready = match (trials, progress.trials_done_at) {
        // (Two frames after the moment is shown, so that the tree drawn is of it.)
        _ if req.moment => {
            if !at_moment {
                progress.moment_since = None;
            } else if progress.moment_since.is_none() {
                progress.moment_since = Some(progress.frame);
            }
            progress.moment_since.is_some_and(|f| progress.frame >= f + 2)
                && progress.frame >= req.frames.min(3)
        }
        (false, _) => progress.frame >= req.frames,
        (true, Some(done)) => progress.frame >= done.saturating_add(req.frames.min(30)),
        (true, None) => false,
    };
    if ready && !progress.requested {
        progress.requested = true;
        commands.spawn(Screenshot::primary_window()).observe(
            |captured: On<ScreenshotCaptured>,
             req: Res<ScreenshotRequest>,
             lab: Res<LabRes>,
             lessons: Res<super::lessons::Lessons>,
             clock: Res<super::simulation::SimClock>,
             cams: Query<&super::camera::OrbitCamera>,
             views: Query<(&Camera, &GlobalTransform), With<super::camera::OrbitCamera>>,
             windows: Query<&Window, With<bevy::window::PrimaryWindow>>,
             layout: Res<super::camera::PanelLayout>,
             tree: Res<super::scene::TreeView>,
             mut exit: MessageWriter<AppExit>| {
                if let Err(e) = write_png(&captured.image, &req.path) {
                    error!("{e}");
                    exit.write(AppExit::error());
                    return;
                }
                // The reached speed, for the record (issue: the lab's speed on Hay's cell).
                info!(
                    "reached {:.1} simulated ms per second (asked {:.1}) on {} compartments; a frame waited \
                     at most {:.2} ms for the simulation thread",
                    clock.achieved,
                    lab.0.speed,
                    lab.0.sim.cell.compartment_count(),
                    clock.max_wait_ms
                );
                if let Some(p) = &req.layout {
                    let report =
                        layout_report(&lab.0, &tree, &layout, views.iter().next(), windows.single().ok());
                    if let Err(e) = crate::sim::savefile::save(p, report.to_string().as_bytes()) {
                        error!("{}: cannot write: {e}", p.display());
                        exit.write(AppExit::error());
                        return;
                    }
                }
                if let Some(p) = &req.save_setup {
                    let camera = cams.iter().next().map(|c| crate::lab::setup::CameraSetup {
                        target: c.target.to_array(),
                        yaw: c.yaw,
                        pitch: c.pitch,
                        distance: c.distance,
                    });
                    let mut setup = lab.0.to_setup(camera, None);
                    setup.lesson = lessons.open.as_ref().and_then(|o| o.report.as_ref()).map(|r| r.to_json());
                    if let Err(e) = crate::lab::setup::write_setup(p, &setup) {
                        error!("{e}");
                        exit.write(AppExit::error());
                        return;
                    }
                }
                exit.write(AppExit::Success);
            },
        );
    }
    // A screenshot that never arrives must not hang a test or a script.
    // (A lesson's key moment waits for the check and the conditions before it: long.)
    let give_up = req
        .frames
        .saturating_add(if req.moment { 60_000 } else { 600 })
        .saturating_add((req.trials.len() as u32).saturating_mul(3000));
    if progress.frame > give_up {
        error!("the screenshot was not captured after 600 more frames");
        commands.write_message(AppExit::error());
    }
}

/// Where the window drew things, in logical pixels: the window, the 3-D viewport, the
/// trace plots and the tree's bounding box on screen (every section's points projected).
fn layout_report(
    lab: &crate::lab::Lab,
    tree: &super::scene::TreeView,
    layout: &super::camera::PanelLayout,
    view: Option<(&Camera, &GlobalTransform)>,
    window: Option<&Window>,
) -> serde_json::Value {
    let rect = |r: [f32; 4]| serde_json::json!({"left": r[0], "top": r[1], "right": r[2], "bottom": r[3]});
    let (w, h, s) = window.map_or((0.0, 0.0, 1.0), |w| (w.width(), w.height(), w.scale_factor()));
    let mut out = serde_json::json!({
        "window": {"width": w, "height": h, "scale_factor": s},
        "panel_left": layout.left,
        "strip_bottom": layout.bottom,
    });
    if let Some(t) = layout.traces {
        out["traces"] = rect([t.left(), t.top(), t.right(), t.bottom()]);
    }
    if let Some((small, body)) = layout.text_px {
        out["text_px"] = serde_json::json!({"smallest": small, "body": body});
    }
    if let Some((cam, gt)) = view {
        let (pos, size) = cam
            .viewport
            .as_ref()
            .map(|v| (v.physical_position.as_vec2() / s, v.physical_size.as_vec2() / s))
            .unwrap_or((Vec2::ZERO, Vec2::new(w, h)));
        out["viewport"] = rect([pos.x, pos.y, pos.x + size.x, pos.y + size.y]);
        let mut bb = [f32::INFINITY, f32::INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY];
        for sec in &lab.sim.cell.morphology.sections {
            for p in &sec.points {
                let Some(ndc) = cam.world_to_ndc(gt, tree.to_world(*p)) else { continue };
                let x = pos.x + (ndc.x + 1.0) * 0.5 * size.x;
                let y = pos.y + (1.0 - ndc.y) * 0.5 * size.y;
                bb = [bb[0].min(x), bb[1].min(y), bb[2].max(x), bb[3].max(y)];
            }
        }
        if bb[0].is_finite() {
            out["tree"] = rect(bb);
        }
    }
    out
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Progress>();
    app.add_systems(Update, drive.run_if(resource_exists::<ScreenshotRequest>));
}

//! `--screenshot PNG --frames N`: run N frames with the simulation going and a cluster of
//! synapses fired (so the tree is not one colour), save the window, panel included, to
//! PNG, and exit with status 0 once the file is written.

use super::state::{LabRes, UiState};
use crate::lab::{FirePattern, SynapseKind};
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured, save_to_disk};
use std::path::PathBuf;

/// The command line's request.
#[derive(Resource, Debug, Clone)]
pub struct ScreenshotRequest {
    pub path: PathBuf,
    pub frames: u32,
    /// Also save the setup here when the picture is taken.
    pub save_setup: Option<PathBuf>,
}

#[derive(Resource, Default)]
struct Progress {
    frame: u32,
    requested: bool,
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
    for k in 0..12 {
        let x = 0.55 + 0.03 * k as f64;
        if let Ok(i) = lab.add_synapse(sec, x.min(1.0), SynapseKind::AmpaNmda, 2.0) {
            lab.synapses[i].selected = true;
        }
    }
    let _ = lab.add_probe(sec, 0.7);
    lab.fire(FirePattern::Burst { n: 3, hz: 100.0 });
    ui.say("Demo: 12 AMPA+NMDA synapses fired on a distal branch");
}

fn drive(
    mut commands: Commands,
    req: Res<ScreenshotRequest>,
    mut progress: ResMut<Progress>,
    mut lab: ResMut<LabRes>,
    mut ui: ResMut<UiState>,
    lessons: Res<super::lessons::Lessons>,
) {
    progress.frame += 1;
    let lesson = lessons.open.is_some() || lessons.autorun.is_some();
    // A lesson's picture waits for its result.
    if lessons.open.as_ref().is_some_and(|o| o.report.is_none()) && progress.frame <= req.frames + 500 {
        return;
    }
    if progress.frame == 2 && lab.0.synapses.is_empty() && !lesson {
        // Nothing placed yet (a fresh cell rather than a saved setup): show something.
        lab.0.speed = 25.0;
        demo_cluster(&mut lab.0, &mut ui);
    }
    if progress.frame >= req.frames && !progress.requested {
        progress.requested = true;
        let path = req.path.clone();
        commands.spawn(Screenshot::primary_window()).observe(save_to_disk(path)).observe(
            |_: On<ScreenshotCaptured>,
             req: Res<ScreenshotRequest>,
             lab: Res<LabRes>,
             lessons: Res<super::lessons::Lessons>,
             clock: Res<super::simulation::SimClock>,
             cams: Query<&super::camera::OrbitCamera>,
             mut exit: MessageWriter<AppExit>| {
                // The reached speed, for the record (issue: the lab's speed on Hay's cell).
                info!(
                    "reached {:.1} simulated ms per second (asked {:.1}) on {} compartments",
                    clock.achieved,
                    lab.0.speed,
                    lab.0.sim.cell.compartment_count()
                );
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
    if progress.frame > req.frames + 600 {
        error!("the screenshot was not captured after 600 more frames");
        commands.write_message(AppExit::error());
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Progress>();
    app.add_systems(Update, drive.run_if(resource_exists::<ScreenshotRequest>));
}

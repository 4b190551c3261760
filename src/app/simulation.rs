//! The simulation's clock: the engine takes fixed steps of dt, as many as the set speed
//! (simulated ms per wall second) asks for, decoupled from the frame rate; each frame's
//! work is capped so a frame never waits on a long chunk.

use super::state::{LabRes, UiState};
use bevy::prelude::*;
use std::time::{Duration, Instant};

/// How fast the simulation runs and how fast it actually went.
#[derive(Resource, Debug, Clone)]
pub struct SimClock {
    /// Simulated ms owed to the set speed but not yet stepped.
    pub carry_ms: f64,
    /// Simulated ms per wall second actually reached (smoothed).
    pub achieved: f64,
    /// Most wall time spent stepping in one frame.
    pub budget: Duration,
    /// Take one step on the next frame even while paused.
    pub step_once: bool,
}

impl Default for SimClock {
    fn default() -> Self {
        SimClock { carry_ms: 0.0, achieved: 0.0, budget: Duration::from_millis(12), step_once: false }
    }
}

/// Steps the lab for this frame.
pub fn advance(
    time: Res<Time>,
    mut lab: ResMut<LabRes>,
    mut clock: ResMut<SimClock>,
    mut ui: ResMut<UiState>,
) {
    let lab = &mut lab.0;
    let wall = time.delta_secs_f64().min(0.25);
    if lab.paused {
        if clock.step_once {
            lab.advance(1);
            clock.step_once = false;
        }
        clock.carry_ms = 0.0;
        clock.achieved = 0.0;
        return;
    }
    let dt = lab.sim.config.dt;
    clock.carry_ms += lab.speed.max(0.0) * wall;
    let want = (clock.carry_ms / dt).floor().max(0.0) as u64;
    let start = Instant::now();
    let mut done = 0;
    while done < want && start.elapsed() < clock.budget {
        let k = (want - done).min(40);
        if !lab.advance(k) {
            ui.fail(
                "the voltages stopped being finite numbers, so the run is paused; Reset (R) starts again",
            );
            break;
        }
        done += k;
        // The same check as the command line's: a voltage out of the sane range pauses
        // the run and says where, when and why.
        if let Some((node, v)) = lab.sim.insane_node() {
            lab.paused = true;
            ui.fail(format!(
                "{}; the run is paused, Reset (R) starts again",
                lab.sim.insane_message(node, v)
            ));
            break;
        }
    }
    // A trial that ended (it paused the lab), or the cell firing by itself.
    if let Some((msg, warning)) = lab.take_notice() {
        if warning { ui.fail(msg) } else { ui.say(msg) }
    }
    clock.carry_ms -= done as f64 * dt;
    if done < want {
        // Cannot keep up: drop the backlog rather than let it grow.
        clock.carry_ms = 0.0;
    }
    if wall > 0.0 {
        let rate = done as f64 * dt / wall;
        clock.achieved = 0.9 * clock.achieved + 0.1 * rate;
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<SimClock>();
    app.add_systems(Update, advance);
}

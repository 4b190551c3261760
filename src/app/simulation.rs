//! The simulation's clock: the engine takes fixed steps of dt, as many as the set speed
//! (simulated ms per wall second) asks for, decoupled from the frame rate.
//!
//! In the window the steps run on a thread of their own: at the end of each frame (in
//! `Last`, after the panel and the scene have read and changed the lab) the lab goes to
//! the simulation thread, which steps it while the frame is rendered; at the start of
//! the next frame (`First`) it comes back, the thread stopping within one step. Every
//! system of a frame so sees one consistent lab and never waits on a long chunk of work;
//! the longest wait is measured ([`SimClock::max_wait_ms`]). Without a window (the tests'
//! `headless_plugin`) the same clock steps the lab in `Update`, within a time budget.

use super::state::{LabRes, UiState};
use crate::lab::Lab;
use bevy::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How fast the simulation runs and how fast it actually went.
#[derive(Resource, Debug, Clone)]
pub struct SimClock {
    /// Simulated ms owed to the set speed but not yet stepped.
    pub carry_ms: f64,
    /// Simulated ms per wall second actually reached (smoothed).
    pub achieved: f64,
    /// Most wall time spent stepping in one frame (the headless clock's budget).
    pub budget: Duration,
    /// Take one step on the next frame even while paused.
    pub step_once: bool,
    /// The longest a frame waited for the simulation thread to hand the lab back (ms),
    /// and the latest wait.
    pub max_wait_ms: f64,
    pub last_wait_ms: f64,
}

impl Default for SimClock {
    fn default() -> Self {
        SimClock {
            carry_ms: 0.0,
            achieved: 0.0,
            budget: Duration::from_millis(12),
            step_once: false,
            max_wait_ms: 0.0,
            last_wait_ms: 0.0,
        }
    }
}

/// Why the window's stepping stopped (the status line says it).
#[derive(Debug, thiserror::Error)]
enum StepError {
    /// The engine's voltages left the sane range or stopped being numbers.
    #[error("{0}; the run is paused, Reset (R) starts again")]
    Sim(crate::sim::engine::SimError),
    /// A step panicked on the simulation thread: a bug.
    #[error(
        "a simulation step failed (a bug: please report it); the run is paused, and the setup can still be saved"
    )]
    Panicked,
}

/// Steps `k` times; a voltage that is not a number, or out of the sane range (the same
/// check as the command line's: where, when and why), pauses the run.
fn step_checked(lab: &mut Lab, k: u64) -> Result<(), StepError> {
    step_plain(lab, k)?;
    if let Some((node, v)) = lab.sim.insane_node() {
        lab.paused = true;
        return Err(StepError::Sim(lab.sim.insane(node, v)));
    }
    Ok(())
}

/// Settles the clock after `done` of `want` steps over `wall` seconds.
fn account(clock: &mut SimClock, lab: &Lab, want: u64, done: u64, wall: f64) {
    let dt = lab.sim.config.dt;
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

/// The steps this frame owes the set speed (0 while paused, or 1 for a single step).
fn steps_owed(lab: &mut Lab, clock: &mut SimClock, wall: f64) -> u64 {
    if lab.paused {
        if clock.step_once {
            lab.advance(1);
            clock.step_once = false;
        }
        clock.carry_ms = 0.0;
        clock.achieved = 0.0;
        return 0;
    }
    clock.carry_ms += lab.speed.max(0.0) * wall;
    (clock.carry_ms / lab.sim.config.dt).floor().max(0.0) as u64
}

/// Tells the status line what the lab has to say (a trial kept, the cell firing alone).
fn relay_notice(lab: &mut Lab, ui: &mut UiState) {
    if let Some((msg, warning)) = lab.take_notice() {
        if warning { ui.fail(msg) } else { ui.say(msg) }
    }
}

/// Steps the lab for this frame on this thread, within the clock's budget (headless).
pub fn advance(
    time: Res<Time>,
    mut lab: ResMut<LabRes>,
    mut clock: ResMut<SimClock>,
    mut ui: ResMut<UiState>,
) {
    let lab = &mut lab.0;
    let wall = time.delta_secs_f64().min(0.25);
    let want = steps_owed(lab, &mut clock, wall);
    if want == 0 {
        relay_notice(lab, &mut ui);
        return;
    }
    let start = Instant::now();
    let mut done = 0;
    while done < want && start.elapsed() < clock.budget && !lab.paused {
        let k = (want - done).min(40);
        let result = step_checked(lab, k);
        done += k;
        if let Err(e) = result {
            ui.fail(e);
            break;
        }
    }
    relay_notice(lab, &mut ui);
    account(&mut clock, lab, want, done, wall);
}

/// Work for the simulation thread: the lab and how many steps it owes.
struct Job {
    lab: Lab,
    want: u64,
}

/// The lab back from the simulation thread, with what it did.
struct Back {
    lab: Lab,
    done: u64,
    error: Option<StepError>,
}

/// The simulation thread and the lab while it is away.
#[derive(Resource)]
pub struct SimThread {
    to: Sender<Job>,
    from: Mutex<Receiver<Back>>,
    stop: Arc<AtomicBool>,
    /// Stands in for the lab while the thread has it (never seen by a system).
    spare: Option<Lab>,
    /// Steps owed when the lab left, and the frame's wall time.
    away: Option<(u64, f64)>,
}

impl SimThread {
    fn spawn(spare: Lab) -> std::io::Result<SimThread> {
        let (to, jobs) = channel::<Job>();
        let (back, from) = channel::<Back>();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new().name("dendra-simulation".into()).spawn(move || {
            for Job { mut lab, want } in jobs {
                let mut done = 0;
                let mut error = None;
                // A panic in a step must not keep the user's lab (what they placed, their
                // trials) on this thread: it goes back, paused, with the message.
                let stepped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    // Small chunks: the window takes the lab back within one of them.
                    while done < want && !flag.load(Ordering::Acquire) && !lab.paused {
                        let k = (want - done).min(2);
                        let checked =
                            if done % 40 < k { step_checked(&mut lab, k) } else { step_plain(&mut lab, k) };
                        done += k;
                        if let Err(e) = checked {
                            error = Some(e);
                            break;
                        }
                    }
                }));
                if stepped.is_err() {
                    error = Some(StepError::Panicked);
                }
                if back.send(Back { lab, done, error }).is_err() {
                    return; // the window has closed
                }
            }
        })?;
        Ok(SimThread { to, from: Mutex::new(from), stop, spare: Some(spare), away: None })
    }
}

/// Steps without the O(n) sanity scan (done every 40 steps).
fn step_plain(lab: &mut Lab, k: u64) -> Result<(), StepError> {
    if lab.advance(k) {
        Ok(())
    } else {
        Err(StepError::Sim(crate::sim::engine::SimError::NotFinite { what: "the voltages" }))
    }
}

/// `Last`: the lab goes to the simulation thread with the steps it owes.
fn send_out(
    time: Res<Time>,
    mut lab: ResMut<LabRes>,
    mut clock: ResMut<SimClock>,
    mut ui: ResMut<UiState>,
    mut thread: ResMut<SimThread>,
) {
    let wall = time.delta_secs_f64().min(0.25);
    let want = steps_owed(&mut lab.0, &mut clock, wall);
    relay_notice(&mut lab.0, &mut ui);
    if want == 0 || thread.away.is_some() {
        return;
    }
    let Some(spare) = thread.spare.take() else { return };
    let out = std::mem::replace(&mut lab.0, spare);
    thread.stop.store(false, Ordering::Release);
    match thread.to.send(Job { lab: out, want }) {
        Ok(()) => thread.away = Some((want, wall)),
        Err(e) => {
            // The thread is gone: keep stepping here instead.
            let Job { lab: back, .. } = e.0;
            thread.spare = Some(std::mem::replace(&mut lab.0, back));
            ui.fail("the simulation thread stopped; stepping on the window's thread");
        }
    }
}

/// `First`: the lab comes back (the thread stops within a step).
fn take_back(
    mut lab: ResMut<LabRes>,
    mut clock: ResMut<SimClock>,
    mut ui: ResMut<UiState>,
    mut thread: ResMut<SimThread>,
) {
    let Some((want, wall)) = thread.away.take() else { return };
    thread.stop.store(true, Ordering::Release);
    let start = Instant::now();
    let got = thread.from.lock().ok().and_then(|rx| rx.recv().ok());
    let waited = start.elapsed().as_secs_f64() * 1e3;
    clock.last_wait_ms = waited;
    clock.max_wait_ms = clock.max_wait_ms.max(waited);
    let Some(Back { lab: back, done, error }) = got else {
        ui.fail("the simulation thread stopped with the lab; reopen the cell");
        return;
    };
    thread.spare = Some(std::mem::replace(&mut lab.0, back));
    if let Some(e) = error {
        lab.0.paused = true;
        ui.fail(e);
    }
    relay_notice(&mut lab.0, &mut ui);
    account(&mut clock, &lab.0, want, done, wall);
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<SimClock>();
    app.add_systems(
        Update,
        advance.run_if(not(resource_exists::<SimThread>)).in_set(super::LabSet::Simulate),
    );
}

/// The window's clock: the simulation on its own thread (see the module's comment).
pub(super) fn threaded_plugin(app: &mut App) {
    // Without a thread (none could start), the clock steps the lab in `Update` instead.
    let thread = Lab::builtin("ball_and_stick")
        .map_err(|e| e.to_string())
        .and_then(|spare| SimThread::spawn(spare).map_err(|e| e.to_string()));
    match thread {
        Ok(t) => {
            app.insert_resource(t);
            app.add_systems(First, take_back.run_if(resource_exists::<SimThread>));
            app.add_systems(Last, send_out.run_if(resource_exists::<SimThread>));
        }
        Err(e) => warn!("the simulation steps on the window's thread: {e}"),
    }
}

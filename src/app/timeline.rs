//! The timeline: the lab records the whole cell as it runs, and the window can show any
//! recorded moment again. A time bar under the traces scrubs (the tree and a cursor on
//! the traces follow), replays at 1/1000x to 1x real time, loops between two marks, and
//! slow motion replays each event (a spike, a bAP, an NMDA or Ca2+ spike) at 1 ms/s.
//! The live lab pauses while a recorded moment is shown and goes on from its own present.
//! The logic is the lab's ([`crate::lab::playhead`], [`crate::lab::recording`]); this
//! file holds the keys, the clock and the bar.

use super::state::{LabRes, UiState};
use crate::lab::Lab;
use crate::lab::playhead::{RATES, Tick};
use crate::lab::recording::MAX_RECORDING_BYTES;
use bevy::prelude::*;
use bevy_egui::egui;
use bevy_egui::input::EguiWantsInput;

/// A clip being rendered (its path, and its answer: frames or why not).
type ClipJob = super::job::Job<Result<usize, String>>;

/// Whether the live lab was running when a recorded moment was first shown (it runs
/// again when the present is shown again), and the lab the recording was started for.
#[derive(Resource, Default)]
pub struct Timeline {
    resume: bool,
    /// (source, compartments) of a lab that could not record, so that it is asked once.
    asked: Option<(String, usize)>,
    /// A clip being rendered, and where it goes.
    clip: Option<(std::path::PathBuf, ClipJob)>,
}

/// Applies what a move of the playhead asks of the lab.
fn apply(tick: Tick, lab: &mut Lab, timeline: &mut Timeline) {
    match tick {
        Tick::Stay => {}
        Tick::Hold => {
            timeline.resume = !lab.paused;
            lab.paused = true;
        }
        Tick::Live => {
            if timeline.resume {
                lab.paused = false;
            }
            timeline.resume = false;
        }
    }
}

/// Every lab the window shows records (a new cell, a setup, a lesson's condition); a
/// cell too large to record is said once.
fn keep_recording(mut lab: ResMut<LabRes>, mut timeline: ResMut<Timeline>, mut ui: ResMut<UiState>) {
    if lab.0.recording().is_some() {
        return;
    }
    // A new lab: a recorded moment shown belonged to the old one.
    if ui.playhead.at.is_some() {
        ui.playhead.live();
        timeline.resume = false;
    }
    let who = (lab.0.source.clone(), lab.0.sim.v.len());
    if timeline.asked.as_ref() == Some(&who) {
        return;
    }
    match lab.0.record(true, MAX_RECORDING_BYTES) {
        Ok(_) => timeline.asked = None,
        Err(e) => {
            ui.fail(e);
            timeline.asked = Some(who);
        }
    }
}

/// , and . step; Home and End; K replays; S slow motion.
fn keys(
    keys: Res<ButtonInput<KeyCode>>,
    egui: Option<Res<EguiWantsInput>>,
    mut lab: ResMut<LabRes>,
    mut ui: ResMut<UiState>,
    mut timeline: ResMut<Timeline>,
) {
    if egui.as_ref().is_some_and(|e| e.wants_any_keyboard_input()) || super::keys::ctrl_held(&keys) {
        return;
    }
    let pressed = |k| keys.just_pressed(k);
    let ui = &mut *ui;
    if pressed(KeyCode::KeyS) {
        ui.playhead.slow_motion = !ui.playhead.slow_motion;
        ui.say(if ui.playhead.slow_motion {
            "slow motion: each spike, bAP, NMDA or Ca2+ spike is shown again at 1 ms/s"
        } else {
            "slow motion off"
        });
    }
    let lab = &mut lab.0;
    let head = &mut ui.playhead;
    let Some(rec) = lab.shown_recording(head.trial) else { return };
    let tick = if pressed(KeyCode::Comma) {
        head.step(rec, -1)
    } else if pressed(KeyCode::Period) {
        head.step(rec, 1)
    } else if pressed(KeyCode::Home) {
        head.scrub(rec, f64::NEG_INFINITY)
    } else if pressed(KeyCode::End) {
        head.live()
    } else if pressed(KeyCode::KeyK) {
        if head.playing { head.scrub(rec, head.at.unwrap_or(0.0)) } else { head.play(rec) }
    } else {
        Tick::Stay
    };
    apply(tick, lab, &mut timeline);
}

/// Moves the playhead with the frame's wall time; the live lab resumed by hand (P)
/// shows the present again.
fn tick(time: Res<Time>, mut lab: ResMut<LabRes>, mut ui: ResMut<UiState>, mut timeline: ResMut<Timeline>) {
    let lab = &mut lab.0;
    if ui.playhead.at.is_some() && !lab.paused {
        ui.playhead.live();
        timeline.resume = false;
        return;
    }
    let wall = time.delta_secs_f64().min(0.1);
    let shown = ui.playhead.trial;
    let t = ui.playhead.tick(lab.shown_recording(shown), wall, lab.speed);
    apply(t, lab, &mut timeline);
}

/// The time bar: where the shown moment is in the recording, and the controls to move it.
pub fn time_bar(
    ui: &mut egui::Ui,
    lab: &mut Lab,
    state: &mut UiState,
    timeline: &mut Timeline,
    view: nalgebra::UnitQuaternion<f64>,
) {
    // Which recording: the lab's own, or a kept trial's (a reopened setup's trials too).
    let recorded = lab.recorded_trials();
    let mut pick = None;
    if !recorded.is_empty() {
        let shown = match state.playhead.trial {
            Some(k) => {
                format!("trial '{}'", recorded.iter().find(|r| r.0 == k).map_or("?", |r| r.1.as_str()))
            }
            None => "this run".into(),
        };
        ui.horizontal(|ui| {
            ui.label("recording:");
            egui::ComboBox::from_id_salt("recording shown").selected_text(shown).show_ui(ui, |ui| {
                if ui.selectable_label(state.playhead.trial.is_none(), "this run").clicked() {
                    pick = Some(None);
                }
                for (k, label) in &recorded {
                    if ui
                        .selectable_label(state.playhead.trial == Some(*k), format!("trial '{label}'"))
                        .clicked()
                    {
                        pick = Some(Some(*k));
                    }
                }
            });
        });
    }
    if let Some(p) = pick {
        let tick = match p {
            None => state.playhead.live(),
            Some(k) => {
                state.playhead.trial = Some(k);
                match lab.shown_recording(Some(k)) {
                    Some(r) => state.playhead.scrub(r, f64::NEG_INFINITY),
                    None => state.playhead.live(),
                }
            }
        };
        apply(tick, lab, timeline);
    }
    if state.playhead.trial.is_some_and(|k| lab.shown_recording(Some(k)).is_none()) {
        let tick = state.playhead.live();
        apply(tick, lab, timeline);
    }
    let Some(rec) = lab.shown_recording(state.playhead.trial) else {
        ui.label("not recording");
        return;
    };
    let Some((first, last)) = rec.span() else { return };
    let lab_probes = lab.probes.len();
    let head = &mut state.playhead;
    let mut tick = Tick::Stay;
    let mut clip_request = None;
    ui.horizontal(|ui| {
        let shown = head.at.unwrap_or(last);
        let live = head.at.is_none();
        if ui.button("|<").on_hover_text("the oldest recorded moment (Home)").clicked() {
            tick = head.scrub(rec, first);
        }
        if ui.button("<").on_hover_text("one frame back (,)").clicked() {
            tick = head.step(rec, -1);
        }
        let play = if head.playing && !head.auto { "pause replay" } else { "replay" };
        if ui.button(play).on_hover_text("replay from the moment shown (K)").clicked() {
            tick = if head.playing { head.scrub(rec, shown) } else { head.play(rec) };
        }
        if ui.button(">").on_hover_text("one frame forward (.)").clicked() {
            tick = head.step(rec, 1);
        }
        if ui
            .add_enabled(!live, egui::Button::new("live"))
            .on_hover_text("back to the present (End)")
            .clicked()
        {
            tick = head.live();
        }
        let what = if live {
            format!("live, t = {last:.1} ms")
        } else if head.auto {
            format!("slow motion, t = {shown:.2} ms")
        } else {
            format!("t = {shown:.2} ms (recorded)")
        };
        // The slider takes the row's width but what the time's label needs.
        let label_w = 18.0 * ui.text_style_height(&egui::TextStyle::Monospace);
        let mut at = shown;
        ui.spacing_mut().slider_width = (ui.available_width() - label_w).max(80.0);
        let slider = egui::Slider::new(&mut at, first..=last.max(first + 1e-6))
            .show_value(false)
            .clamping(egui::SliderClamping::Always);
        if ui.add(slider).on_hover_text("drag to any recorded moment").changed() {
            tick = head.scrub(rec, at);
        }
        ui.label(egui::RichText::new(what).monospace());
    });
    // The replay's settings and the other views, on a row of their own.
    ui.horizontal(|ui| {
        let shown = head.at.unwrap_or(last);
        egui::ComboBox::from_id_salt("replay rate")
            .selected_text(rate_label(head.rate))
            .show_ui(ui, |ui| {
                for r in RATES {
                    ui.selectable_value(&mut head.rate, r, rate_label(r));
                }
            })
            .response
            .on_hover_text("replay speed, of real time");
        for (k, name) in ["A", "B"].into_iter().enumerate() {
            let set = head.marks[k].is_some();
            let b = ui.selectable_label(set, name).on_hover_text(match head.marks[k] {
                Some(t) => format!("loop mark at {t:.2} ms (click: clear)"),
                None => "mark the moment shown as a loop's end".into(),
            });
            if b.clicked() {
                head.marks[k] = if set { None } else { Some(shown) };
            }
        }
        ui.checkbox(&mut head.slow_motion, "slow motion (S)")
            .on_hover_text("each spike, bAP, NMDA or Ca2+ spike is shown again at 1 ms/s, then live goes on");
        let space = state.space_plot.is_some();
        if ui
            .selectable_label(space, "space plot")
            .on_hover_text("voltage along a path against distance (V)")
            .clicked()
        {
            state.space_plot = if space { None } else { Some([0, lab_probes.saturating_sub(1)]) };
        }
        let busy = timeline.clip.is_some();
        if ui
            .add_enabled(!busy, egui::Button::new(if busy { "clip..." } else { "clip" }))
            .on_hover_text("save the stretch between A and B (or the 20 ms shown) as a GIF, 100x slower")
            .clicked()
        {
            clip_request = Some(match head.marks {
                [Some(a), Some(b)] if b > a => (a, b),
                _ => ((shown - 10.0).max(first), (shown + 10.0).min(last)),
            });
        }
        ui.label(format!("{:.0} s kept", rec.seconds())).on_hover_text(format!(
            "the last {:.1} s of the whole cell, a frame every {} ms ({} MB at most)",
            rec.seconds(),
            rec.every_ms(),
            rec.bytes().div_ceil(1 << 20)
        ));
    });
    apply(tick, lab, timeline);
    if let Some((from, to)) = clip_request {
        start_clip(lab, state, timeline, from, to, view);
    }
}

/// Renders the stretch `from`..`to` ms of the recording as a GIF on a thread, seen as the
/// window shows the cell (`view`: the camera's rotation of the upright cell), into the
/// save folder.
fn start_clip(
    lab: &Lab,
    state: &mut UiState,
    timeline: &mut Timeline,
    from: f64,
    to: f64,
    view: nalgebra::UnitQuaternion<f64>,
) {
    use crate::lab::clip::{ClipSpec, View, render_gif};
    let Some(rec) = lab.shown_recording(state.playhead.trial) else { return };
    let path = match super::files::stamped_path("clip", "gif") {
        Ok(p) => p,
        Err(e) => return state.fail(e),
    };
    let segment = rec.segment(from, to, MAX_RECORDING_BYTES);
    let cell = lab.sim.cell.clone();
    let spec = ClipSpec {
        from_ms: from,
        to_ms: to,
        fps: 20.0,
        slow: 100.0,
        width: 720,
        height: 720,
        map: state.colormap,
        lo: state.range.0,
        hi: state.range.1,
        label: lab.source.rsplit('/').next().unwrap_or("").to_string(),
        t0: 0.0,
    };
    let out = path.clone();
    let job = super::job::Job::answer("dendra-clip", move || {
        let view = View::framing(&cell, view, spec.width, spec.height);
        let (bytes, frames) = render_gif(&segment, &cell, view, &spec).map_err(|e| e.to_string())?;
        crate::sim::savefile::save(&out, &bytes)
            .map_err(|e| format!("{}: cannot write: {e}", out.display()))?;
        Ok(frames)
    });
    match job {
        Ok(job) => {
            state.say(format!("rendering a clip of {from:.1} to {to:.1} ms..."));
            timeline.clip = Some((path, job));
        }
        Err(e) => state.fail(format!("could not start the clip: {e}")),
    }
}

/// Says where a finished clip went.
fn clip_done(mut timeline: ResMut<Timeline>, mut ui: ResMut<UiState>) {
    let Some((path, job)) = &timeline.clip else { return };
    let said = match job.poll() {
        super::job::Poll::Waiting => return,
        super::job::Poll::Got(Ok(frames)) => {
            Ok(format!("saved a clip of {frames} frames to {}", path.display()))
        }
        super::job::Poll::Got(Err(e)) => Err(e),
        super::job::Poll::Gone => Err("the clip's thread stopped unexpectedly".into()),
    };
    match said {
        Ok(m) => ui.say(m),
        Err(e) => ui.fail(e),
    }
    timeline.clip = None;
}

/// The space plot: the voltage along the path between two probes against path distance,
/// at the moment shown (live or recorded), with the kept trials' at the same time after
/// their starts as ghosts.
pub fn space_plot_window(ctx: &egui::Context, lab: &Lab, state: &mut UiState) {
    let Some([mut a, mut b]) = state.space_plot else { return };
    let n = lab.probes.len();
    (a, b) = (a.min(n.saturating_sub(1)), b.min(n.saturating_sub(1)));
    let mut open = true;
    egui::Window::new("Space plot").open(&mut open).default_size([520.0, 300.0]).show(ctx, |ui| {
        ui.horizontal(|ui| {
            for (which, k) in [("from", &mut a), ("to", &mut b)] {
                egui::ComboBox::from_id_salt(which)
                    .selected_text(format!("{which} {}", lab.probe_label(*k)))
                    .show_ui(ui, |ui| {
                        for i in 0..n {
                            ui.selectable_value(k, i, lab.probe_label(i));
                        }
                    });
            }
            if n < 2 {
                ui.label("place a probe (tool 2) to draw a path from the soma");
            }
        });
        let (Some(pa), Some(pb)) = (lab.probes.get(a), lab.probes.get(b)) else { return };
        let path = crate::lab::space::path_nodes(&lab.sim.cell, pa.node, pb.node);
        let at = state.playhead.at;
        let t = at.unwrap_or(lab.t());
        let live = lab.voltage_along(&path, at);
        let label = match at {
            Some(t) => format!("t = {t:.2} ms (recorded)"),
            None => format!("live, t = {t:.1} ms"),
        };
        let mut ghosts = Vec::new();
        for (k, trial) in lab.trials.iter().enumerate() {
            if let Some(pts) = lab.trial_voltage_along(k, &path, t) {
                ghosts.push((trial.label.clone(), pts));
            }
        }
        egui_plot::Plot::new("space plot")
            .legend(egui_plot::Legend::default().position(egui_plot::Corner::RightTop))
            .x_axis_label(format!("path distance from {} (um)", lab.probe_label(a)))
            .y_axis_label("v (mV)")
            .include_y(-80.0)
            .include_y(20.0)
            .show(ui, |p| {
                for (name, pts) in &ghosts {
                    p.line(
                        egui_plot::Line::new(name.as_str(), egui_plot::PlotPoints::from(pts.clone()))
                            .style(egui_plot::LineStyle::Dashed { length: 8.0 })
                            .width(1.5),
                    );
                }
                p.line(
                    egui_plot::Line::new(label.as_str(), egui_plot::PlotPoints::from(live))
                        .color(egui::Color32::WHITE)
                        .width(2.5),
                );
            });
    });
    state.space_plot = open.then_some([a, b]);
}

/// The space plot's path, drawn over the tree (projected through the camera, painted on
/// egui's foreground so that it is never hidden inside the branches).
fn draw_path(
    mut contexts: bevy_egui::EguiContexts,
    lab: Res<LabRes>,
    ui: Res<UiState>,
    tree: Res<super::scene::TreeView>,
    views: Query<(&Camera, &GlobalTransform), With<super::camera::OrbitCamera>>,
) -> Result {
    let Some([a, b]) = ui.space_plot else { return Ok(()) };
    let lab = &lab.0;
    let (Some(pa), Some(pb)) = (lab.probes.get(a), lab.probes.get(b)) else { return Ok(()) };
    let Some((cam, at)) = views.iter().next() else { return Ok(()) };
    let ctx = contexts.ctx_mut()?;
    let cell = &lab.sim.cell;
    let path = crate::lab::space::path_nodes(cell, pa.node, pb.node);
    let zoom = ctx.zoom_factor();
    // Viewport coordinates are from the viewport's corner (right of the panel).
    let origin = cam.logical_viewport_rect().map_or(Vec2::ZERO, |r| r.min);
    let points: Vec<egui::Pos2> = path
        .iter()
        .filter_map(|&(n, _)| {
            let s = cell.node_section[n as usize] as usize;
            let w = tree.to_world(cell.morphology.sections[s].at(cell.node_x[n as usize]).0);
            let p = cam.world_to_viewport(at, w).ok()? + origin;
            Some(egui::pos2(p.x / zoom, p.y / zoom))
        })
        .collect();
    let width = if ui.presenter { 5.0 } else { 3.0 };
    ctx.layer_painter(egui::LayerId::new(egui::Order::Foreground, "space plot path".into()))
        .add(egui::Shape::line(points, egui::Stroke::new(width, egui::Color32::from_rgb(255, 240, 80))));
    Ok(())
}

fn rate_label(r: f64) -> String {
    if r >= 1.0 { "1x".into() } else { format!("1/{:.0}x", 1.0 / r) }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Timeline>();
    app.add_systems(Update, (keep_recording, keys, tick).chain().in_set(super::LabSet::Input));
    app.add_systems(Update, clip_done);
    app.add_systems(bevy_egui::EguiPrimaryContextPass, draw_path);
}

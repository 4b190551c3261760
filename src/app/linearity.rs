//! The linearity meter in the window: L (or the panel's button) measures the selection
//! (or every synapse) as Space would fire it, from the lab's current state, on a thread
//! (the lab's what-if copies, [`crate::lab::linearity`]); a small window then shows the
//! linear sum of the single responses beside the actual response, as numbers and traces,
//! at every probe.

use super::job::{Job, Poll};
use super::state::{LabRes, UiState};
use crate::lab::linearity::{Linearity, measure};
use crate::lab::{FirePattern, LabError};
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use egui_plot::{Legend, Line, LineStyle, Plot, PlotPoints};

/// Milliseconds the meter looks at after the first spike.
const METER_MS: f64 = 150.0;

/// The meter's state.
#[derive(Resource, Default)]
pub struct Meter {
    job: Option<Job<Result<Linearity, LabError>>>,
    pub result: Option<Linearity>,
    pub show: bool,
}

impl Meter {
    /// Starts measuring the lab as it is now (the copy is taken here; the runs go on a
    /// thread).
    pub fn start(&mut self, lab: &mut crate::lab::Lab, ui: &mut UiState) {
        if self.job.is_some() {
            ui.say("the linearity meter is still measuring");
            return;
        }
        let copy = lab.clone_without_traces();
        let spawned =
            Job::answer("dendra-linearity", move || measure(&copy, FirePattern::Single, METER_MS, 0));
        match spawned {
            Ok(job) => {
                self.job = Some(job);
                self.show = true;
                ui.say(
                    "linearity meter: firing each synapse alone, then all together, on copies of the lab...",
                );
            }
            Err(e) => ui.fail(format!("could not start the linearity meter: {e}")),
        }
    }
}

fn collect(mut meter: ResMut<Meter>, mut ui: ResMut<UiState>) {
    let Some(job) = &meter.job else { return };
    let got = match job.poll() {
        Poll::Waiting => return,
        Poll::Got(result) => result,
        Poll::Gone => Err(LabError::NotNow("the meter's thread stopped unexpectedly".into())),
    };
    meter.job = None;
    match got {
        Ok(r) => {
            ui.say(format!("linearity meter: {r}"));
            meter.result = Some(r);
        }
        Err(e) => ui.fail(format!("linearity meter: {e}")),
    }
}

fn window(mut contexts: EguiContexts, mut meter: ResMut<Meter>) -> Result {
    if !meter.show {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    let mut open = true;
    let busy = meter.job.is_some();
    egui::Window::new("Linearity meter").open(&mut open).default_width(420.0).show(ctx, |ui| {
        if busy {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("measuring...");
            });
        }
        let Some(r) = &meter.result else {
            return;
        };
        ui.label(format!(
            "{} synapses. Dashed: the sum of each one's response alone (a perceptron's answer); solid: all \
             of them together.",
            r.synapses
        ));
        egui::Grid::new("linearity").striped(true).show(ui, |ui| {
            ui.strong("probe");
            ui.strong("linear sum");
            ui.strong("actual");
            ui.strong("actual / linear");
            ui.end_row();
            for (i, p) in r.probes.iter().enumerate() {
                let [cr, cg, cb] = p.color;
                ui.colored_label(egui::Color32::from_rgb(cr, cg, cb), &p.probe);
                ui.label(format!("{:.2} mV", p.linear_peak_mv));
                ui.label(format!("{:.2} mV", p.actual_peak_mv));
                ui.label(r.ratio(i).map_or("-".into(), |x| format!("{x:.2}")));
                ui.end_row();
            }
        });
        Plot::new("linearity plot").legend(Legend::default()).height(180.0).x_axis_label("t (ms)").show(
            ui,
            |plot| {
                for p in &r.probes {
                    let [cr, cg, cb] = p.color;
                    let c = egui::Color32::from_rgb(cr, cg, cb);
                    let pts = |v: &[f64]| -> Vec<[f64; 2]> {
                        let step = (v.len() / 1500).max(1);
                        p.t_ms.iter().zip(v).step_by(step).map(|(t, v)| [*t, *v]).collect()
                    };
                    plot.line(
                        Line::new(format!("{} actual", p.probe), PlotPoints::new(pts(&p.actual_mv))).color(c),
                    );
                    plot.line(
                        Line::new(format!("{} linear sum", p.probe), PlotPoints::new(pts(&p.linear_mv)))
                            .color(c)
                            .style(LineStyle::Dashed { length: 8.0 }),
                    );
                }
            },
        );
    });
    meter.show = open;
    Ok(())
}

fn key(
    keys: Res<ButtonInput<KeyCode>>,
    egui: Option<Res<bevy_egui::input::EguiWantsInput>>,
    mut lab: ResMut<LabRes>,
    mut meter: ResMut<Meter>,
    mut ui: ResMut<UiState>,
) {
    let ctrl = keys.pressed(KeyCode::ControlLeft) || keys.pressed(KeyCode::ControlRight);
    if keys.just_pressed(KeyCode::KeyL) && !ctrl && egui.is_none_or(|e| !e.wants_any_keyboard_input()) {
        meter.start(&mut lab.0, &mut ui);
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Meter>();
    app.add_systems(Update, (key, collect));
    app.add_systems(EguiPrimaryContextPass, window);
}

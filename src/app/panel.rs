//! The control panel (egui): run controls, tools, synapses and firing, clamps,
//! pharmacology per region, [Mg2+] and temperature, colouring with its colour bar,
//! files and built-in cells; the traces below; the help overlay. Presenter mode makes
//! everything larger and higher in contrast.

mod channels;
mod colour_bar;

pub use colour_bar::colour_bar;

use super::files::{FileDialogs, FileJob};
use super::keys::HELP;
use super::simulation::SimClock;
use super::state::{LabRes, Swap, Tool, UiState};
use crate::lab::{FirePattern, Lab, SynapseKind};
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use channels::{densities, pharmacology};
use colour_bar::colour_controls;

fn run_controls(ui: &mut egui::Ui, lab: &mut Lab, clock: &mut SimClock, state: &mut UiState) {
    ui.horizontal(|ui| {
        if ui.button(if lab.paused { "Run (P)" } else { "Pause (P)" }).clicked() {
            lab.paused = !lab.paused;
        }
        if ui.button("Step (N)").clicked() {
            lab.paused = true;
            clock.step_once = true;
        }
        if ui.button("Reset (R)").clicked() {
            lab.reset();
            state.say("reset to t = 0");
        }
    });
    ui.horizontal(|ui| {
        ui.add(
            egui::Slider::new(&mut lab.speed, 0.5..=crate::lab::session::MAX_SPEED)
                .logarithmic(true)
                .text("ms / s"),
        );
        if ui.button("Fastest").on_hover_text("as fast as this machine can").clicked() {
            lab.speed = crate::lab::session::MAX_SPEED;
        }
    });
    ui.label(format!(
        "t = {:.1} ms   reached {:.0} ms/s   dt {} ms",
        lab.t(),
        clock.achieved,
        lab.sim.config.dt
    ));
}

fn synapse_controls(
    ui: &mut egui::Ui,
    lab: &mut Lab,
    state: &mut UiState,
    meter: &mut super::linearity::Meter,
) {
    ui.horizontal(|ui| {
        ui.label("Tool:");
        for (k, t) in Tool::ALL.iter().enumerate() {
            ui.selectable_value(&mut state.tool, *t, format!("{} {}", k + 1, t.label()));
        }
    });
    ui.horizontal(|ui| {
        egui::ComboBox::from_id_salt("kind").selected_text(state.syn_kind.label()).show_ui(ui, |ui| {
            for k in SynapseKind::ALL {
                ui.selectable_value(&mut state.syn_kind, k, k.label());
            }
        });
        ui.add(egui::Slider::new(&mut state.syn_weight_ns, 0.05..=20.0).logarithmic(true).text("nS"));
    });
    // (A row of its own: the panel keeps its width.)
    ui.horizontal(|ui| {
        if state.syn_kind == SynapseKind::AmpaNmda {
            ui.add(
                egui::DragValue::new(&mut state.syn_nmda_ratio)
                    .range(0.0..=10.0)
                    .speed(0.05)
                    .prefix("NMDA/AMPA "),
            )
            .on_hover_text(
                "the NMDA receptor's peak conductance over the AMPA receptor's, for synapses placed",
            );
        }
    });
    let selected = lab.synapses.iter().filter(|s| s.selected).count();
    ui.label(format!("{} synapses, {} selected", lab.synapses.len(), selected));
    ui.horizontal(|ui| {
        if ui.button("All (A)").clicked() {
            lab.select_all(true);
        }
        if ui.button("None (Esc)").clicked() {
            lab.select_all(false);
        }
        if ui.button("Delete (Del)").clicked() {
            lab.remove_selected();
        }
        if ui.button("Weight of selected").clicked() {
            let w = state.syn_weight_ns;
            lab.synapses.iter_mut().filter(|s| s.selected).for_each(|s| s.weight_ns = w);
        }
    });
    let mut fired = None;
    ui.horizontal(|ui| {
        if ui.button("Fire (Space)").clicked() {
            fired = Some(FirePattern::Single);
        }
        if ui.button("Burst (B)").clicked() {
            fired = Some(state.burst());
        }
        ui.add(egui::DragValue::new(&mut state.burst_n).range(1..=100).suffix(" spikes"));
        ui.add(egui::DragValue::new(&mut state.burst_hz).range(1.0..=500.0).suffix(" Hz"));
    });
    ui.horizontal(|ui| {
        if ui.button("Poisson (O)").clicked() {
            fired = Some(state.poisson());
        }
        ui.add(egui::DragValue::new(&mut state.poisson_hz).range(0.0..=500.0).suffix(" Hz"));
        ui.add(egui::DragValue::new(&mut state.poisson_ms).range(1.0..=10_000.0).suffix(" ms"));
    });
    ui.horizontal(|ui| {
        if ui.button("Inward (I)").clicked() {
            fired = Some(state.sequence(true));
        }
        if ui.button("Outward (U)").clicked() {
            fired = Some(state.sequence(false));
        }
        ui.add(
            egui::DragValue::new(&mut state.seq_interval_ms).range(0.0..=50.0).speed(0.1).suffix(" ms apart"),
        );
    });
    if ui
        .button("Linearity (L)")
        .on_hover_text(
            "fire each selected synapse alone, then all together, on copies of the lab from now: is the \
             response the sum of the parts?",
        )
        .clicked()
    {
        meter.start(lab, state);
    }
    if let Some(p) = fired {
        state.say(lab.fire_and_say(p));
    }
}

fn clamp_controls(ui: &mut egui::Ui, lab: &mut Lab, state: &mut UiState) {
    ui.horizontal(|ui| {
        ui.add(egui::DragValue::new(&mut state.clamp_amp_na).range(-10.0..=10.0).speed(0.01).suffix(" nA"));
        ui.add(egui::DragValue::new(&mut state.clamp_delay_ms).range(0.0..=10_000.0).suffix(" ms delay"));
        ui.add(egui::DragValue::new(&mut state.clamp_dur_ms).range(0.0..=10_000.0).suffix(" ms"));
    });
    ui.label("Clamp tool (3) places one; here they restart from now:");
    let mut remove = None;
    for i in 0..lab.clamps.len() {
        let name = lab.sim.cell.morphology.sections[lab.clamps[i].section].name.clone();
        ui.horizontal(|ui| {
            ui.label(format!("{name}({:.2})", lab.clamps[i].x));
            if ui.button("Apply").clicked() {
                lab.set_clamp(i, state.clamp_amp_na, state.clamp_delay_ms, state.clamp_dur_ms);
            }
            if ui.button("Remove").clicked() {
                remove = Some(i);
            }
        });
    }
    if let Some(i) = remove {
        lab.remove_clamp(i);
    }
}

fn file_controls(
    ui: &mut egui::Ui,
    lab: &mut LabRes,
    state: &mut UiState,
    dialogs: &mut FileDialogs,
    loader: &mut super::loading::Loader,
) {
    ui.horizontal_wrapped(|ui| {
        for (label, job) in [
            ("Open cell (Ctrl+O)", FileJob::OpenSwc),
            ("Save setup (Ctrl+S)", FileJob::SaveSetup),
            ("Load setup (Ctrl+L)", FileJob::OpenSetup),
            ("Export CSV (Ctrl+E)", FileJob::ExportCsv),
            ("Save PNG (Ctrl+P)", FileJob::SavePng),
        ] {
            if ui.add_enabled(!dialogs.busy, egui::Button::new(label)).clicked() {
                dialogs.request(job);
            }
        }
    });
    let mut chosen = None;
    let current = crate::lab::biophysics::preset_label(&lab.0.biophysics);
    egui::ComboBox::from_label("biophysics").selected_text(current).show_ui(ui, |ui| {
        for p in &crate::lab::biophysics::PRESETS {
            let on = lab.0.biophysics == p.id;
            if ui.selectable_label(on, p.label).clicked() && !on {
                chosen = Some(p);
            }
        }
    });
    if let Some(p) = chosen {
        match lab.0.rebuilt_with(p.id) {
            Ok(new) => {
                lab.swap(new, Swap::NewCell, state);
                state.say(format!("biophysics: {} (synapses, probes, clamps and drugs kept)", p.label));
            }
            Err(e) => state.fail(e),
        }
    }
    ui.horizontal_wrapped(|ui| {
        ui.label("Gallery:");
        let current = lab.0.source.strip_prefix("builtin:").unwrap_or("");
        let mut chosen = None;
        egui::ComboBox::from_id_salt("gallery")
            .selected_text(if current.is_empty() { "(a file)" } else { current })
            .show_ui(ui, |ui| {
                for c in crate::sim::morphology::gallery::GALLERY {
                    if ui.selectable_label(c.name == current, c.name).on_hover_text(c.title).clicked() {
                        chosen = Some(c.name);
                    }
                }
            });
        if let Some(name) = chosen
            && !loader.busy()
        {
            loader.start(super::loading::LoadJob::Morphology(name.into()), state);
        }
    });
}

/// The trial row: run one (T), what it plays and for how long, and the kept trials
/// (each removable).
fn trial_controls(ui: &mut egui::Ui, lab: &mut Lab, state: &mut UiState) {
    let running = lab.trial.is_some();
    let hover = "reset to rest, play the protocol after a 10 ms baseline, pause at the end and keep the \
                 traces as a labelled ghost for the next trial";
    if ui.add_enabled(!running, egui::Button::new("Trial (T)")).on_hover_text(hover).clicked() {
        let msg = lab.start_trial(state.trial_plan());
        state.say(msg);
    }
    egui::ComboBox::from_id_salt("trial fire").selected_text(state.trial_fire.label()).width(70.0).show_ui(
        ui,
        |ui| {
            for f in super::state::TrialFire::ALL {
                ui.selectable_value(&mut state.trial_fire, f, f.label());
            }
        },
    );
    ui.add(
        egui::DragValue::new(&mut state.trial_ms).range(5.0..=crate::lab::trials::MAX_TRIAL_MS).suffix(" ms"),
    );
    let mut remove = None;
    for (i, t) in lab.trials.iter().enumerate() {
        if ui
            .small_button(format!("x {}", t.label))
            .on_hover_text(format!("{}: remove this trial", t.protocol))
            .clicked()
        {
            remove = Some(i);
        }
    }
    if let Some(i) = remove {
        lab.remove_trial(i);
    }
}

/// Presenter mode's zoom, and the text size it gives every style (points): at 1.4, 17.5
/// points are 24.5 pixels, legible from the back of a hall at 1080p.
const PRESENTER_ZOOM: f32 = 1.4;
const PRESENTER_TEXT_PT: f32 = 17.5;

fn style(ctx: &egui::Context, presenter: bool) {
    ctx.set_zoom_factor(if presenter { PRESENTER_ZOOM } else { 1.0 });
    let mut v = egui::Visuals::dark();
    if presenter {
        v.override_text_color = Some(egui::Color32::WHITE);
        v.panel_fill = egui::Color32::BLACK;
    }
    ctx.set_visuals(v);
    // Every text style, the small ones (the colour bar's ticks, hints) included.
    ctx.global_style_mut(|s| {
        let defaults = egui::Style::default().text_styles;
        for (k, font) in s.text_styles.iter_mut() {
            let base = defaults.get(k).map_or(font.size, |f| f.size);
            font.size = if presenter {
                if *k == egui::TextStyle::Heading {
                    base.max(PRESENTER_TEXT_PT * 1.3)
                } else {
                    PRESENTER_TEXT_PT
                }
            } else {
                base
            };
        }
    });
}

/// The smallest and the body text's size on screen (pixels): the layout report's.
fn text_px(ctx: &egui::Context) -> (f32, f32) {
    let zoom = ctx.zoom_factor();
    let s = ctx.global_style();
    let smallest = s.text_styles.values().map(|f| f.size).fold(f32::INFINITY, f32::min);
    let body = s.text_styles.get(&egui::TextStyle::Body).map_or(smallest, |f| f.size);
    (smallest * zoom, body * zoom)
}

#[allow(clippy::too_many_arguments)]
/// What the panel reads and changes.
#[derive(bevy::ecs::system::SystemParam)]
struct PanelWorld<'w, 's> {
    lab: ResMut<'w, LabRes>,
    state: ResMut<'w, UiState>,
    clock: ResMut<'w, SimClock>,
    dialogs: ResMut<'w, FileDialogs>,
    loader: ResMut<'w, super::loading::Loader>,
    lessons: ResMut<'w, super::lessons::Lessons>,
    layout: ResMut<'w, super::camera::PanelLayout>,
    hover: Res<'w, super::picking::Hover>,
    meter: ResMut<'w, super::linearity::Meter>,
    timeline: ResMut<'w, super::timeline::Timeline>,
    tree: Res<'w, super::scene::TreeView>,
    cams: Query<'w, 's, &'static super::camera::OrbitCamera>,
}

impl PanelWorld<'_, '_> {
    /// How the window shows the cell: the camera's view of the upright cell (cell to
    /// view coordinates), for a clip seen as the window sees it.
    fn view_rotation(&self) -> nalgebra::UnitQuaternion<f64> {
        let Some(cam) = self.cams.iter().next() else {
            return crate::lab::geometry::upright(&self.lab.0.sim.cell);
        };
        let r = cam.transform().rotation.inverse() * self.tree.transform.rotation;
        nalgebra::UnitQuaternion::from_quaternion(nalgebra::Quaternion::new(
            r.w as f64, r.x as f64, r.y as f64, r.z as f64,
        ))
    }
}

/// The panel on the left, the traces below, the colour scale over the view while the
/// panel is away, and the help window: each drawn by its own function with what it needs.
fn draw(mut contexts: EguiContexts, mut w: PanelWorld, mut last_presenter: Local<Option<bool>>) -> Result {
    let ctx = contexts.ctx_mut()?;
    let view = w.view_rotation();
    let state = &mut *w.state;
    if *last_presenter != Some(state.presenter) {
        style(ctx, state.presenter);
        // Presenter mode gives the tree the window: the panel slides away (Tab shows it).
        if state.presenter || last_presenter.is_some() {
            state.hide_panel = state.presenter;
        }
        *last_presenter = Some(state.presenter);
    }
    let mut root = egui::Ui::new(
        ctx.clone(),
        "root".into(),
        egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.viewport_rect()),
    );
    // Tab hides the panel (it slides away and the tree takes the window).
    let mut expanded = !state.hide_panel;
    let left = egui::Panel::left("controls").resizable(true).default_size(330.0).show_collapsible(
        &mut root,
        &mut expanded,
        |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                header(ui, &w.lab.0, state, &w.hover, &mut w.lessons);
                sections(ui, &mut w.lab, state, &mut w.clock, &mut w.meter, &mut w.dialogs, &mut w.loader);
            });
        },
    );
    state.hide_panel = !expanded;
    if state.hide_panel {
        // Beside the lesson's strip, when it has one (presenter mode).
        colour_scale_over_the_view(ctx, state, w.layout.right / ctx.zoom_factor());
    }
    // egui measures in points: the window's logical pixels over the zoom factor.
    let zoom = ctx.zoom_factor();
    w.layout.left = left.map_or(0.0, |l| l.response.rect.width()) * zoom;
    w.layout.text_px = Some(text_px(ctx));
    let viewport_h = ctx.viewport_rect().height();
    let strip = egui::Panel::bottom("traces");
    // Presenter mode: a strip across the bottom, a third of the window at most.
    let strip = if state.presenter {
        // (At least what the time bar, the trial row, the legend and a plot need at
        // presenter's text size: 196 points, 274 pixels.)
        strip.exact_size((viewport_h * 0.3).max(196.0))
    } else {
        strip.resizable(true).default_size(230.0).max_size((viewport_h * 0.6).max(120.0))
    };
    let bottom = strip.show(&mut root, |ui| {
        super::timeline::time_bar(ui, &mut w.lab.0, state, &mut w.timeline, view);
        trace_strip(ui, &mut w.lab.0, state, &mut w.layout, zoom)
    });
    w.layout.bottom = bottom.response.rect.height() * zoom;
    if state.show_help {
        help_window(ctx, state);
    }
    super::timeline::space_plot_window(ctx, &w.lab.0, state);
    keep_the_keys_for_the_lab(ctx);
    Ok(())
}

/// The lab's keys work whatever widget was last clicked or reached with Tab: a focused
/// button would take Space (the Lessons button opened its window instead of firing) and
/// make egui want the keyboard, so the lab's keys went dead. Only a text field being
/// typed in keeps the keyboard.
fn keep_the_keys_for_the_lab(ctx: &egui::Context) {
    if let Some(id) = ctx.memory(|m| m.focused())
        && !ctx.text_edit_focused()
    {
        ctx.memory_mut(|m| m.surrender_focus(id));
    }
}

/// The panel's head: the title and the Lessons button, the cell, the status line and
/// what the pointer is on.
fn header(
    ui: &mut egui::Ui,
    lab: &Lab,
    state: &UiState,
    hover: &super::picking::Hover,
    lessons: &mut super::lessons::Lessons,
) {
    ui.horizontal(|ui| {
        ui.heading("Dendra");
        if ui.button("Lessons").on_hover_text("the lessons: one click loads one").clicked() {
            lessons.show = !lessons.show;
        }
    });
    ui.label(format!(
        "{}: {} sections, {} compartments",
        lab.source,
        lab.sim.cell.morphology.sections.len(),
        lab.sim.cell.compartment_count()
    ));
    // One line each, whatever their length (cut with "...", the whole on hover): a
    // message that wrapped to two lines moved every control below it under the pointer
    // (a click meant for "APV basal" ticked "Cd2+ basal").
    ui.add(egui::Label::new(egui::RichText::new(&state.status).color(status_colour(state))).truncate());
    let text = super::picking::hover_text(lab, hover).unwrap_or_else(|| "(point at the tree)".into());
    ui.add(egui::Label::new(text).truncate());
    ui.separator();
}

/// The status line's colour: red for a failure, green otherwise.
fn status_colour(state: &UiState) -> egui::Color32 {
    if state.error { egui::Color32::from_rgb(255, 110, 90) } else { egui::Color32::LIGHT_GREEN }
}

/// The panel's sections, each a collapsing header over its own function.
fn sections(
    ui: &mut egui::Ui,
    lab: &mut LabRes,
    state: &mut UiState,
    clock: &mut SimClock,
    meter: &mut super::linearity::Meter,
    dialogs: &mut FileDialogs,
    loader: &mut super::loading::Loader,
) {
    run_controls(ui, &mut lab.0, clock, state);
    egui::CollapsingHeader::new("Synapses and firing").default_open(true).show(ui, |ui| {
        synapse_controls(ui, &mut lab.0, state, meter);
    });
    egui::CollapsingHeader::new("Current clamps").default_open(false).show(ui, |ui| {
        clamp_controls(ui, &mut lab.0, state);
    });
    egui::CollapsingHeader::new("Pharmacology, Mg2+, temperature").default_open(true).show(ui, |ui| {
        pharmacology(ui, &mut lab.0, state);
    });
    egui::CollapsingHeader::new("Channels and densities").default_open(false).show(ui, |ui| {
        densities(ui, &mut lab.0, state);
    });
    egui::CollapsingHeader::new("Colour").default_open(true).show(ui, |ui| {
        colour_controls(ui, state, &lab.0);
    });
    egui::CollapsingHeader::new("Files and cells").default_open(true).show(ui, |ui| {
        file_controls(ui, lab, state, dialogs, loader);
    });
    ui.horizontal(|ui| {
        ui.checkbox(&mut state.presenter, "Presenter mode (F11)");
        if ui.button("Help (H)").clicked() {
            state.show_help = !state.show_help;
        }
    });
}

/// With the panel away, the colour scale and the status stay on screen (top right of
/// the view).
fn colour_scale_over_the_view(ctx: &egui::Context, state: &UiState, right: f32) {
    egui::Area::new("colour scale".into())
        .anchor(egui::Align2::RIGHT_TOP, egui::vec2(-12.0 - right, 12.0))
        .interactable(false)
        .show(ctx, |ui| {
            egui::Frame::new().fill(egui::Color32::from_black_alpha(170)).inner_margin(6.0).show(ui, |ui| {
                ui.label(state.quantity.label());
                colour_bar(ui, state.colormap, state.range.0, state.range.1, 220.0);
                ui.label(egui::RichText::new("Tab: panel   T: trial   F: frame").small());
                ui.set_max_width(320.0);
                ui.label(egui::RichText::new(&state.status).small().color(status_colour(state)));
            });
        });
}

/// The strip below the view: the trial controls, the time shown, the probes (each a
/// button that removes it) and the trace plots; where the plots were drawn goes to
/// `layout` (the layout report's, in logical pixels).
fn trace_strip(
    ui: &mut egui::Ui,
    lab: &mut Lab,
    state: &mut UiState,
    layout: &mut super::camera::PanelLayout,
    zoom: f32,
) {
    ui.horizontal(|ui| {
        trial_controls(ui, lab, state);
        if !state.presenter {
            ui.add(
                egui::Slider::new(&mut state.trace_window_ms, 10.0..=5000.0)
                    .logarithmic(true)
                    .text("ms shown"),
            );
        }
        ui.checkbox(&mut state.trace_fixed, "fixed mV").on_hover_text(
            "fix the voltage axis at -80..40 mV; otherwise it fits the traces (the soma gets an inset when \
             the dendrites dwarf it)",
        );
        let mut remove = None;
        for (i, p) in lab.probes.iter().enumerate().skip(1) {
            let [r, g, b] = p.color;
            let name = &lab.sim.cell.morphology.sections[p.section].name;
            if ui
                .add(egui::Button::new(
                    egui::RichText::new(format!("x {}", lab.probe_label(i)))
                        .color(egui::Color32::from_rgb(r, g, b)),
                ))
                .on_hover_text(format!("{name}({:.2}): remove this probe", p.x))
                .clicked()
            {
                remove = Some(i);
            }
        }
        if let Some(i) = remove {
            lab.remove_probe(i);
        }
    });
    // What the plots took, axes and legends included (the layout report's).
    let drawn = ui.scope(|ui| super::traces::show(ui, lab, state)).response.rect;
    layout.traces = Some(egui::Rect::from_min_max(
        (drawn.min.to_vec2() * zoom).to_pos2(),
        (drawn.max.to_vec2() * zoom).to_pos2(),
    ));
}

/// The keys, in a window.
fn help_window(ctx: &egui::Context, state: &mut UiState) {
    let mut open = true;
    egui::Window::new("Keys").open(&mut open).collapsible(false).show(ctx, |ui| {
        egui::Grid::new("help").striped(true).show(ui, |ui| {
            for (k, what) in HELP {
                ui.strong(*k);
                ui.label(*what);
                ui.end_row();
            }
        });
        ui.label("Mouse: left click acts with the tool; right drag orbits; middle drag pans; wheel zooms.");
    });
    state.show_help = open;
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(EguiPrimaryContextPass, draw);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A button keeps no focus after the panel is drawn; a text field being typed in does.
    #[test]
    fn only_a_text_field_keeps_the_keyboard() {
        let ctx = egui::Context::default();
        let mut text = String::from("a label");
        // One frame: a button and a text field, `focus` given to one of them, then the
        // panel's rule. Returns their ids.
        let mut frame = |focus: Option<egui::Id>| {
            let mut ids = (egui::Id::NULL, egui::Id::NULL);
            ctx.run_ui(egui::RawInput::default(), |ui| {
                ids = (ui.button("Lessons").id, ui.text_edit_singleline(&mut text).id);
                if let Some(id) = focus {
                    ui.ctx().memory_mut(|m| m.request_focus(id));
                }
                keep_the_keys_for_the_lab(ui.ctx());
            })
            .drop_without_applying_deltas();
            ids
        };
        let (b, f) = frame(None);
        frame(Some(b));
        assert_eq!(ctx.memory(|m| m.focused()), None, "the button gave the keyboard back");
        frame(Some(f));
        assert_eq!(ctx.memory(|m| m.focused()), Some(f), "the text field keeps it");
    }

    /// The controls below the status line stay where they are whatever the message: a
    /// long one is cut to one line, not wrapped to two.
    #[test]
    fn a_long_status_does_not_move_the_controls() {
        let lab = Lab::builtin("ball_and_stick").unwrap();
        let hover = super::super::picking::Hover::default();
        let mut lessons = super::super::lessons::Lessons::default();
        let ctx = egui::Context::default();
        let mut below = |status: &str| {
            let mut state = UiState::default();
            state.fail(status.to_string());
            let mut top = 0.0;
            ctx.run_ui(egui::RawInput::default(), |ui| {
                ui.set_max_width(330.0);
                header(ui, &lab, &state, &hover, &mut lessons);
                top = ui.button("APV basal").rect.top();
            })
            .drop_without_applying_deltas();
            top
        };
        let short = below("saved");
        let long =
            below(&"could not open the lesson: a message much longer than the panel is wide ".repeat(4));
        assert_eq!(short, long, "the controls moved down under a long message");
    }
}

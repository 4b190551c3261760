//! The Lessons window: the lessons listed; one click loads the scene (the cell, its
//! synapses and probes placed by rule) and shows the story card; "Run the protocol"
//! checks the lesson headless on a thread (the same code as `dendra lesson check`) and
//! then plays each condition live on the tree and the traces; the result card shows the
//! claims, the figures and the curves.

use super::job::{Job, Poll};
use super::state::{LabRes, Swap, UiState};
use crate::lab::lesson::figures::work_estimate;
use crate::lab::lesson::run::Run;
use crate::lab::lesson::{LESSONS, Lesson, LessonError, Report, check_built, play_list};
use crate::lab::scene::ResolvedScene;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use std::collections::BTreeMap;

/// A condition built and settled on a thread: (condition, its label, the run).
type Started = (String, String, Result<Run, LessonError>);

/// What the check's thread says: the runs made so far, then its answer.
enum Checked {
    Runs(usize),
    Done(Result<Report, LessonError>),
}

/// A lesson open in the window.
pub struct OpenLesson {
    pub lesson: Lesson,
    built: std::sync::Arc<ResolvedScene>,
    checking: Option<Job<Checked>>,
    /// Runs the check has made, and about how many it will make.
    check_runs: (usize, usize),
    /// The next condition being built and settled on a thread: (condition, its label,
    /// the run), so that settling never stalls a frame.
    starting: Option<Job<Started>>,
    pub report: Option<Report>,
    /// Conditions still to play: (condition, variables).
    queue: Vec<(String, BTreeMap<String, f64>)>,
    /// The condition playing: (name, protocol start, end) in simulated ms.
    playing: Option<(String, f64, f64)>,
    pub played: Vec<String>,
    /// The conditions taken from the queue to play (whether or not they could start).
    begun: Vec<String>,
}

impl Lessons {
    /// Where the open lesson's playing stands, in words (for the log).
    pub fn playing_words(&self) -> String {
        match &self.open {
            None => "no lesson open".into(),
            Some(o) => format!(
                "playing {:?}, queued {:?}, begun {:?}, played {:?}, checking {}, starting {}",
                o.playing.as_ref().map(|p| &p.0),
                o.queue.iter().map(|q| &q.0).collect::<Vec<_>>(),
                o.begun,
                o.played,
                o.checking.is_some(),
                o.starting.is_some()
            ),
        }
    }

    /// The open lesson's key moment (its first declared moment) in simulated ms of the
    /// lab, once the condition it is in plays.
    pub fn key_moment(&self) -> Option<f64> {
        let open = self.open.as_ref()?;
        let m = open.lesson.moments.first()?;
        let (cond, t0, _) = open.playing.as_ref()?;
        (cond == &m.condition).then_some(t0 + m.at_ms)
    }
}

/// The lessons' state in the window.
#[derive(Resource, Default)]
pub struct Lessons {
    pub open: Option<OpenLesson>,
    pub show: bool,
    /// Start this lesson and run its protocol at once (`--lesson NAME`).
    pub autorun: Option<String>,
    /// Run lessons on the cell that is open rather than on their own ("run on this
    /// cell"; `--morphology X --lesson Y` sets it).
    pub on_this_cell: bool,
    pub error: Option<String>,
    /// The lessons' (name, title), read once rather than parsed every frame.
    titles: Vec<(&'static str, String)>,
}

impl Lessons {
    /// Loads `name`'s scene into the lab (the current cell stays on failure).
    /// With [`Lessons::on_this_cell`], the lesson's places are found on the open cell
    /// (said, with the place that does not exist there, when one does not).
    pub fn open(&mut self, name: &str, lab: &mut LabRes, ui: &mut UiState) {
        let cell = self.on_this_cell.then(|| (lab.0.sim.cell.morphology.clone(), lab.0.source.clone()));
        let on = cell.as_ref().map(|(_, source)| source.clone());
        let result = Lesson::builtin(name).map_err(|e| e.to_string()).and_then(|lesson| {
            let (built, new) = ResolvedScene::with_lab(&lesson.scene, cell).map_err(|e| match &on {
                Some(source) => format!("its places are not all on this cell ({source}): {e}"),
                None => e.to_string(),
            })?;
            Ok((lesson, built, new))
        });
        match result {
            Ok((lesson, built, new)) => {
                if let Some(source) = &on {
                    ui.say(format!("lesson {name} on this cell: {source}"));
                }
                lab.swap(new, Swap::NewCell, ui);
                // Frame what the lesson is about.
                ui.pending_focus =
                    lesson.focus.as_ref().and_then(|f| built.places.get(f)).map(|p| p.spread(9));
                // The lesson's colour range: its phenomenon in the colours' middle.
                if let Some([lo, hi]) = lesson.colour_mv {
                    ui.quantity = crate::lab::Quantity::Voltage;
                    ui.range = (lo, hi);
                }
                ui.say(format!("lesson: {}", lesson.title));
                self.open = Some(OpenLesson {
                    lesson,
                    built: std::sync::Arc::new(built),
                    starting: None,
                    checking: None,
                    check_runs: (0, 0),
                    report: None,
                    queue: Vec::new(),
                    playing: None,
                    played: Vec::new(),
                    begun: Vec::new(),
                });
                self.error = None;
            }
            Err(e) => {
                ui.fail(format!("could not open the lesson {name}: {e}"));
                self.error = Some(e.to_string());
            }
        }
    }

    /// Checks the open lesson on a thread, then plays its conditions.
    pub fn run(&mut self, ui: &mut UiState) {
        let Some(open) = self.open.as_mut() else { return };
        let lesson = open.lesson.clone();
        let built = (*open.built).clone();
        let spawned = Job::spawn("dendra-lesson", move |tx| {
            let tell = std::sync::Mutex::new(tx.clone());
            let progress = move |n: usize| {
                if let Ok(t) = tell.lock() {
                    let _ = t.send(Checked::Runs(n));
                }
            };
            let result = check_built(&lesson, built, Some(&progress));
            let _ = tx.send(Checked::Done(result));
        });
        match spawned {
            Ok(job) => {
                open.checking = Some(job);
                open.check_runs = (0, work_estimate(&open.lesson).0);
                open.report = None;
                open.played.clear();
                open.begun.clear();
                // The room need not wait for the check: the first condition plays at once
                // (when its variables need no figure), the rest once the check is done.
                open.queue = play_list(&open.lesson, &BTreeMap::new()).into_iter().take(1).collect();
                ui.say("running the protocol: the first condition plays while the claims are checked...");
            }
            Err(e) => ui.fail(format!("could not start the protocol: {e}")),
        }
    }
}

/// Takes the check's result and steps through the conditions to play.
fn progress(mut lessons: ResMut<Lessons>, mut lab: ResMut<LabRes>, mut ui: ResMut<UiState>) {
    if let Some(name) = lessons.autorun.take() {
        lessons.open(&name, &mut lab, &mut ui);
        lessons.show = true;
        lessons.run(&mut ui);
    }
    let Some(open) = lessons.open.as_mut() else { return };
    // The lecturer opened another cell or setup meanwhile: the lesson stops playing
    // rather than replace it.
    let busy = open.playing.is_some() || open.starting.is_some() || !open.queue.is_empty();
    if busy && lab.0.source != open.built.source {
        open.playing = None;
        open.starting = None;
        open.queue.clear();
        ui.say("the lesson stopped playing: another cell was opened");
        return;
    }
    if let Some(job) = &open.checking {
        let got = match job.poll() {
            Poll::Waiting => None,
            Poll::Got(Checked::Runs(n)) => {
                open.check_runs.0 = n;
                None
            }
            Poll::Got(Checked::Done(result)) => Some(result),
            Poll::Gone => {
                open.checking = None;
                ui.fail("the protocol's thread stopped unexpectedly");
                return;
            }
        };
        if let Some(result) = got {
            open.checking = None;
            match result {
                Ok(report) => {
                    // Every condition not begun yet, in the lesson's order, after what is
                    // queued already (the queue is taken from its end).
                    let queued: Vec<String> = open.queue.iter().map(|q| q.0.clone()).collect();
                    let mut rest: Vec<(String, BTreeMap<String, f64>)> =
                        play_list(&open.lesson, &report.figures)
                            .into_iter()
                            .filter(|(c, _)| !open.begun.contains(c) && !queued.contains(c))
                            .collect();
                    rest.reverse();
                    rest.append(&mut open.queue);
                    open.queue = rest;
                    let verdict = if report.holds() { "every claim holds" } else { "a claim does not hold" };
                    ui.say(format!("{}: {verdict}; now playing each condition", open.lesson.name));
                    open.report = Some(report);
                }
                Err(e) => ui.fail(format!("the protocol failed: {e}")),
            }
        }
    }
    // A declared moment shown in slow motion: said in words.
    if let (Some((cond, t0, _)), Some(at)) = (&open.playing, ui.playhead.at)
        && let Some(m) =
            open.lesson.moments.iter().find(|m| &m.condition == cond && (at - (t0 + m.at_ms)).abs() < 1.0)
        && ui.status != m.label
    {
        ui.say(m.label.clone());
    }
    // A moment being shown again (slow motion) holds the lesson: the condition ends, and
    // the next one starts, once the present is shown again.
    if open.playing.is_some() && ui.playhead.at.is_some() {
        return;
    }
    if let Some((cond, _t0, t_end)) = &open.playing {
        if lab.0.t() + lab.0.sim.config.dt / 2.0 >= *t_end {
            open.played.push(cond.clone());
            open.playing = None;
            lab.0.paused = true;
            ui.playhead.moments.clear();
        } else {
            return;
        }
    }
    if let Some(job) = &open.starting {
        let (cond, label, result) = match job.poll() {
            Poll::Waiting => return,
            Poll::Got(started) => started,
            Poll::Gone => {
                open.starting = None;
                ui.fail("the condition's thread stopped unexpectedly");
                return;
            }
        };
        open.starting = None;
        match result {
            Ok(run) => {
                let (t0, t_end) = (run.t0, run.t_end);
                lab.swap(run.lab, Swap::SameCell, &mut ui);
                // Recorded from its first step (not a frame later): its moments are kept.
                if let Err(e) = lab.0.record(true, crate::lab::recording::MAX_RECORDING_BYTES) {
                    ui.fail(e);
                }
                lab.0.paused = false;
                // The room sees each event slowly: slow motion while a lesson plays, at
                // the events found and at the moments the lesson declares.
                ui.playhead.slow_motion = true;
                ui.playhead.moments = open
                    .lesson
                    .moments
                    .iter()
                    .filter(|m| m.condition == cond)
                    .map(|m| t0 + m.at_ms)
                    .collect();
                // Same cell: the drawn tree stays; the markers and traces follow the lab.
                ui.say(format!("playing: {label}"));
                open.playing = Some((cond, t0, t_end));
            }
            // Played ahead of the check, a condition whose variables are the check's
            // figures waits for them.
            Err(_) if open.checking.is_some() => {
                open.begun.retain(|c| c != &cond);
                ui.say("the conditions play once the claims are checked...");
            }
            Err(e) => ui.fail(e),
        }
        return;
    }
    if let Some((cond, vars)) = open.queue.pop() {
        open.begun.push(cond.clone());
        let Some(c) = open.lesson.condition(&cond).cloned() else { return };
        let (scene, built) = (open.lesson.scene.clone(), open.built.clone());
        let spawned = Job::answer("dendra-lesson-run", move || {
            let label = if c.label.is_empty() { c.name.clone() } else { c.label.clone() };
            let run = Run::start(&scene, &built, &c, &vars);
            (cond, label, run)
        });
        match spawned {
            Ok(job) => open.starting = Some(job),
            Err(e) => ui.fail(format!("could not start the next condition: {e}")),
        }
    }
}

fn curve_points(v: &serde_json::Value) -> Option<Vec<[f64; 2]>> {
    v.as_array()?.iter().map(|p| Some([p.get(0)?.as_f64()?, p.get(1)?.as_f64()?])).collect()
}

/// A figure's points: `[[x, y], ...]`, or a table `{x: y}` (keys read as numbers).
fn figure_points(v: &serde_json::Value) -> Option<Vec<[f64; 2]>> {
    curve_points(v).or_else(|| {
        let o = v.as_object()?;
        let mut pts: Vec<[f64; 2]> =
            o.iter().map(|(x, y)| Some([x.parse::<f64>().ok()?, y.as_f64()?])).collect::<Option<_>>()?;
        pts.sort_by(|a, b| a[0].total_cmp(&b[0]));
        Some(pts)
    })
}

/// A figure as a table cell shows it.
fn cell_text(v: Option<&serde_json::Value>) -> String {
    match v {
        Some(serde_json::Value::Bool(b)) => if *b { "yes" } else { "no" }.to_string(),
        Some(serde_json::Value::Number(n)) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            if x.fract() == 0.0 && x.abs() < 1e6 { format!("{x:.0}") } else { format!("{x:.3}") }
        }
        Some(other) => other.to_string(),
        None => "(not measured)".to_string(),
    }
}

/// The colour of line `k` of `n` in a result plot: apart along the hue circle, bright on
/// the dark panel.
fn result_colour(k: usize, n: usize) -> egui::Color32 {
    const PALETTE: [egui::Color32; 8] = [
        egui::Color32::from_rgb(255, 170, 60),
        egui::Color32::from_rgb(90, 200, 255),
        egui::Color32::from_rgb(255, 100, 140),
        egui::Color32::from_rgb(120, 230, 120),
        egui::Color32::from_rgb(200, 150, 255),
        egui::Color32::from_rgb(255, 240, 100),
        egui::Color32::from_rgb(80, 230, 210),
        egui::Color32::from_rgb(240, 240, 240),
    ];
    let _ = n;
    PALETTE[k % PALETTE.len()]
}

/// One of the lesson's own result plots (curves, traces) or tables.
fn result_plot(ui: &mut egui::Ui, r: &Report, plot: &crate::lab::lesson::ResultPlot, i: usize, height: f32) {
    ui.separator();
    ui.strong(&plot.title);
    if !plot.table.is_empty() {
        egui::Grid::new(("result table", i)).striped(true).show(ui, |ui| {
            for row in &plot.table {
                ui.label(&row.label);
                ui.strong(cell_text(r.figures.get(&row.figure)));
                ui.end_row();
            }
        });
    }
    let mut lines: Vec<(String, Vec<[f64; 2]>)> = plot
        .curves
        .iter()
        .filter_map(|c| Some((c.label.clone(), figure_points(r.figures.get(&c.figure)?)?)))
        .collect();
    for (s, tr) in plot.traces.iter().zip(r.result_traces(&plot.traces)) {
        if let Some((t, v)) = tr {
            let step = (t.len() / 1500).max(1);
            lines.push((s.label.clone(), t.iter().zip(v).step_by(step).map(|(t, v)| [*t, *v]).collect()));
        }
    }
    if lines.is_empty() {
        return;
    }
    // In the order a reader expects: "99 um" before "795 um" (by the number a label
    // starts with, else as given).
    let lead = |s: &str| {
        s.split(|c: char| !(c.is_ascii_digit() || c == '.')).next().and_then(|n| n.parse::<f64>().ok())
    };
    if lines.iter().all(|(name, _)| lead(name).is_some()) {
        lines.sort_by(|a, b| lead(&a.0).unwrap_or(0.0).total_cmp(&lead(&b.0).unwrap_or(0.0)));
    }
    // Each line in its own colour, named above the plot (never over a curve).
    let colours: Vec<egui::Color32> = (0..lines.len()).map(|k| result_colour(k, lines.len())).collect();
    ui.horizontal_wrapped(|ui| {
        for ((name, _), c) in lines.iter().zip(&colours) {
            ui.label(egui::RichText::new(format!("—— {name}")).color(*c).strong());
        }
    });
    egui_plot::Plot::new(("result plot", i))
        .height(height)
        .x_axis_label(plot.x_label.as_str())
        .y_axis_label(plot.y_label.as_str())
        .y_axis_min_width(40.0)
        .x_grid_spacer(egui_plot::log_grid_spacer(5))
        .y_grid_spacer(egui_plot::log_grid_spacer(5))
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .show(ui, |p| {
            for ((name, pts), c) in lines.into_iter().zip(colours) {
                p.line(egui_plot::Line::new(name, egui_plot::PlotPoints::new(pts)).color(c).width(2.5));
            }
        });
}

fn window(
    mut contexts: EguiContexts,
    mut lessons: ResMut<Lessons>,
    mut lab: ResMut<LabRes>,
    mut ui_state: ResMut<UiState>,
    mut layout: ResMut<super::camera::PanelLayout>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    if !lessons.show {
        layout.right = 0.0;
        return Ok(());
    }
    if lessons.titles.is_empty() {
        lessons.titles = LESSONS
            .iter()
            .map(|(n, _)| (*n, Lesson::builtin(n).map(|l| l.title).unwrap_or_default()))
            .collect();
    }
    let mut show = true;
    let mut choose = None;
    let mut run = false;
    let mut close = false;
    let mut on_this_cell = lessons.on_this_cell;
    // In presenter mode the lesson takes a strip on the right, beside the tree (the view
    // narrows to leave it room), never over the branch it talks about.
    let zoom = ctx.zoom_factor();
    let screen = ctx.viewport_rect();
    let presenter = ui_state.presenter;
    let strip_w = (screen.width() * 0.3).clamp(260.0, 640.0);
    let strip_h = (screen.height() - layout.bottom / zoom - 8.0).max(200.0);
    let mut win = egui::Window::new("Lessons").open(&mut show).vscroll(true);
    win = if presenter {
        win.anchor(egui::Align2::RIGHT_TOP, egui::vec2(0.0, 0.0))
            .fixed_size([strip_w - 16.0, strip_h - 40.0])
            .collapsible(false)
    } else {
        win.default_size([440.0, 640.0]).default_pos([8.0, 20.0])
    };
    let shown = win.show(ctx, |ui| match &lessons.open {
        None => {
            ui.label("One click loads a lesson's scene; Run the protocol plays it.");
            ui.checkbox(&mut on_this_cell, "run on this cell (the open cell, not the lesson's own)");
            for (name, title) in &lessons.titles {
                if ui.button(format!("{name}: {title}")).clicked() {
                    choose = Some(name.to_string());
                }
            }
        }
        Some(open) => {
            let l = &open.lesson;
            ui.heading(&l.title);
            // Once there is a result, it comes first and the story folds away.
            egui::CollapsingHeader::new("Story and steps")
                .id_salt(("story", l.name.as_str(), open.report.is_some()))
                .default_open(open.report.is_none())
                .show(ui, |ui| {
                    ui.label(&l.story);
                    for (i, s) in l.steps.iter().enumerate() {
                        ui.label(format!("{}. {s}", i + 1));
                    }
                    ui.small(&l.reference);
                });
            ui.horizontal(|ui| {
                let busy = open.checking.is_some()
                    || open.playing.is_some()
                    || open.starting.is_some()
                    || !open.queue.is_empty();
                if ui.add_enabled(!busy, egui::Button::new("Run the protocol")).clicked() {
                    run = true;
                }
                if ui.button("Other lessons").clicked() {
                    close = true;
                }
                if busy {
                    ui.spinner();
                }
                if open.checking.is_some() {
                    let (made, about) = open.check_runs;
                    ui.label(format!("checking: {made} of about {about} runs"));
                }
            });
            if let Some(r) = &open.report {
                ui.separator();
                // The claims, folded in presenter mode where the result plots need the room.
                let held = r.claims.iter().filter(|c| c.holds).count();
                let verdict = if r.holds() { "Every claim holds" } else { "A claim does not hold" };
                egui::CollapsingHeader::new(format!("{verdict} ({held} of {})", r.claims.len()))
                    .id_salt(("claims", l.name.as_str(), presenter))
                    .default_open(!presenter)
                    .show(ui, |ui| {
                        for c in &r.claims {
                            let mark = if c.holds { "holds" } else { "FAILS" };
                            ui.label(format!("[{mark}] {} ({})", c.claim, c.figure));
                        }
                    });
                egui::CollapsingHeader::new("Figures").default_open(false).show(ui, |ui| {
                    for (k, v) in &r.figures {
                        // Curves are drawn below; numbers, booleans and tables listed.
                        if v.is_number() || v.is_boolean() || v.is_object() {
                            ui.label(format!("{k}: {v}"));
                        }
                    }
                });
                if !l.results.is_empty() {
                    // Every plot in view without scrolling where the room allows.
                    let plots =
                        l.results.iter().filter(|p| !p.curves.is_empty() || !p.traces.is_empty()).count();
                    let height = ((ui.available_height() - 60.0 * l.results.len() as f32)
                        / plots.max(1) as f32)
                        .clamp(110.0, 200.0);
                    for (i, plot) in l.results.iter().enumerate() {
                        result_plot(ui, r, plot, i, height);
                    }
                    return;
                }
                let curves: Vec<(&String, Vec<[f64; 2]>)> =
                    r.figures.iter().filter_map(|(k, v)| Some((k, curve_points(v)?))).collect();
                let tables: Vec<(&String, Vec<[f64; 2]>)> = r
                    .figures
                    .iter()
                    .filter_map(|(k, v)| {
                        let o = v.as_object()?;
                        let pts: Option<Vec<[f64; 2]>> =
                            o.iter().map(|(x, y)| Some([x.parse::<f64>().ok()?, y.as_f64()?])).collect();
                        Some((k, pts?))
                    })
                    .collect();
                let plotted: Vec<(&String, Vec<[f64; 2]>)> = curves.into_iter().chain(tables).collect();
                if !plotted.is_empty() {
                    egui_plot::Plot::new("lesson-result")
                        .height(180.0)
                        .legend(egui_plot::Legend::default())
                        .allow_drag(false)
                        .allow_zoom(false)
                        .allow_scroll(false)
                        .show(ui, |p| {
                            for (name, pts) in plotted {
                                p.line(
                                    egui_plot::Line::new(name.as_str(), egui_plot::PlotPoints::new(pts))
                                        .width(2.0),
                                );
                            }
                        });
                }
            }
        }
    });
    layout.right = match (presenter, &shown) {
        (true, Some(r)) => r.response.rect.width() * zoom,
        _ => 0.0,
    };
    lessons.on_this_cell = on_this_cell;
    if let Some(name) = choose {
        lessons.open(&name, &mut lab, &mut ui_state);
    }
    if run {
        lessons.run(&mut ui_state);
    }
    if close {
        lessons.open = None;
    }
    lessons.show = show;
    Ok(())
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Lessons>();
    // After the timeline has looked for events this frame (a moment found at a
    // condition's very end holds the lesson before it moves on).
    app.add_systems(Update, progress.after(super::LabSet::Input).before(super::LabSet::Scene));
    app.add_systems(EguiPrimaryContextPass, window);
}

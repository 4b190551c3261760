//! The traces (egui_plot): every probe in its colour, and the kept trials as dashed
//! ghosts in the same colours, named by their labels. During and after a trial the time
//! axis is the trial's (from its reset), so the ghosts overlay the new run; otherwise the
//! last N ms scroll by. The voltage axis fits the traces (or stays at -80..40 mV when
//! fixed); when the soma's trace is dwarfed by the others it gets its own inset, so a
//! 2 mV somatic difference stays visible. While paused the plot can be zoomed and dragged.

use super::state::UiState;
use crate::lab::Lab;
use bevy::prelude::*;
use bevy_egui::egui;
use egui_plot::{Line, LineStyle, Plot, PlotPoint, PlotPoints, PlotUi, VLine};

/// Most points drawn per line.
const MAX_POINTS: usize = 2000;
/// Most points drawn per ghost line (a kept trial): up to 12 trials of 64 probes are
/// rebuilt every frame, so they are drawn coarser than the live traces.
const MAX_GHOST_POINTS: usize = 600;

/// One line to draw: its legend name, colour, style and points.
struct Series {
    name: String,
    color: egui::Color32,
    ghost: Option<usize>,
    /// Whether it is the soma's (probe 0).
    soma: bool,
    points: Vec<PlotPoint>,
}

fn thin(
    t: impl Fn(usize) -> Option<f64>,
    v: impl Fn(usize) -> Option<f64>,
    range: std::ops::Range<usize>,
    most: usize,
) -> Vec<PlotPoint> {
    let step = range.len().div_ceil(most.max(1)).max(1);
    range
        .step_by(step)
        .filter_map(|k| Some(PlotPoint::new(t(k)?, v(k)?)))
        .filter(|q| q.y.is_finite())
        .collect()
}

/// The time span shown: (start, end, whether it is a trial's axis).
fn time_span(lab: &Lab, state: &UiState) -> (f64, f64, bool) {
    let t_now = lab.t();
    let longest = lab
        .trials
        .iter()
        .flat_map(|t| t.traces.first())
        .filter_map(|tr| tr.t_ms.last().copied())
        .fold(0.0, f64::max);
    let end = lab.trial.as_ref().map_or(longest, |r| r.t_end.max(longest));
    if lab.trial.is_some() || (!lab.trials.is_empty() && t_now <= end + 1e-6) {
        return (0.0, end.max(1.0), true);
    }
    let t0 = (t_now - state.trace_window_ms).max(0.0);
    (t0, t_now.max(t0 + 1.0), false)
}

fn series(lab: &Lab, t0: f64, t1: f64) -> Vec<Series> {
    let mut out = Vec::new();
    for (i, probe) in lab.probes.iter().enumerate() {
        let n = probe.t.len();
        let first = (0..n).position(|k| probe.t.get(k).unwrap_or(f64::MIN) >= t0).unwrap_or(n);
        let [r, g, b] = probe.color;
        out.push(Series {
            name: lab.probe_label(i),
            color: egui::Color32::from_rgb(r, g, b),
            ghost: None,
            soma: i == 0,
            points: thin(|k| probe.t.get(k), |k| probe.v.get(k), first..n, MAX_POINTS),
        });
    }
    for (k, trial) in lab.trials.iter().enumerate() {
        for (j, tr) in trial.traces.iter().enumerate() {
            let n = tr.t_ms.len().min(tr.v_mv.len());
            let first = tr.t_ms[..n].partition_point(|&t| t < t0);
            let last = tr.t_ms[..n].partition_point(|&t| t <= t1);
            let [r, g, b] = tr.color;
            out.push(Series {
                name: trial.label.clone(),
                // Paler than the live line of the same probe, and dashed: told apart at a
                // glance as well as by the dashes.
                color: egui::Color32::from_rgb(
                    (r as u16 + 2 * 235).div_ceil(3) as u8,
                    (g as u16 + 2 * 235).div_ceil(3) as u8,
                    (b as u16 + 2 * 235).div_ceil(3) as u8,
                ),
                ghost: Some(k),
                soma: j == 0,
                points: thin(
                    |q| tr.t_ms.get(q).copied(),
                    |q| tr.v_mv.get(q).copied(),
                    first..last.max(first),
                    MAX_GHOST_POINTS,
                ),
            });
        }
    }
    out
}

/// Lowest and highest value of the series, padded (at least 4 mV tall).
fn fit(series: &[&Series]) -> Option<(f64, f64)> {
    let (lo, hi) = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.y))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !(lo.is_finite() && hi.is_finite()) {
        return None;
    }
    let mid = 0.5 * (lo + hi);
    let half = (0.5 * (hi - lo)).max(2.0) * 1.08;
    Some((mid - half, mid + half))
}

fn span(series: &[&Series]) -> f64 {
    fit(series).map_or(0.0, |(lo, hi)| hi - lo)
}

fn draw<'a>(p: &mut PlotUi<'a>, series: &[&'a Series], width: f32) {
    const STYLES: [LineStyle; 3] = [
        LineStyle::Dashed { length: 10.0 },
        LineStyle::Dotted { spacing: 6.0 },
        LineStyle::Dashed { length: 4.0 },
    ];
    // Ghosts first: the live run is drawn over them.
    for s in series.iter().filter(|s| s.ghost.is_some()).chain(series.iter().filter(|s| s.ghost.is_none())) {
        let mut line = Line::new(s.name.as_str(), PlotPoints::Borrowed(&s.points)).color(s.color);
        line = match s.ghost {
            Some(k) => line.width(width).style(STYLES[k % STYLES.len()]),
            None => line.width(width),
        };
        p.line(line);
    }
}

/// Draws the traces into `ui` (the panel calls this inside its bottom panel) and returns
/// the rectangle the plots take.
pub fn show(ui: &mut egui::Ui, lab: &Lab, state: &UiState) -> egui::Rect {
    let (t0, t1, trial_axis) = time_span(lab, state);
    let all = series(lab, t0, t1);
    let width = if state.presenter { 3.0 } else { 1.5 };
    let refs: Vec<&Series> = all.iter().collect();
    let soma: Vec<&Series> = refs.iter().copied().filter(|s| s.soma).collect();
    let others: Vec<&Series> = refs.iter().copied().filter(|s| !s.soma).collect();
    // The soma gets its own inset when the others dwarf it.
    let inset =
        !state.trace_fixed && !others.is_empty() && span(&soma) * 4.0 < span(&others) && span(&others) > 8.0;
    let x_label = if trial_axis { "t from the trial's start (ms)" } else { "t (ms)" };
    let make = |id: &str| {
        let mut plot = Plot::new(id.to_string())
            .x_axis_label(x_label)
            .y_axis_label("v (mV)")
            .y_axis_min_width(36.0)
            .y_grid_spacer(egui_plot::log_grid_spacer(5));
        if state.trace_fixed {
            plot = plot.include_y(-80.0).include_y(40.0);
        }
        if !lab.paused {
            plot = plot.allow_drag(false).allow_zoom(false).allow_scroll(false);
        }
        plot
    };
    let show_in = |ui: &mut egui::Ui, plot: Plot, lines: &[&Series]| {
        let bounds = fit(lines);
        plot.show(ui, |p| {
            draw(p, lines, width);
            // The recorded moment shown on the tree: a cursor, kept in view.
            if let Some(at) = state.playhead.at {
                p.vline(VLine::new("shown", at).color(egui::Color32::WHITE).width(width));
                let b = p.plot_bounds();
                if at < b.min()[0] || at > b.max()[0] {
                    let w = (b.max()[0] - b.min()[0]).max(1.0);
                    p.set_plot_bounds_x(at - 0.75 * w..=at + 0.25 * w);
                }
            }
            if !lab.paused {
                p.set_plot_bounds_x(t0..=t1);
                match bounds {
                    Some((lo, hi)) if !state.trace_fixed => p.set_plot_bounds_y(lo..=hi),
                    _ => p.set_plot_bounds_y(-80.0..=40.0),
                }
            }
        })
        .response
        .rect
    };
    // The legend above the plots, never over the newest data: each line's name in its
    // colour, a ghost's dashed.
    ui.horizontal_wrapped(|ui| {
        let mut seen = std::collections::BTreeSet::new();
        for s in &all {
            if !seen.insert((s.name.clone(), s.ghost.is_some())) {
                continue;
            }
            let mark = if s.ghost.is_some() { "- - " } else { "—— " };
            ui.label(egui::RichText::new(format!("{mark}{}", s.name)).color(s.color).strong());
        }
    });
    let h = ui.available_height().max(40.0);
    if inset {
        let w = ui.available_width();
        let spacing = ui.spacing().item_spacing.x;
        let inset_w = (w * 0.3).max(120.0).min(w * 0.5);
        ui.horizontal(|ui| {
            let a = show_in(ui, make("traces").width(w - inset_w - spacing).height(h), &others);
            let b = show_in(ui, make("soma inset").width(inset_w).height(h), &soma);
            a.union(b)
        })
        .inner
    } else {
        show_in(ui, make("traces").height(h), &refs)
    }
}

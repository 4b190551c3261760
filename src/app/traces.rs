//! Live scrolling voltage traces (egui_plot): the last N ms of every probe, in the
//! probe's colour. While paused the plot can be zoomed and dragged for inspection.

use super::state::UiState;
use crate::lab::Lab;
use bevy::prelude::*;
use bevy_egui::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints};

/// Draws the traces into `ui` (the panel calls this inside its bottom panel).
pub fn show(ui: &mut egui::Ui, lab: &Lab, state: &UiState) {
    let t_now = lab.t();
    let t0 = t_now - state.trace_window_ms;
    let width = if state.presenter { 3.0 } else { 1.5 };
    let mut plot = Plot::new("traces")
        .legend(Legend::default())
        .x_axis_label("t (ms)")
        .y_axis_label("v (mV)")
        .y_axis_min_width(36.0)
        .y_grid_spacer(egui_plot::uniform_grid_spacer(|_| [5.0, 20.0, 100.0]))
        .include_y(-80.0)
        .include_y(40.0);
    if !lab.paused {
        plot = plot.allow_drag(false).allow_zoom(false).allow_scroll(false);
    }
    plot.show(ui, |p| {
        for (i, probe) in lab.probes.iter().enumerate() {
            let n = probe.t.len();
            // Only the samples in the window, at most ~2000 points per line.
            let first = (0..n).position(|k| probe.t.get(k).unwrap_or(f64::MIN) >= t0).unwrap_or(n);
            let step = ((n - first) / 2000).max(1);
            let pts: Vec<[f64; 2]> = (first..n)
                .step_by(step)
                .filter_map(|k| Some([probe.t.get(k)?, probe.v.get(k)?]))
                .filter(|q| q[1].is_finite())
                .collect();
            let [r, g, b] = probe.color;
            let name = lab.probe_label(i);
            p.line(
                Line::new(name, PlotPoints::new(pts)).color(egui::Color32::from_rgb(r, g, b)).width(width),
            );
        }
        if !lab.paused {
            p.set_plot_bounds_x(t0.max(0.0)..=t_now.max(t0.max(0.0) + 1.0));
        }
    });
}

pub(super) fn plugin(_app: &mut App) {}

//! The colouring controls and the colour bar with its ticks (in the panel and, in
//! presenter mode, over the view).

use super::super::colour;
use super::super::state::UiState;
use crate::lab::Quantity;
use bevy_egui::egui;

/// Tick values for the range lo..hi: a round step giving about five ticks.
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = hi - lo;
    if !(span.is_finite() && span > 0.0) {
        return vec![lo];
    }
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last.min(first + 20)).map(|k| k as f64 * step).collect()
}

/// The colour map as a bar `width` wide with ticks and their values below it.
pub fn colour_bar(ui: &mut egui::Ui, map: usize, lo: f64, hi: f64, width: f32) {
    let font = egui::TextStyle::Small.resolve(ui.style());
    let text_h = font.size + 2.0;
    let (rect, _) = ui.allocate_exact_size(egui::vec2(width, 16.0 + 5.0 + text_h), egui::Sense::hover());
    let bar = egui::Rect::from_min_size(rect.min, egui::vec2(width, 16.0));
    let n = 64;
    let painter = ui.painter();
    for k in 0..n {
        let t0 = k as f32 / n as f32;
        let [r, g, b] = colour::sample(map, t0 + 0.5 / n as f32);
        let x0 = bar.left() + bar.width() * t0;
        let x1 = bar.left() + bar.width() * (k + 1) as f32 / n as f32;
        painter.rect_filled(
            egui::Rect::from_min_max(egui::pos2(x0, bar.top()), egui::pos2(x1 + 0.5, bar.bottom())),
            0.0,
            egui::Color32::from_rgb(r, g, b),
        );
    }
    let colour = ui.visuals().text_color();
    for v in ticks(lo, hi) {
        let x = bar.left() + bar.width() * ((v - lo) / (hi - lo)) as f32;
        painter.line_segment(
            [egui::pos2(x, bar.bottom()), egui::pos2(x, bar.bottom() + 5.0)],
            egui::Stroke::new(1.5, colour),
        );
        let label = if v.abs() >= 1.0 || v == 0.0 { format!("{v:.0}") } else { format!("{v:.2}") };
        painter.text(
            egui::pos2(x, bar.bottom() + 5.0),
            egui::Align2::CENTER_TOP,
            label,
            font.clone(),
            colour,
        );
    }
}

pub(super) fn colour_controls(ui: &mut egui::Ui, state: &mut UiState, lab: &crate::lab::Lab) {
    // The difference from a kept trial (its recording), blue where lower, red where
    // higher: where a drug changed the cell.
    let recorded = lab.recorded_trials();
    if state.difference_from.is_some_and(|k| !recorded.iter().any(|&(j, _)| j == k)) {
        state.difference_from = None;
        state.range = state.quantity.default_range();
    }
    if !recorded.is_empty() {
        let shown = match state.difference_from {
            Some(k) => format!("minus trial '{}'", lab.trials[k].label),
            None => "no difference".into(),
        };
        egui::ComboBox::from_id_salt("difference")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                if ui.selectable_label(state.difference_from.is_none(), "no difference").clicked() {
                    state.difference_from = None;
                    state.range = state.quantity.default_range();
                }
                for (k, label) in &recorded {
                    let k = *k;
                    if ui
                        .selectable_label(state.difference_from == Some(k), format!("minus trial '{label}'"))
                        .clicked()
                    {
                        state.difference_from = Some(k);
                        state.range = (-30.0, 30.0);
                        state.colormap = colour::MAPS.len() - 1;
                    }
                }
            })
            .response
            .on_hover_text(
                "colour by the voltage now minus a kept trial's at the same time after its start (mV)",
            );
    }
    egui::ComboBox::from_id_salt("quantity").selected_text(state.quantity.label()).show_ui(ui, |ui| {
        for q in Quantity::ALL {
            if ui.selectable_value(&mut state.quantity, q, q.label()).changed() {
                state.range = q.default_range();
            }
        }
    });
    egui::ComboBox::from_id_salt("map").selected_text(colour::MAPS[state.colormap].0).show_ui(ui, |ui| {
        for (k, (name, _)) in colour::MAPS.iter().enumerate() {
            ui.selectable_value(&mut state.colormap, k, *name);
        }
    });
    ui.horizontal(|ui| {
        ui.add(egui::DragValue::new(&mut state.range.0).speed(0.5).prefix("min "));
        ui.add(egui::DragValue::new(&mut state.range.1).speed(0.5).prefix("max "));
        if ui.button("Default").clicked() {
            state.range = state.quantity.default_range();
        }
    });
    if !(state.range.0.is_finite() && state.range.1.is_finite()) {
        state.range = state.quantity.default_range();
    } else if state.range.1 <= state.range.0 {
        state.range.1 = state.range.0 + 1e-3;
    }
    let w = ui.available_width().min(260.0);
    colour_bar(ui, state.colormap, state.range.0, state.range.1, w);
}

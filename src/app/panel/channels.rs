//! The pharmacology (drugs per region) and the channels (a switch per mechanism and
//! region, a slider per conductance density, unit and range from the catalogue).

use super::super::state::UiState;
use crate::lab::Lab;
use crate::lab::biophysics::REGIONS;
use crate::lab::pharmacology::Drug;
use bevy_egui::egui;

pub(super) fn pharmacology(ui: &mut egui::Ui, lab: &mut Lab, state: &mut UiState) {
    egui::Grid::new("drugs").striped(true).show(ui, |ui| {
        ui.label("");
        for (r, _) in REGIONS {
            ui.label(r);
        }
        ui.end_row();
        for d in Drug::ALL {
            ui.label(d.name()).on_hover_text(format!("blocks {}", d.blocks()));
            for (r, _) in REGIONS {
                let mut on = lab.drug_on(d, r);
                if ui
                    .checkbox(&mut on, "")
                    .on_hover_text(format!("{} in {r}: blocks {}", d.name(), d.blocks()))
                    .changed()
                {
                    lab.set_drug(d, r, on);
                }
            }
            ui.end_row();
        }
    });
    let mut mg = lab.mg_mm;
    if ui.add(egui::Slider::new(&mut mg, 0.0..=4.0).text("[Mg2+] mM")).changed() {
        lab.set_mg(mg);
    }
    let mut gamma = lab.nmda_gamma;
    if ui.add(egui::Slider::new(&mut gamma, 0.05..=0.1).text("Mg block slope /mV")).changed() {
        lab.nmda_gamma = gamma;
        lab.set_mg(lab.mg_mm);
    }
    let mut celsius = lab.sim.config.celsius;
    if ui.add(egui::Slider::new(&mut celsius, 0.0..=40.0).text("temperature degC (hh Q10 = 3)")).changed()
        && let Err(e) = lab.sim.set_celsius(celsius)
    {
        state.fail(format!("temperature: {e}"));
    }
}

pub(super) fn densities(ui: &mut egui::Ui, lab: &mut Lab, state: &mut UiState) {
    egui::Grid::new("densities").striped(true).show(ui, |ui| {
        let mut last_slot = None;
        for (slot, param) in lab.densities() {
            let m = &lab.sim.mechs[slot];
            let label = format!("{} {} ({})", m.mech.name(), param, m.label);
            let entry = crate::sim::mechanisms::catalogue::entry(m.mech.name());
            let info = entry.and_then(|e| e.param(param));
            let (unit, max) = info.map_or(("S/cm2", 1.0), |p| (p.unit, p.max));

            let mut v = m.mech.param(param, 0).unwrap_or(0.0);
            // One switch per mechanism and region, on the row of its first density.
            if last_slot != Some(slot) {
                let mut on = !lab.switched_off(slot);
                let hover = |ui: &mut egui::Ui| {
                    ui.label(format!(
                        "{} in the {}: off blocks it whatever the drugs",
                        m.mech.name(),
                        m.label
                    ));
                };
                if ui.checkbox(&mut on, "").on_hover_ui(hover).changed() {
                    lab.set_mechanism_on(slot, on);
                }
                last_slot = Some(slot);
            } else {
                ui.label("");
            }
            // What the mechanism is, from the catalogue, when the pointer rests on its name
            // (written only then).
            let about = ui.label(label);
            if let Some(e) = entry {
                about.on_hover_ui(|ui| {
                    let ions = |v: &[&str]| if v.is_empty() { "nothing".to_string() } else { v.join(", ") };
                    ui.label(format!(
                        "{}: {}; reads {}, writes {}",
                        e.name,
                        e.title,
                        ions(e.reads),
                        ions(e.writes)
                    ));
                });
            }
            let blocked = lab.density_blocked(slot, param);
            // Conductances span decades (1e-6 to a few S/cm2): a logarithmic slider over
            // the catalogue's range.
            let slider = egui::Slider::new(&mut v, 0.0..=max)
                .logarithmic(true)
                .smallest_positive(1e-7)
                .suffix(format!(" {unit}"));
            if ui.add_enabled(!blocked, slider).changed()
                && let Err(e) = lab.set_density(slot, param, v)
            {
                state.fail(e);
            }
            ui.end_row();
        }
    });
}

//! The keyboard: every action of the panel has a key, and H (or F1) shows them all.

use super::files::{FileDialogs, FileJob};
use super::simulation::SimClock;
use super::state::{LabRes, Tool, UiState};
use crate::lab::{FirePattern, Quantity};
use bevy::prelude::*;
use bevy_egui::input::EguiWantsInput;

/// The keys, as the help overlay lists them.
pub const HELP: &[(&str, &str)] = &[
    ("Enter", "act with the tool where the pointer is (as a left click)"),
    ("Space", "fire the selected synapses (all, if none selected)"),
    ("B / O", "fire a burst / a Poisson train"),
    ("I / U", "fire a sequence inward (distal first) / outward"),
    ("P", "pause or run"),
    ("N", "single step (while paused)"),
    ("R", "reset to t = 0"),
    ("T", "a trial: reset, play the trial's protocol, keep its traces as a labelled ghost"),
    ("L", "linearity meter: the selection's response beside the sum of its parts"),
    ("[ and ]", "slower / faster"),
    ("1 2 3 4 5", "tool: synapse, probe, clamp, select, move"),
    ("A / Esc", "select all synapses / none"),
    ("Delete", "remove the selected synapses"),
    ("C / M", "colour by the next quantity / the next colour map"),
    ("F / G", "frame the cell / the selection"),
    ("Arrows, + and -", "orbit and zoom (mouse: right drag, middle drag, wheel)"),
    ("Shift+arrows", "pan the view"),
    (", and .", "step the recording back / forward (the tree and the traces show that moment)"),
    ("Home / End", "the oldest recorded moment / back to the live present"),
    ("K", "replay the recording from the moment shown (again: stop)"),
    ("S", "slow motion: spikes, bAPs, NMDA and Ca2+ spikes shown again at 1 ms/s"),
    ("Ctrl+O / Ctrl+S / Ctrl+L", "open an SWC / save the setup / load a setup"),
    ("Ctrl+E / Ctrl+P", "export the traces (CSV) / save the view (PNG)"),
    ("F11", "presenter mode (large, high contrast, dark background)"),
    ("Tab", "hide or show the side panel"),
    ("H or F1", "this help"),
];

/// Whether Ctrl is part of this frame's keys. A chord pressed and released within one
/// frame (Ctrl down, P down, both up) shows Ctrl as just pressed or just released, not
/// as held: it is still Ctrl+P (save the view), not P (pause).
pub(super) fn ctrl_held(keys: &ButtonInput<KeyCode>) -> bool {
    [KeyCode::ControlLeft, KeyCode::ControlRight]
        .into_iter()
        .any(|k| keys.pressed(k) || keys.just_pressed(k) || keys.just_released(k))
}

#[allow(clippy::too_many_arguments)]
fn shortcuts(
    keys: Res<ButtonInput<KeyCode>>,
    egui: Option<Res<EguiWantsInput>>,
    mut lab: ResMut<LabRes>,
    mut ui: ResMut<UiState>,
    mut clock: ResMut<SimClock>,
    mut dialogs: ResMut<FileDialogs>,
    hover: Res<super::picking::Hover>,
) {
    if egui.as_ref().is_some_and(|e| e.wants_any_keyboard_input()) {
        return;
    }
    let ctrl = ctrl_held(&keys);
    let lab = &mut lab.0;
    let pressed = |k| keys.just_pressed(k);
    if ctrl {
        let job = [
            (KeyCode::KeyO, FileJob::OpenSwc),
            (KeyCode::KeyS, FileJob::SaveSetup),
            (KeyCode::KeyL, FileJob::OpenSetup),
            (KeyCode::KeyE, FileJob::ExportCsv),
            (KeyCode::KeyP, FileJob::SavePng),
        ]
        .into_iter()
        .find(|(k, _)| pressed(*k));
        if let Some((_, job)) = job {
            dialogs.request(job);
        }
        return;
    }
    let fire = |lab: &mut crate::lab::Lab, ui: &mut UiState, p: FirePattern| {
        ui.say(lab.fire_and_say(p));
    };
    if pressed(KeyCode::Enter) || pressed(KeyCode::NumpadEnter) {
        match hover.section {
            Some(sec) => {
                let add = keys.pressed(KeyCode::ShiftLeft) || keys.pressed(KeyCode::ShiftRight);
                super::picking::apply_tool_at(lab, &mut ui, sec, hover.x, add);
            }
            None => ui.fail("point at the tree first, then press Enter"),
        }
    }
    if pressed(KeyCode::Space) {
        fire(lab, &mut ui, FirePattern::Single);
    }
    if pressed(KeyCode::KeyB) {
        let p = ui.burst();
        fire(lab, &mut ui, p);
    }
    if pressed(KeyCode::KeyO) {
        let p = ui.poisson();
        fire(lab, &mut ui, p);
    }
    if pressed(KeyCode::KeyI) {
        let p = ui.sequence(true);
        fire(lab, &mut ui, p);
    }
    if pressed(KeyCode::KeyU) {
        let p = ui.sequence(false);
        fire(lab, &mut ui, p);
    }
    if pressed(KeyCode::KeyP) {
        lab.paused = !lab.paused;
    }
    if pressed(KeyCode::KeyT) && lab.trial.is_none() {
        let msg = lab.start_trial(ui.trial_plan());
        ui.say(msg);
    }
    if pressed(KeyCode::KeyN) {
        lab.paused = true;
        clock.step_once = true;
    }
    if pressed(KeyCode::KeyR) {
        lab.reset();
        ui.say("reset to t = 0");
    }
    if pressed(KeyCode::BracketLeft) {
        lab.speed = (lab.speed / 2.0).max(0.5);
    }
    if pressed(KeyCode::BracketRight) {
        lab.speed = (lab.speed * 2.0).min(crate::lab::session::MAX_SPEED);
    }
    for (k, tool) in [KeyCode::Digit1, KeyCode::Digit2, KeyCode::Digit3, KeyCode::Digit4, KeyCode::Digit5]
        .into_iter()
        .zip(Tool::ALL)
    {
        if pressed(k) {
            ui.tool = tool;
        }
    }
    if pressed(KeyCode::KeyA) {
        lab.select_all(true);
    }
    if pressed(KeyCode::Escape) {
        lab.select_all(false);
        ui.show_help = false;
    }
    if pressed(KeyCode::Delete) || pressed(KeyCode::Backspace) {
        let before = lab.synapses.len();
        lab.remove_selected();
        ui.say(format!("removed {} synapses", before - lab.synapses.len()));
    }
    if pressed(KeyCode::KeyC) {
        let i = Quantity::ALL.iter().position(|q| *q == ui.quantity).unwrap_or(0);
        ui.quantity = Quantity::ALL[(i + 1) % Quantity::ALL.len()];
        ui.range = ui.quantity.default_range();
    }
    if pressed(KeyCode::KeyM) {
        ui.colormap = (ui.colormap + 1) % super::colour::MAPS.len();
    }
    if pressed(KeyCode::F11) {
        ui.presenter = !ui.presenter;
    }
    if pressed(KeyCode::Tab) {
        ui.hide_panel = !ui.hide_panel;
    }
    if pressed(KeyCode::KeyH) || pressed(KeyCode::F1) {
        ui.show_help = !ui.show_help;
    }
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, shortcuts.in_set(super::LabSet::Input));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chord_within_one_frame_is_still_a_chord() {
        let mut keys = ButtonInput::<KeyCode>::default();
        keys.press(KeyCode::ControlLeft);
        keys.press(KeyCode::KeyP);
        keys.release(KeyCode::KeyP);
        keys.release(KeyCode::ControlLeft);
        // All within one frame: nothing is held any more, both were just pressed.
        assert!(keys.just_pressed(KeyCode::KeyP) && !keys.pressed(KeyCode::ControlLeft));
        assert!(ctrl_held(&keys));
        // The next frame, P alone is P.
        keys.clear();
        keys.press(KeyCode::KeyP);
        assert!(!ctrl_held(&keys));
    }
}

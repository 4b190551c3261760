//! Clicks on the tree (Bevy mesh picking): the hit point maps to the nearest place on a
//! section (its section and x), where the current tool acts.

use super::scene::{Tree, TreeView};
use super::state::{LabRes, Tool, UiState};
use crate::lab::Lab;
use bevy::picking::events::{Click, Move, Out, Pointer};
use bevy::picking::pointer::PointerButton;
use bevy::prelude::*;

/// Applies `ui.tool` at location `x` of `section`. `add` extends a selection instead of
/// replacing it. Reports what happened in the status line.
pub fn apply_tool_at(lab: &mut Lab, ui: &mut UiState, section: usize, x: f64, add: bool) {
    let name = lab.sim.cell.morphology.sections.get(section).map(|s| s.name.clone()).unwrap_or_default();
    match ui.tool {
        Tool::Synapse => match lab.add_synapse(section, x, ui.syn_kind, ui.syn_weight_ns) {
            Ok(i) => {
                lab.set_nmda_ratio(i, ui.syn_nmda_ratio);
                // Placing adds to the selection (Esc clears it), so that Space after
                // placing ten fires the ten.
                lab.synapses[i].selected = true;
                let n = lab.synapses.iter().filter(|s| s.selected).count();
                ui.say(format!(
                    "{} synapse at {name}({x:.3}); {n} selected, space fires them (Esc clears)",
                    ui.syn_kind.label()
                ));
            }
            Err(e) => ui.fail(e),
        },
        Tool::Probe => match lab.add_probe(section, x) {
            Ok(_) => ui.say(format!("probe at {name}({x:.3})")),
            Err(e) => ui.fail(e),
        },
        Tool::Clamp => match lab.add_clamp(section, x, ui.clamp_amp_na, ui.clamp_delay_ms, ui.clamp_dur_ms) {
            Ok(_) => ui.say(format!(
                "current clamp at {name}({x:.3}): {} nA for {} ms",
                ui.clamp_amp_na, ui.clamp_dur_ms
            )),
            Err(e) => ui.fail(e),
        },
        Tool::Select => {
            let morph = &lab.sim.cell.morphology;
            let (p, _) = morph.sections[section].at(x);
            let nearest = lab
                .synapses
                .iter()
                .enumerate()
                .map(|(i, s)| (i, (morph.sections[s.section].at(s.x).0 - p).norm()))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if !add {
                lab.select_all(false);
            }
            match nearest {
                Some((i, d)) if d < 50.0 => {
                    lab.synapses[i].selected = !lab.synapses[i].selected || !add;
                    ui.say(format!(
                        "selected synapse {i} ({} selected)",
                        lab.synapses.iter().filter(|s| s.selected).count()
                    ));
                }
                _ => ui.say("no synapse within 50 um; selection cleared"),
            }
        }
        Tool::Move => {
            let sel: Vec<usize> = (0..lab.synapses.len()).filter(|&i| lab.synapses[i].selected).collect();
            match sel.as_slice() {
                [i] => match lab.move_synapse(*i, section, x) {
                    Ok(()) => ui.say(format!("moved synapse {i} to {name}({x:.3})")),
                    Err(e) => ui.fail(e),
                },
                [] => ui.fail("select one synapse to move (Select tool)"),
                _ => ui.fail("select exactly one synapse to move"),
            }
        }
    }
}

fn on_tree_click(
    click: On<Pointer<Click>>,
    mut lab: ResMut<LabRes>,
    mut ui: ResMut<UiState>,
    view: Res<TreeView>,
    keys: Res<ButtonInput<KeyCode>>,
) {
    if click.event.button != PointerButton::Primary {
        return;
    }
    let Some(world) = click.event.hit.position else { return };
    let p = view.to_cell(world);
    let Some(loc) = crate::lab::geometry::nearest_location(&lab.0.sim.cell, p) else { return };
    let add = keys.pressed(KeyCode::ShiftLeft) || keys.pressed(KeyCode::ShiftRight);
    apply_tool_at(&mut lab.0, &mut ui, loc.section, loc.x, add);
}

/// The place under the pointer, for the panel's read-out.
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct Hover {
    pub section: Option<usize>,
    pub x: f64,
}

fn on_tree_move(moved: On<Pointer<Move>>, lab: Res<LabRes>, view: Res<TreeView>, mut hover: ResMut<Hover>) {
    let Some(world) = moved.event.hit.position else { return };
    if let Some(loc) = crate::lab::geometry::nearest_location(&lab.0.sim.cell, view.to_cell(world)) {
        *hover = Hover { section: Some(loc.section), x: loc.x };
    }
}

fn on_tree_out(_: On<Pointer<Out>>, mut hover: ResMut<Hover>) {
    hover.section = None;
}

/// What the pointer is over, in words: section, position, distance from the soma, and
/// the voltage there.
pub fn hover_text(lab: &Lab, hover: &Hover) -> Option<String> {
    let sec = hover.section?;
    let m = &lab.sim.cell.morphology;
    let s = m.sections.get(sec)?;
    let node = lab.sim.cell.compartment_at(sec, hover.x);
    Some(format!(
        "{}({:.2}), {}, {:.0} um from the soma: {:.1} mV",
        s.name,
        hover.x,
        s.region.label(),
        m.path_distance(0.5, sec, hover.x),
        lab.sim.v[node as usize]
    ))
}

fn attach_observer(mut commands: Commands, added: Query<Entity, Added<Tree>>) {
    for e in &added {
        commands.entity(e).observe(on_tree_click).observe(on_tree_move).observe(on_tree_out);
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Hover>();
    app.add_systems(Update, attach_observer.in_set(super::LabSet::View));
}

//! The changes a scene may have before (or, for some, during) a run: drugs, [Mg2+],
//! channels switched off, parameters scaled or set at a place, densities set by hand; a
//! lesson's condition lists them, a saved setup records them, and both apply them through
//! [`apply_change`]. Numbers may be run variables ([`Amount`]).

use super::ResolvedScene;
use crate::lab::Lab;
use crate::lab::error::LabError;
use crate::lab::pharmacology::Drug;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A number, or the name of a run variable (`"$n"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Amount {
    Value(f64),
    Var(String),
}

impl Amount {
    /// The number, or the variable's value in `vars` (`$n` and `n` name the same one).
    pub fn get(&self, vars: &BTreeMap<String, f64>) -> Result<f64, LabError> {
        match self {
            Amount::Value(v) => Ok(*v),
            Amount::Var(name) => {
                let key = name.strip_prefix('$').unwrap_or(name);
                vars.get(key).copied().ok_or_else(|| LabError::Unknown {
                    what: "run variable",
                    name: name.clone(),
                    known: vars.keys().cloned().collect(),
                })
            }
        }
    }
}

/// A change to the scene before a run starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum Change {
    /// A drug in a region (soma, axon, basal, apical).
    Drug { drug: Drug, region: String },
    /// Extracellular [Mg2+] (mM).
    Mg { mm: f64 },
    /// One mechanism switched off in one region.
    Off { mechanism: String, region: String },
    /// A parameter of one mechanism in one region multiplied by `factor` everywhere
    /// (a partial block, a dose); the factor may be a run variable (`"$ca"`), so that a
    /// threshold can be searched over it.
    Scale { mechanism: String, region: String, param: String, factor: Amount },
    /// A parameter of one mechanism set to `value` at one place only: the node at the
    /// place's middle (e.g. the weight of the dCaAP at one site of the apical trunk, the
    /// mechanism being inserted with weight 0 over the whole region).
    SetAt { mechanism: String, place: String, param: String, value: f64 },
    /// A density of one mechanism in one region set to `value` everywhere (S/cm2), as the
    /// panel's sliders set it (what a saved setup records of them).
    Density { mechanism: String, region: String, param: String, value: f64 },
}

/// Sets `param` of `mechanism` to `value` at the node at the middle of `place`.
fn set_at(
    lab: &mut Lab,
    built: &ResolvedScene,
    mechanism: &str,
    place: &str,
    param: &str,
    value: f64,
) -> Result<(), LabError> {
    if !value.is_finite() {
        return Err(LabError::Value { what: "set_at's value", value, rule: "finite" });
    }
    let p = built.place(place)?;
    let (s, x) = p.middle();
    let node = lab.sim.cell.node_at(s, x.clamp(1e-6, 1.0 - 1e-6));
    let region = lab.sim.cell.morphology.sections[s].region.label();
    let slot = lab.mechanism_slot(mechanism, &region).ok_or_else(|| LabError::NotHere {
        mechanism: mechanism.to_string(),
        place: format!("{region} (at the place '{place}')"),
    })?;
    let m = &lab.sim.mechs[slot].mech;
    let i = m.nodes().iter().position(|&n| n == node).ok_or_else(|| LabError::NotHere {
        mechanism: mechanism.to_string(),
        place: format!("place '{place}'"),
    })?;
    m.param(param, i).ok_or_else(|| no_param(mechanism, param))?;
    Ok(lab.sim.set_param_at(slot, param, i, value)?)
}

/// `c` with its run variables replaced by their values in `vars`.
pub fn with_vars(c: &Change, vars: &BTreeMap<String, f64>) -> Result<Change, LabError> {
    Ok(match c {
        Change::Scale { mechanism, region, param, factor } => Change::Scale {
            mechanism: mechanism.clone(),
            region: region.clone(),
            param: param.clone(),
            factor: Amount::Value(factor.get(vars)?),
        },
        other => other.clone(),
    })
}

/// Applies one change to `lab` (places looked up in `built`): the lessons' conditions
/// and the saved setups go through here.
pub fn apply_change(lab: &mut Lab, built: &ResolvedScene, c: &Change) -> Result<(), LabError> {
    let slot_of = |lab: &Lab, mechanism: &str, region: &str| {
        lab.mechanism_slot(mechanism, region)
            .ok_or_else(|| LabError::NotHere { mechanism: mechanism.to_string(), place: region.to_string() })
    };
    match c {
        Change::Drug { drug, region } => {
            crate::lab::biophysics::check_region(region)?;
            lab.set_drug(*drug, region, true);
        }
        Change::Mg { mm } => lab.set_mg(*mm),
        Change::Off { mechanism, region } => {
            let slot = slot_of(lab, mechanism, region)?;
            lab.set_mechanism_on(slot, false);
        }
        Change::Scale { mechanism, region, param, factor } => {
            let factor = factor.get(&BTreeMap::new())?;
            if !(factor.is_finite() && factor >= 0.0) {
                return Err(LabError::Value { what: "factor", value: factor, rule: "0 or more" });
            }
            let slot = slot_of(lab, mechanism, region)?;
            for i in 0..lab.sim.mechs[slot].mech.nodes().len() {
                let v = lab.sim.mechs[slot].mech.param(param, i).ok_or_else(|| no_param(mechanism, param))?;
                lab.sim.set_param_at(slot, param, i, v * factor)?;
            }
        }
        Change::SetAt { mechanism, place, param, value } => {
            set_at(lab, built, mechanism, place, param, *value)?;
        }
        Change::Density { mechanism, region, param, value } => {
            let slot = slot_of(lab, mechanism, region)?;
            let p = lab
                .densities()
                .into_iter()
                .find(|&(s, p)| s == slot && p == param)
                .map(|(_, p)| p)
                .ok_or_else(|| no_param(mechanism, param))?;
            lab.set_density(slot, p, *value)?;
        }
    }
    Ok(())
}

fn no_param(mechanism: &str, param: &str) -> LabError {
    LabError::Unknown { what: "parameter", name: format!("{mechanism}.{param}"), known: Vec::new() }
}

//! Saving and reopening a whole setup (cell, synapses, probes, clamps, drugs, [Mg2+],
//! view) as readable JSON with a version field.

use super::pharmacology::Drug;
use super::session::{Lab, Quantity, SynapseKind};
use crate::sim::morphology::Morphology;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The version this program writes and reads.
pub const SETUP_VERSION: u32 = 1;

/// A place on the tree by section name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub section: String,
    pub x: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynapseSetup {
    pub section: String,
    pub x: f64,
    pub kind: SynapseKind,
    pub weight_ns: f64,
    /// NMDA over AMPA peak conductance (1 when absent).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub nmda_ratio: f64,
    /// Part of the selection (what Space fires).
    #[serde(default, skip_serializing_if = "is_false")]
    pub selected: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn one() -> f64 {
    1.0
}

fn is_one(x: &f64) -> bool {
    *x == 1.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClampSetup {
    pub section: String,
    pub x: f64,
    pub amp_na: f64,
    pub delay_ms: f64,
    pub dur_ms: f64,
}

/// A conductance density set on a mechanism of a region (S/cm2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DensitySetup {
    pub mechanism: String,
    pub region: String,
    pub param: String,
    pub value: f64,
}

/// The camera: orbit target (um), angles (radians) and distance (um).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CameraSetup {
    pub target: [f32; 3],
    pub yaw: f32,
    pub pitch: f32,
    pub distance: f32,
}

/// How the tree is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ColourSetup {
    pub quantity: Quantity,
    pub min: f64,
    pub max: f64,
    /// Index of the colour map.
    pub map: u32,
}

/// Everything needed to reopen a lab as it was. Unknown fields are refused with their
/// name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    pub version: u32,
    /// `builtin:NAME` or the path of an SWC file.
    pub cell: String,
    #[serde(default)]
    pub synapses: Vec<SynapseSetup>,
    #[serde(default)]
    pub probes: Vec<Place>,
    #[serde(default)]
    pub clamps: Vec<ClampSetup>,
    #[serde(default)]
    pub drugs: Vec<(Drug, String)>,
    pub mg_mm: f64,
    pub nmda_gamma: f64,
    pub speed: f64,
    /// Temperature (degC); absent in older files.
    #[serde(default)]
    pub celsius: Option<f64>,
    /// The biophysics preset; absent means the first (the teaching Hodgkin-Huxley set).
    #[serde(default)]
    pub biophysics: Option<String>,
    /// Every conductance density of the mechanisms (uniform ones), as set.
    #[serde(default)]
    pub densities: Vec<DensitySetup>,
    /// Mechanisms switched off by hand: (mechanism, region).
    #[serde(default)]
    pub switched_off: Vec<(String, String)>,
    #[serde(default)]
    pub camera: Option<CameraSetup>,
    #[serde(default)]
    pub colour: Option<ColourSetup>,
    /// The lesson open when the setup was saved, with its last result (as
    /// `dendra lesson check --json` prints it); not read back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lesson: Option<serde_json::Value>,
    /// Kept trials, each with its label and traces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trials: Vec<super::trials::Trial>,
}

impl Lab {
    /// The setup of this lab (the view parts are the caller's).
    pub fn to_setup(&self, camera: Option<CameraSetup>, colour: Option<ColourSetup>) -> Setup {
        let name = |s: usize| self.sim.cell.morphology.sections[s].name.clone();
        Setup {
            version: SETUP_VERSION,
            cell: self.source.clone(),
            synapses: self
                .synapses
                .iter()
                .map(|s| SynapseSetup {
                    section: name(s.section),
                    x: s.x,
                    kind: s.kind,
                    weight_ns: s.weight_ns,
                    nmda_ratio: s.nmda_ratio,
                    selected: s.selected,
                })
                .collect(),
            probes: self.probes.iter().skip(1).map(|p| Place { section: name(p.section), x: p.x }).collect(),
            clamps: self
                .clamps
                .iter()
                .map(|c| {
                    let ic = &self.sim.stimuli.iclamps[c.engine];
                    ClampSetup {
                        section: name(c.section),
                        x: c.x,
                        amp_na: ic.amp,
                        delay_ms: (ic.delay - self.sim.t()).max(0.0),
                        dur_ms: ic.dur,
                    }
                })
                .collect(),
            drugs: self.drugs.iter().cloned().collect(),
            mg_mm: self.mg_mm,
            nmda_gamma: self.nmda_gamma,
            speed: self.speed,
            celsius: Some(self.sim.config.celsius),
            biophysics: Some(self.biophysics.clone()),
            // The preset's rules give every density; only what was set by hand is saved,
            // so that distributions (Hay's Ih gradient, the Ca2+ hot zone) reopen intact.
            densities: self
                .density_edits
                .iter()
                .map(|(&(slot, param), &value)| {
                    let m = &self.sim.mechs[slot];
                    DensitySetup {
                        mechanism: m.mech.name().to_string(),
                        region: m.label.clone(),
                        param: param.to_string(),
                        value,
                    }
                })
                .collect(),
            switched_off: (0..self.sim.mechs.len())
                .filter(|&slot| self.switched_off(slot))
                .map(|slot| {
                    (self.sim.mechs[slot].mech.name().to_string(), self.sim.mechs[slot].label.clone())
                })
                .collect(),
            camera,
            colour,
            lesson: None,
            trials: self.trials.clone(),
        }
    }

    /// Rebuilds a lab from a setup; relative cell paths are resolved against `base`.
    pub fn from_setup(setup: &Setup, base: &Path) -> Result<Lab, String> {
        Lab::from_setup_with(setup, base, None)
    }

    /// As [`Lab::from_setup`], with the cell's morphology already at hand (it is then not
    /// read again).
    pub fn from_setup_with(setup: &Setup, base: &Path, morph: Option<Morphology>) -> Result<Lab, String> {
        if setup.version != SETUP_VERSION {
            return Err(format!(
                "setup version {} is not supported (this program reads {SETUP_VERSION})",
                setup.version
            ));
        }
        let preset = setup.biophysics.clone().unwrap_or_else(|| super::biophysics::PRESETS[0].0.to_string());
        let (morph, source) = match (morph, setup.cell.strip_prefix("builtin:")) {
            (Some(m), _) => (m, setup.cell.clone()),
            (None, Some(name)) => (super::session::builtin_morphology(name)?, setup.cell.clone()),
            (None, None) => {
                let p = base.join(&setup.cell);
                let morph = Morphology::from_file(&p).map_err(|e| e.to_string())?;
                (morph, p.display().to_string())
            }
        };
        let mut lab = Lab::with_biophysics(morph, &source, &preset)?;
        let find = |lab: &Lab, name: &str| {
            lab.sim
                .cell
                .morphology
                .section_by_name(name)
                .ok_or_else(|| format!("the cell has no section '{name}'"))
        };
        use crate::sim::limits::{MAX_SYNAPSES, too_many};
        if setup.synapses.len() > MAX_SYNAPSES {
            return Err(format!("synapses: {}", too_many("synapses", setup.synapses.len(), MAX_SYNAPSES)));
        }
        if setup.probes.len() + 1 > super::session::MAX_LAB_PROBES {
            return Err(format!(
                "probes: {} (with the soma's)",
                too_many("probes", setup.probes.len() + 1, super::session::MAX_LAB_PROBES)
            ));
        }
        let mut notes = Vec::new();
        for (i, s) in setup.synapses.iter().enumerate() {
            let at = |e: String| format!("synapses[{i}]: {e}");
            let sec = find(&lab, &s.section).map_err(at)?;
            let k = lab.add_synapse(sec, s.x, s.kind, s.weight_ns).map_err(at)?;
            lab.set_nmda_ratio(k, s.nmda_ratio);
            lab.synapses[k].selected = s.selected;
            if lab.synapses[k].weight_ns != s.weight_ns {
                notes.push(format!(
                    "synapses[{i}]: weight {} nS set to {} nS",
                    num(s.weight_ns),
                    num(lab.synapses[k].weight_ns)
                ));
            }
        }
        for (i, p) in setup.probes.iter().enumerate() {
            let at = |e: String| format!("probes[{i}]: {e}");
            let sec = find(&lab, &p.section).map_err(at)?;
            lab.add_probe(sec, p.x).map_err(at)?;
        }
        for (i, c) in setup.clamps.iter().enumerate() {
            let at = |e: String| format!("clamps[{i}]: {e}");
            let sec = find(&lab, &c.section).map_err(at)?;
            let k = lab.add_clamp(sec, c.x, c.amp_na, c.delay_ms, c.dur_ms).map_err(at)?;
            let amp = lab.sim.stimuli.iclamps[lab.clamps[k].engine].amp;
            if amp != c.amp_na {
                notes.push(format!("clamps[{i}]: amplitude {} nA set to {} nA", num(c.amp_na), num(amp)));
            }
        }
        for (i, d) in setup.densities.iter().enumerate() {
            let found = lab.densities().into_iter().find(|&(slot, p)| {
                let m = &lab.sim.mechs[slot];
                m.mech.name() == d.mechanism && m.label == d.region && p == d.param
            });
            match found {
                // Older setups list every density, sampled at one node: a distributed
                // density whose sample is unchanged is the preset's, not an edit.
                Some((slot, p)) if is_flattened_sample(&lab, slot, p, d.value) => {}
                Some((slot, p)) => {
                    lab.set_density(slot, p, d.value).map_err(|e| format!("densities[{i}]: {e}"))?
                }
                None => {
                    return Err(format!(
                        "densities[{i}]: the lab has no {} {} in the {}",
                        d.mechanism, d.param, d.region
                    ));
                }
            }
        }
        if let Some(c) = setup.celsius {
            lab.sim.set_celsius(c).map_err(|e| format!("celsius: {e}"))?;
        }
        for (i, (d, r)) in setup.drugs.iter().enumerate() {
            if !super::biophysics::REGIONS.iter().any(|(l, _)| l == r) {
                let regions: Vec<&str> = super::biophysics::REGIONS.iter().map(|(l, _)| *l).collect();
                return Err(format!("drugs[{i}]: no region '{r}' (regions: {})", regions.join(", ")));
            }
            lab.set_drug(*d, r, true);
        }
        for (i, (name, region)) in setup.switched_off.iter().enumerate() {
            let slot = lab.mechanism_slot(name, region);
            match slot {
                Some(s) => lab.set_mechanism_on(s, false),
                None => return Err(format!("switched_off[{i}]: the lab has no {name} in the {region}")),
            }
        }
        lab.nmda_gamma = if setup.nmda_gamma.is_finite() { setup.nmda_gamma.clamp(0.0, 0.2) } else { 0.062 };
        if lab.nmda_gamma != setup.nmda_gamma {
            notes.push(format!("nmda_gamma {} set to {}", num(setup.nmda_gamma), num(lab.nmda_gamma)));
        }
        lab.set_mg(setup.mg_mm);
        if lab.mg_mm != setup.mg_mm {
            notes.push(format!("mg_mm {} set to {}", num(setup.mg_mm), num(lab.mg_mm)));
        }
        if setup.speed.is_finite() && setup.speed > 0.0 {
            lab.speed = setup.speed.min(super::session::MAX_SPEED);
        }
        if lab.speed != setup.speed {
            notes.push(format!("speed {} set to {} ms/s", num(setup.speed), num(lab.speed)));
        }
        lab.trials = checked_trials(&setup.trials)?;
        lab.notes = notes;
        Ok(lab)
    }
}

/// The trials of a setup, refused when larger than a lab keeps or inconsistent.
fn checked_trials(trials: &[super::trials::Trial]) -> Result<Vec<super::trials::Trial>, String> {
    use super::trials::{MAX_TRIAL_POINTS, MAX_TRIALS};
    use crate::sim::limits::too_many;
    if trials.len() > MAX_TRIALS {
        return Err(format!("trials: {}", too_many("trials", trials.len(), MAX_TRIALS)));
    }
    for (i, t) in trials.iter().enumerate() {
        if t.traces.len() > super::session::MAX_LAB_PROBES {
            return Err(format!(
                "trials[{i}]: {}",
                too_many("traces", t.traces.len(), super::session::MAX_LAB_PROBES)
            ));
        }
        for (j, tr) in t.traces.iter().enumerate() {
            let at = format!("trials[{i}].traces[{j}]");
            if tr.t_ms.len() != tr.v_mv.len() {
                return Err(format!(
                    "{at}: t_ms has {} values but v_mv has {}",
                    tr.t_ms.len(),
                    tr.v_mv.len()
                ));
            }
            if tr.t_ms.len() > MAX_TRIAL_POINTS {
                return Err(format!("{at}: {}", too_many("samples", tr.t_ms.len(), MAX_TRIAL_POINTS)));
            }
            if !tr.t_ms.is_sorted() {
                return Err(format!("{at}: t_ms must increase"));
            }
        }
    }
    Ok(trials.to_vec())
}

/// Whether `value` is the first node's value of a density that varies along the cell.
fn is_flattened_sample(lab: &Lab, slot: usize, param: &str, value: f64) -> bool {
    let m = &lab.sim.mechs[slot].mech;
    let n = m.nodes().len();
    let first = m.param(param, 0);
    first == Some(value) && (1..n).any(|k| m.param(param, k) != first)
}

/// A number as a message shows it: short, in exponent form when huge or tiny.
fn num(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e6).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Reads a setup file.
pub fn read_setup(path: &Path) -> Result<Setup, String> {
    let text = crate::sim::textfile::read_text_limited(path, crate::sim::textfile::MAX_JSON_BYTES)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not a Dendra setup: {e}", path.display()))
}

/// Writes a setup file (pretty JSON).
pub fn write_setup(path: &Path, setup: &Setup) -> Result<(), String> {
    let text = serde_json::to_string_pretty(setup).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

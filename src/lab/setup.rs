//! Saving and reopening a whole setup as readable JSON with a version field.
//!
//! Version 2 is the lessons' format without text and claims: a [`Scene`] (the cell, its
//! biophysics, named places, synapse groups, probes) and [`Change`]s (drugs, [Mg2+],
//! channels switched off, densities set by hand), plus what the lab adds (clamps, speed,
//! temperature, the selection, the view, kept trials, the open lesson's result). What
//! was placed by hand is saved as `at` places (section and x); a lesson's scene with
//! rule-found places opens as a setup too. Version 1 files (a flat list of synapses,
//! probes and drugs by section name) still open: they are read into version 2.

use super::error::LabError;
use super::lesson::place::PlaceRule;
use super::lesson::run::{Change, apply_change};
use super::lesson::{Built, Group, Scene};
use super::pharmacology::Drug;
use super::session::{Lab, Quantity, SynapseKind};
use crate::sim::morphology::{Morphology, gallery};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The version this program writes.
pub const SETUP_VERSION: u32 = 2;

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

/// Everything needed to reopen a lab as it was (version 2). Unknown fields are refused
/// with their name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    pub version: u32,
    /// The cell (a gallery name, or a file's path relative to the setup), biophysics,
    /// places, synapse groups and probes, as in a lesson.
    pub scene: Scene,
    /// Drugs, [Mg2+], channels switched off, densities set by hand, in order.
    #[serde(default)]
    pub changes: Vec<Change>,
    #[serde(default)]
    pub clamps: Vec<ClampSetup>,
    #[serde(default = "default_gamma")]
    pub nmda_gamma: f64,
    #[serde(default = "default_speed")]
    pub speed: f64,
    /// Temperature (degC).
    #[serde(default)]
    pub celsius: Option<f64>,
    /// The selected synapses, by index in the order the groups place them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub selected: Vec<usize>,
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
    /// Densities of a version 1 file (sampled at one node even where they vary): applied
    /// only where they differ from the preset's. Never written.
    #[serde(skip)]
    pub legacy_densities: Vec<DensitySetup>,
}

fn default_gamma() -> f64 {
    super::session::DEFAULT_NMDA_GAMMA
}

fn default_speed() -> f64 {
    50.0
}

/// A version 1 setup: synapses, probes and clamps by section name, drugs as pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupV1 {
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
    #[serde(default)]
    pub celsius: Option<f64>,
    #[serde(default)]
    pub biophysics: Option<String>,
    #[serde(default)]
    pub densities: Vec<DensitySetup>,
    #[serde(default)]
    pub switched_off: Vec<(String, String)>,
    #[serde(default)]
    pub camera: Option<CameraSetup>,
    #[serde(default)]
    pub colour: Option<ColourSetup>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lesson: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trials: Vec<super::trials::Trial>,
}

/// The names a setup gives the places of hand-placed synapses and probes.
fn synapse_place(i: usize) -> String {
    format!("synapses[{i}]")
}
fn probe_place(i: usize) -> String {
    format!("probes[{i}]")
}

/// The scene of hand-placed things: `synapses` (section, x, kind, weight nS, NMDA ratio)
/// and `probes` (section, x) become `at` places named `synapses[i]` and `probes[i]`, the
/// synapses grouped by [`groups_of`].
fn hand_placed_scene(
    cell: &str,
    biophysics: String,
    synapses: impl Iterator<Item = (String, f64, SynapseKind, f64, f64)>,
    probes: impl Iterator<Item = (String, f64)>,
) -> Scene {
    let mut places = std::collections::BTreeMap::new();
    let mut syn = Vec::new();
    for (i, (section, x, kind, w, ratio)) in synapses.enumerate() {
        places.insert(synapse_place(i), PlaceRule::At { section, x });
        syn.push((synapse_place(i), kind, w, ratio));
    }
    let mut probe_names = Vec::new();
    for (i, (section, x)) in probes.enumerate() {
        places.insert(probe_place(i), PlaceRule::At { section, x });
        probe_names.push(probe_place(i));
    }
    Scene {
        cell: cell.strip_prefix("builtin:").unwrap_or(cell).to_string(),
        biophysics,
        places,
        groups: groups_of(&syn),
        probes: probe_names,
        settle_ms: 0.0,
    }
}

/// Synapse groups for synapses at `places`: consecutive ones of the same kind, weight and
/// NMDA ratio share a group (so a saved cluster reads as one).
fn groups_of(synapses: &[(String, SynapseKind, f64, f64)]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (place, kind, w, ratio) in synapses {
        let ratio = (*ratio != 1.0).then_some(*ratio);
        match groups.last_mut() {
            Some(g) if g.kind == *kind && g.weight_ns.to_bits() == w.to_bits() && g.nmda_ratio == ratio => {
                g.places.push(place.clone())
            }
            _ => groups.push(Group {
                name: format!("synapses {}", groups.len() + 1),
                place: None,
                places: vec![place.clone()],
                count: 0,
                kind: *kind,
                weight_ns: *w,
                nmda_ratio: ratio,
            }),
        }
    }
    groups
}

impl SetupV1 {
    /// The same setup in version 2.
    pub fn upgrade(self) -> Setup {
        let scene = hand_placed_scene(
            &self.cell,
            self.biophysics.unwrap_or_else(|| super::biophysics::DEFAULT_PRESET.to_string()),
            self.synapses.iter().map(|s| (s.section.clone(), s.x, s.kind, s.weight_ns, s.nmda_ratio)),
            self.probes.iter().map(|p| (p.section.clone(), p.x)),
        );
        let mut changes: Vec<Change> =
            self.drugs.iter().map(|(d, r)| Change::Drug { drug: *d, region: r.clone() }).collect();
        changes.push(Change::Mg { mm: self.mg_mm });
        changes.extend(
            self.switched_off.iter().map(|(m, r)| Change::Off { mechanism: m.clone(), region: r.clone() }),
        );
        Setup {
            version: SETUP_VERSION,
            scene,
            changes,
            clamps: self.clamps,
            nmda_gamma: self.nmda_gamma,
            speed: self.speed,
            celsius: self.celsius,
            selected: self.synapses.iter().enumerate().filter(|(_, s)| s.selected).map(|(i, _)| i).collect(),
            camera: self.camera,
            colour: self.colour,
            lesson: self.lesson,
            trials: self.trials,
            legacy_densities: self.densities,
        }
    }
}

impl Lab {
    /// The setup of this lab (the view parts are the caller's).
    pub fn to_setup(&self, camera: Option<CameraSetup>, colour: Option<ColourSetup>) -> Setup {
        let morph = &self.sim.cell.morphology;
        let name = |s: usize| morph.sections[s].name.clone();
        // Probe 0 is the lab's own soma probe, made with every lab.
        let scene = hand_placed_scene(
            &self.source,
            self.biophysics.clone(),
            self.synapses.iter().map(|s| (name(s.section), s.x, s.kind, s.weight_ns, s.nmda_ratio)),
            self.probes.iter().skip(1).map(|p| (name(p.section), p.x)),
        );
        let mut changes: Vec<Change> =
            self.drugs.iter().map(|(d, r)| Change::Drug { drug: *d, region: r.clone() }).collect();
        if self.mg_mm != 1.0 {
            changes.push(Change::Mg { mm: self.mg_mm });
        }
        for slot in (0..self.sim.mechs.len()).filter(|&slot| self.switched_off(slot)) {
            let m = &self.sim.mechs[slot];
            changes.push(Change::Off { mechanism: m.mech.name().to_string(), region: m.label.clone() });
        }
        // The preset's rules give every density; only what was set by hand is saved, so
        // that distributions (Hay's Ih gradient, the Ca2+ hot zone) reopen intact.
        for (&(slot, param), &value) in &self.density_edits {
            let m = &self.sim.mechs[slot];
            changes.push(Change::Density {
                mechanism: m.mech.name().to_string(),
                region: m.label.clone(),
                param: param.to_string(),
                value,
            });
        }
        Setup {
            version: SETUP_VERSION,
            scene,
            changes,
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
            nmda_gamma: self.nmda_gamma,
            speed: self.speed,
            celsius: Some(self.sim.config.celsius),
            selected: self.synapses.iter().enumerate().filter(|(_, s)| s.selected).map(|(i, _)| i).collect(),
            camera,
            colour,
            lesson: None,
            trials: self.trials.clone(),
            legacy_densities: Vec::new(),
        }
    }

    /// Rebuilds a lab from a setup; a cell given as a path is resolved against `base`.
    pub fn from_setup(setup: &Setup, base: &Path) -> Result<Lab, LabError> {
        Lab::from_setup_with(setup, base, None)
    }

    /// As [`Lab::from_setup`], with the cell's morphology already at hand (it is then not
    /// read again).
    pub fn from_setup_with(setup: &Setup, base: &Path, morph: Option<Morphology>) -> Result<Lab, LabError> {
        if setup.version != SETUP_VERSION {
            return Err(LabError::Invalid(format!(
                "setup version {} is not supported here (read files with read_setup)",
                setup.version
            )));
        }
        let scene = &setup.scene;
        use crate::sim::limits::MAX_SYNAPSES;
        // Saturating: a file's counts may be anything up to usize::MAX.
        let synapses: usize = scene
            .groups
            .iter()
            .map(|g| if g.places.is_empty() { g.count } else { g.places.len() })
            .fold(0, usize::saturating_add);
        if synapses > MAX_SYNAPSES {
            return Err(LabError::TooMany { what: "synapses", count: synapses, limit: MAX_SYNAPSES }
                .at("scene.groups"));
        }
        if scene.probes.len() + 1 > super::session::MAX_LAB_PROBES {
            let limit = super::session::MAX_LAB_PROBES;
            let e = LabError::TooMany { what: "probes", count: scene.probes.len() + 1, limit };
            return Err(e.at("scene.probes"));
        }
        let (morph, source) = match morph {
            Some(m) => {
                let source = if gallery::find(&scene.cell).is_some() {
                    format!("builtin:{}", scene.cell)
                } else if base == Path::new(".") {
                    scene.cell.clone()
                } else {
                    base.join(&scene.cell).display().to_string()
                };
                (m, source)
            }
            None if gallery::find(&scene.cell).is_some() => {
                (super::session::builtin_morphology(&scene.cell)?, format!("builtin:{}", scene.cell))
            }
            None => {
                let p = base.join(&scene.cell);
                // A bare name that is no file: a gallery cell that does not exist.
                if !p.exists()
                    && !scene.cell.contains(['/', '\\', '.'])
                    && let Err(e) = gallery::load(&scene.cell)
                {
                    return Err(e.into());
                }
                (gallery::open(&p)?, p.display().to_string())
            }
        };
        let (built, mut lab) = Built::with_lab(scene, Some((morph, source)))?;
        let mut notes = Vec::new();
        for g in &scene.groups {
            let clamped = if g.weight_ns.is_finite() {
                g.weight_ns.clamp(0.0, super::session::MAX_WEIGHT_NS)
            } else {
                1.0
            };
            if clamped != g.weight_ns {
                notes.push(format!(
                    "group '{}': weight {} nS set to {} nS",
                    g.name,
                    num(g.weight_ns),
                    num(clamped)
                ));
            }
        }
        for (i, c) in setup.clamps.iter().enumerate() {
            let at = |e: LabError| e.at(format!("clamps[{i}]"));
            let Some(sec) = lab.sim.cell.morphology.section_by_name(&c.section) else {
                return Err(at(LabError::NoSectionNamed(c.section.clone())));
            };
            let k = lab.add_clamp(sec, c.x, c.amp_na, c.delay_ms, c.dur_ms).map_err(at)?;
            let amp = lab.sim.stimuli.iclamps[lab.clamps[k].engine].amp;
            if amp != c.amp_na {
                notes.push(format!("clamps[{i}]: amplitude {} nA set to {} nA", num(c.amp_na), num(amp)));
            }
        }
        for (i, d) in setup.legacy_densities.iter().enumerate() {
            let found = lab.densities().into_iter().find(|&(slot, p)| {
                let m = &lab.sim.mechs[slot];
                m.mech.name() == d.mechanism && m.label == d.region && p == d.param
            });
            match found {
                // Version 1 listed every density, sampled at one node: a distributed
                // density whose sample is unchanged is the preset's, not an edit.
                Some((slot, p)) if is_flattened_sample(&lab, slot, p, d.value) => {}
                Some((slot, p)) => {
                    lab.set_density(slot, p, d.value).map_err(|e| e.at(format!("densities[{i}]")))?
                }
                None => {
                    // Version 1 also listed CaDynamics_E2's gamma (its densities were the
                    // parameters whose names begin with g): a parameter of its own.
                    let slot = lab
                        .sim
                        .mechs
                        .iter()
                        .position(|m| m.mech.name() == d.mechanism && m.label == d.region);
                    let Some(slot) = slot.filter(|&k| lab.sim.mechs[k].mech.param(&d.param, 0).is_some())
                    else {
                        let e = format!("the lab has no {} {} in the {}", d.mechanism, d.param, d.region);
                        return Err(LabError::Invalid(e).at(format!("densities[{i}]")));
                    };
                    if !is_flattened_sample(&lab, slot, &d.param, d.value) {
                        lab.sim
                            .set_param(slot, &d.param, d.value)
                            .map_err(|e| LabError::from(e).at(format!("densities[{i}]")))?;
                    }
                }
            }
        }
        if let Some(c) = setup.celsius {
            lab.sim.set_celsius(c).map_err(|e| LabError::from(e).at("celsius"))?;
        }
        for (i, c) in setup.changes.iter().enumerate() {
            apply_change(&mut lab, &built, c).map_err(|e| e.at(format!("changes[{i}]")))?;
            if let Change::Mg { mm } = c
                && lab.mg_mm != *mm
            {
                notes.push(format!("changes[{i}]: mg_mm {} set to {}", num(*mm), num(lab.mg_mm)));
            }
        }
        for (i, &k) in setup.selected.iter().enumerate() {
            let s = lab.synapses.get_mut(k).ok_or_else(|| {
                LabError::NoSynapse { index: k, count: synapses }.at(format!("selected[{i}]"))
            })?;
            s.selected = true;
        }
        lab.nmda_gamma = if setup.nmda_gamma.is_finite() {
            setup.nmda_gamma.clamp(0.0, 0.2)
        } else {
            super::session::DEFAULT_NMDA_GAMMA
        };
        if lab.nmda_gamma != setup.nmda_gamma {
            notes.push(format!("nmda_gamma {} set to {}", num(setup.nmda_gamma), num(lab.nmda_gamma)));
        }
        lab.set_mg(lab.mg_mm);
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
fn checked_trials(trials: &[super::trials::Trial]) -> Result<Vec<super::trials::Trial>, LabError> {
    use super::trials::{MAX_TRIAL_POINTS, MAX_TRIALS};
    if trials.len() > MAX_TRIALS {
        return Err(LabError::TooMany { what: "trials", count: trials.len(), limit: MAX_TRIALS }.at("trials"));
    }
    for (i, t) in trials.iter().enumerate() {
        let limit = super::session::MAX_LAB_PROBES;
        if t.traces.len() > limit {
            return Err(
                LabError::TooMany { what: "traces", count: t.traces.len(), limit }.at(format!("trials[{i}]"))
            );
        }
        for (j, tr) in t.traces.iter().enumerate() {
            let at = |e: LabError| e.at(format!("trials[{i}].traces[{j}]"));
            if tr.t_ms.len() != tr.v_mv.len() {
                let (t, v) = (tr.t_ms.len(), tr.v_mv.len());
                return Err(at(LabError::Invalid(format!("t_ms has {t} values but v_mv has {v}"))));
            }
            if tr.t_ms.len() > MAX_TRIAL_POINTS {
                return Err(at(LabError::TooMany {
                    what: "samples",
                    count: tr.t_ms.len(),
                    limit: MAX_TRIAL_POINTS,
                }));
            }
            if !tr.t_ms.is_sorted() {
                return Err(at(LabError::Invalid("t_ms must increase".into())));
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

/// Reads a setup file, version 1 or 2 (a version 1 file is read into version 2).
pub fn read_setup(path: &Path) -> Result<Setup, LabError> {
    let file = |problem: String| LabError::File { path: path.to_path_buf(), problem };
    let text = crate::sim::textfile::read_text_limited(path, crate::sim::textfile::MAX_JSON_BYTES)
        .map_err(|e| file(e.to_string()))?;
    #[derive(Deserialize)]
    struct Version {
        version: u32,
    }
    let bad = |e: serde_json::Error| file(format!("not a Dendra setup: {e}"));
    let v: Version = serde_json::from_str(&text).map_err(bad)?;
    match v.version {
        1 => Ok(serde_json::from_str::<SetupV1>(&text).map_err(bad)?.upgrade()),
        SETUP_VERSION => serde_json::from_str(&text).map_err(bad),
        n => Err(file(format!(
            "setup version {n} is not supported (this program reads versions 1 and {SETUP_VERSION})"
        ))),
    }
}

/// Writes a setup file (pretty JSON).
pub fn write_setup(path: &Path, setup: &Setup) -> Result<(), LabError> {
    let file = |problem: String| LabError::File { path: path.to_path_buf(), problem };
    let text = serde_json::to_string_pretty(setup).map_err(|e| file(e.to_string()))?;
    std::fs::write(path, text).map_err(|e| file(format!("cannot write: {e}")))
}

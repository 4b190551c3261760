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
use super::pharmacology::Drug;
use super::scene::change::{Change, apply_change};
use super::scene::place::PlaceRule;
use super::scene::{Group, ResolvedScene, Scene};
use super::session::{Lab, Quantity, SynapseKind};
use crate::sim::morphology::{Morphology, gallery};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

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

/// Farthest a saved view may look from the origin (um): a metre, a thousand times the
/// largest neuron.
pub const MAX_VIEW_UM: f32 = 1e6;
/// Farthest the camera stands from what it looks at (um), as the window's zoom allows.
pub const MAX_VIEW_DISTANCE_UM: f32 = 1e5;

impl CameraSetup {
    /// The view as it can be shown: a target that is not a finite point within
    /// [`MAX_VIEW_UM`] of the origin is refused (the cell is framed instead); angles that
    /// are not finite are refused; a distance below 1 um or beyond
    /// [`MAX_VIEW_DISTANCE_UM`] is clamped. What was refused or changed is said in the notes.
    pub fn checked(&self, notes: &mut Vec<String>) -> Option<CameraSetup> {
        let t = self.target;
        if !t.iter().all(|x| x.is_finite() && x.abs() <= MAX_VIEW_UM) {
            notes.push(format!(
                "camera: target [{}, {}, {}] um is not a place within {MAX_VIEW_UM:e} um; the cell is framed instead",
                t[0], t[1], t[2]
            ));
            return None;
        }
        if !(self.yaw.is_finite() && self.pitch.is_finite() && self.distance.is_finite()) {
            notes.push(format!(
                "camera: yaw {}, pitch {}, distance {} are not all numbers; the cell is framed instead",
                self.yaw, self.pitch, self.distance
            ));
            return None;
        }
        let mut c = *self;
        c.distance = c.distance.clamp(1.0, MAX_VIEW_DISTANCE_UM);
        if c.distance != self.distance {
            notes.push(format!("camera: distance {} um set to {} um", self.distance, c.distance));
        }
        // Looking straight down or up has no defined "up": as far as the orbit goes.
        c.pitch = c.pitch.clamp(-1.55, 1.55);
        Some(c)
    }
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

/// The replay's settings ([`crate::lab::playhead::Playhead`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplaySetup {
    /// The replay's pace, a fraction of real time (1/1000 to 1).
    pub rate: f64,
    /// The loop's marks (ms).
    #[serde(default)]
    pub marks: [Option<f64>; 2],
    #[serde(default)]
    pub slow_motion: bool,
}

impl ReplaySetup {
    /// The settings within what they may be: the rate within 1/1000..1, marks finite.
    pub fn checked(self) -> ReplaySetup {
        let rate = if self.rate.is_finite() { self.rate.clamp(0.001, 1.0) } else { 0.05 };
        ReplaySetup {
            rate,
            marks: self.marks.map(|m| m.filter(|t| t.is_finite())),
            slow_motion: self.slow_motion,
        }
    }
}

/// Where a setup's trial recordings go: beside it, `NAME.recordings`.
pub fn recordings_path(setup: &Path) -> std::path::PathBuf {
    setup.with_extension("recordings")
}

const TRIALS_MAGIC: &[u8; 8] = b"DNDRTRS1";

/// The kept trials' recordings as bytes: `DNDRTRS1`, their count (u32), then each as its
/// length (u64, 0 for none) and [`super::recording::Recording::to_bytes`].
fn recordings_bytes(trials: &[super::trials::Trial]) -> Vec<u8> {
    let mut out = TRIALS_MAGIC.to_vec();
    out.extend_from_slice(&(trials.len() as u32).to_le_bytes());
    for t in trials {
        let b = t.recording.as_ref().map(|r| r.to_bytes()).unwrap_or_default();
        out.extend_from_slice(&(b.len() as u64).to_le_bytes());
        out.extend_from_slice(&b);
    }
    out
}

/// Gives `trials` the recordings in `bytes` (in order); what is not a recording is left
/// out. Returns how many were read.
fn read_recordings(bytes: &[u8], trials: &mut [super::trials::Trial]) -> usize {
    if bytes.get(..8) != Some(TRIALS_MAGIC.as_slice()) {
        return 0;
    }
    let Some(count) = bytes.get(8..12).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes) else {
        return 0;
    };
    let (mut at, mut read) = (12usize, 0);
    for t in trials.iter_mut().take(count as usize) {
        let Some(len) = bytes.get(at..at + 8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes) else {
            break;
        };
        at += 8;
        let Some(b) = usize::try_from(len).ok().and_then(|l| bytes.get(at..at.checked_add(l)?)) else {
            break;
        };
        at += b.len();
        if let Some(r) = super::recording::Recording::from_bytes(b) {
            t.recording = Some(std::sync::Arc::new(r));
            read += 1;
        }
    }
    read
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
    /// Kept trials, each with its label and traces. Their recordings (the whole cell over
    /// each trial) go beside the setup, in `NAME.recordings` ([`write_setup`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trials: Vec<super::trials::Trial>,
    /// How recorded moments were replayed: the speed, the loop's marks, slow motion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<ReplaySetup>,
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
            replay: None,
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
            replay: None,
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
                // A bare name that is no file: a gallery cell that does not exist.
                if !scene.cell.contains(['/', '\\', '.'])
                    && !base.join(&scene.cell).exists()
                    && let Err(e) = gallery::load(&scene.cell)
                {
                    return Err(e.into());
                }
                let p = setup_cell_path(&scene.cell, base).map_err(|e| e.at("scene.cell"))?;
                (gallery::open(&p)?, p.display().to_string())
            }
        };
        let (built, mut lab) = ResolvedScene::with_lab(scene, Some((morph, source)))?;
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
        // A recording of another cell (the setup's cell file changed) is of no use here.
        let nodes = lab.sim.v.len();
        for t in &mut lab.trials {
            if t.recording.as_ref().is_some_and(|r| r.nodes() != nodes) {
                t.recording = None;
            }
        }
        if let Some(c) = &setup.camera {
            c.checked(&mut notes);
        }
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

/// The morphology file a setup's `cell` names, which must lie in the setup's folder
/// `base` or below it and be an SWC or ASC file: setups are shared between lecturers, and
/// a setup must not open `/etc/shadow`, `../../.env` or a device by naming it. (A cell
/// anywhere else opens when the user opens it by hand.)
pub fn setup_cell_path(cell: &str, base: &Path) -> Result<PathBuf, LabError> {
    use std::path::Component;
    let refuse = |why: &str| {
        LabError::NotNow(format!(
            "'{}' {why}; a setup opens a gallery cell or an SWC or ASC file in its own folder or below \
             (copy the cell beside the setup)",
            short(cell)
        ))
    };
    let rel = Path::new(cell);
    if !rel.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err(refuse("is outside the setup's folder"));
    }
    if !crate::sim::morphology::Format::is_morphology_file(rel) {
        return Err(refuse("is not a morphology file (.swc or .asc)"));
    }
    let path = base.join(rel);
    // Through a symbolic link it may still lead elsewhere: where it really is counts.
    if let (Ok(real), Ok(folder)) = (std::fs::canonicalize(&path), std::fs::canonicalize(folder_of(base)))
        && !real.starts_with(&folder)
    {
        return Err(refuse("leads outside the setup's folder"));
    }
    Ok(path)
}

/// `base` as a folder that exists (`""` is the current one).
fn folder_of(base: &Path) -> &Path {
    if base.as_os_str().is_empty() { Path::new(".") } else { base }
}

/// A name as a message shows it: at most 80 characters.
fn short(name: &str) -> String {
    match name.char_indices().nth(80) {
        Some((k, _)) => format!("{}...", &name[..k]),
        None => name.to_string(),
    }
}

/// The setup to be written at `path`, its cell named as it will open from there: a
/// gallery cell by name, a file in the setup's folder (or below) by its path from there,
/// and a file elsewhere copied beside the setup (under its own name, or a numbered one
/// when another file has that name). Returns what was copied, in words.
fn cell_for(setup: &Setup, path: &Path) -> Result<(Setup, Option<String>), LabError> {
    let file = |problem: String| LabError::File { path: path.to_path_buf(), problem };
    let cell = &setup.scene.cell;
    let src = Path::new(cell);
    if gallery::find(cell).is_some() && !src.exists() {
        return Ok((setup.clone(), None));
    }
    let folder = folder_of(path.parent().unwrap_or(Path::new("."))).to_path_buf();
    let real_folder = std::fs::canonicalize(&folder).map_err(|e| file(format!("cannot write: {e}")))?;
    let mut out = setup.clone();
    let Ok(real_src) = std::fs::canonicalize(src) else {
        // Gone since it was opened: the setup is still saved, naming it as it was.
        let note = format!("the cell {} was not found to save beside the setup", src.display());
        return Ok((out, Some(note)));
    };
    if let Ok(rel) = real_src.strip_prefix(&real_folder) {
        out.scene.cell = rel.to_string_lossy().into_owned();
        return Ok((out, None));
    }
    let name =
        real_src.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "cell.swc".into());
    let bytes =
        std::fs::read(&real_src).map_err(|e| file(format!("cannot read the cell to copy it: {e}")))?;
    let (stem, ext) = match name.rsplit_once('.') {
        Some((a, b)) => (a.to_string(), format!(".{b}")),
        None => (name.clone(), String::new()),
    };
    for k in 0..1000 {
        let candidate = if k == 0 { name.clone() } else { format!("{stem}-{k}{ext}") };
        let dest = folder.join(&candidate);
        match std::fs::read(&dest) {
            Ok(there) if there == bytes => {}
            Ok(_) => continue,
            Err(_) if dest.exists() => continue,
            Err(_) => crate::sim::savefile::save(&dest, &bytes)
                .map_err(|e| file(format!("cannot copy the cell beside the setup: {e}")))?,
        }
        out.scene.cell = candidate.clone();
        let note = format!("the cell {} was copied beside the setup as {candidate}", src.display());
        return Ok((out, Some(note)));
    }
    Err(file("cannot copy the cell beside the setup: too many files of its name".into()))
}

/// Refuses a name, label or key longer than [`MAX_NAME_CHARS`] (a path, `cell`, than
/// [`MAX_PATH_CHARS`]) anywhere in a setup but its `lesson` record (not read back),
/// naming the entry (`trials[0].label`). `at` is the entry's path so far.
///
/// [`MAX_NAME_CHARS`]: crate::sim::limits::MAX_NAME_CHARS
/// [`MAX_PATH_CHARS`]: crate::sim::limits::MAX_PATH_CHARS
fn check_names(v: &serde_json::Value, at: &mut String) -> Result<(), NameTooLong> {
    use crate::sim::limits::{MAX_NAME_CHARS, MAX_PATH_CHARS};
    let check = |s: &str, at: &str, limit: usize| {
        let chars = s.chars().count();
        if chars > limit { Err(NameTooLong { at: at.to_string(), chars, limit }) } else { Ok(()) }
    };
    match v {
        serde_json::Value::String(s) => {
            let limit = if at == "cell" || at == "scene.cell" { MAX_PATH_CHARS } else { MAX_NAME_CHARS };
            check(s, at, limit)
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("[{i}]"));
                check_names(item, at)?;
                at.truncate(len);
            }
            Ok(())
        }
        serde_json::Value::Object(map) => {
            for (k, item) in map {
                let len = at.len();
                if !at.is_empty() {
                    at.push('.');
                }
                check(k, &format!("{at}(a key)"), MAX_NAME_CHARS)?;
                at.push_str(k);
                if at != "lesson" {
                    check_names(item, at)?;
                }
                at.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A name, label or key of a setup longer than it may be (`at`: where in the file).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{at}: {chars} characters, more than the {limit} a name or label may have")]
struct NameTooLong {
    at: String,
    chars: usize,
    limit: usize,
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
    let value: serde_json::Value = serde_json::from_str(&text).map_err(bad)?;
    check_names(&value, &mut String::new()).map_err(|e| file(e.to_string()))?;
    let mut setup: Setup = match v.version {
        1 => serde_json::from_str::<SetupV1>(&text).map_err(bad)?.upgrade(),
        SETUP_VERSION => serde_json::from_str(&text).map_err(bad)?,
        n => {
            return Err(file(format!(
                "setup version {n} is not supported (this program reads versions 1 and {SETUP_VERSION})"
            )));
        }
    };
    setup.replay = setup.replay.map(ReplaySetup::checked);
    // The trials' recordings, when saved beside it (a regular file within the bound of
    // twelve trials' recordings); a missing or damaged file leaves the trials without.
    let side = recordings_path(path);
    let most = (super::trials::MAX_TRIALS * (super::trials::TRIAL_RECORDING_BYTES + 64) + 64) as u64;
    if !setup.trials.is_empty()
        && std::fs::metadata(&side).is_ok_and(|m| m.is_file() && m.len() <= most)
        && let Ok(bytes) = std::fs::read(&side)
    {
        read_recordings(&bytes, &mut setup.trials);
    }
    Ok(setup)
}

/// Writes a setup file (pretty JSON), whole or not at all ([`crate::sim::savefile`]).
/// A setup that would not read back (a value JSON cannot hold, such as an infinite
/// camera position, is written as `null`) is refused, and the file is left as it was.
/// The cell is named as it opens from the setup's folder ([`setup_cell_path`]): a file
/// from elsewhere is copied beside the setup, and the returned note says so.
pub fn write_setup(path: &Path, setup: &Setup) -> Result<Option<String>, LabError> {
    let file = |problem: String| LabError::File { path: path.to_path_buf(), problem };
    let (setup, note) = cell_for(setup, path)?;
    let text = serde_json::to_string_pretty(&setup).map_err(|e| file(e.to_string()))?;
    if let Err(e) = serde_json::from_str::<Setup>(&text) {
        return Err(file(format!("not written: the setup would not read back ({e})")));
    }
    crate::sim::savefile::save(path, text.as_bytes()).map_err(|e| file(format!("cannot write: {e}")))?;
    // The trials' recordings beside it (a stale file of an earlier save goes).
    let side = recordings_path(path);
    if setup.trials.iter().any(|t| t.recording.is_some()) {
        crate::sim::savefile::save(&side, &recordings_bytes(&setup.trials)).map_err(|e| LabError::File {
            path: side.clone(),
            problem: format!("cannot write the trials' recordings: {e}"),
        })?;
    } else if side.is_file() {
        let _ = std::fs::remove_file(&side);
    }
    Ok(note)
}

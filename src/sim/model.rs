//! A cell model from a morphology file plus a JSON description of which mechanisms go
//! where: by region, and with parameters that may follow Hay's distance distributions
//! ([`crate::sim::placement`], docs/biophysics.md 6.2).
//!
//! ```json
//! {
//!   "morphology": "cells/l5pc.swc",
//!   "nseg": {"per_length_um": 40},
//!   "celsius": 34, "v_init": -80, "dt": 0.025,
//!   "passive": {
//!     "all":    {"Ra": 100, "cm": 1, "g_pas": 3e-5, "e_pas": -90},
//!     "apical": {"cm": 2, "g_pas": 6e-5},
//!     "basal":  {"cm": 2, "g_pas": 6e-5}
//!   },
//!   "ions": {"all": {"ena": 50, "ek": -85}},
//!   "mechanisms": [
//!     {"mechanism": "NaTa_t", "regions": ["soma"], "params": {"gNaTa_tbar": 2.04}},
//!     {"mechanism": "NaTa_t", "regions": ["apical"], "params": {"gNaTa_tbar": {"uniform": 0.0213}}},
//!     {"mechanism": "Ih", "regions": ["basal", "apical"], "params": {
//!        "gIhbar": {"exponential": {"a": -0.8696, "b": 3.6161, "c": 0, "d": 2.087, "base": 0.0002}}}},
//!     {"mechanism": "Ca_LVAst", "regions": ["apical"], "params": {
//!        "gCa_LVAstbar": {"hay": [3, 1, 0.01, 685, 885, 0.0187]}}}
//!   ]
//! }
//! ```
//!
//! - `morphology`: an SWC file; a relative path is taken from the description file's
//!   folder. Ignored by [`from_morphology`], which takes an already loaded morphology.
//! - `nseg`: `{"d_lambda": 0.1, "freq_hz": 100}` (NEURON's d_lambda rule, the default),
//!   `{"per_length_um": 40}` (Hay's 1 + 2 int(L/40)), or `{"uniform": n}`.
//! - `passive` and `ions`: settings by region selector (`all`, `dendrites`, `soma`,
//!   `axon`, `basal`, `apical`, `customN`); a more specific selector overrides a less
//!   specific one field by field. `Ra` (ohm cm, default NEURON's 35.4), `cm` (uF/cm2,
//!   default 1), `g_pas` (S/cm2) and `e_pas` (mV, default NEURON's -70): `pas` is
//!   inserted where `g_pas` is given, and `e_pas` also applies to a `pas` that a rule
//!   inserts. `ena`, `ek` (mV) set [`crate::sim::mechanisms::Ions`] at the region's
//!   nodes (NEURON's defaults 50 and -77 elsewhere).
//! - `celsius` (degC, default 6.3), `v_init` (mV, default -65), `dt` (ms, default
//!   0.025), `crank_nicolson` (default false).
//! - `distance`: `{"origin": "root", "origin_x": 0, "hoc_for_x": false}`: where path
//!   distances start, and whether the last segment of each section takes the value at
//!   the section's end as Hay's `for (x)` loop leaves it. `"origin": "root"` (the
//!   default) measures from `origin_x` on the root section (0: soma(0));
//!   `"origin": "region_start"` measures each region's distances from the 0 end of its
//!   first section, as Hay's `distribute_channels` does (apic[0](0) for the apical tree,
//!   axon[0](1) for the axon; [`crate::sim::sites::hay_origin`]). Hay's template is
//!   `{"origin": "region_start", "hoc_for_x": true}` (see [`crate::sim::placement`]).
//! - `axon`: `"keep"` (the default) or `"hay_stub"`: Hay's `L5PCtemplate.hoc` deletes the
//!   reconstructed axon and puts two 30 um x 1 um sections in its place, axon[0] from
//!   soma(0.5) and axon[1] from axon[0](1) ([`hay_axon_stub`]); the cell is built on
//!   the morphology so changed.
//! - `mechanisms`: rules applied in order. Parameter names are the mechanism's own
//!   (`gIhbar`) or NEURON's suffixed ones (`gIhbar_Ih`, `g_pas`); values are
//!   [`Distribution`]s (a bare number is uniform), in the parameter's unit. There is one
//!   mechanism instance per (mechanism, region), labelled with the region, so that the
//!   app can switch a channel per region: a later rule for the same mechanism and region
//!   changes the parameters of the same instance, as a second `insert` in NEURON does.
//!
//! A region named but absent from the morphology is a warning, not an error.

use crate::sim::cell::{Cell, Nseg, Passive};
use crate::sim::defaults;
use crate::sim::engine::{SimConfig, Simulation};
use crate::sim::mechanisms::{self, MECHANISM_NAMES, Mechanism};
use crate::sim::morphology::{Morphology, Region, Section};
use crate::sim::placement::{Distances, Distribution, REGION_SEL_HELP, RegionSel, regions_present, select};
use crate::sim::sites::hay_origin;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// NEURON's default axial resistivity (ohm cm).
pub const DEFAULT_RA: f64 = defaults::RA;
/// NEURON's default specific capacitance (uF/cm2).
pub const DEFAULT_CM: f64 = defaults::CM;
/// NEURON's default `e_pas` (mV).
pub const DEFAULT_E_PAS: f64 = defaults::E_PAS;
fn is_false(b: &bool) -> bool {
    !*b
}

/// A cell model description. See the module documentation for the JSON format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellModel {
    /// What the model is and where it comes from, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    /// SWC file, relative to the description file's folder unless absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub morphology: Option<String>,
    #[serde(default)]
    pub nseg: NsegRule,
    /// Passive properties by region selector.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub passive: BTreeMap<String, PassiveProps>,
    /// Temperature (degC).
    #[serde(default = "defaults::celsius")]
    pub celsius: f64,
    /// Initial voltage (mV).
    #[serde(default = "defaults::v_init")]
    pub v_init: f64,
    /// Time step (ms).
    #[serde(default = "defaults::dt")]
    pub dt: f64,
    /// Crank-Nicolson (NEURON's secondorder = 2) instead of backward Euler.
    #[serde(default, skip_serializing_if = "is_false")]
    pub crank_nicolson: bool,
    /// Reversal potentials by region selector.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ions: BTreeMap<String, IonProps>,
    #[serde(default)]
    pub distance: DistanceRule,
    /// What becomes of the reconstructed axon.
    #[serde(default, skip_serializing_if = "AxonRule::is_keep")]
    pub axon: AxonRule,
    /// Mechanism rules, applied in order.
    #[serde(default)]
    pub mechanisms: Vec<MechanismRule>,
}

/// How many segments each section gets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "NsegRepr", into = "NsegRepr")]
pub enum NsegRule {
    /// NEURON's d_lambda rule: segments no longer than `d_lambda` of the AC length
    /// constant at `freq_hz` (Hz).
    DLambda { d_lambda: f64, freq_hz: f64 },
    /// Hay's rule, 1 + 2 int(L / `um`) segments in every section (`um` 40).
    PerLength(f64),
    /// The same count everywhere.
    Uniform(usize),
}

impl Default for NsegRule {
    fn default() -> Self {
        NsegRule::DLambda { d_lambda: 0.1, freq_hz: 100.0 }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NsegRepr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    d_lambda: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    freq_hz: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    per_length_um: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    uniform: Option<usize>,
}

impl TryFrom<NsegRepr> for NsegRule {
    type Error = String;
    fn try_from(r: NsegRepr) -> Result<NsegRule, String> {
        let rule = match (r.d_lambda, r.per_length_um, r.uniform) {
            (d, None, None) => {
                NsegRule::DLambda { d_lambda: d.unwrap_or(0.1), freq_hz: r.freq_hz.unwrap_or(100.0) }
            }
            (None, Some(um), None) if r.freq_hz.is_none() => NsegRule::PerLength(um),
            (None, None, Some(n)) if r.freq_hz.is_none() => NsegRule::Uniform(n),
            _ => {
                return Err("nseg takes one of {\"d_lambda\": 0.1, \"freq_hz\": 100}, \
                            {\"per_length_um\": 40} or {\"uniform\": n}"
                    .into());
            }
        };
        Ok(rule)
    }
}

impl From<NsegRule> for NsegRepr {
    fn from(r: NsegRule) -> NsegRepr {
        let mut out = NsegRepr { d_lambda: None, freq_hz: None, per_length_um: None, uniform: None };
        match r {
            NsegRule::DLambda { d_lambda, freq_hz } => {
                out.d_lambda = Some(d_lambda);
                out.freq_hz = Some(freq_hz);
            }
            NsegRule::PerLength(um) => out.per_length_um = Some(um),
            NsegRule::Uniform(n) => out.uniform = Some(n),
        }
        out
    }
}

/// Passive properties of a region; unset fields fall back to a less specific selector,
/// then to NEURON's defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassiveProps {
    /// Axial resistivity (ohm cm).
    #[serde(rename = "Ra", default, skip_serializing_if = "Option::is_none")]
    pub ra: Option<f64>,
    /// Specific membrane capacitance (uF/cm2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cm: Option<f64>,
    /// Leak conductance (S/cm2); `pas` is inserted where it is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub g_pas: Option<f64>,
    /// Leak reversal (mV).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e_pas: Option<f64>,
}

/// Fixed reversal potentials of a region (mV).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IonProps {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ena: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ek: Option<f64>,
}

/// Where path distances for distributions are measured from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistanceRule {
    /// From a point of the root section, or from each region's first section.
    #[serde(default, skip_serializing_if = "DistanceOrigin::is_root")]
    pub origin: DistanceOrigin,
    /// Origin on the root section (0..=1) under `"origin": "root"`: 0 is soma(0).
    #[serde(default)]
    pub origin_x: f64,
    /// The last segment of each section takes the value at the section's 1 end (Hay's
    /// `for (x)` loop).
    #[serde(default)]
    pub hoc_for_x: bool,
}

/// The origin of path distances.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistanceOrigin {
    /// `origin_x` on the root section.
    #[default]
    Root,
    /// Each region's distances from the 0 end of its first section (apic[0](0) for the
    /// apical tree), the axon's from axon[0](1): Hay's `getLongestBranch`
    /// ([`crate::sim::sites::hay_origin`]).
    RegionStart,
}

impl DistanceOrigin {
    fn is_root(&self) -> bool {
        *self == DistanceOrigin::Root
    }
}

/// What becomes of the reconstructed axon before the cell is built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AxonRule {
    /// The morphology's own axon.
    #[default]
    Keep,
    /// Hay's two 30 um x 1 um sections instead ([`hay_axon_stub`]).
    HayStub,
}

impl AxonRule {
    fn is_keep(&self) -> bool {
        *self == AxonRule::Keep
    }
}

/// Length and diameter (um) of each of the two sections of Hay's axon stub.
pub const HAY_AXON_STUB_UM: (f64, f64) = (30.0, 1.0);

/// Hay's `delete_axon` (L5PCtemplate.hoc): every axon section goes (with whatever hangs
/// from it), and two cylinders of 30 um x 1 um take their place, axon[0] from soma(0.5)
/// and axon[1] from axon[0](1). The stub points away from the soma along the old axon's
/// first section (else along -y, the usual axon direction of an upright cell). Without
/// a soma the stub hangs from the root's centre. A note of what went is added to the
/// morphology's warnings.
pub fn hay_axon_stub(morph: Morphology) -> Morphology {
    use nalgebra::Vector3;
    let mut m = morph;
    let n = m.sections.len();
    // Sections in an axon subtree (parents come before children).
    let mut gone = vec![false; n];
    for i in 0..n {
        gone[i] = m.sections[i].region == Region::Axon || m.sections[i].parent.is_some_and(|p| gone[p]);
    }
    let soma = m.soma();
    if gone[soma] {
        m.warnings.push(
            "the axon was kept: the cell has no soma outside its axon for Hay's stub to hang from".into(),
        );
        return m;
    }
    let (centre, _) = m.sections[soma].at(0.5);
    let dir = m
        .sections
        .iter()
        .find(|s| s.region == Region::Axon && s.parent.is_some_and(|p| !gone[p]))
        .map(|s| s.points[s.points.len() - 1] - centre)
        .filter(|v| v.norm() > 0.0)
        .unwrap_or(-Vector3::y());
    let removed = gone.iter().filter(|g| **g).count();
    let other = (0..n).filter(|&i| gone[i] && m.sections[i].region != Region::Axon).count();
    let mut index = vec![usize::MAX; n];
    let mut kept = Vec::with_capacity(n - removed + 2);
    for (i, s) in std::mem::take(&mut m.sections).into_iter().enumerate() {
        if !gone[i] {
            index[i] = kept.len();
            kept.push(s);
        }
    }
    for s in &mut kept {
        s.parent = s.parent.map(|p| index[p]);
    }
    let soma = index[soma];
    let (l, d) = HAY_AXON_STUB_UM;
    let u = dir.normalize();
    let a0 = Section::cylinder("axon[0]".into(), Region::Axon, Some(soma), 0.5, centre, u, l, d);
    let a1 =
        Section::cylinder("axon[1]".into(), Region::Axon, Some(kept.len()), 1.0, centre + u * l, u, l, d);
    kept.push(a0);
    kept.push(a1);
    m.sections = kept;
    let mut note = format!(
        "the axon ({removed} sections) was replaced by Hay's stub: axon[0] and axon[1], {l} um x {d} um each"
    );
    if other > 0 {
        note.push_str(&format!(" ({other} non-axon sections hanging from the axon went with it)"));
    }
    m.warnings.push(note);
    m
}

/// Insert `mechanism` in `regions` with `params`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MechanismRule {
    /// NEURON's SUFFIX, one of [`MECHANISM_NAMES`].
    pub mechanism: String,
    /// Region selectors: `soma`, `axon`, `basal`, `apical`, `customN`, `all`, `dendrites`.
    pub regions: Vec<String>,
    /// Parameter name -> value or distribution, in the parameter's unit.
    #[serde(default)]
    pub params: BTreeMap<String, Distribution>,
}

crate::message_error! {
    /// A description that cannot be built, in words naming the file and the rule.
    ModelError
}

/// A mechanism instance of a built cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub mechanism: String,
    pub region: Region,
    /// Slot in [`Simulation::mechs`], for `set_enabled`, `set_param`, probes.
    pub slot: usize,
    /// Indices of the rules in `mechanisms` that set it (empty: inserted by `passive`).
    pub rules: Vec<usize>,
}

/// A built cell: its simulation, initialised (NEURON's finitialize(v_init) done, so it
/// can run at once; after adding synapses, stimuli or probes call
/// [`Simulation::init`] again as usual), with its mechanism instances.
#[derive(Debug)]
pub struct BuiltCell {
    pub sim: Simulation,
    pub instances: Vec<Instance>,
    /// Things that were odd but not fatal (e.g. a region the morphology lacks).
    pub warnings: Vec<String>,
}

impl BuiltCell {
    /// The slot of `mechanism` on `region`, if inserted there.
    pub fn slot(&self, mechanism: &str, region: Region) -> Option<usize> {
        self.instances.iter().find(|i| i.mechanism == mechanism && i.region == region).map(|i| i.slot)
    }
}

fn err<T>(msg: String) -> Result<T, ModelError> {
    Err(ModelError(msg))
}

impl CellModel {
    /// Parses a description; `file` names it in messages.
    pub fn from_json(text: &str, file: &str) -> Result<CellModel, ModelError> {
        serde_json::from_str(text).map_err(|e| ModelError(format!("{file}: not a valid cell model: {e}")))
    }

    /// Reads a description file.
    pub fn read(path: &Path) -> Result<CellModel, ModelError> {
        let text = crate::sim::textfile::read_text_limited(path, crate::sim::textfile::MAX_JSON_BYTES)
            .map_err(|e| ModelError(format!("{}: {e}", path.display())))?;
        Self::from_json(&text, &path.display().to_string())
    }

    /// The description as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The morphology file, resolved against the folder of the description file
    /// `desc_path`.
    pub fn morphology_path(&self, desc_path: &Path) -> Result<PathBuf, ModelError> {
        let Some(m) = &self.morphology else {
            return err(format!("{}: no \"morphology\" file given", desc_path.display()));
        };
        let p = Path::new(m);
        Ok(if p.is_absolute() {
            p.to_path_buf()
        } else {
            desc_path.parent().unwrap_or(Path::new("")).join(p)
        })
    }

    /// Builds the cell on an already loaded morphology (`self.morphology` is ignored);
    /// `file` names the description in messages.
    pub fn build(&self, morph: Morphology, file: &str) -> Result<BuiltCell, ModelError> {
        build(self, morph, file)
    }
}

/// Reads a description file, loads its morphology and builds the cell.
pub fn load(path: &Path) -> Result<BuiltCell, ModelError> {
    let desc = CellModel::read(path)?;
    let swc = desc.morphology_path(path)?;
    let morph = Morphology::from_file(&swc)
        .map_err(|e| ModelError(format!("{}: morphology: {e}", path.display())))?;
    build(&desc, morph, &path.display().to_string())
}

/// Builds the cell of `desc` on an already loaded morphology (the app's entry point).
pub fn from_morphology(morph: Morphology, desc: &CellModel) -> Result<BuiltCell, ModelError> {
    build(desc, morph, "cell model")
}

/// Region-keyed settings, parsed and ordered from least to most specific.
fn layers<'a, T>(
    map: &'a BTreeMap<String, T>,
    what: &str,
    file: &str,
    present: &[Region],
    warnings: &mut Vec<String>,
) -> Result<Vec<(RegionSel, &'a T)>, ModelError> {
    let mut out: Vec<(RegionSel, &T)> = Vec::new();
    for (k, v) in map {
        let Some(sel) = RegionSel::parse(k) else {
            return err(format!("{file}: {what}: unknown region '{k}' (one of {REGION_SEL_HELP})"));
        };
        if out.iter().any(|(s, _)| *s == sel) {
            return err(format!("{file}: {what}: region '{}' is given twice", sel.label()));
        }
        if let RegionSel::Only(r) = sel
            && !present.contains(&r)
        {
            warnings.push(format!("{file}: {what}: the morphology has no {} sections", r.label()));
        }
        out.push((sel, v));
    }
    out.sort_by_key(|(s, _)| s.rank());
    Ok(out)
}

fn merged_passive(layers: &[(RegionSel, &PassiveProps)], r: Region) -> PassiveProps {
    let mut p = PassiveProps::default();
    for (_, q) in layers.iter().filter(|(s, _)| s.matches(r)) {
        p.ra = q.ra.or(p.ra);
        p.cm = q.cm.or(p.cm);
        p.g_pas = q.g_pas.or(p.g_pas);
        p.e_pas = q.e_pas.or(p.e_pas);
    }
    p
}

fn merged_ions(layers: &[(RegionSel, &IonProps)], r: Region) -> IonProps {
    let mut p = IonProps::default();
    for (_, q) in layers.iter().filter(|(s, _)| s.matches(r)) {
        p.ena = q.ena.or(p.ena);
        p.ek = q.ek.or(p.ek);
    }
    p
}

/// The mechanism's name for parameter `given`: itself, or without NEURON's `_SUFFIX`.
fn resolve_param(m: &dyn Mechanism, given: &str) -> Option<String> {
    if m.param(given, 0).is_some() {
        return Some(given.to_string());
    }
    let bare = given.strip_suffix(m.name())?.strip_suffix('_')?;
    m.param(bare, 0).is_some().then(|| bare.to_string())
}

fn check_num(file: &str, what: &str, x: f64, min: Option<f64>, strict: bool) -> Result<(), ModelError> {
    let ok = x.is_finite()
        && match min {
            None => true,
            Some(m) if strict => x > m,
            Some(m) => x >= m,
        };
    if ok {
        return Ok(());
    }
    let need = match min {
        None => "a finite number".to_string(),
        Some(m) if strict => format!("a finite number > {m}"),
        Some(m) => format!("a finite number >= {m}"),
    };
    err(format!("{file}: {what} must be {need}, got {x}"))
}

struct Builder<'a> {
    file: &'a str,
    sim: Simulation,
    instances: Vec<Instance>,
    passive: Vec<PassiveProps>,
    present: Vec<Region>,
}

impl Builder<'_> {
    /// The instance of `mech` on region `r`, inserted (with the region's `pas` defaults)
    /// when new.
    fn instance(&mut self, mech: &str, r: Region) -> Result<usize, ModelError> {
        if let Some(i) = self.instances.iter().position(|i| i.mechanism == mech && i.region == r) {
            return Ok(i);
        }
        let regions: Vec<Region> = self.sim.cell.morphology.sections.iter().map(|s| s.region).collect();
        let nodes = self.sim.cell.nodes_where(|i| regions[i] == r);
        let slot = self
            .sim
            .insert(mech, nodes, &r.label())
            .map_err(|e| ModelError(format!("{}: {mech} on {}: {e}", self.file, r.label())))?;
        if mech == "pas" {
            let k = self.present.iter().position(|x| *x == r).expect("present region");
            let p = self.passive[k];
            let who = format!("{}: passive ({})", self.file, r.label());
            if let Some(g) = p.g_pas {
                self.sim.set_param(slot, "g", g).map_err(|e| ModelError(format!("{who}: {e}")))?;
            }
            let e = p.e_pas.unwrap_or(DEFAULT_E_PAS);
            self.sim.set_param(slot, "e", e).map_err(|e| ModelError(format!("{who}: {e}")))?;
        }
        self.instances.push(Instance { mechanism: mech.to_string(), region: r, slot, rules: Vec::new() });
        Ok(self.instances.len() - 1)
    }
}

fn build(desc: &CellModel, morph: Morphology, file: &str) -> Result<BuiltCell, ModelError> {
    let mut warnings = Vec::new();
    if morph.sections.is_empty() {
        return err(format!("{file}: the morphology {} has no sections", morph.file));
    }
    let morph = match desc.axon {
        AxonRule::Keep => morph,
        AxonRule::HayStub => hay_axon_stub(morph),
    };
    check_num(file, "celsius", desc.celsius, None, false)?;
    check_num(file, "v_init", desc.v_init, None, false)?;
    let origin_x = desc.distance.origin_x;
    if !(0.0..=1.0).contains(&origin_x) {
        return err(format!("{file}: distance.origin_x must be within 0..1, got {origin_x}"));
    }
    if desc.distance.origin == DistanceOrigin::RegionStart && origin_x != 0.0 {
        return err(format!(
            "{file}: distance.origin_x ({origin_x}) applies to \"origin\": \"root\" only, \
             not to \"region_start\""
        ));
    }
    let present = regions_present(&morph);

    // Passive properties and nseg.
    let passive_layers = layers(&desc.passive, "passive", file, &present, &mut warnings)?;
    let passive: Vec<PassiveProps> = present.iter().map(|&r| merged_passive(&passive_layers, r)).collect();
    for (r, p) in present.iter().zip(&passive) {
        let who = format!("passive ({})", r.label());
        if let Some(x) = p.ra {
            check_num(file, &format!("{who}: Ra (ohm cm)"), x, Some(0.0), true)?;
        }
        if let Some(x) = p.cm {
            check_num(file, &format!("{who}: cm (uF/cm2)"), x, Some(0.0), false)?;
        }
        if let Some(x) = p.g_pas {
            check_num(file, &format!("{who}: g_pas (S/cm2)"), x, Some(0.0), false)?;
        }
        if let Some(x) = p.e_pas {
            check_num(file, &format!("{who}: e_pas (mV)"), x, None, false)?;
        }
    }
    let region_props = |r: Region| passive[present.iter().position(|x| *x == r).expect("present")];
    let ra: Vec<f64> =
        morph.sections.iter().map(|s| region_props(s.region).ra.unwrap_or(DEFAULT_RA)).collect();
    let cm: Vec<f64> =
        morph.sections.iter().map(|s| region_props(s.region).cm.unwrap_or(DEFAULT_CM)).collect();
    let nseg = match desc.nseg {
        NsegRule::DLambda { d_lambda, freq_hz } => {
            check_num(file, "nseg.d_lambda", d_lambda, Some(0.0), true)?;
            check_num(file, "nseg.freq_hz", freq_hz, Some(0.0), true)?;
            Nseg::DLambda { d_lambda, freq_hz }
        }
        NsegRule::PerLength(um) => {
            check_num(file, "nseg.per_length_um", um, Some(0.0), true)?;
            Nseg::PerSection(
                morph.sections.iter().map(|s| 1 + 2 * (s.length() / um).floor().min(1e6) as usize).collect(),
            )
        }
        NsegRule::Uniform(n) => Nseg::Uniform(n),
    };
    let cell = Cell::new(morph, Passive { ra, cm }, &nseg).map_err(|e| ModelError(format!("{file}: {e}")))?;
    let config = SimConfig {
        dt: desc.dt,
        celsius: desc.celsius,
        v_init: desc.v_init,
        crank_nicolson: desc.crank_nicolson,
    };
    let sim = Simulation::new(cell, config).map_err(|e| ModelError(format!("{file}: {e}")))?;
    let mut b = Builder { file, sim, instances: Vec::new(), passive, present: present.clone() };

    // pas where g_pas is given.
    for (k, &r) in present.iter().enumerate() {
        if b.passive[k].g_pas.is_some() {
            b.instance("pas", r)?;
        }
    }

    // Mechanism rules.
    // Distances from the origin of each region's distributions.
    let mut distances: BTreeMap<Region, Distances> = BTreeMap::new();
    let mut longest: BTreeMap<Region, f64> = BTreeMap::new();
    for (k, rule) in desc.mechanisms.iter().enumerate() {
        let mech = rule.mechanism.as_str();
        let who = format!("{file}: mechanisms[{k}] ({mech})");
        let Some(probe) = mechanisms::create(mech, vec![0]) else {
            return err(format!("{who}: unknown mechanism '{mech}' (known: {})", MECHANISM_NAMES.join(", ")));
        };
        if rule.regions.is_empty() {
            return err(format!("{who}: no regions given (use e.g. [\"all\"])"));
        }
        let mut sels = Vec::new();
        for name in &rule.regions {
            let Some(sel) = RegionSel::parse(name) else {
                return err(format!("{who}: unknown region '{name}' (one of {REGION_SEL_HELP})"));
            };
            if let RegionSel::Only(r) = sel
                && !present.contains(&r)
            {
                warnings.push(format!("{who}: the morphology has no {} sections", r.label()));
            }
            sels.push(sel);
        }
        let mut params: Vec<(String, &Distribution)> = Vec::new();
        for (given, dist) in &rule.params {
            let Some(name) = resolve_param(probe.as_ref(), given) else {
                let all = probe.param_names().join(", ");
                return err(format!("{who}: {mech} has no parameter '{given}' (it has {all})"));
            };
            dist.validate().map_err(|e| ModelError(format!("{who}: {given}: {e}")))?;
            params.push((name, dist));
        }
        let regions = select(&sels, &present);
        if regions.is_empty() {
            warnings.push(format!(
                "{who}: none of the regions {} is in the morphology; nothing inserted",
                rule.regions.join(", ")
            ));
        }
        for r in regions {
            let i = b.instance(mech, r)?;
            b.instances[i].rules.push(k);
            let slot = b.instances[i].slot;
            let at = format!("{who} on {}", r.label());
            for (name, dist) in &params {
                if let Distribution::Uniform(v) = dist {
                    b.sim.set_param(slot, name, *v).map_err(|e| ModelError(format!("{at}: {e}")))?;
                    continue;
                }
                let d = distances.entry(r).or_insert_with(|| {
                    let cell = &b.sim.cell;
                    let origin = match desc.distance.origin {
                        DistanceOrigin::Root => (0, origin_x),
                        DistanceOrigin::RegionStart => {
                            hay_origin(&cell.morphology, r).expect("a region present has a first section")
                        }
                    };
                    Distances::from_point(cell, origin, desc.distance.hoc_for_x)
                });
                let norm = if dist.needs_longest_path() {
                    let l = *longest.entry(r).or_insert_with(|| d.longest_path(&b.sim.cell, r));
                    if l.is_nan() || l <= 0.0 {
                        return err(format!("{at}: {name}: the longest path of the region is 0 um"));
                    }
                    l
                } else {
                    1.0
                };
                let nodes: Vec<u32> = b.sim.mechs[slot].mech.nodes().to_vec();
                let values = d.values(dist, &nodes, norm);
                for (j, (&node, &v)) in nodes.iter().zip(&values).enumerate() {
                    let place = || {
                        let cell = &b.sim.cell;
                        let s = cell.node_section[node as usize] as usize;
                        format!(
                            "{}({:.4}), {:.1} um from the origin",
                            cell.morphology.sections[s].name,
                            cell.node_x[node as usize],
                            d.node_um[node as usize]
                        )
                    };
                    if !v.is_finite() {
                        return err(format!("{at}: {name} comes out as {v} at {}", place()));
                    }
                    b.sim.mechs[slot]
                        .mech
                        .set_param_at(name, j, v)
                        .map_err(|e| ModelError(format!("{at}: at {}: {e}", place())))?;
                }
            }
        }
    }

    // Reversal potentials.
    let ion_layers = layers(&desc.ions, "ions", file, &present, &mut warnings)?;
    let sec_regions: Vec<Region> = b.sim.cell.morphology.sections.iter().map(|s| s.region).collect();
    for &r in &present {
        let p = merged_ions(&ion_layers, r);
        if p.ena.is_none() && p.ek.is_none() {
            continue;
        }
        let who = format!("ions ({})", r.label());
        if let Some(x) = p.ena {
            check_num(file, &format!("{who}: ena (mV)"), x, None, false)?;
        }
        if let Some(x) = p.ek {
            check_num(file, &format!("{who}: ek (mV)"), x, None, false)?;
        }
        for n in b.sim.cell.nodes_where(|i| sec_regions[i] == r) {
            if let Some(x) = p.ena {
                b.sim.ions.ena[n as usize] = x;
            }
            if let Some(x) = p.ek {
                b.sim.ions.ek[n as usize] = x;
            }
        }
    }

    let Builder { mut sim, instances, .. } = b;
    sim.init();
    Ok(BuiltCell { sim, instances, warnings })
}

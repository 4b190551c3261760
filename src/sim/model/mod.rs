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
//!   first section, as Hay's `distribute_channels` does (`apic[0](0)` for the apical tree,
//!   `axon[0](1)` for the axon; [`crate::sim::sites::hay_origin`]). Hay's template is
//!   `{"origin": "region_start", "hoc_for_x": true}` (see [`crate::sim::placement`]).
//! - `axon`: `"keep"` (the default) or `"hay_stub"`: Hay's `L5PCtemplate.hoc` deletes the
//!   reconstructed axon and puts two 30 um x 1 um sections in its place, `axon[0]` from
//!   soma(0.5) and `axon[1]` from `axon[0](1)` ([`hay_axon_stub`]); the cell is built on
//!   the morphology so changed.
//! - `mechanisms`: rules applied in order. Parameter names are the mechanism's own
//!   (`gIhbar`) or NEURON's suffixed ones (`gIhbar_Ih`, `g_pas`); values are
//!   [`Distribution`]s (a bare number is uniform), in the parameter's unit. There is one
//!   mechanism instance per (mechanism, region), labelled with the region, so that the
//!   app can switch a channel per region: a later rule for the same mechanism and region
//!   changes the parameters of the same instance, as a second `insert` in NEURON does.
//!
//! A region named but absent from the morphology is a warning, not an error.

mod axon;
mod build;

pub use axon::{HAY_AXON_STUB_UM, hay_axon_stub};

use crate::sim::cell::CellError;
use crate::sim::defaults;
use crate::sim::engine::{SimError, Simulation};
use crate::sim::morphology::{MorphError, Morphology, Region};
use crate::sim::placement::{Distribution, DistributionError};
use crate::sim::textfile::ReadError;
use build::build;
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

/// An `nseg` entry that is none of the three rules.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "nseg takes one of {{\"d_lambda\": 0.1, \"freq_hz\": 100}}, {{\"per_length_um\": 40}} or {{\"uniform\": n}}"
)]
pub struct NsegError;

impl TryFrom<NsegRepr> for NsegRule {
    type Error = NsegError;
    fn try_from(r: NsegRepr) -> Result<NsegRule, NsegError> {
        let rule = match (r.d_lambda, r.per_length_um, r.uniform) {
            (d, None, None) => {
                NsegRule::DLambda { d_lambda: d.unwrap_or(0.1), freq_hz: r.freq_hz.unwrap_or(100.0) }
            }
            (None, Some(um), None) if r.freq_hz.is_none() => NsegRule::PerLength(um),
            (None, None, Some(n)) if r.freq_hz.is_none() => NsegRule::Uniform(n),
            _ => return Err(NsegError),
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
    /// Each region's distances from the 0 end of its first section (`apic[0](0)` for the
    /// apical tree), the axon's from `axon[0](1)`: Hay's `getLongestBranch`
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

/// Insert `mechanism` in `regions` with `params`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MechanismRule {
    /// NEURON's SUFFIX, a name in the [`crate::sim::mechanisms::catalogue`].
    pub mechanism: String,
    /// Region selectors: `soma`, `axon`, `basal`, `apical`, `customN`, `all`, `dendrites`.
    pub regions: Vec<String>,
    /// Parameter name -> value or distribution, in the parameter's unit.
    #[serde(default)]
    pub params: BTreeMap<String, Distribution>,
}

/// A description that cannot be read or built, naming the file and the rule.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file could not be read.
    #[error("{}: {source}", .path.display())]
    Read { path: PathBuf, source: ReadError },
    /// The text is not a cell model (serde's message names line and column).
    #[error("{file}: not a valid cell model: {message}")]
    Json { file: String, message: String },
    /// The description names no morphology file.
    #[error("{file}: no \"morphology\" file given")]
    NoMorphology { file: String },
    /// Its morphology file could not be loaded.
    #[error("{file}: morphology: {source}")]
    Morphology { file: String, source: MorphError },
    /// A mechanism's distribution that cannot be used (`at` as for [`ModelError::Rule`]).
    #[error("{at}: {source}")]
    Distribution { at: String, source: DistributionError },
    /// A rule or setting (`at`: the file and the entry, e.g. `l5pc.json: mechanisms[3]
    /// (Ih) on apical`) and what is wrong with it.
    #[error("{at}: {problem}")]
    Rule { at: String, problem: String },
    /// The morphology could not be discretised with the description's settings.
    #[error("{file}: {source}")]
    Cell { file: String, source: CellError },
    /// The engine refused a rule (`at` as for [`ModelError::Rule`]).
    #[error("{at}: {source}")]
    Engine { at: String, source: SimError },
}

/// What is wrong with the rule or setting `at`.
fn err<T>(at: impl Into<String>, problem: impl Into<String>) -> Result<T, ModelError> {
    Err(ModelError::Rule { at: at.into(), problem: problem.into() })
}

/// The engine's error for the rule `at`.
fn engine(at: impl Into<String>, source: SimError) -> ModelError {
    ModelError::Engine { at: at.into(), source }
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

impl CellModel {
    /// Parses a description; `file` names it in messages.
    pub fn from_json(text: &str, file: &str) -> Result<CellModel, ModelError> {
        serde_json::from_str(text)
            .map_err(|e| ModelError::Json { file: file.to_string(), message: e.to_string() })
    }

    /// Reads a description file.
    pub fn read(path: &Path) -> Result<CellModel, ModelError> {
        let text = crate::sim::textfile::read_text_limited(path, crate::sim::textfile::MAX_JSON_BYTES)
            .map_err(|source| ModelError::Read { path: path.to_path_buf(), source })?;
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
            return Err(ModelError::NoMorphology { file: desc_path.display().to_string() });
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
        .map_err(|source| ModelError::Morphology { file: path.display().to_string(), source })?;
    build(&desc, morph, &path.display().to_string())
}

/// Builds the cell of `desc` on an already loaded morphology (the app's entry point).
pub fn from_morphology(morph: Morphology, desc: &CellModel) -> Result<BuiltCell, ModelError> {
    build(desc, morph, "cell model")
}

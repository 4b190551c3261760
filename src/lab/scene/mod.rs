//! The scene: what is on the bench, shared by lessons and setups (both sit above this
//! module). A [`Scene`] names a cell, its biophysics, places found by rule ([`place`]),
//! synapse groups and probes; a [`ResolvedScene`] is a scene found on one cell, ready to
//! build labs from; [`change`] holds the changes (drugs, [Mg2+], channels, densities) a
//! lesson's condition or a setup applies to such a lab.

pub mod change;
pub mod place;

use crate::lab::error::LabError;
use crate::lab::{Lab, SynapseKind};
use crate::sim::morphology::{Morphology, gallery};
use place::{Place, PlaceError, PlaceRule};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Why a scene could not be resolved on a cell.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SceneError {
    /// The cell could not be read or built.
    #[error("{message}")]
    Cell { message: String },
    /// A place rule found no place on this cell.
    #[error("place '{place}': {source}")]
    Place { place: String, source: PlaceError },
    /// Something in the scene (a group, a probe) is wrong, in words naming it.
    #[error("{message}")]
    Invalid { message: String },
}

/// A group of synapses: `count` spread over one place, or one at each of `places`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub name: String,
    /// A place of the scene (a stretch of a branch, or a point).
    #[serde(default)]
    pub place: Option<String>,
    /// Several places, one synapse at the middle of each (instead of `place`).
    #[serde(default)]
    pub places: Vec<String>,
    #[serde(default)]
    pub count: usize,
    pub kind: SynapseKind,
    /// Peak conductance of each receptor (nS).
    pub weight_ns: f64,
    /// NMDA over AMPA peak conductance (1 when absent).
    #[serde(default)]
    pub nmda_ratio: Option<f64>,
}

/// What is on the bench: the cell and everything placed on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    /// A gallery cell's name (`dendra gallery`).
    pub cell: String,
    /// A biophysics preset: its id (`hh`, `hay`, `passive_dendrites`, `gidon`; see
    /// [`crate::lab::biophysics::PRESETS`]). A preset's label, as older files name it, is read too.
    pub biophysics: String,
    /// Places by name, found by rule on whatever cell the lesson is opened on.
    pub places: BTreeMap<String, PlaceRule>,
    #[serde(default)]
    pub groups: Vec<Group>,
    /// Places recorded (and drawn as traces), in order.
    pub probes: Vec<String>,
    /// Time to rest before each run's protocol starts (ms).
    #[serde(default)]
    pub settle_ms: f64,
}

/// A scene resolved on one morphology: its places found on that cell, its groups' synapses
/// and its probes numbered as a lab built from it has them. Lessons run their conditions
/// on it; a setup opens as one.
#[derive(Debug, Clone)]
pub struct ResolvedScene {
    pub morphology: Morphology,
    pub source: String,
    pub places: BTreeMap<String, Place>,
    /// Lab synapse indices of each group (proximal to distal).
    pub groups: BTreeMap<String, Vec<usize>>,
    /// Probe index of each recorded place.
    pub probe_of: BTreeMap<String, usize>,
    /// Compartments of the cell as the scene's biophysics discretise it (what a run's
    /// work scales with).
    pub compartments: usize,
    /// The time step the scene's biophysics run at (ms).
    pub dt: f64,
}

impl ResolvedScene {
    /// The place called `name`, or an error listing the scene's places.
    pub fn place(&self, name: &str) -> Result<&Place, LabError> {
        self.places.get(name).ok_or_else(|| LabError::Unknown {
            what: "place",
            name: name.to_string(),
            known: self.places.keys().cloned().collect(),
        })
    }

    /// The lab synapses of the group called `name` (proximal to distal), or an error
    /// listing the scene's groups.
    pub fn group(&self, name: &str) -> Result<&[usize], LabError> {
        self.groups.get(name).map(Vec::as_slice).ok_or_else(|| LabError::Unknown {
            what: "synapse group",
            name: name.to_string(),
            known: self.groups.keys().cloned().collect(),
        })
    }

    /// Resolves `scene` on `morph` (the scene's own cell when `None`).
    pub fn new(scene: &Scene, morph: Option<(Morphology, String)>) -> Result<ResolvedScene, SceneError> {
        ResolvedScene::new_with_lab(scene, morph).map(|(built, _)| built)
    }

    /// As [`ResolvedScene::new`], with the scene's lab too, made from the bare lab the places were
    /// found on (a setup that opens once needs no second build of the cell).
    pub fn with_lab(
        scene: &Scene,
        morph: Option<(Morphology, String)>,
    ) -> Result<(ResolvedScene, Lab), LabError> {
        let (built, bare) = ResolvedScene::new_with_lab(scene, morph)?;
        let lab = built.populate(bare, scene)?;
        Ok((built, lab))
    }

    fn new_with_lab(
        scene: &Scene,
        morph: Option<(Morphology, String)>,
    ) -> Result<(ResolvedScene, Lab), SceneError> {
        let (morphology, source) = match morph {
            Some(m) => m,
            None => (
                gallery::load(&scene.cell).map_err(|e| SceneError::Cell { message: e.to_string() })?,
                format!("builtin:{}", scene.cell),
            ),
        };
        let mut built = ResolvedScene {
            morphology,
            source,
            places: BTreeMap::new(),
            groups: BTreeMap::new(),
            probe_of: BTreeMap::new(),
            compartments: 0,
            dt: 0.0,
        };
        // Every place is found by a search over the cell: as many as there can be synapses
        // and probes, no more (a setup's file could otherwise ask for millions).
        let most = crate::sim::limits::MAX_SYNAPSES + crate::lab::session::MAX_LAB_PROBES;
        if scene.places.len() > most {
            return Err(SceneError::Invalid {
                message: format!(
                    "places: {}",
                    crate::sim::limits::too_many("places", scene.places.len(), most)
                ),
            });
        }
        // Places are found on the cell as the lab discretises it.
        let lab = Lab::with_biophysics(built.morphology.clone(), &built.source, &scene.biophysics)
            .map_err(|e| SceneError::Cell { message: e.to_string() })?;
        built.compartments = lab.sim.cell.compartment_count();
        built.dt = lab.sim.config.dt;
        for (name, rule) in &scene.places {
            let p = rule
                .find(&lab.sim.cell)
                .map_err(|source| SceneError::Place { place: name.clone(), source })?;
            built.places.insert(name.clone(), p);
        }
        let mut next = 0;
        for g in &scene.groups {
            let names: Vec<&String> = g.place.iter().chain(g.places.iter()).collect();
            if names.is_empty() || (g.place.is_some() && !g.places.is_empty()) {
                return Err(SceneError::Invalid {
                    message: format!("group '{}': give either place or places", g.name),
                });
            }
            for p in &names {
                if !built.places.contains_key(*p) {
                    return Err(SceneError::Invalid {
                        message: format!("group '{}': no place called '{p}'", g.name),
                    });
                }
            }
            let n = if g.places.is_empty() { g.count } else { g.places.len() };
            if n > crate::sim::limits::MAX_SYNAPSES {
                return Err(SceneError::Invalid {
                    message: format!(
                        "group '{}': {}",
                        g.name,
                        crate::sim::limits::too_many("synapses", n, crate::sim::limits::MAX_SYNAPSES)
                    ),
                });
            }
            built.groups.insert(g.name.clone(), (next..next + n).collect());
            next += n;
        }
        let soma = (built.morphology.soma(), 0.5);
        let mut next = 1;
        for (i, p) in scene.probes.iter().enumerate() {
            let Some(place) = built.places.get(p) else {
                return Err(SceneError::Invalid { message: format!("probes[{i}]: no place called '{p}'") });
            };
            // Probe 0 is the lab's own soma probe: the soma's middle is recorded once.
            if place.middle() == soma {
                built.probe_of.insert(p.clone(), 0);
            } else {
                built.probe_of.insert(p.clone(), next);
                next += 1;
            }
        }
        Ok((built, lab))
    }

    /// A fresh lab with the scene (the synapses of every group, the probes).
    pub fn lab(&self, scene: &Scene) -> Result<Lab, LabError> {
        let lab = Lab::with_biophysics(self.morphology.clone(), &self.source, &scene.biophysics)?;
        self.populate(lab, scene)
    }

    /// Places the scene's synapses and probes on `lab` (a bare lab of this cell).
    fn populate(&self, mut lab: Lab, scene: &Scene) -> Result<Lab, LabError> {
        for g in &scene.groups {
            let points: Vec<(usize, f64)> = match &g.place {
                Some(p) => self.places[p].spread(g.count),
                None => g.places.iter().map(|p| self.places[p].middle()).collect(),
            };
            for (s, x) in points {
                let k = lab
                    .add_synapse(s, x, g.kind, g.weight_ns)
                    .map_err(|e| e.at(format!("group '{}'", g.name)))?;
                if let Some(r) = g.nmda_ratio {
                    lab.set_nmda_ratio(k, r);
                }
            }
        }
        for name in &scene.probes {
            if self.probe_of.get(name) == Some(&0) {
                continue; // the lab's own soma probe
            }
            let (s, x) = self.places[name].middle();
            lab.add_probe(s, x).map_err(|e| e.at(format!("probe '{name}'")))?;
        }
        Ok(lab)
    }
}

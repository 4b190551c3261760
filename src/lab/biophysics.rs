//! The lab's biophysics: the regions it switches channels in, and the presets it builds
//! cells with (cell-model descriptions kept as data in `assets/models/`).

use super::error::LabError;
use crate::sim::engine::Simulation;
use crate::sim::model::CellModel;
use crate::sim::morphology::Morphology;
use crate::sim::morphology::Region;

/// Whether a section of a region belongs to a lab region.
pub type RegionTest = fn(Region) -> bool;

/// Regions a mechanism can be inserted in, with their labels.
pub const REGIONS: [(&str, RegionTest); 4] = [
    ("soma", |r| r == Region::Soma),
    ("axon", |r| r == Region::Axon),
    ("basal", |r| r == Region::Basal || matches!(r, Region::Custom(_))),
    ("apical", |r| r == Region::Apical),
];

/// The lab region (a label of [`REGIONS`]) that a mechanism instance labelled `label`
/// (a region's label: `soma`, `basal`, `custom7`, ...) belongs to: one identity from the
/// morphology's region to the drugs, so that custom-type dendrites count as basal for
/// every drug alike.
pub fn lab_region(label: &str) -> Option<&'static str> {
    let r = Region::parse(label)?;
    REGIONS.iter().find(|(_, test)| test(r)).map(|(l, _)| *l)
}

/// A set of biophysics the lab offers: its identity (what files, lessons, the command
/// line and the lab refer to it by), its label for the panel, and its cell-model
/// description (see `crate::sim::model`), kept as data in `assets/models/`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preset {
    pub id: &'static str,
    pub label: &'static str,
    pub model: &'static str,
}

/// The presets, the lab's default first (embedded in the binary).
pub const PRESETS: [Preset; 4] = [
    Preset {
        id: "hh",
        label: "Hodgkin-Huxley (teaching)",
        model: include_str!("../../assets/models/hh_teaching.json"),
    },
    Preset {
        id: "hay",
        label: "Hay et al. 2011 L5PC",
        model: include_str!("../../assets/models/hay_biophys3.json"),
    },
    Preset {
        id: "passive_dendrites",
        label: "Passive dendrites, HH soma",
        model: include_str!("../../assets/models/passive_dendrites.json"),
    },
    Preset {
        id: "gidon",
        label: "Gidon et al. 2020 L2/3 (dCaAP)",
        model: include_str!("../../assets/models/gidon_l23.json"),
    },
];

/// The lab's default biophysics.
pub const DEFAULT_PRESET: &str = PRESETS[0].id;

/// The preset `name` names: its identity, or (as setups saved before presets had
/// identities did) its label.
pub fn find_preset(name: &str) -> Result<&'static Preset, LabError> {
    PRESETS.iter().find(|p| p.id == name).or_else(|| PRESETS.iter().find(|p| p.label == name)).ok_or_else(
        || {
            let known = PRESETS.iter().map(|p| p.id.to_string()).collect();
            LabError::Unknown { what: "biophysics", name: name.to_string(), known }
        },
    )
}

/// The panel's label of preset `id` (the id itself if there is no such preset).
pub fn preset_label(id: &str) -> &str {
    PRESETS.iter().find(|p| p.id == id).map_or(id, |p| p.label)
}

impl Preset {
    /// Its cell-model description.
    pub fn model(&self) -> Result<CellModel, LabError> {
        CellModel::from_json(self.model, self.id)
            .map_err(|e| LabError::Biophysics { file: self.id.to_string(), source: Box::new(e) })
    }

    /// A simulation of `morph` with these biophysics: one mechanism instance per
    /// (mechanism, region), labelled with the region, so that each can be switched per
    /// region.
    pub fn build(&self, morph: Morphology) -> Result<Simulation, LabError> {
        let desc = self.model()?;
        let file = morph.file.clone();
        let built = crate::sim::model::from_morphology(morph, &desc)
            .map_err(|e| LabError::Biophysics { file, source: Box::new(e) })?;
        Ok(built.sim)
    }
}

/// The description of the preset `name` names (see [`find_preset`]).
pub fn preset(name: &str) -> Result<CellModel, LabError> {
    find_preset(name)?.model()
}

/// Builds a simulation of `morph` with the preset `name` names (see [`Preset::build`]).
pub fn build(morph: Morphology, name: &str) -> Result<Simulation, LabError> {
    find_preset(name)?.build(morph)
}

/// Checks that `region` is one of [`REGIONS`] (the lab's drug regions).
pub fn check_region(region: &str) -> Result<(), LabError> {
    if REGIONS.iter().any(|(l, _)| *l == region) {
        return Ok(());
    }
    let known = REGIONS.iter().map(|(l, _)| l.to_string()).collect();
    Err(LabError::Unknown { what: "region", name: region.to_string(), known })
}

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

/// The biophysics the lab offers, as data (`assets/models/*.json`, embedded in the binary):
/// a name for the panel and the cell-model description (see `crate::sim::model`).
pub const PRESETS: [(&str, &str); 4] = [
    ("Hodgkin-Huxley (teaching)", include_str!("../../assets/models/hh_teaching.json")),
    ("Hay et al. 2011 L5PC", include_str!("../../assets/models/hay_biophys3.json")),
    ("Passive dendrites, HH soma", include_str!("../../assets/models/passive_dendrites.json")),
    ("Gidon et al. 2020 L2/3 (dCaAP)", include_str!("../../assets/models/gidon_l23.json")),
];

/// The description of preset `name` (the first preset if there is no such one).
pub fn preset(name: &str) -> Result<CellModel, LabError> {
    let Some((n, text)) = PRESETS.iter().find(|(n, _)| *n == name) else {
        let known = PRESETS.iter().map(|(n, _)| n.to_string()).collect();
        return Err(LabError::Unknown { what: "biophysics", name: name.to_string(), known });
    };
    CellModel::from_json(text, n)
        .map_err(|e| LabError::Biophysics { file: n.to_string(), source: Box::new(e) })
}

/// Builds a simulation of `morph` with preset `name`: one mechanism instance per
/// (mechanism, region), labelled with the region, so that each can be switched per region.
pub fn build(morph: Morphology, name: &str) -> Result<Simulation, LabError> {
    let desc = preset(name)?;
    let file = morph.file.clone();
    let built = crate::sim::model::from_morphology(morph, &desc)
        .map_err(|e| LabError::Biophysics { file, source: Box::new(e) })?;
    Ok(built.sim)
}

/// Checks that `region` is one of [`REGIONS`] (the lab's drug regions).
pub fn check_region(region: &str) -> Result<(), LabError> {
    if REGIONS.iter().any(|(l, _)| *l == region) {
        return Ok(());
    }
    let known = REGIONS.iter().map(|(l, _)| l.to_string()).collect();
    Err(LabError::Unknown { what: "region", name: region.to_string(), known })
}

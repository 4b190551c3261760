//! The lab's default biophysics for a loaded cell: Hodgkin-Huxley spikes at the soma
//! and axon, a passive tree with a weak dendritic Na+/K+ (so that action potentials
//! back-propagate, and fade when TTX is applied to the dendrites), NEURON units.

use crate::sim::engine::{SimConfig, SimError, Simulation};
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

/// Temperature, time step and resting potential of the lab.
pub fn lab_config() -> SimConfig {
    SimConfig { dt: 0.025, celsius: 6.3, v_init: -65.0, crank_nicolson: false }
}

/// Inserts the default mechanisms, one instance per (mechanism, region) so that each
/// can be switched per region.
pub fn insert_default(sim: &mut Simulation) -> Result<(), SimError> {
    for (label, pred) in REGIONS {
        let nodes = {
            let sections = &sim.cell.morphology.sections;
            sim.cell.nodes_where(|s| pred(sections[s].region))
        };
        if nodes.is_empty() {
            continue;
        }
        let hh = sim.insert("hh", nodes.clone(), label)?;
        match label {
            "soma" => {}
            "axon" => sim.set_param(hh, "gnabar", 0.25)?,
            _ => {
                // A tenth of the somatic Na+ and K+: enough for back-propagation.
                sim.set_param(hh, "gnabar", 0.012)?;
                sim.set_param(hh, "gkbar", 0.0036)?;
                sim.set_param(hh, "gl", 0.0)?;
                let pas = sim.insert("pas", nodes, label)?;
                sim.set_param(pas, "g", 5e-5)?;
                sim.set_param(pas, "e", -65.0)?;
            }
        }
    }
    Ok(())
}

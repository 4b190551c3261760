//! Drugs, channels and densities on the lab: a drug per region blocks its targets, a
//! mechanism can be switched off by hand, a density set (and locked while a drug blocks
//! it); each region named once (`biophysics::REGIONS`).

use super::error::LabError;
use super::session::Lab;

use super::biophysics;
use super::pharmacology::{Drug, Target};

impl Lab {
    /// The region label of a section, as the mechanisms are labelled.
    pub fn region_label(&self, section: usize) -> String {
        let r = self.sim.cell.morphology.sections[section].region;
        biophysics::REGIONS.iter().find(|(_, p)| p(r)).map(|(l, _)| l.to_string()).unwrap_or_default()
    }

    /// Applies or washes out `drug` in `region` (a label of [`biophysics::REGIONS`]).
    pub fn set_drug(&mut self, drug: Drug, region: &str, on: bool) {
        let key = (drug, region.to_string());
        if on == self.drugs.contains(&key) {
            return;
        }
        if on {
            self.drugs.insert(key);
        } else {
            self.drugs.remove(&key);
        }
        for target in drug.targets() {
            match target {
                Target::Mechanism(name) => {
                    for slot in 0..self.sim.mechs.len() {
                        let m = &self.sim.mechs[slot];
                        if biophysics::lab_region(&m.label) == Some(region) && m.mech.name() == name {
                            self.refresh_enabled(slot);
                        }
                    }
                }
                Target::Param(name, param) => {
                    for slot in 0..self.sim.mechs.len() {
                        let m = &mut self.sim.mechs[slot];
                        if biophysics::lab_region(&m.label) != Some(region) || m.mech.name() != name {
                            continue;
                        }
                        let n = m.mech.nodes().len();
                        if on {
                            let vals: Option<Vec<f64>> = (0..n).map(|k| m.mech.param(param, k)).collect();
                            // A mechanism without the drug's parameter is not its target.
                            if let Some(vals) = vals
                                && m.mech.set_param(param, 0.0).is_ok()
                            {
                                self.saved.insert((slot, param), vals);
                            }
                        } else if let Some(vals) = self.saved.remove(&(slot, param)) {
                            for (k, v) in vals.into_iter().enumerate() {
                                // Values read from the parameter go back where they were.
                                let restored = m.mech.set_param_at(param, k, v);
                                debug_assert!(restored.is_ok(), "{restored:?}");
                            }
                        }
                    }
                }
                Target::NmdaReceptors => {
                    for i in 0..self.synapses.len() {
                        if let Some(k) = self.synapses[i].nmda
                            && self.region_label(self.synapses[i].section) == region
                        {
                            self.sim.synapses.set_enabled(k, !on);
                        }
                    }
                }
            }
        }
    }

    /// The conductance densities the panel offers as sliders: (slot, parameter name) for
    /// every parameter of every mechanism whose name starts with `g` (S/cm2).
    pub fn densities(&self) -> Vec<(usize, &'static str)> {
        let mut out = Vec::new();
        for (slot, m) in self.sim.mechs.iter().enumerate() {
            let Some(entry) = crate::sim::mechanisms::catalogue::entry(m.mech.name()) else { continue };
            out.extend(entry.params.iter().filter(|p| p.is_density()).map(|p| (slot, p.name)));
        }
        out
    }

    /// Whether a drug holds this parameter at 0 (its slider is then locked).
    pub fn density_blocked(&self, slot: usize, param: &'static str) -> bool {
        self.saved.contains_key(&(slot, param))
    }

    /// Sets a conductance density (S/cm2) uniformly on a mechanism, live. Refused while
    /// a drug blocks it, or for a value that is not a finite non-negative number.
    pub fn set_density(&mut self, slot: usize, param: &'static str, value: f64) -> Result<(), LabError> {
        if self.density_blocked(slot, param) {
            return Err(LabError::NotNow(format!("{param} is blocked by a drug; wash it out first")));
        }
        self.sim.set_param(slot, param, value)?;
        self.density_edits.insert((slot, param), value);
        Ok(())
    }

    /// The slot of mechanism `name` in the region labelled `region`, if the cell has it.
    pub fn mechanism_slot(&self, name: &str, region: &str) -> Option<usize> {
        self.sim.mechs.iter().position(|m| m.mech.name() == name && m.label == region)
    }

    /// Switches a mechanism instance (one mechanism in one region) on or off, as a
    /// toggle apart from the drugs. Off, it passes no current; its states keep following v.
    pub fn set_mechanism_on(&mut self, slot: usize, on: bool) {
        if slot >= self.sim.mechs.len() {
            return;
        }
        if on {
            self.switched_off.remove(&slot);
        } else {
            self.switched_off.insert(slot);
        }
        self.refresh_enabled(slot);
    }

    /// Whether a mechanism instance was switched off by hand (drugs aside).
    pub fn switched_off(&self, slot: usize) -> bool {
        self.switched_off.contains(&slot)
    }

    /// A mechanism passes current unless switched off by hand or blocked whole by a drug
    /// in its region: the one place that decides.
    pub(super) fn refresh_enabled(&mut self, slot: usize) {
        let m = &self.sim.mechs[slot];
        let lab_region = biophysics::lab_region(&m.label);
        let drugged = self.drugs.iter().any(|(d, r)| {
            Some(r.as_str()) == lab_region
                && d.targets().iter().any(|t| matches!(t, Target::Mechanism(n) if *n == m.mech.name()))
        });
        let on = !drugged && !self.switched_off.contains(&slot);
        self.sim.mechs[slot].enabled = on;
    }

    /// Whether `drug` is applied in `region`.
    pub fn drug_on(&self, drug: Drug, region: &str) -> bool {
        self.drugs.contains(&(drug, region.to_string()))
    }
}

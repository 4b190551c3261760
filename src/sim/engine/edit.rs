//! Live edits: what the lab, a lesson or a file changes between steps (mechanisms and
//! their parameters, synapses, electrodes, spike trains, recordings, dt, temperature).
//! Each checks what it is given and says what is wrong as a [`SimError`].

use super::{MechSlot, SimError, Simulation, SpikeDetector};
use crate::sim::events::{Event, PoissonSource};
use crate::sim::limits;
use crate::sim::mechanisms::{self, Mechanism, ParamError};
use crate::sim::recording::{Probe, Recorder};
use crate::sim::stimuli::{EpspCurrent, IClamp};
use crate::sim::synapses::SynapseParams;

impl Simulation {
    /// Inserts mechanism `name` (NEURON's SUFFIX) on `nodes`; returns its slot. Its
    /// per-node currents and conductances are stored (for `Mechanism::state`) only once
    /// [`Simulation::record`] records one of them (`Mechanism::keep_currents`).
    pub fn insert(&mut self, name: &str, nodes: Vec<u32>, label: &str) -> Result<usize, SimError> {
        let n = self.cell.node_count() as u32;
        if let Some(bad) = nodes.iter().find(|&&k| k >= n || self.cell.area[k as usize] <= 0.0) {
            return Err(SimError::NotMembrane { mechanism: name.to_string(), node: *bad });
        }
        let mut mech = mechanisms::create(name, nodes)
            .ok_or_else(|| SimError::UnknownMechanism { name: name.to_string() })?;
        // Currents are stored for `state` only where they are recorded (see `record`).
        mech.keep_currents(false);
        self.mechs.push(MechSlot { mech, enabled: true, label: label.to_string() });
        let rank = |slot: &usize| {
            let name = self.mechs[*slot].mech.name();
            mechanisms::catalogue::rank(name).unwrap_or(usize::MAX)
        };
        let mut order: Vec<usize> = (0..self.mechs.len()).collect();
        order.sort_by_key(rank);
        self.order = order;
        Ok(self.mechs.len() - 1)
    }

    /// Sets a parameter of the mechanism in `slot` on all its nodes, live.
    pub fn set_param(&mut self, slot: usize, name: &str, value: f64) -> Result<(), SimError> {
        let m = self.mechs.get_mut(slot).ok_or(SimError::NoMechanism(slot))?;
        check_bounds(m.mech.as_ref(), name, value)?;
        m.mech.set_param(name, value)?;
        Ok(())
    }

    /// Sets a parameter of the mechanism in `slot` at one of its nodes (by position in
    /// its `nodes`), live: what a distribution along the cell sets.
    pub fn set_param_at(
        &mut self,
        slot: usize,
        name: &str,
        index: usize,
        value: f64,
    ) -> Result<(), SimError> {
        let m = self.mechs.get_mut(slot).ok_or(SimError::NoMechanism(slot))?;
        check_bounds(m.mech.as_ref(), name, value)?;
        m.mech.set_param_at(name, index, value)?;
        Ok(())
    }

    /// Switches the mechanism in `slot` on or off, live.
    pub fn set_enabled(&mut self, slot: usize, on: bool) -> Result<(), SimError> {
        let m = self.mechs.get_mut(slot).ok_or(SimError::NoMechanism(slot))?;
        m.enabled = on;
        Ok(())
    }

    fn check_synapse(&self, k: usize) -> Result<(), SimError> {
        if k < self.synapses.len() { Ok(()) } else { Err(SimError::NoSynapse(k)) }
    }

    fn check_node(&self, node: u32) -> Result<(), SimError> {
        if (node as usize) < self.cell.node_count() { Ok(()) } else { Err(SimError::NoNode(node)) }
    }

    /// Adds a synapse at `node`; returns its index.
    pub fn add_synapse(&mut self, node: u32, params: SynapseParams) -> Result<usize, SimError> {
        self.check_node(node)?;
        params.validate()?;
        if self.synapses.len() >= limits::MAX_ENGINE_SYNAPSES {
            return Err(SimError::TooMany {
                what: "synaptic conductances",
                count: self.synapses.len() + 1,
                limit: limits::MAX_ENGINE_SYNAPSES,
            });
        }
        let scale = self.matrix.scale[node as usize];
        Ok(self.synapses.push(node, scale, params, self.config.dt))
    }

    /// Changes a synapse's kinetics, reversal or Mg2+ block, live.
    pub fn set_synapse_params(&mut self, k: usize, params: SynapseParams) -> Result<(), SimError> {
        params.validate()?;
        self.check_synapse(k)?;
        self.synapses.set_params(k, params, self.config.dt);
        Ok(())
    }

    /// Adds a current clamp.
    pub fn add_iclamp(&mut self, c: IClamp) -> Result<usize, SimError> {
        self.check_node(c.node)?;
        if !(c.delay.is_finite() && c.dur.is_finite() && c.amp.is_finite()) {
            return Err(SimError::NotFinite { what: "IClamp's delay, dur and amp" });
        }
        if c.dur < 0.0 {
            return Err(SimError::Value { what: "IClamp's dur", value: c.dur, rule: ">= 0 ms" });
        }
        self.check_stimulus_count()?;
        self.stimuli.iclamp_scale.push(self.matrix.scale[c.node as usize]);
        self.stimuli.iclamps.push(c);
        Ok(self.stimuli.iclamps.len() - 1)
    }

    /// Adds an EPSP-shaped current (Hay's `epsp`).
    pub fn add_epsp(&mut self, c: EpspCurrent) -> Result<usize, SimError> {
        self.check_node(c.node)?;
        self.check_stimulus_count()?;
        self.stimuli.epsp_scale.push(self.matrix.scale[c.node as usize]);
        self.stimuli.epsps.push(c);
        Ok(self.stimuli.epsps.len() - 1)
    }

    /// Schedules a spike into synapse `synapse` at each of `times` (ms), kept across
    /// re-initialisations.
    pub fn add_spike_times(&mut self, synapse: usize, times: &[f64], weight: f64) -> Result<(), SimError> {
        self.check_synapse(synapse)?;
        for &t in times {
            if !t.is_finite() {
                return Err(SimError::NotFinite { what: "spike times" });
            }
            let ev = Event { t, synapse: synapse as u32, weight, source: u32::MAX };
            self.events.fixed.push(ev);
            self.events.push(ev);
        }
        Ok(())
    }

    /// Fires synapse `synapse` once at time `t` (ms), now only (not kept).
    pub fn fire(&mut self, synapse: usize, t: f64, weight: f64) {
        if synapse < self.synapses.len() {
            self.events.push(Event { t, synapse: synapse as u32, weight, source: u32::MAX });
        }
    }

    /// Removes synapse `k` for good: it is no longer stepped, its events and Poisson
    /// sources go. The last synapse takes index `k`; returns the index it had (None when
    /// `k` was the last). Refused while a recorder probe reads `k` or the last synapse.
    pub fn remove_synapse(&mut self, k: usize) -> Result<Option<usize>, SimError> {
        let n = self.synapses.len();
        if k >= n {
            return Err(SimError::NoSynapse(k));
        }
        let last = n - 1;
        if self.recorder.probes.iter().any(|p| matches!(p, Probe::SynapseCurrent(j) if *j == k || *j == last))
        {
            return Err(SimError::Recorded(k));
        }
        self.synapses.swap_remove(k);
        self.events.remove_synapse(k as u32, last as u32);
        Ok((k != last).then_some(last))
    }

    /// Drives synapse `synapse` with a seeded Poisson train.
    pub fn add_poisson(
        &mut self,
        synapse: usize,
        rate_hz: f64,
        weight: f64,
        start: f64,
        stop: f64,
        seed: u64,
    ) -> Result<(), SimError> {
        self.check_synapse(synapse)?;
        if !(rate_hz.is_finite() && rate_hz >= 0.0) {
            return Err(SimError::Value { what: "Poisson rate", value: rate_hz, rule: ">= 0 Hz" });
        }
        self.events.sources.push(PoissonSource::new(synapse as u32, rate_hz, weight, start, stop, seed));
        Ok(())
    }

    /// Counts spikes (upward crossings of `threshold` mV) at `node`; returns its index.
    pub fn add_spike_detector(&mut self, node: u32, threshold: f64) -> Result<usize, SimError> {
        self.check_node(node)?;
        self.detectors.push(SpikeDetector { node, threshold, above: false, count: 0, last: None });
        Ok(self.detectors.len() - 1)
    }

    /// Records `probes` every `every` steps, keeping the latest `capacity` samples.
    pub fn record(&mut self, probes: &[Probe], every: u32, capacity: usize) -> Result<(), SimError> {
        if probes.len() > limits::MAX_PROBES {
            return Err(SimError::TooMany { what: "probes", count: probes.len(), limit: limits::MAX_PROBES });
        }
        if capacity.saturating_mul(probes.len() + 1) > limits::MAX_SAMPLES {
            return Err(SimError::TooManySamples { probes: probes.len(), capacity });
        }
        for p in probes {
            match p {
                Probe::Voltage(n) | Probe::Calcium(n) => self.check_node(*n)?,
                Probe::Mechanism { slot, index, name } => {
                    let m = self.mechs.get_mut(*slot).ok_or(SimError::NoMechanism(*slot))?;
                    // A recorded mechanism keeps its currents for `state`.
                    m.mech.keep_currents(true);
                    if m.mech.state(name, *index).is_none() {
                        return Err(SimError::NoState {
                            mechanism: m.mech.name(),
                            name: name.clone(),
                            index: *index,
                        });
                    }
                }
                Probe::SynapseCurrent(k) => {
                    self.check_synapse(*k)?;
                }
            }
        }
        self.recorder = Recorder::new(every, capacity);
        for p in probes {
            self.recorder.add(p.clone());
        }
        Ok(())
    }

    /// Changes the time step (ms), keeping the state.
    pub fn set_dt(&mut self, dt: f64) -> Result<(), SimError> {
        check_dt(dt)?;
        self.config.dt = dt;
        self.env.dt = dt;
        self.matrix.set_dt(&self.cell, dt, self.config.crank_nicolson);
        for k in 0..self.synapses.len() {
            self.synapses.refresh(k, dt);
        }
        Ok(())
    }

    /// Changes the temperature (degC), live.
    pub fn set_celsius(&mut self, celsius: f64) -> Result<(), SimError> {
        if !celsius.is_finite() || !(-50.0..=100.0).contains(&celsius) {
            return Err(SimError::Value {
                what: "temperature",
                value: celsius,
                rule: "within -50..100 degC",
            });
        }
        self.config.celsius = celsius;
        self.env.celsius = celsius;
        Ok(())
    }

    fn check_stimulus_count(&self) -> Result<(), SimError> {
        let n = self.stimuli.iclamps.len() + self.stimuli.epsps.len();
        if n >= limits::MAX_STIMULI {
            return Err(SimError::TooMany {
                what: "current stimuli",
                count: n + 1,
                limit: limits::MAX_STIMULI,
            });
        }
        Ok(())
    }
}

/// Checks `value` for parameter `name` of `mech` against the catalogue's bounds (a name
/// the catalogue does not list is left to the mechanism to refuse).
fn check_bounds(mech: &dyn Mechanism, name: &str, value: f64) -> Result<(), ParamError> {
    match mechanisms::catalogue::entry(mech.name()).and_then(|e| e.param(name)) {
        Some(p) => p.check(mech.name(), value),
        None => Ok(()),
    }
}

/// Checks a time step (ms): the engine takes (0, 10] ms.
pub(super) fn check_dt(dt: f64) -> Result<(), SimError> {
    if dt.is_finite() && dt > 0.0 && dt <= 10.0 {
        Ok(())
    } else {
        Err(SimError::Value { what: "dt", value: dt, rule: "in (0, 10] ms" })
    }
}

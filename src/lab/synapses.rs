//! Synapses on the lab: placing, moving and removing them (their engine receptors with
//! them), [Mg2+], the selection, and firing patterns (once, bursts, Poisson trains, Branco's
//! sequences).

use super::error::LabError;
use super::session::{Lab, MAX_MG_MM, MAX_SPIKES_PER_FIRE, MAX_WEIGHT_NS};

use super::pharmacology::Drug;
use crate::sim::synapses::{MgBlock, SynapseParams};
use serde::{Deserialize, Serialize};

/// The receptor mix of a placed synapse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SynapseKind {
    Ampa,
    AmpaNmda,
    GabaA,
}

impl SynapseKind {
    pub const ALL: [SynapseKind; 3] = [SynapseKind::AmpaNmda, SynapseKind::Ampa, SynapseKind::GabaA];
    pub fn label(self) -> &'static str {
        match self {
            SynapseKind::Ampa => "AMPA",
            SynapseKind::AmpaNmda => "AMPA+NMDA",
            SynapseKind::GabaA => "GABA-A",
        }
    }
}

/// A synapse the user placed.
#[derive(Debug, Clone)]
pub struct LabSynapse {
    pub section: usize,
    pub x: f64,
    pub kind: SynapseKind,
    /// Peak conductance of each receptor (nS).
    pub weight_ns: f64,
    /// Engine synapses: AMPA or GABA-A, and NMDA.
    pub fast: usize,
    pub nmda: Option<usize>,
    /// NMDA peak conductance over the AMPA one (1: the same `weight_ns` for both).
    pub nmda_ratio: f64,
    pub selected: bool,
}

/// How to fire the selected synapses.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum FirePattern {
    /// One spike each, now.
    Single,
    /// `n` spikes at `hz`.
    Burst { n: u32, hz: f64 },
    /// A Poisson train at `hz` for `ms`.
    Poisson { hz: f64, ms: f64 },
    /// One spike each, in order of distance along the tree: distal first (`inward`) or
    /// proximal first, `interval_ms` apart (Branco et al. 2010).
    Sequence { inward: bool, interval_ms: f64 },
}

/// The peak conductance a synapse placed by hand gets (nS): small, so that one synapse
/// gives a small EPSP and a cluster's response is the cell's, not the sum of saturated
/// AMPA currents. With [`HAND_NMDA_RATIO`], ten clustered on a thin dendrite of the
/// default cell fire an NMDA spike: the linearity meter reads about x2.4 at the soma, and
/// APV removes two thirds of the somatic EPSP (the test `lab_defaults_teach_the_nmda_spike`).
/// At 1 nS AMPA alone drove the branch near its reversal: APV barely changed the peak and
/// the meter read the cluster as sublinear.
pub const HAND_WEIGHT_NS: f64 = 0.25;
/// The NMDA over AMPA peak conductance of an AMPA+NMDA synapse placed by hand: 3, as
/// Branco et al. 2010's model has it (AMPA 0.5 nS, NMDA about 1.6 nS).
pub const HAND_NMDA_RATIO: f64 = 3.0;

impl Lab {
    pub(super) fn nmda_params(&self) -> SynapseParams {
        SynapseParams { tau1: 2.0, tau2: 70.0, e: 0.0, mg_block: Some(self.mg_block()) }
    }

    /// The Mg2+ block every NMDA receptor of the lab has now (Jahr and Stevens's
    /// Kd 3.57 mM at 0 mV).
    pub fn mg_block(&self) -> MgBlock {
        MgBlock { mg: self.mg_mm, gamma: self.nmda_gamma, kd: 3.57 }
    }

    /// Sets synapse `i`'s NMDA over AMPA conductance ratio (0 to 10).
    pub fn set_nmda_ratio(&mut self, i: usize, ratio: f64) {
        if let Some(s) = self.synapses.get_mut(i) {
            s.nmda_ratio = if ratio.is_finite() { ratio.clamp(0.0, 10.0) } else { 1.0 };
        }
    }

    /// Places a synapse at `x` on `section`; returns its index.
    pub fn add_synapse(
        &mut self,
        section: usize,
        x: f64,
        kind: SynapseKind,
        weight_ns: f64,
    ) -> Result<usize, LabError> {
        self.check_location(section, x)?;
        // Counted as the user places them: an AMPA+NMDA synapse is one (the engine's
        // limit on conductances is twice this, so it is never reached first).
        let limit = crate::sim::limits::MAX_SYNAPSES;
        if self.synapses.len() >= limit {
            return Err(LabError::TooMany { what: "synapses", count: self.synapses.len() + 1, limit });
        }
        let weight_ns = if weight_ns.is_finite() { weight_ns.clamp(0.0, MAX_WEIGHT_NS) } else { 1.0 };
        let node = self.sim.cell.compartment_at(section, x);
        let fast_params = match kind {
            SynapseKind::GabaA => SynapseParams::gaba_a(),
            _ => SynapseParams::ampa(),
        };
        let fast = self.sim.add_synapse(node, fast_params)?;
        let nmda = match kind {
            SynapseKind::AmpaNmda => {
                let k = self.sim.add_synapse(node, self.nmda_params())?;
                let region = self.region_label(section);
                self.sim.synapses.set_enabled(k, !self.drugs.contains(&(Drug::Apv, region)));
                Some(k)
            }
            _ => None,
        };
        self.synapses.push(LabSynapse {
            section,
            x,
            kind,
            weight_ns,
            fast,
            nmda,
            nmda_ratio: 1.0,
            selected: false,
        });
        Ok(self.synapses.len() - 1)
    }

    /// Removes synapse `i`: its engine synapses leave the engine (no longer stepped) with
    /// their queued spikes; the others keep theirs.
    pub fn remove_synapse(&mut self, i: usize) {
        if i >= self.synapses.len() {
            return;
        }
        let s = self.synapses.remove(i);
        let mut gone = [Some(s.fast), s.nmda];
        for j in 0..gone.len() {
            let Some(k) = gone[j] else { continue };
            match self.sim.remove_synapse(k) {
                Ok(Some(last)) => {
                    // The engine's last synapse now sits at k.
                    for other in &mut self.synapses {
                        if other.fast == last {
                            other.fast = k;
                        }
                        if other.nmda == Some(last) {
                            other.nmda = Some(k);
                        }
                    }
                    for g in gone.iter_mut().skip(j + 1) {
                        if *g == Some(last) {
                            *g = Some(k);
                        }
                    }
                }
                Ok(None) => {}
                // Recorded (never by the lab itself): silence it instead.
                Err(_) => self.sim.synapses.set_enabled(k, false),
            }
        }
    }

    /// Removes every selected synapse.
    pub fn remove_selected(&mut self) {
        let mut i = self.synapses.len();
        while i > 0 {
            i -= 1;
            if self.synapses[i].selected {
                self.remove_synapse(i);
            }
        }
    }

    /// Moves synapse `i` to a new location, keeping its kind, weight and selection.
    pub fn move_synapse(&mut self, i: usize, section: usize, x: f64) -> Result<(), LabError> {
        self.check_location(section, x)?;
        let Some(old) = self.synapses.get(i).cloned() else {
            return Err(LabError::NoSynapse { index: i, count: self.synapses.len() });
        };
        self.remove_synapse(i);
        let j = self.add_synapse(section, x, old.kind, old.weight_ns)?;
        let s = self.synapses.remove(j);
        self.synapses.insert(i, LabSynapse { selected: old.selected, nmda_ratio: old.nmda_ratio, ..s });
        Ok(())
    }

    /// Sets [Mg2+] (mM) for every NMDA receptor, live.
    pub fn set_mg(&mut self, mg_mm: f64) {
        if !mg_mm.is_finite() {
            return;
        }
        self.mg_mm = mg_mm.clamp(0.0, MAX_MG_MM);
        let p = self.nmda_params();
        for s in &self.synapses {
            if let Some(k) = s.nmda {
                // The lab's own synapse, with [Mg2+] clamped: the engine takes it.
                let set = self.sim.set_synapse_params(k, p);
                debug_assert!(set.is_ok(), "{set:?}");
            }
        }
    }

    /// Selects or deselects every synapse.
    pub fn select_all(&mut self, on: bool) {
        self.synapses.iter_mut().for_each(|s| s.selected = on);
    }

    /// What firing with `pattern` now does, in words, after [`Lab::fire`] queued `queued`
    /// spikes: "fired 10 of 12 synapses, inward, 2 ms apart (10 spikes)".
    pub fn describe_fire(&self, pattern: FirePattern, queued: usize) -> String {
        let selected = self.synapses.iter().filter(|s| s.selected).count();
        let total = self.synapses.len();
        let n = if selected == 0 { total } else { selected };
        let how = match pattern {
            FirePattern::Single => "once each".to_string(),
            FirePattern::Burst { n, hz } => format!("a burst of {n} at {hz} Hz"),
            FirePattern::Poisson { hz, ms } => format!("Poisson trains at {hz} Hz for {ms} ms"),
            FirePattern::Sequence { inward, interval_ms } => {
                format!(
                    "{}, {interval_ms} ms apart",
                    if inward { "inward (distal first)" } else { "outward (proximal first)" }
                )
            }
        };
        if total == 0 {
            return "no synapses to fire: place some with the Synapse tool".into();
        }
        format!("fired {n} of {total} synapses, {how} ({queued} spikes)")
    }

    /// The engine synapses of lab synapse `i` with their weights (uS): the fast receptor
    /// (AMPA or GABA-A) and, for AMPA+NMDA, the NMDA receptor at `nmda_ratio` times it.
    pub fn engine_synapses(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + use<> {
        let s = &self.synapses[i];
        let w = s.weight_ns * 1e-3;
        [Some((s.fast, w)), s.nmda.map(|k| (k, w * s.nmda_ratio))].into_iter().flatten()
    }

    /// Delivers one spike to lab synapse `i` at time `t` (ms).
    pub fn fire_one(&mut self, i: usize, t: f64) {
        for (k, w) in self.engine_synapses(i) {
            self.sim.fire(k, t, w);
        }
    }

    /// Fires the selected synapses (or all, if none is selected) with `pattern`.
    /// Returns how many spikes were queued.
    pub fn fire(&mut self, pattern: FirePattern) -> usize {
        let t0 = self.sim.t() + self.sim.config.dt;
        self.fire_from(pattern, t0)
    }

    /// What the Space key and the panel's fire buttons do: fires with `pattern` and says
    /// what was fired. A paused lab runs again, so that the spikes play now (after a
    /// trial the lab stays paused, and spikes fired then waited for P to arrive all at
    /// once); the message says so.
    pub fn fire_and_say(&mut self, pattern: FirePattern) -> String {
        let n = self.fire(pattern);
        let mut msg = self.describe_fire(pattern, n);
        if self.paused && n > 0 {
            self.paused = false;
            msg.push_str(" (the lab was paused: it runs again)");
        }
        msg
    }

    /// As [`Lab::fire`], the first spikes at `t0` (ms).
    pub fn fire_from(&mut self, pattern: FirePattern, t0: f64) -> usize {
        let mut chosen: Vec<usize> =
            (0..self.synapses.len()).filter(|&i| self.synapses[i].selected).collect();
        if chosen.is_empty() {
            chosen = (0..self.synapses.len()).collect();
        }
        let mut queued = 0;
        let mut spike = |lab: &mut Lab, i: usize, t: f64| {
            if queued >= MAX_SPIKES_PER_FIRE {
                return false;
            }
            lab.fire_one(i, t);
            queued += 1;
            true
        };
        match pattern {
            FirePattern::Single => chosen.iter().for_each(|&i| {
                spike(self, i, t0);
            }),
            FirePattern::Burst { n, hz } => {
                let hz = if hz.is_finite() { hz.clamp(0.1, 1000.0) } else { 50.0 };
                for k in 0..n.min(1000) {
                    chosen.iter().for_each(|&i| {
                        spike(self, i, t0 + k as f64 * 1000.0 / hz);
                    });
                }
            }
            FirePattern::Poisson { hz, ms } => {
                let hz = if hz.is_finite() { hz.clamp(0.0, 1000.0) } else { 0.0 };
                let ms = if ms.is_finite() { ms.clamp(0.0, 60_000.0) } else { 0.0 };
                if hz > 0.0 {
                    for &i in &chosen {
                        let mut t = t0 + self.rng.exponential(1000.0 / hz);
                        while t < t0 + ms {
                            if !spike(self, i, t) {
                                break;
                            }
                            t += self.rng.exponential(1000.0 / hz);
                        }
                    }
                }
            }
            FirePattern::Sequence { inward, interval_ms } => {
                let iv = if interval_ms.is_finite() { interval_ms.clamp(0.0, 1000.0) } else { 1.0 };
                let morph = &self.sim.cell.morphology;
                let mut order: Vec<(f64, usize)> = chosen
                    .iter()
                    .map(|&i| (morph.path_distance(0.5, self.synapses[i].section, self.synapses[i].x), i))
                    .collect();
                order.sort_by(|a, b| a.0.total_cmp(&b.0));
                if inward {
                    order.reverse();
                }
                for (k, &(_, i)) in order.iter().enumerate() {
                    spike(self, i, t0 + k as f64 * iv);
                }
            }
        }
        queued
    }
}

//! The lab's state and the commands the panel, the keyboard and clicks on the tree send.

use super::biophysics;
use super::pharmacology::{Drug, Target};
use crate::sim::engine::Simulation;
use crate::sim::morphology::Morphology;
use crate::sim::recording::Ring;
use crate::sim::rng::Rng;
use crate::sim::stimuli::{EpspCurrent, IClamp};
use crate::sim::synapses::{MgBlock, SynapseParams};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

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

/// A voltage probe with its trace.
#[derive(Debug, Clone)]
pub struct LabProbe {
    pub section: usize,
    pub x: f64,
    pub node: u32,
    /// Colour of the trace and of the marker (sRGB).
    pub color: [u8; 3],
    pub t: Ring,
    pub v: Ring,
}

/// A current clamp.
#[derive(Debug, Clone)]
pub struct LabClamp {
    pub section: usize,
    pub x: f64,
    /// Index in the engine's IClamp list.
    pub engine: usize,
}

/// Hay's EPSP-shaped current (`epsp.mod`): a double exponential of peak `imax`.
#[derive(Debug, Clone)]
pub struct LabEpsp {
    pub section: usize,
    pub x: f64,
    /// Index in the engine's EPSP list.
    pub engine: usize,
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

/// What colours the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Quantity {
    /// Membrane voltage (mV).
    Voltage,
    /// NMDA receptor current at each compartment (nA, inward positive).
    NmdaCurrent,
    /// [Ca2+]i (uM).
    Calcium,
    /// Unblocked fraction of NMDA receptors at the local voltage (0..1).
    MgUnblock,
    /// The highest membrane voltage of the last [`PEAK_HOLD_MS`] (mV): a short spike
    /// leaves a trail the audience can see.
    PeakVoltage,
}

/// How long the peak-hold colouring holds a peak (ms of simulated time).
pub const PEAK_HOLD_MS: f64 = 150.0;

impl Quantity {
    pub const ALL: [Quantity; 5] = [
        Quantity::Voltage,
        Quantity::PeakVoltage,
        Quantity::NmdaCurrent,
        Quantity::Calcium,
        Quantity::MgUnblock,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Quantity::Voltage => "voltage (mV)",
            Quantity::NmdaCurrent => "NMDA current (nA, inward)",
            Quantity::Calcium => "[Ca2+]i (uM)",
            Quantity::MgUnblock => "Mg2+ unblock (fraction)",
            Quantity::PeakVoltage => "voltage, peak hold 150 ms (mV)",
        }
    }
    /// A sensible colour range.
    pub fn default_range(self) -> (f64, f64) {
        match self {
            // NMDA plateaus (-50..-20 mV) take a clear colour; spikes saturate.
            Quantity::Voltage | Quantity::PeakVoltage => (-80.0, 0.0),
            Quantity::NmdaCurrent => (0.0, 0.05),
            Quantity::Calcium => (0.0, 1.0),
            Quantity::MgUnblock => (0.0, 1.0),
        }
    }
}

/// Colours given to probes in turn (colour-blind-safe, Okabe-Ito).
pub const PROBE_COLORS: [[u8; 3]; 7] = [
    [0, 114, 178],
    [230, 159, 0],
    [0, 158, 115],
    [204, 121, 167],
    [86, 180, 233],
    [213, 94, 0],
    [240, 228, 66],
];

/// Samples kept per probe trace.
pub const TRACE_CAPACITY: usize = 40_000;

/// The lab. A clone is an independent copy at this instant (the linearity meter's
/// what-if runs).
#[derive(Debug, Clone)]
pub struct Lab {
    pub sim: Simulation,
    /// What opening it changed or clamped (a setup's out-of-range values), for the panel.
    pub notes: Vec<String>,
    /// Where the cell came from (a file path or `builtin:NAME`).
    pub source: String,
    /// The biophysics preset (a name of [`biophysics::PRESETS`]).
    pub biophysics: String,
    pub synapses: Vec<LabSynapse>,
    pub probes: Vec<LabProbe>,
    pub clamps: Vec<LabClamp>,
    /// EPSP-shaped currents (Hay's `epsp`).
    pub epsps: Vec<LabEpsp>,
    /// (drug, region label) pairs applied.
    pub drugs: BTreeSet<(Drug, String)>,
    /// Mechanism slots switched off by hand.
    switched_off: BTreeSet<usize>,
    saved: HashMap<(usize, &'static str), Vec<f64>>,
    /// Densities set by hand (slot, parameter) -> S/cm2: what a setup saves, on top of the
    /// preset's rules (so that Hay's gradients survive a save and reopen).
    pub density_edits: std::collections::BTreeMap<(usize, &'static str), f64>,
    /// [Mg2+] (mM) and the block's steepness (1/mV), for every NMDA synapse.
    pub mg_mm: f64,
    pub nmda_gamma: f64,
    /// Simulated milliseconds per wall-clock second the app aims for.
    pub speed: f64,
    pub paused: bool,
    /// Probe samples every this many steps.
    pub sample_every: u32,
    rng: Rng,
    /// Kept trials (ghost traces), oldest first.
    pub trials: Vec<super::trials::Trial>,
    /// The trial in progress.
    pub trial: Option<super::trials::TrialRun>,
    /// Something the lab has to tell (a trial kept, the cell firing by itself), once:
    /// (message, whether it is a warning).
    pub(super) notice: Option<(String, bool)>,
    /// Per node: the highest voltage of the last [`PEAK_HOLD_MS`] (mV) and when (ms).
    peak_v: Vec<f64>,
    peak_t: Vec<f64>,
    /// Inputs (synaptic spikes, clamps, EPSP currents) end by this time (ms), plus a
    /// margin: a somatic spike after it came from the cell alone.
    input_until: f64,
    /// The soma's voltage was above 0 mV at the last step.
    soma_above: bool,
    /// When the cell last fired with no input (ms), until the next reset.
    pub fired_alone_at: Option<f64>,
}

/// After an input, how long a somatic spike still counts as evoked (ms).
const EVOKED_WITHIN_MS: f64 = 100.0;

/// Fastest speed asked of the clock (simulated ms per wall second): the per-frame budget
/// then limits it to what the machine can do.
pub const MAX_SPEED: f64 = 1e6;

/// Most spikes one command queues (a Poisson train on many synapses for a minute would
/// otherwise fill memory).
pub const MAX_SPIKES_PER_FIRE: usize = 200_000;

/// Most probes the lab keeps (each holds the traces it draws); beyond a few dozen the
/// traces are unreadable anyway.
pub const MAX_LAB_PROBES: usize = 64;

/// Upper bounds the panel's sliders respect (and commands clamp to).
pub const MAX_WEIGHT_NS: f64 = 100.0;
pub const MAX_MG_MM: f64 = 10.0;
pub const MAX_CLAMP_NA: f64 = 50.0;

/// The morphology of a gallery cell (a built-in generated cell or an embedded real one).
pub fn builtin_morphology(name: &str) -> Result<Morphology, String> {
    crate::sim::morphology::gallery::load(name).map_err(|e| e.to_string())
}

impl Lab {
    /// A lab on `morph` with the default biophysics and a probe at the soma.
    pub fn new(morph: Morphology, source: &str) -> Result<Lab, String> {
        Lab::with_biophysics(morph, source, biophysics::PRESETS[0].0)
    }

    /// A lab on `morph` with the biophysics preset `preset` (a name of
    /// [`biophysics::PRESETS`]) and a probe at the soma.
    pub fn with_biophysics(morph: Morphology, source: &str, preset: &str) -> Result<Lab, String> {
        let file = morph.file.clone();
        let mut sim = biophysics::build(morph, preset).map_err(|e| format!("{file}: {e}"))?;
        sim.init();
        let mut lab = Lab {
            sim,
            notes: Vec::new(),
            biophysics: preset.to_string(),
            source: source.to_string(),
            synapses: Vec::new(),
            probes: Vec::new(),
            clamps: Vec::new(),
            epsps: Vec::new(),
            drugs: BTreeSet::new(),
            switched_off: BTreeSet::new(),
            saved: HashMap::new(),
            density_edits: Default::default(),
            mg_mm: 1.0,
            nmda_gamma: 0.062,
            speed: 50.0,
            paused: false,
            sample_every: 4,
            rng: Rng::new(1),
            trials: Vec::new(),
            trial: None,
            notice: None,
            peak_v: Vec::new(),
            peak_t: Vec::new(),
            input_until: 0.0,
            soma_above: false,
            fired_alone_at: None,
        };
        lab.reset_peaks();
        let soma = lab.sim.cell.morphology.soma();
        lab.add_probe(soma, 0.5)?;
        Ok(lab)
    }

    /// The same cell, synapses, probes, clamps and drugs with other biophysics.
    pub fn rebuilt_with(&self, preset: &str) -> Result<Lab, String> {
        let mut setup = self.to_setup(None, None);
        setup.scene.biophysics = preset.to_string();
        // Densities and switches belong to the old mechanisms.
        setup.changes.retain(|c| {
            !matches!(c, super::lesson::run::Change::Density { .. } | super::lesson::run::Change::Off { .. })
        });
        setup.celsius = None;
        let mut lab =
            Lab::from_setup_with(&setup, std::path::Path::new("."), Some(self.sim.cell.morphology.clone()))?;
        lab.speed = self.speed;
        Ok(lab)
    }

    /// A lab on one of the built-in cells.
    pub fn builtin(name: &str) -> Result<Lab, String> {
        Lab::new(builtin_morphology(name)?, &format!("builtin:{name}"))
    }

    /// Simulated time (ms).
    pub fn t(&self) -> f64 {
        self.sim.t()
    }

    fn sections(&self) -> usize {
        self.sim.cell.morphology.sections.len()
    }

    fn check_location(&self, section: usize, x: f64) -> Result<(), String> {
        if section >= self.sections() {
            return Err(format!("there is no section {section}"));
        }
        if !(0.0..=1.0).contains(&x) {
            return Err(format!("x must be within 0..1, got {x}"));
        }
        Ok(())
    }

    fn nmda_params(&self) -> SynapseParams {
        SynapseParams {
            tau1: 2.0,
            tau2: 70.0,
            e: 0.0,
            mg_block: Some(MgBlock { mg: self.mg_mm, gamma: self.nmda_gamma, kd: 3.57 }),
        }
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
    ) -> Result<usize, String> {
        self.check_location(section, x)?;
        let weight_ns = if weight_ns.is_finite() { weight_ns.clamp(0.0, MAX_WEIGHT_NS) } else { 1.0 };
        let node = self.sim.cell.compartment_at(section, x);
        let fast_params = match kind {
            SynapseKind::GabaA => SynapseParams::gaba_a(),
            _ => SynapseParams::ampa(),
        };
        let fast = self.sim.add_synapse(node, fast_params).map_err(|e| e.to_string())?;
        let nmda = match kind {
            SynapseKind::AmpaNmda => {
                let k = self.sim.add_synapse(node, self.nmda_params()).map_err(|e| e.to_string())?;
                let region = self.region_label(section);
                self.sim.synapses.enabled[k] = !self.drugs.contains(&(Drug::Apv, region));
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
                Err(_) => self.sim.synapses.enabled[k] = false,
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
    pub fn move_synapse(&mut self, i: usize, section: usize, x: f64) -> Result<(), String> {
        self.check_location(section, x)?;
        let Some(old) = self.synapses.get(i).cloned() else { return Err(format!("no synapse {i}")) };
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
                let _ = self.sim.set_synapse_params(k, p);
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
        self.input_until = self.input_until.max(t + EVOKED_WITHIN_MS);
    }

    /// Fires the selected synapses (or all, if none is selected) with `pattern`.
    /// Returns how many spikes were queued.
    pub fn fire(&mut self, pattern: FirePattern) -> usize {
        let t0 = self.sim.t() + self.sim.config.dt;
        self.fire_from(pattern, t0)
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

    /// A probe's name as a lecturer says it: its region and path distance from the soma
    /// ("soma", "apical 690 um", "basal 120 um").
    pub fn probe_label(&self, i: usize) -> String {
        let Some(p) = self.probes.get(i) else { return String::new() };
        let morph = &self.sim.cell.morphology;
        let region = morph.sections[p.section].region;
        if region == crate::sim::morphology::Region::Soma {
            return "soma".into();
        }
        let d = morph.path_distance(0.5, p.section, p.x);
        format!("{} {:.0} um", region.label(), d)
    }

    /// Adds a voltage probe; returns its index.
    pub fn add_probe(&mut self, section: usize, x: f64) -> Result<usize, String> {
        self.check_location(section, x)?;
        if self.probes.len() >= MAX_LAB_PROBES {
            // Each probe keeps TRACE_CAPACITY samples of t and V: bounded memory.
            return Err(crate::sim::limits::too_many("probes", self.probes.len() + 1, MAX_LAB_PROBES));
        }
        let node = self.sim.cell.compartment_at(section, x);
        // The first colour of the palette no probe uses (the soma's stays its own).
        let color = PROBE_COLORS
            .iter()
            .copied()
            .find(|c| self.probes.iter().all(|p| p.color != *c))
            .unwrap_or(PROBE_COLORS[self.probes.len() % PROBE_COLORS.len()]);
        let mut p =
            LabProbe { section, x, node, color, t: Ring::new(TRACE_CAPACITY), v: Ring::new(TRACE_CAPACITY) };
        p.t.push(self.sim.t());
        p.v.push(self.sim.v[node as usize]);
        self.probes.push(p);
        Ok(self.probes.len() - 1)
    }

    /// Removes probe `i` (the soma probe, index 0, stays).
    pub fn remove_probe(&mut self, i: usize) {
        if i > 0 && i < self.probes.len() {
            self.probes.remove(i);
        }
    }

    /// Adds a current clamp: `amp_na` from `delay_ms` after now, for `dur_ms`.
    pub fn add_clamp(
        &mut self,
        section: usize,
        x: f64,
        amp_na: f64,
        delay_ms: f64,
        dur_ms: f64,
    ) -> Result<usize, String> {
        self.check_location(section, x)?;
        let node = self.sim.cell.node_at(section, x.clamp(1e-6, 1.0 - 1e-6));
        let clamp = IClamp {
            node,
            delay: self.sim.t() + delay_ms.clamp(0.0, 1e6),
            dur: dur_ms.clamp(0.0, 1e6),
            amp: amp_na.clamp(-MAX_CLAMP_NA, MAX_CLAMP_NA),
        };
        let engine = self.sim.add_iclamp(clamp).map_err(|e| e.to_string())?;
        self.note_input_until(clamp.delay + clamp.dur);
        self.clamps.push(LabClamp { section, x, engine });
        Ok(self.clamps.len() - 1)
    }

    /// Changes clamp `i` to `amp_na` from now + `delay_ms` for `dur_ms`.
    pub fn set_clamp(&mut self, i: usize, amp_na: f64, delay_ms: f64, dur_ms: f64) {
        if let Some(c) = self.clamps.get(i) {
            let t = self.sim.t();
            let ic = &mut self.sim.stimuli.iclamps[c.engine];
            if amp_na.is_finite() && delay_ms.is_finite() && dur_ms.is_finite() {
                ic.amp = amp_na.clamp(-MAX_CLAMP_NA, MAX_CLAMP_NA);
                ic.delay = t + delay_ms.clamp(0.0, 1e6);
                ic.dur = dur_ms.clamp(0.0, 1e6);
                let end = ic.delay + ic.dur;
                self.note_input_until(end);
            }
        }
    }

    /// Removes clamp `i` (its electrode is silenced).
    pub fn remove_clamp(&mut self, i: usize) {
        if i < self.clamps.len() {
            let c = self.clamps.remove(i);
            self.sim.stimuli.iclamps[c.engine].amp = 0.0;
        }
    }

    /// Adds Hay's EPSP-shaped current at (`section`, `x`): peak `imax_na` nA (clamped to
    /// +-[`MAX_CLAMP_NA`]) starting `delay_ms` from now, rising with `tau0_ms` and
    /// decaying with `tau1_ms` (Hay's BAC protocol: 0.5 nA, 0.5 ms, 5 ms). Returns its
    /// index in [`Lab::epsps`].
    pub fn add_epsp(
        &mut self,
        section: usize,
        x: f64,
        imax_na: f64,
        delay_ms: f64,
        tau0_ms: f64,
        tau1_ms: f64,
    ) -> Result<usize, String> {
        self.check_location(section, x)?;
        let finite = [imax_na, delay_ms, tau0_ms, tau1_ms].iter().all(|v| v.is_finite());
        if !finite || tau0_ms <= 0.0 || tau1_ms <= 0.0 || tau0_ms == tau1_ms {
            return Err(format!(
                "an EPSP current needs finite numbers and tau0, tau1 > 0 and different, got imax {imax_na} nA, \
                 delay {delay_ms} ms, tau0 {tau0_ms} ms, tau1 {tau1_ms} ms"
            ));
        }
        let node = self.sim.cell.node_at(section, x.clamp(1e-6, 1.0 - 1e-6));
        let epsp = EpspCurrent {
            node,
            onset: self.sim.t() + delay_ms.clamp(0.0, 1e6),
            tau0: tau0_ms,
            tau1: tau1_ms,
            imax: imax_na.clamp(-MAX_CLAMP_NA, MAX_CLAMP_NA),
        };
        self.note_input_until(epsp.onset + 5.0 * epsp.tau1);
        let engine = self.sim.add_epsp(epsp).map_err(|e| e.to_string())?;
        self.epsps.push(LabEpsp { section, x, engine });
        Ok(self.epsps.len() - 1)
    }

    /// Removes EPSP current `i` (its electrode is silenced).
    pub fn remove_epsp(&mut self, i: usize) {
        if i < self.epsps.len() {
            let c = self.epsps.remove(i);
            self.sim.stimuli.epsps[c.engine].imax = 0.0;
        }
    }

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
            match *target {
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
                            let vals: Vec<f64> =
                                (0..n).map(|k| m.mech.param(param, k).unwrap_or(0.0)).collect();
                            self.saved.insert((slot, param), vals);
                            let _ = m.mech.set_param(param, 0.0);
                        } else if let Some(vals) = self.saved.remove(&(slot, param)) {
                            for (k, v) in vals.into_iter().enumerate() {
                                let _ = m.mech.set_param_at(param, k, v);
                            }
                        }
                    }
                }
                Target::NmdaReceptors => {
                    for i in 0..self.synapses.len() {
                        if let Some(k) = self.synapses[i].nmda
                            && self.region_label(self.synapses[i].section) == region
                        {
                            self.sim.synapses.enabled[k] = !on;
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
            for &p in m.mech.param_names() {
                if p.starts_with('g') {
                    out.push((slot, p));
                }
            }
        }
        out
    }

    /// Whether a drug holds this parameter at 0 (its slider is then locked).
    pub fn density_blocked(&self, slot: usize, param: &'static str) -> bool {
        self.saved.contains_key(&(slot, param))
    }

    /// Sets a conductance density (S/cm2) uniformly on a mechanism, live. Refused while
    /// a drug blocks it, or for a value that is not a finite non-negative number.
    pub fn set_density(&mut self, slot: usize, param: &'static str, value: f64) -> Result<(), String> {
        if self.density_blocked(slot, param) {
            return Err(format!("{param} is blocked by a drug; wash it out first"));
        }
        self.sim.set_param(slot, param, value).map_err(|e| e.to_string())?;
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
    fn refresh_enabled(&mut self, slot: usize) {
        let m = &self.sim.mechs[slot];
        let lab_region = biophysics::lab_region(&m.label);
        let drugged = self.drugs.iter().any(|(d, r)| {
            Some(r.as_str()) == lab_region
                && d.targets().iter().any(|t| matches!(t, Target::Mechanism(n) if *n == m.mech.name()))
        });
        let on = !drugged && !self.switched_off.contains(&slot);
        let _ = self.sim.set_enabled(slot, on);
    }

    /// Whether `drug` is applied in `region`.
    pub fn drug_on(&self, drug: Drug, region: &str) -> bool {
        self.drugs.contains(&(drug, region.to_string()))
    }

    /// Takes `steps` fixed steps, sampling the probes. Stops early (and returns false) if
    /// the voltages become non-finite, after pausing.
    pub fn advance(&mut self, steps: u64) -> bool {
        let soma = self.probes.first().map(|p| p.node as usize);
        for _ in 0..steps {
            if self.trial.as_ref().is_some_and(|r| self.sim.t() >= r.t_end - 0.5 * self.sim.config.dt) {
                self.finish_trial();
                break;
            }
            self.sim.step();
            if self.sim.steps().is_multiple_of(self.sample_every as u64) {
                let t = self.sim.t();
                for p in &mut self.probes {
                    p.t.push(t);
                    p.v.push(self.sim.v[p.node as usize]);
                }
                for ((pv, pt), &v) in self.peak_v.iter_mut().zip(&mut self.peak_t).zip(&self.sim.v) {
                    if v >= *pv || t - *pt > PEAK_HOLD_MS {
                        *pv = v;
                        *pt = t;
                    }
                }
            }
            if let Some(node) = soma {
                let above = self.sim.v[node] > 0.0;
                let t = self.sim.t();
                if above && !self.soma_above && t > self.input_until && self.fired_alone_at.is_none() {
                    self.fired_alone_at = Some(t);
                    self.notice = Some((
                        format!(
                            "the cell fired by itself at t = {t:.1} ms, with no input for {EVOKED_WITHIN_MS} ms: \
                             as set, it is not at rest (undo the last change, or choose other biophysics)"
                        ),
                        true,
                    ));
                }
                self.soma_above = above;
            }
        }
        if !self.sim.is_finite() {
            self.paused = true;
            return false;
        }
        true
    }

    /// Back to t = 0 and rest: every state initialised, queued spikes dropped, traces
    /// cleared. Synapses, probes, clamps and drugs stay.
    pub fn reset(&mut self) {
        self.sim.events = crate::sim::events::EventQueue::default();
        self.sim.init();
        self.trial = None;
        self.reset_peaks();
        for p in &mut self.probes {
            p.t.clear();
            p.v.clear();
            p.t.push(0.0);
            p.v.push(self.sim.v[p.node as usize]);
        }
    }

    /// Peaks and the spontaneous-firing watch start again from now.
    pub(super) fn reset_peaks(&mut self) {
        self.peak_v.clear();
        self.peak_v.extend_from_slice(&self.sim.v);
        self.peak_t.clear();
        self.peak_t.resize(self.sim.v.len(), self.sim.t());
        self.fired_alone_at = None;
        self.soma_above = false;
        let t = self.sim.t();
        let clamps = self.sim.stimuli.iclamps.iter().filter(|c| c.amp != 0.0).map(|c| c.delay + c.dur);
        let epsps = self.sim.stimuli.epsps.iter().map(|e| e.onset + 5.0 * e.tau1);
        self.input_until = clamps.chain(epsps).fold(t, f64::max) + EVOKED_WITHIN_MS;
    }

    /// Marks inputs as lasting to `t_end` (ms): a somatic spike before it is evoked.
    pub fn note_input_until(&mut self, t_end: f64) {
        if t_end.is_finite() {
            self.input_until = self.input_until.max(t_end + EVOKED_WITHIN_MS);
        }
    }

    /// What the lab has to tell since it was last asked, once: (message, warning).
    pub fn take_notice(&mut self) -> Option<(String, bool)> {
        self.notice.take()
    }

    /// The value of `q` at every node, for colouring.
    pub fn node_values(&self, q: Quantity, out: &mut Vec<f32>) {
        let n = self.sim.v.len();
        out.clear();
        match q {
            Quantity::Voltage => out.extend(self.sim.v.iter().map(|&v| v as f32)),
            Quantity::PeakVoltage => out.extend(self.peak_v.iter().map(|&v| v as f32)),
            Quantity::Calcium => out.extend(self.sim.ions.cai.iter().map(|&c| (c * 1000.0) as f32)),
            Quantity::MgUnblock => {
                let b = MgBlock { mg: self.mg_mm, gamma: self.nmda_gamma, kd: 3.57 };
                out.extend(self.sim.v.iter().map(|&v| b.unblocked(v) as f32));
            }
            Quantity::NmdaCurrent => {
                out.resize(n, 0.0);
                for s in &self.synapses {
                    if let Some(k) = s.nmda {
                        let node = self.sim.synapses.node[k] as usize;
                        out[node] -= self.sim.synapses.current_na(k) as f32;
                    }
                }
            }
        }
    }

    /// The probe traces as CSV: `t` and one column per probe (`section(x)` in mV), on the
    /// soma probe's sample times, then one column per kept trial and probe
    /// (`label: probe`, interpolated on the same times).
    pub fn traces_csv(&self) -> String {
        use std::fmt::Write;
        let mut out = String::from("t");
        let names: Vec<String> = self
            .probes
            .iter()
            .map(|p| format!("{}({:.3})", self.sim.cell.morphology.sections[p.section].name, p.x))
            .collect();
        for n in &names {
            let _ = write!(out, ",{n}");
        }
        // Kept trials: columns `label: probe`, interpolated on the live time base (or, with
        // no live samples, on the first trial's).
        let live: Vec<f64> = self.probes.first().map(|p| p.t.iter().collect()).unwrap_or_default();
        let base = if live.len() > 1 {
            live
        } else {
            self.trials.first().and_then(|t| t.traces.first()).map(|tr| tr.t_ms.clone()).unwrap_or(live)
        };
        let (trial_names, trial_cols) = self.trial_columns(&base);
        for n in &trial_names {
            let _ = write!(out, ",{}", n.replace(',', ";"));
        }
        out.push('\n');
        let first_len = self.probes.first().map_or(0, |p| p.t.len());
        for (k, &t) in base.iter().enumerate() {
            let _ = write!(out, "{t:.4}");
            let Some(first) = self.probes.first().filter(|_| first_len == base.len()) else {
                for _ in &self.probes {
                    out.push(',');
                }
                write_trial_cells(&mut out, &trial_cols, k);
                continue;
            };
            for p in &self.probes {
                // Probes added later have fewer samples: align from the end.
                let off = first.t.len() as isize - p.t.len() as isize;
                let j = k as isize - off;
                match (j >= 0).then(|| p.v.get(j as usize)).flatten() {
                    Some(v) => {
                        let _ = write!(out, ",{v:.6}");
                    }
                    None => out.push(','),
                }
            }
            write_trial_cells(&mut out, &trial_cols, k);
        }
        out
    }
}

/// Row `k` of the kept trials' columns, and the end of the line.
fn write_trial_cells(out: &mut String, cols: &[Vec<Option<f64>>], k: usize) {
    use std::fmt::Write;
    for c in cols {
        match c.get(k).copied().flatten() {
            Some(v) => {
                let _ = write!(out, ",{v:.6}");
            }
            None => out.push(','),
        }
    }
    out.push('\n');
}

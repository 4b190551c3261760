//! The lab's state: the cell's simulation and what is placed on it, its clock (steps,
//! reset) and what it has to tell. The commands live beside it by concept: synapses and
//! firing (`synapses.rs`), probes and what colours the tree (`probes.rs`), clamps and EPSP
//! currents (`stimuli.rs`), drugs, channels and densities (`channels.rs`), trials
//! (`trials.rs`).

use super::biophysics;
use super::error::LabError;
use super::pharmacology::Drug;
use crate::sim::engine::Simulation;
use crate::sim::morphology::Morphology;
use crate::sim::rng::Rng;
use std::collections::{BTreeSet, HashMap};

pub use super::probes::{LabProbe, PEAK_HOLD_MS, PROBE_COLORS, Quantity, TRACE_CAPACITY};
pub use super::stimuli::{LabClamp, LabEpsp};
pub use super::synapses::{FirePattern, LabSynapse, SynapseKind};

/// The lab. A clone is an independent copy at this instant (the linearity meter's
/// what-if runs).
#[derive(Debug, Clone)]
pub struct Lab {
    pub sim: Simulation,
    /// What opening it changed or clamped (a setup's out-of-range values), for the panel.
    pub notes: Vec<String>,
    /// Where the cell came from (a file path or `builtin:NAME`).
    pub source: String,
    /// The biophysics preset (the id of one of [`biophysics::PRESETS`]).
    pub biophysics: String,
    pub synapses: Vec<LabSynapse>,
    pub probes: Vec<LabProbe>,
    pub clamps: Vec<LabClamp>,
    /// EPSP-shaped currents (Hay's `epsp`).
    pub epsps: Vec<LabEpsp>,
    /// (drug, region label) pairs applied.
    pub drugs: BTreeSet<(Drug, String)>,
    /// Mechanism slots switched off by hand.
    pub(super) switched_off: BTreeSet<usize>,
    pub(super) saved: HashMap<(usize, &'static str), Vec<f64>>,
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
    pub(super) rng: Rng,
    /// Kept trials (ghost traces), oldest first.
    pub trials: Vec<super::trials::Trial>,
    /// The trial in progress.
    pub trial: Option<super::trials::TrialRun>,
    /// The cell settled at rest under the present conditions (and what they were), where
    /// trials start from: settled once per set of conditions and kept.
    pub(super) rest: Option<std::sync::Arc<(String, Simulation)>>,
    /// Something the lab has to tell (a trial kept, the cell firing by itself), once:
    /// (message, whether it is a warning).
    pub(super) notice: Option<(String, bool)>,
    /// Per node: the highest voltage of the last [`PEAK_HOLD_MS`] (mV) and when (ms).
    pub(super) peak_v: Vec<f64>,
    pub(super) peak_t: Vec<f64>,
    /// The soma's voltage was above 0 mV at the last step.
    pub(super) soma_above: bool,
    /// When the cell last fired with no input (ms), until the next reset.
    pub fired_alone_at: Option<f64>,
    /// Changes a protocol made for later (a drug applied or washed out, [Mg2+] set), by
    /// time (ms), applied by [`Lab::advance`] when their time comes; a reset drops them.
    pub(super) timed: Vec<(f64, TimedChange)>,
    /// The whole cell's voltage over the last stretch of time, when recording
    /// ([`Lab::record`]): what the window scrubs, replays and exports.
    pub(super) recording: super::recording::Recorder,
}

/// A change a protocol makes during a run (see [`Lab::schedule_change`]).
#[derive(Debug, Clone, PartialEq)]
pub enum TimedChange {
    /// A drug applied (`on`) or washed out in a region.
    Drug { drug: Drug, region: String, on: bool },
    /// Extracellular [Mg2+] (mM).
    Mg { mm: f64 },
}

/// The Mg2+ block's steepness (1/mV) a lab starts with (Jahr and Stevens 1990).
pub const DEFAULT_NMDA_GAMMA: f64 = 0.062;

/// After an input, how long a somatic spike still counts as evoked (ms).
const EVOKED_WITHIN_MS: f64 = 500.0;

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
pub fn builtin_morphology(name: &str) -> Result<Morphology, LabError> {
    Ok(crate::sim::morphology::gallery::load(name)?)
}

impl Lab {
    /// A lab on `morph` with the default biophysics and a probe at the soma.
    pub fn new(morph: Morphology, source: &str) -> Result<Lab, LabError> {
        Lab::with_biophysics(morph, source, biophysics::DEFAULT_PRESET)
    }

    /// A lab on `morph` with the biophysics preset `preset` (a name of
    /// [`biophysics::PRESETS`]) and a probe at the soma.
    pub fn with_biophysics(morph: Morphology, source: &str, preset: &str) -> Result<Lab, LabError> {
        let preset = biophysics::find_preset(preset)?;
        let mut sim = preset.build(morph)?;
        sim.init();
        let mut lab = Lab {
            sim,
            notes: Vec::new(),
            biophysics: preset.id.to_string(),
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
            nmda_gamma: DEFAULT_NMDA_GAMMA,
            speed: 50.0,
            paused: false,
            sample_every: 4,
            rng: Rng::new(1),
            trials: Vec::new(),
            trial: None,
            rest: None,
            notice: None,
            peak_v: Vec::new(),
            peak_t: Vec::new(),
            soma_above: false,
            fired_alone_at: None,
            timed: Vec::new(),
            recording: Default::default(),
        };
        lab.reset_peaks();
        let soma = lab.sim.cell.morphology.soma();
        lab.add_probe(soma, 0.5)?;
        Ok(lab)
    }

    /// The same cell, synapses, probes, clamps and drugs with other biophysics.
    pub fn rebuilt_with(&self, preset: &str) -> Result<Lab, LabError> {
        let mut setup = self.to_setup(None, None);
        setup.scene.biophysics = preset.to_string();
        // Densities and switches belong to the old mechanisms.
        setup.changes.retain(|c| {
            !matches!(
                c,
                super::scene::change::Change::Density { .. } | super::scene::change::Change::Off { .. }
            )
        });
        setup.celsius = None;
        let mut lab =
            Lab::from_setup_with(&setup, std::path::Path::new("."), Some(self.sim.cell.morphology.clone()))?;
        lab.speed = self.speed;
        Ok(lab)
    }

    /// A lab on one of the built-in cells.
    pub fn builtin(name: &str) -> Result<Lab, LabError> {
        Lab::new(builtin_morphology(name)?, &format!("builtin:{name}"))
    }

    /// Simulated time (ms).
    pub fn t(&self) -> f64 {
        self.sim.t()
    }

    pub(super) fn sections(&self) -> usize {
        self.sim.cell.morphology.sections.len()
    }

    pub(super) fn check_location(&self, section: usize, x: f64) -> Result<(), LabError> {
        if section >= self.sections() {
            return Err(LabError::NoSection(section));
        }
        if !(0.0..=1.0).contains(&x) {
            return Err(LabError::Value { what: "x", value: x, rule: "within 0..1" });
        }
        Ok(())
    }

    /// Starts recording the whole cell's voltage (a ring of at most `budget` bytes; see
    /// [`super::recording`]), or stops and forgets it. Returns what the ring holds, in
    /// words, or why it cannot record.
    pub fn record(&mut self, on: bool, budget: usize) -> Result<String, LabError> {
        if !on {
            self.recording.0 = None;
            return Ok("not recording".into());
        }
        let r = super::recording::Recording::new(self.sim.v.len(), self.sim.config.dt, budget).ok_or_else(
            || {
                LabError::NotNow(format!(
                    "the cell's {} compartments are too many to record a second of them in {} MB",
                    self.sim.v.len(),
                    budget >> 20
                ))
            },
        )?;
        let said = format!(
            "recording the last {:.0} s (a frame every {} ms, {} MB)",
            r.seconds(),
            r.every_ms(),
            r.bytes().div_ceil(1 << 20)
        );
        self.recording.0 = Some(r);
        if let Some(r) = &mut self.recording.0 {
            r.offer(self.sim.t(), &self.sim.v);
        }
        Ok(said)
    }

    /// The recording, when recording ([`Lab::record`]).
    pub fn recording(&self) -> Option<&super::recording::Recording> {
        self.recording.0.as_ref()
    }

    /// Takes the recording out (a kept trial's, a clip's), leaving the lab recording
    /// nothing.
    pub fn take_recording(&mut self) -> Option<super::recording::Recording> {
        self.recording.0.take()
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
            if self.timed.first().is_some_and(|(t, _)| self.sim.t() >= t - 0.5 * self.sim.config.dt) {
                self.apply_due_changes();
            }
            self.sim.step();
            if let Some(r) = &mut self.recording.0 {
                r.offer(self.sim.t(), &self.sim.v);
            }
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
                // Rare (an upward crossing): when the inputs ended is worked out from the
                // simulation's own events and stimuli then.
                if above
                    && !self.soma_above
                    && self.fired_alone_at.is_none()
                    && t > self.sim.last_input_ms() + EVOKED_WITHIN_MS
                {
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
        if let Some(r) = &mut self.recording.0 {
            r.clear();
            r.offer(self.sim.t(), &self.sim.v);
        }
        self.trial = None;
        self.timed.clear();
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
    }

    /// Makes `change` at time `t` (ms) of this run: a protocol's drug applied or washed
    /// out, or [Mg2+] set, mid-run. Changes at the same time apply in the order given.
    pub fn schedule_change(&mut self, t: f64, change: TimedChange) -> Result<(), LabError> {
        if !t.is_finite() {
            return Err(LabError::Value { what: "the time of a change", value: t, rule: "a finite number" });
        }
        if let TimedChange::Drug { drug, region, .. } = &change {
            biophysics::check_region(region).map_err(|e| e.at(drug.name()))?;
        }
        let at = self.timed.partition_point(|(s, _)| *s <= t);
        self.timed.insert(at, (t, change));
        Ok(())
    }

    /// Applies the timed changes whose time has come.
    fn apply_due_changes(&mut self) {
        let now = self.sim.t() + 0.5 * self.sim.config.dt;
        // One at a time from the front, without a buffer: this runs inside the steps.
        while self.timed.first().is_some_and(|(t, _)| *t <= now) {
            match self.timed.remove(0).1 {
                TimedChange::Drug { drug, region, on } => self.set_drug(drug, &region, on),
                TimedChange::Mg { mm } => self.set_mg(mm),
            }
        }
    }

    /// What the lab has to tell since it was last asked, once: (message, warning).
    pub fn take_notice(&mut self) -> Option<(String, bool)> {
        self.notice.take()
    }
}

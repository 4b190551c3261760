//! Trials: the lab reset to rest, the same protocol played (the selection fired with a
//! pattern, the clamps pulsed), and the probes' traces kept as a labelled ghost when it
//! ends, so that the next condition is drawn over it (control vs APV, 1 vs 3 mM Mg2+,
//! inward vs outward). The label says what differs from the plain lab ("APV",
//! "TTX apical", "Mg 3 mM", "inward"). Kept trials are part of a saved setup and of the
//! CSV export.

use super::biophysics::REGIONS;
use super::error::LabError;
use super::pharmacology::Drug;
use super::session::{FirePattern, Lab};
use serde::{Deserialize, Serialize};

/// Most trials kept (the oldest goes first).
pub const MAX_TRIALS: usize = 12;
/// Most samples kept per probe of a trial (longer traces are thinned evenly).
pub const MAX_TRIAL_POINTS: usize = 4000;
/// Baseline before the protocol starts (ms).
pub const TRIAL_LEAD_MS: f64 = 10.0;
/// Simulated time the cell is left at rest, once per set of conditions, before trials
/// start from it (from `v_init`, Hay's cell drifts by over 1 mV in the first tens of ms).
pub const REST_SETTLE_MS: f64 = 500.0;
/// Most compartment-steps the settling may take (about a quarter of a second here), so
/// that a trial on a large cell never freezes the window: a larger cell settles for
/// less time.
pub const REST_SETTLE_WORK: f64 = 5e7;
/// Longest trial (ms of simulated time).
pub const MAX_TRIAL_MS: f64 = 10_000.0;

/// One probe's trace in a kept trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrialTrace {
    /// The probe's name ("soma", "basal 120 um").
    pub probe: String,
    /// Its colour (sRGB).
    pub color: [u8; 3],
    /// Times from the trial's start (ms) and voltages (mV).
    pub t_ms: Vec<f64>,
    pub v_mv: Vec<f64>,
}

/// A kept trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trial {
    pub label: String,
    /// What was played, in words ("fired 10 of 10 synapses, inward, 2 ms apart").
    #[serde(default)]
    pub protocol: String,
    pub traces: Vec<TrialTrace>,
    /// The whole cell over the trial (from its reset), when the lab was recording: what
    /// the space plot draws as a ghost and the difference colouring subtracts. Not saved
    /// in setups; at most [`TRIAL_RECORDING_BYTES`].
    #[serde(skip)]
    pub recording: Option<std::sync::Arc<super::recording::Recording>>,
}

/// Most memory one kept trial's recording takes (the latest part of a longer trial is
/// kept): 12 trials take 96 MB at most.
pub const TRIAL_RECORDING_BYTES: usize = 8 << 20;

/// What a trial plays after the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrialPlan {
    /// The selection (or every synapse) fired so; `None` plays the clamps only.
    pub fire: Option<FirePattern>,
    /// Simulated time after the baseline (ms).
    pub run_ms: f64,
}

/// The trial in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialRun {
    pub label: String,
    pub protocol: String,
    /// When it ends (ms since the reset).
    pub t_end: f64,
}

impl Lab {
    /// Starts a trial: back to t = 0 and rest, the clamps re-timed to start after the
    /// baseline, the synapses fired with `plan.fire` after it; the lab runs until
    /// `TRIAL_LEAD_MS + plan.run_ms`, then pauses and keeps the traces (see
    /// [`Lab::take_notice`]). Returns what it does, in words.
    pub fn start_trial(&mut self, plan: TrialPlan) -> String {
        let run_ms = if plan.run_ms.is_finite() { plan.run_ms.clamp(1.0, MAX_TRIAL_MS) } else { 200.0 };
        // The whole trial must fit the probes' memory: sample more sparsely if needed.
        let steps = (TRIAL_LEAD_MS + run_ms) / self.sim.config.dt;
        let every = (steps / (0.95 * super::session::TRACE_CAPACITY as f64)).ceil() as u32;
        self.sample_every = self.sample_every.max(every);
        self.reset_to_rest();
        for c in &self.clamps {
            if let Some(ic) = self.sim.stimuli.iclamps.get_mut(c.engine) {
                ic.delay = TRIAL_LEAD_MS;
            }
        }
        self.reset_peaks();
        let mut protocol = Vec::new();
        if let Some(p) = plan.fire
            && !self.synapses.is_empty()
        {
            let n = self.fire_from(p, TRIAL_LEAD_MS);
            protocol.push(self.describe_fire(p, n));
        }
        if !self.clamps.is_empty() {
            protocol.push(format!("{} clamp pulse(s)", self.clamps.len()));
        }
        let protocol =
            if protocol.is_empty() { "nothing played (rest only)".to_string() } else { protocol.join("; ") };
        let label = self.unique_trial_label(self.condition_label(plan.fire));
        self.paused = false;
        let msg = format!("trial '{label}': {protocol}, {run_ms} ms");
        self.trial = Some(TrialRun { label, protocol, t_end: TRIAL_LEAD_MS + run_ms });
        msg
    }

    /// What the resting state depends on: drugs, densities set by hand, channels switched
    /// off, [Mg2+], temperature, the time step.
    fn rest_key(&self) -> String {
        let on: Vec<bool> = self.sim.mechs.iter().map(|m| m.enabled).collect();
        format!(
            "{:?}|{:?}|{on:?}|{}|{}|{:?}",
            self.drugs, self.density_edits, self.mg_mm, self.nmda_gamma, self.sim.config
        )
    }

    /// Back to t = 0 at the cell's rest under the present conditions: settled once (on a
    /// copy, with no input and no clamp, for [`REST_SETTLE_MS`], less on a cell so large
    /// that this would take more than [`REST_SETTLE_WORK`]) and kept until the
    /// conditions change. Where the copy cannot settle (its voltage leaves the numbers),
    /// the trial starts from `v_init` as before.
    pub(super) fn reset_to_rest(&mut self) {
        self.reset();
        let key = self.rest_key();
        if self.rest.as_ref().is_none_or(|r| r.0 != key) {
            let mut settle = self.sim.clone();
            settle.events = crate::sim::events::EventQueue::default();
            settle.stimuli = crate::sim::stimuli::Stimuli::default();
            let most_ms = REST_SETTLE_WORK / settle.cell.compartment_count().max(1) as f64 * settle.config.dt;
            settle.run_until(REST_SETTLE_MS.min(most_ms));
            self.rest = settle.v.iter().all(|v| v.is_finite()).then(|| std::sync::Arc::new((key, settle)));
        }
        let Some(rest) = self.rest.clone() else { return };
        if self.sim.start_from(&rest.1).is_ok() {
            for p in &mut self.probes {
                p.t.clear();
                p.v.clear();
                p.t.push(0.0);
                p.v.push(self.sim.v[p.node as usize]);
            }
            self.reset_peaks();
        }
    }

    /// Ends the trial in progress now, keeping what it recorded.
    pub(super) fn finish_trial(&mut self) {
        let Some(run) = self.trial.take() else { return };
        let traces = (0..self.probes.len())
            .map(|i| {
                let p = &self.probes[i];
                let n = p.t.len();
                let step = n.div_ceil(MAX_TRIAL_POINTS).max(1);
                let keep = |k: &usize| k.is_multiple_of(step) || *k + 1 == n;
                TrialTrace {
                    probe: self.probe_label(i),
                    color: p.color,
                    t_ms: (0..n).filter(keep).filter_map(|k| p.t.get(k)).collect(),
                    v_mv: (0..n).filter(keep).filter_map(|k| p.v.get(k)).collect(),
                }
            })
            .collect();
        if self.trials.len() >= MAX_TRIALS {
            self.trials.remove(0);
        }
        let recording = self
            .recording()
            .map(|r| std::sync::Arc::new(r.segment(0.0, run.t_end, TRIAL_RECORDING_BYTES)))
            .filter(|r| !r.is_empty());
        self.trials.push(Trial { label: run.label.clone(), protocol: run.protocol, traces, recording });
        self.paused = true;
        self.notice = Some((
            format!(
                "trial '{}' kept ({} kept); change something and run the next trial (T)",
                run.label,
                self.trials.len()
            ),
            false,
        ));
    }

    /// Removes kept trial `i`.
    pub fn remove_trial(&mut self, i: usize) {
        if i < self.trials.len() {
            self.trials.remove(i);
        }
    }

    /// What makes this lab differ from the plain one, in a few words: drugs (with their
    /// region unless everywhere), channels switched off, densities set by hand, [Mg2+],
    /// the firing order; "control" when nothing.
    pub fn condition_label(&self, fire: Option<FirePattern>) -> String {
        let mut parts = Vec::new();
        for d in Drug::ALL {
            let regions: Vec<&str> = REGIONS.iter().map(|(r, _)| *r).filter(|r| self.drug_on(d, r)).collect();
            if regions.len() == REGIONS.len() {
                parts.push(d.name().to_string());
            } else if !regions.is_empty() {
                parts.push(format!("{} {}", d.name(), regions.join("+")));
            }
        }
        for slot in 0..self.sim.mechs.len() {
            if self.switched_off(slot) {
                let m = &self.sim.mechs[slot];
                parts.push(format!("{} off {}", m.mech.name(), m.label));
            }
        }
        for (&(slot, param), &v) in &self.density_edits {
            parts.push(format!("{} {param} {v:.3e}", self.sim.mechs[slot].mech.name()));
        }
        let mg_varies = self.trials.iter().any(|t| t.label.contains("Mg "));
        if self.mg_mm != 1.0 || mg_varies {
            parts.push(format!("Mg {} mM", self.mg_mm));
        }
        match fire {
            Some(FirePattern::Sequence { inward, .. }) => {
                parts.push(if inward { "inward" } else { "outward" }.to_string())
            }
            Some(FirePattern::Burst { n, hz }) => parts.push(format!("burst {n} at {hz} Hz")),
            Some(FirePattern::Poisson { hz, .. }) => parts.push(format!("Poisson {hz} Hz")),
            Some(FirePattern::Single) | None => {}
        }
        if parts.is_empty() { "control".to_string() } else { parts.join(", ") }
    }

    /// `label`, or `label #2`, `#3`... when a kept trial already has it.
    fn unique_trial_label(&self, label: String) -> String {
        if !self.trials.iter().any(|t| t.label == label) {
            return label;
        }
        (2..)
            .map(|k| format!("{label} #{k}"))
            .find(|l| !self.trials.iter().any(|t| &t.label == l))
            .unwrap_or(label)
    }

    /// The kept trials as extra CSV columns, each on its own time axis: `label: t`, then
    /// `label: probe` for each of its traces (read at those times, interpolated linearly
    /// where a trace was thinned differently).
    pub(super) fn trial_columns(&self) -> (Vec<String>, Vec<Vec<Option<f64>>>) {
        let mut names = Vec::new();
        let mut cols = Vec::new();
        for trial in &self.trials {
            // The trial's own time axis: its first trace's times (its traces were kept
            // together; another probe's samples are read at those times).
            let Some(t) = trial.traces.first().map(|tr| &tr.t_ms) else { continue };
            names.push(format!("{}: t", trial.label));
            cols.push(t.iter().map(|&x| Some(x)).collect());
            for tr in &trial.traces {
                names.push(format!("{}: {}", trial.label, tr.probe));
                cols.push(t.iter().map(|&x| interpolate(&tr.t_ms, &tr.v_mv, x)).collect());
            }
        }
        (names, cols)
    }
}

impl Lab {
    /// Applies a trial's conditions written in words, comma separated, as the command
    /// line's `--trial` gives them, and sets what the trial plays in `plan`:
    /// `control` (every drug washed out, 1 mM Mg2+), a drug name (`apv`, `ttx`, `tea`,
    /// `apamin`, `cadmium`, `zd7288`) everywhere or `apv:basal` in one region,
    /// `wash:apv`, `mg=3`, `fire`, `inward`, `outward`, `burst`, `clamps`, `ms=200`.
    pub fn apply_trial_words(&mut self, words: &str, plan: &mut TrialPlan) -> Result<(), LabError> {
        for w in words.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            self.apply_trial_word(&w.to_ascii_lowercase(), plan).map_err(|e| e.at(format!("'{w}'")))?;
        }
        Ok(())
    }

    /// One word of [`Lab::apply_trial_words`], lower case.
    fn apply_trial_word(&mut self, lower: &str, plan: &mut TrialPlan) -> Result<(), LabError> {
        let interval = plan
            .fire
            .and_then(|f| match f {
                FirePattern::Sequence { interval_ms, .. } => Some(interval_ms),
                _ => None,
            })
            .unwrap_or(2.0);
        match lower {
            "control" => {
                let applied: Vec<(Drug, String)> = self.drugs.iter().cloned().collect();
                for (d, r) in applied {
                    self.set_drug(d, &r, false);
                }
                self.set_mg(1.0);
            }
            "fire" => plan.fire = Some(FirePattern::Single),
            "inward" | "outward" => {
                plan.fire = Some(FirePattern::Sequence { inward: lower == "inward", interval_ms: interval })
            }
            "burst" => plan.fire = Some(FirePattern::Burst { n: 5, hz: 50.0 }),
            "clamps" => plan.fire = None,
            _ => {
                if let Some(v) = lower.strip_prefix("mg=") {
                    self.set_mg(number(v)?);
                } else if let Some(v) = lower.strip_prefix("ms=") {
                    plan.run_ms = number(v)?.clamp(1.0, MAX_TRIAL_MS);
                } else if let Some(name) = lower.strip_prefix("wash:") {
                    let d = drug(name)?;
                    for (r, _) in REGIONS {
                        self.set_drug(d, r, false);
                    }
                } else {
                    let (name, region) = match lower.split_once(':') {
                        Some((n, r)) => (n, Some(r)),
                        None => (lower, None),
                    };
                    let d = drug(name)?;
                    match region {
                        Some(r) => {
                            super::biophysics::check_region(r)?;
                            self.set_drug(d, r, true)
                        }
                        None => {
                            for (r, _) in REGIONS {
                                self.set_drug(d, r, true);
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// The drug called `name` (any case).
fn drug(name: &str) -> Result<Drug, LabError> {
    Drug::ALL.into_iter().find(|d| d.name().eq_ignore_ascii_case(name)).ok_or_else(|| {
        let known = Drug::ALL.iter().map(|d| d.name().to_string()).collect();
        LabError::Unknown { what: "drug", name: name.to_string(), known }
    })
}

/// A finite number written as `v`.
fn number(v: &str) -> Result<f64, LabError> {
    v.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| LabError::Invalid(format!("'{v}' is not a number")))
}

/// `v` at `x` on the sorted abscissae `t`, linearly; `None` outside them.
fn interpolate(t: &[f64], v: &[f64], x: f64) -> Option<f64> {
    let n = t.len().min(v.len());
    if n == 0 || !(x >= t[0] && x <= t[n - 1]) {
        return None;
    }
    let k = t[..n].partition_point(|&s| s <= x);
    if k == 0 {
        return Some(v[0]);
    }
    if k >= n {
        return Some(v[n - 1]);
    }
    let (t0, t1) = (t[k - 1], t[k]);
    let f = if t1 > t0 { (x - t0) / (t1 - t0) } else { 0.0 };
    Some(v[k - 1] + f * (v[k] - v[k - 1]))
}

#[cfg(test)]
mod tests {
    use super::interpolate;

    #[test]
    fn interpolation_is_linear_and_blank_outside() {
        let t = [0.0, 1.0, 3.0];
        let v = [0.0, 10.0, 30.0];
        assert_eq!(interpolate(&t, &v, 0.5), Some(5.0));
        assert_eq!(interpolate(&t, &v, 2.0), Some(20.0));
        assert_eq!(interpolate(&t, &v, 3.0), Some(30.0));
        assert_eq!(interpolate(&t, &v, -0.1), None);
        assert_eq!(interpolate(&t, &v, 3.1), None);
        assert_eq!(interpolate(&t, &v, f64::NAN), None);
        assert_eq!(interpolate(&[], &[], 0.0), None);
    }
}

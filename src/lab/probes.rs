//! Probes and what the lab shows: voltage probes with their traces and lecture names, the
//! quantity that colours the tree (voltage, peak hold, NMDA current, [Ca2+]i, Mg2+
//! unblock), and the traces as CSV with the kept trials.

use super::error::LabError;
use super::session::{Lab, MAX_LAB_PROBES};

use crate::sim::recording::Ring;
use serde::{Deserialize, Serialize};

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

impl Lab {
    /// A copy of the lab as it is now, without its probes' traces and kept trials (the
    /// linearity meter's copies record their own): the buffers are lent out during the
    /// copy, so that taking it costs the simulation's state only (with 64 probes a plain
    /// `clone` copied 28 ms of traces on the window's thread).
    pub fn clone_without_traces(&mut self) -> Lab {
        let traces: Vec<(Ring, Ring)> = self
            .probes
            .iter_mut()
            .map(|p| (std::mem::replace(&mut p.t, Ring::new(1)), std::mem::replace(&mut p.v, Ring::new(1))))
            .collect();
        let trials = std::mem::take(&mut self.trials);
        let copy = self.clone();
        self.trials = trials;
        for (p, (t, v)) in self.probes.iter_mut().zip(traces) {
            p.t = t;
            p.v = v;
        }
        copy
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
    pub fn add_probe(&mut self, section: usize, x: f64) -> Result<usize, LabError> {
        self.check_location(section, x)?;
        if self.probes.len() >= MAX_LAB_PROBES {
            // Each probe keeps TRACE_CAPACITY samples of t and V: bounded memory.
            return Err(LabError::TooMany {
                what: "probes",
                count: self.probes.len() + 1,
                limit: MAX_LAB_PROBES,
            });
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

    /// The value of `q` at every node at the recorded moment `t` (ms), for colouring a
    /// scrubbed or replayed instant. Returns what was shown: `q` when it follows from the
    /// voltage (voltage, peak hold, Mg2+ unblock), else the voltage; `None` when nothing
    /// is recorded.
    pub fn node_values_at(&self, q: Quantity, t: f64, out: &mut Vec<f32>) -> Option<Quantity> {
        self.node_values_in(None, q, t, out)
    }

    /// The kept trials that were recorded: (index, label), oldest first.
    pub fn recorded_trials(&self) -> Vec<(usize, String)> {
        self.trials
            .iter()
            .enumerate()
            .filter(|(_, t)| t.recording.is_some())
            .map(|(k, t)| (k, t.label.clone()))
            .collect()
    }

    /// The recording shown: kept trial `trial`'s, or the lab's own (`None`).
    pub fn shown_recording(&self, trial: Option<usize>) -> Option<&super::recording::Recording> {
        match trial {
            Some(k) => self.trials.get(k)?.recording.as_deref(),
            None => self.recording(),
        }
    }

    /// As [`Lab::node_values_at`], in kept trial `trial`'s recording (its times from its
    /// start) or the lab's own (`None`).
    pub fn node_values_in(
        &self,
        trial: Option<usize>,
        q: Quantity,
        t: f64,
        out: &mut Vec<f32>,
    ) -> Option<Quantity> {
        let r = self.shown_recording(trial)?;
        let k = r.frame_at(t)?;
        Some(match q {
            Quantity::PeakVoltage => {
                r.peaks(k, PEAK_HOLD_MS, out);
                q
            }
            Quantity::MgUnblock => {
                r.values(k, out);
                let b = self.mg_block();
                out.iter_mut().for_each(|v| *v = b.unblocked(*v as f64) as f32);
                q
            }
            _ => {
                r.values(k, out);
                Quantity::Voltage
            }
        })
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
                let b = self.mg_block();
                out.extend(self.sim.v.iter().map(|&v| b.unblocked(v) as f32));
            }
            Quantity::NmdaCurrent => {
                out.resize(n, 0.0);
                for s in &self.synapses {
                    if let Some(k) = s.nmda
                        && let Some(node) = self.sim.synapses.node(k)
                        && let Some(o) = out.get_mut(node as usize)
                    {
                        *o -= self.sim.synapses.current_na(k) as f32;
                    }
                }
            }
        }
    }

    /// The probe traces as CSV: `t` and one column per probe (`section(x)` in mV), on the
    /// soma probe's sample times; then each kept trial on its own time axis (a trial's
    /// times are since its own start, and never overlap the live run's): `label: t` and
    /// one column per probe (`label: probe`). Blocks shorter than the longest end in
    /// empty cells.
    pub fn traces_csv(&self) -> String {
        use std::fmt::Write;
        let mut out = String::from("t");
        for p in &self.probes {
            let _ = write!(out, ",{}({:.3})", self.sim.cell.morphology.sections[p.section].name, p.x);
        }
        let (trial_names, trial_cols) = self.trial_columns();
        for n in &trial_names {
            let _ = write!(out, ",{}", n.replace(',', ";"));
        }
        out.push('\n');
        let live_len = self.probes.first().map_or(0, |p| p.t.len());
        let rows = trial_cols.iter().map(Vec::len).fold(live_len, usize::max);
        for k in 0..rows {
            if let Some(t) = self.probes.first().and_then(|p| p.t.get(k)) {
                let _ = write!(out, "{t:.4}");
            }
            for p in &self.probes {
                // Probes added later have fewer samples: align from the end.
                let off = live_len as isize - p.t.len() as isize;
                let j = k as isize - off;
                match (j >= 0 && k < live_len).then(|| p.v.get(j as usize)).flatten() {
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

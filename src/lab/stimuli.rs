//! Electrodes on the lab: current clamps and Hay's EPSP-shaped currents.

use super::error::LabError;
use super::session::{Lab, MAX_CLAMP_NA};

use crate::sim::stimuli::{EpspCurrent, IClamp};

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

impl Lab {
    /// Adds a current clamp: `amp_na` from `delay_ms` after now, for `dur_ms`.
    pub fn add_clamp(
        &mut self,
        section: usize,
        x: f64,
        amp_na: f64,
        delay_ms: f64,
        dur_ms: f64,
    ) -> Result<usize, LabError> {
        self.check_location(section, x)?;
        let node = self.sim.cell.node_at(section, x.clamp(1e-6, 1.0 - 1e-6));
        let clamp = IClamp {
            node,
            delay: self.sim.t() + delay_ms.clamp(0.0, 1e6),
            dur: dur_ms.clamp(0.0, 1e6),
            amp: amp_na.clamp(-MAX_CLAMP_NA, MAX_CLAMP_NA),
        };
        let engine = self.sim.add_iclamp(clamp)?;
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
    ) -> Result<usize, LabError> {
        self.check_location(section, x)?;
        let finite = [imax_na, delay_ms, tau0_ms, tau1_ms].iter().all(|v| v.is_finite());
        if !finite || tau0_ms <= 0.0 || tau1_ms <= 0.0 || tau0_ms == tau1_ms {
            return Err(LabError::Invalid(format!(
                "an EPSP current needs finite numbers and tau0, tau1 > 0 and different, got imax {imax_na} nA, \
                 delay {delay_ms} ms, tau0 {tau0_ms} ms, tau1 {tau1_ms} ms"
            )));
        }
        let node = self.sim.cell.node_at(section, x.clamp(1e-6, 1.0 - 1e-6));
        let epsp = EpspCurrent {
            node,
            onset: self.sim.t() + delay_ms.clamp(0.0, 1e6),
            tau0: tau0_ms,
            tau1: tau1_ms,
            imax: imax_na.clamp(-MAX_CLAMP_NA, MAX_CLAMP_NA),
        };
        let engine = self.sim.add_epsp(epsp)?;
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
}

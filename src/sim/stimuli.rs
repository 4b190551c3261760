//! Electrode stimuli: NEURON's IClamp (a current step), and Hay's EPSP-shaped current.
//! Currents in nA; positive depolarises (an electrode current into the cell).

/// A current clamp: `amp` nA from `delay` for `dur` ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IClamp {
    pub node: u32,
    /// Onset (ms).
    pub delay: f64,
    /// Duration (ms).
    pub dur: f64,
    /// Amplitude (nA), positive depolarises.
    pub amp: f64,
}

impl IClamp {
    /// The current at time `t` (ms): NEURON's rule `delay <= t < delay + dur`.
    #[inline]
    pub fn at(&self, t: f64) -> f64 {
        if t >= self.delay && t < self.delay + self.dur { self.amp } else { 0.0 }
    }
}

/// Hay et al.'s `epsp`: a double-exponential current with peak `imax` nA at onset + tp.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpspCurrent {
    pub node: u32,
    /// Onset (ms).
    pub onset: f64,
    /// Rise and decay time constants (ms).
    pub tau0: f64,
    pub tau1: f64,
    /// Peak current (nA), positive depolarises.
    pub imax: f64,
}

impl EpspCurrent {
    /// The current at time `t` (ms).
    pub fn at(&self, t: f64) -> f64 {
        if t < self.onset || self.tau0 <= 0.0 || self.tau1 <= 0.0 || self.tau0 == self.tau1 {
            return 0.0;
        }
        let tp = self.tau0 * self.tau1 * (self.tau0 / self.tau1).ln() / (self.tau0 - self.tau1);
        let shape = |s: f64| (1.0 - (-s / self.tau0).exp()) - (1.0 - (-s / self.tau1).exp());
        let amp = self.imax / shape(tp);
        amp * shape(t - self.onset)
    }
}

/// Every electrode of a simulation.
#[derive(Debug, Clone, Default)]
pub struct Stimuli {
    pub iclamps: Vec<IClamp>,
    pub epsps: Vec<EpspCurrent>,
    /// Row scale of each IClamp's node and each EPSP's node.
    pub(crate) iclamp_scale: Vec<f64>,
    pub(crate) epsp_scale: Vec<f64>,
}

impl Stimuli {
    /// Adds the electrode currents at time `t` to the right-hand side.
    #[inline]
    pub fn current(&self, t: f64, rhs: &mut [f64]) {
        for (c, s) in self.iclamps.iter().zip(&self.iclamp_scale) {
            rhs[c.node as usize] += s * c.at(t);
        }
        for (c, s) in self.epsps.iter().zip(&self.epsp_scale) {
            rhs[c.node as usize] += s * c.at(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iclamp_window_is_half_open() {
        let c = IClamp { node: 0, delay: 10.0, dur: 1.0, amp: 0.5 };
        assert_eq!(c.at(9.9999), 0.0);
        assert_eq!(c.at(10.0), 0.5);
        assert_eq!(c.at(10.9999), 0.5);
        assert_eq!(c.at(11.0), 0.0);
    }

    #[test]
    fn epsp_peaks_at_imax() {
        // As an electrode current (positive depolarises) the hump peaks at +imax.
        let e = EpspCurrent { node: 0, onset: 5.0, tau0: 0.5, tau1: 5.0, imax: 0.5 };
        let peak = (0..20000).map(|k| e.at(5.0 + k as f64 * 0.001)).fold(f64::MIN, f64::max);
        assert!((peak - 0.5).abs() < 1e-3, "{peak}");
    }
}

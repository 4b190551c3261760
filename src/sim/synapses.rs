//! Synapses: double-exponential conductances normalised to a peak (NEURON's Exp2Syn,
//! docs/biophysics.md 7.1), optionally times the Mg2+ block of NMDA receptors (7.2).
//!
//! All synapses of a simulation live in one structure-of-arrays. Conductances in uS,
//! currents in nA (positive outward), time constants in ms, [Mg2+] in mM.

/// Kinetics and reversal of a synapse.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynapseParams {
    /// Rise time constant (ms).
    pub tau1: f64,
    /// Decay time constant (ms).
    pub tau2: f64,
    /// Reversal potential (mV).
    pub e: f64,
    /// The Mg2+ block, for NMDA receptors; `None` for none.
    pub mg_block: Option<MgBlock>,
}

/// The NMDA receptor's voltage-dependent Mg2+ block:
/// B(v) = 1 / (1 + [Mg]/kd * exp(-gamma v)) (Jahr & Stevens 1990).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MgBlock {
    /// [Mg2+] (mM).
    pub mg: f64,
    /// Steepness (1/mV): 0.062 (Jahr & Stevens), 0.08 (BBP, Polsky).
    pub gamma: f64,
    /// Dissociation constant at 0 mV (mM): 3.57.
    pub kd: f64,
}

impl MgBlock {
    /// Jahr & Stevens with the given [Mg2+] (mM).
    pub fn jahr_stevens(mg: f64) -> MgBlock {
        MgBlock { mg, gamma: 0.062, kd: 3.57 }
    }
    /// The unblocked fraction at `v` (mV).
    #[inline]
    pub fn unblocked(&self, v: f64) -> f64 {
        1.0 / (1.0 + self.mg / self.kd * (-self.gamma * v).exp())
    }
}

impl SynapseParams {
    /// NEURON's Exp2Syn.
    pub fn exp2syn(tau1: f64, tau2: f64, e: f64) -> Self {
        SynapseParams { tau1, tau2, e, mg_block: None }
    }
    /// AMPA receptor: 0.3 / 3 ms, 0 mV (docs/biophysics.md 7.3).
    pub fn ampa() -> Self {
        Self::exp2syn(0.3, 3.0, 0.0)
    }
    /// NMDA receptor: 2 / 70 ms, 0 mV, Jahr & Stevens block at 1 mM Mg2+.
    pub fn nmda() -> Self {
        SynapseParams { tau1: 2.0, tau2: 70.0, e: 0.0, mg_block: Some(MgBlock::jahr_stevens(1.0)) }
    }
    /// GABA-A receptor: 0.2 / 8 ms, -80 mV.
    pub fn gaba_a() -> Self {
        Self::exp2syn(0.2, 8.0, -80.0)
    }

    /// Exp2Syn's time constants after its guards: tau1 <= 0.9999 tau2, tau1 >= 1e-9 tau2.
    fn guarded(&self) -> (f64, f64) {
        let tau2 = self.tau2.max(1e-9);
        let mut tau1 = self.tau1.max(0.0);
        if tau1 / tau2 > 0.9999 {
            tau1 = 0.9999 * tau2;
        }
        if tau1 / tau2 < 1e-9 {
            tau1 = tau2 * 1e-9;
        }
        (tau1, tau2)
    }

    /// The factor that makes the peak conductance equal the event weight.
    pub fn peak_factor(&self) -> f64 {
        let (t1, t2) = self.guarded();
        let tp = t1 * t2 / (t2 - t1) * (t2 / t1).ln();
        1.0 / ((-tp / t2).exp() - (-tp / t1).exp())
    }

    /// Checks the values are usable.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.tau1.is_finite() && self.tau1 > 0.0 && self.tau2.is_finite() && self.tau2 > 0.0) {
            return Err(format!(
                "synapse time constants must be positive, got {} and {}",
                self.tau1, self.tau2
            ));
        }
        if !self.e.is_finite() {
            return Err("synapse reversal potential must be finite".into());
        }
        if let Some(b) = self.mg_block
            && !(b.mg.is_finite() && b.mg >= 0.0 && b.gamma.is_finite() && b.kd.is_finite() && b.kd > 0.0)
        {
            return Err("Mg2+ block: [Mg] must be >= 0, gamma finite, kd > 0".into());
        }
        Ok(())
    }
}

/// An NMDA synapse's current at `v` and NEURON's numerical slope (i(v + 0.001) -
/// i(v)) / 0.001, for conductance `gs` before the block.
#[inline(never)]
fn nmda(gs: f64, v: f64, e: f64, mg: MgBlock) -> (f64, f64) {
    let i0 = gs * mg.unblocked(v) * (v - e);
    let i1 = gs * mg.unblocked(v + 0.001) * (v + 0.001 - e);
    (i0, (i1 - i0) / 0.001)
}

/// Every synapse of a simulation.
#[derive(Debug, Clone, Default)]
pub struct Synapses {
    pub node: Vec<u32>,
    pub params: Vec<SynapseParams>,
    /// Row scale of the node (100/area, or 1 at a zero-area node).
    pub(crate) scale: Vec<f64>,
    factor: Vec<f64>,
    decay1: Vec<f64>,
    decay2: Vec<f64>,
    /// Rising and decaying states (uS).
    a: Vec<f64>,
    b: Vec<f64>,
    /// Latest current (nA) and conductance (uS, before the Mg block).
    i: Vec<f64>,
    g: Vec<f64>,
    /// False while a synapse is pharmacologically blocked (its events still arrive).
    pub enabled: Vec<bool>,
    /// One more than the highest node of any synapse (0 without synapses): what the
    /// current loop checks once instead of scanning every node each step.
    nodes_below: usize,
}

impl Synapses {
    /// Adds a synapse at `node` with row scale `scale`; returns its index.
    pub fn push(&mut self, node: u32, scale: f64, params: SynapseParams, dt: f64) -> usize {
        self.node.push(node);
        self.nodes_below = self.nodes_below.max(node as usize + 1);
        self.params.push(params);
        self.scale.push(scale);
        self.factor.push(0.0);
        self.decay1.push(0.0);
        self.decay2.push(0.0);
        self.a.push(0.0);
        self.b.push(0.0);
        self.i.push(0.0);
        self.g.push(0.0);
        self.enabled.push(true);
        let k = self.node.len() - 1;
        self.refresh(k, dt);
        k
    }

    /// Removes synapse `k` (the last one takes its index). Returns the moved index.
    pub fn swap_remove(&mut self, k: usize) -> Option<usize> {
        if k >= self.len() {
            return None;
        }
        self.node.swap_remove(k);
        self.params.swap_remove(k);
        self.scale.swap_remove(k);
        self.factor.swap_remove(k);
        self.decay1.swap_remove(k);
        self.decay2.swap_remove(k);
        self.a.swap_remove(k);
        self.b.swap_remove(k);
        self.i.swap_remove(k);
        self.g.swap_remove(k);
        self.enabled.swap_remove(k);
        self.nodes_below = self.node.iter().map(|&n| n as usize + 1).max().unwrap_or(0);
        Some(self.len())
    }

    pub fn len(&self) -> usize {
        self.node.len()
    }
    pub fn is_empty(&self) -> bool {
        self.node.is_empty()
    }

    /// Recomputes synapse `k`'s constants after a change of its parameters or of dt.
    pub fn refresh(&mut self, k: usize, dt: f64) {
        let p = self.params[k];
        let (t1, t2) = p.guarded();
        self.factor[k] = p.peak_factor();
        self.decay1[k] = (-dt / t1).exp();
        self.decay2[k] = (-dt / t2).exp();
    }

    /// Sets every synapse's states to 0.
    pub fn init(&mut self) {
        self.a.iter_mut().for_each(|x| *x = 0.0);
        self.b.iter_mut().for_each(|x| *x = 0.0);
        self.i.iter_mut().for_each(|x| *x = 0.0);
        self.g.iter_mut().for_each(|x| *x = 0.0);
    }

    /// A spike arrives at synapse `k` with weight `w` (uS): the peak conductance.
    #[inline]
    pub fn deliver(&mut self, k: usize, w: f64) {
        if k < self.a.len() {
            self.a[k] += w * self.factor[k];
            self.b[k] += w * self.factor[k];
        }
    }

    /// Current phase: adds each synapse's current and slope conductance to the matrix.
    /// With a Mg block the slope is NEURON's (i(v + 0.001) - i(v)) / 0.001.
    #[inline]
    pub fn current(&mut self, v: &[f64], rhs: &mut [f64], d: &mut [f64]) {
        let n = self.node.len();
        // Every array has n entries and every node is a node of v, rhs and d (checked
        // once here, so that the loop needs no bounds checks).
        let (node, params, scale) = (&self.node[..n], &self.params[..n], &self.scale[..n]);
        let (a, b, enabled) = (&self.a[..n], &self.b[..n], &self.enabled[..n]);
        let (g_out, i_out) = (&mut self.g[..n], &mut self.i[..n]);
        let len = v.len().min(rhs.len()).min(d.len());
        assert!(self.nodes_below <= len);
        debug_assert!(node.iter().all(|&m| (m as usize) < self.nodes_below));
        for k in 0..n {
            let nd = node[k] as usize;
            let gs = b[k] - a[k];
            g_out[k] = gs;
            if !enabled[k] {
                i_out[k] = 0.0;
                continue;
            }
            let p = &params[k];
            // SAFETY: nd < len (asserted above).
            let vv = unsafe { *v.get_unchecked(nd) };
            let (i, g) = match p.mg_block {
                None => (gs * (vv - p.e), gs),
                Some(mg) => nmda(gs, vv, p.e, mg),
            };
            i_out[k] = i;
            // SAFETY: as above.
            unsafe {
                *rhs.get_unchecked_mut(nd) -= scale[k] * i;
                *d.get_unchecked_mut(nd) += scale[k] * g;
            }
        }
    }

    /// One more than the highest node any synapse has had (0 without synapses): arrays
    /// passed to [`Synapses::current`] must be at least this long.
    pub fn nodes_below(&self) -> usize {
        self.nodes_below
    }

    /// State phase: the exponential decays over one step.
    #[inline]
    pub fn advance(&mut self) {
        for (a, d) in self.a.iter_mut().zip(&self.decay1) {
            *a *= d;
        }
        for (b, d) in self.b.iter_mut().zip(&self.decay2) {
            *b *= d;
        }
    }

    /// Latest current of synapse `k` (nA, positive outward).
    pub fn current_na(&self, k: usize) -> f64 {
        self.i.get(k).copied().unwrap_or(0.0)
    }
    /// Conductance of synapse `k` before any Mg block (uS).
    pub fn conductance_us(&self, k: usize) -> f64 {
        self.g.get(k).copied().unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_factors_match_the_table() {
        // docs/biophysics.md 7.1
        for (t1, t2, f) in [(0.3, 3.0, 1.4351), (2.0, 70.0, 1.1429), (0.2, 8.0, 1.1274), (8.0, 35.0, 2.0074)]
        {
            let got = SynapseParams::exp2syn(t1, t2, 0.0).peak_factor();
            assert!((got - f).abs() < 1e-3, "{t1}/{t2}: {got}");
        }
    }

    #[test]
    fn peak_conductance_equals_weight() {
        let dt = 0.001;
        let mut s = Synapses::default();
        s.push(0, 1.0, SynapseParams::exp2syn(0.5, 5.0, 0.0), dt);
        s.deliver(0, 0.002);
        let mut peak = 0.0f64;
        let v = [0.0];
        let (mut r, mut d) = ([0.0], [0.0]);
        for _ in 0..20000 {
            s.current(&v, &mut r, &mut d);
            peak = peak.max(s.conductance_us(0));
            s.advance();
        }
        assert!((peak - 0.002).abs() < 1e-6, "{peak}");
    }

    #[test]
    fn mg_block_matches_the_table() {
        // docs/biophysics.md 7.2, J&S at 1 mM: .024 at -80, .230 at -40, .781 at 0.
        let b = MgBlock::jahr_stevens(1.0);
        assert!((b.unblocked(-80.0) - 0.024).abs() < 1e-3);
        assert!((b.unblocked(-40.0) - 0.230).abs() < 1e-3);
        assert!((b.unblocked(0.0) - 0.781).abs() < 1e-3);
        assert_eq!(MgBlock::jahr_stevens(0.0).unblocked(-80.0), 1.0);
    }
}

//! Synapses: double-exponential conductances normalised to a peak (NEURON's Exp2Syn,
//! docs/biophysics.md 7.1), optionally times the Mg2+ block of NMDA receptors (7.2).
//!
//! All synapses of a simulation live in one structure-of-arrays. Conductances in uS,
//! currents in nA (positive outward), time constants in ms, [Mg2+] in mM.

use crate::sim::error::SimError;

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
/// `B(v) = 1 / (1 + [Mg]/kd * exp(-gamma v))` (Jahr & Stevens 1990).
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
    pub fn validate(&self) -> Result<(), SimError> {
        if !(self.tau1.is_finite() && self.tau1 > 0.0 && self.tau2.is_finite() && self.tau2 > 0.0) {
            return Err(SimError::SynapseParams(format!(
                "synapse time constants must be positive, got {} and {}",
                self.tau1, self.tau2
            )));
        }
        if !self.e.is_finite() {
            return Err(SimError::NotFinite { what: "a synapse's reversal potential" });
        }
        if let Some(b) = self.mg_block
            && !(b.mg.is_finite() && b.mg >= 0.0 && b.gamma.is_finite() && b.kd.is_finite() && b.kd > 0.0)
        {
            return Err(SimError::SynapseParams(
                "Mg2+ block: [Mg] must be >= 0, gamma finite, kd > 0".into(),
            ));
        }
        Ok(())
    }
}

/// An NMDA synapse's current at `v` and NEURON's numerical slope (i(v + 0.001) -
/// i(v)) / 0.001, for conductance `gs` before the block, with the unblocked fraction at `v`.
#[inline(never)]
fn nmda(gs: f64, v: f64, e: f64, mg: MgBlock) -> (f64, f64, f64) {
    let u = mg.unblocked(v);
    let i0 = gs * u * (v - e);
    let i1 = gs * mg.unblocked(v + 0.001) * (v + 0.001 - e);
    (i0, (i1 - i0) / 0.001, u)
}

/// What makes synapses one conductance ([`Synapses`]): node, kinetics, reversal, Mg2+
/// block (as bits) and switch.
type GroupKey = (u32, [u64; 3], Option<[u64; 3]>, bool);

/// Every synapse of a simulation.
///
/// Synapses of one node with the same kinetics, reversal, Mg2+ block and switch act as one
/// conductance, as Arbor coalesces them and as NEURON runs one Exp2Syn fed by several
/// NetCons: the step computes the current of each *group* once, with states that are the
/// sums of its members' (their events add to both). Each synapse keeps its own states,
/// for its own conductance and current ([`Synapses::current_na`]); the groups are formed
/// again from those after any change of parameters, switch or membership. A group of one
/// synapse computes exactly what that synapse alone would.
#[derive(Debug, Clone, Default)]
pub struct Synapses {
    /// Each synapse's node. Private: every entry is below `nodes_below`, which [`push`]
    /// and [`swap_remove`] keep so, and on which the current loop's unchecked indexing
    /// rests (see [`Synapses::current`]).
    ///
    /// [`push`]: Synapses::push
    /// [`swap_remove`]: Synapses::swap_remove
    node: Vec<u32>,
    /// Parameters; changed through [`Synapses::set_params`], which refreshes the
    /// constants.
    params: Vec<SynapseParams>,
    /// Row scale of the node (100/area, or 1 at a zero-area node).
    pub(crate) scale: Vec<f64>,
    factor: Vec<f64>,
    decay1: Vec<f64>,
    decay2: Vec<f64>,
    /// Rising and decaying states (uS).
    a: Vec<f64>,
    b: Vec<f64>,
    /// Conductance (uS, before the Mg block) in the latest current phase.
    g: Vec<f64>,
    /// False while a synapse is pharmacologically blocked (its events still arrive).
    enabled: Vec<bool>,
    /// One more than the highest node of any synapse (0 without synapses): what the
    /// current loop checks once instead of scanning every node each step.
    nodes_below: usize,
    /// Each synapse's group.
    group: Vec<u32>,
    groups: Groups,
    /// The group of each key, for adding synapses.
    keys: std::collections::HashMap<GroupKey, u32>,
    /// True when the groups must be formed again (at the next current phase, without
    /// allocating: every buffer keeps the capacity that `push` gave it).
    regroup: bool,
}

/// The groups' columns ([`Synapses`]).
#[derive(Debug, Clone, Default)]
struct Groups {
    /// One synapse of the group: its node, scale, kinetics, reversal and block.
    first: Vec<u32>,
    a: Vec<f64>,
    b: Vec<f64>,
    decay1: Vec<f64>,
    decay2: Vec<f64>,
    /// The voltage at the group's node in the latest current phase (mV), and the
    /// unblocked fraction there (1 without a Mg2+ block): what a member's own current is
    /// computed with when it is read.
    v: Vec<f64>,
    unblocked: Vec<f64>,
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
        self.g.push(0.0);
        self.enabled.push(true);
        self.group.push(0);
        let k = self.node.len() - 1;
        self.set_constants(k, dt);
        // Room for a group per synapse, so that forming them again never allocates.
        let room = self.node.len();
        let Groups { a, b, decay1, decay2, v, unblocked, .. } = &mut self.groups;
        for col in [a, b, decay1, decay2, v, unblocked] {
            col.reserve(room.saturating_sub(col.len()));
        }
        self.groups.first.reserve(room.saturating_sub(self.groups.first.len()));
        self.keys.reserve(room.saturating_sub(self.keys.len()));
        if !self.regroup {
            self.join_group(k);
        }
        k
    }

    /// The key of synapse `k`'s group.
    fn key(&self, k: usize) -> GroupKey {
        let p = &self.params[k];
        let mg = p.mg_block.map(|m| [m.mg.to_bits(), m.gamma.to_bits(), m.kd.to_bits()]);
        (self.node[k], [p.tau1.to_bits(), p.tau2.to_bits(), p.e.to_bits()], mg, self.enabled[k])
    }

    /// Puts synapse `k` in its group (a new one if none has its key), adding its states.
    fn join_group(&mut self, k: usize) {
        let key = self.key(k);
        let next = self.groups.first.len() as u32;
        let g = *self.keys.entry(key).or_insert(next);
        if g == next {
            self.groups.first.push(k as u32);
            self.groups.a.push(0.0);
            self.groups.b.push(0.0);
            self.groups.decay1.push(self.decay1[k]);
            self.groups.decay2.push(self.decay2[k]);
            self.groups.v.push(0.0);
            self.groups.unblocked.push(1.0);
        }
        self.group[k] = g;
        self.groups.a[g as usize] += self.a[k];
        self.groups.b[g as usize] += self.b[k];
    }

    /// Forms the groups again from the synapses' own states.
    fn form_groups(&mut self) {
        self.keys.clear();
        self.groups.first.clear();
        self.groups.a.clear();
        self.groups.b.clear();
        self.groups.decay1.clear();
        self.groups.decay2.clear();
        self.groups.v.clear();
        self.groups.unblocked.clear();
        for k in 0..self.node.len() {
            self.join_group(k);
        }
        self.regroup = false;
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
        self.g.swap_remove(k);
        self.enabled.swap_remove(k);
        self.group.swap_remove(k);
        self.nodes_below = self.node.iter().map(|&n| n as usize + 1).max().unwrap_or(0);
        self.regroup = true;
        Some(self.len())
    }

    pub fn len(&self) -> usize {
        self.node.len()
    }

    /// The node of synapse `k`.
    pub fn node(&self, k: usize) -> Option<u32> {
        self.node.get(k).copied()
    }

    /// The parameters of synapse `k`.
    pub fn params(&self, k: usize) -> Option<&SynapseParams> {
        self.params.get(k)
    }

    /// Changes synapse `k`'s parameters (checked by the caller) and its constants for
    /// time step `dt`; false for no such synapse.
    pub fn set_params(&mut self, k: usize, params: SynapseParams, dt: f64) -> bool {
        let Some(p) = self.params.get_mut(k) else { return false };
        *p = params;
        self.refresh(k, dt);
        true
    }
    pub fn is_empty(&self) -> bool {
        self.node.is_empty()
    }

    /// Whether synapse `k` passes current (false while blocked, or for no such synapse).
    pub fn is_enabled(&self, k: usize) -> bool {
        self.enabled.get(k).copied().unwrap_or(false)
    }

    /// Blocks synapse `k` (`on` false) or lets it pass current again; its events still
    /// arrive while it is blocked.
    pub fn set_enabled(&mut self, k: usize, on: bool) {
        if let Some(e) = self.enabled.get_mut(k)
            && *e != on
        {
            *e = on;
            self.regroup = true;
        }
    }

    /// Recomputes synapse `k`'s constants after a change of its parameters (`params[k]`)
    /// or of dt.
    pub fn refresh(&mut self, k: usize, dt: f64) {
        self.set_constants(k, dt);
        self.regroup = true;
    }

    fn set_constants(&mut self, k: usize, dt: f64) {
        let p = self.params[k];
        let (t1, t2) = p.guarded();
        self.factor[k] = p.peak_factor();
        self.decay1[k] = (-dt / t1).exp();
        self.decay2[k] = (-dt / t2).exp();
    }

    /// Sets every synapse's states to 0.
    pub fn init(&mut self) {
        for col in [&mut self.a, &mut self.b, &mut self.g, &mut self.groups.a, &mut self.groups.b] {
            col.iter_mut().for_each(|x| *x = 0.0);
        }
    }

    /// A spike arrives at synapse `k` with weight `w` (uS): the peak conductance.
    #[inline]
    pub fn deliver(&mut self, k: usize, w: f64) {
        if k < self.a.len() {
            let x = w * self.factor[k];
            self.a[k] += x;
            self.b[k] += x;
            let g = self.group[k] as usize;
            if let (Some(a), Some(b)) = (self.groups.a.get_mut(g), self.groups.b.get_mut(g)) {
                *a += x;
                *b += x;
            }
        }
    }

    /// Current phase: adds each group's current and slope conductance to the matrix.
    /// With a Mg block the slope is NEURON's (i(v + 0.001) - i(v)) / 0.001.
    #[inline]
    pub fn current(&mut self, v: &[f64], rhs: &mut [f64], d: &mut [f64]) {
        if self.regroup {
            self.form_groups();
        }
        let n = self.node.len();
        for ((g, a), b) in self.g[..n].iter_mut().zip(&self.a[..n]).zip(&self.b[..n]) {
            *g = b - a;
        }
        let m = self.groups.first.len();
        let Groups { first, a, b, v: v_out, unblocked, .. } = &mut self.groups;
        let (first, a, b) = (&first[..m], &a[..m], &b[..m]);
        let (v_out, unblocked) = (&mut v_out[..m], &mut unblocked[..m]);
        let (node, params, scale, enabled) =
            (&self.node[..n], &self.params[..n], &self.scale[..n], &self.enabled[..n]);
        // Every node is a node of v, rhs and d (checked once here, so that the loop needs
        // no bounds checks): each synapse's node is below `nodes_below` (an invariant of
        // this type: `node` is private and only `push` and `swap_remove` change it, both
        // keeping `nodes_below` above every entry), and `nodes_below` is at most `len`
        // (asserted here, in release too).
        let len = v.len().min(rhs.len()).min(d.len());
        assert!(self.nodes_below <= len, "synapse nodes up to {} but {len} nodes", self.nodes_below);
        debug_assert!(node.iter().all(|&x| (x as usize) < self.nodes_below));
        for j in 0..m {
            let k = first[j] as usize;
            let nd = node[k] as usize;
            // SAFETY: nd < nodes_below <= len, the length of v, rhs and d: the invariant
            // and the assertion above (tested by `a_node_beyond_the_arrays_is_caught`).
            let vv = unsafe { *v.get_unchecked(nd) };
            v_out[j] = vv;
            if !enabled[k] {
                continue;
            }
            let gs = b[j] - a[j];
            let p = &params[k];
            let (i, g) = match p.mg_block {
                None => (gs * (vv - p.e), gs),
                Some(mg) => {
                    let (i, g, u) = nmda(gs, vv, p.e, mg);
                    unblocked[j] = u;
                    (i, g)
                }
            };
            // SAFETY: nd < len, as for v above.
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
        let Groups { a, b, decay1, decay2, .. } = &mut self.groups;
        for (a, d) in a.iter_mut().zip(decay1.iter()) {
            *a *= d;
        }
        for (b, d) in b.iter_mut().zip(decay2.iter()) {
            *b *= d;
        }
    }

    /// Current of synapse `k` in the latest current phase (nA, positive outward): its own
    /// conductance at its group's voltage; 0 while blocked.
    pub fn current_na(&self, k: usize) -> f64 {
        if !self.is_enabled(k) {
            return 0.0;
        }
        let (g, p, j) = (self.g[k], &self.params[k], self.group[k] as usize);
        let vv = self.groups.v.get(j).copied().unwrap_or(0.0);
        match p.mg_block {
            None => g * (vv - p.e),
            // As the current phase computes it (no exponential here: the lab reads every
            // synapse's current each frame it colours by them).
            Some(_) => g * self.groups.unblocked.get(j).copied().unwrap_or(1.0) * (vv - p.e),
        }
    }
    /// Conductance of synapse `k` before any Mg block (uS).
    pub fn conductance_us(&self, k: usize) -> f64 {
        self.g.get(k).copied().unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tries to break the unchecked indexing of the current loop: a synapse whose node
    /// lies beyond the arrays it is given must be caught (a panic with a message), never
    /// read or written out of bounds, whatever was added and removed before.
    #[test]
    fn a_node_beyond_the_arrays_is_caught() {
        let mut s = Synapses::default();
        s.push(2, 1.0, SynapseParams::ampa(), 0.025);
        let far = s.push(1_000_000, 1.0, SynapseParams::nmda(), 0.025);
        s.deliver(far, 0.01);
        let (v, mut rhs, mut d) = (vec![-65.0; 10], vec![0.0; 10], vec![0.0; 10]);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let (mut rhs, mut d) = (rhs.clone(), d.clone());
            s.current(&v, &mut rhs, &mut d);
        }));
        assert!(caught.is_err(), "a node beyond the arrays went unnoticed");
        // Removing it brings the bound back down: the loop runs, within the arrays.
        s.swap_remove(far);
        assert_eq!(s.nodes_below(), 3);
        s.deliver(0, 0.01);
        s.advance();
        s.current(&v, &mut rhs, &mut d);
        assert!(rhs[2] != 0.0 && d[2] > 0.0 && rhs.iter().enumerate().all(|(i, &r)| i == 2 || r == 0.0));
        // Arrays shorter than the synapses' nodes are caught too.
        let short = vec![-65.0; 2];
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let (mut rhs, mut d) = (vec![0.0; 2], vec![0.0; 2]);
            s.current(&short, &mut rhs, &mut d);
        }));
        assert!(caught.is_err());
        // Parameters change only through set_params, which refreshes the constants.
        assert!(s.set_params(0, SynapseParams::gaba_a(), 0.025));
        assert_eq!(s.params(0), Some(&SynapseParams::gaba_a()));
        assert!(!s.set_params(5, SynapseParams::gaba_a(), 0.025));
        assert_eq!((s.node(0), s.node(1)), (Some(2), None));
    }

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

    /// Synapses of one node with the same parameters act as one conductance: the same
    /// matrix terms and each synapse's own current as when each stands alone, through
    /// events, a block and its lifting.
    #[test]
    fn synapses_on_one_node_act_as_one_conductance() {
        let dt = 0.025;
        let params =
            [SynapseParams::ampa(), SynapseParams::ampa(), SynapseParams::nmda(), SynapseParams::ampa()];
        let mut together = Synapses::default();
        let mut alone: Vec<Synapses> = Vec::new();
        for p in params {
            together.push(0, 2.0, p, dt);
            let mut one = Synapses::default();
            one.push(0, 2.0, p, dt);
            alone.push(one);
        }
        assert_eq!(together.groups.first.len(), 2, "the three AMPA synapses are one group");
        let v = [-20.0];
        for step in 0..4000 {
            let events = [(10, 0, 0.001), (30, 1, 0.002), (35, 2, 0.003), (50, 3, 0.0005), (2100, 1, 0.001)];
            for &(at, k, w) in &events {
                if step == at {
                    together.deliver(k, w);
                    alone[k].deliver(0, w);
                }
            }
            if step == 1000 {
                together.set_enabled(1, false);
                alone[1].set_enabled(0, false);
            }
            if step == 3000 {
                together.set_enabled(1, true);
                alone[1].set_enabled(0, true);
            }
            let (mut r, mut d) = ([0.0], [0.0]);
            together.current(&v, &mut r, &mut d);
            let (mut r1, mut d1) = (0.0, 0.0);
            for (k, one) in alone.iter_mut().enumerate() {
                let (mut r, mut d) = ([0.0], [0.0]);
                one.current(&v, &mut r, &mut d);
                r1 += r[0];
                d1 += d[0];
                assert!((together.current_na(k) - one.current_na(0)).abs() <= 1e-15, "{step} {k}");
                assert_eq!(together.is_enabled(k), one.is_enabled(0));
            }
            assert!((r[0] - r1).abs() <= 1e-12 * r1.abs().max(1e-9), "{step}: {} vs {r1}", r[0]);
            assert!((d[0] - d1).abs() <= 1e-12 * d1.abs().max(1e-9), "{step}: {} vs {d1}", d[0]);
            if (1000..3000).contains(&step) {
                assert_eq!(together.current_na(1), 0.0);
            }
            // The NMDA synapse's current as the current phase computes it, bit for bit.
            let nmda = together.conductance_us(2) * MgBlock::jahr_stevens(1.0).unblocked(v[0]) * v[0];
            assert_eq!(together.current_na(2), nmda);
            together.advance();
            alone.iter_mut().for_each(|one| one.advance());
        }
        // Removing a synapse leaves the others' terms as they were.
        together.swap_remove(0);
        alone.swap_remove(0);
        let (mut r, mut d) = ([0.0], [0.0]);
        together.current(&v, &mut r, &mut d);
        let r1: f64 = alone
            .iter_mut()
            .map(|one| {
                let (mut r, mut d) = ([0.0], [0.0]);
                one.current(&v, &mut r, &mut d);
                r[0]
            })
            .sum();
        assert!((r[0] - r1).abs() <= 1e-12 * r1.abs(), "{} vs {r1}", r[0]);
    }
}

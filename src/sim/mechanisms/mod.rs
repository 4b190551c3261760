//! Membrane mechanisms (density channels and ion pools), all behind one trait.
//!
//! Units as in NEURON: v in mV, densities in S/cm2, currents in mA/cm2 (positive
//! outward), concentrations in mM, time in ms, temperature in degC.
//!
//! Each mechanism instance covers a set of compartment nodes (`nodes`) and keeps its
//! state as structure-of-arrays indexed by position in that set. The engine calls,
//! once per fixed step (NEURON's order, docs/biophysics.md 1.5):
//! 1. [`Mechanism::current`] with v(t): add the current to `rhs` and its slope
//!    conductance to `d` (both per node, in mA/cm2 and S/cm2);
//! 2. (the cable solve updates v);
//! 3. [`Mechanism::advance`] with v(t + dt): integrate the states over dt.
//!
//! No method may allocate after [`Mechanism::init`].

pub mod ca_dynamics_e2;
pub mod ca_hva;
pub mod ca_lvast;
pub mod catalogue;
pub mod dcaap;
pub mod gated;
pub mod hh;
pub mod ih;
pub mod im;
pub mod k_pst;
pub mod k_tst;
pub mod layout;
pub mod log_table;
pub mod na_ta_t;
pub mod na_ts2_t;
pub mod nap_et2;
pub mod params;
pub mod pas;
pub mod rate_table;
pub mod simd;
pub mod sk_e2;
pub mod skv3_1;
pub mod traub;

use std::fmt;

/// Shared per-node ionic state, indexed by node (like `v`). Mechanisms read the
/// reversal potentials and may add to the calcium current or write the calcium
/// concentration, as NEURON's ion mechanisms let them.
#[derive(Debug, Clone)]
pub struct Ions {
    /// Sodium reversal potential (mV). NEURON's default with hh: 50.
    pub ena: Vec<f64>,
    /// Potassium reversal potential (mV). NEURON's default with hh: -77.
    pub ek: Vec<f64>,
    /// Calcium reversal potential (mV). Recomputed by Nernst from `cai` each step where
    /// `eca_nernst` is set, else fixed.
    pub eca: Vec<f64>,
    /// Whether `eca` follows `cai` by the Nernst equation at this node.
    pub eca_nernst: Vec<bool>,
    /// Intracellular calcium (mM). NEURON's cai0 = 5e-5.
    pub cai: Vec<f64>,
    /// Extracellular calcium (mM). NEURON's cao0 = 2.
    pub cao: Vec<f64>,
    /// Total calcium current this step (mA/cm2), summed by the Ca channels during the
    /// current phase and read by calcium pools in the state phase.
    pub ica: Vec<f64>,
    /// Whether a channel added to `ica` since it was last cleared (a cell without Ca2+
    /// channels never writes it, and clearing it each step would cost a pass over memory).
    pub ica_written: bool,
    /// The nodes whose `eca_nernst` is set, so each step visits only those.
    nernst_nodes: Vec<u32>,
    /// For each of `nernst_nodes`: the cao last seen there and its logarithm.
    ln_cao: Vec<(f64, f64)>,
}

/// Faraday constant (C/mol), NEURON's value.
pub const FARADAY: f64 = 96485.309;
/// Gas constant (J/(mol K)), NEURON's value.
pub const GAS_CONSTANT: f64 = 8.314_462_618;

/// Nernst potential (mV) for valence `z`, concentrations in mM, temperature in degC.
pub fn nernst(c_in: f64, c_out: f64, z: f64, celsius: f64) -> f64 {
    let c_in = c_in.max(1e-12);
    let c_out = c_out.max(1e-12);
    1000.0 * GAS_CONSTANT * (celsius + 273.15) / (z * FARADAY) * (c_out / c_in).ln()
}

impl Ions {
    /// NEURON's defaults for `n` nodes.
    pub fn new(n: usize) -> Self {
        Ions {
            ena: vec![50.0; n],
            ek: vec![-77.0; n],
            eca: vec![nernst(5e-5, 2.0, 2.0, 6.3); n],
            eca_nernst: vec![false; n],
            cai: vec![5e-5; n],
            cao: vec![2.0; n],
            ica: vec![0.0; n],
            ica_written: false,
            nernst_nodes: Vec::new(),
            ln_cao: Vec::new(),
        }
    }

    /// Makes eca at `node` follow cai by the Nernst equation (a pool writes cai there).
    pub fn set_nernst(&mut self, node: usize) {
        if node < self.eca_nernst.len() && !self.eca_nernst[node] {
            self.eca_nernst[node] = true;
            self.nernst_nodes.push(node as u32);
            self.ln_cao.push((f64::NAN, f64::NAN));
        }
    }

    /// The ionic state of `nodes` (in that order) as an `Ions` of its own, indexed by
    /// position in `nodes`: a part of a cell that a thread steps alone.
    pub fn part(&self, nodes: impl Iterator<Item = usize>) -> Ions {
        let nodes: Vec<usize> = nodes.collect();
        let pick = |x: &[f64]| -> Vec<f64> { nodes.iter().map(|&i| x[i]).collect() };
        let mut part = Ions {
            ena: pick(&self.ena),
            ek: pick(&self.ek),
            eca: pick(&self.eca),
            eca_nernst: vec![false; nodes.len()],
            cai: pick(&self.cai),
            cao: pick(&self.cao),
            ica: pick(&self.ica),
            // Cleared at the first step, whatever was written before.
            ica_written: true,
            nernst_nodes: Vec::new(),
            ln_cao: Vec::new(),
        };
        for (k, &i) in nodes.iter().enumerate() {
            if self.eca_nernst[i] {
                part.set_nernst(k);
            }
        }
        part
    }

    /// Takes back the values of a [`Ions::part`]: its positions `from..` hold nodes
    /// `to` (the reversal potentials, concentrations and calcium current).
    pub fn put_part(&mut self, part: &Ions, from: usize, to: std::ops::Range<usize>) {
        let len = to.len();
        for (dst, src) in [
            (&mut self.ena, &part.ena),
            (&mut self.ek, &part.ek),
            (&mut self.eca, &part.eca),
            (&mut self.cai, &part.cai),
            (&mut self.cao, &part.cao),
            (&mut self.ica, &part.ica),
        ] {
            dst[to.clone()].copy_from_slice(&src[from..from + len]);
        }
        self.ica_written = true;
    }

    /// Start of the current phase: clear the summed calcium current and update eca
    /// where it follows cai.
    pub fn begin_currents(&mut self, celsius: f64) {
        if self.ica_written {
            self.ica.fill(0.0);
            self.ica_written = false;
        }
        // nernst(cai, cao, 2, celsius) as k (ln cao - ln cai), the factor computed once
        // and ln from a table (log_table.rs, within 1e-10: 1e-9 mV).
        let k = 1000.0 * GAS_CONSTANT * (celsius + 273.15) / (2.0 * FARADAY);
        let ln = log_table::ln_table();
        let n = self.eca.len();
        let (eca, cai, cao) = (&mut self.eca[..n], &self.cai[..n], &self.cao[..n]);
        let (nodes, ln_cao) = (&self.nernst_nodes[..], &mut self.ln_cao[..]);
        // cao rarely changes: its logarithm is kept (NaN at first never matches).
        for (&i, cached) in nodes.iter().zip(ln_cao.iter_mut()) {
            let c = cao[i as usize];
            if c != cached.0 {
                *cached = (c, ln.get(c.max(1e-12)));
            }
        }
        let mut j = 0;
        #[cfg(target_arch = "x86_64")]
        if avx2() {
            // SAFETY: the processor has AVX2 (checked at run time).
            j = unsafe { nernst_avx2(ln, k, nodes, ln_cao, cai, eca) };
        }
        for (&i, cached) in nodes[j..].iter().zip(&ln_cao[j..]) {
            let i = i as usize;
            eca[i] = k * (cached.1 - ln.get(cai[i].max(1e-12)));
        }
    }
}

/// eca = k (ln cao - ln cai) at `nodes`, four at a time, the same numbers as the plain
/// loop; stops at the first group of four with a cai off the table's grid or past the
/// end, and returns how far it got.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn nernst_avx2(
    ln: &log_table::LogTable,
    k: f64,
    nodes: &[u32],
    ln_cao: &[(f64, f64)],
    cai: &[f64],
    eca: &mut [f64],
) -> usize {
    use std::arch::x86_64::*;
    let len = nodes.len().min(ln_cao.len());
    let mut j = 0;
    while j + 4 <= len {
        let i: [usize; 4] = std::array::from_fn(|q| nodes[j + q] as usize);
        let c = _mm256_set_pd(cai[i[3]], cai[i[2]], cai[i[1]], cai[i[0]]);
        // max(cai, 1e-12) as f64::max does: a NaN cai gives 1e-12.
        let c = _mm256_max_pd(c, _mm256_set1_pd(1e-12));
        // SAFETY: AVX2 is enabled here.
        let Some(l) = (unsafe { simd::log_lookup(ln, c) }) else {
            break;
        };
        let lc = _mm256_set_pd(ln_cao[j + 3].1, ln_cao[j + 2].1, ln_cao[j + 1].1, ln_cao[j].1);
        let e = _mm256_mul_pd(_mm256_set1_pd(k), _mm256_sub_pd(lc, l));
        let mut out = [0.0; 4];
        // SAFETY: an unaligned store into a four-element array.
        unsafe { _mm256_storeu_pd(out.as_mut_ptr(), e) };
        for q in 0..4 {
            eca[i[q]] = out[q];
        }
        j += 4;
    }
    j
}

/// Everything a mechanism may read about the whole simulation in one call.
#[derive(Debug, Clone, Copy)]
pub struct Env {
    /// Time step (ms).
    pub dt: f64,
    /// Temperature (degC), NEURON's `celsius`.
    pub celsius: f64,
    /// Time (ms) at which the call is made: t + dt/2 for `current`, t + dt for `advance`,
    /// 0 for `init`.
    pub t: f64,
}

/// A parameter or state that a mechanism does not have, or a value it cannot take.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    /// No parameter of that name (`known`: the ones it has).
    #[error("{mechanism} has no parameter '{name}' (it has {})", .known.join(", "))]
    UnknownParam { mechanism: String, name: String, known: Vec<&'static str> },
    /// No state or stored current of that name.
    #[error("{mechanism} has no state '{name}'")]
    UnknownState { mechanism: String, name: String },
    /// A node index (position in the mechanism's nodes) past its last node.
    #[error("{mechanism}: node index {index} out of range")]
    NodeIndex { mechanism: String, index: usize },
    /// A value outside the catalogue's bounds for the parameter.
    #[error("{mechanism}: {}", .param.refusal(*.value))]
    Bounds { mechanism: String, param: params::Param, value: f64 },
    /// A value outside what the parameter takes (`rule`: "be a finite number", "not be
    /// negative", "be positive").
    #[error("{mechanism}: {name} must {rule}, got {value}")]
    Value { mechanism: String, name: String, value: f64, rule: &'static str },
}

impl ParamError {
    /// The value `value` of `mechanism`'s `name` breaks `rule`.
    pub fn value(mechanism: &str, name: &str, value: f64, rule: &'static str) -> ParamError {
        ParamError::Value { mechanism: mechanism.into(), name: name.into(), value, rule }
    }

    /// `index` is past the last node of `mechanism`.
    pub fn node_index(mechanism: &str, index: usize) -> ParamError {
        ParamError::NodeIndex { mechanism: mechanism.into(), index }
    }
}

/// A copy of a boxed mechanism, states and parameters included (for
/// [`crate::sim::engine::Simulation`]'s `Clone`).
pub trait MechanismClone {
    fn clone_box(&self) -> Box<dyn Mechanism>;
}

impl<T: Mechanism + Clone + 'static> MechanismClone for T {
    fn clone_box(&self) -> Box<dyn Mechanism> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn Mechanism> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// A density mechanism (channel, pump, pool) over a set of nodes.
pub trait Mechanism: Send + Sync + fmt::Debug + MechanismClone {
    /// NEURON's SUFFIX, e.g. `hh`, `NaTa_t`.
    fn name(&self) -> &'static str;
    /// The nodes covered, in the order of the state arrays.
    fn nodes(&self) -> &[u32];
    /// Set the states to their initial values for the voltages `v` (NEURON's INITIAL).
    fn init(&mut self, v: &[f64], ions: &mut Ions, env: &Env);
    /// Current phase: add i (mA/cm2) to `rhs[node]` as `rhs -= i` and the slope
    /// conductance di/dv (S/cm2) to `d[node]`. Calcium channels add their current to
    /// `ions.ica` too.
    fn current(&mut self, v: &[f64], ions: &mut Ions, rhs: &mut [f64], d: &mut [f64], env: &Env);
    /// State phase: integrate the states from t to t + dt with the new voltages.
    fn advance(&mut self, v: &[f64], ions: &mut Ions, env: &Env);
    /// [`Mechanism::advance`], given where every node's voltage lies on the rate tables'
    /// grid (`grid`, computed once per step by the engine for `v`): mechanisms with rate
    /// tables skip locating the voltage themselves. The result must equal `advance`'s.
    fn advance_on_grid(&mut self, v: &[f64], grid: &rate_table::VoltageGrid, ions: &mut Ions, env: &Env) {
        let _ = grid;
        self.advance(v, ions, env);
    }
    /// The parameters `set_param` accepts (uniform over the nodes), e.g. `gbar`: the
    /// mechanism's own description of each (what the catalogue lists).
    fn params(&self) -> &'static [params::Param];
    /// Set a parameter on every node (e.g. `gbar` in S/cm2).
    fn set_param(&mut self, name: &str, value: f64) -> Result<(), ParamError>;
    /// Set a parameter on one node (by position in `nodes`), for distributions.
    fn set_param_at(&mut self, name: &str, index: usize, value: f64) -> Result<(), ParamError>;
    /// A parameter's value at one node (by position in `nodes`).
    fn param(&self, name: &str, index: usize) -> Option<f64>;
    /// Names of the recordable states and currents, e.g. `m`, `h`, `ina`.
    fn state_names(&self) -> &'static [&'static str];
    /// A state or current at one node (by position in `nodes`). Currents are the ones
    /// computed in the latest current phase (mA/cm2). While the mechanism does not keep
    /// its currents ([`Mechanism::keep_currents`]) it answers `None` for them.
    fn state(&self, name: &str, index: usize) -> Option<f64>;
    /// Sets a state or stored current (one of [`Mechanism::state_names`]) at one node
    /// (by position in `nodes`): what moving a node's values to another instance needs.
    fn set_state(&mut self, name: &str, index: usize, value: f64) -> Result<(), ParamError>;
    /// Copies every parameter and every state that `from` answers for at its node
    /// `from_index` into this mechanism's node `index` (`from` is a mechanism of the same
    /// name over other nodes): a node's values moved from one instance to another, as
    /// [`Simulation`](crate::sim::engine::Simulation) does when it splits a cell between
    /// threads and joins it back.
    fn copy_node(&mut self, index: usize, from: &dyn Mechanism, from_index: usize) -> Result<(), ParamError> {
        for p in self.params() {
            if let Some(x) = from.param(p.name, from_index) {
                self.set_param_at(p.name, index, x)?;
            }
        }
        for &name in self.state_names() {
            if let Some(x) = from.state(name, from_index) {
                self.set_state(name, index, x)?;
            }
        }
        Ok(())
    }
    /// Whether the current phase stores each node's current and conductance for
    /// [`Mechanism::state`]: on when a mechanism is made, turned off by
    /// [`Simulation::insert`](crate::sim::engine::Simulation::insert) and on again by
    /// [`Simulation::record`](crate::sim::engine::Simulation::record) for a mechanism it
    /// records. Those stores are a third of the memory traffic of a channel's current
    /// phase in a big cell. Mechanisms that always keep them ignore this.
    fn keep_currents(&mut self, on: bool) {
        let _ = on;
    }
}

pub use simd::avx2;

/// One more than the highest node in `nodes` (0 for none): every array a mechanism
/// indexes by node must be at least this long, which its hot loops check once per call.
pub fn node_bound(nodes: &[u32]) -> usize {
    nodes.iter().map(|&n| n as usize + 1).max().unwrap_or(0)
}

/// Checks a parameter value: finite, and not negative for conductances.
pub fn check_value(mech: &str, name: &str, value: f64, nonnegative: bool) -> Result<(), ParamError> {
    if !value.is_finite() {
        return Err(ParamError::value(mech, name, value, "be a finite number"));
    }
    if nonnegative && value < 0.0 {
        return Err(ParamError::value(mech, name, value, "not be negative"));
    }
    Ok(())
}

/// x / (exp(x/y) - 1), with its limit y (1 - x/(2y)) for |x/y| < 1e-6 (NEURON's hh vtrap).
#[inline]
pub fn vtrap(x: f64, y: f64) -> f64 {
    if (x / y).abs() < 1e-6 { y * (1.0 - x / y / 2.0) } else { x / ((x / y).exp() - 1.0) }
}

/// One cnexp step of x' = (xinf - x)/tau over dt: exact for constant v.
#[inline]
pub fn cnexp(x: f64, xinf: f64, tau: f64, dt: f64) -> f64 {
    x + (1.0 - (-dt / tau).exp()) * (xinf - x)
}

/// Build a mechanism by NEURON name over `nodes`, with default parameters (see
/// [`catalogue::CATALOGUE`]).
pub fn create(name: &str, nodes: Vec<u32>) -> Option<Box<dyn Mechanism>> {
    catalogue::entry(name).map(|e| e.make(nodes))
}

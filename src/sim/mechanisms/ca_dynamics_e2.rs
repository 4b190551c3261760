//! `CaDynamics_E2`: Hay et al. 2011 intracellular calcium pool ("modified from Destexhe
//! et al. 1994"), docs/biophysics.md 3.3:
//!
//! cai' = -10000 ica gamma / (2 F depth) - (cai - minCai) / decay
//!
//! with ica in mA/cm2 (read from `ions.ica`, the sum of this step's Ca channel
//! currents), depth in um, cai in mM, t in ms. Writes `ions.cai`. Like the mod file it
//! has no INITIAL block: cai starts at whatever `ions.cai` holds at init (NEURON's
//! cai0 = 5e-5 mM, below minCai). At init it also makes `eca` follow cai by the Nernst
//! equation (`ions.eca_nernst`), as NEURON does for an ion whose cai a mechanism writes.

use super::params::{TAU_MIN, columns, mechanism_tables, ms, p};
use super::{Env, FARADAY, Ions, Mechanism, nernst};

/// The calcium influx term of cai' (mM/ms) for a calcium current `ica` (mA/cm2).
pub fn drive(ica: f64, gamma: f64, depth: f64) -> f64 {
    -(10000.0) * (ica * gamma / (2.0 * FARADAY * depth))
}

columns! {
    /// Parameters of [`CaDynamicsE2`], per node.
    pub params Params {
        /// Fraction of free (unbuffered) calcium (1); the mod file's default 0.05.
        gamma = p("gamma", "1", 0.05, 0.0, 1.0), NonNegative;
        /// Time constant of removal (ms); the mod file's default 80.
        decay = ms("decay", 80.0, TAU_MIN), Positive;
        /// Depth of the submembrane shell (um); default 0.1.
        depth = p("depth", "um", 0.1, 1e-6, 100.0), Positive;
        /// Resting calcium the pool decays to (mM); default 1e-4.
        min_cai = p("minCai", "mM", 1e-4, 0.0, 1.0), NonNegative;
    }
}

columns! {
    /// Recordable states of [`CaDynamicsE2`], per node.
    pub struct States {
        /// Intracellular calcium (mM), a copy of `ions.cai` at the node.
        cai = "cai", 0.0, Any;
    }
}

/// Calcium pool over a set of nodes.
#[derive(Debug, Clone)]
pub struct CaDynamicsE2 {
    nodes: Vec<u32>,
    /// One more than the highest node.
    bound: usize,
    /// Parameters. After writing them directly (not through `set_param`), call
    /// [`CaDynamicsE2::refresh`].
    pub p: Params,
    /// States.
    pub s: States,
    /// Per node, for the step `derived_dt`: the cnexp factor 1 - exp(-dt/decay), and
    /// decay times the influx per unit ica, so that the target is minCai + gain ica.
    fac: Vec<f64>,
    gain: Vec<f64>,
    /// The dt `fac` and `gain` were computed for; `None` when they are stale.
    derived_dt: Option<f64>,
}

impl CaDynamicsE2 {
    pub fn new(nodes: Vec<u32>) -> Self {
        let n = nodes.len();
        CaDynamicsE2 {
            bound: super::node_bound(&nodes),
            nodes,
            p: Params::new(n),
            s: States::new(n),
            fac: vec![0.0; n],
            gain: vec![0.0; n],
            derived_dt: None,
        }
    }

    /// Marks the constants derived from the parameters stale (they are recomputed at the
    /// next step).
    pub fn refresh(&mut self) {
        self.derived_dt = None;
    }

    fn derive(&mut self, dt: f64) {
        for k in 0..self.nodes.len() {
            let decay = self.p.decay[k];
            self.fac[k] = 1.0 - (-dt / decay).exp();
            self.gain[k] = decay * drive(1.0, self.p.gamma[k], self.p.depth[k]);
        }
        self.derived_dt = Some(dt);
    }
}

impl Mechanism for CaDynamicsE2 {
    mechanism_tables!("CaDynamics_E2", refresh);

    fn init(&mut self, _v: &[f64], ions: &mut Ions, env: &Env) {
        for (k, &node) in self.nodes.iter().enumerate() {
            let nd = node as usize;
            self.s.cai[k] = ions.cai[nd];
            ions.set_nernst(nd);
            ions.eca[nd] = nernst(ions.cai[nd], ions.cao[nd], 2.0, env.celsius);
        }
    }
    fn current(&mut self, _v: &[f64], _ions: &mut Ions, _rhs: &mut [f64], _d: &mut [f64], _env: &Env) {}
    /// cnexp, exact for the linear ODE with ica held over the step: cai relaxes with
    /// time constant `decay` toward minCai + decay * drive(ica).
    fn advance(&mut self, _v: &[f64], ions: &mut Ions, env: &Env) {
        if self.derived_dt != Some(env.dt) {
            self.derive(env.dt);
        }
        let n = self.nodes.len();
        let bound = self.bound;
        assert!(bound <= ions.ica.len() && bound <= ions.cai.len());
        let (nodes, fac, gain, min_cai) =
            (&self.nodes[..n], &self.fac[..n], &self.gain[..n], &self.p.min_cai[..n]);
        let out = &mut self.s.cai[..n];
        let (ica, cai) = (&ions.ica[..], &mut ions.cai[..]);
        for k in 0..n {
            let nd = nodes[k] as usize;
            // SAFETY: every node is below `bound` (asserted above).
            unsafe {
                let c = *cai.get_unchecked(nd);
                let target = min_cai[k] + gain[k] * *ica.get_unchecked(nd);
                let c = c + fac[k] * (target - c);
                *cai.get_unchecked_mut(nd) = c;
                out[k] = c;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::params::testing::{assert_plumbing, close, env};
    use super::*;

    #[test]
    fn drive_matches_the_sheet() {
        // -10000 * ica * gamma / (2 F depth): 1 mA/cm2 inward, gamma 1, depth 0.1 um.
        let f = 96485.309;
        assert!(close(drive(-1.0, 1.0, 0.1), 10000.0 / (2.0 * f * 0.1), 1e-12));
        assert!(drive(1e-3, 0.05, 0.1) < 0.0);
    }

    #[test]
    fn inward_current_raises_cai_then_it_decays_to_min_cai_with_tau_decay() {
        let mut pool = CaDynamicsE2::new(vec![0]);
        pool.set_param("decay", 122.0).unwrap();
        let v = [-70.0];
        let mut ions = Ions::new(1);
        let e = env();
        pool.init(&v, &mut ions, &e);
        assert!(ions.eca_nernst[0]);
        assert!(close(ions.eca[0], nernst(5e-5, 2.0, 2.0, 6.3), 1e-12));
        assert_eq!(pool.state("cai", 0), Some(5e-5));
        // 20 ms of a constant 0.01 mA/cm2 inward Ca current.
        let ica = -0.01;
        let n_on = 800;
        for _ in 0..n_on {
            ions.ica[0] = ica;
            pool.advance(&v, &mut ions, &e);
        }
        // Exact solution of the linear ODE from cai0 = 5e-5.
        let a = -10000.0 * ica * 0.05 / (2.0 * 96485.309 * 0.1);
        let target = 1e-4 + 122.0 * a;
        let t_on = n_on as f64 * e.dt;
        let expect = target + (5e-5 - target) * (-t_on / 122.0).exp();
        let peak = ions.cai[0];
        assert!(close(peak, expect, 1e-9), "{peak} vs {expect}");
        assert!(peak > 1e-3, "{peak}");
        assert_eq!(pool.state("cai", 0), Some(peak));
        // Then no current: cai - minCai decays by 1/e per `decay` = 122 ms.
        for _ in 0..(122.0 / e.dt).round() as usize {
            ions.ica[0] = 0.0;
            pool.advance(&v, &mut ions, &e);
        }
        let expect = 1e-4 + (peak - 1e-4) * (-1.0f64).exp();
        assert!(close(ions.cai[0], expect, 1e-9), "{} vs {expect}", ions.cai[0]);
        for _ in 0..(20.0 * 122.0 / e.dt) as usize {
            pool.advance(&v, &mut ions, &e);
        }
        assert!(close(ions.cai[0], 1e-4, 1e-6));
        // eca follows cai through Ions::begin_currents.
        ions.begin_currents(e.celsius);
        assert!(close(ions.eca[0], nernst(1e-4, 2.0, 2.0, 6.3), 1e-6));
    }

    #[test]
    fn params() {
        assert_plumbing(Box::new(CaDynamicsE2::new(vec![0, 1])), "decay", 80.0);
        assert_plumbing(Box::new(CaDynamicsE2::new(vec![0, 1])), "minCai", 1e-4);
        assert!(CaDynamicsE2::new(vec![0]).set_param("depth", 0.0).is_err());
        let p = CaDynamicsE2::new(vec![0]);
        assert_eq!((p.param("gamma", 0), p.param("depth", 0)), (Some(0.05), Some(0.1)));
    }
}

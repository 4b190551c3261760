//! `SK_E2`: Hay et al. 2011 small-conductance Ca2+-activated K+ channel (Koehler et al.
//! 1996), docs/biophysics.md 5.7. g = gSK_E2bar z (S/cm2), ik = g (v - ek) (mA/cm2); z follows
//! the intracellular calcium `ions.cai` (mM) with time constant zTau. No temperature
//! factor, no voltage dependence.

use super::params::{columns, mechanism_tables};
use super::{Env, Ions, Mechanism, fastmath};

/// Steady-state activation at intracellular calcium `cai` (mM):
/// z_inf = 1/(1 + (0.00043/cai)^4.8), with cai raised by 1e-7 mM where it is below
/// 1e-7 mM, as the mod file guards it.
pub fn zinf(cai: f64) -> f64 {
    let ca = if cai < 1e-7 { cai + 1e-07 } else { cai };
    // (0.00043/ca)^4.8 as exp(4.8 ln(..)): the same value to ~1e-15, at a third of pow's
    // cost (and inlined, [`fastmath`]).
    1.0 / (1.0 + fastmath::exp(4.8 * fastmath::ln(0.00043 / ca)))
}

columns! {
    /// Parameters of [`SkE2`], per node.
    pub struct Params {
        /// Maximal conductance (S/cm2); the mod file's default 1e-6.
        gbar = "gSK_E2bar", 0.000001, NonNegative;
        /// Activation time constant (ms); default 1.
        ztau = "zTau", 1.0, Positive;
    }
}

columns! {
    /// Recordable states of [`SkE2`], per node.
    pub struct States {
        /// Activation (1).
        z = "z", 0.0, Any;
        /// Latest K+ current (mA/cm2).
        ik = "ik", 0.0, Any;
        /// Latest conductance (S/cm2).
        g = "gSK_E2", 0.0, Any;
    }
}

/// SK channel over a set of nodes. Reads `ions.ek` and `ions.cai`.
#[derive(Debug, Clone)]
pub struct SkE2 {
    nodes: Vec<u32>,
    /// One more than the highest node.
    bound: usize,
    /// Parameters. After writing them directly (not through `set_param`), call
    /// [`SkE2::refresh`].
    pub p: Params,
    /// States.
    pub s: States,
    /// Per node: the cnexp factor 1 - exp(-dt/zTau) for the step `derived_dt`.
    fac: Vec<f64>,
    /// The dt `fac` was computed for; `None` when stale.
    derived_dt: Option<f64>,
}

impl SkE2 {
    pub fn new(nodes: Vec<u32>) -> Self {
        let n = nodes.len();
        SkE2 {
            bound: super::node_bound(&nodes),
            nodes,
            p: Params::new(n),
            s: States::new(n),
            fac: vec![0.0; n],
            derived_dt: None,
        }
    }

    /// Marks the constants derived from the parameters stale (recomputed at the next
    /// step).
    pub fn refresh(&mut self) {
        self.derived_dt = None;
    }
}

impl Mechanism for SkE2 {
    mechanism_tables!("SK_E2", refresh);

    fn init(&mut self, _v: &[f64], ions: &mut Ions, _env: &Env) {
        for (k, &node) in self.nodes.iter().enumerate() {
            self.s.z[k] = zinf(ions.cai[node as usize]);
        }
    }
    fn current(&mut self, v: &[f64], ions: &mut Ions, rhs: &mut [f64], d: &mut [f64], _env: &Env) {
        let n = self.nodes.len();
        let bound = self.bound;
        assert!(bound <= v.len() && bound <= rhs.len() && bound <= d.len() && bound <= ions.ek.len());
        let (nodes, gbar, z) = (&self.nodes[..n], &self.p.gbar[..n], &self.s.z[..n]);
        let (g_out, i_out) = (&mut self.s.g[..n], &mut self.s.ik[..n]);
        let ek = &ions.ek[..];
        for k in 0..n {
            let nd = nodes[k] as usize;
            // SAFETY: every node is below `bound` (asserted above).
            unsafe {
                let g = gbar[k] * z[k];
                let i = g * (*v.get_unchecked(nd) - *ek.get_unchecked(nd));
                g_out[k] = g;
                i_out[k] = i;
                *rhs.get_unchecked_mut(nd) -= i;
                *d.get_unchecked_mut(nd) += g;
            }
        }
    }
    fn advance(&mut self, _v: &[f64], ions: &mut Ions, env: &Env) {
        let dt = env.dt;
        if self.derived_dt != Some(dt) {
            for k in 0..self.nodes.len() {
                self.fac[k] = 1.0 - (-dt / self.p.ztau[k]).exp();
            }
            self.derived_dt = Some(dt);
        }
        let n = self.nodes.len();
        assert!(self.bound <= ions.cai.len());
        let (nodes, fac, z) = (&self.nodes[..n], &self.fac[..n], &mut self.s.z[..n]);
        let cai = &ions.cai[..];
        for k in 0..n {
            // SAFETY: every node is below `bound` (asserted above).
            let zi = zinf(unsafe { *cai.get_unchecked(nodes[k] as usize) });
            z[k] += fac[k] * (zi - z[k]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::params::testing::{assert_plumbing, assert_steady, close, env};
    use super::*;

    #[test]
    fn zinf_matches_the_sheet() {
        for cai in [5e-5f64, 1e-4, 4.3e-4, 1e-3, 1e-2] {
            let expect = 1.0 / (1.0 + (0.00043 / cai).powf(4.8));
            assert!(close(zinf(cai), expect, 1e-12), "{cai}");
        }
        assert!(close(zinf(4.3e-4), 0.5, 1e-12));
        // The guard: below 1e-7 mM, cai + 1e-7 is used; zero calcium gives a finite value.
        assert!(close(zinf(0.0), 1.0 / (1.0 + (0.00043f64 / 1e-7).powf(4.8)), 1e-12));
        assert!(close(zinf(5e-8), 1.0 / (1.0 + (0.00043f64 / 1.5e-7).powf(4.8)), 1e-12));
    }

    #[test]
    fn z_relaxes_with_ztau_toward_zinf_of_cai() {
        let mut c = SkE2::new(vec![0]);
        let v = [-70.0];
        let mut ions = Ions::new(1);
        let e = env();
        c.init(&v, &mut ions, &e);
        assert!(close(c.state("z", 0).unwrap(), zinf(5e-5), 1e-12));
        // Step cai to the half-activation point: after 1 ms (= zTau) z has gone 1 - 1/e of the way.
        ions.cai[0] = 4.3e-4;
        let z0 = c.state("z", 0).unwrap();
        for _ in 0..40 {
            c.advance(&v, &mut ions, &e);
        }
        let expect = 0.5 + (z0 - 0.5) * (-1.0f64).exp();
        assert!(close(c.state("z", 0).unwrap(), expect, 1e-9));
    }

    #[test]
    fn steady_after_init() {
        for v in [-80.0, -40.0, 0.0] {
            assert_steady(Box::new(SkE2::new(vec![0])), v, &["z"]);
        }
    }

    #[test]
    fn params() {
        assert_plumbing(Box::new(SkE2::new(vec![0, 1])), "gSK_E2bar", 1e-6);
        assert!(SkE2::new(vec![0]).set_param("zTau", 0.0).is_err());
    }
}

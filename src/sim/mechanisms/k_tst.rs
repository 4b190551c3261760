//! `K_Tst`: Hay et al. 2011 fast-inactivating K+ channel (Korngreen & Sakmann 2000),
//! biophysics.md 5. Uses v' = v + 10 mV (junction-potential shift).
//! g = gK_Tstbar m^4 h (S/cm2), ik = g (v - ek) (mA/cm2); fixed qt = 2.953.

use super::params::{HAY_QT, columns, mechanism_tables};
use super::{Env, Ions, Mechanism, cnexp};

/// Steady states and time constants (ms) of m and h at `v` (mV):
/// `[(minf, mtau), (hinf, htau)]`.
pub fn rates(v: f64) -> [(f64, f64); 2] {
    let v = v + 10.0;
    let minf = 1.0 / (1.0 + (-v / 19.0).exp());
    let mtau = (0.34 + 0.92 * (-((v + 71.0) / 59.0).powi(2)).exp()) / HAY_QT;
    let hinf = 1.0 / (1.0 + (-(v + 66.0) / -10.0).exp());
    let htau = (8.0 + 49.0 * (-((v + 73.0) / 23.0).powi(2)).exp()) / HAY_QT;
    [(minf, mtau), (hinf, htau)]
}

columns! {
    /// Parameters of [`KTst`], per node.
    pub struct Params {
        /// Maximal conductance (S/cm2); the mod file's default 1e-5.
        gbar = "gK_Tstbar", 0.00001, NonNegative;
    }
}

columns! {
    /// Recordable states of [`KTst`], per node.
    pub struct States {
        /// Activation (1).
        m = "m", 0.0, Any;
        /// Inactivation (1).
        h = "h", 0.0, Any;
        /// Latest K+ current (mA/cm2).
        ik = "ik", 0.0, Any;
        /// Latest conductance (S/cm2).
        g = "gK_Tst", 0.0, Any;
    }
}

/// Fast-inactivating K+ channel over a set of nodes. Reads `ions.ek`.
#[derive(Debug, Clone)]
pub struct KTst {
    nodes: Vec<u32>,
    /// Parameters.
    pub p: Params,
    /// States.
    pub s: States,
}

impl KTst {
    pub fn new(nodes: Vec<u32>) -> Self {
        let n = nodes.len();
        KTst { nodes, p: Params::new(n), s: States::new(n) }
    }
}

impl Mechanism for KTst {
    mechanism_tables!("K_Tst");

    fn init(&mut self, v: &[f64], _ions: &mut Ions, _env: &Env) {
        for (k, &node) in self.nodes.iter().enumerate() {
            let [(mi, _), (hi, _)] = rates(v[node as usize]);
            self.s.m[k] = mi;
            self.s.h[k] = hi;
        }
    }
    fn current(&mut self, v: &[f64], ions: &mut Ions, rhs: &mut [f64], d: &mut [f64], _env: &Env) {
        for (k, &node) in self.nodes.iter().enumerate() {
            let nd = node as usize;
            let m2 = self.s.m[k] * self.s.m[k];
            let g = self.p.gbar[k] * m2 * m2 * self.s.h[k];
            let i = g * (v[nd] - ions.ek[nd]);
            self.s.g[k] = g;
            self.s.ik[k] = i;
            rhs[nd] -= i;
            d[nd] += g;
        }
    }
    fn advance(&mut self, v: &[f64], _ions: &mut Ions, env: &Env) {
        for (k, &node) in self.nodes.iter().enumerate() {
            let [(mi, mt), (hi, ht)] = rates(v[node as usize]);
            self.s.m[k] = cnexp(self.s.m[k], mi, mt, env.dt);
            self.s.h[k] = cnexp(self.s.h[k], hi, ht, env.dt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::params::testing::{assert_plumbing, assert_steady, close};
    use super::*;

    #[test]
    fn rates_match_the_sheet() {
        let qt = 2.3f64.powf(1.3);
        for v in [-80.0f64, -40.0, 0.0] {
            let vp = v + 10.0;
            let minf = 1.0 / (1.0 + (-vp / 19.0).exp());
            let mtau = (0.34 + 0.92 * (-((vp + 71.0) / 59.0) * ((vp + 71.0) / 59.0)).exp()) / qt;
            let hinf = 1.0 / (1.0 + ((vp + 66.0) / 10.0).exp());
            let htau = (8.0 + 49.0 * (-((vp + 73.0) / 23.0) * ((vp + 73.0) / 23.0)).exp()) / qt;
            let [(mi, mt), (hi, ht)] = rates(v);
            assert!(close(mi, minf, 1e-12), "{v}");
            assert!(close(mt, mtau, 1e-12), "{v}");
            assert!(close(hi, hinf, 1e-12), "{v}");
            assert!(close(ht, htau, 1e-12), "{v}");
        }
        // Half activation at v' = 0, i.e. v = -10 mV.
        assert!(close(rates(-10.0)[0].0, 0.5, 1e-12));
    }

    #[test]
    fn steady_after_init() {
        for v in [-80.0, -40.0, 0.0] {
            assert_steady(Box::new(KTst::new(vec![0])), v, &["m", "h"]);
        }
    }

    #[test]
    fn params() {
        assert_plumbing(Box::new(KTst::new(vec![0, 1])), "gK_Tstbar", 1e-5);
    }
}

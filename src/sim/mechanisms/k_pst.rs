//! `K_Pst`: Hay et al. 2011 slow/persistent K+ channel (Korngreen & Sakmann 2000),
//! biophysics.md 5. Uses v' = v + 10 mV (junction-potential shift).
//! g = gK_Pstbar m^2 h (S/cm2), ik = g (v - ek) (mA/cm2); fixed qt = 2.953.

use super::params::{HAY_QT, columns, mechanism_tables};
use super::{Env, Ions, Mechanism, cnexp};

/// Steady states and time constants (ms) of m and h at `v` (mV):
/// `[(minf, mtau), (hinf, htau)]`.
pub fn rates(v: f64) -> [(f64, f64); 2] {
    let v = v + 10.0;
    let minf = 1.0 / (1.0 + (-(v + 1.0) / 12.0).exp());
    let mtau = if v < -50.0 {
        (1.25 + 175.03 * (-v * -0.026).exp()) / HAY_QT
    } else {
        (1.25 + 13.0 * (-v * 0.026).exp()) / HAY_QT
    };
    let hinf = 1.0 / (1.0 + (-(v + 54.0) / -11.0).exp());
    let htau = (360.0 + (1010.0 + 24.0 * (v + 55.0)) * (-((v + 75.0) / 48.0).powi(2)).exp()) / HAY_QT;
    [(minf, mtau), (hinf, htau)]
}

columns! {
    /// Parameters of [`KPst`], per node.
    pub struct Params {
        /// Maximal conductance (S/cm2); the mod file's default 1e-5.
        gbar = "gK_Pstbar", 0.00001, NonNegative;
    }
}

columns! {
    /// Recordable states of [`KPst`], per node.
    pub struct States {
        /// Activation (1).
        m = "m", 0.0, Any;
        /// Inactivation (1).
        h = "h", 0.0, Any;
        /// Latest K+ current (mA/cm2).
        ik = "ik", 0.0, Any;
        /// Latest conductance (S/cm2).
        g = "gK_Pst", 0.0, Any;
    }
}

/// Slow K+ channel over a set of nodes. Reads `ions.ek`.
#[derive(Debug, Clone)]
pub struct KPst {
    nodes: Vec<u32>,
    /// Parameters.
    pub p: Params,
    /// States.
    pub s: States,
}

impl KPst {
    pub fn new(nodes: Vec<u32>) -> Self {
        let n = nodes.len();
        KPst { nodes, p: Params::new(n), s: States::new(n) }
    }
}

impl Mechanism for KPst {
    mechanism_tables!("K_Pst");

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
            let g = self.p.gbar[k] * self.s.m[k] * self.s.m[k] * self.s.h[k];
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
        for v in [-80.0f64, -65.0, -40.0, 0.0] {
            let vp = v + 10.0;
            let minf = 1.0 / (1.0 + (-(vp + 1.0) / 12.0).exp());
            let mtau = if vp < -50.0 {
                (1.25 + 175.03 * (0.026 * vp).exp()) / qt
            } else {
                (1.25 + 13.0 * (-0.026 * vp).exp()) / qt
            };
            let hinf = 1.0 / (1.0 + ((vp + 54.0) / 11.0).exp());
            let x = (vp + 75.0) / 48.0;
            let htau = (360.0 + (1010.0 + 24.0 * (vp + 55.0)) * (-x * x).exp()) / qt;
            let [(mi, mt), (hi, ht)] = rates(v);
            assert!(close(mi, minf, 1e-12), "{v}");
            assert!(close(mt, mtau, 1e-12), "{v}");
            assert!(close(hi, hinf, 1e-12), "{v}");
            assert!(close(ht, htau, 1e-12), "{v}");
        }
    }

    #[test]
    fn steady_after_init() {
        for v in [-80.0, -60.0, -40.0, 0.0] {
            assert_steady(Box::new(KPst::new(vec![0])), v, &["m", "h"]);
        }
    }

    #[test]
    fn params() {
        assert_plumbing(Box::new(KPst::new(vec![0, 1])), "gK_Pstbar", 1e-5);
    }
}

//! `Nap_Et2`: Hay et al. 2011 persistent Na+ channel (Magistretti & Alonso 1999),
//! biophysics.md 5. g = gNap_Et2bar m^3 h (S/cm2), ina = g (v - ena) (mA/cm2);
//! fixed qt = 2.953.

use super::params::{HAY_QT, columns, mechanism_tables};
use super::{Env, Ions, Mechanism, cnexp};

/// Steady states and time constants (ms) of m and h at `v` (mV):
/// `[(minf, mtau), (hinf, htau)]`. Follows the mod file's order: minf at the raw v,
/// then v nudged by +1e-4 mV at -38 (m rates), -17 and -64.4 (h rates), each nudge
/// carried into what follows.
pub fn rates(v: f64) -> [(f64, f64); 2] {
    let mut v = v;
    let minf = 1.0 / (1.0 + ((v - -52.6) / -4.6).exp());
    if v == -38.0 {
        v += 0.0001;
    }
    let am = (0.182 * (v - -38.0)) / (1.0 - (-(v - -38.0) / 6.0).exp());
    let bm = (0.124 * (-v - 38.0)) / (1.0 - (-(-v - 38.0) / 6.0).exp());
    let mtau = 6.0 * (1.0 / (am + bm)) / HAY_QT;
    if v == -17.0 {
        v += 0.0001;
    }
    if v == -64.4 {
        v += 0.0001;
    }
    let hinf = 1.0 / (1.0 + ((v - -48.8) / 10.0).exp());
    let ah = -2.88e-6 * (v + 17.0) / (1.0 - ((v + 17.0) / 4.63).exp());
    let bh = 6.94e-6 * (v + 64.4) / (1.0 - (-(v + 64.4) / 2.63).exp());
    [(minf, mtau), (hinf, (1.0 / (ah + bh)) / HAY_QT)]
}

columns! {
    /// Parameters of [`NapEt2`], per node.
    pub struct Params {
        /// Maximal conductance (S/cm2); the mod file's default 1e-5.
        gbar = "gNap_Et2bar", 0.00001, NonNegative;
    }
}

columns! {
    /// Recordable states of [`NapEt2`], per node.
    pub struct States {
        /// Activation (1).
        m = "m", 0.0, Any;
        /// Inactivation (1).
        h = "h", 0.0, Any;
        /// Latest Na+ current (mA/cm2).
        ina = "ina", 0.0, Any;
        /// Latest conductance (S/cm2).
        g = "gNap_Et2", 0.0, Any;
    }
}

/// Persistent Na+ channel over a set of nodes. Reads `ions.ena`.
#[derive(Debug, Clone)]
pub struct NapEt2 {
    nodes: Vec<u32>,
    /// Parameters.
    pub p: Params,
    /// States.
    pub s: States,
}

impl NapEt2 {
    pub fn new(nodes: Vec<u32>) -> Self {
        let n = nodes.len();
        NapEt2 { nodes, p: Params::new(n), s: States::new(n) }
    }
}

impl Mechanism for NapEt2 {
    mechanism_tables!("Nap_Et2");

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
            let m = self.s.m[k];
            let g = self.p.gbar[k] * m * m * m * self.s.h[k];
            let i = g * (v[nd] - ions.ena[nd]);
            self.s.g[k] = g;
            self.s.ina[k] = i;
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
        for v in [-80.0, -40.0, 0.0] {
            let minf = 1.0 / (1.0 + ((v + 52.6) / -4.6f64).exp());
            let am = 0.182 * (v + 38.0) / (1.0 - (-(v + 38.0) / 6.0f64).exp());
            let bm = 0.124 * (-v - 38.0) / (1.0 - (-(-v - 38.0) / 6.0f64).exp());
            let hinf = 1.0 / (1.0 + ((v + 48.8) / 10.0f64).exp());
            let ah = -2.88e-6 * (v + 17.0) / (1.0 - ((v + 17.0) / 4.63f64).exp());
            let bh = 6.94e-6 * (v + 64.4) / (1.0 - (-(v + 64.4) / 2.63f64).exp());
            let [(mi, mt), (hi, ht)] = rates(v);
            assert!(close(mi, minf, 1e-12), "{v}");
            assert!(close(mt, 6.0 / (am + bm) / qt, 1e-12), "{v}");
            assert!(close(hi, hinf, 1e-12), "{v}");
            assert!(close(ht, 1.0 / (ah + bh) / qt, 1e-12), "{v}");
        }
    }

    #[test]
    fn singular_points_are_finite() {
        for v in [-38.0, -17.0, -64.4] {
            let [(m, mt), (h, ht)] = rates(v);
            assert!(m.is_finite() && mt.is_finite() && h.is_finite() && ht.is_finite(), "{v}");
        }
    }

    #[test]
    fn steady_after_init() {
        for v in [-80.0, -64.4, -40.0, -17.0, 0.0] {
            assert_steady(Box::new(NapEt2::new(vec![0])), v, &["m", "h"]);
        }
    }

    #[test]
    fn params() {
        assert_plumbing(Box::new(NapEt2::new(vec![0, 1])), "gNap_Et2bar", 1e-5);
    }
}

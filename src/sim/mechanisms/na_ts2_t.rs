//! `NaTs2_t`: Hay/Shai somatic transient Na+ channel, biophysics.md 5: NaTa_t with both
//! curves shifted +6 mV (38 -> 32 in the m rates, 66 -> 60 in the h rates).
//! g = gNaTs2_tbar m^3 h (S/cm2), ina = g (v - ena) (mA/cm2); fixed qt = 2.953.

use super::na_ta_t::{advance_mh, init_mh};
use super::params::{columns, mechanism_tables};
use super::{Env, Ions, Mechanism};

/// The shift (mV) of both NaTa_t curves.
pub const SHIFT: f64 = 6.0;

/// Steady states and time constants (ms) of m and h at `v` (mV):
/// `[(minf, mtau), (hinf, htau)]`, nudged at -32 and -60 mV like the mod file.
pub fn rates(v: f64) -> [(f64, f64); 2] {
    super::na_ta_t::rates(v, SHIFT)
}

columns! {
    /// Parameters of [`NaTs2T`], per node.
    pub struct Params {
        /// Maximal conductance (S/cm2); the mod file's default 1e-5.
        gbar = "gNaTs2_tbar", 0.00001, NonNegative;
    }
}

columns! {
    /// Recordable states of [`NaTs2T`], per node.
    pub struct States {
        /// Activation (1).
        m = "m", 0.0, Any;
        /// Inactivation (1).
        h = "h", 0.0, Any;
        /// Latest Na+ current (mA/cm2).
        ina = "ina", 0.0, Any;
        /// Latest conductance (S/cm2).
        g = "gNaTs2_t", 0.0, Any;
    }
}

/// Somatic transient Na+ channel over a set of nodes. Reads `ions.ena`.
#[derive(Debug, Clone)]
pub struct NaTs2T {
    nodes: Vec<u32>,
    /// Parameters.
    pub p: Params,
    /// States.
    pub s: States,
}

impl NaTs2T {
    pub fn new(nodes: Vec<u32>) -> Self {
        let n = nodes.len();
        NaTs2T { nodes, p: Params::new(n), s: States::new(n) }
    }
}

impl Mechanism for NaTs2T {
    mechanism_tables!("NaTs2_t");

    fn init(&mut self, v: &[f64], _ions: &mut Ions, _env: &Env) {
        init_mh(&self.nodes, &mut self.s.m, &mut self.s.h, v, SHIFT);
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
        advance_mh(&self.nodes, &mut self.s.m, &mut self.s.h, v, SHIFT, env.dt);
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
            let am = 0.182 * (v + 32.0) / (1.0 - (-(v + 32.0) / 6.0f64).exp());
            let bm = 0.124 * (-v - 32.0) / (1.0 - (-(-v - 32.0) / 6.0f64).exp());
            let ah = -0.015 * (v + 60.0) / (1.0 - ((v + 60.0) / 6.0f64).exp());
            let bh = -0.015 * (-v - 60.0) / (1.0 - ((-v - 60.0) / 6.0f64).exp());
            let [(mi, mt), (hi, ht)] = rates(v);
            assert!(close(mi, am / (am + bm), 1e-12), "{v}");
            assert!(close(mt, 1.0 / (am + bm) / qt, 1e-12), "{v}");
            assert!(close(hi, ah / (ah + bh), 1e-12), "{v}");
            assert!(close(ht, 1.0 / (ah + bh) / qt, 1e-12), "{v}");
        }
        // The whole curve is NaTa_t's moved 6 mV to the right.
        let a = super::super::na_ta_t::rates(-50.0, 0.0);
        let b = rates(-44.0);
        assert!(close(a[0].0, b[0].0, 1e-12) && close(a[1].1, b[1].1, 1e-12));
    }

    #[test]
    fn singular_points_are_finite() {
        for v in [-32.0, -60.0] {
            let [(m, mt), (h, ht)] = rates(v);
            assert!(m.is_finite() && mt.is_finite() && h.is_finite() && ht.is_finite());
        }
    }

    #[test]
    fn steady_after_init() {
        for v in [-80.0, -60.0, -32.0, 0.0] {
            assert_steady(Box::new(NaTs2T::new(vec![0])), v, &["m", "h"]);
        }
    }

    #[test]
    fn params() {
        assert_plumbing(Box::new(NaTs2T::new(vec![0, 1])), "gNaTs2_tbar", 1e-5);
    }
}

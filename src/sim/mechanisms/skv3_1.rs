//! `SKv3_1`: Hay et al. 2011 Kv3.1 K+ channel (Rettig et al. 1992), biophysics.md 5.
//! g = gSKv3_1bar m (S/cm2), ik = g (v - ek) (mA/cm2). No temperature factor.

use super::params::{columns, mechanism_tables};
use super::{Env, Ions, Mechanism, cnexp};

/// Steady state and time constant (ms) of m at `v` (mV): `(minf, mtau)`.
pub fn rates(v: f64) -> (f64, f64) {
    let minf = 1.0 / (1.0 + ((v - 18.700) / -9.700).exp());
    let mtau = 0.2 * 20.000 / (1.0 + ((v - -46.560) / -44.140).exp());
    (minf, mtau)
}

columns! {
    /// Parameters of [`SKv31`], per node.
    pub struct Params {
        /// Maximal conductance (S/cm2); the mod file's default 1e-5.
        gbar = "gSKv3_1bar", 0.00001, NonNegative;
    }
}

columns! {
    /// Recordable states of [`SKv31`], per node.
    pub struct States {
        /// Activation (1).
        m = "m", 0.0, Any;
        /// Latest K+ current (mA/cm2).
        ik = "ik", 0.0, Any;
        /// Latest conductance (S/cm2).
        g = "gSKv3_1", 0.0, Any;
    }
}

/// Kv3.1 channel over a set of nodes. Reads `ions.ek`.
#[derive(Debug, Clone)]
pub struct SKv31 {
    nodes: Vec<u32>,
    /// Parameters.
    pub p: Params,
    /// States.
    pub s: States,
}

impl SKv31 {
    pub fn new(nodes: Vec<u32>) -> Self {
        let n = nodes.len();
        SKv31 { nodes, p: Params::new(n), s: States::new(n) }
    }
}

impl Mechanism for SKv31 {
    mechanism_tables!("SKv3_1");

    fn init(&mut self, v: &[f64], _ions: &mut Ions, _env: &Env) {
        for (k, &node) in self.nodes.iter().enumerate() {
            self.s.m[k] = rates(v[node as usize]).0;
        }
    }
    fn current(&mut self, v: &[f64], ions: &mut Ions, rhs: &mut [f64], d: &mut [f64], _env: &Env) {
        for (k, &node) in self.nodes.iter().enumerate() {
            let nd = node as usize;
            let g = self.p.gbar[k] * self.s.m[k];
            let i = g * (v[nd] - ions.ek[nd]);
            self.s.g[k] = g;
            self.s.ik[k] = i;
            rhs[nd] -= i;
            d[nd] += g;
        }
    }
    fn advance(&mut self, v: &[f64], _ions: &mut Ions, env: &Env) {
        for (k, &node) in self.nodes.iter().enumerate() {
            let (mi, mt) = rates(v[node as usize]);
            self.s.m[k] = cnexp(self.s.m[k], mi, mt, env.dt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::params::testing::{assert_plumbing, assert_steady, close};
    use super::*;

    #[test]
    fn rates_match_the_sheet() {
        for v in [-80.0f64, -40.0, 0.0, 18.7] {
            let minf = 1.0 / (1.0 + ((v - 18.7) / -9.7).exp());
            let mtau = 0.2 * 20.0 / (1.0 + ((v + 46.56) / -44.14).exp());
            let (mi, mt) = rates(v);
            assert!(close(mi, minf, 1e-12), "{v}");
            assert!(close(mt, mtau, 1e-12), "{v}");
            assert!(mt < 4.0);
        }
        assert!(close(rates(18.7).0, 0.5, 1e-12));
        assert!(close(rates(-46.56).1, 2.0, 1e-12));
    }

    #[test]
    fn steady_after_init() {
        for v in [-80.0, -40.0, 0.0] {
            assert_steady(Box::new(SKv31::new(vec![0])), v, &["m"]);
        }
    }

    #[test]
    fn params() {
        assert_plumbing(Box::new(SKv31::new(vec![0, 1])), "gSKv3_1bar", 1e-5);
    }
}

//! `Im`: Hay et al. 2011 M-type K+ channel (Adams et al. 1982), biophysics.md 5.
//! g = gImbar m (S/cm2), ik = g (v - ek) (mA/cm2); fixed qt = 2.953.

use super::params::{HAY_QT, columns, mechanism_tables};
use super::{Env, Ions, Mechanism, cnexp};

/// Steady state and time constant (ms) of m at `v` (mV): `(minf, mtau)`.
pub fn rates(v: f64) -> (f64, f64) {
    let am = 3.3e-3 * (2.5 * 0.04 * (v - -35.0)).exp();
    let bm = 3.3e-3 * (-2.5 * 0.04 * (v - -35.0)).exp();
    (am / (am + bm), (1.0 / (am + bm)) / HAY_QT)
}

columns! {
    /// Parameters of [`Im`], per node.
    pub struct Params {
        /// Maximal conductance (S/cm2); the mod file's default 1e-5.
        gbar = "gImbar", 0.00001, NonNegative;
    }
}

columns! {
    /// Recordable states of [`Im`], per node.
    pub struct States {
        /// Activation (1).
        m = "m", 0.0, Any;
        /// Latest K+ current (mA/cm2).
        ik = "ik", 0.0, Any;
        /// Latest conductance (S/cm2).
        g = "gIm", 0.0, Any;
    }
}

/// M-current channel over a set of nodes. Reads `ions.ek`.
#[derive(Debug, Clone)]
pub struct Im {
    nodes: Vec<u32>,
    /// Parameters.
    pub p: Params,
    /// States.
    pub s: States,
}

impl Im {
    pub fn new(nodes: Vec<u32>) -> Self {
        let n = nodes.len();
        Im { nodes, p: Params::new(n), s: States::new(n) }
    }
}

impl Mechanism for Im {
    mechanism_tables!("Im");

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
        let qt = 2.3f64.powf(1.3);
        for v in [-80.0f64, -40.0, 0.0] {
            let am = 3.3e-3 * (0.1 * (v + 35.0)).exp();
            let bm = 3.3e-3 * (-0.1 * (v + 35.0)).exp();
            let (mi, mt) = rates(v);
            assert!(close(mi, am / (am + bm), 1e-12), "{v}");
            assert!(close(mt, 1.0 / (am + bm) / qt, 1e-12), "{v}");
        }
        // At -35 mV: m = 1/2 and tau = 1/(2 * 3.3e-3)/qt.
        let (mi, mt) = rates(-35.0);
        assert!(close(mi, 0.5, 1e-12) && close(mt, 1.0 / 6.6e-3 / qt, 1e-12));
    }

    #[test]
    fn steady_after_init() {
        for v in [-80.0, -40.0, 0.0] {
            assert_steady(Box::new(Im::new(vec![0])), v, &["m"]);
        }
    }

    #[test]
    fn params() {
        assert_plumbing(Box::new(Im::new(vec![0, 1])), "gImbar", 1e-5);
    }
}

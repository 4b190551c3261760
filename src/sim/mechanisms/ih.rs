//! `Ih`: Hay et al. 2011 HCN channel (Kole, Hallermann & Stuart 2006), with the
//! `vshift` of the Beniaguev copy, biophysics.md 5. g = gIhbar m (S/cm2),
//! ihcn = g (v - ehcn) (mA/cm2), a nonspecific current with its own reversal `ehcn`.
//! No temperature factor.

use super::params::{columns, mechanism_tables};
use super::{Env, Ions, Mechanism, cnexp};

/// Half-activation constant of the alpha rate (mV).
const VHALF: f64 = -154.9;

/// Steady state and time constant (ms) of m at `v` (mV) with shift `vshift` (mV):
/// `(minf, mtau)`. v is nudged by +1e-4 mV at -154.9 mV like the mod file, and also at
/// the true singular point -154.9 + vshift.
pub fn rates(v: f64, vshift: f64) -> (f64, f64) {
    let mut v = v;
    if v == VHALF || v == VHALF + vshift {
        v += 0.0001;
    }
    let am = 0.001 * 6.43 * (v - (VHALF + vshift)) / (((v - (VHALF + vshift)) / 11.9).exp() - 1.0);
    let bm = 0.001 * 193.0 * ((v - vshift) / 33.1).exp();
    (am / (am + bm), 1.0 / (am + bm))
}

columns! {
    /// Parameters of [`Ih`], per node.
    pub struct Params {
        /// Maximal conductance (S/cm2); the mod file's default 1e-5.
        gbar = "gIhbar", 0.00001, NonNegative;
        /// Reversal potential (mV); default -45.
        ehcn = "ehcn", -45.0, Any;
        /// Shift of both rate curves (mV); default 0.
        vshift = "vshift", 0.0, Any;
    }
}

columns! {
    /// Recordable states of [`Ih`], per node.
    pub struct States {
        /// Activation (1).
        m = "m", 0.0, Any;
        /// Latest current (mA/cm2).
        ihcn = "ihcn", 0.0, Any;
        /// Latest conductance (S/cm2).
        g = "gIh", 0.0, Any;
    }
}

/// HCN channel over a set of nodes.
#[derive(Debug, Clone)]
pub struct Ih {
    nodes: Vec<u32>,
    /// Parameters.
    pub p: Params,
    /// States.
    pub s: States,
}

impl Ih {
    pub fn new(nodes: Vec<u32>) -> Self {
        let n = nodes.len();
        Ih { nodes, p: Params::new(n), s: States::new(n) }
    }
}

impl Mechanism for Ih {
    mechanism_tables!("Ih");

    fn init(&mut self, v: &[f64], _ions: &mut Ions, _env: &Env) {
        for (k, &node) in self.nodes.iter().enumerate() {
            self.s.m[k] = rates(v[node as usize], self.p.vshift[k]).0;
        }
    }
    fn current(&mut self, v: &[f64], _ions: &mut Ions, rhs: &mut [f64], d: &mut [f64], _env: &Env) {
        for (k, &node) in self.nodes.iter().enumerate() {
            let nd = node as usize;
            let g = self.p.gbar[k] * self.s.m[k];
            let i = g * (v[nd] - self.p.ehcn[k]);
            self.s.g[k] = g;
            self.s.ihcn[k] = i;
            rhs[nd] -= i;
            d[nd] += g;
        }
    }
    fn advance(&mut self, v: &[f64], _ions: &mut Ions, env: &Env) {
        for (k, &node) in self.nodes.iter().enumerate() {
            let (mi, mt) = rates(v[node as usize], self.p.vshift[k]);
            self.s.m[k] = cnexp(self.s.m[k], mi, mt, env.dt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::params::testing::{assert_plumbing, assert_steady, close, env};
    use super::*;

    #[test]
    fn rates_match_the_sheet() {
        for v in [-80.0f64, -40.0, 0.0] {
            let am = 0.001 * 6.43 * (v + 154.9) / (((v + 154.9) / 11.9).exp() - 1.0);
            let bm = 0.001 * 193.0 * (v / 33.1).exp();
            let (mi, mt) = rates(v, 0.0);
            assert!(close(mi, am / (am + bm), 1e-12), "{v}");
            assert!(close(mt, 1.0 / (am + bm), 1e-12), "{v}");
        }
        // vshift moves the whole curve: rates(v + s, s) == rates(v, 0).
        let (a, b) = (rates(-70.0, 0.0), rates(-60.0, 10.0));
        assert!(close(a.0, b.0, 1e-9) && close(a.1, b.1, 1e-9));
        // Singular points give finite values.
        assert!(rates(-154.9, 0.0).1.is_finite() && rates(-144.9, 10.0).1.is_finite());
    }

    #[test]
    fn reverses_at_ehcn() {
        let mut c = Ih::new(vec![0]);
        c.set_param("gIhbar", 2e-4).unwrap();
        let v = [-45.0];
        let mut ions = Ions::new(1);
        let e = env();
        c.init(&v, &mut ions, &e);
        let (mut rhs, mut d) = ([0.0], [0.0]);
        c.current(&v, &mut ions, &mut rhs, &mut d, &e);
        assert_eq!(rhs[0], 0.0);
        assert!(close(d[0], 2e-4 * rates(-45.0, 0.0).0, 1e-12));
        c.set_param("ehcn", -30.0).unwrap();
        c.current(&v, &mut ions, &mut rhs, &mut d, &e);
        // Inward (depolarising) current below ehcn: i < 0, so rhs grows.
        assert!(c.state("ihcn", 0).unwrap() < 0.0 && rhs[0] > 0.0);
    }

    #[test]
    fn steady_after_init() {
        for v in [-80.0, -40.0, 0.0] {
            assert_steady(Box::new(Ih::new(vec![0])), v, &["m"]);
        }
        let mut c = Ih::new(vec![0]);
        c.set_param("vshift", -5.0).unwrap();
        assert_steady(Box::new(c), -80.0, &["m"]);
    }

    #[test]
    fn params() {
        assert_plumbing(Box::new(Ih::new(vec![0, 1])), "gIhbar", 1e-5);
        assert_plumbing(Box::new(Ih::new(vec![0, 1])), "ehcn", -45.0);
        assert_plumbing(Box::new(Ih::new(vec![0, 1])), "vshift", 0.0);
    }
}

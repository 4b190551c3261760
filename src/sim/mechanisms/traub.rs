//! `traub`: Gidon et al. 2020's soma/axon Na+/K+/leak (Traub et al. 1991 rates, as
//! arranged by Kang et al. 2004), docs/biophysics.md 8.1 (ModelDB 254217 `_mod/Traub.mod`).
//!
//! Rates use vt = v + v_shft and are divided by Q = 3^((35 - 32)/10), fixed (not
//! `celsius`). gNa = gNabar m^2 h, gK = gKbar n (first power), leak gLbar, all S/cm2;
//! i = gNa (v - eNa) + gK (v - eK) + gLbar (v - eL) (mA/cm2), one nonspecific current
//! with its own reversal potentials (it reads no ion).
//!
//! The mod file tabulates the rates (-100..70 mV, 1000 steps, linear interpolation);
//! this uses the exact functions, like `hh` with `usetable = 0`, with the mod file's
//! limits at the three singular points.

use super::params::{columns, g, mechanism_tables, mv};
use super::{Env, Ions, Mechanism, cnexp, vtrap};

/// Temperature factor Q = 3^((35 - 32)/10), fixed in the mod file.
pub const Q: f64 = 1.3903891703159093;

/// Steady states and time constants (ms) of m, h, n at `v` (mV) with shift `v_shft`
/// (mV). Returns `[(minf, mtau), (hinf, htau), (ninf, ntau)]`.
pub fn rates(v: f64, v_shft: f64) -> [(f64, f64); 3] {
    let vt = v + v_shft;
    let f = |a: f64, b: f64| (a / (a + b), 1.0 / (a + b) / Q);
    // x/(exp(x/k) - 1), which is k where x = 0 (the mod file's special cases).
    let am = 0.32 * vtrap(13.1 - vt, 4.0);
    let bm = 0.28 * vtrap(vt - 40.1, 5.0);
    let ah = 0.128 * ((17.0 - vt) / 18.0).exp();
    let bh = 4.0 / (1.0 + ((40.0 - vt) / 5.0).exp());
    let an = 0.016 * vtrap(35.1 - vt, 5.0);
    let bn = 0.25 * ((20.0 - vt) / 40.0).exp();
    [f(am, bm), f(ah, bh), f(an, bn)]
}

columns! {
    /// Parameters of [`Traub`], per node. Defaults are the mod file's; Gidon's cell
    /// (biophys.hoc) sets gNabar 0.1, gKbar 0.045, gLbar 2.7e-5, eL -74, v_shft 50.
    pub params Params {
        /// Na+ conductance (S/cm2); default 0.03.
        gnabar = g("gNabar", 0.03), NonNegative;
        /// K+ conductance (S/cm2); default 0.015.
        gkbar = g("gKbar", 0.015), NonNegative;
        /// Leak conductance (S/cm2); default 0.00014.
        glbar = g("gLbar", 0.00014), NonNegative;
        /// Na+ reversal (mV); default 90.
        ena = mv("eNa", 90.0), Any;
        /// K+ reversal (mV); default -80.
        ek = mv("eK", -80.0), Any;
        /// Leak reversal (mV); default -62.
        el = mv("eL", -62.0), Any;
        /// Shift added to v in every rate (mV); default 49.2.
        v_shft = mv("v_shft", 49.2), Any;
    }
}

columns! {
    /// Recordable states of [`Traub`], per node.
    pub struct States {
        /// Na+ activation (1).
        m = "m", 0.0, Any;
        /// Na+ inactivation (1).
        h = "h", 0.0, Any;
        /// K+ activation (1).
        n = "n", 0.0, Any;
        /// Latest total current (mA/cm2).
        i = "i", 0.0, Any;
        /// Latest Na+ current (mA/cm2).
        ina = "iNa", 0.0, Any;
        /// Latest K+ current (mA/cm2).
        ik = "iK", 0.0, Any;
        /// Latest leak current (mA/cm2).
        il = "iL", 0.0, Any;
    }
}

/// Traub Na+/K+/leak over a set of nodes.
#[derive(Debug, Clone)]
pub struct Traub {
    nodes: Vec<u32>,
    /// Parameters.
    pub p: Params,
    /// States.
    pub s: States,
}

impl Traub {
    pub fn new(nodes: Vec<u32>) -> Self {
        let n = nodes.len();
        Traub { nodes, p: Params::new(n), s: States::new(n) }
    }
}

impl Mechanism for Traub {
    mechanism_tables!("traub");

    fn init(&mut self, v: &[f64], _ions: &mut Ions, _env: &Env) {
        for (k, &node) in self.nodes.iter().enumerate() {
            let [(mi, _), (hi, _), (ni, _)] = rates(v[node as usize], self.p.v_shft[k]);
            self.s.m[k] = mi;
            self.s.h[k] = hi;
            self.s.n[k] = ni;
        }
    }
    fn current(&mut self, v: &[f64], _ions: &mut Ions, rhs: &mut [f64], d: &mut [f64], _env: &Env) {
        for (k, &node) in self.nodes.iter().enumerate() {
            let nd = node as usize;
            let vv = v[nd];
            let m = self.s.m[k];
            let gna = self.p.gnabar[k] * self.s.h[k] * m * m;
            let gk = self.p.gkbar[k] * self.s.n[k];
            let gl = self.p.glbar[k];
            let ina = gna * (vv - self.p.ena[k]);
            let ik = gk * (vv - self.p.ek[k]);
            let il = gl * (vv - self.p.el[k]);
            let i = il + ik + ina;
            self.s.ina[k] = ina;
            self.s.ik[k] = ik;
            self.s.il[k] = il;
            self.s.i[k] = i;
            rhs[nd] -= i;
            d[nd] += gna + gk + gl;
        }
    }
    fn advance(&mut self, v: &[f64], _ions: &mut Ions, env: &Env) {
        for (k, &node) in self.nodes.iter().enumerate() {
            let [(mi, mt), (hi, ht), (ni, nt)] = rates(v[node as usize], self.p.v_shft[k]);
            self.s.m[k] = cnexp(self.s.m[k], mi, mt, env.dt);
            self.s.h[k] = cnexp(self.s.h[k], hi, ht, env.dt);
            self.s.n[k] = cnexp(self.s.n[k], ni, nt, env.dt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::params::testing::{assert_plumbing, assert_steady, close, env};
    use super::*;

    #[test]
    fn q_is_3_to_the_0_3() {
        assert_eq!(Q, 3f64.powf((35.0 - 32.0) / 10.0));
    }

    #[test]
    fn rates_match_the_sheet() {
        let q = 3f64.powf(0.3);
        for v in [-80.0f64, -40.0, 0.0] {
            let vt = v + 50.0;
            let am = 0.32 * (13.1 - vt) / (((13.1 - vt) / 4.0).exp() - 1.0);
            let bm = 0.28 * (vt - 40.1) / (((vt - 40.1) / 5.0).exp() - 1.0);
            let ah = 0.128 * ((17.0 - vt) / 18.0).exp();
            let bh = 4.0 / (1.0 + ((40.0 - vt) / 5.0).exp());
            let an = 0.016 * (35.1 - vt) / (((35.1 - vt) / 5.0).exp() - 1.0);
            let bn = 0.25 * ((20.0 - vt) / 40.0).exp();
            let r = rates(v, 50.0);
            for (k, (a, b)) in [(am, bm), (ah, bh), (an, bn)].into_iter().enumerate() {
                assert!(close(r[k].0, a / (a + b), 1e-12), "{v} {k}");
                assert!(close(r[k].1, 1.0 / (a + b) / q, 1e-12), "{v} {k}");
            }
        }
    }

    #[test]
    fn singular_points_take_the_mod_file_limits() {
        let q = 3f64.powf(0.3);
        // vt = 13.1: alpha_m = 0.32 * 4.
        let bm = 0.28 * (13.1 - 40.1) / (((13.1 - 40.1) / 5.0f64).exp() - 1.0);
        let [(m, mt), _, _] = rates(13.1 - 49.2, 49.2);
        assert!(close(m, 1.28 / (1.28 + bm), 1e-6), "{m}");
        assert!(close(mt, 1.0 / (1.28 + bm) / q, 1e-6));
        for vt in [40.1, 35.1] {
            for r in rates(vt - 49.2, 49.2) {
                assert!(r.0.is_finite() && r.1.is_finite());
            }
        }
    }

    #[test]
    fn current_is_the_sum_of_its_parts() {
        let mut c = Traub::new(vec![0]);
        for (p, x) in [("gNabar", 0.1), ("gKbar", 0.045), ("gLbar", 2.7e-5), ("eL", -74.0), ("v_shft", 50.0)]
        {
            c.set_param(p, x).unwrap();
        }
        let v = [-60.0];
        let mut ions = Ions::new(1);
        let e = env();
        c.init(&v, &mut ions, &e);
        let (mut rhs, mut d) = ([0.0], [0.0]);
        c.current(&v, &mut ions, &mut rhs, &mut d, &e);
        let [(m, _), (h, _), (n, _)] = rates(-60.0, 50.0);
        let (gna, gk) = (0.1 * m * m * h, 0.045 * n);
        let i = gna * (-60.0 - 90.0) + gk * (-60.0 + 80.0) + 2.7e-5 * (-60.0 + 74.0);
        assert!(close(c.state("i", 0).unwrap(), i, 1e-12));
        assert!(close(rhs[0], -i, 1e-12) && close(d[0], gna + gk + 2.7e-5, 1e-12));
    }

    #[test]
    fn steady_after_init() {
        for v in [-80.0, -40.0, 0.0] {
            assert_steady(Box::new(Traub::new(vec![0])), v, &["m", "h", "n"]);
        }
    }

    #[test]
    fn params() {
        assert_plumbing(Box::new(Traub::new(vec![0, 1])), "gNabar", 0.03);
        assert_plumbing(Box::new(Traub::new(vec![0, 1])), "v_shft", 49.2);
    }
}

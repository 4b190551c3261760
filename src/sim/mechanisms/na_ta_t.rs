//! `NaTa_t`: Hay et al. 2011 transient Na+ channel (Colbert & Pan 2002), docs/biophysics.md 5.1.
//! g = gNaTa_tbar m^3 h (S/cm2), ina = g (v - ena) (mA/cm2); fixed qt = 2.953.

use super::gated::{GateKinetics, Gated, Reversal};
use super::params::HAY_QT;
use super::params::{Param, g};

/// Steady states and time constants (ms) of m and h at `v` (mV), with both curves
/// shifted by `shift` mV (0 for NaTa_t, +6 for NaTs2_t). As the mod files do, v is
/// nudged by +1e-4 mV where it equals a singular point (-38 + shift for m, then
/// -66 + shift for h, carrying the first nudge into the second).
/// Returns `[(minf, mtau), (hinf, htau)]`.
pub fn rates(v: f64, shift: f64) -> [(f64, f64); 2] {
    let mut v = v;
    let vm = -38.0 + shift;
    if v == vm {
        v += 0.0001;
    }
    let am = (0.182 * (v - vm)) / (1.0 - (-(v - vm) / 6.0).exp());
    let bm = (0.124 * (-v + vm)) / (1.0 - (-(-v + vm) / 6.0).exp());
    let vh = -66.0 + shift;
    if v == vh {
        v += 0.0001;
    }
    let ah = (-0.015 * (v - vh)) / (1.0 - ((v - vh) / 6.0).exp());
    let bh = (-0.015 * (-v + vh)) / (1.0 - ((-v + vh) / 6.0).exp());
    [(am / (am + bm), (1.0 / (am + bm)) / HAY_QT), (ah / (ah + bh), (1.0 / (ah + bh)) / HAY_QT)]
}

/// Kinetics of [`NaTaT`].
#[derive(Debug, Clone)]
pub struct Kinetics;

impl GateKinetics for Kinetics {
    const NAME: &'static str = "NaTa_t";
    /// The mod file's default conductance, 1e-5 S/cm2.
    const PARAMS: &'static [Param] = &[g("gNaTa_tbar", 0.00001)];
    const STATES: &'static [&'static str] = &["m", "h", "ina", "gNaTa_t"];
    const M: u32 = 3;
    const H: u32 = 1;
    const REVERSAL: Reversal = Reversal::Na;
    fn rates(v: f64, _shift: f64) -> [(f64, f64); 2] {
        rates(v, 0.0)
    }
}

/// Transient Na+ channel over a set of nodes. Reads `ions.ena`.
pub type NaTaT = Gated<Kinetics>;

#[cfg(test)]
mod tests {
    use super::super::gated::testing::{assert_table_accurate, assert_table_matches_exact};
    use super::super::params::testing::{assert_plumbing, assert_steady, close};
    use super::super::{Ions, Mechanism};
    use super::*;

    #[test]
    fn rates_match_the_sheet() {
        let qt = 2.3f64.powf(1.3);
        for v in [-80.0, -40.0, 0.0, 20.0] {
            let am = 0.182 * (v + 38.0) / (1.0 - (-(v + 38.0) / 6.0f64).exp());
            let bm = 0.124 * (-v - 38.0) / (1.0 - (-(-v - 38.0) / 6.0f64).exp());
            let ah = -0.015 * (v + 66.0) / (1.0 - ((v + 66.0) / 6.0f64).exp());
            let bh = -0.015 * (-v - 66.0) / (1.0 - ((-v - 66.0) / 6.0f64).exp());
            let [(mi, mt), (hi, ht)] = rates(v, 0.0);
            assert!(close(mi, am / (am + bm), 1e-12), "{v}");
            assert!(close(mt, 1.0 / (am + bm) / qt, 1e-12), "{v}");
            assert!(close(hi, ah / (ah + bh), 1e-12), "{v}");
            assert!(close(ht, 1.0 / (ah + bh) / qt, 1e-12), "{v}");
        }
        // Sanity: half activation near -38 mV (am/bm cross there with 0.182 vs 0.124).
        let [(mi, _), _] = rates(-38.0, 0.0);
        assert!(close(mi, 0.182 / (0.182 + 0.124), 1e-3), "{mi}");
    }

    #[test]
    fn singular_points_are_nudged_like_the_mod_file() {
        let [(m1, t1), (h1, s1)] = rates(-38.0, 0.0);
        let [(m2, t2), (h2, s2)] = rates(-38.0 + 0.0001, 0.0);
        assert_eq!((m1, t1, h1, s1), (m2, t2, h2, s2));
        let [_, (h1, s1)] = rates(-66.0, 0.0);
        let [_, (h2, s2)] = rates(-66.0 + 0.0001, 0.0);
        assert_eq!((h1, s1), (h2, s2));
        assert!(h1.is_finite() && s1.is_finite());
    }

    #[test]
    fn steady_after_init() {
        for v in [-80.0, -66.0, -38.0, -40.0, 0.0] {
            assert_steady(Box::new(NaTaT::new(vec![0])), v, &["m", "h"]);
        }
    }

    #[test]
    fn params_and_current() {
        assert_plumbing(Box::new(NaTaT::new(vec![0, 1])), "gNaTa_tbar", 1e-5);
        let mut c = NaTaT::new(vec![0]);
        c.set_param("gbar", 2.04).unwrap();
        let v = [-40.0];
        let mut ions = Ions::new(1);
        let env = super::super::params::testing::env();
        c.init(&v, &mut ions, &env);
        let (mut rhs, mut d) = ([0.0], [0.0]);
        c.current(&v, &mut ions, &mut rhs, &mut d, &env);
        let [(m, _), (h, _)] = rates(-40.0, 0.0);
        let g = 2.04 * m.powi(3) * h;
        assert!(close(d[0], g, 1e-12));
        assert!(close(rhs[0], -g * (-40.0 - 50.0), 1e-12));
    }

    #[test]
    fn rate_table_is_accurate() {
        assert_table_accurate::<Kinetics>(&[0.0]);
        assert_table_matches_exact(|| NaTaT::new(vec![0]), 2e-5);
    }
}

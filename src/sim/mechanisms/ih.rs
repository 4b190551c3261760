//! `Ih`: Hay et al. 2011 HCN channel (Kole, Hallermann & Stuart 2006), with the
//! `vshift` of the Beniaguev copy, docs/biophysics.md 5.10. g = gIhbar m (S/cm2),
//! ihcn = g (v - ehcn) (mA/cm2), a nonspecific current with its own reversal `ehcn`.
//! No temperature factor.

use super::gated::{GateKinetics, Gated, NO_GATE, Reversal};
use super::params::{Param, g, mv};

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

/// Kinetics of [`Ih`].
#[derive(Debug, Clone)]
pub struct Kinetics;

impl GateKinetics for Kinetics {
    const NAME: &'static str = "Ih";
    /// Maximal conductance (S/cm2), reversal potential (mV) and the shift of both rate
    /// curves (mV).
    /// The mod file's defaults: 1e-5 S/cm2, -45 mV, 0 mV.
    const PARAMS: &'static [Param] = &[g("gIhbar", 0.00001), mv("ehcn", -45.0), mv("vshift", 0.0)];
    const STATES: &'static [&'static str] = &["m", "ihcn", "gIh"];
    const M: u32 = 1;
    const H: u32 = 0;
    const REVERSAL: Reversal = Reversal::Param(1);
    const SHIFT: Option<usize> = Some(2);
    fn rates(v: f64, vshift: f64) -> [(f64, f64); 2] {
        [rates(v, vshift), NO_GATE]
    }
}

/// HCN channel over a set of nodes.
pub type Ih = Gated<Kinetics>;

#[cfg(test)]
mod tests {
    use super::super::gated::testing::{assert_table_accurate, assert_table_matches_exact};
    use super::super::params::testing::{assert_plumbing, assert_steady, close, env};
    use super::super::{Ions, Mechanism};
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

    #[test]
    fn rate_table_is_accurate() {
        // One table serves every vshift: looked up at v - vshift.
        assert_table_accurate::<Kinetics>(&[0.0, -5.0, 10.0, 37.5]);
        assert_table_matches_exact(|| Ih::new(vec![0]), 2e-5);
        for s in [-5.0, 10.0] {
            let make = || {
                let mut c = Ih::new(vec![0]);
                c.set_param("vshift", s).unwrap();
                c
            };
            assert_table_matches_exact(make, 2e-5);
        }
    }
}

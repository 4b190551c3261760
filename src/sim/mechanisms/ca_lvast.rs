//! `Ca_LVAst`: Hay et al. 2011 low-voltage-activated (T-type) Ca2+ channel (Avery &
//! Johnston 1996; tau from Randall 1997), docs/biophysics.md 5.9. Uses v' = v + 10 mV.
//! g = gCa_LVAstbar m^2 h (S/cm2), ica = g (v - eca) (mA/cm2), added to `ions.ica`;
//! fixed qt = 2.953.

use super::gated::{GateKinetics, Gated, Reversal};
use super::params::HAY_QT;
use super::params::{Param, g};

/// Steady states and time constants (ms) of m and h at `v` (mV):
/// `[(minf, mtau), (hinf, htau)]`.
pub fn rates(v: f64) -> [(f64, f64); 2] {
    let v = v + 10.0;
    let minf = 1.0000 / (1.0 + ((v - -30.000) / -6.0).exp());
    let mtau = (5.0000 + 20.0000 / (1.0 + ((v - -25.000) / 5.0).exp())) / HAY_QT;
    let hinf = 1.0000 / (1.0 + ((v - -80.000) / 6.4).exp());
    let htau = (20.0000 + 50.0000 / (1.0 + ((v - -40.000) / 7.0).exp())) / HAY_QT;
    [(minf, mtau), (hinf, htau)]
}

/// Kinetics of [`CaLvast`].
#[derive(Debug, Clone)]
pub struct Kinetics;

impl GateKinetics for Kinetics {
    const NAME: &'static str = "Ca_LVAst";
    /// The mod file's default conductance, 1e-5 S/cm2.
    const PARAMS: &'static [Param] = &[g("gCa_LVAstbar", 0.00001)];
    const STATES: &'static [&'static str] = &["m", "h", "ica", "gCa_LVAst"];
    const M: u32 = 2;
    const H: u32 = 1;
    const REVERSAL: Reversal = Reversal::Ca;
    fn rates(v: f64, _shift: f64) -> [(f64, f64); 2] {
        rates(v)
    }
}

/// T-type Ca2+ channel over a set of nodes. Reads `ions.eca`, adds to `ions.ica`.
pub type CaLvast = Gated<Kinetics>;

#[cfg(test)]
mod tests {
    use super::super::gated::testing::{assert_table_accurate, assert_table_matches_exact};
    use super::super::params::testing::{assert_plumbing, assert_steady, close, env};
    use super::super::{Ions, Mechanism};
    use super::*;

    #[test]
    fn rates_match_the_sheet() {
        let qt = 2.3f64.powf(1.3);
        for v in [-80.0f64, -40.0, 0.0] {
            let vp = v + 10.0;
            let minf = 1.0 / (1.0 + ((vp + 30.0) / -6.0).exp());
            let mtau = (5.0 + 20.0 / (1.0 + ((vp + 25.0) / 5.0).exp())) / qt;
            let hinf = 1.0 / (1.0 + ((vp + 80.0) / 6.4).exp());
            let htau = (20.0 + 50.0 / (1.0 + ((vp + 40.0) / 7.0).exp())) / qt;
            let [(mi, mt), (hi, ht)] = rates(v);
            assert!(close(mi, minf, 1e-12), "{v}");
            assert!(close(mt, mtau, 1e-12), "{v}");
            assert!(close(hi, hinf, 1e-12), "{v}");
            assert!(close(ht, htau, 1e-12), "{v}");
        }
        // Half activation at v' = -30, i.e. v = -40; half inactivation at v = -90.
        assert!(close(rates(-40.0)[0].0, 0.5, 1e-12));
        assert!(close(rates(-90.0)[1].0, 0.5, 1e-12));
    }

    #[test]
    fn adds_its_current_to_ica() {
        let mut c = CaLvast::new(vec![0]);
        c.set_param("gbar", 0.0187).unwrap();
        let v = [-50.0];
        let mut ions = Ions::new(1);
        let e = env();
        c.init(&v, &mut ions, &e);
        ions.begin_currents(e.celsius);
        let (mut rhs, mut d) = ([0.0], [0.0]);
        c.current(&v, &mut ions, &mut rhs, &mut d, &e);
        let [(m, _), (h, _)] = rates(-50.0);
        let i = 0.0187 * m * m * h * (-50.0 - ions.eca[0]);
        assert!(close(ions.ica[0], i, 1e-12) && close(c.state("ica", 0).unwrap(), i, 1e-12));
        assert!(close(rhs[0], -i, 1e-12));
    }

    #[test]
    fn steady_after_init() {
        for v in [-80.0, -40.0, 0.0] {
            assert_steady(Box::new(CaLvast::new(vec![0])), v, &["m", "h"]);
        }
    }

    #[test]
    fn params() {
        assert_plumbing(Box::new(CaLvast::new(vec![0, 1])), "gCa_LVAstbar", 1e-5);
    }

    #[test]
    fn rate_table_is_accurate() {
        assert_table_accurate::<Kinetics>(&[0.0]);
        assert_table_matches_exact(|| CaLvast::new(vec![0]), 2e-5);
    }
}

//! `Ca_HVA`: Hay et al. 2011 high-voltage-activated Ca2+ channel (Reuveni et al. 1993),
//! docs/biophysics.md 5.8. g = gCa_HVAbar m^2 h (S/cm2), ica = g (v - eca) (mA/cm2), added to
//! `ions.ica`. No temperature factor.

use super::gated::{GateKinetics, Gated, Reversal};
use super::params::{Param, g};

/// Steady states and time constants (ms) of m and h at `v` (mV):
/// `[(minf, mtau), (hinf, htau)]`; v is nudged by +1e-4 mV at -27 mV like the mod file.
pub fn rates(v: f64) -> [(f64, f64); 2] {
    let mut v = v;
    if v == -27.0 {
        v += 0.0001;
    }
    let am = (0.055 * (-27.0 - v)) / (((-27.0 - v) / 3.8).exp() - 1.0);
    let bm = 0.94 * ((-75.0 - v) / 17.0).exp();
    let ah = 0.000457 * ((-13.0 - v) / 50.0).exp();
    let bh = 0.0065 / (((-v - 15.0) / 28.0).exp() + 1.0);
    [(am / (am + bm), 1.0 / (am + bm)), (ah / (ah + bh), 1.0 / (ah + bh))]
}

/// Kinetics of [`CaHva`].
#[derive(Debug, Clone)]
pub struct Kinetics;

impl GateKinetics for Kinetics {
    const NAME: &'static str = "Ca_HVA";
    /// The mod file's default conductance, 1e-5 S/cm2.
    const PARAMS: &'static [Param] = &[g("gCa_HVAbar", 0.00001)];
    const STATES: &'static [&'static str] = &["m", "h", "ica", "gCa_HVA"];
    const M: u32 = 2;
    const H: u32 = 1;
    const REVERSAL: Reversal = Reversal::Ca;
    fn rates(v: f64, _shift: f64) -> [(f64, f64); 2] {
        rates(v)
    }
}

/// HVA Ca2+ channel over a set of nodes. Reads `ions.eca`, adds to `ions.ica`.
pub type CaHva = Gated<Kinetics>;

#[cfg(test)]
mod tests {
    use super::super::gated::testing::{assert_table_accurate, assert_table_matches_exact};
    use super::super::params::testing::{assert_plumbing, assert_steady, close, env};
    use super::super::{Ions, Mechanism};
    use super::*;

    #[test]
    fn rates_match_the_sheet() {
        for v in [-80.0f64, -40.0, 0.0] {
            let am = 0.055 * (-27.0 - v) / (((-27.0 - v) / 3.8).exp() - 1.0);
            let bm = 0.94 * ((-75.0 - v) / 17.0).exp();
            let ah = 0.000457 * ((-13.0 - v) / 50.0).exp();
            let bh = 0.0065 / (((-v - 15.0) / 28.0).exp() + 1.0);
            let [(mi, mt), (hi, ht)] = rates(v);
            assert!(close(mi, am / (am + bm), 1e-12), "{v}");
            assert!(close(mt, 1.0 / (am + bm), 1e-12), "{v}");
            assert!(close(hi, ah / (ah + bh), 1e-12), "{v}");
            assert!(close(ht, 1.0 / (ah + bh), 1e-12), "{v}");
        }
        // At the singular point alpha_m tends to 0.055 * 3.8.
        let [(m, mt), _] = rates(-27.0);
        let bm = 0.94 * ((-75.0 + 27.0) / 17.0f64).exp();
        assert!(close(m, 0.209 / (0.209 + bm), 1e-4) && mt.is_finite());
    }

    #[test]
    fn adds_its_current_to_ica() {
        let mut c = CaHva::new(vec![0]);
        c.set_param("gCa_HVAbar", 1e-3).unwrap();
        let v = [-20.0];
        let mut ions = Ions::new(1);
        let e = env();
        c.init(&v, &mut ions, &e);
        ions.begin_currents(e.celsius);
        ions.ica[0] = 1e-6;
        let (mut rhs, mut d) = ([0.0], [0.0]);
        c.current(&v, &mut ions, &mut rhs, &mut d, &e);
        let [(m, _), (h, _)] = rates(-20.0);
        let i = 1e-3 * m * m * h * (-20.0 - ions.eca[0]);
        assert!(i < 0.0);
        assert!(close(ions.ica[0], 1e-6 + i, 1e-12));
        assert!(close(rhs[0], -i, 1e-12) && close(d[0], 1e-3 * m * m * h, 1e-12));
        // The next step starts from no calcium current: the write was noted.
        assert!(ions.ica_written);
        ions.begin_currents(e.celsius);
        assert_eq!(ions.ica[0], 0.0);
        assert!(!ions.ica_written);
    }

    #[test]
    fn steady_after_init() {
        for v in [-80.0, -40.0, -27.0, 0.0] {
            assert_steady(Box::new(CaHva::new(vec![0])), v, &["m", "h"]);
        }
    }

    #[test]
    fn params() {
        assert_plumbing(Box::new(CaHva::new(vec![0, 1])), "gCa_HVAbar", 1e-5);
    }

    #[test]
    fn rate_table_is_accurate() {
        assert_table_accurate::<Kinetics>(&[0.0]);
        assert_table_matches_exact(|| CaHva::new(vec![0]), 2e-5);
    }
}

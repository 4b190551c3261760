//! `Nap_Et2`: Hay et al. 2011 persistent Na+ channel (Magistretti & Alonso 1999),
//! docs/biophysics.md 5.3. g = gNap_Et2bar m^3 h (S/cm2), ina = g (v - ena) (mA/cm2);
//! fixed qt = 2.953.

use super::gated::{GateKinetics, Gated, Reversal};
use super::params::HAY_QT;
use super::params::{Param, g};

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

/// Kinetics of [`NapEt2`].
#[derive(Debug, Clone)]
pub struct Kinetics;

impl GateKinetics for Kinetics {
    const NAME: &'static str = "Nap_Et2";
    /// The mod file's default conductance, 1e-5 S/cm2.
    const PARAMS: &'static [Param] = &[g("gNap_Et2bar", 0.00001)];
    const STATES: &'static [&'static str] = &["m", "h", "ina", "gNap_Et2"];
    const M: u32 = 3;
    const H: u32 = 1;
    const REVERSAL: Reversal = Reversal::Na;
    fn rates(v: f64, _shift: f64) -> [(f64, f64); 2] {
        rates(v)
    }
}

/// Persistent Na+ channel over a set of nodes. Reads `ions.ena`.
pub type NapEt2 = Gated<Kinetics>;

#[cfg(test)]
mod tests {
    use super::super::gated::testing::{assert_table_accurate, assert_table_matches_exact};
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

    #[test]
    fn rate_table_is_accurate() {
        assert_table_accurate::<Kinetics>(&[0.0]);
        assert_table_matches_exact(|| NapEt2::new(vec![0]), 2e-5);
    }
}

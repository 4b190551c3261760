//! `K_Tst`: Hay et al. 2011 fast-inactivating K+ channel (Korngreen & Sakmann 2000),
//! docs/biophysics.md 5.4. Uses v' = v + 10 mV (junction-potential shift).
//! g = gK_Tstbar m^4 h (S/cm2), ik = g (v - ek) (mA/cm2); fixed qt = 2.953.

use super::gated::{GateKinetics, Gated, Reversal};
use super::params::HAY_QT;
use super::params::{Param, g};

/// Steady states and time constants (ms) of m and h at `v` (mV):
/// `[(minf, mtau), (hinf, htau)]`.
pub fn rates(v: f64) -> [(f64, f64); 2] {
    let v = v + 10.0;
    let minf = 1.0 / (1.0 + (-v / 19.0).exp());
    let mtau = (0.34 + 0.92 * (-((v + 71.0) / 59.0).powi(2)).exp()) / HAY_QT;
    let hinf = 1.0 / (1.0 + (-(v + 66.0) / -10.0).exp());
    let htau = (8.0 + 49.0 * (-((v + 73.0) / 23.0).powi(2)).exp()) / HAY_QT;
    [(minf, mtau), (hinf, htau)]
}

/// Kinetics of [`KTst`].
#[derive(Debug, Clone)]
pub struct Kinetics;

impl GateKinetics for Kinetics {
    const NAME: &'static str = "K_Tst";
    /// The mod file's default conductance, 1e-5 S/cm2.
    const PARAMS: &'static [Param] = &[g("gK_Tstbar", 0.00001)];
    const STATES: &'static [&'static str] = &["m", "h", "ik", "gK_Tst"];
    const M: u32 = 4;
    const H: u32 = 1;
    const REVERSAL: Reversal = Reversal::K;
    fn rates(v: f64, _shift: f64) -> [(f64, f64); 2] {
        rates(v)
    }
}

/// Fast-inactivating K+ channel over a set of nodes. Reads `ions.ek`.
pub type KTst = Gated<Kinetics>;

#[cfg(test)]
mod tests {
    use super::super::gated::testing::{assert_table_accurate, assert_table_matches_exact};
    use super::super::params::testing::{assert_plumbing, assert_steady, close};
    use super::*;

    #[test]
    fn rates_match_the_sheet() {
        let qt = 2.3f64.powf(1.3);
        for v in [-80.0f64, -40.0, 0.0] {
            let vp = v + 10.0;
            let minf = 1.0 / (1.0 + (-vp / 19.0).exp());
            let mtau = (0.34 + 0.92 * (-((vp + 71.0) / 59.0) * ((vp + 71.0) / 59.0)).exp()) / qt;
            let hinf = 1.0 / (1.0 + ((vp + 66.0) / 10.0).exp());
            let htau = (8.0 + 49.0 * (-((vp + 73.0) / 23.0) * ((vp + 73.0) / 23.0)).exp()) / qt;
            let [(mi, mt), (hi, ht)] = rates(v);
            assert!(close(mi, minf, 1e-12), "{v}");
            assert!(close(mt, mtau, 1e-12), "{v}");
            assert!(close(hi, hinf, 1e-12), "{v}");
            assert!(close(ht, htau, 1e-12), "{v}");
        }
        // Half activation at v' = 0, i.e. v = -10 mV.
        assert!(close(rates(-10.0)[0].0, 0.5, 1e-12));
    }

    #[test]
    fn steady_after_init() {
        for v in [-80.0, -40.0, 0.0] {
            assert_steady(Box::new(KTst::new(vec![0])), v, &["m", "h"]);
        }
    }

    #[test]
    fn params() {
        assert_plumbing(Box::new(KTst::new(vec![0, 1])), "gK_Tstbar", 1e-5);
    }

    #[test]
    fn rate_table_is_accurate() {
        assert_table_accurate::<Kinetics>(&[0.0]);
        assert_table_matches_exact(|| KTst::new(vec![0]), 2e-5);
    }
}

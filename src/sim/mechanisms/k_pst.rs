//! `K_Pst`: Hay et al. 2011 slow/persistent K+ channel (Korngreen & Sakmann 2000),
//! docs/biophysics.md 5.5. Uses v' = v + 10 mV (junction-potential shift).
//! g = gK_Pstbar m^2 h (S/cm2), ik = g (v - ek) (mA/cm2); fixed qt = 2.953.

use super::gated::{GateKinetics, Gated, Reversal};
use super::params::HAY_QT;
use super::params::{Param, g};

/// Steady states and time constants (ms) of m and h at `v` (mV):
/// `[(minf, mtau), (hinf, htau)]`.
pub fn rates(v: f64) -> [(f64, f64); 2] {
    let v = v + 10.0;
    let minf = 1.0 / (1.0 + (-(v + 1.0) / 12.0).exp());
    let mtau = if v < -50.0 {
        (1.25 + 175.03 * (-v * -0.026).exp()) / HAY_QT
    } else {
        (1.25 + 13.0 * (-v * 0.026).exp()) / HAY_QT
    };
    let hinf = 1.0 / (1.0 + (-(v + 54.0) / -11.0).exp());
    let htau = (360.0 + (1010.0 + 24.0 * (v + 55.0)) * (-((v + 75.0) / 48.0).powi(2)).exp()) / HAY_QT;
    [(minf, mtau), (hinf, htau)]
}

/// Kinetics of [`KPst`].
#[derive(Debug, Clone)]
pub struct Kinetics;

impl GateKinetics for Kinetics {
    const NAME: &'static str = "K_Pst";
    /// The mod file's default conductance, 1e-5 S/cm2.
    const PARAMS: &'static [Param] = &[g("gK_Pstbar", 0.00001)];
    const STATES: &'static [&'static str] = &["m", "h", "ik", "gK_Pst"];
    const M: u32 = 2;
    const H: u32 = 1;
    const REVERSAL: Reversal = Reversal::K;
    fn rates(v: f64, _shift: f64) -> [(f64, f64); 2] {
        rates(v)
    }
}

/// Slow K+ channel over a set of nodes. Reads `ions.ek`.
pub type KPst = Gated<Kinetics>;

#[cfg(test)]
mod tests {
    use super::super::gated::testing::{assert_table_accurate, assert_table_matches_exact};
    use super::super::params::testing::{assert_plumbing, assert_steady, close};
    use super::*;

    #[test]
    fn rates_match_the_sheet() {
        let qt = 2.3f64.powf(1.3);
        for v in [-80.0f64, -65.0, -40.0, 0.0] {
            let vp = v + 10.0;
            let minf = 1.0 / (1.0 + (-(vp + 1.0) / 12.0).exp());
            let mtau = if vp < -50.0 {
                (1.25 + 175.03 * (0.026 * vp).exp()) / qt
            } else {
                (1.25 + 13.0 * (-0.026 * vp).exp()) / qt
            };
            let hinf = 1.0 / (1.0 + ((vp + 54.0) / 11.0).exp());
            let x = (vp + 75.0) / 48.0;
            let htau = (360.0 + (1010.0 + 24.0 * (vp + 55.0)) * (-x * x).exp()) / qt;
            let [(mi, mt), (hi, ht)] = rates(v);
            assert!(close(mi, minf, 1e-12), "{v}");
            assert!(close(mt, mtau, 1e-12), "{v}");
            assert!(close(hi, hinf, 1e-12), "{v}");
            assert!(close(ht, htau, 1e-12), "{v}");
        }
    }

    #[test]
    fn steady_after_init() {
        for v in [-80.0, -60.0, -40.0, 0.0] {
            assert_steady(Box::new(KPst::new(vec![0])), v, &["m", "h"]);
        }
    }

    #[test]
    fn params() {
        assert_plumbing(Box::new(KPst::new(vec![0, 1])), "gK_Pstbar", 1e-5);
    }

    #[test]
    fn rate_table_is_accurate() {
        assert_table_accurate::<Kinetics>(&[0.0]);
        assert_table_matches_exact(|| KPst::new(vec![0]), 2e-5);
    }
}

//! `Im`: Hay et al. 2011 M-type K+ channel (Adams et al. 1982), docs/biophysics.md 5.11.
//! g = gImbar m (S/cm2), ik = g (v - ek) (mA/cm2); fixed qt = 2.953.

use super::gated::{GateKinetics, Gated, NO_GATE, Reversal};
use super::params::HAY_QT;
use super::params::{Param, g};

/// Steady state and time constant (ms) of m at `v` (mV): `(minf, mtau)`.
pub fn rates(v: f64) -> (f64, f64) {
    let am = 3.3e-3 * (2.5 * 0.04 * (v - -35.0)).exp();
    let bm = 3.3e-3 * (-2.5 * 0.04 * (v - -35.0)).exp();
    (am / (am + bm), (1.0 / (am + bm)) / HAY_QT)
}

/// Kinetics of [`Im`].
#[derive(Debug, Clone)]
pub struct Kinetics;

impl GateKinetics for Kinetics {
    const NAME: &'static str = "Im";
    /// The mod file's default conductance, 1e-5 S/cm2.
    const PARAMS: &'static [Param] = &[g("gImbar", 0.00001)];
    const STATES: &'static [&'static str] = &["m", "ik", "gIm"];
    const M: u32 = 1;
    const H: u32 = 0;
    const REVERSAL: Reversal = Reversal::K;
    fn rates(v: f64, _shift: f64) -> [(f64, f64); 2] {
        [rates(v), NO_GATE]
    }
}

/// M-current channel over a set of nodes. Reads `ions.ek`.
pub type Im = Gated<Kinetics>;

#[cfg(test)]
mod tests {
    use super::super::gated::testing::{assert_table_accurate, assert_table_matches_exact};
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

    #[test]
    fn rate_table_is_accurate() {
        assert_table_accurate::<Kinetics>(&[0.0]);
        assert_table_matches_exact(|| Im::new(vec![0]), 2e-5);
    }
}

//! `NaTs2_t`: Hay/Shai somatic transient Na+ channel, docs/biophysics.md 5.2: NaTa_t with both
//! curves shifted +6 mV (38 -> 32 in the m rates, 66 -> 60 in the h rates).
//! g = gNaTs2_tbar m^3 h (S/cm2), ina = g (v - ena) (mA/cm2); fixed qt = 2.953.

use super::gated::{GateKinetics, Gated, Reversal};
use super::params::{Param, g};

/// The shift (mV) of both NaTa_t curves.
pub const SHIFT: f64 = 6.0;

/// Steady states and time constants (ms) of m and h at `v` (mV):
/// `[(minf, mtau), (hinf, htau)]`, nudged at -32 and -60 mV like the mod file.
pub fn rates(v: f64) -> [(f64, f64); 2] {
    super::na_ta_t::rates(v, SHIFT)
}

/// Kinetics of [`NaTs2T`].
#[derive(Debug, Clone)]
pub struct Kinetics;

impl GateKinetics for Kinetics {
    const NAME: &'static str = "NaTs2_t";
    /// The mod file's default conductance, 1e-5 S/cm2.
    const PARAMS: &'static [Param] = &[g("gNaTs2_tbar", 0.00001)];
    const STATES: &'static [&'static str] = &["m", "h", "ina", "gNaTs2_t"];
    const M: u32 = 3;
    const H: u32 = 1;
    const REVERSAL: Reversal = Reversal::Na;
    fn rates(v: f64, _shift: f64) -> [(f64, f64); 2] {
        rates(v)
    }
}

/// Somatic transient Na+ channel over a set of nodes. Reads `ions.ena`.
pub type NaTs2T = Gated<Kinetics>;

#[cfg(test)]
mod tests {
    use super::super::gated::testing::{assert_table_accurate, assert_table_matches_exact};
    use super::super::params::testing::{assert_plumbing, assert_steady, close};
    use super::*;

    #[test]
    fn rates_match_the_sheet() {
        let qt = 2.3f64.powf(1.3);
        for v in [-80.0, -40.0, 0.0] {
            let am = 0.182 * (v + 32.0) / (1.0 - (-(v + 32.0) / 6.0f64).exp());
            let bm = 0.124 * (-v - 32.0) / (1.0 - (-(-v - 32.0) / 6.0f64).exp());
            let ah = -0.015 * (v + 60.0) / (1.0 - ((v + 60.0) / 6.0f64).exp());
            let bh = -0.015 * (-v - 60.0) / (1.0 - ((-v - 60.0) / 6.0f64).exp());
            let [(mi, mt), (hi, ht)] = rates(v);
            assert!(close(mi, am / (am + bm), 1e-12), "{v}");
            assert!(close(mt, 1.0 / (am + bm) / qt, 1e-12), "{v}");
            assert!(close(hi, ah / (ah + bh), 1e-12), "{v}");
            assert!(close(ht, 1.0 / (ah + bh) / qt, 1e-12), "{v}");
        }
        // The whole curve is NaTa_t's moved 6 mV to the right.
        let a = super::super::na_ta_t::rates(-50.0, 0.0);
        let b = rates(-44.0);
        assert!(close(a[0].0, b[0].0, 1e-12) && close(a[1].1, b[1].1, 1e-12));
    }

    #[test]
    fn singular_points_are_finite() {
        for v in [-32.0, -60.0] {
            let [(m, mt), (h, ht)] = rates(v);
            assert!(m.is_finite() && mt.is_finite() && h.is_finite() && ht.is_finite());
        }
    }

    #[test]
    fn steady_after_init() {
        for v in [-80.0, -60.0, -32.0, 0.0] {
            assert_steady(Box::new(NaTs2T::new(vec![0])), v, &["m", "h"]);
        }
    }

    #[test]
    fn params() {
        assert_plumbing(Box::new(NaTs2T::new(vec![0, 1])), "gNaTs2_tbar", 1e-5);
    }

    #[test]
    fn rate_table_is_accurate() {
        assert_table_accurate::<Kinetics>(&[0.0]);
        assert_table_matches_exact(|| NaTs2T::new(vec![0]), 2e-5);
    }
}

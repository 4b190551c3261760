//! `SKv3_1`: Hay et al. 2011 Kv3.1 K+ channel (Rettig et al. 1992), docs/biophysics.md 5.6.
//! g = gSKv3_1bar m (S/cm2), ik = g (v - ek) (mA/cm2). No temperature factor.

use super::gated::{GateKinetics, Gated, NO_GATE, Reversal};
use super::params::{Param, g};

/// Steady state and time constant (ms) of m at `v` (mV): `(minf, mtau)`.
pub fn rates(v: f64) -> (f64, f64) {
    let minf = 1.0 / (1.0 + ((v - 18.700) / -9.700).exp());
    let mtau = 0.2 * 20.000 / (1.0 + ((v - -46.560) / -44.140).exp());
    (minf, mtau)
}

/// Kinetics of [`SKv31`].
#[derive(Debug, Clone)]
pub struct Kinetics;

impl GateKinetics for Kinetics {
    const NAME: &'static str = "SKv3_1";
    /// The mod file's default conductance, 1e-5 S/cm2.
    const PARAMS: &'static [Param] = &[g("gSKv3_1bar", 0.00001)];
    const STATES: &'static [&'static str] = &["m", "ik", "gSKv3_1"];
    const M: u32 = 1;
    const H: u32 = 0;
    const REVERSAL: Reversal = Reversal::K;
    fn rates(v: f64, _shift: f64) -> [(f64, f64); 2] {
        [rates(v), NO_GATE]
    }
}

/// Kv3.1 channel over a set of nodes. Reads `ions.ek`.
pub type SKv31 = Gated<Kinetics>;

#[cfg(test)]
mod tests {
    use super::super::gated::testing::{assert_table_accurate, assert_table_matches_exact};
    use super::super::params::testing::{assert_plumbing, assert_steady, close};
    use super::*;

    #[test]
    fn rates_match_the_sheet() {
        for v in [-80.0f64, -40.0, 0.0, 18.7] {
            let minf = 1.0 / (1.0 + ((v - 18.7) / -9.7).exp());
            let mtau = 0.2 * 20.0 / (1.0 + ((v + 46.56) / -44.14).exp());
            let (mi, mt) = rates(v);
            assert!(close(mi, minf, 1e-12), "{v}");
            assert!(close(mt, mtau, 1e-12), "{v}");
            assert!(mt < 4.0);
        }
        assert!(close(rates(18.7).0, 0.5, 1e-12));
        assert!(close(rates(-46.56).1, 2.0, 1e-12));
    }

    #[test]
    fn steady_after_init() {
        for v in [-80.0, -40.0, 0.0] {
            assert_steady(Box::new(SKv31::new(vec![0])), v, &["m"]);
        }
    }

    #[test]
    fn params() {
        assert_plumbing(Box::new(SKv31::new(vec![0, 1])), "gSKv3_1bar", 1e-5);
    }

    #[test]
    fn rate_table_is_accurate() {
        assert_table_accurate::<Kinetics>(&[0.0]);
        assert_table_matches_exact(|| SKv31::new(vec![0]), 2e-5);
    }
}

//! Functions of a concentration tabulated on a grid uniform in log2(x), for the calcium
//! pools' per-node, per-step work: SK's activation z_inf(cai) and the Nernst potential
//! of calcium, ln(cao / cai). Calling `exp` and `ln` for them cost more than all the
//! other channels of a node together (long chains of dependent divisions).
//!
//! The grid comes straight from the bits of a double: the exponent and the top
//! [`BITS`] bits of the mantissa pick one of 2^BITS buckets per octave, and the remaining
//! mantissa bits, read as a number t in [0, 1), place x within it (linearly in x). Each
//! bucket holds the cubic in t through f at t = 0, 1/3, 2/3, 1. With 128 buckets per
//! octave the interpolation error is below 1e-9 for both functions here (the tests
//! measure it); values off the grid (zero, negative, not finite, or outside the octaves
//! tabulated) come from the exact function.

use std::fmt;
use std::sync::OnceLock;

/// Mantissa bits that pick the bucket: 2^BITS buckets per octave.
pub const BITS: u32 = 7;

/// One bucket: the cubic's coefficients, lowest degree first (one 32-byte vector).
#[derive(Clone, Copy)]
#[repr(C, align(32))]
struct Cubic([f64; 4]);

/// A function of x > 0 tabulated over the octaves [2^emin, 2^emax).
#[derive(Clone)]
pub struct LogTable {
    /// Bits of the first bucket's index: ((emin + 1023) << BITS).
    base: u64,
    rows: Vec<Cubic>,
    exact: fn(f64) -> f64,
}

impl fmt::Debug for LogTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogTable").field("rows", &self.rows.len()).finish()
    }
}

/// t in [0, 1): where x lies within its bucket (the mantissa bits below the bucket's).
#[inline(always)]
fn within(bits: u64) -> f64 {
    f64::from_bits(0x3ff0_0000_0000_0000 | ((bits << BITS) & 0x000f_ffff_ffff_ffff)) - 1.0
}

impl LogTable {
    /// Tabulates `f` over [2^emin, 2^emax); `f` itself answers off that range.
    pub fn new(emin: i32, emax: i32, f: fn(f64) -> f64) -> LogTable {
        assert!(-1022 <= emin && emin < emax && emax <= 1023);
        let per = 1u64 << BITS;
        let n = (emax - emin) as u64 * per;
        let mut rows = Vec::with_capacity(n as usize);
        for k in 0..n {
            let e = emin + (k >> BITS) as i32;
            let j = (k & (per - 1)) as f64;
            let scale = 2f64.powi(e);
            let x = |t: f64| scale * (1.0 + (j + t) / per as f64);
            let [f0, f1, f2, f3] = [0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0].map(|t| f(x(t)));
            // Newton's forward differences with step 1/3, in powers of t.
            let (d1, d2, d3) = (f1 - f0, f2 - 2.0 * f1 + f0, f3 - 3.0 * f2 + 3.0 * f1 - f0);
            rows.push(Cubic([f0, 3.0 * (d1 - d2 / 2.0 + d3 / 3.0), 9.0 * (d2 / 2.0 - d3 / 2.0), 4.5 * d3]));
        }
        LogTable { base: ((emin + 1023) as u64) << BITS, rows, exact: f }
    }

    /// f(x): interpolated on the grid, exact off it.
    #[inline(always)]
    pub fn get(&self, x: f64) -> f64 {
        let bits = x.to_bits();
        // Negative x (sign bit), NaN and infinities land far beyond the rows, as do
        // octaves outside the range.
        let k = (bits >> (52 - BITS)).wrapping_sub(self.base);
        if k >= self.rows.len() as u64 {
            return self.off_grid(x);
        }
        let t = within(bits);
        // SAFETY: k < rows.len() (checked above).
        let c = unsafe { &self.rows.get_unchecked(k as usize).0 };
        c[0] + t * (c[1] + t * (c[2] + t * c[3]))
    }
}

impl LogTable {
    /// Bits of the first bucket's index, the number of buckets and the first bucket, for
    /// the vector lookup (simd.rs).
    pub(crate) fn raw(&self) -> (u64, usize, *const [f64; 4]) {
        (self.base, self.rows.len(), self.rows.as_ptr() as *const [f64; 4])
    }

    #[cold]
    #[inline(never)]
    fn off_grid(&self, x: f64) -> f64 {
        (self.exact)(x)
    }
}

/// ln x over [2^-40, 2^10): what the Nernst potential of calcium needs.
pub fn ln_table() -> &'static LogTable {
    static TABLE: OnceLock<LogTable> = OnceLock::new();
    TABLE.get_or_init(|| LogTable::new(-40, 10, f64::ln))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Largest absolute error of `t` against `f` over `lo..hi`, sampled densely in log x
    /// and at every bucket edge.
    fn worst(t: &LogTable, f: fn(f64) -> f64, lo: f64, hi: f64) -> f64 {
        let mut w = 0.0f64;
        let n = 400_000;
        for k in 0..=n {
            let x = lo * (hi / lo).powf(k as f64 / n as f64);
            for y in [x, f64::from_bits(x.to_bits() & !((1u64 << (52 - BITS)) - 1))] {
                if y >= lo && y < hi {
                    w = w.max((t.get(y) - f(y)).abs());
                }
            }
        }
        w
    }

    #[test]
    fn ln_is_within_1e_10() {
        let t = ln_table();
        let w = worst(t, f64::ln, 2f64.powi(-40), 1000.0);
        eprintln!("ln table: worst absolute error {w:e}");
        assert!(w < 1e-10, "{w:e}");
        // Bucket edges are exact up to rounding.
        for x in [1.0, 2.0, 0.5, 1.0078125, 2f64.powi(-30)] {
            assert!((t.get(x) - x.ln()).abs() < 1e-14, "{x}");
        }
    }

    #[test]
    fn off_the_grid_is_exact() {
        let t = ln_table();
        for x in [0.0, -1.0, 1e-300, 5e-324, 1e10, f64::INFINITY] {
            let (a, b) = (t.get(x), x.ln());
            assert!(a == b || (a.is_nan() && b.is_nan()), "{x}: {a} vs {b}");
        }
        assert!(t.get(f64::NAN).is_nan());
        assert!(t.get(-0.0) == f64::NEG_INFINITY);
    }
}

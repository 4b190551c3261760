//! Rate tables for the state update of voltage-gated channels: for v on a 0.05 mV grid
//! over -100..100 mV, a row of W numbers (typically each gate's steady state and its
//! cnexp factor 1 - exp(-dt/tau)), interpolated linearly between grid points. NEURON
//! tabulates hh this way (1 mV steps by default); this grid is 20 times finer, so the
//! interpolated values differ from the exact functions by less than 1e-5 for every
//! channel here (each channel's tests check it). Voltages off the grid get `None`, and
//! the caller computes them exactly.
//!
//! A table is built for a key (what its rows depend on besides v: dt, the temperature)
//! and rebuilt only when the key changes, reusing its memory: after the first build,
//! nothing allocates.

use std::fmt;

/// Lowest tabulated voltage (mV).
pub const VMIN: f64 = -100.0;
/// Highest tabulated voltage (mV).
pub const VMAX: f64 = 100.0;
/// Grid points per mV: a 0.05 mV step.
pub const PER_MV: f64 = 20.0;
/// Number of grid points, VMIN and VMAX included.
pub const POINTS: usize = ((VMAX - VMIN) * PER_MV) as usize + 1;

/// One row of a table, aligned so that a row of 4 values is one 32-byte vector.
#[derive(Clone, Copy)]
#[repr(C, align(32))]
struct Row<const W: usize>([f64; W]);

/// A table of `W` values per grid voltage, built for a key `K`.
#[derive(Clone)]
pub struct RateTable<K, const W: usize> {
    key: Option<K>,
    rows: Vec<Row<W>>,
}

impl<K, const W: usize> fmt::Debug for RateTable<K, W>
where
    K: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateTable").field("key", &self.key).field("rows", &self.rows.len()).finish()
    }
}

impl<K: Copy + PartialEq, const W: usize> Default for RateTable<K, W> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Copy + PartialEq, const W: usize> RateTable<K, W> {
    /// An empty table (nothing allocated until the first [`RateTable::ensure`]).
    pub const fn new() -> Self {
        RateTable { key: None, rows: Vec::new() }
    }

    /// Voltage (mV) of grid point `k`: exact for every whole or half mV (k / 20 is
    /// correctly rounded, so e.g. -38 mV is tabulated at -38.0 itself).
    #[inline]
    pub fn grid_v(k: usize) -> f64 {
        VMIN + k as f64 / PER_MV
    }

    /// The key the table was last built for.
    pub fn key(&self) -> Option<K> {
        self.key
    }

    /// Builds the rows from `row(v)` if the table was never built or `key` differs from
    /// the one it was built for. Returns whether it (re)built. Only the first build
    /// allocates.
    pub fn ensure(&mut self, key: K, mut row: impl FnMut(f64) -> [f64; W]) -> bool {
        if self.key == Some(key) {
            return false;
        }
        self.rows.resize(POINTS, Row([0.0; W]));
        for (k, r) in self.rows.iter_mut().enumerate() {
            *r = Row(row(Self::grid_v(k)));
        }
        self.key = Some(key);
        true
    }

    /// The row at `v` (mV), interpolated linearly; `None` off the grid (below VMIN, at or
    /// above VMAX, NaN) or before the first build. On a grid point it is that row
    /// exactly.
    #[inline(always)]
    pub fn get(&self, v: f64) -> Option<[f64; W]> {
        let x = (v - VMIN) * PER_MV;
        if !(x >= 0.0 && x < (POINTS - 1) as f64) || self.rows.len() != POINTS {
            return None;
        }
        // SAFETY: 0 <= x < POINTS - 1 fits an i32 (a plain truncating conversion, without
        // the saturating checks of `as`), and k + 1 < POINTS = rows.len().
        let k = unsafe { x.to_int_unchecked::<i32>() };
        let f = x - k as f64;
        let k = k as usize;
        let (a, b) = unsafe { (&self.rows.get_unchecked(k).0, &self.rows.get_unchecked(k + 1).0) };
        let mut out = [0.0; W];
        for j in 0..W {
            out[j] = a[j] + f * (b[j] - a[j]);
        }
        Some(out)
    }

    /// The row at `v`: interpolated on the grid, `exact(v)` off it.
    #[inline(always)]
    pub fn lookup(&self, v: f64, exact: impl FnOnce(f64) -> [f64; W]) -> [f64; W] {
        match self.get(v) {
            Some(r) => r,
            None => exact(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(v: f64) -> [f64; 2] {
        [1.0 / (1.0 + (-v / 7.0).exp()), v * v]
    }

    #[test]
    fn grid_covers_minus_100_to_100_in_0_05_mv_steps() {
        assert_eq!(POINTS, 4001);
        assert_eq!(RateTable::<f64, 2>::grid_v(0), -100.0);
        assert_eq!(RateTable::<f64, 2>::grid_v(POINTS - 1), 100.0);
        assert_eq!(RateTable::<f64, 2>::grid_v(1240), -38.0);
        assert_eq!(RateTable::<f64, 2>::grid_v(1), -99.95);
    }

    #[test]
    fn grid_points_are_exact_and_between_them_linear() {
        let mut t = RateTable::<f64, 2>::new();
        assert_eq!(t.get(0.0), None, "not built yet");
        assert!(t.ensure(0.025, row));
        for v in [-100.0, -65.0, -38.0, -0.5, 0.0, 12.25, 99.5] {
            assert_eq!(t.get(v), Some(row(v)), "{v}");
        }
        // Half way between two grid points: the mean of the two rows.
        let got = t.get(10.025).unwrap();
        let (a, b) = (row(10.0), row(10.05));
        for j in 0..2 {
            assert!((got[j] - (a[j] + b[j]) / 2.0).abs() < 1e-12);
        }
        // v^2 is convex: linear interpolation overestimates by at most step^2/4.
        assert!(got[1] - 10.025f64.powi(2) <= 0.05f64.powi(2) / 4.0 + 1e-12);
    }

    #[test]
    fn off_the_grid_is_exact() {
        let mut t = RateTable::<f64, 2>::new();
        t.ensure(0.025, row);
        for v in [-100.0001, 100.0, 150.0, -1e9, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(t.get(v), None, "{v}");
            assert_eq!(t.lookup(v, row), row(v), "{v}");
        }
        assert_eq!(t.get(f64::NAN), None);
        assert!(t.lookup(f64::NAN, row)[0].is_nan());
    }

    #[test]
    fn rebuilds_only_when_the_key_changes_and_reuses_its_memory() {
        let mut t = RateTable::<(f64, f64), 2>::new();
        let mut calls = 0;
        assert!(t.ensure((0.025, 6.3), |v| {
            calls += 1;
            row(v)
        }));
        assert_eq!(calls, POINTS);
        let ptr = t.rows.as_ptr() as usize;
        assert!(!t.ensure((0.025, 6.3), |_| panic!("no rebuild for the same key")));
        assert!(t.ensure((0.025, 16.3), |v| [row(v)[0], 2.0]));
        assert_eq!(t.rows.as_ptr() as usize, ptr, "rebuilt in place");
        assert_eq!(t.get(3.0).unwrap()[1], 2.0);
        assert_eq!(t.key(), Some((0.025, 16.3)));
        assert_eq!(t.rows.capacity(), POINTS);
    }
}

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

/// One row of a table: the values at its grid voltage and their differences to the next
/// row's (the interpolation's slopes, computed once: `a + f * d` is then bit for bit the
/// `a + f * (b - a)` of two rows), in one 64-byte cache line for 4 values.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub struct Row<const W: usize> {
    a: [f64; W],
    d: [f64; W],
}

impl<const W: usize> Row<W> {
    /// Value `j` interpolated at fraction `f` of the way to the next row.
    #[inline(always)]
    pub fn at(&self, j: usize, f: f64) -> f64 {
        self.a[j] + f * self.d[j]
    }
}

/// The rows of a built table, for hot loops: [`Rows::row`] checks only the index.
#[derive(Clone, Copy)]
pub struct Rows<'a, const W: usize>(&'a [Row<W>]);

impl<'a, const W: usize> Rows<'a, W> {
    /// The first row; there are [`POINTS`] of them.
    #[inline(always)]
    pub fn as_ptr(&self) -> *const Row<W> {
        self.0.as_ptr()
    }
    /// The row below grid position `k` (from [`locate`] or a [`VoltageGrid`]), or `None`
    /// for [`OFF_GRID`].
    #[inline(always)]
    pub fn row(&self, k: u32) -> Option<&'a Row<W>> {
        let k = k as usize;
        if k < POINTS - 1 {
            // SAFETY: a `Rows` holds POINTS rows (see `RateTable::rows`).
            Some(unsafe { self.0.get_unchecked(k) })
        } else {
            None
        }
    }
}

/// Where a voltage lies on the grid: the row below it and the fraction of the way to the
/// next one, or `None` off the grid (below VMIN, at or above VMAX, NaN).
#[inline(always)]
pub fn locate(v: f64) -> Option<(u32, f64)> {
    let x = (v - VMIN) * PER_MV;
    if !(x >= 0.0 && x < (POINTS - 1) as f64) {
        return None;
    }
    // SAFETY: 0 <= x < POINTS - 1 fits an i32 (a plain truncating conversion, without
    // the saturating checks of `as`).
    let k = unsafe { x.to_int_unchecked::<i32>() };
    Some((k as u32, x - k as f64))
}

/// Row index of an off-grid voltage in a [`VoltageGrid`].
pub const OFF_GRID: u32 = u32::MAX;

/// Every node's position on the grid ([`locate`]), computed once per step for all the
/// tabulated mechanisms instead of once per mechanism.
#[derive(Debug, Clone, Default)]
pub struct VoltageGrid {
    k: Vec<u32>,
    f: Vec<f64>,
}

impl VoltageGrid {
    /// Positions of the voltages `v`.
    pub fn update(&mut self, v: &[f64]) {
        self.k.resize(v.len(), OFF_GRID);
        self.f.resize(v.len(), 0.0);
        for ((k, f), &v) in self.k.iter_mut().zip(self.f.iter_mut()).zip(v) {
            (*k, *f) = match locate(v) {
                Some(p) => p,
                None => (OFF_GRID, 0.0),
            };
        }
    }
    /// `v += c dv`, then the positions of the new voltages: the engine's voltage update
    /// and [`VoltageGrid::update`] in one pass, written without branches so that it
    /// vectorises. The same numbers as [`locate`].
    pub fn add_and_update(&mut self, v: &mut [f64], dv: &[f64], c: f64) {
        #[cfg(target_arch = "x86_64")]
        if super::avx2() {
            // SAFETY: the processor has AVX2 (checked at run time).
            return unsafe { self.add_and_update_avx2(v, dv, c) };
        }
        self.add_and_update_body(v, dv, c);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn add_and_update_avx2(&mut self, v: &mut [f64], dv: &[f64], c: f64) {
        self.add_and_update_body(v, dv, c);
    }

    #[inline(always)]
    fn add_and_update_body(&mut self, v: &mut [f64], dv: &[f64], c: f64) {
        let n = v.len();
        self.k.resize(n, OFF_GRID);
        self.f.resize(n, 0.0);
        let (dv, k_out, f_out) = (&dv[..n], &mut self.k[..n], &mut self.f[..n]);
        for i in 0..n {
            let x = v[i] + c * dv[i];
            v[i] = x;
            let g = (x - VMIN) * PER_MV;
            let inside = g >= 0.0 && g < (POINTS - 1) as f64;
            let gc = if inside { g } else { 0.0 };
            // SAFETY: 0 <= gc < POINTS - 1 fits an i32.
            let k = unsafe { gc.to_int_unchecked::<i32>() };
            k_out[i] = if inside { k as u32 } else { OFF_GRID };
            f_out[i] = if inside { gc - k as f64 } else { 0.0 };
        }
    }
    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.k.len()
    }
    pub fn is_empty(&self) -> bool {
        self.k.is_empty()
    }
    /// Row and fraction of node `node` ([`OFF_GRID`] off the grid).
    #[inline(always)]
    pub fn at(&self, node: usize) -> (u32, f64) {
        (self.k[node], self.f[node])
    }
    /// Rows and fractions of the nodes in `nodes`.
    #[inline(always)]
    pub fn range(&self, nodes: std::ops::Range<usize>) -> (&[u32], &[f64]) {
        (&self.k[nodes.clone()], &self.f[nodes])
    }
    /// [`VoltageGrid::at`] without the bounds check.
    ///
    /// # Safety
    /// `node < self.len()`.
    #[inline(always)]
    pub unsafe fn at_unchecked(&self, node: usize) -> (u32, f64) {
        unsafe { (*self.k.get_unchecked(node), *self.f.get_unchecked(node)) }
    }
}

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
        self.rows.resize(POINTS, Row { a: [0.0; W], d: [0.0; W] });
        for (k, r) in self.rows.iter_mut().enumerate() {
            r.a = row(Self::grid_v(k));
        }
        for k in 0..POINTS - 1 {
            let next = self.rows[k + 1].a;
            let r = &mut self.rows[k];
            for j in 0..W {
                r.d[j] = next[j] - r.a[j];
            }
        }
        self.key = Some(key);
        true
    }

    /// The row at `v` (mV), interpolated linearly; `None` off the grid (below VMIN, at or
    /// above VMAX, NaN) or before the first build. On a grid point it is that row
    /// exactly.
    #[inline(always)]
    pub fn get(&self, v: f64) -> Option<[f64; W]> {
        let (k, f) = locate(v)?;
        self.get_at(k, f)
    }

    /// The rows, once the table is built.
    #[inline(always)]
    pub fn rows(&self) -> Option<Rows<'_, W>> {
        (self.rows.len() == POINTS).then_some(Rows(&self.rows))
    }

    /// The row at grid position (`k`, `f`) from [`locate`] or a [`VoltageGrid`]: `None`
    /// for [`OFF_GRID`] or before the first build.
    #[inline(always)]
    pub fn get_at(&self, k: u32, f: f64) -> Option<[f64; W]> {
        let k = k as usize;
        if k >= POINTS - 1 || self.rows.len() != POINTS {
            return None;
        }
        // SAFETY: k < POINTS = rows.len().
        let r = unsafe { self.rows.get_unchecked(k) };
        let mut out = [0.0; W];
        for j in 0..W {
            out[j] = r.a[j] + f * r.d[j];
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
    fn the_voltage_grid_gives_the_same_rows() {
        let mut t = RateTable::<f64, 2>::new();
        t.ensure(0.025, row);
        let v = [-100.0, -99.99, -65.3, 0.0, 12.345, 99.97, 100.0, 150.0, f64::NAN, -1e9];
        let mut grid = VoltageGrid::default();
        grid.update(&v);
        assert_eq!(grid.len(), v.len());
        // The fused update gives the same positions.
        let mut w: Vec<f64> = v.iter().map(|x| x - 1.5).collect();
        let mut fused = VoltageGrid::default();
        fused.add_and_update(&mut w, &vec![1.0; v.len()], 1.5);
        for n in 0..v.len() {
            assert!(w[n] == v[n] || (w[n].is_nan() && v[n].is_nan()) || v[n].abs() > 1e8);
            if w[n] == v[n] {
                assert_eq!(fused.at(n), grid.at(n), "{}", v[n]);
            }
        }
        for (n, &x) in v.iter().enumerate() {
            let (k, f) = grid.at(n);
            assert_eq!(t.get_at(k, f), t.get(x), "{x}");
            assert_eq!(k == OFF_GRID, locate(x).is_none(), "{x}");
        }
        // Interpolation through the stored differences equals a + f (b - a).
        let (k, f) = locate(12.345).unwrap();
        let (a, b) =
            (row(RateTable::<f64, 2>::grid_v(k as usize)), row(RateTable::<f64, 2>::grid_v(k as usize + 1)));
        let got = t.get(12.345).unwrap();
        for j in 0..2 {
            assert_eq!(got[j], a[j] + f * (b[j] - a[j]));
        }
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

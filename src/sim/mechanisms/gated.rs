//! One Hodgkin-Huxley-style gated channel, generic over its kinetics: the Hay et al.
//! 2011 channels (NaTa_t, NaTs2_t, Nap_Et2, K_Tst, K_Pst, SKv3_1, Im, Ca_HVA,
//! Ca_LVAst, Ih) differ only in their rate functions and a few constants, which each
//! channel's file gives by implementing [`GateKinetics`]; [`Gated`] does the rest once.
//!
//! - INITIAL: each gate at its steady state, x = x_inf(v).
//! - BREAKPOINT: g = gbar m^M h^H (S/cm2), i = g (v - e) (mA/cm2), with slope
//!   conductance di/dv = g; e is ena, ek, eca (and i is added to `ions.ica`) or a
//!   parameter of the channel (Ih's ehcn).
//! - DERIVATIVE, cnexp: x += (1 - exp(-dt/tau)) (x_inf - x).
//!
//! With `usetable` (the default) x_inf and 1 - exp(-dt/tau) come from a
//! [`RateTable`] (0.05 mV grid, within 1e-5 of the exact values, exact off the grid),
//! rebuilt when dt changes, in INITIAL as in the state update, as NEURON's TABLE does;
//! without it, the rate functions are evaluated exactly every step.

use std::fmt;
use std::marker::PhantomData;

use super::layout::Layout;
use super::params::{Named, Param, Range, Specified, Table, mechanism_tables};
use super::rate_table::{OFF_GRID, RateTable, Rows, VoltageGrid, locate};
use super::{Env, Ions, Mechanism, cnexp};

/// The reversal potential a channel's current is driven by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reversal {
    /// `ions.ena`.
    Na,
    /// `ions.ek`.
    K,
    /// `ions.eca`; the current is also added to `ions.ica`.
    Ca,
    /// A parameter of the channel, by index in [`GateKinetics::PARAMS`] (a nonspecific
    /// current, e.g. Ih's `ehcn`).
    Param(usize),
}

/// The second gate of a channel that has only one (H = 0): x_inf = 1, tau = infinity
/// (it never moves and is never used).
pub const NO_GATE: (f64, f64) = (1.0, f64::INFINITY);

/// What makes a channel: its names, exponents, reversal and rate functions.
pub trait GateKinetics: fmt::Debug + Clone + Send + Sync + 'static {
    /// NEURON's SUFFIX, e.g. `NaTa_t`.
    const NAME: &'static str;
    /// The parameters (name, unit, default, bounds): the maximal conductance first
    /// (S/cm2, not negative; `gbar` is accepted for it too), then any others (any finite
    /// value). The one description of each: the catalogue lists these.
    const PARAMS: &'static [Param];
    /// Recordable states: `m`, then `h` where H > 0, then the current (mA/cm2, e.g.
    /// `ina`), then the conductance (S/cm2, e.g. `gNaTa_t`; `g` is accepted for it too).
    const STATES: &'static [&'static str];
    /// Exponent of the first gate m (at least 1).
    const M: u32;
    /// Exponent of the second gate h (0: no second gate).
    const H: u32;
    /// What drives the current.
    const REVERSAL: Reversal;
    /// Index in [`GateKinetics::PARAMS`] of a parameter that shifts both rate curves
    /// along v (Ih's `vshift`), such that `rates(v + s, s) == rates(v, 0)` up to
    /// rounding; one table then serves every value, looked up at v - s.
    const SHIFT: Option<usize> = None;

    /// Steady states and time constants (ms) of m and h at `v` (mV), given the value of
    /// the [`GateKinetics::SHIFT`] parameter (0 where there is none):
    /// `[(minf, mtau), (hinf, htau)]`, with [`NO_GATE`] for a missing h.
    fn rates(v: f64, shift: f64) -> [(f64, f64); 2];
}

/// Per-node parameters of a [`Gated`] channel: one column per [`GateKinetics::PARAMS`],
/// by storage position ([`Layout`]).
#[derive(Debug, Clone)]
pub struct Params<K> {
    cols: Vec<Vec<f64>>,
    _k: PhantomData<K>,
}

impl<K: GateKinetics> Params<K> {
    /// Defaults over the positions of `layout`; the padding has zero conductance.
    fn new(layout: &Layout) -> Self {
        let cols = K::PARAMS
            .iter()
            .enumerate()
            .map(|(j, p)| layout.column(p.default, if j == 0 { 0.0 } else { p.default }))
            .collect();
        Params { cols, _k: PhantomData }
    }

    fn index(name: &str) -> Option<usize> {
        if name == "gbar" { Some(0) } else { K::PARAMS.iter().position(|p| p.name == name) }
    }

    /// The maximal conductance (S/cm2), per storage position ([`Layout`]).
    pub fn gbar(&self) -> &[f64] {
        &self.cols[0]
    }
}

impl<K: GateKinetics> Specified for Params<K> {
    fn params(&self) -> &'static [Param] {
        K::PARAMS
    }
}

impl<K: GateKinetics> Table for Params<K> {
    fn known(&self) -> Vec<&'static str> {
        K::PARAMS.iter().map(|p| p.name).collect()
    }
    fn column(&self, name: &str) -> Option<&[f64]> {
        Self::index(name).map(|j| &self.cols[j][..])
    }
    fn column_mut(&mut self, name: &str) -> Option<(&mut [f64], Range)> {
        let j = Self::index(name)?;
        Some((&mut self.cols[j][..], if j == 0 { Range::NonNegative } else { Range::Any }))
    }
}

/// Per-node recordable states of a [`Gated`] channel, by storage position ([`Layout`]).
#[derive(Debug, Clone)]
pub struct States<K> {
    /// First gate (1).
    pub m: Vec<f64>,
    /// Second gate (1); empty where H = 0.
    pub h: Vec<f64>,
    /// Latest current (mA/cm2).
    pub i: Vec<f64>,
    /// Latest conductance (S/cm2).
    pub g: Vec<f64>,
    /// Whether the current phase fills `i` and `g` ([`Mechanism::keep_currents`]).
    keep: bool,
    _k: PhantomData<K>,
}

impl<K: GateKinetics> States<K> {
    fn new(n: usize) -> Self {
        let h = if K::H > 0 { vec![0.0; n] } else { Vec::new() };
        States { m: vec![0.0; n], h, i: vec![0.0; n], g: vec![0.0; n], keep: true, _k: PhantomData }
    }

    /// Which of m, h, i, g (0..4) a state name means.
    fn index(name: &str) -> Option<usize> {
        let last = K::STATES.len() - 1;
        let j = if name == "g" { last } else { K::STATES.iter().position(|&s| s == name)? };
        Some(match j {
            0 => 0,
            _ if j == last => 3,
            _ if j == last - 1 => 2,
            _ => 1,
        })
    }
}

impl<K: GateKinetics> Named for States<K> {
    fn names(&self) -> &'static [&'static str] {
        K::STATES
    }
}

impl<K: GateKinetics> Table for States<K> {
    fn known(&self) -> Vec<&'static str> {
        K::STATES.to_vec()
    }
    fn column(&self, name: &str) -> Option<&[f64]> {
        let j = Self::index(name)?;
        if j >= 2 && !self.keep {
            return None;
        }
        Some([&self.m, &self.h, &self.i, &self.g][j])
    }
    fn column_mut(&mut self, name: &str) -> Option<(&mut [f64], Range)> {
        let col = match Self::index(name)? {
            0 => &mut self.m,
            1 => &mut self.h,
            2 => &mut self.i,
            _ => &mut self.g,
        };
        Some((col, Range::Any))
    }
}

/// A gated channel over a set of nodes, with kinetics `K`.
#[derive(Debug, Clone)]
pub struct Gated<K: GateKinetics> {
    layout: Layout,
    /// Use the rate table (default); false evaluates the rate functions exactly every
    /// step, like the mod files.
    pub usetable: bool,
    /// Parameters. After writing them directly (not through `set_param`), call
    /// [`Gated::refresh`].
    pub p: Params<K>,
    /// States.
    pub s: States<K>,
    /// Rows of [minf, mfac, hinf, hfac] at v - shift, for dt.
    table: RateTable<f64, 4>,
    /// Whether every node's shift parameter is 0 (the vector update needs it), found at
    /// the first step after a parameter changed.
    no_shift: Option<bool>,
}

/// g = gbar m^M h^H, multiplied in the mod files' order.
#[inline(always)]
fn conductance<K: GateKinetics>(gbar: f64, m: f64, h: f64) -> f64 {
    let g = match K::M {
        1 => gbar * m,
        2 => gbar * m * m,
        3 => gbar * m * m * m,
        4 => {
            let m2 = m * m;
            gbar * m2 * m2
        }
        p => gbar * m.powi(p as i32),
    };
    match K::H {
        0 => g,
        1 => g * h,
        q => g * h.powi(q as i32),
    }
}

/// Exact [minf, mfac, hinf, hfac] at `v` with shift `s` for step `dt`.
#[inline]
fn exact_row<K: GateKinetics>(v: f64, s: f64, dt: f64) -> [f64; 4] {
    let [(mi, mt), (hi, ht)] = K::rates(v, s);
    [mi, 1.0 - (-dt / mt).exp(), hi, 1.0 - (-dt / ht).exp()]
}

/// [minf, mfac, hinf, hfac] at `v` with shift `s`: from `table` (built for `dt`) at
/// v - s on its grid, exact off it.
#[inline(always)]
fn tabulated<K: GateKinetics>(table: &RateTable<f64, 4>, v: f64, s: f64, dt: f64) -> [f64; 4] {
    match table.get(v - s) {
        Some(r) => r,
        None => off_grid::<K>(v, s, dt),
    }
}

/// The gating update from the table's `rows` at grid positions (k, f) (or at v - shift
/// where the shift is not 0), exact off the grid: the plain loop beside simd::gates.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn gates_plain<K: GateKinetics>(
    rows: Rows<'_, 4>,
    (gk, gf): (&[u32], &[f64]),
    v: &[f64],
    shift: &[f64],
    m: &mut [f64],
    h: &mut [f64],
    dt: f64,
) {
    let len = gk.len();
    let (gf, v, m) = (&gf[..len], &v[..len], &mut m[..len]);
    let shift = if K::SHIFT.is_some() { &shift[..len] } else { shift };
    let h = if K::H > 0 { &mut h[..len] } else { h };
    for j in 0..len {
        let s = if K::SHIFT.is_some() { shift[j] } else { 0.0 };
        let (k, f) = if s == 0.0 { (gk[j], gf[j]) } else { locate(v[j] - s).unwrap_or((OFF_GRID, 0.0)) };
        // Scalars, not an array: they stay in registers.
        let (mi, mf, hi, hf);
        match rows.row(k) {
            Some(r) => {
                (mi, mf) = (r.at(0, f), r.at(1, f));
                (hi, hf) = if K::H > 0 { (r.at(2, f), r.at(3, f)) } else { (0.0, 0.0) };
            }
            None => [mi, mf, hi, hf] = off_grid::<K>(v[j], s, dt),
        }
        m[j] += mf * (mi - m[j]);
        if K::H > 0 {
            h[j] += hf * (hi - h[j]);
        }
    }
}

/// [`exact_row`], kept out of the hot loop.
#[cold]
#[inline(never)]
fn off_grid<K: GateKinetics>(v: f64, s: f64, dt: f64) -> [f64; 4] {
    exact_row::<K>(v, s, dt)
}

impl<K: GateKinetics> Gated<K> {
    /// Consistency of `K`'s constants, checked when the type is first used.
    const CHECK: () = {
        assert!(!K::PARAMS.is_empty(), "a maximal conductance");
        assert!(K::M >= 1, "at least one gate");
        assert!(K::STATES.len() == 3 + (K::H > 0) as usize, "m, [h], current, conductance");
        if let Reversal::Param(j) = K::REVERSAL {
            assert!(j > 0 && j < K::PARAMS.len(), "reversal parameter index");
        }
        if let Some(j) = K::SHIFT {
            assert!(j > 0 && j < K::PARAMS.len(), "shift parameter index");
        }
    };

    /// The channel over `nodes`, with the default parameters.
    pub fn new(nodes: Vec<u32>) -> Self {
        let () = Self::CHECK;
        let layout = Layout::new(nodes);
        let (p, s) = (Params::new(&layout), States::new(layout.width()));
        Gated { layout, usetable: true, p, s, table: RateTable::new(), no_shift: None }
    }

    /// Marks what was derived from the parameters stale (found again at the next step).
    pub fn refresh(&mut self) {
        self.no_shift = None;
    }

    /// Builds the table for `dt` if it is not built for it yet.
    fn ensure_table(&mut self, dt: f64) {
        self.table.ensure(dt, |u| exact_row::<K>(u, 0.0, dt));
    }
}

impl<K: GateKinetics> Mechanism for Gated<K> {
    mechanism_tables!(K::NAME, layout: layout, refresh);

    fn init(&mut self, v: &[f64], _ions: &mut Ions, env: &Env) {
        if self.usetable {
            self.ensure_table(env.dt);
        }
        assert!(self.layout.bound() <= v.len());
        // Every position, the padding too (its states are never used, but stay sane).
        for span in self.layout.spans() {
            for (nd, p) in span.nodes().zip(span.positions()) {
                let (vv, s) = (v[nd], if let Some(j) = K::SHIFT { self.p.cols[j][p] } else { 0.0 });
                let (mi, hi) = if self.usetable {
                    let [mi, _, hi, _] = tabulated::<K>(&self.table, vv, s, env.dt);
                    (mi, hi)
                } else {
                    let [(mi, _), (hi, _)] = K::rates(vv, s);
                    (mi, hi)
                };
                self.s.m[p] = mi;
                if K::H > 0 {
                    self.s.h[p] = hi;
                }
            }
        }
    }

    /// Over the spans, padding included (zero conductance there: it adds exactly 0):
    /// every array is a plain slice, and the loop vectorises (AVX2 where there is one).
    fn current(&mut self, v: &[f64], ions: &mut Ions, rhs: &mut [f64], d: &mut [f64], _env: &Env) {
        #[cfg(target_arch = "x86_64")]
        if super::avx2() {
            // SAFETY: the processor has AVX2 (checked at run time).
            return unsafe { self.current_avx2(v, ions, rhs, d) };
        }
        self.current_body(v, ions, rhs, d);
    }

    fn advance(&mut self, v: &[f64], _ions: &mut Ions, env: &Env) {
        self.step_states(v, None, env.dt);
    }

    fn advance_on_grid(&mut self, v: &[f64], grid: &VoltageGrid, _ions: &mut Ions, env: &Env) {
        self.step_states(v, Some(grid), env.dt);
    }

    fn keep_currents(&mut self, on: bool) {
        self.s.keep = on;
    }
}

impl<K: GateKinetics> Gated<K> {
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn current_avx2(&mut self, v: &[f64], ions: &mut Ions, rhs: &mut [f64], d: &mut [f64]) {
        self.current_body(v, ions, rhs, d);
    }

    #[inline(always)]
    fn current_body(&mut self, v: &[f64], ions: &mut Ions, rhs: &mut [f64], d: &mut [f64]) {
        if matches!(K::REVERSAL, Reversal::Ca) {
            ions.ica_written = true;
        }
        let Ions { ena, ek, eca, ica, .. } = ions;
        let e_ion: &[f64] = match K::REVERSAL {
            Reversal::Na => ena,
            Reversal::K => ek,
            Reversal::Ca => eca,
            Reversal::Param(_) => &[],
        };
        let p = &self.p;
        let s = &mut self.s;
        for span in self.layout.spans() {
            let (nd, ps) = (span.nodes(), span.positions());
            let (v, rhs, d) = (&v[nd.clone()], &mut rhs[nd.clone()], &mut d[nd.clone()]);
            let len = v.len();
            let gbar = &p.cols[0][ps.clone()];
            let m = &s.m[ps.clone()];
            let h = if K::H > 0 { &s.h[ps.clone()] } else { &[][..] };
            let (g_out, i_out) = (&mut s.g[ps.clone()], &mut s.i[ps.clone()]);
            let e: &[f64] = match K::REVERSAL {
                Reversal::Param(j) => &p.cols[j][ps.clone()],
                _ => &e_ion[nd.clone()],
            };
            let ica: &mut [f64] = if matches!(K::REVERSAL, Reversal::Ca) { &mut ica[nd] } else { &mut [] };
            // Equal lengths, so that the bounds checks fold away.
            let (gbar, m, e, g_out, i_out, rhs, d) = (
                &gbar[..len],
                &m[..len],
                &e[..len],
                &mut g_out[..len],
                &mut i_out[..len],
                &mut rhs[..len],
                &mut d[..len],
            );
            let h = if K::H > 0 { &h[..len] } else { h };
            let ica = if matches!(K::REVERSAL, Reversal::Ca) { &mut ica[..len] } else { ica };
            // The same loop twice, with and without the stores for `state`.
            if s.keep {
                for j in 0..len {
                    let g = conductance::<K>(gbar[j], m[j], if K::H > 0 { h[j] } else { 1.0 });
                    let i = g * (v[j] - e[j]);
                    g_out[j] = g;
                    i_out[j] = i;
                    if matches!(K::REVERSAL, Reversal::Ca) {
                        ica[j] += i;
                    }
                    rhs[j] -= i;
                    d[j] += g;
                }
            } else {
                for j in 0..len {
                    let g = conductance::<K>(gbar[j], m[j], if K::H > 0 { h[j] } else { 1.0 });
                    let i = g * (v[j] - e[j]);
                    if matches!(K::REVERSAL, Reversal::Ca) {
                        ica[j] += i;
                    }
                    rhs[j] -= i;
                    d[j] += g;
                }
            }
        }
    }

    /// The state update over the runs (the channel's own nodes), locating each voltage on
    /// the table's grid itself or reading its position from `grid` (the same numbers
    /// either way).
    #[inline(always)]
    fn step_states(&mut self, v: &[f64], grid: Option<&VoltageGrid>, dt: f64) {
        if self.usetable {
            self.ensure_table(dt);
        }
        let table = &self.table;
        let shift_col: &[f64] = match K::SHIFT {
            Some(j) => &self.p.cols[j],
            None => &[],
        };
        let grid = grid.filter(|g| self.usetable && g.len() >= v.len());
        let rows = table.rows().filter(|_| self.usetable);
        let no_shift = *self.no_shift.get_or_insert_with(|| shift_col.iter().all(|&s| s == 0.0));
        // The vector loop runs over whole spans, padding included (its states are never
        // read): runs are only a few nodes long. The plain loop skips the padding.
        let wide = grid.is_some() && rows.is_some() && super::avx2();
        let runs = if wide { self.layout.spans() } else { self.layout.runs() };
        for run in runs {
            let (nd, ps) = (run.nodes(), run.positions());
            let v = &v[nd.clone()];
            let len = v.len();
            let m = &mut self.s.m[ps.clone()][..len];
            let h: &mut [f64] = if K::H > 0 { &mut self.s.h[ps.clone()][..len] } else { &mut [] };
            let shift: &[f64] = if K::SHIFT.is_some() { &shift_col[ps][..len] } else { &[] };
            match (grid, rows) {
                (Some(grid), Some(rows)) => {
                    let (gk, gf) = grid.range(nd);
                    let (gk, gf) = (&gk[..len], &gf[..len]);
                    // Four nodes at a time with AVX2 (simd.rs), where no shift moves
                    // the lookup off the shared grid; the plain loop takes the rest.
                    let wide = wide && no_shift;
                    let mut j = 0;
                    while j < len {
                        #[cfg(target_arch = "x86_64")]
                        if wide {
                            // SAFETY: the processor has AVX2; the slices have len - j
                            // elements or more.
                            j += unsafe {
                                if K::H > 0 {
                                    super::simd::gates::<4, 2>(
                                        rows,
                                        &gk[j..],
                                        &gf[j..],
                                        [&mut m[j..], &mut h[j..]],
                                    )
                                } else {
                                    super::simd::gates::<4, 1>(rows, &gk[j..], &gf[j..], [&mut m[j..]])
                                }
                            };
                        }
                        let end = if wide { (j + 4).min(len) } else { len };
                        let sh: &[f64] = if K::SHIFT.is_some() { &shift[j..end] } else { &[] };
                        let hh: &mut [f64] = if K::H > 0 { &mut h[j..end] } else { &mut [] };
                        gates_plain::<K>(
                            rows,
                            (&gk[j..end], &gf[j..end]),
                            &v[j..end],
                            sh,
                            &mut m[j..end],
                            hh,
                            dt,
                        );
                        j = end;
                    }
                }
                _ if self.usetable => {
                    for j in 0..len {
                        let s = if K::SHIFT.is_some() { shift[j] } else { 0.0 };
                        let [mi, mf, hi, hf] = tabulated::<K>(table, v[j], s, dt);
                        m[j] += mf * (mi - m[j]);
                        if K::H > 0 {
                            h[j] += hf * (hi - h[j]);
                        }
                    }
                }
                _ => {
                    for j in 0..len {
                        let s = if K::SHIFT.is_some() { shift[j] } else { 0.0 };
                        let [(mi, mt), (hi, ht)] = K::rates(v[j], s);
                        m[j] = cnexp(m[j], mi, mt, dt);
                        if K::H > 0 {
                            h[j] = cnexp(h[j], hi, ht, dt);
                        }
                    }
                }
            }
        }
    }
}

/// Checks shared by the channels' tests.
#[cfg(test)]
pub mod testing {
    use super::super::params::testing::{assert_steady, env};
    use super::*;

    /// The table agrees with the exact rates to 1e-5 in every x_inf and every
    /// 1 - exp(-dt/tau), at dt 0.025 and 0.1 ms, over the grid (every 0.0137 mV) and at
    /// its edges, for each shift in `shifts`; and it is exact off the grid.
    pub fn assert_table_accurate<K: GateKinetics>(shifts: &[f64]) {
        for dt in [0.025, 0.1] {
            let mut c = Gated::<K>::new(vec![0]);
            c.ensure_table(dt);
            for &s in shifts {
                let mut worst = (0.0f64, 0.0);
                let mut v = -100.0 + s;
                while v <= 100.0 + s {
                    let (exact, got) = (exact_row::<K>(v, s, dt), tabulated::<K>(&c.table, v, s, dt));
                    for j in 0..4 {
                        let err = (exact[j] - got[j]).abs();
                        assert!(err.is_finite(), "{} at {v} mV: {exact:?} vs {got:?}", K::NAME);
                        if err > worst.0 {
                            worst = (err, v);
                        }
                    }
                    v += 0.0137;
                }
                assert!(worst.0 < 1e-5, "{} (dt {dt}, shift {s}): {:e} at {} mV", K::NAME, worst.0, worst.1);
                for v in [-150.0, 100.0 + s, 120.0, f64::NAN] {
                    let (exact, got) = (exact_row::<K>(v, s, dt), tabulated::<K>(&c.table, v, s, dt));
                    for j in 0..4 {
                        assert!(exact[j] == got[j] || (exact[j].is_nan() && got[j].is_nan()), "{v}");
                    }
                }
            }
        }
    }

    /// With and without the table, the channel stays steady after init (to 1e-12), and
    /// over a voltage sweep (-80..30 mV, 100 ms) its gates stay within `tol` of the exact
    /// ones; the table is built once. Returns the largest difference seen.
    pub fn assert_table_matches_exact<K: GateKinetics>(make: impl Fn() -> Gated<K>, tol: f64) -> f64 {
        let gates: &[&str] = if K::H > 0 { &["m", "h"] } else { &["m"] };
        for v in [-80.0, -65.3, -40.0, 0.0, 30.0] {
            let mut exact = make();
            exact.usetable = false;
            assert_steady(Box::new(exact), v, gates);
            assert_steady(Box::new(make()), v, gates);
        }
        let (mut a, mut b) = (make(), make());
        b.usetable = false;
        let e = env();
        let mut ions = super::super::Ions::new(1);
        let v0 = [-80.0];
        a.init(&v0, &mut ions, &e);
        b.init(&v0, &mut ions, &e);
        let (mut rhs, mut d) = ([0.0], [0.0]);
        let mut worst = 0.0f64;
        for step in 1..=4000 {
            let t = step as f64 * e.dt;
            let v = [-80.0 + 110.0 * (t / 15.0).sin().powi(2)];
            a.current(&v, &mut ions, &mut rhs, &mut d, &e);
            b.current(&v, &mut ions, &mut rhs, &mut d, &e);
            a.advance(&v, &mut ions, &e);
            b.advance(&v, &mut ions, &e);
            for name in gates {
                let (x, y) = (a.state(name, 0).unwrap(), b.state(name, 0).unwrap());
                worst = worst.max((x - y).abs());
                assert!((x - y).abs() <= tol, "{} {name} at step {step}: {x} vs {y}", K::NAME);
            }
        }
        assert_eq!(a.table.key(), Some(e.dt));
        worst
    }
}

#[cfg(test)]
mod tests {
    use super::super::params::testing::{assert_plumbing, env};
    use super::super::params::{g, mv, names_of};
    use super::super::{catalogue, create};
    use super::*;

    /// A made-up channel exercising what the Hay channels do not: h^2, m^5.
    #[derive(Debug, Clone)]
    struct Odd;
    impl GateKinetics for Odd {
        const NAME: &'static str = "odd";
        const PARAMS: &'static [Param] = &[g("godd", 0.1), mv("eodd", 10.0)];
        const STATES: &'static [&'static str] = &["m", "h", "iodd", "godd_"];
        const M: u32 = 5;
        const H: u32 = 2;
        const REVERSAL: Reversal = Reversal::Param(1);
        fn rates(v: f64, _shift: f64) -> [(f64, f64); 2] {
            [(1.0 / (1.0 + (-v / 10.0).exp()), 1.0), (1.0 / (1.0 + (v / 10.0).exp()), 5.0)]
        }
    }

    #[test]
    fn current_is_gbar_m_to_the_m_h_to_the_h() {
        let mut c = Gated::<Odd>::new(vec![0]);
        c.usetable = false;
        let v = [-20.0];
        let mut ions = Ions::new(1);
        let e = env();
        c.init(&v, &mut ions, &e);
        let (mut rhs, mut d) = ([1.0], [2.0]);
        c.current(&v, &mut ions, &mut rhs, &mut d, &e);
        let [(m, _), (h, _)] = Odd::rates(-20.0, 0.0);
        let g = 0.1 * m.powi(5) * h * h;
        assert!((d[0] - 2.0 - g).abs() < 1e-15);
        assert!((rhs[0] - 1.0 + g * (-20.0 - 10.0)).abs() < 1e-15);
        assert_eq!(c.state("g", 0), c.state("godd_", 0));
        let g = c.state("g", 0).unwrap();
        assert_eq!(c.state("iodd", 0), Some(g * (-30.0)));
        assert_eq!(ions.ica[0], 0.0);
        assert_plumbing(Box::new(Gated::<Odd>::new(vec![0, 1])), "godd", 0.1);
        assert_plumbing(Box::new(Gated::<Odd>::new(vec![0, 1])), "eodd", 10.0);
        // The conductance refuses negative values; other parameters take any.
        assert!(c.set_param("gbar", -1.0).is_err());
        assert!(c.set_param("eodd", -1.0).is_ok());
    }

    #[test]
    fn odd_exponents_tabulate_too() {
        testing::assert_table_accurate::<Odd>(&[0.0]);
        testing::assert_table_matches_exact(|| Gated::<Odd>::new(vec![0]), 2e-5);
    }

    #[test]
    fn every_gated_channel_keeps_its_names() {
        let want: &[(&str, &str, &[&str])] = &[
            ("NaTa_t", "gNaTa_tbar", &["m", "h", "ina", "gNaTa_t"]),
            ("NaTs2_t", "gNaTs2_tbar", &["m", "h", "ina", "gNaTs2_t"]),
            ("Nap_Et2", "gNap_Et2bar", &["m", "h", "ina", "gNap_Et2"]),
            ("K_Tst", "gK_Tstbar", &["m", "h", "ik", "gK_Tst"]),
            ("K_Pst", "gK_Pstbar", &["m", "h", "ik", "gK_Pst"]),
            ("SKv3_1", "gSKv3_1bar", &["m", "ik", "gSKv3_1"]),
            ("Im", "gImbar", &["m", "ik", "gIm"]),
            ("Ca_HVA", "gCa_HVAbar", &["m", "h", "ica", "gCa_HVA"]),
            ("Ca_LVAst", "gCa_LVAstbar", &["m", "h", "ica", "gCa_LVAst"]),
            ("Ih", "gIhbar", &["m", "ihcn", "gIh"]),
        ];
        for &(name, gbar, states) in want {
            assert!(catalogue::entry(name).is_some());
            let mut c = create(name, vec![0, 1]).unwrap();
            assert_eq!(c.name(), name);
            assert_eq!(c.params()[0].name, gbar);
            assert_eq!(c.state_names(), states);
            c.set_param("gbar", 0.5).unwrap();
            assert_eq!(c.param(gbar, 1), Some(0.5));
            assert_eq!(c.param("gbar", 1), Some(0.5));
            assert!(c.state("g", 1).is_some() && c.state("h", 0).is_some() == states.contains(&"h"));
        }
        let ih = create("Ih", vec![0]).unwrap();
        assert_eq!(names_of(ih.params()), ["gIhbar", "ehcn", "vshift"]);
    }
}

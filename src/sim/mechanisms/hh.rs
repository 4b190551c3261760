//! `hh`: NEURON's built-in Hodgkin-Huxley channels (docs/biophysics.md 4.1): NEURON's rate
//! functions (with vtrap) and Q10 = 3^((celsius - 6.3)/10), tabulated on a 0.05 mV grid
//! for the state update (or evaluated exactly with `usetable = false`).

use super::layout::Layout;
use super::params::{Param, g, mv, names_of};
use super::rate_table::{RateTable, VoltageGrid};
use super::{Env, Ions, Mechanism, ParamError, check_value, cnexp, vtrap};

/// Steady states and time constants (ms) of m, h, n at `v` (mV) and `celsius`.
/// Returns `[(minf, mtau), (hinf, htau), (ninf, ntau)]`.
pub fn rates(v: f64, celsius: f64) -> [(f64, f64); 3] {
    let q10 = if celsius == 6.3 { 1.0 } else { 3f64.powf((celsius - 6.3) / 10.0) };
    let am = 0.1 * vtrap(-(v + 40.0), 10.0);
    let bm = 4.0 * (-(v + 65.0) / 18.0).exp();
    let ah = 0.07 * (-(v + 65.0) / 20.0).exp();
    let bh = 1.0 / ((-(v + 35.0) / 10.0).exp() + 1.0);
    let an = 0.01 * vtrap(-(v + 55.0), 10.0);
    let bn = 0.125 * (-(v + 65.0) / 80.0).exp();
    let f = |a: f64, b: f64| (a / (a + b), 1.0 / (q10 * (a + b)));
    [f(am, bm), f(ah, bh), f(an, bn)]
}

/// A row of the rate table at `v`: [minf, mfac, hinf, hfac, ninf, nfac], each fac being
/// the cnexp factor 1 - exp(-dt/tau). The table ([`RateTable`], 0.05 mV grid, exact off
/// it) differs from these exact values by less than 1e-5; NEURON tabulates hh too (1 mV
/// steps by default).
fn table_row(v: f64, dt: f64, celsius: f64) -> [f64; 6] {
    let [(mi, mt), (hi, ht), (ni, nt)] = rates(v, celsius);
    let f = |tau: f64| 1.0 - (-dt / tau).exp();
    [mi, f(mt), hi, f(ht), ni, f(nt)]
}

/// [`table_row`] padded to 8 values, the table's width: a row is then two 64-byte
/// halves (values, differences) that vector loads take whole.
fn table_row8(v: f64, dt: f64, celsius: f64) -> [f64; 8] {
    let [a, b, c, d, e, f] = table_row(v, dt, celsius);
    [a, b, c, d, e, f, 0.0, 0.0]
}

/// [`table_row`] off the table's grid, kept out of the hot loop.
#[cold]
#[inline(never)]
fn off_grid(v: f64, dt: f64, celsius: f64) -> [f64; 6] {
    table_row(v, dt, celsius)
}

/// Hodgkin-Huxley Na+, K+ and leak over a set of nodes. Per-node values are kept by
/// storage position ([`Layout`]); index them through `set_param_at`, `param`, `state`.
#[derive(Debug, Clone)]
pub struct Hh {
    layout: Layout,
    /// Use the rate table (default); false evaluates the rate functions exactly
    /// every step (NEURON's `usetable_hh = 0`).
    pub usetable: bool,
    /// Rows of [`table_row8`] for (dt, celsius).
    table: RateTable<(f64, f64), 8>,
    /// Na+ conductance (S/cm2), default 0.12.
    pub gnabar: Vec<f64>,
    /// K+ conductance (S/cm2), default 0.036.
    pub gkbar: Vec<f64>,
    /// Leak conductance (S/cm2), default 0.0003.
    pub gl: Vec<f64>,
    /// Leak reversal (mV), default -54.3.
    pub el: Vec<f64>,
    m: Vec<f64>,
    h: Vec<f64>,
    n: Vec<f64>,
    ina: Vec<f64>,
    ik: Vec<f64>,
    il: Vec<f64>,
    /// Whether the current phase fills `ina`, `ik`, `il` ([`Mechanism::keep_currents`]).
    keep: bool,
}

/// The parameters: Hodgkin and Huxley's values as NEURON's hh.mod has them.
pub const PARAMS: &[Param] = &[g("gnabar", 0.12), g("gkbar", 0.036), g("gl", 0.0003), mv("el", -54.3)];
const STATES: &[&str] = &["m", "h", "n", "ina", "ik", "il"];

impl Hh {
    pub fn new(nodes: Vec<u32>) -> Self {
        let layout = Layout::new(nodes);
        // The padding between nodes passes no current: zero conductances there.
        let col = |value: f64, pad: f64| layout.column(value, pad);
        Hh {
            usetable: true,
            table: RateTable::new(),
            gnabar: col(PARAMS[0].default, 0.0),
            gkbar: col(PARAMS[1].default, 0.0),
            gl: col(PARAMS[2].default, 0.0),
            el: col(PARAMS[3].default, PARAMS[3].default),
            m: col(0.0, 0.0),
            h: col(0.0, 0.0),
            n: col(0.0, 0.0),
            ina: col(0.0, 0.0),
            ik: col(0.0, 0.0),
            il: col(0.0, 0.0),
            keep: true,
            layout,
        }
    }

    /// The state update over the runs, locating each voltage on the table's grid itself
    /// or reading its position from `grid` (the same numbers either way).
    #[inline(always)]
    fn step_states(&mut self, v: &[f64], grid: Option<&VoltageGrid>, env: &Env) {
        let (dt, celsius) = (env.dt, env.celsius);
        if self.usetable {
            self.table.ensure((dt, celsius), |v| table_row8(v, dt, celsius));
        }
        let table = &self.table;
        let grid = grid.filter(|g| self.usetable && g.len() >= v.len());
        let rows = table.rows().filter(|_| self.usetable);
        // The vector loop runs over whole spans, padding included (its states are never
        // read); the plain loop skips the padding.
        let wide = grid.is_some() && rows.is_some() && super::avx2();
        let runs = if wide { self.layout.spans() } else { self.layout.runs() };
        for run in runs {
            let (nd, ps) = (run.nodes(), run.positions());
            let v = &v[nd.clone()];
            let len = v.len();
            let (m, h, nn) =
                (&mut self.m[ps.clone()][..len], &mut self.h[ps.clone()][..len], &mut self.n[ps][..len]);
            match (grid, rows) {
                (Some(grid), Some(rows)) => {
                    let (gk, gf) = grid.range(nd);
                    let (gk, gf) = (&gk[..len], &gf[..len]);
                    let mut j = 0;
                    while j < len {
                        #[cfg(target_arch = "x86_64")]
                        if wide {
                            // SAFETY: the processor has AVX2; the slices have len - j
                            // elements or more.
                            j += unsafe {
                                super::simd::gates::<8, 3>(
                                    rows,
                                    &gk[j..],
                                    &gf[j..],
                                    [&mut m[j..], &mut h[j..], &mut nn[j..]],
                                )
                            };
                        }
                        let end = if wide { (j + 4).min(len) } else { len };
                        for j in j..end {
                            let f = gf[j];
                            // Scalars, not an array: they stay in registers.
                            let (mi, mf, hi, hf, ni, nf);
                            match rows.row(gk[j]) {
                                Some(r) => {
                                    (mi, mf, hi, hf) = (r.at(0, f), r.at(1, f), r.at(2, f), r.at(3, f));
                                    (ni, nf) = (r.at(4, f), r.at(5, f));
                                }
                                None => [mi, mf, hi, hf, ni, nf] = off_grid(v[j], dt, celsius),
                            }
                            m[j] += mf * (mi - m[j]);
                            h[j] += hf * (hi - h[j]);
                            nn[j] += nf * (ni - nn[j]);
                        }
                        j = end;
                    }
                }
                _ if self.usetable => {
                    for j in 0..len {
                        let [mi, mf, hi, hf, ni, nf] = match table.get(v[j]) {
                            Some([a, b, c, d, e, f, _, _]) => [a, b, c, d, e, f],
                            None => off_grid(v[j], dt, celsius),
                        };
                        m[j] += mf * (mi - m[j]);
                        h[j] += hf * (hi - h[j]);
                        nn[j] += nf * (ni - nn[j]);
                    }
                }
                _ => {
                    for j in 0..len {
                        let [(mi, mt), (hi, ht), (ni, nt)] = rates(v[j], celsius);
                        m[j] = cnexp(m[j], mi, mt, dt);
                        h[j] = cnexp(h[j], hi, ht, dt);
                        nn[j] = cnexp(nn[j], ni, nt, dt);
                    }
                }
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn current_avx2(&mut self, v: &[f64], ions: &mut Ions, rhs: &mut [f64], d: &mut [f64]) {
        self.current_body(v, ions, rhs, d);
    }

    #[inline(always)]
    fn current_body(&mut self, v: &[f64], ions: &mut Ions, rhs: &mut [f64], d: &mut [f64]) {
        for span in self.layout.spans() {
            let (nd, ps) = (span.nodes(), span.positions());
            let (v, rhs, d) = (&v[nd.clone()], &mut rhs[nd.clone()], &mut d[nd.clone()]);
            let len = v.len();
            let (ena, ek) = (&ions.ena[nd.clone()][..len], &ions.ek[nd][..len]);
            let (rhs, d) = (&mut rhs[..len], &mut d[..len]);
            let (gnabar, gkbar) = (&self.gnabar[ps.clone()][..len], &self.gkbar[ps.clone()][..len]);
            let (gl, el) = (&self.gl[ps.clone()][..len], &self.el[ps.clone()][..len]);
            let (m, h, nn) =
                (&self.m[ps.clone()][..len], &self.h[ps.clone()][..len], &self.n[ps.clone()][..len]);
            let ina_out = &mut self.ina[ps.clone()][..len];
            let ik_out = &mut self.ik[ps.clone()][..len];
            let il_out = &mut self.il[ps][..len];
            let keep = self.keep;
            for j in 0..len {
                let vv = v[j];
                let mk = m[j];
                let n2 = nn[j] * nn[j];
                let gna = gnabar[j] * mk * mk * mk * h[j];
                let gk = gkbar[j] * n2 * n2;
                let g_l = gl[j];
                let ina = gna * (vv - ena[j]);
                let ik = gk * (vv - ek[j]);
                let il = g_l * (vv - el[j]);
                if keep {
                    ina_out[j] = ina;
                    ik_out[j] = ik;
                    il_out[j] = il;
                }
                rhs[j] -= ina + ik + il;
                d[j] += gna + gk + g_l;
            }
        }
    }

    fn array(&mut self, name: &str) -> Result<(&mut Vec<f64>, bool), ParamError> {
        match name {
            "gnabar" => Ok((&mut self.gnabar, true)),
            "gkbar" => Ok((&mut self.gkbar, true)),
            "gl" => Ok((&mut self.gl, true)),
            "el" => Ok((&mut self.el, false)),
            _ => Err(ParamError::UnknownParam {
                mechanism: "hh".into(),
                name: name.into(),
                known: names_of(PARAMS),
            }),
        }
    }
}

impl Mechanism for Hh {
    fn name(&self) -> &'static str {
        "hh"
    }
    fn nodes(&self) -> &[u32] {
        self.layout.nodes()
    }
    fn init(&mut self, v: &[f64], _ions: &mut Ions, env: &Env) {
        for span in self.layout.spans() {
            for (nd, p) in span.nodes().zip(span.positions()) {
                let [(mi, _), (hi, _), (ni, _)] = rates(v[nd], env.celsius);
                self.m[p] = mi;
                self.h[p] = hi;
                self.n[p] = ni;
            }
        }
    }
    /// Over the spans, padding included (zero conductance there: it adds exactly 0):
    /// plain slices, and the loop vectorises.
    fn current(&mut self, v: &[f64], ions: &mut Ions, rhs: &mut [f64], d: &mut [f64], _env: &Env) {
        #[cfg(target_arch = "x86_64")]
        if super::avx2() {
            // SAFETY: the processor has AVX2 (checked at run time).
            return unsafe { self.current_avx2(v, ions, rhs, d) };
        }
        self.current_body(v, ions, rhs, d);
    }
    fn advance(&mut self, v: &[f64], _ions: &mut Ions, env: &Env) {
        self.step_states(v, None, env);
    }
    fn advance_on_grid(&mut self, v: &[f64], grid: &VoltageGrid, _ions: &mut Ions, env: &Env) {
        self.step_states(v, Some(grid), env);
    }
    fn params(&self) -> &'static [Param] {
        PARAMS
    }
    fn set_param(&mut self, name: &str, value: f64) -> Result<(), ParamError> {
        check_value("hh", name, value, self.array(name)?.1)?;
        let pos = self.layout.positions().to_vec();
        let (a, _) = self.array(name)?;
        pos.iter().for_each(|&p| a[p as usize] = value);
        Ok(())
    }
    fn set_param_at(&mut self, name: &str, index: usize, value: f64) -> Result<(), ParamError> {
        check_value("hh", name, value, self.array(name)?.1)?;
        let Some(p) = self.layout.pos(index) else {
            return Err(ParamError::node_index("hh", index));
        };
        self.array(name)?.0[p] = value;
        Ok(())
    }
    fn param(&self, name: &str, index: usize) -> Option<f64> {
        let p = self.layout.pos(index)?;
        match name {
            "gnabar" => Some(self.gnabar[p]),
            "gkbar" => Some(self.gkbar[p]),
            "gl" => Some(self.gl[p]),
            "el" => Some(self.el[p]),
            _ => None,
        }
    }
    fn state_names(&self) -> &'static [&'static str] {
        STATES
    }
    fn state(&self, name: &str, index: usize) -> Option<f64> {
        let a = match name {
            "m" => &self.m,
            "h" => &self.h,
            "n" => &self.n,
            "ina" if self.keep => &self.ina,
            "ik" if self.keep => &self.ik,
            "il" if self.keep => &self.il,
            _ => return None,
        };
        Some(a[self.layout.pos(index)?])
    }
    fn set_state(&mut self, name: &str, index: usize, value: f64) -> Result<(), ParamError> {
        let Some(p) = self.layout.pos(index) else {
            return Err(ParamError::node_index("hh", index));
        };
        let a = match name {
            "m" => &mut self.m,
            "h" => &mut self.h,
            "n" => &mut self.n,
            "ina" => &mut self.ina,
            "ik" => &mut self.ik,
            "il" => &mut self.il,
            _ => return Err(ParamError::UnknownState { mechanism: "hh".into(), name: name.into() }),
        };
        a[p] = value;
        Ok(())
    }
    fn keep_currents(&mut self, on: bool) {
        self.keep = on;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_match_hh_formulas_at_rest() {
        // At -65 mV, 6.3 degC: classical values m = 0.0529, h = 0.5961, n = 0.3177.
        let [(m, mt), (h, ht), (n, nt)] = rates(-65.0, 6.3);
        assert!((m - 0.05293).abs() < 1e-4, "{m}");
        assert!((h - 0.59612).abs() < 1e-4, "{h}");
        assert!((n - 0.31768).abs() < 1e-4, "{n}");
        // tau = 1/(alpha + beta): alpha_m(-65) = 0.1*25/(e^2.5 - 1), beta_m = 4.
        let am = 0.1 * 25.0 / ((2.5f64).exp() - 1.0);
        assert!((mt - 1.0 / (am + 4.0)).abs() < 1e-12);
        assert!(ht > 8.0 && ht < 9.0, "{ht}");
        assert!(nt > 5.0 && nt < 6.0, "{nt}");
    }

    #[test]
    fn q10_scales_time_constants_only() {
        let cold = rates(-50.0, 6.3);
        let warm = rates(-50.0, 16.3);
        for k in 0..3 {
            assert!((cold[k].0 - warm[k].0).abs() < 1e-15);
            assert!((cold[k].1 / warm[k].1 - 3.0).abs() < 1e-12);
        }
    }

    #[test]
    fn rate_table_matches_exact_rates_closely() {
        let row = |v| table_row(v, 0.025, 6.3);
        let mut t = RateTable::new();
        t.ensure((0.025, 6.3), row);
        let mut worst = 0.0f64;
        let mut v = -99.0;
        while v < 99.0 {
            let exact = row(v);
            let got = t.lookup(v, row);
            for j in 0..6 {
                worst = worst.max((exact[j] - got[j]).abs());
            }
            v += 0.0137;
        }
        assert!(worst < 1e-5, "{worst}");
        // Off the grid: exact.
        assert_eq!(t.lookup(150.0, row), row(150.0));
        assert_eq!(t.lookup(f64::NAN, row)[0].is_nan(), row(f64::NAN)[0].is_nan());
    }

    #[test]
    fn vtrap_is_continuous_at_its_singularity() {
        // alpha_m at v = -40 exactly (x = 0) equals the limit 0.1 * 10.
        let [(m, mt), _, _] = rates(-40.0, 6.3);
        let [(m2, mt2), _, _] = rates(-40.0 + 1e-7, 6.3);
        assert!((m - m2).abs() < 1e-6 && (mt - mt2).abs() < 1e-6);
    }
}

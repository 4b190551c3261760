//! `hh`: NEURON's built-in Hodgkin-Huxley channels (docs/biophysics.md 4.1): NEURON's rate
//! functions (with vtrap) and Q10 = 3^((celsius - 6.3)/10), tabulated on a 0.05 mV grid
//! for the state update (or evaluated exactly with `usetable = false`).

use super::rate_table::RateTable;
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

/// [`table_row`] off the table's grid, kept out of the hot loop.
#[cold]
#[inline(never)]
fn off_grid(v: f64, dt: f64, celsius: f64) -> [f64; 6] {
    table_row(v, dt, celsius)
}

/// Hodgkin-Huxley Na+, K+ and leak over a set of nodes.
#[derive(Debug, Clone)]
pub struct Hh {
    nodes: Vec<u32>,
    /// One more than the highest node.
    bound: usize,
    /// Use the rate table (default); false evaluates the rate functions exactly
    /// every step (NEURON's `usetable_hh = 0`).
    pub usetable: bool,
    /// Rows of [`table_row`] for (dt, celsius).
    table: RateTable<(f64, f64), 6>,
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
}

const PARAMS: &[&str] = &["gnabar", "gkbar", "gl", "el"];
const STATES: &[&str] = &["m", "h", "n", "ina", "ik", "il"];

impl Hh {
    pub fn new(nodes: Vec<u32>) -> Self {
        let k = nodes.len();
        Hh {
            bound: super::node_bound(&nodes),
            nodes,
            usetable: true,
            table: RateTable::new(),
            gnabar: vec![0.12; k],
            gkbar: vec![0.036; k],
            gl: vec![0.0003; k],
            el: vec![-54.3; k],
            m: vec![0.0; k],
            h: vec![0.0; k],
            n: vec![0.0; k],
            ina: vec![0.0; k],
            ik: vec![0.0; k],
            il: vec![0.0; k],
        }
    }

    fn array(&mut self, name: &str) -> Result<(&mut Vec<f64>, bool), ParamError> {
        match name {
            "gnabar" => Ok((&mut self.gnabar, true)),
            "gkbar" => Ok((&mut self.gkbar, true)),
            "gl" => Ok((&mut self.gl, true)),
            "el" => Ok((&mut self.el, false)),
            _ => Err(ParamError(format!("hh has no parameter '{name}' (it has {})", PARAMS.join(", ")))),
        }
    }
}

impl Mechanism for Hh {
    fn name(&self) -> &'static str {
        "hh"
    }
    fn nodes(&self) -> &[u32] {
        &self.nodes
    }
    fn init(&mut self, v: &[f64], _ions: &mut Ions, env: &Env) {
        for (k, &node) in self.nodes.iter().enumerate() {
            let [(mi, _), (hi, _), (ni, _)] = rates(v[node as usize], env.celsius);
            self.m[k] = mi;
            self.h[k] = hi;
            self.n[k] = ni;
        }
    }
    fn current(&mut self, v: &[f64], ions: &mut Ions, rhs: &mut [f64], d: &mut [f64], _env: &Env) {
        let n = self.nodes.len();
        let bound = self.bound;
        assert!(bound <= v.len() && bound <= rhs.len() && bound <= d.len());
        assert!(bound <= ions.ena.len() && bound <= ions.ek.len());
        let (ena, ek) = (&ions.ena[..], &ions.ek[..]);
        let nodes = &self.nodes[..n];
        let (gnabar, gkbar, gl, el) = (&self.gnabar[..n], &self.gkbar[..n], &self.gl[..n], &self.el[..n]);
        let (m, h, nn) = (&self.m[..n], &self.h[..n], &self.n[..n]);
        let (ina_out, ik_out, il_out) = (&mut self.ina[..n], &mut self.ik[..n], &mut self.il[..n]);
        for k in 0..n {
            let nd = nodes[k] as usize;
            // SAFETY: every node is below `bound`, and the arrays indexed by node are at
            // least `bound` long (asserted above).
            unsafe {
                let vv = *v.get_unchecked(nd);
                let mk = m[k];
                let n2 = nn[k] * nn[k];
                let gna = gnabar[k] * mk * mk * mk * h[k];
                let gk = gkbar[k] * n2 * n2;
                let g_l = gl[k];
                let ina = gna * (vv - *ena.get_unchecked(nd));
                let ik = gk * (vv - *ek.get_unchecked(nd));
                let il = g_l * (vv - el[k]);
                ina_out[k] = ina;
                ik_out[k] = ik;
                il_out[k] = il;
                *rhs.get_unchecked_mut(nd) -= ina + ik + il;
                *d.get_unchecked_mut(nd) += gna + gk + g_l;
            }
        }
    }
    fn advance(&mut self, v: &[f64], _ions: &mut Ions, env: &Env) {
        let n = self.nodes.len();
        assert!(self.bound <= v.len());
        let nodes = &self.nodes[..n];
        let (dt, celsius) = (env.dt, env.celsius);
        if self.usetable {
            self.table.ensure((dt, celsius), |v| table_row(v, dt, celsius));
        }
        let (m, h, nn) = (&mut self.m[..n], &mut self.h[..n], &mut self.n[..n]);
        // SAFETY (both loops): every node is below `bound` <= v.len().
        if self.usetable {
            let table = &self.table;
            for k in 0..n {
                let vv = unsafe { *v.get_unchecked(nodes[k] as usize) };
                let [mi, mf, hi, hf, ni, nf] = match table.get(vv) {
                    Some(r) => r,
                    None => off_grid(vv, dt, celsius),
                };
                m[k] += mf * (mi - m[k]);
                h[k] += hf * (hi - h[k]);
                nn[k] += nf * (ni - nn[k]);
            }
            return;
        }
        for k in 0..n {
            let vv = unsafe { *v.get_unchecked(nodes[k] as usize) };
            let [(mi, mt), (hi, ht), (ni, nt)] = rates(vv, celsius);
            m[k] = cnexp(m[k], mi, mt, dt);
            h[k] = cnexp(h[k], hi, ht, dt);
            nn[k] = cnexp(nn[k], ni, nt, dt);
        }
    }
    fn param_names(&self) -> &'static [&'static str] {
        PARAMS
    }
    fn set_param(&mut self, name: &str, value: f64) -> Result<(), ParamError> {
        let (a, nonneg) = self.array(name)?;
        check_value("hh", name, value, nonneg)?;
        a.iter_mut().for_each(|x| *x = value);
        Ok(())
    }
    fn set_param_at(&mut self, name: &str, index: usize, value: f64) -> Result<(), ParamError> {
        let (a, nonneg) = self.array(name)?;
        check_value("hh", name, value, nonneg)?;
        match a.get_mut(index) {
            Some(x) => {
                *x = value;
                Ok(())
            }
            None => Err(ParamError(format!("hh: node index {index} out of range"))),
        }
    }
    fn param(&self, name: &str, index: usize) -> Option<f64> {
        match name {
            "gnabar" => self.gnabar.get(index).copied(),
            "gkbar" => self.gkbar.get(index).copied(),
            "gl" => self.gl.get(index).copied(),
            "el" => self.el.get(index).copied(),
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
            "ina" => &self.ina,
            "ik" => &self.ik,
            "il" => &self.il,
            _ => return None,
        };
        a.get(index).copied()
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

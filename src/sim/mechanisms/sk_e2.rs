//! `SK_E2`: Hay et al. 2011 small-conductance Ca2+-activated K+ channel (Koehler et al.
//! 1996), docs/biophysics.md 5.7. g = gSK_E2bar z (S/cm2), ik = g (v - ek) (mA/cm2); z follows
//! the intracellular calcium `ions.cai` (mM) with time constant zTau. No temperature
//! factor, no voltage dependence.

use super::layout::Layout;
use super::log_table::LogTable;
use super::params::{TAU_MIN, columns, g, mechanism_tables, ms};
use super::{Env, Ions, Mechanism};
use std::sync::OnceLock;

/// Steady-state activation at intracellular calcium `cai` (mM):
/// z_inf = 1/(1 + (0.00043/cai)^4.8), with cai raised by 1e-7 mM where it is below
/// 1e-7 mM, as the mod file guards it.
pub fn zinf(cai: f64) -> f64 {
    let ca = if cai < 1e-7 { cai + 1e-07 } else { cai };
    // (0.00043/ca)^4.8 as exp(4.8 ln(..)): the same value to ~1e-15, at a third of pow's cost.
    1.0 / (1.0 + (4.8 * (0.00043 / ca).ln()).exp())
}

/// [`zinf`] tabulated over cai in [2^-23, 2^3) mM (1.2e-7 to 8 mM: above the guard at
/// 1e-7), within 1e-9 ([`LogTable`]); exact off that range. The step uses it: an exp and a
/// log per node and step cost more than the rest of the channel.
pub fn zinf_table() -> &'static LogTable {
    static TABLE: OnceLock<LogTable> = OnceLock::new();
    TABLE.get_or_init(|| LogTable::new(-23, 3, zinf))
}

/// z += fac (z_inf(cai) - z), four nodes at a time, the same numbers as the plain loop;
/// stops at the first group of four with a cai off the table's grid or past the end,
/// and returns how far it got.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn relax_avx2(table: &LogTable, cai: &[f64], fac: &[f64], z: &mut [f64]) -> usize {
    use std::arch::x86_64::*;
    let len = cai.len().min(fac.len()).min(z.len());
    let mut j = 0;
    while j + 4 <= len {
        // SAFETY: j + 4 <= len bounds the three slices; AVX2 is enabled here.
        unsafe {
            let Some(zi) = super::simd::log_lookup(table, _mm256_loadu_pd(cai.as_ptr().add(j))) else {
                break;
            };
            let zv = _mm256_loadu_pd(z.as_ptr().add(j));
            let f = _mm256_loadu_pd(fac.as_ptr().add(j));
            _mm256_storeu_pd(
                z.as_mut_ptr().add(j),
                _mm256_add_pd(zv, _mm256_mul_pd(f, _mm256_sub_pd(zi, zv))),
            );
        }
        j += 4;
    }
    j
}

columns! {
    /// Parameters of [`SkE2`], per node.
    pub params Params {
        /// Maximal conductance (S/cm2); the mod file's default 1e-6.
        gbar = g("gSK_E2bar", 0.000001), NonNegative;
        /// Activation time constant (ms); default 1.
        ztau = ms("zTau", 1.0, TAU_MIN), Positive;
    }
}

columns! {
    /// Recordable states of [`SkE2`], per node.
    pub struct States {
        /// Activation (1).
        z = "z", 0.0, Any;
        /// Latest K+ current (mA/cm2).
        ik = "ik", 0.0, Any;
        /// Latest conductance (S/cm2).
        g = "gSK_E2", 0.0, Any;
    }
}

/// SK channel over a set of nodes. Reads `ions.ek` and `ions.cai`.
#[derive(Debug, Clone)]
pub struct SkE2 {
    /// Where each node's values are kept ([`Layout`]).
    layout: Layout,
    /// Parameters. After writing them directly (not through `set_param`), call
    /// [`SkE2::refresh`].
    pub p: Params,
    /// States.
    pub s: States,
    /// Per node: the cnexp factor 1 - exp(-dt/zTau) for the step `derived_dt`.
    fac: Vec<f64>,
    /// The dt `fac` was computed for; `None` when stale.
    derived_dt: Option<f64>,
}

impl SkE2 {
    pub fn new(nodes: Vec<u32>) -> Self {
        let layout = Layout::new(nodes);
        SkE2 {
            p: Params::with_layout(&layout),
            s: States::with_layout(&layout),
            fac: vec![0.0; layout.width()],
            derived_dt: None,
            layout,
        }
    }

    /// Marks the constants derived from the parameters stale (recomputed at the next
    /// step).
    pub fn refresh(&mut self) {
        self.derived_dt = None;
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
            let (ek, rhs, d) = (&ions.ek[nd][..len], &mut rhs[..len], &mut d[..len]);
            let (gbar, z) = (&self.p.gbar[ps.clone()][..len], &self.s.z[ps.clone()][..len]);
            let (g_out, i_out) = (&mut self.s.g[ps.clone()][..len], &mut self.s.ik[ps][..len]);
            for j in 0..len {
                let g = gbar[j] * z[j];
                let i = g * (v[j] - ek[j]);
                g_out[j] = g;
                i_out[j] = i;
                rhs[j] -= i;
                d[j] += g;
            }
        }
    }
}

impl Mechanism for SkE2 {
    mechanism_tables!("SK_E2", layout: layout, refresh);

    /// z = z_inf(cai), from the same table as the state update (as NEURON's TABLE does in
    /// INITIAL), so that a cell at rest stays there.
    fn init(&mut self, _v: &[f64], ions: &mut Ions, _env: &Env) {
        let table = zinf_table();
        for span in self.layout.spans() {
            for (nd, p) in span.nodes().zip(span.positions()) {
                self.s.z[p] = table.get(ions.cai[nd]);
            }
        }
    }
    /// Over the spans, padding included (zero conductance there: it adds exactly 0).
    fn current(&mut self, v: &[f64], ions: &mut Ions, rhs: &mut [f64], d: &mut [f64], _env: &Env) {
        #[cfg(target_arch = "x86_64")]
        if super::avx2() {
            // SAFETY: the processor has AVX2 (checked at run time).
            return unsafe { self.current_avx2(v, ions, rhs, d) };
        }
        self.current_body(v, ions, rhs, d);
    }
    /// Over the spans, padding included (one long loop instead of many short ones; the
    /// padding's z is never read): z relaxes toward z_inf(cai).
    fn advance(&mut self, _v: &[f64], ions: &mut Ions, env: &Env) {
        let dt = env.dt;
        if self.derived_dt != Some(dt) {
            for p in 0..self.layout.width() {
                self.fac[p] = 1.0 - (-dt / self.p.ztau[p]).exp();
            }
            self.derived_dt = Some(dt);
        }
        let table = zinf_table();
        let wide = super::avx2();
        for span in self.layout.spans() {
            let (nd, ps) = (span.nodes(), span.positions());
            let cai = &ions.cai[nd];
            let len = cai.len();
            let (fac, z) = (&self.fac[ps.clone()][..len], &mut self.s.z[ps][..len]);
            let mut j = 0;
            #[cfg(target_arch = "x86_64")]
            if wide {
                // SAFETY: the processor has AVX2 (checked at run time).
                j = unsafe { relax_avx2(table, cai, fac, z) };
            }
            for j in j..len {
                let zi = table.get(cai[j]);
                z[j] += fac[j] * (zi - z[j]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::params::testing::{assert_plumbing, assert_steady, close, env};
    use super::*;

    #[test]
    fn zinf_matches_the_sheet() {
        for cai in [5e-5f64, 1e-4, 4.3e-4, 1e-3, 1e-2] {
            let expect = 1.0 / (1.0 + (0.00043 / cai).powf(4.8));
            assert!(close(zinf(cai), expect, 1e-12), "{cai}");
        }
        assert!(close(zinf(4.3e-4), 0.5, 1e-12));
        // The guard: below 1e-7 mM, cai + 1e-7 is used; zero calcium gives a finite value.
        assert!(close(zinf(0.0), 1.0 / (1.0 + (0.00043f64 / 1e-7).powf(4.8)), 1e-12));
        assert!(close(zinf(5e-8), 1.0 / (1.0 + (0.00043f64 / 1.5e-7).powf(4.8)), 1e-12));
    }

    #[test]
    fn zinf_table_is_within_1e_9() {
        let t = zinf_table();
        let mut worst = (0.0f64, 0.0);
        let n = 400_000;
        for k in 0..=n {
            let cai = 1e-7 * (1e8f64).powf(k as f64 / n as f64);
            let err = (t.get(cai) - zinf(cai)).abs();
            if err > worst.0 {
                worst = (err, cai);
            }
        }
        eprintln!("zinf table: worst absolute error {:e} at {:e} mM", worst.0, worst.1);
        assert!(worst.0 < 1e-9, "{:e} at {:e} mM", worst.0, worst.1);
        // Below the grid (where the mod file's guard acts) and beyond it: exact.
        for cai in [0.0, 5e-8, 1e-7, 1.1e-7, 8.0, 20.0] {
            assert_eq!(t.get(cai), zinf(cai), "{cai}");
        }
    }

    #[test]
    fn z_relaxes_with_ztau_toward_zinf_of_cai() {
        let mut c = SkE2::new(vec![0]);
        let v = [-70.0];
        let mut ions = Ions::new(1);
        let e = env();
        c.init(&v, &mut ions, &e);
        // z_inf from the table the state update uses, within its 1e-9 of the exact value.
        assert_eq!(c.state("z", 0), Some(zinf_table().get(5e-5)));
        assert!((c.state("z", 0).unwrap() - zinf(5e-5)).abs() < 1e-9);
        // Step cai to the half-activation point: after 1 ms (= zTau) z has gone 1 - 1/e of the way.
        ions.cai[0] = 4.3e-4;
        let z0 = c.state("z", 0).unwrap();
        for _ in 0..40 {
            c.advance(&v, &mut ions, &e);
        }
        let expect = 0.5 + (z0 - 0.5) * (-1.0f64).exp();
        assert!(close(c.state("z", 0).unwrap(), expect, 1e-9));
    }

    #[test]
    fn steady_after_init() {
        for v in [-80.0, -40.0, 0.0] {
            assert_steady(Box::new(SkE2::new(vec![0])), v, &["z"]);
        }
    }

    #[test]
    fn params() {
        assert_plumbing(Box::new(SkE2::new(vec![0, 1])), "gSK_E2bar", 1e-6);
        assert!(SkE2::new(vec![0]).set_param("zTau", 0.0).is_err());
    }
}

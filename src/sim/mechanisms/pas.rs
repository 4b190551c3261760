//! `pas`: NEURON's passive leak, i = g (v - e).

use super::layout::Layout;
use super::params::{Param, g, mv, names_of};
use super::{Env, Ions, Mechanism, ParamError, check_value};

/// Passive leak over a set of nodes. Per-node values are kept by storage position
/// ([`Layout`]); index them through `set_param_at`, `param`, `state`.
#[derive(Debug, Clone)]
pub struct Pas {
    layout: Layout,
    /// Leak conductance (S/cm2). NEURON default 0.001.
    pub g: Vec<f64>,
    /// Leak reversal (mV). NEURON default -70.
    pub e: Vec<f64>,
    /// Latest current (mA/cm2).
    i: Vec<f64>,
    /// Whether the current phase fills `i` ([`Mechanism::keep_currents`]).
    keep: bool,
}

/// The parameters: NEURON's defaults, g 0.001 S/cm2 and e -70 mV.
pub const PARAMS: &[Param] = &[g("g", 0.001), mv("e", -70.0)];

impl Pas {
    pub fn new(nodes: Vec<u32>) -> Self {
        let layout = Layout::new(nodes);
        // The padding between nodes passes no current: zero conductance there.
        let [g, e] = [PARAMS[0].default, PARAMS[1].default];
        Pas {
            g: layout.column(g, 0.0),
            e: layout.column(e, e),
            i: layout.column(0.0, 0.0),
            keep: true,
            layout,
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn current_avx2(&mut self, v: &[f64], rhs: &mut [f64], d: &mut [f64]) {
        self.current_body(v, rhs, d);
    }

    #[inline(always)]
    fn current_body(&mut self, v: &[f64], rhs: &mut [f64], d: &mut [f64]) {
        for span in self.layout.spans() {
            let (nd, ps) = (span.nodes(), span.positions());
            let (v, rhs, d) = (&v[nd.clone()], &mut rhs[nd.clone()], &mut d[nd]);
            let len = v.len();
            let (rhs, d) = (&mut rhs[..len], &mut d[..len]);
            let (g, e, i_out) =
                (&self.g[ps.clone()][..len], &self.e[ps.clone()][..len], &mut self.i[ps][..len]);
            let keep = self.keep;
            for j in 0..len {
                let i = g[j] * (v[j] - e[j]);
                if keep {
                    i_out[j] = i;
                }
                rhs[j] -= i;
                d[j] += g[j];
            }
        }
    }

    fn array(&mut self, name: &str) -> Result<(&mut Vec<f64>, bool), ParamError> {
        match name {
            "g" => Ok((&mut self.g, true)),
            "e" => Ok((&mut self.e, false)),
            _ => Err(ParamError::UnknownParam {
                mechanism: "pas".into(),
                name: name.into(),
                known: names_of(PARAMS),
            }),
        }
    }
}

impl Mechanism for Pas {
    fn name(&self) -> &'static str {
        "pas"
    }
    fn nodes(&self) -> &[u32] {
        self.layout.nodes()
    }
    fn init(&mut self, _v: &[f64], _ions: &mut Ions, _env: &Env) {}
    /// Over the spans, padding included (g = 0 there: it adds exactly 0).
    fn current(&mut self, v: &[f64], _ions: &mut Ions, rhs: &mut [f64], d: &mut [f64], _env: &Env) {
        #[cfg(target_arch = "x86_64")]
        if super::avx2() {
            // SAFETY: the processor has AVX2 (checked at run time).
            return unsafe { self.current_avx2(v, rhs, d) };
        }
        self.current_body(v, rhs, d);
    }
    fn advance(&mut self, _v: &[f64], _ions: &mut Ions, _env: &Env) {}
    fn params(&self) -> &'static [Param] {
        PARAMS
    }
    fn set_param(&mut self, name: &str, value: f64) -> Result<(), ParamError> {
        check_value("pas", name, value, self.array(name)?.1)?;
        let pos = self.layout.positions().to_vec();
        let (a, _) = self.array(name)?;
        pos.iter().for_each(|&p| a[p as usize] = value);
        Ok(())
    }
    fn set_param_at(&mut self, name: &str, index: usize, value: f64) -> Result<(), ParamError> {
        check_value("pas", name, value, self.array(name)?.1)?;
        let Some(p) = self.layout.pos(index) else {
            return Err(ParamError::node_index("pas", index));
        };
        self.array(name)?.0[p] = value;
        Ok(())
    }
    fn param(&self, name: &str, index: usize) -> Option<f64> {
        let p = self.layout.pos(index)?;
        match name {
            "g" => Some(self.g[p]),
            "e" => Some(self.e[p]),
            _ => None,
        }
    }
    fn state_names(&self) -> &'static [&'static str] {
        &["i"]
    }
    fn state(&self, name: &str, index: usize) -> Option<f64> {
        match name {
            "i" if self.keep => Some(self.i[self.layout.pos(index)?]),
            _ => None,
        }
    }
    fn set_state(&mut self, name: &str, index: usize, value: f64) -> Result<(), ParamError> {
        match (name, self.layout.pos(index)) {
            ("i", Some(p)) => {
                self.i[p] = value;
                Ok(())
            }
            ("i", None) => Err(ParamError::node_index("pas", index)),
            _ => Err(ParamError::UnknownState { mechanism: "pas".into(), name: name.into() }),
        }
    }
    fn keep_currents(&mut self, on: bool) {
        self.keep = on;
    }
}

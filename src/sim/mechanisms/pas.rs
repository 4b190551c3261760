//! `pas`: NEURON's passive leak, i = g (v - e).

use super::{Env, Ions, Mechanism, ParamError, check_value};

/// Passive leak over a set of nodes.
#[derive(Debug, Clone)]
pub struct Pas {
    nodes: Vec<u32>,
    /// One more than the highest node.
    bound: usize,
    /// Leak conductance (S/cm2). NEURON default 0.001.
    pub g: Vec<f64>,
    /// Leak reversal (mV). NEURON default -70.
    pub e: Vec<f64>,
    /// Latest current (mA/cm2).
    i: Vec<f64>,
}

impl Pas {
    pub fn new(nodes: Vec<u32>) -> Self {
        let n = nodes.len();
        Pas { bound: super::node_bound(&nodes), nodes, g: vec![0.001; n], e: vec![-70.0; n], i: vec![0.0; n] }
    }

    fn array(&mut self, name: &str) -> Result<(&mut Vec<f64>, bool), ParamError> {
        match name {
            "g" => Ok((&mut self.g, true)),
            "e" => Ok((&mut self.e, false)),
            _ => Err(ParamError(format!("pas has no parameter '{name}' (it has g, e)"))),
        }
    }
}

impl Mechanism for Pas {
    fn name(&self) -> &'static str {
        "pas"
    }
    fn nodes(&self) -> &[u32] {
        &self.nodes
    }
    fn init(&mut self, _v: &[f64], _ions: &mut Ions, _env: &Env) {}
    fn current(&mut self, v: &[f64], _ions: &mut Ions, rhs: &mut [f64], d: &mut [f64], _env: &Env) {
        let n = self.nodes.len();
        assert!(self.bound <= v.len() && self.bound <= rhs.len() && self.bound <= d.len());
        let (nodes, g, e, i_out) = (&self.nodes[..n], &self.g[..n], &self.e[..n], &mut self.i[..n]);
        for k in 0..n {
            let nd = nodes[k] as usize;
            // SAFETY: every node is below `bound` (asserted against each array above).
            unsafe {
                let i = g[k] * (*v.get_unchecked(nd) - e[k]);
                i_out[k] = i;
                *rhs.get_unchecked_mut(nd) -= i;
                *d.get_unchecked_mut(nd) += g[k];
            }
        }
    }
    fn advance(&mut self, _v: &[f64], _ions: &mut Ions, _env: &Env) {}
    fn param_names(&self) -> &'static [&'static str] {
        &["g", "e"]
    }
    fn set_param(&mut self, name: &str, value: f64) -> Result<(), ParamError> {
        let (a, nonneg) = self.array(name)?;
        check_value("pas", name, value, nonneg)?;
        a.iter_mut().for_each(|x| *x = value);
        Ok(())
    }
    fn set_param_at(&mut self, name: &str, index: usize, value: f64) -> Result<(), ParamError> {
        let (a, nonneg) = self.array(name)?;
        check_value("pas", name, value, nonneg)?;
        match a.get_mut(index) {
            Some(x) => {
                *x = value;
                Ok(())
            }
            None => Err(ParamError(format!("pas: node index {index} out of range"))),
        }
    }
    fn param(&self, name: &str, index: usize) -> Option<f64> {
        match name {
            "g" => self.g.get(index).copied(),
            "e" => self.e.get(index).copied(),
            _ => None,
        }
    }
    fn state_names(&self) -> &'static [&'static str] {
        &["i"]
    }
    fn state(&self, name: &str, index: usize) -> Option<f64> {
        match name {
            "i" => self.i.get(index).copied(),
            _ => None,
        }
    }
}

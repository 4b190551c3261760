//! Passive figures of a morphology under the protocol with which NEURON made
//! `reference/morphology/passive_props.json` (`reference/passive_props.py`, docs/biophysics.md
//! 10): uniform Ra = 100 ohm cm, cm = 1 uF/cm2, pas g = 1/15000 S/cm2, e = -70 mV, nseg by
//! d_lambda (0.1 at 100 Hz);
//! a -10 pA step at soma(0.5) from 0 to 500 ms, dt 0.025 ms, backward Euler.

use crate::sim::cell::{Cell, CellError, Nseg, Passive};
use crate::sim::engine::{SimConfig, Simulation};
use crate::sim::morphology::{Morphology, Region};
use crate::sim::recording::Probe;
use crate::sim::stimuli::IClamp;

/// What `dendra morph` reports, rounded as the reference script rounds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PassiveFigures {
    pub file: String,
    pub sections: usize,
    pub compartments: usize,
    pub length_um: f64,
    pub area_um2: f64,
    pub soma_area_um2: f64,
    /// Somatic input resistance (MOhm): steady dV / I.
    pub rin_mohm: f64,
    /// Time (ms) for the soma to reach 63.2% of the steady dV.
    pub tau_ms: f64,
    pub warnings: Vec<String>,
}

/// Discretises `morph` and measures it.
pub fn passive_figures(morph: Morphology) -> Result<PassiveFigures, CellError> {
    let ns = morph.sections.len();
    let warnings = morph.warnings.clone();
    let file = std::path::Path::new(&morph.file)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| morph.file.clone());
    let length_um = morph.total_length();
    let soma = morph.soma();
    let cell = Cell::new(morph, Passive::uniform(ns, 100.0, 1.0), &Nseg::default())?;
    let soma_area_um2 = cell.region_area(Region::Soma);
    let config = SimConfig { dt: 0.025, celsius: 6.3, v_init: -70.0, crank_nicolson: false };
    let mut sim = Simulation::new(cell, config)?;
    let nodes = sim.cell.nodes_where(|_| true);
    let slot = sim.insert("pas", nodes, "all")?;
    sim.set_param(slot, "g", 1.0 / 15000.0)?;
    sim.set_param(slot, "e", -70.0)?;
    let node = sim.cell.node_at(soma, 0.5);
    sim.add_iclamp(IClamp { node, delay: 0.0, dur: 500.0, amp: -0.01 })?;
    let t_end = 499.0;
    let samples = (t_end / config.dt) as usize + 2;
    sim.record(&[Probe::Voltage(node)], 1, samples)?;
    sim.init();
    sim.run_until(t_end);
    let v: Vec<f64> = sim.recorder.traces[0].iter().collect();
    let t: Vec<f64> = sim.recorder.t.iter().collect();
    let dv = v.last().copied().unwrap_or(f64::NAN) + 70.0;
    let target = -70.0 + 0.632 * dv;
    let tau_ms = t.iter().zip(&v).find(|(_, v)| **v <= target).map(|(t, _)| *t).unwrap_or(f64::NAN);
    let round = |x: f64, digits: i32| (x * 10f64.powi(digits)).round() / 10f64.powi(digits);
    Ok(PassiveFigures {
        file,
        sections: ns,
        compartments: sim.cell.compartment_count(),
        length_um: round(length_um, 2),
        area_um2: round(sim.cell.total_area(), 1),
        soma_area_um2: round(soma_area_um2, 1),
        rin_mohm: round(dv / -0.01, 3),
        tau_ms: round(tau_ms, 3),
        warnings,
    })
}

//! Passive figures of a morphology under the protocol with which NEURON made
//! `reference/morphology/passive_props.json` (`reference/passive_props.py`, docs/biophysics.md
//! 10): uniform Ra = 100 ohm cm, cm = 1 uF/cm2, pas g = 1/15000 S/cm2, e = -70 mV, nseg by
//! d_lambda (0.1 at 100 Hz);
//! a -10 pA step at soma(0.5) from 0 to 500 ms, dt 0.025 ms, backward Euler.

use crate::sim::cable::CableMatrix;
use crate::sim::cell::{Cell, Nseg, Passive};
use crate::sim::engine::{SimConfig, Simulation};
use crate::sim::error::BuildError;
use crate::sim::morphology::{Morphology, Region};
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
pub fn passive_figures(morph: Morphology) -> Result<PassiveFigures, BuildError> {
    passive_figures_with(morph, |_| true)
}

/// Specific membrane conductance of the protocol (S/cm2).
const G_PAS: f64 = 1.0 / 15000.0;
/// The step current (nA).
const AMP_NA: f64 = -0.01;

/// As [`passive_figures`], telling `progress` the fraction done (of the run to the
/// time constant); it returns false to stop (the time constant is then not known: NaN).
///
/// The input resistance is the steady state of the step, found by one solve of the
/// tree (the cable matrix with no capacitance: O(N)) rather than by running 500 ms; the
/// time constant is the time the step's response takes to reach 63.2% of that steady
/// value, found by running NEURON's protocol only until it does (tens of ms, not 500).
pub fn passive_figures_with(
    morph: Morphology,
    mut progress: impl FnMut(f64) -> bool,
) -> Result<PassiveFigures, BuildError> {
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
    let node = cell.node_at(soma, 0.5);
    let dv = steady_dv(&cell, node as usize);
    let config = SimConfig { dt: 0.025, celsius: 6.3, v_init: -70.0, crank_nicolson: false };
    let mut sim = Simulation::new(cell, config)?;
    let nodes = sim.cell.nodes_where(|_| true);
    let slot = sim.insert("pas", nodes, "all")?;
    sim.set_param(slot, "g", G_PAS)?;
    sim.set_param(slot, "e", -70.0)?;
    sim.add_iclamp(IClamp { node, delay: 0.0, dur: 500.0, amp: AMP_NA })?;
    sim.init();
    // The first sample at or past 63.2% of the way (within the 499 ms NEURON runs).
    let target = -70.0 + 0.632 * dv;
    let t_end = 499.0;
    let mut tau_ms = f64::NAN;
    let mut k = 0u64;
    // Where the steady state is no change at all (no current reaches the soma) the time
    // is 0, as the first sample shows.
    if sim.v[node as usize] <= target {
        tau_ms = sim.t();
    }
    while tau_ms.is_nan() && sim.t() + config.dt / 2.0 < t_end {
        sim.step();
        k += 1;
        if sim.v[node as usize] <= target {
            tau_ms = sim.t();
        }
        // The crossing comes near the membrane time constant (15 ms here): that is "done".
        if k.is_multiple_of(64) && !progress((sim.t() / 15.0).min(0.99)) {
            break;
        }
    }
    progress(1.0);
    let round = |x: f64, digits: i32| (x * 10f64.powi(digits)).round() / 10f64.powi(digits);
    Ok(PassiveFigures {
        file,
        sections: ns,
        compartments: sim.cell.compartment_count(),
        length_um: round(length_um, 2),
        area_um2: round(sim.cell.total_area(), 1),
        // + 0.0: a soma of no area is 0, not -0.
        soma_area_um2: round(soma_area_um2, 1) + 0.0,
        rin_mohm: round(dv / AMP_NA, 3) + 0.0,
        tau_ms: round(tau_ms, 3),
        warnings,
    })
}

/// The steady change of voltage (mV) at `node` under the step: the tree's conductance
/// matrix (axial conductances and the leak, no capacitance) solved once for the step
/// current at `node`.
fn steady_dv(cell: &Cell, node: usize) -> f64 {
    // An infinite time step leaves no capacitance term; the matrix's rows are as the
    // engine scales them (a membrane row per unit area: the leak adds G_PAS in S/cm2, a
    // point current AMP_NA * scale in mA/cm2).
    let mut m = CableMatrix::new(cell, f64::INFINITY, false);
    let v = vec![0.0; cell.node_count()];
    m.begin(&v);
    for i in 0..cell.node_count() {
        if cell.area[i] > 0.0 {
            m.d[i] += G_PAS;
        }
    }
    m.rhs[node] += AMP_NA * m.scale[node];
    m.solve();
    m.rhs[node]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cell without a soma reports a soma area of 0, never -0 (as JSON printed it).
    #[test]
    fn no_soma_is_zero_not_minus_zero() {
        let m =
            Morphology::from_swc_str("1 3 0 0 0 1 -1\n2 3 10 0 0 1 1\n3 3 20 0 0 1 2\n", "t.swc").unwrap();
        let f = passive_figures(m).unwrap();
        assert!(f.soma_area_um2 == 0.0 && f.soma_area_um2.is_sign_positive(), "{}", f.soma_area_um2);
        let json = serde_json::to_string(&f).unwrap();
        assert!(json.contains("\"soma_area_um2\":0.0"), "{json}");
    }

    /// The steady solve gives what 500 ms of the step gave: the voltage at 499 ms.
    #[test]
    fn the_steady_solve_matches_a_long_run() {
        let morph = crate::sim::morphology::gallery::load("y_branch").unwrap();
        let ns = morph.sections.len();
        let soma = morph.soma();
        let cell = Cell::new(morph, Passive::uniform(ns, 100.0, 1.0), &Nseg::default()).unwrap();
        let node = cell.node_at(soma, 0.5);
        let dv = steady_dv(&cell, node as usize);
        let config = SimConfig { dt: 0.025, celsius: 6.3, v_init: -70.0, crank_nicolson: false };
        let mut sim = Simulation::new(cell, config).unwrap();
        let nodes = sim.cell.nodes_where(|_| true);
        let slot = sim.insert("pas", nodes, "all").unwrap();
        sim.set_param(slot, "g", G_PAS).unwrap();
        sim.set_param(slot, "e", -70.0).unwrap();
        sim.add_iclamp(IClamp { node, delay: 0.0, dur: 500.0, amp: AMP_NA }).unwrap();
        sim.init();
        sim.run_until(499.0);
        let long = sim.v[node as usize] + 70.0;
        assert!(dv < 0.0 && ((dv - long) / long).abs() < 1e-9, "steady {dv} vs 499 ms {long}");
    }
}

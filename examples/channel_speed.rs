//! Wall time of 10,000 steps of a 1000-compartment cable carrying the Hay et al. 2011
//! channel set everywhere (NaTa_t, K_Tst, K_Pst, SKv3_1, Ca_HVA, Ca_LVAst,
//! CaDynamics_E2, SK_E2, Ih, Im, pas), driven by a somatic-end current step so that the
//! cable spikes and the voltages sweep the whole rate curves.
//!
//! `cargo run --release --no-default-features --example channel_speed [-- REPEATS]`

use dendra::sim::cell::{Cell, Nseg, Passive};
use dendra::sim::engine::{SimConfig, Simulation};
use dendra::sim::morphology::{Morphology, Region, Section};
use dendra::sim::stimuli::IClamp;
use nalgebra::{Point3, Vector3};
use std::time::Instant;

const COMPARTMENTS: usize = 1000;
const STEPS: usize = 10_000;

/// Mechanism and its parameters (Hay et al. 2011 somatic densities, roughly).
const MECHS: &[(&str, &[(&str, f64)])] = &[
    ("pas", &[("g", 3e-5), ("e", -75.0)]),
    ("CaDynamics_E2", &[("gamma", 0.000501), ("decay", 460.0)]),
    ("Ca_HVA", &[("gbar", 0.000992)]),
    ("Ca_LVAst", &[("gbar", 0.00343)]),
    ("Ih", &[("gbar", 0.0002)]),
    ("Im", &[("gbar", 0.0001)]),
    ("K_Pst", &[("gbar", 0.00223)]),
    ("K_Tst", &[("gbar", 0.0812)]),
    ("NaTa_t", &[("gbar", 2.04)]),
    ("SK_E2", &[("gbar", 0.0441)]),
    ("SKv3_1", &[("gbar", 0.693)]),
];

fn build() -> Simulation {
    let cable = Section::cylinder(
        "cable".into(),
        Region::Apical,
        None,
        1.0,
        Point3::origin(),
        Vector3::x(),
        2000.0,
        2.0,
    );
    let morph = Morphology { file: "cable".into(), sections: vec![cable], warnings: vec![] };
    let cell = Cell::new(morph, Passive::uniform(1, 100.0, 1.0), &Nseg::Uniform(COMPARTMENTS)).unwrap();
    let config = SimConfig { dt: 0.025, celsius: 34.0, v_init: -75.0, crank_nicolson: false };
    let mut sim = Simulation::new(cell, config).unwrap();
    sim.ions.ena.iter_mut().for_each(|e| *e = 50.0);
    sim.ions.ek.iter_mut().for_each(|e| *e = -85.0);
    for (name, params) in MECHS {
        let nodes = sim.cell.nodes_where(|_| true);
        let slot = sim.insert(name, nodes, "all").unwrap();
        for (p, v) in params.iter() {
            sim.set_param(slot, p, *v).unwrap();
        }
    }
    let start = sim.cell.compartment_at(0, 0.0);
    sim.add_iclamp(IClamp { node: start, delay: 5.0, dur: 1e9, amp: 0.5 }).unwrap();
    sim.init();
    sim
}

fn main() {
    let repeats: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let mut best = f64::INFINITY;
    for r in 0..repeats {
        let mut sim = build();
        let probe = sim.cell.compartment_at(0, 0.5) as usize;
        let t0 = Instant::now();
        let mut vmax = f64::NEG_INFINITY;
        for _ in 0..STEPS {
            sim.step();
            vmax = vmax.max(sim.v[probe]);
        }
        let secs = t0.elapsed().as_secs_f64();
        best = best.min(secs);
        assert!(sim.is_finite(), "the run went non-finite");
        println!(
            "run {}: {} nodes, {STEPS} steps: {:.3} s ({:.1} ns per node-step), mid-cable vmax {vmax:.2} mV, v(end) {:.4} mV",
            r + 1,
            sim.v.len(),
            secs,
            secs * 1e9 / (sim.v.len() * STEPS) as f64,
            sim.v[probe]
        );
    }
    println!("best of {repeats}: {best:.3} s");
}

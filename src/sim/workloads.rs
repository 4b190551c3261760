//! ResolvedScene-in workloads: the benchmark's binary tree, the same model that
//! `scripts/neuron_tree_bench.py` and `scripts/arbor_tree_bench.py` build in NEURON and Arbor
//! (see [`binary_tree`] for what it is).

use crate::sim::cell::{Cell, Nseg, Passive};
use crate::sim::engine::{SimConfig, SimError, Simulation};
use crate::sim::error::BuildError;
use crate::sim::morphology::{Morphology, Region, Section};
use crate::sim::synapses::SynapseParams;
use nalgebra::{Point3, Rotation3, Vector3};

/// Parameters of the binary-tree benchmark.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TreeBench {
    /// Levels of branching: 2^(depth+1) - 2 dendritic branches.
    pub depth: u32,
    /// Segments per branch.
    pub nseg: usize,
    /// Number of Exp2Syn synapses on the terminal branches.
    pub syn: usize,
    /// Poisson rate of each synapse (Hz).
    pub rate_hz: f64,
    /// Simulated time (ms).
    pub tstop: f64,
    pub seed: u64,
}

/// Builds the benchmark model: a soma (L = diam = 20 um, hh) and a balanced binary tree
/// of 100 um branches with diam 3 * 0.8^level, hh at 1/10 density; Ra 100, cm 1;
/// synapses at x = 0.5 of the terminal branches, round robin, each with its own
/// Poisson train; dt 0.025 ms, 6.3 degC, v_init -65 mV. Initialised, with a spike
/// detector (0 mV) on the soma as detector 0.
pub fn binary_tree(b: &TreeBench) -> Result<Simulation, BuildError> {
    if b.depth > 16 {
        return Err(
            SimError::Value { what: "the tree's depth", value: b.depth as f64, rule: "at most 16" }.into()
        );
    }
    let mut sections = vec![Section::cylinder(
        "soma".into(),
        Region::Soma,
        None,
        1.0,
        Point3::new(-10.0, 0.0, 0.0),
        Vector3::x(),
        20.0,
        20.0,
    )];
    let mut terminals = Vec::new();
    // Iterative depth-first growth, children in order, as the NEURON script does.
    let mut stack = vec![(0usize, 0u32, Vector3::x())];
    while let Some((parent, level, dir)) = stack.pop() {
        if level >= b.depth {
            continue;
        }
        let mut kids = Vec::new();
        for k in 0..2 {
            let start = *sections[parent].points.last().expect("points");
            let angle = if k == 0 { 0.5 } else { -0.5 } / (1.0 + level as f64 * 0.3);
            let d = Rotation3::from_axis_angle(&Vector3::z_axis(), angle) * dir;
            let name = format!("d{}", sections.len() - 1);
            sections.push(Section::cylinder(
                name,
                Region::Basal,
                Some(parent),
                1.0,
                start,
                d,
                100.0,
                3.0 * 0.8f64.powi(level as i32),
            ));
            let idx = sections.len() - 1;
            if level == b.depth - 1 {
                terminals.push(idx);
            }
            kids.push((idx, level + 1, d));
        }
        // Depth first, first child first: push in reverse.
        stack.extend(kids.into_iter().rev());
    }
    let ns = sections.len();
    let morph = Morphology { file: "binary tree".into(), sections, warnings: Vec::new() };
    let mut nseg = vec![b.nseg; ns];
    nseg[0] = 1;
    let cell = Cell::new(morph, Passive::uniform(ns, 100.0, 1.0), &Nseg::PerSection(nseg))?;
    let config = SimConfig { dt: 0.025, celsius: 6.3, v_init: -65.0, crank_nicolson: false };
    let mut sim = Simulation::new(cell, config)?;
    let soma_nodes = sim.cell.nodes_where(|s| s == 0);
    sim.insert("hh", soma_nodes, "soma")?;
    let dend_nodes = sim.cell.nodes_where(|s| s > 0);
    if !dend_nodes.is_empty() {
        let slot = sim.insert("hh", dend_nodes, "dendrites")?;
        for (p, v) in [("gnabar", 0.012), ("gkbar", 0.0036), ("gl", 0.0003), ("el", -54.3)] {
            sim.set_param(slot, p, v)?;
        }
    }
    if !terminals.is_empty() {
        for i in 0..b.syn {
            let sec = terminals[i % terminals.len()];
            let node = sim.cell.node_at(sec, 0.5);
            let k = sim.add_synapse(node, SynapseParams::exp2syn(0.5, 5.0, 0.0))?;
            sim.add_poisson(k, b.rate_hz, 0.0005, 0.0, f64::INFINITY, b.seed.wrapping_add(i as u64))?;
        }
    }
    let soma = sim.cell.node_at(0, 0.5);
    sim.add_spike_detector(soma, 0.0)?;
    sim.init();
    Ok(sim)
}

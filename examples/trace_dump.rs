//! Prints the somatic voltage and one distal apical voltage of Hay's cell 2 (the `bench
//! cell` protocol) every 0.1 ms for 1 s, and the benchmark tree's somatic voltage, as
//! text: for comparing two builds (`diff`, or the largest difference with a script).
//!
//! `cargo run --release --no-default-features --example trace_dump > trace.txt`
//! (`DENDRA_THREADS=2` runs the Hay cell on two threads, in runs of 10 ms: printed every
//! 10 ms then.)

use dendra::sim::stimuli::IClamp;
use dendra::sim::workloads::{TreeBench, binary_tree};
use std::path::PathBuf;

fn main() {
    let morph = dendra::sim::morphology::gallery::open(&PathBuf::from(
        "morphologies/l5pc_rat_hay2011_cell2_converted.swc",
    ))
    .expect("morphology");
    let mut sim = dendra::lab::biophysics::build(morph, "hay").expect("build");
    let soma = sim.cell.node_at(sim.cell.morphology.soma(), 0.5);
    sim.add_iclamp(IClamp { node: soma, delay: 100.0, dur: 5.0, amp: 1.9 }).unwrap();
    // DENDRA_THREADS=N runs the Hay cell on N threads.
    let threads: usize = std::env::var("DENDRA_THREADS").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    sim.set_threads(threads);
    sim.init();
    // The membrane node furthest from the soma in index: a distal apical tip.
    let far = (0..sim.v.len()).rev().find(|&n| sim.cell.area[n] > 0.0).unwrap();
    let (runs, every) = if threads > 1 { (100, 400) } else { (10_000, 4) };
    for k in 1..=runs {
        sim.run_until(k as f64 * every as f64 * sim.config.dt);
        println!("hay {:.4} {:.12} {:.12}", sim.t(), sim.v[soma as usize], sim.v[far]);
    }
    let b = TreeBench { depth: 6, nseg: 9, syn: 200, rate_hz: 20.0, tstop: 1000.0, seed: 1 };
    let mut sim = binary_tree(&b).unwrap();
    for k in 0..40_000 {
        sim.step();
        if k % 4 == 3 {
            println!("tree {:.4} {:.12}", sim.t(), sim.v[1]);
        }
    }
}

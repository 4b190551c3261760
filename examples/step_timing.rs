//! Load-robust timing of the step: runs the same simulation `REPEATS` times, timing each
//! chunk of 200 steps, and sums the fastest time of each chunk over the repeats (on a busy
//! machine the fastest of several tries is the one that was not preempted). Prints the
//! composite wall time of the whole run and the cost per compartment-step.
//!
//! `cargo run --release --no-default-features --example step_timing -- hay [REPEATS] [THREADS]`
//! `cargo run --release --no-default-features --example step_timing -- tree DEPTH [REPEATS]`

use dendra::sim::engine::Simulation;
use dendra::sim::stimuli::IClamp;
use dendra::sim::workloads::{TreeBench, binary_tree};
use std::path::PathBuf;
use std::time::Instant;

const CHUNK: usize = 200;

fn hay(threads: usize) -> Simulation {
    let morph = dendra::sim::morphology::gallery::open(&PathBuf::from(
        "morphologies/l5pc_rat_hay2011_cell2_converted.swc",
    ))
    .expect("morphology");
    let mut sim = dendra::lab::biophysics::build(morph, "hay").expect("build");
    let soma = sim.cell.node_at(sim.cell.morphology.soma(), 0.5);
    sim.add_iclamp(IClamp { node: soma, delay: 100.0, dur: 5.0, amp: 1.9 }).unwrap();
    sim.add_spike_detector(soma, 0.0).unwrap();
    sim.set_threads(threads);
    sim.init();
    sim
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().map(String::as_str).unwrap_or("hay");
    let (make, repeats): (Box<dyn Fn() -> Simulation>, usize) = match which {
        "tree" => {
            let depth: u32 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(6);
            let b = TreeBench { depth, nseg: 9, syn: 200, rate_hz: 20.0, tstop: 1000.0, seed: 1 };
            (
                Box::new(move || binary_tree(&b).unwrap()),
                args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5),
            )
        }
        _ => {
            let threads: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
            (Box::new(move || hay(threads)), args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5))
        }
    };
    let steps = 40_000usize;
    let chunks = steps / CHUNK;
    let mut best = vec![f64::INFINITY; chunks];
    let mut spikes = 0;
    let mut comps = 0;
    let mut totals = Vec::new();
    for _ in 0..repeats {
        let mut sim = make();
        comps = sim.cell.compartment_count();
        let t_all = Instant::now();
        for b in best.iter_mut() {
            let t0 = Instant::now();
            for _ in 0..CHUNK {
                sim.step();
            }
            *b = b.min(t0.elapsed().as_secs_f64());
        }
        totals.push(t_all.elapsed().as_secs_f64());
        spikes = sim.detectors[0].count;
    }
    let composite: f64 = best.iter().sum();
    totals.sort_by(f64::total_cmp);
    println!(
        "{which}: {comps} compartments, {spikes} spikes; composite {composite:.4} s, best whole {:.4} s, median whole {:.4} s; {:.2} ns per compartment-step",
        totals[0],
        totals[totals.len() / 2],
        composite / (steps * comps) as f64 * 1e9
    );
}

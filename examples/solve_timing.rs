//! Time of the cable matrix alone (begin + solve), per node, on the benchmark tree and on
//! Hay's cell 2: `cargo run --release --no-default-features --example solve_timing`.

use dendra::sim::workloads::{TreeBench, binary_tree};
use std::path::PathBuf;
use std::time::Instant;

fn time(name: &str, mut sim: dendra::sim::engine::Simulation) {
    let n = sim.v.len();
    let v: Vec<f64> = (0..n).map(|i| -65.0 + (i % 7) as f64).collect();
    let reps = (4_000_000 / n).max(10);
    let mut best = f64::INFINITY;
    for _ in 0..7 {
        let t0 = Instant::now();
        for _ in 0..reps {
            sim.matrix.begin(&v);
            sim.matrix.solve();
        }
        best = best.min(t0.elapsed().as_secs_f64());
    }
    let mut begin = f64::INFINITY;
    for _ in 0..7 {
        let t0 = Instant::now();
        for _ in 0..reps {
            sim.matrix.begin(&v);
        }
        begin = begin.min(t0.elapsed().as_secs_f64());
    }
    let per = |t: f64| t / reps as f64 / n as f64 * 1e9;
    println!("{name}: {n} nodes, begin + solve {:.2} ns per node (begin {:.2})", per(best), per(begin));
}

fn main() {
    for depth in [4, 6, 8, 10] {
        let b = TreeBench { depth, nseg: 9, syn: 0, rate_hz: 20.0, tstop: 1000.0, seed: 1 };
        time(&format!("tree{depth}"), binary_tree(&b).unwrap());
    }
    let morph = dendra::sim::morphology::gallery::open(&PathBuf::from(
        "morphologies/l5pc_rat_hay2011_cell2_converted.swc",
    ))
    .unwrap();
    time("hay", dendra::lab::biophysics::build(morph, "hay").unwrap());
}

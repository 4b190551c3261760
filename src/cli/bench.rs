//! `dendra bench tree ...`: the binary-tree workload of `../shared/bench/`, printing one
//! JSON line with the same keys as the NEURON and Arbor scripts.

use crate::sim::workloads::{TreeBench, binary_tree};
use clap::Subcommand;
use std::time::Instant;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The balanced binary tree with hh and Poisson-driven synapses.
    Tree {
        #[arg(long, default_value_t = 8)]
        depth: u32,
        #[arg(long, default_value_t = 9)]
        nseg: usize,
        #[arg(long, default_value_t = 200)]
        syn: usize,
        /// Rate of each synapse's Poisson train (Hz).
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
        /// Simulated time (ms).
        #[arg(long, default_value_t = 1000.0)]
        tstop: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

pub fn run(cmd: BenchCommand) -> Result<(), String> {
    match cmd {
        BenchCommand::Tree { depth, nseg, syn, rate, tstop, seed } => {
            if !(tstop.is_finite() && tstop >= 0.0) {
                return Err(format!("--tstop must be >= 0, got {tstop}"));
            }
            if nseg == 0 {
                return Err("--nseg must be at least 1".into());
            }
            let b = TreeBench { depth, nseg, syn, rate_hz: rate, tstop, seed };
            let mut sim = binary_tree(&b).map_err(|e| e.to_string())?;
            let t0 = Instant::now();
            sim.run_until(tstop);
            let wall = t0.elapsed().as_secs_f64();
            let line = serde_json::json!({
                "engine": format!("dendra {}", env!("CARGO_PKG_VERSION")),
                "compartments": sim.cell.compartment_count(),
                "steps": sim.steps(),
                "wall_s": (wall * 1e4).round() / 1e4,
                "realtime_factor": ((tstop / 1000.0 / wall) * 1e4).round() / 1e4,
                "soma_spikes": sim.detectors[0].count,
            });
            println!("{line}");
            Ok(())
        }
    }
}

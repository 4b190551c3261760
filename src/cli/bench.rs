//! `dendra bench tree ...`: the binary-tree workload ([`crate::sim::workloads`]), printing one
//! JSON line with the same keys as its NEURON and Arbor versions, `scripts/neuron_tree_bench.py`
//! and `scripts/arbor_tree_bench.py`.

use super::output::{CliError, write_stdout};
use super::progress::{Progress, check_work};
use crate::sim::limits::MAX_SYNAPSES;
use crate::sim::workloads::{TreeBench, binary_tree};
use clap::Subcommand;
use std::time::Instant;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The balanced binary tree with hh and Poisson-driven synapses.
    Tree {
        /// Levels of branching (at most 16).
        #[arg(long, default_value_t = 8, allow_negative_numbers = true)]
        depth: i64,
        /// Segments per dendritic branch (1 to 1000).
        #[arg(long, default_value_t = 9, allow_negative_numbers = true)]
        nseg: i64,
        /// Synapses on the terminal branches (at most sim::limits::MAX_SYNAPSES).
        #[arg(long, default_value = "200", allow_negative_numbers = true)]
        syn: String,
        /// Rate of each synapse's Poisson train (Hz, above 0 and at most 1000).
        #[arg(long, default_value_t = 20.0, allow_negative_numbers = true)]
        rate: f64,
        /// Simulated time (ms).
        #[arg(long, default_value_t = 1000.0, allow_negative_numbers = true)]
        tstop: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Run even when the work estimate is beyond the limit (docs/limits.md).
        #[arg(long)]
        force: bool,
    },
}

/// Most dendritic segments per branch the benchmark takes.
const MAX_NSEG: i64 = 1000;
/// Highest Poisson rate per synapse (Hz): beyond it the events, not the cable, are the
/// benchmark.
const MAX_RATE_HZ: f64 = 1000.0;

pub fn run(cmd: BenchCommand) -> Result<(), CliError> {
    match cmd {
        BenchCommand::Tree { depth, nseg, syn, rate, tstop, seed, force } => {
            if !(0..=16).contains(&depth) {
                return Err(format!("--depth must be within 0..=16, got {depth}").into());
            }
            if !(1..=MAX_NSEG).contains(&nseg) {
                return Err(format!("--nseg must be within 1..={MAX_NSEG}, got {nseg}").into());
            }
            // Read as text: any integer, however large, gets a message about the limit.
            let syn: u128 = match syn.trim().parse::<i128>() {
                Ok(n) if n >= 0 => n as u128,
                _ => return Err(format!("--syn must be a whole number, 0 or more, got '{syn}'").into()),
            };
            if syn > MAX_SYNAPSES as u128 {
                return Err(format!(
                    "--syn: {syn} synapses are too many (at most {MAX_SYNAPSES}; see docs/limits.md)"
                )
                .into());
            }
            let syn = syn as usize;
            if !(rate.is_finite() && rate > 0.0) {
                return Err(format!("--rate must be positive (Hz), got {rate}").into());
            }
            if rate > MAX_RATE_HZ {
                return Err(format!("--rate must be at most {MAX_RATE_HZ} Hz, got {rate}").into());
            }
            if !(tstop.is_finite() && tstop >= 0.0) {
                return Err(format!("--tstop must be >= 0, got {tstop}").into());
            }
            // Estimate before building: 2^(depth+1) - 2 branches of nseg compartments.
            let compartments = ((1u64 << (depth + 1)) - 2) as usize * nseg as usize + 1;
            check_work((tstop / 0.025).ceil(), compartments, force)?;
            let b = TreeBench { depth: depth as u32, nseg: nseg as usize, syn, rate_hz: rate, tstop, seed };
            let mut sim = binary_tree(&b).map_err(|e| e.to_string())?;
            let mut progress = Progress::new("bench tree");
            let t0 = Instant::now();
            // Slices of 100 ms keep the check and the progress line out of the timing.
            while sim.t() + 0.0125 < tstop {
                sim.run_until((sim.t() + 100.0).min(tstop));
                if let Some((node, v)) = sim.insane_node() {
                    return Err(sim.insane_message(node, v).into());
                }
                if !progress.update(sim.t() / tstop) {
                    break;
                }
            }
            let wall = t0.elapsed().as_secs_f64();
            if progress.finish() {
                return Err(format!("stopped by Ctrl+C at t = {:.1} ms", sim.t()).into());
            }
            let line = serde_json::json!({
                "engine": format!("dendra {}", env!("CARGO_PKG_VERSION")),
                "compartments": sim.cell.compartment_count(),
                "steps": sim.steps(),
                "wall_s": (wall * 1e4).round() / 1e4,
                "realtime_factor": ((tstop / 1000.0 / wall) * 1e4).round() / 1e4,
                "soma_spikes": sim.detectors[0].count,
            });
            write_stdout(&format!("{line}\n"))
        }
    }
}

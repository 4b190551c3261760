//! `dendra bench tree ...`: the binary-tree workload ([`crate::sim::workloads`]), printing one
//! JSON line with the same keys as its NEURON and Arbor versions, `scripts/neuron_tree_bench.py`
//! and `scripts/arbor_tree_bench.py`.
//!
//! `dendra bench cell --morphology FILE --preset hay`: a real cell with one of the lab's
//! biophysics presets (`assets/models/`), a somatic current pulse, 1 s of simulated time; the
//! same protocol as `scripts/neuron_hay_bench.py` (1.9 nA for 5 ms from 100 ms, dt 0.025 ms,
//! v_init from the preset, -80 mV for Hay's).

use super::output::{CliError, write_stdout};
use super::progress::{Progress, check_work};
use crate::sim::engine::Simulation;
use crate::sim::limits::MAX_SYNAPSES;
use crate::sim::stimuli::IClamp;
use crate::sim::workloads::{TreeBench, binary_tree};
use clap::Subcommand;
use std::path::PathBuf;
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
    /// A real cell with a biophysics preset and a somatic current pulse (one JSON line:
    /// compartments, steps, wall_s, realtime_factor, soma_spikes).
    Cell {
        /// An SWC or Neurolucida ASC file, or a gallery cell's name (`dendra gallery`).
        #[arg(long)]
        morphology: PathBuf,
        /// Biophysics: `hay` (Hay et al. 2011, L5PCbiophys3) or `hh` (the teaching set).
        #[arg(long, default_value = "hay")]
        preset: String,
        /// Simulated time (ms).
        #[arg(long, default_value_t = 1000.0, allow_negative_numbers = true)]
        tstop: f64,
        /// Time step (ms); the preset's (0.025) if not given.
        #[arg(long, allow_negative_numbers = true)]
        dt: Option<f64>,
        /// Integration: `be` (backward Euler, NEURON's default, as scripts/neuron_hay_bench.py
        /// runs) or `cn` (Crank-Nicolson); the preset's if not given. Both cost the same.
        #[arg(long)]
        method: Option<String>,
        /// Threads stepping the cell (1 to 64).
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Somatic pulse amplitude (nA), from --delay for --dur ms.
        #[arg(long, default_value_t = 1.9, allow_negative_numbers = true)]
        amp: f64,
        #[arg(long, default_value_t = 100.0, allow_negative_numbers = true)]
        delay: f64,
        #[arg(long, default_value_t = 5.0, allow_negative_numbers = true)]
        dur: f64,
        /// Run even when the work estimate is beyond the limit (docs/limits.md).
        #[arg(long)]
        force: bool,
        /// Record the whole cell as the window does (every frame into the ring): what
        /// recording costs.
        #[arg(long)]
        record: bool,
    },
}

/// Most dendritic segments per branch the benchmark takes.
const MAX_NSEG: i64 = 1000;
/// Highest Poisson rate per synapse (Hz): beyond it the events, not the cable, are the
/// benchmark.
const MAX_RATE_HZ: f64 = 1000.0;

/// Steps `sim` to `tstop` in slices of 100 ms (the sanity check and the progress line
/// stay out of the timing, nearly); returns the wall time (s).
fn timed_run(sim: &mut Simulation, tstop: f64, what: &str) -> Result<f64, CliError> {
    timed_run_recording(sim, tstop, what, None)
}

/// As [`timed_run`], offering every step to `rec` (the window's recording) when given:
/// what recording costs the simulation.
fn timed_run_recording(
    sim: &mut Simulation,
    tstop: f64,
    what: &str,
    mut rec: Option<&mut crate::lab::recording::Recording>,
) -> Result<f64, CliError> {
    let mut progress = Progress::new(what);
    let t0 = Instant::now();
    let half = sim.config.dt / 2.0;
    while sim.t() + half < tstop {
        match rec.as_deref_mut() {
            None => sim.run_until((sim.t() + 100.0).min(tstop)),
            Some(r) => {
                let end = (sim.t() + 100.0).min(tstop);
                while sim.t() + half < end {
                    sim.step();
                    r.offer(sim.t(), &sim.v);
                }
            }
        }
        if let Some((node, v)) = sim.insane_node() {
            return Err(sim.insane(node, v).into());
        }
        if !progress.update(sim.t() / tstop) {
            break;
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    if progress.finish() {
        return Err(format!("stopped by Ctrl+C at t = {:.1} ms", sim.t()).into());
    }
    Ok(wall)
}

/// The JSON line every benchmark prints.
fn report(
    sim: &Simulation,
    tstop: f64,
    wall: f64,
    extra: &[(&str, serde_json::Value)],
) -> Result<(), CliError> {
    let mut line = serde_json::json!({
        "engine": format!("dendra {}", env!("CARGO_PKG_VERSION")),
        "compartments": sim.cell.compartment_count(),
        "steps": sim.steps(),
        "wall_s": (wall * 1e4).round() / 1e4,
        "realtime_factor": ((tstop / 1000.0 / wall) * 1e4).round() / 1e4,
        "soma_spikes": sim.detectors[0].count,
    });
    for (k, v) in extra {
        line[*k] = v.clone();
    }
    write_stdout(&format!("{line}\n"))
}

#[allow(clippy::too_many_arguments)]
fn cell(
    morphology: PathBuf,
    preset: &str,
    tstop: f64,
    (dt, method): (Option<f64>, Option<&str>),
    threads: usize,
    (amp, delay, dur): (f64, f64, f64),
    (force, record): (bool, bool),
) -> Result<(), CliError> {
    let preset = crate::lab::biophysics::find_preset(preset).map_err(|e| e.at("--preset"))?;
    if !(tstop.is_finite() && tstop >= 0.0) {
        return Err(format!("--tstop must be >= 0, got {tstop}").into());
    }
    if !(1..=64).contains(&threads) {
        return Err(format!("--threads must be within 1..=64, got {threads}").into());
    }
    if !(amp.is_finite() && delay.is_finite() && dur.is_finite() && dur >= 0.0) {
        return Err("--amp, --delay and --dur must be finite, --dur >= 0".into());
    }
    let morph =
        crate::sim::morphology::gallery::open(&morphology).map_err(|e| CliError::Input(e.to_string()))?;
    let mut sim = preset.build(morph)?;
    match method {
        None => {}
        Some("be") => sim.config.crank_nicolson = false,
        Some("cn") => sim.config.crank_nicolson = true,
        Some(m) => return Err(format!("--method must be be or cn, got '{m}'").into()),
    }
    // set_dt also rebuilds the matrix for the method.
    sim.set_dt(dt.unwrap_or(sim.config.dt)).map_err(|e| CliError::Input(e.to_string()))?;
    check_work((tstop / sim.config.dt).ceil(), sim.cell.compartment_count(), force)?;
    let soma = sim.cell.node_at(sim.cell.morphology.soma(), 0.5);
    sim.add_iclamp(IClamp { node: soma, delay, dur, amp }).map_err(|e| e.to_string())?;
    sim.add_spike_detector(soma, 0.0).map_err(|e| e.to_string())?;
    sim.set_threads(threads);
    sim.init();
    let mut rec = if record {
        Some(
            crate::lab::recording::Recording::new(
                sim.v.len(),
                sim.config.dt,
                crate::lab::recording::MAX_RECORDING_BYTES,
            )
            .ok_or("--record: the cell is too large to record")?,
        )
    } else {
        None
    };
    let wall = timed_run_recording(&mut sim, tstop, "bench cell", rec.as_mut())?;
    // What a scrubbed moment costs the window: the colours of one recorded frame, with
    // the 150 ms peak hold (the costliest colouring), over 50 moments across the ring.
    let scrub_ms = rec.as_ref().filter(|r| r.len() > 1).map(|r| {
        let mut out = Vec::new();
        let t = Instant::now();
        for i in 0..50 {
            let k = (i * (r.len() - 1)) / 49;
            r.peaks(k, crate::lab::probes::PEAK_HOLD_MS, &mut out);
        }
        (t.elapsed().as_secs_f64() * 1000.0 / 50.0 * 1e3).round() / 1e3
    });
    let method = if sim.config.crank_nicolson { "cn" } else { "be" };
    report(
        &sim,
        tstop,
        wall,
        &[
            ("threads", threads.into()),
            ("dt", sim.config.dt.into()),
            ("method", method.into()),
            // With two threads: the first node of the helper's subtrees (null: not split).
            ("split_at", sim.last_split().into()),
            // Steps on two threads, and the times a split stepped back to one thread
            // because the threads kept waiting for each other (a busy core).
            ("split_steps", sim.split_stats().split_steps.into()),
            ("split_stepped_back", sim.split_stats().stepped_back.into()),
            // With --record: the recording's frame interval (ms) and its size (MB).
            ("record_every_ms", rec.as_ref().map(|r| (r.every_ms() * 1e4).round() / 1e4).into()),
            ("record_mb", rec.as_ref().map(|r| r.bytes() >> 20).into()),
            // With --record: one scrubbed moment's colours, peak hold included (ms).
            ("scrub_ms", scrub_ms.into()),
        ],
    )
}

pub fn run(cmd: BenchCommand) -> Result<(), CliError> {
    match cmd {
        BenchCommand::Cell {
            morphology,
            preset,
            tstop,
            dt,
            method,
            threads,
            amp,
            delay,
            dur,
            force,
            record,
        } => cell(
            morphology,
            &preset,
            tstop,
            (dt, method.as_deref()),
            threads,
            (amp, delay, dur),
            (force, record),
        ),
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
            let wall = timed_run(&mut sim, tstop, "bench tree")?;
            report(&sim, tstop, wall, &[])
        }
    }
}

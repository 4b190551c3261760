//! The engine's limits: every count a file or a flag can set in a simulation has a limit
//! here, checked before anything is allocated, so that memory stays bounded whatever an
//! input asks for. Limits that belong to one reader or one part of the lab live beside
//! what they bound (the file readers' in `textfile.rs`, `morphology/swc.rs` and
//! `morphology/asc/`, the spec's in `spec.rs`, the lab's in `lab/session.rs`,
//! `lab/trials.rs`, `lab/linearity.rs` and `lab/setup.rs`, a lesson's in
//! `lab/lesson/run.rs` and `lab/lesson/figures/`, the data sets' in `cli/dataset.rs`);
//! `docs/limits.md` lists every one of them, where it lives and why it sits where it does.

/// Synapses in one simulation, counted as a file or the user writes them (an AMPA+NMDA
/// synapse is one). A lecture uses tens; Beniaguev's L5PC about 2,000; the benchmark 200.
pub const MAX_SYNAPSES: usize = 100_000;
/// Synaptic conductances in the engine: an AMPA+NMDA synapse is two (an AMPA and an
/// NMDA conductance), so twice [`MAX_SYNAPSES`]. Each costs about 200 bytes of state and
/// its event stream.
pub const MAX_ENGINE_SYNAPSES: usize = 2 * MAX_SYNAPSES;
/// Current clamps and EPSP-shaped currents in one simulation.
pub const MAX_STIMULI: usize = 10_000;
/// Recorded quantities (probes) in one simulation.
pub const MAX_PROBES: usize = 1_000;
/// Samples kept in memory over all recorded traces (8 bytes each: 400 MB).
pub const MAX_SAMPLES: usize = 50_000_000;
/// Compartments (nodes) of one cell. Real reconstructions have 100 to 20,000.
pub const MAX_COMPARTMENTS: usize = 2_000_000;
/// Compartment-steps one headless run may take without `--force` (about 10 minutes
/// here at about 5 ns per compartment-step).
pub const MAX_WORK_COMPARTMENT_STEPS: f64 = 1.2e11;
/// Input spikes one run may schedule ahead and keep as its record of inputs (a
/// lesson's Poisson trains with random rates, what `dendra dataset` writes; about 72
/// bytes each while the run goes: 150 MB). Beniaguev et al.'s 128 s runs of about
/// 2,000 synapses carry about half a million.
pub const MAX_INPUT_SPIKES: usize = 2_000_000;
/// A membrane potential beyond this magnitude (mV) means the run has gone wrong.
pub const MAX_ABS_V_MV: f64 = 1000.0;

/// Characters in a name or label a file may set (a trial's label, a group's, place's or
/// probe's name, a region): a lecture needs a few words; a 10 MB label would take
/// gigabytes to lay out in the window.
pub const MAX_NAME_CHARS: usize = 200;
/// Characters in a path a file may name (a setup's cell).
pub const MAX_PATH_CHARS: usize = 4096;

/// The message for a count over its limit.
pub fn too_many(what: &str, count: usize, limit: usize) -> String {
    format!("{count} {what} are too many (at most {limit}; see docs/limits.md)")
}

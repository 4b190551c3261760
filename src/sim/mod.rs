//! The simulation core: morphology, discretisation, cable solver, mechanisms,
//! synapses, stimuli, recording. A plain library: it knows nothing of Bevy or any
//! window, and builds and tests with `cargo test --no-default-features`.
//!
//! Units are NEURON's throughout: mV, ms, um, uF/cm2, S/cm2, mA/cm2 (density
//! currents), nA (point currents), uS (point conductances), mM, degC.

pub mod builtin_cells;
pub mod cable;
pub mod cell;
pub mod compare;
pub mod defaults;
pub mod discretize;
pub mod engine;
pub mod error;
pub mod events;
pub mod limits;
pub mod mechanisms;
pub mod model;
pub mod morphology;
pub mod passive;
pub mod placement;
pub mod recording;
pub mod rng;
pub mod savefile;
pub mod sites;
pub mod spec;
pub mod stimuli;
pub mod synapses;
pub mod textfile;
pub mod workloads;

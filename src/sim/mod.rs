//! The simulation core: morphology, discretisation, cable solver, mechanisms,
//! synapses, stimuli, recording. A plain library: it knows nothing of Bevy or any
//! window, and builds and tests with `cargo test --no-default-features`.
//!
//! Units are NEURON's throughout: mV, ms, um, uF/cm2, S/cm2, mA/cm2 (density
//! currents), nA (point currents), uS (point conductances), mM, degC.

/// Declares an error that is a message in words (`Display` shows it as is).
#[macro_export]
#[doc(hidden)]
macro_rules! message_error {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name(pub String);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::error::Error for $name {}
    };
}

pub mod builtin_cells;
pub mod cable;
pub mod cell;
pub mod compare;
pub mod defaults;
pub mod discretize;
pub mod engine;
pub mod events;
pub mod limits;
pub mod mechanisms;
pub mod model;
pub mod morphology;
pub mod passive;
pub mod placement;
pub mod recording;
pub mod rng;
pub mod sites;
pub mod spec;
pub mod stimuli;
pub mod synapses;
pub mod textfile;
pub mod workloads;

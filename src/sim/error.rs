//! The engine's error: what the simulation was asked to do and could not. It sits below
//! the engine, beside the parts the engine is built of (synapses, mechanisms), which
//! return it too.

use crate::sim::limits;
use crate::sim::mechanisms::{self, ParamError};

/// Something the engine was asked to do and could not: a missing node, synapse or
/// mechanism, a value out of range, a count over its limit (docs/limits.md).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    /// A number outside what it may be (`rule`, e.g. "in (0, 10] ms").
    #[error("{what} must be {rule}, got {value}")]
    Value { what: &'static str, value: f64, rule: &'static str },
    /// Numbers that must be finite and are not.
    #[error("{what} must be finite")]
    NotFinite { what: &'static str },
    /// More of something than the engine keeps.
    #[error("{}", limits::too_many(what, *count, *limit))]
    TooMany { what: &'static str, count: usize, limit: usize },
    /// Recordings larger than the samples the engine keeps.
    #[error(
        "{probes} probes of {capacity} samples each are too many to keep (at most {} samples in all; \
         see docs/limits.md)",
        limits::MAX_SAMPLES
    )]
    TooManySamples { probes: usize, capacity: usize },
    #[error("node {0} does not exist")]
    NoNode(u32),
    #[error("{mechanism}: node {node} is not a membrane compartment")]
    NotMembrane { mechanism: String, node: u32 },
    #[error("unknown mechanism '{name}' (known: {})", mechanisms::catalogue::names().collect::<Vec<_>>().join(", "))]
    UnknownMechanism { name: String },
    #[error("no mechanism in slot {0}")]
    NoMechanism(usize),
    #[error("{mechanism} has no state '{name}' at index {index}")]
    NoState { mechanism: &'static str, name: String, index: usize },
    #[error("no synapse {0}")]
    NoSynapse(usize),
    /// A synapse's parameters that cannot be used.
    #[error("{0}")]
    SynapseParams(String),
    #[error("synapse {0} is recorded; it cannot be removed during the run")]
    Recorded(usize),
    /// A voltage left the sane range (|V| <= limits::MAX_ABS_V_MV): at `section`(`x`),
    /// time `t` (ms), value `v` (mV).
    #[error(
        "the voltage left the sane range (|V| <= {} mV) at {section}({x:.3}) at t = {t:.3} ms ({v:.3e} mV); \
         likely causes: a negative or huge conductance, synaptic weight or current, a tiny axial \
         resistance, or a time step too large for the model",
        limits::MAX_ABS_V_MV
    )]
    Runaway { section: String, x: f64, t: f64, v: f64 },
    /// A mechanism's parameter or state.
    #[error(transparent)]
    Param(#[from] ParamError),
}

/// A simulation that could not be built on a morphology: the morphology could not be
/// discretised ([`CellError`], naming the section), or the engine refused what was asked
/// of it ([`SimError`]). What the passive figures and the benchmark tree return.
///
/// [`CellError`]: crate::sim::cell::CellError
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Cell(#[from] crate::sim::cell::CellError),
    #[error(transparent)]
    Sim(#[from] SimError),
}

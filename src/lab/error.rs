//! The lab's errors: what a command, a setup file or a lesson's scene asked that the lab
//! could not do, naming the entry, section or value at fault. The window shows them in
//! its status line; the command line prints them.

use super::scene::SceneError;
use crate::sim::engine::SimError;
use crate::sim::limits::too_many;
use crate::sim::model::ModelError;
use crate::sim::morphology::MorphError;
use std::path::PathBuf;

/// Why the lab refused a command, a setup or a scene.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// A name that names nothing (`what`: "biophysics", "region", "drug"; `known`: the
    /// names there are, empty when too many to list).
    #[error("no {what} '{name}'{}", list(.known))]
    Unknown { what: &'static str, name: String, known: Vec<String> },
    /// A section index past the cell's last section.
    #[error("there is no section {0}")]
    NoSection(usize),
    /// A section name the cell does not have.
    #[error("the cell has no section '{0}'")]
    NoSectionNamed(String),
    /// A synapse index past the lab's last synapse (`count` of them).
    #[error("there is no synapse {index} (the lab has {count})")]
    NoSynapse { index: usize, count: usize },
    /// A number outside what it may be (`rule`, e.g. "within 0..1").
    #[error("{what} must be {rule}, got {value}")]
    Value { what: &'static str, value: f64, rule: &'static str },
    /// A number outside the range it may take.
    #[error("{what} must be within [{lo}, {hi}], got {value}")]
    OutOfRange { what: &'static str, value: f64, lo: f64, hi: f64 },
    /// A mechanism that is not in a region or at a place (`place` in words: "apical",
    /// "place 'tuft'").
    #[error("the cell has no {mechanism} in the {place}")]
    NotHere { mechanism: String, place: String },
    /// More of something than the lab keeps.
    #[error("{}", too_many(.what, *.count, *.limit))]
    TooMany { what: &'static str, count: usize, limit: usize },
    /// A request the lab's present state does not allow (a drug blocks the channel,
    /// nothing to measure), in words.
    #[error("{0}")]
    NotNow(String),
    /// The cell's morphology could not be read.
    #[error(transparent)]
    Morphology(#[from] MorphError),
    /// The biophysics could not be built on the cell (`file`: the morphology).
    #[error("{file}: {source}")]
    Biophysics { file: String, source: Box<ModelError> },
    /// The engine refused the command.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// A setup file that cannot be read, understood or written (`problem` in words).
    #[error("{}: {problem}", .path.display())]
    File { path: PathBuf, problem: String },
    /// An entry of a setup or scene (`at`: `synapses[3]`, `trials[0].traces[1]`) and
    /// what is wrong with it.
    #[error("{at}: {source}")]
    Entry { at: String, source: Box<LabError> },
    /// A scene (a lesson's or a setup's) that could not be resolved on the cell.
    #[error(transparent)]
    Scene(Box<SceneError>),
    /// A problem of an entry that has no error of its own, in words.
    #[error("{0}")]
    Invalid(String),
}

impl LabError {
    /// This error, said of entry `at`.
    pub fn at(self, at: impl Into<String>) -> LabError {
        LabError::Entry { at: at.into(), source: Box::new(self) }
    }
}

impl From<SceneError> for LabError {
    fn from(e: SceneError) -> Self {
        LabError::Scene(Box::new(e))
    }
}

fn list(known: &[String]) -> String {
    if known.is_empty() { String::new() } else { format!(" (known: {})", known.join(", ")) }
}

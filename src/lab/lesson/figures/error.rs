//! Why a figure could not be computed, or a claim not judged.

use super::MAX_RUNS_PER_FIGURE;
use crate::lab::error::LabError;
use crate::lab::lesson::LessonError;

/// Why a figure could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum FigureError {
    /// A figure named before it is computed (figures are computed in order).
    #[error("no figure '{0}' before this one")]
    NotYet(String),
    /// A figure used as a number that is not one.
    #[error("'{0}' is not a number")]
    NotANumber(String),
    /// A figure used as a curve that is not one.
    #[error("'{0}' is not a curve")]
    NotACurve(String),
    /// A curve too short to analyse.
    #[error("'{0}' has fewer than two points")]
    ShortCurve(String),
    /// A ratio whose divisor is zero.
    #[error("ratio: '{0}' is zero")]
    Zero(String),
    /// The figure came out infinite or not a number.
    #[error("the figure is not finite ({0})")]
    NotFinite(f64),
    /// A sweep or search that would need more runs than one figure may make.
    #[error("{0} runs are too many for one figure (at most {MAX_RUNS_PER_FIGURE})")]
    TooManyRuns(usize),
    /// A run of a condition the lesson does not have.
    #[error("no condition '{0}'")]
    NoCondition(String),
    /// A place measured that the scene does not record.
    #[error("the place '{0}' is not recorded (add it to the scene's probes)")]
    NotRecorded(String),
    /// An option of the figure outside what it may be (`rule`: "between 0 and 1").
    #[error("{what} must be {rule}, got {value}")]
    Option { what: &'static str, rule: &'static str, value: f64 },
    /// A threshold search whose highest value does not reach the level.
    #[error("threshold: even {var} = {hi} does not reach {at_least}")]
    NotReached { var: String, hi: f64, at_least: f64 },
    /// A measuring window with no samples in it.
    #[error("no samples between {from_ms} and {to_ms} ms")]
    NoSamples { from_ms: f64, to_ms: f64 },
    /// A fit's bins that do not fit in the run.
    #[error("the run has no stretch of {bin_ms} ms bins after {from_ms} ms")]
    NoStretch { bin_ms: f64, from_ms: f64 },
    /// A fit's bin with no sample of the trace.
    #[error("the trace has no sample in the bin at {at_ms} ms (bins too fine)")]
    EmptyBin { at_ms: f64 },
    /// The linear model could not be fitted.
    #[error(transparent)]
    Fit(#[from] FitError),
    /// A name of the scene (a synapse group) that it does not have.
    #[error(transparent)]
    Lab(#[from] LabError),
    /// A run the figure needs failed.
    #[error(transparent)]
    Run(Box<LessonError>),
    /// Another run failed while this one's was made (a worker thread panicked).
    #[error("a run failed")]
    Lost,
}

impl From<LessonError> for FigureError {
    fn from(e: LessonError) -> Self {
        FigureError::Run(Box::new(e))
    }
}

/// Why a linear model could not be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// Inputs of another length than the output.
    #[error("every input needs one value per bin of the output")]
    Lengths,
    /// A time constant not positive and finite.
    #[error("the time constants must be positive, got {0:?}")]
    Taus(Vec<f64>),
    /// Too few bins for the weights.
    #[error("{bins} bins are too few to fit {weights} weights on {train} and judge them on the rest")]
    TooFew { bins: usize, weights: usize, train: usize },
    /// The least-squares solve failed.
    #[error("least squares failed: {0}")]
    Solve(&'static str),
}

/// Why a claim could not be judged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClaimError {
    /// The claim is about a figure the lesson does not have.
    #[error("no such figure (claim)")]
    NoFigure,
    /// The figure compared with is not a number.
    #[error("'{0}' is not a number")]
    NotANumber(String),
    /// The claim's value is not a number.
    #[error("the claim's value is not a number")]
    Value,
    /// Neither a value nor a figure to compare with.
    #[error("the claim has neither a value nor a figure to compare with")]
    Nothing,
    /// A comparison other than `>`, `>=`, `<`, `<=`, `==`.
    #[error("unknown comparison '{0}'")]
    Op(String),
    /// A claim of another kind than its figure (a number against a boolean).
    #[error("the claim does not fit the figure's kind")]
    Kind,
}

//! The figures a lesson measures on its runs, and the claims judged on them.
//!
//! A figure is a measure of one run (a peak, a spike count, a time above a level, a
//! width), a sweep of runs over a variable (an input-output curve), a threshold found by
//! bisection, arithmetic on earlier figures (a ratio, a difference, a sum, a table,
//! an analysis of a curve), or a linear model fitted from a run's inputs to its output.
//! Runs are cached by condition and variables; the runs of a sweep go in parallel, one
//! per core.

mod error;
mod evaluator;
mod judge;
mod linear;
mod measure;

use super::run::{Run, RunId, Traces};
use super::{Claim, ClaimResult, Lesson, LessonError};
use crate::lab::scene::ResolvedScene;
pub use error::{ClaimError, FigureError, FitError};
use evaluator::*;
pub use judge::judge;
pub use linear::{LinearModel, fit_linear};
pub use measure::measure;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// What is measured on one place's trace, within the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Measure {
    /// The highest voltage (mV).
    Peak,
    /// The highest voltage minus the voltage at the window's start (mV).
    Rise,
    /// Upward crossings of `above_mv`.
    Spikes { above_mv: f64 },
    /// Time spent above `mv` (ms).
    TimeAbove { mv: f64 },
    /// Width at half height (ms) of the rise above the window's start.
    HalfWidth,
    /// The mean voltage (mV), weighted by time.
    Mean,
}

/// A variable's value in a run: a number, or a figure already computed times a factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum VarValue {
    Value(f64),
    Figure {
        figure: String,
        #[serde(default = "one")]
        times: f64,
    },
}

fn one() -> f64 {
    1.0
}

/// A run of a condition with variables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRef {
    pub condition: String,
    #[serde(default)]
    pub vars: BTreeMap<String, VarValue>,
}

impl RunRef {
    /// The run's variables with each figure it names replaced by its value, looked up
    /// with `figure` (`Err` names the figure that has no value). The one way a run's
    /// variables are worked out: for the runs a check makes, the runs it makes ahead,
    /// and the runs the window plays.
    pub fn resolve<E>(&self, figure: impl Fn(&str) -> Result<f64, E>) -> Result<BTreeMap<String, f64>, E> {
        self.vars.iter().map(|(k, v)| Ok((k.clone(), v.resolve(&figure)?))).collect()
    }
}

impl VarValue {
    /// The value: the number, or the figure's value (looked up with `figure`) times
    /// `times`.
    pub fn resolve<E>(&self, figure: impl Fn(&str) -> Result<f64, E>) -> Result<f64, E> {
        match self {
            VarValue::Value(x) => Ok(*x),
            VarValue::Figure { figure: name, times } => Ok(figure(name)? * times),
        }
    }
}

impl Expr {
    /// The runs a figure of fixed runs measures (a measure, a linear fit, a sweep): each
    /// run's variables, the figures they name looked up with `figure`; a sweep's values
    /// scaled by its `times` figure. `None` for a threshold search (its runs depend on
    /// one another) and for arithmetic. The one place a figure's runs are worked out:
    /// the runs made ahead in parallel and the runs measured are the same.
    pub fn fixed_runs<E>(
        &self,
        figure: impl Fn(&str) -> Result<f64, E>,
    ) -> Option<Result<Vec<BTreeMap<String, f64>>, E>> {
        let runs = |run: &RunRef, sweep: Option<(&String, &[f64], &Option<String>)>| {
            let base = run.resolve(&figure)?;
            let Some((var, values, times)) = sweep else { return Ok(vec![base]) };
            let scale = match times {
                Some(f) => figure(f)?,
                None => 1.0,
            };
            Ok(values.iter().map(|x| with_var(&base, var, x * scale)).collect())
        };
        match self {
            Expr::Measure { run, .. } | Expr::LinearFit { run, .. } => Some(runs(run, None)),
            Expr::Sweep { run, var, values, times, .. } => Some(runs(run, Some((var, values, times)))),
            _ => None,
        }
    }

    /// The run a figure measures, and for a sweep or a threshold search the variable it
    /// varies: `None` for arithmetic on other figures.
    pub fn run(&self) -> Option<(&RunRef, Option<&str>)> {
        match self {
            Expr::Measure { run, .. } | Expr::LinearFit { run, .. } => Some((run, None)),
            Expr::Sweep { run, var, .. } | Expr::Threshold { run, var, .. } => {
                Some((run, Some(var.as_str())))
            }
            _ => None,
        }
    }
}

/// `vars` with `name` set to `x`.
pub(crate) fn with_var(vars: &BTreeMap<String, f64>, name: &str, x: f64) -> BTreeMap<String, f64> {
    let mut v = vars.clone();
    v.insert(name.to_string(), x);
    v
}

/// Where and what to measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    pub place: String,
    pub what: Measure,
    #[serde(default)]
    pub from_ms: f64,
    #[serde(default)]
    pub to_ms: Option<f64>,
}

/// How a curve is summarised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Analysis {
    /// The steepest step of the curve over its first step: well above 1 for a
    /// sigmoid (a threshold), about 1 for a line.
    SteepestOverInitialSlope,
    /// The input at which the curve first reaches half its range.
    XAtHalfMax,
    /// The last point's output over the sum of the single steps extrapolated from the
    /// first (output at the last input over first output times the last input).
    LastOverLinear,
}

/// What a linear fit gives as its figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FitShow {
    /// R^2 of the prediction on the stretch left out of the fit.
    #[default]
    R2,
    /// The prediction over the start of that stretch, as a curve `[[t ms, mV], ...]`.
    Prediction,
    /// The real (binned, clipped) voltage over the same stretch.
    Actual,
}

fn default_taus() -> Vec<f64> {
    vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]
}
fn default_train() -> f64 {
    0.7
}
fn default_show_ms() -> f64 {
    500.0
}

/// How a figure is computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Expr {
    /// One measure of one run.
    Measure {
        run: RunRef,
        probe: Probe,
    },
    /// The same measure over runs with `var` set to each of `values`: `[[x, y], ...]`.
    /// With `times`, the values are multiples of that figure (a threshold found on the
    /// cell, so that the sweep fits any cell); the curve's x are still the multiples.
    Sweep {
        run: RunRef,
        var: String,
        values: Vec<f64>,
        probe: Probe,
        #[serde(default)]
        times: Option<String>,
    },
    /// The smallest `var` in `lo..hi` (to within `tol`) at which the measure reaches
    /// `at_least` (e.g. the current that fires one spike).
    /// With `doubling_from`, the search first doubles `var` from that value (up to `hi`)
    /// until the measure is reached, then bisects between the last two values: for
    /// thresholds that differ tenfold between cells, without runs far above them.
    Threshold {
        run: RunRef,
        var: String,
        lo: f64,
        hi: f64,
        tol: f64,
        probe: Probe,
        at_least: f64,
        #[serde(default)]
        doubling_from: Option<f64>,
        /// When even `hi` does not reach the measure, the figure is `hi` rather than an
        /// error (a cell that never reaches it within the range: e.g. the factor of a
        /// conductance at which one spike becomes a burst, on a cell that never bursts).
        #[serde(default)]
        or_hi: bool,
    },
    /// A figure already computed times `times`, at most `at_most`: a value a lesson
    /// chooses from a threshold (a pulse 5% above it), reported as the figure it uses.
    Scaled {
        figure: String,
        times: f64,
        #[serde(default)]
        at_most: Option<f64>,
    },
    Ratio {
        a: String,
        b: String,
    },
    Difference {
        a: String,
        b: String,
    },
    Sum {
        of: Vec<String>,
    },
    /// Figures gathered into an object, by key.
    Table {
        of: BTreeMap<String, String>,
    },
    Analyse {
        curve: String,
        analysis: Analysis,
    },
    /// Whether a figure reaches `value`: true or false (a cell of a truth table).
    AtLeast {
        figure: String,
        value: f64,
    },
    /// A linear model of the voltage at `place` from the run's inputs: each group's
    /// spikes, counted in bins of `bin_ms`, pass through a temporal filter (a sum of
    /// causal exponentials with the time constants `taus_ms`, weights fitted) and the
    /// filtered inputs add up. Fitted by least squares on the first `train` of the run
    /// after `from_ms`, judged on the rest (see [`fit_linear`]).
    LinearFit {
        run: RunRef,
        place: String,
        /// The groups, one filter each (every group of the scene when empty).
        #[serde(default)]
        groups: Vec<String>,
        #[serde(default = "one")]
        bin_ms: f64,
        #[serde(default = "default_taus")]
        taus_ms: Vec<f64>,
        /// The voltage clipped to at most this (mV) before binning: action potentials
        /// cut off, as Beniaguev et al. fit the subthreshold voltage.
        #[serde(default)]
        clip_mv: Option<f64>,
        /// Where the stretch used starts (ms): the start of a run is a transient.
        #[serde(default)]
        from_ms: f64,
        /// The fraction of the stretch the fit learns on.
        #[serde(default = "default_train")]
        train: f64,
        #[serde(default)]
        show: FitShow,
        /// With `show` a curve: how much of the held-out stretch (ms; at most 250 points).
        #[serde(default = "default_show_ms")]
        show_ms: f64,
    },
}

/// A named figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FigureSpec {
    pub name: String,
    pub of: Expr,
}

/// Most runs one sweep or threshold may take.
pub const MAX_RUNS_PER_FIGURE: usize = 200;

/// An upper estimate of the runs and the simulated time (ms, settling included) a check
/// of `lesson` takes: a measure one run, a sweep one per value, a threshold search at
/// most as many as its bisection (and doubling) can take. What `dendra lesson check`
/// multiplies by the cell's compartments to refuse work beyond its limit.
pub fn work_estimate(lesson: &super::Lesson) -> (usize, f64) {
    let run_ms = |r: &RunRef| {
        let c = lesson.conditions.iter().find(|c| c.name == r.condition).map_or(0.0, |c| c.run_ms);
        lesson.scene.settle_ms + c
    };
    let (mut runs, mut ms) = (0usize, 0.0);
    for f in &lesson.figures {
        let (run, n) = match &f.of {
            Expr::Measure { run, .. } | Expr::LinearFit { run, .. } => (run, 1),
            Expr::Sweep { run, values, .. } => (run, values.len().min(MAX_RUNS_PER_FIGURE)),
            Expr::Threshold { run, lo, hi, tol, doubling_from, .. } => {
                let halvings =
                    if *tol > 0.0 && hi > lo { ((hi - lo) / tol).log2().ceil().max(0.0) } else { 0.0 };
                let doublings = match doubling_from {
                    Some(d) if *d > 0.0 && hi > d => (hi / d).log2().ceil().max(0.0),
                    _ => 0.0,
                };
                (run, ((halvings + doublings + 2.0) as usize).min(MAX_RUNS_PER_FIGURE))
            }
            _ => continue,
        };
        runs += n;
        ms += n as f64 * run_ms(run);
    }
    (runs, ms)
}

/// What evaluating a lesson's figures gives.
#[derive(Debug, Clone, Default)]
pub struct Evaluated {
    /// The figures by name.
    pub figures: BTreeMap<String, Value>,
    /// Every run made, by identity.
    pub runs: BTreeMap<RunId, Traces>,
    /// The run each one-run figure (a measure, a linear fit) was measured on, in the
    /// lesson's order of figures: what a result's trace shows.
    pub measured: Vec<(String, RunId)>,
}

/// Computes every figure of `lesson` on `built`, in order; returns them with the traces
/// of every run made (by `condition|var=value...`).
pub fn evaluate(lesson: &Lesson, built: &ResolvedScene) -> Result<Evaluated, LessonError> {
    evaluate_with(lesson, built, None)
}

/// As [`evaluate`], telling `progress` how many runs are made as each finishes (for a
/// progress line; [`work_estimate`] says about how many there will be).
pub fn evaluate_with(
    lesson: &Lesson,
    built: &ResolvedScene,
    progress: Option<&(dyn Fn(usize) + Sync)>,
) -> Result<Evaluated, LessonError> {
    let mut ev =
        Evaluator { lesson, built, cache: Mutex::new(BTreeMap::new()), progress, done: BTreeMap::new() };
    ev.prefetch();
    let mut measured = Vec::new();
    for f in &lesson.figures {
        let fail = |source| LessonError::Figure { figure: f.name.clone(), source: Box::new(source) };
        let v = ev.eval(&f.of).map_err(fail)?;
        if let Expr::Measure { run, .. } | Expr::LinearFit { run, .. } = &f.of {
            measured.push((f.name.clone(), RunId::new(&run.condition, &ev.vars(run).map_err(fail)?)));
        }
        ev.done.insert(f.name.clone(), v);
    }
    let runs = ev.cache.into_inner().unwrap_or_default();
    Ok(Evaluated { figures: ev.done, runs, measured })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::Rng;

    /// Poisson-like counts per bin, with a slowly changing rate.
    fn counts(rng: &mut Rng, n: usize, mean: f64) -> Vec<f64> {
        let mut out = Vec::with_capacity(n);
        let mut rate = mean;
        for t in 0..n {
            if t % 50 == 0 {
                rate = 2.0 * mean * rng.uniform();
            }
            // A count from a rate: uniform draws (enough for a test).
            let mut c = 0.0;
            for _ in 0..4 {
                if rng.uniform() < rate / 4.0 {
                    c += 1.0;
                }
            }
            out.push(c);
        }
        out
    }

    /// `x` through the causal filter `h` (h[0] the weight of the current bin).
    fn convolve(x: &[f64], h: &[f64]) -> Vec<f64> {
        (0..x.len()).map(|t| (0..h.len().min(t + 1)).map(|l| h[l] * x[t - l]).sum()).collect()
    }

    #[test]
    fn least_squares_recovers_a_known_linear_filter() {
        let mut rng = Rng::new(11);
        let n = 6000;
        let inputs = vec![counts(&mut rng, n, 1.0), counts(&mut rng, n, 0.6), counts(&mut rng, n, 0.8)];
        let taus = default_taus();
        // Filters in the model's own family: differences of exponentials (EPSP and IPSP
        // shapes) and one exponential, over 400 bins.
        let dexp = |a: f64, t1: f64, t2: f64| -> Vec<f64> {
            (0..400).map(|l| a * ((-(l as f64) / t2).exp() - (-(l as f64) / t1).exp())).collect()
        };
        let h = [
            dexp(0.8, 2.0, 16.0),
            dexp(-0.5, 4.0, 32.0),
            (0..400).map(|l| 0.3 * (-(l as f64) / 8.0).exp()).collect(),
        ];
        let mut y = vec![-70.0; n];
        for (x, h) in inputs.iter().zip(&h) {
            for (yt, c) in y.iter_mut().zip(convolve(x, h)) {
                *yt += c;
            }
        }
        let m = fit_linear(&inputs, &y, &taus, 4200).unwrap();
        assert!(m.r2_train > 0.9999 && m.r2_test > 0.9999, "{} {}", m.r2_train, m.r2_test);
        assert!((m.weights[0] + 70.0).abs() < 1e-3, "constant {}", m.weights[0]);
        // The fitted filter of channel 0 is the one used: at lag 0 zero, at 16 bins, ...
        let filter = |k: usize, lag: f64| -> f64 {
            taus.iter()
                .enumerate()
                .map(|(j, tau)| m.weights[1 + k * taus.len() + j] * (-lag / tau).exp())
                .sum()
        };
        for lag in [0usize, 3, 10, 40] {
            assert!((filter(0, lag as f64) - h[0][lag]).abs() < 1e-4, "lag {lag}");
            assert!((filter(1, lag as f64) - h[1][lag]).abs() < 1e-4, "lag {lag}");
        }

        // A filter outside the family (an alpha function) is still fitted closely...
        let alpha: Vec<f64> = (0..400).map(|l| 0.5 * l as f64 / 5.0 * (1.0 - l as f64 / 5.0).exp()).collect();
        let y2: Vec<f64> = convolve(&inputs[0], &alpha).iter().map(|v| v - 65.0).collect();
        let m = fit_linear(&inputs[..1], &y2, &taus, 4200).unwrap();
        assert!(m.r2_test > 0.99, "{}", m.r2_test);
        // ... a threshold of the input is not: the linear fit misses part of it ...
        let y3: Vec<f64> =
            convolve(&inputs[0], &alpha).iter().map(|&v| if v > 4.0 { v + 6.0 } else { v }).collect();
        let m = fit_linear(&inputs[..1], &y3, &taus, 4200).unwrap();
        assert!(m.r2_test < 0.97, "{}", m.r2_test);
        // ... and noise unrelated to the input explains nothing.
        let noise: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
        let m = fit_linear(&inputs, &noise, &taus, 4200).unwrap();
        assert!(m.r2_test < 0.02, "{}", m.r2_test);
        // Too few bins for the weights is an error, not a wild fit.
        let short: Vec<Vec<f64>> = inputs.iter().map(|x| x[..60].to_vec()).collect();
        let e = fit_linear(&short, &y[..60], &taus, 40).unwrap_err();
        assert!(matches!(e, FitError::TooFew { bins: 60, train: 40, .. }), "{e:?}");
        assert!(e.to_string().contains("too few"), "{e}");
        assert_eq!(fit_linear(&short, &y[..50], &taus, 40).unwrap_err(), FitError::Lengths);
    }
}

//! The figures a lesson measures on its runs, and the claims judged on them.
//!
//! A figure is a measure of one run (a peak, a spike count, a time above a level, a
//! width), a sweep of runs over a variable (an input-output curve), a threshold found by
//! bisection, arithmetic on earlier figures (a ratio, a difference, a sum, a table,
//! an analysis of a curve), or a linear model fitted from a run's inputs to its output.
//! Runs are cached by condition and variables; the runs of a sweep go in parallel, one
//! per core.

use super::run::{Run, RunId, Traces};
use super::{Claim, ClaimResult, Lesson, LessonError};
use crate::lab::scene::ResolvedScene;
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

/// Measures `what` on (t, v) between `from` and `to` ms.
pub fn measure(t: &[f64], v: &[f64], p: &Probe) -> Result<f64, String> {
    let to = p.to_ms.unwrap_or(f64::INFINITY);
    let idx: Vec<usize> = (0..t.len()).filter(|&k| t[k] >= p.from_ms - 1e-9 && t[k] <= to + 1e-9).collect();
    let (&first, &last) = match (idx.first(), idx.last()) {
        (Some(a), Some(b)) => (a, b),
        _ => return Err(format!("no samples between {} and {to} ms", p.from_ms)),
    };
    let w = &v[first..=last];
    let tw = &t[first..=last];
    let base = w[0];
    let peak = w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Ok(match p.what {
        Measure::Peak => peak,
        Measure::Rise => peak - base,
        Measure::Spikes { above_mv } => {
            w.windows(2).filter(|p| p[0] < above_mv && p[1] >= above_mv).count() as f64
        }
        Measure::TimeAbove { mv } => (1..w.len()).filter(|&k| w[k] > mv).map(|k| tw[k] - tw[k - 1]).sum(),
        Measure::HalfWidth => {
            let half = base + (peak - base) / 2.0;
            let k_peak = w.iter().position(|&x| x == peak).unwrap_or(0);
            let up = (0..=k_peak).rev().find(|&k| w[k] < half).map_or(tw[0], |k| cross(tw, w, k, half));
            let down = (k_peak..w.len())
                .find(|&k| w[k] < half)
                .map_or(tw[tw.len() - 1], |k| cross(tw, w, k - 1, half));
            down - up
        }
        Measure::Mean => {
            let span = tw[tw.len() - 1] - tw[0];
            if span <= 0.0 {
                w[0]
            } else {
                (1..w.len()).map(|k| (w[k] + w[k - 1]) / 2.0 * (tw[k] - tw[k - 1])).sum::<f64>() / span
            }
        }
    })
}

/// A linear model fitted by [`fit_linear`].
#[derive(Debug, Clone, PartialEq)]
pub struct LinearModel {
    /// The constant, then for each input channel one weight per time constant.
    pub weights: Vec<f64>,
    /// The model's output at every bin.
    pub prediction: Vec<f64>,
    /// The output it was fitted to.
    pub actual: Vec<f64>,
    /// R^2 on the bins it was fitted on, and on the bins left out.
    pub r2_train: f64,
    pub r2_test: f64,
}

/// Fits `y[t] = c + sum over channels k and time constants j of w[k][j] * f[k][j][t]`,
/// where `f[k][j]` is channel `k` (`inputs[k][t]`, counts per bin) filtered by a causal
/// exponential of `taus[j]` bins (`f[t] = f[t-1] exp(-1/tau) + x[t]`), so that each
/// channel's temporal filter is a sum of exponentials (a difference of two is a PSP's
/// shape). Least squares (SVD) on the bins before `train_bins`; R^2 on those and on the
/// rest (`1 - SS_res / SS_tot` around that part's own mean).
pub fn fit_linear(
    inputs: &[Vec<f64>],
    y: &[f64],
    taus: &[f64],
    train_bins: usize,
) -> Result<LinearModel, String> {
    let n = y.len();
    if inputs.iter().any(|x| x.len() != n) {
        return Err("every input needs one value per bin of the output".into());
    }
    if taus.is_empty() || taus.iter().any(|t| !(t.is_finite() && *t > 0.0)) {
        return Err(format!("the time constants must be positive, got {taus:?}"));
    }
    let p = 1 + inputs.len() * taus.len();
    if train_bins < 2 * p || n < train_bins + 10 {
        return Err(format!(
            "{n} bins are too few to fit {p} weights on {train_bins} and judge them on the rest"
        ));
    }
    // The regressors, column by column (bins x weights).
    let mut x = nalgebra::DMatrix::<f64>::zeros(n, p);
    x.column_mut(0).fill(1.0);
    for (k, input) in inputs.iter().enumerate() {
        for (j, &tau) in taus.iter().enumerate() {
            let decay = (-1.0 / tau).exp();
            let mut f = 0.0;
            let mut col = x.column_mut(1 + k * taus.len() + j);
            for t in 0..n {
                f = f * decay + input[t];
                col[t] = f;
            }
        }
    }
    // Columns scaled to unit spread on the fitted part, for a well-conditioned solve.
    let mut scale = vec![1.0; p];
    for (c, sc) in scale.iter_mut().enumerate().skip(1) {
        let col = x.column(c);
        let part = col.rows(0, train_bins);
        let mean = part.sum() / train_bins as f64;
        let var = part.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / train_bins as f64;
        *sc = if var > 0.0 { var.sqrt() } else { 1.0 };
    }
    let mut a = x.rows(0, train_bins).clone_owned();
    for (c, sc) in scale.iter().enumerate() {
        a.column_mut(c).unscale_mut(*sc);
    }
    let b = nalgebra::DVector::from_column_slice(&y[..train_bins]);
    let w = a.svd(true, true).solve(&b, 1e-10).map_err(|e| format!("least squares failed: {e}"))?;
    let weights: Vec<f64> = w.iter().zip(&scale).map(|(w, s)| w / s).collect();
    let prediction: Vec<f64> = (0..n).map(|t| (0..p).map(|c| x[(t, c)] * weights[c]).sum()).collect();
    let r2 = |range: std::ops::Range<usize>| {
        let m = range.len() as f64;
        let mean = y[range.clone()].iter().sum::<f64>() / m;
        let tot: f64 = y[range.clone()].iter().map(|v| (v - mean) * (v - mean)).sum();
        let res: f64 = range.map(|t| (y[t] - prediction[t]).powi(2)).sum();
        if tot > 0.0 { 1.0 - res / tot } else { f64::NAN }
    };
    Ok(LinearModel {
        r2_train: r2(0..train_bins),
        r2_test: r2(train_bins..n),
        weights,
        prediction,
        actual: y.to_vec(),
    })
}

/// Time at which the segment k..k+1 crosses `level` (linear interpolation).
fn cross(t: &[f64], v: &[f64], k: usize, level: f64) -> f64 {
    if k + 1 >= t.len() || v[k + 1] == v[k] {
        return t[k];
    }
    t[k] + (level - v[k]) / (v[k + 1] - v[k]) * (t[k + 1] - t[k])
}

struct Evaluator<'a> {
    lesson: &'a Lesson,
    built: &'a ResolvedScene,
    cache: Mutex<BTreeMap<RunId, Traces>>,
    /// Told the number of runs made so far, as each finishes.
    progress: Option<&'a (dyn Fn(usize) + Sync)>,
    done: BTreeMap<String, Value>,
}

fn key(cond: &str, vars: &BTreeMap<String, f64>) -> RunId {
    RunId::new(cond, vars)
}

impl Evaluator<'_> {
    fn number(&self, name: &str) -> Result<f64, String> {
        match self.done.get(name) {
            Some(Value::Number(n)) => n.as_f64().ok_or_else(|| format!("'{name}' is not a number")),
            Some(_) => Err(format!("'{name}' is not a number")),
            None => Err(format!("no figure '{name}' before this one")),
        }
    }

    fn vars(&self, r: &RunRef) -> Result<BTreeMap<String, f64>, String> {
        let mut out = BTreeMap::new();
        for (k, v) in &r.vars {
            let x = match v {
                VarValue::Value(x) => *x,
                VarValue::Figure { figure, times } => self.number(figure)? * times,
            };
            out.insert(k.clone(), x);
        }
        Ok(out)
    }

    /// The traces of runs (condition, vars), computed in parallel where missing.
    fn runs(&self, cond: &str, all_vars: &[BTreeMap<String, f64>]) -> Result<Vec<Traces>, String> {
        if all_vars.len() > MAX_RUNS_PER_FIGURE {
            return Err(format!(
                "{} runs are too many for one figure (at most {MAX_RUNS_PER_FIGURE})",
                all_vars.len()
            ));
        }
        let wanted: Vec<(&str, &BTreeMap<String, f64>)> = all_vars.iter().map(|v| (cond, v)).collect();
        self.compute(&wanted)?;
        let cache = self.cache.lock().map_err(|_| "a run failed".to_string())?;
        all_vars
            .iter()
            .map(|v| cache.get(&key(cond, v)).cloned().ok_or_else(|| "a run is missing".to_string()))
            .collect()
    }

    /// Makes the runs (condition, vars) not yet in the cache, in parallel (one per core).
    fn compute(&self, wanted: &[(&str, &BTreeMap<String, f64>)]) -> Result<(), String> {
        let mut missing: Vec<(&super::run::Condition, &str, &BTreeMap<String, f64>)> = Vec::new();
        {
            let cache = self.cache.lock().map_err(|_| "a run failed".to_string())?;
            for &(cond, vars) in wanted {
                let c = self.lesson.condition(cond).ok_or_else(|| format!("no condition '{cond}'"))?;
                if !cache.contains_key(&key(cond, vars))
                    && !missing.iter().any(|m| m.1 == cond && m.2 == vars)
                {
                    missing.push((c, cond, vars));
                }
            }
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(missing.len().max(1));
        let next = Mutex::new(0usize);
        let failure: Mutex<Option<String>> = Mutex::new(None);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    loop {
                        let i = {
                            let Ok(mut n) = next.lock() else { return };
                            let i = *n;
                            *n += 1;
                            i
                        };
                        let Some(&(c, cond, vars)) = missing.get(i) else { return };
                        let result = Run::start(&self.lesson.scene, self.built, c, vars)
                            .map_err(|e| e.to_string())
                            .and_then(|run| run.finish().map_err(|e| e.to_string()));
                        match result {
                            Ok(tr) => {
                                if let Ok(mut cache) = self.cache.lock() {
                                    cache.insert(key(cond, vars), tr);
                                    if let Some(p) = self.progress {
                                        p(cache.len());
                                    }
                                }
                            }
                            Err(e) => {
                                if let Ok(mut f) = failure.lock() {
                                    f.get_or_insert(e);
                                }
                                return;
                            }
                        }
                    }
                });
            }
        });
        match failure.into_inner().ok().flatten() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Makes at once, in parallel, every run that the figures name with fixed variables
    /// (measures, sweeps, fits), so that runs of different conditions share the cores.
    /// A run that fails here is left for its figure to make again and report.
    fn prefetch(&self) {
        let mut wanted: Vec<(String, BTreeMap<String, f64>)> = Vec::new();
        for f in &self.lesson.figures {
            let (run, sweep) = match &f.of {
                Expr::Measure { run, .. } | Expr::LinearFit { run, .. } => (run, None),
                Expr::Sweep { run, var, values, .. } if values.len() <= MAX_RUNS_PER_FIGURE => {
                    (run, Some((var, values)))
                }
                _ => continue,
            };
            let mut base = BTreeMap::new();
            for (k, v) in &run.vars {
                let VarValue::Value(x) = v else { continue };
                base.insert(k.clone(), *x);
            }
            if base.len() != run.vars.len() {
                continue;
            }
            match sweep {
                None => wanted.push((run.condition.clone(), base)),
                Some((var, values)) => {
                    for &x in values {
                        let mut v = base.clone();
                        v.insert(var.clone(), x);
                        wanted.push((run.condition.clone(), v));
                    }
                }
            }
        }
        let refs: Vec<(&str, &BTreeMap<String, f64>)> = wanted.iter().map(|(c, v)| (c.as_str(), v)).collect();
        let _ = self.compute(&refs);
    }

    fn measure_runs(&self, r: &RunRef, var: Option<(&str, &[f64])>, p: &Probe) -> Result<Vec<f64>, String> {
        let base = self.vars(r)?;
        let all: Vec<BTreeMap<String, f64>> = match var {
            None => vec![base],
            Some((name, values)) => values
                .iter()
                .map(|&x| {
                    let mut v = base.clone();
                    v.insert(name.to_string(), x);
                    v
                })
                .collect(),
        };
        let traces = self.runs(&r.condition, &all)?;
        traces
            .iter()
            .map(|tr| {
                let (t, v) = tr.by_place.get(&p.place).ok_or_else(|| {
                    format!("the place '{}' is not recorded (add it to the scene's probes)", p.place)
                })?;
                measure(t, v, p)
            })
            .collect()
    }

    /// A run's voltage at `place` and each group's spikes, binned from `from_ms`.
    #[allow(clippy::too_many_arguments)]
    fn linear_fit(
        &self,
        run: &RunRef,
        place: &str,
        groups: &[String],
        bin_ms: f64,
        taus_ms: &[f64],
        clip_mv: Option<f64>,
        from_ms: f64,
        train: f64,
    ) -> Result<(LinearModel, usize), String> {
        if !(bin_ms.is_finite() && bin_ms > 0.0) {
            return Err(format!("bin_ms must be positive, got {bin_ms}"));
        }
        if !(train > 0.0 && train < 1.0) {
            return Err(format!("train must be between 0 and 1, got {train}"));
        }
        let vars = self.vars(run)?;
        let tr = self.runs(&run.condition, &[vars])?.remove(0);
        let (t, v) = tr
            .by_place
            .get(place)
            .ok_or_else(|| format!("the place '{place}' is not recorded (add it to the scene's probes)"))?;
        let end = t.last().copied().unwrap_or(0.0);
        let bins = ((end - from_ms) / bin_ms).floor();
        if bins.is_nan() || bins < 1.0 || bins > crate::sim::limits::MAX_SAMPLES as f64 {
            return Err(format!("the run has no stretch of {bin_ms} ms bins after {from_ms} ms"));
        }
        let bins = bins as usize;
        let bin_of = |time: f64| -> Option<usize> {
            let k = ((time - from_ms) / bin_ms).floor();
            (k >= 0.0 && k < bins as f64).then_some(k as usize)
        };
        let (mut sum, mut count) = (vec![0.0; bins], vec![0usize; bins]);
        for (&time, &volt) in t.iter().zip(v) {
            if let Some(k) = bin_of(time) {
                sum[k] += clip_mv.map_or(volt, |c| volt.min(c));
                count[k] += 1;
            }
        }
        let mut y = Vec::with_capacity(bins);
        for k in 0..bins {
            if count[k] == 0 {
                return Err(format!(
                    "the trace has no sample in the bin at {} ms (bins too fine)",
                    k as f64 * bin_ms
                ));
            }
            y.push(sum[k] / count[k] as f64);
        }
        let names: Vec<&String> =
            if groups.is_empty() { self.built.groups.keys().collect() } else { groups.iter().collect() };
        let mut inputs = Vec::new();
        for g in names {
            let members = self.built.groups.get(g).ok_or_else(|| format!("no synapse group '{g}'"))?;
            let mut x = vec![0.0; bins];
            for &i in members {
                for &time in tr.spikes.get(i).map_or(&[][..], |s| &s[..]) {
                    if let Some(k) = bin_of(time) {
                        x[k] += 1.0;
                    }
                }
            }
            inputs.push(x);
        }
        let taus: Vec<f64> = taus_ms.iter().map(|t| t / bin_ms).collect();
        let train_bins = (bins as f64 * train).round() as usize;
        Ok((fit_linear(&inputs, &y, &taus, train_bins)?, train_bins))
    }

    fn eval(&self, e: &Expr) -> Result<Value, String> {
        let num = |x: f64| -> Result<Value, String> {
            serde_json::Number::from_f64((x * 1e4).round() / 1e4 + 0.0)
                .map(Value::Number)
                .ok_or_else(|| format!("the figure is not finite ({x})"))
        };
        match e {
            Expr::Measure { run, probe } => num(self.measure_runs(run, None, probe)?[0]),
            Expr::Sweep { run, var, values, probe, times } => {
                let scale = match times {
                    Some(f) => self.number(f)?,
                    None => 1.0,
                };
                let scaled: Vec<f64> = values.iter().map(|x| x * scale).collect();
                let ys = self.measure_runs(run, Some((var, &scaled)), probe)?;
                let pts: Result<Vec<Value>, String> =
                    values.iter().zip(ys).map(|(&x, y)| Ok(Value::Array(vec![num(x)?, num(y)?]))).collect();
                Ok(Value::Array(pts?))
            }
            Expr::Threshold { run, var, lo, hi, tol, probe, at_least, doubling_from, or_hi } => {
                let reaches = |x: f64| -> Result<bool, String> {
                    Ok(self.measure_runs(run, Some((var, &[x])), probe)?[0] >= *at_least)
                };
                if !(lo < hi && *tol > 0.0) {
                    return Err(format!("threshold: need lo < hi and tol > 0, got {lo}, {hi}, {tol}"));
                }
                let not_reached = || format!("threshold: even {var} = {hi} does not reach {at_least}");
                let (mut a, mut b) = match doubling_from {
                    None => {
                        if !reaches(*hi)? {
                            return if *or_hi { num(*hi) } else { Err(not_reached()) };
                        }
                        (*lo, *hi)
                    }
                    Some(x0) => {
                        if !(x0 > lo && x0 < hi && *x0 > 0.0) {
                            return Err(format!(
                                "threshold: doubling_from must be above 0 and lo and below hi, got {x0}"
                            ));
                        }
                        let (mut below, mut x) = (*lo, *x0);
                        while !reaches(x)? {
                            if x >= *hi {
                                return if *or_hi { num(*hi) } else { Err(not_reached()) };
                            }
                            (below, x) = (x, (2.0 * x).min(*hi));
                        }
                        (below, x)
                    }
                };
                if reaches(*lo)? {
                    return num(*lo);
                }
                let mut runs = 2;
                while b - a > *tol && runs < MAX_RUNS_PER_FIGURE {
                    let m = (a + b) / 2.0;
                    if reaches(m)? {
                        b = m
                    } else {
                        a = m
                    }
                    runs += 1;
                }
                num(b)
            }
            Expr::Ratio { a, b } => {
                let d = self.number(b)?;
                if d == 0.0 {
                    return Err(format!("ratio: '{b}' is zero"));
                }
                num(self.number(a)? / d)
            }
            Expr::Difference { a, b } => num(self.number(a)? - self.number(b)?),
            Expr::Scaled { figure, times, at_most } => {
                let x = self.number(figure)? * times;
                num(at_most.map_or(x, |m| x.min(m)))
            }
            Expr::Sum { of } => {
                let mut s = 0.0;
                for f in of {
                    s += self.number(f)?;
                }
                num(s)
            }
            Expr::Table { of } => {
                let mut o = serde_json::Map::new();
                for (k, f) in of {
                    o.insert(
                        k.clone(),
                        self.done
                            .get(f)
                            .cloned()
                            .ok_or_else(|| format!("no figure '{f}' before this one"))?,
                    );
                }
                Ok(Value::Object(o))
            }
            Expr::AtLeast { figure, value } => Ok(Value::Bool(self.number(figure)? >= *value)),
            Expr::Analyse { curve, analysis } => {
                let pts: Vec<(f64, f64)> = match self.done.get(curve) {
                    Some(Value::Array(a)) => {
                        a.iter().filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?))).collect()
                    }
                    _ => return Err(format!("'{curve}' is not a curve")),
                };
                if pts.len() < 2 {
                    return Err(format!("'{curve}' has fewer than two points"));
                }
                match analysis {
                    Analysis::SteepestOverInitialSlope => {
                        let slopes: Vec<f64> =
                            pts.windows(2).map(|w| (w[1].1 - w[0].1) / (w[1].0 - w[0].0)).collect();
                        let steepest = slopes.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        // The first step from the origin-like first point.
                        let initial = slopes[0].max(1e-9);
                        num(steepest / initial)
                    }
                    Analysis::XAtHalfMax => {
                        let lo = pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
                        let hi = pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
                        let half = lo + (hi - lo) / 2.0;
                        num(pts.iter().find(|p| p.1 >= half).map_or(f64::NAN, |p| p.0))
                    }
                    Analysis::LastOverLinear => {
                        let (x0, y0) = pts[0];
                        let (xn, yn) = pts[pts.len() - 1];
                        num(yn / (y0 / x0 * xn))
                    }
                }
            }
            Expr::LinearFit {
                run,
                place,
                groups,
                bin_ms,
                taus_ms,
                clip_mv,
                from_ms,
                train,
                show,
                show_ms,
            } => {
                let (model, train_bins) =
                    self.linear_fit(run, place, groups, *bin_ms, taus_ms, *clip_mv, *from_ms, *train)?;
                let curve = |ys: &[f64]| -> Result<Value, String> {
                    let n = ((show_ms / bin_ms).floor().max(1.0) as usize).min(ys.len() - train_bins);
                    let every = n.div_ceil(250).max(1);
                    let pts: Result<Vec<Value>, String> = (train_bins..train_bins + n)
                        .step_by(every)
                        .map(|k| Ok(Value::Array(vec![num(from_ms + k as f64 * bin_ms)?, num(ys[k])?])))
                        .collect();
                    Ok(Value::Array(pts?))
                };
                match show {
                    FitShow::R2 => num(model.r2_test),
                    FitShow::Prediction => curve(&model.prediction),
                    FitShow::Actual => curve(&model.actual),
                }
            }
        }
    }
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
        let fail = |message| LessonError::Figure { figure: f.name.clone(), message };
        let v = ev.eval(&f.of).map_err(fail)?;
        if let Expr::Measure { run, .. } | Expr::LinearFit { run, .. } = &f.of {
            measured.push((f.name.clone(), RunId::new(&run.condition, &ev.vars(run).map_err(fail)?)));
        }
        ev.done.insert(f.name.clone(), v);
    }
    let runs = ev.cache.into_inner().unwrap_or_default();
    Ok(Evaluated { figures: ev.done, runs, measured })
}

/// Judges a claim on the figures.
pub fn judge(c: &Claim, figures: &BTreeMap<String, Value>) -> Result<ClaimResult, LessonError> {
    let fail = |m: String| LessonError::Figure { figure: c.figure.clone(), message: m };
    let fig = figures.get(&c.figure).ok_or_else(|| fail("no such figure (claim)".into()))?;
    let holds = match (fig, &c.than, &c.value) {
        (Value::Bool(b), None, Some(Value::Bool(want))) if c.op == "==" => b == want,
        (Value::Number(a), than, value) => {
            let a = a.as_f64().unwrap_or(f64::NAN);
            let b = match (than, value) {
                (Some(other), v) => {
                    let o = figures
                        .get(other)
                        .and_then(Value::as_f64)
                        .ok_or_else(|| fail(format!("'{other}' is not a number")))?;
                    o * v.as_ref().and_then(Value::as_f64).unwrap_or(1.0)
                }
                (None, Some(v)) => {
                    v.as_f64().ok_or_else(|| fail("the claim's value is not a number".into()))?
                }
                (None, None) => {
                    return Err(fail("the claim has neither a value nor a figure to compare with".into()));
                }
            };
            match c.op.as_str() {
                ">" => a > b,
                ">=" => a >= b,
                "<" => a < b,
                "<=" => a <= b,
                "==" => a == b,
                op => return Err(fail(format!("unknown comparison '{op}'"))),
            }
        }
        _ => return Err(fail("the claim does not fit the figure's kind".into())),
    };
    Ok(ClaimResult { claim: c.claim.clone(), figure: fig.clone(), holds })
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
        assert!(fit_linear(&short, &y[..60], &taus, 40).unwrap_err().contains("too few"));
        assert!(fit_linear(&short, &y[..50], &taus, 40).unwrap_err().contains("one value per bin"));
    }
}

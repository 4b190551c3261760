//! The figures a lesson measures on its runs, and the claims judged on them.
//!
//! A figure is a measure of one run (a peak, a spike count, a time above a level, a
//! width), a sweep of runs over a variable (an input-output curve), a threshold found by
//! bisection, or arithmetic on earlier figures (a ratio, a difference, a sum, a table,
//! an analysis of a curve). Runs are cached by condition and variables; the runs of a
//! sweep go in parallel, one per core.

use super::run::{Run, Traces};
use super::{Built, Claim, ClaimResult, Lesson, LessonError};
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
    Sweep {
        run: RunRef,
        var: String,
        values: Vec<f64>,
        probe: Probe,
    },
    /// The smallest `var` in `lo..hi` (to within `tol`) at which the measure reaches
    /// `at_least` (e.g. the current that fires one spike).
    Threshold {
        run: RunRef,
        var: String,
        lo: f64,
        hi: f64,
        tol: f64,
        probe: Probe,
        at_least: f64,
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
    built: &'a Built,
    cache: Mutex<BTreeMap<String, Traces>>,
    done: BTreeMap<String, Value>,
}

fn key(cond: &str, vars: &BTreeMap<String, f64>) -> String {
    let mut k = cond.to_string();
    for (n, v) in vars {
        k.push_str(&format!("|{n}={v}"));
    }
    k
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
        let c = self.lesson.condition(cond).ok_or_else(|| format!("no condition '{cond}'"))?;
        if all_vars.len() > MAX_RUNS_PER_FIGURE {
            return Err(format!(
                "{} runs are too many for one figure (at most {MAX_RUNS_PER_FIGURE})",
                all_vars.len()
            ));
        }
        let missing: Vec<&BTreeMap<String, f64>> = {
            let cache = self.cache.lock().map_err(|_| "a run failed".to_string())?;
            all_vars.iter().filter(|v| !cache.contains_key(&key(cond, v))).collect()
        };
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
                        let Some(vars) = missing.get(i) else { return };
                        let result = Run::start(&self.lesson.scene, self.built, c, vars)
                            .map_err(|e| e.to_string())
                            .and_then(Run::finish);
                        match result {
                            Ok(tr) => {
                                if let Ok(mut cache) = self.cache.lock() {
                                    cache.insert(key(cond, vars), tr);
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
        if let Some(e) = failure.into_inner().ok().flatten() {
            return Err(e);
        }
        let cache = self.cache.lock().map_err(|_| "a run failed".to_string())?;
        all_vars
            .iter()
            .map(|v| cache.get(&key(cond, v)).cloned().ok_or_else(|| "a run is missing".to_string()))
            .collect()
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

    fn eval(&self, e: &Expr) -> Result<Value, String> {
        let num = |x: f64| -> Result<Value, String> {
            serde_json::Number::from_f64((x * 1e4).round() / 1e4 + 0.0)
                .map(Value::Number)
                .ok_or_else(|| format!("the figure is not finite ({x})"))
        };
        match e {
            Expr::Measure { run, probe } => num(self.measure_runs(run, None, probe)?[0]),
            Expr::Sweep { run, var, values, probe } => {
                let ys = self.measure_runs(run, Some((var, values)), probe)?;
                let pts: Result<Vec<Value>, String> =
                    values.iter().zip(ys).map(|(&x, y)| Ok(Value::Array(vec![num(x)?, num(y)?]))).collect();
                Ok(Value::Array(pts?))
            }
            Expr::Threshold { run, var, lo, hi, tol, probe, at_least } => {
                let reaches = |x: f64| -> Result<bool, String> {
                    Ok(self.measure_runs(run, Some((var, &[x])), probe)?[0] >= *at_least)
                };
                if !(lo < hi && *tol > 0.0) {
                    return Err(format!("threshold: need lo < hi and tol > 0, got {lo}, {hi}, {tol}"));
                }
                if !reaches(*hi)? {
                    return Err(format!("threshold: even {var} = {hi} does not reach {at_least}"));
                }
                if reaches(*lo)? {
                    return num(*lo);
                }
                let (mut a, mut b) = (*lo, *hi);
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
        }
    }
}

/// Computes every figure of `lesson` on `built`, in order; returns them with the traces
/// of every run made (by `condition|var=value...`).
#[allow(clippy::type_complexity)]
pub fn evaluate(
    lesson: &Lesson,
    built: &Built,
) -> Result<(BTreeMap<String, Value>, BTreeMap<String, Traces>), LessonError> {
    let mut ev = Evaluator { lesson, built, cache: Mutex::new(BTreeMap::new()), done: BTreeMap::new() };
    for f in &lesson.figures {
        let v = ev.eval(&f.of).map_err(|message| LessonError::Figure { figure: f.name.clone(), message })?;
        ev.done.insert(f.name.clone(), v);
    }
    let runs = ev.cache.into_inner().unwrap_or_default();
    Ok((ev.done, runs))
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

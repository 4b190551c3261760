//! Working out a lesson's figures: the runs each needs, made in parallel (one per core)
//! and cached by identity, then each figure's expression evaluated in order.

#[allow(unused_imports)]
use super::*;

pub(super) struct Evaluator<'a> {
    pub(super) lesson: &'a Lesson,
    pub(super) built: &'a ResolvedScene,
    pub(super) cache: Mutex<BTreeMap<RunId, Traces>>,
    /// Told the number of runs made so far, as each finishes.
    pub(super) progress: Option<&'a (dyn Fn(usize) + Sync)>,
    pub(super) done: BTreeMap<String, Value>,
}

pub(super) fn key(cond: &str, vars: &BTreeMap<String, f64>) -> RunId {
    RunId::new(cond, vars)
}

impl Evaluator<'_> {
    pub(super) fn number(&self, name: &str) -> Result<f64, FigureError> {
        match self.done.get(name) {
            Some(Value::Number(n)) => n.as_f64().ok_or_else(|| FigureError::NotANumber(name.to_string())),
            Some(_) => Err(FigureError::NotANumber(name.to_string())),
            None => Err(FigureError::NotYet(name.to_string())),
        }
    }

    pub(super) fn vars(&self, r: &RunRef) -> Result<BTreeMap<String, f64>, FigureError> {
        r.resolve(|f| self.number(f))
    }

    /// The traces of runs (condition, vars), computed in parallel where missing.
    pub(super) fn runs(
        &self,
        cond: &str,
        all_vars: &[BTreeMap<String, f64>],
    ) -> Result<Vec<Traces>, FigureError> {
        if all_vars.len() > MAX_RUNS_PER_FIGURE {
            return Err(FigureError::TooManyRuns(all_vars.len()));
        }
        let wanted: Vec<(&str, &BTreeMap<String, f64>)> = all_vars.iter().map(|v| (cond, v)).collect();
        self.compute(&wanted)?;
        let cache = self.cache.lock().map_err(|_| FigureError::Lost)?;
        all_vars.iter().map(|v| cache.get(&key(cond, v)).cloned().ok_or(FigureError::Lost)).collect()
    }

    /// Makes the runs (condition, vars) not yet in the cache, in parallel (one per core).
    pub(super) fn compute(&self, wanted: &[(&str, &BTreeMap<String, f64>)]) -> Result<(), FigureError> {
        let mut missing: Vec<(&crate::lab::lesson::run::Condition, &str, &BTreeMap<String, f64>)> =
            Vec::new();
        {
            let cache = self.cache.lock().map_err(|_| FigureError::Lost)?;
            for &(cond, vars) in wanted {
                let c =
                    self.lesson.condition(cond).ok_or_else(|| FigureError::NoCondition(cond.to_string()))?;
                if !cache.contains_key(&key(cond, vars))
                    && !missing.iter().any(|m| m.1 == cond && m.2 == vars)
                {
                    missing.push((c, cond, vars));
                }
            }
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(missing.len().max(1));
        let next = Mutex::new(0usize);
        let failure: Mutex<Option<LessonError>> = Mutex::new(None);
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
                        let result = Run::start(&self.lesson.scene, self.built, c, vars).and_then(|run| {
                            run.finish().map_err(|e| LessonError::Run {
                                condition: cond.to_string(),
                                source: e.into(),
                            })
                        });
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
        match failure.into_inner() {
            Ok(Some(e)) => Err(e.into()),
            Ok(None) => Ok(()),
            Err(_) => Err(FigureError::Lost),
        }
    }

    /// Makes at once, in parallel, every run that the figures name with fixed variables
    /// (measures, sweeps, fits), so that runs of different conditions share the cores.
    /// Only runs whose variables are known before any figure is (a run that needs a
    /// figure's value waits for it). A run that fails here is left for its figure to
    /// make again and report.
    pub(super) fn prefetch(&self) {
        let mut wanted: Vec<(&str, BTreeMap<String, f64>)> = Vec::new();
        for f in &self.lesson.figures {
            let Some((run, _)) = f.of.run() else { continue };
            if let Some(Ok(all)) = f.of.fixed_runs(|_| Err(()))
                && all.len() <= MAX_RUNS_PER_FIGURE
            {
                wanted.extend(all.into_iter().map(|v| (run.condition.as_str(), v)));
            }
        }
        let refs: Vec<(&str, &BTreeMap<String, f64>)> = wanted.iter().map(|(c, v)| (*c, v)).collect();
        let _ = self.compute(&refs);
    }

    /// The measure `p` on each of the runs (`cond`, each of `all`).
    pub(super) fn measure_runs(
        &self,
        cond: &str,
        all: &[BTreeMap<String, f64>],
        p: &Probe,
    ) -> Result<Vec<f64>, FigureError> {
        let traces = self.runs(cond, all)?;
        traces
            .iter()
            .map(|tr| {
                let (t, v) =
                    tr.by_place.get(&p.place).ok_or_else(|| FigureError::NotRecorded(p.place.clone()))?;
                measure(t, v, p)
            })
            .collect()
    }

    /// The runs of a figure of fixed runs ([`Expr::fixed_runs`]).
    fn fixed_runs(&self, e: &Expr) -> Result<Vec<BTreeMap<String, f64>>, FigureError> {
        e.fixed_runs(|f| self.number(f)).expect("a figure of fixed runs")
    }

    /// A run's voltage at `place` and each group's spikes, binned from `from_ms`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn linear_fit(
        &self,
        run: &RunRef,
        place: &str,
        groups: &[String],
        bin_ms: f64,
        taus_ms: &[f64],
        clip_mv: Option<f64>,
        from_ms: f64,
        train: f64,
    ) -> Result<(LinearModel, usize), FigureError> {
        if !(bin_ms.is_finite() && bin_ms > 0.0) {
            return Err(FigureError::Option { what: "bin_ms", rule: "positive", value: bin_ms });
        }
        if !(train > 0.0 && train < 1.0) {
            return Err(FigureError::Option { what: "train", rule: "between 0 and 1", value: train });
        }
        let vars = self.vars(run)?;
        let tr = self.runs(&run.condition, &[vars])?.remove(0);
        let (t, v) = tr.by_place.get(place).ok_or_else(|| FigureError::NotRecorded(place.to_string()))?;
        let end = t.last().copied().unwrap_or(0.0);
        let bins = ((end - from_ms) / bin_ms).floor();
        if bins.is_nan() || bins < 1.0 || bins > crate::sim::limits::MAX_SAMPLES as f64 {
            return Err(FigureError::NoStretch { bin_ms, from_ms });
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
                return Err(FigureError::EmptyBin { at_ms: k as f64 * bin_ms });
            }
            y.push(sum[k] / count[k] as f64);
        }
        let names: Vec<&String> =
            if groups.is_empty() { self.built.groups.keys().collect() } else { groups.iter().collect() };
        let mut inputs = Vec::new();
        for g in names {
            let members = self.built.group(g)?;
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

    /// The value of one figure's expression (figures before it in `done`).
    pub(super) fn eval(&self, e: &Expr) -> Result<Value, FigureError> {
        match e {
            Expr::Measure { run, probe } => {
                num(self.measure_runs(&run.condition, &self.fixed_runs(e)?, probe)?[0])
            }
            Expr::Sweep { run, values, probe, .. } => {
                let ys = self.measure_runs(&run.condition, &self.fixed_runs(e)?, probe)?;
                let pts: Result<Vec<Value>, FigureError> =
                    values.iter().zip(ys).map(|(&x, y)| Ok(Value::Array(vec![num(x)?, num(y)?]))).collect();
                Ok(Value::Array(pts?))
            }
            Expr::Threshold { .. } => self.threshold(e),
            Expr::Ratio { a, b } => {
                let d = self.number(b)?;
                if d == 0.0 {
                    return Err(FigureError::Zero(b.clone()));
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
                    let v = self.done.get(f).cloned().ok_or_else(|| FigureError::NotYet(f.clone()))?;
                    o.insert(k.clone(), v);
                }
                Ok(Value::Object(o))
            }
            Expr::AtLeast { figure, value } => Ok(Value::Bool(self.number(figure)? >= *value)),
            Expr::Analyse { curve, analysis } => self.analyse(curve, analysis),
            Expr::LinearFit { .. } => self.fit(e),
        }
    }

    /// A threshold: the least value of the variable at which the measure reaches the
    /// level, by bisection (from a bracket found by doubling when asked).
    fn threshold(&self, e: &Expr) -> Result<Value, FigureError> {
        let Expr::Threshold { run, var, lo, hi, tol, probe, at_least, doubling_from, or_hi } = e else {
            unreachable!("threshold() is called on thresholds")
        };
        let base = self.vars(run)?;
        let reaches = |x: f64| -> Result<bool, FigureError> {
            Ok(self.measure_runs(&run.condition, &[with_var(&base, var, x)], probe)?[0] >= *at_least)
        };
        if lo.partial_cmp(hi) != Some(std::cmp::Ordering::Less) {
            return Err(FigureError::Option { what: "threshold's lo", rule: "below hi", value: *lo });
        }
        if tol.is_nan() || *tol <= 0.0 {
            return Err(FigureError::Option { what: "threshold's tol", rule: "above 0", value: *tol });
        }
        let not_reached = || -> Result<Value, FigureError> {
            if *or_hi {
                num(*hi)
            } else {
                Err(FigureError::NotReached { var: var.clone(), hi: *hi, at_least: *at_least })
            }
        };
        let (mut a, mut b) = match doubling_from {
            None => {
                if !reaches(*hi)? {
                    return not_reached();
                }
                (*lo, *hi)
            }
            Some(x0) => {
                if !(x0 > lo && x0 < hi && *x0 > 0.0) {
                    return Err(FigureError::Option {
                        what: "threshold's doubling_from",
                        rule: "above 0 and lo and below hi",
                        value: *x0,
                    });
                }
                let (mut below, mut x) = (*lo, *x0);
                while !reaches(x)? {
                    if x >= *hi {
                        return not_reached();
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

    /// A number summarising an earlier figure's curve.
    fn analyse(&self, curve: &str, analysis: &Analysis) -> Result<Value, FigureError> {
        let pts: Vec<(f64, f64)> = match self.done.get(curve) {
            Some(Value::Array(a)) => {
                a.iter().filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?))).collect()
            }
            _ => return Err(FigureError::NotACurve(curve.to_string())),
        };
        if pts.len() < 2 {
            return Err(FigureError::ShortCurve(curve.to_string()));
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

    /// A linear model's R^2 on held-out time, or its prediction or the actual output
    /// over the first `show_ms` of that time.
    fn fit(&self, e: &Expr) -> Result<Value, FigureError> {
        let Expr::LinearFit { run, place, groups, bin_ms, taus_ms, clip_mv, from_ms, train, show, show_ms } =
            e
        else {
            unreachable!("fit() is called on linear fits")
        };
        let (model, train_bins) =
            self.linear_fit(run, place, groups, *bin_ms, taus_ms, *clip_mv, *from_ms, *train)?;
        let curve = |ys: &[f64]| -> Result<Value, FigureError> {
            let n = ((show_ms / bin_ms).floor().max(1.0) as usize).min(ys.len() - train_bins);
            let every = n.div_ceil(250).max(1);
            let pts: Result<Vec<Value>, FigureError> = (train_bins..train_bins + n)
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

/// A figure's number as JSON, rounded to 4 decimals (`-0` as `0`).
fn num(x: f64) -> Result<Value, FigureError> {
    serde_json::Number::from_f64((x * 1e4).round() / 1e4 + 0.0)
        .map(Value::Number)
        .ok_or(FigureError::NotFinite(x))
}

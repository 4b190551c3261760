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
    pub(super) fn number(&self, name: &str) -> Result<f64, String> {
        match self.done.get(name) {
            Some(Value::Number(n)) => n.as_f64().ok_or_else(|| format!("'{name}' is not a number")),
            Some(_) => Err(format!("'{name}' is not a number")),
            None => Err(format!("no figure '{name}' before this one")),
        }
    }

    pub(super) fn vars(&self, r: &RunRef) -> Result<BTreeMap<String, f64>, String> {
        r.resolve(|f| self.number(f))
    }

    /// The traces of runs (condition, vars), computed in parallel where missing.
    pub(super) fn runs(&self, cond: &str, all_vars: &[BTreeMap<String, f64>]) -> Result<Vec<Traces>, String> {
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
    pub(super) fn compute(&self, wanted: &[(&str, &BTreeMap<String, f64>)]) -> Result<(), String> {
        let mut missing: Vec<(&crate::lab::lesson::run::Condition, &str, &BTreeMap<String, f64>)> =
            Vec::new();
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
    pub(super) fn prefetch(&self) {
        let mut wanted: Vec<(String, BTreeMap<String, f64>)> = Vec::new();
        for f in &self.lesson.figures {
            let (run, sweep) = match &f.of {
                Expr::Measure { run, .. } | Expr::LinearFit { run, .. } => (run, None),
                Expr::Sweep { run, var, values, .. } if values.len() <= MAX_RUNS_PER_FIGURE => {
                    (run, Some((var, values)))
                }
                _ => continue,
            };
            // Only runs whose variables are known before any figure is (a run that needs
            // a figure's value waits for it).
            let Ok(base) = run.resolve(|f| Err(f.to_string())) else { continue };
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

    pub(super) fn measure_runs(
        &self,
        r: &RunRef,
        var: Option<(&str, &[f64])>,
        p: &Probe,
    ) -> Result<Vec<f64>, String> {
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

    pub(super) fn eval(&self, e: &Expr) -> Result<Value, String> {
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

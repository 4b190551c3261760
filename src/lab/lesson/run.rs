//! Runs of a lesson's conditions: the scene built on a cell, changes applied (drugs,
//! [Mg2+], channels), the protocol's timed actions scheduled, and the probes' traces
//! measured. The window plays a run with the same [`Run`] (stepping it a little each
//! frame); `dendra lesson check` steps it to the end at once.

use super::LessonError;
use crate::lab::Lab;
use crate::lab::error::LabError;
use crate::lab::pharmacology::Drug;
use crate::lab::scene::change::{Amount, Change, apply_change, with_vars};
use crate::lab::scene::place::Place;
use crate::lab::scene::{ResolvedScene, Scene};
use crate::sim::engine::SimError;
use crate::sim::limits::MAX_INPUT_SPIKES;
use crate::sim::rng::Rng;
use crate::sim::stimuli::{EpspCurrent, IClamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The order a group's synapses fire in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// All at once.
    #[default]
    Together,
    /// Distal first, `interval_ms` apart (Branco et al. 2010's IN).
    Inward,
    /// Proximal first (OUT).
    Outward,
}

/// A timed action of a protocol; times (ms) from the protocol's start (after settling).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Fires the first `count` synapses of `group` (all when absent) once, in `order`;
    /// with `only`, just the synapse of that index (0 the most proximal).
    Fire {
        group: String,
        at_ms: Amount,
        #[serde(default)]
        order: Order,
        #[serde(default)]
        interval_ms: Option<Amount>,
        #[serde(default)]
        count: Option<Amount>,
        #[serde(default)]
        only: Option<Amount>,
    },
    /// A current step at a place (nA).
    Pulse { place: String, at_ms: Amount, dur_ms: Amount, amp_na: Amount },
    /// Hay et al.'s EPSP-shaped current at a place (peak `amp_na`).
    Epsp {
        place: String,
        at_ms: Amount,
        amp_na: Amount,
        #[serde(default = "tau0")]
        tau0_ms: f64,
        #[serde(default = "tau1")]
        tau1_ms: f64,
    },
    /// Independent Poisson trains on every synapse of `group`, from `at_ms` for `ms`.
    /// With `vary_ms`, the rate is random: every `vary_ms` the group draws a new rate,
    /// uniformly between 0 and twice `rate_hz`, that all its synapses share (so a group
    /// is now quiet, now busy together, as in Beniaguev et al. 2021).
    Poisson {
        group: String,
        at_ms: Amount,
        ms: Amount,
        rate_hz: Amount,
        #[serde(default)]
        vary_ms: Option<Amount>,
    },
    /// A drug applied to a region mid-run (`on`, the default) or washed out (`on: false`).
    DrugAt {
        at_ms: Amount,
        drug: Drug,
        region: String,
        #[serde(default = "yes")]
        on: bool,
    },
    /// Extracellular [Mg2+] set mid-run (mM).
    MgAt { at_ms: Amount, mm: Amount },
}

fn yes() -> bool {
    true
}

fn tau0() -> f64 {
    0.5
}
fn tau1() -> f64 {
    5.0
}

/// A condition of the experiment: what is changed, what is done, for how long.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub name: String,
    /// What this condition shows, for the panel ("control", "apical TTX").
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub changes: Vec<Change>,
    pub actions: Vec<Action>,
    /// Simulated time after the protocol's start (ms).
    pub run_ms: f64,
}

impl Condition {
    /// The run variables its changes and actions name (`"$k"` as `k`), in order, once
    /// each: what a run of it must be given (a figure's sweep or threshold gives them).
    pub fn variables(&self) -> Vec<String> {
        fn collect(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::String(s) => {
                    if let Some(name) = s.strip_prefix('$')
                        && !out.iter().any(|o| o == name)
                    {
                        out.push(name.to_string());
                    }
                }
                serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
                serde_json::Value::Object(m) => m.values().for_each(|x| collect(x, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        for v in
            [serde_json::to_value(&self.changes), serde_json::to_value(&self.actions)].into_iter().flatten()
        {
            collect(&v, &mut out);
        }
        out
    }
}

/// Longest run a lesson may ask for (ms of simulated time).
pub const MAX_RUN_MS: f64 = 60_000.0;

/// One run in progress: a lab with the scene, the actions scheduled, stepping on.
pub struct Run {
    pub lab: Lab,
    /// The protocol's start (ms of simulated time, after settling).
    pub t0: f64,
    pub t_end: f64,
    /// Probe index of each measured place, by name.
    pub probe_of: BTreeMap<String, usize>,
    /// The spikes delivered to each lab synapse (ms from the protocol's start, in time
    /// order): the run's inputs, for figures that relate them to the output and for
    /// `dendra dataset`.
    pub spikes: Vec<Vec<f64>>,
}

impl Run {
    /// Builds the scene, applies `cond`'s changes, settles for `scene.settle_ms` and
    /// schedules the actions with the variables `vars` (and `run_ms`, the condition's
    /// length, unless `vars` gives it).
    pub fn start(
        scene: &Scene,
        built: &ResolvedScene,
        cond: &Condition,
        vars: &BTreeMap<String, f64>,
    ) -> Result<Run, LessonError> {
        // A lesson's runs may name their seed as a variable (small whole numbers).
        let seed = match vars.get("seed") {
            Some(&s) if s.is_finite() && s >= 0.0 && s.fract() == 0.0 && s < 2f64.powi(53) => s as u64,
            Some(&s) => {
                return Err(LessonError::Run {
                    condition: cond.name.clone(),
                    source: LabError::Value { what: "seed", value: s, rule: "a whole number from 0 to 2^53" },
                });
            }
            None => 1,
        };
        Run::start_seeded(scene, built, cond, vars, seed)
    }

    /// As [`Run::start`], with the Poisson trains' seed given as the integer it is (any
    /// 64-bit value: `dendra dataset --seed`).
    pub fn start_seeded(
        scene: &Scene,
        built: &ResolvedScene,
        cond: &Condition,
        vars: &BTreeMap<String, f64>,
        seed: u64,
    ) -> Result<Run, LessonError> {
        let err = |source: LabError| LessonError::Run { condition: cond.name.clone(), source };
        if !(cond.run_ms.is_finite() && cond.run_ms > 0.0 && cond.run_ms <= MAX_RUN_MS) {
            return Err(err(LabError::OutOfRange {
                what: "run_ms",
                value: cond.run_ms,
                lo: 0.0,
                hi: MAX_RUN_MS,
            }));
        }
        let mut lab = built.lab(scene).map_err(err)?;
        // Every step sampled when it fits the probes' memory (1000 ms at 0.025 ms).
        let steps = ((scene.settle_ms + cond.run_ms) / lab.sim.config.dt).ceil();
        lab.sample_every = ((steps / 38_000.0).ceil() as u32).max(1);
        for c in &cond.changes {
            apply_change(&mut lab, built, &with_vars(c, vars).map_err(err)?).map_err(err)?;
        }
        lab.reset();
        let settle_steps = (scene.settle_ms / lab.sim.config.dt).round() as u64;
        if !lab.advance(settle_steps) {
            return Err(err(LabError::NotNow(
                "the cell did not settle: its voltage became non-finite".into(),
            )));
        }
        let t0 = lab.t();
        for p in &mut lab.probes {
            p.t.clear();
            p.v.clear();
        }
        let mut vars = vars.clone();
        vars.entry("run_ms".to_string()).or_insert(cond.run_ms);
        let mut spikes = vec![Vec::new(); lab.synapses.len()];
        for a in &cond.actions {
            schedule(&mut lab, built, a, t0, &vars, seed, &mut spikes).map_err(err)?;
        }
        for s in &mut spikes {
            s.sort_by(f64::total_cmp);
        }
        let probe_of = built.probe_of.clone();
        Ok(Run { lab, t0, t_end: t0 + cond.run_ms, probe_of, spikes })
    }

    /// Steps at most `max_steps`; true when the run is over. A voltage that left the
    /// sane range (or became non-finite) stops it: the error says where and when.
    pub fn step(&mut self, max_steps: u64) -> Result<bool, SimError> {
        let dt = self.lab.sim.config.dt;
        let left = ((self.t_end - self.lab.t()) / dt).round().max(0.0) as u64;
        let n = left.min(max_steps);
        let finite = self.lab.advance(n);
        if let Some((node, v)) = self.lab.sim.insane_node() {
            return Err(self.lab.sim.insane(node, v));
        }
        if !finite {
            return Err(SimError::NotFinite { what: "the voltage" });
        }
        Ok(left <= max_steps)
    }

    /// Runs to the end.
    pub fn finish(mut self) -> Result<Traces, SimError> {
        while !self.step(4000)? {}
        Ok(self.traces())
    }

    /// The measured places' traces, times from the protocol's start.
    pub fn traces(&self) -> Traces {
        let mut out = BTreeMap::new();
        for (name, &i) in &self.probe_of {
            let p = &self.lab.probes[i];
            let t: Vec<f64> = p.t.iter().map(|t| t - self.t0).collect();
            out.insert(name.clone(), (t, p.v.iter().collect()));
        }
        Traces { by_place: out, spikes: self.spikes.clone() }
    }
}

fn schedule(
    lab: &mut Lab,
    built: &ResolvedScene,
    a: &Action,
    t0: f64,
    vars: &BTreeMap<String, f64>,
    seed: u64,
    spikes: &mut [Vec<f64>],
) -> Result<(), LabError> {
    let time = |x: &Amount| -> Result<f64, LabError> {
        let v = x.get(vars)?;
        if !(v.is_finite() && v >= 0.0) {
            return Err(LabError::Value { what: "a time (ms)", value: v, rule: "0 or more" });
        }
        Ok(t0 + v)
    };
    let place = |name: &str| -> Result<Place, LabError> { built.place(name).cloned() };
    match a {
        Action::Fire { group, at_ms, order, interval_ms, count, only } => {
            let members = built.group(group)?;
            let n = match count {
                Some(c) => {
                    let n = c.get(vars)?;
                    if !(n.is_finite() && n >= 0.0) {
                        return Err(LabError::Value { what: "count", value: n, rule: "0 or more" });
                    }
                    (n.round() as usize).min(members.len())
                }
                None => members.len(),
            };
            let iv = match interval_ms {
                Some(i) => i.get(vars)?.max(0.0),
                None => 0.0,
            };
            let start = time(at_ms)?;
            let chosen: &[usize] = match only {
                Some(k) => {
                    let k = k.get(vars)?;
                    let i = k.round();
                    if !(i >= 0.0 && (i as usize) < members.len()) {
                        return Err(LabError::NoSynapse { index: k.max(0.0) as usize, count: members.len() }
                            .at(format!("only (group '{group}')")));
                    }
                    &members[i as usize..i as usize + 1]
                }
                None => &members[..n],
            };
            // Members are stored proximal to distal.
            let ordered: Vec<usize> = match order {
                Order::Together | Order::Outward => chosen.to_vec(),
                Order::Inward => chosen.iter().rev().copied().collect(),
            };
            for (k, &i) in ordered.iter().enumerate() {
                let t = if *order == Order::Together { start } else { start + k as f64 * iv };
                lab.fire_one(i, t);
                spikes[i].push(t - t0);
            }
        }
        Action::Pulse { place: p, at_ms, dur_ms, amp_na } => {
            let (s, x) = place(p)?.middle();
            let node = lab.sim.cell.node_at(s, x.clamp(1e-6, 1.0 - 1e-6));
            let dur = dur_ms.get(vars)?;
            let amp = amp_na.get(vars)?;
            let delay = time(at_ms)?;
            lab.sim.add_iclamp(IClamp { node, delay, dur, amp })?;
        }
        Action::Epsp { place: p, at_ms, amp_na, tau0_ms, tau1_ms } => {
            let (s, x) = place(p)?.middle();
            let node = lab.sim.cell.node_at(s, x.clamp(1e-6, 1.0 - 1e-6));
            let e = EpspCurrent {
                node,
                onset: time(at_ms)?,
                tau0: *tau0_ms,
                tau1: *tau1_ms,
                imax: amp_na.get(vars)?,
            };
            lab.sim.add_epsp(e)?;
        }
        Action::DrugAt { at_ms, drug, region, on } => {
            let change =
                crate::lab::session::TimedChange::Drug { drug: *drug, region: region.clone(), on: *on };
            lab.schedule_change(time(at_ms)?, change)?;
        }
        Action::MgAt { at_ms, mm } => {
            let mm = mm.get(vars)?;
            lab.schedule_change(time(at_ms)?, crate::lab::session::TimedChange::Mg { mm })?;
        }
        Action::Poisson { group, at_ms, ms, rate_hz, vary_ms } => {
            let members = built.group(group)?;
            let start = time(at_ms)?;
            let (ms, hz) = (ms.get(vars)?, rate_hz.get(vars)?);
            if !(ms.is_finite() && (0.0..=MAX_RUN_MS).contains(&ms)) {
                return Err(LabError::OutOfRange { what: "ms", value: ms, lo: 0.0, hi: MAX_RUN_MS });
            }
            if !(hz.is_finite() && hz >= 0.0) {
                return Err(LabError::Value { what: "rate_hz", value: hz, rule: "0 Hz or more" });
            }
            // Every spike is kept as a record of the inputs: bounded.
            // (Random rates reach twice `rate_hz` at most.)
            let most = if vary_ms.is_some() { 2.0 * hz } else { hz };
            let expected = members.len() as f64 * most * ms / 1000.0;
            let so_far: usize = spikes.iter().map(Vec::len).sum();
            if expected + so_far as f64 > MAX_INPUT_SPIKES as f64 {
                return Err(LabError::TooMany {
                    what: "input spikes in one run",
                    count: (expected + so_far as f64).min(usize::MAX as f64) as usize,
                    limit: MAX_INPUT_SPIKES,
                }
                .at(format!("the Poisson trains of group '{group}'")));
            }
            match vary_ms {
                None => {
                    for (k, &i) in members.iter().enumerate() {
                        let sd = seed.wrapping_mul(1_000_003).wrapping_add(k as u64);
                        // The NMDA part of the same synapse gets the same spikes: the same seed.
                        let mut recorded = false;
                        for (e, w) in lab.engine_synapses(i) {
                            lab.sim.add_poisson(e, hz, w, start, start + ms, sd)?;
                            if !recorded {
                                let source = lab.sim.events.sources.last().expect("a source was added");
                                spikes[i].extend(source.times().into_iter().map(|t| t - t0));
                                recorded = true;
                            }
                        }
                    }
                }
                Some(vary) => {
                    let vary = vary.get(vars)?;
                    if !(vary.is_finite() && vary >= 1.0) {
                        return Err(LabError::Value { what: "vary_ms", value: vary, rule: "1 ms or more" });
                    }
                    // The group's rates, one per stretch of `vary` ms, then each synapse's
                    // train: exponential intervals at the stretch's rate (exact for a
                    // piecewise constant rate, the process having no memory).
                    let group_tag = group
                        .bytes()
                        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
                    // Streams by seed, group (or synapse) and start within the protocol.
                    let at = (start - t0).to_bits();
                    let mut rates = Rng::new(mix(mix(seed, group_tag), at));
                    let stretches = (ms / vary).ceil() as usize;
                    let rate: Vec<f64> = (0..stretches).map(|_| 2.0 * hz * rates.uniform()).collect();
                    for &i in members {
                        let mut rng = Rng::new(mix(mix(seed, i as u64 + 1), at));
                        let first = spikes[i].len();
                        for (k, &r) in rate.iter().enumerate() {
                            let (a, b) = (k as f64 * vary, ((k + 1) as f64 * vary).min(ms));
                            if r <= 0.0 {
                                continue;
                            }
                            let mut t = a;
                            loop {
                                t += rng.exponential(1000.0 / r);
                                if t >= b {
                                    break;
                                }
                                spikes[i].push(start + t - t0);
                            }
                        }
                        for k in first..spikes[i].len() {
                            let t = t0 + spikes[i][k];
                            lab.fire_one(i, t);
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// A run's identity: its condition and the values of its variables (a sweep's amplitude,
/// a threshold's factor). Runs are made, cached, reported and drawn by it; it reads as
/// `condition|var=value|...` (a CSV file's name, a message) but is never parsed back.
#[derive(Debug, Clone, Default)]
pub struct RunId {
    pub condition: String,
    pub vars: BTreeMap<String, f64>,
}

impl RunId {
    pub fn new(condition: &str, vars: &BTreeMap<String, f64>) -> RunId {
        RunId { condition: condition.to_string(), vars: vars.clone() }
    }
}

impl PartialEq for RunId {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for RunId {}
impl PartialOrd for RunId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for RunId {
    /// By condition, then by variables (names, then values in f64's total order).
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        use std::cmp::Ordering::*;
        self.condition.cmp(&other.condition).then_with(|| {
            let (mut a, mut b) = (self.vars.iter(), other.vars.iter());
            loop {
                match (a.next(), b.next()) {
                    (None, None) => return Equal,
                    (None, Some(_)) => return Less,
                    (Some(_), None) => return Greater,
                    (Some((ka, va)), Some((kb, vb))) => {
                        let o = ka.cmp(kb).then(va.total_cmp(vb));
                        if o != Equal {
                            return o;
                        }
                    }
                }
            }
        })
    }
}

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.condition)?;
        for (n, v) in &self.vars {
            write!(f, "|{n}={v}")?;
        }
        Ok(())
    }
}

/// The traces of one finished run, by place name: (t from the protocol's start, V mV).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Traces {
    pub by_place: BTreeMap<String, (Vec<f64>, Vec<f64>)>,
    /// The spikes delivered to each lab synapse (ms from the protocol's start).
    pub spikes: Vec<Vec<f64>>,
}

/// Two seeds mixed into one (splitmix64's finaliser), so that each synapse and each
/// group draws from its own stream.
fn mix(a: u64, b: u64) -> u64 {
    let mut x = a ^ b.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::super::Lesson;
    use super::*;
    use crate::lab::scene::ResolvedScene;

    fn lesson(vary: &str) -> Lesson {
        let text = r#"{"name": "t", "title": "t", "story": "s", "steps": ["s"], "reference": "r",
            "scene": {"cell": "ball_and_stick", "biophysics": "passive_dendrites",
                "places": {"soma": "soma", "dend": {"dendrites": {"tree": "any"}}},
                "groups": [{"name": "g", "place": "dend", "count": 20, "kind": "AmpaNmda", "weight_ns": 0.1},
                           {"name": "h", "place": "dend", "count": 10, "kind": "GabaA", "weight_ns": 0.1}],
                "probes": ["soma"], "settle_ms": 0},
            "conditions": [{"name": "c", "run_ms": 2000, "actions": [
                {"do": "poisson", "group": "g", "at_ms": 0, "ms": "$run_ms", "rate_hz": 20 VARY},
                {"do": "poisson", "group": "h", "at_ms": 100, "ms": 500, "rate_hz": 10 VARY},
                {"do": "fire", "group": "h", "at_ms": 50, "only": 3}]}],
            "figures": [], "claims": []}"#;
        Lesson::from_json(&text.replace("VARY", vary), "t").unwrap()
    }

    /// A drug applied mid-run takes effect then: APV at 30 ms cuts the NMDA tail of a
    /// response to synapses fired at 10 ms, against the same run without it.
    #[test]
    fn a_drug_applied_mid_run_acts_from_its_time() {
        let text = r#"{"name": "t", "title": "t", "story": "s", "steps": ["s"], "reference": "r",
            "scene": {"cell": "ball_and_stick", "biophysics": "passive_dendrites",
                "places": {"soma": "soma", "dend": {"dendrites": {"tree": "any"}}},
                "groups": [{"name": "g", "place": "dend", "count": 20, "kind": "AmpaNmda", "weight_ns": 0.3}],
                "probes": ["soma"], "settle_ms": 0},
            "conditions": [
                {"name": "plain", "run_ms": 100, "actions": [{"do": "fire", "group": "g", "at_ms": 10}]},
                {"name": "apv", "run_ms": 100, "actions": [{"do": "fire", "group": "g", "at_ms": 10},
                    {"do": "drug_at", "at_ms": 30, "drug": "Apv", "region": "basal"}]}],
            "figures": [], "claims": []}"#;
        let l = Lesson::from_json(text, "t").unwrap();
        let built = ResolvedScene::new(&l.scene, None).unwrap();
        let trace = |k: usize| {
            let run = Run::start(&l.scene, &built, &l.conditions[k], &BTreeMap::new()).unwrap();
            let tr = run.finish().unwrap();
            tr.by_place["soma"].clone()
        };
        let ((t, plain), (_, apv)) = (trace(0), trace(1));
        let at = |ms: f64| t.iter().position(|&x| x >= ms).unwrap();
        // The same until the drug, then less depolarised.
        assert_eq!(plain[at(29.0)], apv[at(29.0)]);
        assert!(plain[at(60.0)] > apv[at(60.0)] + 0.2, "{} vs {}", plain[at(60.0)], apv[at(60.0)]);
    }

    fn spikes(l: &Lesson, seed: f64) -> Vec<Vec<f64>> {
        let built = ResolvedScene::new(&l.scene, None).unwrap();
        let vars = BTreeMap::from([("seed".to_string(), seed)]);
        let run = Run::start(&l.scene, &built, &l.conditions[0], &vars).unwrap();
        run.spikes
    }

    /// Seeds are integers end to end: seeds beyond 2^53 (where f64 no longer tells
    /// neighbours apart) still give each run its own inputs.
    #[test]
    fn large_seeds_stay_distinct() {
        for vary in ["", r#", "vary_ms": 100"#] {
            let l = lesson(vary);
            let built = ResolvedScene::new(&l.scene, None).unwrap();
            let run = |seed: u64| {
                Run::start_seeded(&l.scene, &built, &l.conditions[0], &BTreeMap::new(), seed).unwrap().spikes
            };
            let base = 18_446_744_073_709_551_000u64;
            let (a, b) = (run(base), run(base + 1));
            assert_ne!(a, b, "{vary}: seeds {base} and {} gave the same inputs", base + 1);
            assert_eq!(run(base), a);
        }
        // A seed given as a lesson variable must be a whole number f64 holds exactly.
        let l = lesson("");
        let built = ResolvedScene::new(&l.scene, None).unwrap();
        let vars = BTreeMap::from([("seed".to_string(), 1e300)]);
        let e = Run::start(&l.scene, &built, &l.conditions[0], &vars).err().unwrap().to_string();
        assert!(e.contains("seed must be a whole number"), "{e}");
    }

    #[test]
    fn poisson_inputs_are_recorded_and_random_rates_vary_by_group() {
        for vary in ["", r#", "vary_ms": 100"#] {
            let l = lesson(vary);
            let s = spikes(&l, 1.0);
            assert_eq!(s.len(), 30);
            assert!(s.iter().all(|t| t.windows(2).all(|w| w[0] <= w[1])), "in time order");
            // Group g: 20 synapses at 20 Hz (a mean of) for the condition's 2000 ms.
            let g: usize = s[..20].iter().map(Vec::len).sum();
            assert!((400..=1200).contains(&g), "{vary}: {g}");
            assert!(s[..20].iter().flatten().all(|&t| (0.0..2000.0).contains(&t)));
            // Group h: from 100 to 600 ms, and the one fired synapse at 50 ms.
            assert!(s[20..].iter().flatten().all(|&t| (100.0..600.0).contains(&t) || t == 50.0));
            assert_eq!(s[23].first(), Some(&50.0));
            assert_eq!(spikes(&l, 1.0), s, "the same seed, the same inputs");
            assert_ne!(spikes(&l, 2.0), s);
        }
        // With random rates the synapses of a group share each 100 ms stretch's rate:
        // their counts per stretch go up and down together.
        let s = spikes(&lesson(r#", "vary_ms": 100"#), 3.0);
        let per_stretch = |i: usize| -> Vec<f64> {
            (0..20)
                .map(|k| s[i].iter().filter(|&&t| (t / 100.0).floor() as usize == k).count() as f64)
                .collect()
        };
        let a: Vec<f64> = (0..10)
            .map(per_stretch)
            .fold(vec![0.0; 20], |acc, c| acc.iter().zip(&c).map(|(x, y)| x + y).collect());
        let b: Vec<f64> = (10..20)
            .map(per_stretch)
            .fold(vec![0.0; 20], |acc, c| acc.iter().zip(&c).map(|(x, y)| x + y).collect());
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let (ma, mb) = (mean(&a), mean(&b));
        let cov: f64 = a.iter().zip(&b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let var = |v: &[f64], m: f64| v.iter().map(|x| (x - m) * (x - m)).sum::<f64>();
        let r = cov / (var(&a, ma) * var(&b, mb)).sqrt();
        assert!(r > 0.6, "halves of a group follow the same rate: r = {r}");
    }

    #[test]
    fn absurd_poisson_trains_are_refused() {
        let l = lesson("").conditions[0].clone();
        let mut c = l.clone();
        c.actions[0] = Action::Poisson {
            group: "g".into(),
            at_ms: Amount::Value(0.0),
            ms: Amount::Value(60_000.0),
            rate_hz: Amount::Value(1e4),
            vary_ms: None,
        };
        let les = lesson("");
        let built = ResolvedScene::new(&les.scene, None).unwrap();
        let e = Run::start(&les.scene, &built, &c, &BTreeMap::new()).err().unwrap();
        assert!(
            matches!(&e, LessonError::Run { source: LabError::Entry { source, .. }, .. }
                if matches!(**source, LabError::TooMany { count: 12_000_000, .. })),
            "{e:?}"
        );
        let e = e.to_string();
        assert!(e.contains("12000000 input spikes in one run are too many"), "{e}");
        c.actions[0] = Action::Poisson {
            group: "g".into(),
            at_ms: Amount::Value(0.0),
            ms: Amount::Value(100.0),
            rate_hz: Amount::Value(10.0),
            vary_ms: Some(Amount::Value(0.0)),
        };
        let e = Run::start(&les.scene, &built, &c, &BTreeMap::new()).err().unwrap().to_string();
        assert!(e.contains("vary_ms must be 1 ms or more"), "{e}");
    }
}

//! Runs of a lesson's conditions: the scene built on a cell, changes applied (drugs,
//! [Mg2+], channels), the protocol's timed actions scheduled, and the probes' traces
//! measured. The window plays a run with the same [`Run`] (stepping it a little each
//! frame); `dendra lesson check` steps it to the end at once.

use super::place::Place;
use super::{LessonError, Scene};
use crate::lab::Lab;
use crate::lab::pharmacology::Drug;
use crate::sim::stimuli::{EpspCurrent, IClamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A number, or the name of a run variable (`"$n"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Amount {
    Value(f64),
    Var(String),
}

impl Amount {
    pub fn get(&self, vars: &BTreeMap<String, f64>) -> Result<f64, String> {
        match self {
            Amount::Value(v) => Ok(*v),
            Amount::Var(name) => {
                let key = name.strip_prefix('$').unwrap_or(name);
                vars.get(key).copied().ok_or_else(|| format!("no value for the variable '{name}'"))
            }
        }
    }
}

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

/// A change to the scene before a run starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum Change {
    /// A drug in a region (soma, axon, basal, apical).
    Drug { drug: Drug, region: String },
    /// Extracellular [Mg2+] (mM).
    Mg { mm: f64 },
    /// One mechanism switched off in one region.
    Off { mechanism: String, region: String },
    /// A parameter of one mechanism in one region multiplied by `factor` everywhere
    /// (a partial block, a dose).
    Scale { mechanism: String, region: String, param: String, factor: f64 },
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
    Poisson { group: String, at_ms: Amount, ms: Amount, rate_hz: Amount },
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
}

impl Run {
    /// Builds the scene, applies `cond`'s changes, settles for `scene.settle_ms` and
    /// schedules the actions with the variables `vars`.
    pub fn start(
        scene: &Scene,
        built: &super::Built,
        cond: &Condition,
        vars: &BTreeMap<String, f64>,
    ) -> Result<Run, LessonError> {
        let err = |m: String| LessonError::Run { condition: cond.name.clone(), message: m };
        if !(cond.run_ms.is_finite() && cond.run_ms > 0.0 && cond.run_ms <= MAX_RUN_MS) {
            return Err(err(format!("run_ms must be within (0, {MAX_RUN_MS}], got {}", cond.run_ms)));
        }
        let mut lab = built.lab(scene).map_err(err)?;
        // Every step sampled when it fits the probes' memory (1000 ms at 0.025 ms).
        let steps = ((scene.settle_ms + cond.run_ms) / lab.sim.config.dt).ceil();
        lab.sample_every = ((steps / 38_000.0).ceil() as u32).max(1);
        for c in &cond.changes {
            match c {
                Change::Drug { drug, region } => {
                    if !crate::lab::biophysics::REGIONS.iter().any(|(l, _)| l == region) {
                        return Err(err(format!("no region '{region}' for {}", drug.name())));
                    }
                    lab.set_drug(*drug, region, true);
                }
                Change::Mg { mm } => lab.set_mg(*mm),
                Change::Off { mechanism, region } => {
                    let slot = lab
                        .mechanism_slot(mechanism, region)
                        .ok_or_else(|| err(format!("the cell has no {mechanism} in the {region}")))?;
                    lab.set_mechanism_on(slot, false);
                }
                Change::Scale { mechanism, region, param, factor } => {
                    if !(factor.is_finite() && *factor >= 0.0) {
                        return Err(err(format!("factor must be 0 or more, got {factor}")));
                    }
                    let slot = lab
                        .mechanism_slot(mechanism, region)
                        .ok_or_else(|| err(format!("the cell has no {mechanism} in the {region}")))?;
                    let m = &mut lab.sim.mechs[slot].mech;
                    for i in 0..m.nodes().len() {
                        let v = m
                            .param(param, i)
                            .ok_or_else(|| err(format!("{mechanism} has no parameter '{param}'")))?;
                        m.set_param_at(param, i, v * factor).map_err(|e| err(e.to_string()))?;
                    }
                }
            }
        }
        lab.reset();
        let settle_steps = (scene.settle_ms / lab.sim.config.dt).round() as u64;
        if !lab.advance(settle_steps) {
            return Err(err("the cell did not settle: its voltage became non-finite".into()));
        }
        let t0 = lab.t();
        for p in &mut lab.probes {
            p.t.clear();
            p.v.clear();
        }
        for a in &cond.actions {
            schedule(&mut lab, built, a, t0, vars).map_err(err)?;
        }
        let probe_of = built.probe_of.clone();
        Ok(Run { lab, t0, t_end: t0 + cond.run_ms, probe_of })
    }

    /// Steps at most `max_steps`; true when the run is over.
    pub fn step(&mut self, max_steps: u64) -> Result<bool, String> {
        let dt = self.lab.sim.config.dt;
        let left = ((self.t_end - self.lab.t()) / dt).round().max(0.0) as u64;
        let n = left.min(max_steps);
        if !self.lab.advance(n) {
            return Err(format!("the voltage became non-finite at t = {:.2} ms", self.lab.t() - self.t0));
        }
        if let Some((node, v)) = self.lab.sim.insane_node() {
            return Err(self.lab.sim.insane_message(node, v));
        }
        Ok(left <= max_steps)
    }

    /// Runs to the end.
    pub fn finish(mut self) -> Result<Traces, String> {
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
        Traces { by_place: out }
    }
}

fn schedule(
    lab: &mut Lab,
    built: &super::Built,
    a: &Action,
    t0: f64,
    vars: &BTreeMap<String, f64>,
) -> Result<(), String> {
    let time = |x: &Amount| -> Result<f64, String> {
        let v = x.get(vars)?;
        if !(v.is_finite() && v >= 0.0) {
            return Err(format!("times must be 0 ms or later, got {v}"));
        }
        Ok(t0 + v)
    };
    let place = |name: &str| -> Result<Place, String> {
        built.places.get(name).cloned().ok_or_else(|| format!("no place called '{name}' in the scene"))
    };
    match a {
        Action::Fire { group, at_ms, order, interval_ms, count, only } => {
            let members = built.groups.get(group).ok_or_else(|| format!("no synapse group '{group}'"))?;
            let n = match count {
                Some(c) => {
                    let n = c.get(vars)?;
                    if !(n.is_finite() && n >= 0.0) {
                        return Err(format!("count must be 0 or more, got {n}"));
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
                        return Err(format!("only: group '{group}' has no synapse {k}"));
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
            }
        }
        Action::Pulse { place: p, at_ms, dur_ms, amp_na } => {
            let (s, x) = place(p)?.middle();
            let node = lab.sim.cell.node_at(s, x.clamp(1e-6, 1.0 - 1e-6));
            let dur = dur_ms.get(vars)?;
            let amp = amp_na.get(vars)?;
            lab.sim.add_iclamp(IClamp { node, delay: time(at_ms)?, dur, amp }).map_err(|e| e.to_string())?;
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
            lab.sim.add_epsp(e).map_err(|e| e.to_string())?;
        }
        Action::Poisson { group, at_ms, ms, rate_hz } => {
            let members = built.groups.get(group).ok_or_else(|| format!("no synapse group '{group}'"))?;
            let start = time(at_ms)?;
            let (ms, hz) = (ms.get(vars)?, rate_hz.get(vars)?);
            let seed = vars.get("seed").copied().unwrap_or(1.0) as u64;
            for (k, &i) in members.iter().enumerate() {
                let sd = seed.wrapping_mul(1_000_003).wrapping_add(k as u64);
                // The NMDA part of the same synapse gets the same spikes: the same seed.
                for (e, w) in lab.engine_synapses(i) {
                    lab.sim.add_poisson(e, hz, w, start, start + ms, sd).map_err(|e| e.to_string())?;
                }
            }
        }
    }
    Ok(())
}

/// The traces of one finished run, by place name: (t from the protocol's start, V mV).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Traces {
    pub by_place: BTreeMap<String, (Vec<f64>, Vec<f64>)>,
}

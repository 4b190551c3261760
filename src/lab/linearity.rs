//! The linearity meter: would the selected synapses, fired as they are about to be, sum
//! linearly? From the lab's current state it runs copies of the lab: one with no input
//! (the baseline), one with all of them fired (the actual response) and one per synapse
//! fired alone; the linear prediction is the baseline plus the sum of the single
//! responses. A passive tree gives actual ~ linear; clustered NMDA synapses give actual
//! far above it (Polsky et al. 2004). The copies run in parallel, one per core, away from
//! the window's thread; firing goes through [`Lab::fire_from`], as in the window.

use super::session::{FirePattern, Lab};
use std::fmt;

/// Most synapses the meter fires one by one (each is a full run).
pub const MAX_METER_SYNAPSES: usize = 64;
/// Longest window the meter looks at (ms).
pub const MAX_METER_MS: f64 = 2000.0;

/// What the meter found, per probe.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeLinearity {
    /// The probe's name ("soma", "basal 120 um").
    pub probe: String,
    pub color: [u8; 3],
    /// Times from the first spike (ms).
    pub t_ms: Vec<f64>,
    /// The actual response and the linear prediction (mV).
    pub actual_mv: Vec<f64>,
    pub linear_mv: Vec<f64>,
    /// Peak depolarisation above the baseline (mV).
    pub actual_peak_mv: f64,
    pub linear_peak_mv: f64,
}

/// The meter's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Linearity {
    /// How many synapses were fired.
    pub synapses: usize,
    pub probes: Vec<ProbeLinearity>,
}

impl Linearity {
    /// Actual over linear peak at probe `i` (1: linear; above: supralinear).
    pub fn ratio(&self, i: usize) -> Option<f64> {
        let p = self.probes.get(i)?;
        (p.linear_peak_mv.abs() > 1e-9).then(|| p.actual_peak_mv / p.linear_peak_mv)
    }
}

impl fmt::Display for Linearity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} synapses:", self.synapses)?;
        for (i, p) in self.probes.iter().enumerate() {
            let ratio = self.ratio(i).map_or("-".to_string(), |r| format!("x{r:.2}"));
            write!(
                f,
                " {}: linear sum {:.2} mV, actual {:.2} mV ({ratio});",
                p.probe, p.linear_peak_mv, p.actual_peak_mv
            )?;
        }
        Ok(())
    }
}

/// One what-if: the lab copied, only `fire` (lab synapse indices) fired with `pattern`
/// at `t0`, run for `steps`; the probes' voltages at every step.
fn what_if(lab: &Lab, fire: &[usize], pattern: FirePattern, t0: f64, steps: u64) -> Vec<Vec<f64>> {
    let mut copy = lab.clone();
    copy.trial = None;
    for (i, s) in copy.synapses.iter_mut().enumerate() {
        s.selected = fire.contains(&i);
    }
    if !fire.is_empty() {
        copy.fire_from(pattern, t0);
    }
    let nodes: Vec<usize> = copy.probes.iter().map(|p| p.node as usize).collect();
    let mut out = vec![Vec::with_capacity(steps as usize + 1); nodes.len()];
    for (trace, &n) in out.iter_mut().zip(&nodes) {
        trace.push(copy.sim.v[n]);
    }
    for _ in 0..steps {
        copy.sim.step();
        for (trace, &n) in out.iter_mut().zip(&nodes) {
            trace.push(copy.sim.v[n]);
        }
    }
    out
}

/// Measures the selection (or every synapse, if none is selected) fired with `pattern`
/// from now, over `ms`, on `threads` threads (0: one per core).
pub fn measure(lab: &Lab, pattern: FirePattern, ms: f64, threads: usize) -> Result<Linearity, String> {
    let mut chosen: Vec<usize> = (0..lab.synapses.len()).filter(|&i| lab.synapses[i].selected).collect();
    if chosen.is_empty() {
        chosen = (0..lab.synapses.len()).collect();
    }
    if chosen.is_empty() {
        return Err("no synapses to measure: place some with the Synapse tool".into());
    }
    if chosen.len() > MAX_METER_SYNAPSES {
        return Err(format!(
            "{} synapses are too many for the linearity meter (at most {MAX_METER_SYNAPSES}: each is a run \
             of its own); select fewer",
            chosen.len()
        ));
    }
    if !(ms.is_finite() && ms > 0.0 && ms <= MAX_METER_MS) {
        return Err(format!("the meter's window must be within (0, {MAX_METER_MS}] ms, got {ms}"));
    }
    let dt = lab.sim.config.dt;
    let t0 = lab.t() + dt;
    let steps = (ms / dt).ceil() as u64 + 1;
    // Runs: 0 the baseline, 1 all together, then each alone.
    let runs: Vec<Vec<usize>> =
        [vec![], chosen.clone()].into_iter().chain(chosen.iter().map(|&i| vec![i])).collect();
    let threads =
        if threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { threads };
    let mut results: Vec<Option<Vec<Vec<f64>>>> = vec![None; runs.len()];
    let chunk = runs.len().div_ceil(threads.max(1));
    std::thread::scope(|s| {
        for (slots, jobs) in results.chunks_mut(chunk).zip(runs.chunks(chunk)) {
            s.spawn(move || {
                for (slot, fire) in slots.iter_mut().zip(jobs) {
                    *slot = Some(what_if(lab, fire, pattern, t0, steps));
                }
            });
        }
    });
    let results: Vec<Vec<Vec<f64>>> = results.into_iter().map(|r| r.unwrap_or_default()).collect();
    let (base, all) = (&results[0], &results[1]);
    let t_ms: Vec<f64> = (0..=steps).map(|k| lab.t() + k as f64 * dt - t0).collect();
    let probes = (0..lab.probes.len())
        .map(|p| {
            let n = base[p].len();
            let linear: Vec<f64> = (0..n)
                .map(|k| base[p][k] + results[2..].iter().map(|r| r[p][k] - base[p][k]).sum::<f64>())
                .collect();
            let peak = |trace: &[f64]| {
                trace.iter().zip(&base[p]).map(|(v, b)| v - b).filter(|d| d.is_finite()).fold(0.0, f64::max)
            };
            ProbeLinearity {
                probe: lab.probe_label(p),
                color: lab.probes[p].color,
                t_ms: t_ms[..n].to_vec(),
                actual_peak_mv: peak(&all[p]),
                linear_peak_mv: peak(&linear),
                actual_mv: all[p].clone(),
                linear_mv: linear,
            }
        })
        .collect();
    Ok(Linearity { synapses: chosen.len(), probes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::SynapseKind;

    fn cell() -> Lab {
        Lab::builtin("ball_and_stick").unwrap()
    }

    fn dend(lab: &Lab) -> usize {
        lab.sim.cell.morphology.sections.iter().position(|s| s.region.is_dendrite()).unwrap()
    }

    #[test]
    fn small_distant_inputs_sum_about_linearly() {
        let mut lab = cell();
        let d = dend(&lab);
        for x in [0.2, 0.5, 0.8] {
            lab.add_synapse(d, x, SynapseKind::Ampa, 0.2).unwrap();
        }
        let m = measure(&lab, FirePattern::Single, 50.0, 2).unwrap();
        assert_eq!(m.synapses, 3);
        let r = m.ratio(0).unwrap();
        assert!((0.85..=1.05).contains(&r), "{m}");
        // The lab itself did not move.
        assert_eq!(lab.t(), 0.0);
    }

    #[test]
    fn clustered_nmda_inputs_are_supralinear() {
        let mut lab = cell();
        let d = dend(&lab);
        for k in 0..10 {
            lab.add_synapse(d, 0.7 + 0.02 * k as f64, SynapseKind::AmpaNmda, 0.6).unwrap();
        }
        lab.add_probe(d, 0.8).unwrap();
        let m = measure(&lab, FirePattern::Single, 100.0, 2).unwrap();
        let r = m.ratio(1).unwrap();
        assert!(r > 1.5, "dendrite: {m}");
    }

    #[test]
    fn the_meter_refuses_what_it_cannot_do() {
        let mut lab = cell();
        assert!(measure(&lab, FirePattern::Single, 50.0, 1).unwrap_err().starts_with("no synapses"));
        let d = dend(&lab);
        for k in 0..=MAX_METER_SYNAPSES {
            lab.add_synapse(d, k as f64 / 70.0, SynapseKind::Ampa, 0.2).unwrap();
        }
        assert!(measure(&lab, FirePattern::Single, 50.0, 1).unwrap_err().contains("too many"));
        lab.synapses[0].selected = true;
        assert!(measure(&lab, FirePattern::Single, f64::NAN, 1).unwrap_err().contains("window"));
        assert!(measure(&lab, FirePattern::Single, 10.0, 1).is_ok());
    }
}

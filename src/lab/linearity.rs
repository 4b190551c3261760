//! The linearity meter: would the selected synapses, fired as they are about to be, sum
//! linearly? From the lab's current state it runs copies of the lab: one with no input
//! (the baseline), one with all of them fired (the actual response) and one per synapse
//! fired alone; the linear prediction is the baseline plus the sum of the single
//! responses. A passive tree gives actual ~ linear; clustered NMDA synapses give actual
//! far above it (Polsky et al. 2004). The copies run in parallel, one per core, away from
//! the window's thread; firing goes through [`Lab::fire_from`], as in the window.

use super::error::LabError;
use super::session::{FirePattern, Lab};
use std::fmt;

/// Most synapses the meter fires one by one (each is a full run).
pub const MAX_METER_SYNAPSES: usize = 64;
/// Longest window the meter looks at (ms).
pub const MAX_METER_MS: f64 = 2000.0;
/// The window the meter takes, as its error says it (with [`MAX_METER_MS`]).
const METER_WINDOW: &str = "within (0, 2000]";

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

/// Most samples kept per probe and run (the window is sampled more sparsely if longer).
const MAX_METER_POINTS: usize = 4000;

/// A run of the meter: nothing fired (the baseline), the whole selection, or one synapse.
#[derive(Clone, Copy)]
enum Job {
    Base,
    All,
    One(usize),
}

/// One what-if on a copy of `template`: only `fire` (lab synapse indices) fired with
/// `pattern` at `t0`, run for `steps`; each probe's voltage every `every` steps.
fn what_if(
    template: &Lab,
    fire: &[usize],
    pattern: FirePattern,
    t0: f64,
    steps: u64,
    every: u64,
) -> Vec<Vec<f64>> {
    let mut copy = template.clone();
    for (i, s) in copy.synapses.iter_mut().enumerate() {
        s.selected = fire.contains(&i);
    }
    if !fire.is_empty() {
        copy.fire_from(pattern, t0);
    }
    let nodes: Vec<usize> = copy.probes.iter().map(|p| p.node as usize).collect();
    let samples = (steps / every) as usize + 1;
    let mut out = vec![Vec::with_capacity(samples); nodes.len()];
    for k in 0..=steps {
        if k > 0 {
            copy.sim.step();
        }
        if k % every == 0 {
            for (trace, &n) in out.iter_mut().zip(&nodes) {
                trace.push(copy.sim.v[n]);
            }
        }
    }
    out
}

/// What one thread made of its share of the runs: the baseline and the whole selection
/// if it ran them, and the sum of its single-synapse runs (so that memory does not grow
/// with the number of synapses).
#[derive(Default)]
struct Share {
    base: Option<Vec<Vec<f64>>>,
    all: Option<Vec<Vec<f64>>>,
    singles: Option<Vec<Vec<f64>>>,
    n_singles: usize,
}

/// Measures the selection (or every synapse, if none is selected) fired with `pattern`
/// from now, over `ms`, on `threads` threads (0: one per core).
pub fn measure(lab: &Lab, pattern: FirePattern, ms: f64, threads: usize) -> Result<Linearity, LabError> {
    let mut chosen: Vec<usize> = (0..lab.synapses.len()).filter(|&i| lab.synapses[i].selected).collect();
    if chosen.is_empty() {
        chosen = (0..lab.synapses.len()).collect();
    }
    if chosen.is_empty() {
        return Err(LabError::NotNow("no synapses to measure: place some with the Synapse tool".into()));
    }
    if chosen.len() > MAX_METER_SYNAPSES {
        return Err(LabError::TooMany {
            what: "synapses for the linearity meter (each is a run of its own: select fewer)",
            count: chosen.len(),
            limit: MAX_METER_SYNAPSES,
        });
    }
    if !(ms.is_finite() && ms > 0.0 && ms <= MAX_METER_MS) {
        return Err(LabError::Value { what: "the meter's window (ms)", value: ms, rule: METER_WINDOW });
    }
    let dt = lab.sim.config.dt;
    let t0 = lab.t() + dt;
    let steps = (ms / dt).ceil() as u64 + 1;
    let every = steps.div_ceil(MAX_METER_POINTS as u64 - 1).max(1);
    // The copies start from this one, without the traces (the runs record their own).
    let mut template = lab.clone();
    template.trial = None;
    template.trials.clear();
    for p in &mut template.probes {
        p.t = crate::sim::recording::Ring::new(1);
        p.v = crate::sim::recording::Ring::new(1);
    }
    let jobs: Vec<Job> =
        [Job::Base, Job::All].into_iter().chain(chosen.iter().map(|&i| Job::One(i))).collect();
    let threads =
        if threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { threads };
    let chunk = jobs.len().div_ceil(threads.max(1));
    let template = &template;
    let chosen = &chosen;
    let shares: Vec<Share> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|mine| {
                s.spawn(move || {
                    let mut share = Share::default();
                    for job in mine {
                        match *job {
                            Job::Base => share.base = Some(what_if(template, &[], pattern, t0, steps, every)),
                            Job::All => {
                                share.all = Some(what_if(template, chosen, pattern, t0, steps, every))
                            }
                            Job::One(i) => {
                                let run = what_if(template, &[i], pattern, t0, steps, every);
                                share.n_singles += 1;
                                match &mut share.singles {
                                    None => share.singles = Some(run),
                                    Some(sum) => {
                                        for (acc, r) in sum.iter_mut().zip(&run) {
                                            acc.iter_mut().zip(r).for_each(|(a, b)| *a += b);
                                        }
                                    }
                                }
                            }
                        }
                    }
                    share
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    let mut base = None;
    let mut all = None;
    let mut singles: Option<Vec<Vec<f64>>> = None;
    let mut n_singles = 0;
    for sh in shares {
        base = base.or(sh.base);
        all = all.or(sh.all);
        n_singles += sh.n_singles;
        match (&mut singles, sh.singles) {
            (None, s) => singles = s,
            (Some(sum), Some(more)) => {
                for (acc, r) in sum.iter_mut().zip(&more) {
                    acc.iter_mut().zip(r).for_each(|(a, b)| *a += b);
                }
            }
            (Some(_), None) => {}
        }
    }
    let (Some(base), Some(all), Some(singles)) = (base, all, singles) else {
        return Err(LabError::NotNow("a run of the linearity meter failed".into()));
    };
    if n_singles != chosen.len() {
        return Err(LabError::NotNow("a run of the linearity meter failed".into()));
    }
    let t_ms: Vec<f64> =
        (0..base.first().map_or(0, Vec::len)).map(|k| (k as u64 * every) as f64 * dt - dt).collect();
    let probes = (0..lab.probes.len())
        .map(|p| {
            let n = base[p].len();
            // The baseline plus each synapse's response alone (its run minus the baseline).
            let linear: Vec<f64> =
                (0..n).map(|k| singles[p][k] - (n_singles as f64 - 1.0) * base[p][k]).collect();
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
        assert!(
            measure(&lab, FirePattern::Single, 50.0, 1).unwrap_err().to_string().starts_with("no synapses")
        );
        let d = dend(&lab);
        for k in 0..=MAX_METER_SYNAPSES {
            lab.add_synapse(d, k as f64 / 70.0, SynapseKind::Ampa, 0.2).unwrap();
        }
        assert!(measure(&lab, FirePattern::Single, 50.0, 1).unwrap_err().to_string().contains("too many"));
        lab.synapses[0].selected = true;
        assert!(measure(&lab, FirePattern::Single, f64::NAN, 1).unwrap_err().to_string().contains("window"));
        assert!(measure(&lab, FirePattern::Single, 10.0, 1).is_ok());
        // The longest window keeps a bounded number of samples per probe (memory does not
        // grow with the window or the number of synapses).
        let m = measure(&lab, FirePattern::Single, MAX_METER_MS, 1).unwrap();
        let n = m.probes[0].actual_mv.len();
        assert!((2000..=MAX_METER_POINTS).contains(&n), "{n}");
        assert_eq!(m.probes[0].linear_mv.len(), n);
        assert!((m.probes[0].t_ms[n - 1] - MAX_METER_MS).abs() < 1.0, "{}", m.probes[0].t_ms[n - 1]);
    }
}

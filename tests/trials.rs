//! Trials without a window: the lab resets, plays the protocol, pauses when it ends and
//! keeps the traces as a labelled ghost; labels say what changed; the same protocol gives
//! the same traces; trials and the selection survive a setup; the CSV carries them; the
//! peak-hold colouring holds a spike; a cell that fires by itself is reported.

use dendra::lab::pharmacology::Drug;
use dendra::lab::setup::{read_setup, write_setup};
use dendra::lab::trials::{MAX_TRIALS, TRIAL_LEAD_MS, TrialPlan};
use dendra::lab::{FirePattern, Lab, Quantity, SynapseKind};

/// The NMDA set-up: a cluster of AMPA+NMDA synapses on a thin distal dendrite of the
/// ball-and-stick cell, selected, with a probe among them.
fn nmda_lab() -> Lab {
    let mut lab = Lab::builtin("ball_and_stick").unwrap();
    let d = lab.sim.cell.morphology.sections.iter().position(|s| s.region.is_dendrite()).unwrap();
    for k in 0..10 {
        let i = lab.add_synapse(d, 0.7 + 0.02 * k as f64, SynapseKind::AmpaNmda, 1.5).unwrap();
        lab.synapses[i].selected = true;
    }
    lab.add_probe(d, 0.8).unwrap();
    lab
}

/// Runs the trial in progress to its end, as the window's clock does (chunks of steps).
fn play(lab: &mut Lab) {
    let mut guard = 0;
    while lab.trial.is_some() {
        assert!(lab.advance(40));
        guard += 1;
        assert!(guard < 100_000, "the trial never ended");
    }
}

/// The same traces, up to the last digit JSON may change.
fn same_trials(a: &[dendra::lab::trials::Trial], b: &[dendra::lab::trials::Trial]) -> bool {
    let close =
        |x: &[f64], y: &[f64]| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| (p - q).abs() < 1e-9);
    a.len() == b.len()
        && a.iter().zip(b).all(|(p, q)| {
            p.label == q.label
                && p.protocol == q.protocol
                && p.traces.len() == q.traces.len()
                && p.traces.iter().zip(&q.traces).all(|(s, t)| {
                    s.probe == t.probe
                        && s.color == t.color
                        && close(&s.t_ms, &t.t_ms)
                        && close(&s.v_mv, &t.v_mv)
                })
        })
}

#[test]
fn two_trials_control_then_apv_are_kept_with_labels_and_compare() {
    let mut lab = nmda_lab();
    let plan = TrialPlan { fire: Some(FirePattern::Single), run_ms: 100.0 };
    let msg = lab.start_trial(plan);
    assert!(msg.starts_with("trial 'control': fired 10 of 10 synapses"), "{msg}");
    play(&mut lab);
    assert!(lab.paused, "a finished trial pauses the lab");
    let (notice, warning) = lab.take_notice().unwrap();
    assert!(notice.starts_with("trial 'control' kept (1 kept)") && !warning, "{notice}");
    for r in ["soma", "axon", "basal", "apical"] {
        lab.set_drug(Drug::Apv, r, true);
    }
    lab.start_trial(plan);
    play(&mut lab);
    let labels: Vec<&str> = lab.trials.iter().map(|t| t.label.as_str()).collect();
    assert_eq!(labels, ["control", "APV"]);
    for t in &lab.trials {
        assert_eq!(t.traces.len(), 2, "soma and the dendritic probe");
        assert_eq!(t.traces[0].probe, "soma");
        let tr = &t.traces[1];
        assert_eq!(tr.t_ms.len(), tr.v_mv.len());
        // Times from the reset: the baseline, then the run.
        assert!(tr.t_ms[0] < 0.2 && (tr.t_ms.last().unwrap() - (TRIAL_LEAD_MS + 100.0)).abs() < 0.2);
    }
    // The baseline is flat and equal in both (the same rest), the response is not.
    let base = |k: usize| lab.trials[k].traces[1].v_mv[0];
    assert!((base(0) - base(1)).abs() < 1e-9);
    // The NMDA part: a long depolarisation after the AMPA peak (and the spike).
    let late = |k: usize| {
        let tr = &lab.trials[k].traces[1];
        let v: Vec<f64> = tr.t_ms.iter().zip(&tr.v_mv).filter(|(t, _)| **t > 40.0).map(|(_, v)| *v).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (control, apv) = (late(0), late(1));
    assert!(control > apv + 3.0, "mean V 30-100 ms after the input: control {control} mV, APV {apv} mV");
    // The CSV carries both trials, labelled.
    let csv = lab.traces_csv();
    let header = csv.lines().next().unwrap();
    for col in ["control: soma", "control: basal", "APV: soma", "APV: basal"] {
        assert!(header.contains(col), "{header}");
    }
    let cols = header.split(',').count();
    assert!(csv.lines().skip(1).all(|l| l.split(',').count() == cols));
    // Each trial on its own time axis: its columns are full even when the live run has
    // moved on past the trials' times (they were interpolated onto the live run's time
    // axis, which no longer overlapped theirs, and came out empty).
    lab.reset();
    lab.advance((5.0 / lab.sim.config.dt) as u64);
    let csv = lab.traces_csv();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col =
        |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("{name}: {header:?}"));
    let (t, v) = (col("control: t"), col("control: soma"));
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let filled = rows.iter().filter(|r| !r[v].is_empty()).count();
    assert_eq!(filled, lab.trials[0].traces[0].t_ms.len(), "every sample of the trial exported");
    let last_t: f64 = rows[filled - 1][t].parse().unwrap();
    assert!((last_t - lab.trials[0].traces[0].t_ms.last().unwrap()).abs() < 1e-3);
    // Removing one.
    lab.remove_trial(0);
    assert_eq!(lab.trials.len(), 1);
    assert_eq!(lab.trials[0].label, "APV");
}

#[test]
fn the_same_trial_twice_gives_the_same_traces_and_a_numbered_label() {
    let mut lab = nmda_lab();
    let plan =
        TrialPlan { fire: Some(FirePattern::Sequence { inward: true, interval_ms: 2.0 }), run_ms: 60.0 };
    lab.start_trial(plan);
    play(&mut lab);
    // Something in between, then the same again.
    lab.fire(FirePattern::Single);
    lab.paused = false;
    lab.advance(400);
    lab.start_trial(plan);
    play(&mut lab);
    assert_eq!(lab.trials[0].label, "inward");
    assert_eq!(lab.trials[1].label, "inward #2");
    assert_eq!(lab.trials[0].traces, lab.trials[1].traces);
    lab.set_mg(3.0);
    lab.start_trial(TrialPlan {
        fire: Some(FirePattern::Sequence { inward: false, interval_ms: 2.0 }),
        ..plan
    });
    play(&mut lab);
    assert_eq!(lab.trials[2].label, "Mg 3 mM, outward");
}

#[test]
fn trials_and_the_selection_survive_a_setup_and_bad_trials_are_refused() {
    let mut lab = nmda_lab();
    lab.synapses[0].selected = false;
    lab.start_trial(TrialPlan { fire: Some(FirePattern::Single), run_ms: 30.0 });
    play(&mut lab);
    let dir = std::env::temp_dir().join(format!("dendra_trials_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("trials.json");
    write_setup(&path, &lab.to_setup(None, None)).unwrap();
    let setup = read_setup(&path).unwrap();
    let back = Lab::from_setup(&setup, &dir).unwrap();
    assert!(same_trials(&back.trials, &lab.trials));
    let sel: Vec<bool> = back.synapses.iter().map(|s| s.selected).collect();
    assert_eq!(sel, lab.synapses.iter().map(|s| s.selected).collect::<Vec<_>>());
    assert!(!sel[0] && sel[1]);

    let mut bad = setup.clone();
    bad.trials = vec![setup.trials[0].clone(); MAX_TRIALS + 1];
    let e = Lab::from_setup(&bad, &dir).unwrap_err().to_string();
    assert!(e.starts_with("trials: 13 trials are too many"), "{e}");
    let mut bad = setup.clone();
    bad.trials[0].traces[1].v_mv.pop();
    let e = Lab::from_setup(&bad, &dir).unwrap_err().to_string();
    assert!(e.starts_with("trials[0].traces[1]: t_ms has"), "{e}");
    let mut bad = setup;
    bad.trials[0].traces[0].t_ms.reverse();
    let e = Lab::from_setup(&bad, &dir).unwrap_err().to_string();
    assert_eq!(e, "trials[0].traces[0]: t_ms must increase");
    // Unknown fields in a trial are refused by name.
    let text = std::fs::read_to_string(&path).unwrap().replacen("\"label\"", "\"lable\"", 1);
    std::fs::write(&path, text).unwrap();
    let e = read_setup(&path).unwrap_err().to_string();
    assert!(e.contains("unknown field `lable`"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_oldest_trial_goes_when_too_many_are_kept() {
    let mut lab = nmda_lab();
    for k in 0..MAX_TRIALS + 2 {
        lab.set_mg(k as f64 * 0.1);
        lab.start_trial(TrialPlan { fire: None, run_ms: 2.0 });
        play(&mut lab);
    }
    assert_eq!(lab.trials.len(), MAX_TRIALS);
    assert!(lab.trials[0].label.starts_with("Mg 0.2"), "{}", lab.trials[0].label);
}

#[test]
fn peak_hold_keeps_a_spike_visible_for_a_while() {
    let mut lab = Lab::builtin("ball_and_stick").unwrap();
    let soma = lab.sim.cell.morphology.soma();
    let node = lab.sim.cell.compartment_at(soma, 0.5) as usize;
    lab.add_clamp(soma, 0.5, 1.0, 1.0, 2.0).unwrap();
    let mut out = Vec::new();
    lab.advance(400); // 10 ms: the spike is over
    lab.node_values(Quantity::Voltage, &mut out);
    let now = out[node];
    lab.node_values(Quantity::PeakVoltage, &mut out);
    assert!(now < -40.0 && out[node] > 20.0, "voltage {now}, held {}", out[node]);
    lab.advance(8000); // 200 ms later the hold has let go
    lab.node_values(Quantity::PeakVoltage, &mut out);
    assert!(out[node] < -40.0, "held {}", out[node]);
    // No warning: the spike was evoked.
    assert_eq!(lab.fired_alone_at, None);
}

#[test]
fn a_cell_that_fires_by_itself_is_reported_once() {
    let mut lab = Lab::builtin("ball_and_stick").unwrap();
    lab.advance(8000);
    assert_eq!(lab.fired_alone_at, None, "the cell rests quietly");
    assert!(lab.take_notice().is_none());
    // A leak reversal far above threshold makes the soma fire on its own.
    let soma_hh = lab.mechanism_slot("hh", "soma").unwrap();
    lab.sim.set_param(soma_hh, "el", 0.0).unwrap();
    lab.advance(24_000); // to 800 ms
    let t = lab.fired_alone_at.expect("it fires by itself");
    // Spikes within 500 ms of an input count as evoked (an NMDA plateau can drive
    // spikes for hundreds of ms); the reset at t = 0 counts as the last input here.
    assert!(t > 500.0, "after the last input's margin, t {t}");
    let (msg, warning) = lab.take_notice().unwrap();
    assert!(warning && msg.starts_with("the cell fired by itself at t = "), "{msg}");
    lab.advance(4000);
    assert!(lab.take_notice().is_none(), "said once");
}

#[test]
fn trial_words_set_conditions_and_the_protocol_or_say_what_is_wrong() {
    let mut lab = nmda_lab();
    let mut plan = TrialPlan { fire: Some(FirePattern::Single), run_ms: 100.0 };
    lab.apply_trial_words("apv, mg=2, inward, ms=80", &mut plan).unwrap();
    assert!(["soma", "axon", "basal", "apical"].iter().all(|r| lab.drug_on(Drug::Apv, r)));
    assert_eq!(lab.mg_mm, 2.0);
    assert_eq!(
        plan,
        TrialPlan { fire: Some(FirePattern::Sequence { inward: true, interval_ms: 2.0 }), run_ms: 80.0 }
    );
    assert_eq!(lab.condition_label(plan.fire), "APV, Mg 2 mM, inward");
    lab.apply_trial_words("control, ttx:apical, fire", &mut plan).unwrap();
    assert_eq!(lab.condition_label(plan.fire), "TTX apical");
    lab.apply_trial_words("wash:TTX", &mut plan).unwrap();
    assert_eq!(lab.condition_label(plan.fire), "control");
    for (bad, says) in [
        ("aspirin", "'aspirin': no drug 'aspirin' (known: TTX, TEA"),
        ("apv:liver", "'apv:liver': no region 'liver' (known: soma, axon, basal, apical)"),
        ("mg=lots", "'mg=lots': 'lots' is not a number"),
        ("ms=inf", "'ms=inf': 'inf' is not a number"),
    ] {
        let e = lab.apply_trial_words(bad, &mut plan).unwrap_err().to_string();
        assert!(e.starts_with(says), "{bad}: {e}");
    }
}

#[test]
fn a_long_trial_keeps_its_baseline() {
    let mut lab = Lab::builtin("ball_and_stick").unwrap();
    lab.start_trial(TrialPlan { fire: None, run_ms: 6000.0 });
    play(&mut lab);
    let tr = &lab.trials[0].traces[0];
    assert!(tr.t_ms[0] < 1.0, "the trace starts at the reset, not {} ms", tr.t_ms[0]);
    assert!(*tr.t_ms.last().unwrap() > 6000.0);
}

#[test]
fn a_copy_without_traces_leaves_the_lab_whole() {
    let mut lab = nmda_lab();
    lab.start_trial(TrialPlan { fire: Some(FirePattern::Single), run_ms: 20.0 });
    play(&mut lab);
    let (samples, trials) = (lab.probes[1].v.len(), lab.trials.clone());
    let copy = lab.clone_without_traces();
    assert!(copy.probes.iter().all(|p| p.v.is_empty()) && copy.trials.is_empty());
    assert_eq!(copy.sim.v, lab.sim.v);
    assert_eq!(copy.synapses.len(), lab.synapses.len());
    assert_eq!(lab.probes[1].v.len(), samples, "the lab keeps its traces");
    assert_eq!(lab.trials, trials, "and its trials");
}

/// Inputs given to the engine directly (as a lesson's Poisson trains and pulses are) count
/// as inputs too: the evoked spikes are not reported as the cell's own.
#[test]
fn spikes_driven_through_the_engine_are_evoked() {
    let mut lab = Lab::builtin("ball_and_stick").unwrap();
    let d = lab.sim.cell.morphology.sections.iter().position(|s| s.region.is_dendrite()).unwrap();
    let i = lab.add_synapse(d, 0.1, SynapseKind::Ampa, 10.0).unwrap();
    let k = lab.synapses[i].fast;
    lab.sim.add_poisson(k, 50.0, 0.05, 600.0, 1600.0, 3).unwrap();
    lab.sim.events.init();
    let soma = lab.sim.cell.compartment_at(lab.sim.cell.morphology.soma(), 0.5) as usize;
    let mut peak = f64::MIN;
    for _ in 0..1500 {
        lab.advance(40); // 1 ms, to 1500 ms
        peak = peak.max(lab.sim.v[soma]);
    }
    assert!(peak > 0.0, "the train drives the soma to fire (peak {peak} mV)");
    let fired_alone = lab.fired_alone_at;
    assert_eq!(fired_alone, None, "{:?}", lab.take_notice());
}

/// A trial starts from the cell's rest, settled once under the present conditions and
/// kept: its 10 ms baseline is flat (from v_init the default cell drifted by over 1 mV,
/// more than the EPSPs being compared), and two trials share the same rest.
#[test]
fn a_trial_starts_from_rest_with_a_flat_baseline() {
    let mut lab = Lab::builtin("l5_pyramidal").unwrap();
    let drift = |lab: &mut Lab| {
        lab.start_trial(TrialPlan { fire: None, run_ms: 5.0 });
        play(lab);
        let tr = &lab.trials.last().unwrap().traces[0];
        let base: Vec<f64> =
            tr.t_ms.iter().zip(&tr.v_mv).filter(|(t, _)| **t <= TRIAL_LEAD_MS).map(|(_, v)| *v).collect();
        let (lo, hi) = base.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        (hi - lo, base[0])
    };
    let (d1, v1) = drift(&mut lab);
    let (d2, v2) = drift(&mut lab);
    eprintln!("baseline drift {d1:.4} mV from {v1:.3} mV; again {d2:.4} mV from {v2:.3} mV");
    assert!(d1 < 0.1 && d2 < 0.1, "drift {d1} and {d2} mV");
    assert!((v1 - v2).abs() < 1e-9, "the same rest: {v1} and {v2}");
}

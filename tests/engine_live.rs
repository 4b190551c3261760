//! Live edits between steps: switching a mechanism, changing a parameter, changing a
//! synapse's Mg2+, Crank-Nicolson against NEURON's trace, bursts.

use dendra::sim::compare::{compare, parse_csv};
use dendra::sim::engine::Simulation;
use dendra::sim::spec::ModelSpec;
use dendra::sim::synapses::{MgBlock, SynapseParams};
use std::path::PathBuf;

/// A single-compartment HH soma (L = diam = 20 um) with a small extra leak (pas, so that
/// the membrane relaxes while hh is off), and a 0.8 nA, 1 ms pulse every 30 ms from 10 ms.
fn hh_soma() -> Simulation {
    let spec = r#"{
      "tstop": 200,
      "sections": [{"name": "soma", "L": 20, "diam": 20, "nseg": 1,
                    "mechanisms": {"hh": {}, "pas": {"g": 5e-4, "e": -65}}}],
      "iclamps": [
        {"section": "soma", "x": 0.5, "delay": 10, "dur": 1, "amp": 0.8},
        {"section": "soma", "x": 0.5, "delay": 40, "dur": 1, "amp": 0.8},
        {"section": "soma", "x": 0.5, "delay": 70, "dur": 1, "amp": 0.8},
        {"section": "soma", "x": 0.5, "delay": 100, "dur": 1, "amp": 0.8}
      ]
    }"#;
    let mut sim = ModelSpec::from_json(spec).unwrap().build().unwrap().sim;
    sim.add_spike_detector(1, 0.0).unwrap();
    sim.init();
    sim
}

fn hh_slot(sim: &Simulation) -> usize {
    sim.mechs.iter().position(|m| m.mech.name() == "hh").unwrap()
}

fn gates_sane(sim: &Simulation, slot: usize) {
    for g in ["m", "h", "n"] {
        let x = sim.mechs[slot].mech.state(g, 0).unwrap();
        assert!(x.is_finite() && (0.0..=1.0).contains(&x), "{g} = {x}");
    }
    assert!(sim.is_finite());
}

/// Runs to `t` and returns the spikes counted in that stretch and the latest spike time.
fn run_count(sim: &mut Simulation, t: f64) -> (usize, Option<f64>) {
    let before = sim.detectors[0].count;
    sim.run_until(t);
    (sim.detectors[0].count - before, sim.detectors[0].last)
}

#[test]
fn switching_hh_off_and_on() {
    let mut sim = hh_soma();
    let slot = hh_slot(&sim);
    assert_eq!(run_count(&mut sim, 30.0).0, 1, "the first pulse fires");
    sim.set_enabled(slot, false).unwrap();
    let (n, _) = run_count(&mut sim, 60.0);
    assert_eq!(n, 0, "no spike while hh is off");
    gates_sane(&sim, slot);
    // The membrane relaxed towards pas's -65 mV.
    assert!((sim.v[1] + 65.0).abs() < 1.0, "{}", sim.v[1]);
    sim.set_enabled(slot, true).unwrap();
    let (n, last) = run_count(&mut sim, 90.0);
    assert_eq!(n, 1, "spiking is back");
    let last = last.unwrap();
    assert!((70.0..75.0).contains(&last), "on the next pulse, at {last} ms");
    gates_sane(&sim, slot);
    assert_eq!(run_count(&mut sim, 120.0).0, 1);
}

#[test]
fn changing_gnabar_live() {
    let mut sim = hh_soma();
    let slot = hh_slot(&sim);
    assert_eq!(run_count(&mut sim, 30.0).0, 1);
    sim.set_param(slot, "gnabar", 0.0).unwrap();
    assert_eq!(run_count(&mut sim, 60.0).0, 0, "no sodium, no spike");
    gates_sane(&sim, slot);
    sim.set_param(slot, "gnabar", 0.12).unwrap();
    let (n, last) = run_count(&mut sim, 90.0);
    assert_eq!(n, 1);
    assert!((70.0..75.0).contains(&last.unwrap()));
    assert!(sim.set_param(slot, "gnabar", -1.0).is_err());
    assert!(sim.set_param(slot, "gnabar", f64::NAN).is_err());
}

#[test]
fn nmda_mg_change_live() {
    // hh soma and a thin passive dendrite; one NMDA synapse at dend(0.9).
    let spec = r#"{
      "tstop": 600,
      "sections": [
        {"name": "soma", "L": 20, "diam": 20, "nseg": 1, "mechanisms": {"hh": {}}},
        {"name": "dend", "parent": "soma", "L": 300, "diam": 0.6, "nseg": 31, "Ra": 150,
         "mechanisms": {"pas": {"g": 5e-5, "e": -65}}}
      ]
    }"#;
    let built = ModelSpec::from_json(spec).unwrap().build().unwrap();
    let mut sim = built.sim;
    let dend = built.section_index["dend"];
    let node = sim.cell.node_at(dend, 0.9);
    let nmda =
        |mg: f64| SynapseParams { tau1: 2.0, tau2: 65.0, e: 0.0, mg_block: Some(MgBlock::jahr_stevens(mg)) };
    let k = sim.add_synapse(node, nmda(2.0)).unwrap();
    sim.add_spike_times(k, &[20.0, 320.0], 0.003).unwrap();
    sim.init();
    let peak = |sim: &mut Simulation, until: f64| {
        let base = sim.v[node as usize];
        let mut top = base;
        while sim.t() < until - 1e-9 {
            sim.step();
            top = top.max(sim.v[node as usize]);
        }
        top - base
    };
    let with_mg = peak(&mut sim, 300.0);
    sim.set_synapse_params(k, nmda(0.0)).unwrap();
    let without_mg = peak(&mut sim, 600.0);
    eprintln!("NMDA depolarisation at dend(0.9): Mg 2 mM {with_mg:.3} mV, Mg 0 {without_mg:.3} mV");
    assert!(with_mg > 0.1, "{with_mg}");
    assert!(without_mg > 1.5 * with_mg, "Mg 0: {without_mg} mV vs Mg 2 mM: {with_mg} mV");
    assert!(sim.is_finite());
}

#[test]
fn crank_nicolson_matches_neuron_on_the_passive_ball_and_stick() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reference");
    let text = std::fs::read_to_string(dir.join("models/passive_ball_stick.json")).unwrap();
    let reference =
        parse_csv(&std::fs::read_to_string(dir.join("traces/passive_ball_stick.csv")).unwrap()).unwrap();
    let mut spec = ModelSpec::from_json(&text).unwrap();
    assert!(!spec.crank_nicolson, "backward Euler by default");
    spec.crank_nicolson = true;
    let mut model = spec.build().unwrap();
    assert!(model.sim.config.crank_nicolson);
    let ours = parse_csv(&model.run_to_csv()).unwrap();
    for v in compare(&reference, &ours).unwrap() {
        eprintln!("CN {}: tube {:.4} mV at {} ms", v.name, v.tube_dv_mv, v.worst_at_ms);
        assert!(v.tube_dv_mv <= 0.2, "{v:?}");
        assert_eq!(v.spikes, v.ref_spikes);
    }
    // Pointwise too, at the common times.
    let mut worst: f64 = 0.0;
    for (r, o) in reference.rows.iter().zip(&ours.rows) {
        assert!((r[0] - o[0]).abs() < 1e-6);
        for c in 1..r.len() {
            worst = worst.max((r[c] - o[c]).abs());
        }
    }
    eprintln!("CN pointwise worst {worst:.4} mV");
    assert!(worst <= 0.2, "{worst}");
}

/// Spikes given as times (a burst of five at 200 Hz) arrive at the steps NEURON's fixed
/// step delivers them, and are kept across re-initialisations.
#[test]
fn bursts_arrive_on_time() {
    let spec = r#"{
      "tstop": 100,
      "sections": [{"name": "soma", "L": 20, "diam": 20, "nseg": 1,
                    "mechanisms": {"pas": {"g": 1e-4, "e": -65}}}]
    }"#;
    let mut sim = ModelSpec::from_json(spec).unwrap().build().unwrap().sim;
    // A fast synapse so that every spike makes its own conductance peak.
    let k = sim.add_synapse(1, SynapseParams::exp2syn(0.05, 0.5, 0.0)).unwrap();
    let want = [10.0, 15.0, 20.0, 25.0, 30.0];
    sim.add_spike_times(k, &want, 0.001).unwrap();
    let dt = sim.config.dt;
    for round in 0..2 {
        // Kept across init.
        sim.init();
        let mut onsets = Vec::new();
        let mut prev = 0.0;
        let mut rising = false;
        while sim.t() < 40.0 - 1e-9 {
            sim.step();
            let g = sim.synapses.conductance_us(k);
            if g > prev + 1e-9 && !rising {
                onsets.push(sim.t());
                rising = true;
            } else if g < prev {
                rising = false;
            }
            prev = g;
        }
        assert_eq!(onsets.len(), want.len(), "round {round}: {onsets:?}");
        for (t, w) in onsets.iter().zip(want) {
            // NEURON's fixed step: the spike is delivered at the end of the step that
            // reaches w (within dt/2); A and B jump together, so g = B - A, evaluated in
            // each step's current phase, is first above 0 one step later: at w + 2 dt.
            assert!((t - (w + 2.0 * dt)).abs() < 1e-6, "round {round}: onset at {t} for a spike at {w}");
        }
    }
    // Checks.
    assert!(sim.add_spike_times(k, &[f64::NAN], 0.001).is_err());
    assert!(sim.add_spike_times(k + 1, &[1.0], 0.001).is_err());
}

/// The engine's refusals are typed: the caller can tell a missing node from a bad value
/// or a full engine without reading the message.
#[test]
fn engine_errors_say_what_went_wrong_as_types() {
    use dendra::sim::engine::SimError;
    use dendra::sim::mechanisms::ParamError;
    let mut sim = hh_soma();
    let slot = hh_slot(&sim);
    let n = sim.cell.node_count() as u32;
    assert_eq!(sim.add_synapse(n + 5, SynapseParams::ampa()), Err(SimError::NoNode(n + 5)));
    assert_eq!(sim.set_enabled(99, true), Err(SimError::NoMechanism(99)));
    let bad = SynapseParams { tau1: -1.0, ..SynapseParams::ampa() };
    assert!(matches!(sim.add_synapse(0, bad), Err(SimError::SynapseParams(_))));
    assert!(matches!(sim.set_dt(0.0), Err(SimError::Value { what: "dt", .. })));
    let node = sim.mechs[slot].mech.nodes()[0];
    assert!(matches!(sim.insert("nonesuch", vec![node], "soma"), Err(SimError::UnknownMechanism { .. })));
    assert!(matches!(sim.insert("pas", vec![n + 1], "soma"), Err(SimError::NotMembrane { .. })));
    match sim.set_param(slot, "gnabar", f64::NAN) {
        Err(SimError::Param(ParamError::Bounds { mechanism, param, .. })) => {
            assert_eq!((mechanism.as_str(), param.name, param.unit), ("hh", "gnabar", "S/cm2"))
        }
        other => panic!("{other:?}"),
    }
    match sim.set_param(slot, "gfoo", 1.0) {
        Err(SimError::Param(ParamError::UnknownParam { known, .. })) => assert!(known.contains(&"gkbar")),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        sim.set_param(slot, "gnabar", 150.0),
        Err(SimError::Param(ParamError::Bounds { value: 150.0, .. }))
    ));
    // The message still names everything.
    let e = sim.set_param(slot, "gnabar", -1.0).unwrap_err().to_string();
    assert_eq!(e, "hh: gnabar must not be negative, got -1");
}

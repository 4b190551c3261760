//! Every model in reference/models matches NEURON's trace in reference/traces (per
//! column: spike times and the tube distance, as `sim::compare` documents).

use dendra::sim::compare::{compare, parse_csv};
use dendra::sim::spec::ModelSpec;
use std::path::PathBuf;

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reference")
}

fn check(name: &str) {
    let dir = reference_dir();
    let spec_text = std::fs::read_to_string(dir.join(format!("models/{name}.json"))).expect("spec");
    let reference =
        parse_csv(&std::fs::read_to_string(dir.join(format!("traces/{name}.csv"))).expect("trace")).unwrap();
    let spec = ModelSpec::from_json(&spec_text).unwrap();
    let mut model = spec.build().unwrap();
    let ours = parse_csv(&model.run_to_csv()).unwrap();
    assert!(
        ours.rows.len() >= reference.rows.len(),
        "{name}: {} rows, NEURON has {}",
        ours.rows.len(),
        reference.rows.len()
    );
    let verdicts = compare(&reference, &ours).unwrap();
    for v in &verdicts {
        eprintln!(
            "{name} {}: spikes {}/{} max dt {:.4} ms, tube {:.4} mV at {} ms",
            v.name, v.spikes, v.ref_spikes, v.max_spike_dt_ms, v.tube_dv_mv, v.worst_at_ms
        );
    }
    for v in &verdicts {
        assert!(v.ok, "{name} {}: {:?}", v.name, v);
    }
}

#[test]
fn passive_ball_stick() {
    check("passive_ball_stick");
}
#[test]
fn hh_soma_pulses() {
    check("hh_soma_pulses");
}
#[test]
fn hh_soma_warm() {
    check("hh_soma_warm");
}
#[test]
fn nmda_spike_mg0() {
    check("nmda_spike_mg0");
}
#[test]
fn nmda_spike_mg1() {
    check("nmda_spike_mg1");
}
#[test]
fn nmda_weak_mg1() {
    check("nmda_weak_mg1");
}
#[test]
fn tree_hh_synapses() {
    check("tree_hh_synapses");
}

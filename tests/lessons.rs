//! The lessons, run headless by the same code as the window (`dendra lesson check`):
//! each one's claims hold on its own cell; bap and bac-firing on Hay's cell 2 give
//! NEURON's figures (reference/lessons/hay_cell2.json, Hay's model with CVODE) with Hay's
//! fixed amplitudes; bad names and cells without the needed region are clear errors.

use dendra::lab::lesson::{LESSONS, Lesson, check};
use dendra::sim::morphology::Morphology;
use serde_json::Value;
use std::path::Path;

fn run(name: &str, cell: Option<&str>) -> serde_json::Map<String, Value> {
    let lesson = Lesson::builtin(name).unwrap();
    let morph = cell.map(|f| {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(f);
        (Morphology::from_file(&p).unwrap(), p.display().to_string())
    });
    let report = check(&lesson, morph).unwrap_or_else(|e| panic!("{name}: {e}"));
    match report.to_json() {
        Value::Object(o) => o,
        _ => unreachable!(),
    }
}

fn assert_holds(name: &str) {
    let r = run(name, None);
    let failing: Vec<&Value> =
        r["claims"].as_array().unwrap().iter().filter(|c| c["holds"] != true).collect();
    assert!(failing.is_empty(), "{name}: {failing:?}\n{}", Value::Object(r.clone()));
    assert_eq!(r["holds"], true);
}

#[test]
fn lesson_list_has_the_lessons() {
    let names: Vec<&str> = LESSONS.iter().map(|(n, _)| *n).collect();
    for n in ["perceptron", "action-potential", "bap", "nmda-spike", "bac-firing", "sequence"] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    for (n, _) in LESSONS {
        let l = Lesson::builtin(n).unwrap();
        assert_eq!(&l.name, n);
        assert!(!l.title.is_empty() && !l.story.is_empty() && !l.steps.is_empty() && !l.reference.is_empty());
    }
}

#[test]
fn action_potential_holds() {
    assert_holds("action-potential");
    let r = run("action-potential", None);
    for key in ["threshold_na", "spikes_with_ttx", "width_ms", "width_with_tea_ms"] {
        assert!(r[key].is_number(), "{key}");
    }
}

#[test]
fn perceptron_holds() {
    assert_holds("perceptron");
    let r = run("perceptron", None);
    for key in ["linear_sum_mV", "actual_mV"] {
        assert!(r[key]["dispersed"].is_number() && r[key]["clustered"].is_number(), "{key}");
    }
}

#[test]
fn bap_holds() {
    assert_holds("bap");
}

#[test]
fn sequence_holds() {
    assert_holds("sequence");
    let r = run("sequence", None);
    for key in ["in_mV", "out_mV", "in_minus_out_mV", "in_minus_out_without_nmda_mV"] {
        assert!(r[key].is_number(), "{key}");
    }
}

#[test]
fn nmda_spike_holds() {
    assert_holds("nmda-spike");
    let r = run("nmda-spike", None);
    assert!(r["io_curve"].as_array().unwrap().len() >= 5);
}

/// Hay's cell 2 (its SWC conversion): the lessons' protocols with Hay's fixed amplitudes
/// (1.9 nA pulse, 0.5 nA EPSP) against NEURON's CVODE figures: bAP per distance within
/// 10%, spike counts equal.
#[test]
fn bap_and_bac_on_hay_cell2_match_neuron() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("reference/lessons/hay_cell2.json"),
    )
    .unwrap();
    let reference: Value = serde_json::from_str(&text).unwrap();
    let neuron = &reference["runs"]["cell2_swc_cvode"]["figures"];
    let cell = "morphologies/l5pc_rat_hay2011_cell2_converted.swc";
    let bap = run("bap", Some(cell));
    for (run, suffix) in [("bap_normal", "with_na"), ("bap_noNa", "without_na")] {
        for d in ["100", "200", "400", "600", "800"] {
            let ours = bap[&format!("bap_{d}um_{suffix}_mV")].as_f64().unwrap();
            let theirs = neuron[run]["bap"][d]["rel_start"].as_f64().unwrap();
            eprintln!("{run} {d} um: Dendra {ours:.2} mV, NEURON {theirs:.2} mV");
            assert!((ours - theirs).abs() <= 0.1 * theirs.abs(), "{run} at {d} um: {ours} vs {theirs}");
        }
    }
    assert_eq!(bap["soma_spikes"].as_f64(), neuron["bap_normal"]["soma_spikes"].as_f64());
    let bac = run("bac-firing", Some(cell));
    for (ours, theirs) in [
        ("hay_spikes_pulse_alone", "bap_normal"),
        ("hay_spikes_epsp_alone", "epsp_alone"),
        ("hay_spikes_both", "bac"),
    ] {
        assert_eq!(bac[ours].as_f64(), neuron[theirs]["soma_spikes"].as_f64(), "{ours}");
    }
    let ca = bac["hay_ca_spike_ms_above_minus20_both"].as_f64().unwrap();
    let ca_neuron = neuron["bac"]["t_above_-20"].as_f64().unwrap();
    assert!((ca - ca_neuron).abs() <= 0.1 * ca_neuron, "Ca spike {ca} ms vs NEURON {ca_neuron} ms");
}

#[test]
fn bad_names_and_missing_regions_are_clear_errors() {
    let e = Lesson::builtin("no-such-lesson").unwrap_err().to_string();
    assert!(e.starts_with("no lesson called 'no-such-lesson' (lessons: "), "{e}");
    let lesson = Lesson::builtin("bap").unwrap();
    let ball = dendra::sim::morphology::gallery::load("ball_and_stick").unwrap();
    let e = check(&lesson, Some((ball, "ball".into()))).unwrap_err().to_string();
    assert!(e.contains("the cell has no apical dendrite"), "{e}");
    assert!(e.starts_with("place 'apical_"), "{e}");
}

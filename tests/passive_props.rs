//! `dendra morph` against NEURON's figures for the real cells of
//! reference/morphology/passive_props.json: length within 0.5%, area within 1%,
//! input resistance within 2%, time constant within 3%; sections and compartments exact.

use dendra::sim::morphology::Morphology;
use dendra::sim::passive::passive_figures;
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn real_cells_match_neuron() {
    check_against_neuron("reference/morphology/passive_props.json", "morphologies", 3);
}

/// SWC files with disconnected fragments (made from real cells by
/// `scripts/cut_links.py`): NEURON wires each fragment's root to the soma, and so must
/// Dendra, or the membrane and the input resistance come out wrong.
#[test]
fn multi_root_cells_match_neuron() {
    check_against_neuron("reference/morphology/passive_props_multiroot.json", "tests/data/morphologies", 2);
    let morph =
        Morphology::from_swc_file(&repo().join("tests/data/morphologies/multiroot_allen_l5pc_cut53.swc"))
            .unwrap();
    let w: Vec<&String> = morph.warnings.iter().filter(|w| w.contains("fragment")).collect();
    assert_eq!(w.len(), 1, "{:?}", morph.warnings);
    assert!(w[0].starts_with("91 fragments"), "{}", w[0]);
}

fn check_against_neuron(json: &str, dir: &str, count: usize) {
    let text = std::fs::read_to_string(repo().join(json)).unwrap();
    // NEURON's messages may precede the JSON.
    let json: serde_json::Value = serde_json::from_str(&text[text.find('[').unwrap()..]).unwrap();
    let cells = json.as_array().unwrap();
    assert_eq!(cells.len(), count);
    for c in cells {
        let file = c["file"].as_str().unwrap();
        let morph = Morphology::from_swc_file(&repo().join(dir).join(file)).unwrap();
        let f = passive_figures(morph).unwrap();
        let rel = |ours: f64, key: &str| (ours - c[key].as_f64().unwrap()).abs() / c[key].as_f64().unwrap();
        eprintln!("{file}: {f:?}");
        assert_eq!(f.sections as u64, c["sections"].as_u64().unwrap(), "{file} sections");
        assert_eq!(f.compartments as u64, c["compartments"].as_u64().unwrap(), "{file} compartments");
        assert!(rel(f.length_um, "length_um") < 0.005, "{file} length {}", f.length_um);
        assert!(rel(f.area_um2, "area_um2") < 0.01, "{file} area {}", f.area_um2);
        assert!(rel(f.soma_area_um2, "soma_area_um2") < 0.01, "{file} soma area {}", f.soma_area_um2);
        assert!(rel(f.rin_mohm, "rin_mohm") < 0.02, "{file} rin {}", f.rin_mohm);
        assert!(rel(f.tau_ms, "tau_ms") < 0.03, "{file} tau {}", f.tau_ms);
        // Beyond the tolerances: the same geometry and the same numbers as
        // NEURON, to the digits its script prints (tau to within one time step).
        assert!(rel(f.length_um, "length_um") < 1e-6, "{file} length {}", f.length_um);
        assert!(rel(f.area_um2, "area_um2") < 2e-5, "{file} area {}", f.area_um2);
        assert!(rel(f.rin_mohm, "rin_mohm") < 2e-5, "{file} rin {}", f.rin_mohm);
        assert!((f.tau_ms - c["tau_ms"].as_f64().unwrap()).abs() <= 0.025 + 1e-9, "{file} tau {}", f.tau_ms);
    }
}

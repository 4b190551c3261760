//! The lab's logic, without a window: placing synapses maps to the right compartment,
//! firing depolarises it, drugs change the engine, [Mg2+] changes NMDA responses,
//! sequences fire in order, setups round-trip, and nonsense input never panics.

use dendra::lab::pharmacology::Drug;
use dendra::lab::scene::change::Change;
use dendra::lab::setup::{SetupV1, read_setup, write_setup};
use dendra::lab::{FirePattern, Lab, LabError, SynapseKind};

fn ball_and_stick() -> Lab {
    Lab::builtin("ball_and_stick").unwrap()
}

fn dend(lab: &Lab) -> usize {
    lab.sim.cell.morphology.sections.iter().position(|s| s.region.is_dendrite()).unwrap()
}

fn peak_at(lab: &mut Lab, node: u32, ms: f64) -> f64 {
    let steps = (ms / lab.sim.config.dt) as u64;
    let mut peak = f64::MIN;
    for _ in 0..steps {
        lab.advance(1);
        peak = peak.max(lab.sim.v[node as usize]);
    }
    peak
}

#[test]
fn a_synapse_goes_to_the_compartment_under_the_click_and_firing_depolarises_it() {
    let mut lab = ball_and_stick();
    let d = dend(&lab);
    let i = lab.add_synapse(d, 0.8, SynapseKind::Ampa, 5.0).unwrap();
    let node = lab.sim.cell.compartment_at(d, 0.8);
    assert_eq!(lab.sim.synapses.node(lab.synapses[i].fast).unwrap(), node);
    // The compartment's x range holds 0.8.
    let nseg = lab.sim.cell.sec_nodes[d].nseg as f64;
    let k = (node - lab.sim.cell.sec_nodes[d].first) as f64;
    assert!(k / nseg <= 0.8 && 0.8 < (k + 1.0) / nseg);
    let rest = lab.sim.v[node as usize];
    lab.fire(FirePattern::Single);
    let peak = peak_at(&mut lab, node, 20.0);
    assert!(peak > rest + 2.0, "rest {rest}, peak {peak}");
}

#[test]
fn ttx_at_the_soma_abolishes_the_spike_and_washing_out_restores_it() {
    let mut lab = ball_and_stick();
    let soma = lab.sim.cell.morphology.soma();
    let node = lab.sim.cell.compartment_at(soma, 0.5);
    lab.add_clamp(soma, 0.5, 1.0, 1.0, 2.0).unwrap();
    assert!(peak_at(&mut lab, node, 15.0) > 0.0, "control spikes");
    lab.set_drug(Drug::Ttx, "soma", true);
    lab.set_drug(Drug::Ttx, "axon", true);
    lab.set_clamp(0, 1.0, 1.0, 2.0);
    assert!(peak_at(&mut lab, node, 15.0) < -20.0, "no spike under TTX");
    lab.set_drug(Drug::Ttx, "soma", false);
    lab.set_drug(Drug::Ttx, "axon", false);
    lab.set_clamp(0, 1.0, 1.0, 2.0);
    assert!(peak_at(&mut lab, node, 15.0) > 0.0, "spikes again after washout");
    assert!(lab.sim.is_finite());
}

#[test]
fn magnesium_and_apv_shape_the_nmda_response() {
    let run = |mg: f64, apv: bool| {
        let mut lab = ball_and_stick();
        let d = dend(&lab);
        for k in 0..10 {
            lab.add_synapse(d, 0.7 + 0.02 * k as f64, SynapseKind::AmpaNmda, 1.5).unwrap();
        }
        lab.set_mg(mg);
        if apv {
            lab.set_drug(Drug::Apv, "basal", true);
        }
        let node = lab.sim.cell.compartment_at(d, 0.8);
        lab.fire(FirePattern::Single);
        // Area under the dendritic depolarisation over 100 ms.
        let rest = lab.sim.v[node as usize];
        let mut area = 0.0;
        for _ in 0..4000 {
            lab.advance(1);
            area += (lab.sim.v[node as usize] - rest) * 0.025;
        }
        area
    };
    let (mg0, mg1, mg2, apv) = (run(0.0, false), run(1.0, false), run(2.0, false), run(1.0, true));
    assert!(mg0 > mg1 && mg1 > mg2 && mg2 > apv, "{mg0} {mg1} {mg2} {apv}");
}

#[test]
fn sequences_fire_distal_first_inward_and_proximal_first_outward() {
    let mut lab = ball_and_stick();
    let d = dend(&lab);
    for x in [0.2, 0.5, 0.9] {
        lab.add_synapse(d, x, SynapseKind::Ampa, 1.0).unwrap();
    }
    // Inward: the synapse at 0.9 first; its current starts before the one at 0.2.
    lab.fire(FirePattern::Sequence { inward: true, interval_ms: 5.0 });
    lab.advance(40); // 1 ms: only the first spike has arrived
    let g: Vec<f64> = lab.synapses.iter().map(|s| lab.sim.synapses.conductance_us(s.fast)).collect();
    assert!(g[2] > 0.0 && g[0] == 0.0 && g[1] == 0.0, "{g:?}");
    lab.reset();
    lab.fire(FirePattern::Sequence { inward: false, interval_ms: 5.0 });
    lab.advance(40);
    let g: Vec<f64> = lab.synapses.iter().map(|s| lab.sim.synapses.conductance_us(s.fast)).collect();
    assert!(g[0] > 0.0 && g[1] == 0.0 && g[2] == 0.0, "{g:?}");
}

#[test]
fn setups_round_trip() {
    let mut lab = ball_and_stick();
    let d = dend(&lab);
    lab.add_synapse(d, 0.3, SynapseKind::GabaA, 2.0).unwrap();
    lab.add_synapse(d, 0.6, SynapseKind::AmpaNmda, 1.0).unwrap();
    lab.add_probe(d, 0.9).unwrap();
    lab.add_clamp(d, 0.5, 0.2, 10.0, 50.0).unwrap();
    lab.set_drug(Drug::Tea, "soma", true);
    lab.set_mg(0.5);
    let (slot, p) = lab
        .densities()
        .into_iter()
        .find(|&(s, p)| lab.sim.mechs[s].label == "apical" && p == "gnabar")
        .unwrap_or_else(|| lab.densities()[0]);
    lab.set_density(slot, p, 0.03).unwrap();
    lab.sim.set_celsius(20.0).unwrap();
    let setup = lab.to_setup(None, None);
    assert!(setup.changes.iter().any(|c| matches!(c, Change::Density { value, .. } if *value == 0.03)));
    let dir = std::env::temp_dir().join(format!("dendra-setup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.json");
    write_setup(&path, &setup).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"version\": 2"));
    // The lessons' scene: the cell, places, groups, probes.
    assert!(text.contains("\"scene\"") && text.contains("\"at\"") && text.contains("\"groups\""), "{text}");
    let back = Lab::from_setup(&read_setup(&path).unwrap(), &dir).unwrap();
    assert_eq!(back.to_setup(None, None), setup);
    assert!(back.drug_on(Drug::Tea, "soma"));
    assert_eq!(back.sim.config.celsius, 20.0);
    // A damaged setup is a message, not a panic.
    std::fs::write(&path, "{\"version\": 99}").unwrap();
    assert!(read_setup(&path).is_err());
    std::fs::write(&path, text.replace("ball_and_stick", "no_such_cell")).unwrap();
    assert!(Lab::from_setup(&read_setup(&path).unwrap(), &dir).is_err());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn nonsense_input_is_refused_or_clamped_never_a_panic() {
    let mut lab = ball_and_stick();
    let d = dend(&lab);
    assert!(lab.add_synapse(999, 0.5, SynapseKind::Ampa, 1.0).is_err());
    assert!(lab.add_synapse(d, 1.5, SynapseKind::Ampa, 1.0).is_err());
    assert!(lab.add_synapse(d, f64::NAN, SynapseKind::Ampa, 1.0).is_err());
    let i = lab.add_synapse(d, 0.5, SynapseKind::AmpaNmda, f64::INFINITY).unwrap();
    assert!(lab.synapses[i].weight_ns.is_finite());
    lab.set_mg(f64::NAN);
    lab.set_mg(-3.0);
    assert_eq!(lab.mg_mm, 0.0);
    lab.fire(FirePattern::Burst { n: u32::MAX, hz: f64::NAN });
    assert!(
        lab.fire(FirePattern::Poisson { hz: f64::INFINITY, ms: 1e12 })
            <= dendra::lab::session::MAX_SPIKES_PER_FIRE
    );
    lab.fire(FirePattern::Sequence { inward: true, interval_ms: -5.0 });
    assert!(lab.add_clamp(d, 0.5, f64::MAX, -1.0, f64::INFINITY).is_ok());
    lab.move_synapse(42, d, 0.5).unwrap_err();
    lab.remove_synapse(42);
    lab.remove_probe(0);
    assert_eq!(lab.probes.len(), 1, "the soma probe stays");
    lab.advance(400);
    assert!(lab.sim.is_finite());
    let csv = lab.traces_csv();
    assert!(csv.lines().count() > 10);
}

#[test]
fn densities_change_live_and_are_locked_while_a_drug_blocks_them() {
    let mut lab = ball_and_stick();
    let (slot, param) = lab
        .densities()
        .into_iter()
        .find(|&(s, p)| lab.sim.mechs[s].label == "soma" && p == "gnabar")
        .unwrap();
    lab.set_density(slot, param, 0.2).unwrap();
    assert_eq!(lab.sim.mechs[slot].mech.param("gnabar", 0), Some(0.2));
    lab.set_drug(Drug::Ttx, "soma", true);
    assert!(lab.density_blocked(slot, param));
    assert!(lab.set_density(slot, param, 0.5).is_err());
    lab.set_drug(Drug::Ttx, "soma", false);
    assert_eq!(lab.sim.mechs[slot].mech.param("gnabar", 0), Some(0.2));
    assert!(lab.set_density(slot, param, f64::NAN).is_err());
    assert!(lab.set_density(slot, param, -1.0).is_err());
}

#[test]
fn a_mechanism_switched_off_by_hand_stays_off_through_a_setup() {
    let mut lab = ball_and_stick();
    let slot = lab.sim.mechs.iter().position(|m| m.label == "basal" && m.mech.name() == "hh").unwrap();
    lab.set_mechanism_on(slot, false);
    assert!(!lab.sim.mechs[slot].enabled);
    let setup = lab.to_setup(None, None);
    assert_eq!(setup.changes, vec![Change::Off { mechanism: "hh".into(), region: "basal".into() }]);
    let back = Lab::from_setup(&setup, std::path::Path::new(".")).unwrap();
    let slot2 = back.sim.mechs.iter().position(|m| m.label == "basal" && m.mech.name() == "hh").unwrap();
    assert!(!back.sim.mechs[slot2].enabled);
    lab.set_mechanism_on(slot, true);
    assert!(lab.sim.mechs[slot].enabled);
    lab.set_mechanism_on(999, false); // no such slot: nothing happens
}

#[test]
fn the_hay_preset_builds_rests_and_fires_a_back_propagating_spike() {
    use dendra::lab::biophysics::PRESETS;
    let lab = Lab::builtin("l5_pyramidal").unwrap();
    let mut lab = lab.rebuilt_with(PRESETS[1].id).unwrap();
    assert_eq!(lab.biophysics, PRESETS[1].id);
    assert!(lab.sim.mechs.iter().any(|m| m.mech.name() == "Ca_LVAst" && m.label == "apical"));
    let soma = lab.sim.cell.morphology.soma();
    let soma_node = lab.sim.cell.compartment_at(soma, 0.5);
    // A distal point of the trunk, about 600 um out.
    let morph = &lab.sim.cell.morphology;
    let (sec, _) = (0..morph.sections.len())
        .filter(|&s| morph.sections[s].region == dendra::sim::morphology::Region::Apical)
        .map(|s| (s, (morph.path_distance(0.5, s, 0.5) - 600.0).abs() + 50.0 * morph.branch_order(s) as f64))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let trunk = lab.sim.cell.compartment_at(sec, 0.5);
    // Settle, then a 1.9 nA, 5 ms pulse at the soma (Hay's bAP protocol).
    lab.advance(8000);
    let rest = lab.sim.v[soma_node as usize];
    assert!((-90.0..-60.0).contains(&rest), "rest {rest}");
    let trunk_rest = lab.sim.v[trunk as usize];
    lab.add_clamp(soma, 0.5, 1.9, 1.0, 5.0).unwrap();
    let (mut soma_peak, mut trunk_peak) = (f64::MIN, f64::MIN);
    for _ in 0..2000 {
        lab.advance(1);
        soma_peak = soma_peak.max(lab.sim.v[soma_node as usize]);
        trunk_peak = trunk_peak.max(lab.sim.v[trunk as usize]);
    }
    eprintln!(
        "Hay preset: rest {rest:.1} mV, soma peak {soma_peak:.1}, trunk rest {trunk_rest:.1} peak {trunk_peak:.1}"
    );
    assert!(soma_peak > 0.0, "the soma spikes: {soma_peak}");
    assert!(trunk_peak > trunk_rest + 10.0, "the spike back-propagates: {trunk_rest} -> {trunk_peak}");
    assert!(lab.sim.is_finite());
}

#[test]
fn a_drug_washed_out_does_not_undo_a_switch_made_by_hand() {
    let mut lab =
        Lab::builtin("l5_pyramidal").unwrap().rebuilt_with(dendra::lab::biophysics::PRESETS[1].id).unwrap();
    let slot = lab.sim.mechs.iter().position(|m| m.label == "apical" && m.mech.name() == "NaTa_t").unwrap();
    lab.set_mechanism_on(slot, false);
    lab.set_drug(Drug::Ttx, "apical", true);
    assert!(!lab.sim.mechs[slot].enabled);
    lab.set_drug(Drug::Ttx, "apical", false);
    assert!(!lab.sim.mechs[slot].enabled, "switched off by hand, it stays off");
    // And a switch back on under the drug waits for the washout.
    lab.set_drug(Drug::Ttx, "apical", true);
    lab.set_mechanism_on(slot, true);
    assert!(!lab.sim.mechs[slot].enabled);
    lab.set_drug(Drug::Ttx, "apical", false);
    assert!(lab.sim.mechs[slot].enabled);
}

/// Setup errors name the entry; out-of-range values are listed, not clamped in silence;
/// counts are bounded before anything is allocated.
#[test]
fn setup_errors_name_the_entry_and_clamped_values_are_listed() {
    let lab = ball_and_stick();
    let dend_name = lab.sim.cell.morphology.sections[dend(&lab)].name.clone();
    // A version 1 setup, as older files hold them: read into version 2.
    let v1 = |synapses: Vec<(String, f64, f64)>| {
        let syn: Vec<serde_json::Value> = synapses
            .iter()
            .map(|(sec, x, w)| serde_json::json!({"section": sec, "x": x, "kind": "Ampa", "weight_ns": w}))
            .collect();
        let text = serde_json::json!({"version": 1, "cell": "builtin:ball_and_stick", "synapses": syn,
            "mg_mm": 1.0, "nmda_gamma": 0.062, "speed": 50.0})
        .to_string();
        serde_json::from_str::<SetupV1>(&text).unwrap().upgrade()
    };
    let base = std::path::Path::new(".");
    let d = |x: f64| (dend_name.clone(), x, 1.0);
    let s = v1(vec![d(0.5), d(0.5), d(0.5), ("apic[99999]".into(), 0.5, 1.0)]);
    let e = Lab::from_setup(&s, base).err().unwrap().to_string();
    assert_eq!(e, "place 'synapses[3]': the cell has no section 'apic[99999]'");
    let e = Lab::from_setup(&v1(vec![d(5.0)]), base).err().unwrap().to_string();
    assert!(e.starts_with("place 'synapses[0]': x must be within 0..1"), "{e}");
    let good = v1(vec![d(0.5)]);
    let mut s = good.clone();
    s.changes = vec![Change::Drug { drug: Drug::Ttx, region: "nowhere".into() }];
    let e = Lab::from_setup(&s, base).err().unwrap().to_string();
    assert!(e.starts_with("changes[0]: no region 'nowhere'"), "{e}");
    let mut s = good.clone();
    s.scene.groups[0].places.push("synapses[7]".into());
    let e = Lab::from_setup(&s, base).err().unwrap().to_string();
    assert_eq!(e, "group 'synapses 1': no place called 'synapses[7]'");
    let mut s = good.clone();
    s.selected = vec![0, 3];
    let e = Lab::from_setup(&s, base).err().unwrap().to_string();
    assert!(e.starts_with("selected[1]: there is no synapse 3"), "{e}");
    // Absurd values are set within range and listed.
    let mut s = v1(vec![(dend_name.clone(), 0.5, 1e300)]);
    s.changes = vec![Change::Mg { mm: -5.0 }];
    s.speed = -1.0;
    let back = Lab::from_setup(&s, base).unwrap();
    let notes = back.notes.join("; ");
    assert!(notes.contains("changes[0]: mg_mm -5 set to 0"), "{notes}");
    assert!(notes.contains("speed -1 set to"), "{notes}");
    assert!(notes.contains("group 'synapses 1': weight 1e300 nS set to 100 nS"), "{notes}");
    // Counts that add up beyond any number: refused, not an overflow.
    let mut s = good.clone();
    let mut g = s.scene.groups[0].clone();
    g.places.clear();
    g.place = Some("synapses[0]".into());
    g.count = usize::MAX;
    s.scene.groups = vec![g.clone(), g];
    let e = Lab::from_setup(&s, base).err().unwrap().to_string();
    assert!(e.starts_with("scene.groups: 18446744073709551615 synapses are too many"), "{e}");
    // More places than there can be synapses and probes: refused before any is searched.
    let mut s = good.clone();
    let at = s.scene.places["synapses[0]"].clone();
    for k in 0..100_065 {
        s.scene.places.insert(format!("p{k}"), at.clone());
    }
    let e = Lab::from_setup(&s, base).err().unwrap().to_string();
    assert!(e.starts_with("places: 100066 places are too many (at most 100064"), "{e}");
    // 5000 probes: refused by count, before 5000 trace buffers are allocated.
    let mut s = good.clone();
    s.scene.probes = vec!["synapses[0]".into(); 5000];
    let t0 = std::time::Instant::now();
    let e = Lab::from_setup(&s, base).err().unwrap().to_string();
    assert!(e.starts_with("scene.probes: 5001 probes are too many (at most 64"), "{e}");
    assert!(t0.elapsed() < std::time::Duration::from_secs(5));
    // Unknown fields are refused with their name.
    let text = serde_json::to_string(&good).unwrap().replacen('{', "{\"colour_map\": 3, ", 1);
    let e = serde_json::from_str::<dendra::lab::setup::Setup>(&text).unwrap_err().to_string();
    assert!(e.contains("unknown field `colour_map`"), "{e}");
    // A version 1 file opens through read_setup; an unknown version says which it reads.
    let dir = std::env::temp_dir().join(format!("dendra-v1-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("old.json");
    std::fs::write(
        &path,
        format!(
            r#"{{"version": 1, "cell": "builtin:ball_and_stick", "mg_mm": 2.0, "nmda_gamma": 0.062, "speed": 50,
               "synapses": [{{"section": "{dend_name}", "x": 0.5, "kind": "AmpaNmda", "weight_ns": 2.0, "selected": true}}],
               "drugs": [["Apv", "basal"]]}}"#
        ),
    )
    .unwrap();
    let back = Lab::from_setup(&read_setup(&path).unwrap(), &dir).unwrap();
    assert_eq!(back.synapses.len(), 1);
    assert!(back.synapses[0].selected && back.drug_on(Drug::Apv, "basal") && back.mg_mm == 2.0);
    std::fs::write(&path, r#"{"version": 7}"#).unwrap();
    let e = read_setup(&path).unwrap_err().to_string();
    assert!(e.ends_with("setup version 7 is not supported (this program reads versions 1 and 2)"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A lesson's scene opens as a setup (the same format, without text and claims).
#[test]
fn a_lesson_scene_opens_as_a_setup() {
    let lesson = dendra::lab::lesson::Lesson::builtin("nmda-spike").unwrap();
    let text = serde_json::json!({"version": 2, "scene": lesson.scene,
        "changes": [{"do": "drug", "drug": "Apv", "region": "basal"}]})
    .to_string();
    let setup: dendra::lab::setup::Setup = serde_json::from_str(&text).unwrap();
    let lab = Lab::from_setup(&setup, std::path::Path::new(".")).unwrap();
    assert_eq!(lab.synapses.len(), 20, "the cluster, placed by its rule");
    assert_eq!(lab.probes.len(), 2, "the soma once, and the cluster");
    assert!(lab.drug_on(Drug::Apv, "basal"));
    // Saved again, the places are where the rules put them.
    let again = lab.to_setup(None, None);
    let back = Lab::from_setup(&again, std::path::Path::new(".")).unwrap();
    let at = |l: &Lab| l.synapses.iter().map(|s| (s.section, s.x)).collect::<Vec<_>>();
    assert_eq!(at(&back), at(&lab));
}

/// The lab's default cell (the first of the gallery) opens in well under a second, and
/// every gallery cell opens.
#[test]
fn the_default_cell_opens_in_under_a_second() {
    use dendra::sim::morphology::gallery::GALLERY;
    let t0 = std::time::Instant::now();
    let lab = Lab::builtin(GALLERY[0].name).unwrap();
    let took = t0.elapsed();
    eprintln!("{}: {} compartments in {took:?}", GALLERY[0].name, lab.sim.cell.compartment_count());
    assert!(took < std::time::Duration::from_secs(1), "{took:?}");
    for c in GALLERY {
        let lab = Lab::builtin(c.name).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        assert_eq!(lab.source, format!("builtin:{}", c.name));
    }
}

/// Probes are named as a lecturer says them, and no two share a colour (the soma's
/// included), also after removals.
#[test]
fn probes_have_lecture_names_and_their_own_colours() {
    let mut lab = Lab::builtin("l5_pyramidal").unwrap();
    assert_eq!(lab.probe_label(0), "soma");
    let apical = lab.sim.cell.morphology.sections.iter().position(|s| s.region.label() == "apical").unwrap();
    let i = lab.add_probe(apical, 0.5).unwrap();
    let label = lab.probe_label(i);
    assert!(label.starts_with("apical ") && label.ends_with(" um"), "{label}");
    let d = dend(&lab);
    for _ in 0..4 {
        lab.add_probe(d, 0.5).unwrap();
    }
    lab.remove_probe(2);
    lab.add_probe(d, 0.2).unwrap();
    let colours: std::collections::HashSet<[u8; 3]> = lab.probes.iter().map(|p| p.color).collect();
    assert_eq!(colours.len(), lab.probes.len(), "two probes share a colour");
}

/// One identity for regions: custom-type dendrites belong to the lab's basal region for
/// every drug, TTX as well as APV (TTX used to miss them).
#[test]
fn drugs_on_basal_reach_custom_type_dendrites() {
    let swc = "1 1 0 0 0 5 -1\n2 7 0 -5 0 1 1\n3 7 0 -100 0 1 2\n4 3 0 5 0 1 1\n5 3 0 100 0 1 4\n";
    let m = dendra::sim::morphology::Morphology::from_swc_str(swc, "custom.swc").unwrap();
    let mut lab = Lab::new(m, "custom.swc").unwrap();
    let custom: Vec<usize> = (0..lab.sim.mechs.len())
        .filter(|&s| lab.sim.mechs[s].label.starts_with("custom") && lab.sim.mechs[s].mech.name() == "hh")
        .collect();
    assert!(!custom.is_empty(), "the teaching preset puts hh on custom dendrites");
    lab.set_drug(Drug::Ttx, "basal", true);
    for &s in &custom {
        assert_eq!(
            lab.sim.mechs[s].mech.param("gnabar", 0),
            Some(0.0),
            "TTX on basal missed {}",
            lab.sim.mechs[s].label
        );
    }
    lab.set_drug(Drug::Ttx, "basal", false);
    for &s in &custom {
        assert!(lab.sim.mechs[s].mech.param("gnabar", 0).unwrap() > 0.0);
    }
}

/// A saved Hay cell reopens with its distributions: the Ih gradient and the Ca2+ hot
/// zone survive a save (only hand-set densities are saved, on top of the preset).
#[test]
fn saving_a_hay_cell_keeps_its_gradients() {
    use dendra::lab::biophysics::PRESETS;
    let mut lab = Lab::builtin("l5_pyramidal").unwrap().rebuilt_with(PRESETS[1].id).unwrap();
    let slot = |lab: &Lab, name: &str| {
        lab.sim.mechs.iter().position(|m| m.mech.name() == name && m.label == "apical").unwrap()
    };
    let spread = |lab: &Lab, name: &str, p: &str| {
        let m = &lab.sim.mechs[slot(lab, name)].mech;
        let vals: Vec<f64> = (0..m.nodes().len()).filter_map(|k| m.param(p, k)).collect();
        let (lo, hi) = vals.iter().fold((f64::MAX, f64::MIN), |a, &v| (a.0.min(v), a.1.max(v)));
        (lo, hi)
    };
    let ih = spread(&lab, "Ih", "gIhbar");
    let ca = spread(&lab, "Ca_LVAst", "gCa_LVAstbar");
    assert!(ih.1 > 2.0 * ih.0 && ca.1 > 10.0 * ca.0, "the preset has gradients: {ih:?} {ca:?}");
    // A density set by hand is saved and comes back.
    let sk = slot(&lab, "SK_E2");
    lab.set_density(sk, "gSK_E2bar", 0.002).unwrap();
    let setup = lab.to_setup(None, None);
    let densities = setup.changes.iter().filter(|c| matches!(c, Change::Density { .. })).count();
    assert_eq!(densities, 1, "{:?}", setup.changes);
    let back = Lab::from_setup(&setup, std::path::Path::new(".")).unwrap();
    assert_eq!(spread(&back, "Ih", "gIhbar"), ih);
    assert_eq!(spread(&back, "Ca_LVAst", "gCa_LVAstbar"), ca);
    assert_eq!(back.sim.mechs[slot(&back, "SK_E2")].mech.param("gSK_E2bar", 0), Some(0.002));
    // An older setup that lists every density sampled at one node keeps the gradients too.
    let mut old = setup.clone();
    old.changes.clear();
    for (s, p) in lab.densities() {
        let m = &lab.sim.mechs[s];
        old.legacy_densities.push(dendra::lab::setup::DensitySetup {
            mechanism: m.mech.name().into(),
            region: m.label.clone(),
            param: p.into(),
            value: m.mech.param(p, 0).unwrap(),
        });
    }
    // Version 1 listed the calcium pools' gamma among them (a parameter beginning with g).
    let pool = slot(&lab, "CaDynamics_E2");
    let label = lab.sim.mechs[pool].label.clone();
    old.legacy_densities.push(dendra::lab::setup::DensitySetup {
        mechanism: "CaDynamics_E2".into(),
        region: label,
        param: "gamma".into(),
        value: 0.01,
    });
    assert!(!lab.densities().iter().any(|&(_, p)| p == "gamma"), "gamma is no conductance");
    let back = Lab::from_setup(&old, std::path::Path::new(".")).unwrap();
    assert_eq!(spread(&back, "Ih", "gIhbar"), ih);
    assert_eq!(spread(&back, "Ca_LVAst", "gCa_LVAstbar"), ca);
    assert_eq!(back.sim.mechs[slot(&back, "CaDynamics_E2")].mech.param("gamma", 0), Some(0.01));
}

/// Removing a synapse takes it out of the engine (it is no longer stepped and its queued
/// spikes go); the others keep their own spikes, even when the engine renumbers them.
#[test]
fn removed_synapses_leave_the_engine_and_the_others_keep_their_spikes() {
    let mut lab = ball_and_stick();
    let d = dend(&lab);
    for (k, x) in [0.2, 0.5, 0.9].into_iter().enumerate() {
        let kind = if k == 1 { SynapseKind::AmpaNmda } else { SynapseKind::Ampa };
        lab.add_synapse(d, x, kind, 1.0).unwrap();
    }
    assert_eq!(lab.sim.synapses.len(), 4, "two AMPA, one AMPA+NMDA");
    // Spikes for all three at 5 ms, then the middle one goes.
    lab.fire(FirePattern::Sequence { inward: false, interval_ms: 0.0 });
    lab.remove_synapse(1);
    assert_eq!(lab.sim.synapses.len(), 2, "both receptors of the removed synapse left");
    assert_eq!(lab.synapses.len(), 2);
    let mut fast: Vec<usize> = lab.synapses.iter().map(|s| s.fast).collect();
    fast.sort();
    assert_eq!(fast, [0, 1], "the engine indices were renumbered");
    lab.advance(80);
    for s in &lab.synapses {
        assert!(lab.sim.synapses.conductance_us(s.fast) > 0.0, "synapse at {} got its spike", s.x);
    }
    // Moving keeps the count; removing everything leaves an empty engine.
    lab.move_synapse(0, d, 0.6).unwrap();
    assert_eq!(lab.sim.synapses.len(), 2);
    assert_eq!(lab.synapses[0].x, 0.6);
    lab.select_all(true);
    lab.remove_selected();
    assert_eq!(lab.sim.synapses.len(), 0);
    lab.fire(FirePattern::Single);
    assert!(lab.advance(400));
}

/// A Poisson train on a removed synapse stops with it.
#[test]
fn a_removed_synapse_takes_its_poisson_train_with_it() {
    let mut lab = ball_and_stick();
    let d = dend(&lab);
    let a = lab.add_synapse(d, 0.3, SynapseKind::Ampa, 1.0).unwrap();
    lab.add_synapse(d, 0.7, SynapseKind::Ampa, 1.0).unwrap();
    let k = lab.synapses[a].fast;
    lab.sim.add_poisson(k, 100.0, 1e-3, 0.0, 1000.0, 7).unwrap();
    lab.sim.events.init();
    assert!(lab.sim.events.pending() > 0);
    lab.remove_synapse(a);
    assert!(lab.sim.events.sources.is_empty());
    assert_eq!(lab.sim.events.pending(), 0);
    assert_eq!(lab.synapses[0].fast, 0);
}

/// A protocol can apply or wash out a drug and set [Mg2+] mid-run: the lab makes the
/// change when its time comes (in the window and in `dendra lesson check` alike), and a
/// reset drops what was still to come.
#[test]
fn timed_changes_apply_when_their_time_comes() {
    use dendra::lab::lesson::run::Action;
    use dendra::lab::session::TimedChange;
    let mut lab = ball_and_stick();
    let apv = |on| TimedChange::Drug { drug: Drug::Apv, region: "basal".into(), on };
    lab.schedule_change(20.0, apv(true)).unwrap();
    lab.schedule_change(30.0, TimedChange::Mg { mm: 3.0 }).unwrap();
    lab.schedule_change(40.0, apv(false)).unwrap();
    lab.advance(19 * 40); // 19 ms
    assert!(!lab.drug_on(Drug::Apv, "basal"));
    lab.advance(2 * 40); // 21 ms
    assert!(lab.drug_on(Drug::Apv, "basal"));
    assert_eq!(lab.mg_mm, 1.0);
    lab.advance(10 * 40); // 31 ms
    assert_eq!(lab.mg_mm, 3.0);
    lab.advance(10 * 40); // 41 ms
    assert!(!lab.drug_on(Drug::Apv, "basal"), "washed out");
    lab.schedule_change(60.0, apv(true)).unwrap();
    lab.reset();
    lab.advance(80 * 40);
    assert!(!lab.drug_on(Drug::Apv, "basal"), "a reset drops the changes still to come");
    let e = lab.schedule_change(5.0, TimedChange::Drug { drug: Drug::Ttx, region: "liver".into(), on: true });
    assert!(
        e.unwrap_err().to_string().starts_with("TTX: no region 'liver' (known: soma, axon, basal, apical)")
    );
    assert!(lab.schedule_change(f64::NAN, TimedChange::Mg { mm: 1.0 }).is_err());
    // In a lesson: `drug_at` (on by default) and `mg_at`; unknown fields refused.
    let a: Action =
        serde_json::from_str(r#"{"do": "drug_at", "at_ms": 50, "drug": "Apv", "region": "basal"}"#).unwrap();
    assert!(matches!(a, Action::DrugAt { on: true, .. }));
    let a: Action = serde_json::from_str(r#"{"do": "mg_at", "at_ms": 5, "mm": "$mg"}"#).unwrap();
    assert!(matches!(a, Action::MgAt { .. }));
    let e = serde_json::from_str::<Action>(r#"{"do": "mg_at", "at_ms": 5, "mm": 2, "ph": 7}"#).unwrap_err();
    assert!(e.to_string().contains("unknown field `ph`"), "{e}");
}

/// The lab's refusals are typed, and a setup's name the entry they come from.
#[test]
fn lab_errors_are_typed_and_name_the_entry() {
    let mut lab = ball_and_stick();
    let d = dend(&lab);
    assert!(matches!(lab.add_synapse(999, 0.5, SynapseKind::Ampa, 1.0), Err(LabError::NoSection(999))));
    assert!(matches!(lab.add_probe(d, 1.5), Err(LabError::Value { what: "x", .. })));
    assert!(matches!(lab.move_synapse(7, d, 0.5), Err(LabError::NoSynapse { index: 7, count: 0 })));
    let mut setup = lab.to_setup(None, None);
    setup.selected = vec![4];
    match Lab::from_setup(&setup, std::path::Path::new(".")) {
        Err(LabError::Entry { at, source }) => {
            assert_eq!(at, "selected[0]");
            assert!(matches!(*source, LabError::NoSynapse { index: 4, .. }), "{source:?}");
        }
        other => panic!("{:?}", other.err()),
    }
    let mut plan = dendra::lab::trials::TrialPlan { fire: None, run_ms: 100.0 };
    match lab.apply_trial_words("aspirin", &mut plan) {
        Err(LabError::Entry { source, .. }) => {
            assert!(matches!(*source, LabError::Unknown { what: "drug", .. }), "{source:?}")
        }
        other => panic!("{other:?}"),
    }
}

/// A preset is named by its id everywhere; a setup saved when presets were named by their
/// labels opens, and is saved again with the id.
#[test]
fn presets_are_named_by_id_and_old_labels_still_open() {
    use dendra::lab::biophysics::{PRESETS, find_preset, preset_label};
    let lab = ball_and_stick();
    let mut setup = lab.to_setup(None, None);
    setup.scene.biophysics = "Hay et al. 2011 L5PC".into();
    let lab = Lab::from_setup(&setup, std::path::Path::new(".")).unwrap();
    assert_eq!(lab.biophysics, "hay");
    assert_eq!(lab.to_setup(None, None).scene.biophysics, "hay");
    assert_eq!(preset_label("hay"), "Hay et al. 2011 L5PC");
    for p in &PRESETS {
        assert_eq!(find_preset(p.id).unwrap().id, p.id);
        assert!(p.id.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{}", p.id);
    }
    let e = find_preset("nonesuch").unwrap_err().to_string();
    assert_eq!(e, "no biophysics 'nonesuch' (known: hh, hay, passive_dendrites, gidon)");
    // Every lesson names its preset by id.
    for (name, _) in dendra::lab::lesson::LESSONS {
        let lesson = dendra::lab::lesson::Lesson::builtin(name).unwrap();
        assert!(PRESETS.iter().any(|p| p.id == lesson.scene.biophysics), "{name}");
    }
}

/// Setups travel between lecturers: a setup names a gallery cell or a morphology file in
/// its own folder or below, never `/etc/...`, `../` or a file that is not a morphology;
/// names and labels are bounded; a view that makes no sense is refused with a note; and a
/// cell opened from elsewhere is copied beside a setup saved with it, so that it reopens.
#[test]
fn setups_from_strangers_open_only_what_they_may() {
    let dir = std::env::temp_dir().join(format!("dendra-strangers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("shared")).unwrap();
    let repo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let swc = repo.join("morphologies/ca1_pyr_rat_c91662.swc");
    std::fs::write(dir.join("secret.swc"), std::fs::read(&swc).unwrap()).unwrap();
    std::fs::write(dir.join("shared/.env"), "DB_PASSWORD=hunter2\n").unwrap();
    let base = dir.join("shared");
    let mut setup = ball_and_stick().to_setup(None, None);
    for (cell, why) in [
        ("/etc/passwd", "outside the setup's folder"),
        ("../secret.swc", "outside the setup's folder"),
        (".env", "not a morphology file"),
        ("/proc/self/environ", "outside the setup's folder"),
    ] {
        setup.scene.cell = cell.into();
        let e = Lab::from_setup(&setup, &base).err().unwrap().to_string();
        assert!(e.starts_with("scene.cell:") && e.contains(why), "{cell}: {e}");
        assert!(!e.contains("hunter2"), "{e}");
    }
    // A symbolic link in the folder that leads out of it is refused too.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.join("secret.swc"), base.join("link.swc")).unwrap();
        setup.scene.cell = "link.swc".into();
        let e = Lab::from_setup(&setup, &base).err().unwrap().to_string();
        assert!(e.contains("leads outside the setup's folder"), "{e}");
    }
    // A cell opened by hand from elsewhere: saved beside the setup, and the setup reopens.
    let lab = Lab::new(dendra::sim::morphology::gallery::open(&swc).unwrap(), swc.to_str().unwrap()).unwrap();
    let path = base.join("mine.json");
    let note = write_setup(&path, &lab.to_setup(None, None)).unwrap();
    assert!(note.is_some_and(|n| n.contains("copied beside the setup")));
    assert!(base.join("ca1_pyr_rat_c91662.swc").exists());
    let back = Lab::from_setup(&read_setup(&path).unwrap(), &base).unwrap();
    assert_eq!(back.sim.cell.compartment_count(), lab.sim.cell.compartment_count());
    // Labels: a 10 MB trial label is refused by its length, naming the entry.
    let good = serde_json::to_value(ball_and_stick().to_setup(None, None)).unwrap();
    let mut v = good.clone();
    v["trials"] = serde_json::json!([{"label": "x".repeat(10 << 20), "traces": []}]);
    std::fs::write(&path, v.to_string()).unwrap();
    let t0 = std::time::Instant::now();
    let e = read_setup(&path).unwrap_err().to_string();
    assert!(e.contains("trials[0].label: 10485760 characters, more than the 200"), "{e}");
    assert!(t0.elapsed() < std::time::Duration::from_secs(20));
    // A camera far beyond any cell: refused with a note (the cell is framed), and the
    // setup saved afterwards reads back.
    let mut v = good.clone();
    v["camera"] =
        serde_json::json!({"target": [1e300, 0.0, 0.0], "yaw": 0.0, "pitch": 0.0, "distance": -5.0});
    std::fs::write(&path, v.to_string()).unwrap();
    let s = read_setup(&path).unwrap();
    let lab = Lab::from_setup(&s, &base).unwrap();
    assert!(lab.notes.iter().any(|n| n.contains("camera: target")), "{:?}", lab.notes);
    let mut notes = Vec::new();
    assert!(s.camera.unwrap().checked(&mut notes).is_none());
    let c = dendra::lab::setup::CameraSetup { target: [0.0; 3], yaw: 0.0, pitch: 9.0, distance: -5.0 };
    let c = c.checked(&mut notes).unwrap();
    assert_eq!((c.distance, c.pitch), (1.0, 1.55));
    assert!(notes.iter().any(|n| n.contains("distance -5 um set to 1 um")), "{notes:?}");
    // A setup that would not read back is not written (and the old file stays).
    let before = std::fs::read(&path).unwrap();
    let mut bad = lab.to_setup(None, None);
    bad.camera = Some(dendra::lab::setup::CameraSetup {
        target: [f32::INFINITY, 0.0, 0.0],
        yaw: 0.0,
        pitch: 0.0,
        distance: 1.0,
    });
    let e = write_setup(&path, &bad).unwrap_err().to_string();
    assert!(e.contains("would not read back"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    std::fs::remove_dir_all(&dir).ok();
}

/// The synapse limit counts synapses as the user places them: 50,001 AMPA+NMDA synapses
/// (100,002 conductances in the engine) are within the 100,000 allowed.
#[test]
fn the_synapse_limit_counts_what_the_user_placed() {
    let mut lab = ball_and_stick();
    let d = dend(&lab);
    for k in 0..50_001 {
        lab.add_synapse(d, (k % 100) as f64 / 100.0, SynapseKind::AmpaNmda, 1.0).unwrap();
    }
    assert_eq!(lab.synapses.len(), 50_001);
    assert_eq!(lab.sim.synapses.len(), 100_002);
}

/// Firing while the lab is paused (as it stays after a trial) plays the spikes now: the
/// lab runs again and says so, rather than reporting "fired" while nothing moves.
#[test]
fn firing_while_paused_runs_the_lab_and_says_so() {
    let mut lab = ball_and_stick();
    let d = dend(&lab);
    lab.add_synapse(d, 0.5, SynapseKind::Ampa, 5.0).unwrap();
    lab.paused = true;
    let msg = lab.fire_and_say(FirePattern::Single);
    assert!(!lab.paused, "{msg}");
    assert!(msg.contains("paused") && msg.contains("runs again"), "{msg}");
    // Not paused: nothing to say about it.
    let msg = lab.fire_and_say(FirePattern::Single);
    assert!(!msg.contains("paused"), "{msg}");
}

/// The recording holds, frame by frame, the voltages the simulation had at those steps
/// (to its 16-bit quantisation), starts again at a reset, and a copy of the lab records
/// nothing.
#[test]
fn the_recording_holds_the_simulations_voltages_at_its_frames() {
    let mut lab = ball_and_stick();
    let d = dend(&lab);
    lab.add_synapse(d, 0.8, SynapseKind::AmpaNmda, 5.0).unwrap();
    let said = lab.record(true, 8 << 20).unwrap();
    assert!(said.starts_with("recording the last"), "{said}");
    lab.fire(FirePattern::Single);
    let every = lab.recording().unwrap().every_ms();
    let mut seen = Vec::new();
    let steps_per_frame = (every / lab.sim.config.dt).round() as u64;
    for _ in 0..40 {
        lab.advance(steps_per_frame);
        seen.push((lab.t(), lab.sim.v.clone()));
    }
    let r = lab.recording().unwrap();
    assert_eq!(r.nodes(), lab.sim.v.len());
    for (t, v) in &seen {
        let k = r.frame_at(*t).unwrap();
        assert!((r.time(k).unwrap() - t).abs() < 1e-9, "a frame at {t}");
        for (node, want) in v.iter().enumerate() {
            let got = r.value(k, node).unwrap();
            assert!((got - want).abs() <= 0.002, "t {t} node {node}: {got} vs {want}");
        }
    }
    // The EPSP is in the frames: the dendrite's node rose by more than 1 mV.
    let node = lab.sim.cell.compartment_at(d, 0.8) as usize;
    let rise =
        (0..r.len()).map(|k| r.value(k, node).unwrap()).fold(f64::MIN, f64::max) - r.value(0, node).unwrap();
    assert!(rise > 1.0, "{rise}");
    assert!(lab.clone().recording().is_none());
    lab.reset();
    assert_eq!(lab.recording().unwrap().len(), 1);
    assert!(lab.record(false, 0).is_ok() && lab.recording().is_none());
}

/// A recorded moment is coloured as the live lab was at that moment: voltage, peak hold
/// and the Mg2+ unblock from the recording equal the live values to the recording's
/// quantisation; a quantity the recording does not hold is shown as the voltage.
#[test]
fn a_recorded_moment_colours_the_tree_as_it_was_live() {
    use dendra::lab::Quantity;
    let mut lab = ball_and_stick();
    let d = dend(&lab);
    lab.add_synapse(d, 0.5, SynapseKind::AmpaNmda, 8.0).unwrap();
    lab.record(true, 8 << 20).unwrap();
    lab.fire(FirePattern::Single);
    let every = lab.recording().unwrap().every_ms();
    let steps = (every / lab.sim.config.dt).round() as u64;
    let mut live = Vec::new();
    for _ in 0..30 {
        lab.advance(steps);
        let mut v = Vec::new();
        let mut peak = Vec::new();
        let mut unblock = Vec::new();
        lab.node_values(Quantity::Voltage, &mut v);
        lab.node_values(Quantity::PeakVoltage, &mut peak);
        lab.node_values(Quantity::MgUnblock, &mut unblock);
        live.push((lab.t(), v, peak, unblock));
    }
    let mut got = Vec::new();
    for (t, v, peak, unblock) in &live {
        for (q, want, tol) in [
            (Quantity::Voltage, v, 0.002),
            (Quantity::PeakVoltage, peak, 0.002),
            (Quantity::MgUnblock, unblock, 1e-4),
        ] {
            assert_eq!(lab.node_values_at(q, *t, &mut got), Some(q));
            for (a, b) in got.iter().zip(want) {
                assert!((a - b).abs() <= tol, "{q:?} at {t}: {a} vs {b}");
            }
        }
    }
    assert_eq!(lab.node_values_at(Quantity::Calcium, live[3].0, &mut got), Some(Quantity::Voltage));
}

/// Kept trials keep the whole cell's recording; the difference between a trial under
/// apical TTX and a control trial, at the same time after their starts, lights the
/// apical tree (the bAP lost) and leaves the basal tree dark; the space plot's values
/// are the compartments' own along the path.
#[test]
fn difference_colouring_shows_where_apical_ttx_acted() {
    use dendra::lab::space::path_nodes;
    use dendra::lab::trials::TrialPlan;
    use dendra::sim::morphology::Region;
    let mut lab = Lab::builtin("l5_pyramidal").unwrap();
    let soma = lab.sim.cell.morphology.soma();
    lab.add_clamp(soma, 0.5, 3.0, 2.0, 2.0).unwrap();
    lab.record(true, 64 << 20).unwrap();
    let run = |lab: &mut Lab, words: &str| {
        let mut plan = TrialPlan { fire: None, run_ms: 20.0 };
        lab.apply_trial_words(words, &mut plan).unwrap();
        lab.start_trial(plan);
        while lab.trial.is_some() {
            lab.advance(100);
        }
    };
    run(&mut lab, "control");
    run(&mut lab, "ttx:apical");
    assert_eq!(lab.trials.len(), 2);
    assert!(lab.trials.iter().all(|t| t.recording.is_some()), "trials keep their recordings");
    // Under TTX now (the second trial's end state is live): compare the two recordings
    // frame by frame over the bAP (the clamp starts 2 ms after the 10 ms baseline).
    let (control, ttx) = (lab.trials[0].recording.clone().unwrap(), lab.trials[1].recording.clone().unwrap());
    let cell = &lab.sim.cell;
    let region = |n: usize| cell.morphology.sections[cell.node_section[n] as usize].region;
    let (mut basal, mut apical) = (0.0f64, 0.0f64);
    for k in 0..control.len().min(ttx.len()) {
        let t = control.time(k).unwrap();
        if !(12.0..=20.0).contains(&t) {
            continue;
        }
        let j = ttx.frame_at(t).unwrap();
        for n in 0..cell.parent.len() {
            let d = (control.value(k, n).unwrap() - ttx.value(j, n).unwrap()).abs();
            match region(n) {
                Region::Basal => basal = basal.max(d),
                Region::Apical => apical = apical.max(d),
                _ => {}
            }
        }
    }
    assert!(apical > 20.0, "the apical bAP lost under TTX: {apical} mV");
    // (Not quite zero on the basal tree: the soma's spike, which the basal dendrites
    // follow, repolarises a little differently without the apical Na+ current: 4.8 mV
    // there at most against 92 mV on the apical tree.)
    assert!(basal < 0.1 * apical, "basal {basal} mV against apical {apical} mV");
    // The lab's own difference (live against the control trial) has one value per node.
    let mut diff = Vec::new();
    assert!(lab.difference_from_trial(0, None, &mut diff).is_some());
    assert_eq!(diff.len(), cell.parent.len());
    assert!(lab.difference_from_trial(5, None, &mut diff).is_none());
    // The space plot at a recorded moment: the compartments' recorded voltages.
    let apical_tip = cell.compartment_at(
        cell.morphology.sections.iter().rposition(|s| s.region == Region::Apical).unwrap(),
        0.9,
    );
    let somanode = cell.compartment_at(soma, 0.5);
    let path = path_nodes(cell, somanode, apical_tip);
    let at = 15.0;
    let along = lab.voltage_along(&path, Some(at));
    let r = lab.recording().unwrap();
    let k = r.frame_at(at).unwrap();
    for (p, &(n, d)) in along.iter().zip(&path) {
        assert_eq!(p[0], d);
        assert_eq!(p[1], r.value(k, n as usize).unwrap());
    }
    let ghost = lab.trial_voltage_along(0, &path, at).unwrap();
    assert_eq!(ghost.len(), path.len());
}

/// A setup keeps the replay's settings and its trials' recordings (beside it, in
/// NAME.recordings): reopened, the trials are scrubbable again with the same frames; a
/// damaged recordings file leaves the trials without, and the setup still opens.
#[test]
fn a_saved_setup_keeps_its_trials_recordings_and_replay_settings() {
    use dendra::lab::setup::{ReplaySetup, recordings_path};
    use dendra::lab::trials::TrialPlan;
    let dir = std::env::temp_dir().join(format!("dendra-rec-setup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("kept.json");
    let mut lab = ball_and_stick();
    let d = dend(&lab);
    lab.add_synapse(d, 0.5, SynapseKind::AmpaNmda, 5.0).unwrap();
    lab.record(true, 8 << 20).unwrap();
    lab.start_trial(TrialPlan { fire: Some(FirePattern::Single), run_ms: 30.0 });
    while lab.trial.is_some() {
        lab.advance(50);
    }
    let kept = lab.trials[0].recording.clone().unwrap();
    let mut setup = lab.to_setup(None, None);
    setup.replay = Some(ReplaySetup { rate: 0.01, marks: [Some(10.0), Some(20.0)], slow_motion: true });
    write_setup(&path, &setup).unwrap();
    assert!(recordings_path(&path).is_file());
    let back = read_setup(&path).unwrap();
    assert_eq!(back.replay, setup.replay);
    let reopened = Lab::from_setup(&back, &dir).unwrap();
    let r = reopened.trials[0].recording.as_ref().expect("scrubbable again");
    assert_eq!(**r, *kept);
    // The tree coloured at a moment of the reopened trial: its recorded voltages.
    let mut v = Vec::new();
    let t = kept.time(kept.len() / 2).unwrap();
    assert_eq!(
        reopened.node_values_in(Some(0), dendra::lab::Quantity::Voltage, t, &mut v),
        Some(dendra::lab::Quantity::Voltage)
    );
    assert_eq!(v[3] as f64, kept.value(kept.len() / 2, 3).unwrap() as f32 as f64);
    assert!(reopened.shown_recording(Some(1)).is_none());
    // Damaged: the setup opens, its trial without a recording.
    std::fs::write(recordings_path(&path), b"DNDRTRS1\x01\x00\x00\x00garbage").unwrap();
    let back = read_setup(&path).unwrap();
    assert!(back.trials[0].recording.is_none());
    // A replay rate out of range is brought within 1/1000..1.
    let text = std::fs::read_to_string(&path).unwrap().replace("\"rate\": 0.01", "\"rate\": 1e9");
    std::fs::write(&path, text).unwrap();
    assert_eq!(read_setup(&path).unwrap().replay.unwrap().rate, 1.0);
    std::fs::remove_dir_all(&dir).ok();
}

/// The lab's defaults teach the textbook result by hand: ten AMPA+NMDA synapses placed
/// with the default weight and NMDA ratio on a thin basal dendrite of the default cell
/// fire together supralinearly (the linearity meter above x1.5 at the soma), and APV
/// removes most of the somatic EPSP.
#[test]
fn lab_defaults_teach_the_nmda_spike() {
    use dendra::lab::synapses::{HAND_NMDA_RATIO, HAND_WEIGHT_NS};
    let mut lab = Lab::builtin("l5_pyramidal").unwrap();
    let m = &lab.sim.cell.morphology;
    let mut thin: Vec<usize> = (0..m.sections.len())
        .filter(|&s| {
            m.sections[s].region == dendra::sim::morphology::Region::Basal
                && m.sections[s].diams[0] < 1.2
                && m.sections[s].length() > 60.0
        })
        .collect();
    thin.sort_by(|&a, &b| m.path_distance(0.5, a, 0.5).total_cmp(&m.path_distance(0.5, b, 0.5)));
    let sec = thin[thin.len() / 2];
    for k in 0..10 {
        let i = lab.add_synapse(sec, 0.55 + 0.03 * k as f64, SynapseKind::AmpaNmda, HAND_WEIGHT_NS).unwrap();
        lab.set_nmda_ratio(i, HAND_NMDA_RATIO);
        lab.synapses[i].selected = true;
    }
    lab.advance(4000);
    let with = dendra::lab::linearity::measure(&lab, FirePattern::Single, 100.0, 1).unwrap();
    let mut apv = lab.clone_without_traces();
    apv.set_drug(Drug::Apv, "basal", true);
    let without = dendra::lab::linearity::measure(&apv, FirePattern::Single, 100.0, 1).unwrap();
    let soma = with.ratio(0).unwrap();
    assert!(soma > 1.5, "the meter reads x{soma:.2} at the soma");
    let (a, b) = (with.probes[0].actual_peak_mv, without.probes[0].actual_peak_mv);
    assert!(b < 0.5 * a, "APV leaves {b:.2} of {a:.2} mV at the soma");
}

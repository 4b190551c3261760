//! Cell models built from a morphology file plus a JSON description (src/sim/model/).

use dendra::sim::model::{self, CellModel};
use dendra::sim::morphology::{Morphology, Region};
use dendra::sim::stimuli::IClamp;
use std::path::PathBuf;

fn l5pc_swc() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("morphologies/l5pc_mouse_allen_rbp4_491766131.swc")
}

/// hh on the soma, pas everywhere, an Ih exponential gradient (Hay biophys3) on the
/// apical and basal trees, per-region reversals.
const L5PC_DESC: &str = r#"{
  "morphology": "cell.swc",
  "nseg": {"per_length_um": 40},
  "v_init": -65,
  "passive": {"all": {"Ra": 100, "cm": 1}, "dendrites": {"cm": 2}},
  "ions": {"all": {"ena": 50, "ek": -85}, "apical": {"ek": -90}},
  "mechanisms": [
    {"mechanism": "pas", "regions": ["all"], "params": {"g_pas": 3e-5, "e_pas": -65}},
    {"mechanism": "hh", "regions": ["soma"]},
    {"mechanism": "Ih", "regions": ["apical", "basal"],
     "params": {"gIhbar_Ih": {"hay": [2, -0.8696, 3.6161, 0.0, 2.0870, 0.0002]}}}
  ]
}"#;

fn ih(x: f64) -> f64 {
    0.0002 * (-0.8696 + 2.0870 * (3.6161 * x).exp())
}

#[test]
fn l5pc_from_files_with_ih_gradient_runs() {
    // A description file next to a copy of the morphology, referring to it relatively.
    let dir = std::env::temp_dir().join(format!("dendra-model-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(l5pc_swc(), dir.join("cell.swc")).unwrap();
    let desc_path = dir.join("l5pc.json");
    std::fs::write(&desc_path, L5PC_DESC).unwrap();
    let built = model::load(&desc_path);
    std::fs::remove_dir_all(&dir).ok();
    let mut built = built.unwrap();
    assert!(built.warnings.is_empty(), "{:?}", built.warnings);

    let cell = &built.sim.cell;
    let m = &cell.morphology;
    // Hay's nseg rule.
    for (i, s) in m.sections.iter().enumerate() {
        assert_eq!(cell.sec_nodes[i].nseg as usize, 1 + 2 * (s.length() / 40.0) as usize, "{}", s.name);
    }
    // Passive layers: dendrites cm 2, soma cm 1, Ra 100 everywhere.
    for (i, s) in m.sections.iter().enumerate() {
        let want = if s.region.is_dendrite() { 2.0 } else { 1.0 };
        assert_eq!(cell.passive.cm[i], want, "{}", s.name);
        assert_eq!(cell.passive.ra[i], 100.0);
    }
    // One instance per (mechanism, region), labelled with the region.
    let soma_hh = built.slot("hh", Region::Soma).expect("hh on soma");
    assert_eq!(built.sim.mechs[soma_hh].label, "soma");
    assert!(built.slot("hh", Region::Apical).is_none());
    for r in [Region::Soma, Region::Axon, Region::Basal, Region::Apical] {
        let slot = built.slot("pas", r).unwrap_or_else(|| panic!("pas on {r:?}"));
        let mech = &built.sim.mechs[slot].mech;
        assert_eq!(mech.param("g", 0), Some(3e-5));
        assert_eq!(mech.param("e", 0), Some(-65.0));
    }

    // The apical Ih gradient, against the formula: x = distance from soma(0) / the
    // longest apical path.
    let children = m.children();
    let longest = |r: Region| {
        (0..m.sections.len())
            .filter(|&i| m.sections[i].region == r && children[i].is_empty())
            .map(|i| m.path_distance(0.0, i, 1.0))
            .fold(0.0, f64::max)
    };
    for (r, slot) in [Region::Apical, Region::Basal].map(|r| (r, built.slot("Ih", r).expect("Ih placed"))) {
        let l = longest(r);
        assert!(l > 100.0, "{r:?} longest path {l}");
        let mech = &built.sim.mechs[slot].mech;
        let mut prox = (f64::INFINITY, 0.0);
        let mut dist = (0.0, 0.0);
        for (k, &n) in mech.nodes().iter().enumerate() {
            let d = m.path_distance(0.0, cell.node_section[n as usize] as usize, cell.node_x[n as usize]);
            let g = mech.param("gIhbar", k).unwrap();
            let want = ih(d / l);
            assert!((g - want).abs() <= 1e-12 * want, "{r:?} node {n}: {g} vs {want}");
            if d < prox.0 {
                prox = (d, g);
            }
            if d > dist.0 {
                dist = (d, g);
            }
        }
        assert!(dist.1 > prox.1, "{r:?}: distal {dist:?} vs proximal {prox:?}");
        if r == Region::Apical {
            // The most distal apical segment is close to the tip: x near 1.
            assert!(dist.0 / l > 0.95, "{}", dist.0 / l);
            assert!(dist.1 > 0.012 && dist.1 <= ih(1.0), "{}", dist.1);
            eprintln!(
                "apical Ih: {:.3e} at {:.1} um, {:.3e} at {:.1} um (longest {l:.1} um)",
                prox.1, prox.0, dist.1, dist.0
            );
        }
    }

    // Reversals per region, kept by init.
    let soma_node = cell.sec_nodes[m.soma()].first as usize;
    let apical = m.sections.iter().position(|s| s.region == Region::Apical).unwrap();
    let apical_node = cell.sec_nodes[apical].first as usize;
    assert_eq!(built.sim.ions.ek[soma_node], -85.0);
    assert_eq!(built.sim.ions.ek[apical_node], -90.0);
    assert_eq!(built.sim.ions.ena[apical_node], 50.0);

    // It runs: 50 ms with a somatic current step, finite everywhere.
    let soma_c = built.sim.cell.compartment_at(m.soma(), 0.5);
    built.sim.add_iclamp(IClamp { node: soma_c, delay: 5.0, dur: 40.0, amp: 1.0 }).unwrap();
    built.sim.init();
    assert_eq!(built.sim.ions.ek[apical_node], -90.0);
    let v0 = built.sim.v[soma_c as usize];
    let mut vmax = f64::NEG_INFINITY;
    while built.sim.t() < 50.0 - 1e-9 {
        built.sim.step();
        vmax = vmax.max(built.sim.v[soma_c as usize]);
    }
    assert!(built.sim.is_finite());
    assert!(vmax > v0 + 5.0, "soma went from {v0} to at most {vmax}");
    assert!(built.sim.v.iter().all(|v| (-150.0..100.0).contains(v)));
}

/// A small cell: a soma and one basal dendrite, no apical tree.
const SMALL_SWC: &str = "\
1 1 0 0 0 5 -1
2 1 10 0 0 5 1
3 3 10 0 0 1 2
4 3 110 0 0 1 3
5 3 210 0 0 1 4
";

fn small() -> Morphology {
    Morphology::from_swc_str(SMALL_SWC, "small.swc").unwrap()
}

fn build(desc: &str) -> Result<model::BuiltCell, String> {
    let d = CellModel::from_json(desc, "test.json").map_err(|e| e.to_string())?;
    d.build(small(), "test.json").map_err(|e| e.to_string())
}

fn build_err(desc: &str) -> String {
    match build(desc) {
        Ok(_) => panic!("expected an error from {desc}"),
        Err(e) => {
            eprintln!("{e}");
            assert!(e.starts_with("test.json"), "{e}");
            e
        }
    }
}

#[test]
fn errors_name_the_file_and_rule() {
    let e = build_err(
        r#"{"mechanisms": [{"mechanism": "pas", "regions": ["all"]},
        {"mechanism": "NaX", "regions": ["soma"]}]}"#,
    );
    assert!(e.contains("mechanisms[1] (NaX)") && e.contains("unknown mechanism 'NaX'"), "{e}");

    let e = build_err(
        r#"{"mechanisms": [{"mechanism": "hh", "regions": ["soma"], "params": {"gnabarr": 0.1}}]}"#,
    );
    assert!(e.contains("mechanisms[0] (hh)") && e.contains("no parameter 'gnabarr'"), "{e}");
    assert!(e.contains("gnabar"), "lists the parameters: {e}");

    let e = build_err(r#"{"mechanisms": [{"mechanism": "hh", "regions": ["apicl"]}]}"#);
    assert!(e.contains("unknown region 'apicl'"), "{e}");

    let e = build_err(r#"{"mechanisms": [{"mechanism": "hh", "regions": []}]}"#);
    assert!(e.contains("no regions"), "{e}");

    let e = build_err(
        r#"{"mechanisms": [{"mechanism": "Ih", "regions": ["basal"],
            "params": {"gIhbar": {"sigmoid": {"a": 0, "b": 1, "c": 0.5, "d": 0, "base": 1e-4}}}}]}"#,
    );
    assert!(e.contains("mechanisms[0] (Ih)") && e.contains("d must not be 0"), "{e}");

    let e = build_err(
        r#"{"mechanisms": [{"mechanism": "Ca_LVAst", "regions": ["basal"],
            "params": {"gCa_LVAstbar": {"step": {"a": 1, "b": 0.01, "c": 885, "d": 685, "base": 0.0187}}}}]}"#,
    );
    assert!(e.contains("c must be < d"), "{e}");

    // A distribution that goes negative where a conductance cannot.
    let e = build_err(
        r#"{"mechanisms": [{"mechanism": "Ih", "regions": ["basal"],
            "params": {"gIhbar": {"linear": {"a": 0.5, "b": -1, "base": 1e-4}}}}]}"#,
    );
    assert!(e.contains("mechanisms[0] (Ih) on basal") && e.contains("gIhbar must not be negative"), "{e}");
    assert!(e.contains("dend["), "names the place: {e}");

    // A value beyond the catalogue's bounds for the parameter.
    let e = build_err(
        r#"{"mechanisms": [{"mechanism": "hh", "regions": ["soma"], "params": {"gnabar": 1200}}]}"#,
    );
    assert!(
        e.contains("mechanisms[0] (hh) on soma: hh: gnabar must be within 0..=100 S/cm2, got 1200"),
        "{e}"
    );

    let e = build_err(r#"{"passive": {"apicall": {"cm": 2}}}"#);
    assert!(e.contains("passive") && e.contains("unknown region 'apicall'"), "{e}");
    let e = build_err(r#"{"passive": {"all": {"Ra": -1}}}"#);
    assert!(e.contains("Ra"), "{e}");
    let e = build_err(r#"{"ions": {"soma": {"ena": 50, "eca": 120}}}"#);
    assert!(e.contains("not a valid cell model") && e.contains("eca"), "{e}");
    let e = build_err(r#"{"nseg": {"d_lambda": 0.1, "uniform": 3}}"#);
    assert!(e.contains("nseg takes one of"), "{e}");
    let e = build_err(r#"{"dt": 0}"#);
    assert!(e.contains("dt"), "{e}");
    let e = build_err(r#"{"mechanisms": [{"mechanism": "hh", "regions": ["soma"], "parms": {}}]}"#);
    assert!(e.contains("unknown field `parms`"), "{e}");

    // A missing morphology file names the description.
    let desc = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/no-such-model.json");
    let e = model::load(&desc).unwrap_err().to_string();
    assert!(e.contains("no-such-model.json"), "{e}");
}

#[test]
fn absent_region_is_a_warning() {
    let built = build(
        r#"{"passive": {"all": {"g_pas": 1e-4}, "apical": {"cm": 2}},
            "mechanisms": [{"mechanism": "Ih", "regions": ["apical", "basal"], "params": {"gIhbar": 1e-4}},
                           {"mechanism": "hh", "regions": ["apical"]}]}"#,
    )
    .unwrap();
    assert!(built.slot("Ih", Region::Basal).is_some());
    assert!(built.slot("hh", Region::Apical).is_none());
    let w = built.warnings.join("\n");
    assert!(w.contains("passive: the morphology has no apical sections"), "{w}");
    assert!(w.contains("mechanisms[0] (Ih): the morphology has no apical sections"), "{w}");
    assert!(w.contains("mechanisms[1] (hh)") && w.contains("nothing inserted"), "{w}");
}

#[test]
fn later_rules_change_the_same_instance_and_defaults_apply() {
    let built = build(
        r#"{"nseg": {"uniform": 3},
            "passive": {"all": {"e_pas": -80}},
            "mechanisms": [{"mechanism": "pas", "regions": ["dendrites"], "params": {"g": 2e-5}},
                           {"mechanism": "pas", "regions": ["basal"], "params": {"g_pas": 4e-5}},
                           {"mechanism": "Ih", "regions": ["all"], "params": {"ehcn": -40}}]}"#,
    )
    .unwrap();
    assert!(built.warnings.is_empty(), "{:?}", built.warnings);
    // No g_pas in passive: no pas on the soma; the basal pas is one instance set twice.
    assert!(built.slot("pas", Region::Soma).is_none());
    let pas: Vec<_> = built.instances.iter().filter(|i| i.mechanism == "pas").collect();
    assert_eq!(pas.len(), 1);
    assert_eq!(pas[0].rules, vec![0, 1]);
    let m = &built.sim.mechs[pas[0].slot].mech;
    assert_eq!(m.nodes().len(), 3);
    assert_eq!(m.param("g", 2), Some(4e-5));
    assert_eq!(m.param("e", 0), Some(-80.0));
    // "all" gives one instance per region.
    assert!(built.slot("Ih", Region::Soma).is_some() && built.slot("Ih", Region::Basal).is_some());
    assert_eq!(built.sim.mechs[built.slot("Ih", Region::Soma).unwrap()].mech.param("ehcn", 0), Some(-40.0));
    // Defaults: NEURON's Ra, cm, celsius, v_init, dt; initialised.
    assert!(built.sim.cell.passive.ra.iter().all(|&r| r == 35.4));
    assert_eq!(built.sim.config.celsius, 6.3);
    assert_eq!(built.sim.config.dt, 0.025);
    assert!(built.sim.v.iter().all(|&v| v == -65.0));
}

#[test]
fn step_distribution_on_absolute_distance_and_hoc_ends() {
    // Basal dendrite: soma(1) to 200 um further, one section of 5 segments; the origin
    // at soma(0) adds the soma's 10 um.
    let desc = |hoc: bool| {
        format!(
            r#"{{"nseg": {{"uniform": 5}}, "distance": {{"origin_x": 0, "hoc_for_x": {hoc}}},
                "mechanisms": [{{"mechanism": "Ca_LVAst", "regions": ["basal"],
                  "params": {{"gCa_LVAstbar": {{"hay": [3, 1, 0.01, 100, 180, 0.02]}}}}}}]}}"#
        )
    };
    for hoc in [false, true] {
        let built = build(&desc(hoc)).unwrap();
        let slot = built.slot("Ca_LVAst", Region::Basal).unwrap();
        let mech = &built.sim.mechs[slot].mech;
        let cell = &built.sim.cell;
        let m = &cell.morphology;
        for (k, &n) in mech.nodes().iter().enumerate() {
            let (s, x) = (cell.node_section[n as usize] as usize, cell.node_x[n as usize]);
            let last = k + 1 == mech.nodes().len();
            let d = m.path_distance(0.0, s, if hoc && last { 1.0 } else { x });
            let want = if d > 100.0 && d < 180.0 { 0.02 } else { 0.0002 };
            assert_eq!(mech.param("gCa_LVAstbar", k), Some(want), "hoc {hoc} node {n} at {d} um");
        }
    }
}

#[test]
fn description_round_trips() {
    let d = CellModel::from_json(L5PC_DESC, "l5pc.json").unwrap();
    let again = CellModel::from_json(&d.to_json(), "again.json").unwrap();
    assert_eq!(d, again);
}

/// A soma stack (10 um along y) with a basal dendrite from its first point (soma(0)) and
/// an apical trunk from its last point (soma(1)): a 400 um trunk that forks into a
/// 200 um and a 100 um branch; and a two-section axon from soma(0).
const HAY_SWC: &str = "\
1 1 0 0 0 5 -1
2 1 0 5 0 5 1
3 1 0 10 0 5 2
4 3 0 0 0 1 1
5 3 0 -100 0 1 4
6 4 0 10 0 1 3
7 4 0 410 0 1 6
8 4 0 610 0 0.5 7
9 4 100 410 0 0.5 7
10 2 0 0 0 0.5 1
11 2 -50 0 0 0.5 10
12 2 -60 0 0 0.5 11
13 2 -60 10 0 0.5 11
";

fn hay_small() -> Morphology {
    Morphology::from_swc_str(HAY_SWC, "hay_small.swc").unwrap()
}

fn ih_values(built: &model::BuiltCell, r: Region) -> Vec<(usize, f64, f64)> {
    let cell = &built.sim.cell;
    let mech = &built.sim.mechs[built.slot("Ih", r).expect("Ih placed")].mech;
    mech.nodes()
        .iter()
        .enumerate()
        .map(|(k, &n)| {
            (
                cell.node_section[n as usize] as usize,
                cell.node_x[n as usize],
                mech.param("gIhbar", k).unwrap(),
            )
        })
        .collect()
}

#[test]
fn hays_distances_start_at_apic0_and_last_segments_take_the_1_end() {
    let m = hay_small();
    let name = |i: usize| m.sections[i].name.as_str();
    let apic0 = m.section_by_name("apic[0]").unwrap();
    // The layout the expectations below rest on.
    assert_eq!((name(m.sections[apic0].parent.unwrap()), m.sections[apic0].parent_x), ("soma[0]", 1.0));
    assert!((m.sections[0].length() - 10.0).abs() < 1e-9);
    for (s, l) in [("apic[0]", 400.0), ("apic[1]", 200.0), ("apic[2]", 100.0)] {
        assert!((m.sections[m.section_by_name(s).unwrap()].length() - l).abs() < 1e-9, "{s}");
    }

    // Ih on the apical tree by Hay's exponential, the Ca_LVAst hot zone 390-420 um.
    let desc = |distance: &str| {
        format!(
            r#"{{"nseg": {{"uniform": 5}}, "distance": {distance},
                "mechanisms": [
                  {{"mechanism": "Ih", "regions": ["apical", "basal"],
                    "params": {{"gIhbar": {{"hay": [2, -0.8696, 3.6161, 0.0, 2.0870, 0.0002]}}}}}},
                  {{"mechanism": "Ca_LVAst", "regions": ["apical"],
                    "params": {{"gCa_LVAstbar": {{"hay": [3, 1, 0.01, 390, 420, 0.02]}}}}}}]}}"#
        )
    };
    let build = |distance: &str| {
        CellModel::from_json(&desc(distance), "hay.json").unwrap().build(hay_small(), "hay.json").unwrap()
    };
    let hay = build(r#"{"origin": "region_start", "hoc_for_x": true}"#);
    let soma0 = build(r#"{"origin_x": 0}"#);
    assert!(hay.warnings.is_empty(), "{:?}", hay.warnings);

    // From apic[0](0) = soma(1): centres of apic[0] at 40, 120, ..., its last segment at
    // its 1 end (400); apic[1] from 400 on; the longest apical path is 600 um (the tip
    // of apic[1]). From soma(0), every distance is 10 um longer and the longest path 610.
    let dist = |s: usize, x: f64, last: bool, offset: f64| {
        let sec = &m.sections[s];
        let at = if last { 1.0 } else { x };
        let start = if name(s) == "apic[0]" { 0.0 } else { 400.0 };
        offset + start + at * sec.length()
    };
    let ih = |d: f64, longest: f64| 0.0002 * (-0.8696 + 2.0870 * (3.6161 * d / longest).exp());
    let nseg = 5;
    for (built, hoc, offset, longest) in [(&hay, true, 0.0, 600.0), (&soma0, false, 10.0, 610.0)] {
        for (k, (s, x, g)) in ih_values(built, Region::Apical).into_iter().enumerate() {
            let last = hoc && k % nseg == nseg - 1;
            let want = ih(dist(s, x, last, offset), longest);
            assert!((g - want).abs() <= 1e-12 * want, "{}({x}): {g} vs {want}", name(s));
        }
    }
    // The hot zone: apic[0]'s last segment is at 400 um (its 1 end) under Hay's rule, in
    // the zone; from soma(0) at 370 um (its centre), outside. apic[1]'s first centre is
    // at 420 um from apic[0](0), on the open bound: outside.
    let ca = |built: &model::BuiltCell, sec: &str, x: f64| {
        let cell = &built.sim.cell;
        let node = cell.compartment_at(m.section_by_name(sec).unwrap(), x);
        let mech = &built.sim.mechs[built.slot("Ca_LVAst", Region::Apical).unwrap()].mech;
        let k = mech.nodes().iter().position(|&n| n == node).unwrap();
        mech.param("gCa_LVAstbar", k).unwrap()
    };
    assert_eq!(ca(&hay, "apic[0]", 0.9), 0.02);
    assert_eq!(ca(&soma0, "apic[0]", 0.9), 0.0002);
    assert_eq!(ca(&hay, "apic[1]", 0.1), 0.0002);
    // apic[2] (100 um, 5 segments): its first centre at 410 um from apic[0](0), in the
    // zone; at 420 from soma(0), on the open bound.
    assert_eq!(ca(&hay, "apic[2]", 0.1), 0.02);
    assert_eq!(ca(&soma0, "apic[2]", 0.1), 0.0002);
    assert_eq!(ca(&hay, "apic[2]", 0.5), 0.0002);
    assert_eq!(ca(&hay, "apic[0]", 0.7), 0.0002);
    assert_eq!(ca(&soma0, "apic[0]", 0.7), 0.0002);

    // The basal tree measures from dend[0](0), its own first section's start (soma(0)
    // here): 100 um long, the longest basal path.
    for (k, (s, x, g)) in ih_values(&hay, Region::Basal).into_iter().enumerate() {
        let last = k % nseg == nseg - 1;
        let d = if last { 1.0 } else { x } * m.sections[s].length();
        let want = ih(d, 100.0);
        assert!((g - want).abs() <= 1e-12 * want, "{}({x}): {g} vs {want}", name(s));
    }

    // origin_x belongs to the root origin only.
    let e = CellModel::from_json(&desc(r#"{"origin": "region_start", "origin_x": 0.5}"#), "hay.json")
        .unwrap()
        .build(hay_small(), "hay.json")
        .unwrap_err()
        .to_string();
    assert!(e.contains("origin_x") && e.contains("region_start"), "{e}");
    let e = CellModel::from_json(&desc(r#"{"origin": "apic"}"#), "hay.json").unwrap_err().to_string();
    assert!(e.contains("unknown variant `apic`"), "{e}");
    // The rule round-trips.
    let d =
        CellModel::from_json(&desc(r#"{"origin": "region_start", "hoc_for_x": true}"#), "hay.json").unwrap();
    assert_eq!(CellModel::from_json(&d.to_json(), "again.json").unwrap(), d);
}

#[test]
fn hays_axon_stub_replaces_the_axon() {
    let desc = r#"{"nseg": {"per_length_um": 40}, "axon": "hay_stub",
        "passive": {"all": {"g_pas": 3e-5}, "axon": {"g_pas": 3.25e-5}}}"#;
    let d = CellModel::from_json(desc, "stub.json").unwrap();
    assert_eq!(CellModel::from_json(&d.to_json(), "again.json").unwrap(), d);
    let before = hay_small();
    let axons_before = before.sections.iter().filter(|s| s.region == Region::Axon).count();
    assert_eq!(axons_before, 3);
    let built = d.build(before.clone(), "stub.json").unwrap();
    let cell = &built.sim.cell;
    let m = &cell.morphology;
    // The dendrites and soma are kept, with their names and parents.
    assert_eq!(m.sections.len(), before.sections.len() - axons_before + 2);
    for s in before.sections.iter().filter(|s| s.region != Region::Axon) {
        let i = m.section_by_name(&s.name).unwrap();
        let parent = |mm: &Morphology, p: Option<usize>| p.map(|p| mm.sections[p].name.clone());
        assert_eq!(parent(m, m.sections[i].parent), parent(&before, s.parent), "{}", s.name);
        assert_eq!(m.sections[i].parent_x, s.parent_x);
        assert_eq!(m.sections[i].points, s.points);
    }
    // Two 30 um x 1 um sections: axon[0] from soma(0.5), axon[1] from axon[0](1), one
    // segment each (1 + 2 int(30/40)), with the axon's g_pas.
    let axons: Vec<usize> = (0..m.sections.len()).filter(|&i| m.sections[i].region == Region::Axon).collect();
    assert_eq!(axons.len(), 2);
    let (a0, a1) = (m.section_by_name("axon[0]").unwrap(), m.section_by_name("axon[1]").unwrap());
    assert_eq!((m.sections[a0].parent, m.sections[a0].parent_x), (Some(m.soma()), 0.5));
    assert_eq!((m.sections[a1].parent, m.sections[a1].parent_x), (Some(a0), 1.0));
    for a in [a0, a1] {
        assert!((m.sections[a].length() - 30.0).abs() < 1e-9);
        assert!(m.sections[a].diams.iter().all(|&d| d == 1.0));
        assert_eq!(cell.sec_nodes[a].nseg, 1);
        let area = cell.area[cell.sec_nodes[a].first as usize];
        assert!((area - std::f64::consts::PI * 30.0).abs() < 1e-9, "{area}");
    }
    let pas = &built.sim.mechs[built.slot("pas", Region::Axon).unwrap()].mech;
    assert_eq!(pas.nodes().len(), 2);
    assert_eq!(pas.param("g", 1), Some(3.25e-5));
    assert!(built.sim.cell.morphology.warnings.iter().any(|w| w.contains("Hay's stub")));
    // Without the option the axon stays as it is.
    let kept = CellModel::from_json(r#"{"passive": {"all": {"g_pas": 3e-5}}}"#, "keep.json")
        .unwrap()
        .build(before.clone(), "keep.json")
        .unwrap();
    assert_eq!(kept.sim.cell.morphology.sections.len(), before.sections.len());
    let e = CellModel::from_json(r#"{"axon": "stub"}"#, "bad.json").unwrap_err().to_string();
    assert!(e.contains("unknown variant `stub`"), "{e}");
}

fn cell2(file: &str) -> Morphology {
    Morphology::from_file(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("morphologies").join(file)).unwrap()
}

/// The lab's Hay preset on Hay's cell 2 builds the cell NEURON builds with Hay's template
/// (reference/lessons/hay_cell2.json): the same section and segment counts, the same
/// recording sites and EPSP site, the hot zone where Hay puts it. The figures of the
/// protocols themselves: `cargo run --release --no-default-features --example hay_cell2`.
#[test]
fn hay_preset_on_cell2_matches_neurons_cell_and_sites() {
    use dendra::sim::sites;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reference/lessons/hay_cell2.json");
    let reference: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let desc = dendra::lab::biophysics::preset("hay").unwrap();
    assert!(desc.crank_nicolson);
    for (run, file) in [
        ("cell2_asc_cvode", "l5pc_rat_hay2011_cell2.asc"),
        ("cell2_swc_cvode", "l5pc_rat_hay2011_cell2_converted.swc"),
    ] {
        let want = &reference["runs"][run]["sites"];
        let built = model::from_morphology(cell2(file), &desc).unwrap();
        let cell = &built.sim.cell;
        let m = &cell.morphology;
        assert_eq!(m.sections.len() as u64, want["nsec"].as_u64().unwrap(), "{file}");
        assert_eq!(cell.compartment_count() as u64, want["nseg"].as_u64().unwrap(), "{file}");
        let label = |s: &sites::Site| format!("L5PCtemplate[0].{}({:.4})", m.sections[s.section].name, s.x);
        for d in [100, 200, 400, 600, 800] {
            let s = sites::apical_site_at(cell, d as f64).unwrap();
            let got = format!("{} d={:.1}", label(&s), s.distance_um);
            assert_eq!(got, want["sites"][d.to_string()].as_str().unwrap(), "{file} at {d} um");
        }
        let (epsp, diam) = sites::hay_epsp_site(cell, 620.0).unwrap();
        assert_eq!(label(&epsp), want["epsp_site"].as_str().unwrap(), "{file}");
        assert!((diam - want["epsp_diam"].as_f64().unwrap()).abs() < 1e-6, "{file}: {diam}");

        // The hot zone: 685 < d < 885 um from apic[0](0), d of the segment's centre or,
        // for a section's last segment, of its 1 end.
        let origin = sites::hay_origin(m, Region::Apical).unwrap();
        assert_eq!(m.sections[origin.0].name, "apic[0]");
        let mech = &built.sim.mechs[built.slot("Ca_LVAst", Region::Apical).unwrap()].mech;
        let mut hot = 0;
        for (k, &n) in mech.nodes().iter().enumerate() {
            let (s, x) = (cell.node_section[n as usize] as usize, cell.node_x[n as usize]);
            let last = n == cell.sec_nodes[s].first + cell.sec_nodes[s].nseg - 1;
            let d = sites::path_between(m, origin, (s, if last { 1.0 } else { x }));
            let want = if d > 685.0 && d < 885.0 { 0.0187 } else { 0.000187 };
            let g = mech.param("gCa_LVAstbar", k).unwrap();
            assert!((g - want).abs() < 1e-12, "{file}: {}({x}) at {d} um: {g}", m.sections[s].name);
            hot += (g > 0.001) as usize;
        }
        assert!(hot > 20, "{file}: {hot} hot segments");
    }
}

/// Hay's EPSP-shaped current is a lab command: on the Hay preset, 0.5 nA at the EPSP
/// site depolarises it by about 15 mV (NEURON: 15.3 mV on cell 2, hay_cell2.json).
#[test]
fn the_lab_adds_hays_epsp_current() {
    use dendra::lab::Lab;
    use dendra::sim::sites;
    let mut lab = Lab::with_biophysics(cell2("l5pc_rat_hay2011_cell2.asc"), "cell2", "hay").unwrap();
    let (site, _) = sites::hay_epsp_site(&lab.sim.cell, 620.0).unwrap();
    assert!(lab.add_epsp(site.section, site.x, 0.5, 0.0, 5.0, 0.5).is_ok(), "any two taus");
    lab.remove_epsp(0);
    assert!(lab.add_epsp(site.section, site.x, 0.5, 1.0, 1.0, 1.0).is_err(), "equal taus");
    assert!(lab.add_epsp(site.section, 1.5, 0.5, 1.0, 0.5, 5.0).is_err());
    assert!(lab.add_epsp(site.section, site.x, f64::NAN, 1.0, 0.5, 5.0).is_err());
    // Rest first, then the EPSP 20 ms later.
    let node = lab.sim.cell.node_at(site.section, site.x);
    lab.advance((100.0 / lab.sim.config.dt) as u64);
    let rest = lab.sim.v[node as usize];
    let k = lab.add_epsp(site.section, site.x, 0.5, 20.0, 0.5, 5.0).unwrap();
    assert_eq!(lab.epsps.len(), 1);
    assert_eq!(lab.sim.stimuli.epsps[lab.epsps[k].engine].node, node);
    let mut peak = f64::MIN;
    for _ in 0..(60.0 / lab.sim.config.dt) as u64 {
        lab.advance(1);
        peak = peak.max(lab.sim.v[node as usize]);
    }
    assert!(peak - rest > 10.0 && peak - rest < 20.0, "rest {rest}, peak {peak}");
}

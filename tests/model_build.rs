//! Cell models built from a morphology file plus a JSON description (src/sim/model.rs).

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
    let d = CellModel::from_json(desc, "test.json").map_err(|e| e.0)?;
    d.build(small(), "test.json").map_err(|e| e.0)
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
    assert!(e.contains("mechanisms[0] (Ih) on basal") && e.contains("negative"), "{e}");
    assert!(e.contains("dend["), "names the place: {e}");

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
    let e = model::load(&desc).unwrap_err().0;
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

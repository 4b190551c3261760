//! Hay et al.'s bAP and BAC protocols with the lab's Hay preset, measured as
//! `reference/hay_protocols.py` measures them in NEURON, so that the figures compare with
//! `reference/lessons/hay_cell2.json`.
//!
//! ```sh
//! cargo run --release --no-default-features --example hay_cell2 -- \
//!     morphologies/l5pc_rat_hay2011_cell2_converted.swc [MORE FILES] [--backward-euler] [--dt MS]
//! ```
//!
//! `--model FILE.json` uses another cell-model description instead of the lab's preset
//! (its `morphology` is ignored); `--backward-euler` and `--dt` change the integration.
//!
//! For each morphology (SWC or Neurolucida ASC) it prints one JSON line: `file`,
//! `integrator`, `sites` (nsec, nseg, the EPSP site, its path distance from soma(0.5) to
//! its segment's centre as NEURON's `distance` gives it, its segment's diameter, and the
//! recording site for each distance) and `figures`, for each of five protocols run 600 ms
//! from v_init -80 mV: `soma_spikes` (upward crossings of 0 mV at soma(0.5)),
//! `vmax_epsp_site` (from 295 ms), `t_above_-20` (ms above -20 mV at the EPSP site after
//! 290 ms), the potentials at 295 ms, and `bap` (peak from 295 ms, rest at 295 ms,
//! `rel_start` = peak - rest, `rel_vinit` = peak + 80 at each recording site).
//!
//! This is a measurement, not a test: the lessons run the protocols themselves.

use dendra::lab::biophysics;
use dendra::sim::model::{self, BuiltCell, CellModel};
use dendra::sim::morphology::{Morphology, Region};
use dendra::sim::sites::{self, Site};
use dendra::sim::stimuli::{EpspCurrent, IClamp};
use serde_json::{Value, json};
use std::path::Path;

const PRESET: &str = "hay";
const SITE_DISTANCES: [f64; 5] = [100.0, 200.0, 400.0, 600.0, 800.0];
const EPSP_DISTANCE: f64 = 620.0;
const T_STOP: f64 = 600.0;
const T_REF: f64 = 295.0;
const T_ABOVE_FROM: f64 = 290.0;
const ABOVE_MV: f64 = -20.0;

/// name, somatic pulse (nA), EPSP imax (nA), apical Na+ on
const PROTOCOLS: [(&str, f64, f64, bool); 5] = [
    ("bap_normal", 1.9, 0.0, true),
    ("bap_noNa", 1.9, 0.0, false),
    ("epsp_alone", 0.0, 0.5, true),
    ("bac", 1.9, 0.5, true),
    ("epsp_x3", 0.0, 1.5, true),
];

struct Places {
    soma: (usize, f64),
    epsp: Site,
    recording: Vec<(f64, Site)>,
}

fn name(cell: &dendra::sim::cell::Cell, s: &Site) -> String {
    format!("{}({:.4})", cell.morphology.sections[s.section].name, s.x)
}

fn places(built: &BuiltCell) -> Result<(Places, Value), String> {
    let cell = &built.sim.cell;
    let m = &cell.morphology;
    let (epsp, diam) = sites::hay_epsp_site(cell, EPSP_DISTANCE)
        .ok_or_else(|| format!("no apical branch reaches {EPSP_DISTANCE} um from apic[0](0)"))?;
    let mut recording = Vec::new();
    let mut named = serde_json::Map::new();
    for d in SITE_DISTANCES {
        let s = sites::apical_site_at(cell, d).ok_or("the cell has no apical dendrite")?;
        named.insert(format!("{d}"), json!(format!("{} d={:.1}", name(cell, &s), s.distance_um)));
        recording.push((d, s));
    }
    // NEURON's distance() to sec(x) is to the centre of the segment holding x.
    let nseg = cell.sec_nodes[epsp.section].nseg as f64;
    let centre = (((epsp.x * nseg).floor()).min(nseg - 1.0) + 0.5) / nseg;
    let soma = sites::soma_centre(m);
    let info = json!({
        "nsec": m.sections.len(),
        "nseg": cell.compartment_count(),
        "epsp_site": name(cell, &epsp),
        "epsp_dist_soma05": sites::path_between(m, soma, (epsp.section, centre)),
        "epsp_diam": diam,
        "sites": named,
    });
    Ok((Places { soma, epsp, recording }, info))
}

fn run(
    desc: &CellModel,
    morph: &Morphology,
    p: &Places,
    pulse_na: f64,
    epsp_na: f64,
    apical_na: bool,
) -> Result<Value, String> {
    let mut built = model::from_morphology(morph.clone(), desc).map_err(|e| e.to_string())?;
    if !apical_na {
        let slot = built.slot("NaTa_t", Region::Apical).ok_or("no apical NaTa_t")?;
        built.sim.set_param(slot, "gNaTa_tbar", 0.0).map_err(|e| e.to_string())?;
    }
    let sim = &mut built.sim;
    let soma_node = sim.cell.node_at(p.soma.0, p.soma.1);
    let epsp_node = sim.cell.node_at(p.epsp.section, p.epsp.x);
    let site_nodes: Vec<u32> = p.recording.iter().map(|(_, s)| sim.cell.node_at(s.section, s.x)).collect();
    sim.add_iclamp(IClamp { node: soma_node, delay: T_REF, dur: 5.0, amp: pulse_na })
        .map_err(|e| e.to_string())?;
    sim.add_epsp(EpspCurrent { node: epsp_node, onset: 300.0, tau0: 0.5, tau1: 5.0, imax: epsp_na })
        .map_err(|e| e.to_string())?;
    sim.init();
    let v_init = sim.config.v_init;

    let mut t = vec![sim.t()];
    let mut v_soma = vec![sim.v[soma_node as usize]];
    let mut v_epsp = vec![sim.v[epsp_node as usize]];
    let mut v_sites: Vec<Vec<f64>> = site_nodes.iter().map(|&n| vec![sim.v[n as usize]]).collect();
    while sim.t() < T_STOP - 1e-9 {
        sim.step();
        t.push(sim.t());
        v_soma.push(sim.v[soma_node as usize]);
        v_epsp.push(sim.v[epsp_node as usize]);
        for (tr, &n) in v_sites.iter_mut().zip(&site_nodes) {
            tr.push(sim.v[n as usize]);
        }
    }
    if !sim.is_finite() {
        return Err("the simulation blew up".into());
    }
    let k = t.iter().rposition(|&ti| ti <= T_REF + 1e-9).unwrap_or(0);
    let max_from = |v: &[f64]| v[k..].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let spikes = (1..v_soma.len()).filter(|&i| v_soma[i - 1] < 0.0 && v_soma[i] >= 0.0).count();
    let above: f64 = (1..t.len())
        .filter(|&i| v_epsp[i] > ABOVE_MV && t[i] > T_ABOVE_FROM)
        .map(|i| t[i] - t[i - 1])
        .sum::<f64>()
        + 0.0;
    let mut bap = serde_json::Map::new();
    for ((d, _), v) in p.recording.iter().zip(&v_sites) {
        let peak = max_from(v);
        bap.insert(
            format!("{d}"),
            json!({"rel_start": peak - v[k], "rel_vinit": peak - v_init, "rest": v[k], "peak": peak}),
        );
    }
    Ok(json!({
        "soma_spikes": spikes,
        "vmax_epsp_site": max_from(&v_epsp),
        "t_above_-20": above,
        "soma_rest_295": v_soma[k],
        "epsp_site_rest_295": v_epsp[k],
        "bap": bap,
    }))
}

fn main() {
    let mut files = Vec::new();
    let mut backward_euler = false;
    let mut dt: Option<f64> = None;
    let mut model_file: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--backward-euler" => backward_euler = true,
            "--dt" => dt = args.next().and_then(|s| s.parse().ok()),
            "--model" => model_file = args.next(),
            "-h" | "--help" => {
                eprintln!("usage: hay_cell2 MORPHOLOGY... [--model FILE.json] [--backward-euler] [--dt MS]");
                return;
            }
            _ => files.push(a),
        }
    }
    if files.is_empty() {
        files.push("morphologies/l5pc_rat_hay2011_cell2_converted.swc".into());
    }
    let mut desc = match &model_file {
        Some(f) => CellModel::read(Path::new(f)).unwrap_or_else(|e| panic!("{e}")),
        None => biophysics::preset(PRESET).unwrap_or_else(|e| panic!("{e}")),
    };
    if backward_euler {
        desc.crank_nicolson = false;
    }
    if let Some(dt) = dt {
        desc.dt = dt;
    }
    let integrator = format!(
        "{}, dt {} ms",
        if desc.crank_nicolson { "Crank-Nicolson" } else { "backward Euler" },
        desc.dt
    );
    let mut failed = false;
    for file in &files {
        let result = (|| -> Result<Value, String> {
            let morph = Morphology::from_file(Path::new(file)).map_err(|e| e.to_string())?;
            let built = model::from_morphology(morph.clone(), &desc).map_err(|e| e.to_string())?;
            let (p, info) = places(&built)?;
            drop(built);
            let mut figures = serde_json::Map::new();
            for (name, pulse, epsp, na) in PROTOCOLS {
                let clock = std::time::Instant::now();
                figures.insert(name.to_string(), run(&desc, &morph, &p, pulse, epsp, na)?);
                eprintln!("{file}: {name} in {:.1} s", clock.elapsed().as_secs_f64());
            }
            Ok(json!({"file": file, "integrator": integrator, "sites": info, "figures": figures}))
        })();
        match result {
            Ok(v) => println!("{v}"),
            Err(e) => {
                eprintln!("hay_cell2: {file}: {e}");
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}

//! Prints the mechanism instances of a cell built with the Hay preset: how many nodes each
//! covers, per region, and the compartments per region.
//!
//! `cargo run --release --no-default-features --example hay_cell_info -- [MORPHOLOGY]`

use dendra::sim::morphology::gallery;
use std::path::PathBuf;

fn main() {
    let arg = std::env::args().nth(1).unwrap_or_else(|| "hay_l5pc_cell2".into());
    let morph = gallery::open(&PathBuf::from(&arg)).expect("morphology");
    let sim = dendra::lab::biophysics::build(morph, "hay").expect("build");
    println!("{arg}: {} nodes, {} compartments", sim.cell.node_count(), sim.cell.compartment_count());
    let regions: Vec<_> = sim.cell.morphology.sections.iter().map(|s| s.region).collect();
    let mut per: std::collections::BTreeMap<String, usize> = Default::default();
    for n in 0..sim.cell.node_count() {
        if sim.cell.area[n] > 0.0 {
            *per.entry(regions[sim.cell.node_section[n] as usize].label()).or_default() += 1;
        }
    }
    println!("compartments by region: {per:?}");
    for m in &sim.mechs {
        let nodes = m.mech.nodes();
        // Contiguous runs, and runs merged across gaps of up to 4 nodes.
        let runs = |gap: u32| {
            let mut r = 0;
            let mut span = 0;
            let mut prev: Option<u32> = None;
            for &n in nodes {
                match prev {
                    Some(p) if n > p && n - p <= gap + 1 => span += n - p,
                    _ => {
                        r += 1;
                        span += 1;
                    }
                }
                prev = Some(n);
            }
            (r, span)
        };
        println!(
            "{:>14} on {:<7} {:>5} nodes; runs {:?}, merged over gaps <= 4: {:?}",
            m.mech.name(),
            m.label,
            nodes.len(),
            runs(0),
            runs(4)
        );
    }
}

//! The built-in cells of `src/sim/builtin_cells.rs`: the committed files in
//! `morphologies/` are its output byte for byte, each loads without warnings, and each
//! has the shape it is meant to have.
//!
//! To regenerate the files after changing the generator:
//! `DENDRA_WRITE_BUILTINS=1 cargo test --no-default-features --test builtin_cells`.

use dendra::sim::builtin_cells::{BUILTIN_CELLS, builtin_swc};
use dendra::sim::morphology::{Morphology, Region};
use dendra::sim::passive::passive_figures;
use std::path::PathBuf;

const WRITE_ENV: &str = "DENDRA_WRITE_BUILTINS";

fn file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("morphologies").join(format!("{name}.swc"))
}

fn load(name: &str) -> Morphology {
    let text = builtin_swc(name).unwrap_or_else(|| panic!("{name} is not a built-in cell"));
    let m = Morphology::from_swc_str(&text, &format!("{name}.swc"))
        .unwrap_or_else(|e| panic!("{name} does not load: {e}"));
    assert!(m.warnings.is_empty(), "{name}: warnings {:?}", m.warnings);
    m
}

#[test]
fn builtin_files_match_the_generator() {
    let write = std::env::var_os(WRITE_ENV).is_some_and(|v| !v.is_empty() && v != "0");
    for name in BUILTIN_CELLS {
        let text = builtin_swc(name).unwrap();
        let path = file(name);
        if write {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
            eprintln!("wrote {}", path.display());
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "{} is not the output of src/sim/builtin_cells.rs; regenerate it with \
             `{WRITE_ENV}=1 cargo test --no-default-features --test builtin_cells`",
            path.display()
        );
    }
}

#[test]
fn every_builtin_loads_without_warnings() {
    for name in BUILTIN_CELLS {
        let m = load(name);
        assert!(m.sections.len() >= 2, "{name}");
    }
}

#[test]
fn builtin_ball_and_stick_and_y_branch_shapes() {
    let b = load("ball_and_stick");
    assert_eq!(b.sections.len(), 2, "ball_and_stick: soma + dendrite");
    assert_eq!(b.sections[0].region, Region::Soma);
    assert!((b.sections[1].length() - 800.0).abs() < 0.5, "dendrite {}", b.sections[1].length());
    assert!((b.sections[1].diams[1] - 1.5).abs() < 1e-9);

    let y = load("y_branch");
    assert_eq!(y.sections.len(), 4, "y_branch: soma, trunk, two daughters");
    assert!((y.sections[1].length() - 200.0).abs() < 0.5, "trunk {}", y.sections[1].length());
    for s in &y.sections[2..] {
        assert_eq!(s.parent, Some(1));
        assert!((s.length() - 250.0).abs() < 0.5, "daughter {}", s.length());
    }
}

#[test]
fn builtin_l5_pyramidal_shape_and_passive_figures() {
    let m = load("l5_pyramidal");
    let n = m.sections.len();
    let children = m.children();
    let count = |r: Region| m.sections.iter().filter(|s| s.region == r).count();
    let (soma, axon, basal, apical) =
        (count(Region::Soma), count(Region::Axon), count(Region::Basal), count(Region::Apical));
    eprintln!("l5_pyramidal: {n} sections: soma {soma}, axon {axon}, basal {basal}, apical {apical}");
    assert_eq!(soma, 1);
    assert!(axon >= 1);
    assert!(basal >= 30, "basal sections {basal}");
    assert!(apical >= 30, "apical sections {apical}");
    assert!((80..=300).contains(&n), "sections {n}");
    let total = m.total_length();
    assert!((6000.0..=15000.0).contains(&total), "total length {total}");

    // Basal trees leaving the soma: 6-8.
    let soma_i = m.soma();
    let basal_roots =
        m.sections.iter().filter(|s| s.region == Region::Basal && s.parent == Some(soma_i)).count();
    assert!((6..=8).contains(&basal_roots), "basal trees {basal_roots}");

    // The apical trunk: the chain of thick apical sections (own diameters >= 1.9 um)
    // from the soma.
    let thick = |i: usize| {
        let s = &m.sections[i];
        s.region == Region::Apical && s.diams[1..].iter().all(|&d| d >= 1.9)
    };
    let mut trunk = vec![
        (0..n)
            .find(|&i| m.sections[i].region == Region::Apical && m.sections[i].parent == Some(soma_i))
            .unwrap(),
    ];
    while let Some(&next) = children[*trunk.last().unwrap()].iter().find(|&&c| thick(c)) {
        trunk.push(next);
    }
    let nexus = *trunk.last().unwrap();
    let trunk_len = m.path_distance(0.5, nexus, 1.0);
    eprintln!("trunk: {} sections, {trunk_len:.1} um", trunk.len());
    assert!((trunk_len - 1000.0).abs() <= 100.0, "apical trunk {trunk_len} um");
    assert_eq!((0..n).filter(|&i| thick(i)).count(), trunk.len(), "thick apical sections off the trunk");

    // Obliques leave the trunk between 100 and 600 um; the tuft leaves the nexus.
    let mut obliques = 0;
    for &t in &trunk[..trunk.len() - 1] {
        for &c in &children[t] {
            if trunk.contains(&c) {
                continue;
            }
            let at = m.path_distance(0.5, c, 0.0);
            assert!((90.0..=610.0).contains(&at), "oblique at {at} um");
            obliques += 1;
        }
    }
    let tuft_roots = children[nexus].len();
    eprintln!("obliques {obliques}, tuft branches {tuft_roots}");
    assert!((8..=12).contains(&obliques), "obliques {obliques}");
    assert!((3..=4).contains(&tuft_roots), "tuft branches {tuft_roots}");

    // Tuft tips: apical leaves beyond the nexus.
    let mut tips = 0;
    for (i, s) in m.sections.iter().enumerate() {
        if s.region == Region::Apical && children[i].is_empty() {
            let d = m.path_distance(0.5, i, 1.0);
            if d > trunk_len {
                assert!((1200.0..=1600.0).contains(&d), "tuft tip {} at {d} um", s.name);
                tips += 1;
            } else {
                assert!(d < 0.9 * trunk_len, "oblique tip {} at {d} um", s.name);
            }
        }
    }
    assert!(tips >= 8, "tuft tips {tips}");

    let f = passive_figures(m).unwrap();
    eprintln!("l5_pyramidal passive figures: {f:?}");
    assert!(f.rin_mohm.is_finite() && (20.0..=200.0).contains(&f.rin_mohm), "Rin {} MOhm", f.rin_mohm);
}

#[test]
fn small_builtins_passive_figures() {
    for name in ["ball_and_stick", "y_branch"] {
        let f = passive_figures(load(name)).unwrap();
        eprintln!("{name} passive figures: {f:?}");
        assert!(f.rin_mohm.is_finite() && f.rin_mohm > 0.0, "{name}: Rin {}", f.rin_mohm);
    }
}

/// Every gallery cell rests quietly under every preset the lab offers: no spike in
/// 300 ms without input, the soma between -90 and -55 mV (`--nocapture` prints each).
#[test]
fn every_gallery_cell_rests_quietly_under_every_preset() {
    use dendra::lab::Lab;
    use dendra::lab::biophysics::PRESETS;
    use dendra::sim::morphology::gallery::GALLERY;
    for c in GALLERY {
        for preset in PRESETS.map(|p| p.id) {
            let mut lab = Lab::with_biophysics(c.load().unwrap(), c.name, preset).unwrap();
            let soma = lab.probes[0].node as usize;
            let steps = (300.0 / lab.sim.config.dt) as u64;
            let (mut spikes, mut above) = (0, false);
            for _ in 0..steps {
                lab.sim.step();
                let v = lab.sim.v[soma];
                spikes += usize::from(v > 0.0 && !above);
                above = v > 0.0;
            }
            let v = lab.sim.v[soma];
            eprintln!("{:<16} {preset:<28} {v:7.2} mV, {spikes} spikes", c.name);
            assert_eq!(spikes, 0, "{} under {preset} fires at rest", c.name);
            assert!((-90.0..=-55.0).contains(&v), "{} under {preset} rests at {v} mV", c.name);
        }
    }
}

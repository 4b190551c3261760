//! The SWC reader on every SWC file the repository holds: the real cells of
//! `morphologies/` and the format edge cases and malformed files of
//! `tests/data/morphologies/`; each must give its expected outcome.

use dendra::sim::morphology::swc::{MIN_RADIUS_UM, SwcData, read_swc};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Real cells (the gallery and the built-in cells).
const GALLERY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/morphologies");
/// Edge cases and malformed files.
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/morphologies");

fn path(name: &str) -> PathBuf {
    let gallery = Path::new(GALLERY).join(name);
    if gallery.exists() { gallery } else { Path::new(DATA).join(name) }
}

/// Loads a file that must load, and checks the reader's guarantees.
fn load(name: &str) -> SwcData {
    let d = match read_swc(&path(name)) {
        Ok(d) => d,
        Err(e) => panic!("{name} should load: {e}"),
    };
    assert_eq!(d.points.len(), d.parent.len());
    assert_eq!(d.parent[0], None, "{name}: index 0 is the root");
    for i in 1..d.points.len() {
        match d.parent[i] {
            Some(j) => {
                assert!(j < i, "{name}: parent after child at {i}");
                assert_eq!(d.points[j].id, d.points[i].parent_id);
            }
            None => assert!(d.points[i].parent_id < 0, "{name}: point {i} lost its parent"),
        }
    }
    for p in &d.points {
        assert!(p.radius >= MIN_RADIUS_UM && p.radius.is_finite(), "{name}: {p:?}");
        assert!(p.pos.iter().all(|v| v.is_finite()), "{name}: {p:?}");
    }
    let ids: HashSet<i64> = d.points.iter().map(|p| p.id).collect();
    assert_eq!(ids.len(), d.points.len(), "{name}: ids unique");
    d
}

/// Data lines of a file, counted independently of the reader.
fn data_lines(name: &str) -> usize {
    let bytes = std::fs::read(path(name)).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    text.split('\n')
        .filter(|l| {
            let t = l.trim_matches(|c: char| c.is_ascii_whitespace());
            !t.is_empty() && !t.starts_with('#')
        })
        .count()
}

/// A real cell: loads whole, in file (id) order, with one soma group.
fn real_cell(name: &str, points: usize, warnings: usize) -> SwcData {
    let d = load(name);
    assert_eq!(data_lines(name), points, "{name}: data lines");
    assert_eq!(d.points.len(), points, "{name}");
    assert_eq!(d.warnings.len(), warnings, "{name}: {:?}", d.warnings);
    assert!(d.points.windows(2).all(|w| w[0].id < w[1].id), "{name}: id order");
    assert_eq!(d.points[0].kind, 1, "{name}: soma root");
    d
}

fn kinds(d: &SwcData) -> Vec<i32> {
    let mut k: Vec<i32> = d.points.iter().map(|p| p.kind).collect();
    k.sort();
    k.dedup();
    k
}

/// Expects an error at `line` whose message contains each of `parts`.
fn error(name: &str, line: usize, parts: &[&str]) {
    let p = path(name);
    let e = match read_swc(&p) {
        Ok(d) => panic!("{name} should fail, loaded {} points", d.points.len()),
        Err(e) => e,
    };
    let shown = e.to_string();
    assert_eq!(e.line, Some(line), "{shown}");
    assert!(shown.starts_with(&format!("{}:{line}: ", p.display())), "{shown}");
    assert!(shown.contains(name), "{shown}");
    for part in parts {
        assert!(shown.contains(part), "{shown:?} lacks {part:?}");
    }
}

#[test]
fn swc_l5pc_mouse_allen() {
    let d = real_cell("l5pc_mouse_allen_rbp4_491766131.swc", 4852, 0);
    assert_eq!(kinds(&d), [1, 2, 3, 4]);
    assert_eq!(d.points.iter().filter(|p| p.kind == 1).count(), 1);
}

#[test]
fn swc_ca1_pyr_rat() {
    // CRLF, comment header, NeuroMorpho three-point soma.
    let d = real_cell("ca1_pyr_rat_c91662.swc", 1510, 0);
    assert_eq!(kinds(&d), [1, 2, 3, 4]);
    assert_eq!(d.points.iter().filter(|p| p.kind == 1).count(), 3);
}

#[test]
fn swc_pyr_mouse_m1_suter() {
    // CRLF with stray "\r\r\n" in the header; 19-point stacked soma.
    let d = real_cell("pyr_mouse_m1_suter_BS0284.swc", 2263, 0);
    assert_eq!(kinds(&d), [1, 3, 4]);
    assert_eq!(d.points.iter().filter(|p| p.kind == 1).count(), 19);
    assert_eq!(d.points[0].line, 10);
}

#[test]
fn swc_edge_custom_types() {
    let name = "edge_custom_types_5_to_19_morphio.swc";
    let d = load(name);
    assert_eq!(d.points.len(), 31);
    assert_eq!(data_lines(name), 31);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    let mut expected = vec![1];
    expected.extend(5..=19);
    assert_eq!(kinds(&d), expected);
    // Types are kept per point: "3  5 ..." and "31 19 ...".
    assert_eq!(d.points[2].kind, 5);
    assert_eq!(d.points[30].kind, 19);
    assert_eq!(d.points[0].radius, 0.1);
}

#[test]
fn swc_edge_soma_zero_radius() {
    let d = load("edge_soma_zero_radius_neurom.swc");
    assert_eq!(d.points.len(), 9);
    assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    assert!(d.warnings[0].starts_with("7 points had a radius below 0.01 um"));
    assert!(d.warnings[0].contains("raised to 0.01 um"));
    assert_eq!(d.points[0].radius, MIN_RADIUS_UM);
    assert_eq!(d.points[5].radius, 1.0);
}

#[test]
fn swc_edge_multiple_somas() {
    error(
        "edge_multiple_somas_morphio.swc",
        11,
        &["two somas: the soma points at lines 2 and 11 are not connected"],
    );
}

#[test]
fn swc_malformed_bad_syntax() {
    error(
        "malformed_bad_syntax_treem.swc",
        1,
        &["expected 7 columns (id type x y z radius parent), found 2"],
    );
}

#[test]
fn swc_malformed_cycle_selfparent() {
    error("malformed_cycle_selfparent_treem.swc", 3, &["point 3 is its own parent"]);
}

#[test]
fn swc_malformed_missing_parent() {
    error("malformed_missing_parent_treem.swc", 3, &["parent 12 of point 3 does not exist"]);
}

/// Every SWC file in the two directories has an expectation above (a new file needs one).
#[test]
fn swc_every_file_is_covered() {
    let known = [
        "l5pc_mouse_allen_rbp4_491766131.swc",
        "ca1_pyr_rat_c91662.swc",
        "pyr_mouse_m1_suter_BS0284.swc",
        "l5pc_rat_hay2011_cell2_converted.swc",
        "ball_and_stick.swc",
        "l5_pyramidal.swc",
        "y_branch.swc",
        "edge_custom_types_5_to_19_morphio.swc",
        "edge_soma_zero_radius_neurom.swc",
        "edge_multiple_somas_morphio.swc",
        "malformed_bad_syntax_treem.swc",
        "malformed_cycle_selfparent_treem.swc",
        "malformed_missing_parent_treem.swc",
        "multiroot_ca1_cut151.swc",
        "multiroot_allen_l5pc_cut53.swc",
    ];
    let mut seen = Vec::new();
    for dir in [GALLERY, DATA] {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir}: {e}")) {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if !name.ends_with(".swc") {
                continue;
            }
            assert!(known.contains(&name.as_str()), "{name} has no expectation in tests/swc_files.rs");
            seen.push(name);
        }
    }
    for k in known {
        assert!(seen.iter().any(|s| s == k), "{k} is missing from {GALLERY} and {DATA}");
    }
}

#[test]
fn swc_l5pc_rat_hay_cell2_converted() {
    // MorphIO's conversion of Hay's cell 2: a 21-point stacked soma, reconstructed axon.
    let d = real_cell("l5pc_rat_hay2011_cell2_converted.swc", 6954, 0);
    assert_eq!(kinds(&d), [1, 2, 3, 4]);
    assert_eq!(d.points.iter().filter(|p| p.kind == 1).count(), 21);
}

/// Real cells with parent links cut (scripts/cut_links.py): every point is kept, the
/// fragments' roots have no parent, and one warning counts them.
#[test]
fn swc_multi_root_files_keep_every_point() {
    for (name, fragments) in [("multiroot_ca1_cut151.swc", 10), ("multiroot_allen_l5pc_cut53.swc", 91)] {
        let d = load(name);
        assert_eq!(d.points.len(), data_lines(name), "{name}");
        let roots = d.parent.iter().filter(|p| p.is_none()).count();
        assert_eq!(roots, fragments + 1, "{name}");
        assert_eq!(d.warnings.len(), 1, "{name}: {:?}", d.warnings);
        assert!(d.warnings[0].starts_with(&format!("{fragments} fragments")), "{:?}", d.warnings);
        assert!(d.warnings[0].contains("fragment roots at lines"), "{:?}", d.warnings);
    }
}

#[test]
fn swc_builtin_cells_load() {
    for name in ["ball_and_stick.swc", "l5_pyramidal.swc", "y_branch.swc"] {
        let d = load(name);
        assert_eq!(d.points[0].kind, 1, "{name}: soma root");
        assert!(d.warnings.is_empty(), "{name}: {:?}", d.warnings);
    }
}

/// The malformed files' other problems, each on its own (the file reports only its
/// first).
#[test]
fn swc_malformed_files_other_problems() {
    use dendra::sim::morphology::swc::parse_swc;
    let e = parse_swc("2 x 0 0 0 1 1\n", "bad.swc").unwrap_err();
    assert_eq!(e.to_string(), "bad.swc:1: 'x' is not a number (column type)");
    // Missing parent file without line 3: point 4's parent 13 is missing.
    let text = std::fs::read_to_string(path("malformed_missing_parent_treem.swc")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let without = [lines[0], lines[1], lines[3]].join("\n");
    let e = parse_swc(&without, "m.swc").unwrap_err();
    assert_eq!(e.to_string(), "m.swc:3: parent 13 of point 4 does not exist");
    // Cycle file with the self-parent broken into a two-point cycle (2 <-> 3).
    let text = std::fs::read_to_string(path("malformed_cycle_selfparent_treem.swc")).unwrap();
    let fixed = text.replace("3 2 0 0 0 1 3", "3 2 0 0 0 1 2");
    let e = parse_swc(&fixed, "c.swc").unwrap_err();
    assert!(e.to_string().starts_with("c.swc:2: point 2 is in a parent cycle (2 -> 3 -> 2)"), "{e}");
}

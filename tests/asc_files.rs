//! The Neurolucida ASC reader (`src/sim/morphology/asc.rs`): Hay et al.'s cell 2 against
//! NEURON's passive figures; one small file per rule, each checked against what NEURON
//! 9.0.2's `Import3d_Neurolucida3` + `Import3d_GUI.instantiate` build from the same text
//! (names, parents, point counts, lengths and areas as NEURON printed them); malformed
//! files, each an error `file:line: problem` naming the token; and a bounded fuzz.

mod common;
use common::{Rng, downstream, preview};
use dendra::sim::cell::{Cell, Nseg, Passive};
use dendra::sim::morphology::{Morphology, Region};
use dendra::sim::passive::passive_figures;
use std::panic::catch_unwind;
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const CELL2: &str = "l5pc_rat_hay2011_cell2.asc";

fn cell2_path() -> PathBuf {
    repo().join("morphologies").join(CELL2)
}

/// Relative difference.
fn rel(ours: f64, neuron: f64) -> f64 {
    (ours - neuron).abs() / neuron.abs()
}

#[test]
fn cell2_matches_neuron() {
    let text =
        std::fs::read_to_string(repo().join("reference/morphology/passive_props_hay_cell2.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text[text.find('[').unwrap()..]).unwrap();
    let c = json.as_array().unwrap().iter().find(|c| c["file"] == CELL2).expect("cell2.asc's figures");
    // Through the extension dispatch, as `dendra morph` and the lab open files.
    let morph = Morphology::from_file(&cell2_path()).unwrap();
    assert!(morph.warnings.is_empty(), "{:?}", morph.warnings);
    let count = |r: Region| morph.sections.iter().filter(|s| s.region == r).count();
    // NEURON: soma[1], axon[...], dend[...], apic[...], every tree root on soma(0.5).
    assert_eq!(count(Region::Soma), 1);
    assert_eq!(morph.sections[0].name, "soma[0]");
    assert_eq!(morph.sections[0].points.len(), 21);
    for s in &morph.sections[1..] {
        let p = s.parent.unwrap();
        if p == 0 {
            assert_eq!(s.parent_x, 0.5, "{}", s.name);
        } else {
            assert_eq!(s.parent_x, 1.0, "{}", s.name);
        }
    }
    // The soma's first centroid point and the axon's first points as NEURON stores them
    // (single precision, after `%.8g`).
    let soma = &morph.sections[0];
    assert_eq!(
        [soma.points[0].x, soma.points[0].y, soma.points[0].z, soma.diams[0]],
        [461.2322082519531, 97.15393829345703, -11.0, 5.850771427154541]
    );
    let axon0 = &morph.sections[morph.section_by_name("axon[0]").unwrap()];
    assert_eq!(axon0.parent, Some(0));
    assert_eq!([axon0.points[0].x, axon0.points[0].y], [463.1199951171875, 97.73999786376953]);
    // A child starts with its parent's last point, with its own first diameter.
    let axon1 = &morph.sections[morph.section_by_name("axon[1]").unwrap()];
    assert_eq!(axon1.points.len(), 7);
    assert_eq!(axon1.points[0], *axon0.points.last().unwrap());
    assert_eq!(axon1.diams[0], 0.28999999165534973);

    let f = passive_figures(morph).unwrap();
    eprintln!("{CELL2}: {f:?}");
    let v = |k: &str| c[k].as_f64().unwrap();
    assert_eq!(f.sections as u64, c["sections"].as_u64().unwrap());
    assert_eq!(f.compartments as u64, c["compartments"].as_u64().unwrap());
    assert!(rel(f.length_um, v("length_um")) < 0.005, "length {}", f.length_um);
    assert!(rel(f.area_um2, v("area_um2")) < 0.01, "area {}", f.area_um2);
    assert!(rel(f.soma_area_um2, v("soma_area_um2")) < 0.01, "soma area {}", f.soma_area_um2);
    assert!(rel(f.rin_mohm, v("rin_mohm")) < 0.02, "rin {}", f.rin_mohm);
    assert!(rel(f.tau_ms, v("tau_ms")) < 0.03, "tau {}", f.tau_ms);
    // Beyond the tolerances: the digits NEURON's script prints (tau within one step).
    assert_eq!(f.length_um, v("length_um"));
    assert_eq!(f.area_um2, v("area_um2"));
    assert_eq!(f.soma_area_um2, v("soma_area_um2"));
    assert!(rel(f.rin_mohm, v("rin_mohm")) < 2e-5, "rin {}", f.rin_mohm);
    assert!((f.tau_ms - v("tau_ms")).abs() <= 0.025 + 1e-9, "tau {}", f.tau_ms);
}

#[test]
fn from_file_dispatches_on_the_extension() {
    let dir = std::env::temp_dir().join(format!("dendra_asc_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = BASIC.replace("{SOMA}", SOMA);
    for name in ["cell.asc", "CELL.ASC", "cell.Asc"] {
        let p = dir.join(name);
        std::fs::write(&p, &text).unwrap();
        let m = Morphology::from_file(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(m.sections.len(), 10, "{name}");
        assert_eq!(m.file, p.display().to_string());
    }
    // Any other extension is SWC: the same text is then an SWC error.
    let p = dir.join("cell.swc");
    std::fs::write(&p, &text).unwrap();
    let e = Morphology::from_file(&p).unwrap_err();
    assert!(e.to_string().starts_with(&format!("{}:", p.display())), "{e}");
    // Errors name the path.
    let missing = dir.join("missing.asc");
    let e = Morphology::from_file(&missing).unwrap_err();
    assert!(e.to_string().starts_with(&format!("{}: cannot read the file", missing.display())), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------
// One file per rule. The expectations are what NEURON 9.0.2 builds from the same text.

/// An eight-point soma outline, 12 x 8 um.
const SOMA: &str = r#"("CellBody"
  (Color Red)
  (CellBody)
  (  6.0   0.0  0.0  0.5)  ;  1, 1
  (  4.0   3.0  0.0  0.5)  ;  1, 2
  (  0.0   4.0  0.0  0.5)  ;  1, 3
  ( -4.0   3.0  0.0  0.5)  ;  1, 4
  ( -6.0   0.0  0.0  0.5)  ;  1, 5
  ( -4.0  -3.0  0.0  0.5)  ;  1, 6
  (  0.0  -4.0  0.0  0.5)  ;  1, 7
  (  4.0  -3.0  0.0  0.5)  ;  1, 8
)  ;  End of contour
"#;

/// Axon, dendrite and apical trees; splits; every end token.
const BASIC: &str = r#";	V3 text file written for MicroBrightField products.
(ImageCoords)

{SOMA}
( (Color DarkCyan)
  (Axon)
  (  1.0  -3.5  0.0  1.0)  ; Root
  (  1.0 -20.0  0.0  1.0)  ; 1, R
  (
    (  2.0 -25.0  0.0  0.5)  ; 1, R-1
    (  3.0 -40.0  0.0  0.5)  ; 2
     Normal
  |
    (  1.0 -20.0  0.0  0.6)  ; 1, R-2 (the parent's last point: no copy)
    ( -3.0 -40.0  0.0  0.6)  ; 2
     Incomplete
  )  ;  End of split
)  ;  End of tree

( (Color Green)
  (Dendrite)
  ( -5.0   1.0  0.0  2.0)  ; Root
  (-30.0   2.0  0.0  1.5)  ; 1
  (-50.0   2.0  1.0  1.0)  ; 2
   High
)  ;  End of tree

( (Color Magenta)
  (Apical)
  (  0.0   3.0  0.0  3.0)  ; Root
  (  0.0  60.0  0.0  2.5)  ; 1
  (
    (  5.0  80.0  0.0  1.0)
    ( 10.0 120.0  0.0  1.0)
     Low
  |
    ( -5.0  80.0  0.0  1.0)
    (-10.0 120.0  0.0  1.0)
     Generated
  |
    (  0.0  80.0  0.0  1.0)
    (  0.0 120.0  0.0  1.0)
     Midpoint
  |
    (  3.0  61.0  0.0  1.0)
    (  3.0 130.0  0.0  1.0)
     Origin
  )  ;  End of split
)  ;  End of tree
"#;

/// Everything NEURON reads and drops: header properties, a top-level marker, a text,
/// sets, spines, markers after points, a non-soma contour; commas, sample labels and a
/// bezier point inside points; a marker and a property opening branches.
const IGNORED: &str = r#";	V3 text file written for MicroBrightField products.
(Description "a test cell")
(ImageCoords Filename "C:\data\cell.jpg" Merge 65535 65535 65535 0 Coords 0.5 0.5 0 0 0)
(Sections 0 0)
(Dot (Color White) (Name "Marker 3") (10 10 0 1) (12 12 0 1))  ; a marker list
( (Color Red) (Font "Arial" 10) (5 5 0 0) "label text" )  ; a text
(Set "neuron 1"
{SOMA}
( (Color RGB (255, 0, 128)) (Dendrite) (Set "dendrites")
  (-5, 1, 0, 2)
  <(Class 4 "Mushroom")(-6 3 0 0.5)>
  <(-7 3 0 0.5)>
  (-30 2 0 2 S1)
  (-40 2 0 2 S2 (-41 2 0 2))
  (Cross (Color Red) (Name "Marker 1") (-35 3 0 1))
  (
    (OpenCircle (Name "Marker 2") (-45 5 0 1))
    (-50 10 0 1)
    (Dot (-52 12 0 1))
    Normal
  |
    (Color Blue)
    (-50 -10 0 1)
    <(-51 -11 0 0.3)>
    (-60 -20 0 1)
    High
  )
)
)  ;  End of set
("Pia" (Closed) (100 0 0 1) (110 0 0 1) (110 10 0 1))
"#;

/// The last property names the type: `(Apical) (Color Red)` is type 0, `dend_0`.
const TYPES: &str = r#"{SOMA}
( (Apical) (Color Red) (0 3 0 2) (0 30 0 2) )
( (Axon) (Color Red) (1 -3 0 1) (1 -30 0 1) )
( (Color Red) (Dendrite) (-5 0 0 2) (-30 0 0 2) )
( (Color Red) (Axon) (5 0 0 1) (30 0 0 1) )
"#;

/// Three overlapping outlines at z = 0, 2, 4: one soma of three points.
const STACK: &str = r#"("CellBody" (0 0 0 1) (8 0 0 1) (8 6 0 1) (4 9 0 1) (0 6 0 1))
("CellBody" (1 1 2 1) (9 1 2 1) (9 8 2 1) (5 10 2 1) (1 8 2 1))
("CellBody" (2 1 4 1) (8 1 4 1) (8 7 4 1) (5 8 4 1) (2 7 4 1))
( (Dendrite) (4 4 2 2) (4 40 2 2) )
"#;

/// NEURON's chk_valid: a one-point branch and a zero-length two-point branch go, and
/// the children of the first hang from its parent.
const REMOVED: &str = r#"{SOMA}
( (Dendrite)
  (0 -4 0 2)
  (0 -20 0 2)
  (
    (0 -20 0 1)
    (
      (2 -30 0 1)
      (4 -40 0 1)
    |
      (-2 -30 0 1)
      (-4 -40 0 1)
    )
  |
    (0 -20 0 1)
    (0 -20 0 1)
  |
    (3 -25 0 1)
    (6 -30 0 1)
  )
)
"#;

/// A tree whose first point is outside the soma's box, a soma contour after the trees,
/// and a soma contour of two points (ignored).
const OUTSIDE: &str = r#"( (Axon) (0 -30 0 1) (0 -60 0 1) )
("CellBody" (0 0 0 1) (1 1 0 1))
{SOMA}
( (Dendrite) (-5 0 0 2) (-30 0 0 2) )
"#;

/// No soma: the tree's root is the cell's root.
const NO_SOMA: &str = r#"( (Dendrite)
  (0 0 0 2)
  (0 30 0 2)
  (
    (5 40 0 1)
  |
    (-5 40 0 1)
    (-5 50 0 1)
  )
)
"#;

/// What NEURON built, section by section: name, 3-D points, parent and parent x.
type Expect = &'static [(&'static str, usize, Option<&'static str>, f64)];

/// Loads `text` (with the soma put in) and checks the sections against NEURON's.
fn check_sections(label: &str, text: &str, expect: Expect) -> Morphology {
    let text = text.replace("{SOMA}", SOMA);
    let m =
        Morphology::from_asc_str(&text, &format!("{label}.asc")).unwrap_or_else(|e| panic!("{label}: {e}"));
    let got: Vec<(String, usize, Option<String>, f64)> = m
        .sections
        .iter()
        .map(|s| (s.name.clone(), s.points.len(), s.parent.map(|p| m.sections[p].name.clone()), s.parent_x))
        .collect();
    let want: Vec<(String, usize, Option<String>, f64)> = expect
        .iter()
        .map(|(n, k, p, x)| (n.to_string(), *k, p.map(str::to_string), if p.is_some() { *x } else { 1.0 }))
        .collect();
    assert_eq!(got, want, "{label}");
    for s in &m.sections {
        assert_eq!(s.points.len(), s.diams.len());
        assert!(s.diams.iter().all(|d| d.is_finite() && *d > 0.0), "{label} {}", s.name);
    }
    m
}

/// Total length, area and soma area (d_lambda segments) against NEURON's.
fn check_figures(label: &str, m: Morphology, length: f64, area: f64, soma_area: f64) {
    let ours = m.total_length();
    assert!(rel(ours, length) < 1e-9, "{label} length {ours} vs {length}");
    let ns = m.sections.len();
    let cell = Cell::new(m, Passive::uniform(ns, 100.0, 1.0), &Nseg::default()).unwrap();
    assert!(rel(cell.total_area(), area) < 1e-9, "{label} area {} vs {area}", cell.total_area());
    let soma = cell.region_area(Region::Soma);
    assert!((soma - soma_area).abs() <= 1e-9 * soma_area, "{label} soma area {soma} vs {soma_area}");
}

const BASIC_SECTIONS: Expect = &[
    ("soma[0]", 21, None, 0.0),
    ("axon[0]", 2, Some("soma[0]"), 0.5),
    ("axon[1]", 3, Some("axon[0]"), 1.0),
    ("axon[2]", 2, Some("axon[0]"), 1.0),
    ("dend[0]", 3, Some("soma[0]"), 0.5),
    ("apic[0]", 2, Some("soma[0]"), 0.5),
    ("apic[1]", 3, Some("apic[0]"), 1.0),
    ("apic[2]", 3, Some("apic[0]"), 1.0),
    ("apic[3]", 3, Some("apic[0]"), 1.0),
    ("apic[4]", 3, Some("apic[0]"), 1.0),
];

#[test]
fn soma_contour_trees_splits_and_end_tokens() {
    let m = check_sections("basic", BASIC, BASIC_SECTIONS);
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    let sec = |n: &str| &m.sections[m.section_by_name(n).unwrap()];
    // Roots start at their own first point (no wire to the soma's centre).
    assert_eq!(sec("axon[0]").points[0], nalgebra::Point3::new(1.0, -3.5, 0.0));
    // A child starts with its parent's last point, with the child's own first diameter...
    let a1 = sec("axon[1]");
    assert_eq!([a1.points[0].y, a1.diams[0], a1.points[1].y], [-20.0, 0.5, -25.0]);
    // (NEURON holds 3-D points in single precision.)
    // ...unless its first point is that point.
    let a2 = sec("axon[2]");
    assert_eq!([a2.points[0].y, a2.diams[0], a2.points[1].y], [-20.0, 0.6f32 as f64, -40.0]);
    assert_eq!(sec("dend[0]").region, Region::Basal);
    assert_eq!(sec("apic[3]").region, Region::Apical);
    assert_eq!(sec("axon[1]").region, Region::Axon);
    check_figures("basic", m, 424.6209650595671, 1877.0597511836597, 248.484580737635);
}

#[test]
fn what_neuron_ignores_is_ignored() {
    let m = check_sections(
        "ignored",
        IGNORED,
        &[
            ("soma[0]", 21, None, 0.0),
            ("dend[0]", 3, Some("soma[0]"), 0.5),
            ("dend[1]", 3, Some("dend[0]"), 1.0),
            ("dend[2]", 3, Some("dend[0]"), 1.0),
        ],
    );
    let sec = |n: &str| &m.sections[m.section_by_name(n).unwrap()];
    // Spines, the marker after the points, the bezier point: not points of dend[0].
    let ys: Vec<f64> = sec("dend[0]").points.iter().map(|p| p.x).collect();
    assert_eq!(ys, [-5.0, -30.0, -40.0]);
    // NEURON counts the points of a marker that opens a branch as the branch's points.
    let xs: Vec<f64> = sec("dend[1]").points.iter().map(|p| p.x).collect();
    assert_eq!(xs, [-40.0, -45.0, -50.0]);
    // A property opening a branch is only read.
    let xs: Vec<f64> = sec("dend[2]").points.iter().map(|p| p.x).collect();
    assert_eq!(xs, [-40.0, -50.0, -60.0]);
    let w = m.warnings.join("\n");
    assert!(w.contains("3 spines ignored"), "{w}");
    assert!(w.contains("1 contour that is not a soma") && w.contains("\"Pia\" at line 42"), "{w}");
    assert!(w.contains("1 point of markers that open a branch"), "{w}");
    check_figures("ignored", m, 89.216330001654, 602.5566456874717, 248.484580737635);
}

#[test]
fn the_last_property_names_the_type() {
    let m = check_sections(
        "types",
        TYPES,
        &[
            ("soma[0]", 21, None, 0.0),
            ("dend_0[0]", 2, Some("soma[0]"), 0.5),
            ("dend_0[1]", 2, Some("soma[0]"), 0.5),
            ("dend[0]", 2, Some("soma[0]"), 0.5),
            ("axon[0]", 2, Some("soma[0]"), 0.5),
        ],
    );
    assert_eq!(m.sections[1].region, Region::Custom(0));
    check_figures("types", m, 115.53168331300536, 738.5730346976427, 248.484580737635);
}

#[test]
fn overlapping_contours_stack_into_one_soma() {
    let m =
        check_sections("stack", STACK, &[("soma[0]", 3, None, 0.0), ("dend[0]", 2, Some("soma[0]"), 0.5)]);
    // One point per contour, at its z.
    let zs: Vec<f64> = m.sections[0].points.iter().map(|p| p.z).collect();
    assert_eq!(zs, [0.0, 2.0, 4.0]);
    check_figures("stack", m, 40.7362874831439, 362.8952269274413, 136.70055586897615);
}

#[test]
fn one_point_and_zero_length_sections_are_removed() {
    let m = check_sections(
        "removed",
        REMOVED,
        &[
            ("soma[0]", 21, None, 0.0),
            ("dend[0]", 2, Some("soma[0]"), 0.5),
            ("dend[1]", 3, Some("dend[0]"), 1.0),
            ("dend[2]", 3, Some("dend[0]"), 1.0),
            ("dend[3]", 3, Some("dend[0]"), 1.0),
        ],
    );
    assert!(
        m.warnings.iter().any(|w| w.contains("2 sections of one point or of zero length removed")),
        "{:?}",
        m.warnings
    );
    check_figures("removed", m, 79.98574321143823, 513.8048348803842, 248.484580737635);
}

#[test]
fn trees_outside_the_soma_connect_to_the_nearest_soma() {
    let m = check_sections(
        "outside",
        OUTSIDE,
        &[
            ("soma[0]", 21, None, 0.0),
            ("axon[0]", 2, Some("soma[0]"), 0.5),
            ("dend[0]", 2, Some("soma[0]"), 0.5),
        ],
    );
    let w = m.warnings.join("\n");
    assert!(w.contains("line 1: the tree starting here is outside the soma's bounding box"), "{w}");
    assert!(w.contains("line 2: a soma contour of less than three points was ignored"), "{w}");
    check_figures("outside", m, 66.53168331300536, 499.81199302481843, 248.484580737635);
}

#[test]
fn without_a_soma_the_tree_is_the_cell() {
    let m = check_sections(
        "no_soma",
        NO_SOMA,
        &[
            ("dend[0]", 2, None, 0.0),
            ("dend[1]", 2, Some("dend[0]"), 1.0),
            ("dend[2]", 3, Some("dend[0]"), 1.0),
        ],
    );
    assert!(m.warnings.iter().any(|w| w.contains("no soma contour")), "{:?}", m.warnings);
    check_figures("no_soma", m, 62.36067977499789, 290.1596330616928, 0.0);

    // Two unconnected cells (NEURON keeps both, unconnected; Dendra simulates one): the
    // larger is kept, with NEURON's names.
    let two = format!("( (Axon) (0 0 0 1) (0 -10 0 1) )\n{NO_SOMA}");
    let m = Morphology::from_asc_str(&two, "two.asc").unwrap();
    let names: Vec<&str> = m.sections.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["dend[0]", "dend[1]", "dend[2]"]);
    assert!(m.warnings.iter().any(|w| w.contains("2 unconnected cells")), "{:?}", m.warnings);
}

/// The same cell whatever the line ends, with a byte order mark, tabs and comments.
#[test]
fn line_ends_comments_and_whitespace() {
    let base = BASIC.replace("{SOMA}", SOMA);
    let reference = Morphology::from_asc_str(&base, "lf.asc").unwrap();
    let variants = [
        base.replace('\n', "\r\n"),
        base.replace('\n', "\r"),
        format!("\u{feff}{}", base.replace(' ', "\t")),
        base.replace(" ;", "; comment ; (1 2 3 4) \"x\"\n ;")
            .replace("\n(", "\n; ( a commented-out line\n\n   \n("),
    ];
    for (k, text) in variants.iter().enumerate() {
        let m = Morphology::from_asc_str(text, "v.asc").unwrap_or_else(|e| panic!("variant {k}: {e}"));
        assert_eq!(m.sections.len(), reference.sections.len(), "variant {k}");
        for (a, b) in m.sections.iter().zip(&reference.sections) {
            assert_eq!(
                (&a.name, &a.points, &a.diams, a.parent),
                (&b.name, &b.points, &b.diams, b.parent),
                "variant {k}"
            );
        }
        assert!(m.warnings.is_empty(), "variant {k}: {:?}", m.warnings);
    }
    // Lines are counted in the file's own line ends; \r\n is one, a lone \r is one.
    for eol in ["\n", "\r\n", "\r"] {
        let text = format!("{SOMA}( (Dendrite)\n(0 0 0 1)\n(1 1 1 x)\n)").replace('\n', eol);
        let e = Morphology::from_asc_str(&text, "eol.asc").unwrap_err().to_string();
        assert!(e.starts_with("eol.asc:15: unexpected token \"x\""), "{eol:?}: {e}");
    }
    // Mixed line ends, as NEURON counts them: a lone \r ends a comment too.
    let text = format!("{SOMA}( (Dendrite) ; comment\r(0 0 0 1)\r\n\r(1 1 1 1)\n(2 2 2 x)\n)");
    let e = Morphology::from_asc_str(&text, "mixed.asc").unwrap_err().to_string();
    assert!(e.starts_with("mixed.asc:17: unexpected token \"x\""), "{e}");
}

#[test]
fn text_after_the_last_object_is_ignored_with_a_warning() {
    let text = format!("{SOMA}( (Dendrite) (-5 0 0 2) (-30 0 0 2) )\n) ( (Axon) (1 -3 0 1) (1 -30 0 1) )\n");
    let m = Morphology::from_asc_str(&text, "t.asc").unwrap();
    assert_eq!(m.sections.len(), 2);
    assert!(
        m.warnings.iter().any(|w| w.starts_with("line 14: \")\" does not start an object")),
        "{:?}",
        m.warnings
    );
}

// ---------------------------------------------------------------------------------
// Malformed files and the fuzz come below.

// ---------------------------------------------------------------------------------
// Malformed files: each an error `file:line: problem` that names the token.

#[test]
fn malformed_files_name_the_line_and_the_token() {
    let cases: &[(&str, &str)] = &[
        // A marker among a contour's points (NEURON: parse error).
        (
            "(\"CellBody\"\n (0 0 0 1)\n (1 0 0 1)\n (Cross (0 0 0 1))\n)\n",
            "bad.asc:4: unexpected token \"Cross\"",
        ),
        ("", "bad.asc:1: unexpected end of file, expected \"(\" starting an object"),
        ("; nothing\n; here\n", "bad.asc:2: unexpected end of file"),
        ("hello", "bad.asc:1: unexpected token \"hello\", expected \"(\" starting an object"),
        ("(1 2 3)", "bad.asc:1: unexpected token \"1\""),
        (
            "( (Name \"abc) (0 0 0 1))\n",
            "bad.asc:1: unexpected token \"\\\"abc) (0 0 0 1))\": the string has no closing",
        ),
        ("( (Dendrite)\n (0 0 0 1)\n @ )\n", "bad.asc:3: unexpected token \"@\""),
        ("( (Dendrite)\n (0 0 0 1)\n (1 1 1 1) # )\n", "bad.asc:3: unexpected token \"#\""),
        (
            "( (Dendrite)\n (0 0 0 1)\n (1 1 1 1)\n (\n (2 2 2 1)\n |\n (3 3 3 1)\n",
            "bad.asc:7: unexpected end of file, expected \"|\" or \")\"",
        ),
        (
            "( (Dendrite) (0 0 0 1) (1 1 1 1)\n",
            "bad.asc:1: unexpected end of file, expected \")\" closing the tree",
        ),
        ("( (Dendrite)\n (0 nan 0 1)\n (1 1 1 1))\n", "bad.asc:2: \"nan\" is not a finite number (y)"),
        ("( (Dendrite)\n (1e999 0 0 1)\n (1 1 1 1))\n", "bad.asc:2: \"1e999\" is not a finite number (x)"),
        ("( (Dendrite)\n (0 0 2e9 1)\n (1 1 1 1))\n", "bad.asc:2: \"2e9\" is out of range (z"),
        ("( (Dendrite)\n (0 0 0 1)\n (1 1 1 -1))\n", "bad.asc:3: negative diameter \"-1\""),
        (
            "( (Dendrite)\n (0 0 0 1)\n (1 1 1 1)\n (\n (Color Red)\n |\n (5 5 0 1)\n )\n)\n",
            "bad.asc:6: unexpected token \"|\", expected a point",
        ),
        (
            "( (Dendrite) (Set \"x\" (\"CellBody\" (0 0 0 1))) (0 0 0 1))",
            "bad.asc:1: unexpected token \"(\", expected \")\" closing the set",
        ),
        (
            "( (Dendrite)\n (0 0 0 1)\n (1 1 1 1)\n (Dot (0 0 0 1)\n",
            "bad.asc:4: unexpected end of file, expected \")\" closing the marker",
        ),
        ("( (Settings 1) (0 0 0 1) (1 1 1 1))", "bad.asc:1: unexpected token \"tings\""),
        ("( (Dendrite) (0) )", "bad.asc:1: unexpected token \")\", expected a number (the y of a point)"),
        ("( (0 0 0 1) \"text\" x)", "bad.asc:1: unexpected token \"x\""),
        (
            "( (Dendrite) (0 0 0 1) <(1 1 1 1) (2 2 2 2))",
            "bad.asc:1: unexpected token \"(\", expected \">\" closing the spine",
        ),
        ("( (Color RGB (1, 2)) (0 0 0 1))", "bad.asc:1: unexpected token \")\", expected a number (blue)"),
        (
            "(\"CellBody\"\n (1 1 0 1)\n (1 1 0 1)\n (1 1 0 1)\n)\n",
            "bad.asc:2: the soma contour starting here has no width",
        ),
        ("(ImageCoords)\n(Dot (1 2 3 4))\n", "bad.asc: no soma contour and no tree"),
    ];
    for (text, want) in cases {
        let e = Morphology::from_asc_str(text, "bad.asc").expect_err(want);
        let shown = e.to_string();
        assert!(shown.starts_with(want), "{text:?}:\n  got  {shown}\n  want {want}...");
        assert_eq!(e.file, "bad.asc");
    }
}

/// Deep nesting (splits in splits, sets in sets) needs no recursion.
#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let n = 50_000;
    let mut text = String::from("( (Dendrite)\n(0 0 0 1)\n(1 0 0 1)\n");
    for k in 0..n {
        text.push_str(&format!("( ({} 0 0 1)\n", k + 2));
    }
    text.push_str(&")".repeat(n));
    text.push_str(")\n");
    let m = Morphology::from_asc_str(&text, "deep.asc").unwrap();
    assert_eq!(m.sections.len(), n + 1);
    assert_eq!(m.sections[n].parent, Some(n - 1));

    let sets = format!("{}{SOMA}{}", "(Set \"s\" ".repeat(n), ")".repeat(n));
    let m = Morphology::from_asc_str(&sets, "sets.asc").unwrap();
    assert_eq!(m.sections.len(), 1);
    // Unclosed: an error, not a crash.
    let e = Morphology::from_asc_str(&"( (Dendrite) (0 0 0 1) (".repeat(n), "open.asc").unwrap_err();
    assert!(e.to_string().starts_with("open.asc:1: unexpected"), "{e}");
}

// ---------------------------------------------------------------------------------
// Bounded fuzz: mutations of cell2.asc, random token soup and random valid trees. No
// input may panic; a result must be a usable cell; an error must read `file:line: ...`.

const FILE: &str = "fuzz.asc";

/// Parses under catch_unwind and checks the outcome; returns whether it loaded.
/// `deep` also builds the cell and its mesh.
fn check(text: &str, case: &str, deep: bool) -> bool {
    let result = match catch_unwind(|| Morphology::from_asc_str(text, FILE)) {
        Ok(r) => r,
        Err(_) => panic!("the reader panicked on {case}:\n{}", preview(text)),
    };
    match result {
        Ok(m) => {
            if let Err(why) = usable(&m) {
                panic!("{case}: {why}\n{}", preview(text));
            }
            if deep {
                downstream(m, case, text);
            }
            true
        }
        Err(e) => {
            let shown = e.to_string();
            let prefix = match e.line {
                Some(l) => {
                    // Lines end at \r\n, \n or \r, as NEURON reads them.
                    let lines = text.replace("\r\n", "\n").split(['\n', '\r']).count();
                    assert!(l >= 1 && l <= lines, "{case}: line {l} of {lines}: {shown}");
                    format!("{FILE}:{l}: ")
                }
                None => format!("{FILE}: "),
            };
            assert!(shown.starts_with(&prefix), "{case}: {shown}");
            assert!(shown.len() > prefix.len(), "{case}: empty message");
            assert!(shown.len() < 400, "{case}: message too long: {shown}");
            false
        }
    }
}

/// What every loaded morphology guarantees downstream.
fn usable(m: &Morphology) -> Result<(), String> {
    if m.sections.is_empty() {
        return Err("no sections".into());
    }
    if m.sections[0].parent.is_some() {
        return Err("section 0 has a parent".into());
    }
    let mut names = std::collections::HashSet::new();
    for (i, s) in m.sections.iter().enumerate() {
        if i > 0 && s.parent.is_none_or(|p| p >= i) {
            return Err(format!("{}: parent {:?}", s.name, s.parent));
        }
        if s.points.len() < 2 || s.points.len() != s.diams.len() {
            return Err(format!("{}: {} points, {} diameters", s.name, s.points.len(), s.diams.len()));
        }
        if !s.points.iter().all(|p| p.coords.iter().all(|v| v.is_finite())) {
            return Err(format!("{}: a point is not finite", s.name));
        }
        if !s.diams.iter().all(|d| d.is_finite() && *d >= 0.02) {
            return Err(format!("{}: diameters {:?}", s.name, s.diams));
        }
        if !(0.0..=1.0).contains(&s.parent_x) {
            return Err(format!("{}: parent x {}", s.name, s.parent_x));
        }
        if !names.insert(s.name.clone()) {
            return Err(format!("{}: twice", s.name));
        }
    }
    Ok(())
}

/// cell2.asc cut into its header (comment, image coordinates, soma) and its trees.
fn cell2_parts() -> (String, Vec<String>) {
    let text = std::fs::read_to_string(cell2_path()).unwrap();
    let lines: Vec<&str> = text.split('\n').collect();
    let starts: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].starts_with("( ")).collect();
    assert!(starts.len() >= 5, "{} trees", starts.len());
    let header = lines[..starts[0]].join("\n") + "\n";
    let mut trees = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(lines.len());
        trees.push(lines[s..end].join("\n") + "\n");
    }
    (header, trees)
}

const TOKENS: &[&str] = &[
    "(",
    ")",
    "(",
    ")",
    "|",
    ",",
    "<",
    ">",
    "Normal",
    "Incomplete",
    "High",
    "(Dot",
    "(Cross",
    "(Color Red)",
    "(Dendrite)",
    "(Axon)",
    "(Apical)",
    "\"CellBody\"",
    "\"",
    "\"text\"",
    ";",
    "Set",
    "RGB",
    "nan",
    "1e999",
    "-1",
    "0",
    "2e9",
    "@",
    "S1",
    "(1 2 3 4)",
    "(1 2)",
    "\r",
    "\n",
    "\u{feff}",
    "é",
    "\0",
];

/// One random mutation of a file's text.
fn mutate(rng: &mut Rng, text: &mut String) {
    let mut bytes = std::mem::take(text).into_bytes();
    let line_starts = |b: &[u8]| -> Vec<usize> {
        let mut v = vec![0];
        v.extend(b.iter().enumerate().filter(|(_, c)| **c == b'\n').map(|(i, _)| i + 1));
        v
    };
    let starts = line_starts(&bytes);
    let k = rng.below(starts.len());
    let line_end = starts.get(k + 1).copied().unwrap_or(bytes.len());
    match rng.below(8) {
        // Delete a line.
        0 => {
            bytes.drain(starts[k]..line_end);
        }
        // Duplicate a run of lines elsewhere.
        1 => {
            let end = starts.get(k + 1 + rng.below(20)).copied().unwrap_or(bytes.len());
            let chunk = bytes[starts[k]..end].to_vec();
            let at = starts[rng.below(starts.len())];
            bytes.splice(at..at, chunk);
        }
        // Flip bytes.
        2 => {
            for _ in 0..1 + rng.below(4) {
                if bytes.is_empty() {
                    break;
                }
                let i = rng.below(bytes.len());
                bytes[i] = match rng.below(4) {
                    0 => rng.below(256) as u8,
                    1 => bytes[i] ^ (1 << rng.below(8)),
                    2 => b"()|,<>;\" \r\n0123456789.-eE"[rng.below(25)],
                    _ => b'\n',
                };
            }
        }
        // Insert a token.
        3 | 4 => {
            let at = starts[k] + rng.below(line_end - starts[k] + 1);
            let tok = format!(" {} ", rng.pick(TOKENS));
            bytes.splice(at..at, tok.into_bytes());
        }
        // Replace a number with a special value.
        5 => {
            let line = String::from_utf8_lossy(&bytes[starts[k]..line_end]).into_owned();
            let mut toks: Vec<String> = line.split(' ').map(str::to_string).collect();
            let t = rng.below(toks.len());
            toks[t] = rng
                .pick(&["nan", "inf", "-1", "0", "1e308", "2e9", "x", "", "(", ")", "0.0000001"])
                .to_string();
            bytes.splice(starts[k]..line_end, toks.join(" ").into_bytes());
        }
        // Truncate.
        6 => {
            let n = rng.below(bytes.len() + 1);
            bytes.truncate(n);
        }
        // Delete a byte range.
        _ => {
            if !bytes.is_empty() {
                let a = rng.below(bytes.len());
                let b = (a + 1 + rng.below(200)).min(bytes.len());
                bytes.drain(a..b);
            }
        }
    }
    *text = String::from_utf8_lossy(&bytes).into_owned();
}

#[test]
fn fuzz_mutations_of_cell2() {
    let (header, trees) = cell2_parts();
    let whole = std::fs::read_to_string(cell2_path()).unwrap();
    let mut rng = Rng(0x5eed_0a5c_c0de_0002);
    let mut outcomes = [0usize; 2];
    for case in 0..1200 {
        // Mostly the soma and one small tree (cheap); now and then the whole cell.
        let mut text = if case % 100 == 0 {
            whole.clone()
        } else {
            let tree = loop {
                let t = &trees[rng.below(trees.len())];
                if t.len() < 30_000 || rng.chance(5) {
                    break t;
                }
            };
            let mut t = header.clone() + tree;
            if rng.chance(30) {
                t.push_str(&trees[rng.below(trees.len())][..]);
            }
            t
        };
        for _ in 0..1 + rng.below(3) {
            mutate(&mut rng, &mut text);
        }
        let ok = check(&text, &format!("mutation {case}"), case % 4 == 0);
        outcomes[ok as usize] += 1;
    }
    assert!(outcomes[0] > 100 && outcomes[1] > 100, "errors/oks: {outcomes:?}");
}

#[test]
fn fuzz_token_soup() {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let mut outcomes = [0usize; 2];
    for case in 0..2000 {
        let mut text = String::new();
        // A valid start now and then, so that the soup reaches deeper into the grammar.
        if rng.chance(50) {
            text.push_str(SOMA);
            text.push_str("( (Dendrite) (0 5 0 1) (0 20 0 1)");
        }
        for _ in 0..rng.below(60) {
            text.push_str(rng.pick(TOKENS));
            text.push_str(rng.pick(&[" ", " ", "\n", "\r\n", "\t", ""]));
            if rng.chance(10) {
                text.push_str(&format!(
                    "({:.2} {:.2} {:.2} {:.2})",
                    rng.coord(100.0),
                    rng.coord(100.0),
                    0.0,
                    rng.coord(4.0)
                ));
            }
        }
        if rng.chance(50) {
            text.push_str(&")".repeat(rng.below(4)));
        }
        let ok = check(&text, &format!("soup {case}"), true);
        outcomes[ok as usize] += 1;
    }
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "errors/oks: {outcomes:?}");
}

/// A random valid cell: a soma outline and trees with splits, markers, spines and end
/// tokens. Returns the text and its number of branches (every one a section).
fn random_cell(rng: &mut Rng) -> (String, usize) {
    let mut text = String::from(";\tV3 text file written for MicroBrightField products.\n(ImageCoords)\n");
    let soma = rng.chance(90);
    if soma {
        text.push_str("(\"CellBody\"\n  (Color Red)\n  (CellBody)\n");
        let n = 3 + rng.below(30);
        let (rx, ry) = (3.0 + rng.coord(4.0).abs(), 3.0 + rng.coord(4.0).abs());
        for k in 0..n {
            let a = k as f64 / n as f64 * std::f64::consts::TAU;
            text.push_str(&format!("  ({:.2} {:.2} -1.00 0.25)\n", rx * a.cos(), ry * a.sin()));
        }
        text.push_str(")  ;  End of contour\n");
    }
    let mut branches = 0;
    let trees = if soma { 1 + rng.below(4) } else { 1 };
    for _ in 0..trees {
        let kind = rng.pick(&["(Axon)", "(Dendrite)", "(Apical)"]);
        text.push_str(&format!("( (Color Green)\n  {kind}\n"));
        // An explicit stack of open splits: how many branches each still has to write.
        let mut open: Vec<usize> = Vec::new();
        let mut at = [rng.coord(4.0), rng.coord(4.0), 0.0];
        let budget = branches + 1 + rng.below(40);
        let mut root = true;
        loop {
            branches += 1;
            // (A root of one point would be removed, as NEURON removes it.)
            let points = if root { 2 + rng.below(5) } else { 1 + rng.below(6) };
            root = false;
            for p in 0..points {
                at = [at[0] + rng.coord(20.0), at[1] + rng.coord(20.0), at[2] + rng.coord(4.0)];
                text.push_str(&format!(
                    "  ({:.2}, {:.2} {:.2} {:.2}",
                    at[0],
                    at[1],
                    at[2],
                    0.1 + rng.coord(2.0).abs()
                ));
                text.push_str(if rng.chance(10) { " S1)" } else { ")" });
                text.push_str(if rng.chance(20) { "  ; 1, R-1\n" } else { "\n" });
                if p > 0 && rng.chance(5) {
                    text.push_str("  <(Class 4 \"Mushroom\")(1 2 3 0.5)>\n");
                }
            }
            if rng.chance(15) {
                text.push_str(
                    "  (Dot (Color RGB (128, 255, 0)) (Name \"Marker 1\") (1 2 3 0.3))  ;  End of markers\n",
                );
            }
            if branches < budget && rng.chance(40) {
                text.push_str("  (\n");
                open.push(1 + rng.below(3));
                continue;
            }
            text.push_str(&format!(
                "   {}\n",
                rng.pick(&["Normal", "Incomplete", "High", "Low", "Generated", "Midpoint", "Origin"])
            ));
            // Close finished splits; go on with the next branch of the innermost open one.
            loop {
                match open.last_mut() {
                    None => break,
                    Some(0) => {
                        open.pop();
                        text.push_str("  )  ;  End of split\n");
                    }
                    Some(left) => {
                        *left -= 1;
                        text.push_str("  |\n");
                        break;
                    }
                }
            }
            if open.is_empty() {
                break;
            }
        }
        text.push_str(")  ;  End of tree\n");
    }
    (text, branches + usize::from(soma))
}

#[test]
fn fuzz_random_valid_cells_load_whole() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for case in 0..400 {
        let (text, sections) = random_cell(&mut rng);
        let label = format!("random cell {case}");
        assert!(check(&text, &label, true), "{label} did not load:\n{}", preview(&text));
        let m = Morphology::from_asc_str(&text, FILE).unwrap();
        assert_eq!(m.sections.len(), sections, "{label}: {:?}\n{}", m.warnings, preview(&text));
        // Mutated, it must still never panic.
        let mut text = text;
        mutate(&mut rng, &mut text);
        check(&text, &format!("mutated {label}"), false);
    }
}

//! Sections as NEURON's Import3d builds them from an SWC tree (docs/biophysics.md 9.2;
//! NEURON's `read_swc.hoc` and `import3d_gui.hoc` define the behaviour reproduced here).
//!
//! The rules, in short:
//! - points are taken in file order (parents before children); a section is a run of
//!   consecutive points, ending at a leaf, at a point with several children or a child
//!   that does not follow it directly, and before a change of type;
//! - a chain of soma points stays one section unless the soma itself branches;
//! - NeuroMorpho's three-point soma (centre plus two points at +-r) keeps only its
//!   centre point; a one-point soma becomes a cylinder of length and diameter 2r;
//! - each child section starts with a copy of its parent's point, with the parent's
//!   diameter, except children of the soma, whose first point takes their own diameter;
//! - neurites attach at soma(0.5) when they leave a one-point soma or an interior soma
//!   point; those with more than one point of their own then start at their own first
//!   point (the gap to the soma centre is not modelled: a "wire");
//! - sections of one point, or of two coincident points, are removed and their children
//!   reattached to the parent;
//! - the root of a fragment (a further tree of the file, not connected to the main one)
//!   starts a section as if its parent were the file's first point: NEURON's reader
//!   looks the missing parent up at index -1, which its vectors read as index 0. So a
//!   fragment leaving a soma connects at soma(0.5), by a wire when it has more than one
//!   point, and a one-point fragment becomes a section from the first soma point to it;
//!   without soma it connects at the root section's 1 end.

use super::section::{Region, Section};
use super::swc::{SwcData, SwcPoint};
use nalgebra::Point3;

const ONE_CHILD: u32 = 100;

struct RawSection {
    /// First own point (index into the SWC points).
    first: usize,
    /// Point indices, the parent copy first for non-root sections.
    pts: Vec<usize>,
    /// Diameters for `pts` (the parent copy may take the child's diameter).
    diams: Vec<f64>,
    kind: i32,
    parent: Option<usize>,
    parent_x: f64,
    /// Skip the first point (a wire to the parent).
    wire: bool,
    removed: bool,
}

/// Builds NEURON's sections from a validated SWC tree. Returns the sections (parents
/// before children, names as Import3d gives them) and warnings. Import3d's steps in
/// order: branch points marked, a NeuroMorpho three-point soma recognised, soma chains
/// kept whole, the points cut into sections, each section's attachment to its parent,
/// `chk_valid`, then the sections instantiated.
pub fn sections_from_swc(swc: &SwcData) -> (Vec<Section>, Vec<String>) {
    let pts = &swc.points;
    let n = pts.len();
    let mut warnings = Vec::new();
    if n == 0 {
        return (Vec::new(), warnings);
    }
    let mut pix: Vec<Option<usize>> = swc.parent.clone();
    let mut marks = Marks::new(pts, &pix);
    let soma3 = three_point_soma(pts, &mut pix, &marks);
    marks.keep_soma_chains(pts, &pix);
    let (point2sec, ends) = section_ends(&marks.nchild);
    let mut raws = raw_sections(pts, &pix, &marks, &point2sec, &ends, soma3);
    chk_valid(pts, &mut raws, &mut warnings);
    (instantiate(pts, &raws), warnings)
}

/// What Import3d's `mark_branch` finds: child counts (x100), +1 for a child that does
/// not follow its parent directly, +1 for a change of type; NEURON's wire wrinkle
/// (`connect2prox`); each soma point's soma children.
struct Marks {
    nchild: Vec<u32>,
    connect2prox: Vec<bool>,
    nchild_soma: Vec<u32>,
    nsoma: usize,
}

impl Marks {
    fn new(pts: &[SwcPoint], pix: &[Option<usize>]) -> Marks {
        let n = pts.len();
        let kind = |i: usize| pts[i].kind;
        let mut nchild = vec![0u32; n];
        let mut connect2prox = vec![false; n];
        for i in 0..n {
            if let Some(p) = pix[i] {
                nchild[p] += ONE_CHILD;
                if p + 1 != i {
                    nchild[p] += 1;
                    // A fragment root's missing parent reads as point 0 in NEURON.
                    if p > 1 && kind(p) != 1 && kind(pix[p].unwrap_or(0)) == 1 {
                        connect2prox[i] = true;
                        nchild[p] = ONE_CHILD;
                    }
                }
                if kind(p) != kind(i) {
                    nchild[p] += 1;
                }
            }
        }
        let mut nchild_soma = vec![0u32; n];
        let mut nsoma = 0;
        for i in 0..n {
            if kind(i) == 1 {
                nsoma += 1;
                if let Some(p) = pix[i]
                    && kind(p) == 1
                {
                    nchild_soma[p] += 1;
                }
            }
        }
        Marks { nchild, connect2prox, nchild_soma, nsoma }
    }

    /// A chain of soma points is one section unless the soma branches there.
    fn keep_soma_chains(&mut self, pts: &[SwcPoint], pix: &[Option<usize>]) {
        let n = pts.len();
        let kind = |i: usize| pts[i].kind;
        for i in 0..n.saturating_sub(1) {
            if kind(i) == 1
                && kind(i + 1) == 1
                && pix[i + 1] == Some(i)
                && !(i != 0 && self.nchild_soma[i] > 1)
            {
                self.nchild[i] = ONE_CHILD;
            }
        }
    }
}

/// NeuroMorpho's three-point soma (centre, then two points at distance r, no children):
/// recognised, its third point re-parented to the second as Import3d does.
fn three_point_soma(pts: &[SwcPoint], pix: &mut [Option<usize>], marks: &Marks) -> bool {
    let n = pts.len();
    let kind = |i: usize| pts[i].kind;
    let diam = |i: usize| 2.0 * pts[i].radius;
    let (nchild, nsoma) = (&marks.nchild, marks.nsoma);
    let mut soma3 = false;
    if nsoma == 3
        && n >= 3
        && (0..3).all(|i| kind(i) == 1)
        && pix[1] == Some(0)
        && pix[2] == Some(0)
        && nchild[1] == 0
        && nchild[2] == 0
        && diam(1) == diam(0)
        && diam(2) == diam(0)
    {
        let len = (1..3).map(|i| dist(&pts[i].pos, &pts[0].pos)).sum::<f64>();
        if (len / diam(0) - 1.0).abs() < 0.01 {
            soma3 = true;
            pix[2] = Some(1);
        }
    }
    soma3
}

/// Where each section ends (a point with other than one child, or the last), and the
/// section of each point.
fn section_ends(nchild: &[u32]) -> (Vec<usize>, Vec<usize>) {
    let n = nchild.len();
    let mut point2sec = vec![0usize; n];
    let mut ends = Vec::new();
    for i in 0..n {
        point2sec[i] = ends.len();
        if nchild[i] != ONE_CHILD || i == n - 1 {
            ends.push(i);
        }
    }

    (point2sec, ends)
}

/// The sections as Import3d holds them before instantiation: their points, diameters and
/// where each attaches to its parent (`parent_x`, and whether its first point is a wire).
fn raw_sections(
    pts: &[SwcPoint],
    pix: &[Option<usize>],
    marks: &Marks,
    point2sec: &[usize],
    ends: &[usize],
    soma3: bool,
) -> Vec<RawSection> {
    let kind = |i: usize| pts[i].kind;
    let diam = |i: usize| 2.0 * pts[i].radius;
    let (nchild_soma, connect2prox) = (&marks.nchild_soma, &marks.connect2prox);
    let mut raws: Vec<RawSection> = Vec::with_capacity(ends.len());
    let mut first = 0;
    for (isec, &last) in ends.iter().enumerate() {
        let end = last + 1;
        let r = if isec == 0 {
            let end = if soma3 { 1 } else { end };
            let idx: Vec<usize> = (first..end).collect();
            let diams = idx.iter().map(|&i| diam(i)).collect();
            RawSection {
                first,
                pts: idx,
                diams,
                kind: kind(first),
                parent: None,
                parent_x: 1.0,
                wire: false,
                removed: false,
            }
        } else {
            // A fragment's root has no parent point: NEURON's index -1 reads point 0
            // (and section 0), but compares as -1 with point indices.
            let fragment = pix[first].is_none();
            let pp = pix[first].unwrap_or(0);
            let psec = point2sec[pp];
            let own = end - first;
            let parent = &raws[psec];
            let psec_first = parent.first;
            let psec_npts = parent.pts.len();
            let ptype = parent.kind;
            let den_con_soma = ptype == 1 && kind(first) != 1;
            let mut parent_x = 1.0;
            let mut wire = false;
            let mut handled = false;
            if psec == 0 {
                handled = true;
                if den_con_soma && psec_npts == 1 {
                    parent_x = 0.5;
                    wire = own > 1;
                } else if !fragment && pp == psec_first {
                    parent_x = 0.0;
                    wire = kind(first) != 1 && nchild_soma[pp] > 1;
                } else {
                    handled = false;
                }
            }
            if !handled && ptype == 1 {
                let last_own =
                    if psec == 0 { psec_first + psec_npts - 1 } else { psec_first + psec_npts - 2 };
                if fragment || pp < last_own {
                    parent_x = 0.5;
                    wire = den_con_soma && own > 1;
                } else if own > 1 && nchild_soma[pp] > 1 && kind(first) != 1 {
                    wire = true;
                }
            }
            let mut idx = vec![pp];
            idx.extend(first..end);
            let mut diams: Vec<f64> = idx.iter().map(|&i| diam(i)).collect();
            if ptype == 1 && kind(first) != 1 {
                diams[0] = diams[1];
            }
            if connect2prox[first] {
                parent_x = 0.0;
            }
            RawSection {
                first,
                pts: idx,
                diams,
                kind: kind(first),
                parent: Some(psec),
                parent_x,
                wire,
                removed: false,
            }
        };
        raws.push(r);
        first = end;
    }
    raws
}

/// `chk_valid`: remove one-point sections and two-point sections of zero length, and
/// reattach their children to the removed section's parent at its parent_x (NEURON does
/// this from the last section back; resolving in section order, parents first, gives the
/// same result in linear time).
fn chk_valid(pts: &[SwcPoint], raws: &mut [RawSection], warnings: &mut Vec<String>) {
    let mut removed = 0;
    for i in 1..raws.len() {
        let r = &raws[i];
        let k = r.pts.len() - usize::from(r.wire);
        let o = usize::from(r.wire);
        // NEURON removes two coincident points; more than two, all at one place, would
        // make a section of no length and no membrane (NEURON then fails on it): gone too.
        let zero = k >= 2 && r.pts[o..].iter().all(|&q| pts[q].pos == pts[r.pts[o]].pos);
        if k <= 1 || zero {
            raws[i].removed = true;
            removed += 1;
        }
    }
    for i in 1..raws.len() {
        if let Some(p) = raws[i].parent
            && raws[p].removed
        {
            // `p` comes before `i` and is resolved already.
            raws[i].parent = raws[p].parent;
            raws[i].parent_x = raws[p].parent_x;
        }
    }
    if removed > 0 {
        warnings.push(format!(
            "{removed} section(s) of one point or of zero length were removed and their children reattached (as NEURON's Import3d does)"
        ));
    }
}

/// Instantiates the sections: names by type in section order, points (without a wire's
/// first point), a one-point section drawn as a cylinder along x of length and diameter d.
fn instantiate(pts: &[SwcPoint], raws: &[RawSection]) -> Vec<Section> {
    let mut new_index = vec![usize::MAX; raws.len()];
    let mut count_by_type: std::collections::BTreeMap<i32, usize> = Default::default();
    let mut out = Vec::with_capacity(raws.len());
    for (i, r) in raws.iter().enumerate() {
        if r.removed {
            continue;
        }
        let region = Region::from_swc_type(r.kind);
        let c = count_by_type.entry(r.kind).or_insert(0);
        let name = format!("{}[{}]", region.stem(), *c);
        *c += 1;
        let o = usize::from(r.wire);
        let mut points: Vec<Point3<f64>> = r.pts[o..].iter().map(|&k| Point3::from(pts[k].pos)).collect();
        let mut diams: Vec<f64> = r.diams[o..].to_vec();
        // A root (the soma) whose points all coincide (a soma point written twice) is a
        // one-point soma: the same cylinder as one point gives, of its largest diameter.
        if i == 0 && points.len() > 1 && points.iter().all(|q| *q == points[0]) {
            let d = diams.iter().copied().fold(0.0, f64::max);
            (points, diams) = (vec![points[0]], vec![d]);
        }
        if points.len() == 1 {
            let (p, d) = (points[0], diams[0]);
            points = vec![p - nalgebra::Vector3::x() * (d / 2.0), p, p + nalgebra::Vector3::x() * (d / 2.0)];
            diams = vec![d, d, d];
        }
        let parent = r.parent.map(|p| new_index[p]);
        new_index[i] = out.len();
        out.push(Section::new(name, region, parent, r.parent_x, points, diams, pts[r.first].line));
    }
    out
}

fn dist(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

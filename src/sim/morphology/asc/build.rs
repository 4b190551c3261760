//! Import3d's steps after reading: the soma first, contour stacks, trees connected to the
//! soma, `chk_valid`, names, and the points each section is given; then the largest cell
//! kept.

#[allow(unused_imports)]
use super::*;

/// Most (soma, tree) pairs the connection step may try: NEURON's rule is quadratic in
/// them, so a file of many separate somas and many trees is refused rather than slow.
pub const MAX_SOMA_TREE_PAIRS: usize = 50_000_000;

/// A value as NEURON's instantiate writes it (`%.8g`) and stores it (single precision).
pub(super) fn neuron_value(v: f64, long: bool) -> f64 {
    let v = if long { format!("{v:.7e}").parse().unwrap_or(v) } else { v };
    v as f32 as f64
}

/// Import3d's steps after reading: soma first, stacks, roots to the soma, `chk_valid`,
/// names, and the points each section is given.
pub(super) fn build(p: &Parser) -> Result<(Vec<Section>, Vec<String>), MorphError> {
    let mut warnings = Vec::new();
    what_was_ignored(p, &mut warnings);
    if p.secs.is_empty() {
        return Err(MorphError::new(
            p.file,
            None,
            "no soma contour and no tree: nothing to build a cell from",
        ));
    }

    let (mut secs, nsoma) = soma_first(p);
    let somas = stacks(&mut secs, nsoma, &p.pts, &mut warnings);
    connect_roots(p, &mut secs, nsoma, &somas, &mut warnings)?;
    let removed = chk_valid(&mut secs, &p.pts, &mut warnings);
    let (out, thin_soma) = instantiate(p, &secs, &removed)?;
    let thin = p.thin + thin_soma;
    if thin > 0 {
        warnings.push(format!(
            "{thin} point{} with a diameter below {} um raised to it",
            plural(thin),
            2.0 * MIN_RADIUS_UM
        ));
    }
    let out = keep_largest_cell(out, &mut warnings);
    Ok((out, warnings))
}

/// Warnings about what NEURON ignores or counts otherwise: spines, contours that are not
/// a soma, marker points that open a branch.
fn what_was_ignored(p: &Parser, warnings: &mut Vec<String>) {
    if p.spines > 0 {
        warnings.push(format!("{} spine{} ignored (as NEURON ignores them)", p.spines, plural(p.spines)));
    }
    if p.ignored_contours > 0 {
        let (name, line) = p.first_ignored.clone().unwrap_or_default();
        warnings.push(format!(
            "{} contour{} that {} not a soma (\"CellBody\") ignored, the first \"{name}\" at line {line}",
            p.ignored_contours,
            plural(p.ignored_contours),
            if p.ignored_contours == 1 { "is" } else { "are" }
        ));
    }
    if p.marker_points > 0 {
        warnings.push(format!(
            "{} point{} of markers that open a branch counted as points of the branch (as NEURON does)",
            p.marker_points,
            plural(p.marker_points)
        ));
    }
}

/// The sections with the soma contours first, in file order (the others keep theirs),
/// parents renumbered; and how many soma contours there are.
fn soma_first(p: &Parser) -> (Vec<RawSec>, usize) {
    // Soma contours first, in file order; the others keep their order.
    let n = p.secs.len();
    let mut order: Vec<usize> = (0..n).filter(|&i| p.secs[i].contour).collect();
    let nsoma = order.len();
    order.extend((0..n).filter(|&i| !p.secs[i].contour));
    let mut new_of = vec![0usize; n];
    for (k, &i) in order.iter().enumerate() {
        new_of[i] = k;
    }
    let mut secs: Vec<RawSec> = order.iter().map(|&i| p.secs[i].clone()).collect();
    for s in &mut secs {
        s.parent = s.parent.map(|q| new_of[q]);
    }
    (secs, nsoma)
}

/// Stacks: a contour whose x-y box overlaps the previous contour's joins the stack (a
/// subsidiary of the stack's first). Returns the somas: each stack's first contour.
fn stacks(secs: &mut [RawSec], nsoma: usize, pts: &[Pt], warnings: &mut Vec<String>) -> Vec<usize> {
    let own = |s: &RawSec| &pts[s.begin..s.end];
    let mut somas: Vec<usize> = Vec::new();
    let mut prev_box = [0.0; 6];
    for i in 0..nsoma {
        let b = bbox(own(&secs[i]));
        let overlaps = i > 0 && (0..2).all(|k| !(prev_box[k] > b[k + 3] || b[k] > prev_box[k + 3]));
        if overlaps {
            let head = *somas.last().expect("a contour before");
            secs[head].stack.push(i);
            secs[i].subsidiary = true;
        } else {
            somas.push(i);
        }
        prev_box = b;
    }
    for &s in &somas {
        if !secs[s].stack.is_empty() {
            stack_checks(secs, s, pts, warnings);
        }
    }

    somas
}

/// Roots to the soma: a tree that starts inside a soma's box hangs from it at 0.5; one
/// outside, from the nearest soma's centre (as NEURON does, said in a warning).
fn connect_roots(
    p: &Parser,
    secs: &mut [RawSec],
    nsoma: usize,
    somas: &[usize],
    warnings: &mut Vec<String>,
) -> Result<(), MorphError> {
    let (pts, n) = (&p.pts, secs.len());
    let own = |s: &RawSec| &pts[s.begin..s.end];
    let mut roots: Vec<usize> = (nsoma..n).filter(|&i| secs[i].parent.is_none()).collect();
    // NEURON tries every tree against every soma; keep that work bounded.
    if somas.len().saturating_mul(roots.len()) > MAX_SOMA_TREE_PAIRS {
        return Err(MorphError::new(
            p.file,
            None,
            format!(
                "{} separate soma contours and {} trees: too many to connect (at most {MAX_SOMA_TREE_PAIRS} pairs)",
                somas.len(),
                roots.len()
            ),
        ));
    }
    if somas.is_empty() {
        warnings.push("no soma contour (\"CellBody\"): the trees are not connected to a soma".into());
    } else {
        let mut centers = Vec::with_capacity(somas.len());
        for &s in somas {
            let (center, lo, hi) = if secs[s].stack.is_empty() {
                let c = own(&secs[s]);
                let mut x: Vec<f64> = c.iter().map(|p| p.v[0]).collect();
                let mut y: Vec<f64> = c.iter().map(|p| p.v[1]).collect();
                let mut z: Vec<f64> = c.iter().map(|p| p.v[2]).collect();
                let center = contour_center(&mut x, &mut y, &mut z);
                let b = bbox(c);
                (center, [b[0] - 0.5, b[1] - 0.5], [b[3] + 0.5, b[4] + 0.5])
            } else {
                let all: Vec<&[Pt]> =
                    std::iter::once(s).chain(secs[s].stack.iter().copied()).map(|k| own(&secs[k])).collect();
                let mut b = bbox(all[0]);
                for c in &all[1..] {
                    let bc = bbox(c);
                    for j in 0..3 {
                        b[j] = b[j].min(bc[j]);
                        b[j + 3] = b[j + 3].max(bc[j + 3]);
                    }
                }
                (stack_center(&all), [b[0], b[1]], [b[3], b[4]])
            };
            centers.push(center);
            roots.retain(|&r| {
                let q = pts[secs[r].begin].v;
                let inside = q[0] >= lo[0] && q[0] <= hi[0] && q[1] >= lo[1] && q[1] <= hi[1];
                if inside {
                    secs[r].parent = Some(s);
                    secs[r].parent_x = 0.5;
                }
                !inside
            });
        }
        let mut imin = 0;
        for &r in &roots {
            let q = pts[secs[r].begin];
            let mut dmin = 1e9;
            for (j, c) in centers.iter().enumerate() {
                let d = dist([q.v[0], q.v[1], q.v[2]], *c);
                if d < dmin {
                    imin = j;
                    dmin = d;
                }
            }
            warnings.push(format!(
                "line {}: the tree starting here is outside the soma's bounding box; connected to the centre of the nearest soma (as NEURON does)",
                q.line
            ));
            secs[r].parent = Some(somas[imin]);
            secs[r].parent_x = 0.5;
        }
    }

    Ok(())
}

/// `chk_valid`: one-point sections and two-point sections of zero length go; their
/// children take their parent and position. Returns which sections went.
fn chk_valid(secs: &mut [RawSec], pts: &[Pt], warnings: &mut Vec<String>) -> Vec<bool> {
    let n = secs.len();
    let mut removed = vec![false; n];
    let mut nremoved = 0;
    for i in 0..n {
        let s = &secs[i];
        if s.parent.is_none() {
            continue;
        }
        let count = s.end - s.begin + usize::from(s.extra.is_some());
        let (a, b) = match s.extra {
            Some(e) => (e, pts[s.begin].v),
            None if count >= 2 => {
                let (u, v) = (pts[s.begin].v, pts[s.begin + 1].v);
                ([u[0], u[1], u[2]], v)
            }
            None => ([0.0; 3], [0.0; 4]),
        };
        if count <= 1 || (count == 2 && a[..] == b[..3]) {
            removed[i] = true;
            nremoved += 1;
        }
    }
    for i in 0..n {
        if let Some(q) = secs[i].parent
            && removed[q]
        {
            secs[i].parent = secs[q].parent;
            secs[i].parent_x = secs[q].parent_x;
        }
    }
    if nremoved > 0 {
        warnings.push(format!(
            "{nremoved} section{} of one point or of zero length removed and {} children reattached (as NEURON's Import3d does)",
            plural(nremoved),
            if nremoved == 1 { "its" } else { "their" }
        ));
    }

    removed
}

/// The sections as NEURON instantiates them (names by type, a soma contour as its
/// centroid line, a stack as a line of circles, values in NEURON's precision); and how
/// many of the soma's diameters were raised to the least.
fn instantiate(p: &Parser, secs: &[RawSec], removed: &[bool]) -> Result<(Vec<Section>, usize), MorphError> {
    let (pts, n) = (&p.pts, secs.len());
    let own = |s: &RawSec| &pts[s.begin..s.end];
    let mut out: Vec<Section> = Vec::with_capacity(n);
    let mut new_index = vec![usize::MAX; n];
    let mut count_by_kind: std::collections::BTreeMap<i32, usize> = Default::default();
    let mut thin_soma = 0;
    for i in 0..n {
        let s = &secs[i];
        if removed[i] || s.subsidiary {
            continue;
        }
        let region = Region::from_swc_type(s.kind);
        let c = count_by_kind.entry(s.kind).or_insert(0);
        let name = format!("{}[{}]", region.stem(), *c);
        *c += 1;
        let line = pts[s.begin].line;
        let (mut xyz, mut diams, long): (Vec<[f64; 3]>, Vec<f64>, Vec<bool>) =
            if s.contour && s.stack.is_empty() {
                let (x, d) = contour_to_centroid(own(s)).ok_or_else(|| {
                    MorphError::new(
                        p.file,
                        Some(line),
                        "the soma contour starting here has no width: NEURON cannot compute its centroid",
                    )
                })?;
                let l = vec![true; d.len()];
                (x, d, l)
            } else if s.contour {
                let mut x = Vec::new();
                let mut d = Vec::new();
                for k in std::iter::once(i).chain(s.stack.iter().copied()) {
                    let (c, dd) = contour_circle(own(&secs[k]));
                    x.push(c);
                    d.push(dd);
                }
                let l = vec![true; d.len()];
                (x, d, l)
            } else {
                let mut x = Vec::with_capacity(s.end - s.begin + 1);
                let mut d = Vec::with_capacity(s.end - s.begin + 1);
                let mut l = Vec::with_capacity(s.end - s.begin + 1);
                if let Some(e) = s.extra {
                    x.push(e);
                    d.push(pts[s.begin].v[3]);
                    l.push(true);
                }
                for q in own(s) {
                    x.push([q.v[0], q.v[1], q.v[2]]);
                    d.push(q.v[3]);
                    l.push(q.long);
                }
                (x, d, l)
            };
        let mut long = long;
        if xyz.len() == 1 {
            let (q, d) = (xyz[0], diams[0]);
            xyz = vec![[q[0] - d / 2.0, q[1], q[2]], q, [q[0] + d / 2.0, q[1], q[2]]];
            diams = vec![d; 3];
            long = vec![true; 3];
        }
        let points: Vec<Point3<f64>> = xyz
            .iter()
            .zip(&long)
            .map(|(q, &l)| Point3::new(neuron_value(q[0], l), neuron_value(q[1], l), neuron_value(q[2], l)))
            .collect();
        let mut diams: Vec<f64> = diams.iter().zip(&long).map(|(&d, &l)| neuron_value(d, l)).collect();
        for d in &mut diams {
            if *d < 2.0 * MIN_RADIUS_UM {
                // Tree points were raised (and counted) when read; a soma's computed
                // diameters are counted here.
                if s.contour {
                    thin_soma += 1;
                }
                *d = 2.0 * MIN_RADIUS_UM;
            }
        }
        let parent = s.parent.map(|q| new_index[q]);
        new_index[i] = out.len();
        out.push(Section::new(name, region, parent, s.parent_x, points, diams, line));
    }

    Ok((out, thin_soma))
}

/// NEURON's `somastack_makes_sense`: warnings about a stack that is not flat contours
/// monotonic in z.
pub(super) fn stack_checks(secs: &[RawSec], head: usize, pts: &[Pt], warnings: &mut Vec<String>) {
    let own = |k: usize| &pts[secs[k].begin..secs[k].end];
    let line = pts[secs[head].begin].line;
    let flat = |c: &[Pt]| c.iter().all(|q| q.v[2] == c[0].v[2]);
    if !flat(own(head)) {
        warnings.push(format!(
            "line {line}: the soma stack's first contour does not have a constant z; its soma may be seriously wrong"
        ));
        return;
    }
    let mut z = own(head)[0].v[2];
    let mut dir = 0.0;
    for &k in &secs[head].stack {
        let c = own(k);
        let dz = c[0].v[2] - z;
        if dz == 0.0 {
            warnings.push(format!(
                "line {}: a contour of the soma stack has the same z as the previous one",
                c[0].line
            ));
            return;
        }
        let d = dz.signum();
        if dir == 0.0 {
            dir = d;
        } else if dir != d {
            warnings.push(format!(
                "line {}: the soma stack is not monotonic in z; its soma is nonsense (as in NEURON)",
                c[0].line
            ));
            return;
        }
        z = c[0].v[2];
        if !flat(c) {
            warnings.push(format!(
                "line {}: a contour of the soma stack does not have a constant z; its soma may be seriously wrong",
                c[0].line
            ));
            return;
        }
    }
}

/// Keeps the cell (connected sections) with the most points when there are several
/// roots; the first on a tie.
pub(super) fn keep_largest_cell(secs: Vec<Section>, warnings: &mut Vec<String>) -> Vec<Section> {
    let n = secs.len();
    let mut root_of = vec![0usize; n];
    let mut roots = Vec::new();
    for i in 0..n {
        match secs[i].parent {
            Some(q) => root_of[i] = root_of[q],
            None => {
                root_of[i] = i;
                roots.push(i);
            }
        }
    }
    if roots.len() <= 1 {
        return secs;
    }
    let mut size = vec![0usize; n];
    for i in 0..n {
        size[root_of[i]] += secs[i].points.len();
    }
    let keep = roots.iter().copied().fold(roots[0], |b, r| if size[r] > size[b] { r } else { b });
    let dropped: usize = (0..n).filter(|&i| root_of[i] != keep).count();
    warnings.push(format!(
        "the file holds {} unconnected cells; kept the largest (starting with {}) and dropped {dropped} section{} of the others",
        roots.len(),
        secs[keep].name,
        plural(dropped)
    ));
    let mut new_index = vec![usize::MAX; n];
    let mut out = Vec::with_capacity(n - dropped);
    for (i, mut s) in secs.into_iter().enumerate() {
        if root_of[i] != keep {
            continue;
        }
        s.parent = s.parent.map(|q| new_index[q]);
        new_index[i] = out.len();
        out.push(s);
    }
    out
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

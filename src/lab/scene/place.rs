//! Location expressions: places a lesson names by rule, so that it works on any
//! morphology ("the apical point nearest 600 um of path distance", "the thinnest
//! terminal basal branch at least 80 um long, from 40% to 95% of its length"), never by
//! section name. When a rule finds no place, the error says which rule and why.

use crate::sim::cell::Cell;
use crate::sim::morphology::{Morphology, Region};
use serde::{Deserialize, Serialize};

/// Which dendritic region a rule looks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tree {
    Basal,
    Apical,
    /// Basal, apical or custom-type dendrites.
    Any,
}

impl Tree {
    fn holds(self, r: Region) -> bool {
        match self {
            Tree::Basal => matches!(r, Region::Basal | Region::Custom(_)),
            Tree::Apical => r == Region::Apical,
            Tree::Any => r.is_dendrite(),
        }
    }
    fn label(self) -> &'static str {
        match self {
            Tree::Basal => "basal",
            Tree::Apical => "apical",
            Tree::Any => "dendritic",
        }
    }
}

/// A rule that finds a place (a point, or a stretch of one branch) on a morphology.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PlaceRule {
    /// The middle of the soma.
    Soma,
    /// A point given by section name and position (0..1): what a saved setup records
    /// for something placed by hand on its own cell.
    At { section: String, x: f64 },
    /// The compartment of `tree` whose centre is nearest `um` of path distance from
    /// soma(0.5) (on any branch, as NEURON's bAP recordings of Hay et al. are made).
    /// With `min_path_diam_um`, only compartments reached from the soma along dendrites
    /// at least that thick on average (by length) count: a place that a signal from the
    /// soma reaches as along a trunk (the length constant grows with the square root of
    /// the diameter), with an error naming the thickest path there when none is.
    PathDistance {
        tree: Tree,
        um: f64,
        #[serde(default)]
        min_path_diam_um: Option<f64>,
    },
    /// Hay et al.'s `locateSites`: of the points at `um` of path distance from the
    /// first apical section's 0 end, on every apical branch that crosses it, the one in
    /// the widest segment. With `min_diam_um`, that segment must be at least that thick
    /// (the apical trunk, not a branch of the tuft), or the rule is an error saying so.
    WidestApicalAt {
        um: f64,
        #[serde(default)]
        min_diam_um: Option<f64>,
    },
    /// The thinnest terminal branch of `tree` at least `min_length_um` long (the
    /// longest of equally thin ones), from `from` to `to` of its length.
    ThinnestTerminal { tree: Tree, min_length_um: f64, from: f64, to: f64 },
    /// The terminal branch of `tree` whose tip lies furthest from the soma, from `from`
    /// to `to` of its length.
    FarthestTerminal { tree: Tree, from: f64, to: f64 },
    /// The last `length_um` of the path from the soma to the tip of `tree` that lies
    /// furthest from the soma (across sections), proximal to distal.
    TipPath { tree: Tree, length_um: f64 },
    /// Terminal branch number `index` (0 the first in section order) of `tree` that is
    /// at least `min_length_um` long, from `from` to `to` of its length.
    NthTerminal { tree: Tree, index: usize, min_length_um: f64, from: f64, to: f64 },
    /// Every branch of `tree` between `from_um` and `to_um` of path distance from
    /// soma(0.5) (the whole tree when absent), in section order: a group spread over it
    /// lies evenly by length over the whole tree (as Beniaguev et al.'s synapses do).
    Dendrites {
        tree: Tree,
        #[serde(default)]
        from_um: f64,
        #[serde(default)]
        to_um: Option<f64>,
    },
}

/// A place found on a morphology: a stretch of one section from `x0` to `x1` (a point
/// when they are equal), or with `path`, a run of such stretches across sections,
/// proximal to distal.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub section: usize,
    pub x0: f64,
    pub x1: f64,
    /// For a place across sections: (section, x0, x1, length um) proximal to distal.
    pub path: Vec<(usize, f64, f64, f64)>,
}

impl Place {
    pub fn point(section: usize, x: f64) -> Place {
        Place { section, x0: x, x1: x, path: Vec::new() }
    }
    pub fn span(section: usize, x0: f64, x1: f64) -> Place {
        Place { section, x0, x1, path: Vec::new() }
    }
    /// The middle of the place: (section, x).
    pub fn middle(&self) -> (usize, f64) {
        match self.spread(1).first() {
            Some(&m) => m,
            None => (self.section, (self.x0 + self.x1) / 2.0),
        }
    }
    /// `n` points spread evenly (by length) over the place, proximal to distal (its
    /// middle when n is 1).
    pub fn spread(&self, n: usize) -> Vec<(usize, f64)> {
        let fracs: Vec<f64> = match n {
            0 => Vec::new(),
            1 => vec![0.5],
            _ => (0..n).map(|k| k as f64 / (n - 1) as f64).collect(),
        };
        if self.path.is_empty() {
            return fracs.iter().map(|f| (self.section, self.x0 + (self.x1 - self.x0) * f)).collect();
        }
        let total: f64 = self.path.iter().map(|p| p.3).sum();
        fracs
            .iter()
            .map(|f| {
                let mut at = f * total;
                for &(s, x0, x1, len) in &self.path {
                    if at <= len + 1e-9 {
                        let u = if len > 0.0 { (at / len).min(1.0) } else { 0.0 };
                        return (s, x0 + (x1 - x0) * u);
                    }
                    at -= len;
                }
                let &(s, _, x1, _) = self.path.last().expect("a path has stretches");
                (s, x1)
            })
            .collect()
    }
}

/// Why a rule found no place.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlaceError {
    /// The rule names a section the cell does not have.
    #[error("the cell has no section '{0}'")]
    NoSection(String),
    /// A number of the rule outside what it may be.
    #[error("{what} must be {rule}, got {value}")]
    Value { what: &'static str, value: f64, rule: &'static str },
    #[error("the cell has no soma")]
    NoSoma,
    /// The cell has nothing the rule asks for; why, in words (what the cell has instead).
    #[error("{0}")]
    NotOnCell(String),
}

fn terminals(morph: &Morphology, tree: Tree) -> Vec<usize> {
    let children = morph.children();
    (0..morph.sections.len())
        .filter(|&s| children[s].is_empty() && tree.holds(morph.sections[s].region))
        .collect()
}

fn mean_diam(morph: &Morphology, s: usize) -> f64 {
    let d = &morph.sections[s].diams;
    d.iter().sum::<f64>() / d.len().max(1) as f64
}

fn check_span(from: f64, to: f64) -> Result<(), PlaceError> {
    if !(0.0..=1.0).contains(&from) || !(0.0..=1.0).contains(&to) || from > to {
        return Err(PlaceError::NotOnCell(format!(
            "from {from} and to {to} must satisfy 0 <= from <= to <= 1"
        )));
    }
    Ok(())
}

/// The integral of the diameter (um2) along section `sec` from its 0 end to `x`
/// (diameters linear between the section's points).
fn diam_integral(sec: &crate::sim::morphology::Section, x: f64) -> f64 {
    let end = x.clamp(0.0, 1.0) * sec.length();
    crate::sim::sites::mean_diam(sec, 0.0, end) * end
}

/// The mean diameter (um, by length) of the dendrites of `tree` on the path from where
/// the tree leaves the soma to (`section`, `x`).
fn path_mean_diam(morph: &Morphology, tree: Tree, section: usize, x: f64) -> f64 {
    let (mut len, mut area) = (0.0, 0.0);
    let (mut s, mut at) = (section, x);
    loop {
        let sec = &morph.sections[s];
        if !tree.holds(sec.region) {
            break;
        }
        len += at.clamp(0.0, 1.0) * sec.length();
        area += diam_integral(sec, at);
        match sec.parent {
            Some(p) => (s, at) = (p, sec.parent_x),
            None => break,
        }
    }
    if len > 0.0 { area / len } else { 0.0 }
}

/// Of the compartments of `regions` within 50 um of `um` of path distance from soma(0.5),
/// the nearest one whose path from the soma is on average at least `min` um thick.
fn thick_path_site(
    cell: &Cell,
    regions: &[Region],
    tree: Tree,
    um: f64,
    min: f64,
) -> Result<Place, PlaceError> {
    let morph = &cell.morphology;
    let origin = crate::sim::sites::soma_centre(morph);
    let mut best: Option<(f64, usize, f64)> = None;
    let mut thickest = 0.0f64;
    for (i, sec) in morph.sections.iter().enumerate() {
        if !regions.contains(&sec.region) {
            continue;
        }
        let nseg = cell.sec_nodes[i].nseg;
        for k in 0..nseg {
            let x = (k as f64 + 0.5) / nseg as f64;
            let off = (crate::sim::sites::path_between(morph, origin, (i, x)) - um).abs();
            if off > 50.0 {
                continue;
            }
            let d = path_mean_diam(morph, tree, i, x);
            thickest = thickest.max(d);
            if d >= min && best.is_none_or(|(b, _, _)| off < b) {
                best = Some((off, i, x));
            }
        }
    }
    best.map(|(_, i, x)| Place::point(i, x)).ok_or_else(|| {
        PlaceError::NotOnCell(format!(
            "the {} dendrites that reach {um} um of path distance are too thin: {thickest:.2} um on \
             average from the soma at most, less than the {min} um asked (a signal from the soma \
             fades within a shorter distance in thinner dendrites)",
            tree.label()
        ))
    })
}

impl PlaceRule {
    /// Finds the place on `cell` (its morphology and compartments).
    pub fn find(&self, cell: &Cell) -> Result<Place, PlaceError> {
        let morph = &cell.morphology;
        match self.clone() {
            PlaceRule::At { section, x } => {
                let s =
                    morph.section_by_name(&section).ok_or_else(|| PlaceError::NoSection(section.clone()))?;
                if !(0.0..=1.0).contains(&x) {
                    return Err(PlaceError::Value { what: "x", value: x, rule: "within 0..1" });
                }
                Ok(Place::point(s, x))
            }
            PlaceRule::Soma => {
                let s = morph.soma();
                if morph.sections.get(s).is_none_or(|sec| sec.region != Region::Soma) {
                    return Err(PlaceError::NoSoma);
                }
                Ok(Place::point(s, 0.5))
            }
            PlaceRule::PathDistance { tree, um, min_path_diam_um } => {
                path_distance_site(cell, tree, um, min_path_diam_um)
            }
            PlaceRule::WidestApicalAt { um, min_diam_um } => {
                let (site, diam) = crate::sim::sites::hay_epsp_site(cell, um).ok_or_else(|| {
                    PlaceError::NotOnCell(format!(
                        "no apical branch crosses {um} um of path distance from the apical tree's start"
                    ))
                })?;
                match min_diam_um {
                    Some(min) if diam < min => Err(PlaceError::NotOnCell(format!(
                        "the apical tree is at most {diam:.2} um thick where it crosses {um} um of path \
                         distance from its start, thinner than the {min} um asked: no apical trunk \
                         reaches {um} um on this cell, only thin branches"
                    ))),
                    _ => Ok(Place::point(site.section, site.x)),
                }
            }
            PlaceRule::ThinnestTerminal { tree, min_length_um, from, to } => {
                check_span(from, to)?;
                let cands: Vec<usize> = terminals(morph, tree)
                    .into_iter()
                    .filter(|&s| morph.sections[s].length() >= min_length_um)
                    .collect();
                let best = cands.iter().copied().min_by(|&a, &b| {
                    mean_diam(morph, a)
                        .total_cmp(&mean_diam(morph, b))
                        .then(morph.sections[b].length().total_cmp(&morph.sections[a].length()))
                });
                best.map(|s| Place::span(s, from, to)).ok_or_else(|| {
                    PlaceError::NotOnCell(format!(
                        "no terminal {} branch is at least {min_length_um} um long",
                        tree.label()
                    ))
                })
            }
            PlaceRule::FarthestTerminal { tree, from, to } => {
                check_span(from, to)?;
                terminals(morph, tree)
                    .into_iter()
                    .max_by(|&a, &b| {
                        morph.path_distance(0.5, a, 1.0).total_cmp(&morph.path_distance(0.5, b, 1.0))
                    })
                    .map(|s| Place::span(s, from, to))
                    .ok_or_else(|| {
                        PlaceError::NotOnCell(format!("the cell has no terminal {} branch", tree.label()))
                    })
            }
            PlaceRule::TipPath { tree, length_um } => tip_path(morph, tree, length_um),
            PlaceRule::NthTerminal { tree, index, min_length_um, from, to } => {
                check_span(from, to)?;
                let cands: Vec<usize> = terminals(morph, tree)
                    .into_iter()
                    .filter(|&s| morph.sections[s].length() >= min_length_um)
                    .collect();
                cands.get(index).map(|&s| Place::span(s, from, to)).ok_or_else(|| {
                    PlaceError::NotOnCell(format!(
                        "there is no terminal {} branch number {index} at least {min_length_um} um long (there are {})",
                        tree.label(),
                        cands.len()
                    ))
                })
            }
            PlaceRule::Dendrites { tree, from_um, to_um } => dendrites_between(morph, tree, from_um, to_um),
        }
    }
}

/// The point of `tree` nearest `um` of path distance from the soma's centre, as the Hay
/// protocols' recording sites are found (`sim::sites`); with `min_path_diam_um`, on a
/// path from the soma thick enough on average.
fn path_distance_site(
    cell: &Cell,
    tree: Tree,
    um: f64,
    min_path_diam_um: Option<f64>,
) -> Result<Place, PlaceError> {
    let morph = &cell.morphology;
    // The same rule as the Hay protocols' recording sites (sim::sites).
    let origin = crate::sim::sites::soma_centre(morph);
    let regions: Vec<Region> = match tree {
        Tree::Apical => vec![Region::Apical],
        Tree::Basal => vec![Region::Basal],
        Tree::Any => vec![Region::Basal, Region::Apical],
    };
    let best = regions
        .iter()
        .filter_map(|&r| crate::sim::sites::nearest_segment(cell, r, origin, um))
        .min_by(|a, b| (a.distance_um - um).abs().total_cmp(&(b.distance_um - um).abs()));
    let reach = morph
        .sections
        .iter()
        .enumerate()
        .filter(|(_, sec)| tree.holds(sec.region))
        .map(|(s, _)| morph.path_distance(0.5, s, 1.0))
        .fold(0.0, f64::max);
    match best {
        None => Err(PlaceError::NotOnCell(format!("the cell has no {} dendrite", tree.label()))),
        // Half a long compartment is tolerated; beyond the tree's reach is not.
        Some(site) if (site.distance_um - um).abs() > 50.0 => Err(PlaceError::NotOnCell(format!(
            "no {} point near {um} um of path distance (the {} tree reaches {reach:.0} um)",
            tree.label(),
            tree.label()
        ))),
        Some(site) => match min_path_diam_um {
            Some(min) if path_mean_diam(morph, tree, site.section, site.x) < min => {
                thick_path_site(cell, &regions, tree, um, min)
            }
            _ => Ok(Place::point(site.section, site.x)),
        },
    }
}

/// The last `length_um` of the path to the farthest tip of `tree`.
fn tip_path(morph: &Morphology, tree: Tree, length_um: f64) -> Result<Place, PlaceError> {
    if !(length_um.is_finite() && length_um > 0.0) {
        return Err(PlaceError::Value { what: "length_um", value: length_um, rule: "positive" });
    }
    let tip = terminals(morph, tree)
        .into_iter()
        .max_by(|&a, &b| morph.path_distance(0.5, a, 1.0).total_cmp(&morph.path_distance(0.5, b, 1.0)))
        .ok_or_else(|| PlaceError::NotOnCell(format!("the cell has no terminal {} branch", tree.label())))?;
    let mut path = Vec::new();
    let mut left = length_um;
    let mut s = tip;
    loop {
        let sec = &morph.sections[s];
        if !tree.holds(sec.region) {
            break;
        }
        let len = sec.length();
        if len >= left {
            path.push((s, 1.0 - left / len.max(1e-12), 1.0, left));
            left = 0.0;
            break;
        }
        path.push((s, 0.0, 1.0, len));
        left -= len;
        match sec.parent {
            Some(p) => s = p,
            None => break,
        }
    }
    if left > 1e-6 {
        return Err(PlaceError::NotOnCell(format!(
            "the {} path to the farthest tip is only {:.0} um long ({length_um} um asked)",
            tree.label(),
            length_um - left
        )));
    }
    path.reverse();
    let (s0, x0, _, _) = path[0];
    let &(_, _, x1, _) = path.last().expect("one stretch at least");
    Ok(Place { section: s0, x0, x1, path })
}

/// Every stretch of `tree` between `from_um` and `to_um` of path distance.
fn dendrites_between(
    morph: &Morphology,
    tree: Tree,
    from_um: f64,
    to_um: Option<f64>,
) -> Result<Place, PlaceError> {
    let to_um = to_um.unwrap_or(f64::INFINITY);
    if !(from_um.is_finite() && from_um >= 0.0 && to_um > from_um) {
        return Err(PlaceError::NotOnCell(format!(
            "from_um {from_um} and to_um {to_um} must satisfy 0 <= from_um < to_um"
        )));
    }
    let mut path = Vec::new();
    for (s, sec) in morph.sections.iter().enumerate() {
        let len = sec.length();
        if !tree.holds(sec.region) || len <= 0.0 {
            continue;
        }
        // Path distance grows linearly along a dendritic section.
        let d0 = morph.path_distance(0.5, s, 0.0);
        let x0 = ((from_um - d0) / len).clamp(0.0, 1.0);
        let x1 = ((to_um - d0) / len).clamp(0.0, 1.0);
        if x1 > x0 {
            path.push((s, x0, x1, (x1 - x0) * len));
        }
    }
    let Some(&(s0, x0, _, _)) = path.first() else {
        return Err(PlaceError::NotOnCell(format!(
            "no {} dendrite lies between {from_um} and {to_um} um of path distance",
            tree.label()
        )));
    };
    let &(_, _, x1, _) = path.last().expect("one stretch at least");
    Ok(Place { section: s0, x0, x1, path })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::cell::{Nseg, Passive};

    fn cell(name: &str) -> Cell {
        let m = crate::sim::morphology::gallery::load(name).unwrap();
        let n = m.sections.len();
        Cell::new(m, Passive::uniform(n, 100.0, 1.0), &Nseg::DLambda { d_lambda: 0.1, freq_hz: 100.0 })
            .unwrap()
    }

    #[test]
    fn rules_find_places_on_real_and_drawn_cells() {
        for name in ["l5_pyramidal", "hay_l5pc_cell2", "allen_l5pc"] {
            let c = cell(name);
            let m = &c.morphology;
            let soma = PlaceRule::Soma.find(&c).unwrap();
            assert_eq!(m.sections[soma.section].region, Region::Soma);
            let p = PlaceRule::PathDistance { tree: Tree::Apical, um: 400.0, min_path_diam_um: None }
                .find(&c)
                .unwrap();
            assert_eq!(m.sections[p.section].region, Region::Apical, "{name}");
            let (ps, px) = p.middle();
            assert!((m.path_distance(0.5, ps, px) - 400.0).abs() < 30.0, "{name}");
            let t =
                PlaceRule::ThinnestTerminal { tree: Tree::Basal, min_length_um: 50.0, from: 0.4, to: 0.95 }
                    .find(&c)
                    .unwrap();
            assert!(m.children()[t.section].is_empty());
            assert!(m.sections[t.section].length() >= 50.0);
            assert_eq!(t.spread(3), vec![(t.section, 0.4), (t.section, 0.675), (t.section, 0.95)]);
            let tp = PlaceRule::TipPath { tree: Tree::Basal, length_um: 150.0 }.find(&c).unwrap();
            let pts = tp.spread(9);
            let d: Vec<f64> = pts.iter().map(|&(s, x)| m.path_distance(0.5, s, x)).collect();
            assert!(d.windows(2).all(|w| (w[1] - w[0] - 150.0 / 8.0).abs() < 1e-6), "{name}: {d:?}");
        }
        let c = cell("ball_and_stick");
        let e = PlaceRule::Dendrites { tree: Tree::Apical, from_um: 0.0, to_um: None }.find(&c).unwrap_err();
        assert!(e.to_string().starts_with("no apical dendrite lies between 0 and inf um"), "{e}");
        let e = PlaceRule::PathDistance { tree: Tree::Apical, um: 600.0, min_path_diam_um: None }
            .find(&c)
            .unwrap_err();
        assert_eq!(e.to_string(), "the cell has no apical dendrite");
        let c = cell("l5_pyramidal");
        let e = PlaceRule::PathDistance { tree: Tree::Apical, um: 5000.0, min_path_diam_um: None }
            .find(&c)
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("no apical point near 5000 um of path distance (the apical tree reaches"),
            "{e}"
        );
    }

    #[test]
    fn thickness_requirements_keep_thick_places_and_name_thin_ones() {
        // On a cell with a thick trunk the requirement changes nothing...
        let c = cell("hay_l5pc_cell2");
        let plain = PlaceRule::PathDistance { tree: Tree::Apical, um: 600.0, min_path_diam_um: None };
        let thick = PlaceRule::PathDistance { tree: Tree::Apical, um: 600.0, min_path_diam_um: Some(1.0) };
        assert_eq!(plain.find(&c).unwrap(), thick.find(&c).unwrap());
        let (s, x) = plain.find(&c).unwrap().middle();
        assert!(path_mean_diam(&c.morphology, Tree::Apical, s, x) > 2.0);
        let widest = PlaceRule::WidestApicalAt { um: 620.0, min_diam_um: Some(1.0) };
        assert!(widest.find(&c).is_ok());
        // ... on the Allen cell, whose apical dendrite is well under 1 um thick, both fail.
        let c = cell("allen_l5pc");
        let e = thick.find(&c).unwrap_err();
        assert!(
            e.to_string().starts_with("the apical dendrites that reach 600 um of path distance are too thin"),
            "{e}"
        );
        assert!(plain.find(&c).is_ok());
        let e = widest.find(&c).unwrap_err();
        assert!(e.to_string().contains("no apical trunk reaches 620 um"), "{e}");
        // A section's diameter integral: a cylinder of 2 um over its whole length.
        let m =
            Morphology::from_swc_str("1 1 0 0 0 5 -1\n2 3 0 0 0 1 1\n3 3 0 100 0 1 2\n", "t.swc").unwrap();
        let d = m.sections.iter().position(|s| s.region == Region::Basal).unwrap();
        assert!((diam_integral(&m.sections[d], 1.0) - 2.0 * m.sections[d].length()).abs() < 1e-9);
        assert!((path_mean_diam(&m, Tree::Basal, d, 0.5) - 2.0).abs() < 1e-9);
    }

    #[test]
    fn dendrites_cover_a_tree_between_distances() {
        let c = cell("l5_pyramidal");
        let m = &c.morphology;
        let all = PlaceRule::Dendrites { tree: Tree::Basal, from_um: 0.0, to_um: None }.find(&c).unwrap();
        let basal: f64 = m.sections.iter().filter(|s| Tree::Basal.holds(s.region)).map(|s| s.length()).sum();
        let covered: f64 = all.path.iter().map(|p| p.3).sum();
        assert!((covered - basal).abs() < 1e-6, "{covered} vs {basal}");
        let pts = all.spread(200);
        assert!(pts.iter().all(|&(s, _)| Tree::Basal.holds(m.sections[s].region)));
        let near =
            PlaceRule::Dendrites { tree: Tree::Apical, from_um: 100.0, to_um: Some(300.0) }.find(&c).unwrap();
        for (s, x) in near.spread(100) {
            let d = m.path_distance(0.5, s, x);
            assert!((100.0 - 1e-6..=300.0 + 1e-6).contains(&d), "{d}");
            assert_eq!(m.sections[s].region, Region::Apical);
        }
    }
}

//! Places on a cell named by rule rather than by section, as protocols and lessons need
//! them on any morphology: path distances between two points, the origin of Hay et al.'s
//! distances, the apical segment nearest a path distance from the soma, and Hay's
//! `locateSites` with the widest-segment choice of his BAC protocol.
//!
//! Distances follow NEURON's `distance()`: along the tree, through the point where each
//! section hangs from its parent. (NEURON measures to the node of the segment holding a
//! location; at segment centres and section ends, the only places used here, that is the
//! location itself.)

use crate::sim::cell::Cell;
use crate::sim::morphology::{Morphology, Region, Section};

/// A point on a cell with its path distance (um) from the origin of the rule that found it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Site {
    pub section: usize,
    /// Position along the section (0..=1).
    pub x: f64,
    /// Path distance (um) from the rule's origin.
    pub distance_um: f64,
}

/// Path distance (um) along the tree between location `a` and location `b`, each a
/// (section, x) pair. Infinite when the two are not on one tree.
pub fn path_between(m: &Morphology, a: (usize, f64), b: (usize, f64)) -> f64 {
    // Walk from `a` to the root, noting on each section where the path enters it (um from
    // the section's 0 end) and how far it has come.
    let up = |(sec, x): (usize, f64)| {
        let mut out = Vec::new();
        let mut s = sec;
        let mut pos = x.clamp(0.0, 1.0) * m.sections[s].length();
        let mut run = 0.0;
        loop {
            out.push((s, pos, run));
            let Some(p) = m.sections[s].parent else { break };
            run += pos;
            pos = m.sections[s].parent_x.clamp(0.0, 1.0) * m.sections[p].length();
            s = p;
        }
        out
    };
    let from_a = up(a);
    for (s, pos, run) in up(b) {
        if let Some(&(_, pa, ra)) = from_a.iter().find(|(sa, _, _)| *sa == s) {
            return ra + run + (pa - pos).abs();
        }
    }
    f64::INFINITY
}

/// The first section of `region`: the one named `stem[0]` (`apic[0]`, `dend[0]`), else
/// the first of the region in section order.
pub fn first_section(m: &Morphology, region: Region) -> Option<usize> {
    m.section_by_name(&format!("{}[0]", region.stem()))
        .filter(|&i| m.sections[i].region == region)
        .or_else(|| m.sections.iter().position(|s| s.region == region))
}

/// The origin of Hay et al.'s distances for `region` (L5PCtemplate.hoc, `getLongestBranch`
/// and `locateSites`): `$s1 distance()`, the 0 end of the region's first section, i.e.
/// `apic[0](0)` for the apical tree; for the axon Hay then moves it to `axon[0](1)`. `None`
/// when the morphology has no such region.
pub fn hay_origin(m: &Morphology, region: Region) -> Option<(usize, f64)> {
    let s = first_section(m, region)?;
    Some((s, if region == Region::Axon { 1.0 } else { 0.0 }))
}

/// soma(0.5): the centre of the first soma section (of the root without a soma).
pub fn soma_centre(m: &Morphology) -> (usize, f64) {
    (m.soma(), 0.5)
}

/// Of the segments of `region`, the one whose centre's path distance from `origin` is
/// nearest `target_um` (the first in section order on ties), as NEURON's
/// `for sec in apical: for seg in sec` search finds it.
pub fn nearest_segment(cell: &Cell, region: Region, origin: (usize, f64), target_um: f64) -> Option<Site> {
    let m = &cell.morphology;
    let mut best: Option<(f64, Site)> = None;
    for (i, s) in m.sections.iter().enumerate() {
        if s.region != region {
            continue;
        }
        let nseg = cell.sec_nodes[i].nseg;
        for k in 0..nseg {
            let x = (k as f64 + 0.5) / nseg as f64;
            let d = path_between(m, origin, (i, x));
            let off = (d - target_um).abs();
            if best.as_ref().is_none_or(|(b, _)| off < *b) {
                best = Some((off, Site { section: i, x, distance_um: d }));
            }
        }
    }
    best.map(|(_, s)| s)
}

/// The apical segment whose centre is nearest `target_um` of path distance from
/// soma(0.5), on any apical branch: where the bAP protocol records at 100, 200, 400, 600
/// and 800 um (reference/hay_protocols.py).
pub fn apical_site_at(cell: &Cell, target_um: f64) -> Option<Site> {
    nearest_segment(cell, Region::Apical, soma_centre(&cell.morphology), target_um)
}

/// Hay's `locateSites(region, distance_um)`: on every section of `region` (in section
/// order) whose ends lie either side of `distance_um` of path distance from
/// [`hay_origin`], the point at that distance (x interpolated between the section's
/// ends). Sections of zero length are skipped.
pub fn locate_sites(m: &Morphology, region: Region, distance_um: f64) -> Vec<Site> {
    let Some(origin) = hay_origin(m, region) else { return Vec::new() };
    let mut out = Vec::new();
    for (i, s) in m.sections.iter().enumerate() {
        if s.region != region {
            continue;
        }
        let (e0, e1) = (path_between(m, origin, (i, 0.0)), path_between(m, origin, (i, 1.0)));
        let (d0, d1) = if e0 < e1 { (e0, e1) } else { (e1, e0) };
        if distance_um <= d1 && distance_um >= d0 && d1 > d0 {
            out.push(Site { section: i, x: (distance_um - d0) / (d1 - d0), distance_um });
        }
    }
    out
}

/// The mean diameter (um) of the part of section `sec` from arc position `s0` to `s1`
/// (um), diameters linear between points: NEURON's `diam` of a segment of a section with
/// 3-D points.
pub fn mean_diam(sec: &Section, s0: f64, s1: f64) -> f64 {
    if s1 <= s0 {
        return sec.at(s0 / sec.length().max(f64::MIN_POSITIVE)).1;
    }
    let l = sec.length();
    let mut sum = 0.0;
    for k in 1..sec.points.len() {
        let (a0, a1) = (sec.arc[k - 1], sec.arc[k]);
        let (u0, u1) = (a0.max(s0), a1.min(s1));
        if u1 <= u0 {
            continue;
        }
        let (d0, d1) = (sec.at(u0 / l).1, sec.at(u1 / l).1);
        sum += (d0 + d1) / 2.0 * (u1 - u0);
    }
    sum / (s1 - s0)
}

/// The diameter (um) of the segment of section `sec` that holds location `x`: the mean
/// diameter along the segment, as NEURON's `sec(x).diam`.
pub fn segment_diam(cell: &Cell, sec: usize, x: f64) -> f64 {
    let s = &cell.morphology.sections[sec];
    let nseg = cell.sec_nodes[sec].nseg.max(1) as usize;
    let k = ((x.clamp(0.0, 1.0) * nseg as f64) as usize).min(nseg - 1);
    let dx = s.length() / nseg as f64;
    mean_diam(s, dx * k as f64, if k + 1 == nseg { s.length() } else { dx * (k + 1) as f64 })
}

/// Hay's BAC site: of the points [`locate_sites`] finds on the apical tree at
/// `distance_um` from `apic[0](0)`, the one in the widest segment (the first on ties), with
/// that segment's diameter (um). Hay's protocol uses 620 um.
pub fn hay_epsp_site(cell: &Cell, distance_um: f64) -> Option<(Site, f64)> {
    let mut best: Option<(Site, f64)> = None;
    for site in locate_sites(&cell.morphology, Region::Apical, distance_um) {
        let d = segment_diam(cell, site.section, site.x);
        if best.as_ref().is_none_or(|(_, w)| d > *w) {
            best = Some((site, d));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::cell::{Nseg, Passive};

    // A soma stack of three points (10 um long along y) whose dendrites hang from its 0
    // end (SWC parents at the first soma point): a basal dendrite, and an apical trunk of
    // 100 um that branches into a thin (2 um) and a thick (4 um) branch, each 200 um long.
    const CELL: &str = "1 1 0 0 0 5 -1\n2 1 0 5 0 5 1\n3 1 0 10 0 5 2\n\
        4 3 0 0 0 1 1\n5 3 0 -50 0 1 4\n\
        6 4 0 0 0 3 1\n7 4 100 0 0 3 6\n\
        8 4 100 0 0 1 7\n9 4 300 0 0 1 8\n\
        10 4 100 0 0 2 7\n11 4 100 200 0 2 10\n";

    fn cell(nseg: usize) -> Cell {
        let m = Morphology::from_swc_str(CELL, "t.swc").unwrap();
        let n = m.sections.len();
        Cell::new(m, Passive::uniform(n, 100.0, 1.0), &Nseg::Uniform(nseg)).unwrap()
    }

    #[test]
    fn distances_between_any_two_points() {
        let c = cell(5);
        let m = &c.morphology;
        let names: Vec<&str> = m.sections.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["soma[0]", "dend[0]", "apic[0]", "apic[1]", "apic[2]"]);
        assert_eq!(m.sections[2].parent_x, 0.0, "the trunk hangs from soma(0)");
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        // From soma(0.5) the same as Morphology::path_distance.
        for (s, x) in [(0, 0.2), (1, 0.5), (2, 0.0), (3, 0.7), (4, 1.0)] {
            assert!(close(path_between(m, (0, 0.5), (s, x)), m.path_distance(0.5, s, x)), "{s} {x}");
        }
        // Symmetric, and between two branches through their branch point.
        assert!(close(path_between(m, (3, 0.5), (4, 0.5)), 200.0));
        assert!(close(path_between(m, (4, 0.5), (3, 0.5)), 200.0));
        // From apic[0](0) (= soma(0) here) to a tip: 100 + 200; from soma(0.5): 5 more.
        assert!(close(path_between(m, (2, 0.0), (3, 1.0)), 300.0));
        assert!(close(path_between(m, (0, 0.5), (3, 1.0)), 305.0));
        // Basal tip to apical tip through the soma's 0 end.
        assert!(close(path_between(m, (1, 1.0), (4, 1.0)), 50.0 + 300.0));
        // Within one section.
        assert!(close(path_between(m, (3, 0.25), (3, 0.75)), 100.0));
    }

    #[test]
    fn hays_origin_is_the_first_section_of_the_region() {
        let c = cell(1);
        let m = &c.morphology;
        assert_eq!(first_section(m, Region::Apical), Some(2));
        assert_eq!(hay_origin(m, Region::Apical), Some((2, 0.0)));
        assert_eq!(hay_origin(m, Region::Basal), Some((1, 0.0)));
        assert_eq!(hay_origin(m, Region::Axon), None);
        assert_eq!(soma_centre(m), (0, 0.5));
    }

    #[test]
    fn nearest_apical_segment_from_the_soma_centre() {
        // nseg 5: the branches' centres lie every 40 um from 20 um; from soma(0.5) the
        // branches start at 105 um.
        let c = cell(5);
        let s = apical_site_at(&c, 150.0).unwrap();
        // 105 + 60 = 165 on either branch (15 off) vs 105 + 20 = 125 (25 off); apic[1]
        // comes first.
        assert_eq!((s.section, s.x), (3, 0.3));
        assert!((s.distance_um - 165.0).abs() < 1e-9);
        // On the trunk: centres at 15, 35, ... from soma(0.5).
        let s = apical_site_at(&c, 36.0).unwrap();
        assert_eq!((s.section, s.x), (2, 0.3));
        assert!((s.distance_um - 35.0).abs() < 1e-9);
        // Beyond every tip: the most distal centre.
        let s = apical_site_at(&c, 1e4).unwrap();
        assert_eq!((s.section, s.x), (3, 0.9));
    }

    #[test]
    fn locate_sites_and_the_widest_epsp_site() {
        let c = cell(3);
        let m = &c.morphology;
        // 150 um from apic[0](0) crosses both branches at x = 0.25.
        let sites = locate_sites(m, Region::Apical, 150.0);
        assert_eq!(sites.len(), 2);
        assert_eq!((sites[0].section, sites[1].section), (3, 4));
        assert!(sites.iter().all(|s| (s.x - 0.25).abs() < 1e-12 && s.distance_um == 150.0));
        // 50 um: on the trunk only. 400 um: nowhere.
        let on_trunk = locate_sites(m, Region::Apical, 50.0);
        assert_eq!(on_trunk.len(), 1);
        assert_eq!(on_trunk[0].section, 2);
        assert!((on_trunk[0].x - 0.5).abs() < 1e-12);
        assert!(locate_sites(m, Region::Apical, 400.0).is_empty());
        // The thick branch wins, whatever the order.
        let (site, diam) = hay_epsp_site(&c, 150.0).unwrap();
        assert_eq!(site.section, 4);
        assert!((diam - 4.0).abs() < 1e-12);
        assert!(hay_epsp_site(&c, 400.0).is_none());
    }

    #[test]
    fn segment_diameter_is_the_mean_along_the_segment() {
        // A frustum from 1 to 3 um diameter over 90 um in three segments: means 4/3, 2, 8/3.
        let m = Morphology::from_swc_str(
            "1 1 0 0 0 5 -1\n2 1 0 10 0 5 1\n3 3 0 10 0 0.5 2\n4 3 0 100 0 1.5 3\n",
            "f.swc",
        )
        .unwrap();
        let n = m.sections.len();
        let c = Cell::new(m, Passive::uniform(n, 100.0, 1.0), &Nseg::Uniform(3)).unwrap();
        let d = c.morphology.section_by_name("dend[0]").unwrap();
        assert!((c.morphology.sections[d].length() - 90.0).abs() < 1e-9);
        for (x, want) in [(0.1, 4.0 / 3.0), (0.5, 2.0), (0.99, 8.0 / 3.0)] {
            let got = segment_diam(&c, d, x);
            assert!((got - want).abs() < 1e-9, "x {x}: {got} vs {want}");
        }
    }
}

//! Geometry for drawing and picking: tube meshes of the tree (plain arrays, no engine
//! types), and the location on the tree nearest to a point in space.

use crate::sim::cell::Cell;
use nalgebra::{Point3, Vector3};

/// A triangle mesh of the tree: tubes along every section, a sphere for the soma.
/// Each vertex knows its compartment (a node index), so the renderer can colour it.
#[derive(Debug, Clone, Default)]
pub struct TreeMesh {
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub indices: Vec<u32>,
    /// Node (compartment) of each vertex.
    pub node: Vec<u32>,
    /// Radius of the tube (or sphere) each vertex lies on (um): the vertex is that far
    /// from the axis along its normal.
    pub radius: Vec<f32>,
    /// The vertices of the soma's sphere (drawn with a larger least size on screen).
    pub soma_vertices: std::ops::Range<usize>,
}

/// Where on the tree a point lies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TreeLocation {
    pub section: usize,
    /// Normalised position along the section (0..1).
    pub x: f64,
    /// Distance from the query point to the section's axis (um).
    pub distance: f64,
    /// The point on the axis (um).
    pub point: Point3<f64>,
}

/// The location on any section's axis nearest to `p`.
pub fn nearest_location(cell: &Cell, p: Point3<f64>) -> Option<TreeLocation> {
    let mut best: Option<TreeLocation> = None;
    for (si, sec) in cell.morphology.sections.iter().enumerate() {
        let len = sec.length();
        for k in 1..sec.points.len() {
            let (a, b) = (sec.points[k - 1], sec.points[k]);
            let ab = b - a;
            let l2 = ab.norm_squared();
            let f = if l2 > 0.0 { ((p - a).dot(&ab) / l2).clamp(0.0, 1.0) } else { 0.0 };
            let q = a + ab * f;
            let d = (p - q).norm();
            if best.is_none_or(|b| d < b.distance) {
                let s = sec.arc[k - 1] + f * (sec.arc[k] - sec.arc[k - 1]);
                let x = if len > 0.0 { s / len } else { 0.5 };
                best = Some(TreeLocation { section: si, x, distance: d, point: q });
            }
        }
    }
    best
}

/// Centre and radius of a sphere holding every point of the cell (um).
pub fn bounds(cell: &Cell) -> (Point3<f64>, f64) {
    let mut lo = Vector3::repeat(f64::INFINITY);
    let mut hi = Vector3::repeat(f64::NEG_INFINITY);
    for s in &cell.morphology.sections {
        for p in &s.points {
            lo = lo.inf(&p.coords);
            hi = hi.sup(&p.coords);
        }
    }
    if !lo.x.is_finite() {
        return (Point3::origin(), 100.0);
    }
    let c = Point3::from((lo + hi) / 2.0);
    (c, ((hi - lo).norm() / 2.0).max(10.0))
}

/// Orthonormal frame perpendicular to `t`.
fn frame(t: Vector3<f64>) -> (Vector3<f64>, Vector3<f64>) {
    let a = if t.x.abs() < 0.9 { Vector3::x() } else { Vector3::y() };
    let u = t.cross(&a).normalize();
    let v = t.cross(&u).normalize();
    (u, v)
}

impl TreeMesh {
    /// The tree as the window draws it: tubes of 10 sides, thin branches kept at a
    /// visible width (at least about 1/800 of the cell's size).
    pub fn for_display(cell: &Cell) -> TreeMesh {
        let (_, radius) = bounds(cell);
        TreeMesh::build(cell, 10, (radius / 300.0).max(0.3))
    }

    /// Builds tubes with `sides` sides; radii never below `min_radius` (um) so that thin
    /// branches stay visible.
    pub fn build(cell: &Cell, sides: usize, min_radius: f64) -> TreeMesh {
        let sides = sides.clamp(3, 32);
        let mut m = TreeMesh::default();
        for (si, sec) in cell.morphology.sections.iter().enumerate() {
            let len = sec.length();
            // Rings at every 3-D point and at every segment boundary.
            let nseg = cell.sec_nodes[si].nseg as usize;
            let mut stations: Vec<f64> = sec.arc.clone();
            for k in 1..nseg {
                stations.push(len * k as f64 / nseg as f64);
            }
            stations.sort_by(|a, b| a.total_cmp(b));
            stations.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
            if stations.len() < 2 {
                continue;
            }
            let mut prev_ring: Option<u32> = None;
            let mut prev_u: Option<Vector3<f64>> = None;
            for &s in &stations {
                let x = if len > 0.0 { s / len } else { 0.5 };
                let (p, d) = sec.at(x);
                // Tangent from a small step along the section.
                let h = (1.0 / len.max(1e-9)).min(0.01);
                let (pa, _) = sec.at((x - h).max(0.0));
                let (pb, _) = sec.at((x + h).min(1.0));
                let t = if (pb - pa).norm() > 1e-12 { (pb - pa).normalize() } else { Vector3::y() };
                // Parallel-transport the frame to avoid twisting.
                let (u, v) = match prev_u {
                    Some(pu) => {
                        let u = (pu - t * pu.dot(&t)).try_normalize(1e-9).unwrap_or_else(|| frame(t).0);
                        (u, t.cross(&u).normalize())
                    }
                    None => frame(t),
                };
                prev_u = Some(u);
                let r = (d / 2.0).max(min_radius);
                let node = cell.compartment_at(si, x);
                let base = m.positions.len() as u32;
                for j in 0..sides {
                    let a = std::f64::consts::TAU * j as f64 / sides as f64;
                    let n = u * a.cos() + v * a.sin();
                    let q = p + n * r;
                    m.positions.push([q.x as f32, q.y as f32, q.z as f32]);
                    m.normals.push([n.x as f32, n.y as f32, n.z as f32]);
                    m.node.push(node);
                    m.radius.push(r as f32);
                }
                if let Some(pr) = prev_ring {
                    for j in 0..sides as u32 {
                        let j1 = (j + 1) % sides as u32;
                        let (a0, a1, b0, b1) = (pr + j, pr + j1, base + j, base + j1);
                        // Counter-clockwise seen from outside.
                        m.indices.extend_from_slice(&[a0, b0, a1, a1, b0, b1]);
                    }
                }
                prev_ring = Some(base);
            }
        }
        // The soma as a sphere around its middle.
        let soma = cell.morphology.soma();
        let sec = &cell.morphology.sections[soma];
        if sec.region == crate::sim::morphology::Region::Soma {
            let (c, _) = sec.at(0.5);
            let r = sec.diams.iter().copied().fold(0.0, f64::max) / 2.0;
            let first = m.positions.len();
            m.add_sphere(c, r.max(min_radius), cell.compartment_at(soma, 0.5), 16, 24);
            m.soma_vertices = first..m.positions.len();
        }
        m
    }

    fn add_sphere(&mut self, c: Point3<f64>, r: f64, node: u32, rings: usize, seg: usize) {
        let base = self.positions.len() as u32;
        for i in 0..=rings {
            let th = std::f64::consts::PI * i as f64 / rings as f64;
            for j in 0..=seg {
                let ph = std::f64::consts::TAU * j as f64 / seg as f64;
                let n = Vector3::new(th.sin() * ph.cos(), th.cos(), th.sin() * ph.sin());
                let q = c + n * r;
                self.positions.push([q.x as f32, q.y as f32, q.z as f32]);
                self.normals.push([n.x as f32, n.y as f32, n.z as f32]);
                self.node.push(node);
                self.radius.push(r as f32);
            }
        }
        let w = seg as u32 + 1;
        for i in 0..rings as u32 {
            for j in 0..seg as u32 {
                let a = base + i * w + j;
                let b = a + w;
                self.indices.extend_from_slice(&[a, a + 1, b, a + 1, b + 1, b]);
            }
        }
    }
}

/// The rotation that stands the cell upright: its apical dendrites (or, without them,
/// its dendrites) point up (+y). The window and the clips show the cell so.
pub fn upright(cell: &Cell) -> nalgebra::UnitQuaternion<f64> {
    use crate::sim::morphology::Region;
    let m = &cell.morphology;
    let (centre, _) = m.sections[m.soma()].at(0.5);
    let mean_of = |pred: &dyn Fn(Region) -> bool| {
        let mut sum = nalgebra::Vector3::zeros();
        let mut n = 0.0;
        for s in m.sections.iter().filter(|s| pred(s.region)) {
            for p in &s.points {
                sum += p - centre;
                n += 1.0;
            }
        }
        (n > 0.0).then(|| sum / n)
    };
    let dir = mean_of(&|r| r == Region::Apical).or_else(|| mean_of(&|r| r.is_dendrite()));
    match dir {
        Some(d) if d.norm() > 1e-6 => nalgebra::UnitQuaternion::rotation_between(&d, &nalgebra::Vector3::y())
            .unwrap_or_else(|| {
                nalgebra::UnitQuaternion::from_axis_angle(&nalgebra::Vector3::x_axis(), std::f64::consts::PI)
            }),
        _ => nalgebra::UnitQuaternion::identity(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::cell::{Nseg, Passive};
    use crate::sim::morphology::{Morphology, Region};

    fn stick() -> Cell {
        let m = Morphology::soma_and_dendrite(20.0, 20.0, 100.0, 2.0, Region::Basal);
        Cell::new(m, Passive::uniform(2, 100.0, 1.0), &Nseg::Uniform(5)).unwrap()
    }

    #[test]
    fn nearest_location_finds_section_and_x() {
        let c = stick();
        let loc = nearest_location(&c, Point3::new(70.0, 1.0, 0.0)).unwrap();
        assert_eq!(loc.section, 1);
        assert!((loc.x - 0.5).abs() < 1e-9);
        assert!((loc.distance - 1.0).abs() < 1e-9);
    }

    #[test]
    fn mesh_is_consistent() {
        let c = stick();
        let m = TreeMesh::build(&c, 8, 0.5);
        assert_eq!(m.positions.len(), m.node.len());
        assert_eq!(m.positions.len(), m.radius.len());
        assert!(m.indices.iter().all(|&i| (i as usize) < m.positions.len()));
        assert!(m.indices.len().is_multiple_of(3) && !m.indices.is_empty());
        // Every compartment of the dendrite appears.
        for k in 0..5 {
            assert!(m.node.contains(&c.compartment_at(1, (k as f64 + 0.5) / 5.0)));
        }
    }
}

//! Sections: unbranched cables with 3-D points, and the regions they belong to.

use nalgebra::Point3;

/// Where a section lies, from its SWC type code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Region {
    Soma,
    Axon,
    Basal,
    Apical,
    /// Any other SWC type code (0, >= 5, negative); treated as dendrite.
    Custom(i32),
}

impl Region {
    /// The region of an SWC type code.
    pub fn from_swc_type(t: i32) -> Region {
        match t {
            1 => Region::Soma,
            2 => Region::Axon,
            3 => Region::Basal,
            4 => Region::Apical,
            other => Region::Custom(other),
        }
    }

    /// NEURON's Import3d section name stem for this region (`soma`, `axon`, `dend`,
    /// `apic`, `dend_N`, `minus_N`).
    pub fn stem(self) -> String {
        match self {
            Region::Soma => "soma".into(),
            Region::Axon => "axon".into(),
            Region::Basal => "dend".into(),
            Region::Apical => "apic".into(),
            Region::Custom(n) if n < 0 => format!("minus_{}", -n),
            Region::Custom(n) => format!("dend_{n}"),
        }
    }

    /// Whether this region is dendritic (basal, apical or custom).
    pub fn is_dendrite(self) -> bool {
        matches!(self, Region::Basal | Region::Apical | Region::Custom(_))
    }

    /// A short lower-case label for messages and files: `soma`, `axon`, `basal`,
    /// `apical`, `custom7`.
    pub fn label(self) -> String {
        match self {
            Region::Soma => "soma".into(),
            Region::Axon => "axon".into(),
            Region::Basal => "basal".into(),
            Region::Apical => "apical".into(),
            Region::Custom(n) => format!("custom{n}"),
        }
    }

    /// Parses a label written by [`Region::label`] (also `dend` for basal, `apic`).
    pub fn parse(s: &str) -> Option<Region> {
        Some(match s {
            "soma" => Region::Soma,
            "axon" => Region::Axon,
            "basal" | "dend" => Region::Basal,
            "apical" | "apic" => Region::Apical,
            _ => Region::Custom(s.strip_prefix("custom")?.parse().ok()?),
        })
    }
}

/// An unbranched cable: NEURON's section with its pt3d points.
#[derive(Debug, Clone)]
pub struct Section {
    /// NEURON-style name, e.g. `soma[0]`, `dend[12]`, `apic[3]`.
    pub name: String,
    pub region: Region,
    /// Index of the parent section; `None` for the root.
    pub parent: Option<usize>,
    /// Where on the parent this section's 0 end attaches (0..=1).
    pub parent_x: f64,
    /// 3-D points along the section (um), at least two.
    pub points: Vec<Point3<f64>>,
    /// Diameter at each point (um), > 0.
    pub diams: Vec<f64>,
    /// Cumulative arc length at each point (um); `arc[0] == 0`, the last is the length.
    pub arc: Vec<f64>,
    /// Line in the source file where the section's first own point is (0 if none).
    pub line: usize,
}

impl Section {
    /// A section from points and diameters (arc lengths computed here).
    pub fn new(
        name: String,
        region: Region,
        parent: Option<usize>,
        parent_x: f64,
        points: Vec<Point3<f64>>,
        diams: Vec<f64>,
        line: usize,
    ) -> Section {
        let mut arc = Vec::with_capacity(points.len());
        let mut s = 0.0;
        for (k, p) in points.iter().enumerate() {
            if k > 0 {
                s += (p - points[k - 1]).norm();
            }
            arc.push(s);
        }
        Section { name, region, parent, parent_x, points, diams, arc, line }
    }

    #[allow(clippy::too_many_arguments)]
    /// A straight cylinder of length `l` and diameter `d` (um) from `start` along `dir`.
    pub fn cylinder(
        name: String,
        region: Region,
        parent: Option<usize>,
        parent_x: f64,
        start: Point3<f64>,
        dir: nalgebra::Vector3<f64>,
        l: f64,
        d: f64,
    ) -> Section {
        let u = if dir.norm() > 0.0 { dir.normalize() } else { nalgebra::Vector3::x() };
        Section::new(name, region, parent, parent_x, vec![start, start + u * l], vec![d, d], 0)
    }

    /// Length along the points (um).
    pub fn length(&self) -> f64 {
        *self.arc.last().unwrap_or(&0.0)
    }

    /// Position and diameter at normalised arc position `x` in [0, 1] (linear between
    /// points): on the first piece whose end is at or beyond that arc length, found by
    /// binary search over the cumulative arc lengths (O(log points)).
    pub fn at(&self, x: f64) -> (Point3<f64>, f64) {
        let n = self.points.len();
        if n == 0 {
            return (Point3::origin(), 0.0);
        }
        if n == 1 {
            return (self.points[0], self.diams[0]);
        }
        let s = x.clamp(0.0, 1.0) * self.length();
        // The first k >= 1 with s <= arc[k] (`arc` is nondecreasing), else the last piece
        // (also for a NaN `x`, which no comparison holds for).
        let k = if s.is_nan() { n - 1 } else { (1 + self.arc[1..].partition_point(|&a| a < s)).min(n - 1) };
        let seg = self.arc[k] - self.arc[k - 1];
        let f = if seg > 0.0 { ((s - self.arc[k - 1]) / seg).clamp(0.0, 1.0) } else { 1.0 };
        let p = self.points[k - 1] + (self.points[k] - self.points[k - 1]) * f;
        let d = self.diams[k - 1] + (self.diams[k] - self.diams[k - 1]) * f;
        (p, d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The linear search `at` did before the binary search.
    fn at_linear(sec: &Section, x: f64) -> (Point3<f64>, f64) {
        let n = sec.points.len();
        let s = x.clamp(0.0, 1.0) * sec.length();
        for k in 1..n {
            if s <= sec.arc[k] || k == n - 1 {
                let seg = sec.arc[k] - sec.arc[k - 1];
                let f = if seg > 0.0 { ((s - sec.arc[k - 1]) / seg).clamp(0.0, 1.0) } else { 1.0 };
                let p = sec.points[k - 1] + (sec.points[k] - sec.points[k - 1]) * f;
                let d = sec.diams[k - 1] + (sec.diams[k] - sec.diams[k - 1]) * f;
                return (p, d);
            }
        }
        (sec.points[0], sec.diams[0])
    }

    #[test]
    fn binary_search_finds_what_the_linear_search_found() {
        // Pieces of zero length (repeated points) at the start, inside and at the end.
        let xs = [0.0, 0.0, 0.0, 1.0, 1.0, 2.5, 4.0, 4.0, 4.0, 7.0, 7.0];
        let points: Vec<Point3<f64>> = xs.iter().map(|&x| Point3::new(x, 0.5 * x, 0.0)).collect();
        let diams: Vec<f64> = (0..xs.len()).map(|k| 1.0 + k as f64).collect();
        let sec = Section::new("s".into(), Region::Basal, None, 1.0, points, diams, 0);
        let mut probes: Vec<f64> = (0..=1000).map(|k| k as f64 / 1000.0).collect();
        // Exactly at every point, and outside [0, 1].
        probes.extend(sec.arc.iter().map(|a| a / sec.length()));
        probes.extend([-1.0, 2.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e-300]);
        for &x in &probes {
            let (p, d) = sec.at(x);
            let (q, e) = at_linear(&sec, x);
            let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
            assert!(same(d, e) && (0..3).all(|i| same(p[i], q[i])), "x = {x}: {p:?} {d} vs {q:?} {e}");
        }
        // One point, and two coincident points.
        let one = Section::new(
            "o".into(),
            Region::Basal,
            None,
            1.0,
            vec![Point3::new(1.0, 2.0, 3.0)],
            vec![2.0],
            0,
        );
        assert_eq!(one.at(0.5), (Point3::new(1.0, 2.0, 3.0), 2.0));
        let two =
            Section::new("t".into(), Region::Basal, None, 1.0, vec![Point3::origin(); 2], vec![1.0, 3.0], 0);
        assert_eq!(two.at(0.5), at_linear(&two, 0.5));
    }
}

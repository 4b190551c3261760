//! Morphology: SWC text -> validated points ([`swc`]) -> sections built by NEURON's
//! Import3d rules ([`import3d`]), or Neurolucida ASC text -> sections by NEURON's
//! Import3d_Neurolucida3 rules ([`asc`]) -> a [`Morphology`] with the queries lessons need.

pub mod asc;
pub mod error;
pub mod gallery;
pub mod import3d;
pub mod section;
pub mod swc;

pub use error::MorphError;
pub use section::{Region, Section};

use std::path::Path;

/// A neuron's branching structure: sections with 3-D points, parents before children.
#[derive(Debug, Clone)]
pub struct Morphology {
    /// The file it came from (or a label).
    pub file: String,
    pub sections: Vec<Section>,
    /// Everything the reader fixed or dropped, in words.
    pub warnings: Vec<String>,
}

/// A morphology file's format, by the one rule every reader uses: Neurolucida ASC when
/// the name ends in `.asc` (any case), SWC otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Swc,
    Asc,
}

impl Format {
    pub fn of(path: &Path) -> Format {
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("asc")) {
            Format::Asc
        } else {
            Format::Swc
        }
    }

    /// Whether `path` names a morphology file by its extension (`.swc` or `.asc`, any case):
    /// what a setup may name as its cell.
    pub fn is_morphology_file(path: &Path) -> bool {
        path.extension().is_some_and(|e| e.eq_ignore_ascii_case("asc") || e.eq_ignore_ascii_case("swc"))
    }
}

impl Morphology {
    /// Reads an SWC file as NEURON's Import3d would.
    pub fn from_swc_file(path: &Path) -> Result<Morphology, MorphError> {
        let data = swc::read_swc(path)?;
        Ok(Self::from_swc_data(&data))
    }

    /// Parses SWC text; `file` names it in messages.
    pub fn from_swc_str(text: &str, file: &str) -> Result<Morphology, MorphError> {
        let data = swc::parse_swc(text, file)?;
        Ok(Self::from_swc_data(&data))
    }

    /// Reads a Neurolucida ASC file as NEURON's Import3d would.
    pub fn from_asc_file(path: &Path) -> Result<Morphology, MorphError> {
        asc::read_asc(path)
    }

    /// Parses Neurolucida ASC text; `file` names it in messages.
    pub fn from_asc_str(text: &str, file: &str) -> Result<Morphology, MorphError> {
        asc::parse_asc(text, file)
    }

    /// Reads a morphology file in its [`Format`].
    pub fn from_file(path: &Path) -> Result<Morphology, MorphError> {
        match Format::of(path) {
            Format::Asc => Self::from_asc_file(path),
            Format::Swc => Self::from_swc_file(path),
        }
    }

    /// Parses morphology text in `format`; `file` names it in messages.
    pub fn from_str_as(text: &str, file: &str, format: Format) -> Result<Morphology, MorphError> {
        match format {
            Format::Asc => Self::from_asc_str(text, file),
            Format::Swc => Self::from_swc_str(text, file),
        }
    }

    /// Builds the sections of validated SWC data.
    pub fn from_swc_data(data: &swc::SwcData) -> Morphology {
        let (sections, mut warnings) = import3d::sections_from_swc(data);
        let mut all = data.warnings.clone();
        all.append(&mut warnings);
        Morphology { file: data.file.clone(), sections, warnings: all }
    }

    /// A soma cylinder (length and diameter in um) with one dendrite of `region` leaving
    /// its 1 end along x: the smallest cell that has a tree.
    pub fn soma_and_dendrite(
        soma_l: f64,
        soma_d: f64,
        dend_l: f64,
        dend_d: f64,
        region: Region,
    ) -> Morphology {
        use nalgebra::{Point3, Vector3};
        let soma = Section::cylinder(
            "soma".into(),
            Region::Soma,
            None,
            1.0,
            Point3::origin(),
            Vector3::x(),
            soma_l,
            soma_d,
        );
        let dend = Section::cylinder(
            "dend".into(),
            region,
            Some(0),
            1.0,
            Point3::new(soma_l, 0.0, 0.0),
            Vector3::x(),
            dend_l,
            dend_d,
        );
        Morphology { file: "soma and dendrite".into(), sections: vec![soma, dend], warnings: Vec::new() }
    }

    /// Total length of all sections (um).
    pub fn total_length(&self) -> f64 {
        self.sections.iter().map(|s| s.length()).sum()
    }

    /// The soma section: the first section of region soma, else the root.
    pub fn soma(&self) -> usize {
        self.sections.iter().position(|s| s.region == Region::Soma).unwrap_or(0)
    }

    /// Index of the section with this name.
    pub fn section_by_name(&self, name: &str) -> Option<usize> {
        self.sections.iter().position(|s| s.name == name)
    }

    /// Children of each section, in section order.
    pub fn children(&self) -> Vec<Vec<usize>> {
        let mut c = vec![Vec::new(); self.sections.len()];
        for (i, s) in self.sections.iter().enumerate() {
            if let Some(p) = s.parent {
                c[p].push(i);
            }
        }
        c
    }

    /// Path length (um) from the root section's 0 end to location `x` of section `sec`.
    pub fn distance_from_root_start(&self, sec: usize, x: f64) -> f64 {
        let mut d = x.clamp(0.0, 1.0) * self.sections[sec].length();
        let mut s = sec;
        while let Some(p) = self.sections[s].parent {
            d += self.sections[s].parent_x * self.sections[p].length();
            s = p;
        }
        d
    }

    /// The root section's position where the subtree holding `sec` leaves it (its x on
    /// the root), or `None` when `sec` is the root.
    fn root_exit(&self, sec: usize) -> Option<f64> {
        let mut s = sec;
        let mut exit = None;
        while let Some(p) = self.sections[s].parent {
            exit = Some(self.sections[s].parent_x);
            s = p;
        }
        exit
    }

    /// Path distance (um) from `origin_x` on the root section (e.g. soma(0.5), or
    /// soma(0) as Hay's channel gradients use) to location `x` of section `sec`.
    pub fn path_distance(&self, origin_x: f64, sec: usize, x: f64) -> f64 {
        let root_len = self.sections[0].length();
        match self.root_exit(sec) {
            None => (x - origin_x).abs() * root_len,
            Some(exit) => {
                let below = self.distance_from_root_start(sec, x) - exit * root_len;
                (exit - origin_x).abs() * root_len + below
            }
        }
    }

    /// Branch order: 0 for the root, +1 for each section on the way out that is not of
    /// the soma.
    pub fn branch_order(&self, sec: usize) -> usize {
        let mut order = 0;
        let mut s = sec;
        while let Some(p) = self.sections[s].parent {
            if self.sections[s].region != Region::Soma {
                order += 1;
            }
            s = p;
        }
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A three-point soma (r = 5 along y), a basal dendrite leaving it, and an apical
    // trunk that branches once.
    const CELL: &str = "1 1 0 0 0 5 -1\n2 1 0 -5 0 5 1\n3 1 0 5 0 5 1\n\
        4 3 0 -5 0 1 1\n5 3 0 -25 0 1 4\n\
        6 4 0 5 0 2 1\n7 4 0 105 0 2 6\n8 4 10 205 0 1 7\n9 4 -10 205 0 1 7\n";

    #[test]
    fn regions_names_distances_and_orders() {
        let m = Morphology::from_swc_str(CELL, "t.swc").unwrap();
        let names: Vec<&str> = m.sections.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["soma[0]", "dend[0]", "apic[0]", "apic[1]", "apic[2]"]);
        let regions: Vec<Region> = m.sections.iter().map(|s| s.region).collect();
        assert_eq!(regions, [Region::Soma, Region::Basal, Region::Apical, Region::Apical, Region::Apical]);
        // The soma is a cylinder of length 2r = 10 um; children hang from its middle.
        assert!((m.sections[0].length() - 10.0).abs() < 1e-9);
        assert_eq!(m.sections[2].parent, Some(0));
        assert_eq!(m.sections[2].parent_x, 0.5);
        // The trunk runs 100 um from its own first point (a wire to the soma centre).
        assert!((m.sections[2].length() - 100.0).abs() < 1e-9);
        // Path distance from soma(0.5): the trunk's end is 100 um out, a tuft tip 100 +
        // sqrt(10^2 + 100^2) further; from soma(0) add half the soma.
        let tip = 100.0 + (10.0f64.powi(2) + 100.0f64.powi(2)).sqrt();
        assert!((m.path_distance(0.5, 3, 1.0) - tip).abs() < 1e-9);
        assert!((m.path_distance(0.0, 3, 1.0) - (tip + 5.0)).abs() < 1e-9);
        assert!((m.path_distance(0.5, 0, 0.0) - 5.0).abs() < 1e-9);
        assert!((m.path_distance(0.5, 1, 1.0) - 20.0).abs() < 1e-9);
        assert_eq!(m.branch_order(0), 0);
        assert_eq!(m.branch_order(2), 1);
        assert_eq!(m.branch_order(4), 2);
        assert_eq!(m.section_by_name("apic[2]"), Some(4));
        assert_eq!(m.children()[2], vec![3, 4]);
    }

    #[test]
    fn locations_map_to_compartments() {
        use crate::sim::cell::{Cell, Nseg, Passive};
        let m = Morphology::from_swc_str(CELL, "t.swc").unwrap();
        let cell = Cell::new(m, Passive::uniform(5, 100.0, 1.0), &Nseg::Uniform(4)).unwrap();
        let s = cell.sec_nodes[2];
        assert_eq!(cell.compartment_at(2, 0.0), s.first);
        assert_eq!(cell.compartment_at(2, 0.3), s.first + 1);
        assert_eq!(cell.compartment_at(2, 1.0), s.first + 3);
        // NEURON's node for x = 1 is the zero-area end node; compartments never are.
        assert_eq!(cell.node_at(2, 1.0), s.end);
        assert_eq!(cell.area[s.end as usize], 0.0);
        assert!(cell.area[cell.compartment_at(2, 1.0) as usize] > 0.0);
    }
}

//! A cell ready to simulate: sections cut into segments, numbered as nodes in Hines
//! order (every node's parent has a smaller index), with areas, capacitances and axial
//! conductances. The node layout is NEURON's (docs/biophysics.md 1.2): one node at the centre
//! of each segment, a zero-area node at each section's 1 end, and one more at the root
//! section's 0 end.

use crate::sim::discretize::{axial_mohm, nseg_d_lambda, segments};
use crate::sim::morphology::{Morphology, Region};

/// Sentinel parent of the root node.
pub const NO_PARENT: u32 = u32::MAX;

/// How to choose the number of segments of each section.
#[derive(Debug, Clone, PartialEq)]
pub enum Nseg {
    /// NEURON's d_lambda rule: segments no longer than `d_lambda` of the AC length
    /// constant at `freq_hz` (the usual choice is 0.1 at 100 Hz), odd.
    DLambda { d_lambda: f64, freq_hz: f64 },
    /// The given count for every section.
    Uniform(usize),
    /// One count per section.
    PerSection(Vec<usize>),
}

impl Default for Nseg {
    fn default() -> Self {
        Nseg::DLambda { d_lambda: 0.1, freq_hz: 100.0 }
    }
}

/// Electrical properties of each section.
#[derive(Debug, Clone, PartialEq)]
pub struct Passive {
    /// Axial resistivity per section (ohm cm).
    pub ra: Vec<f64>,
    /// Specific membrane capacitance per section (uF/cm2).
    pub cm: Vec<f64>,
}

impl Passive {
    /// The same Ra (ohm cm) and cm (uF/cm2) everywhere.
    pub fn uniform(nsec: usize, ra: f64, cm: f64) -> Self {
        Passive { ra: vec![ra; nsec], cm: vec![cm; nsec] }
    }
}

/// Where a section's nodes are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SectionNodes {
    /// Node of the first segment's centre; the section's segments are consecutive.
    pub first: u32,
    pub nseg: u32,
    /// Zero-area node at the 1 end.
    pub end: u32,
    /// Node at the 0 end: the root's own zero-area node, or the node of the parent that
    /// this section hangs from.
    pub start: u32,
}

/// A discretised cell.
#[derive(Debug, Clone)]
pub struct Cell {
    pub morphology: Morphology,
    pub passive: Passive,
    pub sec_nodes: Vec<SectionNodes>,
    /// Parent node of each node (`NO_PARENT` for node 0).
    pub parent: Vec<u32>,
    /// Membrane area of each node (um2); 0 for the zero-area end nodes.
    pub area: Vec<f64>,
    /// Specific capacitance at each node (uF/cm2); 0 at zero-area nodes.
    pub cm: Vec<f64>,
    /// Axial conductance between each node and its parent (uS).
    pub g_axial: Vec<f64>,
    /// Section of each node.
    pub node_section: Vec<u32>,
    /// Position of each node along its section (0..=1).
    pub node_x: Vec<f64>,
}

/// A morphology that cannot be discretised into a cell, naming the section at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CellError {
    #[error("{file}: the morphology has no sections")]
    NoSections { file: String },
    /// A per-section list (`what`) whose length is not the number of sections.
    #[error("{what} must be given for every section")]
    PerSection { what: &'static str },
    /// A section that cannot be built: `section` (with its file line, when known) and why.
    #[error("{section}{}: {problem}", if *.line > 0 { format!(" (line {line})") } else { String::new() })]
    Section { section: String, line: usize, problem: String },
    #[error("{0} nodes is more than this program handles")]
    TooManyNodes(usize),
}

impl CellError {
    fn section(s: &crate::sim::morphology::Section, problem: String) -> CellError {
        CellError::Section { section: s.name.clone(), line: s.line, problem }
    }
}

impl Cell {
    /// Discretises a morphology with the given passive properties and nseg policy.
    pub fn new(morphology: Morphology, passive: Passive, nseg: &Nseg) -> Result<Cell, CellError> {
        let ns = morphology.sections.len();
        if ns == 0 {
            return Err(CellError::NoSections { file: morphology.file.clone() });
        }
        if passive.ra.len() != ns || passive.cm.len() != ns {
            return Err(CellError::PerSection { what: "passive properties" });
        }
        for (i, s) in morphology.sections.iter().enumerate() {
            if !(passive.ra[i].is_finite() && passive.ra[i] > 0.0) {
                return Err(CellError::section(s, format!("Ra must be positive, got {}", passive.ra[i])));
            }
            if !(passive.cm[i].is_finite() && passive.cm[i] >= 0.0) {
                return Err(CellError::section(s, format!("cm must not be negative, got {}", passive.cm[i])));
            }
            if s.parent.is_some_and(|p| p >= i) {
                return Err(CellError::section(s, "its parent must come before it".into()));
            }
            if s.points.len() < 2 || s.diams.iter().any(|d| !(d.is_finite() && *d > 0.0)) {
                return Err(CellError::section(s, "needs two points and positive diameters".into()));
            }
        }
        let counts: Vec<usize> = match nseg {
            Nseg::DLambda { d_lambda, freq_hz } => morphology
                .sections
                .iter()
                .enumerate()
                .map(|(i, s)| nseg_d_lambda(s, passive.ra[i], passive.cm[i], *d_lambda, *freq_hz))
                .collect(),
            Nseg::Uniform(n) => vec![*n; ns],
            Nseg::PerSection(v) => {
                if v.len() != ns {
                    return Err(CellError::PerSection { what: "nseg" });
                }
                v.clone()
            }
        };
        if let Some(i) = counts.iter().position(|&n| n == 0 || n > 100_000) {
            let s = &morphology.sections[i];
            if let Nseg::DLambda { d_lambda, freq_hz } = nseg {
                // nseg_d_lambda stops counting at 200001.
                return Err(CellError::section(
                    s,
                    format!(
                        "the d_lambda rule ({d_lambda} at {freq_hz} Hz) asks for more than 100000 \
                         segments: the section is {:.0} um long with diameters down to {} um",
                        s.length(),
                        s.diams.iter().copied().fold(f64::INFINITY, f64::min)
                    ),
                ));
            }
            return Err(CellError::section(
                s,
                format!("nseg must be between 1 and 100000, got {}", counts[i]),
            ));
        }
        let total: usize = counts.iter().sum::<usize>() + ns + 1;
        if total > 5_000_000 {
            return Err(CellError::TooManyNodes(total));
        }

        let mut cell = Cell {
            passive,
            sec_nodes: Vec::with_capacity(ns),
            parent: Vec::with_capacity(total),
            area: Vec::with_capacity(total),
            cm: Vec::with_capacity(total),
            g_axial: Vec::with_capacity(total),
            node_section: Vec::with_capacity(total),
            node_x: Vec::with_capacity(total),
            morphology,
        };
        // The root's 0-end node.
        cell.push_node(NO_PARENT, 0.0, 0.0, 0.0, 0, 0.0);
        for i in 0..ns {
            let sec = &cell.morphology.sections[i];
            let n = counts[i];
            let segs = segments(sec, n);
            let ra = cell.passive.ra[i];
            let cm = cell.passive.cm[i];
            let start = match sec.parent {
                None => 0,
                Some(p) => cell.node_at(p, sec.parent_x),
            };
            let first = cell.parent.len() as u32;
            let mut prev = start;
            for (k, g) in segs.iter().enumerate() {
                // Conductance to the previous node: this segment's left half, plus the
                // previous segment's right half within the section.
                let mut r = axial_mohm(g.rfac_left, ra);
                if k > 0 {
                    r += axial_mohm(segs[k - 1].rfac_right, ra);
                }
                let x = (k as f64 + 0.5) / n as f64;
                cell.push_node(prev, g.area_um2, cm, conductance(r), i as u32, x);
                prev = cell.parent.len() as u32 - 1;
            }
            let r_end = axial_mohm(segs[n - 1].rfac_right, ra);
            cell.push_node(prev, 0.0, 0.0, conductance(r_end), i as u32, 1.0);
            let end = cell.parent.len() as u32 - 1;
            cell.sec_nodes.push(SectionNodes { first, nseg: n as u32, end, start });
        }
        Ok(cell)
    }

    fn push_node(&mut self, parent: u32, area: f64, cm: f64, g: f64, sec: u32, x: f64) {
        self.parent.push(parent);
        self.area.push(area);
        self.cm.push(cm);
        self.g_axial.push(g);
        self.node_section.push(sec);
        self.node_x.push(x);
    }

    /// Number of nodes (segments plus zero-area nodes).
    pub fn node_count(&self) -> usize {
        self.parent.len()
    }

    /// Number of compartments (segments with membrane).
    pub fn compartment_count(&self) -> usize {
        self.sec_nodes.iter().map(|s| s.nseg as usize).sum()
    }

    /// The node NEURON uses for location `x` of section `sec`: the 0-end node at x = 0,
    /// the 1-end node at x = 1, else the centre of the segment holding x.
    pub fn node_at(&self, sec: usize, x: f64) -> u32 {
        let s = &self.sec_nodes[sec];
        if x <= 0.0 {
            s.start
        } else if x >= 1.0 {
            s.end
        } else {
            let k = ((x * s.nseg as f64) as u32).min(s.nseg - 1);
            s.first + k
        }
    }

    /// The membrane compartment nearest to location `x` of section `sec` (never a
    /// zero-area node): where synapses from a click or a probe go.
    pub fn compartment_at(&self, sec: usize, x: f64) -> u32 {
        let s = &self.sec_nodes[sec];
        let k = ((x.clamp(0.0, 1.0) * s.nseg as f64) as u32).min(s.nseg - 1);
        s.first + k
    }

    /// Total membrane area (um2).
    pub fn total_area(&self) -> f64 {
        self.area.iter().sum()
    }

    /// Membrane area of the sections of a region (um2).
    pub fn region_area(&self, region: Region) -> f64 {
        (0..self.node_count())
            .filter(|&n| self.morphology.sections[self.node_section[n] as usize].region == region)
            .map(|n| self.area[n])
            .sum()
    }

    /// The membrane nodes of the sections matching `pred`.
    pub fn nodes_where(&self, mut pred: impl FnMut(usize) -> bool) -> Vec<u32> {
        let mut out = Vec::new();
        for (i, s) in self.sec_nodes.iter().enumerate() {
            if pred(i) {
                out.extend(s.first..s.first + s.nseg);
            }
        }
        out
    }
}

fn conductance(r_mohm: f64) -> f64 {
    if r_mohm > 0.0 { 1.0 / r_mohm } else { 1e9 }
}

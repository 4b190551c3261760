//! The JSON model spec of `reference/models/` (NEURON 9.0.2's voltages for each model are in
//! `reference/traces/<name>.csv`): sections given by length and diameter, mechanisms by NEURON
//! name, current clamps, synapses with spike times, record sites. All in NEURON units:
//!
//! - top level: `name`, `tstop` (ms), `celsius` (degC), `dt` (ms) and `v_init` (mV) (the last
//!   three default to NEURON's), `record_every` (steps between samples, default 4),
//!   `crank_nicolson` (default false);
//! - `sections`: `{name, parent (a section name or null), parent_x (default 1), L (um),
//!   diam (um), nseg (default 1), Ra (ohm cm, default 35.4), cm (uF/cm2, default 1),
//!   mechanisms}`, with `mechanisms` mapping a NEURON name (`hh`, `pas`, ...) to its
//!   parameters; parameters left out keep NEURON's defaults;
//! - `iclamps`: `{section, x, delay (ms), dur (ms), amp (nA)}`;
//! - `synapses`: `{section, x, kind, tau1 (ms), tau2 (ms), e (mV), mg (mM, default 1),
//!   weight (uS), times (ms)}`; `kind` is `exp2syn` (NEURON's Exp2Syn) or `nmda` (Exp2Syn's
//!   conductance times the Jahr & Stevens block 1 / (1 + mg/3.57 exp(-0.062 v)),
//!   docs/biophysics.md 7.2); each spike arrives at exactly its listed time;
//! - `record`: `{section, x}`, one CSV column `section(x)` each.
//!
//! NEURON made the traces (`reference/make_traces.py` regenerates them) with its default fixed
//! step (backward Euler) and `hh`'s rate functions evaluated exactly (`usetable_hh = 0`).
//!
//! Values that no cell can have are refused when the spec is built, before anything is
//! allocated, with the entry and the field: `sections[2] (dend): Ra must be within [1e-3,
//! 1e7] ohm cm, got 1e-300`, `synapses[0] (dend): weight must be within [0, 1e3] uS, got -1`.
//! The bounds are the `*_RANGE` constants below (docs/limits.md lists them and why).

use crate::sim::cell::{Cell, CellError, Nseg, Passive};
use crate::sim::defaults;
use crate::sim::engine::{SimConfig, SimError, Simulation};
use crate::sim::morphology::{Morphology, Region, Section};
use crate::sim::stimuli::IClamp;
use crate::sim::synapses::{MgBlock, SynapseParams};
use nalgebra::{Point3, Vector3};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

fn default_x() -> f64 {
    1.0
}
fn default_every() -> u32 {
    4
}
fn default_mg() -> f64 {
    1.0
}
fn default_nseg() -> usize {
    1
}

/// A whole model.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    #[serde(default)]
    pub name: String,
    #[serde(default = "defaults::celsius")]
    pub celsius: f64,
    #[serde(default = "defaults::dt")]
    pub dt: f64,
    pub tstop: f64,
    #[serde(default = "defaults::v_init")]
    pub v_init: f64,
    #[serde(default = "default_every")]
    pub record_every: u32,
    pub sections: Vec<SectionSpec>,
    #[serde(default)]
    pub iclamps: Vec<IClampSpec>,
    #[serde(default)]
    pub synapses: Vec<SynapseSpec>,
    #[serde(default)]
    pub record: Vec<SiteSpec>,
    /// Crank-Nicolson (NEURON's secondorder = 2) instead of backward Euler.
    #[serde(default)]
    pub crank_nicolson: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionSpec {
    pub name: String,
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default = "default_x")]
    pub parent_x: f64,
    #[serde(rename = "L")]
    pub length: f64,
    pub diam: f64,
    #[serde(default = "default_nseg")]
    pub nseg: usize,
    #[serde(rename = "Ra", default = "defaults::ra")]
    pub ra: f64,
    #[serde(default = "defaults::cm")]
    pub cm: f64,
    /// Mechanism name -> parameter name -> value.
    #[serde(default)]
    pub mechanisms: BTreeMap<String, BTreeMap<String, f64>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IClampSpec {
    pub section: String,
    pub x: f64,
    pub delay: f64,
    pub dur: f64,
    pub amp: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynapseSpec {
    pub section: String,
    pub x: f64,
    /// `exp2syn` or `nmda`.
    pub kind: String,
    pub tau1: f64,
    pub tau2: f64,
    pub e: f64,
    #[serde(default = "default_mg")]
    pub mg: f64,
    pub weight: f64,
    #[serde(default)]
    pub times: Vec<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSpec {
    pub section: String,
    /// Kept as written so that the CSV header matches NEURON's (`soma(0.5)`, `dend(1.0)`).
    pub x: serde_json::Number,
}

impl SiteSpec {
    pub fn x(&self) -> f64 {
        self.x.as_f64().unwrap_or(f64::NAN)
    }
    /// The column name `section(x)`, x written as Python writes it.
    pub fn column(&self) -> String {
        let x = if self.x.is_f64() { format!("{:?}", self.x()) } else { self.x.to_string() };
        format!("{}({})", self.section, x)
    }
}

/// A spec that cannot be built or run, naming the entry at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpecError {
    /// The text is not a spec (serde's message names line and column).
    #[error("not a valid model spec: {0}")]
    Json(String),
    /// An entry (`at`: `sections[2] (dend)`, `iclamps[0]`; empty for the top level) and
    /// what is wrong with it.
    #[error("{}{problem}", prefix(.at))]
    Entry { at: String, problem: String },
    /// The sections could not be discretised.
    #[error(transparent)]
    Cell(#[from] CellError),
    /// The engine refused an entry (`at` as for [`SpecError::Entry`]), or a run went wrong.
    #[error("{}{source}", prefix(.at))]
    Engine { at: String, source: SimError },
}

fn prefix(at: &str) -> String {
    if at.is_empty() { String::new() } else { format!("{at}: ") }
}

/// What is wrong with entry `at` (empty: the top level).
fn err_at<T>(at: &str, problem: impl Into<String>) -> Result<T, SpecError> {
    Err(SpecError::Entry { at: at.to_string(), problem: problem.into() })
}

fn err<T>(problem: impl Into<String>) -> Result<T, SpecError> {
    err_at("", problem)
}

/// The engine's error for entry `at`.
fn engine(at: impl Into<String>, source: SimError) -> SpecError {
    SpecError::Engine { at: at.into(), source }
}

fn check_finite(what: &str, x: f64) -> Result<(), SpecError> {
    if x.is_finite() { Ok(()) } else { err(format!("{what} must be a finite number, got {x}")) }
}

/// A location along a section: `{what}: {field} = 1.5 is outside [0, 1]`.
fn check_x(what: &str, field: &str, x: f64) -> Result<(), SpecError> {
    if (0.0..=1.0).contains(&x) {
        Ok(())
    } else {
        err_at(what, format!("{field} = {} is outside [0, 1]", num(x)))
    }
}

/// The values a field of the spec may take: from `lo` (excluded when `lo_open`) to `hi`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    pub lo: f64,
    pub lo_open: bool,
    pub hi: f64,
    pub unit: &'static str,
}

impl Bound {
    const fn closed(lo: f64, hi: f64, unit: &'static str) -> Bound {
        Bound { lo, lo_open: false, hi, unit }
    }
    const fn positive(hi: f64, unit: &'static str) -> Bound {
        Bound { lo: 0.0, lo_open: true, hi, unit }
    }
    /// Whether `v` is within (NaN never is).
    pub fn contains(&self, v: f64) -> bool {
        (if self.lo_open { v > self.lo } else { v >= self.lo }) && v <= self.hi
    }
    /// `within (0, 1e5] um`, `within [1e-3, 1e7] ohm cm`, `>= 0 ms` (no upper bound but
    /// finiteness).
    pub fn text(&self) -> String {
        let unit = if self.unit.is_empty() { String::new() } else { format!(" {}", self.unit) };
        if self.hi == f64::MAX {
            let op = if self.lo_open { ">" } else { ">=" };
            return format!("{op} {}{unit}", num(self.lo));
        }
        let open = if self.lo_open { '(' } else { '[' };
        format!("within {open}{}, {}]{unit}", num(self.lo), num(self.hi))
    }
    /// Checks field `field` of entry `what` (empty for the top level).
    fn check(&self, what: &str, field: &str, v: f64) -> Result<(), SpecError> {
        if self.contains(v) {
            return Ok(());
        }
        let (got, range) = (num(v), self.text());
        if !v.is_finite() {
            return err_at(what, format!("{field} must be a finite number {range}, got {got}"));
        }
        if self.lo_open && self.lo == 0.0 && v <= 0.0 {
            return err_at(what, format!("{field} must be positive ({range}), got {got}"));
        }
        err_at(what, format!("{field} must be {range}, got {got}"))
    }
}

/// A number as messages write it: `1e-300`, `2.5e12` rather than hundreds of digits.
fn num(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-2..1e4).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Section length `L`: at most 10 cm, ten times the longest reconstructed cells (< 1 cm).
pub const L_RANGE: Bound = Bound::positive(1e5, "um");
/// Section diameter `diam`: at most 2 mm, twice the thickest neurites and somata known
/// (the squid giant axon, Aplysia's giant neurons: about 1 mm). The same bound as the
/// SWC reader's radius of 1 mm.
pub const DIAM_RANGE: Bound = Bound::positive(2e3, "um");
/// Axial resistivity `Ra`: cytoplasm is 30..300 ohm cm; models use 1e-3 to short a
/// section out and large values to cut one off. Below 1e-3 the axial conductances swamp
/// every other term of the matrix; a trace comes out flat.
pub const RA_RANGE: Bound = Bound::closed(1e-3, 1e7, "ohm cm");
/// Specific membrane capacitance `cm`: membranes have about 1 uF/cm2 (up to about 2 when
/// folds and spines are folded in).
pub const CM_RANGE: Bound = Bound::positive(1e3, "uF/cm2");
/// Segments per section `nseg`: NEURON's own limit.
pub const MAX_NSEG: usize = 32_767;
/// Current clamp amplitude `amp`: 1 uA in magnitude, far beyond any electrode into a
/// neuron (a few nA). A larger current can still drive a small cell out of the sane
/// voltage range; the run then stops and says where.
pub const AMP_RANGE: Bound = Bound::closed(-1e3, 1e3, "nA");
/// Synaptic weight (peak conductance): not negative (a negative conductance has no
/// physical meaning and runs away), at most 1 mS, a thousand times a strong lumped input.
pub const WEIGHT_RANGE: Bound = Bound::closed(0.0, 1e3, "uS");
/// Synaptic time constants `tau1`, `tau2`: at most 10 s (GABA-B, the slowest, about 1 s).
pub const TAU_RANGE: Bound = Bound::positive(1e4, "ms");
/// Potentials: `v_init`, a synapse's reversal `e`; the sane range of a run.
pub const POTENTIAL_RANGE: Bound =
    Bound::closed(-crate::sim::limits::MAX_ABS_V_MV, crate::sim::limits::MAX_ABS_V_MV, "mV");
/// Extracellular [Mg2+] `mg` of an NMDA synapse: physiological 1..2 mM, slices up to 10.
pub const MG_RANGE: Bound = Bound::closed(0.0, 100.0, "mM");
/// Temperature `celsius`: liquid water.
pub const CELSIUS_RANGE: Bound = Bound::closed(0.0, 100.0, "degC");
/// Times of a clamp (`delay`, `dur`) and of spikes: not negative (`dur` 1e9, NEURON's
/// "for ever", is fine).
pub const TIME_RANGE: Bound = Bound::closed(0.0, f64::MAX, "ms");

/// How messages name a section entry: `sections[2] (dend)`, its index in the file.
fn section_entry(i: usize, s: &SectionSpec) -> String {
    format!("sections[{i}] ({})", s.name)
}

/// A built model: the simulation plus the names of its recorded columns.
#[derive(Debug)]
pub struct BuiltModel {
    pub sim: Simulation,
    pub columns: Vec<String>,
    pub tstop: f64,
    pub section_index: HashMap<String, usize>,
}

impl ModelSpec {
    /// Parses a spec from JSON text.
    pub fn from_json(text: &str) -> Result<ModelSpec, SpecError> {
        serde_json::from_str(text).map_err(|e| SpecError::Json(e.to_string()))
    }

    /// Checks the spec and builds the simulation, initialised and ready to run: its
    /// values checked, its sections ordered parents first and laid out, the cell
    /// discretised, then its mechanisms, inputs and recordings added.
    pub fn build(&self) -> Result<BuiltModel, SpecError> {
        let by_name = self.check()?;
        let order = self.section_order(&by_name)?;
        let (sections, new_index) = self.sections_in(&order);
        let morph = Morphology { file: self.name.clone(), sections, warnings: Vec::new() };
        let specs: Vec<&SectionSpec> = order.iter().map(|&i| &self.sections[i]).collect();
        let passive =
            Passive { ra: specs.iter().map(|s| s.ra).collect(), cm: specs.iter().map(|s| s.cm).collect() };
        let nseg = Nseg::PerSection(specs.iter().map(|s| s.nseg).collect());
        let cell = Cell::new(morph, passive, &nseg)?;
        let config = SimConfig {
            dt: self.dt,
            celsius: self.celsius,
            v_init: self.v_init,
            crank_nicolson: self.crank_nicolson,
        };
        let mut sim = Simulation::new(cell, config).map_err(|e| engine("", e))?;
        self.insert_mechanisms(&mut sim, &specs, &order)?;
        let (probes, columns) = self.add_inputs_and_probes(&mut sim, &new_index)?;
        let samples_f = (self.tstop / self.dt / self.record_every as f64).ceil() + 2.0;
        // Every recorded sample is kept in memory: refuse what would not fit.
        if samples_f * (probes.len() + 1) as f64 > 5e7 {
            return err(format!(
                "{samples_f:.0} samples per trace are too many to keep; raise record_every or shorten tstop"
            ));
        }
        let samples = samples_f as usize;
        sim.record(&probes, self.record_every, samples).map_err(|e| engine("", e))?;
        sim.init();
        Ok(BuiltModel { sim, columns, tstop: self.tstop, section_index: new_index })
    }

    /// Every value within its bounds (the entry and field named), sections named once
    /// with known mechanisms. Returns each section's index by name.
    fn check(&self) -> Result<HashMap<&str, usize>, SpecError> {
        check_finite("tstop", self.tstop)?;
        if self.tstop < 0.0 || self.tstop > 1e7 {
            return err(format!("tstop must be within 0..1e7 ms, got {}", self.tstop));
        }
        if self.record_every == 0 {
            return err("record_every must be at least 1");
        }
        if self.sections.is_empty() {
            return err("the model has no sections");
        }
        POTENTIAL_RANGE.check("", "v_init", self.v_init)?;
        CELSIUS_RANGE.check("", "celsius", self.celsius)?;
        // Sections in an order where parents come first (any order is accepted).
        let mut by_name: HashMap<&str, usize> = HashMap::new();
        for (i, s) in self.sections.iter().enumerate() {
            let what = section_entry(i, s);
            if let Some(first) = by_name.insert(s.name.as_str(), i) {
                return err_at(
                    &what,
                    format!("section '{}' is defined twice (first at sections[{first}])", s.name),
                );
            }
            L_RANGE.check(&what, "L", s.length)?;
            DIAM_RANGE.check(&what, "diam", s.diam)?;
            RA_RANGE.check(&what, "Ra", s.ra)?;
            CM_RANGE.check(&what, "cm", s.cm)?;
            if s.nseg == 0 || s.nseg > MAX_NSEG {
                return err_at(&what, format!("nseg must be within 1..={MAX_NSEG}, got {}", s.nseg));
            }
            check_x(&what, "parent_x", s.parent_x)?;
            for mech in s.mechanisms.keys() {
                if crate::sim::mechanisms::catalogue::entry(mech).is_none() {
                    return Err(engine(what, SimError::UnknownMechanism { name: mech.clone() }));
                }
            }
        }
        for (k, c) in self.iclamps.iter().enumerate() {
            let what = format!("iclamps[{k}]");
            AMP_RANGE.check(&what, "amp", c.amp)?;
            TIME_RANGE.check(&what, "delay", c.delay)?;
            TIME_RANGE.check(&what, "dur", c.dur)?;
        }
        for (k, s) in self.synapses.iter().enumerate() {
            let what = format!("synapses[{k}]");
            WEIGHT_RANGE.check(&what, "weight", s.weight)?;
            TAU_RANGE.check(&what, "tau1", s.tau1)?;
            TAU_RANGE.check(&what, "tau2", s.tau2)?;
            POTENTIAL_RANGE.check(&what, "e", s.e)?;
            MG_RANGE.check(&what, "mg", s.mg)?;
            for (j, &t) in s.times.iter().enumerate() {
                TIME_RANGE.check(&what, &format!("times[{j}]"), t)?;
            }
        }
        Ok(by_name)
    }

    /// The sections in an order where parents come first (they may be listed in any
    /// order): exactly one root, known parents, no cycle.
    fn section_order(&self, by_name: &HashMap<&str, usize>) -> Result<Vec<usize>, SpecError> {
        // Parents first (sections may be listed in any order): a breadth-first walk from
        // the root over child lists, linear in the number of sections.
        let mut roots = Vec::new();
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); self.sections.len()];
        for (i, s) in self.sections.iter().enumerate() {
            match &s.parent {
                None => roots.push(i),
                Some(p) if p == &s.name => {
                    return err_at(&section_entry(i, s), format!("section '{}' is its own parent", s.name));
                }
                Some(p) => match by_name.get(p.as_str()) {
                    Some(&pi) => children[pi].push(i),
                    None => return err_at(&section_entry(i, s), format!("parent '{p}' does not exist")),
                },
            }
        }
        if roots.len() != 1 {
            let named: Vec<String> =
                roots.iter().take(10).map(|&i| section_entry(i, &self.sections[i])).collect();
            return err(format!(
                "the model needs exactly one root section (no parent), found {}{}{}",
                roots.len(),
                if named.is_empty() { "" } else { ": " },
                named.join(", ")
            ));
        }
        let mut order: Vec<usize> = Vec::with_capacity(self.sections.len());
        order.push(roots[0]);
        let mut k = 0;
        while k < order.len() {
            order.extend_from_slice(&children[order[k]]);
            k += 1;
        }
        if order.len() < self.sections.len() {
            // Whatever the walk did not reach hangs from a loop of parents.
            let mut reached = vec![false; self.sections.len()];
            order.iter().for_each(|&i| reached[i] = true);
            let stuck: Vec<String> = self
                .sections
                .iter()
                .enumerate()
                .filter(|(i, _)| !reached[*i])
                .map(|(i, s)| section_entry(i, s))
                .take(10)
                .collect();
            return err(format!("the parents of sections {} form a cycle", stuck.join(", ")));
        }
        Ok(order)
    }

    /// The sections in `order` as cylinders (children laid out in a fan so the model can
    /// be drawn), and each one's new index by name.
    fn sections_in(&self, order: &[usize]) -> (Vec<Section>, HashMap<String, usize>) {
        let mut new_index: HashMap<String, usize> = HashMap::new();
        let mut sections: Vec<Section> = Vec::with_capacity(order.len());
        let mut nchild: Vec<usize> = Vec::new();
        for &i in order {
            let s = &self.sections[i];
            let (parent, start, dir) = match &s.parent {
                None => (None, Point3::origin(), Vector3::x()),
                Some(p) => {
                    let pi = new_index[p];
                    let (pos, _) = sections[pi].at(s.parent_x);
                    let pd = sections[pi].points[1] - sections[pi].points[0];
                    let k = nchild[pi];
                    nchild[pi] += 1;
                    // Lay children out in a fan so the model can be drawn.
                    let angle = 0.5 * (k as f64 - 0.5) + 0.3 * (pi % 3) as f64;
                    let rot = nalgebra::Rotation3::from_axis_angle(&Vector3::z_axis(), angle);
                    (Some(pi), pos, rot * pd)
                }
            };
            let region = if parent.is_none() { Region::Soma } else { Region::Basal };
            sections.push(Section::cylinder(
                s.name.clone(),
                region,
                parent,
                s.parent_x,
                start,
                dir,
                s.length,
                s.diam,
            ));
            nchild.push(0);
            new_index.insert(s.name.clone(), sections.len() - 1);
        }
        (sections, new_index)
    }

    /// One instance per (mechanism, section), on the section's own segments (read from
    /// its node range: linear in the number of sections), with the spec's parameters.
    fn insert_mechanisms(
        &self,
        sim: &mut Simulation,
        specs: &[&SectionSpec],
        order: &[usize],
    ) -> Result<(), SpecError> {
        for (si, s) in specs.iter().enumerate() {
            let what = section_entry(order[si], s);
            let sn = sim.cell.sec_nodes[si];
            for (mech, params) in &s.mechanisms {
                let nodes: Vec<u32> = (sn.first..sn.first + sn.nseg).collect();
                let slot = sim.insert(mech, nodes, &s.name).map_err(|e| engine(&what, e))?;
                for (p, &v) in params {
                    sim.set_param(slot, p, v).map_err(|e| engine(&what, e))?;
                }
            }
        }
        Ok(())
    }

    /// The current clamps and synapses (with their spike times) added, and the probes and
    /// CSV columns of what is recorded.
    fn add_inputs_and_probes(
        &self,
        sim: &mut Simulation,
        new_index: &HashMap<String, usize>,
    ) -> Result<(Vec<crate::sim::recording::Probe>, Vec<String>), SpecError> {
        let locate = |what: &str, sec: &str, x: f64| -> Result<u32, SpecError> {
            let Some(&si) = new_index.get(sec) else {
                return err_at(what, format!("unknown section '{sec}'"));
            };
            check_x(what, "x", x)?;
            Ok(sim.cell.node_at(si, x))
        };
        let mut iclamps = Vec::new();
        for (k, c) in self.iclamps.iter().enumerate() {
            let node = locate(&format!("iclamps[{k}]"), &c.section, c.x)?;
            iclamps.push(IClamp { node, delay: c.delay, dur: c.dur, amp: c.amp });
        }
        let mut syns = Vec::new();
        for (k, s) in self.synapses.iter().enumerate() {
            let what = format!("synapses[{k}]");
            let node = locate(&what, &s.section, s.x)?;
            let mg_block = match s.kind.as_str() {
                "exp2syn" => None,
                "nmda" => Some(MgBlock::jahr_stevens(s.mg)),
                other => return err_at(&what, format!("unknown kind '{other}' (exp2syn or nmda)")),
            };
            syns.push((node, SynapseParams { tau1: s.tau1, tau2: s.tau2, e: s.e, mg_block }, s));
        }
        if self.record.len() > crate::sim::limits::MAX_PROBES {
            return Err(engine(
                "record",
                SimError::TooMany {
                    what: "probes",
                    count: self.record.len(),
                    limit: crate::sim::limits::MAX_PROBES,
                },
            ));
        }
        let mut probes = Vec::new();
        let mut columns = Vec::new();
        for (k, r) in self.record.iter().enumerate() {
            probes.push(crate::sim::recording::Probe::Voltage(locate(
                &format!("record[{k}]"),
                &r.section,
                r.x(),
            )?));
            columns.push(r.column());
        }
        for (k, c) in iclamps.into_iter().enumerate() {
            sim.add_iclamp(c).map_err(|e| engine(format!("iclamps[{k}]"), e))?;
        }
        for (j, (node, p, s)) in syns.into_iter().enumerate() {
            let what = format!("synapses[{j}]");
            let k = sim.add_synapse(node, p).map_err(|e| engine(&what, e))?;
            sim.add_spike_times(k, &s.times, s.weight).map_err(|e| engine(&what, e))?;
        }
        Ok((probes, columns))
    }
}

impl BuiltModel {
    /// Runs to tstop and returns the recorded CSV text (NEURON's reference format).
    pub fn run_to_csv(&mut self) -> String {
        self.sim.run_until(self.tstop);
        self.csv()
    }

    /// Runs to tstop in slices of 1 ms of simulated time, calling `progress` with the
    /// fraction done after each and stopping when it returns false (the CSV then holds
    /// what was computed) or when a voltage leaves the sane range (an error that says
    /// where, when and why). Returns the CSV and whether the run was complete.
    pub fn run_checked(
        &mut self,
        mut progress: impl FnMut(f64) -> bool,
    ) -> Result<(String, bool), SpecError> {
        let mut complete = true;
        let dt = self.sim.config.dt;
        while self.sim.t() + dt / 2.0 < self.tstop {
            // Slices of 1 ms, or of one step where a step is longer (a slice shorter
            // than half a step would take no step and never end).
            let before = self.sim.t();
            let next = (before + 1.0f64.max(dt)).min(self.tstop);
            self.sim.run_until(next);
            if self.sim.t() <= before {
                self.sim.step();
            }
            if let Some((node, v)) = self.sim.insane_node() {
                return Err(engine("", self.sim.insane(node, v)));
            }
            if !progress(if self.tstop > 0.0 { self.sim.t() / self.tstop } else { 1.0 }) {
                complete = false;
                break;
            }
        }
        Ok((self.csv(), complete))
    }

    /// The recorded samples as CSV text.
    pub fn csv(&self) -> String {
        let rec = &self.sim.recorder;
        let mut out = String::with_capacity(rec.t.len() * (12 + 12 * self.columns.len()));
        out.push('t');
        for c in &self.columns {
            out.push(',');
            out.push_str(c);
        }
        out.push('\n');
        use std::fmt::Write;
        for k in 0..rec.t.len() {
            let _ = write!(out, "{:.4}", rec.t.get(k).unwrap_or(f64::NAN));
            for tr in &rec.traces {
                let _ = write!(out, ",{:.6}", tr.get(k).unwrap_or(f64::NAN));
            }
            out.push('\n');
        }
        out
    }
}

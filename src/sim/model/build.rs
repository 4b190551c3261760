//! Building a cell from a [`CellModel`]: the rules applied to a morphology in order
//! (the module above documents the format).

use super::{
    AxonRule, BuiltCell, CellModel, DEFAULT_CM, DEFAULT_E_PAS, DEFAULT_RA, DistanceOrigin, Instance,
    IonProps, ModelError, NsegRule, PassiveProps, engine, err, hay_axon_stub,
};
use crate::sim::cell::{Cell, Nseg, Passive};
use crate::sim::engine::{SimConfig, SimError, Simulation};
use crate::sim::mechanisms::{self, Mechanism};
use crate::sim::morphology::{Morphology, Region};
use crate::sim::placement::{Distances, Distribution, REGION_SEL_HELP, RegionSel, regions_present, select};
use crate::sim::sites::hay_origin;
use std::collections::BTreeMap;

/// Region-keyed settings, parsed and ordered from least to most specific.
fn layers<'a, T>(
    map: &'a BTreeMap<String, T>,
    what: &str,
    file: &str,
    present: &[Region],
    warnings: &mut Vec<String>,
) -> Result<Vec<(RegionSel, &'a T)>, ModelError> {
    let mut out: Vec<(RegionSel, &T)> = Vec::new();
    for (k, v) in map {
        let Some(sel) = RegionSel::parse(k) else {
            return err(
                format!("{file}: {what}"),
                format!("unknown region '{k}' (one of {REGION_SEL_HELP})"),
            );
        };
        if out.iter().any(|(s, _)| *s == sel) {
            return err(format!("{file}: {what}"), format!("region '{}' is given twice", sel.label()));
        }
        if let RegionSel::Only(r) = sel
            && !present.contains(&r)
        {
            warnings.push(format!("{file}: {what}: the morphology has no {} sections", r.label()));
        }
        out.push((sel, v));
    }
    out.sort_by_key(|(s, _)| s.rank());
    Ok(out)
}

fn merged_passive(layers: &[(RegionSel, &PassiveProps)], r: Region) -> PassiveProps {
    let mut p = PassiveProps::default();
    for (_, q) in layers.iter().filter(|(s, _)| s.matches(r)) {
        p.ra = q.ra.or(p.ra);
        p.cm = q.cm.or(p.cm);
        p.g_pas = q.g_pas.or(p.g_pas);
        p.e_pas = q.e_pas.or(p.e_pas);
    }
    p
}

fn merged_ions(layers: &[(RegionSel, &IonProps)], r: Region) -> IonProps {
    let mut p = IonProps::default();
    for (_, q) in layers.iter().filter(|(s, _)| s.matches(r)) {
        p.ena = q.ena.or(p.ena);
        p.ek = q.ek.or(p.ek);
    }
    p
}

/// The mechanism's name for parameter `given`: itself, or without NEURON's `_SUFFIX`.
fn resolve_param(m: &dyn Mechanism, given: &str) -> Option<String> {
    if m.param(given, 0).is_some() {
        return Some(given.to_string());
    }
    let bare = given.strip_suffix(m.name())?.strip_suffix('_')?;
    m.param(bare, 0).is_some().then(|| bare.to_string())
}

fn check_num(file: &str, what: &str, x: f64, min: Option<f64>, strict: bool) -> Result<(), ModelError> {
    let ok = x.is_finite()
        && match min {
            None => true,
            Some(m) if strict => x > m,
            Some(m) => x >= m,
        };
    if ok {
        return Ok(());
    }
    let need = match min {
        None => "a finite number".to_string(),
        Some(m) if strict => format!("a finite number > {m}"),
        Some(m) => format!("a finite number >= {m}"),
    };
    err(file, format!("{what} must be {need}, got {x}"))
}

struct Builder<'a> {
    file: &'a str,
    sim: Simulation,
    instances: Vec<Instance>,
    passive: Vec<PassiveProps>,
    present: Vec<Region>,
}

impl Builder<'_> {
    /// The instance of `mech` on region `r`, inserted (with the region's `pas` defaults)
    /// when new.
    fn instance(&mut self, mech: &str, r: Region) -> Result<usize, ModelError> {
        if let Some(i) = self.instances.iter().position(|i| i.mechanism == mech && i.region == r) {
            return Ok(i);
        }
        let regions: Vec<Region> = self.sim.cell.morphology.sections.iter().map(|s| s.region).collect();
        let nodes = self.sim.cell.nodes_where(|i| regions[i] == r);
        let slot = self
            .sim
            .insert(mech, nodes, &r.label())
            .map_err(|e| engine(format!("{}: {mech} on {}", self.file, r.label()), e))?;
        if mech == "pas" {
            let k = self.present.iter().position(|x| *x == r).expect("present region");
            let p = self.passive[k];
            let who = format!("{}: passive ({})", self.file, r.label());
            if let Some(g) = p.g_pas {
                self.sim.set_param(slot, "g", g).map_err(|e| engine(&who, e))?;
            }
            let e = p.e_pas.unwrap_or(DEFAULT_E_PAS);
            self.sim.set_param(slot, "e", e).map_err(|e| engine(who, e))?;
        }
        self.instances.push(Instance { mechanism: mech.to_string(), region: r, slot, rules: Vec::new() });
        Ok(self.instances.len() - 1)
    }
}

pub(super) fn build(desc: &CellModel, morph: Morphology, file: &str) -> Result<BuiltCell, ModelError> {
    let mut warnings = Vec::new();
    if morph.sections.is_empty() {
        return err(file, format!("the morphology {} has no sections", morph.file));
    }
    let morph = match desc.axon {
        AxonRule::Keep => morph,
        AxonRule::HayStub => hay_axon_stub(morph),
    };
    check_settings(desc, file)?;
    let present = regions_present(&morph);
    let (passive, cell_passive, nseg) = passive_and_nseg(desc, &morph, &present, file, &mut warnings)?;
    let cell = Cell::new(morph, cell_passive, &nseg)
        .map_err(|source| ModelError::Cell { file: file.to_string(), source })?;
    let config = SimConfig {
        dt: desc.dt,
        celsius: desc.celsius,
        v_init: desc.v_init,
        crank_nicolson: desc.crank_nicolson,
    };
    let sim = Simulation::new(cell, config).map_err(|e| engine(file, e))?;
    let mut b = Builder { file, sim, instances: Vec::new(), passive, present: present.clone() };
    // pas where g_pas is given.
    for (k, &r) in present.iter().enumerate() {
        if b.passive[k].g_pas.is_some() {
            b.instance("pas", r)?;
        }
    }
    let mut origins = Origins::default();
    for (k, rule) in desc.mechanisms.iter().enumerate() {
        b.apply_rule(desc, k, rule, &mut origins, &mut warnings)?;
    }
    b.reversal_potentials(desc, &mut warnings)?;
    let Builder { mut sim, instances, .. } = b;
    sim.init();
    Ok(BuiltCell { sim, instances, warnings })
}

/// The cell-wide settings: temperature, resting potential, where distances start.
fn check_settings(desc: &CellModel, file: &str) -> Result<(), ModelError> {
    check_num(file, "celsius", desc.celsius, None, false)?;
    check_num(file, "v_init", desc.v_init, None, false)?;
    let origin_x = desc.distance.origin_x;
    if !(0.0..=1.0).contains(&origin_x) {
        return err(file, format!("distance.origin_x must be within 0..1, got {origin_x}"));
    }
    if desc.distance.origin == DistanceOrigin::RegionStart && origin_x != 0.0 {
        return err(
            file,
            format!(
                "distance.origin_x ({origin_x}) applies to \"origin\": \"root\" only, not to \"region_start\""
            ),
        );
    }
    Ok(())
}

/// The passive properties of each region present (checked), the cell's axial resistance
/// and capacitance per section, and its nseg rule.
fn passive_and_nseg(
    desc: &CellModel,
    morph: &Morphology,
    present: &[Region],
    file: &str,
    warnings: &mut Vec<String>,
) -> Result<(Vec<PassiveProps>, Passive, Nseg), ModelError> {
    let passive_layers = layers(&desc.passive, "passive", file, present, warnings)?;
    let passive: Vec<PassiveProps> = present.iter().map(|&r| merged_passive(&passive_layers, r)).collect();
    for (r, p) in present.iter().zip(&passive) {
        let who = format!("passive ({})", r.label());
        if let Some(x) = p.ra {
            check_num(file, &format!("{who}: Ra (ohm cm)"), x, Some(0.0), true)?;
        }
        if let Some(x) = p.cm {
            check_num(file, &format!("{who}: cm (uF/cm2)"), x, Some(0.0), false)?;
        }
        if let Some(x) = p.g_pas {
            check_num(file, &format!("{who}: g_pas (S/cm2)"), x, Some(0.0), false)?;
        }
        if let Some(x) = p.e_pas {
            check_num(file, &format!("{who}: e_pas (mV)"), x, None, false)?;
        }
    }
    let region_props = |r: Region| passive[present.iter().position(|x| *x == r).expect("present")];
    let ra: Vec<f64> =
        morph.sections.iter().map(|s| region_props(s.region).ra.unwrap_or(DEFAULT_RA)).collect();
    let cm: Vec<f64> =
        morph.sections.iter().map(|s| region_props(s.region).cm.unwrap_or(DEFAULT_CM)).collect();
    let nseg = match desc.nseg {
        NsegRule::DLambda { d_lambda, freq_hz } => {
            check_num(file, "nseg.d_lambda", d_lambda, Some(0.0), true)?;
            check_num(file, "nseg.freq_hz", freq_hz, Some(0.0), true)?;
            Nseg::DLambda { d_lambda, freq_hz }
        }
        NsegRule::PerLength(um) => {
            check_num(file, "nseg.per_length_um", um, Some(0.0), true)?;
            Nseg::PerSection(
                morph.sections.iter().map(|s| 1 + 2 * (s.length() / um).floor().min(1e6) as usize).collect(),
            )
        }
        NsegRule::Uniform(n) => Nseg::Uniform(n),
    };
    Ok((passive, Passive { ra, cm }, nseg))
}

/// Each region's distances from the origin of its distributions, and its longest path,
/// worked out when a rule first needs them.
#[derive(Default)]
struct Origins {
    distances: BTreeMap<Region, Distances>,
    longest: BTreeMap<Region, f64>,
}

impl Builder<'_> {
    /// Mechanism rule `k`: the mechanism inserted in the regions it names, each parameter
    /// set uniformly or by its distribution along the path distance.
    fn apply_rule(
        &mut self,
        desc: &CellModel,
        k: usize,
        rule: &super::MechanismRule,
        origins: &mut Origins,
        warnings: &mut Vec<String>,
    ) -> Result<(), ModelError> {
        let (file, present) = (self.file, self.present.clone());
        let b = self;
        let origin_x = desc.distance.origin_x;
        let Origins { distances, longest } = origins;
        let mech = rule.mechanism.as_str();
        let who = format!("{file}: mechanisms[{k}] ({mech})");
        let Some(probe) = mechanisms::create(mech, vec![0]) else {
            return Err(engine(who, SimError::UnknownMechanism { name: mech.to_string() }));
        };
        if rule.regions.is_empty() {
            return err(who, "no regions given (use e.g. [\"all\"])");
        }
        let mut sels = Vec::new();
        for name in &rule.regions {
            let Some(sel) = RegionSel::parse(name) else {
                return err(who, format!("unknown region '{name}' (one of {REGION_SEL_HELP})"));
            };
            if let RegionSel::Only(r) = sel
                && !present.contains(&r)
            {
                warnings.push(format!("{who}: the morphology has no {} sections", r.label()));
            }
            sels.push(sel);
        }
        let mut params: Vec<(String, &Distribution)> = Vec::new();
        for (given, dist) in &rule.params {
            let Some(name) = resolve_param(probe.as_ref(), given) else {
                let known = mechanisms::params::names_of(probe.params());
                let unknown = mechanisms::ParamError::UnknownParam {
                    mechanism: mech.into(),
                    name: given.clone(),
                    known,
                };
                return Err(engine(who, unknown.into()));
            };
            if let Err(source) = dist.validate() {
                return Err(ModelError::Distribution { at: format!("{who}: {given}"), source });
            }
            params.push((name, dist));
        }
        let regions = select(&sels, &present);
        if regions.is_empty() {
            warnings.push(format!(
                "{who}: none of the regions {} is in the morphology; nothing inserted",
                rule.regions.join(", ")
            ));
        }
        for r in regions {
            let i = b.instance(mech, r)?;
            b.instances[i].rules.push(k);
            let slot = b.instances[i].slot;
            let at = format!("{who} on {}", r.label());
            for (name, dist) in &params {
                if let Distribution::Uniform(v) = dist {
                    b.sim.set_param(slot, name, *v).map_err(|e| engine(&at, e))?;
                    continue;
                }
                let d = distances.entry(r).or_insert_with(|| {
                    let cell = &b.sim.cell;
                    let origin = match desc.distance.origin {
                        DistanceOrigin::Root => (0, origin_x),
                        DistanceOrigin::RegionStart => {
                            hay_origin(&cell.morphology, r).expect("a region present has a first section")
                        }
                    };
                    Distances::from_point(cell, origin, desc.distance.hoc_for_x)
                });
                let norm = if dist.needs_longest_path() {
                    let l = *longest.entry(r).or_insert_with(|| d.longest_path(&b.sim.cell, r));
                    if l.is_nan() || l <= 0.0 {
                        return err(format!("{at}: {name}"), "the longest path of the region is 0 um");
                    }
                    l
                } else {
                    1.0
                };
                let nodes: Vec<u32> = b.sim.mechs[slot].mech.nodes().to_vec();
                let values = d.values(dist, &nodes, norm);
                for (j, (&node, &v)) in nodes.iter().zip(&values).enumerate() {
                    let place = |cell: &Cell| {
                        let s = cell.node_section[node as usize] as usize;
                        format!(
                            "{}({:.4}), {:.1} um from the origin",
                            cell.morphology.sections[s].name,
                            cell.node_x[node as usize],
                            d.node_um[node as usize]
                        )
                    };
                    if !v.is_finite() {
                        return err(at, format!("{name} comes out as {v} at {}", place(&b.sim.cell)));
                    }
                    if let Err(e) = b.sim.set_param_at(slot, name, j, v) {
                        return Err(engine(format!("{at}: at {}", place(&b.sim.cell)), e));
                    }
                }
            }
        }
        Ok(())
    }

    /// The reversal potentials given per region.
    fn reversal_potentials(
        &mut self,
        desc: &CellModel,
        warnings: &mut Vec<String>,
    ) -> Result<(), ModelError> {
        let (file, present) = (self.file, self.present.clone());
        let b = self;
        // Reversal potentials.
        let ion_layers = layers(&desc.ions, "ions", file, &present, warnings)?;
        let sec_regions: Vec<Region> = b.sim.cell.morphology.sections.iter().map(|s| s.region).collect();
        for &r in &present {
            let p = merged_ions(&ion_layers, r);
            if p.ena.is_none() && p.ek.is_none() {
                continue;
            }
            let who = format!("ions ({})", r.label());
            if let Some(x) = p.ena {
                check_num(file, &format!("{who}: ena (mV)"), x, None, false)?;
            }
            if let Some(x) = p.ek {
                check_num(file, &format!("{who}: ek (mV)"), x, None, false)?;
            }
            for n in b.sim.cell.nodes_where(|i| sec_regions[i] == r) {
                if let Some(x) = p.ena {
                    b.sim.ions.ena[n as usize] = x;
                }
                if let Some(x) = p.ek {
                    b.sim.ions.ek[n as usize] = x;
                }
            }
        }

        Ok(())
    }
}

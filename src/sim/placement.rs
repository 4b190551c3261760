//! Where mechanisms go and what their parameters are at each place: region selectors
//! and the distance-dependent distributions of Hay et al.'s `calculate_distribution`
//! (docs/biophysics.md 6.2).
//!
//! A [`Distribution`] gives a parameter's value (in the parameter's own unit, e.g.
//! S/cm2 for a `gbar`) as a function of location. Every non-uniform distribution is
//! `value * base`, where `value` is one of Hay's functions of
//! - x: the path distance (um) from the origin to the segment, divided by the longest
//!   path (um) from the origin to a terminal end of the region (types 0, 1, 2, 4);
//! - or the absolute path distance in um (type 3, the step).
//!
//! The origin is a point on the root section (`origin_x`, 0 for soma(0);
//! [`Distances::new`]) or any point of the tree ([`Distances::from_point`]). Hay's
//! `L5PCtemplate.hoc` sets `soma distance()` but then calls `getLongestBranch("apic")`,
//! which re-sets the origin to `apic[0](0)` before the distances are taken
//! ([`crate::sim::sites::hay_origin`]): soma(0.5) on a Neurolucida cell read by Import3d,
//! whose trunk hangs from the soma's centre, but soma(0) on an SWC cell whose trunk hangs
//! from the first soma point. Its `for (x)` loop also assigns at x = 1 last, which NEURON
//! applies to the section's last segment: the last segment of each section gets the
//! value at the section's 1 end (`hoc_for_x`).

use crate::sim::cell::Cell;
use crate::sim::morphology::{Morphology, Region};
use crate::sim::sites::path_between;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Hay's type 4 switches from exponential to constant at this x (L5PCtemplate_2.hoc).
pub const HAY_TYPE4_X_MAX: f64 = 0.65;

fn default_x_max() -> f64 {
    HAY_TYPE4_X_MAX
}

/// A parameter's value as a function of location. In JSON: a bare number or
/// `{"uniform": v}`; `{"linear": {"a", "b", "base"}}`; `{"sigmoid": {"a", "b", "c", "d",
/// "base"}}`; `{"exponential": {...}}`; `{"step": {...}}`;
/// `{"exponential_then_constant": {..., "x_max": 0.65}}`; or Hay's argument list
/// `{"hay": [type, a, b, c, d, base]}` (as in `distribute_channels("apic", "gIhbar_Ih",
/// 2, -0.8696, 3.6161, 0.0, 2.0870, 0.0002)`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// The same value everywhere.
    Uniform(f64),
    /// Hay type 0: (a + x b) base.
    Linear { a: f64, b: f64, base: f64 },
    /// Hay type 1: (a + b / (1 + exp((x - c) / d))) base.
    Sigmoid { a: f64, b: f64, c: f64, d: f64, base: f64 },
    /// Hay type 2: (a + d exp(b (x - c))) base.
    Exponential { a: f64, b: f64, c: f64, d: f64, base: f64 },
    /// Hay type 3, on the absolute path distance `dist` (um): a base where c < dist < d,
    /// else b base.
    Step { a: f64, b: f64, c: f64, d: f64, base: f64 },
    /// Hay type 4 (L5PCtemplate_2.hoc): type 2 up to x = `x_max` (0.65), constant at its
    /// value there beyond: (a + d exp(b (min(x, x_max) - c))) base.
    #[serde(rename = "exponential_then_constant")]
    ExpThenConst { a: f64, b: f64, c: f64, d: f64, base: f64, x_max: f64 },
}

/// The JSON forms, before checks.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Tagged {
    Uniform(f64),
    Linear {
        a: f64,
        b: f64,
        base: f64,
    },
    Sigmoid {
        a: f64,
        b: f64,
        c: f64,
        d: f64,
        base: f64,
    },
    Exponential {
        a: f64,
        b: f64,
        c: f64,
        d: f64,
        base: f64,
    },
    Step {
        a: f64,
        b: f64,
        c: f64,
        d: f64,
        base: f64,
    },
    #[serde(rename = "exponential_then_constant")]
    ExpThenConst {
        a: f64,
        b: f64,
        c: f64,
        d: f64,
        base: f64,
        #[serde(default = "default_x_max")]
        x_max: f64,
    },
    Hay(Vec<f64>),
}

/// Why a distribution's numbers cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DistributionError {
    /// `"hay"` with other than six numbers.
    #[error("\"hay\" takes [type, a, b, c, d, base] (6 numbers), got {0} numbers")]
    HayArity(usize),
    /// A Hay distribution type other than 0..=4.
    #[error("Hay distribution type must be 0, 1, 2, 3 or 4, got {0}")]
    HayType(f64),
    /// A number that is not finite (`what`: the distribution's kind).
    #[error("{what}: every number must be finite, got {value}")]
    NotFinite { what: &'static str, value: f64 },
    /// A sigmoid of zero width.
    #[error("sigmoid: d must not be 0")]
    SigmoidWidth,
    /// A step whose zone is empty.
    #[error("step: the zone (c, d) = ({c}, {d}) um is empty: c must be < d")]
    EmptyStep { c: f64, d: f64 },
}

impl TryFrom<Tagged> for Distribution {
    type Error = DistributionError;
    fn try_from(t: Tagged) -> Result<Distribution, DistributionError> {
        Ok(match t {
            Tagged::Uniform(v) => Distribution::Uniform(v),
            Tagged::Linear { a, b, base } => Distribution::Linear { a, b, base },
            Tagged::Sigmoid { a, b, c, d, base } => Distribution::Sigmoid { a, b, c, d, base },
            Tagged::Exponential { a, b, c, d, base } => Distribution::Exponential { a, b, c, d, base },
            Tagged::Step { a, b, c, d, base } => Distribution::Step { a, b, c, d, base },
            Tagged::ExpThenConst { a, b, c, d, base, x_max } => {
                Distribution::ExpThenConst { a, b, c, d, base, x_max }
            }
            Tagged::Hay(v) => {
                let &[t, a, b, c, d, base] = v.as_slice() else {
                    return Err(DistributionError::HayArity(v.len()));
                };
                Distribution::hay(t, a, b, c, d, base)?
            }
        })
    }
}

impl<'de> Deserialize<'de> for Distribution {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Distribution, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Distribution;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a number, or a distribution such as {\"uniform\": 0.02}, \
                     {\"exponential\": {\"a\": .., \"b\": .., \"c\": .., \"d\": .., \"base\": ..}} \
                     or {\"hay\": [type, a, b, c, d, base]}",
                )
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Distribution, E> {
                Ok(Distribution::Uniform(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Distribution, E> {
                Ok(Distribution::Uniform(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Distribution, E> {
                Ok(Distribution::Uniform(v as f64))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Distribution, A::Error> {
                let t = Tagged::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Distribution::try_from(t).map_err(de::Error::custom)
            }
        }
        de.deserialize_any(V)
    }
}

impl Distribution {
    /// Hay's `calculate_distribution` arguments: `kind` 0 linear, 1 sigmoid,
    /// 2 exponential, 3 step on absolute um distance, 4 exponential then constant.
    pub fn hay(
        kind: f64,
        a: f64,
        b: f64,
        c: f64,
        d: f64,
        base: f64,
    ) -> Result<Distribution, DistributionError> {
        Ok(match kind {
            0.0 => Distribution::Linear { a, b, base },
            1.0 => Distribution::Sigmoid { a, b, c, d, base },
            2.0 => Distribution::Exponential { a, b, c, d, base },
            3.0 => Distribution::Step { a, b, c, d, base },
            4.0 => Distribution::ExpThenConst { a, b, c, d, base, x_max: HAY_TYPE4_X_MAX },
            other => return Err(DistributionError::HayType(other)),
        })
    }

    /// Checks the numbers: all finite, a sigmoid's d not 0, a step's c < d.
    pub fn validate(&self) -> Result<(), DistributionError> {
        let (nums, what): (&[f64], &'static str) = match self {
            Distribution::Uniform(v) => (&[*v], "uniform"),
            Distribution::Linear { a, b, base } => (&[*a, *b, *base], "linear"),
            Distribution::Sigmoid { a, b, c, d, base } => (&[*a, *b, *c, *d, *base], "sigmoid"),
            Distribution::Exponential { a, b, c, d, base } => (&[*a, *b, *c, *d, *base], "exponential"),
            Distribution::Step { a, b, c, d, base } => (&[*a, *b, *c, *d, *base], "step"),
            Distribution::ExpThenConst { a, b, c, d, base, x_max } => {
                (&[*a, *b, *c, *d, *base, *x_max], "exponential_then_constant")
            }
        };
        if let Some(&value) = nums.iter().find(|x| !x.is_finite()) {
            return Err(DistributionError::NotFinite { what, value });
        }
        match *self {
            Distribution::Sigmoid { d: 0.0, .. } => Err(DistributionError::SigmoidWidth),
            Distribution::Step { c, d, .. } if c >= d => Err(DistributionError::EmptyStep { c, d }),
            _ => Ok(()),
        }
    }

    /// Whether the value depends on x (the normalised distance), so that the region's
    /// longest path is needed.
    pub fn needs_longest_path(&self) -> bool {
        !matches!(self, Distribution::Uniform(_) | Distribution::Step { .. })
    }

    /// The value at normalised distance `x` (path distance / longest path) and absolute
    /// path distance `dist_um` (um).
    pub fn value(&self, x: f64, dist_um: f64) -> f64 {
        match *self {
            Distribution::Uniform(v) => v,
            Distribution::Linear { a, b, base } => (a + x * b) * base,
            Distribution::Sigmoid { a, b, c, d, base } => (a + b / (1.0 + ((x - c) / d).exp())) * base,
            Distribution::Exponential { a, b, c, d, base } => (a + d * (b * (x - c)).exp()) * base,
            Distribution::Step { a, b, c, d, base } => {
                if dist_um > c && dist_um < d {
                    a * base
                } else {
                    b * base
                }
            }
            Distribution::ExpThenConst { a, b, c, d, base, x_max } => {
                let x = if x > x_max { x_max } else { x };
                (a + d * (b * (x - c)).exp()) * base
            }
        }
    }
}

/// A choice of regions: one region, every region, or every dendritic region (basal,
/// apical, custom types). Written as `soma`, `axon`, `basal` (or `dend`), `apical` (or
/// `apic`), `custom7`, `all`, `dendrites`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegionSel {
    All,
    Dendrites,
    Only(Region),
}

impl RegionSel {
    /// Parses a selector; `None` if unknown.
    pub fn parse(s: &str) -> Option<RegionSel> {
        match s {
            "all" => Some(RegionSel::All),
            "dendrites" => Some(RegionSel::Dendrites),
            _ => Region::parse(s).map(RegionSel::Only),
        }
    }

    /// The selector as written.
    pub fn label(&self) -> String {
        match self {
            RegionSel::All => "all".into(),
            RegionSel::Dendrites => "dendrites".into(),
            RegionSel::Only(r) => r.label(),
        }
    }

    /// Whether a section of region `r` is selected.
    pub fn matches(&self, r: Region) -> bool {
        match self {
            RegionSel::All => true,
            RegionSel::Dendrites => r.is_dendrite(),
            RegionSel::Only(x) => *x == r,
        }
    }

    /// How specific the selector is, for layered settings: `all` 0, `dendrites` 1, a
    /// region 2 (a more specific setting wins).
    pub fn rank(&self) -> u8 {
        match self {
            RegionSel::All => 0,
            RegionSel::Dendrites => 1,
            RegionSel::Only(_) => 2,
        }
    }
}

/// The selector names, for messages.
pub const REGION_SEL_HELP: &str = "soma, axon, basal, apical, customN, all, dendrites";

impl Serialize for RegionSel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.label())
    }
}

impl<'de> Deserialize<'de> for RegionSel {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<RegionSel, D::Error> {
        let s = String::deserialize(de)?;
        RegionSel::parse(&s)
            .ok_or_else(|| de::Error::custom(format!("unknown region '{s}' (one of {REGION_SEL_HELP})")))
    }
}

/// The regions that a morphology has, in order of first appearance.
pub fn regions_present(morph: &Morphology) -> Vec<Region> {
    let mut out: Vec<Region> = Vec::new();
    for s in &morph.sections {
        if !out.contains(&s.region) {
            out.push(s.region);
        }
    }
    out
}

/// The regions of `present` chosen by any of `sels`, in the order of `present`.
pub fn select(sels: &[RegionSel], present: &[Region]) -> Vec<Region> {
    present.iter().copied().filter(|r| sels.iter().any(|s| s.matches(*r))).collect()
}

/// Path distances of a discretised cell's nodes from an origin, for placing
/// distributions.
#[derive(Debug, Clone)]
pub struct Distances {
    /// The origin: a section and a position on it (0..=1); (0, 0.0) is soma(0).
    pub origin: (usize, f64),
    /// Distance (um) of each node as used for placement: its segment centre, or the
    /// section's 1 end for the last segment of each section under `hoc_for_x`.
    pub node_um: Vec<f64>,
}

impl Distances {
    /// Distances of every node of `cell` from `origin_x` on the root section (um). With
    /// `hoc_for_x`, the last segment of each section takes the distance of the section's
    /// 1 end, as Hay's `for (x)` assignment leaves it.
    pub fn new(cell: &Cell, origin_x: f64, hoc_for_x: bool) -> Distances {
        Distances::from_point(cell, (0, origin_x), hoc_for_x)
    }

    /// As [`Distances::new`], from location `origin` = (section, x) anywhere on the tree
    /// (Hay's `apic[0](0)`: [`crate::sim::sites::hay_origin`]).
    pub fn from_point(cell: &Cell, origin: (usize, f64), hoc_for_x: bool) -> Distances {
        let m = &cell.morphology;
        let mut node_um: Vec<f64> = (0..cell.node_count())
            .map(|n| path_between(m, origin, (cell.node_section[n] as usize, cell.node_x[n])))
            .collect();
        if hoc_for_x {
            for (i, s) in cell.sec_nodes.iter().enumerate() {
                node_um[(s.first + s.nseg - 1) as usize] = path_between(m, origin, (i, 1.0));
            }
        }
        Distances { origin, node_um }
    }

    /// The longest path (um) from the origin to the 1 end of a terminal section (one
    /// with no children) of `region` (Hay's `getLongestBranch`); where the region has
    /// no terminal section (the soma), the farthest 1 end of its sections.
    pub fn longest_path(&self, cell: &Cell, region: Region) -> f64 {
        let m = &cell.morphology;
        let children = m.children();
        let ends = |leaves_only: bool| {
            m.sections
                .iter()
                .enumerate()
                .filter(|(i, s)| s.region == region && (!leaves_only || children[*i].is_empty()))
                .map(|(i, _)| path_between(m, self.origin, (i, 1.0)))
                .fold(0.0, f64::max)
        };
        let leaves = ends(true);
        if leaves > 0.0 { leaves } else { ends(false) }
    }

    /// The values of `dist` at `nodes`, with `longest_um` the region's longest path.
    pub fn values(&self, dist: &Distribution, nodes: &[u32], longest_um: f64) -> Vec<f64> {
        nodes
            .iter()
            .map(|&n| {
                let d = self.node_um[n as usize];
                dist.value(d / longest_um, d)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + b.abs())
    }

    #[test]
    fn uniform_is_constant() {
        let d = Distribution::Uniform(0.0213);
        assert_eq!(d.value(0.0, 0.0), 0.0213);
        assert_eq!(d.value(0.9, 1234.0), 0.0213);
    }

    #[test]
    fn linear_matches_hand_values() {
        let d = Distribution::Linear { a: 1.0, b: 2.0, base: 0.5 };
        assert!(close(d.value(0.0, 0.0), 0.5));
        assert!(close(d.value(0.25, 0.0), 0.75)); // (1 + 0.5) * 0.5
    }

    #[test]
    fn sigmoid_matches_hand_values() {
        let d = Distribution::Sigmoid { a: 0.1, b: 2.0, c: 0.5, d: 0.1, base: 3.0 };
        // At x = c: a + b/2 = 1.1, times 3.
        assert!(close(d.value(0.5, 0.0), 3.3));
        // At x = 0.6: 0.1 + 2/(1 + e) = 0.1 + 0.5378828427399902.
        assert!(close(d.value(0.6, 0.0), (0.1 + 2.0 / (1.0 + std::f64::consts::E)) * 3.0));
        assert!((d.value(0.6, 0.0) - 1.9136485282199706).abs() < 1e-12);
    }

    #[test]
    fn exponential_is_hays_ih_gradient() {
        // Hay biophys3: 0.0002 (-0.8696 + 2.0870 exp(3.6161 x)).
        let d = Distribution::Exponential { a: -0.8696, b: 3.6161, c: 0.0, d: 2.0870, base: 0.0002 };
        assert!(close(d.value(0.0, 0.0), 0.0002 * (2.0870 - 0.8696)));
        assert!((d.value(0.0, 0.0) - 2.4348e-4).abs() < 1e-12);
        // x = 1: 0.0002 (-0.8696 + 2.087 * 37.192...) = 0.0153501...
        let v1 = d.value(1.0, 0.0);
        assert!((v1 - 0.0002 * (-0.8696 + 2.0870 * 3.6161f64.exp())).abs() < 1e-15);
        assert!((v1 - 0.0153501188).abs() < 1e-9, "{v1}");
    }

    #[test]
    fn step_uses_absolute_distance_and_open_bounds() {
        // Hay biophys3 Ca_LVAst: distribute_channels("apic", ..., 3, 1, 0.01, 685, 885, 0.0187).
        let d = Distribution::hay(3.0, 1.0, 0.01, 685.0, 885.0, 0.0187).unwrap();
        assert!(close(d.value(0.0, 700.0), 0.0187));
        assert!(close(d.value(1.0, 685.0), 0.000187)); // bounds excluded
        assert!(close(d.value(1.0, 885.0), 0.000187));
        assert!(close(d.value(0.5, 100.0), 0.000187));
        assert!(!d.needs_longest_path());
    }

    #[test]
    fn type4_is_exponential_then_constant_beyond_065() {
        // Beniaguev biophys5b: distribute_channels("apic", "gIhbar_Ih", 4, -0.8696, 3.6161,
        // 0.0, 2.0870, 0.0001).
        let d = Distribution::hay(4.0, -0.8696, 3.6161, 0.0, 2.0870, 0.0001).unwrap();
        let e = |x: f64| 0.0001 * (-0.8696 + 2.0870 * (3.6161 * x).exp());
        assert!(close(d.value(0.3, 0.0), e(0.3)));
        assert!(close(d.value(0.65, 0.0), e(0.65)));
        assert!(close(d.value(0.9, 0.0), e(0.65)));
        assert!(close(d.value(1.0, 0.0), 0.0001 * (-0.8696 + 2.0870 * 2.350465f64.exp())));
    }

    #[test]
    fn json_forms() {
        let p = |s: &str| serde_json::from_str::<Distribution>(s);
        assert_eq!(p("0.5").unwrap(), Distribution::Uniform(0.5));
        assert_eq!(p("2").unwrap(), Distribution::Uniform(2.0));
        assert_eq!(p(r#"{"uniform": 0.0213}"#).unwrap(), Distribution::Uniform(0.0213));
        let hay = p(r#"{"hay": [2, -0.8696, 3.6161, 0.0, 2.087, 0.0002]}"#).unwrap();
        let named =
            p(r#"{"exponential": {"a": -0.8696, "b": 3.6161, "c": 0, "d": 2.087, "base": 0.0002}}"#).unwrap();
        assert_eq!(hay, named);
        let t4 = p(r#"{"exponential_then_constant": {"a": 0, "b": 1, "c": 0, "d": 1, "base": 1}}"#).unwrap();
        assert_eq!(t4, Distribution::ExpThenConst { a: 0.0, b: 1.0, c: 0.0, d: 1.0, base: 1.0, x_max: 0.65 });
        // Round trip through the canonical form.
        for d in [hay, t4, Distribution::Uniform(1.5), Distribution::Linear { a: 1.0, b: 2.0, base: 3.0 }] {
            let s = serde_json::to_string(&d).unwrap();
            assert_eq!(p(&s).unwrap(), d, "{s}");
        }
        // Errors say what is wrong.
        let e = p(r#"{"expo": {"a": 1}}"#).unwrap_err().to_string();
        assert!(e.contains("unknown variant `expo`"), "{e}");
        let e = p(r#"{"linear": {"a": 1, "b": 2}}"#).unwrap_err().to_string();
        assert!(e.contains("missing field `base`"), "{e}");
        let e = p(r#"{"linear": {"a": 1, "b": 2, "base": 1, "c": 3}}"#).unwrap_err().to_string();
        assert!(e.contains("unknown field `c`"), "{e}");
        let e = p(r#"{"hay": [7, 1, 2, 3, 4, 5]}"#).unwrap_err().to_string();
        assert!(e.contains("type must be 0, 1, 2, 3 or 4"), "{e}");
        let e = p(r#"{"hay": [2, 1, 2]}"#).unwrap_err().to_string();
        assert!(e.contains("6 numbers"), "{e}");
        let e = p(r#""high""#).unwrap_err().to_string();
        assert!(e.contains("a number, or a distribution"), "{e}");
    }

    #[test]
    fn validation() {
        assert!(Distribution::Sigmoid { a: 0.0, b: 1.0, c: 0.0, d: 0.0, base: 1.0 }.validate().is_err());
        assert!(Distribution::Step { a: 1.0, b: 0.0, c: 900.0, d: 700.0, base: 1.0 }.validate().is_err());
        assert!(Distribution::Uniform(f64::NAN).validate().is_err());
        assert!(Distribution::Linear { a: 0.0, b: f64::INFINITY, base: 1.0 }.validate().is_err());
        assert!(Distribution::hay(2.0, -0.8696, 3.6161, 0.0, 2.087, 2e-4).unwrap().validate().is_ok());
    }

    #[test]
    fn region_selectors() {
        assert_eq!(RegionSel::parse("all"), Some(RegionSel::All));
        assert_eq!(RegionSel::parse("apic"), Some(RegionSel::Only(Region::Apical)));
        assert_eq!(RegionSel::parse("custom7"), Some(RegionSel::Only(Region::Custom(7))));
        assert_eq!(RegionSel::parse("dendrite"), None);
        assert!(RegionSel::Dendrites.matches(Region::Custom(7)));
        assert!(!RegionSel::Dendrites.matches(Region::Axon));
        let present = [Region::Soma, Region::Axon, Region::Basal, Region::Apical];
        assert_eq!(select(&[RegionSel::Dendrites], &present), vec![Region::Basal, Region::Apical]);
        assert_eq!(select(&[RegionSel::Only(Region::Apical), RegionSel::All], &present), present.to_vec());
        let s: Vec<RegionSel> = serde_json::from_str(r#"["soma", "dendrites"]"#).unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), r#"["soma","dendrites"]"#);
        assert!(serde_json::from_str::<RegionSel>(r#""apicl""#).is_err());
    }
}

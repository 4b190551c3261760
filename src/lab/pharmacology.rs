//! Channels as a pharmacologist sees them: each drug blocks a set of mechanisms (or the
//! Na+ or K+ part of a combined one such as `hh`), per region.

use crate::sim::mechanisms::catalogue::{self, CurrentKind};
use serde::{Deserialize, Serialize};

/// What a drug blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A whole mechanism (switched off).
    Mechanism(&'static str),
    /// One conductance parameter of a mechanism (set to 0, restored when washed out).
    Param(&'static str, &'static str),
    /// The NMDA receptors of synapses.
    NmdaReceptors,
}

/// The drugs of the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Drug {
    /// Tetrodotoxin: voltage-gated Na+ channels.
    Ttx,
    /// Tetraethylammonium: voltage-gated K+ channels.
    Tea,
    /// Apamin: Ca2+-activated SK channels.
    Apamin,
    /// Cadmium: voltage-gated Ca2+ channels (and the dendritic Ca2+ AP).
    Cadmium,
    /// APV: NMDA receptors.
    Apv,
    /// ZD7288: HCN channels (Ih).
    Zd7288,
}

impl Drug {
    pub const ALL: [Drug; 6] = [Drug::Ttx, Drug::Tea, Drug::Apamin, Drug::Cadmium, Drug::Apv, Drug::Zd7288];

    /// The drug's name as a lecturer says it.
    pub fn name(self) -> &'static str {
        match self {
            Drug::Ttx => "TTX",
            Drug::Tea => "TEA",
            Drug::Apamin => "apamin",
            Drug::Cadmium => "Cd2+",
            Drug::Apv => "APV",
            Drug::Zd7288 => "ZD7288",
        }
    }

    /// What it blocks, in words.
    pub fn blocks(self) -> &'static str {
        match self {
            Drug::Ttx => "Na+ channels",
            Drug::Tea => "K+ channels",
            Drug::Apamin => "SK (Ca2+-activated K+) channels",
            Drug::Cadmium => "Ca2+ channels",
            Drug::Apv => "NMDA receptors",
            Drug::Zd7288 => "Ih (HCN) channels",
        }
    }

    /// The kinds of current it blocks (none for APV, which blocks receptors).
    pub fn blocks_currents(self) -> &'static [CurrentKind] {
        match self {
            Drug::Ttx => &[CurrentKind::NaV],
            Drug::Tea => &[CurrentKind::KV],
            Drug::Apamin => &[CurrentKind::KCa],
            Drug::Cadmium => &[CurrentKind::Ca],
            Drug::Apv => &[],
            Drug::Zd7288 => &[CurrentKind::Hcn],
        }
    }

    /// The mechanisms and conductances it blocks, worked out from what the catalogue says
    /// each mechanism passes: a mechanism that passes only such a current is switched
    /// off, a conductance of a combined one (`hh`'s `gnabar`) is set to 0. A new K+
    /// channel in the catalogue is blocked by TEA without anyone listing it here.
    pub fn targets(self) -> Vec<Target> {
        if self == Drug::Apv {
            return vec![Target::NmdaReceptors];
        }
        let kinds = self.blocks_currents();
        let mut out = Vec::new();
        for e in catalogue::CATALOGUE {
            for c in e.currents.iter().filter(|c| kinds.contains(&c.kind)) {
                out.push(match c.conductance {
                    None => Target::Mechanism(e.name),
                    Some(g) => Target::Param(e.name, g),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every drug blocks mechanisms and conductances the catalogue has.
    #[test]
    fn every_target_is_in_the_catalogue() {
        for d in Drug::ALL {
            for t in d.targets() {
                match t {
                    Target::Mechanism(m) => assert!(catalogue::entry(m).is_some(), "{m}"),
                    Target::Param(m, p) => {
                        let p = catalogue::entry(m).and_then(|e| e.param(p));
                        assert!(p.is_some_and(|p| p.is_density()), "{m} {p:?}");
                    }
                    Target::NmdaReceptors => {}
                }
            }
        }
    }

    /// The targets as the panel has always blocked them, now derived from the catalogue.
    #[test]
    fn targets_come_from_what_each_channel_passes() {
        use Target::*;
        let names = |d: Drug| {
            let mut v: Vec<String> = d
                .targets()
                .iter()
                .map(|t| match t {
                    Mechanism(m) => m.to_string(),
                    Param(m, p) => format!("{m}.{p}"),
                    NmdaReceptors => "NMDA".into(),
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(names(Drug::Ttx), ["NaTa_t", "NaTs2_t", "Nap_Et2", "hh.gnabar", "traub.gNabar"]);
        assert_eq!(names(Drug::Tea), ["Im", "K_Pst", "K_Tst", "SKv3_1", "hh.gkbar", "traub.gKbar"]);
        assert_eq!(names(Drug::Apamin), ["SK_E2"]);
        assert_eq!(names(Drug::Cadmium), ["Ca_HVA", "Ca_LVAst", "dCaAP"]);
        assert_eq!(names(Drug::Apv), ["NMDA"]);
        assert_eq!(names(Drug::Zd7288), ["Ih"]);
        // Every mechanism that passes a current says what kind; a pool passes none.
        for e in catalogue::CATALOGUE {
            assert_eq!(e.currents.is_empty(), e.name == "CaDynamics_E2", "{}", e.name);
            for c in e.currents {
                if let Some(g) = c.conductance {
                    assert!(e.param(g).is_some_and(|p| p.is_density()), "{} {g}", e.name);
                }
            }
        }
    }
}

//! Channels as a pharmacologist sees them: each drug blocks a set of mechanisms (or the
//! Na+ or K+ part of a combined one such as `hh`), per region.

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

    /// The mechanisms and parameters it blocks.
    pub fn targets(self) -> &'static [Target] {
        use Target::*;
        match self {
            Drug::Ttx => &[
                Mechanism("NaTa_t"),
                Mechanism("NaTs2_t"),
                Mechanism("Nap_Et2"),
                Param("hh", "gnabar"),
                Param("traub", "gNabar"),
            ],
            Drug::Tea => &[
                Mechanism("K_Tst"),
                Mechanism("K_Pst"),
                Mechanism("SKv3_1"),
                Mechanism("Im"),
                Param("hh", "gkbar"),
                Param("traub", "gKbar"),
            ],
            Drug::Apamin => &[Mechanism("SK_E2")],
            Drug::Cadmium => &[Mechanism("Ca_HVA"), Mechanism("Ca_LVAst"), Mechanism("dCaAP")],
            Drug::Apv => &[NmdaReceptors],
            Drug::Zd7288 => &[Mechanism("Ih")],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::mechanisms::catalogue;

    /// Every drug blocks mechanisms and conductances the catalogue has.
    #[test]
    fn every_target_is_in_the_catalogue() {
        for d in Drug::ALL {
            for t in d.targets() {
                match *t {
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
}

//! The mechanism catalogue, as Arbor keeps one: every mechanism Dendra can insert, once,
//! with its parameters (unit, default, the values it takes) and the ions it reads and
//! writes (NEURON's `USEION ... READ ... WRITE`). The engine builds mechanisms from it
//! and holds parameters to its bounds, the panel takes units and slider ranges from it,
//! and cell-model files are checked against it.

use super::Mechanism;
use super::gated::GateKinetics;
use super::{ca_dynamics_e2, ca_hva, ca_lvast, dcaap, hh, ih, im, k_pst, k_tst, na_ta_t, na_ts2_t, nap_et2};
use super::{pas, sk_e2, skv3_1, traub};

pub use super::params::Param;

/// What kind of current a channel passes, as a pharmacologist classes channels: what a
/// drug's targets are worked out from (`crate::lab::pharmacology`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurrentKind {
    /// Voltage-gated Na+ (transient or persistent).
    NaV,
    /// Voltage-gated K+.
    KV,
    /// Ca2+-activated K+ (SK).
    KCa,
    /// Ca2+ (voltage-gated channels, and the dendritic Ca2+ AP that stands for them).
    Ca,
    /// Hyperpolarisation-activated cation current (HCN, Ih).
    Hcn,
    /// A leak.
    Leak,
}

/// A current a mechanism passes: its kind and the conductance that scales it (`None`:
/// the mechanism passes this current alone, and is switched off as a whole to block it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Current {
    pub kind: CurrentKind,
    pub conductance: Option<&'static str>,
}

const fn only(kind: CurrentKind) -> Current {
    Current { kind, conductance: None }
}

const fn part(kind: CurrentKind, conductance: &'static str) -> Current {
    Current { kind, conductance: Some(conductance) }
}

/// One mechanism of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// NEURON's SUFFIX, the mechanism's identity everywhere.
    pub name: &'static str,
    /// What it is, in a line (for the panel and `dendra` listings).
    pub title: &'static str,
    pub params: &'static [Param],
    /// Ion variables it reads (`ena`, `ek`, `eca`, `cai`, `ica`).
    pub reads: &'static [&'static str],
    /// Ion variables it writes (`ica`, `cai`); sodium and potassium currents go to the
    /// membrane only (Dendra keeps no ina/ik per node).
    pub writes: &'static [&'static str],
    /// Whether its current is NEURON's NONSPECIFIC_CURRENT (its reversal a parameter).
    pub nonspecific: bool,
    /// The membrane currents it passes, by kind (none for a pool).
    pub currents: &'static [Current],
    /// Rough time per node and step, relative to a two-gate channel's (1): what the
    /// engine weighs when it splits a cell between threads (measured on Hay's cell 2).
    pub cost: f64,
    make: fn(Vec<u32>) -> Box<dyn Mechanism>,
}

impl Entry {
    /// A new instance over `nodes`, with the defaults.
    pub fn make(&self, nodes: Vec<u32>) -> Box<dyn Mechanism> {
        (self.make)(nodes)
    }

    /// The parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// Every mechanism, in NEURON's order (the order of `insert`: the order currents are
/// computed and states advanced in).
pub const CATALOGUE: &[Entry] = &[
    Entry {
        name: "pas",
        title: "passive leak",
        params: pas::PARAMS,
        reads: &[],
        writes: &[],
        nonspecific: true,
        currents: &[only(CurrentKind::Leak)],
        cost: 0.3,
        make: |n| Box::new(pas::Pas::new(n)),
    },
    Entry {
        name: "hh",
        title: "Hodgkin-Huxley Na+, K+ and leak (squid axon, 6.3 degC)",
        params: hh::PARAMS,
        reads: &["ena", "ek"],
        writes: &[],
        nonspecific: false,
        currents: &[
            part(CurrentKind::NaV, "gnabar"),
            part(CurrentKind::KV, "gkbar"),
            part(CurrentKind::Leak, "gl"),
        ],
        cost: 1.6,
        make: |n| Box::new(hh::Hh::new(n)),
    },
    Entry {
        name: "CaDynamics_E2",
        title: "submembrane Ca2+ pool (Hay et al. 2011)",
        params: ca_dynamics_e2::Params::PARAMS,
        reads: &["ica"],
        writes: &["cai"],
        nonspecific: false,
        currents: &[],
        cost: 0.6,
        make: |n| Box::new(ca_dynamics_e2::CaDynamicsE2::new(n)),
    },
    Entry {
        name: ca_hva::Kinetics::NAME,
        title: "high-voltage-activated Ca2+ channel (Reuveni et al. 1993)",
        params: ca_hva::Kinetics::PARAMS,
        reads: &["eca"],
        writes: &["ica"],
        nonspecific: false,
        currents: &[only(CurrentKind::Ca)],
        cost: 1.0,
        make: |n| Box::new(ca_hva::CaHva::new(n)),
    },
    Entry {
        name: ca_lvast::Kinetics::NAME,
        title: "low-voltage-activated (T-type) Ca2+ channel (Avery & Johnston 1996)",
        params: ca_lvast::Kinetics::PARAMS,
        reads: &["eca"],
        writes: &["ica"],
        nonspecific: false,
        currents: &[only(CurrentKind::Ca)],
        cost: 1.0,
        make: |n| Box::new(ca_lvast::CaLvast::new(n)),
    },
    Entry {
        name: ih::Kinetics::NAME,
        title: "HCN channel, Ih (Kole, Hallermann & Stuart 2006)",
        params: ih::Kinetics::PARAMS,
        reads: &[],
        writes: &[],
        nonspecific: true,
        currents: &[only(CurrentKind::Hcn)],
        cost: 0.8,
        make: |n| Box::new(ih::Ih::new(n)),
    },
    Entry {
        name: im::Kinetics::NAME,
        title: "M-type K+ channel (Adams et al. 1982)",
        params: im::Kinetics::PARAMS,
        reads: &["ek"],
        writes: &[],
        nonspecific: false,
        currents: &[only(CurrentKind::KV)],
        cost: 0.8,
        make: |n| Box::new(im::Im::new(n)),
    },
    Entry {
        name: k_pst::Kinetics::NAME,
        title: "slow/persistent K+ channel (Korngreen & Sakmann 2000)",
        params: k_pst::Kinetics::PARAMS,
        reads: &["ek"],
        writes: &[],
        nonspecific: false,
        currents: &[only(CurrentKind::KV)],
        cost: 1.0,
        make: |n| Box::new(k_pst::KPst::new(n)),
    },
    Entry {
        name: k_tst::Kinetics::NAME,
        title: "fast-inactivating K+ channel (Korngreen & Sakmann 2000)",
        params: k_tst::Kinetics::PARAMS,
        reads: &["ek"],
        writes: &[],
        nonspecific: false,
        currents: &[only(CurrentKind::KV)],
        cost: 1.0,
        make: |n| Box::new(k_tst::KTst::new(n)),
    },
    Entry {
        name: na_ta_t::Kinetics::NAME,
        title: "transient Na+ channel (Colbert & Pan 2002)",
        params: na_ta_t::Kinetics::PARAMS,
        reads: &["ena"],
        writes: &[],
        nonspecific: false,
        currents: &[only(CurrentKind::NaV)],
        cost: 1.0,
        make: |n| Box::new(na_ta_t::NaTaT::new(n)),
    },
    Entry {
        name: na_ts2_t::Kinetics::NAME,
        title: "somatic transient Na+ channel (Hay/Shai, after Colbert & Pan 2002)",
        params: na_ts2_t::Kinetics::PARAMS,
        reads: &["ena"],
        writes: &[],
        nonspecific: false,
        currents: &[only(CurrentKind::NaV)],
        cost: 1.0,
        make: |n| Box::new(na_ts2_t::NaTs2T::new(n)),
    },
    Entry {
        name: nap_et2::Kinetics::NAME,
        title: "persistent Na+ channel (Magistretti & Alonso 1999)",
        params: nap_et2::Kinetics::PARAMS,
        reads: &["ena"],
        writes: &[],
        nonspecific: false,
        currents: &[only(CurrentKind::NaV)],
        cost: 1.0,
        make: |n| Box::new(nap_et2::NapEt2::new(n)),
    },
    Entry {
        name: "SK_E2",
        title: "small-conductance Ca2+-activated K+ channel (Koehler et al. 1996)",
        params: sk_e2::Params::PARAMS,
        reads: &["ek", "cai"],
        writes: &[],
        nonspecific: false,
        currents: &[only(CurrentKind::KCa)],
        cost: 0.8,
        make: |n| Box::new(sk_e2::SkE2::new(n)),
    },
    Entry {
        name: skv3_1::Kinetics::NAME,
        title: "Kv3.1 K+ channel (Rettig et al. 1992)",
        params: skv3_1::Kinetics::PARAMS,
        reads: &["ek"],
        writes: &[],
        nonspecific: false,
        currents: &[only(CurrentKind::KV)],
        cost: 0.8,
        make: |n| Box::new(skv3_1::SKv31::new(n)),
    },
    Entry {
        name: "traub",
        title: "soma and axon Na+, K+ and leak with their own reversals (Gidon et al. 2020, Traub et al. 1991 rates)",
        params: traub::Params::PARAMS,
        reads: &[],
        writes: &[],
        nonspecific: true,
        currents: &[
            part(CurrentKind::NaV, "gNabar"),
            part(CurrentKind::KV, "gKbar"),
            part(CurrentKind::Leak, "gLbar"),
        ],
        cost: 1.0,
        make: |n| Box::new(traub::Traub::new(n)),
    },
    Entry {
        name: "dCaAP",
        title: "dendritic Ca2+ action potential, largest at threshold (Gidon et al. 2020)",
        params: dcaap::Params::PARAMS,
        reads: &[],
        writes: &[],
        nonspecific: true,
        currents: &[only(CurrentKind::Ca)],
        cost: 1.0,
        make: |n| Box::new(dcaap::DCaAP::new(n)),
    },
];

/// The catalogue's entry for mechanism `name`.
pub fn entry(name: &str) -> Option<&'static Entry> {
    CATALOGUE.iter().find(|e| e.name == name)
}

/// The names of every mechanism, in the catalogue's order.
pub fn names() -> impl Iterator<Item = &'static str> {
    CATALOGUE.iter().map(|e| e.name)
}

/// Where mechanism `name` stands in NEURON's order (`None`: not in the catalogue).
pub fn rank(name: &str) -> Option<usize> {
    CATALOGUE.iter().position(|e| e.name == name)
}

#[cfg(test)]
mod tests {
    use super::super::{Env, Ions};
    use super::*;

    /// What the catalogue says of each mechanism is what the mechanism is: the same
    /// parameters in the same order with the same defaults, and the ions it declares are
    /// the ones it touches.
    #[test]
    fn the_catalogue_describes_every_mechanism_as_it_is() {
        for e in CATALOGUE {
            let m = e.make(vec![0, 1]);
            assert_eq!(m.name(), e.name);
            assert_eq!(m.params(), e.params, "{}", e.name);
            for p in e.params {
                assert_eq!(m.param(p.name, 1), Some(p.default), "{} {}", e.name, p.name);
                assert!(p.min <= p.default && p.default <= p.max, "{} {}", e.name, p.name);
                assert!(p.check(e.name, p.max).is_ok() && p.check(e.name, f64::NAN).is_err());
            }
            for (ion, touched) in ions_touched(e) {
                assert_eq!(e.reads.contains(&ion), touched.0, "{} reads {ion}?", e.name);
                assert_eq!(e.writes.contains(&ion), touched.1, "{} writes {ion}?", e.name);
            }
        }
    }

    /// For each ion variable: whether the mechanism's current or its calcium depends on
    /// it (read) and whether it changes it (written), found by running it (current,
    /// advance, current) on one node at -20 mV, every density at 0.01 S/cm2 and dCaAP's
    /// weight at 1, with the variable changed and not.
    fn ions_touched(e: &Entry) -> Vec<(&'static str, (bool, bool))> {
        const ICA: f64 = -1e-3;
        const CAI: f64 = 1e-3;
        let env = Env { dt: 0.025, celsius: 34.0, t: 0.0 };
        // (the current at the end, ica after the first current phase, cai at the end)
        let run = |tweak: &dyn Fn(&mut Ions)| {
            let mut m = e.make(vec![0]);
            for p in e.params.iter().filter(|p| p.is_density() || p.name == "w") {
                m.set_param(p.name, if p.is_density() { 0.01 } else { 1.0 }).unwrap();
            }
            let v = [-20.0];
            let mut ions = Ions::new(1);
            ions.cai[0] = CAI;
            tweak(&mut ions);
            m.init(&v, &mut ions, &env);
            ions.ica[0] = ICA;
            tweak(&mut ions);
            let (mut rhs, mut d) = ([0.0], [0.0]);
            m.current(&v, &mut ions, &mut rhs, &mut d, &Env { t: 0.0125, ..env });
            let ica = ions.ica[0];
            m.advance(&v, &mut ions, &Env { t: 0.025, ..env });
            let mut rhs = [0.0];
            m.current(&v, &mut ions, &mut rhs, &mut d, &Env { t: 0.0375, ..env });
            (rhs[0], ica, ions.cai[0])
        };
        let base = run(&|_| {});
        let current_reads = |f: &dyn Fn(&mut Ions)| run(f).0 != base.0;
        vec![
            ("ena", (current_reads(&|i| i.ena[0] += 10.0), false)),
            ("ek", (current_reads(&|i| i.ek[0] += 10.0), false)),
            ("eca", (current_reads(&|i| i.eca[0] += 10.0), false)),
            ("ica", (run(&|i| i.ica[0] = 2.0 * ICA).2 != base.2, base.1 != ICA)),
            ("cai", (current_reads(&|i| i.cai[0] = 4.0 * CAI), base.2 != CAI)),
        ]
    }
}

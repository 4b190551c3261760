//! Gidon et al. 2020's dendritic Ca2+ AP in a soma-dendrite model: its amplitude falls as
//! the input grows (docs/biophysics.md 8.3): a 1 s current step at the dCaAP site; the first
//! event fires as v creeps through threshold (K ~ 1), later events (after the 200 ms
//! refractory period) fire while v already sits above threshold, with K falling as the
//! step grows, and so does the re-triggered dCaAP.

use dendra::sim::cell::{Cell, Nseg, Passive};
use dendra::sim::engine::{SimConfig, Simulation};
use dendra::sim::morphology::{Morphology, Region};
use dendra::sim::recording::Probe;
use dendra::sim::stimuli::IClamp;

struct Outcome {
    triggers: f64,
    /// K of the second (re-triggered) event.
    k2: f64,
    /// Depolarisation of the re-triggered dCaAP above the plateau at its trigger (mV).
    amp2: f64,
}

fn run(amp_na: f64) -> Outcome {
    // Gidon's passive membrane (cm 0.45, Rm 37 kOhm cm2, e_pas -74, Ra 100) on a soma and
    // a dendrite. The soma is kept passive so that somatic spikes do not mix into the
    // dendritic plateau.
    let morph = Morphology::soma_and_dendrite(100.0, 100.0, 600.0, 3.0, Region::Apical);
    let cell = Cell::new(morph, Passive::uniform(2, 100.0, 0.45), &Nseg::PerSection(vec![1, 41])).unwrap();
    let config = SimConfig { dt: 0.05, celsius: 35.0, v_init: -75.0, crank_nicolson: false };
    let mut sim = Simulation::new(cell, config).unwrap();
    let nodes = sim.cell.nodes_where(|_| true);
    let pas = sim.insert("pas", nodes, "all").unwrap();
    sim.set_param(pas, "g", 1.0 / 37000.0).unwrap();
    sim.set_param(pas, "e", -74.0).unwrap();
    let site = sim.cell.node_at(1, 0.9);
    let d = sim.insert("dCaAP", vec![site], "site").unwrap();
    sim.set_param(d, "w", 1.6).unwrap();
    sim.add_iclamp(IClamp { node: site, delay: 100.0, dur: 1000.0, amp: amp_na }).unwrap();
    let probes = [
        Probe::Voltage(site),
        Probe::Mechanism { slot: d, index: 0, name: "K".into() },
        Probe::Mechanism { slot: d, index: 0, name: "t_dCaAP".into() },
        Probe::Mechanism { slot: d, index: 0, name: "dcaap_count".into() },
    ];
    sim.record(&probes, 1, 30000).unwrap();
    sim.init();
    sim.run_until(1150.0);
    let tr = &sim.recorder.traces;
    let t: Vec<f64> = sim.recorder.t.iter().collect();
    let v: Vec<f64> = tr[0].iter().collect();
    let count = tr[3].iter().last().unwrap();
    // The second trigger: the first sample where the count reaches 2.
    let Some(i2) = tr[3].iter().position(|c| c >= 2.0) else {
        return Outcome { triggers: count, k2: f64::NAN, amp2: f64::NAN };
    };
    let k2 = tr[1].get(i2).unwrap();
    let t2 = tr[2].get(i2).unwrap();
    let v_at = v[i2];
    let peak = (i2..v.len())
        .filter(|&i| t[i] >= t2 + 10.0 && t[i] <= t2 + 30.0)
        .map(|i| v[i])
        .fold(f64::MIN, f64::max);
    Outcome { triggers: count, k2, amp2: peak - v_at }
}

#[test]
fn dcaap_amplitude_falls_with_stronger_input() {
    let mut last: Option<Outcome> = None;
    let mut rows = Vec::new();
    // Below threshold: no dCaAP at all.
    assert_eq!(run(0.2).triggers, 0.0);
    for amp in [0.25, 0.27, 0.29, 0.31, 0.33] {
        let o = run(amp);
        eprintln!(
            "{amp} nA: {} triggers, K2 {:.3}, re-triggered amplitude {:.2} mV",
            o.triggers, o.k2, o.amp2
        );
        rows.push((amp, o.triggers, o.k2, o.amp2));
        if let Some(prev) = &last
            && prev.triggers >= 2.0
            && o.triggers >= 2.0
        {
            assert!(o.k2 < prev.k2, "K must fall with input: {} then {}", prev.k2, o.k2);
            assert!(o.amp2 < prev.amp2, "amplitude must fall: {} then {}", prev.amp2, o.amp2);
        }
        last = Some(o);
    }
    assert!(rows.iter().all(|r| r.1 >= 2.0), "every supra-threshold step re-triggers: {rows:?}");
    // Near threshold the re-triggered event is large (tens of mV), far above it small.
    assert!(rows[0].3 > 40.0 && rows[4].3 < rows[0].3 / 2.0, "{rows:?}");
}

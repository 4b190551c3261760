//! Nothing in the time step allocates: a counting allocator watches `Simulation::step`
//! on the benchmark tree (hh, Poisson-driven synapses, a spike detector, recording) and on
//! a cell carrying every mechanism Dendra has.

use dendra::sim::cell::{Cell, Nseg, Passive};
use dendra::sim::engine::{SimConfig, Simulation};
use dendra::sim::mechanisms::catalogue;
use dendra::sim::morphology::{Morphology, Region};
use dendra::sim::recording::Probe;
use dendra::sim::stimuli::IClamp;
use dendra::sim::synapses::SynapseParams;
use dendra::sim::workloads::{TreeBench, binary_tree};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell as StdCell;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static COUNT: AtomicUsize = AtomicUsize::new(0);
thread_local! {
    static WATCH: StdCell<bool> = const { StdCell::new(false) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if WATCH.with(|w| w.get()) {
            COUNT.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        if WATCH.with(|w| w.get()) {
            COUNT.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn allocations_during(sim: &mut Simulation, steps: usize) -> usize {
    let before = COUNT.load(Ordering::SeqCst);
    WATCH.with(|w| w.set(true));
    for _ in 0..steps {
        sim.step();
    }
    WATCH.with(|w| w.set(false));
    COUNT.load(Ordering::SeqCst) - before
}

#[test]
fn benchmark_tree_steps_without_allocating() {
    let b = TreeBench { depth: 4, nseg: 5, syn: 50, rate_hz: 200.0, tstop: 100.0, seed: 3 };
    let mut sim = binary_tree(&b).unwrap();
    sim.record(&[Probe::Voltage(1), Probe::SynapseCurrent(0)], 4, 100).unwrap();
    sim.init();
    // Warm up (the first step may build tables), then watch 4000 steps (100 ms).
    sim.step();
    assert_eq!(allocations_during(&mut sim, 4000), 0);
    assert!(sim.synapses.len() == 50 && sim.is_finite());
    // A synapse blocked and another's kinetics changed: the synapses of a node are grouped
    // again in the next step, still without allocating.
    sim.synapses.set_enabled(3, false);
    sim.set_synapse_params(7, SynapseParams::nmda()).unwrap();
    assert_eq!(allocations_during(&mut sim, 400), 0);
    assert!(sim.is_finite());
}

#[test]
fn every_mechanism_steps_without_allocating() {
    let morph = Morphology::soma_and_dendrite(20.0, 20.0, 200.0, 2.0, Region::Apical);
    let cell = Cell::new(morph, Passive::uniform(2, 100.0, 1.0), &Nseg::Uniform(5)).unwrap();
    let mut sim =
        Simulation::new(cell, SimConfig { dt: 0.025, celsius: 34.0, v_init: -70.0, crank_nicolson: false })
            .unwrap();
    for name in catalogue::names() {
        let nodes = sim.cell.nodes_where(|_| true);
        sim.insert(name, nodes, "all").unwrap();
    }
    let node = sim.cell.node_at(1, 0.5);
    let k = sim.add_synapse(node, SynapseParams::nmda()).unwrap();
    sim.add_spike_times(k, &[1.0, 2.0, 3.0], 0.002).unwrap();
    sim.add_iclamp(IClamp { node: sim.cell.node_at(0, 0.5), delay: 2.0, dur: 5.0, amp: 0.5 }).unwrap();
    sim.record(&[Probe::Voltage(node), Probe::Calcium(node)], 1, 1000).unwrap();
    sim.init();
    sim.step();
    assert_eq!(allocations_during(&mut sim, 2000), 0);
}

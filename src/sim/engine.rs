//! The simulation: one cell, its mechanisms, synapses and electrodes, advanced by
//! NEURON's fixed step (docs/biophysics.md 1.5):
//! 1. deliver events due by t + dt/2;
//! 2. currents and conductances at v(t) (electrodes at t + dt/2), axial terms;
//! 3. solve the tree matrix; v += dv (backward Euler) or v += 2 dv (Crank-Nicolson);
//! 4. integrate every state with the new v over dt;
//! 5. record, detect spikes, deliver events due by the new t + dt/2.
//!
//! Live edits (switch a mechanism, change a parameter, add a synapse, fire) are methods
//! called between steps (`edit.rs`); their errors are [`SimError`]s (`error.rs`); a long
//! run may go on two threads (`split.rs`). Nothing in [`Simulation::step`] allocates.

use crate::sim::cable::CableMatrix;
use crate::sim::cell::Cell;
use crate::sim::events::EventQueue;
use crate::sim::limits;
use crate::sim::mechanisms::rate_table::VoltageGrid;
use crate::sim::mechanisms::{Env, Ions, Mechanism};
use crate::sim::recording::{Probe, Recorder};
use crate::sim::stimuli::Stimuli;
use crate::sim::synapses::Synapses;

mod edit;
mod split;

/// The engine's error lives below the engine (`sim/error.rs`), where the synapses and the
/// other parts the engine is made of can return it without reaching up.
pub use crate::sim::error::SimError;
pub use split::SplitStats;

/// Numerical settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimConfig {
    /// Time step (ms).
    pub dt: f64,
    /// Temperature (degC).
    pub celsius: f64,
    /// Initial voltage (mV).
    pub v_init: f64,
    /// Crank-Nicolson (NEURON's secondorder = 2) instead of backward Euler.
    pub crank_nicolson: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            dt: crate::sim::defaults::DT,
            celsius: crate::sim::defaults::CELSIUS,
            v_init: crate::sim::defaults::V_INIT,
            crank_nicolson: false,
        }
    }
}

/// A mechanism in a simulation, with its switch and a label (e.g. `hh` on `soma`).
#[derive(Debug, Clone)]
pub struct MechSlot {
    pub mech: Box<dyn Mechanism>,
    /// False while blocked: it passes no current, but its states keep following v so
    /// that it comes back in a sane state.
    pub enabled: bool,
    /// Where it was inserted (a region or section label), for the user.
    pub label: String,
}

/// Counts upward crossings of a threshold at a node (NEURON's NetCon/APCount).
#[derive(Debug, Clone)]
pub struct SpikeDetector {
    pub node: u32,
    /// Threshold (mV).
    pub threshold: f64,
    above: bool,
    /// Number of crossings since initialisation.
    pub count: usize,
    /// Time (ms) of the latest crossing, interpolated within the step.
    pub last: Option<f64>,
}

/// A running simulation.
#[derive(Debug)]
pub struct Simulation {
    pub cell: Cell,
    pub config: SimConfig,
    pub matrix: CableMatrix,
    /// Membrane voltage of every node (mV).
    pub v: Vec<f64>,
    pub ions: Ions,
    pub mechs: Vec<MechSlot>,
    /// Slots in NEURON's mechanism order (the order of [`mechanisms::catalogue::CATALOGUE`]):
    /// a calcium pool integrates before the channels that read it, as in NEURON.
    order: Vec<usize>,
    pub synapses: Synapses,
    pub stimuli: Stimuli,
    pub events: EventQueue,
    pub recorder: Recorder,
    pub detectors: Vec<SpikeDetector>,
    steps: u64,
    t: f64,
    env: Env,
    threads: usize,
    /// Where each node's voltage lies on the rate tables' grid, shared by the mechanisms'
    /// state updates.
    grid: VoltageGrid,
    /// The first node of the helper thread's part in the latest run split between two
    /// threads (`split.rs`), if any.
    last_split: Option<usize>,
    /// The split of the latest run split between two threads, kept for the next.
    split: Option<Box<split::Split>>,
    /// How split runs went: steps on two threads, and the times a split run stepped
    /// back to one thread because the two threads kept waiting for each other (a busy
    /// core). After a step back no run is split before step `split_again_at`.
    split_stats: split::SplitStats,
}

/// A copy of the simulation at this instant (every state, queued spike and Poisson
/// generator included), which then runs on its own: what the lab's linearity meter runs
/// its single-synapse what-ifs on. The copy runs on one thread.
impl Clone for Simulation {
    fn clone(&self) -> Self {
        Simulation {
            cell: self.cell.clone(),
            config: self.config,
            matrix: self.matrix.clone(),
            v: self.v.clone(),
            ions: self.ions.clone(),
            mechs: self.mechs.clone(),
            order: self.order.clone(),
            synapses: self.synapses.clone(),
            stimuli: self.stimuli.clone(),
            events: self.events.clone(),
            recorder: self.recorder.clone(),
            detectors: self.detectors.clone(),
            steps: self.steps,
            t: self.t,
            env: self.env,
            threads: 1,
            grid: self.grid.clone(),
            last_split: None,
            split: None,
            split_stats: Default::default(),
        }
    }
}

impl Simulation {
    /// A simulation of `cell` with no mechanisms yet (a bare membrane: add `pas` or
    /// others with [`Simulation::insert`]).
    pub fn new(cell: Cell, config: SimConfig) -> Result<Simulation, SimError> {
        edit::check_dt(config.dt)?;
        if !config.celsius.is_finite() || !config.v_init.is_finite() {
            return Err(SimError::NotFinite { what: "celsius and v_init" });
        }
        let n = cell.node_count();
        if n > limits::MAX_COMPARTMENTS {
            return Err(SimError::TooMany {
                what: "compartments",
                count: n,
                limit: limits::MAX_COMPARTMENTS,
            });
        }
        let matrix = CableMatrix::new(&cell, config.dt, config.crank_nicolson);
        let mut grid = VoltageGrid::default();
        grid.update(&vec![config.v_init; n]);
        Ok(Simulation {
            matrix,
            v: vec![config.v_init; n],
            ions: Ions::new(n),
            mechs: Vec::new(),
            order: Vec::new(),
            synapses: Synapses::default(),
            stimuli: Stimuli::default(),
            events: EventQueue::default(),
            recorder: Recorder::new(1, 1),
            detectors: Vec::new(),
            steps: 0,
            t: 0.0,
            env: Env { dt: config.dt, celsius: config.celsius, t: 0.0 },
            threads: 1,
            grid,
            last_split: None,
            split: None,
            split_stats: Default::default(),
            config,
            cell,
        })
    }

    /// Sets how many threads step this cell (1: the calling thread alone; more than 2
    /// count as 2). With 2, [`Simulation::run_until`] splits a long run by subtrees
    /// (`split.rs`): a helper thread takes the nodes from some index on (whole subtrees,
    /// every mechanism on them and their part of the cable solve), the calling thread the
    /// rest, the root and everything that is not a density mechanism, and the two exchange
    /// only the rows where the subtrees hang on, twice a step. The results equal one
    /// thread's up to rounding (a few sums are added in another order).
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = threads.clamp(1, 64);
        if self.threads < 2 {
            self.split = None;
        }
    }
    /// Where the latest run split between two threads split the cell: the first node of
    /// the helper's subtrees (`None` when no run was split).
    pub fn last_split(&self) -> Option<usize> {
        self.last_split
    }
    /// How split runs went so far: steps taken on two threads, and the times a split
    /// run stepped back to one thread because the threads kept waiting for each other.
    pub fn split_stats(&self) -> split::SplitStats {
        self.split_stats
    }

    /// Simulated time (ms).
    pub fn t(&self) -> f64 {
        self.t
    }
    /// Steps taken since initialisation.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// NEURON's finitialize(v_init): t = 0, v = v_init, every state at its initial value,
    /// events rescheduled, recordings cleared, then the first sample recorded.
    pub fn init(&mut self) {
        self.t = 0.0;
        self.steps = 0;
        self.v.iter_mut().for_each(|x| *x = self.config.v_init);
        let n = self.v.len();
        let (ena, ek) = (self.ions.ena.clone(), self.ions.ek.clone());
        self.ions = Ions::new(n);
        self.ions.ena = ena;
        self.ions.ek = ek;
        self.env = Env { dt: self.config.dt, celsius: self.config.celsius, t: 0.0 };
        for &k in &self.order {
            self.mechs[k].mech.init(&self.v, &mut self.ions, &self.env);
        }
        self.ions.begin_currents(self.config.celsius);
        self.synapses.init();
        self.events.init();
        for d in &mut self.detectors {
            d.above = self.v[d.node as usize] >= d.threshold;
            d.count = 0;
            d.last = None;
        }
        self.recorder.clear();
        self.sample();
        let (syn, half) = (&mut self.synapses, self.config.dt / 2.0);
        self.events.deliver_until(half, |e| syn.deliver(e.synapse as usize, e.weight));
    }

    /// Starts this simulation (just initialised) from the membrane state of `rest`, a copy
    /// of it settled at rest: its voltages, ions and every mechanism's states, at t = 0.
    /// What a trial starts from, so that its baseline is flat (from `v_init` the cell
    /// drifts to rest over hundreds of ms). Refused when `rest` is not a copy of this
    /// simulation (another cell, other mechanisms).
    pub fn start_from(&mut self, rest: &Simulation) -> Result<(), SimError> {
        let same = rest.v.len() == self.v.len()
            && rest.mechs.len() == self.mechs.len()
            && rest.mechs.iter().zip(&self.mechs).all(|(a, b)| a.mech.name() == b.mech.name());
        if !same {
            return Err(SimError::Value {
                what: "the resting state's cell",
                value: rest.v.len() as f64,
                rule: "this simulation's own (the same nodes and mechanisms)",
            });
        }
        self.v.copy_from_slice(&rest.v);
        self.ions = rest.ions.clone();
        for (mine, settled) in self.mechs.iter_mut().zip(&rest.mechs) {
            mine.mech = settled.mech.clone();
        }
        self.grid.update(&self.v);
        self.ions.begin_currents(self.config.celsius);
        for d in &mut self.detectors {
            d.above = self.v[d.node as usize] >= d.threshold;
        }
        self.recorder.clear();
        self.sample();
        Ok(())
    }

    /// Advances one step of dt.
    pub fn step(&mut self) {
        let dt = self.config.dt;
        let t_mid = self.t + dt / 2.0;
        self.deliver_until(t_mid);
        self.env.t = t_mid;
        self.matrix.begin(&self.v);
        self.ions.begin_currents(self.config.celsius);
        let (rhs, d) = (&mut self.matrix.rhs, &mut self.matrix.d);
        for &k in &self.order {
            let m = &mut self.mechs[k];
            if m.enabled {
                m.mech.current(&self.v, &mut self.ions, rhs, d, &self.env);
            }
        }
        self.synapses.current(&self.v, rhs, d);
        self.stimuli.current(t_mid, rhs);
        self.matrix.solve();
        // v += k dv, and where each new v lies on the rate tables' grid, in one pass.
        let k = self.dv_factor();
        self.grid.add_and_update(&mut self.v, &self.matrix.rhs, k);
        self.steps += 1;
        self.t = self.steps as f64 * dt;
        self.env.t = self.t;
        for &k in &self.order {
            self.mechs[k].mech.advance_on_grid(&self.v, &self.grid, &mut self.ions, &self.env);
        }
        self.end_step();
    }

    /// The factor of dv in the voltage update: 2 for Crank-Nicolson, else 1.
    fn dv_factor(&self) -> f64 {
        if self.config.crank_nicolson { 2.0 } else { 1.0 }
    }

    /// Delivers the events due by `t` (ms) to their synapses.
    fn deliver_until(&mut self, t: f64) {
        let syn = &mut self.synapses;
        self.events.deliver_until(t, |e| syn.deliver(e.synapse as usize, e.weight));
    }

    /// The end of a step, once v and the mechanisms' states are at the new t: synapses,
    /// spike detectors, recording, the events due by the next step's middle.
    fn end_step(&mut self) {
        self.synapses.advance();
        for det in &mut self.detectors {
            let v = self.v[det.node as usize];
            if !det.above && v >= det.threshold {
                det.count += 1;
                det.last = Some(self.t);
            }
            det.above = v >= det.threshold;
        }
        if self.steps.is_multiple_of(self.recorder.every as u64) {
            self.sample();
        }
        self.deliver_until(self.t + self.config.dt / 2.0);
    }

    /// When the latest input the cell has received ended (ms): the last synaptic event
    /// delivered, or the end of the last current pulse or EPSP-shaped current that has
    /// started (about five decay times after its onset); 0 before any.
    pub fn last_input_ms(&self) -> f64 {
        let t = self.t;
        let pulses =
            self.stimuli.iclamps.iter().filter(|c| c.amp != 0.0 && c.delay <= t).map(|c| c.delay + c.dur);
        let epsps = self
            .stimuli
            .epsps
            .iter()
            .filter(|e| e.imax != 0.0 && e.onset <= t)
            .map(|e| e.onset + 5.0 * e.tau1);
        pulses.chain(epsps).fold(self.events.last_delivered.max(0.0), f64::max)
    }

    /// Steps until t reaches `t_stop` (ms) within half a step. With two threads
    /// ([`Simulation::set_threads`]) a run of many steps is split between them when the
    /// cell allows it (`split.rs`).
    pub fn run_until(&mut self, t_stop: f64) {
        let dt = self.config.dt;
        if self.threads > 1 {
            loop {
                // The steps the loop below would take (at most a few million at a time).
                let (mut n, mut t) = (0u64, self.t);
                while t + dt / 2.0 < t_stop && n < 1 << 22 {
                    n += 1;
                    t = (self.steps + n) as f64 * dt;
                }
                if n == 0 {
                    return;
                }
                // What a step takes on one thread, timed once before the first split
                // run: a split run slower than that steps back (split.rs).
                if self.split_stats.one_thread_step_s.is_none() && n >= 4 * split::CALIBRATE_STEPS {
                    self.timed_steps(split::CALIBRATE_STEPS);
                    continue;
                }
                // After a split stepped back: one thread until a split is tried again.
                let wait = self.split_stats.split_again_at.saturating_sub(self.steps);
                if wait > 0 {
                    self.timed_steps(wait.min(n));
                    continue;
                }
                if !self.run_split(n) {
                    break;
                }
            }
            // On one thread: timed, when long enough to tell, so that the next split run
            // compares itself with what one thread does now.
            let mut n = 0u64;
            let mut t = self.t;
            while t + dt / 2.0 < t_stop && n < 1 << 22 {
                n += 1;
                t = (self.steps + n) as f64 * dt;
            }
            if n >= split::CALIBRATE_STEPS {
                self.timed_steps(n);
            }
        }
        while self.t + dt / 2.0 < t_stop {
            self.step();
        }
    }

    /// Takes `n` steps on this thread and keeps the time a step took: the least over
    /// stretches of 64 steps (the first steps after a pause run from cold caches).
    fn timed_steps(&mut self, n: u64) {
        let mut best = f64::INFINITY;
        let mut done = 0;
        while done < n {
            let k = (n - done).min(64);
            let start = std::time::Instant::now();
            for _ in 0..k {
                self.step();
            }
            if k == 64 {
                best = best.min(start.elapsed().as_secs_f64() / 64.0);
            }
            done += k;
        }
        if best.is_finite() {
            self.split_stats.one_thread_step_s = Some(best);
        }
    }

    fn sample(&mut self) {
        self.recorder.t.push(self.t);
        for (p, r) in self.recorder.probes.iter().zip(self.recorder.traces.iter_mut()) {
            let x = match p {
                Probe::Voltage(n) => self.v[*n as usize],
                Probe::Calcium(n) => self.ions.cai[*n as usize],
                Probe::Mechanism { slot, index, name } => {
                    self.mechs.get(*slot).and_then(|m| m.mech.state(name, *index)).unwrap_or(f64::NAN)
                }
                Probe::SynapseCurrent(k) => self.synapses.current_na(*k),
            };
            r.push(x);
        }
    }

    /// True when every voltage is finite (a run gone numerically wrong is not).
    pub fn is_finite(&self) -> bool {
        self.v.iter().all(|v| v.is_finite())
    }

    /// The node whose voltage is furthest out (a non-finite one first) when any is
    /// beyond [`limits::MAX_ABS_V_MV`], with its voltage: `None` while the run is sane.
    pub fn insane_node(&self) -> Option<(u32, f64)> {
        if let Some(i) = self.v.iter().position(|v| !v.is_finite()) {
            return Some((i as u32, self.v[i]));
        }
        let (i, v) = self.v.iter().enumerate().max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))?;
        (v.abs() > limits::MAX_ABS_V_MV).then_some((i as u32, *v))
    }

    /// Why a run stopped with voltage `v` at `node` (see [`Simulation::insane_node`]):
    /// where (section and x), when, and (in its message) the likely causes.
    pub fn insane(&self, node: u32, v: f64) -> SimError {
        let sec = self.cell.node_section.get(node as usize).copied().unwrap_or(0) as usize;
        let x = self.cell.node_x.get(node as usize).copied().unwrap_or(f64::NAN);
        let section = self.cell.morphology.sections.get(sec).map_or("?", |s| s.name.as_str()).to_string();
        SimError::Runaway { section, x, t: self.t, v }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::cell::{Nseg, Passive};
    use crate::sim::morphology::{Morphology, Region, Section};
    use crate::sim::stimuli::IClamp;
    use nalgebra::{Point3, Vector3};
    use split::WINDOW_FOR_TESTS;

    /// A soma and two dendrites carrying Hay's channels, a calcium pool and SK, a pulse.
    fn cell(threads: usize) -> Simulation {
        let soma = Section::cylinder(
            "soma".into(),
            Region::Soma,
            None,
            1.0,
            Point3::origin(),
            Vector3::x(),
            20.0,
            20.0,
        );
        let dend = |name: &str, dir: Vector3<f64>| {
            Section::cylinder(
                name.into(),
                Region::Apical,
                Some(0),
                1.0,
                Point3::new(20.0, 0.0, 0.0),
                dir,
                300.0,
                2.0,
            )
        };
        let morph = Morphology {
            file: "test".into(),
            sections: vec![soma, dend("a", Vector3::x()), dend("b", Vector3::y())],
            warnings: vec![],
        };
        let cell = Cell::new(morph, Passive::uniform(3, 100.0, 1.0), &Nseg::Uniform(15)).unwrap();
        let config = SimConfig { dt: 0.025, celsius: 34.0, v_init: -75.0, crank_nicolson: false };
        let mut sim = Simulation::new(cell, config).unwrap();
        let all = sim.cell.nodes_where(|_| true);
        for (name, g) in [
            ("pas", 3e-5),
            ("CaDynamics_E2", 0.05),
            ("Ca_HVA", 0.001),
            ("Ca_LVAst", 0.003),
            ("Ih", 0.0002),
            ("Im", 0.0001),
            ("K_Pst", 0.002),
            ("K_Tst", 0.08),
            ("NaTa_t", 2.0),
            ("SK_E2", 0.04),
            ("SKv3_1", 0.7),
        ] {
            let slot = sim.insert(name, all.clone(), "all").unwrap();
            let p = if name == "pas" {
                "g"
            } else if name == "CaDynamics_E2" {
                "gamma"
            } else {
                "gbar"
            };
            sim.set_param(slot, p, g).unwrap();
        }
        sim.ions.ek.iter_mut().for_each(|e| *e = -85.0);
        let soma = sim.cell.node_at(0, 0.5);
        sim.add_iclamp(IClamp { node: soma, delay: 2.0, dur: 30.0, amp: 3.0 }).unwrap();
        sim.add_spike_detector(soma, 0.0).unwrap();
        sim.set_threads(threads);
        // The split itself is under test: on a cell this small it may not pay.
        sim.split_stats.never_step_back = true;
        sim.init();
        sim
    }

    /// A helper that falls behind (here made to sleep each step, as one whose core is
    /// taken by another process) makes the split step back to one thread, and the run
    /// is the one thread's still.
    #[test]
    fn a_split_that_falls_behind_steps_back_to_one_thread() {
        let (mut one, mut two) = (cell(1), cell(2));
        two.split_stats.slow_tail_us = 300;
        two.split_stats.never_step_back = false;
        one.run_until(100.0);
        two.run_until(100.0);
        let stats = two.split_stats();
        assert!(two.last_split().is_some(), "the run was split at first");
        assert_eq!(stats.stepped_back, 1, "{stats:?}");
        // It stepped back at the end of a window, within a few of the helper's slowing
        // down (at step 300; at the first, if on this small cell two threads are slower
        // than one from the start).
        assert!(stats.split_steps.is_multiple_of(WINDOW_FOR_TESTS), "{stats:?}");
        assert!(stats.split_steps <= 300 + 5 * WINDOW_FOR_TESTS, "{stats:?}");
        assert_eq!(one.steps(), two.steps());
        assert_eq!(one.detectors[0].count, two.detectors[0].count);
        let worst = one.v.iter().zip(&two.v).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-9, "{worst}");
        // 200 ms of steps on one thread; then a split is tried again, and with the helper
        // still slow, it steps back again, each time waiting twice as long.
        two.run_until(two.t() + 300.0);
        let again = two.split_stats();
        assert!(again.stepped_back >= 2, "{again:?}");
        assert_eq!(again.back_off, (8_000u64 << again.stepped_back).min(64_000), "{again:?}");
        assert!(again.split_steps > stats.split_steps, "{again:?}");
        // Through all of it, the same run as on one thread.
        one.run_until(two.t());
        let worst = one.v.iter().zip(&two.v).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-9, "{worst}");
    }

    #[test]
    fn two_threads_give_the_same_run_up_to_rounding() {
        let (mut one, mut two) = (cell(1), cell(2));
        one.run_until(50.0);
        two.run_until(50.0);
        let s = two.last_split().expect("the run was split");
        assert!(s > 1 && s < two.v.len(), "{s}");
        assert_eq!(one.steps(), two.steps());
        assert_eq!(one.t(), two.t());
        assert!(one.detectors[0].count >= 1, "the pulse makes the cell fire");
        assert_eq!(one.detectors[0].count, two.detectors[0].count);
        let worst = one.v.iter().zip(&two.v).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-9, "{worst}");
        let ca = one.ions.cai.iter().zip(&two.ions.cai).map(|(a, b)| ((a - b) / a).abs()).fold(0.0, f64::max);
        assert!(ca < 1e-9, "{ca}");
        // Every state came back: the runs go on alike, split or step by step.
        for slot in 0..one.mechs.len() {
            let (a, b) = (&one.mechs[slot].mech, &two.mechs[slot].mech);
            for name in a.state_names() {
                for i in 0..a.nodes().len() {
                    let (x, y) = (a.state(name, i), b.state(name, i));
                    assert!(x.zip(y).is_none_or(|(x, y)| (x - y).abs() <= 1e-9 * x.abs().max(1.0)), "{name}");
                }
            }
        }
        for _ in 0..400 {
            one.step();
            two.step();
        }
        let worst = one.v.iter().zip(&two.v).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-9, "{worst}");
        // The split is kept for the next run, which sees the edits made in between.
        for sim in [&mut one, &mut two] {
            sim.set_param(9, "gbar", 0.5).unwrap();
            sim.set_enabled(6, false).unwrap();
            sim.run_until(sim.t() + 30.0);
            sim.set_enabled(6, true).unwrap();
            sim.run_until(sim.t() + 30.0);
        }
        assert_eq!(two.last_split(), Some(s));
        let worst = one.v.iter().zip(&two.v).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-9, "{worst}");
        assert_eq!(one.detectors[0].count, two.detectors[0].count);
        // A recorded dendritic node keeps the run on one thread.
        let far = two.v.len() as u32 - 1;
        two.record(&[Probe::Voltage(far)], 1, 100).unwrap();
        let before = two.steps();
        two.last_split = None;
        two.run_until(two.t() + 10.0);
        assert_eq!(two.steps(), before + 400);
        assert_eq!(two.last_split(), None);
    }
}

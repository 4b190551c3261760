//! Two threads on one cell ([`Simulation::set_threads`]), the cell split by subtrees.
//!
//! The nodes are in Hines order (a parent before its children), so the nodes from any
//! index `s` on are whole subtrees: every child of such a node comes after it. A helper
//! thread takes them, the *tail*: every density mechanism on them, their ions, their rows
//! of the cable matrix. The calling thread, the *head*, takes the nodes below `s` (the
//! root among them) and everything that is not a density mechanism: events, synapses,
//! electrodes, spike detectors, recording. Each step the two meet twice, at the rows of
//! the *junctions* (head nodes that tail subtrees hang from):
//! 1. the tail eliminates its rows and posts what its subtrees add to each junction's
//!    row; the head adds that, and solves its tree;
//! 2. the head posts each junction's dv; the tail substitutes its own dv with them.
//!
//! Between those, each thread works on its own memory only: the tail has its own v, ions
//! and copies of the mechanisms over its nodes, the head the simulation's own v and ions
//! with copies of the mechanisms over its nodes; the values go into the copies when a
//! run starts and back when it ends. The threads share nothing but the few numbers they
//! post, through atomics. The split (matrices, copies with their rate tables, the helper
//! thread, which sleeps between runs) is kept for the next run. The sums at the
//! junctions are added in another order than on one thread: the results equal one
//! thread's up to rounding.
//!
//! A run is split only when it pays (the cost model below finds a split at least 20%
//! faster than one thread) and when nothing but density mechanisms is on the tail (every
//! synapse, electrode, detector and recorded node below `s`, no mechanism state
//! recorded); otherwise it runs on one thread as before.

use super::Simulation;
use crate::sim::cable::CableMatrix;
use crate::sim::mechanisms::rate_table::VoltageGrid;
use crate::sim::mechanisms::{self, Env, Ions, Mechanism};
use crate::sim::recording::Probe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

/// Runs shorter than this many steps stay on one thread: the copies at the start and
/// the end of a split run cost about as much as a few steps of the whole cell.
const MIN_STEPS: u64 = 200;

/// Steps over which the head judges whether the split pays (a few hundred us here).
const WINDOW: u64 = 16;
/// Slow windows in a row that make a split run step back: one or two alone may be a
/// hiccup (a preemption of a few ms).
const SLOW_WINDOWS: u32 = 3;
/// Windows at the start of a split run that are not judged: the helper wakes up and its
/// caches fill.
const WARM_UP_WINDOWS: u64 = 1;
#[cfg(test)]
pub(super) const WINDOW_FOR_TESTS: u64 = WINDOW;
/// A window whose steps take this many times the best window's means the two threads
/// stopped running side by side (another process took a core, and each handshake waits
/// for a time slice): the split run steps back to one thread.
const BEHIND: f64 = 2.5;
/// A window whose steps take this many times a step on one thread (timed on this cell
/// before its first split run, and again whenever it runs on one thread) means the split
/// does not pay: it steps back too. A split that pays takes about 0.6 of it.
const SLOWER: f64 = 1.15;
/// Steps timed on one thread before the first split run, for [`SLOWER`].
pub(super) const CALIBRATE_STEPS: u64 = 256;
/// After stepping back, runs stay on one thread for this many steps (200 ms of
/// simulated time at 0.025 ms), then a split is tried again (the core may be free by
/// then: a hiccup passes); each step back in a row doubles it, up to [`MAX_BACK_OFF`].
const BACK_OFF_STEPS: u64 = 8_000;
/// The longest wait before trying a split again (1.6 s of simulated time at 0.025 ms).
const MAX_BACK_OFF: u64 = 64_000;

/// How the split runs of a simulation went ([`Simulation::split_stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SplitStats {
    /// Steps taken on two threads.
    pub split_steps: u64,
    /// Times a split run stepped back to one thread (the threads kept waiting).
    pub stepped_back: u64,
    /// No run is split before this step.
    pub(super) split_again_at: u64,
    /// Seconds a step takes on one thread, as last timed (`None`: not yet).
    pub(super) one_thread_step_s: Option<f64>,
    /// Steps to stay on one thread after the next step back (0: [`BACK_OFF_STEPS`]).
    pub(super) back_off: u64,
    /// Tests only: the helper sleeps this long (us) each step after its 300th, as a
    /// helper that loses its core to another process would.
    #[cfg(test)]
    pub(super) slow_tail_us: u64,
    /// Tests only: never step back (tests of the split itself, on cells too small for a
    /// split to pay).
    #[cfg(test)]
    pub(super) never_step_back: bool,
}

/// Rough cost of each node and step outside the mechanisms (axial terms, voltage update,
/// the grid), in units of a two-gate channel on one node.
const NODE_COST: f64 = 1.0;
/// Rough cost of a node's share of the cable solve, in the same units.
const SOLVE_COST: f64 = 1.5;
/// Rough cost of a node on the path between the junctions (`CableMatrix::prefix`), in
/// the same units: its elimination and substitution wait each for the one before, while
/// the other thread waits for them.
const PATH_COST: f64 = 12.0;

/// Rough cost per node and step of mechanism `name`, in the same units (the
/// catalogue's relative cost).
fn mechanism_cost(name: &str) -> f64 {
    crate::sim::mechanisms::catalogue::entry(name).map_or(1.0, |e| e.cost)
}

/// A copy of one mechanism over one thread's nodes.
#[derive(Debug)]
struct Part {
    /// The mechanism's slot in the simulation.
    slot: usize,
    enabled: bool,
    mech: Box<dyn Mechanism>,
    /// For each of the copy's nodes, the index of that node in the whole mechanism.
    index: Vec<usize>,
}

/// The helper thread's share: nodes `s..n` (local J + k is node s + k) and, at local
/// j < J, a copy of junction j's voltage (the same update as the head's gives the same
/// number).
#[derive(Debug)]
struct Tail {
    matrix: CableMatrix,
    v: Vec<f64>,
    ions: Ions,
    grid: VoltageGrid,
    mechs: Vec<Part>,
}

/// A split at one node, kept from one run to the next (made again when the split point,
/// the mechanisms, dt or the method change): the two parts' matrices and copies of the
/// mechanisms (their tables built once). Each run copies the values in and out.
#[derive(Debug)]
pub(super) struct Split {
    s: usize,
    /// Number of mechanisms, dt (ms) and Crank-Nicolson: what the split was made for.
    made_for: (usize, f64, bool),
    junctions: Vec<u32>,
    head_matrix: CableMatrix,
    head_mechs: Vec<Part>,
    /// The tail, here between runs (with the helper thread during one).
    tail: Option<Box<Tail>>,
    helper: Helper,
}

/// A run for the helper thread: the tail (given back at the end), what to post through,
/// (t0, steps0, steps) and (dt, celsius, the factor of dv) of [`Tail::run`].
struct Job {
    tail: Box<Tail>,
    exchange: Arc<Exchange>,
    times: (f64, u64, u64),
    constants: (f64, f64, f64),
}

type Panic = Box<dyn std::any::Any + Send>;

/// The helper thread of a split: it lives as long as the split, so that it stays on its
/// core from one run to the next, and sleeps between runs.
struct Helper {
    jobs: Option<mpsc::Sender<Job>>,
    /// (In a mutex only so that a simulation can be shared between threads.)
    done: Mutex<mpsc::Receiver<Result<Box<Tail>, Panic>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Helper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Helper")
    }
}

impl Helper {
    /// Starts the thread; `None` if the system would not start one.
    fn start() -> Option<Helper> {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (outbox, done) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("dendra-split".into())
            .spawn(move || {
                while let Ok(Job { mut tail, exchange, times, constants }) = inbox.recv() {
                    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        tail.run(&exchange, times, constants)
                    }));
                    if outbox.send(run.map(|()| tail)).is_err() {
                        return;
                    }
                }
            })
            .ok()?;
        Some(Helper { jobs: Some(jobs), done: Mutex::new(done), thread: Some(thread) })
    }
}

impl Drop for Helper {
    /// Ends the thread: no more jobs, and it returns from its loop.
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            // A panic in a run was reported by that run; nothing is left to report.
            thread.join().ok();
        }
    }
}

/// What the two threads post each step. Each sequence number tells that the values
/// beside it are those of that step; a thread writes its values only after the other
/// has read the previous ones (it has posted since), so one set of each suffices.
struct Exchange {
    /// Step whose junction rows the tail posted, and the rows: (d, rhs) per junction.
    up_seq: Padded<AtomicU64>,
    up: Vec<[AtomicU64; 2]>,
    /// Step whose junction dv the head posted, and the dv.
    down_seq: Padded<AtomicU64>,
    down: Vec<AtomicU64>,
    /// Set when either thread stops (its loop ended or it panicked): the other then
    /// stops waiting.
    gone: AtomicBool,
    /// The last step of the run: the head lowers it (before posting that step's dv) to
    /// step back to one thread; the tail, having seen that dv, sees it too and stops
    /// after that step.
    last_step: AtomicU64,
    /// Tests only: see [`SplitStats::slow_tail_us`].
    #[cfg(test)]
    slow_tail_us: u64,
}

/// Keeps each sequence number on its own cache lines.
#[repr(align(128))]
struct Padded<T>(T);

/// Sets the flag when dropped: when the thread's loop ends, by returning or unwinding.
struct Gone<'a>(&'a AtomicBool);
impl Drop for Gone<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

impl Exchange {
    fn new(junctions: usize) -> Exchange {
        Exchange {
            up_seq: Padded(AtomicU64::new(0)),
            up: (0..junctions).map(|_| [AtomicU64::new(0), AtomicU64::new(0)]).collect(),
            down_seq: Padded(AtomicU64::new(0)),
            down: (0..junctions).map(|_| AtomicU64::new(0)).collect(),
            gone: AtomicBool::new(false),
            last_step: AtomicU64::new(u64::MAX),
            #[cfg(test)]
            slow_tail_us: 0,
        }
    }

    /// Waits until `seq` reaches `step`; false when the other thread stopped first.
    /// Spins (the other thread is a few microseconds away), then yields its core: after
    /// some 20 us, so that a helper started on the caller's core gets to run until the
    /// system moves one of them.
    fn wait(&self, seq: &AtomicU64, step: u64) -> bool {
        let mut spins = 0u32;
        loop {
            if seq.load(Ordering::Acquire) >= step {
                return true;
            }
            if self.gone.load(Ordering::Acquire) {
                return seq.load(Ordering::Acquire) >= step;
            }
            spins = spins.saturating_add(1);
            if spins < 1 << 11 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
}

impl Simulation {
    /// Runs `steps` steps split between the calling thread and a helper thread; false
    /// (having done nothing) when this run is not to be split (see the module's
    /// documentation).
    pub(super) fn run_split(&mut self, steps: u64) -> bool {
        if self.threads < 2 || steps < MIN_STEPS || self.steps < self.split_stats.split_again_at {
            return false;
        }
        let Some(s) = self.split_point() else {
            return false;
        };
        let made_for = (self.mechs.len(), self.config.dt, self.config.crank_nicolson);
        let mut split = match self.split.take() {
            Some(split) if split.s == s && split.made_for == made_for => split,
            _ => match self.make_split(s) {
                Some(split) => Box::new(split),
                None => return false,
            },
        };
        if !self.copy_in(&mut split) {
            return false;
        }
        let Split { junctions, head_matrix, head_mechs, tail, helper, .. } = &mut *split;
        let (Some(jobs), Some(tail_here)) = (helper.jobs.as_ref(), tail.take()) else {
            return false;
        };
        #[allow(unused_mut)]
        let mut exchange = Exchange::new(junctions.len());
        #[cfg(test)]
        {
            exchange.slow_tail_us = self.split_stats.slow_tail_us;
        }
        let exchange = Arc::new(exchange);
        let job = Job {
            tail: tail_here,
            exchange: exchange.clone(),
            times: (self.t, self.steps, steps),
            constants: (self.config.dt, self.config.celsius, self.dv_factor()),
        };
        if let Err(mpsc::SendError(job)) = jobs.send(job) {
            // No helper thread after all: this run goes on one thread.
            *tail = Some(job.tail);
            return false;
        }
        // The head's mechanisms read the head's ions: the whole cell's wait aside.
        let mut ions = self.ions.part(0..s);
        std::mem::swap(&mut self.ions, &mut ions);
        let steps0 = self.steps;
        let finished = self.run_head(head_matrix, head_mechs, junctions, &exchange, steps);
        // The helper's panic, if it had one, goes on here (its message kept).
        let back = helper.done.get_mut().map(|done| done.recv());
        let tail = tail.insert(match back {
            Ok(Ok(Ok(tail))) if finished => tail,
            Ok(Ok(Err(panic))) => std::panic::resume_unwind(panic),
            _ => panic!("the helper thread of a split run stopped"),
        });
        // Put everything back.
        let n = self.v.len();
        std::mem::swap(&mut self.ions, &mut ions);
        self.ions.put_part(&ions, 0, 0..s);
        let jn = junctions.len();
        self.ions.put_part(&tail.ions, jn, s..n);
        self.v[s..].copy_from_slice(&tail.v[jn..]);
        for part in head_mechs.iter().chain(&tail.mechs) {
            let whole = &mut self.mechs[part.slot].mech;
            for (j, &i) in part.index.iter().enumerate() {
                whole
                    .copy_node(i, part.mech.as_ref(), j)
                    .expect("a copy's values go back where they came from");
            }
        }
        self.grid.update(&self.v);
        self.last_split = Some(s);
        self.split = Some(split);
        let done = self.steps - steps0;
        self.split_stats.split_steps += done;
        let st = &mut self.split_stats;
        if done < steps {
            // Stepped back: the rest of this run, and a while after, on one thread.
            st.stepped_back += 1;
            let wait = if st.back_off == 0 { BACK_OFF_STEPS } else { st.back_off };
            st.split_again_at = self.steps + wait;
            st.back_off = (wait * 2).min(MAX_BACK_OFF);
        } else {
            st.back_off = 0;
        }
        true
    }

    /// A split at node `s` (its values still to be copied in); `None` if a mechanism
    /// could not be copied.
    fn make_split(&self, s: usize) -> Option<Split> {
        let (dt, cn) = (self.config.dt, self.config.crank_nicolson);
        let (matrix, junctions) = CableMatrix::tail(&self.cell, s, dt, cn);
        let jn = junctions.len() as u32;
        let local = |node: u32| (node as usize >= s).then(|| node - s as u32 + jn);
        // The tail's voltages, ions and values come in with each run (`copy_in`).
        let v: Vec<f64> =
            junctions.iter().map(|&p| self.v[p as usize]).chain(self.v[s..].iter().copied()).collect();
        let tail_mechs = self.copy_mechanisms(local, &v)?;
        let tail = Tail { matrix, v, ions: Ions::new(0), grid: VoltageGrid::default(), mechs: tail_mechs };
        Some(Split {
            helper: Helper::start()?,
            s,
            made_for: (self.mechs.len(), dt, cn),
            head_matrix: CableMatrix::prefix(&self.cell, s, &junctions, dt, cn),
            head_mechs: self.copy_mechanisms(|node| ((node as usize) < s).then_some(node), &self.v[..s])?,
            junctions,
            tail: Some(Box::new(tail)),
        })
    }

    /// Copies the cell's present values into the split: the tail's voltages and ions,
    /// every copy's parameters, states and switch. False if a copy refused a value.
    fn copy_in(&self, split: &mut Split) -> bool {
        let (s, n) = (split.s, self.v.len());
        let Some(tail) = split.tail.as_mut() else {
            return false;
        };
        tail.v.clear();
        tail.v.extend(split.junctions.iter().map(|&p| self.v[p as usize]));
        tail.v.extend_from_slice(&self.v[s..]);
        tail.ions = self.ions.part(split.junctions.iter().map(|&p| p as usize).chain(s..n));
        tail.grid.update(&tail.v);
        for part in split.head_mechs.iter_mut().chain(tail.mechs.iter_mut()) {
            let whole = &self.mechs[part.slot];
            part.enabled = whole.enabled;
            for (j, &i) in part.index.iter().enumerate() {
                if part.mech.copy_node(j, whole.mech.as_ref(), i).is_err() {
                    return false;
                }
            }
        }
        true
    }

    /// The first node of the tail, where the cost model (module documentation) finds
    /// the split fastest, or `None` when no split is allowed or pays.
    fn split_point(&self) -> Option<usize> {
        let n = self.v.len();
        // The tail starts above every node that something besides a density mechanism uses.
        let mut lowest = 1usize.max(self.synapses.nodes_below());
        let mut used = |node: u32| lowest = lowest.max(node as usize + 1);
        self.stimuli.iclamps.iter().for_each(|c| used(c.node));
        self.stimuli.epsps.iter().for_each(|c| used(c.node));
        self.detectors.iter().for_each(|d| used(d.node));
        for p in &self.recorder.probes {
            match p {
                Probe::Voltage(node) | Probe::Calcium(node) => used(*node),
                Probe::Mechanism { .. } => return None,
                Probe::SynapseCurrent(_) => {}
            }
        }
        let mut cost = vec![NODE_COST; n];
        for m in &self.mechs {
            let c = mechanism_cost(m.mech.name());
            m.mech.nodes().iter().for_each(|&node| cost[node as usize] += c);
        }
        let total: f64 = cost.iter().sum();
        let one_thread = total + SOLVE_COST * n as f64;
        let path = path_lengths(&self.cell.parent);
        // Per step the two threads work side by side but for the path, which the head
        // goes through while the tail waits.
        let mut below = 0.0;
        let mut best: Option<(f64, usize)> = None;
        for s in 1..n {
            below += cost[s - 1];
            if s < lowest {
                continue;
            }
            let head = below + SOLVE_COST * s as f64;
            let step = head.max(one_thread - head) + PATH_COST * path[s] as f64;
            if best.is_none_or(|(b, _)| step < b) {
                best = Some((step, s));
            }
        }
        if let Ok(s) = std::env::var("DENDRA_SPLIT_AT") {
            return s.parse().ok().filter(|&s| s >= lowest && s < n);
        }
        best.filter(|&(step, _)| step < 0.8 * one_thread).map(|(_, s)| s)
    }

    /// Copies of the mechanisms (in NEURON's order) over the nodes `local` keeps (and
    /// renumbers), initialised for voltages `v` (local nodes); their values are copied in
    /// by [`Simulation::copy_in`]. `None` if a copy could not be made.
    fn copy_mechanisms(&self, local: impl Fn(u32) -> Option<u32>, v: &[f64]) -> Option<Vec<Part>> {
        let mut parts = Vec::new();
        for &slot in &self.order {
            let whole = &self.mechs[slot].mech;
            let (mut nodes, mut index) = (Vec::new(), Vec::new());
            for (i, &node) in whole.nodes().iter().enumerate() {
                if let Some(k) = local(node) {
                    nodes.push(k);
                    index.push(i);
                }
            }
            if nodes.is_empty() {
                continue;
            }
            let mut mech = mechanisms::create(whole.name(), nodes)?;
            mech.keep_currents(false);
            // Whatever a mechanism prepares at initialisation (tables), on scratch ions.
            mech.init(v, &mut Ions::new(v.len()), &self.env);
            parts.push(Part { slot, enabled: self.mechs[slot].enabled, mech, index });
        }
        Some(parts)
    }

    /// The calling thread's side of a split run: [`Simulation::step`] on nodes `0..s`
    /// (`matrix` their rows), with the junction rows of the tail added before the solve
    /// and the junctions' dv posted after it. False if the helper stopped first.
    ///
    /// Every [`WINDOW`] steps the head looks at how the split goes: when [`SLOW_WINDOWS`]
    /// windows in a row took [`BEHIND`] times the best window's time per step, or
    /// [`SLOWER`] times a step on one thread, it ends the split run after that step (the caller steps the rest on one
    /// thread). Threads that lose their core to another process wait a time slice at each
    /// of the two handshakes of every step.
    fn run_head(
        &mut self,
        matrix: &mut CableMatrix,
        mechs: &mut [Part],
        junctions: &[u32],
        exchange: &Exchange,
        steps: u64,
    ) -> bool {
        let _gone = Gone(&exchange.gone);
        let s = matrix.parent.len();
        let (dt, k) = (self.config.dt, self.dv_factor());
        let mut window_start = std::time::Instant::now();
        let mut best = f64::INFINITY;
        let one_thread = self.split_stats.one_thread_step_s.unwrap_or(f64::INFINITY);
        let mut stop_after = u64::MAX;
        let mut slow = 0;
        for step in 1..=steps {
            if step.is_multiple_of(WINDOW) && step < steps {
                let now = std::time::Instant::now();
                let per_step = (now - window_start).as_secs_f64() / WINDOW as f64;
                window_start = now;
                if step > WARM_UP_WINDOWS * WINDOW {
                    let behind = per_step > BEHIND * best || per_step > SLOWER * one_thread;
                    slow = if behind { slow + 1 } else { 0 };
                    if slow >= SLOW_WINDOWS {
                        stop_after = step;
                    }
                    #[cfg(test)]
                    if self.split_stats.never_step_back {
                        stop_after = u64::MAX;
                    }
                    best = best.min(per_step);
                }
            }
            let t_mid = self.t + dt / 2.0;
            self.deliver_until(t_mid);
            self.env.t = t_mid;
            matrix.begin(&self.v[..s]);
            self.ions.begin_currents(self.config.celsius);
            let v = &self.v[..s];
            for m in mechs.iter_mut().filter(|m| m.enabled) {
                m.mech.current(v, &mut self.ions, &mut matrix.rhs, &mut matrix.d, &self.env);
            }
            self.synapses.current(&self.v, &mut matrix.rhs, &mut matrix.d);
            self.stimuli.current(t_mid, &mut matrix.rhs);
            // What does not need the tail's rows, while the tail finishes them.
            matrix.eliminate_off_path();
            if !exchange.wait(&exchange.up_seq.0, step) {
                return false;
            }
            for (row, &p) in exchange.up.iter().zip(junctions) {
                matrix.d[p as usize] += f64::from_bits(row[0].load(Ordering::Relaxed));
                matrix.rhs[p as usize] += f64::from_bits(row[1].load(Ordering::Relaxed));
            }
            matrix.solve_path();
            for (dv, &p) in exchange.down.iter().zip(junctions) {
                dv.store(matrix.rhs[p as usize].to_bits(), Ordering::Relaxed);
            }
            if step == stop_after {
                // Seen by the tail with this step's dv (the Release below).
                exchange.last_step.store(step, Ordering::Relaxed);
            }
            exchange.down_seq.0.store(step, Ordering::Release);
            matrix.substitute_off_path();
            self.grid.add_and_update(&mut self.v[..s], &matrix.rhs, k);
            self.steps += 1;
            self.t = self.steps as f64 * dt;
            self.env.t = self.t;
            let v = &self.v[..s];
            for m in mechs.iter_mut() {
                m.mech.advance_on_grid(v, &self.grid, &mut self.ions, &self.env);
            }
            self.end_step();
            if step == stop_after {
                break;
            }
        }
        true
    }
}

/// For every split point s of the tree given by `parent` (Hines order), the length of
/// its path: the nodes below s between the junctions and their nearest common ancestor
/// (`CableMatrix::prefix`), that ancestor left out.
fn path_lengths(parent: &[u32]) -> Vec<usize> {
    let n = parent.len();
    let mut depth = vec![0usize; n];
    for i in 1..n {
        depth[i] = depth[parent[i] as usize] + 1;
    }
    // The nodes below s with a descendant at s or above (the junctions and their
    // ancestors): node i counts for every s in i + 1..=(its last descendant).
    let mut last: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let p = parent[i] as usize;
        last[p] = last[p].max(last[i]);
    }
    let mut starts = vec![0i64; n + 1];
    for (i, &l) in last.iter().enumerate() {
        starts[i + 1] += 1;
        starts[l + 1] -= 1;
    }
    let mut above = vec![0usize; n];
    let mut count = 0i64;
    for (s, a) in above.iter_mut().enumerate().skip(1) {
        count += starts[s];
        *a = count.max(0) as usize;
    }
    // Less the root of the solve and its ancestors: the root is the nearest common
    // ancestor of the nodes from s on, or its parent when that is one of them.
    let mut out = vec![0usize; n];
    let mut lca = n - 1;
    for s in (1..n).rev() {
        let mut x = s;
        while x != lca {
            if depth[x] >= depth[lca] {
                x = parent[x] as usize;
            } else {
                lca = parent[lca] as usize;
            }
        }
        let root = if lca >= s { parent[lca] as usize } else { lca };
        out[s] = above[s].saturating_sub(depth[root] + 1);
    }
    out
}

impl Tail {
    /// The helper thread's side of a split run: `steps` steps from step `steps0` at
    /// time `t0` (ms), with dt (ms), celsius (degC) and the factor of dv.
    fn run(
        &mut self,
        exchange: &Exchange,
        (t0, steps0, steps): (f64, u64, u64),
        (dt, celsius, k): (f64, f64, f64),
    ) {
        let _gone = Gone(&exchange.gone);
        let mut env = Env { dt, celsius, t: 0.0 };
        let m = &mut self.matrix;
        for step in 1..=steps {
            // The times the head's steps use (t is steps * dt after every step).
            let t = if step == 1 { t0 } else { (steps0 + step - 1) as f64 * dt };
            env.t = t + dt / 2.0;
            m.begin(&self.v);
            self.ions.begin_currents(celsius);
            for p in self.mechs.iter_mut().filter(|p| p.enabled) {
                p.mech.current(&self.v, &mut self.ions, &mut m.rhs, &mut m.d, &env);
            }
            m.eliminate();
            #[cfg(test)]
            if exchange.slow_tail_us > 0 && step > 300 {
                std::thread::sleep(std::time::Duration::from_micros(exchange.slow_tail_us));
            }
            for (j, row) in exchange.up.iter().enumerate() {
                row[0].store(m.d[j].to_bits(), Ordering::Relaxed);
                row[1].store(m.rhs[j].to_bits(), Ordering::Relaxed);
            }
            exchange.up_seq.0.store(step, Ordering::Release);
            if !exchange.wait(&exchange.down_seq.0, step) {
                return;
            }
            for (j, dv) in exchange.down.iter().enumerate() {
                m.rhs[j] = f64::from_bits(dv.load(Ordering::Relaxed));
            }
            m.substitute();
            self.grid.add_and_update(&mut self.v, &m.rhs, k);
            env.t = (steps0 + step) as f64 * dt;
            for p in self.mechs.iter_mut() {
                p.mech.advance_on_grid(&self.v, &self.grid, &mut self.ions, &env);
            }
            // The head ends the run here when it stepped back (written before this
            // step's dv, which was read with Acquire).
            if exchange.last_step.load(Ordering::Relaxed) <= step {
                return;
            }
        }
    }
}

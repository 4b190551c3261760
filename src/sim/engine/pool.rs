//! Helper threads for one simulation ([`Simulation::set_threads`](super::Simulation::set_threads)):
//! a few persistent threads that each take a fixed share of the mechanisms through the
//! current phase and the state phase of every step, while the calling thread does the
//! rest; the cable solve stays on the calling thread.
//!
//! What a helper may run: mechanisms that only read the reversal potentials and add to
//! the calcium current (`pas`, `hh`, the gated Hay channels). Each helper has its own
//! right-hand side, diagonal and `Ions` (the reversal potentials its mechanisms read
//! copied in at the start of each step, its calcium current added back afterwards), so
//! no two threads write the same memory; calcium pools and the channels that read `cai` stay on the calling thread,
//! in NEURON's order. The sums come out in a different order than on one thread, so the
//! results differ from a one-thread run by rounding only.
//!
//! Synchronisation: the calling thread posts a job by bumping a sequence number; a helper
//! spins on it briefly, then yields, and parks after about a millisecond without work (an
//! idle simulation costs nothing). The calling thread waits for the helpers the same way.

use super::MechSlot;
use crate::sim::mechanisms::rate_table::VoltageGrid;
use crate::sim::mechanisms::{Env, Ions};
use std::cell::UnsafeCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

/// Mechanisms a helper thread may run (see the module documentation), with their rough
/// cost per node relative to a two-gate channel, for sharing the work out.
pub(super) fn helper_cost(name: &str) -> Option<f64> {
    Some(match name {
        "pas" => 0.3,
        "hh" => 1.6,
        "NaTa_t" | "NaTs2_t" | "Nap_Et2" | "K_Tst" | "K_Pst" | "Ca_HVA" | "Ca_LVAst" => 1.0,
        "SKv3_1" | "Im" | "Ih" => 0.8,
        _ => return None,
    })
}

/// Cost per node of the mechanisms only the calling thread runs.
pub(super) fn main_cost(name: &str) -> f64 {
    match name {
        "CaDynamics_E2" => 0.6,
        "SK_E2" => 0.8,
        _ => 1.0,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Current,
    Advance,
    Exit,
}

/// One job: pointers into the simulation, valid until the job is reported done.
#[derive(Clone, Copy)]
struct Job {
    phase: Phase,
    mechs: *mut MechSlot,
    v: *const f64,
    n: usize,
    grid: *const VoltageGrid,
    env: Env,
}

/// What one helper owns: its mechanisms (slots, in NEURON's order) and its buffers.
struct Part {
    slots: Vec<usize>,
    ions: Ions,
    rhs: Vec<f64>,
    d: Vec<f64>,
    /// Which reversal potentials its mechanisms read: ena, ek, eca (a calcium channel,
    /// whose current goes back into `ica` too).
    reads: [bool; 3],
}

/// Which reversal potentials mechanism `name` reads ([`Part::reads`]).
pub(super) fn reads(name: &str) -> [bool; 3] {
    match name {
        "hh" => [true, true, false],
        "NaTa_t" | "NaTs2_t" | "Nap_Et2" => [true, false, false],
        "K_Tst" | "K_Pst" | "SKv3_1" | "Im" => [false, true, false],
        "Ca_HVA" | "Ca_LVAst" => [false, false, true],
        _ => [false, false, false],
    }
}

struct Shared {
    /// Sequence number of the latest job posted.
    seq: AtomicU64,
    /// Sequence number of the latest job finished.
    done: AtomicU64,
    job: UnsafeCell<Job>,
    part: UnsafeCell<Part>,
    parked: AtomicBool,
    panicked: AtomicBool,
}

// SAFETY: `job` is written by the calling thread only while no job is in flight (done ==
// seq) and read by the helper only after it has seen the new seq (release/acquire);
// `part` is used by the helper during a job and by the calling thread only between jobs.
unsafe impl Sync for Shared {}
// SAFETY: as above; the raw pointers in `job` are only followed during a job.
unsafe impl Send for Shared {}

struct Helper {
    shared: Arc<Shared>,
    thread: Thread,
    handle: Option<JoinHandle<()>>,
}

/// The helper threads of a simulation.
pub(super) struct Pool {
    helpers: Vec<Helper>,
    /// The calling thread's own slots, in NEURON's order.
    pub(super) main_slots: Vec<usize>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("helpers", &self.helpers.len())
            .field("main_slots", &self.main_slots)
            .finish()
    }
}

/// How long a thread spins on a flag before it starts yielding its core: long enough
/// for the other thread to finish a phase on a free core, short enough not to waste much
/// when the machine is busy and the other thread waits for a core itself.
const SPIN: Duration = Duration::from_micros(20);

fn spin_until(mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    let mut spins = 0u32;
    while !ready() {
        spins = spins.wrapping_add(1);
        if !spins.is_multiple_of(64) || start.elapsed() < SPIN {
            std::hint::spin_loop();
        } else {
            thread::yield_now();
        }
    }
}

fn helper_loop(shared: Arc<Shared>) {
    let mut last = 0u64;
    loop {
        // Wait for the next job: spin, then yield, then park.
        let start = Instant::now();
        let mut spins = 0u32;
        loop {
            let s = shared.seq.load(Ordering::Acquire);
            if s != last {
                last = s;
                break;
            }
            spins = spins.wrapping_add(1);
            if !spins.is_multiple_of(64) {
                std::hint::spin_loop();
                continue;
            }
            let waited = start.elapsed();
            if waited < SPIN {
                std::hint::spin_loop();
            } else if waited < Duration::from_millis(2) {
                thread::yield_now();
            } else {
                shared.parked.store(true, Ordering::SeqCst);
                if shared.seq.load(Ordering::SeqCst) == last {
                    thread::park();
                }
                shared.parked.store(false, Ordering::SeqCst);
            }
        }
        // SAFETY: the job was written before seq was released and stays put until done.
        let job = unsafe { *shared.job.get() };
        if job.phase == Phase::Exit {
            shared.done.store(last, Ordering::Release);
            return;
        }
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // SAFETY: during a job the calling thread leaves this part, this helper's
            // slots, and v and the grid (read-only here) alone; the slots of different
            // threads are disjoint.
            unsafe { run_job(&job, &mut *shared.part.get()) }
        }));
        if run.is_err() {
            shared.panicked.store(true, Ordering::SeqCst);
        }
        shared.done.store(last, Ordering::Release);
    }
}

/// # Safety
/// `job`'s pointers must be valid for the job, `part`'s slots in range and owned by this
/// thread for its duration.
unsafe fn run_job(job: &Job, part: &mut Part) {
    // SAFETY: v has n values and stays unchanged during the job.
    let v = unsafe { std::slice::from_raw_parts(job.v, job.n) };
    match job.phase {
        Phase::Current => {
            part.rhs.fill(0.0);
            part.d.fill(0.0);
            if part.reads[2] {
                part.ions.ica.fill(0.0);
            }
            for &k in &part.slots {
                // SAFETY: slot k is this helper's alone during the job.
                let m = unsafe { &mut *job.mechs.add(k) };
                if m.enabled {
                    m.mech.current(v, &mut part.ions, &mut part.rhs, &mut part.d, &job.env);
                }
            }
        }
        Phase::Advance => {
            // SAFETY: the grid stays unchanged during the job.
            let grid = unsafe { &*job.grid };
            for &k in &part.slots {
                // SAFETY: as above.
                let m = unsafe { &mut *job.mechs.add(k) };
                m.mech.advance_on_grid(v, grid, &mut part.ions, &job.env);
            }
        }
        Phase::Exit => {}
    }
}

impl Job {
    /// The job that ends a helper (and the placeholder before the first job).
    fn exit() -> Job {
        Job {
            phase: Phase::Exit,
            mechs: std::ptr::null_mut(),
            v: std::ptr::null(),
            n: 0,
            grid: std::ptr::null(),
            env: Env { dt: 0.0, celsius: 0.0, t: 0.0 },
        }
    }
}

impl Pool {
    /// Helpers for the given shares of slots (each in NEURON's order), over `n` nodes.
    pub(super) fn new(main_slots: Vec<usize>, shares: Vec<(Vec<usize>, [bool; 3])>, n: usize) -> Pool {
        let helpers = shares
            .into_iter()
            .map(|(slots, reads)| {
                let dummy = Job::exit();
                let shared = Arc::new(Shared {
                    seq: AtomicU64::new(0),
                    done: AtomicU64::new(0),
                    job: UnsafeCell::new(dummy),
                    part: UnsafeCell::new(Part {
                        slots,
                        ions: Ions::new(n),
                        rhs: vec![0.0; n],
                        d: vec![0.0; n],
                        reads,
                    }),
                    parked: AtomicBool::new(false),
                    panicked: AtomicBool::new(false),
                });
                let s = shared.clone();
                let handle = thread::Builder::new()
                    .name("dendra-step".into())
                    .spawn(move || helper_loop(s))
                    .expect("cannot start a simulation thread");
                let thread = handle.thread().clone();
                Helper { shared, thread, handle: Some(handle) }
            })
            .collect();
        Pool { helpers, main_slots }
    }

    fn post(&self, job: Job) {
        for h in &self.helpers {
            let s = &h.shared;
            debug_assert_eq!(s.seq.load(Ordering::Relaxed), s.done.load(Ordering::Relaxed));
            // SAFETY: no job is in flight (every post is followed by `wait`).
            unsafe { *s.job.get() = job };
            s.seq.fetch_add(1, Ordering::SeqCst);
            if s.parked.load(Ordering::SeqCst) {
                h.thread.unpark();
            }
        }
    }

    fn wait(&self) {
        for h in &self.helpers {
            let s = &h.shared;
            let want = s.seq.load(Ordering::Relaxed);
            spin_until(|| s.done.load(Ordering::Acquire) == want);
            if s.panicked.load(Ordering::SeqCst) {
                panic!("a simulation helper thread panicked (see its message above)");
            }
        }
    }

    /// Current phase: the helpers run their slots while `main` runs the calling thread's
    /// (given the slot pointer); then their sums are added into `rhs`, `d` and `ions.ica`.
    /// The helpers' reversal potentials are refreshed from `ions` first.
    ///
    /// # Safety
    /// `mechs` points to the simulation's slots (every slot index in range), which
    /// nothing else touches until this returns except through `main`, which must use
    /// only the calling thread's slots.
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn current(
        &mut self,
        mechs: *mut MechSlot,
        v: &[f64],
        ions: &mut Ions,
        rhs: &mut [f64],
        d: &mut [f64],
        env: Env,
        main: impl FnOnce(&mut Ions, &mut [f64], &mut [f64]),
    ) {
        let n = v.len();
        for h in &self.helpers {
            // SAFETY: between jobs the part is the calling thread's.
            let part = unsafe { &mut *h.shared.part.get() };
            let [na, k, ca] = part.reads;
            if na {
                part.ions.ena.copy_from_slice(&ions.ena);
            }
            if k {
                part.ions.ek.copy_from_slice(&ions.ek);
            }
            if ca {
                part.ions.eca.copy_from_slice(&ions.eca);
            }
        }
        let grid = std::ptr::null();
        self.post(Job { phase: Phase::Current, mechs, v: v.as_ptr(), n, grid, env });
        main(ions, rhs, d);
        self.wait();
        for h in &self.helpers {
            // SAFETY: the job is done.
            let part = unsafe { &*h.shared.part.get() };
            let (prhs, pd) = (&part.rhs[..n], &part.d[..n]);
            let (rhs, d) = (&mut rhs[..n], &mut d[..n]);
            for i in 0..n {
                rhs[i] += prhs[i];
                d[i] += pd[i];
            }
            if part.reads[2] {
                ions.ica_written = true;
                for (a, b) in ions.ica[..n].iter_mut().zip(&part.ions.ica[..n]) {
                    *a += b;
                }
            }
        }
    }

    /// State phase: the helpers advance their slots while `main` advances the calling
    /// thread's.
    ///
    /// # Safety
    /// As for [`Pool::current`].
    pub(super) unsafe fn advance(
        &mut self,
        mechs: *mut MechSlot,
        v: &[f64],
        grid: &VoltageGrid,
        env: Env,
        main: impl FnOnce(),
    ) {
        self.post(Job { phase: Phase::Advance, mechs, v: v.as_ptr(), n: v.len(), grid, env });
        main();
        self.wait();
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.post(Job::exit());
        for h in &mut self.helpers {
            if let Some(handle) = h.handle.take() {
                let _ = handle.join();
            }
        }
    }
}

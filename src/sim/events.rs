//! Synaptic events: a time-ordered queue delivered at step boundaries as NEURON's fixed
//! step does (an event at time te is delivered at the end of the step whose end lies
//! within dt/2 of te), and seeded Poisson trains that schedule their next spike as each
//! one is delivered. Capacity is reserved up front: delivering never allocates.

use crate::sim::rng::Rng;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// One spike arriving at a synapse.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    /// Arrival time (ms).
    pub t: f64,
    /// Index of the target synapse.
    pub synapse: u32,
    /// Weight: peak conductance (uS).
    pub weight: f64,
    /// The Poisson source that sent it, or `u32::MAX`.
    pub source: u32,
}

#[derive(Debug, Clone, Copy)]
struct Queued {
    ev: Event,
    seq: u64,
}

impl PartialEq for Queued {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Queued {
    // Reversed: the earliest event (then the first queued) is the greatest.
    fn cmp(&self, o: &Self) -> Ordering {
        o.ev.t.total_cmp(&self.ev.t).then(o.seq.cmp(&self.seq))
    }
}

/// A Poisson spike train into one synapse (NEURON's NetStim with noise = 1).
#[derive(Debug, Clone)]
pub struct PoissonSource {
    pub synapse: u32,
    /// Mean rate (Hz).
    pub rate_hz: f64,
    /// Weight of each spike (uS).
    pub weight: f64,
    /// The train runs in [start, stop) (ms).
    pub start: f64,
    pub stop: f64,
    pub seed: u64,
    rng: Rng,
}

impl PoissonSource {
    pub fn new(synapse: u32, rate_hz: f64, weight: f64, start: f64, stop: f64, seed: u64) -> Self {
        PoissonSource { synapse, rate_hz, weight, start, stop, seed, rng: Rng::new(seed) }
    }

    fn next_after(&mut self, t: f64) -> Option<f64> {
        if self.rate_hz.is_nan() || self.rate_hz <= 0.0 || !self.rate_hz.is_finite() {
            return None;
        }
        let next = t + self.rng.exponential(1000.0 / self.rate_hz);
        (next < self.stop).then_some(next)
    }

    /// The whole train this source delivers after an initialisation (ms), from a fresh
    /// generator with the same seed: what the synapse receives, for a record of the
    /// inputs.
    pub fn times(&self) -> Vec<f64> {
        let mut s =
            PoissonSource::new(self.synapse, self.rate_hz, self.weight, self.start, self.stop, self.seed);
        let mut out = Vec::new();
        let mut t = s.start;
        while let Some(next) = s.next_after(t) {
            out.push(next);
            t = next;
        }
        out
    }
}

/// The event queue with its fixed events and Poisson sources.
#[derive(Debug, Clone, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Queued>,
    seq: u64,
    /// Events given before the run; queued again at every initialisation.
    pub fixed: Vec<Event>,
    pub sources: Vec<PoissonSource>,
    /// Time of the latest event delivered (ms; 0 before any since the initialisation).
    pub last_delivered: f64,
}

impl EventQueue {
    /// Clears the queue and schedules the fixed events and each source's first spike.
    pub fn init(&mut self) {
        self.heap.clear();
        self.last_delivered = 0.0;
        self.heap.reserve(self.fixed.len() + self.sources.len() + 1024);
        self.seq = 0;
        for k in 0..self.fixed.len() {
            let e = self.fixed[k];
            self.push(e);
        }
        for k in 0..self.sources.len() {
            let s = &mut self.sources[k];
            s.rng = Rng::new(s.seed);
            let start = s.start;
            if let Some(t) = s.next_after(start) {
                let ev = Event { t, synapse: s.synapse, weight: s.weight, source: k as u32 };
                self.push(ev);
            }
        }
    }

    /// Queues one event (e.g. a click on "fire").
    pub fn push(&mut self, ev: Event) {
        if !ev.t.is_finite() {
            return;
        }
        self.seq += 1;
        self.heap.push(Queued { ev, seq: self.seq });
    }

    /// Number of events waiting.
    pub fn pending(&self) -> usize {
        self.heap.len()
    }

    /// Forgets synapse `k` after the synapse arrays' `swap_remove(k)`: its queued and
    /// fixed events and its Poisson sources go; what pointed at `last` (the synapse moved
    /// into `k`'s place) points at `k`. Order of the remaining events is kept.
    pub fn remove_synapse(&mut self, k: u32, last: u32) {
        let renamed = |syn: u32| if syn == last { k } else { syn };
        // Sources: drop k's, renumber the rest.
        let mut new_index = Vec::with_capacity(self.sources.len());
        let mut kept = 0u32;
        for src in &self.sources {
            new_index.push((src.synapse != k).then(|| {
                kept += 1;
                kept - 1
            }));
        }
        self.sources.retain(|src| src.synapse != k);
        for src in &mut self.sources {
            src.synapse = renamed(src.synapse);
        }
        let remap = |ev: &Event| -> Option<Event> {
            if ev.synapse == k {
                return None;
            }
            let source = if ev.source == u32::MAX {
                u32::MAX
            } else {
                new_index.get(ev.source as usize).copied().flatten()?
            };
            Some(Event { synapse: renamed(ev.synapse), source, ..*ev })
        };
        self.fixed = self.fixed.iter().filter_map(remap).collect();
        let queued: Vec<Queued> = std::mem::take(&mut self.heap).into_vec();
        self.heap =
            queued.into_iter().filter_map(|q| Some(Queued { ev: remap(&q.ev)?, seq: q.seq })).collect();
    }

    /// Removes and passes to `f` every event due by `t_until` (ms), in time order;
    /// a Poisson source's delivery schedules its next spike.
    #[inline]
    pub fn deliver_until(&mut self, t_until: f64, mut f: impl FnMut(&Event)) {
        while let Some(top) = self.heap.peek() {
            if top.ev.t > t_until {
                break;
            }
            let q = self.heap.pop().expect("peeked");
            self.last_delivered = q.ev.t;
            f(&q.ev);
            let k = q.ev.source as usize;
            if let Some(s) = self.sources.get_mut(k)
                && let Some(t) = s.next_after(q.ev.t)
            {
                let ev = Event { t, synapse: s.synapse, weight: s.weight, source: q.ev.source };
                self.push(ev);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_out_in_time_order_and_sources_refill() {
        let mut q = EventQueue::default();
        q.fixed.push(Event { t: 5.0, synapse: 1, weight: 1.0, source: u32::MAX });
        q.fixed.push(Event { t: 2.0, synapse: 0, weight: 1.0, source: u32::MAX });
        q.sources.push(PoissonSource::new(2, 100.0, 0.5, 0.0, 1000.0, 3));
        q.init();
        let mut got = Vec::new();
        q.deliver_until(1000.0, |e| got.push((e.t, e.synapse)));
        assert!(got.windows(2).all(|w| w[0].0 <= w[1].0));
        let poisson = got.iter().filter(|e| e.1 == 2).count();
        assert!((70..=130).contains(&poisson), "{poisson}");
        let train: Vec<f64> = got.iter().filter(|e| e.1 == 2).map(|e| e.0).collect();
        assert_eq!(q.sources[0].times(), train, "the record is the train delivered");
        assert_eq!(got.iter().filter(|e| e.1 < 2).count(), 2);
    }
}

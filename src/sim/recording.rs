//! Recording: voltages, mechanism states and currents, synaptic currents, into bounded
//! ring buffers allocated up front (recording never allocates during a run).

/// What a trace records.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    /// Membrane voltage (mV) of a node.
    Voltage(u32),
    /// A mechanism's state or current at one of its nodes: slot of the mechanism in the
    /// simulation, position in its node list, and the name (`m`, `ina`, ...).
    Mechanism { slot: usize, index: usize, name: String },
    /// A synapse's current (nA).
    SynapseCurrent(usize),
    /// [Ca2+]i (mM) at a node.
    Calcium(u32),
}

/// A fixed-capacity ring buffer of samples: when full, the oldest sample goes.
#[derive(Debug, Clone)]
pub struct Ring {
    data: Vec<f64>,
    head: usize,
    len: usize,
}

impl Ring {
    /// A ring that keeps the latest `capacity` samples (at least 1).
    pub fn new(capacity: usize) -> Ring {
        Ring { data: vec![0.0; capacity.max(1)], head: 0, len: 0 }
    }
    #[inline]
    pub fn push(&mut self, x: f64) {
        let cap = self.data.len();
        let pos = (self.head + self.len) % cap;
        self.data[pos] = x;
        if self.len < cap {
            self.len += 1;
        } else {
            self.head = (self.head + 1) % cap;
        }
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn capacity(&self) -> usize {
        self.data.len()
    }
    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
    /// Sample `k`, oldest first.
    pub fn get(&self, k: usize) -> Option<f64> {
        (k < self.len).then(|| self.data[(self.head + k) % self.data.len()])
    }
    /// The samples, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.len).map(move |k| self.data[(self.head + k) % self.data.len()])
    }
}

/// Traces sampled every `every` steps.
#[derive(Debug, Clone)]
pub struct Recorder {
    pub every: u32,
    pub t: Ring,
    pub probes: Vec<Probe>,
    pub traces: Vec<Ring>,
}

impl Recorder {
    /// A recorder keeping `capacity` samples of each trace, one every `every` steps.
    pub fn new(every: u32, capacity: usize) -> Recorder {
        Recorder { every: every.max(1), t: Ring::new(capacity), probes: Vec::new(), traces: Vec::new() }
    }
    /// Adds a probe; returns its column.
    pub fn add(&mut self, probe: Probe) -> usize {
        self.probes.push(probe);
        self.traces.push(Ring::new(self.t.capacity()));
        self.probes.len() - 1
    }
    /// Forgets every sample.
    pub fn clear(&mut self) {
        self.t.clear();
        self.traces.iter_mut().for_each(Ring::clear);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_keeps_the_latest_samples() {
        let mut r = Ring::new(3);
        for x in 0..5 {
            r.push(x as f64);
        }
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![2.0, 3.0, 4.0]);
        assert_eq!(r.get(0), Some(2.0));
        assert_eq!(r.get(3), None);
    }
}

//! The recording: the whole cell's membrane voltage over the last stretch of simulated
//! time, kept so that a moment can be shown again (scrubbed to, replayed slowly, drawn as
//! a space plot, exported as a clip).
//!
//! Frames are taken every [`Recording::every_ms`] of simulated time (at least
//! [`MIN_EVERY_MS`], coarser on a large cell so that about [`WANT_SECONDS`] fit), each
//! node's voltage quantised to 16 bits over [`V_LO`]..[`V_HI`] mV (steps of 0.004 mV),
//! in a ring whose size is fixed when recording starts ([`MAX_RECORDING_BYTES`] at most)
//! and filled as the run goes: the oldest frames make way for new ones.
//! Colour quantities that follow from the voltage (peak hold, the Mg2+ unblock) are
//! worked out from it when shown.

use crate::sim::limits::MAX_COMPARTMENTS;

/// Most memory one recording takes (its frames' values and times).
pub const MAX_RECORDING_BYTES: usize = 128 << 20;
/// The finest interval between frames (ms): a 2 ms bAP spans 20 frames.
pub const MIN_EVERY_MS: f64 = 0.1;
/// The coarsest interval between frames (ms): coarser would miss a spike.
pub const MAX_EVERY_MS: f64 = 1.0;
/// How much simulated time a recording aims to hold (s): coarser frames on a large cell.
pub const WANT_SECONDS: f64 = 10.0;
/// The most simulated time a recording holds (s), however small the cell.
pub const MAX_SECONDS: f64 = 60.0;
/// The voltage range kept (mV); values outside are kept at its ends.
pub const V_LO: f64 = -150.0;
pub const V_HI: f64 = 100.0;
const LEVELS: f64 = 65_535.0;

/// A lab's recording. A copy of the lab records nothing: copies are made to compute
/// something (the linearity meter's runs, a trial's settling), and copying up to
/// [`MAX_RECORDING_BYTES`] each time would cost; what a copy should keep it takes with
/// [`Recording::segment`].
#[derive(Debug, Default)]
pub struct Recorder(pub(crate) Option<Recording>);

impl Clone for Recorder {
    fn clone(&self) -> Self {
        Recorder(None)
    }
}

/// The last stretch of a run's voltages, every node, frame by frame. (Equal: the same
/// frames, whatever their identities.)
#[derive(Debug, Clone)]
pub struct Recording {
    nodes: usize,
    every_ms: f64,
    capacity: usize,
    /// Frame times (ms), ring order (`head` is the oldest once full).
    times: Vec<f64>,
    /// Quantised voltages, `nodes` per frame, in the ring order of `times`.
    data: Vec<u16>,
    head: usize,
    /// The time from which the next frame is due (ms).
    next_t: f64,
    /// Which recording this is (new at every start and every clear): what a playhead
    /// tells a new run by.
    id: u64,
}

impl PartialEq for Recording {
    fn eq(&self, o: &Self) -> bool {
        (self.nodes, self.every_ms, self.len()) == (o.nodes, o.every_ms, o.len())
            && (0..self.len()).all(|k| {
                let (a, b) = (self.slot(k), o.slot(k));
                self.times[a] == o.times[b]
                    && self.data[a * self.nodes..(a + 1) * self.nodes]
                        == o.data[b * o.nodes..(b + 1) * o.nodes]
            })
    }
}

/// A new recording's identity.
fn next_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Recording {
    /// A recording of `nodes` nodes stepped every `dt` ms, in at most `budget` bytes.
    /// Frames every [`MIN_EVERY_MS`] (a whole number of steps), coarser where needed to
    /// hold [`WANT_SECONDS`]; `None` when not one second would fit (an enormous cell).
    pub fn new(nodes: usize, dt: f64, budget: usize) -> Option<Recording> {
        let nodes = nodes.clamp(1, MAX_COMPARTMENTS);
        let budget = budget.min(MAX_RECORDING_BYTES);
        let frame_bytes = nodes * 2 + 8;
        let fit = budget / frame_bytes;
        let dt = if dt.is_finite() && dt > 0.0 { dt } else { 0.025 };
        let want = (WANT_SECONDS * 1000.0 / fit.max(1) as f64).clamp(MIN_EVERY_MS, MAX_EVERY_MS);
        let every_ms = (want / dt - 1e-9).ceil().max(1.0) * dt;
        let capacity = fit.min((MAX_SECONDS * 1000.0 / every_ms).ceil() as usize);
        if capacity as f64 * every_ms < 1000.0 {
            return None;
        }
        Some(Recording {
            nodes,
            every_ms,
            capacity,
            times: Vec::new(),
            data: Vec::new(),
            head: 0,
            next_t: f64::NEG_INFINITY,
            id: next_id(),
        })
    }

    /// Which recording this is: another run's, or this one's after a clear, has another.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The interval between frames (ms).
    pub fn every_ms(&self) -> f64 {
        self.every_ms
    }

    /// The nodes each frame holds.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// The most frames the ring holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The simulated time the full ring holds (s).
    pub fn seconds(&self) -> f64 {
        self.capacity as f64 * self.every_ms / 1000.0
    }

    /// The memory the full ring takes (bytes).
    pub fn bytes(&self) -> usize {
        self.capacity * (self.nodes * 2 + 8)
    }

    /// Frames held now.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Forgets every frame (a reset: time starts again).
    pub fn clear(&mut self) {
        self.id = next_id();
        self.times.clear();
        self.data.clear();
        self.head = 0;
        self.next_t = f64::NEG_INFINITY;
    }

    /// Keeps `v` (mV per node) as the frame at `t` (ms) when a frame is due; called after
    /// every step. Time going back (a reset not told) starts the ring again.
    pub fn offer(&mut self, t: f64, v: &[f64]) {
        if t < self.next_t - 1e-9 {
            if self.times.last().is_some_and(|&last| t < last) {
                self.clear();
            } else {
                return;
            }
        }
        if v.len() != self.nodes {
            return;
        }
        self.next_t = t + self.every_ms - 1e-6;
        let q = |x: f64| ((x.clamp(V_LO, V_HI) - V_LO) / (V_HI - V_LO) * LEVELS).round() as u16;
        if self.times.len() < self.capacity {
            self.times.push(t);
            self.data.extend(v.iter().map(|&x| q(x)));
        } else {
            let k = self.head;
            self.times[k] = t;
            for (d, &x) in self.data[k * self.nodes..(k + 1) * self.nodes].iter_mut().zip(v) {
                *d = q(x);
            }
            self.head = (self.head + 1) % self.capacity;
        }
    }

    /// Where the `k`-th oldest frame sits in the ring.
    fn slot(&self, k: usize) -> usize {
        if self.times.len() < self.capacity { k } else { (self.head + k) % self.capacity }
    }

    /// The time of the `k`-th oldest frame (ms).
    pub fn time(&self, k: usize) -> Option<f64> {
        (k < self.len()).then(|| self.times[self.slot(k)])
    }

    /// The first and last times held (ms).
    pub fn span(&self) -> Option<(f64, f64)> {
        Some((self.time(0)?, self.time(self.len().checked_sub(1)?)?))
    }

    /// The latest frame at or before `t` (the oldest when `t` is earlier), by position
    /// from the oldest.
    pub fn frame_at(&self, t: f64) -> Option<usize> {
        let n = self.len();
        if n == 0 || t.is_nan() {
            return None;
        }
        // Frame times increase from the oldest: binary search on positions.
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.times[self.slot(mid)] <= t + 1e-9 { lo = mid + 1 } else { hi = mid }
        }
        Some(lo.saturating_sub(1))
    }

    /// The voltage of `node` in the `k`-th oldest frame (mV).
    pub fn value(&self, k: usize, node: usize) -> Option<f64> {
        if k >= self.len() || node >= self.nodes {
            return None;
        }
        let q = self.data[self.slot(k) * self.nodes + node];
        Some(V_LO + q as f64 / LEVELS * (V_HI - V_LO))
    }

    /// Every node's voltage in the `k`-th oldest frame (mV), into `out`.
    pub fn values(&self, k: usize, out: &mut Vec<f32>) {
        out.clear();
        if k >= self.len() {
            return;
        }
        let s = self.slot(k) * self.nodes;
        let scale = (V_HI - V_LO) / LEVELS;
        out.extend(self.data[s..s + self.nodes].iter().map(|&q| (V_LO + q as f64 * scale) as f32));
    }

    /// Every node's highest voltage over the frames of the `hold_ms` up to the `k`-th
    /// oldest (mV): the peak-hold colouring of a recorded moment.
    pub fn peaks(&self, k: usize, hold_ms: f64, out: &mut Vec<f32>) {
        self.values(k, out);
        let Some(t) = self.time(k) else { return };
        // The highest level per node over the held frames (no buffer: a scrubbed frame
        // is drawn every frame of the window).
        let scale = (V_HI - V_LO) / LEVELS;
        let mut j = k;
        while j > 0 && self.time(j - 1).is_some_and(|tj| t - tj <= hold_ms) {
            j -= 1;
            let s = self.slot(j) * self.nodes;
            for (o, &q) in out.iter_mut().zip(&self.data[s..s + self.nodes]) {
                *o = o.max((V_LO + q as f64 * scale) as f32);
            }
        }
    }

    /// The fastest change of any node's voltage between frame `k - 1` and frame `k`
    /// (mV/ms; 0 for the oldest frame).
    pub fn activity(&self, k: usize) -> f64 {
        if k == 0 || k >= self.len() {
            return 0.0;
        }
        let (a, b) = (self.slot(k - 1) * self.nodes, self.slot(k) * self.nodes);
        let dt = self.times[self.slot(k)] - self.times[self.slot(k - 1)];
        let most = (0..self.nodes)
            .map(|i| (self.data[b + i] as i32 - self.data[a + i] as i32).unsigned_abs())
            .max()
            .unwrap_or(0);
        most as f64 / LEVELS * (V_HI - V_LO) / dt.max(1e-9)
    }

    /// The first frame after `k` (up to the newest) at which a node's voltage rises
    /// through `level` mV: a spike, a bAP arriving, an NMDA plateau or a Ca2+ spike
    /// starting, where the level is about -30 mV.
    pub fn next_crossing(&self, k: usize, level: f64) -> Option<usize> {
        (k + 1..self.len()).find(|&j| self.crosses_at(j, level))
    }

    /// Whether a node's voltage rises through `level` mV between frame `j - 1` and frame
    /// `j` (false for the oldest frame and past the newest).
    pub fn crosses_at(&self, j: usize, level: f64) -> bool {
        if j == 0 || j >= self.len() {
            return false;
        }
        let q = ((level.clamp(V_LO, V_HI) - V_LO) / (V_HI - V_LO) * LEVELS).round() as u16;
        let (a, b) = (self.slot(j - 1) * self.nodes, self.slot(j) * self.nodes);
        (0..self.nodes).any(|i| self.data[a + i] < q && self.data[b + i] >= q)
    }

    /// The frames from `from` to `to` ms as a recording of their own (a trial's), at
    /// most `budget` bytes of them (the latest kept).
    pub fn segment(&self, from: f64, to: f64, budget: usize) -> Recording {
        let mut out = Recording {
            nodes: self.nodes,
            every_ms: self.every_ms,
            capacity: 0,
            times: Vec::new(),
            data: Vec::new(),
            head: 0,
            next_t: f64::NEG_INFINITY,
            id: next_id(),
        };
        let (Some(a), Some(b)) = (self.frame_at(from), self.frame_at(to)) else { return out };
        let a = if self.time(a).is_some_and(|t| t < from - 1e-9) { a + 1 } else { a };
        let most = budget / (self.nodes * 2 + 8);
        let a = a.max((b + 1).saturating_sub(most));
        for k in a..=b.min(self.len().saturating_sub(1)) {
            let s = self.slot(k);
            out.times.push(self.times[s]);
            out.data.extend_from_slice(&self.data[s * self.nodes..(s + 1) * self.nodes]);
        }
        out.capacity = out.times.len();
        out
    }
}

/// The bytes of a recording file's start.
const MAGIC: &[u8; 8] = b"DNDRREC1";

impl Recording {
    /// The frames as bytes (little-endian): `DNDRREC1`, nodes (u32), the interval (f64),
    /// frames (u32), each frame's time (f64), then each frame's quantised voltages (u16).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24 + self.len() * (8 + 2 * self.nodes));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.nodes as u32).to_le_bytes());
        out.extend_from_slice(&self.every_ms.to_le_bytes());
        out.extend_from_slice(&(self.len() as u32).to_le_bytes());
        for k in 0..self.len() {
            out.extend_from_slice(&self.times[self.slot(k)].to_le_bytes());
        }
        for k in 0..self.len() {
            let s = self.slot(k) * self.nodes;
            for q in &self.data[s..s + self.nodes] {
                out.extend_from_slice(&q.to_le_bytes());
            }
        }
        out
    }

    /// A recording read back from [`Recording::to_bytes`]; `None` when the bytes are not
    /// one (wrong length, sizes past the limits, times not finite and increasing).
    pub fn from_bytes(b: &[u8]) -> Option<Recording> {
        let u32_at = |k: usize| Some(u32::from_le_bytes(b.get(k..k + 4)?.try_into().ok()?) as usize);
        let f64_at = |k: usize| Some(f64::from_le_bytes(b.get(k..k + 8)?.try_into().ok()?));
        if b.get(..8)? != MAGIC {
            return None;
        }
        let (nodes, every_ms, frames) = (u32_at(8)?, f64_at(12)?, u32_at(20)?);
        if nodes == 0 || nodes > MAX_COMPARTMENTS || !(every_ms.is_finite() && every_ms > 0.0) {
            return None;
        }
        if frames.checked_mul(nodes * 2 + 8)? > MAX_RECORDING_BYTES
            || b.len() != 24 + frames * (8 + 2 * nodes)
        {
            return None;
        }
        let times: Vec<f64> = (0..frames).map(|k| f64_at(24 + 8 * k)).collect::<Option<_>>()?;
        if times.iter().any(|t| !t.is_finite()) || times.windows(2).any(|w| w[1] <= w[0]) {
            return None;
        }
        let start = 24 + 8 * frames;
        let data = b[start..].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        Some(Recording {
            nodes,
            every_ms,
            capacity: frames,
            times,
            data,
            head: 0,
            next_t: f64::NEG_INFINITY,
            id: next_id(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_is_bounded_and_keeps_the_latest_frames() {
        // 100 nodes in 4 MB: 20,164 frames of 208 bytes; 10 s would need 100,000 frames
        // of 0.1 ms: coarser frames (0.5 ms), a whole number of 0.025 ms steps.
        let mut r = Recording::new(100, 0.025, 4 << 20).unwrap();
        assert_eq!(r.capacity(), (4 << 20) / 208);
        assert!(r.bytes() <= 4 << 20);
        let every = r.every_ms();
        assert!(every >= 10_000.0 / r.capacity() as f64 - 1e-9, "{every}");
        assert!(((every / 0.025).round() * 0.025 - every).abs() < 1e-9, "{every}");
        assert!(r.seconds() >= WANT_SECONDS - 1e-9);
        // Offered every step for 30 s: the ring holds its capacity, the latest.
        let mut v = vec![0.0; 100];
        let steps = (30_000.0 / 0.025) as usize;
        for s in 1..=steps {
            let t = s as f64 * 0.025;
            v.iter_mut().enumerate().for_each(|(i, x)| *x = -70.0 + (t * 0.01 + i as f64) % 50.0);
            r.offer(t, &v);
        }
        assert_eq!(r.len(), r.capacity());
        let (t0, t1) = r.span().unwrap();
        assert!((t1 - 30_000.0).abs() <= every, "{t1}");
        assert!(((t1 - t0) - (r.capacity() - 1) as f64 * every).abs() < 1e-6);
        // Frames in order, each `every` apart.
        for k in 1..r.len() {
            assert!((r.time(k).unwrap() - r.time(k - 1).unwrap() - every).abs() < 1e-6);
        }
        // Hay's cell 2 (1,122 compartments) in the full budget: 10 s at 0.175 ms.
        let hay = Recording::new(1122, 0.025, MAX_RECORDING_BYTES).unwrap();
        assert!((hay.every_ms() - 0.175).abs() < 1e-9 && hay.seconds() >= 10.0, "{}", hay.every_ms());
        assert!(hay.bytes() <= MAX_RECORDING_BYTES);
        // An enormous cell: refused rather than a ring of no use.
        assert!(Recording::new(2_000_000, 0.025, MAX_RECORDING_BYTES).is_none());
    }

    #[test]
    fn frames_hold_the_voltages_they_were_given() {
        let mut r = Recording::new(3, 0.025, 4 << 20).unwrap();
        assert_eq!(r.every_ms(), MIN_EVERY_MS);
        let at = |t: f64| [-65.0 + t, 20.0 * (t / 3.0).sin(), if t > 5.0 { 400.0 } else { -300.0 }];
        for s in 0..400 {
            let t = s as f64 * 0.025;
            r.offer(t, &at(t));
        }
        assert_eq!(r.len(), 100);
        for k in [0, 1, 37, 99] {
            let t = r.time(k).unwrap();
            assert!((t - k as f64 * 0.1).abs() < 1e-9, "{t}");
            let want = at(t);
            for (node, w) in want.iter().enumerate() {
                let got = r.value(k, node).unwrap();
                assert!((got - w.clamp(V_LO, V_HI)).abs() <= 0.002, "{k} {node}: {got} vs {w}");
            }
        }
        // The frame at a time between frames is the one before it.
        assert_eq!(r.frame_at(3.75), Some(37));
        assert_eq!(r.frame_at(-1.0), Some(0));
        assert_eq!(r.frame_at(1e9), Some(99));
        // Peak hold over the last 2 ms: node 1's sine peaked at 20 mV near t = 4.7.
        let mut peaks = Vec::new();
        r.peaks(r.frame_at(6.0).unwrap(), 2.0, &mut peaks);
        assert!(peaks[1] > 19.9, "{}", peaks[1]);
        // A segment holds what it covers.
        let seg = r.segment(2.0, 3.0, 1 << 20);
        assert_eq!(seg.len(), 11);
        assert!((seg.time(0).unwrap() - 2.0).abs() < 1e-9 && seg.value(3, 0) == r.value(23, 0));
        // Bytes and back: the same frames; bytes that are not a recording, refused.
        let back = Recording::from_bytes(&seg.to_bytes()).unwrap();
        assert_eq!(back, seg);
        let bytes = r.to_bytes();
        assert_eq!(Recording::from_bytes(&bytes).unwrap().value(42, 1), r.value(42, 1));
        assert!(Recording::from_bytes(&bytes[..bytes.len() - 1]).is_none());
        assert!(Recording::from_bytes(b"DNDRREC1").is_none());
        let mut huge = bytes.clone();
        huge[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Recording::from_bytes(&huge).is_none());
        // Time going back (a reset) starts again.
        r.offer(0.0, &at(0.0));
        assert_eq!(r.len(), 1);
    }
}

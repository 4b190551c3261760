//! The playhead: which instant the tree and the traces show (the live present, or a
//! recorded moment being scrubbed or replayed), and how it moves: replay at a chosen
//! fraction of real time, in a loop between two marks, and slow motion around events
//! (a spike, a bAP arriving, an NMDA plateau or a Ca2+ spike starting: a node's voltage
//! rising through [`EVENT_LEVEL_MV`]), so that a 2 ms bAP takes two seconds on screen.
//!
//! In slow motion the live lab, on an event, pauses and shows the recording again from
//! [`LEAD_MS`] before it at [`SLOW_MS_PER_S`] while the voltage changes fast, then runs
//! through the quiet stretch quickly back to the present and goes on live.

use super::recording::Recording;

/// The level whose upward crossing by any node is an event (mV).
pub const EVENT_LEVEL_MV: f64 = -30.0;
/// How long before an event slow motion starts showing it (ms).
pub const LEAD_MS: f64 = 1.5;
/// Slow motion's pace (simulated ms per wall second): a 2 ms bAP takes 2 s.
pub const SLOW_MS_PER_S: f64 = 1.0;
/// A change faster than this somewhere on the cell keeps slow motion slow (mV/ms).
pub const FAST_MV_PER_MS: f64 = 4.0;
/// Slow motion stays slow this long after the last fast change (ms of simulated time).
pub const HOLD_MS: f64 = 2.0;
/// The replay speeds offered, as fractions of real time (1 = 1000 ms/s).
pub const RATES: [f64; 9] = [1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.001];

/// What the tree and the traces show, and how it moves.
#[derive(Debug, Clone)]
pub struct Playhead {
    /// The recorded instant shown (ms); `None`: the live present.
    pub at: Option<f64>,
    /// Whether the shown instant moves (a replay).
    pub playing: bool,
    /// The replay's pace, as a fraction of real time.
    pub rate: f64,
    /// A loop's ends (ms): a replay past the second starts again at the first.
    pub marks: [Option<f64>; 2],
    /// Slow motion around events, live and in a replay.
    pub slow_motion: bool,
    /// This replay was started by slow motion: it goes back live at the present.
    pub auto: bool,
    /// The recording's time up to which events have been looked for (ms).
    checked_to: f64,
    /// When the last fast change was shown (ms).
    last_fast: f64,
    /// The recording looked at ([`Recording::id`]).
    seen: Option<u64>,
    /// Whose recording is shown: kept trial `k`'s, or the lab's own (`None`).
    pub trial: Option<usize>,
    /// Moments declared to be worth seeing (ms, the recording's times), shown in slow
    /// motion like the events found.
    pub moments: Vec<f64>,
}

impl Default for Playhead {
    fn default() -> Self {
        Playhead {
            at: None,
            playing: false,
            rate: 0.05,
            marks: [None, None],
            slow_motion: false,
            auto: false,
            checked_to: f64::NEG_INFINITY,
            last_fast: f64::NEG_INFINITY,
            moments: Vec::new(),
            trial: None,
            seen: None,
        }
    }
}

/// What a tick asks of the lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// Nothing changes.
    Stay,
    /// A recorded moment is now shown: the live lab pauses.
    Hold,
    /// The present is shown again: the live lab goes on (if it was running).
    Live,
}

impl Playhead {
    /// Shows the recorded instant `t` (clamped to what is recorded) and stops there.
    pub fn scrub(&mut self, rec: &Recording, t: f64) -> Tick {
        let Some((a, b)) = rec.span() else { return Tick::Stay };
        let was_live = self.at.is_none();
        self.at = Some(t.clamp(a, b));
        self.playing = false;
        self.auto = false;
        if was_live { Tick::Hold } else { Tick::Stay }
    }

    /// Steps the shown instant by `frames` recorded frames (negative: back).
    pub fn step(&mut self, rec: &Recording, frames: i64) -> Tick {
        let Some(k) = rec.frame_at(self.at.unwrap_or(f64::INFINITY)) else { return Tick::Stay };
        let j = (k as i64 + frames).clamp(0, rec.len() as i64 - 1) as usize;
        self.scrub(rec, rec.time(j).unwrap_or(0.0))
    }

    /// Back to the live present (and the lab's own recording).
    pub fn live(&mut self) -> Tick {
        self.trial = None;
        let was = self.at.take().is_some();
        self.playing = false;
        self.auto = false;
        if was { Tick::Live } else { Tick::Stay }
    }

    /// Replays from the shown instant (from the oldest frame when live).
    pub fn play(&mut self, rec: &Recording) -> Tick {
        let Some((a, b)) = rec.span() else { return Tick::Stay };
        let was_live = self.at.is_none();
        let at = self.at.unwrap_or(a);
        self.at = Some(if at >= b { self.marks[0].unwrap_or(a).clamp(a, b) } else { at });
        self.playing = true;
        self.auto = false;
        if was_live { Tick::Hold } else { Tick::Stay }
    }

    /// Moves the playhead by `wall_s` seconds of wall time; `live_ms_per_s` is the lab's
    /// set speed (a slow-motion replay catches up with the present at four times it).
    pub fn tick(&mut self, rec: Option<&Recording>, wall_s: f64, live_ms_per_s: f64) -> Tick {
        let Some(rec) = rec.filter(|r| !r.is_empty()) else {
            return if self.at.is_some() { self.live() } else { Tick::Stay };
        };
        let (first, last) = rec.span().unwrap_or((0.0, 0.0));
        // A new recording (a new lab, a lesson's next condition, a reset): look at it
        // from its start.
        if self.seen != Some(rec.id()) {
            self.seen = Some(rec.id());
            self.checked_to = f64::NEG_INFINITY;
            self.last_fast = f64::NEG_INFINITY;
        }
        let Some(at) = self.at else {
            // Live: slow motion looks for an event among the frames recorded since.
            if !self.slow_motion {
                self.checked_to = last;
                return Tick::Stay;
            }
            let from = rec.frame_at(self.checked_to.max(first)).unwrap_or(0);
            let checked = self.checked_to;
            self.checked_to = last;
            let found = rec.next_crossing(from, EVENT_LEVEL_MV).and_then(|j| rec.time(j));
            let declared =
                self.moments.iter().copied().filter(|&m| m > checked && m <= last).reduce(f64::min);
            let Some(t) = [found, declared].into_iter().flatten().reduce(f64::min) else { return Tick::Stay };
            self.at = Some((t - LEAD_MS).max(first));
            self.playing = true;
            self.auto = true;
            self.last_fast = t;
            return Tick::Hold;
        };
        if !self.playing {
            return Tick::Stay;
        }
        let k = rec.frame_at(at).unwrap_or(0);
        // Fast now, or an event about to come: slow.
        let soon = rec.frame_at(at + LEAD_MS).unwrap_or(k);
        // (The frames of the next LEAD_MS only: a replay tick never scans the ring.)
        let event_soon = (k + 1..=soon).any(|j| rec.crosses_at(j, EVENT_LEVEL_MV));
        if rec.activity(k) > FAST_MV_PER_MS || rec.activity(k + 1) > FAST_MV_PER_MS || event_soon {
            self.last_fast = at;
        }
        let slow = self.slow_motion && at - self.last_fast < HOLD_MS;
        let pace = if slow {
            SLOW_MS_PER_S.min(self.rate * 1000.0)
        } else if self.auto {
            4.0 * live_ms_per_s.max(SLOW_MS_PER_S)
        } else {
            self.rate * 1000.0
        };
        let mut next = at + pace * wall_s.max(0.0);
        if let [Some(a), Some(b)] = self.marks
            && b > a
            && at <= b
            && next > b
        {
            next = a.max(first);
        }
        if next >= last {
            if self.auto {
                return self.live();
            }
            self.at = Some(last);
            self.playing = false;
            return Tick::Stay;
        }
        self.at = Some(next.max(first));
        Tick::Stay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A recording of 3 nodes: rest, then at 20 ms node 2 spikes (a 1 ms rise to +30 mV,
    /// a 1 ms fall), then rest to 60 ms.
    fn spike() -> Recording {
        let mut r = Recording::new(3, 0.025, 4 << 20).unwrap();
        for s in 0..=2400 {
            let t = s as f64 * 0.025;
            let x = ((t - 20.0) / 1.0).clamp(0.0, 2.0);
            let v = if x < 1.0 { -70.0 + 100.0 * x } else { 30.0 - 100.0 * (x - 1.0) };
            r.offer(t, &[-70.0, -70.0, v]);
        }
        r
    }

    #[test]
    fn slow_motion_shows_an_event_slowly_then_goes_back_live() {
        let rec = spike();
        let mut p = Playhead { slow_motion: true, ..Default::default() };
        // At 60 fps, live at 50 ms/s: the event is found and shown from before it.
        assert_eq!(p.tick(Some(&rec), 1.0 / 60.0, 50.0), Tick::Hold);
        let start = p.at.unwrap();
        assert!((start - (20.4 - LEAD_MS)).abs() < 0.11, "{start}");
        // The spike (20..22 ms) passes at 1 ms/s: about 2 s of frames for it.
        let (mut frames_in_spike, mut frames_after, mut frames) = (0, 0, 0);
        while p.at.is_some() {
            let at = p.at.unwrap();
            if (20.0..22.0).contains(&at) {
                frames_in_spike += 1;
            }
            if at > 22.0 + HOLD_MS + 0.5 {
                frames_after += 1;
            }
            p.tick(Some(&rec), 1.0 / 60.0, 50.0);
            frames += 1;
            assert!(frames < 10_000, "never went back live");
        }
        assert!(frames_in_spike >= 100, "{frames_in_spike} frames for the spike");
        // The quiet 35 ms after it went at 200 ms/s: a fifth of a second.
        assert!(frames_after <= 12, "{frames_after} frames after the spike");
        assert!(!p.playing && !p.auto);
        // No new event: it stays live.
        assert_eq!(p.tick(Some(&rec), 1.0 / 60.0, 50.0), Tick::Stay);
        assert!(p.at.is_none());
    }

    #[test]
    fn a_declared_moment_is_shown_slowly_though_nothing_crosses() {
        // Rest throughout: no event of its own.
        let mut r = Recording::new(3, 0.025, 4 << 20).unwrap();
        let mut p = Playhead { slow_motion: true, moments: vec![30.0], ..Default::default() };
        for s in 0..=1000 {
            r.offer(s as f64 * 0.025, &[-70.0; 3]);
        }
        assert_eq!(p.tick(Some(&r), 0.016, 50.0), Tick::Stay, "not yet reached");
        for s in 1001..=1600 {
            r.offer(s as f64 * 0.025, &[-70.0; 3]);
        }
        assert_eq!(p.tick(Some(&r), 0.016, 50.0), Tick::Hold);
        assert!((p.at.unwrap() - (30.0 - LEAD_MS)).abs() < 0.11, "{:?}", p.at);
        // Shown once: back live, it is not shown again.
        p.live();
        assert_eq!(p.tick(Some(&r), 0.016, 50.0), Tick::Stay);
        // A new recording whose times are behind what was looked at (a lesson's next
        // condition, a new lab): its moments are found from its start.
        let mut fresh = Recording::new(3, 0.025, 4 << 20).unwrap();
        for s in 0..=1600 {
            fresh.offer(s as f64 * 0.025, &[-70.0; 3]);
        }
        // (Its times even ahead of what was looked at in the old one, but its moment not.)
        p.checked_to = 35.0;
        assert_eq!(p.tick(Some(&fresh), 0.016, 50.0), Tick::Hold, "the moment at 30 ms of the new run");
    }

    #[test]
    fn scrubbing_stepping_and_a_loop_between_marks() {
        let rec = spike();
        let mut p = Playhead::default();
        assert_eq!(p.scrub(&rec, 21.0), Tick::Hold);
        assert_eq!(p.at, Some(21.0));
        p.step(&rec, 1);
        assert!((p.at.unwrap() - 21.1).abs() < 1e-9);
        p.step(&rec, -1000);
        assert_eq!(p.at, Some(0.0));
        assert_eq!(p.scrub(&rec, 1e9), Tick::Stay);
        assert_eq!(p.at, Some(60.0));
        // A replay at 1/10 real time (100 ms/s) in a loop between 10 and 30 ms.
        p.marks = [Some(10.0), Some(30.0)];
        p.rate = 0.1;
        p.scrub(&rec, 10.0);
        p.play(&rec);
        for _ in 0..60 {
            p.tick(Some(&rec), 0.05, 50.0);
            let at = p.at.unwrap();
            assert!((10.0..=30.0).contains(&at), "{at}");
        }
        assert!(p.playing);
        assert_eq!(p.live(), Tick::Live);
        assert_eq!(p.at, None);
    }
}

#[cfg(test)]
mod cost {
    use super::*;

    /// A replay tick on a full ring of Hay's cell 2's size with no crossing ahead: it
    /// must look at the next few frames only, not the whole ring (printed for the note).
    #[test]
    fn a_replay_tick_looks_ahead_only_a_few_frames() {
        let mut r = Recording::new(715, 0.025, super::super::recording::MAX_RECORDING_BYTES).unwrap();
        let v = vec![-70.0; 715];
        let steps = (r.seconds() * 1000.0 / 0.025) as usize;
        for s in 0..steps {
            r.offer(s as f64 * 0.025, &v);
        }
        let mut p = Playhead::default();
        p.scrub(&r, 10.0);
        p.play(&r);
        let t = std::time::Instant::now();
        for _ in 0..20 {
            p.tick(Some(&r), 1.0 / 60.0, 50.0);
        }
        let ms = t.elapsed().as_secs_f64() * 1000.0 / 20.0;
        eprintln!("replay tick on {} frames of 715 nodes: {ms:.3} ms", r.len());
        assert!(ms < 5.0, "{ms} ms a tick");
    }
}

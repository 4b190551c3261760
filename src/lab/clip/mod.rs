//! Clips for the slides: a stretch of the recording rendered as an animated GIF, off the
//! recording (not by screen capture), at a chosen size, frame rate and slowness, with the
//! time, the colour bar and the condition's label in every frame. No window is needed:
//! `dendra --lesson bap --clip bap.gif --from 0 --to 12 --slow 200` works anywhere.
//! (GIF only: an MP4 or WebM encoder would need a system library, and the command says
//! so when asked for one.)

pub mod render;
pub mod text;

use super::recording::Recording;
use crate::sim::cell::Cell;
pub use render::{TreePainter, View};
use text::Canvas;

/// Most frames in one clip (at 25 frames per second, two minutes).
pub const MAX_CLIP_FRAMES: usize = 3000;
/// The largest side of a clip (px).
pub const MAX_CLIP_SIDE: u32 = 1920;

/// What to render.
#[derive(Debug, Clone)]
pub struct ClipSpec {
    /// The stretch of the recording (ms, the recording's own times).
    pub from_ms: f64,
    pub to_ms: f64,
    /// Frames per second of the clip.
    pub fps: f64,
    /// How many times slower than real time it plays (200: 1 ms of the cell is 0.2 s).
    pub slow: f64,
    pub width: u32,
    pub height: u32,
    /// The colour map and the range it spans (mV).
    pub map: usize,
    pub lo: f64,
    pub hi: f64,
    /// Said in every frame (the condition).
    pub label: String,
    /// Subtracted from the times shown (the protocol's start), so that a frame says the
    /// time from the start.
    pub t0: f64,
}

/// Why a clip could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    /// A setting outside what it may be.
    #[error("{what} must be {rule}, got {value}")]
    Setting { what: &'static str, rule: &'static str, value: f64 },
    /// More frames than a clip may have.
    #[error(
        "{frames} frames are too many for a clip (at most {MAX_CLIP_FRAMES}): a shorter stretch, fewer frames per second or less slow motion"
    )]
    TooLong { frames: usize },
    /// The stretch is not in the recording.
    #[error("nothing is recorded between {from_ms} and {to_ms} ms (the recording holds {held})")]
    NotRecorded { from_ms: f64, to_ms: f64, held: String },
    /// The GIF could not be encoded.
    #[error("the GIF could not be written: {0}")]
    Gif(#[from] gif::EncodingError),
}

impl ClipSpec {
    /// The frames' times (ms, recording time), after checking the settings.
    pub fn frame_times(&self) -> Result<Vec<f64>, ClipError> {
        let check = |what, ok: bool, rule, value| {
            if ok { Ok(()) } else { Err(ClipError::Setting { what, rule, value }) }
        };
        check("fps", self.fps.is_finite() && (1.0..=60.0).contains(&self.fps), "within 1..=60", self.fps)?;
        check(
            "slow",
            self.slow.is_finite() && (1.0..=100_000.0).contains(&self.slow),
            "within 1..=100000",
            self.slow,
        )?;
        let len = self.to_ms - self.from_ms;
        check("--to minus --from (ms)", len.is_finite() && len > 0.0, "positive", len)?;
        for (what, v) in [("width", self.width), ("height", self.height)] {
            check(what, (64..=MAX_CLIP_SIDE).contains(&v), "within 64..=1920 px", v as f64)?;
        }
        let step = 1000.0 / self.fps / self.slow;
        let n = (len / step).floor() + 1.0;
        if n > MAX_CLIP_FRAMES as f64 {
            return Err(ClipError::TooLong { frames: n.min(1e12) as usize });
        }
        Ok((0..n as usize).map(|i| self.from_ms + i as f64 * step).collect())
    }
}

/// Renders the clip of `rec` (recorded on `cell`) seen through `view` as a GIF; returns
/// its bytes and frame count.
pub fn render_gif(
    rec: &Recording,
    cell: &Cell,
    view: View,
    spec: &ClipSpec,
) -> Result<(Vec<u8>, usize), ClipError> {
    let times = spec.frame_times()?;
    let held = rec.span();
    match held {
        Some((a, b)) if spec.from_ms >= a - 1e-6 && spec.to_ms <= b + 1e-6 => {}
        _ => {
            return Err(ClipError::NotRecorded {
                from_ms: spec.from_ms,
                to_ms: spec.to_ms,
                held: held.map_or("nothing".into(), |(a, b)| format!("{a:.2} to {b:.2} ms")),
            });
        }
    }
    let painter = TreePainter::new(cell, View { width: spec.width, height: spec.height, ..view });
    let (w, h) = (spec.width, spec.height);
    let mut out = Vec::new();
    {
        let mut enc = gif::Encoder::new(&mut out, w as u16, h as u16, &[])?;
        enc.set_repeat(gif::Repeat::Infinite)?;
        let delay = (100.0 / spec.fps).round().max(2.0) as u16;
        let mut values = Vec::new();
        let mut rgb = vec![0u8; (w * h * 3) as usize];
        for &t in &times {
            let k = rec.frame_at(t).unwrap_or(0);
            rec.values(k, &mut values);
            draw_frame(&painter, spec, t, &values, &mut rgb);
            let mut frame = gif::Frame::from_rgb_speed(w as u16, h as u16, &rgb, 20);
            frame.delay = delay;
            enc.write_frame(&frame)?;
        }
    }
    Ok((out, times.len()))
}

/// One frame: the tree in its colours on black, the label, the time and the colour bar.
pub fn draw_frame(painter: &TreePainter, spec: &ClipSpec, t: f64, values: &[f32], rgb: &mut [u8]) {
    rgb.fill(0);
    let colour = |node: u32| {
        let v = values.get(node as usize).copied().unwrap_or(f32::NAN) as f64;
        let x = if v.is_finite() { ((v - spec.lo) / (spec.hi - spec.lo).max(1e-9)) as f32 } else { 0.0 };
        super::colour::sample(spec.map, x)
    };
    painter.paint(rgb, colour);
    let (w, h) = (spec.width, spec.height);
    let px = (h as f32 / 22.0).clamp(12.0, 40.0);
    let mut c = Canvas { rgb, width: w, height: h };
    let white = [255, 255, 255];
    // The label and, below it, the time, on a dark band (top left).
    c.rect(0, 0, w as i64, (px * 2.9) as i64, [0, 0, 0], 0.6);
    c.text(px * 0.5, px * 0.3, px, &spec.label, white);
    let time = format!("t = {:.2} ms   {}x slower", t - spec.t0, spec.slow);
    c.text(px * 0.5, px * 1.55, px, &time, [255, 230, 120]);
    // The colour bar along the bottom, its ends numbered.
    let (bx, bw) = ((w as f32 * 0.2) as i64, (w as f32 * 0.6) as i64);
    let by = h as i64 - (px * 2.4) as i64;
    let bh = (px * 0.7).max(6.0) as i64;
    for i in 0..bw {
        let col = super::colour::sample(spec.map, i as f32 / (bw - 1).max(1) as f32);
        c.rect(bx + i, by, 1, bh, col, 1.0);
    }
    let lo = format!("{:.0}", spec.lo);
    let hi = format!("{:.0} mV", spec.hi);
    let ty = by as f32 + bh as f32 + px * 0.15;
    c.text(bx as f32, ty, px * 0.9, &lo, white);
    let hw = Canvas::text_width(px * 0.9, &hi);
    c.text((bx + bw) as f32 - hw, ty, px * 0.9, &hi, white);
}

//! Measures of one trace: a peak, a spike count, a time above a level, a half width, a
//! mean; what a figure of one run is.

#[allow(unused_imports)]
use super::*;

/// Measures `what` on (t, v) between `from` and `to` ms.
pub fn measure(t: &[f64], v: &[f64], p: &Probe) -> Result<f64, FigureError> {
    let to = p.to_ms.unwrap_or(f64::INFINITY);
    let idx: Vec<usize> = (0..t.len()).filter(|&k| t[k] >= p.from_ms - 1e-9 && t[k] <= to + 1e-9).collect();
    let (&first, &last) = match (idx.first(), idx.last()) {
        (Some(a), Some(b)) => (a, b),
        _ => return Err(FigureError::NoSamples { from_ms: p.from_ms, to_ms: to }),
    };
    let w = &v[first..=last];
    let tw = &t[first..=last];
    let base = w[0];
    let peak = w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Ok(match p.what {
        Measure::Peak => peak,
        Measure::Rise => peak - base,
        Measure::Spikes { above_mv } => {
            w.windows(2).filter(|p| p[0] < above_mv && p[1] >= above_mv).count() as f64
        }
        Measure::TimeAbove { mv } => (1..w.len()).filter(|&k| w[k] > mv).map(|k| tw[k] - tw[k - 1]).sum(),
        Measure::HalfWidth => {
            let half = base + (peak - base) / 2.0;
            let k_peak = w.iter().position(|&x| x == peak).unwrap_or(0);
            let up = (0..=k_peak).rev().find(|&k| w[k] < half).map_or(tw[0], |k| cross(tw, w, k, half));
            let down = (k_peak..w.len())
                .find(|&k| w[k] < half)
                .map_or(tw[tw.len() - 1], |k| cross(tw, w, k - 1, half));
            down - up
        }
        Measure::Mean => {
            let span = tw[tw.len() - 1] - tw[0];
            if span <= 0.0 {
                w[0]
            } else {
                (1..w.len()).map(|k| (w[k] + w[k - 1]) / 2.0 * (tw[k] - tw[k - 1])).sum::<f64>() / span
            }
        }
    })
}

/// Time at which the segment k..k+1 crosses `level` (linear interpolation).
pub(super) fn cross(t: &[f64], v: &[f64], k: usize, level: f64) -> f64 {
    if k + 1 >= t.len() || v[k + 1] == v[k] {
        return t[k];
    }
    t[k] + (level - v[k]) / (v[k + 1] - v[k]) * (t[k + 1] - t[k])
}

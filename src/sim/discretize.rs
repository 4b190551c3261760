//! Discretisation: sections -> segments (compartments), as NEURON does it.
//!
//! A section of length L is cut into `nseg` equal segments. Each segment's membrane
//! area and the axial resistance of its two halves are integrated over the section's
//! 3-D points as frusta (NEURON's `diam_from_list`, docs/biophysics.md 1.2): a straight
//! cylinder gives area pi d dx and resistance 4 Ra (dx/2) / (pi d^2).

use crate::sim::morphology::Section;
use std::f64::consts::PI;

/// Geometry of one segment: area and the geometric factor of each half's axial
/// resistance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentGeom {
    /// Membrane area (um2): lateral area of the frusta between the segment's ends.
    pub area_um2: f64,
    /// Sum of dx / (d1 d2) over the left half (1/um); the resistance of that half is
    /// [`axial_mohm`] of it.
    pub rfac_left: f64,
    /// The same over the right half (1/um).
    pub rfac_right: f64,
}

/// Axial resistance (MOhm) of a piece with geometric factor `rfac` (1/um) and axial
/// resistivity `ra` (ohm cm): R = (4 Ra / pi) * rfac * 0.01.
pub fn axial_mohm(rfac: f64, ra_ohm_cm: f64) -> f64 {
    4.0 * ra_ohm_cm / PI * rfac * 0.01
}

/// NEURON's `lambda_f(freq)` (um) of a section with 3-D points: the AC length constant,
/// with the diameter averaged along the section as stdlib.hoc does.
pub fn lambda_f(sec: &Section, freq_hz: f64, ra_ohm_cm: f64, cm_uf_cm2: f64) -> f64 {
    let lam = electrotonic_length(sec, freq_hz, ra_ohm_cm, cm_uf_cm2);
    if lam > 0.0 { sec.length() / lam } else { f64::INFINITY }
}

/// Section length in units of the AC length constant at `freq_hz`.
fn electrotonic_length(sec: &Section, freq_hz: f64, ra: f64, cm: f64) -> f64 {
    let mut sum = 0.0;
    for k in 1..sec.points.len() {
        let dx = sec.arc[k] - sec.arc[k - 1];
        let dd = sec.diams[k] + sec.diams[k - 1];
        if dd > 0.0 {
            sum += dx / dd.sqrt();
        }
    }
    sum * 2f64.sqrt() * 1e-5 * (4.0 * PI * freq_hz * ra * cm).sqrt()
}

/// nseg by the d_lambda rule: the odd number of segments that makes each shorter than
/// `d_lambda` of the AC length constant at `freq_hz` (NEURON: d_lambda 0.1, 100 Hz).
pub fn nseg_d_lambda(sec: &Section, ra: f64, cm: f64, d_lambda: f64, freq_hz: f64) -> usize {
    let lam = electrotonic_length(sec, freq_hz, ra, cm);
    let n = ((lam / d_lambda + 0.9) / 2.0).floor();
    if !n.is_finite() || n < 0.0 {
        return 1;
    }
    (n as usize).min(100_000) * 2 + 1
}

/// Area (um2) and resistance factor (1/um) of the arc interval [sa, sb] of a section.
///
/// `from` is the first piece (between points `from - 1` and `from`) that may reach `sa`;
/// it is advanced past the pieces that end before `sa`, so that calls with increasing
/// intervals sweep the points once: O(points + intervals) for a whole section. Only
/// pieces that cannot contribute are skipped; the others are summed in the same order
/// as a walk over every piece, so the sums are the same to the last bit.
fn integrate(sec: &Section, sa: f64, sb: f64, from: &mut usize) -> (f64, f64) {
    let (mut area, mut rfac) = (0.0, 0.0);
    let n = sec.points.len();
    // Pieces ending before `sa` (arc nondecreasing) contribute to no later interval.
    while *from < n && sec.arc[*from] < sa {
        *from += 1;
    }
    let diam_at = |k: usize, s: f64| {
        let (a0, a1) = (sec.arc[k - 1], sec.arc[k]);
        let f = if a1 > a0 { ((s - a0) / (a1 - a0)).clamp(0.0, 1.0) } else { 1.0 };
        sec.diams[k - 1] + (sec.diams[k] - sec.diams[k - 1]) * f
    };
    for k in (*from).max(1)..n {
        let (a0, a1) = (sec.arc[k - 1], sec.arc[k]);
        if a0 > sb {
            // This piece and all later ones start beyond the interval.
            break;
        }
        let u0 = a0.max(sa);
        let u1 = a1.min(sb);
        if u1 < u0 || (u1 == u0 && !(a1 == a0 && a0 >= sa && a0 < sb)) {
            continue;
        }
        let (d0, d1) =
            if a1 > a0 { (diam_at(k, u0), diam_at(k, u1)) } else { (sec.diams[k - 1], sec.diams[k]) };
        let dx = u1 - u0;
        area += PI / 2.0 * (d0 + d1) * (dx * dx + (d1 - d0) * (d1 - d0) / 4.0).sqrt();
        if dx > 0.0 {
            rfac += dx / (d0 * d1);
        }
    }
    (area, rfac)
}

/// The segments of a section cut into `nseg` equal parts.
pub fn segments(sec: &Section, nseg: usize) -> Vec<SegmentGeom> {
    let nseg = nseg.max(1);
    let l = sec.length();
    let dx = l / nseg as f64;
    // The intervals come in increasing order: one sweep over the points.
    let mut from = 1;
    (0..nseg)
        .map(|i| {
            let s0 = dx * i as f64;
            let sm = s0 + dx / 2.0;
            let s1 = if i + 1 == nseg { l } else { s0 + dx };
            let (al, rl) = integrate(sec, s0, sm, &mut from);
            let (ar, rr) = integrate(sec, sm, s1, &mut from);
            SegmentGeom { area_um2: al + ar, rfac_left: rl, rfac_right: rr }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::morphology::Region;
    use nalgebra::{Point3, Vector3};

    fn cyl(l: f64, d: f64) -> Section {
        Section::cylinder("c".into(), Region::Basal, None, 1.0, Point3::origin(), Vector3::x(), l, d)
    }

    #[test]
    fn cylinder_segments_match_closed_forms() {
        let s = cyl(100.0, 2.0);
        let segs = segments(&s, 5);
        for g in &segs {
            assert!((g.area_um2 - PI * 2.0 * 20.0).abs() < 1e-9);
            // 4 Ra (dx/2) / (pi d^2) in MOhm, Ra = 100: 1e-2 * 100 * 10 / (pi * 1) ...
            let r = axial_mohm(g.rfac_left, 100.0);
            assert!((r - 1e-2 * 100.0 * 10.0 / (PI * 4.0 / 4.0)).abs() < 1e-9, "{r}");
        }
    }

    #[test]
    fn frustum_area_is_lateral_area() {
        let s = Section::new(
            "f".into(),
            Region::Basal,
            None,
            1.0,
            vec![Point3::origin(), Point3::new(10.0, 0.0, 0.0)],
            vec![2.0, 4.0],
            0,
        );
        let a: f64 = segments(&s, 3).iter().map(|g| g.area_um2).sum();
        let exact = PI * (1.0 + 2.0) * (100.0f64 + 1.0).sqrt();
        assert!((a - exact).abs() < 1e-9, "{a} vs {exact}");
    }

    /// The walk over every piece for each interval, as it was before the sweep.
    fn integrate_every_piece(sec: &Section, sa: f64, sb: f64) -> (f64, f64) {
        let (mut area, mut rfac) = (0.0, 0.0);
        let diam_at = |k: usize, s: f64| {
            let (a0, a1) = (sec.arc[k - 1], sec.arc[k]);
            let f = if a1 > a0 { ((s - a0) / (a1 - a0)).clamp(0.0, 1.0) } else { 1.0 };
            sec.diams[k - 1] + (sec.diams[k] - sec.diams[k - 1]) * f
        };
        for k in 1..sec.points.len() {
            let (a0, a1) = (sec.arc[k - 1], sec.arc[k]);
            let u0 = a0.max(sa);
            let u1 = a1.min(sb);
            if u1 < u0 || (u1 == u0 && !(a1 == a0 && a0 >= sa && a0 < sb)) {
                continue;
            }
            let (d0, d1) =
                if a1 > a0 { (diam_at(k, u0), diam_at(k, u1)) } else { (sec.diams[k - 1], sec.diams[k]) };
            let dx = u1 - u0;
            area += PI / 2.0 * (d0 + d1) * (dx * dx + (d1 - d0) * (d1 - d0) / 4.0).sqrt();
            if dx > 0.0 {
                rfac += dx / (d0 * d1);
            }
        }
        (area, rfac)
    }

    #[test]
    fn sweep_gives_the_same_bits_as_walking_every_piece() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for case in 0..300 {
            let n = 2 + (rnd() * 40.0) as usize;
            let mut p = Point3::origin();
            let (mut points, mut diams) = (Vec::new(), Vec::new());
            for _ in 0..n {
                // Some pieces of zero length, some tiny, on integer and odd lengths.
                let step = match (rnd() * 5.0) as u32 {
                    0 => 0.0,
                    1 => 1e-9,
                    2 => 1.0,
                    _ => rnd() * 10.0,
                };
                p += Vector3::new(step, 0.0, 0.0);
                points.push(p);
                diams.push(0.2 + rnd() * 3.0);
            }
            let sec = Section::new("s".into(), Region::Basal, None, 1.0, points, diams, 0);
            for nseg in [1, 2, 3, 5, 7, 11, 1 + (rnd() * 60.0) as usize] {
                let l = sec.length();
                let dx = l / nseg as f64;
                let mut want = Vec::new();
                for i in 0..nseg {
                    let s0 = dx * i as f64;
                    let sm = s0 + dx / 2.0;
                    let s1 = if i + 1 == nseg { l } else { s0 + dx };
                    let (al, rl) = integrate_every_piece(&sec, s0, sm);
                    let (ar, rr) = integrate_every_piece(&sec, sm, s1);
                    want.push(SegmentGeom { area_um2: al + ar, rfac_left: rl, rfac_right: rr });
                }
                let got = segments(&sec, nseg);
                for (g, w) in got.iter().zip(&want) {
                    assert_eq!(g.area_um2.to_bits(), w.area_um2.to_bits(), "case {case} nseg {nseg}");
                    assert_eq!(g.rfac_left.to_bits(), w.rfac_left.to_bits(), "case {case} nseg {nseg}");
                    assert_eq!(g.rfac_right.to_bits(), w.rfac_right.to_bits(), "case {case} nseg {nseg}");
                }
            }
        }
    }

    #[test]
    fn d_lambda_rule_matches_neuron_table() {
        // lambda_100 for d = 1 um, Ra = 100, cm = 1 is 282.1 um (docs/biophysics.md 1.6).
        let s = cyl(282.1, 1.0);
        assert!((lambda_f(&s, 100.0, 100.0, 1.0) - 282.1).abs() < 0.1);
        // L = 1 lambda -> 10 lengths of d_lambda -> int((10 + 0.9)/2)*2 + 1 = 11.
        assert_eq!(nseg_d_lambda(&s, 100.0, 1.0, 0.1, 100.0), 11);
        assert_eq!(nseg_d_lambda(&cyl(5.0, 1.0), 100.0, 1.0, 0.1, 100.0), 1);
    }
}

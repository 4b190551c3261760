//! Soma contours as NEURON's Import3d turns them into sections: the centre of a contour
//! and of a stack of contours, a contour's principal axis and widths
//! (`contour2centroid`), a contour approximated by a circle.

#[allow(unused_imports)]
use super::*;

/// NEURON's `Vector.interpolate(xdest, xsrc, ysrc)`.
pub(super) fn interpolate(xd: &[f64], xs: &[f64], ys: &[f64]) -> Vec<f64> {
    let (nd, ns) = (xd.len(), xs.len());
    let mut yd = vec![0.0; nd];
    if ns == 0 {
        return yd;
    }
    let mut id = 0;
    while id < nd && xd[id] <= xs[0] {
        yd[id] = ys[0];
        id += 1;
    }
    let mut is = 1;
    while is < ns && id < nd {
        if xs[is] > xs[is - 1] {
            while xd[id] <= xs[is] {
                let th = (xd[id] - xs[is - 1]) / (xs[is] - xs[is - 1]);
                yd[id] = (1.0 - th) * ys[is - 1] + th * ys[is];
                id += 1;
                if id >= nd {
                    break;
                }
            }
        }
        is += 1;
    }
    while id < nd {
        yd[id] = ys[ns - 1];
        id += 1;
    }
    yd
}

pub(super) fn mean(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |s, x| s + x) / v.len() as f64
}

/// NEURON's `contourcenter`: resamples the contour (x, y, z; at least one point) to 101
/// points evenly spaced along its x-y path (without the closing edge) and returns
/// their mean.
pub(super) fn contour_center(x: &mut Vec<f64>, y: &mut Vec<f64>, z: &mut Vec<f64>) -> [f64; 3] {
    let n = x.len();
    let mut perim = vec![0.0; n];
    for i in 1..n {
        let (dx, dy) = (x[i] - x[i - 1], y[i] - y[i - 1]);
        perim[i] = perim[i - 1] + (dx * dx + dy * dy).sqrt();
    }
    let step = perim[n - 1] / 100.0;
    let d: Vec<f64> = (0..101).map(|i| i as f64 * step).collect();
    *x = interpolate(&d, &perim, x);
    *y = interpolate(&d, &perim, y);
    *z = interpolate(&d, &perim, z);
    [mean(x), mean(y), mean(z)]
}

pub(super) fn first_max(v: &[f64]) -> usize {
    (1..v.len()).fold(0, |m, i| if v[i] > v[m] { i } else { m })
}

pub(super) fn first_min(v: &[f64]) -> usize {
    (1..v.len()).fold(0, |m, i| if v[i] < v[m] { i } else { m })
}

/// Removes values that do not increase, as `contour2centroid` makes each side convex.
pub(super) fn make_increasing(d: &mut Vec<f64>, rad: &mut Vec<f64>) {
    let mut j = d.len() as isize - 1;
    while j > 0 {
        let k = j as usize;
        if d[k] <= d[k - 1] {
            d.remove(k);
            rad.remove(k);
            if k != d.len() {
                j += 1;
            }
        }
        j -= 1;
    }
}

/// NEURON's `contour2centroid`: a soma contour -> points along its major axis with the
/// contour's width as diameter. `None` when the contour is degenerate (NEURON stops).
pub(super) fn contour_to_centroid(pts: &[Pt]) -> Option<(Vec<[f64; 3]>, Vec<f64>)> {
    let mut x: Vec<f64> = pts.iter().map(|p| p.v[0]).collect();
    let mut y: Vec<f64> = pts.iter().map(|p| p.v[1]).collect();
    let mut z: Vec<f64> = pts.iter().map(|p| p.v[2]).collect();
    let c = contour_center(&mut x, &mut y, &mut z);
    let rows = [
        x.iter().map(|v| v - c[0]).collect::<Vec<f64>>(),
        y.iter().map(|v| v - c[1]).collect(),
        z.iter().map(|v| v - c[2]).collect(),
    ];
    let mut m = Matrix3::zeros();
    for i in 0..3 {
        for j in i..3 {
            let s = rows[i].iter().zip(&rows[j]).fold(0.0, |s, (a, b)| s + a * b);
            m[(i, j)] = s;
            m[(j, i)] = s;
        }
    }
    let eig = SymmetricEigen::new(m);
    let values = [eig.eigenvalues[0], eig.eigenvalues[1], eig.eigenvalues[2]];
    if !values.iter().all(|v| v.is_finite()) {
        return None;
    }
    let (imax, imin) = (first_max(&values), first_min(&values));
    if imax == imin {
        return None;
    }
    let col = |k: usize| [eig.eigenvectors[(0, k)], eig.eigenvectors[(1, k)], eig.eigenvectors[(2, k)]];
    let mut major = col(imax);
    let abs = major.map(f64::abs);
    if major[first_max(&abs)] < 0.0 {
        major = major.map(|v| -v);
    }
    let mut minor = col(3 - imin - imax);
    minor[2] = 0.0;
    let mag = |v: &[f64; 3]| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    let ratio = mag(&minor) / (mag(&major) + 1e-100);
    if ratio.is_nan() || ratio < 1e-6 {
        return None;
    }
    let mm = mag(&minor);
    minor = minor.map(|v| v / mm);
    let n = x.len();
    let dot = |k: usize, a: &[f64; 3]| rows[0][k] * a[0] + rows[1][k] * a[1] + rows[2][k] * a[2];
    let mut d: Vec<f64> = (0..n).map(|k| dot(k, &major)).collect();
    let mut rad: Vec<f64> = (0..n).map(|k| dot(k, &minor)).collect();
    let imax = first_max(&d);
    d.rotate_left(imax);
    rad.rotate_left(imax);
    let imin = first_min(&d);
    let mut side2 = d.split_off(imin);
    let mut rad2 = rad.split_off(imin);
    d.reverse();
    rad.reverse();
    if d.is_empty() || side2.is_empty() {
        return None;
    }
    make_increasing(&mut d, &mut rad);
    make_increasing(&mut side2, &mut rad2);
    let mut all: Vec<f64> = d.iter().chain(&side2).copied().collect();
    all.sort_by(f64::total_cmp);
    if all.len() < 2 {
        return None;
    }
    let (start, stop) = (all[1], all[all.len() - 2]);
    let step = (stop - start) / 20.0;
    let count = ((stop - start) / step + 1e-9).floor() + 1.0;
    if !(count.is_finite() && (2.0..=1000.0).contains(&count)) {
        return None;
    }
    let t: Vec<f64> = (0..count as usize).map(|i| i as f64 * step + start).collect();
    let r1 = interpolate(&t, &d, &rad);
    let r2 = interpolate(&t, &side2, &rad2);
    let mut points = Vec::with_capacity(t.len());
    let mut diams = Vec::with_capacity(t.len());
    for (k, &tk) in t.iter().enumerate() {
        points.push([major[0] * tk + c[0], major[1] * tk + c[1], major[2] * tk + c[2]]);
        diams.push((r1[k] - r2[k]).abs());
    }
    let last = diams.len() - 1;
    diams[0] = (diams[0] + diams[1]) / 2.0;
    diams[last] = (diams[last] + diams[last - 1]) / 2.0;
    Some((points, diams))
}

/// NEURON's `approximate_contour_by_circle`: the contour's centre and a diameter of mean
/// radius + perimeter / 2 pi.
pub(super) fn contour_circle(pts: &[Pt]) -> ([f64; 3], f64) {
    let n = pts.len();
    let mut perim = 0.0;
    for i in 0..n {
        let (a, b) = (pts[i].v, pts[(i + 1) % n].v);
        perim += dist([a[0], a[1], a[2]], [b[0], b[1], b[2]]);
    }
    let mut x: Vec<f64> = pts.iter().map(|p| p.v[0]).collect();
    let mut y: Vec<f64> = pts.iter().map(|p| p.v[1]).collect();
    let mut z: Vec<f64> = pts.iter().map(|p| p.v[2]).collect();
    let c = contour_center(&mut x, &mut y, &mut z);
    let r: Vec<f64> = (0..x.len()).map(|k| dist([x[k], y[k], z[k]], c)).collect();
    (c, mean(&r) + perim / (2.0 * std::f64::consts::PI))
}

/// The centre of a contour stack: halfway along the path through the contours' centres
/// (NEURON's `stk_center`).
pub(super) fn stack_center(contours: &[&[Pt]]) -> [f64; 3] {
    let centre = |p: &[Pt]| {
        let mut x: Vec<f64> = p.iter().map(|p| p.v[0]).collect();
        let mut y: Vec<f64> = p.iter().map(|p| p.v[1]).collect();
        let mut z: Vec<f64> = p.iter().map(|p| p.v[2]).collect();
        contour_center(&mut x, &mut y, &mut z)
    };
    let centres: Vec<[f64; 3]> = contours.iter().map(|c| centre(c)).collect();
    let mut lens = vec![0.0];
    let mut len = 0.0;
    for i in 1..centres.len() {
        len += dist(centres[i], centres[i - 1]);
        lens.push(len);
    }
    let half = len / 2.0;
    if half == 0.0 {
        return centres[0];
    }
    let Some(i) = lens.iter().position(|&l| l > half) else { return centres[0] };
    let th = (half - lens[i - 1]) / (lens[i] - lens[i - 1]);
    [0, 1, 2].map(|j| th * centres[i][j] + (1.0 - th) * centres[i - 1][j])
}

/// Euclidean distance, summed in NEURON's order.
pub(super) fn dist(a: [f64; 3], b: [f64; 3]) -> f64 {
    let (dx, dy, dz) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    (dx * dx + dy * dy + dz * dz).sqrt()
}

/// x-y-z bounding box: min then max.
pub(super) fn bbox(p: &[Pt]) -> [f64; 6] {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for q in p {
        for j in 0..3 {
            b[j] = b[j].min(q.v[j]);
            b[j + 3] = b[j + 3].max(q.v[j]);
        }
    }
    b
}

//! Drawing the tree off the recording, without a GPU: each stretch of each section a
//! capsule (its own radius, never thinner than a pixel or two so that thin dendrites
//! stay visible, as the window's shader keeps them), coloured by its compartment's
//! value, painted back to front under an orthographic view.

use crate::sim::cell::Cell;
use nalgebra::{Point3, UnitQuaternion, Vector3};

/// A piece of a section between two of its points, with its compartment.
#[derive(Debug, Clone, Copy)]
struct Piece {
    a: Point3<f64>,
    b: Point3<f64>,
    radius: f64,
    node: u32,
}

/// How the cell is seen: a rotation (cell to view: x right, y up, z towards the eye),
/// the point at the picture's centre and the scale.
#[derive(Debug, Clone, Copy)]
pub struct View {
    pub rotation: UnitQuaternion<f64>,
    pub centre: Point3<f64>,
    /// Pixels per um.
    pub scale: f64,
    pub width: u32,
    pub height: u32,
}

impl View {
    /// The whole cell, rotated by `rotation`, filling `width` x `height` with a margin.
    pub fn framing(cell: &Cell, rotation: UnitQuaternion<f64>, width: u32, height: u32) -> View {
        let (mut lo, mut hi) = (Vector3::repeat(f64::INFINITY), Vector3::repeat(f64::NEG_INFINITY));
        for s in &cell.morphology.sections {
            for p in &s.points {
                let q = rotation * p.coords;
                lo = lo.inf(&q);
                hi = hi.sup(&q);
            }
        }
        if !(lo.x.is_finite() && hi.x.is_finite()) {
            (lo, hi) = (Vector3::repeat(-50.0), Vector3::repeat(50.0));
        }
        let size = (hi - lo).sup(&Vector3::repeat(1.0));
        let scale = 0.9 * (width as f64 / size.x).min(height as f64 / size.y);
        let centre = rotation.inverse() * ((lo + hi) / 2.0);
        View { rotation, centre: Point3::from(centre), scale, width, height }
    }

    /// A cell point in pixels (x right, y down) and its depth (larger: nearer).
    fn project(&self, p: &Point3<f64>) -> (f64, f64, f64) {
        let q = self.rotation * (p - self.centre);
        (self.width as f64 / 2.0 + q.x * self.scale, self.height as f64 / 2.0 - q.y * self.scale, q.z)
    }
}

/// A piece on the picture: (x0, y0, x1, y1, radius in px, node).
type Drawn = (f32, f32, f32, f32, f32, u32);

/// The tree's pieces, sorted back to front for one view.
pub struct TreePainter {
    pieces: Vec<Piece>,
    /// Projected pieces, back to front.
    drawn: Vec<Drawn>,
    view: View,
}

/// The thinnest a branch is drawn (px), and the soma.
const MIN_PX: f64 = 1.3;
const SOMA_MIN_PX: f64 = 4.0;

impl TreePainter {
    pub fn new(cell: &Cell, view: View) -> TreePainter {
        let mut pieces = Vec::new();
        let soma = cell.morphology.soma();
        for (si, s) in cell.morphology.sections.iter().enumerate() {
            let len = s.length().max(1e-9);
            if s.points.len() == 1 {
                let r = s.diams[0] / 2.0;
                pieces.push(Piece {
                    a: s.points[0],
                    b: s.points[0],
                    radius: r,
                    node: cell.compartment_at(si, 0.5),
                });
                continue;
            }
            for k in 1..s.points.len() {
                let mid = (s.arc[k - 1] + s.arc[k]) / 2.0 / len;
                let radius = (s.diams[k - 1] + s.diams[k]) / 4.0;
                let radius = if si == soma { radius.max(SOMA_MIN_PX / view.scale) } else { radius };
                pieces.push(Piece {
                    a: s.points[k - 1],
                    b: s.points[k],
                    radius,
                    node: cell.compartment_at(si, mid),
                });
            }
        }
        let mut p = TreePainter { pieces, drawn: Vec::new(), view };
        p.set_view(view);
        p
    }

    /// Projects the pieces for `view` and sorts them back to front.
    pub fn set_view(&mut self, view: View) {
        self.view = view;
        let mut d: Vec<(f64, Drawn)> = self
            .pieces
            .iter()
            .map(|p| {
                let (x0, y0, z0) = view.project(&p.a);
                let (x1, y1, z1) = view.project(&p.b);
                let r = (p.radius * view.scale).max(MIN_PX);
                ((z0 + z1) / 2.0, (x0 as f32, y0 as f32, x1 as f32, y1 as f32, r as f32, p.node))
            })
            .collect();
        d.sort_by(|a, b| a.0.total_cmp(&b.0));
        self.drawn = d.into_iter().map(|(_, p)| p).collect();
    }

    pub fn view(&self) -> View {
        self.view
    }

    /// Paints the tree into `rgb` (width x height x 3, row by row), each piece in the
    /// colour `colour` gives its node, shaded across its width like a tube.
    pub fn paint(&self, rgb: &mut [u8], colour: impl Fn(u32) -> [u8; 3]) {
        let (w, h) = (self.view.width as i64, self.view.height as i64);
        for &(x0, y0, x1, y1, r, node) in &self.drawn {
            let c = colour(node);
            let (ax, ay, bx, by) = (x0 as f64, y0 as f64, x1 as f64, y1 as f64);
            let r = r as f64;
            let (dx, dy) = (bx - ax, by - ay);
            let len2 = dx * dx + dy * dy;
            let xa = ((ax.min(bx) - r - 1.0).floor() as i64).max(0);
            let xb = ((ax.max(bx) + r + 1.0).ceil() as i64).min(w - 1);
            let ya = ((ay.min(by) - r - 1.0).floor() as i64).max(0);
            let yb = ((ay.max(by) + r + 1.0).ceil() as i64).min(h - 1);
            for py in ya..=yb {
                for px in xa..=xb {
                    let (qx, qy) = (px as f64 + 0.5 - ax, py as f64 + 0.5 - ay);
                    let t = if len2 > 0.0 { ((qx * dx + qy * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
                    let (ex, ey) = (qx - t * dx, qy - t * dy);
                    let dist = (ex * ex + ey * ey).sqrt();
                    // Coverage of the pixel (a one-pixel soft edge) and a tube's shading.
                    let cover = (r + 0.5 - dist).clamp(0.0, 1.0);
                    if cover <= 0.0 {
                        continue;
                    }
                    let shade = 0.55 + 0.45 * (1.0 - (dist / r.max(1e-9)).min(1.0).powi(2)).sqrt();
                    let k = ((py * w + px) * 3) as usize;
                    for j in 0..3 {
                        let want = c[j] as f64 * shade;
                        rgb[k + j] = (rgb[k + j] as f64 * (1.0 - cover) + want * cover).round() as u8;
                    }
                }
            }
        }
    }
}

//! The project's built-in cells, made here (not reconstructions of real neurons): a
//! deterministic generator of SWC text for a ball-and-stick neuron, a Y-shaped branch
//! and a layer 5 pyramidal cell.
//!
//! The same text comes out on every run and every platform: the only randomness is a
//! fixed-seed splitmix64 generator written here, and the only functions of `f64` used
//! are `+ - * /`, `sqrt` and `round` (all exactly rounded by IEEE 754); sines and
//! cosines come from a Taylor series written here, not from the platform's libm.
//! Coordinates are written with 2 decimals and radii with 3.
//!
//! The files in `morphologies/` are this module's output; `tests/builtin_cells.rs`
//! checks they are in sync and rewrites them when run with `DENDRA_WRITE_BUILTINS=1`.
//!
//! Conventions of all three cells: ids ascend from 1 and parents come before children;
//! a NeuroMorpho three-point soma (centre at the origin, two points at y = -r and
//! y = +r, parent 1); neurites leave the soma from its surface; +y is up (towards the
//! pia for the pyramidal cell). Units are um.

use std::fmt::Write as _;

/// The built-in cells, by name; the first is the app's default.
pub const BUILTIN_CELLS: &[&str] = &["l5_pyramidal", "ball_and_stick", "y_branch"];

/// SWC text of a built-in cell (`name` as in [`BUILTIN_CELLS`], with or without
/// `.swc`), or `None` for an unknown name.
pub fn builtin_swc(name: &str) -> Option<String> {
    match name.strip_suffix(".swc").unwrap_or(name) {
        "l5_pyramidal" => Some(l5_pyramidal()),
        "ball_and_stick" => Some(ball_and_stick()),
        "y_branch" => Some(y_branch()),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------
// Vectors, angles, random numbers.

type V3 = [f64; 3];

const SOMA: i32 = 1;
const AXON: i32 = 2;
const BASAL: i32 = 3;
const APICAL: i32 = 4;

const UP: V3 = [0.0, 1.0, 0.0];
const DEG: f64 = std::f64::consts::PI / 180.0;

fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn scale(a: V3, s: f64) -> V3 {
    [a[0] * s, a[1] * s, a[2] * s]
}

fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn norm(a: V3) -> f64 {
    dot(a, a).sqrt()
}

/// `a` scaled to length 1 (`UP` for a zero vector).
fn unit(a: V3) -> V3 {
    let n = norm(a);
    if n > 0.0 { scale(a, 1.0 / n) } else { UP }
}

/// Sine and cosine by Taylor series after reduction to [-pi, pi]: the same bits on
/// every platform (the platform's `sin`/`cos` need not be).
fn sin_cos(x: f64) -> (f64, f64) {
    let tau = 2.0 * std::f64::consts::PI;
    let r = x - (x / tau).round() * tau;
    let r2 = r * r;
    let (mut s, mut c) = (0.0, 0.0);
    let (mut ts, mut tc) = (r, 1.0);
    let mut k = 0.0;
    // |r| <= pi: the terms fall below 1e-17 well before 30.
    for _ in 0..30 {
        s += ts;
        c += tc;
        ts = -ts * r2 / ((k + 2.0) * (k + 3.0));
        tc = -tc * r2 / ((k + 1.0) * (k + 2.0));
        k += 2.0;
    }
    (s, c)
}

/// A direction at `polar` radians from `axis` (a unit vector along y, up or down) and
/// `azimuth` radians around it (0 along +x, pi/2 along +z).
fn direction(axis: V3, polar: f64, azimuth: f64) -> V3 {
    let (sp, cp) = sin_cos(polar);
    let (sa, ca) = sin_cos(azimuth);
    unit(add(scale(axis, cp), [sp * ca, 0.0, sp * sa]))
}

/// splitmix64: a tiny, fixed-seed generator (deterministic on every platform).
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Uniform in the unit ball.
    fn ball(&mut self) -> V3 {
        loop {
            let v = [self.range(-1.0, 1.0), self.range(-1.0, 1.0), self.range(-1.0, 1.0)];
            if dot(v, v) <= 1.0 {
                return v;
            }
        }
    }

    /// A random unit vector perpendicular to the unit vector `u`.
    fn perpendicular(&mut self, u: V3) -> V3 {
        loop {
            let v = self.ball();
            let p = sub(v, scale(u, dot(v, u)));
            if norm(p) > 0.1 {
                return unit(p);
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// SWC points and text.

struct Point {
    kind: i32,
    pos: V3,
    radius: f64,
    parent: i64,
}

/// The points of a cell, ids 1, 2, ... in push order.
struct Swc {
    points: Vec<Point>,
}

/// The end of a cable (or any written point) to grow from.
#[derive(Clone, Copy)]
struct Tip {
    id: i64,
    pos: V3,
    dir: V3,
}

impl Swc {
    /// A cell with a NeuroMorpho three-point soma of radius `r` at the origin (ids 1-3).
    fn with_soma(r: f64) -> Swc {
        let mut swc = Swc { points: Vec::new() };
        swc.push(SOMA, [0.0; 3], 2.0 * r, -1);
        swc.push(SOMA, [0.0, -r, 0.0], 2.0 * r, 1);
        swc.push(SOMA, [0.0, r, 0.0], 2.0 * r, 1);
        swc
    }

    /// Adds a point of diameter `diam`; returns its id.
    fn push(&mut self, kind: i32, pos: V3, diam: f64, parent: i64) -> i64 {
        self.points.push(Point { kind, pos, radius: diam / 2.0, parent });
        self.points.len() as i64
    }

    /// The soma's radius (the centre point's).
    fn soma_radius(&self) -> f64 {
        self.points[0].radius
    }

    /// A neurite's first point, on the soma surface in direction `dir`, child of the
    /// soma centre.
    fn on_soma(&mut self, kind: i32, dir: V3, diam: f64) -> Tip {
        let dir = unit(dir);
        let pos = scale(dir, self.soma_radius());
        let id = self.push(kind, pos, diam, 1);
        Tip { id, pos, dir }
    }

    /// The SWC text: `header` lines as `#` comments, then one line per point.
    fn text(&self, header: &[&str]) -> String {
        let mut s = String::new();
        for h in header {
            let _ = writeln!(s, "# {h}");
        }
        let _ = writeln!(s, "# id type x y z radius parent");
        // Rounded first, then + 0.0 turns -0.0 into 0.0 (no "-0.00" in the file).
        let fix = |v: f64, k: f64| (v * k).round() / k + 0.0;
        for (i, p) in self.points.iter().enumerate() {
            let [x, y, z] = p.pos.map(|v| fix(v, 100.0));
            let r = fix(p.radius, 1000.0);
            let _ = writeln!(s, "{} {} {x:.2} {y:.2} {z:.2} {r:.3} {}", i + 1, p.kind, p.parent);
        }
        s
    }
}

// ---------------------------------------------------------------------------------
// Growing cables and trees.

/// How a cable bends as it grows.
#[derive(Clone, Copy)]
struct Style {
    /// Distance between points (um).
    step: f64,
    /// Random deflection per step (length of a random vector in the unit ball).
    wander: f64,
    /// Pull per step back towards the aim.
    pull: f64,
    /// Weight, in the aim, of the horizontal direction away from the tree's origin.
    spread: f64,
    /// Weight, in the aim, of +y (negative: down).
    rise: f64,
}

/// A straight, even style (no randomness is drawn when `wander` is 0).
const STRAIGHT: Style = Style { step: 10.0, wander: 0.0, pull: 0.0, spread: 0.0, rise: 0.0 };

/// Grows a cable of path length `len` from `from` (whose point is not written again),
/// its own points' diameters going linearly from `d0` (first) to `d1` (last). Returns
/// its points. `origin` is where "away" points from for [`Style::spread`].
#[allow(clippy::too_many_arguments)]
fn cable(
    swc: &mut Swc,
    rng: &mut Rng,
    kind: i32,
    style: &Style,
    origin: V3,
    from: Tip,
    len: f64,
    (d0, d1): (f64, f64),
) -> Vec<Tip> {
    let n = ((len / style.step).round() as usize).max(1);
    let h = len / n as f64;
    let (mut pos, mut dir) = (from.pos, unit(from.dir));
    let aim0 = dir;
    let mut parent = from.id;
    let mut out = Vec::with_capacity(n);
    for k in 1..=n {
        if style.wander > 0.0 || style.pull > 0.0 {
            let away = sub(pos, origin);
            let away = [away[0], 0.0, away[2]];
            let away = if norm(away) > 1e-9 { unit(away) } else { [0.0; 3] };
            let aim = unit(add(add(aim0, scale(away, style.spread)), scale(UP, style.rise)));
            let kick = scale(rng.ball(), style.wander);
            dir = unit(add(add(dir, kick), scale(sub(aim, dir), style.pull)));
        }
        pos = add(pos, scale(dir, h));
        let f = if n > 1 { (k - 1) as f64 / (n - 1) as f64 } else { 1.0 };
        parent = swc.push(kind, pos, d0 + (d1 - d0) * f, parent);
        out.push(Tip { id: parent, pos, dir });
    }
    out
}

/// A binary tree: a segment per depth, each bifurcating until the last depth.
struct Tree<'a> {
    kind: i32,
    style: Style,
    /// Where "away" points from (see [`Style::spread`]).
    origin: V3,
    /// (shortest, longest) path length of the segments at each depth (um); the
    /// segments at the last depth are the terminals.
    lengths: &'a [(f64, f64)],
    /// Diameter at the root and at the tips (um); linear in depth between.
    diam: (f64, f64),
    /// (smallest, largest) angle of each daughter from the parent's direction (rad).
    half_angle: (f64, f64),
}

/// Grows `tree` from `from` (depth-first: a whole daughter subtree before the next).
fn grow(swc: &mut Swc, rng: &mut Rng, tree: &Tree, from: Tip, depth: usize) {
    let levels = tree.lengths.len();
    let (lo, hi) = tree.lengths[depth];
    let len = rng.range(lo, hi);
    let lerp = |f: f64| tree.diam.0 + (tree.diam.1 - tree.diam.0) * f;
    let d = (lerp(depth as f64 / levels as f64), lerp((depth + 1) as f64 / levels as f64));
    let pts = cable(swc, rng, tree.kind, &tree.style, tree.origin, from, len, d);
    let end = *pts.last().expect("a cable has points");
    if depth + 1 < levels {
        let w = rng.perpendicular(end.dir);
        let a = [
            rng.range(tree.half_angle.0, tree.half_angle.1),
            rng.range(tree.half_angle.0, tree.half_angle.1),
        ];
        for (a, sign) in a.into_iter().zip([1.0, -1.0]) {
            let (s, c) = sin_cos(a);
            let dir = unit(add(scale(end.dir, c), scale(w, sign * s)));
            grow(swc, rng, tree, Tip { dir, ..end }, depth + 1);
        }
    }
}

// ---------------------------------------------------------------------------------
// The cells.

fn ball_and_stick() -> String {
    let mut swc = Swc::with_soma(10.0);
    let from = swc.on_soma(BASAL, UP, 1.5);
    let mut rng = Rng(0);
    cable(&mut swc, &mut rng, BASAL, &STRAIGHT, [0.0; 3], from, 800.0, (1.5, 1.5));
    swc.text(&[
        "ball_and_stick.swc: generated by src/sim/builtin_cells.rs (Dendra); do not edit by hand.",
        "A ball-and-stick neuron: a soma of radius 10 um and one straight dendrite, 800 um long and \
         1.5 um thick, going up (+y).",
        "Units: um (x, y, z, radius). SWC types: 1 soma, 3 dendrite.",
    ])
}

fn y_branch() -> String {
    let mut swc = Swc::with_soma(8.0);
    let mut rng = Rng(0);
    let from = swc.on_soma(BASAL, UP, 3.0);
    let style = Style { step: 5.0, ..STRAIGHT };
    let trunk = cable(&mut swc, &mut rng, BASAL, &style, [0.0; 3], from, 200.0, (3.0, 2.0));
    let fork = *trunk.last().expect("a cable has points");
    for sign in [-1.0, 1.0] {
        let dir = direction(UP, 30.0 * DEG, if sign < 0.0 { std::f64::consts::PI } else { 0.0 });
        cable(&mut swc, &mut rng, BASAL, &style, [0.0; 3], Tip { dir, ..fork }, 250.0, (0.8, 0.5));
    }
    swc.text(&[
        "y_branch.swc: generated by src/sim/builtin_cells.rs (Dendra); do not edit by hand.",
        "A Y-shaped dendrite: soma of radius 8 um, a 200 um trunk (3 -> 2 um thick) and two thin 250 um \
         daughters (0.8 -> 0.5 um) 60 degrees apart, for NMDA spikes on a thin branch.",
        "Units: um (x, y, z, radius). SWC types: 1 soma, 3 dendrite.",
    ])
}

/// Apical trunk length, soma surface to nexus (um).
const L5_TRUNK_UM: f64 = 1000.0;

fn l5_pyramidal() -> String {
    let mut swc = Swc::with_soma(10.0);
    let seed = |k: u64| Rng(0xD3D2_A5EE_D000 + k);
    let down = scale(UP, -1.0);

    // Axon: down from the bottom of the soma, 300 um, 1 um thick.
    {
        let mut rng = seed(1);
        let from = swc.on_soma(AXON, down, 1.0);
        let style = Style { step: 10.0, wander: 0.05, pull: 0.2, spread: 0.0, rise: 0.0 };
        cable(&mut swc, &mut rng, AXON, &style, [0.0; 3], from, 300.0, (1.0, 1.0));
    }

    // Basal dendrites: 7 trees leaving down and sideways, each bifurcating 2 or 3 times.
    {
        let mut rng = seed(2);
        let style = Style { step: 8.0, wander: 0.12, pull: 0.12, spread: 0.5, rise: -0.25 };
        let two: &[(f64, f64)] = &[(20.0, 40.0), (40.0, 70.0), (80.0, 130.0)];
        let three: &[(f64, f64)] = &[(15.0, 30.0), (30.0, 50.0), (40.0, 70.0), (60.0, 100.0)];
        let n = 7;
        for i in 0..n {
            let lengths = if i % 3 == 1 { three } else { two };
            let azimuth = (i as f64 * 360.0 / n as f64 + rng.range(-15.0, 15.0)) * DEG;
            let polar = rng.range(40.0, 100.0) * DEG;
            let diam = (rng.range(1.1, 1.3), 0.5);
            let from = swc.on_soma(BASAL, direction(down, polar, azimuth), diam.0);
            let tree = Tree {
                kind: BASAL,
                style,
                origin: [0.0; 3],
                lengths,
                diam,
                half_angle: (20.0 * DEG, 40.0 * DEG),
            };
            grow(&mut swc, &mut rng, &tree, from, 0);
        }
    }

    // Apical trunk: up 1000 um to the nexus, 4.5 -> 2 um.
    let trunk = {
        let mut rng = seed(3);
        let from = swc.on_soma(APICAL, UP, 4.5);
        let style = Style { step: 10.0, wander: 0.04, pull: 0.15, spread: 0.0, rise: 0.0 };
        let mut pts = vec![from];
        pts.extend(cable(&mut swc, &mut rng, APICAL, &style, [0.0; 3], from, L5_TRUNK_UM, (4.5, 2.0)));
        pts
    };
    let step = L5_TRUNK_UM / (trunk.len() - 1) as f64;

    // Tuft: 4 branches from the nexus, spreading up and out, bifurcating 2 or 3 times.
    {
        let mut rng = seed(4);
        let nexus = *trunk.last().expect("the trunk has points");
        let style = Style { step: 8.0, wander: 0.1, pull: 0.12, spread: 0.35, rise: 0.25 };
        let two: &[(f64, f64)] = &[(90.0, 130.0), (90.0, 120.0), (110.0, 150.0)];
        let three: &[(f64, f64)] = &[(70.0, 100.0), (60.0, 90.0), (60.0, 90.0), (80.0, 110.0)];
        for i in 0..4 {
            let lengths = if i == 1 { three } else { two };
            let azimuth = (45.0 + 90.0 * i as f64 + rng.range(-20.0, 20.0)) * DEG;
            let polar = rng.range(25.0, 45.0) * DEG;
            let tree = Tree {
                kind: APICAL,
                style,
                origin: nexus.pos,
                lengths,
                diam: (1.5, 0.5),
                half_angle: (20.0 * DEG, 35.0 * DEG),
            };
            grow(&mut swc, &mut rng, &tree, Tip { dir: direction(UP, polar, azimuth), ..nexus }, 0);
        }
    }

    // Obliques: 10 branches leaving the trunk between 100 and 600 um, every other one
    // bifurcating once.
    {
        let mut rng = seed(5);
        let style = Style { step: 8.0, wander: 0.1, pull: 0.12, spread: 0.25, rise: 0.15 };
        let at = [120.0, 160.0, 200.0, 250.0, 300.0, 350.0, 410.0, 470.0, 530.0, 590.0];
        for (i, &p) in at.iter().enumerate() {
            let k = ((p + rng.range(-10.0, 10.0)) / step).round() as usize;
            let base = trunk[k];
            let azimuth = (i as f64 * 137.5 + rng.range(-20.0, 20.0)) * DEG;
            let polar = rng.range(40.0, 80.0) * DEG;
            let branched: &[(f64, f64)] = &[(50.0, 90.0), (70.0, 130.0)];
            let single: &[(f64, f64)] = &[(110.0, 240.0)];
            let tree = Tree {
                kind: APICAL,
                style,
                origin: base.pos,
                lengths: if i % 2 == 0 { branched } else { single },
                diam: (rng.range(1.1, 1.4), 0.6),
                half_angle: (20.0 * DEG, 35.0 * DEG),
            };
            grow(&mut swc, &mut rng, &tree, Tip { dir: direction(UP, polar, azimuth), ..base }, 0);
        }
    }

    swc.text(&[
        "l5_pyramidal.swc: generated by src/sim/builtin_cells.rs (Dendra); do not edit by hand.",
        "A layer 5 pyramidal neuron made up for Dendra (not a reconstruction): soma, axon, 7 basal trees, \
         a 1000 um apical trunk with 10 obliques and a 4-branch tuft; +y points to the pia.",
        "Units: um (x, y, z, radius). SWC types: 1 soma, 2 axon, 3 basal, 4 apical.",
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_names_resolve_and_text_is_deterministic() {
        assert_eq!(BUILTIN_CELLS[0], "l5_pyramidal");
        for name in BUILTIN_CELLS {
            let a = builtin_swc(name).unwrap();
            assert_eq!(a, builtin_swc(name).unwrap(), "{name}");
            assert_eq!(builtin_swc(&format!("{name}.swc")).as_deref(), Some(a.as_str()));
            assert!(!a.contains("-0.00 ") && !a.contains("NaN") && !a.contains("inf"), "{name}");
        }
        assert!(builtin_swc("nope").is_none());
    }

    #[test]
    fn builtin_sin_cos_matches_std() {
        for i in -400..=400 {
            let x = i as f64 * 0.05;
            let (s, c) = sin_cos(x);
            assert!((s - x.sin()).abs() < 1e-14 && (c - x.cos()).abs() < 1e-14, "{x}");
        }
    }

    #[test]
    fn builtin_three_point_soma() {
        let text = builtin_swc("y_branch").unwrap();
        let data: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).take(3).collect();
        assert_eq!(
            data,
            ["1 1 0.00 0.00 0.00 8.000 -1", "2 1 0.00 -8.00 0.00 8.000 1", "3 1 0.00 8.00 0.00 8.000 1"]
        );
    }
}

//! The cable equation's tree matrix and its O(N) solve (Hines 1984; NEURON's
//! `nrn_rhs`/`nrn_lhs` and `triang`/`bksub`, docs/biophysics.md 1.3-1.4).
//!
//! Rows are scaled as NEURON scales them: a membrane node's row is divided by its area
//! (coefficients in S/cm2, right-hand sides in mA/cm2), a zero-area node's row is kept in
//! uS and nA (NEURON's "area 100" convention). `scale[i]` = 100 / area (um2), or 1.

use crate::sim::cell::{Cell, NO_PARENT};

/// The tree matrix of one cell, in the delta form D dv + offdiag = rhs.
#[derive(Debug, Clone)]
pub struct CableMatrix {
    /// Parent of each node (`NO_PARENT` for node 0); parent < child.
    pub parent: Vec<u32>,
    /// Converts a point current (nA) or conductance (uS) at a node into the row's units.
    pub scale: Vec<f64>,
    /// Coefficient of dv[i] in the parent's row (S/cm2 or uS).
    pub a: Vec<f64>,
    /// Coefficient of dv[parent] in row i.
    pub b: Vec<f64>,
    /// The constant part of the diagonal: capacitance term plus axial terms.
    pub d_base: Vec<f64>,
    /// Working diagonal, rebuilt every step.
    pub d: Vec<f64>,
    /// Right-hand side; holds dv after [`CableMatrix::solve`].
    pub rhs: Vec<f64>,
    /// 1 / the eliminated diagonal, kept from the elimination for the back substitution.
    inv_d: Vec<f64>,
    /// The order of the solve's two passes ([`Schedule`]).
    sched: Schedule,
}

/// The order in which the solve visits the nodes. Hines order (parent before child)
/// would do, but along an unbranched run each node then waits for the division of the
/// one before it: the solve is a chain of dependent divisions. Visiting the nodes level
/// by level instead (the elimination by height above the deepest leaf below, the back
/// substitution by depth below the root), within windows of consecutive nodes, puts
/// independent nodes of different branches next to each other, so that the processor
/// overlaps their divisions, while staying within a few cache lines.
#[derive(Debug, Clone, Default)]
struct Schedule {
    /// Every non-root node with its parent, leaves first (every node after all of its
    /// children), two independent ones at a time: [node, parent, node, parent] from the
    /// same level, or [node, parent, NONE, NONE] for a level's odd one out. The two
    /// divisions of a pair go in one instruction.
    elim: Vec<[u32; 4]>,
    /// (node, parent) of every non-root node, nearest the root first.
    subst: Vec<(u32, u32)>,
    /// The parent of every node in node order (checked: below the node), NONE for the
    /// root.
    parent: Vec<u32>,
    /// Number of nodes.
    n: usize,
}

impl Schedule {
    /// The schedule of a tree given by `parent` in Hines order (panics otherwise: the
    /// solve relies on it).
    fn new(parent: &[u32]) -> Schedule {
        assert!(is_hines_ordered(parent) || parent.is_empty(), "the cable matrix needs Hines order");
        let n = parent.len();
        if n <= 1 {
            return Schedule { n, ..Schedule::default() };
        }
        // Height: 0 for a leaf, 1 + the greatest height of the children.
        let mut height = vec![0u32; n];
        for i in (1..n).rev() {
            let p = parent[i] as usize;
            height[p] = height[p].max(height[i] + 1);
        }
        let mut depth = vec![0u32; n];
        for i in 1..n {
            depth[i] = depth[parent[i] as usize] + 1;
        }
        // Windows of WINDOW consecutive nodes, in reverse Hines order for the elimination
        // and in Hines order for the back substitution, each sorted by height (depth):
        // a child always precedes its parent (it is in the same window with a smaller
        // height, or in an earlier window), and nodes far apart in memory are never
        // interleaved, so that big cells keep their locality.
        let mut elim: Vec<u32> = (1..n as u32).rev().collect();
        for w in elim.chunks_mut(WINDOW) {
            // Stable: within a level, later nodes first (as the plain reverse sweep goes).
            w.sort_by_key(|&i| height[i as usize]);
        }
        let mut subst: Vec<u32> = (1..n as u32).collect();
        for w in subst.chunks_mut(WINDOW) {
            w.sort_by_key(|&i| depth[i as usize]);
        }
        let mut pairs = Vec::with_capacity(elim.len() / 2 + 1);
        for level in
            elim.chunks(WINDOW).flat_map(|w| w.chunk_by(|&x, &y| height[x as usize] == height[y as usize]))
        {
            for two in level.chunks(2) {
                let (i, p) = (two[0], parent[two[0] as usize]);
                pairs.push(match two.get(1) {
                    Some(&j) => [i, p, j, parent[j as usize]],
                    None => [i, p, NONE, NONE],
                });
            }
        }
        let pair = |i: u32| (i, parent[i as usize]);
        Schedule { elim: pairs, subst: subst.into_iter().map(pair).collect(), parent: parent.to_vec(), n }
    }
}

impl CableMatrix {
    /// Sets up the matrix of `cell` for time step `dt` (ms). `cn` selects
    /// Crank-Nicolson (NEURON's secondorder = 2: capacitance term 2/dt) instead of
    /// backward Euler (1/dt).
    pub fn new(cell: &Cell, dt: f64, cn: bool) -> CableMatrix {
        let n = cell.node_count();
        let scale: Vec<f64> = cell.area.iter().map(|&a| if a > 0.0 { 100.0 / a } else { 1.0 }).collect();
        let mut m = CableMatrix {
            parent: cell.parent.clone(),
            scale,
            a: vec![0.0; n],
            b: vec![0.0; n],
            d_base: vec![0.0; n],
            d: vec![0.0; n],
            rhs: vec![0.0; n],
            inv_d: vec![0.0; n],
            sched: Schedule::new(&cell.parent),
        };
        m.set_dt(cell, dt, cn);
        m
    }

    /// Recomputes the constant diagonal for a new dt or integration method.
    pub fn set_dt(&mut self, cell: &Cell, dt: f64, cn: bool) {
        let cj = if cn { 2.0 / dt } else { 1.0 / dt };
        let n = self.parent.len();
        for i in 0..n {
            // cm [uF/cm2] * cj [1/ms] * 1e-3 -> S/cm2
            self.d_base[i] = if cell.area[i] > 0.0 { 1e-3 * cell.cm[i] * cj } else { 0.0 };
        }
        for i in 1..n {
            let p = self.parent[i] as usize;
            let g = cell.g_axial[i];
            // Axial conductance to the parent in this row's units, and to this node in the
            // parent row's.
            let (g_self, g_parent) = (self.scale[i] * g, self.scale[p] * g);
            self.b[i] = -g_self;
            self.a[i] = -g_parent;
            self.d_base[i] += g_self;
            self.d_base[p] += g_parent;
        }
    }

    /// Starts a step: diagonal from its constant part, right-hand side with the axial
    /// currents at voltages `v`.
    #[inline]
    pub fn begin(&mut self, v: &[f64]) {
        let n = self.parent.len();
        assert!(v.len() >= n && self.rhs.len() == n && self.d.len() == n && self.sched.n == n);
        if n == 0 {
            return;
        }
        let (a, b, parent) = (&self.a[..n], &self.b[..n], &self.sched.parent[..n]);
        let (v, rhs, d, d_base) = (&v[..n], &mut self.rhs[..n], &mut self.d[..n], &self.d_base[..n]);
        rhs[0] = 0.0;
        d[0] = d_base[0];
        // One pass in node order, which is Hines order: row i is set when i is reached
        // (the diagonal's constant part, its parent's axial contribution), and its
        // children, which all come later, add theirs.
        for i in 1..n {
            let p = parent[i] as usize;
            d[i] = d_base[i];
            // SAFETY: p < i (Hines order, checked when the schedule was made).
            // The axial currents: g_self dv into this row, g_parent dv out of the parent's
            // (b = -g_self, a = -g_parent: the same numbers).
            unsafe {
                let dv = *v.get_unchecked(p) - v[i];
                rhs[i] = -b[i] * dv;
                *rhs.get_unchecked_mut(p) += a[i] * dv;
            }
        }
    }

    /// Solves in place: afterwards `rhs` holds dv. O(N), no fill-in; the nodes are
    /// visited in [`Schedule`]'s order.
    #[inline]
    pub fn solve(&mut self) {
        let n = self.parent.len();
        if n == 0 {
            return;
        }
        let (a, b) = (&self.a[..n], &self.b[..n]);
        let (d, rhs, inv_d) = (&mut self.d[..n], &mut self.rhs[..n], &mut self.inv_d[..n]);
        assert_eq!(self.sched.n, n);
        // SAFETY (both loops): the schedule holds the non-root nodes of this n-node tree
        // in Hines order (checked when it was made) with their parents, all below n; NONE
        // only in the second half of a pair, which is then skipped.
        for &[i, p, j, q] in &self.sched.elim {
            let (i, p) = (i as usize, p as usize);
            unsafe {
                let (inv_i, inv_j) = if j == NONE {
                    (1.0 / *d.get_unchecked(i), 0.0)
                } else {
                    reciprocals(*d.get_unchecked(i), *d.get_unchecked(j as usize))
                };
                *inv_d.get_unchecked_mut(i) = inv_i;
                *d.get_unchecked_mut(p) -= *a.get_unchecked(i) * *b.get_unchecked(i) * inv_i;
                *rhs.get_unchecked_mut(p) -= *a.get_unchecked(i) * inv_i * *rhs.get_unchecked(i);
                if j != NONE {
                    let (j, q) = (j as usize, q as usize);
                    *inv_d.get_unchecked_mut(j) = inv_j;
                    *d.get_unchecked_mut(q) -= *a.get_unchecked(j) * *b.get_unchecked(j) * inv_j;
                    *rhs.get_unchecked_mut(q) -= *a.get_unchecked(j) * inv_j * *rhs.get_unchecked(j);
                }
            }
        }
        rhs[0] /= d[0];
        for &(i, p) in &self.sched.subst {
            let (i, p) = (i as usize, p as usize);
            // SAFETY: as above.
            unsafe {
                let x = (*rhs.get_unchecked(i) - *b.get_unchecked(i) * *rhs.get_unchecked(p))
                    * *inv_d.get_unchecked(i);
                *rhs.get_unchecked_mut(i) = x;
            }
        }
    }
}

/// Nodes per window of the solve's schedule ([`Schedule`]): big enough for a dozen
/// independent chains at each level (windows of 128 or fewer nodes measured twice as slow),
/// small enough for the window's rows to stay in cache (one window over a whole cell of
/// 20,000 nodes measured 50% slower).
const WINDOW: usize = 1024;

/// The second half of a pair that has none.
const NONE: u32 = u32::MAX;

/// (1/x, 1/y), both correctly rounded, in one division instruction where there is one.
#[inline(always)]
fn reciprocals(x: f64, y: f64) -> (f64, f64) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_cvtsd_f64, _mm_div_pd, _mm_set_pd, _mm_set1_pd, _mm_unpackhi_pd};
        // SAFETY: SSE2 is part of every x86-64 processor.
        unsafe {
            let q = _mm_div_pd(_mm_set1_pd(1.0), _mm_set_pd(y, x));
            (_mm_cvtsd_f64(q), _mm_cvtsd_f64(_mm_unpackhi_pd(q, q)))
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        (1.0 / x, 1.0 / y)
    }
}

/// True when every node's parent comes before it.
pub fn is_hines_ordered(parent: &[u32]) -> bool {
    parent.first().is_some_and(|&p| p == NO_PARENT)
        && parent.iter().enumerate().skip(1).all(|(i, &p)| (p as usize) < i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::Rng;
    use nalgebra::{DMatrix, DVector};

    /// The Hines solve equals a dense solve of the same tree matrix.
    #[test]
    fn hines_solve_matches_dense_lu_on_random_trees() {
        let mut rng = Rng::new(11);
        for n in [1usize, 2, 5, 40, 200, 1500] {
            let mut parent = vec![NO_PARENT];
            for i in 1..n {
                parent.push((rng.uniform() * i as f64) as u32);
            }
            assert!(is_hines_ordered(&parent));
            let a: Vec<f64> = (0..n).map(|_| -rng.uniform()).collect();
            let b: Vec<f64> = (0..n).map(|_| -rng.uniform()).collect();
            // Diagonally dominant, like a cable matrix.
            let d: Vec<f64> = (0..n).map(|_| 5.0 + rng.uniform()).collect();
            let rhs: Vec<f64> = (0..n).map(|_| rng.uniform() - 0.5).collect();
            let mut dense = DMatrix::<f64>::zeros(n, n);
            for i in 0..n {
                dense[(i, i)] = d[i];
                if i > 0 {
                    let p = parent[i] as usize;
                    dense[(i, p)] = b[i];
                    dense[(p, i)] = a[i];
                }
            }
            let expect = dense.lu().solve(&DVector::from_vec(rhs.clone())).unwrap();
            let mut m = CableMatrix {
                sched: Schedule::new(&parent),
                parent: parent.clone(),
                scale: vec![1.0; n],
                a,
                b,
                d_base: d.clone(),
                d,
                rhs,
                inv_d: vec![0.0; n],
            };
            m.solve();
            for i in 0..n {
                assert!(
                    (m.rhs[i] - expect[i]).abs() < 1e-12,
                    "n {n} node {i}: {} vs {}",
                    m.rhs[i],
                    expect[i]
                );
            }
        }
    }
}

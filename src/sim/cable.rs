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
    /// Coefficient of `dv[i]` in the parent's row (S/cm2 or uS).
    pub a: Vec<f64>,
    /// Coefficient of `dv[parent]` in row i.
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
    /// The first `roots` nodes have no parent: 1 for a cell; more for a part of a cell
    /// split between threads ([`CableMatrix::tail`]).
    roots: usize,
    /// With a solve rooted elsewhere than node 0 ([`CableMatrix::prefix`]), the axial
    /// coefficients as the solve sees them: `a` and `b` but at the turned edges, whose
    /// child in the solve is the parent in the cell (then a and b trade places).
    turned_ab: Option<(Vec<f64>, Vec<f64>)>,
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
    /// With *junctions* (see [`CableMatrix::prefix`]): `elim[..elim_path]` are the
    /// nodes off the path, `elim[elim_path..]` those on it; `subst[..subst_path]` the
    /// nodes on the path, `subst[subst_path..]` the others. Without: `elim.len()` and 0.
    elim_path: usize,
    subst_path: usize,
    /// The root of the solve: 0, or with junctions their nearest common ancestor.
    root: usize,
    /// With junctions, the root's ancestors, nearest first: their edges are turned
    /// round in the solve (each one's parent there is the one before it, the first one's
    /// the root).
    turned: Vec<u32>,
    /// The parent of every node in node order (checked: below the node), NONE for the
    /// roots.
    parent: Vec<u32>,
    /// Number of nodes.
    n: usize,
}

impl Schedule {
    /// The schedule of a forest given by `parent` whose first `roots` nodes are its roots,
    /// in Hines order (panics otherwise: the solve relies on it).
    ///
    /// With `junctions` (a tree: `roots` = 1) the solve is rooted at their nearest common
    /// ancestor instead of node 0, so that everything but the *path*, the nodes between
    /// the junctions and that root, can be eliminated before the junctions' rows are
    /// complete, and the junctions' dv are known right after the path's are.
    fn new(parent: &[u32], roots: usize, junctions: Option<&[u32]>) -> Schedule {
        assert!(is_forest_ordered(parent, roots) || parent.is_empty(), "the cable matrix needs Hines order");
        let n = parent.len();
        if n <= roots {
            return Schedule { n, parent: parent.to_vec(), ..Schedule::default() };
        }
        // Height: 0 for a leaf, 1 + the greatest height of the children.
        let mut height = vec![0u32; n];
        for i in (roots..n).rev() {
            let p = parent[i] as usize;
            height[p] = height[p].max(height[i] + 1);
        }
        let mut depth = vec![0u32; n];
        for i in roots..n {
            depth[i] = depth[parent[i] as usize] + 1;
        }
        // The path, its root and the turned edges (none without junctions).
        let (mut on_path, mut root, mut turned) = (vec![false; n], 0usize, Vec::new());
        if let Some(junctions) = junctions.filter(|j| !j.is_empty() && roots == 1) {
            // Junctions in each node's subtree; the root is the deepest node with all.
            let mut count = vec![0usize; n];
            junctions.iter().for_each(|&j| count[j as usize] += 1);
            for i in (1..n).rev() {
                count[parent[i] as usize] += count[i];
            }
            root = (0..n).rev().find(|&i| count[i] == junctions.len()).unwrap_or(0);
            let mut up = root;
            while up != 0 {
                up = parent[up] as usize;
                turned.push(up as u32);
            }
            // Below the root (larger index, a descendant: its root path reaches it).
            for i in root + 1..n {
                let p = parent[i] as usize;
                on_path[i] = count[i] > 0 && (p == root || on_path[p]);
            }
        }
        let mut off = vec![true; n];
        off[root] = false;
        turned.iter().for_each(|&u| off[u as usize] = false);
        // Windows of WINDOW consecutive nodes, in reverse Hines order for the elimination
        // and in Hines order for the back substitution, each sorted by height (depth):
        // a child always precedes its parent (it is in the same window with a smaller
        // height, or in an earlier window), and nodes far apart in memory are never
        // interleaved, so that big cells keep their locality.
        let mut elim: Vec<u32> =
            (0..n as u32).rev().filter(|&i| off[i as usize] && i as usize >= roots).collect();
        for w in elim.chunks_mut(WINDOW) {
            // Stable: within a level, later nodes first (as the plain reverse sweep goes).
            w.sort_by_key(|&i| height[i as usize]);
        }
        let mut subst: Vec<u32> = (0..n as u32).filter(|&i| off[i as usize] && i as usize >= roots).collect();
        for w in subst.chunks_mut(WINDOW) {
            w.sort_by_key(|&i| depth[i as usize]);
        }
        // Pairs of nodes of the same height (never one the other's ancestor), level by
        // level in the order given.
        let pairs_of = |order: &[u32]| {
            let mut pairs = Vec::with_capacity(order.len() / 2 + 1);
            for level in order.chunk_by(|&x, &y| height[x as usize] == height[y as usize]) {
                for two in level.chunks(2) {
                    let (i, p) = (two[0], parent[two[0] as usize]);
                    pairs.push(match two.get(1) {
                        Some(&j) => [i, p, j, parent[j as usize]],
                        None => [i, p, NONE, NONE],
                    });
                }
            }
            pairs
        };
        // A turned node's parent in the solve: the one before it, the first one's the root.
        let turned_parent = |k: usize| if k == 0 { root as u32 } else { turned[k - 1] };
        let (late, early): (Vec<u32>, Vec<u32>) = elim.iter().partition(|&&i| on_path[i as usize]);
        let mut pairs = pairs_of(&early);
        // The turned edges last, node 0 first (after all of its other children).
        pairs.extend((0..turned.len()).rev().map(|k| [turned[k], turned_parent(k), NONE, NONE]));
        let elim_path = pairs.len();
        pairs.extend(pairs_of(&late));
        let (first, rest): (Vec<u32>, Vec<u32>) = subst.iter().partition(|&&i| on_path[i as usize]);
        let pair = |&i: &u32| (i, parent[i as usize]);
        let mut subst: Vec<(u32, u32)> = first.iter().map(pair).collect();
        let subst_path = subst.len();
        subst.extend((0..turned.len()).map(|k| (turned[k], turned_parent(k))));
        subst.extend(rest.iter().map(pair));
        Schedule { elim: pairs, elim_path, subst_path, subst, root, turned, parent: parent.to_vec(), n }
    }
}

impl CableMatrix {
    /// Sets up the matrix of `cell` for time step `dt` (ms). `cn` selects
    /// Crank-Nicolson (NEURON's secondorder = 2: capacitance term 2/dt) instead of
    /// backward Euler (1/dt).
    pub fn new(cell: &Cell, dt: f64, cn: bool) -> CableMatrix {
        let coeffs = (&cell.area[..], &cell.cm[..], &cell.g_axial[..]);
        CableMatrix::forest(cell.parent.clone(), 1, None, coeffs, dt, cn)
    }

    /// The matrix of a forest whose first `roots` nodes are roots, with each node's area
    /// (um2), specific capacitance (uF/cm2) and axial conductance to its parent (uS).
    fn forest(
        parent: Vec<u32>,
        roots: usize,
        junctions: Option<&[u32]>,
        coeffs: (&[f64], &[f64], &[f64]),
        dt: f64,
        cn: bool,
    ) -> Self {
        let n = parent.len();
        let scale: Vec<f64> = coeffs.0.iter().map(|&a| if a > 0.0 { 100.0 / a } else { 1.0 }).collect();
        let mut m = CableMatrix {
            sched: Schedule::new(&parent, roots, junctions),
            parent,
            scale,
            a: vec![0.0; n],
            b: vec![0.0; n],
            d_base: vec![0.0; n],
            d: vec![0.0; n],
            rhs: vec![0.0; n],
            inv_d: vec![0.0; n],
            roots,
            turned_ab: None,
        };
        m.coefficients(coeffs, dt, cn);
        if !m.sched.turned.is_empty() {
            let (mut a, mut b) = (m.a.clone(), m.b.clone());
            // Turned node u (the k-th): its edge is that of the node before it (the
            // root for the first), whose parent it is in the cell.
            for (k, &u) in m.sched.turned.iter().enumerate() {
                let c = if k == 0 { m.sched.root } else { m.sched.turned[k - 1] as usize };
                (a[u as usize], b[u as usize]) = (m.b[c], m.a[c]);
            }
            m.turned_ab = Some((a, b));
        }
        m
    }

    /// The rows of `cell`'s nodes `0..s` alone: a tree of its own, node 0 its root, with
    /// the axial terms among those nodes only (the part of a cell split between threads
    /// that keeps the root; `0 < s <= n`), solved in three parts around the `junctions`
    /// (nodes below `s`): the solve is rooted at their nearest common ancestor, and the
    /// *path* is the nodes between it and them. [`CableMatrix::eliminate_off_path`] can
    /// run before the junctions' rows are complete; [`CableMatrix::solve_path`] then
    /// gives the dv of the path (the junctions' among them), before
    /// [`CableMatrix::substitute_off_path`] gives the others'. Only the middle part, as
    /// short as the path, needs the other thread's numbers.
    pub fn prefix(cell: &Cell, s: usize, junctions: &[u32], dt: f64, cn: bool) -> CableMatrix {
        let coeffs = (&cell.area[..s], &cell.cm[..s], &cell.g_axial[..s]);
        CableMatrix::forest(cell.parent[..s].to_vec(), 1, Some(junctions), coeffs, dt, cn)
    }

    /// The rows of `cell`'s nodes `s..n` (`0 < s < n`; every descendant of such a node is
    /// one too), hanging from the nodes below `s` they attach to, the *junctions*
    /// (returned, in increasing order). Local row `j` < J is junction `j`: only the axial
    /// terms of its children in `s..n` (its capacitance and mechanisms stay in the
    /// prefix's row), so that the prefix's row plus this one is the cell's row. Local
    /// row J + k is node s + k. After [`CableMatrix::eliminate`] a junction's row holds
    /// what the prefix must add to the junction's row before its own elimination; once
    /// the junctions' dv are put in `rhs[..J]`, [`CableMatrix::substitute`] gives the dv
    /// of the others.
    pub fn tail(cell: &Cell, s: usize, dt: f64, cn: bool) -> (CableMatrix, Vec<u32>) {
        let n = cell.node_count();
        let mut junctions: Vec<u32> = (s..n).map(|i| cell.parent[i]).filter(|&p| (p as usize) < s).collect();
        junctions.sort_unstable();
        junctions.dedup();
        let jn = junctions.len();
        let local = |g: u32| -> u32 {
            if (g as usize) < s {
                junctions.binary_search(&g).map(|j| j as u32).unwrap_or(NO_PARENT)
            } else {
                jn as u32 + g - s as u32
            }
        };
        let mut parent = vec![NO_PARENT; jn];
        parent.extend((s..n).map(|i| local(cell.parent[i])));
        let pick = |x: &[f64], at_junction: &dyn Fn(usize) -> f64| -> Vec<f64> {
            junctions.iter().map(|&p| at_junction(p as usize)).chain(x[s..n].iter().copied()).collect()
        };
        let area = pick(&cell.area, &|p| cell.area[p]);
        let cm = pick(&cell.cm, &|_| 0.0);
        let g_axial = pick(&cell.g_axial, &|_| 0.0);
        (CableMatrix::forest(parent, jn, None, (&area, &cm, &g_axial), dt, cn), junctions)
    }

    /// Recomputes the constant diagonal for a new dt or integration method.
    pub fn set_dt(&mut self, cell: &Cell, dt: f64, cn: bool) {
        self.coefficients((&cell.area, &cell.cm, &cell.g_axial), dt, cn);
    }

    fn coefficients(&mut self, (area, cm, g_axial): (&[f64], &[f64], &[f64]), dt: f64, cn: bool) {
        let cj = if cn { 2.0 / dt } else { 1.0 / dt };
        let n = self.parent.len();
        for i in 0..n {
            // cm [uF/cm2] * cj [1/ms] * 1e-3 -> S/cm2
            self.d_base[i] = if area[i] > 0.0 { 1e-3 * cm[i] * cj } else { 0.0 };
        }
        for i in self.roots..n {
            let p = self.parent[i] as usize;
            let g = g_axial[i];
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
        let roots = self.roots.min(n);
        rhs[..roots].fill(0.0);
        d[..roots].copy_from_slice(&d_base[..roots]);
        // One pass in node order, which is Hines order: row i is set when i is reached
        // (the diagonal's constant part, its parent's axial contribution), and its
        // children, which all come later, add theirs.
        for i in roots..n {
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
    /// visited in `Schedule`'s order.
    #[inline]
    pub fn solve(&mut self) {
        if self.parent.is_empty() {
            return;
        }
        assert_eq!(self.roots, 1, "a forest is solved with eliminate and substitute");
        self.eliminate();
        self.rhs[0] /= self.d[0];
        self.substitute();
    }

    /// The first half of the solve: every non-root row eliminated into its parent's,
    /// children first. Afterwards a root's `d` and `rhs` are final.
    #[inline]
    pub fn eliminate(&mut self) {
        self.eliminate_pairs(0..self.sched.elim.len());
    }

    /// [`CableMatrix::prefix`]'s first part: the rows off the path eliminated.
    #[inline]
    pub fn eliminate_off_path(&mut self) {
        self.eliminate_pairs(0..self.sched.elim_path);
    }

    /// [`CableMatrix::prefix`]'s second part, once the path's rows are complete: the
    /// rows of the path eliminated, the root's dv, the path's dv.
    #[inline]
    pub fn solve_path(&mut self) {
        assert_eq!(self.roots, 1, "a forest is solved with eliminate and substitute");
        self.eliminate_pairs(self.sched.elim_path..self.sched.elim.len());
        let r = self.sched.root;
        if r < self.rhs.len() {
            self.rhs[r] /= self.d[r];
        }
        self.substitute_pairs(0..self.sched.subst_path);
    }

    /// [`CableMatrix::prefix`]'s last part: the dv of the nodes off the path.
    #[inline]
    pub fn substitute_off_path(&mut self) {
        self.substitute_pairs(self.sched.subst_path..self.sched.subst.len());
    }

    /// Eliminates the rows of `self.sched.elim[range]`.
    #[inline]
    fn eliminate_pairs(&mut self, range: std::ops::Range<usize>) {
        let n = self.parent.len();
        let (a, b) = match &self.turned_ab {
            Some((a, b)) => (&a[..n], &b[..n]),
            None => (&self.a[..n], &self.b[..n]),
        };
        let (d, rhs, inv_d) = (&mut self.d[..n], &mut self.rhs[..n], &mut self.inv_d[..n]);
        assert_eq!(self.sched.n, n);
        // SAFETY: the schedule holds the non-root nodes of this n-node forest in Hines
        // order (checked when it was made) with their parents, all below n; NONE only in
        // the second half of a pair, which is then skipped.
        for &[i, p, j, q] in &self.sched.elim[range] {
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
    }

    /// The second half of the solve, once the roots' `rhs` hold their dv: every other
    /// node's dv, parents first.
    #[inline]
    pub fn substitute(&mut self) {
        self.substitute_pairs(0..self.sched.subst.len());
    }

    /// Substitutes the nodes of `self.sched.subst[range]`.
    #[inline]
    fn substitute_pairs(&mut self, range: std::ops::Range<usize>) {
        let n = self.parent.len();
        let b = self.turned_ab.as_ref().map_or(&self.b[..n], |(_, b)| &b[..n]);
        let (rhs, inv_d) = (&mut self.rhs[..n], &self.inv_d[..n]);
        assert_eq!(self.sched.n, n);
        for &(i, p) in &self.sched.subst[range] {
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
    is_forest_ordered(parent, 1)
}

/// True when the first `roots` nodes (at least one) have no parent and every other
/// node's parent comes before it.
fn is_forest_ordered(parent: &[u32], roots: usize) -> bool {
    roots >= 1
        && parent.len() >= roots
        && parent[..roots].iter().all(|&p| p == NO_PARENT)
        && parent.iter().enumerate().skip(roots).all(|(i, &p)| (p as usize) < i)
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
                sched: Schedule::new(&parent, 1, None),
                parent: parent.clone(),
                scale: vec![1.0; n],
                a,
                b,
                d_base: d.clone(),
                d,
                rhs,
                inv_d: vec![0.0; n],
                roots: 1,
                turned_ab: None,
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

    /// A cell's matrix split at node s: the prefix (solved around the junctions) and the
    /// tail, exchanging the junction rows and dv, solve it as the whole matrix does.
    #[test]
    fn split_solve_matches_the_whole() {
        use crate::sim::cell::{Nseg, Passive};
        use crate::sim::morphology::{Morphology, Region, Section};
        use nalgebra::{Point3, Vector3};
        let mut rng = Rng::new(5);
        // A random tree of sections: a soma and a dendrite, then each new section hangs
        // on a random earlier one.
        let mut morph = Morphology::soma_and_dendrite(20.0, 20.0, 100.0, 1.0, Region::Apical);
        for k in 2..40 {
            let parent = (rng.uniform() * k as f64) as usize;
            let dir = Vector3::new(rng.uniform() - 0.5, rng.uniform() - 0.5, 1.0).normalize();
            let len = 20.0 + 100.0 * rng.uniform();
            morph.sections.push(Section::cylinder(
                format!("d{k}"),
                Region::Apical,
                Some(parent),
                1.0,
                Point3::origin(),
                dir,
                len,
                0.5 + 2.0 * rng.uniform(),
            ));
        }
        let cell = Cell::new(morph, Passive::uniform(40, 100.0, 1.0), &Nseg::Uniform(3)).unwrap();
        let n = cell.node_count();
        let v: Vec<f64> = (0..n).map(|_| -70.0 + 20.0 * rng.uniform()).collect();
        let extra: Vec<(f64, f64)> = (0..n).map(|_| (rng.uniform() * 0.01, rng.uniform() - 0.5)).collect();
        let mut whole = CableMatrix::new(&cell, 0.025, false);
        whole.begin(&v);
        for i in 0..n {
            whole.d[i] += extra[i].0;
            whole.rhs[i] += extra[i].1;
        }
        whole.solve();
        let mut turned = 0;
        for s in [1, 2, n / 3, n / 2, n - 7, n - 1] {
            let (mut tail, junctions) = CableMatrix::tail(&cell, s, 0.025, false);
            let mut head = CableMatrix::prefix(&cell, s, &junctions, 0.025, false);
            let jn = junctions.len();
            turned += head.sched.turned.len();
            let tv: Vec<f64> =
                junctions.iter().map(|&p| v[p as usize]).chain(v[s..].iter().copied()).collect();
            head.begin(&v[..s]);
            tail.begin(&tv);
            for i in 0..n {
                if i < s {
                    head.d[i] += extra[i].0;
                    head.rhs[i] += extra[i].1;
                } else {
                    tail.d[jn + i - s] += extra[i].0;
                    tail.rhs[jn + i - s] += extra[i].1;
                }
            }
            head.eliminate_off_path();
            tail.eliminate();
            for (j, &p) in junctions.iter().enumerate() {
                head.d[p as usize] += tail.d[j];
                head.rhs[p as usize] += tail.rhs[j];
            }
            head.solve_path();
            for (j, &p) in junctions.iter().enumerate() {
                tail.rhs[j] = head.rhs[p as usize];
            }
            head.substitute_off_path();
            tail.substitute();
            for i in 0..n {
                let x = if i < s { head.rhs[i] } else { tail.rhs[jn + i - s] };
                assert!(
                    (x - whole.rhs[i]).abs() <= 1e-12 * whole.rhs[i].abs().max(1e-3),
                    "s {s} node {i}: {x} vs {}",
                    whole.rhs[i]
                );
            }
        }
        assert!(turned > 0, "some split solves from elsewhere than node 0");
    }
}

//! Where a mechanism keeps each node's values: laid out so that its loops run over
//! contiguous node ranges (plain slices of `v`, `rhs` and `d`, which the compiler
//! vectorises) instead of gathering and scattering through a node list.
//!
//! A region's nodes are mostly consecutive: the segments of a section are numbered one
//! after the other, and only the zero-area node at each section's end (or a node of
//! another region) falls between two sections. The layout gives every node of the
//! mechanism a storage position, in the order given, and pads the small gaps between
//! nodes that nearly follow each other with positions of their own, so that a whole
//! region becomes one *span*: positions `pos..pos + len` hold nodes `node..node + len`.
//!
//! - The current phase runs over the spans, gaps included: a padding position has zero
//!   conductance (its parameters are never set), so it adds exactly 0.0 to `rhs` and `d`.
//!   Only mechanisms whose sole effect is their current may use the spans.
//! - The state phase runs over the *runs*: the maximal stretches of nodes that are truly
//!   the mechanism's and consecutive, skipping the padding.
//! - Parameters and states by index (in the order of [`Layout::nodes`]) go through
//!   [`Layout::pos`].

/// Positions `pos..pos + len` hold nodes `node..node + len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub node: u32,
    pub pos: u32,
    pub len: u32,
}

impl Run {
    /// The node range.
    #[inline(always)]
    pub fn nodes(&self) -> std::ops::Range<usize> {
        self.node as usize..(self.node + self.len) as usize
    }
    /// The position range.
    #[inline(always)]
    pub fn positions(&self) -> std::ops::Range<usize> {
        self.pos as usize..(self.pos + self.len) as usize
    }
}

/// Largest gap (in nodes) padded over between two nodes that follow each other in the
/// list: a section's end node, and a little more.
pub const MAX_GAP: u32 = 2;

/// The storage layout of a mechanism over a list of nodes.
#[derive(Debug, Clone)]
pub struct Layout {
    nodes: Vec<u32>,
    /// Storage position of each node, by index in `nodes`.
    pos: Vec<u32>,
    spans: Vec<Run>,
    runs: Vec<Run>,
    width: usize,
    bound: usize,
}

impl Layout {
    /// The layout of `nodes`, in the order given (repeated or unsorted nodes just make
    /// more runs).
    pub fn new(nodes: Vec<u32>) -> Layout {
        let mut pos = Vec::with_capacity(nodes.len());
        let mut spans: Vec<Run> = Vec::new();
        let mut runs: Vec<Run> = Vec::new();
        let mut width = 0u32;
        for (k, &n) in nodes.iter().enumerate() {
            let prev = k.checked_sub(1).map(|j| nodes[j]);
            match prev {
                // The next node: extend the span and the run.
                Some(p) if n.checked_sub(p) == Some(1) => {
                    spans.last_mut().expect("span").len += 1;
                    runs.last_mut().expect("run").len += 1;
                }
                // A small gap: pad over it, start a new run.
                Some(p) if n > p && n - p - 1 <= MAX_GAP => {
                    let gap = n - p - 1;
                    width += gap;
                    spans.last_mut().expect("span").len += gap + 1;
                    runs.push(Run { node: n, pos: width, len: 1 });
                }
                _ => {
                    spans.push(Run { node: n, pos: width, len: 1 });
                    runs.push(Run { node: n, pos: width, len: 1 });
                }
            }
            pos.push(width);
            width += 1;
        }
        let bound = nodes.iter().map(|&n| n as usize + 1).max().unwrap_or(0);
        let bound = bound.max(spans.iter().map(|s| s.nodes().end).max().unwrap_or(0));
        Layout { nodes, pos, spans, runs, width: width as usize, bound }
    }

    /// The nodes, in the order given.
    #[inline]
    pub fn nodes(&self) -> &[u32] {
        &self.nodes
    }
    /// Number of nodes.
    #[inline]
    pub fn len(&self) -> usize {
        self.nodes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
    /// Number of storage positions (nodes and padding).
    #[inline]
    pub fn width(&self) -> usize {
        self.width
    }
    /// One more than the highest node a span covers: arrays indexed by node must be at
    /// least this long.
    #[inline]
    pub fn bound(&self) -> usize {
        self.bound
    }
    /// Storage position of the node at `index` in [`Layout::nodes`].
    #[inline]
    pub fn pos(&self, index: usize) -> Option<usize> {
        self.pos.get(index).map(|&p| p as usize)
    }
    /// Storage positions of every node, in the order of [`Layout::nodes`].
    #[inline]
    pub fn positions(&self) -> &[u32] {
        &self.pos
    }
    /// The spans: every position, padding included.
    #[inline]
    pub fn spans(&self) -> &[Run] {
        &self.spans
    }
    /// The runs: only the mechanism's own nodes.
    #[inline]
    pub fn runs(&self) -> &[Run] {
        &self.runs
    }
    /// A per-position column: `value` at the mechanism's nodes, `pad` at the padding.
    pub fn column(&self, value: f64, pad: f64) -> Vec<f64> {
        let mut c = vec![pad; self.width];
        for &p in &self.pos {
            c[p as usize] = value;
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_with_end_nodes_between_make_one_span() {
        // Segments 1..=3, end node 4, segments 5..=6, end node 7, then a far node 20.
        let l = Layout::new(vec![1, 2, 3, 5, 6, 20]);
        assert_eq!(l.width(), 7);
        assert_eq!(l.spans(), &[Run { node: 1, pos: 0, len: 6 }, Run { node: 20, pos: 6, len: 1 }]);
        assert_eq!(
            l.runs(),
            &[
                Run { node: 1, pos: 0, len: 3 },
                Run { node: 5, pos: 4, len: 2 },
                Run { node: 20, pos: 6, len: 1 }
            ]
        );
        assert_eq!(l.positions(), &[0, 1, 2, 4, 5, 6]);
        assert_eq!(l.bound(), 21);
        let c = l.column(2.0, 0.0);
        assert_eq!(c, vec![2.0, 2.0, 2.0, 0.0, 2.0, 2.0, 2.0]);
    }

    #[test]
    fn unsorted_and_repeated_nodes_keep_their_own_positions() {
        let l = Layout::new(vec![5, 3, 3, 4, 0]);
        assert_eq!(l.width(), 5);
        assert_eq!(l.positions(), &[0, 1, 2, 3, 4]);
        // Every position belongs to exactly one span and holds its node.
        let mut seen = vec![None; l.width()];
        for s in l.spans() {
            for (n, p) in s.nodes().zip(s.positions()) {
                assert!(seen[p].is_none());
                seen[p] = Some(n as u32);
            }
        }
        for (k, &n) in l.nodes().iter().enumerate() {
            assert_eq!(seen[l.pos(k).unwrap()], Some(n));
        }
        assert!(Layout::new(vec![]).is_empty());
    }
}

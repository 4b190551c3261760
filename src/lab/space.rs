//! Voltage in space: the compartments along the path between two points of the tree
//! (NEURON's Space plot: voltage against path distance, at one instant), and the
//! difference between the live run and a kept trial at the same time after their starts
//! (where a drug changed the cell).

use super::Lab;
use crate::sim::cell::Cell;

/// The compartments on the path from node `a` to node `b` through the tree, each with its
/// path distance from `a` (um), in order from `a`.
pub fn path_nodes(cell: &Cell, a: u32, b: u32) -> Vec<(u32, f64)> {
    let n = cell.parent.len() as u32;
    if a >= n || b >= n {
        return Vec::new();
    }
    let up = |mut x: u32| {
        let mut chain = vec![x];
        while let Some(&p) = cell.parent.get(x as usize) {
            if p >= n || chain.len() > n as usize {
                break;
            }
            chain.push(p);
            x = p;
        }
        chain
    };
    let (from_a, from_b) = (up(a), up(b));
    // The last common ancestor: walk both chains from the root.
    let mut common = 0;
    while common < from_a.len().min(from_b.len())
        && from_a[from_a.len() - 1 - common] == from_b[from_b.len() - 1 - common]
    {
        common += 1;
    }
    let lca_in_a = from_a.len() - common;
    let mut nodes: Vec<u32> = from_a[..=lca_in_a.min(from_a.len() - 1)].to_vec();
    nodes.extend(from_b[..from_b.len() - common].iter().rev());
    let m = &cell.morphology;
    let at = |x: u32| (cell.node_section[x as usize] as usize, cell.node_x[x as usize]);
    let origin = at(a);
    nodes.into_iter().map(|x| (x, crate::sim::sites::path_between(m, origin, at(x)))).collect()
}

impl Lab {
    /// The voltage along `path` (from [`path_nodes`]) as (distance um, mV): live, or at
    /// the recorded moment `at` (ms) when given and recorded.
    pub fn voltage_along(&self, path: &[(u32, f64)], at: Option<f64>) -> Vec<[f64; 2]> {
        let frame = at.and_then(|t| Some((self.recording()?, self.recording()?.frame_at(t)?)));
        path.iter()
            .filter_map(|&(node, d)| {
                let v = match frame {
                    Some((r, k)) => r.value(k, node as usize)?,
                    None => *self.sim.v.get(node as usize)?,
                };
                Some([d, v])
            })
            .collect()
    }

    /// A kept trial's voltage along `path` at `t` ms after its start, when it was recorded.
    pub fn trial_voltage_along(&self, trial: usize, path: &[(u32, f64)], t: f64) -> Option<Vec<[f64; 2]>> {
        let r = self.trials.get(trial)?.recording.as_ref()?;
        let k = r.frame_at(t)?;
        Some(path.iter().filter_map(|&(node, d)| Some([d, r.value(k, node as usize)?])).collect())
    }

    /// Each node's voltage now (live, or at the recorded moment `at`) minus kept trial
    /// `trial`'s at the same time after its start (mV), into `out`; `None` when the trial
    /// was not recorded (or nothing is at `at`).
    pub fn difference_from_trial(&self, trial: usize, at: Option<f64>, out: &mut Vec<f32>) -> Option<()> {
        let r = self.trials.get(trial)?.recording.as_ref()?;
        let t = at.unwrap_or(self.t());
        match at {
            Some(t) => {
                let rec = self.recording()?;
                rec.values(rec.frame_at(t)?, out);
            }
            None => {
                out.clear();
                out.extend(self.sim.v.iter().map(|&v| v as f32));
            }
        }
        let k = r.frame_at(t)?;
        let mut theirs = Vec::new();
        r.values(k, &mut theirs);
        if theirs.len() != out.len() {
            return None;
        }
        out.iter_mut().zip(&theirs).for_each(|(o, t)| *o -= t);
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_runs_through_the_tree_and_its_distances_grow() {
        let lab = Lab::builtin("l5_pyramidal").unwrap();
        let cell = &lab.sim.cell;
        let m = &cell.morphology;
        // From the tip of a basal dendrite to the tip of an apical one: through the soma.
        let tip = |region: crate::sim::morphology::Region| {
            let s = m.sections.iter().rposition(|s| s.region == region).unwrap();
            cell.compartment_at(s, 0.99)
        };
        let (a, b) =
            (tip(crate::sim::morphology::Region::Basal), tip(crate::sim::morphology::Region::Apical));
        let path = path_nodes(cell, a, b);
        assert_eq!(path.first().unwrap().0, a);
        assert_eq!(path.last().unwrap().0, b);
        let soma = cell.compartment_at(m.soma(), 0.5);
        assert!(path.iter().any(|&(n, _)| n == soma), "through the soma");
        for w in path.windows(2) {
            assert!(w[1].1 > w[0].1 - 1e-9, "distances grow: {:?}", w);
            assert!(cell.parent[w[0].0 as usize] == w[1].0 || cell.parent[w[1].0 as usize] == w[0].0);
        }
        let total = crate::sim::sites::path_between(
            m,
            (cell.node_section[a as usize] as usize, cell.node_x[a as usize]),
            (cell.node_section[b as usize] as usize, cell.node_x[b as usize]),
        );
        assert!((path.last().unwrap().1 - total).abs() < 1e-6);
        // The voltage along it is the compartments' own.
        let v = lab.voltage_along(&path, None);
        for (p, &(n, _)) in v.iter().zip(&path) {
            assert_eq!(p[1], lab.sim.v[n as usize]);
        }
        // A path from a node to itself is that node; nodes past the cell, nothing.
        assert_eq!(path_nodes(cell, a, a), vec![(a, 0.0)]);
        assert!(path_nodes(cell, a, u32::MAX).is_empty());
    }
}

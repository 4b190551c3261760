//! Hay's axon stub: the reconstructed axon replaced by two short cylinders, as Hay's
//! `L5PCtemplate.hoc` does (`"axon": "hay_stub"` in a cell model).

use crate::sim::morphology::{Morphology, Region, Section};

/// Length and diameter (um) of each of the two sections of Hay's axon stub.
pub const HAY_AXON_STUB_UM: (f64, f64) = (30.0, 1.0);

/// Hay's `delete_axon` (L5PCtemplate.hoc): every axon section goes (with whatever hangs
/// from it), and two cylinders of 30 um x 1 um take their place, `axon[0]` from soma(0.5)
/// and `axon[1]` from `axon[0](1)`. The stub points away from the soma along the old axon's
/// first section (else along -y, the usual axon direction of an upright cell). Without
/// a soma the stub hangs from the root's centre. A note of what went is added to the
/// morphology's warnings.
pub fn hay_axon_stub(morph: Morphology) -> Morphology {
    use nalgebra::Vector3;
    let mut m = morph;
    let n = m.sections.len();
    // Sections in an axon subtree (parents come before children).
    let mut gone = vec![false; n];
    for i in 0..n {
        gone[i] = m.sections[i].region == Region::Axon || m.sections[i].parent.is_some_and(|p| gone[p]);
    }
    let soma = m.soma();
    if gone[soma] {
        m.warnings.push(
            "the axon was kept: the cell has no soma outside its axon for Hay's stub to hang from".into(),
        );
        return m;
    }
    let (centre, _) = m.sections[soma].at(0.5);
    let dir = m
        .sections
        .iter()
        .find(|s| s.region == Region::Axon && s.parent.is_some_and(|p| !gone[p]))
        .map(|s| s.points[s.points.len() - 1] - centre)
        .filter(|v| v.norm() > 0.0)
        .unwrap_or(-Vector3::y());
    let removed = gone.iter().filter(|g| **g).count();
    let other = (0..n).filter(|&i| gone[i] && m.sections[i].region != Region::Axon).count();
    let mut index = vec![usize::MAX; n];
    let mut kept = Vec::with_capacity(n - removed + 2);
    for (i, s) in std::mem::take(&mut m.sections).into_iter().enumerate() {
        if !gone[i] {
            index[i] = kept.len();
            kept.push(s);
        }
    }
    for s in &mut kept {
        s.parent = s.parent.map(|p| index[p]);
    }
    let soma = index[soma];
    let (l, d) = HAY_AXON_STUB_UM;
    let u = dir.normalize();
    let a0 = Section::cylinder("axon[0]".into(), Region::Axon, Some(soma), 0.5, centre, u, l, d);
    let a1 =
        Section::cylinder("axon[1]".into(), Region::Axon, Some(kept.len()), 1.0, centre + u * l, u, l, d);
    kept.push(a0);
    kept.push(a1);
    m.sections = kept;
    let mut note = format!(
        "the axon ({removed} sections) was replaced by Hay's stub: axon[0] and axon[1], {l} um x {d} um each"
    );
    if other > 0 {
        note.push_str(&format!(" ({other} non-axon sections hanging from the axon went with it)"));
    }
    m.warnings.push(note);
    m
}

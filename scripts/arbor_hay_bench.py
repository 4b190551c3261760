#!/usr/bin/env python3
"""Wall time of a Hay et al. 2011 L5PC cell in the Arbor simulator, with Arbor's own copies of
Hay's channels (its `bbp` catalogue: CaDynamics_E2, Ca_HVA, Ca_LVAst, Ih, Im, K_Pst, K_Tst,
NaTa_t, Nap_Et2, SK_E2, SKv3_1); prints one JSON line with the keys of `dendra bench cell` and
scripts/neuron_hay_bench.py.

What is the same as there: the morphology (an SWC file read the NEURON way,
`load_swc_neuron`), its reconstructed axon replaced by two 30 um x 1 um sections as Hay's
template does, one compartment count per section by Hay's rule 1 + 2 int(L / 40) (explicit CV
boundaries per branch), which mechanisms go in which region, the L5PCbiophys3 densities where they
are uniform, the passive properties, ena 50 / ek -85 mV, 6.3 degC, v_init -80 mV, the somatic
pulse (1.9 nA for 5 ms from 100 ms), dt 0.025 ms, 1000 ms, one thread.

What is not: Hay's two distance-dependent densities (the Ih gradient and the Ca2+ hot zone of
Ca_LVAst and Ca_HVA) are uniform here at their base values (Arbor could express them with
`scaled_mechanism`, but they change what the cell does, not what a step costs), so
`soma_spikes` need not match (with these stand-ins the 1.9 nA pulse does not reach
threshold); and Arbor's CVs put the soma in the CVs of its branch as Arbor does.
`soma_spikes` counts upward crossings of 0 mV in the somatic voltage sampled every 0.1 ms. This measures the cost of the same channels on about the same number of compartments,
which is what the comparison is for.

    python3 scripts/arbor_hay_bench.py morphologies/l5pc_rat_hay2011_cell2_converted.swc
"""
import argparse
import json
import math
import time

import arbor as A
from arbor import units as U

T_STOP, DT, V_INIT, CELSIUS = 1000.0, 0.025, -80.0, 6.3
PULSE_NA, PULSE_DELAY, PULSE_DUR = 1.9, 100.0, 5.0

# L5PCbiophys3 (docs/biophysics.md 6.1); uniform stand-ins for the two gradients.
SOMA = {
    "Ca_LVAst": ("gCa_LVAstbar", 0.00343), "Ca_HVA": ("gCa_HVAbar", 0.000992),
    "SKv3_1": ("gSKv3_1bar", 0.693), "SK_E2": ("gSK_E2bar", 0.0441),
    "K_Tst": ("gK_Tstbar", 0.0812), "K_Pst": ("gK_Pstbar", 0.00223),
    "Nap_Et2": ("gNap_Et2bar", 0.00172), "NaTa_t": ("gNaTa_tbar", 2.04), "Ih": ("gIhbar", 0.0002),
}
APICAL = {
    "SK_E2": ("gSK_E2bar", 0.0012), "SKv3_1": ("gSKv3_1bar", 0.000261),
    "NaTa_t": ("gNaTa_tbar", 0.0213), "Im": ("gImbar", 6.75e-5), "Ih": ("gIhbar", 0.0002),
    "Ca_LVAst": ("gCa_LVAstbar", 0.0187 * 0.01), "Ca_HVA": ("gCa_HVAbar", 0.000555 * 0.1),
}
PAS = {"soma": (3.38e-5, 1.0), "axon": (3.25e-5, 1.0), "dend": (4.67e-5, 2.0), "apic": (5.89e-5, 2.0)}


def hay_morphology(path):
    """The SWC morphology with the axon replaced by Hay's two 30 um stubs."""
    loaded = A.load_swc_neuron(path)
    old = loaded.segment_tree
    tree = A.segment_tree()
    new_id = {}
    soma_last = None
    for i, seg in enumerate(old.segments):
        parent = old.parents[i]
        if seg.tag == 2 or (parent != A.mnpos and parent not in new_id):
            continue  # the axon and anything hanging from it
        new_id[i] = tree.append(new_id.get(parent, A.mnpos), seg.prox, seg.dist, tag=seg.tag)
        if seg.tag == 1:
            soma_last = new_id[i]
    p = old.segments[0].dist
    a0 = tree.append(soma_last, A.mpoint(p.x, p.y, p.z, 0.5), A.mpoint(p.x, p.y - 30, p.z, 0.5), tag=2)
    tree.append(a0, A.mpoint(p.x, p.y - 30, p.z, 0.5), A.mpoint(p.x, p.y - 60, p.z, 0.5), tag=2)
    return A.morphology(tree)


def hay_cvs(morph):
    """CV boundaries: each branch in 1 + 2 int(L / 40) equal parts."""
    locs = []
    for b in range(morph.num_branches):
        length = sum(math.dist((s.prox.x, s.prox.y, s.prox.z), (s.dist.x, s.dist.y, s.dist.z))
                     for s in morph.branch_segments(b))
        n = 1 + 2 * int(length / 40.0)
        locs += [f"(location {b} {k / n})" for k in range(1, n)]
    return A.cv_policy_explicit("(sum " + " ".join(locs) + ")" if locs else "(sum)"), locs


class HayRecipe(A.recipe):
    def __init__(self, cell):
        A.recipe.__init__(self)
        self.cell = cell
        self.props = A.neuron_cable_properties()
        self.props.catalogue.extend(A.bbp_catalogue(), "")

    def num_cells(self):
        return 1

    def cell_kind(self, gid):
        return A.cell_kind.cable

    def cell_description(self, gid):
        return self.cell

    def global_properties(self, kind):
        return self.props

    def probes(self, gid):
        return [A.cable_probe_membrane_voltage('"center"', "vsoma")]


def main():
    ap = argparse.ArgumentParser(description="Hay's L5PC in Arbor (bbp catalogue): wall time of 1 s.")
    ap.add_argument("morphology", help="SWC file")
    args = ap.parse_args()

    morph = hay_morphology(args.morphology)
    labels = A.label_dict({"soma": "(tag 1)", "axon": "(tag 2)", "dend": "(tag 3)", "apic": "(tag 4)",
                           "center": '(on-components 0.5 (region "soma"))'})
    policy, cuts = hay_cvs(morph)
    decor = A.decor()
    decor.set_property(Vm=V_INIT * U.mV, tempK=(CELSIUS + 273.15) * U.Kelvin, rL=100 * U.Ohm * U.cm)
    decor.set_ion("na", rev_pot=50 * U.mV)
    decor.set_ion("k", rev_pot=-85 * U.mV)
    # eca by Nernst from the pools' cai, as NEURON (and Dendra) do where a mechanism writes cai.
    decor.set_ion("ca", method="nernst/x=ca")
    for region, (g, cm) in PAS.items():
        decor.paint(f'"{region}"', cm=cm * U.uF / U.cm2)
        decor.paint(f'"{region}"', A.density("pas/e=-90", g=g))
    for region, mechs in (("soma", SOMA), ("apic", APICAL), ("dend", {"Ih": ("gIhbar", 0.0002)})):
        for name, (param, value) in mechs.items():
            decor.paint(f'"{region}"', A.density(name, {param: value}))
    decor.paint('"soma"', A.density("CaDynamics_E2", gamma=0.000501, decay=460.0))
    decor.paint('"apic"', A.density("CaDynamics_E2", gamma=0.000509, decay=122.0))
    decor.place('"center"', A.i_clamp(PULSE_DELAY * U.ms, PULSE_DUR * U.ms, PULSE_NA * U.nA))
    cell = A.cable_cell(morph, decor, labels, policy)

    sim = A.simulation(HayRecipe(cell))
    # Spikes counted from the somatic voltage sampled every 0.1 ms (this wheel's spike
    # record stays empty even for a plain hh soma that fires).
    handle = sim.sample((0, "vsoma"), A.regular_schedule(0.1 * U.ms))
    start = time.time()
    sim.run(T_STOP * U.ms, DT * U.ms)
    wall = time.time() - start
    vs = [row[1] for data, _ in sim.samples(handle) for row in data]
    spikes = sum(1 for a, b in zip(vs, vs[1:]) if a < 0.0 <= b)
    print(json.dumps({
        "engine": "arbor " + A.__version__,
        "compartments": morph.num_branches + len(cuts),
        "steps": int(round(T_STOP / DT)),
        "wall_s": round(wall, 4),
        "realtime_factor": round(T_STOP / 1000.0 / wall, 4),
        "soma_spikes": spikes,
    }))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The benchmark's "binary tree" workload in the Arbor simulator; prints one JSON line.

Same model, flags and output keys as scripts/neuron_tree_bench.py (its docstring is the full
description) and `dendra bench tree` (src/sim/workloads.rs). In Arbor's terms:

    morphology  soma: one 20 um cylinder of diameter 20 um (tag 1), a single CV;
                dendrites (tag 3): one 100 um straight segment per branch, diameter
                3 * 0.8^level um, two children at the distal end of the soma and of every
                branch above the last level; NSEG CVs per branch (cv_policy_fixed_per_branch)
    mechanisms  hh on the soma with default parameters; hh on the dendrites with gnabar 0.012,
                gkbar 0.0036, gl 0.0003 S/cm2, el -54.3 mV; Arbor's NEURON-like cable
                properties (neuron_cable_properties: NEURON's ion defaults), Ra 100 ohm cm,
                cm 1 uF/cm2 (0.01 F/m2), 6.3 degC, initial Vm -65 mV
    synapses    SYN exp2syn (tau1 0.5 ms, tau2 5 ms, e 0 mV), synapse i at the middle of
                terminal branch i mod (number of terminals), terminals left to right (the order
                they are grown in, depth first); each gets its own Poisson schedule of RATE Hz
                from t = 0, seed SEED + i, weight 0.0005 uS
    run         dt 0.025 ms for TSTOP ms on one thread; a threshold detector at 0 mV in the
                middle of the soma counts soma_spikes

The branches point in slightly different directions so that the tree can be drawn, but each is
exactly 100 um long (the layout turns each child by +-0.5 / (1 + 0.3 level) rad, as
src/sim/workloads.rs does). The Poisson trains are Arbor's own, so soma_spikes is comparable
with NEURON's and Dendra's only statistically.

    python3 scripts/arbor_tree_bench.py --depth 6            (pip install arbor==0.12.2)
"""
import argparse
import json
import math
import time

import arbor as A
from arbor import units as U


def parse_args():
    ap = argparse.ArgumentParser(description="Binary-tree benchmark in Arbor (one JSON line).")
    ap.add_argument("--depth", type=int, default=8, help="levels of branching (default 8)")
    ap.add_argument("--nseg", type=int, default=9, help="CVs per branch (default 9)")
    ap.add_argument("--syn", type=int, default=200, help="number of synapses (default 200)")
    ap.add_argument("--rate", type=float, default=20.0, help="Poisson rate per synapse, Hz")
    ap.add_argument("--tstop", type=float, default=1000.0, help="simulated time, ms")
    ap.add_argument("--seed", type=int, default=1, help="synapse i's schedule uses SEED + i")
    return ap.parse_args()


BRANCH_L, ROOT_RADIUS, TAPER = 100.0, 1.5, 0.8
DT, CELSIUS, V_INIT = 0.025, 6.3, -65.0
WEIGHT_US = 0.0005


def grow_morphology(depth):
    """Segment tree of the soma and the binary tree; returns (morphology, terminal segment ids
    left to right)."""
    tree = A.segment_tree()
    soma = tree.append(A.mnpos, A.mpoint(-10, 0, 0, 10), A.mpoint(10, 0, 0, 10), tag=1)
    terminals = []

    def children(parent, start, heading, level):
        if level >= depth:
            return
        radius = ROOT_RADIUS * TAPER ** level
        for side in (1.0, -1.0):
            angle = heading + side * 0.5 / (1.0 + 0.3 * level)
            end = (start[0] + BRANCH_L * math.cos(angle), start[1] + BRANCH_L * math.sin(angle))
            seg = tree.append(parent, A.mpoint(start[0], start[1], 0, radius),
                              A.mpoint(end[0], end[1], 0, radius), tag=3)
            if level == depth - 1:
                terminals.append(seg)
            children(seg, end, angle, level + 1)

    children(soma, (10.0, 0.0), 0.0, 0)
    return A.morphology(tree), terminals


def make_cell(a):
    morph, terminals = grow_morphology(a.depth)
    labels = A.label_dict({"soma": "(tag 1)", "dend": "(tag 3)"})
    decor = A.decor()
    decor.set_property(Vm=V_INIT * U.mV, cm=0.01 * U.F / U.m2, rL=100 * U.Ohm * U.cm,
                       tempK=(CELSIUS + 273.15) * U.Kelvin)
    decor.paint('"soma"', A.density("hh"))
    decor.paint('"dend"', A.density("hh", gnabar=0.012, gkbar=0.0036, gl=0.0003, el=-54.3))
    synapse_labels = []
    if terminals:
        for i in range(a.syn):
            where = f"(on-components 0.5 (segment {terminals[i % len(terminals)]}))"
            label = f"syn{i}"
            decor.place(where, A.synapse("exp2syn", tau1=0.5, tau2=5.0, e=0.0), label)
            synapse_labels.append(label)
    decor.place('(on-components 0.5 (region "soma"))', A.threshold_detector(0 * U.mV), "soma_spike")
    policy = A.cv_policy_fixed_per_branch(a.nseg, '"dend"') + A.cv_policy_single('"soma"')
    cell = A.cable_cell(morph, decor, labels, discretization=policy)
    return cell, synapse_labels


def membrane_cvs(cell):
    """CVs that hold membrane. Arbor also gives each fork point a CV of zero extent (where NEURON
    has the zero-area node at x = 1 of the parent); those are not counted, so the figure is
    1 + NSEG * branches, NEURON's total nseg."""
    cvs = A.cv_data(cell)
    return sum(1 for i in range(cvs.num_cv) if any(c.dist > c.prox for c in cvs.cables(i)))


class TreeRecipe(A.recipe):
    def __init__(self, cell, synapse_labels, rate_hz, seed):
        A.recipe.__init__(self)
        self.cell, self.synapse_labels = cell, synapse_labels
        self.rate_hz, self.seed = rate_hz, seed

    def num_cells(self):
        return 1

    def cell_kind(self, gid):
        return A.cell_kind.cable

    def cell_description(self, gid):
        return self.cell

    def global_properties(self, kind):
        props = A.neuron_cable_properties()
        props.set_property(tempK=(CELSIUS + 273.15) * U.Kelvin)
        return props

    def event_generators(self, gid):
        return [A.event_generator(label, WEIGHT_US,
                                  A.poisson_schedule(tstart=0 * U.ms, freq=self.rate_hz * U.Hz,
                                                     seed=self.seed + i))
                for i, label in enumerate(self.synapse_labels)]


def main():
    a = parse_args()
    cell, synapse_labels = make_cell(a)
    sim = A.simulation(TreeRecipe(cell, synapse_labels, a.rate, a.seed), A.context(threads=1))
    sim.record(A.spike_recording.all)
    start = time.perf_counter()
    sim.run(a.tstop * U.ms, DT * U.ms)
    wall = time.perf_counter() - start
    print(json.dumps({
        "engine": "arbor " + A.__version__,
        "compartments": membrane_cvs(cell),
        "steps": int(round(a.tstop / DT)),
        "wall_s": round(wall, 4),
        "realtime_factor": round(a.tstop / 1000.0 / wall, 4),
        "soma_spikes": len(sim.spikes()),
    }))


if __name__ == "__main__":
    main()

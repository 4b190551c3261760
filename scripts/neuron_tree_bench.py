#!/usr/bin/env python3
"""The benchmark's "binary tree" workload in the NEURON simulator; prints one JSON line.

This is the model that `dendra bench tree` builds (src/sim/workloads.rs) and that
scripts/arbor_tree_bench.py builds in Arbor; the three take the same flags and print the same
keys, so that scripts/bench_tree.sh can put their wall times side by side.

    soma        one cylinder, L = diam = 20 um, nseg 1, hh with NEURON's default densities
    dendrites   a balanced binary tree DEPTH levels deep (2^(DEPTH+1) - 2 branches): two
                branches start at the end (x = 1) of the soma and two at the end of every
                branch above the last level; each branch is 100 um long, nseg = NSEG, diameter
                3 * 0.8^level um (level 0 touches the soma), hh with gnabar 0.012, gkbar 0.0036,
                gl 0.0003 S/cm2, el -54.3 mV (a tenth of the somatic Na and K densities)
    cable       Ra 100 ohm cm and cm 1 uF/cm2 everywhere
    synapses    SYN Exp2Syn (tau1 0.5 ms, tau2 5 ms, e 0 mV) at x = 0.5 of the terminal branches,
                synapse i on terminal i mod (number of terminals), terminals taken left to right;
                each driven by its own Poisson train of RATE Hz from t = 0 (a NetStim with
                noise 1) through a NetCon of weight 0.0005 uS and delay 0
    run         fixed step (backward Euler) dt 0.025 ms for TSTOP ms, 6.3 degC, v_init -65 mV,
                one thread; somatic spikes counted as upward crossings of 0 mV at soma(0.5)

Output keys: engine, compartments (total nseg), steps, wall_s (wall time of the run alone,
not of building the model), realtime_factor (simulated s per wall s), soma_spikes.

About --seed: each NetStim's seed(SEED + i) is called as before, but in NEURON 9 NetStim draws
from a per-instance Random123 stream that its INITIAL block resets with seed(0), so the
trains do not depend on SEED; they are fixed by the order in which the NetStims are created
(kept here: per synapse, the Exp2Syn, then its NetStim, then its NetCon). Dendra and Arbor use
SEED + i for synapse i; all three draw different (statistically equal) trains, so compare
soma_spikes loosely and wall times as ratios measured in one run.

    python3 scripts/neuron_tree_bench.py --depth 6          (pip install neuron==9.0.2)
"""
import argparse
import json
import time

from neuron import h


def parse_args():
    ap = argparse.ArgumentParser(description="Binary-tree benchmark in NEURON (one JSON line).")
    ap.add_argument("--depth", type=int, default=8, help="levels of branching (default 8)")
    ap.add_argument("--nseg", type=int, default=9, help="segments per branch (default 9)")
    ap.add_argument("--syn", type=int, default=200, help="number of synapses (default 200)")
    ap.add_argument("--rate", type=float, default=20.0, help="Poisson rate per synapse, Hz")
    ap.add_argument("--tstop", type=float, default=1000.0, help="simulated time, ms")
    ap.add_argument("--seed", type=int, default=1, help="base seed (see the docstring)")
    return ap.parse_args()


SOMA_L = SOMA_DIAM = 20.0
BRANCH_L, ROOT_DIAM, TAPER = 100.0, 3.0, 0.8
DEND_HH = {"gnabar": 0.012, "gkbar": 0.0036, "gl": 0.0003, "el": -54.3}
EXP2SYN = {"tau1": 0.5, "tau2": 5.0, "e": 0.0}
WEIGHT_US = 0.0005
DT, CELSIUS, V_INIT = 0.025, 6.3, -65.0


def build_tree(depth, nseg):
    """Soma plus the tree, branches created in depth-first order (a branch's whole subtree
    before its sibling). Returns (soma, branches, terminals left to right)."""
    soma = h.Section(name="soma")
    soma.L, soma.diam, soma.nseg = SOMA_L, SOMA_DIAM, 1
    soma.insert("hh")
    branches, terminals = [], []

    def add_children(parent, level):
        if level >= depth:
            return
        for _ in range(2):
            sec = h.Section(name=f"d{len(branches)}")
            sec.L, sec.nseg, sec.diam = BRANCH_L, nseg, ROOT_DIAM * TAPER ** level
            sec.insert("hh")
            for seg in sec:
                for name, value in DEND_HH.items():
                    setattr(seg.hh, name, value)
            sec.connect(parent(1))
            branches.append(sec)
            if level == depth - 1:
                terminals.append(sec)
            add_children(sec, level + 1)

    add_children(soma, 0)
    for sec in [soma] + branches:
        sec.Ra, sec.cm = 100.0, 1.0
    return soma, branches, terminals


def add_synapses(terminals, count, rate_hz, seed):
    keep = []
    if not terminals:
        return keep
    for i in range(count):
        syn = h.Exp2Syn(terminals[i % len(terminals)](0.5))
        for name, value in EXP2SYN.items():
            setattr(syn, name, value)
        train = h.NetStim()
        train.interval = 1000.0 / rate_hz
        train.number = 1e9
        train.start = 0.0
        train.noise = 1.0
        train.seed(seed + i)
        link = h.NetCon(train, syn)
        link.weight[0] = WEIGHT_US
        link.delay = 0.0
        keep += [syn, train, link]
    return keep


def main():
    a = parse_args()
    h.load_file("stdrun.hoc")
    soma, branches, terminals = build_tree(a.depth, a.nseg)
    keep = add_synapses(terminals, a.syn, a.rate, a.seed)
    spike_times = h.Vector()
    detector = h.NetCon(soma(0.5)._ref_v, None, sec=soma)
    detector.threshold = 0.0
    detector.record(spike_times)

    h.celsius = CELSIUS
    h.cvode_active(0)
    h.dt = DT
    h.steps_per_ms = 1.0 / DT
    h.finitialize(V_INIT)
    start = time.perf_counter()
    h.continuerun(a.tstop)
    wall = time.perf_counter() - start

    print(json.dumps({
        "engine": "NEURON " + h.nrnversion(),
        "compartments": sum(sec.nseg for sec in [soma] + branches),
        "steps": int(round(a.tstop / DT)),
        "wall_s": round(wall, 4),
        "realtime_factor": round(a.tstop / 1000.0 / wall, 4),
        "soma_spikes": len(spike_times),
    }))
    del keep, detector


if __name__ == "__main__":
    main()

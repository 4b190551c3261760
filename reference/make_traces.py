#!/usr/bin/env python3
"""Regenerate Dendra's NEURON reference traces.

Every file in reference/models/ describes one small model in plain JSON. This script builds
that model in the NEURON simulator (9.0.2), runs it with NEURON's default fixed step and writes
the recorded membrane potentials to reference/traces/<name>.csv, the files the Rust test suite
compares Dendra against.

Usage (from the repository root, with neuron==9.0.2 installed):

    python3 reference/make_traces.py                       # every model, into reference/traces/
    python3 reference/make_traces.py --out-dir /tmp/t      # somewhere else, to compare
    python3 reference/make_traces.py reference/models/hh_soma_warm.json

The synapses of kind "nmda" need reference/mod/nmda_jahr_stevens.mod compiled. Give the
compiled library with --mech (or DENDRA_NMDA_MECH), run from a directory where `nrnivmodl
reference/mod` was run (NEURON then loads ./x86_64 itself), or let the script run nrnivmodl in a
temporary directory (it does so when it finds no compiled library).

The model spec (NEURON's units throughout):

    name, celsius (degC), dt (ms), tstop (ms), v_init (mV),
    record_every      keep one sample in this many steps (default 4)
    sections          list of {name, parent (a section name, or null for the root),
                      parent_x (where on the parent it attaches, default 1), L (um), diam (um),
                      nseg, Ra (ohm cm), cm (uF/cm2), mechanisms}
                      mechanisms maps "hh" or "pas" to parameters without the suffix
                      ({"gnabar": ..., "gkbar": ..., "gl": ..., "el": ...} or {"g": ..., "e": ...});
                      parameters not given keep NEURON's defaults
    iclamps           list of {section, x, delay (ms), dur (ms), amp (nA)}
    synapses          list of {section, x, kind, tau1 (ms), tau2 (ms), e (mV), weight (uS),
                      times (ms), mg (mM, "nmda" only, default 1)}
                      kind "exp2syn" is NEURON's Exp2Syn; kind "nmda" is the same double
                      exponential times the Jahr & Stevens Mg2+ block (mod/nmda_jahr_stevens.mod)
    record            list of {section, x}; the CSV column is named "<section>(<x>)"

How NEURON is run, and why:
  * Each synapse receives one event at each listed time, exactly: a NetCon without a source
    (delay 0) per synapse, and an FInitializeHandler that queues NetCon.event(t) for every
    listed time after each finitialize.
  * Fixed step, backward Euler (NEURON's default: cvode off, secondorder 0), steps_per_ms = 1/dt
    so that NEURON keeps the requested dt.
  * hh's rate functions are evaluated exactly (usetable_hh = 0). NEURON's default lookup tables
    shift spike times near threshold by more than 0.1 ms, more than the tests allow.
  * Potentials are sampled by Vector.record every record_every * dt ms, from t = 0, and the run
    stops at tstop (h.continuerun); the CSV has t to 4 decimals and voltages (mV) to 6, with
    CRLF line ends.
"""
import argparse
import atexit
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

from neuron import h

REFERENCE_DIR = os.path.dirname(os.path.abspath(__file__))
NMDA_POINT_PROCESS = "NmdaJahrStevens"


def load_nmda_mechanism(explicit_path):
    """Make the NmdaJahrStevens point process available, compiling it if need be."""
    if hasattr(h, NMDA_POINT_PROCESS):  # NEURON found ./x86_64 in the working directory
        return
    candidates = [explicit_path, os.environ.get("DENDRA_NMDA_MECH")]
    for path in candidates:
        if path:
            if not os.path.exists(path):
                sys.exit(f"make_traces.py: no compiled mechanism library at {path}")
            h.nrn_load_dll(path)
            break
    else:
        build_dir = tempfile.mkdtemp(prefix="dendra_nmda_")
        atexit.register(shutil.rmtree, build_dir, True)
        nrnivmodl = shutil.which("nrnivmodl", path=os.path.dirname(sys.executable)) or shutil.which("nrnivmodl")
        if nrnivmodl is None:
            sys.exit("make_traces.py: nrnivmodl not found; compile reference/mod and pass --mech")
        subprocess.run([nrnivmodl, os.path.join(REFERENCE_DIR, "mod")], cwd=build_dir, check=True,
                       stdout=subprocess.DEVNULL)
        libs = glob.glob(os.path.join(build_dir, "*", "libnrnmech.so")) + \
            glob.glob(os.path.join(build_dir, "*", ".libs", "libnrnmech.so"))
        if not libs:
            sys.exit(f"make_traces.py: nrnivmodl left no libnrnmech.so in {build_dir}")
        h.nrn_load_dll(libs[0])
    if not hasattr(h, NMDA_POINT_PROCESS):
        sys.exit(f"make_traces.py: the library loaded does not define {NMDA_POINT_PROCESS}")


class Model:
    """One spec built in NEURON. Holds every NEURON object it makes, so that none is freed
    while the model runs; drop() deletes its sections afterwards."""

    def __init__(self, spec):
        self.spec = spec
        self.sections = {}
        self.objects = []
        self.links = []
        for s in spec["sections"]:
            self._add_section(s)
        for c in spec.get("iclamps", []):
            self._add_iclamp(c)
        for syn in spec.get("synapses", []):
            self._add_synapse(syn)
        self.objects.append(h.FInitializeHandler(1, self._queue_events))

    def seg(self, section, x):
        return self.sections[section](x)

    def _add_section(self, s):
        sec = h.Section(name=s["name"])
        sec.L = s["L"]
        sec.diam = s["diam"]
        sec.nseg = s["nseg"]
        sec.Ra = s["Ra"]
        sec.cm = s["cm"]
        for mech, params in s.get("mechanisms", {}).items():
            sec.insert(mech)
            for name, value in params.items():
                for seg in sec:
                    setattr(seg, f"{name}_{mech}", value)
        parent = s.get("parent")
        if parent:
            sec.connect(self.sections[parent](s.get("parent_x", 1)))
        self.sections[s["name"]] = sec

    def _add_iclamp(self, c):
        clamp = h.IClamp(self.seg(c["section"], c["x"]))
        clamp.delay = c["delay"]
        clamp.dur = c["dur"]
        clamp.amp = c["amp"]
        self.objects.append(clamp)

    def _add_synapse(self, s):
        where = self.seg(s["section"], s["x"])
        if s["kind"] == "exp2syn":
            syn = h.Exp2Syn(where)
        elif s["kind"] == "nmda":
            syn = getattr(h, NMDA_POINT_PROCESS)(where)
            syn.mg = s.get("mg", 1.0)
        else:
            raise ValueError(f"unknown synapse kind {s['kind']!r}")
        syn.tau1 = s["tau1"]
        syn.tau2 = s["tau2"]
        syn.e = s["e"]
        link = h.NetCon(None, syn)  # no source: events are queued by hand in _queue_events
        link.weight[0] = s["weight"]
        link.delay = 0
        self.objects.append(syn)
        self.links.append((link, list(s["times"])))

    def _queue_events(self):
        """Called by finitialize once the event queue is clear: one event per listed time."""
        for link, times in self.links:
            for t in times:
                link.event(t)

    def run(self):
        """Runs the model; returns (column names, sample times, one list of mV per column)."""
        spec = self.spec
        dt = spec["dt"]
        sample_dt = dt * spec.get("record_every", 4)
        h.celsius = spec["celsius"]
        h.usetable_hh = 0
        h.cvode_active(0)
        h.secondorder = 0
        h.dt = dt
        h.steps_per_ms = 1.0 / dt
        columns, recorders = [], []
        for r in spec["record"]:
            columns.append(f"{r['section']}({r['x']})")
            vec = h.Vector()
            vec.record(self.seg(r["section"], r["x"])._ref_v, sample_dt)
            recorders.append(vec)
        times = h.Vector()
        times.record(h._ref_t, sample_dt)
        h.finitialize(spec["v_init"])
        h.continuerun(spec["tstop"])
        return columns, list(times), [list(v) for v in recorders]

    def drop(self):
        self.objects.clear()
        self.links.clear()
        for sec in self.sections.values():
            h.delete_section(sec=sec)
        self.sections.clear()


def write_csv(path, columns, times, traces):
    lines = [",".join(["t"] + columns)]
    for i, t in enumerate(times):
        lines.append(",".join([f"{t:.4f}"] + [f"{v[i]:.6f}" for v in traces]))
    with open(path, "w", newline="") as f:
        f.write("\r\n".join(lines) + "\r\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="*", help="model specs (default: reference/models/*.json)")
    ap.add_argument("--out-dir", default=os.path.join(REFERENCE_DIR, "traces"),
                    help="where the CSV files go (default: reference/traces)")
    ap.add_argument("--mech", help="compiled libnrnmech.so holding NmdaJahrStevens")
    args = ap.parse_args()
    models = args.models or sorted(glob.glob(os.path.join(REFERENCE_DIR, "models", "*.json")))

    load_nmda_mechanism(args.mech)
    h.load_file("stdrun.hoc")
    os.makedirs(args.out_dir, exist_ok=True)
    for path in models:
        with open(path) as f:
            spec = json.load(f)
        model = Model(spec)
        columns, times, traces = model.run()
        model.drop()
        out = os.path.join(args.out_dir, spec["name"] + ".csv")
        write_csv(out, columns, times, traces)
        print(f"{out}: {len(times)} samples x {len(columns)} sites")


if __name__ == "__main__":
    main()

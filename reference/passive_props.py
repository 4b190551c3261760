#!/usr/bin/env python3
"""Passive figures of real reconstructions, as the NEURON simulator computes them.

For each morphology file (SWC, or Neurolucida .asc) this loads the cell with NEURON's own
readers (Import3d: Import3d_SWC_read or Import3d_Neurolucida3, then Import3d_GUI.instantiate),
makes it uniformly passive and measures what Dendra's loader and cable builder must reproduce:

    sections        number of sections NEURON makes
    compartments    total nseg, with nseg from the d_lambda rule (below)
    length_um       sum of the section lengths (um, 2 decimals)
    area_um2        membrane area, the sum of NEURON's segment areas (um2, 1 decimal)
    soma_area_um2   the same over the sections whose name contains "soma"
    rin_mohm        somatic input resistance (MOhm, 3 decimals): the voltage change at the
                    first soma section's middle, at the end of the run, over the -10 pA injected
    tau_ms          when that voltage first reaches 63.2 % of its final change (ms, 3 decimals)

Passive properties: Ra 100 ohm cm, cm 1 uF/cm2, pas with g = 1/15000 S/cm2 and e = -70 mV in
every section. nseg per section: the odd number given by NEURON's d_lambda rule at 100 Hz with
d_lambda = 0.1, i.e. int((L / (0.1 * lambda_f(100)) + 0.9) / 2) * 2 + 1.
Protocol: IClamp of -0.01 nA at soma[0](0.5) from t = 0 for 500 ms; fixed step dt = 0.025 ms
(backward Euler), v_init = -70 mV; run to t = 499 ms, recording v and t at every step.

Usage (neuron==9.0.2):
    python3 reference/passive_props.py FILE ... [--out OUT.json]
The JSON (a list, one object per file, in the order given, indent 1) goes to OUT or to stdout;
NEURON's own messages while reading the files are sent to stderr.

reference/morphology/passive_props.json is
    python3 reference/passive_props.py morphologies/l5pc_mouse_allen_rbp4_491766131.swc \\
        morphologies/ca1_pyr_rat_c91662.swc morphologies/pyr_mouse_m1_suter_BS0284.swc
reference/morphology/passive_props_hay_cell2.json is
    python3 reference/passive_props.py morphologies/l5pc_rat_hay2011_cell2_converted.swc \\
        morphologies/l5pc_rat_hay2011_cell2.asc
"""
import argparse
import contextlib
import json
import os
import sys

from neuron import h

RA, CM = 100.0, 1.0                      # ohm cm, uF/cm2
G_PAS, E_PAS = 1.0 / 15000.0, -70.0      # S/cm2, mV
STEP_NA, STEP_MS, RUN_TO_MS = -0.01, 500.0, 499.0
DT = 0.025


@contextlib.contextmanager
def stdout_to_stderr():
    """Send what NEURON prints (C-level stdout) to stderr, so stdout carries only the JSON."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def load_cell(path):
    """Deletes every section, then reads `path` with NEURON's Import3d; returns the sections."""
    for sec in list(h.allsec()):
        h.delete_section(sec=sec)
    if path.lower().endswith(".asc"):
        reader = h.Import3d_Neurolucida3()
    else:
        reader = h.Import3d_SWC_read()
    reader.input(path)
    h.Import3d_GUI(reader, False).instantiate(None)
    return list(h.allsec())


def d_lambda_nseg(sec, frequency=100.0, d_lambda=0.1):
    return int((sec.L / (d_lambda * h.lambda_f(frequency, sec=sec)) + 0.9) / 2) * 2 + 1


def measure(path):
    with stdout_to_stderr():
        sections = load_cell(path)
    for sec in sections:
        sec.Ra = RA
        sec.cm = CM
        sec.insert("pas")
        for seg in sec:
            seg.g_pas = G_PAS
            seg.e_pas = E_PAS
    # lambda_f needs Ra and cm set on every section first
    for sec in sections:
        sec.nseg = d_lambda_nseg(sec)

    somatic = [sec for sec in sections if "soma" in sec.name()]
    total_area = sum(seg.area() for sec in sections for seg in sec)
    soma_area = sum(seg.area() for sec in somatic for seg in sec)

    site = somatic[0](0.5)
    clamp = h.IClamp(site)
    clamp.delay, clamp.dur, clamp.amp = 0.0, STEP_MS, STEP_NA
    v_soma, t = h.Vector(), h.Vector()
    v_soma.record(site._ref_v)
    t.record(h._ref_t)
    h.cvode_active(0)
    h.dt = DT
    h.steps_per_ms = 1.0 / DT
    h.finitialize(E_PAS)
    h.continuerun(RUN_TO_MS)

    delta_v = v_soma[-1] - E_PAS
    v_at_tau = E_PAS + 0.632 * delta_v
    tau = next(t[i] for i in range(len(v_soma)) if v_soma[i] <= v_at_tau)
    return {
        "file": os.path.basename(path),
        "sections": len(sections),
        "compartments": sum(sec.nseg for sec in sections),
        "length_um": round(sum(sec.L for sec in sections), 2),
        "area_um2": round(total_area, 1),
        "soma_area_um2": round(soma_area, 1),
        "rin_mohm": round(delta_v / STEP_NA, 3),
        "tau_ms": round(tau, 3),
    }


def main():
    ap = argparse.ArgumentParser(description="Passive figures of morphologies from NEURON.")
    ap.add_argument("files", nargs="+", help="SWC or Neurolucida .asc files")
    ap.add_argument("--out", help="write the JSON here instead of stdout")
    args = ap.parse_args()
    h.load_file("stdrun.hoc")
    with stdout_to_stderr():
        h.load_file("import3d.hoc")
    text = json.dumps([measure(p) for p in args.files], indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()

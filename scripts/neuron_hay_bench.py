#!/usr/bin/env python3
"""Wall time of Hay et al.'s 2011 L5PC model (L5PCbiophys3) in the NEURON simulator; prints
one JSON line: engine, compartments (total nseg), steps, wall_s, realtime_factor, soma_spikes
(upward crossings of 0 mV at soma(0.5), as `dendra bench cell` counts them).

Protocol: the cell built by Hay's L5PCtemplate (axon replaced by two 30 um sections) with
L5PCbiophys3 on MORPHOLOGY (Neurolucida .asc, or SWC); a somatic IClamp of 1.9 nA for 5 ms from
100 ms; fixed step (backward Euler) dt 0.025 ms, v_init -80 mV; 1000 ms. Only the run is timed,
not building the cell or finitialize.

Hay's files are not part of Dendra: they are ModelDB 139653 (Hay et al. 2011, PLoS Comput Biol
7:e1002107). Point --hay-dir (or HAY_DIR) at that folder after `nrnivmodl mod` in it; the files
are looked up as reference/hay_protocols.py does (its docstring), whose loader this uses.

    python3 scripts/neuron_hay_bench.py --hay-dir L5bPCmodelsEH L5bPCmodelsEH/morphologies/cell1.asc
"""
import argparse
import importlib.util
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROTOCOLS_PY = os.path.join(os.path.dirname(HERE), "reference", "hay_protocols.py")

T_STOP, DT, V_INIT = 1000.0, 0.025, -80.0
PULSE_NA, PULSE_DELAY, PULSE_DUR = 1.9, 100.0, 5.0


def load_hay_loader():
    sys.dont_write_bytecode = True  # no __pycache__ inside reference/
    spec = importlib.util.spec_from_file_location("hay_protocols", PROTOCOLS_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    ap = argparse.ArgumentParser(description="Hay's L5PC model in NEURON: wall time of 1 s.")
    ap.add_argument("morphology", help="Neurolucida .asc or SWC file")
    ap.add_argument("--hay-dir", default=os.environ.get("HAY_DIR"),
                    help="folder with Hay's ModelDB 139653 files (default: $HAY_DIR)")
    ap.add_argument("--mech", default=os.environ.get("HAY_MECH"),
                    help="Hay's compiled libnrnmech.so (default: $HAY_MECH, or found in the folder)")
    args = ap.parse_args()
    if not args.hay_dir:
        ap.error("give --hay-dir or set HAY_DIR: a folder with Hay's ModelDB 139653 files")

    hay = load_hay_loader()
    from neuron import h
    hay_dir = os.path.abspath(args.hay_dir)
    cell = hay.build_cell(h, hay_dir, hay.find_mechanisms(hay_dir, args.mech), args.morphology)
    pulse = h.IClamp(cell.soma[0](0.5))
    pulse.amp, pulse.delay, pulse.dur = PULSE_NA, PULSE_DELAY, PULSE_DUR
    spikes = h.Vector()
    counter = h.NetCon(cell.soma[0](0.5)._ref_v, None, sec=cell.soma[0])
    counter.threshold = 0.0
    counter.record(spikes)
    h.cvode_active(0)
    h.dt = DT
    h.steps_per_ms = 1.0 / DT
    h.v_init, h.tstop = V_INIT, T_STOP
    h.finitialize(V_INIT)
    start = time.time()
    h.continuerun(T_STOP)
    wall = time.time() - start
    print(json.dumps({
        "engine": "neuron " + h.nrnversion(5),
        "compartments": sum(sec.nseg for sec in cell.all),
        "steps": int(round(h.t / DT)),
        "wall_s": round(wall, 3),
        "realtime_factor": round(T_STOP / 1000.0 / wall, 3),
        "soma_spikes": len(spikes),
    }))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""NEURON's answers for Hay et al.'s (2011) layer 5b pyramidal cell model on one morphology:
the back-propagating action potential (bAP) and BAC firing protocols.

Hay's model files are NOT part of Dendra (they are ModelDB entry 139653, Hay E, Hill S,
Schuermann F, Markram H, Segev I (2011) PLoS Comput Biol 7:e1002107). Download that entry and
compile its mechanisms, then point this script at the folder:

    cd L5bPCmodelsEH && nrnivmodl mod          # -> x86_64/libnrnmech.so
    python3 reference/hay_protocols.py --hay-dir L5bPCmodelsEH run morphologies/l5pc_rat_hay2011_cell2.asc
    python3 reference/hay_protocols.py --hay-dir L5bPCmodelsEH lesson --out hay_cell2.json

--hay-dir (or the environment variable HAY_DIR) is a folder holding L5PCtemplate.hoc and
L5PCbiophys3.hoc (directly or in its models/ subfolder, as ModelDB ships them). The compiled
mechanisms are --mech (or HAY_MECH), else the first libnrnmech.so found in <hay-dir>/x86_64,
<hay-dir>/mod/x86_64 (or arm64 / aarch64), else whatever NEURON loaded from ./x86_64 itself.

Hay's template reads Neurolucida files. For an SWC file the script loads a copy of the template,
written to a temporary folder, whose only change is the reader (Import3d_SWC_read instead of
Import3d_Neurolucida3). The template replaces the reconstructed axon by two 30 um sections.

`run MORPHOLOGY [--fixed]` prints two JSON lines:
  1. the sites: nsec, nseg, epsp_site, epsp_dist_soma05, epsp_diam, and sites, the recording
     site for each apical distance D in 100, 200, 400, 600, 800 um: the apical segment whose
     path distance from soma(0.5) is nearest D (first one found on ties), "sec(x) d=..."
  2. the figures of five protocols, all 600 ms from v_init = -80 mV:
       bap_normal   somatic IClamp 1.9 nA for 5 ms from 295 ms
       bap_noNa     the same with gNaTa_tbar_NaTa_t = 0 in every apical segment
       epsp_alone   Hay's epsp current at the EPSP site: onset 300 ms, tau0 0.5 ms, tau1 5 ms,
                    imax 0.5 nA
       bac          the pulse and the EPSP together
       epsp_x3      the EPSP alone with imax 1.5 nA
     and, for each, from the recorded samples (every solver step):
       soma_spikes         upward crossings of 0 mV at soma(0.5)
       vmax_epsp_site      the EPSP site's maximum from 295 ms on
       t_above_-20         ms spent above -20 mV at the EPSP site after 290 ms (sum of the
                           steps ending above -20 mV)
       soma_rest_295, epsp_site_rest_295   the potentials at the last sample at or before 295 ms
       bap[D]              at each recording site: peak (maximum from 295 ms), rest (at 295 ms),
                           rel_start = peak - rest, rel_vinit = peak + 80
The EPSP site is chosen like Hay's own BAC simulation: locateSites("apic", 620) gives the point
at 620 um of path distance from apic[0](0) on every apical section that spans it; of those,
the one in the widest segment (the first one on ties). epsp_dist_soma05 is its path distance
from soma(0.5).
Integration: CVODE with NEURON's default tolerances, as Hay, or with --fixed NEURON's fixed
step (backward Euler) at dt = 0.025 ms.

`lesson [--out FILE]` makes the layout of reference/lessons/hay_cell2.json: Hay's cell 2 from
morphologies/l5pc_rat_hay2011_cell2.asc with CVODE, from its SWC conversion
(morphologies/l5pc_rat_hay2011_cell2_converted.swc) with CVODE and with the fixed step, each
run in a child process (`run`) so that each starts from a fresh NEURON. --only NAME runs one.

Needs neuron==9.0.2.
"""
import argparse
import atexit
import contextlib
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

REPO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MORPHOLOGY_DIR = os.path.join(REPO_DIR, "morphologies")

SITE_DISTANCES = [100, 200, 400, 600, 800]     # um from soma(0.5)
EPSP_DISTANCE = 620.0                          # um from apic[0](0), Hay's BAC protocol
APICAL_GNA = 0.0213                            # L5PCbiophys3's apical gNaTa_tbar (S/cm2)
V_INIT, T_STOP, FIXED_DT = -80.0, 600.0, 0.025
T_REF, T_ABOVE_FROM, ABOVE_MV = 295.0, 290.0, -20.0

PROTOCOLS = [  # name, somatic pulse (nA), EPSP imax (nA), apical Na on
    ("bap_normal", 1.9, 0.0, True),
    ("bap_noNa", 1.9, 0.0, False),
    ("epsp_alone", 0.0, 0.5, True),
    ("bac", 1.9, 0.5, True),
    ("epsp_x3", 0.0, 1.5, True),
]

LESSON_RUNS = [  # name, morphology file, --fixed
    ("cell2_asc_cvode", "l5pc_rat_hay2011_cell2.asc", False),
    ("cell2_swc_cvode", "l5pc_rat_hay2011_cell2_converted.swc", False),
    ("cell2_swc_fixed_be_dt0.025", "l5pc_rat_hay2011_cell2_converted.swc", True),
]
INTEGRATOR = {False: "CVODE", True: f"fixed step, backward Euler, dt {FIXED_DT} ms"}
ABOUT = ("NEURON 9.0.2 with Hay et al. 2011 (ModelDB 139653: L5PCbiophys3, Hay's L5PCtemplate, "
         "which replaces the axon, and Hay's mechanisms) on Hay's cell 2, read from the "
         "Neurolucida file and from its SWC conversion; made by reference/hay_protocols.py "
         "(its docstring defines the protocols and each figure).")


def hay_file(hay_dir, name):
    for folder in (hay_dir, os.path.join(hay_dir, "models")):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    sys.exit(f"hay_protocols.py: {name} is neither in {hay_dir} nor in {hay_dir}/models "
             "(Hay's files: ModelDB 139653)")


def find_mechanisms(hay_dir, explicit):
    if explicit:
        return explicit
    for pattern in ("x86_64", "arm64", "aarch64"):
        for folder in (hay_dir, os.path.join(hay_dir, "mod")):
            found = glob.glob(os.path.join(folder, pattern, "libnrnmech.so")) + \
                glob.glob(os.path.join(folder, pattern, ".libs", "libnrnmech.so"))
            if found:
                return found[0]
    return None


@contextlib.contextmanager
def stdout_to_stderr():
    """NEURON's readers print to the C stdout; keep stdout for the JSON lines."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def build_cell(h, hay_dir, mech, morphology):
    if not hasattr(h, "epsp"):
        if mech is None:
            sys.exit("hay_protocols.py: no compiled mechanisms; run nrnivmodl on Hay's mod folder "
                     "and give --mech (or HAY_MECH) or leave x86_64/ in the Hay folder")
        h.nrn_load_dll(mech)
    h.load_file("stdrun.hoc")
    h.load_file("import3d.hoc")
    h.load_file(hay_file(hay_dir, "L5PCbiophys3.hoc"))
    template = hay_file(hay_dir, "L5PCtemplate.hoc")
    if not morphology.lower().endswith(".asc"):
        with open(template) as f:
            text = f.read()
        asc_reader = "new Import3d_Neurolucida3()"
        if text.count(asc_reader) != 1:
            sys.exit(f"hay_protocols.py: {template} is not Hay's template (no single {asc_reader})")
        scratch = tempfile.mkdtemp(prefix="hay_swc_")
        atexit.register(shutil.rmtree, scratch, True)
        template = os.path.join(scratch, "L5PCtemplate_swc.hoc")
        with open(template, "w") as f:
            f.write(text.replace(asc_reader, "new Import3d_SWC_read()"))
    h.load_file(template)
    with stdout_to_stderr():
        cell = h.L5PCtemplate(morphology)
    return cell


def nearest_apical_segment(h, apical, distance):
    """(|d - distance|, section, x, d) of the apical segment nearest `distance` from the origin."""
    best = None
    for sec in apical:
        for seg in sec:
            d = h.distance(seg)
            if best is None or abs(d - distance) < best[0]:
                best = (abs(d - distance), sec, seg.x, d)
    return best


def epsp_site(cell):
    """Hay's BAC site: of the points locateSites('apic', 620) returns, the widest."""
    candidates = cell.locateSites("apic", EPSP_DISTANCE)
    widest, site = 0.0, (cell.apic[int(candidates.o(0).x[0])], candidates.o(0).x[1])
    for k in range(int(candidates.count())):
        sec_index, x = int(candidates.o(k).x[0]), candidates.o(k).x[1]
        diam = cell.apic[sec_index](x).diam
        if diam > widest:
            widest, site = diam, (cell.apic[sec_index], x)
    return site[0], site[1], widest


def describe_sites(h, cell):
    soma = cell.soma[0]
    apical = list(cell.apic)
    h.distance(0, soma(0.5))
    sites = {D: nearest_apical_segment(h, apical, D) for D in SITE_DISTANCES}
    sec, x, diam = epsp_site(cell)      # locateSites moves the distance origin to apic[0](0)
    h.distance(0, soma(0.5))
    info = {
        "nsec": len(list(cell.all)),
        "nseg": sum(s.nseg for s in cell.all),
        "epsp_site": f"{sec.name()}({x:.4f})",
        "epsp_dist_soma05": h.distance(sec(x)),
        "epsp_diam": diam,
        "sites": {D: f"{b[1].name()}({b[2]:.4f}) d={b[3]:.1f}" for D, b in sites.items()},
    }
    return info, sites, (sec, x)


def run_protocol(h, cell, sites, epsp_at, pulse_na, epsp_na, apical_na, fixed):
    soma = cell.soma[0]
    for sec in cell.apic:
        for seg in sec:
            seg.gNaTa_tbar_NaTa_t = APICAL_GNA if apical_na else 0.0
    pulse = h.IClamp(soma(0.5))
    pulse.amp, pulse.delay, pulse.dur = pulse_na, 295.0, 5.0
    epsp = h.epsp(epsp_at[0](epsp_at[1]))
    epsp.tau0, epsp.tau1, epsp.onset, epsp.imax = 0.5, 5.0, 300.0, epsp_na
    t_rec = h.Vector()
    t_rec.record(h._ref_t)
    soma_rec = h.Vector()
    soma_rec.record(soma(0.5)._ref_v)
    epsp_rec = h.Vector()
    epsp_rec.record(epsp_at[0](epsp_at[1])._ref_v)
    site_recs = {}
    for D, (_, sec, x, _) in sites.items():
        site_recs[D] = h.Vector()
        site_recs[D].record(sec(x)._ref_v)
    if fixed:
        h.cvode_active(0)
        h.dt = FIXED_DT
        h.steps_per_ms = 1.0 / FIXED_DT
    else:
        h.cvode_active(1)
    h.v_init, h.tstop = V_INIT, T_STOP
    h.finitialize(V_INIT)
    h.continuerun(T_STOP)

    t, v_soma, v_epsp = list(t_rec), list(soma_rec), list(epsp_rec)
    k = max(i for i, ti in enumerate(t) if ti <= T_REF)
    figures = {
        "soma_spikes": sum(1 for i in range(1, len(v_soma)) if v_soma[i - 1] < 0 <= v_soma[i]),
        "vmax_epsp_site": max(v_epsp[k:]),
        "t_above_-20": sum(t[i] - t[i - 1] for i in range(1, len(t))
                           if v_epsp[i] > ABOVE_MV and t[i] > T_ABOVE_FROM),
        "soma_rest_295": v_soma[k],
        "epsp_site_rest_295": v_epsp[k],
    }
    bap = {}
    for D, rec in site_recs.items():
        v = list(rec)
        peak = max(v[k:])
        bap[D] = {"rel_start": peak - v[k], "rel_vinit": peak - V_INIT, "rest": v[k], "peak": peak}
    figures["bap"] = bap
    return figures   # the clamp, the EPSP and the recorders are freed on return


def command_run(args, hay_dir, mech):
    from neuron import h
    cell = build_cell(h, hay_dir, mech, args.morphology)
    info, sites, epsp_at = describe_sites(h, cell)
    print(json.dumps(info), flush=True)
    results = {}
    for name, pulse_na, epsp_na, apical_na in PROTOCOLS:
        results[name] = run_protocol(h, cell, sites, epsp_at, pulse_na, epsp_na, apical_na, args.fixed)
    print(json.dumps(results), flush=True)


def command_lesson(args, hay_dir, mech):
    runs = {}
    for name, morphology, fixed in LESSON_RUNS:
        if args.only and name not in args.only:
            continue
        cmd = [sys.executable, os.path.abspath(__file__), "--hay-dir", hay_dir]
        if mech:
            cmd += ["--mech", mech]
        cmd += ["run", os.path.join(args.morphology_dir, morphology)] + (["--fixed"] if fixed else [])
        print(f"hay_protocols.py: {name} ...", file=sys.stderr, flush=True)
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
        lines = [line for line in out.splitlines() if line.startswith("{")]
        sites, figures = json.loads(lines[-2]), json.loads(lines[-1])
        runs[name] = {"morphology": morphology, "integrator": INTEGRATOR[fixed],
                      "sites": sites, "figures": figures}
    text = json.dumps({"about": ABOUT, "runs": runs}, indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        print(text)


def main():
    ap = argparse.ArgumentParser(description="bAP and BAC protocols with Hay et al.'s 2011 model "
                                 "(ModelDB 139653) in NEURON.")
    ap.add_argument("--hay-dir", default=os.environ.get("HAY_DIR"),
                    help="folder with Hay's ModelDB 139653 files (default: $HAY_DIR)")
    ap.add_argument("--mech", default=os.environ.get("HAY_MECH"),
                    help="Hay's compiled mechanisms, libnrnmech.so (default: $HAY_MECH, or found "
                         "under the Hay folder)")
    sub = ap.add_subparsers(dest="command", required=True)
    one = sub.add_parser("run", help="the five protocols on one morphology: two JSON lines")
    one.add_argument("morphology", help="SWC or Neurolucida .asc file")
    one.add_argument("--fixed", action="store_true", help=f"fixed step dt {FIXED_DT} ms, not CVODE")
    les = sub.add_parser("lesson", help="the three runs of reference/lessons/hay_cell2.json")
    les.add_argument("--morphology-dir", default=MORPHOLOGY_DIR,
                     help="where Hay's cell 2 files are (default: the repository's morphologies/)")
    les.add_argument("--only", action="append", choices=[r[0] for r in LESSON_RUNS],
                     help="run only this one (repeatable)")
    les.add_argument("--out", help="write the JSON here instead of stdout")
    args = ap.parse_args()
    if not args.hay_dir:
        ap.error("give --hay-dir or set HAY_DIR: a folder with Hay's ModelDB 139653 files")
    hay_dir = os.path.abspath(args.hay_dir)
    mech = find_mechanisms(hay_dir, args.mech)
    if args.command == "run":
        command_run(args, hay_dir, mech)
    else:
        command_lesson(args, hay_dir, mech)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Hay et al.'s 2011 L5PC (L5PCbiophys3) on one cell in Dendra (1 and 2 threads), NEURON and
# Arbor side by side, in the same run on the same machine; prints a Markdown table.
#
#   scripts/bench_hay.sh [MORPHOLOGY.swc]   (default: morphologies/l5pc_rat_hay2011_cell2_converted.swc)
#
# The protocol is NEURON's script's (scripts/neuron_hay_bench.py): Hay's template (axon
# replaced by two 30 um stubs, nseg 1 + 2 int(L/40)), a somatic IClamp of 1.9 nA for 5 ms
# from 100 ms, fixed step dt 0.025 ms, backward Euler, v_init -80 mV, 1000 ms; only the run is
# timed. Dendra runs `dendra bench cell --preset hay --method be` (the lab's preset integrates
# with Crank-Nicolson; a step costs the same either way: one extra row is printed with it).
# Arbor runs scripts/arbor_hay_bench.py (Arbor's bbp catalogue, uniform stand-ins for Hay's two
# gradients: see its docstring).
#
# Needs a release build of dendra, a Python with neuron==9.0.2 and arbor==0.12.2, and Hay's
# ModelDB 139653 files (reference/README.md says where they come from):
#   HAY_DIR   the folder with L5PCtemplate.hoc, L5PCbiophys3.hoc and mod/ (required)
#   HAY_MECH  Hay's compiled libnrnmech.so; without it the script compiles HAY_DIR/mod with the
#             nrnivmodl beside PYTHON in a scratch folder
# Environment: DENDRA (binary), PYTHON (interpreter), REPEAT (runs, best kept; default 3),
# THREADS (the second Dendra thread count; default 2).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
DENDRA="${DENDRA:-${CARGO_TARGET_DIR:-$here/target}/release/dendra}"
PYTHON="${PYTHON:-$HOME/.cache/dendra/venv/bin/python}"
REPEAT="${REPEAT:-3}"
THREADS="${THREADS:-2}"
MORPH="${1:-$here/morphologies/l5pc_rat_hay2011_cell2_converted.swc}"
: "${HAY_DIR:?set HAY_DIR to the folder with the ModelDB 139653 files of Hay et al. 2011, see reference/README.md}"

if [ -z "${HAY_MECH:-}" ]; then
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    mod="$HAY_DIR/mod"; [ -d "$mod" ] || mod="$HAY_DIR"
    (cd "$scratch" && "$(dirname "$PYTHON")/nrnivmodl" "$mod" >/dev/null 2>&1)
    HAY_MECH="$(find "$scratch" -name libnrnmech.so | head -1)"
    [ -n "$HAY_MECH" ] || { echo "bench_hay.sh: nrnivmodl did not build Hay's mechanisms" >&2; exit 1; }
fi
export HAY_DIR HAY_MECH

. "$here/scripts/bench_common.sh"

echo "_Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(basename "$MORPH"), best of $REPEAT; load average (1, 5, 15 min) before: $(cut -d' ' -f1-3 /proc/loadavg)._"
echo
d1=$(best "$DENDRA" bench cell --morphology "$MORPH" --preset hay --method be --threads 1)
dn=$(best "$DENDRA" bench cell --morphology "$MORPH" --preset hay --method be --threads "$THREADS")
dc=$(best "$DENDRA" bench cell --morphology "$MORPH" --preset hay --method cn --threads 1)
nl=$(best "$PYTHON" "$here/scripts/neuron_hay_bench.py" "$MORPH")
al=$(best "$PYTHON" "$here/scripts/arbor_hay_bench.py" "$MORPH")
python3 - "$d1" "$dn" "$dc" "$nl" "$al" "$THREADS" <<'PY'
import json, sys
d1, dn, dc, nl, al = (json.loads(x) for x in sys.argv[1:6])
threads = sys.argv[6]
nw = nl["wall_s"]
rows = [
    ("Dendra, 1 thread", d1), (f"Dendra, {threads} threads", dn),
    ("Dendra, 1 thread, Crank-Nicolson (the lab's preset)", dc),
    ("NEURON 9.0.2", nl), ("Arbor 0.12.2, bbp catalogue (uniform stand-ins for the gradients)", al),
]
print("| simulator | compartments | wall s | x real time | wall / NEURON's | soma spikes |")
print("|---|---|---|---|---|---|")
for name, r in rows:
    w = r["wall_s"]
    print(f"| {name} | {r['compartments']} | {w:.3f} | {1.0 / w:.2f} | {w / nw:.3f} | {r.get('soma_spikes', '-')} |")
print(f"\nDendra, speed-up of {threads} threads over 1: {d1['wall_s'] / dn['wall_s']:.2f}")
PY
echo
echo "_Load average after: $(cut -d' ' -f1-3 /proc/loadavg)._"

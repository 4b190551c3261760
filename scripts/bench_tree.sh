#!/usr/bin/env bash
# Runs the binary-tree benchmark in Dendra, NEURON and Arbor side by side, on the same
# machine in the same run, and prints a Markdown table with ratios and Dendra's cost per
# compartment-step.
#
#   scripts/bench_tree.sh [DEPTHS...]          (default: 4 6 8 10)
#
# The NEURON and Arbor sides are scripts/neuron_tree_bench.py and scripts/arbor_tree_bench.py:
# the same model as `dendra bench tree` (src/sim/workloads.rs), the same flags, the same JSON line.
# Needs a release build of dendra (cargo build --release --no-default-features is enough)
# and a Python with neuron==9.0.2 and arbor==0.12.2:
#   python3 -m venv ~/.cache/dendra/venv && ~/.cache/dendra/venv/bin/pip install neuron==9.0.2 arbor==0.12.2 numpy
# Environment: DENDRA (binary), PYTHON (interpreter), BENCH_DIR (folder with the two Python
# scripts, default scripts/), REPEAT (runs, best kept; default 3).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
DENDRA="${DENDRA:-${CARGO_TARGET_DIR:-$here/target}/release/dendra}"
PYTHON="${PYTHON:-$HOME/.cache/dendra/venv/bin/python}"
BENCH_DIR="${BENCH_DIR:-$here/scripts}"
REPEAT="${REPEAT:-3}"
depths=("$@")
[ ${#depths[@]} -gt 0 ] || depths=(4 6 8 10)

. "$here/scripts/bench_common.sh"

echo "_Run $(date -u '+%Y-%m-%d %H:%M UTC'), best of $REPEAT; load average (1, 5, 15 min) before: $(cut -d' ' -f1-3 /proc/loadavg)._"
echo
echo "| depth | compartments | Dendra s | NEURON s | Arbor s | Dendra / NEURON | Dendra / Arbor | Dendra ns per compartment-step | soma spikes D/N/A |"
echo "|---|---|---|---|---|---|---|---|---|"
for d in "${depths[@]}"; do
    dl=$(best "$DENDRA" bench tree --depth "$d")
    nl=$(best "$PYTHON" "$BENCH_DIR/neuron_tree_bench.py" --depth "$d")
    al=$(best "$PYTHON" "$BENCH_DIR/arbor_tree_bench.py" --depth "$d")
    dw=$(field "$dl" wall_s); nw=$(field "$nl" wall_s); aw=$(field "$al" wall_s)
    python3 - "$d" "$(field "$dl" compartments)" "$(field "$dl" steps)" "$dw" "$nw" "$aw" "$(field "$dl" soma_spikes)" "$(field "$nl" soma_spikes)" "$(field "$al" soma_spikes)" <<'PY'
import sys
d, c, steps, dw, nw, aw, ds, ns, as_ = sys.argv[1:]
dw, nw, aw = float(dw), float(nw), float(aw)
per = dw / (int(c) * int(steps)) * 1e9
print(f"| {d} | {c} | {dw:.3f} | {nw:.3f} | {aw:.3f} | {dw/nw:.3f} | {dw/aw:.3f} | {per:.2f} | {ds}/{ns}/{as_} |")
PY
done
echo
echo "_Load average after: $(cut -d' ' -f1-3 /proc/loadavg)._"

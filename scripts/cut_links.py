#!/usr/bin/env python3
"""Make a multi-root SWC test file from a real cell by cutting parent links.

Every point whose id is a multiple of EVERY (and that is not soma, and whose parent is
not one of the first three points) gets parent -1: the neurite beyond it becomes a
separate tree, as tracers leave disconnected fragments. NEURON's Import3d wires each
such root to the soma; tests/passive_props.rs checks that Dendra does the same.

    python3 scripts/cut_links.py morphologies/ca1_pyr_rat_c91662.swc 151 \
        > tests/data/morphologies/multiroot_ca1_cut151.swc
"""
import sys

src, every = sys.argv[1], int(sys.argv[2])
cut = 0
out = sys.stdout
out.write(f"# {src.split('/')[-1]} with the parent link of every point whose id is a multiple of "
          f"{every} cut (scripts/cut_links.py)\n")
for line in open(src, newline=""):
    line = line.rstrip("\r\n")
    f = line.split()
    if len(f) >= 7 and not line.lstrip().startswith("#"):
        i, t, p = int(f[0]), int(f[1]), int(f[6])
        if i % every == 0 and t != 1 and p > 3:
            f[6] = "-1"
            line = " ".join(f)
            cut += 1
    out.write(line + "\n")
print(f"cut {cut} links", file=sys.stderr)

# Shared by the benchmark scripts (sourced, not run): `best CMD...` runs CMD $REPEAT times
# and prints the JSON line of the fastest run (by its "wall_s"); `field JSON KEY` prints one
# field of a JSON line.

best() { # best wall time of REPEAT runs of a command printing one JSON line
    local best_line="" best_wall=""
    for _ in $(seq "$REPEAT"); do
        line=$("$@" 2>/dev/null | grep '^{' | tail -1)
        wall=$(printf '%s' "$line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["wall_s"])')
        if [ -z "$best_wall" ] || python3 -c "import sys; sys.exit(0 if $wall < $best_wall else 1)"; then
            best_wall=$wall; best_line=$line
        fi
    done
    printf '%s\n' "$best_line"
}
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

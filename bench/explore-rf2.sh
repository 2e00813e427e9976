#!/usr/bin/env bash
# How fast does `kafkasim explore` find the KIP-101 class of acknowledged-write loss unaided? Runs the
# search on kafka-0.10 over bench/explore-rf2-base.yaml (RF 2, acks=all, min.insync.replicas 1, unclean
# election off, no power loss) from several base seeds and reports, per seed, the runs and the wall time
# until the first acked-write-lost. Usage: bench/explore-rf2.sh [SEEDS...] (default: 1 1001 2001 3001 4001)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/build/kafkasim"
[ -x "$bin" ] || { echo "build first: bash scripts/build.sh build" >&2; exit 2; }
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 1001 2001 3001 4001)
faults=crash,pause,partition,isolate,cut,drop,delay,expire-session,shutdown,elect-preferred-leader
out=$(mktemp -d)
printf '%-8s %-10s %-12s %-10s %s\n' seed runs wall_s runs/s first-acked-write-lost
for s in "${seeds[@]}"; do
  "$bin" explore "$top/bench/explore-rf2-base.yaml" --design kafka-0.10 --faults "$faults" --runs 500 \
    --seed "$s" --jobs "$(nproc)" --no-shrink --no-progress --out "$out/$s" >/dev/null 2>&1 || true
  python3 - "$out/$s/summary.json" "$s" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); base = int(sys.argv[2])
rate = s["runs"] / s["search_wall_s"] if s["search_wall_s"] else 0
hits = sorted(v["seed"] for v in s["violations"] if v["property"] == "acked-write-lost")
first = f"run {hits[0] - base + 1} (seed {hits[0]}), about {(hits[0] - base + 1) / rate:.1f} s" if hits else "not in 500 runs"
print(f"{base:<8} {s['runs']:<10} {s['search_wall_s']:<12} {rate:<10.1f} {first}")
PY
done
rm -rf "$out"

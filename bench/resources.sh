#!/usr/bin/env bash
# What a run of a given size costs: wall time, peak memory and simulator events for growing clusters
# (brokers, partitions, producer rates, durations) up to the simulator's limits, beside the estimate that
# `kafkasim check` prints and that refuses a clearly oversized scenario. Prints a markdown table
# (docs/robustness.md holds one run of it). Usage: bench/resources.sh [BUILD_DIR] (default build)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kafkasim="$top/${1:-build}/kafkasim"
[[ -x "$kafkasim" ]] || { echo "build first: scripts/build.sh build ($kafkasim is missing)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# brokers partitions rf rate duration settle
sizes=(
  "3 1 3 0/s 60s 60s"
  "3 3 3 100/s 60s 60s"
  "3 3 3 1000/s 60s 60s"
  "3 3 3 10000/s 10s 60s"
  "10 100 3 1000/s 60s 60s"
  "30 300 3 0/s 60s 60s"
  "30 3000 3 0/s 60s 60s"
  "100 1000 3 0/s 10s 10s"
  "100 10000 3 0/s 10s 10s"
  "300 3000 3 0/s 10s 10s"
  "30 30000 3 0/s 10s 10s"
  "3 3 3 1000/s 10m 60s"
)
echo "| brokers | partitions (RF 3) | rate | duration | wall s | peak MiB | events | estimated events | estimated MiB |"
echo "|---|---|---|---|---|---|---|---|---|"
for size in "${sizes[@]}"; do
  read -r brokers partitions rf rate duration settle <<<"$size"
  cat >"$work/s.yaml" <<EOF
name: size
summary: a cluster of a given size, for the resource table
duration: $duration
settle: $settle
cluster: {brokers: $brokers}
topics: [{name: t, partitions: $partitions, replication.factor: $rf}]
producers: [{id: p1, topic: t, acks: all, rate: $rate}]
consumers: [{id: c1, topic: t}]
EOF
  estimate=$("$kafkasim" check "$work/s.yaml" | sed -n 's/.*roughly \([^ ]*\) simulator events and \([0-9]*\) MiB.*/\1 \2/p')
  # The run's peak resident size: the largest of its process tree (the run itself is a forked child).
  read -r wall events peak_mib < <(python3 - "$kafkasim" "$work" <<'PY'
import json, resource, subprocess, sys
kafkasim, work = sys.argv[1], sys.argv[2]
subprocess.run([kafkasim, "run", f"{work}/s.yaml", "--json", f"{work}/r.json"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
r = json.load(open(f"{work}/r.json"))
print(round(r["stats"]["wall_s"], 2), r["stats"]["events"], resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
PY
)
  read -r est_events est_mib <<<"$estimate"
  echo "| $brokers | $partitions | $rate | $duration | $wall | $peak_mib | $events | $est_events | $est_mib |"
done

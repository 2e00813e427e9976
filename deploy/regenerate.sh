#!/usr/bin/env bash
# Rewrites the example job files in deploy/ with `kafkasim sweep` (a test checks they are what it writes).
# Usage: deploy/regenerate.sh [path/to/kafkasim]   (default: build/kafkasim)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kafkasim=${1:-$top/build/kafkasim}
cd "$top"
made_shared=false
[[ -e /shared ]] || made_shared=true
"$kafkasim" sweep --slurm --design kafka-0.10 --time 30m --shards 16 --results /shared/kafkasim/results \
  --kafkasim /shared/kafkasim/bin/kafkasim --out deploy/slurm/explore.sbatch
# sweep --slurm makes the results folder (Slurm writes task logs there); not wanted on this machine.
$made_shared && rm -r /shared
"$kafkasim" sweep --kubernetes --design kafka-0.10 --time 30m --shards 16 --out deploy/kubernetes/explore-job.yaml

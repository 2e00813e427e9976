#!/usr/bin/env bash
# A kafkasim sweep on a real one-node Slurm: the array job `kafkasim sweep --slurm` writes, 4 shards, one
# task cancelled mid-run, merge --check naming it, its resubmission completing the sweep, and the merged
# violations equal to one unsharded run over the same seeds. Exit 77 (a ctest skip) when Slurm cannot run.
# Usage: tests/slurm/test-slurm-sweep.sh KAFKASIM WORKDIR
set -euo pipefail
kafkasim=$(realpath "$1")
work=$2
here=$(cd "$(dirname "$0")" && pwd)
readonly runs_per_shard=200 shards=4 seed=11 wait_s=600
rm -rf -- "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd -P)

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

step "start a one-node Slurm cluster"
code=0
"$here/slurm-cluster.sh" start "$work/cluster" || code=$?
if [[ $code -eq 77 ]]; then echo "SKIP: Slurm cannot run in this sandbox (see above)"; exit 77; fi
[[ $code -eq 0 ]] || fail "slurm-cluster.sh start exited $code"
trap '"$here/slurm-cluster.sh" stop "$work/cluster" || true' EXIT
# shellcheck disable=SC1091
source "$work/cluster/env"

sweep_flags=(--slurm --design kafka-0.10 --faults crash,pause,partition --seed $seed --runs $runs_per_shard
             --shards $shards --jobs 1 --strategy random --results "$work/results" --kafkasim "$kafkasim")

# Waits (bounded) until job $1 has no task pending or running.
wait_job() {
  local deadline=$((SECONDS + wait_s))
  while [[ -n "$(squeue -h -j "$1" -o %i 2>/dev/null)" ]]; do
    (( SECONDS < deadline )) || fail "job $1 still queued or running after ${wait_s} s"
    sleep 1
  done
}

step "kafkasim sweep writes the array job; sbatch submits it"
"$kafkasim" sweep "${sweep_flags[@]}" --out "$work/sweep.sbatch"
job=$(sbatch --parsable "$work/sweep.sbatch")
job=${job%%;*}
echo "job $job"

step "cancel task 1 once it has run a few seconds"
deadline=$((SECONDS + wait_s))
until [[ "$(squeue -h -j "${job}_1" -t R -o %T 2>/dev/null)" == RUNNING ]]; do
  (( SECONDS < deadline )) || fail "task ${job}_1 never ran"
  sleep 0.5
done
sleep 3
[[ -n "$(squeue -h -j "${job}_1" -t R -o %i)" ]] || fail "task ${job}_1 finished before it could be cancelled: raise runs_per_shard"
scancel "${job}_1"
wait_job "$job"
ls "$work/results"

step "merge --check reports shard 1 to resubmit"
code=0
"$kafkasim" merge "$work"/results/shard-* --out "$work/merged-1" --check > "$work/merge-1.out" 2>&1 || code=$?
cat "$work/merge-1.out"
grep -q -- "--shards $shards --only 1)" "$work/merge-1.out" || fail "merge --check did not name shard 1 to resubmit"
[[ $code -eq 1 ]] || fail "merge --check exited $code with a shard missing"

step "resubmit shard 1 alone"
"$kafkasim" sweep "${sweep_flags[@]}" --only 1 --out "$work/again.sbatch"
grep -q '^#SBATCH --array=1$' "$work/again.sbatch" || fail "the resubmission is not of index 1 alone"
job2=$(sbatch --parsable "$work/again.sbatch")
job2=${job2%%;*}
wait_job "$job2"
"$kafkasim" merge "$work"/results/shard-* --out "$work/merged" --check > "$work/merge-2.out" 2>&1 || true
cat "$work/merge-2.out"

step "every seed covered once, and the violations of one unsharded run"
"$kafkasim" explore --design kafka-0.10 --faults crash,pause,partition --seed $seed --runs $((runs_per_shard * shards)) \
  --strategy random --jobs 2 --no-progress --out "$work/unsharded" > "$work/unsharded.out" 2>&1 || true
python3 - "$work" $seed $((runs_per_shard * shards)) <<'EOF'
import json, sys
work, seed, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
merged = json.load(open(f"{work}/merged/summary.json"))
whole = json.load(open(f"{work}/unsharded/summary.json"))
problems = []
if merged["covered_seed_ranges"] != [[seed, seed + runs - 1]]:
    problems.append(f"covered {merged['covered_seed_ranges']}, not [[{seed}, {seed + runs - 1}]]")
if merged["runs"] != runs: problems.append(f"{merged['runs']} runs merged, not {runs}")
if merged["gaps"] or merged["missing_shards"]: problems.append(f"gaps {merged['gaps']} missing {merged['missing_shards']}")
if merged.get("skipped_inputs") or merged.get("interrupted_inputs"):
    problems.append(f"skipped {merged.get('skipped_inputs')} interrupted {merged.get('interrupted_inputs')}")
def found(s): return sorted((v["seed"], tuple(sorted(v.get("properties", [v["property"]])))) for v in s["violations"])
if found(merged) != found(whole):
    problems.append(f"violations differ: sharded {found(merged)[:5]}..., unsharded {found(whole)[:5]}...")
print(f"merged: {merged['runs']} runs, {len(merged['violations'])} violating runs; unsharded: {whole['runs']} runs, "
      f"{len(whole['violations'])} violating runs")
if problems:
    print("FAIL: " + "; ".join(problems)); sys.exit(1)
EOF

step "stop the cluster; no daemon left"
trap - EXIT
"$here/slurm-cluster.sh" stop "$work/cluster"
if pgrep -f "KAFKASIM_SLURM_DIR=$work/cluster" >/dev/null 2>&1; then fail "a daemon outlived stop"; fi
for d in slurmctld slurmd munged; do
  for pid in $(pgrep -x "$d" || true); do
    if tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$work/cluster"; then fail "$d ($pid) still running"; fi
  done
done
echo "PASS"

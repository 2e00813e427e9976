#!/usr/bin/env bash
# Starts and stops a private one-node Slurm cluster (munged, slurmctld, slurmd) whose every file lives in DIR, so a test can submit array jobs to a real Slurm.
# Usage: tests/slurm/slurm-cluster.sh start DIR   (then: source DIR/env, which sets SLURM_CONF)
#        tests/slurm/slurm-cluster.sh stop DIR
# start wipes and rewrites DIR/{munge,state,spool,run,log,slurm.conf,env}; stop leaves the logs for reading.
# Exit codes: 0 ok; 77 Slurm cannot run here (ctest SKIP_RETURN_CODE); 1 misuse or a bug in this script.
# Nothing outside DIR is written: no system service is started, no /etc, /run or /var file is used.
set -Eeuo pipefail   # -E: the ERR trap of start also fires inside its helper functions

readonly startup_wait_s=60   # munged socket, slurmctld ping, node IDLE: each gets at most this long
readonly stop_wait_s=20      # per daemon, after SIGTERM, before SIGKILL
readonly jobs_wait_s=20      # stop: after scancel, for the job steps to end

me=$(basename "$0")
die() { echo "$me: $*" >&2; exit 1; }

usage() { die "usage: $me start DIR | stop DIR"; }
[[ $# -eq 2 ]] || usage
cmd=$1
[[ -n "$2" ]] || usage
if [[ "$cmd" == start ]]; then mkdir -p -- "$2"; else [[ -d "$2" ]] || die "no such directory: $2"; fi
dir=$(cd -- "$2" && pwd -P)
# slurm.conf has no quoting: a path with blanks or '#' would be cut short.
[[ "$dir" =~ ^[A-Za-z0-9._/+-]+$ ]] || die "DIR must be a plain path (letters, digits, . _ / + -), got '$dir'"

readonly munge_dir=$dir/munge
readonly conf=$dir/slurm.conf
readonly marker="KAFKASIM_SLURM_DIR=$dir"   # in the environment of every process this script starts
# name | pid file | log file | one argument its command line must have
daemons=("slurmd|$dir/run/slurmd.pid|$dir/log/slurmd.log|$conf"
         "slurmctld|$dir/run/slurmctld.pid|$dir/log/slurmctld.log|$conf"
         "munged|$munge_dir/munged.pid|$munge_dir/munged.log|--socket=$munge_dir/munge.socket")

# True when PID is alive (not a zombie) and has NEEDLE in its command line and our marker in its environment.
is_ours() {
  local pid=$1 needle=$2 state
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ "$state" != Z && "$state" != X ]] || return 1
  tr '\0' '\n' 2>/dev/null < "/proc/$pid/cmdline" | grep -qxF -- "$needle" || return 1
  tr '\0' '\n' 2>/dev/null < "/proc/$pid/environ" | grep -qxF -- "$marker"
}

pid_from() { [[ -r "$1" ]] && tr -dc '0-9' < "$1" || true; }

# Processes other than the three daemons that carry our marker: slurmstepd and whatever it left.
marked_pids() {
  local p
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ "$p" == "$$" ]] && continue
    tr '\0' '\n' 2>/dev/null < "/proc/$p/environ" | grep -qxF -- "$marker" || continue
    [[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" == Z ]] && continue
    echo "$p"
  done
}

# A daemon's zombie lingers until init reaps it (about 0.5 s here); wait so a 'pgrep' right after stop sees nothing.
await_reaped() {
  local i
  for ((i = 0; i < 50; i++)); do [[ -e "/proc/$1" ]] || return 0; sleep 0.1; done
}

# Sends TERM, waits up to stop_wait_s, then KILL and waits again; only if the pid is still ours.
stop_pid() {
  local name=$1 pid=$2 needle=$3 i
  is_ours "$pid" "$needle" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < stop_wait_s * 10; i++)); do
    is_ours "$pid" "$needle" || { echo "$me: stopped $name (pid $pid)"; await_reaped "$pid"; return 0; }
    sleep 0.1
  done
  echo "$me: $name (pid $pid) ignored SIGTERM for ${stop_wait_s}s, sending SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    is_ours "$pid" "$needle" || { await_reaped "$pid"; return 0; }
    sleep 0.1
  done
  echo "$me: $name (pid $pid) still alive after SIGKILL" >&2
  return 1
}

do_stop() {
  local entry name pidf logf needle pid rc=0 i left
  # Jobs first: slurmstepd outlives slurmd by design, so a job still running would be orphaned.
  pid=$(pid_from "$dir/run/slurmctld.pid")
  if is_ours "$pid" "$conf"; then
    SLURM_CONF=$conf timeout 10 scancel --quiet --user="$(id -un)" 2>/dev/null || true
    for ((i = 0; i < jobs_wait_s * 10; i++)); do
      [[ -z "$(SLURM_CONF=$conf timeout 10 squeue -h -t running,completing -o %i 2>/dev/null)" ]] && break
      sleep 0.1
    done
  fi
  for entry in "${daemons[@]}"; do
    IFS='|' read -r name pidf logf needle <<< "$entry"
    pid=$(pid_from "$pidf")
    [[ -n "$pid" ]] || continue
    stop_pid "$name" "$pid" "$needle" || rc=1
    rm -f -- "$pidf"
  done
  # Any slurmstepd (or job process) that slurmd started and that is still here: it carries our marker.
  for ((i = 0; i < 50; i++)); do
    left=$(marked_pids)
    [[ -z "$left" ]] && break
    [[ $i -eq 20 ]] && { echo "$me: killing leftover job processes: $left" >&2; kill -KILL $left 2>/dev/null || true; }
    sleep 0.1
  done
  left=$(marked_pids)
  [[ -z "$left" ]] || { echo "$me: processes still alive: $left" >&2; rc=1; }
  return $rc
}

# start: a failure of a daemon is the sandbox's (exit 77); an unexpected command failure is ours (exit 1).
started=0
fail() {  # STEP [LOGFILE...]
  local f
  trap - ERR
  echo "$me: start failed at step: $1" >&2
  shift
  for f in "$@"; do
    [[ -s "$f" ]] || continue
    echo "---- last lines of $f ----" >&2
    tail -n 25 -- "$f" >&2
    echo "----" >&2
  done
  [[ $started -eq 1 ]] && { do_stop >&2 || true; }
  exit 77
}
on_err() {
  local rc=$? line=$1
  trap - ERR
  echo "$me: bug: command failed (rc $rc) at line $line" >&2
  [[ $started -eq 1 ]] && { do_stop >&2 || true; }
  exit 1
}

# Two TCP ports nobody listens on, picked at random from 20000-59999 (the race with another binder is accepted).
free_ports() {
  local used p n=0 picked=()
  used=$(ss -Htanl 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u)
  for ((i = 0; i < 200 && n < 2; i++)); do
    p=$((20000 + RANDOM % 40000))
    grep -qx -- "$p" <<< "$used" && continue
    [[ " ${picked[*]-} " == *" $p "* ]] && continue
    picked+=("$p"); n=$((n + 1))
  done
  [[ $n -eq 2 ]] || return 1
  echo "${picked[@]}"
}

# munged refuses a socket whose directory, or any directory above, lacks execute permission for others.
check_ancestors() {
  local d=$1
  while [[ "$d" != / ]]; do
    [[ $(( 8#$(stat -c %a "$d") & 1 )) -eq 1 ]] || {
      [[ "$d" == "$dir" ]] && { chmod o+x "$d"; d=$(dirname "$d"); continue; }
      die "munged needs o+x on every directory above its socket; '$d' has $(stat -c %a "$d")"; }
    d=$(dirname "$d")
  done
}

do_start() {
  local entry name pidf logf needle pid i tool node cpus mem_mb ports ctld_port slurmd_port state
  for entry in "${daemons[@]}"; do
    IFS='|' read -r name pidf logf needle <<< "$entry"
    pid=$(pid_from "$pidf")
    is_ours "$pid" "$needle" && die "$dir already has a running $name (pid $pid); run '$me stop $dir' first"
  done
  [[ -z "$(marked_pids)" ]] || die "$dir still has processes from an earlier start ($(marked_pids | tr '\n' ' ')); run '$me stop $dir' first"
  [[ $(id -u) -eq 0 ]] || fail "preflight: slurmd must run as root (SlurmUser=root, job setuid) and this is uid $(id -u)"
  for tool in munged munge slurmctld slurmd sbatch squeue scancel scontrol sinfo ss; do
    command -v "$tool" > /dev/null || fail "preflight: '$tool' not found (scripts/install-deps.sh --test installs slurm-wlm munge)"
  done

  trap 'on_err $LINENO' ERR
  # A previous run's state would bring back its jobs; every start is a fresh cluster.
  rm -rf -- "$munge_dir" "$dir/state" "$dir/spool" "$dir/run" "$dir/log" "$conf" "$dir/env"
  mkdir -p -- "$munge_dir" "$dir/state" "$dir/spool" "$dir/run" "$dir/log"
  chmod 0755 -- "$dir" "$munge_dir"
  check_ancestors "$munge_dir"

  # munge: its own key, socket, pid, log and seed, all in DIR/munge.
  dd if=/dev/urandom of="$munge_dir/munge.key" bs=1 count=1024 status=none
  chmod 0400 -- "$munge_dir/munge.key"
  started=1
  env "$marker" munged --socket="$munge_dir/munge.socket" --key-file="$munge_dir/munge.key" \
    --pid-file="$munge_dir/munged.pid" --log-file="$munge_dir/munged.log" --seed-file="$munge_dir/munged.seed" \
    < /dev/null > "$dir/log/munged.out" 2>&1 || fail "munged start" "$munge_dir/munged.log" "$dir/log/munged.out"
  for ((i = 0; i < startup_wait_s * 10; i++)); do
    munge -S "$munge_dir/munge.socket" -n 2>/dev/null | unmunge -S "$munge_dir/munge.socket" > /dev/null 2>&1 && break
    sleep 0.1
  done
  [[ $i -lt $((startup_wait_s * 10)) ]] || fail "munged credential round trip (munge -n | unmunge)" "$munge_dir/munged.log"

  # slurm.conf: the node is this machine under its short hostname (what slurmd looks itself up by).
  node=$(hostname -s)
  cpus=$(nproc)
  mem_mb=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))  # below the real total, or the node is drained
  ports=$(free_ports) || fail "choosing two free TCP ports"
  read -r ctld_port slurmd_port <<< "$ports"
  cat > "$conf" <<EOF
# One-node test cluster written by tests/slurm/slurm-cluster.sh; every path is inside $dir.
ClusterName=kafkasim
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_dir/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$dir/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
MailProg=/bin/true
SwitchType=switch/none
ReturnToService=2
# Finished jobs (and their array tasks' ExitCode) stay visible to 'scontrol show job' for an hour: there is no slurmdbd.
MinJobAge=3600
# scancel: SIGCONT+SIGTERM, then SIGKILL; slurmd waits max(KillWait, 5 s), so the kill comes about 5 s after SIGTERM.
KillWait=2
InactiveLimit=0
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  : > "$dir/plugstack.conf"   # not /etc/slurm/plugstack.conf
  printf 'export SLURM_CONF=%s\n' "$conf" > "$dir/env"

  env "$marker" SLURM_CONF="$conf" slurmctld -f "$conf" < /dev/null > "$dir/log/slurmctld.out" 2>&1 \
    || fail "slurmctld start" "$dir/log/slurmctld.log" "$dir/log/slurmctld.out"
  for ((i = 0; i < startup_wait_s * 2; i++)); do
    SLURM_CONF=$conf timeout 5 scontrol ping 2>/dev/null | grep -q 'is UP' && break
    pid=$(pid_from "$dir/run/slurmctld.pid")
    [[ $i -gt 10 ]] && ! is_ours "$pid" "$conf" && fail "slurmctld exited after starting" "$dir/log/slurmctld.log"
    sleep 0.5
  done
  [[ $i -lt $((startup_wait_s * 2)) ]] || fail "slurmctld answering 'scontrol ping' within ${startup_wait_s}s" "$dir/log/slurmctld.log"

  env "$marker" SLURM_CONF="$conf" slurmd -f "$conf" < /dev/null > "$dir/log/slurmd.out" 2>&1 \
    || fail "slurmd start" "$dir/log/slurmd.log" "$dir/log/slurmd.out"
  for ((i = 0; i < startup_wait_s * 2; i++)); do
    state=$(SLURM_CONF=$conf timeout 5 sinfo -h -n "$node" -o %T 2>/dev/null || true)
    [[ "$state" == idle ]] && break
    pid=$(pid_from "$dir/run/slurmd.pid")
    [[ $i -gt 10 ]] && ! is_ours "$pid" "$conf" && fail "slurmd exited after starting" "$dir/log/slurmd.log"
    sleep 0.5
  done
  [[ "$state" == idle ]] || fail "node $node becoming idle within ${startup_wait_s}s (last state: '${state}')" "$dir/log/slurmd.log"
  trap - ERR
  echo "$me: cluster up in $dir (node $node, $cpus CPUs, slurmctld port $ctld_port, slurmd port $slurmd_port); source $dir/env"
}

case "$cmd" in
  start) do_start ;;
  stop) do_stop ;;
  *) usage ;;
esac

#!/usr/bin/env python3
# Names the mechanism behind each violating run of an explore search, from the run's own history: replays
# every violating seed of OUT/summary.json unshrunk (kafkasim explore --seed S --runs 1 --no-shrink), runs the
# counterexample with --history, and looks for the events that explain what broke. Usage:
#   bench/explore-classes.py OUT [--kafkasim build/kafkasim]
# Prints one line per violating seed and a count per class (docs/explore.md lists them by design).
import argparse
import json
import os
import subprocess
import sys
import tempfile

CLASSES = {
    "power-loss": "acknowledged records were lost with a broker's unflushed tail (no fsync: log.flush.* never)",
    "zombie-controller": "a controller whose epoch had passed still wrote ZooKeeper or was obeyed (KAFKA-6082)",
    "log-truncation-not-allowed": "a follower longer than its leader exited on every start (before KAFKA-7414)",
    "request-before-registration": "a restarted broker obeyed a control request before it registered (before KAFKA-5473)",
    "unclean-election": "an out-of-sync replica was elected",
    "missed-bounce": "a broker re-registered between two reads of the controller, which never told it its partitions (before KIP-380)",
    "fixed-by": "no mechanism above; flipping this one design switch to its fixed value alone removes every violation",
    "unexplained": "none of the above: read the history",
}


def classify(history, violations):
    logs = {}  # (broker, partition) -> values by offset
    lost_to_power = set()
    registered = {}  # broker -> registered in its current incarnation
    early_control = False
    classes = set()
    registrations = {}  # broker -> how many times it registered
    told_since = {}  # broker -> a LeaderAndIsr was applied since its last registration
    for e in history:
        ev = e["event"]
        key = (e.get("broker"), e.get("partition"))
        if ev == "appended":
            log = logs.setdefault(key, [])
            off = e["offset"]
            if len(log) <= off:
                log.extend([None] * (off + 1 - len(log)))
            log[off] = e["value"]
        elif ev == "truncated":
            log = logs.get(key, [])
            if e.get("reason") == "power-loss":
                lost_to_power.update(v for v in log[e["to_offset"]:] if v is not None)
            del log[e["to_offset"]:]
        elif ev == "broker-started":
            registered[e["broker"]] = False
        elif ev == "broker-registered":
            registered[e["broker"]] = True
            registrations[e["broker"]] = registrations.get(e["broker"], 0) + 1
            told_since[e["broker"]] = False
        elif ev == "control-applied":
            if registered.get(e["broker"]) is False:
                early_control = True
            elif e.get("request") == "LeaderAndIsr":
                told_since[e["broker"]] = True
        elif ev == "broker-exited" and e.get("reason") == "LOG_TRUNCATION_NOT_ALLOWED":
            classes.add("log-truncation-not-allowed")
        elif ev == "leader-elected" and e.get("clean") is False:
            classes.add("unclean-election")
    props = {v["property"] for v in violations}
    lost = set()
    for v in violations:
        for r in v.get("records", []):
            if r.get("value"):
                lost.add(r["value"])
    if lost & lost_to_power:
        classes.add("power-loss")
    if "stale-controller-obeyed" in props:
        classes.add("zombie-controller")
    if early_control:
        classes.add("request-before-registration")
    if "unavailable-after-heal" in props and any(n > 1 and not told_since.get(b) for b, n in registrations.items()):
        classes.add("missed-bounce")
    return classes or {"unexplained"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--kafkasim", default=os.path.join(os.path.dirname(__file__), "..", "build", "kafkasim"))
    a = ap.parse_args()
    summary = json.load(open(os.path.join(a.out, "summary.json")))
    counts = {}
    seen = set()
    for v in summary["violations"]:
        seed = v["seed"]
        if seed in seen:
            continue
        seen.add(seed)
        with tempfile.TemporaryDirectory() as tmp:
            design = summary["design"]
            design = design["preset"] if isinstance(design, dict) else design
            subprocess.run([a.kafkasim, "explore", "--design", design, "--faults", ",".join(summary["faults"]),
                            "--seed", str(seed), "--runs", "1", "--no-shrink", "--no-progress", "--out", tmp],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            files = [f for f in sorted(os.listdir(tmp)) if f.endswith(".yaml")]
            design = summary["design"]["preset"] if isinstance(summary["design"], dict) else summary["design"]
            if not files:
                print(f"seed {seed}: not reproduced", file=sys.stderr)
                continue
            hist, res = os.path.join(tmp, "h.jsonl"), os.path.join(tmp, "r.json")
            subprocess.run([a.kafkasim, "run", os.path.join(tmp, files[0]), "--history", hist, "--json", res],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            history = [json.loads(line) for line in open(hist)]
            result = json.load(open(res))
            result = result[0] if isinstance(result, list) else result
            classes = classify(history, result.get("violations", []))
            props = sorted({x["property"] for x in result.get("violations", [])})
            if classes == {"unexplained"} and isinstance(summary["design"], dict):
                # Which single fix removes it: each switch still at its old value, turned on alone.
                fixes = []
                later = {"isr-change-path": ["alter-partition"],
                         "truncation": ["leader-epoch", "leader-epoch-kip279", "diverging-epoch"]}
                for switch, value in sorted(summary["design"].items()):
                    if switch in ("metadata", "eligible-leader-replicas"):
                        continue
                    values = ["true"] if value == "false" else later.get(switch, [])
                    if switch == "truncation" and value in values:
                        values = values[values.index(value) + 1:]
                    for new in values:
                        run = subprocess.run([a.kafkasim, "run", os.path.join(tmp, files[0]), "--design",
                                              f"{design},{switch}={new}"], stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL, check=False)
                        if run.returncode == 0:
                            fixes.append(f"{switch}={new}")
                            break
                if fixes:
                    classes = {"fixed-by"}
                    props.append("fixed by " + " or ".join(fixes))
        for c in classes:
            counts[c] = counts.get(c, 0) + 1
        print(f"seed {seed}: {', '.join(props)} <- {', '.join(sorted(classes))}")
    design = summary["design"]["preset"] if isinstance(summary["design"], dict) else summary["design"]
    print(f"{len(seen)} violating runs of {summary['runs']} on {design}:")
    for c, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {c:30} {n:4}  {CLASSES[c]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

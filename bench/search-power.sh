#!/usr/bin/env bash
# Search power: does `kafkasim explore` find each historical bug class on its own, from generic bases, and
# how fast? Runs bench/search_power.py against build/kafkasim (builds it first unless --kafkasim is given).
# Usage: bash bench/search-power.sh [--quick] [--seeds 1,2,3] [--budget 300s] [--rows CLASS,...] [--json FILE]
# Exit 0: each class found within the budget by most seeds on its buggy design, and never on its fixed one.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [[ " $* " != *" --kafkasim "* ]]; then
  "$top/scripts/build.sh" build >/dev/null
fi
exec python3 "$top/bench/search_power.py" "$@"

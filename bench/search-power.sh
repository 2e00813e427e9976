#!/usr/bin/env bash
# Search power: does `kafkasim explore` find each historical bug class on its own, from generic bases, and
# how fast? Runs bench/search_power.py against build/kafkasim (builds it first unless --kafkasim is given).
# Usage: bash bench/search-power.sh [--quick] [--seeds 1,2,3] [--budget 300s] [--rows CLASS,...] [--json FILE]
# Exit 0: every class found on its buggy design within the budget, none of it on the fixed design.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [[ " $* " != *" --kafkasim "* ]]; then
  "$top/scripts/build.sh" build >/dev/null
fi
exec python3 "$top/bench/search_power.py" "$@"

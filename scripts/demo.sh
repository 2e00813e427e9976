#!/usr/bin/env bash
# The main job in one command: install what is missing, build, run a bundled scenario.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh" build
cd "$top"
exec ./build/kafkasim run scenarios/broker-restart.yaml "$@"

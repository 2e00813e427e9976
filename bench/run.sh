#!/usr/bin/env bash
# The performance benchmark in one command: installs what is missing, builds in Release mode (assertions
# stay on: CMakeLists.txt strips NDEBUG from every build type) and prints the table (docs/performance.md).
# Usage: bash bench/run.sh [--quick] [--only W1,W2,...] [--json FILE]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh" build-release -DCMAKE_BUILD_TYPE=Release
exec "$top/build-release/kafkasim_bench" "$@"

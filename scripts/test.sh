#!/usr/bin/env bash
# The whole test suite in one command: install, build (normal and ASan+UBSan), run every test.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh" --test
jobs=$(nproc)

echo "== build (RelWithDebInfo, assertions on)"
"$top/scripts/build.sh" build -DKAFKASIM_REQUIRE_ZK_CONFORMANCE=ON
echo "== test"
ctest --test-dir "$top/build" --output-on-failure -j "$jobs"

echo "== build (ASan+UBSan)"
"$top/scripts/build.sh" build-asan -DKAFKASIM_SANITIZE=ON -DKAFKASIM_REQUIRE_ZK_CONFORMANCE=ON
echo "== test under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir "$top/build-asan" --output-on-failure -j "$jobs"

echo "== build (clang, libFuzzer over the scenario parser) and a short fuzzing run"
"$top/scripts/build.sh" build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DKAFKASIM_FUZZ=ON
ctest --test-dir "$top/build-fuzz" --output-on-failure

echo "== bundled scenarios (their expected verdicts)"
"$top/build/kafkasim" check "$top"/scenarios/*.yaml "$top"/scenarios/lessons/*.yaml
"$top/build/kafkasim" run "$top"/scenarios/*.yaml "$top"/scenarios/lessons/*.yaml >/dev/null
echo "all tests passed"

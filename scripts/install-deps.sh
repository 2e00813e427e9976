#!/usr/bin/env bash
# Installs the Debian packages kafkasim needs, only those missing; silent when all are there.
# Usage: scripts/install-deps.sh [--test]   (--test adds what only the test suite needs)
set -euo pipefail

packages=(cmake g++ make pkg-config libsimgrid-dev libgtest-dev librapidcheck-dev libboost-graph-dev
          libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev libjemalloc-dev libcpp-httplib-dev)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(chromium fonts-liberation)   # the HTML report is checked in a real (headless) browser
  packages+=(chromium-driver python3-selenium)  # ... and driven there: keys, the cursor, the served pages
  packages+=(zookeeper libzookeeper-mt-dev)  # the ZooKeeper model is checked against a real server
  packages+=(clang libclang-rt-14-dev)       # libFuzzer over the scenario parser (build-fuzz)
  packages+=(slurm-wlm munge)                # array-job sharding is checked on a real one-node Slurm
  packages+=(buildah debootstrap)            # deploy/Dockerfile is built (on a debootstrap'd base)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "installing: ${missing[*]}"
sudo_cmd=()
[[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

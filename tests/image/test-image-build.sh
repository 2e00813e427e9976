#!/usr/bin/env bash
# Builds deploy/Dockerfile with buildah (the image the Kubernetes sweep runs) and checks that the
# kafkasim inside it runs a bundled scenario exactly as the host's binary does.
# Usage: tests/image/test-image-build.sh HOST_KAFKASIM WORKDIR   (exit 77: buildah cannot run here)
set -euo pipefail
host_kafkasim=$1
work=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
skip() { echo "SKIP: $*"; exit 77; }

command -v buildah >/dev/null || skip "buildah is not installed (scripts/install-deps.sh --test installs it)"
[[ $(id -u) -eq 0 ]] || skip "buildah with chroot isolation needs root here (no rootless user namespaces set up)"

rm -rf "$work"; mkdir -p "$work"
tag="kafkasim-image-test-$$"
base_tag="localhost/$tag-base:debian12"
image="localhost/$tag:latest"
containers=()
cleanup() {
  for c in "${containers[@]}"; do buildah rm "$c" >/dev/null 2>&1 || true; done
  buildah rmi -f "$image" "$base_tag" >/dev/null 2>&1 || true
  rm -rf "$work/rootfs"
}
trap cleanup EXIT

# The base: Debian 12 from a registry when one answers, else made here with debootstrap from
# the machine's Debian mirror (this sandbox reaches Debian's archive but no container registry).
base=docker.io/library/debian:12
if ! timeout 60 buildah pull -q "$base" >"$work/pull.log" 2>&1; then
  echo "no registry ($(tail -1 "$work/pull.log")); making the Debian 12 base with debootstrap"
  command -v debootstrap >/dev/null || skip "no registry and no debootstrap to make a base image"
  mirror=$(grep -rhoE 'https?://[^ ]*debian/?$' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | head -1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  timeout 600 debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -5 "$work/debootstrap.log"; skip "debootstrap could not make a Debian 12 root from $mirror"; }
  c=$(buildah from scratch); containers+=("$c")
  buildah copy "$c" "$work/rootfs" / >/dev/null
  buildah commit -q "$c" "$base_tag" >/dev/null
  base=$base_tag
fi

# chroot isolation: crun refuses this machine's hybrid cgroups; host network: apt inside the build.
echo "building deploy/Dockerfile on $base"
if ! timeout 1200 buildah bud --isolation chroot --network host --layers=false \
       --build-arg BASE="$base" -f "$top/deploy/Dockerfile" -t "$image" "$top" >"$work/build.log" 2>&1; then
  tail -20 "$work/build.log"; echo "FAIL: deploy/Dockerfile did not build"; exit 1
fi

c=$(buildah from "$image"); containers+=("$c")
[[ $(buildah inspect --format '{{.OCIv1.Config.Entrypoint}}' "$image") == "[kafkasim]" ]] \
  || { echo "FAIL: the image's entrypoint is not kafkasim"; exit 1; }
scenario=broker-restart.yaml
buildah copy "$c" "$top/scenarios/$scenario" /work/$scenario >/dev/null
set +e
buildah run --isolation chroot "$c" -- sh -c "cd /work && kafkasim run $scenario" >"$work/image.out" 2>&1
image_rc=$?
(cd "$top/scenarios" && "$host_kafkasim" run $scenario) >"$work/host.out" 2>&1
host_rc=$?
set -e
# The one line that may differ is the wall time the run took.
for f in image host; do sed -E 's/simulated in [0-9.]+ s wall/simulated in (wall)/' "$work/$f.out" >"$work/$f.cmp"; done
if [[ $image_rc -ne $host_rc ]] || ! cmp -s "$work/image.cmp" "$work/host.cmp"; then
  echo "FAIL: kafkasim in the image (exit $image_rc) and on the host (exit $host_rc) differ:"
  diff "$work/image.cmp" "$work/host.cmp" | head -20
  exit 1
fi
echo "PASS: deploy/Dockerfile built; the image's kafkasim ran $scenario as the host's did (exit $image_rc)"

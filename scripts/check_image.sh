#!/usr/bin/env bash
# Build deploy/Dockerfile on a local Debian base with buildah, run the app inside the image, and check it:
# /_stcore/health answers and two pages draw in headless Chromium. Prints the image's size and the time to healthy.
# Needs root and Debian's buildah, podman and debootstrap (installed here when missing), no Docker engine and no
# container registry: the base comes from Debian's packages (debootstrap), the Python packages from pip's own
# settings (`pip config list`: a local index, wheel folder and CA bundle are passed in as build arguments and mounted
# read-only for the build, never copied into the image).
# Usage: bash scripts/check_image.sh        PORT picks the app's port (default 8599); KEEP=1 keeps the image.
set -euo pipefail
cd "$(dirname "$0")/.."
base=localhost/debian:bookworm
image=localhost/resnet-explorer:check
port="${PORT:-8599}"
started=$(date +%s)

if ! command -v buildah >/dev/null || ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null; then
  echo "==> installing Debian's buildah, podman and debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q buildah podman debootstrap
fi
bash scripts/setup.sh requirements-dev.txt  # the host's Playwright, for the page check

if ! podman image exists "$base"; then
  echo "==> making $base with debootstrap (minbase bookworm)"
  root=$(mktemp -d /var/tmp/debian-base.XXXXXX)
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian
  tar -C "$root" -c . | podman import - "$base"
  rm -rf "$root"
fi

# pip's own settings on this machine (an index and wheel folders on disk), passed to the build.
setting() { pip config list 2>/dev/null | sed -n "s/^global\.$1='\(.*\)'$/\1/p" | head -n1; }
extra_index=$(setting extra-index-url)
find_links=$(setting find-links)
cert=$(setting cert)
mounts=()
cert_in_build=""
if [ -n "$cert" ] && [ -f "$cert" ]; then  # this machine's CA bundle (its proxy's certificate), for pip only
  cert_in_build=/opt/pip-cert.pem
  mounts+=(-v "$cert:$cert_in_build:ro")
fi
for location in $extra_index $find_links; do
  folder="${location#file://}"
  folder="${folder%/simple}"
  [ -d "$folder" ] && mounts+=(-v "$folder:$folder:ro")
done

echo "==> building $image on $base (pip extra index: ${extra_index:-none}; find-links: ${find_links:-none}; CA bundle: ${cert:-none})"
build_started=$(date +%s)
buildah bud --isolation chroot --layers --format docker -f deploy/Dockerfile -t "$image" \
  --build-arg BASE="$base" --build-arg PIP_EXTRA_INDEX_URL="$extra_index" --build-arg PIP_FIND_LINKS="$find_links" \
  --build-arg PIP_CERT="$cert_in_build" \
  "${mounts[@]}" .
build_seconds=$(( $(date +%s) - build_started ))

container=$(buildah from "$image")
log=$(mktemp)
cleanup() {
  [ -n "${app:-}" ] && kill "$app" 2>/dev/null && wait "$app" 2>/dev/null || true
  buildah rm "$container" >/dev/null 2>&1 || true
  [ "${KEEP:-0}" = 1 ] || buildah rmi "$image" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "==> starting the app inside the image on port $port"
start_app() {
  buildah run --isolation chroot --network host "$container" -- /venv/bin/python -m explorer serve \
    --server.address 127.0.0.1 --server.port "$port" --server.headless true --browser.gatherUsageStats false \
    >"$log" 2>&1 &
  app=$!
}
run_started=$(date +%s.%N)
start_app
tries=1
until curl -fsS "http://127.0.0.1:$port/_stcore/health" >/dev/null 2>&1; do
  if ! kill -0 "$app" 2>/dev/null; then
    # buildah's chroot runner sometimes fails to seal its own copy ("sealing memfd copy: Device or resource busy",
    # seen once here): that is buildah starting, not the app, so it is tried again, twice at most.
    if grep -q "sealing memfd copy" "$log" && [ "$tries" -lt 3 ]; then
      echo "    buildah could not start the container ($(head -n1 "$log")); again"
      tries=$((tries + 1))
      start_app
      continue
    fi
    echo "error: the app inside the image stopped before it was healthy:" >&2
    cat "$log" >&2
    exit 1
  fi
  if (( $(date +%s) - ${run_started%.*} > 180 )); then
    echo "error: the app inside the image was not healthy after 180 s:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.5
done
healthy=$(awk -v a="$(date +%s.%N)" -v b="$run_started" 'BEGIN { print a - b }')

.venv/bin/python scripts/check_pages.py "http://127.0.0.1:$port" --shots artifacts/image-check

size=$(podman image inspect --format '{{.Size}}' "$image")
printf '==> image %s: %.2f GB (%s bytes); built in %d s; healthy %.1f s after start; whole check %d s\n' \
  "$image" "$(awk -v s="$size" 'BEGIN { print s / 1e9 }')" "$size" "$build_seconds" "$healthy" $(( $(date +%s) - started ))

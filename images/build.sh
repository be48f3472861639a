#!/usr/bin/env bash
# Build the images the lab needs on this machine (no registry): the Debian sid base, then bitcoind (Knots).
#   images/build.sh [--rebuild]
set -euo pipefail

# Debian sid's bitcoin-knots prints "v29.4.3.knots20260508"; the Dockerfile checks VERSION against that.
KNOTS_VERSION=29.4
BITCOIND_IMAGE=bitcoin-netlab/bitcoind:knots-$KNOTS_VERSION

cd "$(dirname "$0")"
rebuild=false
case "${1:-}" in
  "") ;;
  --rebuild) rebuild=true ;;
  *) echo "usage: $0 [--rebuild]" >&2; exit 2 ;;
esac

timed() {
  local what=$1 start=$SECONDS; shift
  "$@"
  echo "build: $what done in $((SECONDS - start))s"
}

if $rebuild; then
  docker image rm debian:sid-slim "$BITCOIND_IMAGE" >/dev/null 2>&1 || true
fi

timed debian:sid-slim base/build-base.sh sid

# Always build: the layer cache makes it take about a second when nothing changed, and a changed script in
# images/bitcoind is never left out of the image.
cache=()
$rebuild && cache=(--no-cache)
timed "$BITCOIND_IMAGE" docker build -q --force-rm "${cache[@]}" \
  --build-arg IMPLEMENTATION=knots --build-arg VERSION="$KNOTS_VERSION" \
  --label netlab.image=bitcoind --tag "$BITCOIND_IMAGE" bitcoind

#!/usr/bin/env bash
# Build the images the lab needs on this machine (no registry): the Debian sid base, then bitcoind (Knots);
# the Debian trixie base, then graphite (carbon + graphite-web + StatsD), the exporter and the viewer.
#   images/build.sh [--rebuild]
set -euo pipefail

# Debian sid's bitcoin-knots prints "v29.4.3.knots20260508"; the Dockerfile checks VERSION against that.
KNOTS_VERSION=29.4
BITCOIND_IMAGE=bitcoin-netlab/bitcoind:knots-$KNOTS_VERSION
GRAPHITE_IMAGE=bitcoin-netlab/graphite:1

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
  docker image rm debian:sid-slim "$BITCOIND_IMAGE" debian:trixie-slim "$GRAPHITE_IMAGE" bitcoin-netlab/exporter:1 bitcoin-netlab/viewer:1 >/dev/null 2>&1 || true
fi

timed debian:sid-slim base/build-base.sh sid

# Always build: the layer cache makes it take about a second when nothing changed, and a changed script in
# images/bitcoind is never left out of the image.
cache=()
$rebuild && cache=(--no-cache)
timed "netlab-link bundle for $BITCOIND_IMAGE" bash bitcoind/prepare.sh
timed "$BITCOIND_IMAGE" docker build -q --force-rm "${cache[@]}" \
  --build-arg IMPLEMENTATION=knots --build-arg VERSION="$KNOTS_VERSION" \
  --label netlab.image=bitcoind --tag "$BITCOIND_IMAGE" bitcoind

# graphite-web 1.1.10 needs trixie (sid's is a pre-release). StatsD is JavaScript from the repo's node_modules:
# containers cannot reach the npm registry.
timed debian:trixie-slim base/build-base.sh trixie
timed "statsd for $GRAPHITE_IMAGE" bash graphite/prepare.sh
timed "$GRAPHITE_IMAGE" docker build -q --force-rm "${cache[@]}" \
  --label netlab.image=graphite --tag "$GRAPHITE_IMAGE" graphite

# The exporter and the viewer: TypeScript bundled on the host (prepare.sh), run by Debian's nodejs.
for name in exporter viewer; do
  timed "bundle for bitcoin-netlab/$name:1" bash "$name/prepare.sh"
  timed "bitcoin-netlab/$name:1" docker build -q --force-rm "${cache[@]}" \
    --label "netlab.image=$name" --tag "bitcoin-netlab/$name:1" "$name"
done

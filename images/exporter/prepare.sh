#!/usr/bin/env bash
# Bundles the exporter (src/exporter) into one file for the image, on the host: containers here cannot reach
# the npm registry, so nothing is installed inside the Dockerfile.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p images/exporter/build
# ssh2's optional native helpers are left out; dockerode only uses the local socket here.
node_modules/.bin/esbuild src/exporter/main.ts --bundle --platform=node --target=node20 --format=cjs \
  --external:cpu-features --external:dtrace-provider --external:'*.node' --log-level=warning --outfile=images/exporter/build/exporter.cjs

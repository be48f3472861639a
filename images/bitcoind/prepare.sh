#!/usr/bin/env bash
# Bundles netlab-link (src/link: link conditions and the delaying relay) into one file for the image, on the
# host: containers here cannot reach the npm registry, so nothing is installed inside the Dockerfile.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p images/bitcoind/build
node_modules/.bin/esbuild src/link/main.ts --bundle --platform=node --target=node20 --format=esm \
  --log-level=warning --outfile=images/bitcoind/build/netlab-link.mjs

#!/usr/bin/env bash
# Bundles the netlab CLI (whose `viewer` command the image runs) and the viewer page, on the host.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p images/viewer/build/page
node_modules/.bin/esbuild src/cli/run.ts --bundle --platform=node --target=node20 --format=cjs \
  --external:cpu-features --external:dtrace-provider --external:'*.node' --external:esbuild --external:playwright-core \
  --log-level=error --outfile=images/viewer/build/netlab.cjs
node_modules/.bin/esbuild viewer/page/app.ts --bundle --format=iife --target=es2022 --minify \
  --log-level=warning --outfile=images/viewer/build/page/app.js
cp viewer/page/index.html images/viewer/build/page/index.html

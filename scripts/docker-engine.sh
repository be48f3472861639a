#!/usr/bin/env bash
# Install, start and stop a local Docker engine on a Debian machine (no registry needed).
#   scripts/docker-engine.sh install | start | stop
set -euo pipefail

MARKER=/run/netlab-started-dockerd
LOG=/var/log/dockerd.log
START_TIMEOUT=60

log() { echo "docker-engine: $*"; }
die() { echo "docker-engine: error: $*" >&2; exit 1; }

as_root() { [[ $(id -u) -eq 0 ]] || die "must run as root"; }

engine_answers() { docker info >/dev/null 2>&1; }

cmd_install() {
  as_root
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v ip >/dev/null || missing+=(iproute2)
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "docker.io, debootstrap and iproute2 already installed"
    return
  fi
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  log "installed ${missing[*]}"
}

cmd_start() {
  if engine_answers; then
    # Someone else's engine: a marker left by an earlier start must not make `stop` take it down.
    rm -f "$MARKER" 2>/dev/null || true
    log "a Docker engine already answers; not starting one"
    return
  fi
  as_root
  command -v dockerd >/dev/null || die "dockerd not found; run '$0 install' first"
  log "starting dockerd (log: $LOG)"
  # setsid: keep dockerd alive after this script's shell and process group end.
  setsid dockerd >>"$LOG" 2>&1 </dev/null &
  local pid=$!
  local waited=0
  until engine_answers; do
    kill -0 "$pid" 2>/dev/null || die "dockerd exited early; last log lines:
$(tail -n 20 "$LOG")"
    (( waited >= START_TIMEOUT )) && die "dockerd did not answer within ${START_TIMEOUT}s (log: $LOG)"
    sleep 1; waited=$((waited + 1))
  done
  echo "$pid" >"$MARKER"
  log "started dockerd (pid $pid), answering after ${waited}s"
}

cmd_stop() {
  if [[ ! -f $MARKER ]]; then
    log "dockerd was not started by this script; leaving it alone"
    return
  fi
  as_root
  local pid
  pid=$(cat "$MARKER")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && die "dockerd (pid $pid) still running after 30s"
    log "stopped dockerd"
  else
    log "dockerd (pid $pid) is no longer running"
  fi
  rm -f "$MARKER"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac

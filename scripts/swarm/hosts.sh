#!/usr/bin/env bash
# Fake Docker hosts on one machine: N dockerd, each in its own network namespace on a private switch,
# optionally joined into one Swarm. See README.md beside this file for the layout.
#   scripts/swarm/hosts.sh up|down|status [--hosts N] [--swarm] [--dir DIR] [--images img1,img2]
set -euo pipefail

PREFIX=netlab                   # namespaces netlab-sw, netlab-h1..; cgroups /netlab-h1..
SWITCH_NS=$PREFIX-sw
NET=10.78.0                     # the switch's subnet, 10.78.0.0/24; hN is 10.78.0.(10+N)
SWARM_POOL=10.79.0.0/16         # overlay networks of the Swarm
TCP_PORT=2375                   # each daemon also listens on tcp://<its IP>:2375, reachable only on the switch
START_TIMEOUT=60
STOP_GRACE=15

HOSTS=3 SWARM=0 DIR=${TMPDIR:-/tmp}/netlab-swarm IMAGES=bitcoin-netlab/bitcoind:knots-29.4
T0=$(date +%s%N)

log() { printf 'swarm-hosts: [%5.1fs] %s\n' "$(elapsed_ms "$T0" | awk '{print $1/1000}')" "$*"; }
die() { echo "swarm-hosts: error: $*" >&2; exit 1; }
elapsed_ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

usage() { echo "usage: $0 up|down|status [--hosts N] [--swarm] [--dir DIR] [--images img1,img2]" >&2; exit 2; }

ip_of() { echo "$NET.$((10 + $1))"; }
ns_of() { echo "$PREFIX-h$1"; }
sock_of() { echo "$DIR/h$1/docker.sock"; }
dk() { local n=$1; shift; docker -H "unix://$(sock_of "$n")" "$@"; }
answers() { [[ -S $(sock_of "$1") ]] && dk "$1" version >/dev/null 2>&1; }
has_ns() { [[ -e /run/netns/$1 ]]; }

# --- up ---------------------------------------------------------------------------------------------------

# The bridge lives in its own namespace: in the root namespace the host's Docker sets FORWARD to DROP,
# which would drop the bridged traffic between the fake hosts.
make_switch() {
  has_ns "$SWITCH_NS" || ip netns add "$SWITCH_NS"
  ip -n "$SWITCH_NS" link show sw0 >/dev/null 2>&1 || ip -n "$SWITCH_NS" link add sw0 type bridge
  ip -n "$SWITCH_NS" link set lo up
  ip -n "$SWITCH_NS" link set sw0 up
}

# Host n: namespace with eth0 (its switch port is hN in the switch's namespace), no default route.
make_host_net() {
  local n=$1 ns
  ns=$(ns_of "$n")
  has_ns "$ns" || ip netns add "$ns"
  if ! ip -n "$SWITCH_NS" link show "h$n" >/dev/null 2>&1; then
    ip -n "$SWITCH_NS" link add "h$n" type veth peer name eth0 netns "$ns"
  fi
  ip -n "$SWITCH_NS" link set "h$n" master sw0 up
  ip -n "$ns" addr replace "$(ip_of "$n")/24" dev eth0
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
}

write_daemon_config() {
  local n=$1 d=$DIR/h$1
  mkdir -p "$d"
  cat >"$d/daemon.json" <<EOF
{
  "data-root": "$d/data",
  "exec-root": "$d/run",
  "pidfile": "$d/docker.pid",
  "hosts": ["unix://$d/docker.sock", "tcp://$(ip_of "$n"):$TCP_PORT"],
  "bip": "172.30.$n.1/24",
  "cgroup-parent": "/$PREFIX-h$n",
  "tls": false,
  "log-level": "warn"
}
EOF
}

# nsenter --net + unshare --mount rather than `ip netns exec`, which remounts /sys and so breaks dockerd's
# devices cgroup. The daemon joins the pids cgroup /netlab-hN (its containers go below it via cgroup-parent),
# so `down` finds every process it left behind, shims included. /run/containerd gets a private tmpfs so
# the shims' sockets stay out of the host's.
start_daemon() {
  local n=$1 d=$DIR/h$1
  answers "$n" && { log "h$n: daemon already answers"; return; }
  write_daemon_config "$n"
  mkdir -p "/sys/fs/cgroup/pids/$PREFIX-h$n"
  rm -f "$d/docker.sock" "$d/docker.pid"
  # shellcheck disable=SC2016 # $$ and $1.. belong to the inner sh
  DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 setsid nsenter --net="/run/netns/$(ns_of "$n")" -- \
    unshare --mount --uts --propagation slave -- sh -c '
      echo $$ >"$1" && mount -t tmpfs tmpfs /run/containerd && hostname "$2" && exec dockerd --config-file "$3"' \
    sh "/sys/fs/cgroup/pids/$PREFIX-h$n/cgroup.procs" "h$n" "$d/daemon.json" >>"$d/dockerd.log" 2>&1 </dev/null &
}

wait_daemon() {
  local n=$1 waited=0
  until answers "$n"; do
    if (( waited > 10 )) && [[ -z $(cgroup_pids "$n") ]]; then die "h$n: dockerd exited; last log lines:
$(tail -n 15 "$DIR/h$n/dockerd.log")"; fi
    (( waited >= START_TIMEOUT * 10 )) && die "h$n: daemon did not answer within ${START_TIMEOUT}s; last log lines:
$(tail -n 15 "$DIR/h$n/dockerd.log")"
    sleep 0.1; waited=$((waited + 1))
  done
}

# Each image is saved once from the host's engine and loaded into the daemons that lack it, in parallel.
load_images() {
  local image want n pids missing tar
  IFS=, read -ra list <<<"$IMAGES"
  for image in "${list[@]}"; do
    want=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null) || die "image $image is not in the host's engine"
    missing=()
    for n in $(seq 1 "$HOSTS"); do
      [[ $(dk "$n" image inspect --format '{{.Id}}' "$image" 2>/dev/null) == "$want" ]] || missing+=("$n")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then log "$image: already on every host"; continue; fi
    tar=$DIR/image.tar
    docker save -o "$tar" "$image"
    pids=()
    for n in "${missing[@]}"; do dk "$n" load -q -i "$tar" >/dev/null & pids+=($!); done
    for pid in "${pids[@]}"; do wait "$pid" || die "loading $image failed"; done
    rm -f "$tar"
    log "$image: loaded into ${missing[*]/#/h}"
  done
}

swarm_state() { dk "$1" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null; }

make_swarm() {
  local n token pids=() ready
  if [[ $(swarm_state 1) != active ]]; then
    dk 1 swarm init --advertise-addr "$(ip_of 1)" --listen-addr "$(ip_of 1):2377" \
      --dispatcher-heartbeat 2s --default-addr-pool "$SWARM_POOL" >/dev/null
    log "h1: swarm initialised (manager, $(ip_of 1):2377)"
  fi
  token=$(dk 1 swarm join-token -q worker)
  for n in $(seq 2 "$HOSTS"); do
    [[ $(swarm_state "$n") == active ]] && continue
    dk "$n" swarm join --token "$token" --advertise-addr "$(ip_of "$n")" "$(ip_of 1):2377" >/dev/null & pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || die "a worker failed to join the swarm"; done
  for n in $(seq 1 "$HOSTS"); do
    dk 1 node update --label-add "netlab.host=h$n" "$(dk "$n" info --format '{{.Swarm.NodeID}}')" >/dev/null
  done
  for _ in $(seq 1 300); do
    ready=$(dk 1 node ls --format '{{.Status}}' | grep -c '^Ready$' || true)
    (( ready >= HOSTS )) && break
    sleep 0.1
  done
  (( ready >= HOSTS )) || die "only $ready of $HOSTS swarm nodes are Ready"
  log "swarm: $HOSTS nodes Ready, labelled netlab.host=h1..h$HOSTS"
}

cmd_up() {
  local n t daemons_ms images_ms swarm_ms=0
  [[ -d $DIR && -n $(ls -A "$DIR") && ! -e $DIR/.netlab-swarm ]] && die "$DIR is not empty and not ours"
  has_ns "$SWITCH_NS" && [[ ! -f $DIR/hosts ]] && die "fake hosts are already up with another --dir: take them down first"
  mkdir -p "$DIR"; touch "$DIR/.netlab-swarm"; echo "$HOSTS" >"$DIR/hosts"
  trap '[[ $? -eq 0 ]] || echo "swarm-hosts: up failed; clean up with: $0 down --dir $DIR" >&2' EXIT
  log "up: $HOSTS hosts in $DIR"
  t=$(date +%s%N)
  make_switch
  for n in $(seq 1 "$HOSTS"); do make_host_net "$n"; start_daemon "$n"; done
  for n in $(seq 1 "$HOSTS"); do wait_daemon "$n"; done
  daemons_ms=$(elapsed_ms "$t")
  log "daemons answer: h1..h$HOSTS at $NET.11..$(ip_of "$HOSTS"), sockets $DIR/hN/docker.sock"
  t=$(date +%s%N); load_images; images_ms=$(elapsed_ms "$t")
  if (( SWARM )); then t=$(date +%s%N); make_swarm; swarm_ms=$(elapsed_ms "$t"); fi
  printf '{"hosts": %d, "daemonsMs": %d, "imagesMs": %d, "swarmMs": %d, "totalMs": %d}\n' \
    "$HOSTS" "$daemons_ms" "$images_ms" "$swarm_ms" "$(elapsed_ms "$T0")" >"$DIR/up-timings.json"
  log "up done in $(awk "BEGIN {print $(elapsed_ms "$T0")/1000}")s (daemons ${daemons_ms}ms, images ${images_ms}ms, swarm ${swarm_ms}ms)"
}

# --- down -------------------------------------------------------------------------------------------------

known_hosts() {
  {
    if [[ -f $DIR/hosts ]]; then seq 1 "$(cat "$DIR/hosts")"; fi
    if (( HOSTS_GIVEN )); then seq 1 "$HOSTS"; fi
    ip netns list | awk '{print $1}' | sed -n "s/^$PREFIX-h\([0-9]\+\)$/\1/p"
    find /sys/fs/cgroup/pids -maxdepth 1 -name "$PREFIX-h*" -printf '%f\n' | sed -n "s/^$PREFIX-h\([0-9]\+\)$/\1/p"
  } | sort -nu
}

state_of() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true; }  # R, S, Z…; empty once reaped
cgroup_pids() { find "/sys/fs/cgroup/pids/$PREFIX-h$1" -name cgroup.procs -exec cat {} + 2>/dev/null || true; }

cmd_down() {
  local n pid hosts left daemons=()
  mapfile -t hosts < <(known_hosts)
  log "down: hosts ${hosts[*]:-none}"
  for n in "${hosts[@]}"; do
    pid=$(cat "$DIR/h$n/docker.pid" 2>/dev/null || true)
    # Only a pid in this host's cgroup: a stale pidfile must not name someone else's process.
    if [[ -n $pid ]] && grep -qx "$pid" <<<"$(cgroup_pids "$n")" && kill -TERM "$pid"; then log "h$n: stopping dockerd (pid $pid)"; daemons+=("$pid")
    else log "h$n: dockerd not running"; fi
  done
  for _ in $(seq 1 $((STOP_GRACE * 10))); do
    left=0
    for pid in "${daemons[@]}"; do [[ $(state_of "$pid") =~ ^[^ZX]$ ]] && left=1; done
    (( left )) || break
    sleep 0.1
  done
  for n in "${hosts[@]}"; do
    # Whatever is left (a daemon past its grace, shims and containers of a killed daemon): kill by pid.
    for _ in $(seq 1 50); do
      mapfile -t left < <(cgroup_pids "$n")
      [[ ${#left[@]} -eq 0 ]] && break
      kill -KILL "${left[@]}" 2>/dev/null || true
      sleep 0.1
    done
    [[ -n $(cgroup_pids "$n") ]] && die "h$n: processes survive in /sys/fs/cgroup/pids/$PREFIX-h$n"
    find /sys/fs/cgroup/*/"$PREFIX-h$n" -depth -type d -exec rmdir {} + 2>/dev/null || true
    has_ns "$(ns_of "$n")" && ip netns delete "$(ns_of "$n")"
  done
  has_ns "$SWITCH_NS" && ip netns delete "$SWITCH_NS"
  # The daemons were re-parented to init: give it a moment to reap them, so that ps shows none.
  for pid in "${daemons[@]}"; do
    for _ in $(seq 1 50); do [[ -n $(state_of "$pid") ]] || break; sleep 0.1; done
  done
  if [[ -e $DIR/.netlab-swarm ]]; then rm -rf "$DIR"; log "removed $DIR"; fi
  log "down done"
}

# --- status -----------------------------------------------------------------------------------------------

cmd_status() {
  local n hosts state role via images
  mapfile -t hosts < <(known_hosts)
  [[ ${#hosts[@]} -gt 0 ]] || { echo "no fake hosts"; return; }
  has_ns "$SWITCH_NS" && echo "switch: namespace $SWITCH_NS, bridge sw0, $NET.0/24" || echo "switch: missing"
  for n in "${hosts[@]}"; do
    if ! answers "$n"; then echo "h$n $(ip_of "$n"): daemon DOWN ($(sock_of "$n"))"; continue; fi
    via=$(( n % ${#hosts[@]} + 1 ))
    if nsenter --net="/run/netns/$(ns_of "$via")" docker -H "tcp://$(ip_of "$n"):$TCP_PORT" version >/dev/null 2>&1; then
      via="tcp ok from h$via"; else via="tcp FAILED from h$via"; fi
    state=$(swarm_state "$n")
    if [[ $state != active ]]; then role="no swarm ($state)"
    elif [[ $(dk "$n" info --format '{{.Swarm.ControlAvailable}}') == true ]]; then role="swarm manager"
    else role="swarm worker"; fi
    images=$(dk "$n" image ls --format '{{.Repository}}:{{.Tag}}' | paste -sd, -)
    echo "h$n $(ip_of "$n"): up ($(sock_of "$n"), $via), $role, images: ${images:-none}"
  done
}

# --- main -------------------------------------------------------------------------------------------------

[[ $# -ge 1 ]] || usage
CMD=$1; shift
HOSTS_GIVEN=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --hosts) HOSTS=${2:?}; HOSTS_GIVEN=1; shift 2 ;;
    --swarm) SWARM=1; shift ;;
    --dir) DIR=${2:?}; shift 2 ;;
    --images) IMAGES=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
[[ $HOSTS =~ ^[1-9][0-9]?$ ]] || die "--hosts must be 1..99"
[[ $(id -u) -eq 0 ]] || die "must run as root (namespaces, cgroups, dockerd)"
DIR=$(realpath -m "$DIR")

case $CMD in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) usage ;;
esac

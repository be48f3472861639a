#!/usr/bin/env bash
# Make the base image debian:<suite>-slim without a registry: debootstrap + docker import.
#   images/base/build-base.sh [suite]     (suite: sid (default), trixie, ...)
set -euo pipefail

SUITE=${1:-sid}
IMAGE=debian:${SUITE}-slim
FALLBACK_MIRROR=http://deb.debian.org/debian

log() { echo "build-base: $*"; }
die() { echo "build-base: error: $*" >&2; exit 1; }

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "$IMAGE already exists; nothing to do"
  exit 0
fi

start=$(date +%s)

# A registry is rarely reachable here, but when it is, pulling is faster than bootstrapping.
if timeout 30 docker pull -q "$IMAGE" >/dev/null 2>&1; then
  log "pulled $IMAGE in $(( $(date +%s) - start ))s"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap not found; run scripts/docker-engine.sh install"

# The main archive URL from this machine's apt sources (deb822 URIs: lines or one-line 'deb URL ...').
mirror_from_apt_sources() {
  {
    cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n'
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/) { print $i; break } }'
  } | grep -E '^https?://.*/debian/?$' | head -n 1 | sed 's:/*$::'
}
MIRROR=$(mirror_from_apt_sources || true)
MIRROR=${MIRROR:-$FALLBACK_MIRROR}

ROOTFS=$(mktemp -d /tmp/netlab-rootfs-"$SUITE".XXXXXX)
trap 'rm -rf "$ROOTFS" "$ROOTFS.log"' EXIT

log "debootstrap --variant=minbase $SUITE from $MIRROR"
debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 \
  || { tail -n 20 "$ROOTFS.log" >&2; die "debootstrap failed"; }

log "slimming"
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/* "$ROOTFS"/var/cache/debconf/*-old \
  "$ROOTFS"/var/log/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/lintian/*
find "$ROOTFS"/usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete
find "$ROOTFS"/usr/share/doc -mindepth 1 -type d -empty -delete
find "$ROOTFS"/usr/share/locale -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +

# Keep packages installed later in the image just as slim.
cat >"$ROOTFS"/etc/dpkg/dpkg.cfg.d/netlab-slim <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG

rm -f "$ROOTFS"/etc/apt/sources.list
cat >"$ROOTFS"/etc/apt/sources.list.d/debian.sources <<SRC
Types: deb
URIs: $MIRROR
Suites: $SUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
cat >"$ROOTFS"/etc/apt/apt.conf.d/90netlab <<'CFG'
Acquire::Languages "none";
APT::Keep-Downloaded-Packages "false";
CFG
# sid's Release file expires a week after publication; a mirror that lags (or this clock) makes it look stale.
[[ $SUITE == sid || $SUITE == unstable ]] && echo 'Acquire::Check-Valid-Until "false";' >>"$ROOTFS"/etc/apt/apt.conf.d/90netlab
: >"$ROOTFS"/etc/hostname
: >"$ROOTFS"/etc/resolv.conf

log "importing as $IMAGE"
tar --numeric-owner -C "$ROOTFS" -c . | docker import --change 'CMD ["bash"]' - "$IMAGE" >/dev/null
log "built $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }')) in $(( $(date +%s) - start ))s"

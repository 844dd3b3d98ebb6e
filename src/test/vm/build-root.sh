#!/usr/bin/env bash
# Builds, once, the Debian 12 (bookworm) minbase root the VM test boots: openssh-server, cron and nginx with their
# stock unit files, Debian's kernel (linux-image-amd64). Cached: a root
# with its stamp file is reused as it is; delete the directory to build it again.
#   build-root.sh CACHE_DIR      -> CACHE_DIR/root
set -euo pipefail
cache=${1:?usage: build-root.sh CACHE_DIR}
# The archive apt uses on this machine (deb.debian.org unless sources say otherwise).
mirror=${VIGIL_VM_MIRROR:-$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
    2>/dev/null | grep -E '^(URIs:|deb )' | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n1 || true)}
mirror=${mirror:-http://deb.debian.org/debian}

mkdir -p "$cache"
if [ ! -e "$cache/root.done" ]; then
    rm -rf "$cache/root.tmp"
    # INITRD=No: the kernel package's hook makes no initramfs (minutes of this build, and the test uses its own).
    INITRD=No debootstrap --variant=minbase --include=openssh-server,cron,nginx,linux-image-amd64,iproute2 \
        bookworm "$cache/root.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 \
        || { tail -n 30 "$cache/debootstrap.log" >&2; exit 1; }
    rm -rf "$cache/root"
    mv "$cache/root.tmp" "$cache/root"
    touch "$cache/root.done"
fi

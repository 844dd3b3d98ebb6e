#!/usr/bin/env bash
# Builds, once, what the VM test boots: a Debian 12 (bookworm) minbase root with openssh-server, cron and nginx and
# their stock unit files (CACHE_DIR/root), and Debian's kernel with the few modules the initramfs loads
# (CACHE_DIR/kernel). Cached: with its stamp file (root.done) both are reused as they are; delete CACHE_DIR to build
# them again.
#   build-root.sh CACHE_DIR
#
# Fast, since CI builds it on every run beside the rest of the suite (src/test/vm/vm-ci.sh): minbase with only what
# the test runs; dpkg without fsync (force-unsafe-io: a half-built root is thrown away anyway) and without the
# documentation, man pages and translations; and the kernel not installed in the root but taken from its package
# (its 400 MB of modules would cost dpkg minutes and the disk image as long again; the guest needs four of them, in
# the initramfs).
set -euo pipefail
cache=${1:?usage: build-root.sh CACHE_DIR}
# The archive apt uses on this machine (deb.debian.org unless sources say otherwise).
mirror=${VIGIL_VM_MIRROR:-$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
    2>/dev/null | grep -E '^(URIs:|deb )' | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n1 || true)}
mirror=${mirror:-http://deb.debian.org/debian}

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
[ -e "$cache/root.done" ] && exit 0

# A debootstrap killed half way (its build ended) leaves its mounts in the root: unmounted first, and rm stays on
# this file system, so that nothing mounted there is ever deleted.
if [ -d "$cache/root.tmp" ]; then
    awk -v dir="$cache/root.tmp/" 'index($5, dir) == 1 { print $5 }' /proc/self/mountinfo | sort -r \
        | while read -r mount; do umount -l "$mount"; done
fi
rm -rf --one-file-system "$cache/root.tmp" "$cache/kernel.tmp"
mkdir -p "$cache/root.tmp/etc/dpkg/dpkg.cfg.d" "$cache/kernel.tmp"
# debootstrap's second stage runs the root's own dpkg, which reads this.
cat >"$cache/root.tmp/etc/dpkg/dpkg.cfg.d/01-vigil-vm" <<'CFG'
force-unsafe-io
path-exclude=/usr/share/doc/*
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/lintian/*
CFG

# The kernel's package, from the archive apt uses, while debootstrap runs: the one linux-image-amd64 points at.
(
    cd "$cache/kernel.tmp"
    kernel_package() {
        apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1
    }
    package=$(kernel_package)
    [ -n "$package" ] || { apt-get update -qq && package=$(kernel_package); }
    [ -n "$package" ] || { echo "build-root: no linux-image package known to apt (apt-get update?)" >&2; exit 1; }
    apt-get download -q "$package" >download.log 2>&1 || { cat download.log >&2; exit 1; }
    dpkg-deb --fsys-tarfile ./*.deb | tar -x --wildcards './boot/vmlinuz-*' './lib/modules/*/modules.*' \
        './lib/modules/*/kernel/drivers/virtio/*' './lib/modules/*/kernel/drivers/block/*' \
        './lib/modules/*/kernel/fs/*' './lib/modules/*/kernel/lib/*' './lib/modules/*/kernel/crypto/*'
    rm -f ./*.deb
    # modules.dep is the package's postinst's work (depmod), which the initramfs's modprobe needs.
    release=$(ls boot | sed -n 's/^vmlinuz-//p' | head -n1)
    depmod -b "$PWD" "$release"
) &
kernel=$!

debootstrap --variant=minbase --include=openssh-server,cron,nginx,iproute2 \
    bookworm "$cache/root.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 \
    || { tail -n 30 "$cache/debootstrap.log" >&2; wait "$kernel" || true; exit 1; }
wait "$kernel"
# The packages' files, left by debootstrap, would only fill the disk image; the fsync-less dpkg is no system's.
rm -f "$cache/root.tmp"/var/cache/apt/archives/*.deb "$cache/root.tmp/etc/dpkg/dpkg.cfg.d/01-vigil-vm"

rm -rf "$cache/root" "$cache/kernel"
mv "$cache/root.tmp" "$cache/root"
mv "$cache/kernel.tmp" "$cache/kernel"
touch "$cache/root.done"

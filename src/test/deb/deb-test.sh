#!/usr/bin/env bash
# The package test: installs the .deb with the root's own dpkg into a Debian minbase root that has no JDK, and
# runs it there. The root is never changed: an overlay (its upper layer under WORK) takes every write, and the
# whole test runs in mount and PID namespaces of its own (DebPackageIT starts it under
# `unshare --mount --pid --fork --kill-child`), so every mount and process ends with it.
# Prints "DEBTEST ..." lines; exits non-zero on the first failure.
#   deb-test.sh DEB ROOT WORK
set -euo pipefail
deb=$(realpath "${1:?usage: deb-test.sh DEB ROOT WORK}")
lower=$(realpath "${2:?}")
work=$(mkdir -p "${3:?}" && realpath "$3")

fail() {
    echo "DEBTEST FAIL $*"
    exit 1
}

mount --make-rprivate /
root=$work/merged
rm -rf "$work/upper" "$work/ovl" "$root"
mkdir -p "$work/upper" "$work/ovl" "$root"
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$work/upper,workdir=$work/ovl" "$root"
mount -t proc proc "$root/proc"
# A /dev of its own: nothing the daemon does there (a /dev/log socket, say) may reach the host's.
mount -t tmpfs -o mode=755 dev "$root/dev"
cp -a /dev/null /dev/zero /dev/full /dev/random /dev/urandom "$root/dev/"
ln -s /proc/self/fd "$root/dev/fd"
mount -t tmpfs tmpfs "$root/run"
mount -t tmpfs tmpfs "$root/tmp"

# No JDK, no Java at all: the VM test puts a runtime and a checkout in its root; they go (in the overlay only).
rm -rf "$root/usr/lib/jvm" "$root/opt/vigil"
if chroot "$root" sh -c 'command -v java' >/dev/null || [ -n "$(find "$root/usr" -name 'libjvm.so' -print -quit)" ]; then
    fail "the root has a Java"
fi
echo "DEBTEST root has no java"

cp "$deb" "$root/tmp/vigil.deb"
chroot "$root" dpkg -i /tmp/vigil.deb >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; }
echo "DEBTEST installed"
for path in usr/bin/vigil usr/lib/vigil/runtime/bin/java usr/lib/vigil/vigil-exec usr/lib/vigil/bin/systemctl \
    usr/lib/vigil/bin/journalctl usr/lib/vigil/bin/poweroff usr/share/man/man1/vigil.1.gz \
    usr/share/man/man8/vigil-daemon.8.gz usr/share/man/man8/vigil-init.8.gz \
    usr/share/man/man5/vigil-service-dir.5.gz usr/share/bash-completion/completions/vigil \
    usr/share/zsh/vendor-completions/_vigil; do
    [ -e "$root/$path" ] || fail "/$path is not installed"
done
# Nothing started at install: no process in this PID namespace but this script's.
[ -z "$(ls "$root/run")" ] || fail "the install left something in /run: $(ls "$root/run")"

chroot "$root" vigil --help >"$work/help.out" 2>&1 || { cat "$work/help.out"; fail "vigil --help"; }
grep -q '^Usage: vigil' "$work/help.out" || { cat "$work/help.out"; fail "vigil --help: no usage"; }
echo "DEBTEST vigil --help ok"

# The daemon on a tree of one service, until TERM.
mkdir -p "$root/srv/sv/hello"
printf '#!/bin/sh\necho hello from the package\nexec sleep 1000\n' >"$root/srv/sv/hello/run"
chmod +x "$root/srv/sv/hello/run"
chroot "$root" vigil daemon --no-cgroups /srv/sv >"$work/daemon.log" 2>&1 &
daemon=$!
deadline=$((SECONDS + 120))
until chroot "$root" vigil status hello >"$work/status.out" 2>&1; do
    kill -0 "$daemon" 2>/dev/null || { cat "$work/daemon.log"; fail "vigil daemon exited"; }
    [ $SECONDS -lt $deadline ] || { cat "$work/daemon.log" "$work/status.out"; fail "hello not up in 120 s"; }
    sleep 0.2
done
echo "DEBTEST vigil daemon runs hello"

# Completion of a live service name, asked of that daemon.
completed=$(chroot "$root" bash -c 'source /usr/share/bash-completion/completions/vigil
    COMP_WORDS=(vigil status hel); COMP_CWORD=2; _vigil_complete_with_services vigil hel status
    printf "%s\n" "${COMPREPLY[@]}"')
grep -qx hello <<<"$completed" || fail "completion of 'vigil status hel' gave: $completed"
echo "DEBTEST completion of live service names ok"

kill -TERM "$daemon"
code=0
wait "$daemon" || code=$?
[ "$code" = 0 ] || { cat "$work/daemon.log"; fail "vigil daemon exited $code on TERM"; }
echo "DEBTEST vigil daemon stopped on TERM"

# man: the root has no man-db (minbase), so the host's man reads the root's installed pages, by name.
MANPATH=$root/usr/share/man man -P cat vigil >"$work/man.out" 2>&1 || { cat "$work/man.out"; fail "man vigil"; }
grep -q 'vigil - ' "$work/man.out" || { cat "$work/man.out"; fail "man vigil: no NAME section"; }
MANPATH=$root/usr/share/man man -P cat 5 vigil-service-dir | grep -q 'vigil-service-dir - ' || fail "man 5 vigil-service-dir"
echo "DEBTEST man vigil ok"
echo "DEBTEST passed"

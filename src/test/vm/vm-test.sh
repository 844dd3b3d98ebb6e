#!/usr/bin/env bash
# The VM test: boots a Debian 12 minbase system straight into vigil init (init=, no wrapper) under qemu (TCG: no
# KVM here), three times, and checks from inside (guest-check, on the serial console) and outside (e2fsck):
#   1. nginx answers on 127.0.0.1, sshd listens, cron runs; kill -9 of nginx's master fails its unit and leaves
#      none of its processes; then "vigil reboot";
#   2. the same services; Ctrl-Alt-Del from the qemu monitor;
#   3. the same services; "poweroff" (vigil through a symlink).
# After each, the file system must be clean: e2fsck -fn finds nothing, and no needs_recovery. Each boot also prints
# PID 1's PSS once the services are up, and the times from PID 1's exec to the first service and to all three up.
# Prints "VMTEST ..." lines; exits non-zero on the first failure. VIGIL_VM_BOOTS picks boots (e.g. "reboot" alone,
# to try something quickly).
#   vm-test.sh CHECKOUT CACHE_DIR
set -euo pipefail
checkout=$(cd "${1:?usage: vm-test.sh CHECKOUT CACHE_DIR}" && pwd)
cache=$(mkdir -p "${2:?}" && cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
jdk=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
boot_timeout=${VIGIL_VM_BOOT_TIMEOUT:-900}

fail() {
    echo "VMTEST FAIL $*"
    exit 1
}

started=$SECONDS
"$here/build-root.sh" "$cache"
echo "VMTEST root ready after $((SECONDS - started))s"
root=$cache/root
kernel=$(ls "$cache"/kernel/boot/vmlinuz-* | sort -V | tail -n1)
release=${kernel##*/vmlinuz-}

# Vigil, as a checkout with its build: the launcher, the jar, its lib/ and the helper, and a runtime of the modules
# it needs (jlink: ~55 MB, where the JDK is 300), found by jdeps, so that a module Vigil comes to use is never
# missing in the guest; a runtime cached with another list is made again.
rm -rf "$root/opt/vigil"
mkdir -p "$root/opt/vigil/target"
cp "$checkout/vigil" "$root/opt/vigil/"
cp -r "$checkout/target/vigil.jar" "$checkout/target/vigil-exec" "$checkout/target/lib" "$root/opt/vigil/target/"
touch "$root/opt/vigil/target/vigil.jar"
modules=$("$jdk/bin/jdeps" --multi-release 25 --print-module-deps --ignore-missing-deps \
    -cp "$checkout/target/lib/*" "$checkout/target/vigil.jar" "$checkout"/target/lib/*.jar 2>/dev/null | tail -n1)
[ -n "$modules" ] || fail "jdeps found no modules for Vigil"
if [ "$(cat "$cache/runtime.modules" 2>/dev/null)" != "$modules" ] || [ ! -x "$cache/runtime/bin/java" ]; then
    rm -rf "$cache/runtime"
    "$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
        --output "$cache/runtime"
    echo "$modules" >"$cache/runtime.modules"
fi
rm -rf "$root/usr/lib/jvm"
mkdir -p "$root/usr/lib/jvm"
cp -a "$cache/runtime" "$root/usr/lib/jvm/vigil-runtime"
ln -sf /opt/vigil/vigil "$root/usr/local/sbin/poweroff"

# The system's configuration: the boot script, the check, and a default.target that wants the three services and
# the check. The units themselves are Debian's stock ones, in /lib/systemd/system.
mkdir -p "$root/etc/vigil/units"
cp "$here/guest-boot" "$root/etc/vigil/boot"
cp "$here/guest-check" "$root/etc/vigil/check"
cat >"$root/etc/vigil/units/default.target" <<'UNIT'
[Unit]
Description=The VM test's system
Wants=ssh.service nginx.service cron.service vm-check.service
UNIT
cat >"$root/etc/vigil/units/vm-check.service" <<'UNIT'
[Unit]
Description=The VM test's check
After=ssh.service nginx.service cron.service

[Service]
Type=oneshot
ExecStart=/etc/vigil/check
UNIT

# The initramfs: busybox, the disk's modules and what they need, found through modules.dep.
initramfs=$cache/initramfs
rm -rf "$initramfs" "$cache/initrd.cpio"
mkdir -p "$initramfs"/{bin,dev,proc,sys,newroot,lib/modules/"$release"}
cp /bin/busybox "$initramfs/bin/busybox"
cp "$here/guest-initramfs-init" "$initramfs/init"
mknod "$initramfs/dev/console" c 5 1
moddir=$cache/kernel/lib/modules/$release
cp "$moddir"/modules.{dep,alias,builtin,order,softdep} "$initramfs/lib/modules/$release/" 2>/dev/null || true
declare -A wanted=()
add_module() {
    local line path dep
    line=$(grep -E "(^|/)$1\.ko(\.[a-z]+)?:" "$moddir/modules.dep") || return 0
    path=${line%%:*}
    [ -n "${wanted[$path]:-}" ] && return 0
    wanted[$path]=1
    for dep in ${line#*:}; do
        dep=${dep##*/}
        add_module "${dep%%.ko*}"
    done
}
for m in virtio_pci virtio_blk ext4 crc32c_generic; do add_module "$m"; done
for path in "${!wanted[@]}"; do
    mkdir -p "$initramfs/lib/modules/$release/$(dirname "$path")"
    cp "$moddir/$path" "$initramfs/lib/modules/$release/$path"
done
(cd "$initramfs" && find . | cpio -o -H newc --quiet) >"$cache/initrd.cpio"

image=$cache/disk.ext4
rm -f "$image"
started=$SECONDS
mkfs.ext4 -q -F -L vigil-vm -d "$root" "$image" 1200M
echo "VMTEST image made in $((SECONDS - started))s"

# Boots once with vigil.test=$1; waits for qemu to end (the guest rebooting or powering off: -no-reboot); then
# checks the disk. no_timer_check: on a loaded host, TCG's timer can be too slow for the kernel's check of the
# IO-APIC timer, which then panics ("IO-APIC + timer doesn't work!"). VIGIL_VM_APPEND adds to the kernel's command line (VIGIL_JAVA_OPTS="...", to try PID 1's flags).
boot() {
    local action=$1 log=$cache/serial-$1.log monitor=$cache/monitor.sock pid t0 waited=0
    rm -f "$log" "$monitor"
    t0=$SECONDS
    qemu-system-x86_64 -accel tcg,thread=multi -smp 2 -m 1536 -no-reboot -display none \
        -kernel "$kernel" -initrd "$cache/initrd.cpio" \
        -append "console=ttyS0 panic=-1 no_timer_check ${VIGIL_VM_APPEND:-} init=/opt/vigil/vigil vigil.test=$action -- --units /etc/vigil/units /lib/systemd/system" \
        -drive "file=$image,format=raw,if=virtio" -nic none \
        -serial "file:$log" -monitor "unix:$monitor,server,nowait" &
    pid=$!
    if [ "$action" = cad ]; then
        until grep -q "VMCHECK ready for ctrl-alt-delete" "$log" 2>/dev/null; do
            kill -0 "$pid" 2>/dev/null || break
            [ $((SECONDS - t0)) -lt "$boot_timeout" ] || break
            sleep 1
        done
        echo "sendkey ctrl-alt-delete" | socat - "UNIX-CONNECT:$monitor" >/dev/null
    fi
    while kill -0 "$pid" 2>/dev/null; do
        if [ $((SECONDS - t0)) -ge "$boot_timeout" ]; then
            kill "$pid"
            wait "$pid" || true
            tail -n 40 "$log" | sed 's/^/  | /'
            fail "$action: the VM did not end within ${boot_timeout}s"
        fi
        sleep 1
    done
    wait "$pid" || true
    echo "VMTEST $action: the VM ended after $((SECONDS - t0))s"
    grep -a "VMCHECK" "$log" | sed 's/^/VMTEST /' || true
    grep -a "vigil init:" "$log" | tail -n 12 | sed 's/^/  | /' || true
    # The boot's times, in seconds since the kernel started: PID 1's exec (printed by the initramfs), the first
    # service's main process, all three services up (the check's uptime).
    local exec_at first_at up_at
    exec_at=$(sed -n 's/^VMBOOT exec-init \([0-9.]*\).*/\1/p' "$log" | head -n1)
    first_at=$(sed -n 's/^VMCHECK first-service-started \([0-9.]*\).*/\1/p' "$log" | head -n1)
    up_at=$(sed -n 's/^VMCHECK uptime \([0-9.]*\).*/\1/p' "$log" | head -n1)
    if [ -n "$exec_at" ] && [ -n "$first_at" ] && [ -n "$up_at" ]; then
        awk -v a="$action" -v e="$exec_at" -v f="$first_at" -v u="$up_at" 'BEGIN {
            printf "VMTEST %s: PID 1 exec at %.2fs; first service after %.2fs; all up after %.2fs (%.2fs since the kernel started)\n",
                a, e, f - e, u - e, u }'
    fi
    if grep -aq "Kernel panic" "$log"; then
        grep -a -A3 "Kernel panic" "$log" | head -n 4 | sed 's/^/  | /'
        fail "$action: the kernel panicked"
    fi
    # The ending the init took (a panic also ends qemu, with -no-reboot, and a root still read-only from the
    # initramfs would look clean).
    local ending=$action
    [ "$action" = cad ] && ending=reboot
    if [ "$action" = reboot ]; then
        grep -aq "vigil: nginx.service: failed with result" "$log" || fail "$action: nginx.service did not fail when its master was killed"
        echo "VMTEST $action: nginx.service failed after kill -9 of its master"
    fi
    grep -aq "vigil init: remounted / read-only" "$log" || fail "$action: the root was not remounted read-only"
    grep -aq "vigil init: syncing disks; $ending" "$log" || fail "$action: the init did not $ending"
    if ! e2fsck -fn "$image" >"$cache/fsck-$action.log" 2>&1; then
        tail -n 20 "$cache/fsck-$action.log" | sed 's/^/  | /'
        fail "$action: e2fsck -fn found errors"
    fi
    if dumpe2fs -h "$image" 2>/dev/null | grep -q needs_recovery; then
        fail "$action: the file system needs journal recovery"
    fi
    echo "VMTEST $action: file system clean"
}

for action in ${VIGIL_VM_BOOTS:-reboot cad poweroff}; do
    boot "$action"
done
echo "VMTEST passed"

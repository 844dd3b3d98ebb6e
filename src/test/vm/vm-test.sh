#!/usr/bin/env bash
# The VM test: boots a Debian 12 minbase system straight into vigil init (init=, no wrapper) under qemu (TCG: no
# KVM here), three times, and checks from inside (guest-check, on the serial console) and outside (e2fsck):
#   1. nginx answers on 127.0.0.1, sshd listens, cron runs; then "vigil reboot";
#   2. Ctrl-Alt-Del from the qemu monitor;
#   3. "poweroff" (vigil through a symlink).
# After each, the file system must be clean: e2fsck -fn finds nothing, and no needs_recovery.
# Prints "VMTEST ..." lines; exits non-zero on the first failure.
#   vm-test.sh CHECKOUT CACHE_DIR
set -euo pipefail
checkout=$(cd "${1:?usage: vm-test.sh CHECKOUT CACHE_DIR}" && pwd)
cache=$(mkdir -p "${2:?}" && cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
jdk=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
boot_timeout=${VIGIL_VM_BOOT_TIMEOUT:-420}

fail() {
    echo "VMTEST FAIL $*"
    exit 1
}

started=$SECONDS
"$here/build-root.sh" "$cache"
echo "VMTEST root ready after $((SECONDS - started))s"
root=$cache/root
kernel=$(ls "$root"/boot/vmlinuz-* | sort -V | tail -n1)
release=${kernel##*/vmlinuz-}

# Vigil, as a checkout with its build: the launcher, the jar, its lib/ and the helper, and a runtime of the two modules it
# needs (jlink: ~50 MB, where the JDK is 300).
rm -rf "$root/opt/vigil"
mkdir -p "$root/opt/vigil/target"
cp "$checkout/vigil" "$root/opt/vigil/"
cp -r "$checkout/target/vigil.jar" "$checkout/target/vigil-exec" "$checkout/target/lib" "$root/opt/vigil/target/"
touch "$root/opt/vigil/target/vigil.jar"
if [ ! -x "$cache/runtime/bin/java" ]; then
    rm -rf "$cache/runtime"
    "$jdk/bin/jlink" --add-modules java.base,jdk.unsupported --strip-debug --no-man-pages --no-header-files \
        --output "$cache/runtime"
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
moddir=$root/lib/modules/$release
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
mkfs.ext4 -q -F -L vigil-vm -d "$root" "$image" 2500M
echo "VMTEST image made in $((SECONDS - started))s"

# Boots once with vigil.test=$1; waits for qemu to end (the guest rebooting or powering off: -no-reboot); then
# checks the disk.
boot() {
    local action=$1 log=$cache/serial-$1.log monitor=$cache/monitor.sock pid t0 waited=0
    rm -f "$log" "$monitor"
    t0=$SECONDS
    qemu-system-x86_64 -accel tcg,thread=multi -smp 2 -m 1536 -no-reboot -display none \
        -kernel "$kernel" -initrd "$cache/initrd.cpio" \
        -append "console=ttyS0 panic=-1 init=/opt/vigil/vigil vigil.test=$action -- --units /etc/vigil/units /lib/systemd/system" \
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
    # The ending the init took (a panic also ends qemu, with -no-reboot, and a root still read-only from the
    # initramfs would look clean).
    local ending=$action
    [ "$action" = cad ] && ending=reboot
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

boot reboot
boot cad
boot poweroff
echo "VMTEST passed"

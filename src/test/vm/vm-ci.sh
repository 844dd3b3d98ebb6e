#!/usr/bin/env bash
# The VM test as a background job of the Maven build, so that its slow parts (debootstrap of the root, three boots
# under TCG) overlap the rest of the suite instead of following it. The pom's vm-test profile calls:
#   vm-ci.sh start CHECKOUT CACHE SKIP...   at the start of the build (generate-sources): starts the job and returns at
#                                           once. SKIP are the build's skipTests, skipITs, maven.test.skip and
#                                           vigil.vm: no job when one is "true" (or vigil.vm is "skip"), nor when
#                                           this machine cannot run the test (VmIT then says why).
#   vm-ci.sh go CACHE                       once the launcher and jar are packaged (pre-integration-test).
# The job builds the root (build-root.sh) at once, waits for "go", then runs vm-test.sh. Its output goes to
# CACHE/job.log, its exit code to CACHE/job.rc, which VmIT waits for. It ends, with its qemu, when the Maven build
# that started it ends first (a failed compile, or a build with no integration tests).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

case ${1:-} in
    start)
        checkout=${2:?} cache=${3:?}
        shift 3
        for skip in "$@"; do
            [ "$skip" = true ] || [ "$skip" = skip ] && exit 0
        done
        # Maven's JVM runs this script; only a build that goes as far as the integration tests wants the job (not
        # test-compile, say), and Maven's own command line says which phases it was asked for.
        maven=$PPID
        phases=$(tr '\0' ' ' <"/proc/$maven/cmdline" 2>/dev/null || true)
        [[ " $phases " =~ \ (integration-test|verify|install|deploy)\  ]] || exit 0
        [ "$(id -u)" = 0 ] || exit 0
        for tool in qemu-system-x86_64 debootstrap busybox mkfs.ext4 e2fsck socat apt-get cpio depmod; do
            command -v "$tool" >/dev/null || exit 0
        done
        mkdir -p "$cache"
        # One job per cache: the lock goes with the job (its fd is inherited), so a second build at the same time
        # leaves the first's job alone and its VmIT runs the test itself.
        exec 9>"$cache/job.lock"
        flock -n 9 || exit 0
        rm -f "$cache/job.pid" "$cache/job.rc" "$cache/job.go" "$cache/job.log"
        setsid "$0" run "$checkout" "$cache" "$maven" </dev/null >"$cache/job.log" 2>&1 &
        echo $! >"$cache/job.pid"
        ;;
    go)
        cache=${2:?}
        [ -e "$cache/job.pid" ] && touch "$cache/job.go"
        exit 0
        ;;
    run)
        checkout=${2:?} cache=${3:?} maven=${4:?}
        started=$SECONDS
        # setsid made this job a process group of its own: when Maven is gone, the watcher ends the whole group,
        # qemu included.
        (
            while kill -0 "$maven" 2>/dev/null; do sleep 2; done
            echo "VMTEST the Maven build ended before the VM test; stopping it"
            kill -- -$$
        ) &
        watcher=$!
        rc=0
        "$here/build-root.sh" "$cache" || rc=$?
        echo "VMTEST job: root built after $((SECONDS - started))s"
        if [ "$rc" = 0 ]; then
            until [ -e "$cache/job.go" ]; do sleep 1; done
            echo "VMTEST job: the build is packaged after $((SECONDS - started))s"
            "$here/vm-test.sh" "$checkout" "$cache" || rc=$?
        fi
        echo "VMTEST job: ended after $((SECONDS - started))s"
        kill "$watcher" 2>/dev/null || true
        echo "$rc" >"$cache/job.rc.tmp"
        mv "$cache/job.rc.tmp" "$cache/job.rc"
        ;;
    *)
        echo "usage: vm-ci.sh start CHECKOUT CACHE SKIP... | go CACHE" >&2
        exit 2
        ;;
esac

#!/bin/bash
# Counts the context switches of an idle Vigil event loop (vigil.loop.IdleProbe), per thread.
# usage: src/test/scripts/idle-wakeups.sh [JVM flags...]      (after ./mvnw test-compile)
# env:   JAVA (default: JDK 25), WARMUP seconds before counting (8), WINDOW seconds counted (10)
set -euo pipefail
cd "$(dirname "$0")/../../.."
java=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/watched"

"$java" --enable-native-access=ALL-UNNAMED "$@" -cp target/classes:target/test-classes \
    vigil.loop.IdleProbe "$work/watched" > "$work/out" 2>&1 &
pid=$!
sleep "${WARMUP:-8}"

# tid|name|voluntary|nonvoluntary for every thread of the probe
snapshot() {
    for task in /proc/$pid/task/*; do
        awk -v tid="${task##*/}" -v name="$(cat "$task/comm")" '
            /^voluntary_ctxt_switches/ {v = $2} /^nonvoluntary_ctxt_switches/ {n = $2}
            END {print tid "|" name "|" v "|" n}' "$task/status"
    done | sort
}
snapshot > "$work/before"
sleep "${WINDOW:-10}"
snapshot > "$work/after"
kill -TERM "$pid"
wait "$pid" || true

echo "flags: $*"
echo "window: ${WINDOW:-10} s after ${WARMUP:-8} s, threads: $(wc -l < "$work/after")"
join -t'|' "$work/before" "$work/after" | awk -F'|' '
    {d = ($6 - $3) + ($7 - $4); total += d; if (d > 0) printf "  %-16s voluntary %4d involuntary %3d\n", $2, $6 - $3, $7 - $4}
    END {print "total " total}'
comm -3 <(cut -d'|' -f1 "$work/before") <(cut -d'|' -f1 "$work/after") | sed 's/^/  thread started or ended: /'

#!/bin/bash
# bench/chatty.sh: what N jobs that write cost pmtr in memory, beside N silent ones.
# Runs pmtr twice on N jobs: jobs that write nothing, and jobs that each write
# LINES lines of 60 bytes at once (enough to fill their rings, by default), then
# sleep. Prints pmtr's resident size (VmRSS) once every job has started and, for
# the chatty run, once its last line is logged; and the time pmtrctl logs takes
# for one job. Nothing here needs root.
# SPDX-License-Identifier: MIT
#
#   bench/chatty.sh [N [LINES]]     (from the source tree, or BENCH_BUILDDIR=build dir)
set -u
export LC_ALL=C

N=${1:-1000}
LINES=${2:-1000}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILDDIR:-$TOP}
PMTR=$BUILD/src/pmtr
PMTRCTL=$BUILD/src/pmtrctl
NAME=chatty
. "$TOP/bench/pmtr-run.sh"
for f in "$PMTR" "$PMTRCTL"; do [ -x "$f" ] || die "no $f: run make first"; done

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# run KIND CMD: N jobs running CMD; prints "KIND: RSS kB".
run() {
	local kind=$1 cmd=$2 i
	for ((i = 1; i <= N; i++)); do
		printf 'job {\n  name j%d\n  cmd %s\n}\n' "$i" "$cmd"
	done >"$TMP/pmtr.conf"
	"$PMTR" -F -c "$TMP/pmtr.conf" -s "$TMP/sock" >"$TMP/log" 2>&1 &
	PID=$!
	wait_log "started job " "$N"
	[ "$kind" = chatty ] && wait_log ": line $LINES\$" "$N"
	sleep 1
	echo "$kind: $N jobs, pmtr RSS $(rss_kb "$PID") kB"
	if [ "$kind" = chatty ]; then
		local t0=${EPOCHREALTIME/./}
		"$PMTRCTL" -s "$TMP/sock" logs -n 100000 j1 >"$TMP/out" || die "pmtrctl logs failed"
		echo "chatty: pmtrctl logs of one job: $(wc -l <"$TMP/out") lines kept, $(((${EPOCHREALTIME/./} - t0) / 1000)) ms"
	fi
	kill -TERM "$PID"
	wait "$PID" 2>/dev/null
	PID=
}

run silent "/bin/sleep 3600"
run chatty "/bin/sh -c \"i=0; while [ \$i -lt $LINES ]; do i=\$((i+1)); echo 'a line of output that is sixty bytes long, more or less: line' \$i; done; exec /bin/sleep 3600\""

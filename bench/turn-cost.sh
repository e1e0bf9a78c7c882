#!/bin/bash
# bench/turn-cost.sh: what a line of job output costs pmtr beside few and beside many other jobs.
# Runs pmtr twice: FEW and then MANY jobs that sleep, each time beside one job that
# writes a line about every millisecond. Prints pmtr's CPU time (user + system,
# /proc/PID/stat) per line logged over SECONDS seconds, and the ratio of the two: a
# turn of pmtr's loop that only read output should not look at every job, so the
# ratio stays near 1 (it was 6 with 10,000 jobs when every turn did). CPU time, not
# wall time: a busy machine changes it little. Needs no root.
# SPDX-License-Identifier: MIT
#
#   bench/turn-cost.sh [MANY [SECONDS]]   (from the source tree, or BENCH_BUILDDIR=build dir)
set -u
export LC_ALL=C

MANY=${1:-10000}
SECS=${2:-5}
FEW=10
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILDDIR:-$TOP}
PMTR=$BUILD/src/pmtr
NAME=turn-cost
. "$TOP/bench/pmtr-run.sh"
for v in "$MANY" "$SECS"; do
	case $v in ''|*[!0-9]*|0) die "MANY and SECONDS are positive numbers, not '$v'" ;; esac
done
[ -x "$PMTR" ] || die "no $PMTR: run make first"

lines() { grep -c "chatty\[.*\]: a line" "$TMP/log"; }

# one_run N: sets US_PER_LINE for N sleeping jobs beside the chatty one
one_run() {
	local n=$1 i t0 t1 l0 l1 hz
	hz=$(getconf CLK_TCK)
	{
		for ((i = 1; i <= n; i++)); do
			printf 'job {\n  name s%d\n  cmd /bin/sleep 3600\n}\n' "$i"
		done
		printf 'job {\n  name chatty\n  cmd /bin/sh -c "while :; do echo a line of output; sleep 0.001; done"\n}\n'
	} >"$TMP/pmtr.conf"
	: >"$TMP/log"
	"$PMTR" -F -c "$TMP/pmtr.conf" -s "$TMP/ctl.sock" >"$TMP/log" 2>&1 &
	PID=$!
	wait_log "started job " $((n + 1))
	sleep 1	# past the start burst
	t0=$(cpu_ticks "$PID") l0=$(lines)
	sleep "$SECS"
	t1=$(cpu_ticks "$PID") l1=$(lines)
	kill -TERM "$PID" && wait "$PID" 2>/dev/null
	PID=
	[ $((l1 - l0)) -gt 0 ] || die "no line was logged in $SECS s"
	US_PER_LINE=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v l=$((l1 - l0)) \
		'BEGIN { printf "%.1f", t * 1e6 / hz / l }')
	echo "turn-cost: $n sleeping jobs: $((l1 - l0)) lines in $SECS s, pmtr CPU $US_PER_LINE us a line"
}

one_run "$FEW"
few=$US_PER_LINE
one_run "$MANY"
many=$US_PER_LINE
echo "turn-cost: a line beside $MANY jobs costs $(awk -v a="$many" -v b="$few" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')x what it costs beside $FEW"

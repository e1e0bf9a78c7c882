#!/bin/bash
# bench/profile.sh: where pmtr spends a start of N jobs (default 1000) of /bin/sleep.
# SPDX-License-Identifier: MIT
#
#   bench/profile.sh [--pmtr PATH] [--jobs N] [--out DIR] [--cgroups yes|no]
#
# Runs, one after the other, each on a fresh pmtr with N jobs:
#   strace -c (pmtr alone) and strace -c -f (with its children until their exec),
#   strace -f -T on the children's set-up calls (latency of each step),
#   perf stat on pmtr, perf record -a -g over the start (if perf works here),
#   valgrind --tool=callgrind on pmtr (user-space costs by function).
# Root only; writes its reports under DIR (default: a temporary directory, printed).
# Nothing in /etc or /run is touched; the jobs carry a marker and are all stopped.
set -u
export LC_ALL=C
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$SRC_DIR/.." && pwd)
PMTR=$TOP/src/pmtr
N=1000
OUT=""
while [ $# -gt 0 ]; do
	case $1 in
	--pmtr) PMTR=$2; shift ;;
	--jobs) N=$2; shift ;;
	--out) OUT=$2; shift ;;
	*) sed -n '5p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2; exit 1 ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || { echo "profile: must run as root" >&2; exit 1; }
TMP=$(mktemp -d /dev/shm/pmtr-profile.XXXXXX 2>/dev/null || mktemp -d /tmp/pmtr-profile.XXXXXX)
[ -n "$OUT" ] || OUT=$TMP/out
mkdir -p "$OUT"
OBS=${BENCH_BINDIR:-$TMP}/observe
[ -x "$OBS" ] || ${CC:-cc} -O2 -o "$OBS" "$SRC_DIR/observe.c" || exit 1
TAG=86400.9$(( $$ % 100000 ))
ROOTS=()
cleanup() {
	for p in $("$OBS" markers "$TAG"); do kill -9 "$p" 2>/dev/null; done
	for p in "${ROOTS[@]}"; do kill -9 "$p" 2>/dev/null; done
	case $OUT in "$TMP"/*) rm -f "$TMP/conf" ;; *) rm -rf "$TMP" ;; esac
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for ((i = 1; i <= N; i++)); do
	printf 'job {\n  name j%d\n  cmd /bin/sleep %s\n}\n' $i "$TAG"
done >"$TMP/conf"

# run LABEL WRAPPER...: start pmtr under WRAPPER, wait for the N jobs, stop pmtr.
run() {
	local label=$1 out root pmtr_pid
	shift
	out=$("$OBS" -t 600000 -m "$TAG" -n "$N" -o "$OUT/$label.log" start "$@" "$PMTR" -F -s "$TMP/sock" -c "$TMP/conf")
	root=${out%% *}
	ROOTS+=("$root")
	echo "$label: $N jobs started in ${out#* } ms" | tee -a "$OUT/summary.txt"
	sleep 0.5
	pmtr_pid=$(for p in $("$OBS" tree "$root" "$TAG"); do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = pmtr ] && echo "$p"; done | head -1)
	[ -n "$pmtr_pid" ] || pmtr_pid=$root	# valgrind runs pmtr in its own process
	[ -n "${PRE_STOP:-}" ] && $PRE_STOP "$pmtr_pid"
	"$OBS" -t 120000 -m "$TAG" gone "$root" \; kill "$pmtr_pid" 15 >/dev/null
}

run plain
run strace-parent strace -c -o "$OUT/strace-parent.txt"
run strace-children strace -f -c -o "$OUT/strace-children.txt"
mkdir -p "$TMP/steps"
run strace-steps strace -ff -T -e trace=write,setsid,execve,clone,clone3,mkdir,mkdirat,openat,pipe2,close_range,dup2 -o "$TMP/steps/s"
# Latency of each kind of call: pmtr's own (the first file), its children's until exec.
first=$(ls "$TMP/steps" | sort -t. -k2 -n | head -1)
for f in "$TMP/steps"/s.*; do
	if [ "${f##*/}" = "$first" ]; then who="pmtr"; else who="child"; fi
	awk -v who="$who" 'match($0, /<[0-9.]+>$/) {
		call = $0; sub(/\(.*/, "", call)
		if (call == "write" && $0 ~ /^write\([0-9]+, "0", 1\)/) call = "write(cgroup.procs)"
		if (call == "execve" && who == "child") { t = substr($0, RSTART + 1, RLENGTH - 2); print who, call, t; exit }
		print who, call, substr($0, RSTART + 1, RLENGTH - 2)
	}' "$f"
done | awk '{k = $1 " " $2; n[k]++; s[k] += $3 * 1000; if ($3 * 1000 > m[k]) m[k] = $3 * 1000}
	END {for (k in n) printf "%-28s %6d calls %10.3f ms total %8.3f ms mean %8.3f ms max\n", k, n[k], s[k], s[k] / n[k], m[k]}' |
	sort -k5 -g -r >"$OUT/steps.txt"
rm -rf "$TMP/steps"
if command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
	run perf-stat perf stat --no-inherit -e task-clock,context-switches,cpu-migrations,page-faults -o "$OUT/perf-stat.txt"
	perf record -q -a -g -o "$TMP/perf.data" -- sleep 600 >/dev/null 2>&1 &
	PERF=$!
	sleep 1
	run perf-record
	kill -INT "$PERF"; wait "$PERF"
	perf report -q -i "$TMP/perf.data" --no-children --sort comm,sym --stdio -g none 2>/dev/null |
		grep -v '^$' | head -40 >"$OUT/perf-report.txt"
	rm -f "$TMP/perf.data"
fi
if command -v valgrind >/dev/null; then
	run callgrind valgrind -q --tool=callgrind --callgrind-out-file="$OUT/callgrind.out"
	callgrind_annotate --inclusive=yes "$OUT/callgrind.out" 2>/dev/null | head -60 >"$OUT/callgrind-inclusive.txt"
	callgrind_annotate "$OUT/callgrind.out" 2>/dev/null | head -45 >"$OUT/callgrind-self.txt"
fi
echo "profile: reports in $OUT" >&2

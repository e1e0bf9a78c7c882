#!/bin/bash
# bench/start-cost.sh: where a burst start of N jobs goes. Starts N jobs of
# /bin/sleep with pmtr (with its job cgroups, and again in a private mount
# namespace where cgroup2 is unmounted, so that pmtr runs without them) and with
# the fork+exec floor, interleaved; prints the median wall time until the last
# job's exec and the median CPU time of the supervisor process over that start.
# With --busy, one CPU is kept busy by a shell loop during each run (issue 17).
# SPDX-License-Identifier: MIT
#
#   bench/start-cost.sh [--busy] [N [REPEATS]]  (root; after `make bench` built the helpers)
# shellcheck disable=SC2016	# sh -c scripts in single quotes
set -u
export LC_ALL=C

BUSY=""
if [ "${1:-}" = --busy ]; then
	BUSY=1
	shift
fi
N=${1:-1000}
REPS=${2:-5}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILDDIR:-$TOP}
PMTR=$BUILD/src/pmtr
OBS=$BUILD/bench/observe
FLOOR=$BUILD/bench/floor-forkexec

die() { echo "start-cost: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (process events connector, mount namespace)"
for f in "$PMTR" "$OBS" "$FLOOR"; do
	[ -x "$f" ] || die "no $f: run make and make bench (or make bench/observe bench/floor-forkexec)"
done
CG=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)

TMP=$(mktemp -d /dev/shm/pmtr-start-cost.XXXXXX 2>/dev/null || mktemp -d) || die "mktemp"
MARK=86400.$$$RANDOM
BUSY_PID=""
# The supervisor of the run under way is in $TMP/root (one() runs in a subshell).
cleanup() {
	trap - EXIT INT TERM
	[ -n "$BUSY_PID" ] && kill -9 "$BUSY_PID" 2>/dev/null && wait "$BUSY_PID" 2>/dev/null
	[ -s "$TMP/root" ] && kill -9 "$(cat "$TMP/root")" 2>/dev/null
	for p in $("$OBS" markers "$MARK"); do kill -9 "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for ((i = 1; i <= N; i++)); do
	printf 'job {\n  name j%d\n  cmd /bin/sleep %s\n}\n' "$i" "$MARK"
done >"$TMP/pmtr.conf"

# one KIND: prints "WALL_MS CPU_MS"
one() {
	local out cmd=("$PMTR" -F -s "$TMP/sock" -c "$TMP/pmtr.conf")
	case $1 in
	floor) out=$("$OBS" -m "$MARK" -n "$N" -o /dev/null start "$FLOOR" "$N" /bin/sleep "$MARK") ;;
	pmtr) out=$("$OBS" -m "$MARK" -n "$N" -o /dev/null start "${cmd[@]}") ;;
	nocgroup)
		[ -n "$CG" ] || { echo "- -"; return; }
		out=$(unshare -m sh -c 'umount "$1" && shift && exec "$@"' sh "$CG" \
			"$OBS" -m "$MARK" -n "$N" -o /dev/null start "${cmd[@]}") ;;
	esac
	ROOT=${out%% *}
	echo "$ROOT" >"$TMP/root"
	echo "${out#* } $(awk '{printf "%.1f", $1 / 1e6}' "/proc/$ROOT/schedstat" 2>/dev/null)"
	kill -TERM "$ROOT" 2>/dev/null
	for _ in $(seq 200); do kill -0 "$ROOT" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$ROOT" 2>/dev/null
	: >"$TMP/root"
	for p in $("$OBS" markers "$MARK"); do kill -9 "$p" 2>/dev/null; done
}

declare -A WALL CPU
for ((r = 1; r <= REPS; r++)); do
	for kind in floor pmtr nocgroup; do
		if [ -n "$BUSY" ]; then
			sh -c 'while :; do :; done' "$TMP/busy" </dev/null >/dev/null 2>&1 &
			BUSY_PID=$!
			sleep 0.1
		fi
		read -r w c <<<"$(one $kind)"
		if [ -n "$BUSY" ]; then
			kill -9 "$BUSY_PID"
			wait "$BUSY_PID" 2>/dev/null
			BUSY_PID=""
		fi
		WALL[$kind]+="$w " CPU[$kind]+="$c "
	done
done
median() { tr ' ' '\n' <<<"$1" | grep -v '^-\?$' | sort -n | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]; else print "-"}'; }
echo "start of $N jobs of /bin/sleep, medians of $REPS: $(nproc) CPUs, Linux $(uname -r)${BUSY:+, one CPU busy (a shell loop)}"
echo "| | wall until the last exec | supervisor CPU |"
echo "|---|---|---|"
for kind in floor pmtr nocgroup; do
	label=$kind
	[ $kind = floor ] && label="fork+exec floor"
	[ $kind = nocgroup ] && label="pmtr without cgroups"
	echo "| $label | $(median "${WALL[$kind]}") ms | $(median "${CPU[$kind]}") ms |"
done

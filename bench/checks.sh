#!/bin/bash
# bench/checks.sh: what health checks cost pmtr in CPU time and wake-ups, beside jobs without one.
# Runs pmtr on N jobs `/bin/sleep 3600`, each with `check every 1s cmd /bin/true`,
# and then on N such jobs without a check. For each, once every job has started and
# SETTLE seconds more have passed, it measures pmtr's own CPU time (utime + stime of
# /proc/PID/stat: the forks are in it, the checks' own run time is not) and its
# context switches (voluntary + nonvoluntary of /proc/PID/status) over SECONDS, and
# prints them per minute. Each case runs twice: on an idle machine and with one CPU
# kept busy by a shell loop; the ratio busy/idle is within one run of this script.
# Without a check pmtr should not wake up at all. Nothing here needs root.
# SPDX-License-Identifier: MIT
#
#   bench/checks.sh [N [SECONDS]]     (from the source tree, or BENCH_BUILDDIR=build dir)
#   defaults: N 100, SECONDS 30; SETTLE (environment) 5
set -u
export LC_ALL=C

N=${1:-100}
SECS=${2:-30}
SETTLE=${SETTLE:-5}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILDDIR:-$TOP}
PMTR=$BUILD/src/pmtr
PMTRCTL=$BUILD/src/pmtrctl
CHECK='check every 1s cmd /bin/true'

NAME=checks
. "$TOP/bench/pmtr-run.sh"
for v in "$N" "$SECS" "$SETTLE"; do
	case $v in ''|*[!0-9]*|0) die "N, SECONDS and SETTLE are positive numbers, not '$v'" ;; esac
done
[ -x "$PMTR" ] || die "no $PMTR: run make first"
[ -r /proc/self/stat ] || die "needs /proc"
HZ=$(getconf CLK_TCK) || die "getconf CLK_TCK"

# ctx_switches PID: voluntary + nonvoluntary (pmtr is one thread).
ctx_switches() {
	awk '/^(non)?voluntary_ctxt_switches:/ { n += $2 } END { print n + 0 }' "/proc/$1/status"
}

# sample: pmtr's CPU ticks and context switches so far, in TICKS and SW.
sample() {
	TICKS=$(cpu_ticks "$PID") || die "cannot read /proc/$PID/stat"
	SW=$(ctx_switches "$PID") || die "cannot read /proc/$PID/status"
}

write_conf() {
	local with_check=$1 i
	for ((i = 1; i <= N; i++)); do
		printf 'job {\n  name j%d\n  cmd /bin/sleep 3600\n' "$i"
		[ "$with_check" = yes ] && printf '  %s\n' "$CHECK"
		printf '}\n'
	done >"$TMP/pmtr.conf"
}

# run CHECK BUSY: one pmtr on N jobs (with a check or not), on an idle machine or
# with one CPU busy; sets CPU_MS and SWITCHES, both per minute, and FAILED (check
# failures logged during the whole run).
run() {
	local with_check=$1 busy=$2 c0 c1 s0 s1
	write_conf "$with_check"
	if [ "$busy" = yes ]; then
		sh -c 'while :; do :; done' &
		BUSY=$!
	fi
	"$PMTR" -F -c "$TMP/pmtr.conf" -s "$TMP/sock" >"$TMP/log" 2>&1 &
	PID=$!
	wait_log "started job " "$N"
	sleep "$SETTLE"
	kill -0 "$PID" 2>/dev/null || die "pmtr died: $(tail -n 3 "$TMP/log")"
	sample
	c0=$TICKS s0=$SW
	sleep "$SECS"
	sample
	c1=$TICKS s1=$SW
	CPU_MS=$(((c1 - c0) * 1000 * 60 / HZ / SECS))
	SWITCHES=$(((s1 - s0) * 60 / SECS))
	FAILED=$(grep -c 'check failed' "$TMP/log")
	HEALTHY=
	if [ "$with_check" = yes ] && [ -x "$PMTRCTL" ]; then
		HEALTHY=$("$PMTRCTL" -s "$TMP/sock" status 2>/dev/null | grep -c '(healthy)')
	fi
	kill -TERM "$PID"
	wait "$PID" 2>/dev/null
	PID=
	if [ -n "$BUSY" ]; then
		kill -TERM "$BUSY"
		wait "$BUSY" 2>/dev/null
		BUSY=
	fi
}

# ratio A B: A / B with two decimals, or n/a when B is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f\n", a / b }'; }

write_conf yes
"$PMTR" -t -c "$TMP/pmtr.conf" >"$TMP/t.log" 2>&1 ||
	die "this pmtr does not take \"$CHECK\": $(head -n 1 "$TMP/t.log")"

echo "checks: $("$PMTR" -V 2>&1 | head -n 1), $N jobs /bin/sleep 3600, $(nproc) CPUs, measured over $SECS s after $SETTLE s"
echo "checks: with check: $CHECK"
printf '%-30s %12s %14s\n' case 'CPU ms/min' 'switches/min'
for with_check in yes no; do
	if [ "$with_check" = yes ]; then name='with check'; else name='no check'; fi
	for busy in no yes; do
		run "$with_check" "$busy"
		if [ "$busy" = yes ]; then label="$name, 1 CPU busy"; else label="$name, idle"; fi
		printf '%-30s %12d %14d' "$label" "$CPU_MS" "$SWITCHES"
		[ "$FAILED" -gt 0 ] && printf '  (%d checks failed)' "$FAILED"
		[ -n "$HEALTHY" ] && printf '  (%d of %d jobs healthy at the end)' "$HEALTHY" "$N"
		printf '\n'
		if [ "$busy" = yes ]; then
			cpu_busy=$CPU_MS sw_busy=$SWITCHES
		else
			cpu_idle=$CPU_MS sw_idle=$SWITCHES
		fi
	done
	printf '%-30s %12s %14s\n' "$name, busy/idle" "$(ratio "$cpu_busy" "$cpu_idle")" \
		"$(ratio "$sw_busy" "$sw_idle")"
done

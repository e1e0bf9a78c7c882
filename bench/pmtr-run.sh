# shellcheck shell=bash
# bench/pmtr-run.sh: sourced by the bench scripts that run one pmtr at a time: a
# temporary directory, a cleanup that stops that pmtr (and a CPU burner, if one
# runs), a wait for its log, its CPU time. Set NAME first; the pmtr logs to $TMP/log.
# SPDX-License-Identifier: MIT

die() { echo "$NAME: $*" >&2; exit 1; }
TMP=$(mktemp -d) || die "mktemp"
PID=	# the pmtr running now
BUSY=	# a process keeping one CPU busy, if any
cleanup() {
	[ -n "$BUSY" ] && kill -TERM "$BUSY" 2>/dev/null && wait "$BUSY" 2>/dev/null
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_log PATTERN COUNT: until the log holds COUNT lines matching PATTERN (60 s at most).
wait_log() {
	local i
	for ((i = 0; i < 1200; i++)); do
		[ "$(grep -c -- "$1" "$TMP/log")" -ge "$2" ] && return 0
		kill -0 "$PID" 2>/dev/null || die "pmtr died: $(tail -n 3 "$TMP/log")"
		sleep 0.05
	done
	die "timed out waiting for $2 lines of /$1/"
}

# cpu_ticks PID: utime + stime, in clock ticks. The fields are counted after the
# command name's closing parenthesis, since the name may hold blanks.
cpu_ticks() {
	local stat
	stat=$(<"/proc/$1/stat") || return 1
	stat=${stat##*) }
	awk '{ print $12 + $13 }' <<<"$stat"
}

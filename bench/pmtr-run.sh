# shellcheck shell=bash
# bench/pmtr-run.sh: sourced by the bench scripts that run one pmtr at a time: a
# temporary directory, a cleanup that stops that pmtr, a wait for its log. Set NAME
# first; the pmtr logs to $TMP/log.
# SPDX-License-Identifier: MIT

die() { echo "$NAME: $*" >&2; exit 1; }
TMP=$(mktemp -d) || die "mktemp"
PID=	# the pmtr running now, stopped by cleanup
cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

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

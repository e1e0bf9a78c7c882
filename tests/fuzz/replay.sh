#!/bin/sh
# replay.sh: make check's replay of every fuzz seed and regression input through the harnesses, without libFuzzer. SPDX-License-Identifier: MIT
#
# Run by make check with PMTR (the built src/pmtr, whose directory locates the build
# tree's tests/fuzz/replay_*) and TESTS_SRCDIR (the source tree's tests/). Exit
# status: 0 pass, 1 an input failed, 99 a replay program or input directory is missing.

set -u

if [ -z "${PMTR:-}" ] || [ -z "${TESTS_SRCDIR:-}" ]; then
	echo "replay: PMTR and TESTS_SRCDIR must be set (run through make check)"
	exit 99
fi
case $PMTR in /*) ;; *) PMTR=$(pwd)/$PMTR ;; esac
BIN=$(cd "$(dirname "$PMTR")/.." && pwd)/tests/fuzz
FUZZ=$TESTS_SRCDIR/fuzz
# A whole replay takes seconds; a hang in one input must still end the test.
LIMIT=
command -v timeout >/dev/null 2>&1 && LIMIT="timeout 600"

status=0
for t in conf ctl udp notify state; do
	prog=$BIN/replay_$t
	if [ ! -x "$prog" ]; then
		echo "FAIL - $prog is missing (make check builds it)"
		exit 99
	fi
	dirs=
	for d in "$FUZZ/corpus/$t" "$FUZZ/regressions/$t"; do
		if [ ! -d "$d" ]; then
			echo "FAIL - $d is missing"
			exit 99
		fi
		dirs="$dirs $d"
	done
	# The inputs' names go to a log that is shown only on a failure.
	log=$(mktemp "${TMPDIR:-/tmp}/pmtr-replay-$t.XXXXXX") || exit 99
	# shellcheck disable=SC2086 # dirs holds two absolute paths without blanks
	if $LIMIT "$prog" $dirs >"$log" 2>&1; then
		echo "ok - $t: $(tail -n 1 "$log" | sed 's/^replay: //') replayed from $FUZZ/corpus/$t and regressions/$t"
		rm -f "$log"
	else
		rc=$?
		echo "FAIL - $t: replay_$t exited $rc on:"
		grep '^replay: ' "$log" | tail -n 1
		grep -v '^replay: ' "$log" | tail -n 40 | sed 's/^/  | /'
		rm -f "$log"
		status=1
	fi
done
exit $status

#!/bin/bash
# example.sh: the quick start's examples/pmtr.conf shows what its comments say, on a first and on a second run: db is starting for 2 s, then ready, and web starts only then. SPDX-License-Identifier: MIT
TESTS_SRCDIR=${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}
. "$TESTS_SRCDIR/lib.sh"

# The example as shipped, its files in this test's directory instead of /tmp.
sed "s|/tmp/pmtr-example|$T/example|g" "$TESTS_SRCDIR/../examples/pmtr.conf" >"$CONF"
grep -q "$T/example.ready" "$CONF" || fail "examples/pmtr.conf has no /tmp/pmtr-example.ready any more"
"$PMTR" -t -c "$CONF" || fail "examples/pmtr.conf does not parse"

for run in 1 2; do
	start_pmtr
	wait_for_log "job db \[[0-9]*\] is ready" 15
	wait_for_log "started job web \[" 5
	# The order of the lines is the order of the events in pmtr's one loop.
	db_start=$(grep -n -m1 "started job db \[" "$LOG" | cut -d: -f1)
	db_ready=$(grep -n -m1 "job db \[[0-9]*\] is ready" "$LOG" | cut -d: -f1)
	web_start=$(grep -n -m1 "started job web \[" "$LOG" | cut -d: -f1)
	[ "$db_start" -lt "$db_ready" ] && [ "$db_ready" -lt "$web_start" ] ||
		fail "run $run: db started (line $db_start), ready (line $db_ready), web started (line $web_start): not in that order"
	# Ready only after its own 2 s: the probe ran between the start and the
	# ready line, and failed at least once.
	tail -n +"$db_start" "$LOG" | head -n $((db_ready - db_start)) | grep -q "started job web" &&
		fail "run $run: web started before db was ready"
	stop_pmtr TERM 10
	[ -e "$T/example.ready" ] && fail "run $run: db's ready file is still there after pmtr stopped"
	ok "run $run: db starting, then ready, then web started"
done

#!/bin/bash
# example.sh: the quick start's examples/pmtr.conf shows what its comments say: db is starting for 2 s, then ready, and web starts only then (on a first and a second run); clock and sleeper are scheduled jobs, which pmtr -t -v describes, which run at their times and are never restarted, and beside which pmtrctl wait -t 0 keeps saying 0; examples/container.conf parses and names its nightly task's next runs. SPDX-License-Identifier: MIT
TEST_TIMEOUT=${TEST_TIMEOUT:-90}
TESTS_SRCDIR=${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}
. "$TESTS_SRCDIR/lib.sh"
PMTRCTL=${PMTRCTL:-$(dirname "$PMTR")/pmtrctl}
[ -x "$PMTRCTL" ] || { say "$PMTRCTL is not an executable"; exit 99; }
SOCK=$T/ctl.sock
ctl() { run_cmd 15 env COLUMNS=200 "$PMTRCTL" -s "$SOCK" "$@"; }

# The example as shipped, its files in this test's directory instead of /tmp.
sed "s|/tmp/pmtr-example|$T/example|g" "$TESTS_SRCDIR/../examples/pmtr.conf" >"$CONF"
grep -q "$T/example.ready" "$CONF" || fail "examples/pmtr.conf has no /tmp/pmtr-example.ready any more"

# pmtr -t -v: each scheduled job's next runs, in a fixed zone so that the
# caller's does not matter. sleeper runs at the start of every minute: three
# minutes in a row.
run_cmd 15 env TZ=UTC0 "$PMTR" -t -v -c "$CONF"
[ "$RC" = 0 ] || { cat "$T/err"; fail "examples/pmtr.conf does not parse (exit $RC)"; }
cat "$T/out" "$T/err" >"$T/check"
grep -qx "job clock: runs 10 sec after it is added, then every 10 sec" "$T/check" ||
	{ cat "$T/check"; fail "pmtr -t -v does not describe clock's schedule every 10s"; }
line=$(grep "^job sleeper: next runs " "$T/check") ||
	{ cat "$T/check"; fail "pmtr -t -v does not print sleeper's next runs"; }
when='[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} \+0000'
[[ $line =~ ^job\ sleeper:\ next\ runs\ ($when),\ ($when),\ ($when)$ ]] ||
	fail "pmtr -t -v: not three run times: $line"
first=$(TZ=UTC0 date -d "${BASH_REMATCH[1]}" +%s) && second=$(TZ=UTC0 date -d "${BASH_REMATCH[2]}" +%s) &&
	third=$(TZ=UTC0 date -d "${BASH_REMATCH[3]}" +%s) || fail "pmtr -t -v: unreadable times: $line"
[ $((second - first)) = 60 ] && [ $((third - second)) = 60 ] ||
	fail "pmtr -t -v: sleeper (* * * * *) not due every minute: $line"
ok "pmtr -t -v describes the example's scheduled jobs"

# The container example: its nightly task at 03:00 local time.
run_cmd 15 env TZ=UTC0 "$PMTR" -t -v -c "$TESTS_SRCDIR/../examples/container.conf"
[ "$RC" = 0 ] || { cat "$T/err"; fail "examples/container.conf does not parse (exit $RC)"; }
cat "$T/out" "$T/err" | grep -Eqx "job nightly: next runs ([0-9-]+ 03:00 \+0000(, )?){3}" ||
	{ cat "$T/out" "$T/err"; fail "pmtr -t -v does not run examples/container.conf's nightly task at 03:00"; }
ok "examples/container.conf parses, its nightly task due at 03:00"

# wait -t 0 (a container's health check) says 0 now and each time it is asked.
wait_settled() {
	ctl wait -t 0
	[ "$RC" = 0 ] || { cat "$T/out" "$T/err"; fail "$1: pmtrctl wait -t 0 exited $RC"; }
}

for run in 1 2; do
	start_pmtr_raw -F -c "$CONF" -s "$SOCK"
	if [ "$run" = 1 ]; then
		# Scheduled, not started with pmtr: clock's first run is 10 s away
		# when the services have started.
		wait_for_log "started job talker \[" 5
		assert_no_log "started job clock \["
		ctl status
		grep -Eq "^clock +scheduled" "$T/out" || { cat "$T/out"; fail "clock is not scheduled before its first run"; }
	fi
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
	ok "run $run: db starting, then ready, then web started"

	if [ "$run" = 1 ]; then
		ctl wait -t 15
		[ "$RC" = 0 ] || { cat "$T/out" "$T/err"; fail "pmtrctl wait -t 15 exited $RC"; }
		# Through two runs of clock (and any of sleeper's), wait -t 0 never
		# says anything but 0.
		asked=0
		while [ "$(job_starts clock)" -lt 2 ]; do
			wait_settled "run $run, clock started $(job_starts clock) times"
			asked=$((asked + 1))
			[ "$asked" -lt 2000 ] || fail "clock did not run twice (log: $(job_starts clock) starts)"
			_check_pmtr_alive "clock's second run"
			sleep 0.05
		done
		wait_settled "run $run, at clock's second run"
		wait_for_log_count "clock\[[0-9]*\]: " 2 5
		wait_until 5 "clock back to scheduled after its run" eval 'ctl status; grep -Eq "^clock +scheduled" "$T/out"'
		wait_settled "run $run, after clock's second run"
		assert_no_log "job clock restarts in"
		ok "run $run: clock ran twice, printed the date each time, was never restarted, and wait -t 0 said 0 $asked times"
	fi

	stop_pmtr TERM 10
	[ -e "$T/example.ready" ] && fail "run $run: db's ready file is still there after pmtr stopped"
done
ok "examples/pmtr.conf does what its comments say"

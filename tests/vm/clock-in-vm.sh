# clock-in-vm.sh: what steps of the wall clock do to scheduled jobs, run in a VM by tests/vm/clock.sh (busybox sh), where setting the clock disturbs nobody. SPDX-License-Identifier: MIT
# shellcheck shell=dash
#
# Local time is UTC (TZ=UTC0). Jobs:
#   nightly  schedule 0 3 * * *: each run appends the time to /tmp/nightly.runs
#   hourly   schedule every 1h: elapsed time, which no step of the clock moves
# Steps: start at 02:59:57 (it runs at 03:00); back 30 min and forward again past
# 03:00 (it must not run twice for 03:00); ahead by two days (it runs once for the
# due times passed, and says so); back by 17 h (its schedule starts again).

. /opt/vmlib.sh

CONF=/run/pmtr.conf
export TZ=UTC0

past() { [ "$(date +%s)" -ge "$1" ]; }
runs() { if [ -f /tmp/nightly.runs ]; then wc -l </tmp/nightly.runs; else echo 0; fi; }
runs_are() { [ "$(runs)" = "$1" ]; }
epoch() { date -u -d "$1" +%s; }

# next_run NAME: its next_run in pmtrctl status --json.
next_run() {
	json_job "$1"
	echo "$JSON" | json_field next_run
}

cat >"$CONF" <<EOT
job {
  name nightly
  cmd /bin/sh -c "date -u +%FT%T >>/tmp/nightly.runs"
  schedule 0 3 * * *
}
job {
  name hourly
  cmd /bin/true
  schedule every 1h
}
EOT

date -u -s "2030-01-01 02:59:57" >/dev/null || fail "cannot set the clock"
"$PMTR" -F -c "$CONF" -s "$SOCK" 2>"$LOG" </dev/null &
PMTR_PID=$!
wait_until 5 "the control socket" test -S "$SOCK"
[ "$(next_run nightly)" = "$(epoch "2030-01-01 03:00:00")" ] ||
	fail "nightly: next_run $(next_run nightly), expected 2030-01-01 03:00"
hourly=$(next_run hourly)
wait_until 8 "nightly to run at 03:00" runs_are 1
ok "nightly ran at 03:00 ($(cat /tmp/nightly.runs))"

# back 30 min, then ahead past 03:00 again: 03:00 was run already
date -u -s "2030-01-01 02:30:10" >/dev/null
wait_for_log "the clock was set back by \(29\|30\) min" 5
date -u -s "2030-01-01 02:59:58" >/dev/null
wait_for_log "the clock was set ahead by \(28\|29\) min" 5
# a run for 03:00 would have started by 03:00:02
wait_until 8 "the clock to pass 03:00:02" past "$(epoch "2030-01-01 03:00:02")"
runs_are 1 || fail "nightly ran again for 03:00 after the clock went back 30 min: $(cat /tmp/nightly.runs)"
[ "$(next_run nightly)" = "$(epoch "2030-01-02 03:00:00")" ] ||
	fail "nightly: next_run $(next_run nightly) after a step back, expected 2030-01-02 03:00"
ok "a step back of 30 min does not run 03:00 twice"

# ahead by two days: the due times of 2 and 3 January passed: one run, said
date -u -s "2030-01-03 05:00:00" >/dev/null
wait_until 5 "nightly to run once for the due times passed" runs_are 2
wait_for_log "job nightly: 1 of its run times passed while pmtr could not run it" 5
# its next due time is past the ones jumped over: no second run for them
[ "$(next_run nightly)" = "$(epoch "2030-01-04 03:00:00")" ] ||
	fail "nightly: next_run $(next_run nightly) after the step ahead, expected 2030-01-04 03:00"
runs_are 2 || fail "nightly ran $(runs) times after the step ahead, expected one run"
ok "a step ahead of two days runs the job once, and logs the run time passed"

# back by 17 h: more than 3 h, the schedule starts again from the new time
date -u -s "2030-01-02 12:00:00" >/dev/null
wait_for_log "the clock was set back by 17 h" 5
[ "$(next_run nightly)" = "$(epoch "2030-01-03 03:00:00")" ] ||
	fail "nightly: next_run $(next_run nightly) after 17 h back, expected 2030-01-03 03:00"
ok "a step back of more than 3 h starts the schedule again from the new time"

# the interval counts elapsed time: its due time moved with the clock, by the
# steps' sum, so it is still within an hour of now
left=$(($(next_run hourly) - $(date +%s)))
[ "$left" -gt 3500 ] && [ "$left" -le 3600 ] ||
	fail "hourly: next run in $left s after the steps, expected within an hour (it was $hourly)"
ok "schedule every 1h is not moved by the steps (next run in $left s)"

stop_pmtr 10
[ "$PMTR_RC" = 0 ] || fail "pmtr exited with status $PMTR_RC"
if grep -q "AddressSanitizer\|LeakSanitizer\|runtime error:" "$LOG"; then
	fail "a sanitizer reported an error"
fi
ok "pmtr exited with status 0"
exit 0

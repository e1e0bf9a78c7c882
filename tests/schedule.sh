#!/bin/bash
# schedule.sh: scheduled jobs with the real pmtr and pmtrctl: no start at start-up, runs at due times and never restarted, pmtrctl start, overlap skip and replace, run timeout, live edits of a schedule, pmtr -t -v. SPDX-License-Identifier: MIT
TEST_TIMEOUT=${TEST_TIMEOUT:-90}
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

PMTRCTL=${PMTRCTL:-$(dirname "$PMTR")/pmtrctl}
[ -x "$PMTRCTL" ] || { say "$PMTRCTL is not an executable"; exit 99; }
SOCK=$T/ctl.sock
# Local time for cron expressions: fixed, whatever the caller's zone.
export TZ=UTC0
PMTR_LAUNCH=(env --default-signal TZ=UTC0)
ctl() { run_cmd 15 "$PMTRCTL" -s "$SOCK" "$@"; }

# state NAME: the job's state in pmtrctl status --json.
state() {
	ctl status "$1"
	[ "$RC" = 0 ] || fail "pmtrctl status $1: exit status $RC: $(cat "$T/err")"
	awk -v n="$1" '$1 == n { print $2 }' "$T/out"
}

# pmtr -t -v shows the next three due times of a cron job in local time, and
# what an interval means; the times come from the expression, checked by date.
write_conf <<EOF
job {
  name nightly
  cmd /bin/true
  schedule 30 3 * * *
}
job {
  name purge
  cmd /bin/true
  schedule every 15m
}
EOF
run_cmd 10 "$PMTR" -t -v -c "$CONF"
[ "$RC" = 0 ] || fail "pmtr -t -v: exit status $RC: $(cat "$T/err")"
first=$(date -d "$(date +%F) 03:30" +%s)
[ "$first" -gt "$(date +%s)" ] || first=$((first + 86400))
want="job nightly: next runs"
for i in 0 1 2; do
	want="$want$([ $i = 0 ] || echo ,) $(date -d "@$((first + i * 86400))" '+%Y-%m-%d %H:%M %z')"
done
grep -qxF "$want" "$T/out" || fail "pmtr -t -v: expected '$want', got: $(cat "$T/out")"
grep -qxF "job purge: runs 15 min after it is added, then every 15 min" "$T/out" ||
	fail "pmtr -t -v: no line for the interval job: $(cat "$T/out")"
ok "pmtr -t -v prints the next three runs"

script tick.sh <<EOF
#!/bin/sh
date +%s%N >>$T/tick.runs
exit 3
EOF
write_conf <<EOF
job {
  name tick
  cmd $T/tick.sh
  schedule every 1s
}
job {
  name yearly
  cmd /bin/sh -c "echo yearly ran"
  schedule 0 0 1 1 *
}
job {
  name slow
  cmd /bin/sleep 2.6
  schedule every 1200ms
}
job {
  name service
  cmd /bin/sleep 300
  run timeout 1s
  restart delay 0
}
EOF
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
wait_for_file "$SOCK"
wait_job service
[ "$(state tick)" = scheduled ] || fail "job tick is $(state tick) at start-up, expected scheduled"
[ "$(state yearly)" = scheduled ] || fail "job yearly is $(state yearly), expected scheduled"
[ "$(job_starts tick)" = 0 ] || fail "job tick started with pmtr: it has a schedule"
ok "scheduled jobs do not start with pmtr"

wait_until 6 "job tick to run 3 times" eval '[ "$(cat "$T/tick.runs" 2>/dev/null | wc -l)" -ge 3 ]'
mapfile -t st <"$T/tick.runs"
for i in 1 2; do
	gap=$(((st[i] - st[i - 1]) / 1000000))
	[ "$gap" -ge 800 ] && [ "$gap" -le 1600 ] ||
		fail "job tick ran $gap ms after its last run: schedule every 1s (a failed run must not be restarted)"
done
ok "every 1s: runs 1 s apart, failures (exit 3) not restarted"
assert_log "job tick failed; it runs again at its next due time"

# a run still going when the next is due is skipped (the default)
wait_for_log "job slow \[[0-9]*\] is still running: skipping its run due now" 5
ok "overlap skip: a run due while the last one is going is skipped"

# run timeout: a service stopped after 1 s of running, and restarted
wait_for_log "job service \[[0-9]*\] still running after 1 sec, its run timeout: stopping" 4
P=$(job_pid service)
wait_new_pid service "$P" 4
ok "run timeout stops a service, which is restarted"

# pmtrctl start runs a scheduled job now; it goes back to scheduled
ctl start yearly
[ "$RC" = 0 ] || fail "pmtrctl start yearly: exit status $RC"
wait_for_log "yearly\[[0-9]*\]: yearly ran" 5
wait_until 5 "job yearly to be scheduled again" eval '[ "$(state yearly)" = scheduled ]'
ok "pmtrctl start runs a scheduled job now, and it waits for its next time again"

# live edits: replace overlap, a new schedule, a schedule removed
mark=$(log_lines)
sed -i 's|  cmd /bin/sleep 2.6|  cmd /bin/sleep 2.6\n  schedule overlap replace|' "$CONF"
wait_for_log_since "$mark" "job slow \[[0-9]*\] is still running at its next due time: replacing it" 6
ok "overlap replace: the run going on is stopped for the new one"
mark=$(log_lines)
sed -i 's|  schedule 0 0 1 1 \*|  schedule every 900ms|' "$CONF"
wait_for_log_since "$mark" "job yearly: applied schedule every " 5
wait_for_log_since "$mark" "yearly\[[0-9]*\]: yearly ran" 4
ok "an edit of the schedule applies at once, without a restart of pmtr"
mark=$(log_lines)
sed -i '/  schedule every 1s/d' "$CONF"
wait_for_log_since "$mark" "job tick: applied schedule every off" 5
# as a service, its fast failure makes it wait for its restart delay (10 s):
# "restart in 9s" in its state column
wait_until 5 "job tick to wait to restart, as a service" eval '[ "$(state tick)" = restart ]'
ok "a job whose schedule is removed runs as a service"

stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked "no process left after the first pmtr"

# json_field NAME FIELD: a number (or null) of the job in pmtrctl status --json.
json_field() {
	ctl status --json "$1"
	[ "$RC" = 0 ] || fail "pmtrctl status --json $1: exit status $RC: $(cat "$T/err")"
	sed -n "s/.*\"$2\":\([0-9a-z]*\).*/\1/p" "$T/out"
}

# next_run and last_run; pmtrctl wait leaves scheduled jobs out, even while one
# of them runs; a re-exec keeps each job's next due time.
write_conf <<EOF
job {
  name web
  cmd /bin/sleep 300
}
job {
  name often
  cmd /bin/sleep 0.7
  schedule every 1s
}
job {
  name hourly
  cmd /bin/true
  schedule every 1h
  schedule jitter 10m
}
job {
  name newyear
  cmd /bin/true
  schedule @yearly
}
job {
  name longrun
  cmd /bin/sleep 300
  schedule @yearly
}
EOF
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
wait_for_file "$SOCK"
wait_job web
want=$(date -d "$(($(date +%Y) + 1))-01-01 00:00" +%s)
[ "$(json_field newyear next_run)" = "$want" ] ||
	fail "newyear: next_run $(json_field newyear next_run), expected $want (next 1 January, 00:00)"
[ "$(json_field newyear last_run)" = null ] || fail "newyear: last_run should be null before a run"
[ "$(json_field web next_run)" = null ] || fail "web (no schedule): next_run should be null"
ok "status --json: next_run of a cron job, null where there is none"
hourly=$(json_field hourly next_run)
now=$(date +%s)
[ "$hourly" -ge $((now + 3600 - 5)) ] && [ "$hourly" -le $((now + 3600 + 600)) ] ||
	fail "hourly: next_run $hourly is not within an hour and its jitter of 10 min from now ($now)"
ok "every 1h with jitter 10m: next run in 1 h to 1 h 10 min"
wait_for_log "started job often \[" 3
for i in 1 2 3 4 5 6 7 8; do
	run_cmd 10 "$PMTRCTL" -s "$SOCK" wait -t 0
	[ "$RC" = 0 ] || fail "pmtrctl wait -t 0 (round $i): exit status $RC: $(cat "$T/err"): scheduled jobs must not count"
	sleep 0.25
done
[ "$(json_field often last_run)" != null ] || fail "often: no last_run after its runs"
ok "pmtrctl wait -t 0 leaves scheduled jobs out, while one runs too"
ctl start longrun
wait_job longrun
LONG=$JOB_PID
ctl reexec
[ "$RC" = 0 ] || fail "pmtrctl reexec: exit status $RC: $(cat "$T/err")"
[ "$(json_field longrun pid)" = "$LONG" ] && [ "$(state longrun)" = running ] ||
	fail "longrun: pid $(json_field longrun pid), state $(state longrun) after reexec; it ran as $LONG"
ok "reexec keeps a scheduled job's run that is going"
[ "$(json_field hourly next_run)" = "$hourly" ] ||
	fail "hourly: next_run $(json_field hourly next_run) after reexec, $hourly before"
[ "$(json_field newyear next_run)" = "$want" ] || fail "newyear: next_run changed by reexec"
[ "$(state newyear)" = scheduled ] || fail "newyear is $(state newyear) after reexec"
ok "reexec keeps each scheduled job's next due time (with its jitter)"
mark=$(log_lines)
sed -i '/name longrun/,/}/d' "$CONF"
sed -i '$d' "$CONF"
wait_for_log_since "$mark" "stopping job longrun \[$LONG\]" 5
wait_for_pid_gone "$LONG" 5
ok "a scheduled job removed from the file has its run stopped"
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked
exit 0

#!/bin/bash
# wait_once.sh: a wait job holds back the jobs after it until it exits, without blocking pmtr. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

script setup.sh <<EOF
#!/bin/sh
/bin/sleep 1
touch $T/setup.done
EOF
script after.sh <<EOF
#!/bin/sh
if [ -e $T/setup.done ]; then echo setup-was-done; else echo started-too-early; fi
exec /bin/sleep 300
EOF

# ---- jobs after a wait job start once it has exited
write_conf <<EOF
job {
  name before
  cmd /bin/sleep 300
}
job {
  name setup
  cmd $T/setup.sh
  wait
  once
}
job {
  name after
  cmd $T/after.sh
}
job {
  name later
  cmd /bin/sleep 300
  order 5
}
EOF
start_pmtr
wait_job before
wait_job setup
SU=$JOB_PID
wait_job after 5
A=$JOB_PID
wait_job later
wait_for_log "after\[$A\]: "
assert_log "after\[$A\]: setup-was-done" "job after started only once the wait job had finished"
exit_line=$(grep -n "job setup \[$SU\] exited after" "$LOG" | head -n 1 | cut -d: -f1)
after_line=$(grep -n "started job after \[" "$LOG" | head -n 1 | cut -d: -f1)
later_line=$(grep -n "started job later \[" "$LOG" | head -n 1 | cut -d: -f1)
before_line=$(grep -n "started job before \[" "$LOG" | head -n 1 | cut -d: -f1)
[ -n "$exit_line" ] || fail "no exit logged for the wait job setup"
[ "$after_line" -gt "$exit_line" ] || fail "job after started (log line $after_line) before the wait job exited (line $exit_line)"
[ "$later_line" -gt "$exit_line" ] || fail "job later (order 5) started (log line $later_line) before the wait job exited (line $exit_line)"
[ "$before_line" -lt "$exit_line" ] || fail "job before (ahead of the wait job) was held back"
ok "jobs after the wait job (in start order) start after it exits; jobs before it do not wait"
wait_for_log "job setup is once: not restarting"
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"

# ---- a wait job that hangs: later jobs stay held, pmtr still answers signals
write_conf <<EOF
job {
  name hang
  cmd /bin/sleep 300
  wait
}
job {
  name blocked
  cmd /bin/sleep 300
}
EOF
start_pmtr
wait_job hang
H=$JOB_PID
wait_for_log "$CONF: 2 jobs"
# SIGHUP is answered while the wait job runs (a re-read logs the job count again)
kill -HUP "$PMTR_PID"
wait_for_log_count "$CONF: 2 jobs" 2 2
ok "SIGHUP answered while a wait job hangs"
# blocked must not start while hang runs: pmtr decides that as soon as hang is
# running, so once the barrier's turns of its loop are over it would have
barrier
[ "$(job_starts blocked)" = 0 ] || fail "job blocked started while the wait job hang was still running"
ok "a job after a hanging wait job is not started"
t0=$(now_ms)
kill -TERM "$PMTR_PID"
wait_pmtr_exit 3
el=$(($(now_ms) - t0))
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_log "stopping job hang \[$H\]" "the hanging wait job is stopped"
[ "$(job_starts blocked)" = 0 ] || fail "job blocked was started during shutdown"
assert_no_marked
ok "SIGTERM answered while a wait job hangs (pmtr gone in $el ms)"
exit 0

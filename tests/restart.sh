#!/bin/bash
# restart.sh: restart of exited jobs with the restart delay (on time while another job writes all along), exit 33, once, disable, order. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

script quick.sh <<EOF
#!/bin/sh
date +%s%N >>$T/quick.starts
exit 3
EOF
script long.sh <<EOF
#!/bin/sh
date +%s%N >>$T/long.starts
exec /bin/sleep 1.5
EOF

write_conf <<EOF
job {
  name ord-b
  cmd /bin/true
  once
  order 2
}
job {
  name quick
  cmd $T/quick.sh
  restart delay 1
}
job {
  name ord-a
  cmd /bin/true
  once
  order 1
}
job {
  name long
  cmd $T/long.sh
  restart delay 1
}
job {
  name victim
  cmd /bin/sleep 300
  restart delay 1
}
job {
  name e33
  cmd /bin/sh -c "exit 33"
  restart delay 500ms
}
job {
  name o
  cmd /bin/sh -c "exit 1"
  once
  restart delay 500ms
}
job {
  name dis
  cmd /bin/sleep 300
  disable
  restart delay 500ms
}
job {
  name dflt
  cmd /bin/true
}
job {
  name ord-c
  cmd /bin/true
  once
  order 1
}
job {
  name chatter
  cmd /bin/sh -c "while :; do echo chatter; sleep 0.002; done"
  order 3
}
EOF

start_pmtr
wait_job ord-b

# ---- start order: by order, then by position in the file
order=$(sed -n 's/.*started job \([^ ]*\) \[.*/\1/p' "$LOG" | head -n 9 | tr '\n' ' ')
[ "$order" = "quick long victim e33 o dflt ord-a ord-c ord-b " ] ||
	fail "start order is '$order', expected 'quick long victim e33 o dflt ord-a ord-c ord-b' (dis is disabled)"
ok "jobs start in order of (order, position); a disabled job is not started"

# ---- a job killed by a signal is restarted
wait_job victim
V=$JOB_PID
kill -KILL "$V"
wait_for_log "job victim \[$V\] exited after [0-9]* sec: signal SIGKILL\$"
wait_new_pid victim "$V" 3
ok "job killed by SIGKILL: logged 'signal SIGKILL' and restarted"

# ---- a quick exit waits the restart delay (1 s) from the exit
wait_for_log "job quick \[[0-9]*\] exited after 0 sec: exit status 3\$"
assert_log "job quick restarts in 1 sec\$" "quick exit: 'job quick restarts in 1 sec'"
wait_for_log_count "started job quick \[" 3 5
# the third run may still be starting when its log line appears
wait_until 3 "quick.sh to record 3 runs" eval '[ "$(wc -l <"$T/quick.starts")" -ge 3 ]'
mapfile -t qs <"$T/quick.starts"
[ "${#qs[@]}" -ge 3 ] || fail "quick.sh ran ${#qs[@]} times, expected 3"
for i in 1 2; do
	gap=$(((qs[i] - qs[i - 1]) / 1000000))
	[ "$gap" -ge 980 ] || fail "job quick restarted $gap ms after its previous start; restart delay is 1 s"
	[ "$gap" -le 2000 ] || fail "job quick restarted $gap ms after its previous start; expected about 1 s"
	ok "quick exit: restarted after $gap ms (restart delay 1 s)"
done
n=$(grep -c "chatter\[[0-9]*\]: chatter" "$LOG")
[ "$n" -gt 50 ] || fail "job chatter wrote only $n lines meanwhile: pmtr's loop was not kept busy with output"
ok "the restart delay holds while another job's output keeps pmtr busy ($n lines)"

# ---- a job that ran longer than the restart delay is restarted at once
wait_for_log_count "started job long \[" 2 5
wait_until 3 "long.sh to record 2 runs" eval '[ "$(wc -l <"$T/long.starts")" -ge 2 ]'
mapfile -t lstarts <"$T/long.starts"
gap=$(((lstarts[1] - lstarts[0]) / 1000000))
[ "$gap" -ge 1450 ] || fail "job long restarted $gap ms after its start, before it exited (it runs 1.5 s)"
[ "$gap" -lt 2200 ] || fail "job long (ran 1.5 s, restart delay 1 s) restarted $gap ms after its start: it was throttled"
assert_no_log "job long restarts in" "a job that ran longer than the restart delay is not throttled"
ok "job that ran 1.5 s was restarted at once ($gap ms between starts)"

# ---- exit 33, once, disable, the default delay; by now 2 s have passed
wait_for_log "job e33 exited with status 33: not restarting"
wait_for_log "job o is once: not restarting"
assert_log "job dflt restarts in 10 sec\$" "default restart delay is 10 s"
[ "$(job_starts e33)" = 1 ] || fail "job e33 (exit 33) started $(job_starts e33) times"
[ "$(job_starts o)" = 1 ] || fail "job o (once) started $(job_starts o) times"
[ "$(job_starts dflt)" = 1 ] || fail "job dflt (default delay 10 s) started $(job_starts dflt) times in 2 s"
[ "$(job_starts dis)" = 0 ] || fail "disabled job dis was started"
[ "$(job_starts ord-a)" = 1 ] || fail "once job ord-a started $(job_starts ord-a) times"
ok "exit 33 and once: not restarted (2 s with restart delay 500 ms); disabled job never started"

stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked
exit 0

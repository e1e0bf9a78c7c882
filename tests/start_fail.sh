#!/bin/bash
# start_fail.sh: a job whose start fails logs the step and the cause, is retried, and pmtr and other jobs carry on. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

printf '#!/bin/sh\nexit 0\n' >"$T/notexec.sh"
chmod 644 "$T/notexec.sh"

write_conf <<EOF
job {
  name good
  cmd /bin/sleep 300
}
job {
  name bad-dir
  cmd /bin/sleep 300
  dir $T/nonexistent
  restart delay 500ms
}
job {
  name bad-cmd
  cmd $T/nonexistent-prog arg
  restart delay 500ms
}
job {
  name not-exec
  cmd $T/notexec.sh
  restart delay 500ms
}
job {
  name bad-in
  cmd /bin/sleep 300
  in $T/nonexistent.in
  restart delay 500ms
}
job {
  name bad-out
  cmd /bin/sleep 300
  out $T/nodir/out.txt
  restart delay 500ms
}
job {
  name bad-err
  cmd /bin/sleep 300
  err $T/nodir/err.txt
  restart delay 500ms
}
job {
  name bad-ulimit
  cmd /bin/sleep 300
  ulimit -n 1099511627776
  restart delay 500ms
}
job {
  name late
  cmd /bin/sleep 300
}
EOF
if [ "$(id -u)" != 0 ]; then
	cat >>"$CONF" <<EOF
job {
  name bad-nice
  cmd /bin/sleep 300
  nice -10
  restart delay 500ms
}
EOF
fi

start_pmtr
wait_job good
GOOD=$JOB_PID

# expect_fail NAME STEP-AND-REASON STATUS: the start of NAME failed at that step,
# and its exit was handled as an exit with STATUS.
expect_fail() {
	local name=$1 what=$2 status=$3 pid
	wait_for_log "job $name \[[0-9]*\] failed to start: "
	pid=$(sed -n "s/.*job $name \[\([0-9]*\)\] failed to start: .*/\1/p" "$LOG" | head -n 1)
	grep -qF "job $name [$pid] failed to start: $what" "$LOG" ||
		fail "job $name: expected 'job $name [$pid] failed to start: $what', got: $(grep "job $name \[" "$LOG" | head -3)"
	wait_for_log "job $name \[$pid\] exited after [0-9]* sec: exit status $status\$"
	ok "job $name: 'failed to start: $what', exit status $status"
}

expect_fail bad-dir "chdir $T/nonexistent: No such file or directory" 126
expect_fail bad-cmd "exec $T/nonexistent-prog: No such file or directory" 127
expect_fail not-exec "exec $T/notexec.sh: Permission denied" 126
expect_fail bad-in "stdin $T/nonexistent.in: No such file or directory" 126
expect_fail bad-out "stdout $T/nodir/out.txt: No such file or directory" 126
expect_fail bad-err "stderr $T/nodir/err.txt: No such file or directory" 126
expect_fail bad-ulimit "ulimit -n: Operation not permitted" 126
if [ "$(id -u)" != 0 ]; then
	expect_fail bad-nice "nice: Permission denied" 126
fi

# a failed start is retried under the restart rules (restart delay 500ms)
wait_for_log_count "job bad-dir \[[0-9]*\] failed to start: chdir" 2 3
wait_for_log_count "job bad-cmd \[[0-9]*\] failed to start: exec" 2 3
ok "failed starts are retried after the restart delay"

wait_job late
pid_running "$PMTR_PID" || fail "pmtr is not running"
pid_running "$GOOD" || fail "job good [$GOOD] is no longer running"
[ "$(job_pid good)" = "$GOOD" ] || fail "job good was restarted"
ok "pmtr and the other jobs carry on"

stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked
exit 0

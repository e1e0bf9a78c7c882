#!/bin/bash
# stop.sh: shutdown on SIGTERM/SIGINT/SIGQUIT: SIGTERM to each job's group, SIGKILL after the stop timeout, in parallel, exit 0 when all are gone. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

script family.sh <<EOF
#!/bin/sh
# a child that dies on SIGTERM and one that ignores it: both in the job's group
/bin/sleep 302 &
(trap '' TERM; exec /bin/sleep 303) &
echo \$! >$T/stubborn-child.pid.tmp && mv $T/stubborn-child.pid.tmp $T/stubborn-child.pid
wait
EOF
script stubborn.sh <<'EOF'
#!/bin/sh
trap 'echo got TERM' TERM
echo ready
while :; do /bin/sleep 0.1; done
EOF

# ---- SIGTERM: every job stopped, stubborn ones killed after their stop timeout
write_conf <<EOF
job {
  name plain
  cmd /bin/sleep 300
}
job {
  name family
  cmd $T/family.sh
  stop timeout 2
}
job {
  name stubborn
  cmd $T/stubborn.sh
  stop timeout 2
}
job {
  name stubborn2
  cmd $T/stubborn.sh
  stop timeout 2
}
EOF
start_pmtr
wait_job plain
PL=$JOB_PID
wait_job family
FA=$JOB_PID
wait_job stubborn
ST=$JOB_PID
wait_job stubborn2
ST2=$JOB_PID
wait_for_log "stubborn\[$ST\]: ready"
wait_for_log "stubborn2\[$ST2\]: ready"
wait_for_file "$T/stubborn-child.pid"
SC=$(cat "$T/stubborn-child.pid")
pid_running "$SC" || fail "the TERM-ignoring child of job family is not running"
[ "$(pgid_of "$SC")" = "$FA" ] || fail "the child of job family is not in the job's group"

t0=$(now_ms)
kill -TERM "$PMTR_PID"
wait_pmtr_exit 8
t1=$(now_ms)
el=$((t1 - t0))
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
ok "SIGTERM: pmtr exits 0"
assert_no_marked "at pmtr's exit no job or job child is left (one ignored SIGTERM)"
assert_log "pmtr: stopping" "log 'pmtr: stopping'"
assert_log "stopping job plain \[$PL\]" "log 'stopping job plain [$PL]'"
assert_log "job plain \[$PL\] exited after [0-9]* sec: signal SIGTERM\$" "job plain stopped by SIGTERM"
assert_log "stubborn\[$ST\]: got TERM" "the job got SIGTERM"
assert_log "job stubborn \[$ST\] still running after 2 sec: sending SIGKILL" "log 'still running after 2 sec: sending SIGKILL'"
assert_log "job stubborn \[$ST\] exited after [0-9]* sec: signal SIGKILL\$" "stubborn job ended by SIGKILL"
assert_log "job stubborn2 \[$ST2\] exited after [0-9]* sec: signal SIGKILL\$" "second stubborn job ended by SIGKILL"
tail -n 1 "$LOG" | grep -q "pmtr: exiting\$" || fail "the last log line is not 'pmtr: exiting': $(tail -n 1 "$LOG")"
ok "'pmtr: exiting' is the last line"
[ "$el" -ge 1900 ] || fail "pmtr exited $el ms after SIGTERM: it did not wait the 2 s stop timeout"
[ "$el" -le 3500 ] || fail "pmtr took $el ms to stop jobs with a 2 s stop timeout: not stopped in parallel"
ok "stop timeout honoured, jobs stopped in parallel ($el ms for three 2 s timeouts)"

# ---- SIGINT and SIGQUIT do the same
for sig in INT QUIT; do
	write_conf <<EOF
job {
  name j$sig
  cmd /bin/sleep 300
}
EOF
	start_pmtr
	wait_job "j$sig"
	J=$JOB_PID
	kill -"$sig" "$PMTR_PID"
	wait_pmtr_exit 5
	[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIG$sig, expected 0"
	assert_log "stopping job j$sig \[$J\]" "SIG$sig: job stopped"
	pid_running "$J" && fail "job j$sig [$J] still running after pmtr exited on SIG$sig"
	assert_no_marked "SIG$sig: exit 0, nothing left"
done

# ---- a second signal during shutdown sends SIGKILL at once
write_conf <<EOF
job {
  name slow
  cmd $T/stubborn.sh
  stop timeout 30
}
EOF
start_pmtr
wait_job slow
S=$JOB_PID
wait_for_log "slow\[$S\]: ready"
kill -TERM "$PMTR_PID"
wait_for_log "stopping job slow \[$S\]"
wait_for_log "slow\[$S\]: got TERM"
t0=$(now_ms)
kill -TERM "$PMTR_PID"
wait_pmtr_exit 3
el=$(($(now_ms) - t0))
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after two SIGTERMs, expected 0"
assert_log "job slow \[$S\] exited after [0-9]* sec: signal SIGKILL\$" "second SIGTERM: the job got SIGKILL"
assert_no_marked "second SIGTERM: nothing left"
ok "a second SIGTERM during shutdown kills at once ($el ms; stop timeout 30 s)"

exit 0

#!/bin/bash
# essential.sh: an essential job's own end stops the other jobs and ends pmtr with its status. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

script main.sh <<EOF
#!/bin/sh
while [ ! -e $T/go ]; do /bin/sleep 0.05; done
exit 3
EOF

# ---- an essential job exiting 3: the helper is stopped, pmtr exits 3
write_conf <<EOF
job {
  name helper
  cmd /bin/sleep 300
  stop timeout 2
}
job {
  name main
  cmd $T/main.sh
  essential
  restart delay 100ms
}
EOF
start_pmtr
wait_job helper
H=$JOB_PID
wait_job main
touch "$T/go"
wait_pmtr_exit 5
[ "$PMTR_RC" = 3 ] || fail "essential job exited 3: pmtr exit status $PMTR_RC, expected 3"
assert_log "essential job main ended: stopping pmtr with exit status 3"
assert_log "stopping job helper \[$H\]"
pid_running "$H" && fail "helper [$H] still running after pmtr exited"
assert_no_marked "essential exit 3: helper stopped, nothing left"
ok "essential job exiting 3 ends pmtr with status 3"
rm -f "$T/go"

# ---- killed by SIGKILL: 128 + 9
write_conf <<EOF
job {
  name helper
  cmd /bin/sleep 300
}
job {
  name main
  cmd /bin/sleep 300
  essential
}
EOF
start_pmtr
wait_job helper
wait_job main
kill -KILL "$JOB_PID"
wait_pmtr_exit 5
[ "$PMTR_RC" = 137 ] || fail "essential job killed by SIGKILL: pmtr exit status $PMTR_RC, expected 137"
assert_no_marked "essential SIGKILL: nothing left"
ok "essential job killed by SIGKILL ends pmtr with status 137"

# ---- essential + once, a batch job exiting 0: pmtr exits 0
write_conf <<EOF
job {
  name helper
  cmd /bin/sleep 300
}
job {
  name batch
  cmd /bin/sh -c "/bin/sleep 0.3; exit 0"
  essential
  once
}
EOF
start_pmtr
wait_job helper
wait_pmtr_exit 5
[ "$PMTR_RC" = 0 ] || fail "essential once job exited 0: pmtr exit status $PMTR_RC, expected 0"
assert_log "essential job batch ended"
ok "essential + once exiting 0 ends pmtr with status 0"

# ---- essential + wait: success lets start-up go on, failure aborts it
write_conf <<EOF
job {
  name setup
  cmd /bin/true
  essential
  wait
  once
}
job {
  name service
  cmd /bin/sleep 300
}
EOF
start_pmtr
wait_job service
pid_running "$PMTR_PID" || fail "pmtr ended after a successful essential wait job"
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "SIGTERM: exit status $PMTR_RC, expected 0"
ok "essential + wait exiting 0 lets the next jobs start"

write_conf <<EOF
job {
  name setup
  cmd /bin/sh -c "exit 5"
  essential
  wait
  once
}
job {
  name service
  cmd /bin/sleep 300
}
EOF
start_pmtr
wait_pmtr_exit 5
[ "$PMTR_RC" = 5 ] || fail "failed essential wait job: pmtr exit status $PMTR_RC, expected 5"
assert_no_log "started job service"
ok "essential + wait exiting 5 aborts start-up with status 5"

# ---- removed from the configuration, or disabled: pmtr carries on
write_conf <<EOF
job {
  name main
  cmd /bin/sleep 300
  essential
}
job {
  name other
  cmd /bin/sleep 300
}
EOF
start_pmtr
wait_job main
M=$JOB_PID
wait_job other
write_conf <<EOF
job {
  name other
  cmd /bin/sleep 300
}
EOF
wait_for_log "stopping job main \[$M\]"
wait_for_pid_gone "$M" 5
wait_for_log "job main \[$M\] exited"
pid_running "$PMTR_PID" || fail "pmtr ended when its essential job was removed from the configuration"
assert_no_log "essential job main ended"
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "SIGTERM: exit status $PMTR_RC, expected 0"
ok "removing the essential job leaves pmtr running"

# ---- SIGTERM with an essential job running: exit 0
write_conf <<EOF
job {
  name main
  cmd /bin/sleep 300
  essential
}
EOF
start_pmtr
wait_job main
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "SIGTERM with an essential job: exit status $PMTR_RC, expected 0"
ok "SIGTERM stops pmtr with status 0 even with an essential job"

# ---- as process 1 (root only): the container's status is the job's
if [ "$(id -u)" = 0 ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
	write_conf <<EOF
job {
  name helper
  cmd /bin/sleep 300
}
job {
  name main
  cmd /bin/sh -c "/bin/sleep 0.3; exit 7"
  essential
}
EOF
	run_cmd 10 unshare --pid --fork --mount-proc --kill-child env PMTR_TEST_MARK="$T" "$PMTR" -c "$CONF" -s none
	[ "$RC" = 7 ] || fail "pmtr as process 1: exit status $RC, expected 7; stderr: $(tail -5 "$T/err")"
	grep -q "pmtr\[1\]: essential job main ended" "$T/err" || fail "pmtr did not run as process 1: $(head -3 "$T/err")"
	ok "as process 1, the essential job's status is pmtr's"
else
	say "not root or no pid namespaces: process 1 case not run"
fi
exit 0
